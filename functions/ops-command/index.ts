import { cloudEvent } from '@google-cloud/functions-framework';
import { loadConfig } from '../../shared/config';
import { createJsonLogger } from '../../shared/logging';
import { buildCommandProcessor, createCommandEventHandler } from '../../shared/runtime';

/** Name the function is registered (and deployed, `--entry-point`) under. */
const OPS_COMMAND_FUNCTION = 'opsCommand';

/**
 * The command function: a CloudEvent function on the ops-commands topic. Wiring only: read config
 * once, build dependencies, register the handler. Everything else lives in `shared/runtime`.
 */
const registerOpsCommandFunction = (env: Record<string, string | undefined> = process.env): void => {
  const config = loadConfig(env);
  const logger = createJsonLogger({
    minSeverity: config.LOG_LEVEL,
    labels: { function: OPS_COMMAND_FUNCTION },
  });
  cloudEvent(OPS_COMMAND_FUNCTION, createCommandEventHandler(buildCommandProcessor(config, logger), logger));
};

export { OPS_COMMAND_FUNCTION, registerOpsCommandFunction };
