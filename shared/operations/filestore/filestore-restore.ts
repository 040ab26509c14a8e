import type { PlatformState } from '../../desired-state';
import { NotFoundError, PolicyViolationError, VerificationFailedError } from '../../errors';
import {
  type FilestoreApi,
  type FilestoreBackupRef,
  type FilestoreBackupView,
  type FilestoreInstanceRef,
  type FilestoreInstanceView,
  type FilestoreOperationView,
  filestoreBackupPath,
} from '../../gcp';
import type { BasePlan, OperationModule, PlanChange } from '../operation';
import {
  assertCanCreateBackup,
  dayStamp,
  deterministicFilestoreId,
  ensureBackup,
  ensureRestore,
  type FilestoreTarget,
  filestoreIdPrefix,
  filestoreInstanceKey,
  filestoreInstanceLease,
  filestoreShareOf,
  filestoreTarget,
  operationLabels,
  sameFilestoreResource,
} from './filestore-instance';

/**
 * `filestore.restore` (ops-catalog §5.3, A3: the runtime waits for an approval first): restores a
 * backup onto the instance's own file share, in place, overwriting it. Basic tiers only (the
 * others restore into a new instance, which this command does not do). A safety backup of the
 * share as it is comes first, so the overwritten data can be brought back.
 */

/** What the restore plan is made from. */
interface FilestoreRestoreObserved {
  /** ISO time of the observation (the rate limit, the safety backup id's date). */
  now: string;
  instance: FilestoreInstanceView;
  /** The backup the command names, read back. */
  backup: FilestoreBackupView;
  /** Every backup in the instance's region: one of this instance's being made holds up the restore. */
  backups: FilestoreBackupView[];
  /** The operations in the instance's location (its earlier restores are among them). */
  operations: FilestoreOperationView[];
}

/** The restore; plain data (stored in the ledger, attached to the approval). */
interface FilestoreRestorePlan extends BasePlan {
  instance: FilestoreInstanceRef;
  /** The instance's region: where the safety backup goes. */
  region: string;
  share: string;
  shareCapacityGb: number;
  /** The backup restored from, with its full name as Google returned it. */
  backup: {
    name: string;
    createTime: string;
    capacityGb: number;
    sourceInstance: string;
    sourceFileShare: string;
  };
  /** The backup the share was last restored from before this, if any. */
  sourceBackupBefore: string | null;
  /** The safety backup id without the operation hash apply appends. */
  safetyBackupIdPrefix: string;
  /** The platform's backup labels (apply adds `opsplane-operation`). */
  safetyBackupLabels: Record<string, string>;
  /** When the plan was made (ISO): restores started before it are not this operation's. */
  plannedAt: string;
}

const FULL_BACKUP_NAME = /^projects\/([^/]+)\/locations\/([^/]+)\/backups\/([^/]+)$/;

/**
 * The backup a command names: a bare id is in the instance's region; a full name may be in any
 * region of this project (backups are globally addressable) but never of another project
 * (Filestore does not share backups across projects).
 */
const restoreSourceRef = (
  platform: PlatformState,
  target: FilestoreTarget,
  backup: string,
): FilestoreBackupRef => {
  const full = FULL_BACKUP_NAME.exec(backup);
  if (!full) return { projectId: target.ref.projectId, location: target.region, backup };
  const [, project, location, id] = full as unknown as [string, string, string, string];
  if (project !== platform.projectId && project !== platform.projectNumber) {
    throw new PolicyViolationError(
      `backup ${backup} belongs to project ${project}: Filestore backups cannot be restored across projects (this platform is ${platform.projectId})`,
      { backup, project },
    );
  }
  return { projectId: platform.projectId, location, backup: id };
};

/** The backup, or NOT_FOUND naming where it was looked for. */
const readSourceBackup = async (
  api: Pick<FilestoreApi, 'getBackup'>,
  ref: FilestoreBackupRef,
): Promise<FilestoreBackupView> => {
  try {
    return await api.getBackup(ref);
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new NotFoundError(
        `backup ${ref.backup} not found in ${ref.location} (${filestoreBackupPath(ref)}); give its full name if it is in another region`,
        { cause: error },
      );
    }
    throw error;
  }
};

/** The id of this operation's safety backup. */
const safetyBackupIdOf = (plan: FilestoreRestorePlan, operationId: string): string =>
  deterministicFilestoreId(plan.safetyBackupIdPrefix, operationId);

