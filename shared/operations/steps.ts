import { OperationPendingError } from '../errors';
import {
  type FilestoreOperationView,
  type GkeOperationView,
  type PolledOperation,
  pollOperation,
  type SqlOperationView,
} from '../gcp';
import type { OperationDeps } from './operation';

/**
 * Resumable steps every operation builds its apply from. Each records what it started in the
 * ledger before it waits, so that a crash or a parked wait resumes the same Google operation
 * instead of starting a second one.
 */

interface LongRunningStep<T extends PolledOperation> {
  /** Starts the Google operation; returns it with where to poll it. */
  start(): Promise<T & { pollPath: string; status?: string }>;
  /** Reads the operation at the recorded `pollPath`. */
  read(pollPath: string): Promise<T>;
  isDone(op: T): boolean;
}

/**
 * Runs one long-running mutation as a resumable step: if an earlier attempt already started it,
 * polls that operation instead of starting another; otherwise starts it, records its name, and
 * polls it. Still running after `polling.deadlineMs`: OperationPendingError (the operation is
 * parked and resumed by the poller).
 */
const runLongRunningStep = async <T extends PolledOperation>(
  step: string,
  deps: OperationDeps,
  how: LongRunningStep<T>,
): Promise<T> => {
  const recorded = deps.progress.googleOperation(step);
  let pollPath = recorded?.pollPath;
  if (!pollPath) {
    const op = await how.start();
    await deps.progress.recordGoogleOperation({
      step,
      name: op.name,
      pollPath: op.pollPath,
      ...(op.status ? { status: op.status } : {}),
    });
    pollPath = op.pollPath;
  }
  const path = pollPath;
  return pollOperation(
    () => how.read(path),
    how.isDone,
    deps.clock,
    deps.polling,
    (op) => deps.logger.debug('Google operation progress', { step, operation: op.name }),
  );
};

/** A GKE mutation (`google.container.v1.Operation`, DONE when finished). */
const runGkeStep = (
  step: string,
  deps: OperationDeps,
  start: () => Promise<GkeOperationView>,
): Promise<GkeOperationView> =>
  runLongRunningStep(step, deps, {
    start,
    read: (pollPath) => deps.gke.getOperation(pollPath),
    isDone: (op) => op.status === 'DONE',
  });

/** A Cloud SQL mutation (`sql#operation`, polled by project and name). */
const runSqlStep = (
  step: string,
  deps: OperationDeps,
  projectId: string,
  start: () => Promise<SqlOperationView>,
): Promise<SqlOperationView> =>
  runLongRunningStep(step, deps, {
    start: async () => {
      const op = await start();
      return { ...op, pollPath: op.name };
    },
    read: (name) => deps.sql.getOperation(projectId, name),
    isDone: (op) => op.status === 'DONE',
  });

/** A Filestore mutation (`google.longrunning.Operation`, polled by its full name). */
const runFilestoreStep = (
  step: string,
  deps: OperationDeps,
  start: () => Promise<FilestoreOperationView>,
): Promise<FilestoreOperationView> =>
  runLongRunningStep(step, deps, {
    start: async () => {
      const op = await start();
      return { ...op, pollPath: op.name, status: op.done ? 'DONE' : 'RUNNING' };
    },
    read: (name) => deps.filestore.getOperation(name),
    isDone: (op) => op.done,
  });

/**
 * Waits until `until` without holding a function: before it, throws OperationPendingError with
 * `resumeAt`, and the poller resumes the operation then (e.g. a key rotation's grace period).
 */
const waitUntil = (deps: Pick<OperationDeps, 'clock'>, step: string, until: Date, why: string): void => {
  if (deps.clock.now().getTime() < until.getTime()) {
    throw new OperationPendingError(step, {
      resumeAt: until,
      message: `${why}; resumes at ${until.toISOString()}`,
    });
  }
};

export type { LongRunningStep };
export { runFilestoreStep, runGkeStep, runLongRunningStep, runSqlStep, waitUntil };
