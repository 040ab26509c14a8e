import { PolicyViolationError } from '../../errors';
import type { SqlInstanceRef, SqlInstanceView, SqlOperationView } from '../../gcp';
import type { BasePlan, OperationModule } from '../operation';
import {
  backupDescriptionFor,
  recordedBackup,
  requireManagedInstance,
  runOnDemandBackup,
  sqlInstanceRef,
  sqlInstanceResource,
  verifyOnDemandBackup,
} from './sql-instance';

/**
 * `sql.backup`: one on-demand Cloud SQL backup (ops-catalog §4.1): `backupRuns.insert`, poll the
 * BACKUP_VOLUME operation, read the run back. The run's description carries the operation id, so a
 * re-run after a crash adopts the backup its earlier attempt started instead of taking a second.
 */

/** What `sql.backup` plans from: the instance and what is running on it. */
interface SqlBackupObserved {
  instance: SqlInstanceView;
  /** Operations not DONE on the instance: Cloud SQL refuses a backup until they finish. */
  running: SqlOperationView[];
}

/** The plan of `sql.backup`. */
interface SqlBackupPlan extends BasePlan {
  ref: SqlInstanceRef;
  /** The caller's description; apply appends the operation id (see `backupDescriptionFor`). */
  description: string | null;
}

/** The apply step (and its recorded facts) of the backup. */
const BACKUP_STEP = 'backup';

/** The `sql.backup` operation module (A1): see the module comment above. */
const sqlBackup: OperationModule<'sql.backup', SqlBackupObserved, SqlBackupPlan> = {
  type: 'sql.backup',

  resource: (args, platform) => sqlInstanceResource(platform, args.instance),

  async observe(args, platform, deps) {
    requireManagedInstance(platform, args.instance);
    const ref = sqlInstanceRef(platform, args.instance);
    const instance = await deps.sql.getInstance(ref);
    const running = await deps.sql.listRunningOperations(ref);
    return { instance, running };
  },

  plan(platform, observed, args) {
    requireManagedInstance(platform, args.instance);
    const { instance } = observed;
    // A stopped instance cannot be backed up (ops-catalog §4.1).
    if (instance.state !== 'RUNNABLE' || instance.activationPolicy !== 'ALWAYS') {
      throw new PolicyViolationError(
        `Cloud SQL instance ${args.instance} cannot be backed up: it is ${instance.state} with activationPolicy ${instance.activationPolicy} (needs RUNNABLE and ALWAYS)`,
        { state: instance.state, activationPolicy: instance.activationPolicy },
      );
    }
    const description = args.description ?? null;
    const warnings = observed.running.map(
      (op) =>
        `${op.operationType} operation ${op.name} is ${op.status} on the instance: Cloud SQL refuses the backup until it finishes, and the command retries`,
    );
    return {
      summary: `${args.instance}: take an on-demand backup${description ? ` "${description}"` : ''}`,
      changes: [
        {
          resource: `sql/${args.instance}`,
          field: 'backupRuns (ON_DEMAND)',
          from: null,
          to: description ?? 'opsplane <operation id>',
        },
      ],
      warnings,
      noop: false,
      ref: sqlInstanceRef(platform, args.instance),
      description,
    };
  },

  async apply(plan, deps) {
    await runOnDemandBackup(
      BACKUP_STEP,
      deps,
      plan.ref,
      backupDescriptionFor(plan.description ?? undefined, deps.operationId),
    );
  },

  async verify(plan, deps) {
    const { backupRunId } = recordedBackup(deps, BACKUP_STEP);
    const run = await verifyOnDemandBackup(deps.sql, plan.ref, backupRunId);
    return {
      instance: plan.ref.instance,
      backupRunId: run.id,
      description: run.description ?? null,
      status: run.status,
      type: run.type,
      startTime: run.startTime ?? null,
      endTime: run.endTime ?? null,
    };
  },
};

export type { SqlBackupObserved, SqlBackupPlan };
export { sqlBackup };
