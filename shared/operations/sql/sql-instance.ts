import type { PlatformState } from '../../desired-state';
import {
  NotFoundError,
  OperationFailedError,
  OperationPendingError,
  PolicyViolationError,
  VerificationFailedError,
} from '../../errors';
import type { SqlApi, SqlBackupRunView, SqlInstanceRef, SqlInstanceView, SqlOperationView } from '../../gcp';
import type { OperationDeps } from '../operation';
import { runSqlStep } from '../steps';

/**
 * Helpers the Cloud SQL operations (backup, restore, clone, backups prune) share: which instances
 * opsplane may touch, their lease key, and the one resumable on-demand backup step that both
 * `sql.backup` and the safety backup of `sql.restore` run.
 */

/** One day in ms: retention and recovery windows are counted in days. */
const DAY_MS = 24 * 60 * 60 * 1000;

/** The instance a command names, in the platform's project. */
const sqlInstanceRef = (platform: PlatformState, instance: string): SqlInstanceRef => ({
  projectId: platform.projectId,
  instance,
});

/** The lease key of a Cloud SQL instance: operations on one instance never overlap. */
const sqlInstanceResource = (platform: PlatformState, instance: string): string =>
  `sql/${platform.projectId}/${instance}`;

/**
 * Refuses an instance desired state does not list: opsplane only operates the databases the
 * platform owns, never one a command merely names.
 *
 * @param role - what the instance is to the command, for the message (e.g. `backup source`).
 */
const requireManagedInstance = (platform: PlatformState, instance: string, role = 'instance'): void => {
  if (platform.sql.instances.includes(instance)) return;
  throw new PolicyViolationError(
    `Cloud SQL ${role} ${instance} is not managed by opsplane (platform.sql.instances: ${
      platform.sql.instances.join(', ') || 'none'
    })`,
    { instance, managed: platform.sql.instances },
  );
};

/** `MYSQL_8_0_31` → `MYSQL_8_0`: a backup restores into the same major version only. */
const majorVersion = (databaseVersion: string): string =>
  databaseVersion.replace(/^(MYSQL_\d+_\d+)_\d+$/, '$1');

/** What clients (the Cloud SQL proxy's `-instances=`) name an instance by: `project:region:instance`. */
const connectionName = (projectId: string, region: string, instance: string): string =>
  `${projectId}:${region}:${instance}`;

/** When a backup run happened, for ages and ordering: its end, else its start, else its enqueue time. */
const backupRunTime = (run: SqlBackupRunView): string | undefined =>
  run.endTime ?? run.startTime ?? run.enqueuedTime;

