import { OperationFailedError, OperationPendingError } from '../errors';
import type { Clock } from '../time';

interface PollSettings {
  /** Pause between reads of the operation. */
  intervalMs: number;
  /**
   * How long one invocation waits before it gives the operation back (OPERATION_PENDING, retried:
   * the redelivery resumes polling from the recorded name). Keep it under the function timeout.
   */
  deadlineMs: number;
}

/** What every service's operation view shares, as far as waiting for it goes. */
interface PolledOperation {
  name: string;
  error?: { code: number | string; message: string } | undefined;
}

/**
 * Reads an operation until `isDone` says so. Done with an error is OPERATION_FAILED; still running
 * at the deadline is OPERATION_PENDING (retryable). The one polling loop of every service: GKE
 * (`status === 'DONE'`), Cloud SQL (`status === 'DONE'`), Filestore (google.longrunning `done`).
 */
const pollOperation = async <T extends PolledOperation>(
  read: () => Promise<T>,
  isDone: (op: T) => boolean,
  clock: Clock,
  settings: PollSettings,
  onProgress?: (op: T) => void,
): Promise<T> => {
  const deadline = clock.now().getTime() + settings.deadlineMs;
  for (;;) {
    const op = await read();
    onProgress?.(op);
    if (isDone(op)) {
      if (op.error)
        throw new OperationFailedError(op.name, op.error.message || `error code ${op.error.code}`);
      return op;
    }
    if (clock.now().getTime() >= deadline) throw new OperationPendingError(op.name);
    await clock.sleep(settings.intervalMs);
  }
};

export type { PolledOperation, PollSettings };
export { pollOperation };