/** The `filestore.restore` module: safety backup, then the in-place restore exactly once, then prove the share restored. */
const filestoreRestore: OperationModule<'filestore.restore', FilestoreRestoreObserved, FilestoreRestorePlan> =
  {
    type: 'filestore.restore',
    ...filestoreInstanceLease,

    async observe(args, platform, deps) {
      const target = filestoreTarget(platform, args.instance);
      const backupRef = restoreSourceRef(platform, target, args.backup);
      const [instance, backup, backups, operations] = await Promise.all([
        deps.filestore.getInstance(target.ref),
        readSourceBackup(deps.filestore, backupRef),
        deps.filestore.listBackups(target.ref.projectId, target.region),
        deps.filestore.listOperations(target.ref.projectId, target.ref.location),
      ]);
      return { now: deps.clock.now().toISOString(), instance, backup, backups, operations };
    },

    plan(platform, observed, args) {
      const target = filestoreTarget(platform, args.instance);
      const name = target.ref.instance;
      restoreSourceRef(platform, target, args.backup);
      const { instance, backup } = observed;
      const share = filestoreShareOf(target, instance, args.share);
      if (!instance.supportsInPlaceRestore) {
        throw new PolicyViolationError(
          `${name} is a ${instance.tier} instance: restoring a backup onto an existing share is for Basic tiers (BASIC_HDD, BASIC_SSD) only; other tiers restore into a new instance, which filestore.restore does not do`,
          { instance: name, tier: instance.tier },
        );
      }
      if (backup.state !== 'READY') {
        throw new PolicyViolationError(
          `backup ${backup.id} is ${backup.state}: only a READY backup can be restored`,
          {
            backup: backup.name,
            state: backup.state,
          },
        );
      }
      if (backup.capacityGb > share.capacityGb) {
        throw new PolicyViolationError(
          `backup ${backup.id} holds a ${backup.capacityGb} GB share; ${name}/${share.name} has only ${share.capacityGb} GB (it needs at least the backup's capacity)`,
          { backupCapacityGb: backup.capacityGb, shareCapacityGb: share.capacityGb },
        );
      }
      // The safety backup is a backup creation: the same checks as filestore.backup's apply.
      assertCanCreateBackup({ ...observed, instance }, target, 'restore');

      const warnings = [
        `overwrites every file on ${name}/${share.name} with the contents of backup ${backup.id} (taken ${backup.createTime}); a safety backup of the share as it is now is taken first`,
        'NFS clients must be quiesced first: stop the notebooks and pipelines that mount the share; an in-place restore does not coordinate with them and they may hold stale file handles afterwards',
      ];
      if (backup.sourceInstanceKey !== filestoreInstanceKey(target.ref)) {
        warnings.push(
          `backup ${backup.id} was taken from another instance (${backup.sourceInstanceKey || 'unknown'}, share ${backup.sourceFileShare || 'unknown'}), not from ${name}`,
        );
      } else if (backup.sourceFileShare && backup.sourceFileShare !== share.name) {
        warnings.push(
          `backup ${backup.id} was taken from share ${backup.sourceFileShare}, not ${share.name}`,
        );
      }
      if (backup.sourceInstanceTier && backup.sourceInstanceTier !== instance.tier) {
        warnings.push(
          `backup ${backup.id} comes from a ${backup.sourceInstanceTier} instance; ${name} is ${instance.tier}`,
        );
      }
      const safetyBackupIdPrefix = filestoreIdPrefix(name, `pre-restore-${dayStamp(observed.now)}`);
      const sourceBackupBefore = share.sourceBackup ?? null;
      const changes: PlanChange[] = [
        {
          resource: `filestore/${target.region}/backups/${safetyBackupIdPrefix}-<operation>`,
          field: 'safety backup',
          from: null,
          to: { sourceInstance: name, sourceFileShare: share.name },
        },
        {
          resource: `filestore/${target.ref.location}/instances/${name}/${share.name}`,
          field: 'contents',
          from: sourceBackupBefore ? `restored from ${sourceBackupBefore}` : 'current data',
          to: `backup ${backup.name} (${backup.createTime})`,
        },
      ];
      return {
        summary: `${name}: restore share ${share.name} in place from backup ${backup.id} (${backup.createTime}), overwriting it`,
        changes,
        warnings,
        noop: false,
        instance: target.ref,
        region: target.region,
        share: share.name,
        shareCapacityGb: share.capacityGb,
        backup: {
          name: backup.name,
          createTime: backup.createTime,
          capacityGb: backup.capacityGb,
          sourceInstance: backup.sourceInstance,
          sourceFileShare: backup.sourceFileShare,
        },
        sourceBackupBefore,
        safetyBackupIdPrefix,
        safetyBackupLabels: { ...platform.filestore.backupLabels },
        plannedAt: observed.now,
      };
    },

    async apply(plan, deps) {
      const safety = await ensureBackup('safetyBackup', deps, plan.instance, {
        backupId: safetyBackupIdOf(plan, deps.operationId),
        location: plan.region,
        share: plan.share,
        description: `opsplane ${deps.operationId}: safety backup of ${plan.instance.instance}/${plan.share} before restoring ${plan.backup.name}`,
        labels: operationLabels(plan.safetyBackupLabels, deps.operationId),
      });
      // A restore of this instance that started after the safety backup is this operation's.
      await ensureRestore(
        'restore',
        deps,
        plan.instance,
        { share: plan.share, sourceBackup: plan.backup.name },
        safety.createTime || plan.plannedAt,
      );
    },

    async verify(plan, deps) {
      const [instance, safety] = await Promise.all([
        deps.filestore.getInstance(plan.instance),
        deps.filestore.getBackup({
          projectId: plan.instance.projectId,
          location: plan.region,
          backup: safetyBackupIdOf(plan, deps.operationId),
        }),
      ]);
      const share = instance.shares.find((candidate) => candidate.name === plan.share);
      const restored =
        share?.sourceBackup !== undefined && sameFilestoreResource(share.sourceBackup, plan.backup.name);
      if (instance.state !== 'READY' || !restored) {
        throw new VerificationFailedError(
          `${plan.instance.instance} is ${instance.state} with share ${plan.share} restored from ${share?.sourceBackup ?? 'nothing'}; expected READY, restored from ${plan.backup.name}`,
          { state: instance.state, sourceBackup: share?.sourceBackup ?? null },
        );
      }
      if (safety.state !== 'READY') {
        throw new VerificationFailedError(`safety backup ${safety.name} is ${safety.state}; expected READY`, {
          safetyBackup: safety.name,
          state: safety.state,
        });
      }
      return {
        instance: plan.instance.instance,
        share: plan.share,
        state: instance.state,
        restoredFrom: plan.backup.name,
        sourceBackup: { from: plan.sourceBackupBefore, to: share?.sourceBackup ?? null },
        safetyBackup: {
          name: safety.name,
          state: safety.state,
          createTime: safety.createTime,
          capacityGb: safety.capacityGb,
        },
      };
    },
  };

export type { FilestoreRestoreObserved, FilestoreRestorePlan };
export { filestoreRestore };
