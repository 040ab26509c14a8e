import { PolicyViolationError, VerificationFailedError } from '../../errors';
import type { SqlBackupRunView, SqlInstanceRef, SqlInstanceView, SqlOperationView } from '../../gcp';
import type { BasePlan, OperationModule } from '../operation';
import { runSqlStep } from '../steps';
import {
  majorVersion,
  recordedBackup,
  requireManagedInstance,
  runOnDemandBackup,
  sqlInstanceRef,
  sqlInstanceResource,
  verifyOnDemandBackup,
} from './sql-instance';

/**
 * `sql.restore`: restore a backup run into an instance, overwriting its data (ops-catalog §4.2).
 * A3: the command processor holds it for a human approval first and re-plans before applying, so
 * the plan holds only facts that stay put while the approver looks (no clock, no running
 * operations). Apply takes a safety on-demand backup of the target, then restores.
 */

/** What `sql.restore` plans from. */
interface SqlRestoreObserved {
  target: SqlInstanceView;
  /** The instance the backup belongs to (the target itself for an in-place restore). */
  source: SqlInstanceView;
  backup: SqlBackupRunView;
}

/** The plan of `sql.restore`. */
interface SqlRestorePlan extends BasePlan {
  ref: SqlInstanceRef;
  /** Instance the backup run belongs to; equal to `ref.instance` for an in-place restore. */
  sourceInstance: string;
  backupRunId: string;
  /** When the backup was taken (its end time): the point in time the target goes back to. */
  backupTime: string | null;
  /** The description the safety backup gets, before the operation id: `pre-restore <operationId>`. */
  safetyBackupPrefix: string;
}

/** Apply steps: the safety backup of the target, then the restore itself. */
const SAFETY_BACKUP_STEP = 'safetyBackup';
const RESTORE_STEP = 'restore';
const SAFETY_BACKUP_PREFIX = 'pre-restore';

/** The restore a crashed attempt started after its safety backup, if Cloud SQL lists one. */
const restoreStartedSince = (operations: SqlOperationView[], since: string): SqlOperationView | undefined =>
  // Newest first: the first match is the latest restore. The lease on the target and Cloud SQL's
  // one-operation-at-a-time rule mean a restore started after our safety backup is ours.
  operations.find(
    (op) =>
      op.operationType === 'RESTORE_VOLUME' &&
      op.insertTime !== undefined &&
      Date.parse(op.insertTime) >= Date.parse(since),
  );

