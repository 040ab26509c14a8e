import type { PlatformState } from '../../desired-state';
import { ResourceBusyError, VerificationFailedError } from '../../errors';
import type { FilestoreBackupView, FilestoreInstanceRef, FilestoreInstanceView } from '../../gcp';
import type { BasePlan, OperationModule } from '../operation';
import {
  backupsOfInstance,
  ensureBackupDeleted,
  filestoreInstanceLease,
  filestoreTarget,
} from './filestore-instance';

/**
 * `filestore.backups.prune` (ops-catalog §6, A2 under the retention policy): deletes the backups
 * of one instance that `platform.filestore.retention` does not keep, one at a time (Filestore
 * deletes one backup per source instance at a time), each its own resumable step.
 */

/** What the prune plan is made from. */
interface FilestoreBackupsPruneObserved {
  /** ISO time of the observation (the recovery-point warning). */
  now: string;
  instance: FilestoreInstanceView;
  /** Every backup in the instance's region; the plan picks this instance's. */
  backups: FilestoreBackupView[];
}

/** A backup the plan deletes. */
interface PrunedBackup {
  id: string;
  name: string;
  /** The backup's region. */
  location: string;
  createTime: string;
}

/** A backup the plan keeps, and why. */
interface KeptBackup {
  id: string;
  createTime: string;
  state: string;
  /** e.g. `daily 2025-05-30`, `weekly 2025-W18`, `pinned (pinned=true)`. */
  reason: string;
}

/** Which backups go; plain data (stored in the ledger). */
interface FilestoreBackupsPrunePlan extends BasePlan {
  instance: FilestoreInstanceRef;
  region: string;
  retention: PlatformState['filestore']['retention'];
  /** Oldest first: the order apply deletes them in. */
  deletions: PrunedBackup[];
  /** Newest first. */
  kept: KeptBackup[];
}

const DAY_MS = 86_400_000;
/** The recovery point the catalog holds every resource to: a READY backup younger than a day. */
const RPO_MS = DAY_MS;

/** `2025-05-23T04:00:31Z` → `2025-W21`: the ISO 8601 week (Monday to Sunday, UTC) of a time. */
const isoWeekOf = (iso: string): string => {
  const time = new Date(iso);
  const day = new Date(Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate()));
  // The Thursday of the same week decides the year the week belongs to.
  day.setUTCDate(day.getUTCDate() + 4 - (day.getUTCDay() || 7));
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / DAY_MS + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
};

/** Whether a backup carries every one of `labels` (an empty set matches nothing). */
const carriesAll = (backup: FilestoreBackupView, labels: Record<string, string>): boolean => {
  const entries = Object.entries(labels);
  return entries.length > 0 && entries.every(([key, value]) => backup.labels[key] === value);
};

const describeLabels = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');

/**
 * The retention policy applied to one instance's backups (newest first): pinned backups, backups
 * opsplane does not manage (without the platform's backup labels) and backups not READY are kept
 * as they are; of the rest, the newest of each of the newest `keepDaily` calendar days (UTC), then
 * the newest of each of the newest `keepWeekly` ISO weeks that no kept daily falls in; and the
 * newest READY backup whatever else. Everything else is deleted.
 */
const applyRetention = (
  backups: readonly FilestoreBackupView[],
  retention: PlatformState['filestore']['retention'],
  backupLabels: Record<string, string>,
): { kept: KeptBackup[]; deletions: FilestoreBackupView[] } => {
  const reasons = new Map<FilestoreBackupView, string>();
  const ranked: FilestoreBackupView[] = [];
  for (const backup of backups) {
    if (carriesAll(backup, retention.neverDeleteLabels)) {
      reasons.set(backup, `pinned (${describeLabels(retention.neverDeleteLabels)})`);
    } else if (!carriesAll(backup, backupLabels)) {
      reasons.set(backup, `not managed by opsplane (lacks ${describeLabels(backupLabels)})`);
    } else if (backup.state !== 'READY') {
      reasons.set(backup, `${backup.state}, not READY`);
    } else if (backup.createTime === '' || Number.isNaN(Date.parse(backup.createTime))) {
      reasons.set(backup, 'no creation time');
    } else {
      ranked.push(backup);
    }
  }
  const dailyDays = new Set<string>();
  const dailyWeeks = new Set<string>();
  const weeklyWeeks = new Set<string>();
  const rest: FilestoreBackupView[] = [];
  for (const backup of ranked) {
    const day = backup.createTime.slice(0, 10);
    if (!dailyDays.has(day) && dailyDays.size < retention.keepDaily) {
      dailyDays.add(day);
      dailyWeeks.add(isoWeekOf(backup.createTime));
      reasons.set(backup, `daily ${day}`);
    } else {
      rest.push(backup);
    }
  }
  const deletions: FilestoreBackupView[] = [];
  for (const backup of rest) {
    const week = isoWeekOf(backup.createTime);
    if (!dailyWeeks.has(week) && !weeklyWeeks.has(week) && weeklyWeeks.size < retention.keepWeekly) {
      weeklyWeeks.add(week);
      reasons.set(backup, `weekly ${week}`);
    } else {
      deletions.push(backup);
    }
  }
  // Invariant (ops-catalog §6): never the newest READY backup, whatever the policy says.
  const newestReady = backups.find((backup) => backup.state === 'READY');
  if (newestReady && deletions.includes(newestReady)) {
    deletions.splice(deletions.indexOf(newestReady), 1);
    reasons.set(newestReady, 'newest READY backup');
  }
  const kept = backups
    .filter((backup) => !deletions.includes(backup))
    .map((backup) => ({
      id: backup.id,
      createTime: backup.createTime,
      state: backup.state,
      reason: reasons.get(backup) ?? 'kept',
    }));
  return { kept, deletions };
};