/** `getInstance`, with a missing instance as `undefined` rather than an error. */
const findInstance = async (
  sql: Pick<SqlApi, 'getInstance'>,
  ref: SqlInstanceRef,
): Promise<SqlInstanceView | undefined> => {
  try {
    return await sql.getInstance(ref);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
};

/**
 * The description of an on-demand backup a command takes: the caller's text (or `opsplane`) with
 * the operation id, so that a re-run after a crash finds the backup its earlier attempt started.
 */
const backupDescriptionFor = (description: string | undefined, operationId: string): string =>
  description ? `${description} (opsplane ${operationId})` : `opsplane ${operationId}`;

/** What {@link runOnDemandBackup} records under its step once the backup is done. */
interface OnDemandBackupFacts {
  backupRunId: string;
  /** The BACKUP_VOLUME operation, when it was found (absent only if Cloud SQL no longer lists it). */
  operation?: string;
  /** When Cloud SQL accepted the backup: later operations on the instance are newer than this. */
  startedAt: string;
}

const factsOf = (recorded: Record<string, unknown>): OnDemandBackupFacts => ({
  backupRunId: String(recorded.backupRunId),
  ...(typeof recorded.operation === 'string' ? { operation: recorded.operation } : {}),
  startedAt: String(recorded.startedAt),
});

/** A finished run found without its operation: its status is the step's outcome. */
const outcomeOfRun = (step: string, run: SqlBackupRunView): OnDemandBackupFacts => {
  if (run.status === 'FAILED') {
    throw new OperationFailedError(`backup run ${run.id}`, run.errorMessage ?? 'the backup run FAILED');
  }
  if (run.status !== 'SUCCESSFUL') {
    // Still running, yet its operation is not listed: look again on the next poll.
    throw new OperationPendingError(`backup run ${run.id}`, {
      message: `${step}: backup run ${run.id} is ${run.status}; will look again`,
    });
  }
  return { backupRunId: run.id, startedAt: run.enqueuedTime ?? run.startTime ?? '' };
};

/**
 * Takes one on-demand backup as a resumable step, exactly once however often apply runs:
 * - done before (step facts recorded): returns those facts, no call;
 * - its operation recorded: resumes polling it (runSqlStep);
 * - otherwise it first looks for a run carrying `description` (which holds the operation id): an
 *   earlier attempt that crashed after `startBackup` returned but before the operation was
 *   recorded left one. Its BACKUP_VOLUME operation (found by backup run id in the instance's
 *   operations) is adopted and polled instead of starting a second backup; if Cloud SQL no longer
 *   lists the operation, the run's own status is the outcome;
 * - none found: starts the backup.
 * Done, it records `{backupRunId, operation, startedAt}` under `step`.
 */
const runOnDemandBackup = async (
  step: string,
  deps: OperationDeps,
  ref: SqlInstanceRef,
  description: string,
): Promise<OnDemandBackupFacts> => {
  const done = deps.progress.step(step);
  if (done) return factsOf(done);
  let adopted: SqlOperationView | undefined;
  if (!deps.progress.googleOperation(step)) {
    const runs = await deps.sql.listBackupRuns(ref);
    const own = runs.find((run) => run.type === 'ON_DEMAND' && run.description === description);
    if (own) {
      const operations = await deps.sql.listOperations(ref);
      adopted = operations.find((op) => op.operationType === 'BACKUP_VOLUME' && op.backupRunId === own.id);
      if (!adopted) {
        const facts = outcomeOfRun(step, own);
        await deps.progress.recordStep(step, { ...facts });
        return facts;
      }
      deps.logger.info('adopting the backup an earlier attempt started', {
        step,
        backupRunId: own.id,
        operation: adopted.name,
      });
    }
  }
  const op = await runSqlStep(
    step,
    deps,
    ref.projectId,
    async () => adopted ?? (await deps.sql.startBackup(ref, description)),
  );
  let backupRunId = op.backupRunId;
  if (!backupRunId) {
    // Cloud SQL names the run in backupContext; without it, the description still does.
    const runs = await deps.sql.listBackupRuns(ref);
    backupRunId = runs.find((run) => run.type === 'ON_DEMAND' && run.description === description)?.id;
  }
  if (!backupRunId) {
    throw new VerificationFailedError(
      `backup operation ${op.name} on ${ref.instance} finished but no backup run "${description}" exists`,
      { operation: op.name },
    );
  }
  const facts: OnDemandBackupFacts = {
    backupRunId,
    operation: op.name,
    startedAt: op.insertTime ?? deps.clock.now().toISOString(),
  };
  await deps.progress.recordStep(step, { ...facts });
  return facts;
};

/** The facts of a finished on-demand backup step, for verify. */
const recordedBackup = (deps: Pick<OperationDeps, 'progress'>, step: string): OnDemandBackupFacts => {
  const recorded = deps.progress.step(step);
  if (!recorded) {
    throw new VerificationFailedError(`no backup was recorded for step ${step}: apply did not finish it`);
  }
  return factsOf(recorded);
};

/**
 * Proves an on-demand backup run is complete: SUCCESSFUL, ON_DEMAND and with an end time
 * (ops-catalog §4.1 "Verify"). Returns the run read back.
 */
const verifyOnDemandBackup = async (
  sql: Pick<SqlApi, 'getBackupRun'>,
  ref: SqlInstanceRef,
  backupRunId: string,
): Promise<SqlBackupRunView> => {
  const run = await sql.getBackupRun(ref, backupRunId);
  if (run.status !== 'SUCCESSFUL' || run.type !== 'ON_DEMAND' || !run.endTime) {
    throw new VerificationFailedError(
      `backup run ${backupRunId} of ${ref.instance} is ${run.status} (${run.type}${
        run.endTime ? '' : ', no endTime'
      }), not a finished SUCCESSFUL on-demand backup`,
      {
        backupRunId,
        status: run.status,
        type: run.type,
        ...(run.errorMessage ? { error: run.errorMessage } : {}),
      },
    );
  }
  return run;
};

export type { OnDemandBackupFacts };
export {
  backupDescriptionFor,
  backupRunTime,
  connectionName,
  DAY_MS,
  findInstance,
  majorVersion,
  recordedBackup,
  requireManagedInstance,
  runOnDemandBackup,
  sqlInstanceRef,
  sqlInstanceResource,
  verifyOnDemandBackup,
};
