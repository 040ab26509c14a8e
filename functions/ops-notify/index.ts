import { cloudEvent } from '@google-cloud/functions-framework';
import { loadConfig } from '../../shared/config';
import { createJsonLogger } from '../../shared/logging';
import { buildOutcomeNotifier, createOutcomeEventHandler } from '../../shared/runtime';

/** Name the function is registered (and deployed, `--entry-point`) under. */
const OPS_NOTIFY_FUNCTION = 'opsNotify';

/**
 * The notify function: a CloudEvent function on the ops-results topic that POSTs each outcome of a
 * command to the callback URL the command carried (a runbook's callback endpoint). Wiring only;
 * the work is in `shared/runtime/outcome-notifier.ts`.
 */
const registerOpsNotifyFunction = (env: Record<string, string | undefined> = process.env): void => {
  const config = loadConfig(env);
  const logger = createJsonLogger({
    minSeverity: config.LOG_LEVEL,
    labels: { function: OPS_NOTIFY_FUNCTION },
  });
  cloudEvent(OPS_NOTIFY_FUNCTION, createOutcomeEventHandler(buildOutcomeNotifier(config, logger), logger));
};

export { OPS_NOTIFY_FUNCTION, registerOpsNotifyFunction };