/** The `filestore.backups.prune` module: apply the retention policy, delete one backup at a time, prove the keep set intact. */
const filestoreBackupsPrune: OperationModule<
  'filestore.backups.prune',
  FilestoreBackupsPruneObserved,
  FilestoreBackupsPrunePlan
> = {
  type: 'filestore.backups.prune',
  ...filestoreInstanceLease,

  async observe(args, platform, deps) {
    const target = filestoreTarget(platform, args.instance);
    const [instance, backups] = await Promise.all([
      deps.filestore.getInstance(target.ref),
      deps.filestore.listBackups(target.ref.projectId, target.region),
    ]);
    return { now: deps.clock.now().toISOString(), instance, backups };
  },

  plan(platform, observed, args) {
    const target = filestoreTarget(platform, args.instance);
    const name = target.ref.instance;
    if (observed.instance.state === 'RESTORING') {
      // A running restore reads one of these backups; Google refuses to delete it meanwhile.
      throw new ResourceBusyError(`cannot prune backups of ${name}: it is RESTORING; retry once it is READY`);
    }
    const { retention } = platform.filestore;
    const backups = backupsOfInstance(observed.backups, target.ref);
    const { kept, deletions } = applyRetention(backups, retention, platform.filestore.backupLabels);
    const oldestFirst = [...deletions].reverse();

    const warnings: string[] = [];
    const newestReady = backups.find((backup) => backup.state === 'READY');
    if (!newestReady) {
      warnings.push(`${name} has no READY backup in ${target.region}`);
    } else if (Date.parse(observed.now) - Date.parse(newestReady.createTime) > RPO_MS) {
      warnings.push(
        `the newest READY backup of ${name}, ${newestReady.id}, was taken ${newestReady.createTime}: more than 24 hours ago`,
      );
    }
    const pending = backups.filter((backup) => backup.state !== 'READY');
    if (pending.length > 0) {
      warnings.push(
        `not READY, left alone: ${pending.map((backup) => `${backup.id} (${backup.state})`).join(', ')}`,
      );
    }
    const policy = `keep ${retention.keepDaily} daily, ${retention.keepWeekly} weekly, pinned`;
    return {
      summary:
        deletions.length === 0
          ? `${name}: nothing to prune (${backups.length} backup${backups.length === 1 ? '' : 's'} in ${target.region}, ${policy})`
          : `${name}: delete ${deletions.length} of ${backups.length} backups in ${target.region} outside retention (${policy})`,
      changes: oldestFirst.map((backup) => ({
        resource: `filestore/${target.region}/backups/${backup.id}`,
        field: 'backup',
        from: `${backup.state}, created ${backup.createTime}`,
        to: null,
      })),
      warnings,
      noop: deletions.length === 0,
      instance: target.ref,
      region: target.region,
      retention,
      deletions: oldestFirst.map((backup) => ({
        id: backup.id,
        name: backup.name,
        location: backup.location,
        createTime: backup.createTime,
      })),
      kept,
    };
  },

  async apply(plan, deps) {
    // One at a time: each delete is waited for before the next starts.
    for (const backup of plan.deletions) {
      await ensureBackupDeleted(`delete-${backup.id}`, deps, {
        projectId: plan.instance.projectId,
        location: backup.location,
        backup: backup.id,
      });
    }
  },

  async verify(plan, deps) {
    const listed = await deps.filestore.listBackups(plan.instance.projectId, plan.region);
    const remaining = backupsOfInstance(listed, plan.instance);
    const present = new Set(remaining.map((backup) => backup.id));
    const notDeleted = plan.deletions.filter((backup) => present.has(backup.id)).map((backup) => backup.id);
    const lostKept = plan.kept
      .filter((backup) => backup.state === 'READY' && !present.has(backup.id))
      .map((backup) => backup.id);
    if (notDeleted.length > 0 || lostKept.length > 0) {
      throw new VerificationFailedError(
        `backups of ${plan.instance.instance} not as planned: ${[
          notDeleted.length > 0 ? `still present: ${notDeleted.join(', ')}` : '',
          lostKept.length > 0 ? `kept ones missing: ${lostKept.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; ')}`,
        { notDeleted, lostKept },
      );
    }
    const outcomeOf = (id: string) => deps.progress.step(`delete-${id}`)?.outcome;
    return {
      instance: plan.instance.instance,
      region: plan.region,
      deleted: plan.deletions.filter((backup) => outcomeOf(backup.id) !== 'already-gone').map((b) => b.id),
      alreadyGone: plan.deletions
        .filter((backup) => outcomeOf(backup.id) === 'already-gone')
        .map((b) => b.id),
      kept: plan.kept.map((backup) => backup.id),
      backups: { from: plan.kept.length + plan.deletions.length, to: remaining.length },
    };
  },
};

export type { FilestoreBackupsPruneObserved, FilestoreBackupsPrunePlan, KeptBackup, PrunedBackup };
export { applyRetention, filestoreBackupsPrune, isoWeekOf };
