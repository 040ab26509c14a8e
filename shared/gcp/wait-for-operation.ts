import { OperationFailedError, OperationPendingError } from '../errors';
import type { Clock } from '../time';
import type { GkeApi, GkeOperationView } from './gke-api';

interface PollSettings {
  /** Pause between reads of the operation. */
  intervalMs: number;
  /**
   * How long one invocation waits before it gives the operation back (OPERATION_PENDING, retried:
   * the redelivery resumes polling from the recorded name). Keep it under the function timeout.
   */
  deadlineMs: number;
}

/** Polls a GKE operation until DONE; an operation that ended with an error is OPERATION_FAILED. */
const waitForGkeOperation = async (
  gke: Pick<GkeApi, 'getOperation'>,
  pollPath: string,
  clock: Clock,
  settings: PollSettings,
  onProgress?: (op: GkeOperationView) => void,
): Promise<GkeOperationView> => {
  const deadline = clock.now().getTime() + settings.deadlineMs;
  for (;;) {
    const op = await gke.getOperation(pollPath);
    onProgress?.(op);
    if (op.status === 'DONE') {
      if (op.error)
        throw new OperationFailedError(op.name, op.error.message || `error code ${op.error.code}`);
      return op;
    }
    if (clock.now().getTime() >= deadline) throw new OperationPendingError(op.name);
    await clock.sleep(settings.intervalMs);
  }
};

export type { PollSettings };
export { waitForGkeOperation };
