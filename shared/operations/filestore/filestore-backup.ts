import { VerificationFailedError } from '../../errors';
import type {
  FilestoreBackupView,
  FilestoreInstanceRef,
  FilestoreInstanceView,
  FilestoreOperationView,
} from '../../gcp';
import type { BasePlan, OperationModule } from '../operation';
import {
  assertCanCreateBackup,
  dayStamp,
  deterministicFilestoreId,
  ensureBackup,
  filestoreIdPrefix,
  filestoreInstanceLease,
  filestoreShareOf,
  filestoreTarget,
  isBasicTier,
  operationLabels,
} from './filestore-instance';

/**
 * `filestore.backup` (ops-catalog §5.1, A1): an on-demand backup of an instance's file share into
 * the instance's region, with a deterministic backup id so that a retried or resumed attempt never
 * makes a second one.
 */

/** What the backup plan is made from: the instance, the backups of its region, its restores, and the time. */
interface FilestoreBackupObserved {
  /** ISO time of the observation: the rate limit and the backup id's date are computed from it. */
  now: string;
  instance: FilestoreInstanceView;
  /** Every backup in the instance's region (the plan picks this instance's). */
  backups: FilestoreBackupView[];
  /** The operations in the instance's location (its restores are among them). */
  operations: FilestoreOperationView[];
}

/** The backup to take; plain data (stored in the ledger). */
interface FilestoreBackupPlan extends BasePlan {
  instance: FilestoreInstanceRef;
  /** The backup's region: the instance's. */
  region: string;
  share: string;
  capacityGb: number;
  /** The backup id without the operation hash apply appends: `<instance>-<yyyymmdd>`. */
  backupIdPrefix: string;
  /** The platform's backup labels (apply adds `opsplane-operation`). */
  labels: Record<string, string>;
  /** The newest READY backup of the instance before this one, if any. */
  previousBackup: { name: string; createTime: string } | null;
}

/** The id this operation's backup gets. */
const backupIdOf = (plan: FilestoreBackupPlan, operationId: string): string =>
  deterministicFilestoreId(plan.backupIdPrefix, operationId);

/** The `filestore.backup` module: plan the backup, create it exactly once, prove it READY. */
const filestoreBackup: OperationModule<'filestore.backup', FilestoreBackupObserved, FilestoreBackupPlan> = {
  type: 'filestore.backup',
  ...filestoreInstanceLease,

  async observe(args, platform, deps) {
    const target = filestoreTarget(platform, args.instance);
    const [instance, backups, operations] = await Promise.all([
      deps.filestore.getInstance(target.ref),
      deps.filestore.listBackups(target.ref.projectId, target.region),
      deps.filestore.listOperations(target.ref.projectId, target.ref.location),
    ]);
    return { now: deps.clock.now().toISOString(), instance, backups, operations };
  },

  plan(platform, observed, args) {
    const target = filestoreTarget(platform, args.instance);
    const name = target.ref.instance;
    const share = filestoreShareOf(target, observed.instance, args.share);
    const backups = assertCanCreateBackup(observed, target, 'back up');
    const previous = backups.find((backup) => backup.state === 'READY');
    const backupIdPrefix = filestoreIdPrefix(name, dayStamp(observed.now));
    const labels = { ...platform.filestore.backupLabels };
    return {
      summary: `${name}: back up share ${share.name} (${share.capacityGb} GB) to a new backup in ${target.region}`,
      changes: [
        {
          resource: `filestore/${target.region}/backups/${backupIdPrefix}-<operation>`,
          field: 'backup',
          from: null,
          to: { sourceInstance: name, sourceFileShare: share.name, labels },
        },
      ],
      warnings: isBasicTier(observed.instance.tier)
        ? []
        : [
            `${observed.instance.tier} instance: performance may drop by up to about 15% while the backup uploads`,
          ],
      noop: false,
      instance: target.ref,
      region: target.region,
      share: share.name,
      capacityGb: share.capacityGb,
      backupIdPrefix,
      labels,
      previousBackup: previous ? { name: previous.name, createTime: previous.createTime } : null,
    };
  },

  async apply(plan, deps) {
    const backupId = backupIdOf(plan, deps.operationId);
    await ensureBackup('backup', deps, plan.instance, {
      backupId,
      location: plan.region,
      share: plan.share,
      description: `opsplane ${deps.operationId}: on-demand backup of ${plan.instance.instance}/${plan.share}`,
      labels: operationLabels(plan.labels, deps.operationId),
    });
  },

  async verify(plan, deps) {
    const backupId = backupIdOf(plan, deps.operationId);
    const backup = await deps.filestore.getBackup({
      projectId: plan.instance.projectId,
      location: plan.region,
      backup: backupId,
    });
    if (backup.state !== 'READY' || backup.capacityGb <= 0) {
      throw new VerificationFailedError(
        `backup ${backup.name} is ${backup.state} with ${backup.capacityGb} GB; expected READY with its capacity set`,
        { state: backup.state, capacityGb: backup.capacityGb },
      );
    }
    return {
      instance: plan.instance.instance,
      share: plan.share,
      backup: backup.name,
      backupId: backup.id,
      state: backup.state,
      createTime: backup.createTime,
      capacityGb: backup.capacityGb,
      storageBytes: backup.storageBytes,
      labels: backup.labels,
      newestBackup: { from: plan.previousBackup?.name ?? null, to: backup.name },
    };
  },
};

export type { FilestoreBackupObserved, FilestoreBackupPlan };
export { filestoreBackup };