/** The `sql.restore` operation module (A3, in place, after a safety backup): see the module comment. */
const sqlRestore: OperationModule<'sql.restore', SqlRestoreObserved, SqlRestorePlan> = {
  type: 'sql.restore',

  resource: (args, platform) => sqlInstanceResource(platform, args.instance),

  async observe(args, platform, deps) {
    const sourceInstance = args.sourceInstance ?? args.instance;
    requireManagedInstance(platform, args.instance, 'restore target');
    requireManagedInstance(platform, sourceInstance, 'backup source');
    const targetRef = sqlInstanceRef(platform, args.instance);
    const sourceRef = sqlInstanceRef(platform, sourceInstance);
    const target = await deps.sql.getInstance(targetRef);
    const source = sourceInstance === args.instance ? target : await deps.sql.getInstance(sourceRef);
    // A missing run is NOT_FOUND naming the run and the instance (the adapter's message).
    const backup = await deps.sql.getBackupRun(sourceRef, args.backupId);
    return { target, source, backup };
  },

  plan(platform, observed, args) {
    const sourceInstance = args.sourceInstance ?? args.instance;
    requireManagedInstance(platform, args.instance, 'restore target');
    requireManagedInstance(platform, sourceInstance, 'backup source');
    const { target, source, backup } = observed;
    if (backup.status !== 'SUCCESSFUL') {
      throw new PolicyViolationError(
        `backup run ${args.backupId} of ${sourceInstance} is ${backup.status}; only a SUCCESSFUL backup can be restored`,
        { backupRunId: args.backupId, status: backup.status },
      );
    }
    if (majorVersion(source.databaseVersion) !== majorVersion(target.databaseVersion)) {
      throw new PolicyViolationError(
        `backup run ${args.backupId} is of ${sourceInstance} (${source.databaseVersion}) but ${args.instance} runs ${target.databaseVersion}; a restore needs the same major version`,
        { sourceVersion: source.databaseVersion, targetVersion: target.databaseVersion },
      );
    }
    if (target.state !== 'RUNNABLE') {
      throw new PolicyViolationError(
        `Cloud SQL instance ${args.instance} is ${target.state}; a restore needs it RUNNABLE`,
        { state: target.state },
      );
    }
    const backupTime = backup.endTime ?? null;
    const from = `backup run ${backup.id} of ${sourceInstance}${backupTime ? ` (taken ${backupTime})` : ''}`;
    const warnings = [
      `ALL data in ${args.instance} is overwritten with ${from}; everything written since is lost (except in the safety backup taken first)`,
      `${args.instance} restarts during the restore: clients lose their connections until it is RUNNABLE again`,
      'quiesce the writers first (KFP: ml-pipeline, metadata-grpc-deployment, cache-server; Metaflow: metadata-service, metaflow-ui-backend) and expect orphaned artifacts referenced after the backup time',
    ];
    if (sourceInstance !== args.instance) {
      warnings.push(
        `the backup comes from another instance (${sourceInstance}); ${args.instance} takes its data`,
      );
    }
    return {
      summary: `${args.instance}: restore ${from} in place (overwrites the instance's data, restarts it), after a safety backup`,
      changes: [
        {
          resource: `sql/${args.instance}/backupRuns`,
          field: 'safety backup (ON_DEMAND)',
          from: null,
          to: `${SAFETY_BACKUP_PREFIX} <operation id>`,
        },
        {
          resource: `sql/${args.instance}`,
          field: 'data',
          from: 'current data',
          to: from,
        },
      ],
      warnings,
      noop: false,
      ref: sqlInstanceRef(platform, args.instance),
      sourceInstance,
      backupRunId: backup.id,
      backupTime,
      safetyBackupPrefix: SAFETY_BACKUP_PREFIX,
    };
  },

  async apply(plan, deps) {
    // 1. The safety backup: the data about to be overwritten, recoverable (and pinned by "pre-").
    const safety = await runOnDemandBackup(
      SAFETY_BACKUP_STEP,
      deps,
      plan.ref,
      `${plan.safetyBackupPrefix} ${deps.operationId}`,
    );
    // 2. The restore. Not recorded yet: an earlier attempt may have started it and crashed before
    //    recording it; Cloud SQL lists it (running or DONE) after the safety backup, so adopt it.
    let adopted: SqlOperationView | undefined;
    if (!deps.progress.googleOperation(RESTORE_STEP)) {
      adopted = restoreStartedSince(await deps.sql.listOperations(plan.ref), safety.startedAt);
      if (adopted) {
        deps.logger.info('adopting the restore an earlier attempt started', { operation: adopted.name });
      }
    }
    await runSqlStep(
      RESTORE_STEP,
      deps,
      plan.ref.projectId,
      async () =>
        adopted ??
        (await deps.sql.startRestore(plan.ref, {
          backupRunId: plan.backupRunId,
          ...(plan.sourceInstance === plan.ref.instance ? {} : { sourceInstance: plan.sourceInstance }),
        })),
    );
  },

  async verify(plan, deps) {
    const recorded = deps.progress.googleOperation(RESTORE_STEP);
    if (!recorded)
      throw new VerificationFailedError(`no restore operation was recorded for ${plan.ref.instance}`);
    const op = await deps.sql.getOperation(plan.ref.projectId, recorded.pollPath);
    if (op.status !== 'DONE' || op.error) {
      throw new VerificationFailedError(
        `restore operation ${op.name} on ${plan.ref.instance} is ${op.status}${op.error ? ` with error ${op.error.message}` : ''}`,
        { operation: op.name, status: op.status },
      );
    }
    const instance = await deps.sql.getInstance(plan.ref);
    if (instance.state !== 'RUNNABLE') {
      throw new VerificationFailedError(
        `${plan.ref.instance} is ${instance.state} after the restore, not RUNNABLE`,
        { state: instance.state },
      );
    }
    const safety = recordedBackup(deps, SAFETY_BACKUP_STEP);
    const safetyRun = await verifyOnDemandBackup(deps.sql, plan.ref, safety.backupRunId);
    return {
      instance: plan.ref.instance,
      restoredBackup: {
        instance: plan.sourceInstance,
        backupRunId: plan.backupRunId,
        takenAt: plan.backupTime,
      },
      safetyBackupRunId: safetyRun.id,
      safetyBackupDescription: safetyRun.description ?? null,
      operation: op.name,
      state: { before: 'RUNNABLE', after: instance.state },
    };
  },
};

export type { SqlRestoreObserved, SqlRestorePlan };
export { sqlRestore };
