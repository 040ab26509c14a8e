import { toControlPlaneError } from '../errors';
import type { OperationLedger } from '../ledger';
import type { Logger } from '../logging';
import type { Clock } from '../time';
import type { OperationResumer } from './command-processor';

interface PollerTickResult {
  /** Operations whose command was republished. */
  resumed: string[];
  /** Operations that could not be resumed this tick (tried again next tick). */
  failed: string[];
}

interface OperationsPoller {
  tick(): Promise<PollerTickResult>;
}

/**
 * The operations poller: on each tick (Cloud Scheduler, every minute; a timer under `npm start`)
 * it finds parked operations whose time has come — a Google operation to look at again, a grace
 * period over, an approval granted — and puts each back on the command path. Functions never wait
 * out a long operation; this is what carries it on.
 */
const createOperationsPoller = (deps: {
  ledger: Pick<OperationLedger, 'listDue'>;
  resumer: OperationResumer;
  clock: Clock;
  logger: Logger;
  batchSize?: number;
}): OperationsPoller => ({
  async tick() {
    const due = await deps.ledger.listDue(deps.clock.now(), deps.batchSize ?? 100);
    const resumed: string[] = [];
    const failed: string[] = [];
    for (const record of due) {
      try {
        await deps.resumer.resume(record);
        resumed.push(record.id);
      } catch (thrown) {
        failed.push(record.id);
        deps.logger.warn('could not resume a parked operation', {
          operationId: record.id,
          error: toControlPlaneError(thrown).toRecord(),
        });
      }
    }
    if (due.length > 0) deps.logger.info('resumed parked operations', { resumed, failed });
    return { resumed, failed };
  },
});

export type { OperationsPoller, PollerTickResult };
export { createOperationsPoller };
