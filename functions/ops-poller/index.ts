import { http } from '@google-cloud/functions-framework';
import { loadConfig } from '../../shared/config';
import { toControlPlaneError } from '../../shared/errors';
import { createJsonLogger } from '../../shared/logging';
import { buildOperationsPoller } from '../../shared/runtime';

/** Name the function is registered (and deployed, `--entry-point`) under. */
const OPS_POLLER_FUNCTION = 'opsPoller';

/**
 * The operations poller: an HTTP function Cloud Scheduler calls every minute (locally, a timer of
 * the local stack). Wiring only; the work is in `shared/runtime/operations-poller.ts`.
 */
const registerOpsPollerFunction = (env: Record<string, string | undefined> = process.env): void => {
  const config = loadConfig(env);
  const logger = createJsonLogger({
    minSeverity: config.LOG_LEVEL,
    labels: { function: OPS_POLLER_FUNCTION },
  });
  const poller = buildOperationsPoller(config, logger);
  http(OPS_POLLER_FUNCTION, async (_request, response) => {
    try {
      response.status(200).json(await poller.tick());
    } catch (thrown) {
      const error = toControlPlaneError(thrown);
      logger.error('poller tick failed', { error: error.toRecord() });
      response.status(500).json({ error: { code: error.code, message: error.message } });
    }
  });
};

export { OPS_POLLER_FUNCTION, registerOpsPollerFunction };
