import type { PlatformState, UserState } from '../desired-state';
import type { NodePoolView, ServiceAccountKeyView, SqlBackupRunView } from '../gcp';
import { applyRetention } from '../operations/filestore/filestore-backups-prune';
import { keysPastMaxAge } from '../operations/keys/key-policy';
import { type PrunedRun, sqlBackupsPrune } from '../operations/sql/sql-backups-prune';
import { backupRunTime } from '../operations/sql/sql-instance';
import { inOffHoursWindow } from '../schedules/off-hours';
import { fixWith, type UnmodedFinding } from './drift-finding';
import type { LiveFilestoreInstance, LiveSqlInstance } from './live-state';

/**
 * Pure comparisons of the non-access resources opsplane manages with desired state: GPU pool
 * bounds, Cloud SQL protection, backup recency and retention, Filestore backup recency and
 * retention, and service-account key age. Retention uses the prune operations' own rules, so
 * the report flags exactly what `sql.backups.prune` and `filestore.backups.prune` would delete.
 */

const HOUR_MS = 3_600_000;

/** Ops catalog §8: the last successful Cloud SQL backup may be at most this old (a daily job plus slack). */
const SQL_BACKUP_MAX_AGE_HOURS = 26;

/** Ops catalog §5/§8: the Filestore recovery point objective. */
const FILESTORE_RPO_HOURS = 24;

const hoursBetween = (from: string, to: string): number => (Date.parse(to) - Date.parse(from)) / HOUR_MS;

type Bounds = { enabled: boolean; minNodeCount: number; maxNodeCount: number };

const sameBounds = (a: Bounds, b: Bounds): boolean =>
  a.enabled === b.enabled && a.minNodeCount === b.minNodeCount && a.maxNodeCount === b.maxNodeCount;

const describeBounds = (bounds: Bounds): string =>
  bounds.enabled ? `${bounds.minNodeCount}–${bounds.maxNodeCount}` : 'not at all';

/**
 * The GPU pools' autoscaling against `gpuPools`: the day bounds outside the pool's off-hours window,
 * the night bounds (minimum 0, the day maximum) inside it, as the gpu-offhours runbook leaves them.
 * Catches manual bumps, an evening scale-down that never ran, and a morning restore that did not.
 */
const compareGpuPools = (
  platform: PlatformState,
  nodePools: Readonly<Record<string, NodePoolView>>,
  now: string,
): UnmodedFinding[] => {
  const findings: UnmodedFinding[] = [];
  for (const [pool, policy] of Object.entries(platform.gpuPools)) {
    const live = nodePools[pool];
    if (!live) continue;
    const day = policy.autoscaling;
    const night =
      policy.offHours !== undefined && day.enabled && inOffHoursWindow(policy.offHours, new Date(now));
    // What the gpu-offhours runbook leaves for the night: autoscaler minimum 0, the day maximum.
    const nightBounds: Bounds = { enabled: true, minNodeCount: 0, maxNodeCount: day.maxNodeCount };
    const desired = night ? nightBounds : day;
    const actual: Bounds = {
      enabled: live.autoscaling.enabled,
      minNodeCount: live.autoscaling.minNodeCount,
      maxNodeCount: live.autoscaling.maxNodeCount,
    };
    if (sameBounds(desired, actual)) continue;
    const overCeiling = actual.maxNodeCount > policy.limits.maxNodesPerZone;
    const window = policy.offHours
      ? `${policy.offHours.scaleDownAt}–${policy.offHours.scaleUpAt} ${policy.offHours.timeZone}`
      : '';
    const missedScaleDown = night && sameBounds(actual, day);
    const missedRestore = !night && policy.offHours !== undefined && sameBounds(actual, nightBounds);
    const why = missedScaleDown
      ? `: inside the off-hours window (${window}) the pool keeps its day bounds, so the evening scale-down did not run`
      : missedRestore
        ? `: outside the off-hours window (${window}) the pool still has its night bounds, so the morning restore did not run`
        : ` (a manual change${night ? `; inside the off-hours window (${window})` : ', or an off-hours run that did not restore them'})`;
    findings.push({
      resource: `gpu-pool/${pool}`,
      kind: missedScaleDown ? 'off-hours-not-applied' : 'autoscaling-bounds',
      severity: overCeiling ? 'high' : missedScaleDown ? 'low' : 'medium',
      desired: { ...desired, ...(policy.offHours ? { offHoursWindow: night } : {}) },
      actual,
      message: `${pool} autoscales ${describeBounds(actual)} per zone, desired ${
        desired.enabled ? describeBounds(desired) : 'disabled'
      }${why}${overCeiling ? `; above the ceiling of ${policy.limits.maxNodesPerZone} per zone` : ''}`,
      ...(desired.enabled
        ? {
            fix: fixWith('gpu.autoscaling.set', {
              pool,
              min: desired.minNodeCount,
              max: desired.maxNodeCount,
              ...(night ? { offHours: true } : {}),
            }),
          }
        : {}),
    });
  }
  return findings;
};

/** Newest first by when the run happened. */
const byTimeDesc = (a: SqlBackupRunView, b: SqlBackupRunView): number =>
  Date.parse(backupRunTime(b) ?? '0') - Date.parse(backupRunTime(a) ?? '0');

/** One Cloud SQL instance: existence, protection, backup recency, failed runs, retention. */
const compareSqlInstance = (
  platform: PlatformState,
  name: string,
  live: LiveSqlInstance,
  now: string,
): UnmodedFinding[] => {
  const resource = `sql/${name}`;
  const view = live.instance;
  if (!view) {
    return [
      {
        resource,
        kind: 'instance-missing',
        severity: 'high',
        desired: { instance: name },
        actual: null,
        message: `Cloud SQL instance ${name} does not exist; desired state still lists it (platform.sql.instances): restore it from a backup or drop it from desired state`,
      },
    ];
  }
  const findings: UnmodedFinding[] = [];
  const settingsFix =
    'no opsplane command turns automated backups on: patch it (gcloud sql instances patch) or in Terraform';
  if (!view.deletionProtectionEnabled) {
    findings.push({
      resource,
      kind: 'deletion-protection',
      severity: 'medium',
      desired: { deletionProtectionEnabled: true },
      actual: { deletionProtectionEnabled: false },
      message: `${name} has deletion protection off, so a single delete call destroys it and its automated backups`,
      fix: fixWith('sql.protect', { instance: name, deletionProtection: true }),
    });
  }
  if (!view.backupEnabled) {
    findings.push({
      resource,
      kind: 'backups-disabled',
      severity: 'high',
      desired: { backupEnabled: true },
      actual: { backupEnabled: false },
      message: `${name} takes no automated backups; ${settingsFix} --backup-start-time`,
    });
  }
  const runs = [...live.backupRuns].sort(byTimeDesc);
  const latestSuccess = runs.find((run) => run.status === 'SUCCESSFUL');
  const latestTime = latestSuccess ? backupRunTime(latestSuccess) : undefined;
  const age = latestTime ? hoursBetween(latestTime, now) : undefined;
  if (age === undefined || age > SQL_BACKUP_MAX_AGE_HOURS) {
    findings.push({
      resource,
      kind: 'backup-stale',
      severity: 'high',
      desired: { latestSuccessfulBackupWithinHours: SQL_BACKUP_MAX_AGE_HOURS },
      actual: {
        latestSuccessfulBackup: latestTime ?? null,
        ageHours: age === undefined ? null : Math.round(age),
      },
      message:
        age === undefined
          ? `${name} has no successful backup`
          : `${name}'s latest successful backup is ${Math.round(age)} h old (more than ${SQL_BACKUP_MAX_AGE_HOURS} h)`,
      fix: fixWith('sql.backup', { instance: name }),
    });
  }
  // A failed run matters while no later run of the same type has succeeded.
  for (const type of ['AUTOMATED', 'ON_DEMAND']) {
    const ofType = runs.filter((run) => run.type === type);
    const lastFailed = ofType.find((run) => run.status === 'FAILED');
    if (!lastFailed) continue;
    const failedAt = backupRunTime(lastFailed) ?? '';
    const laterSuccess = ofType.some(
      (run) =>
        run.status === 'SUCCESSFUL' && Date.parse(backupRunTime(run) ?? '0') > Date.parse(failedAt || '0'),
    );
    if (laterSuccess) continue;
    findings.push({
      resource,
      kind: 'backup-failed',
      severity: 'medium',
      desired: { status: 'SUCCESSFUL', type },
      actual: {
        id: lastFailed.id,
        status: lastFailed.status,
        type,
        time: failedAt || null,
        ...(lastFailed.description ? { description: lastFailed.description } : {}),
        ...(lastFailed.errorMessage ? { error: lastFailed.errorMessage } : {}),
      },
      message: `the latest ${type === 'ON_DEMAND' ? 'on-demand' : 'automated'} backup of ${name} (run ${lastFailed.id}, ${failedAt || 'time unknown'}) FAILED${
        lastFailed.errorMessage ? `: ${lastFailed.errorMessage}` : ''
      } and none of that type succeeded since; take it again`,
      fix: fixWith('sql.backup', {
        instance: name,
        ...(lastFailed.description ? { description: lastFailed.description.slice(0, 200) } : {}),
      }),
    });
  }
  try {
    const plan = sqlBackupsPrune.plan(platform, { runs: live.backupRuns, now }, { instance: name });
    if (plan.deletions.length > 0) {
      const { keepDays, minKeep } = platform.sql.retention;
      const describe = (run: PrunedRun) => ({ id: run.id, time: run.time, description: run.description });
      // Past keepDays too, but kept so that minKeep successful on-demand backups remain.
      const heldByMinKeep = plan.kept.filter((run) => run.reason.startsWith('kept so that'));
      findings.push({
        resource,
        kind: 'retention',
        severity: 'low',
        desired: { keepDays, minKeep },
        actual: {
          outsideRetention: plan.deletions.map(describe),
          ...(heldByMinKeep.length > 0 ? { pastRetentionKeptForMinKeep: heldByMinKeep.map(describe) } : {}),
        },
        message: `${plan.deletions.length} on-demand backup${plan.deletions.length === 1 ? '' : 's'} of ${name} ${
          plan.deletions.length === 1 ? 'is' : 'are'
        } past the ${keepDays}-day retention (${plan.deletions.map((run) => `${run.id}${run.description ? ` "${run.description}"` : ''}`).join(', ')})${
          heldByMinKeep.length > 0
            ? `; ${heldByMinKeep.length} more past it ${heldByMinKeep.length === 1 ? 'stays' : 'stay'} so that ${minKeep} remain`
            : ''
        }`,
        fix: fixWith('sql.backups.prune', { instance: name }),
      });
    }
  } catch (error) {
    findings.push({
      resource,
      kind: 'retention',
      severity: 'low',
      desired: { keepDays: platform.sql.retention.keepDays },
      actual: null,
      message: `retention of ${name} could not be evaluated: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  return findings;
};

/** Every managed Cloud SQL instance. */
const compareSql = (
  platform: PlatformState,
  sql: Readonly<Record<string, LiveSqlInstance>>,
  now: string,
): UnmodedFinding[] =>
  platform.sql.instances.flatMap((name) => {
    const live = sql[name];
    return live ? compareSqlInstance(platform, name, live, now) : [];
  });

/** Every managed Filestore instance: existence, newest READY backup within the RPO, retention. */
const compareFilestore = (
  platform: PlatformState,
  filestore: Readonly<Record<string, LiveFilestoreInstance>>,
  now: string,
): UnmodedFinding[] => {
  const findings: UnmodedFinding[] = [];
  for (const name of Object.keys(platform.filestore.instances)) {
    const live = filestore[name];
    if (!live) continue;
    const resource = `filestore/${name}`;
    if (!live.instance) {
      findings.push({
        resource,
        kind: 'instance-missing',
        severity: 'high',
        desired: { instance: name },
        actual: null,
        message: `Filestore instance ${name} does not exist; desired state still lists it (platform.filestore.instances)`,
      });
      continue;
    }
    const newestReady = live.backups.find((backup) => backup.state === 'READY');
    const age = newestReady ? hoursBetween(newestReady.createTime, now) : undefined;
    if (age === undefined || age > FILESTORE_RPO_HOURS) {
      findings.push({
        resource,
        kind: 'backup-stale',
        severity: 'high',
        desired: { newestReadyBackupWithinHours: FILESTORE_RPO_HOURS },
        actual: {
          newestReadyBackup: newestReady?.id ?? null,
          createTime: newestReady?.createTime ?? null,
          ageHours: age === undefined ? null : Math.round(age),
        },
        message:
          age === undefined
            ? `${name} has no READY backup`
            : `${name}'s newest READY backup (${newestReady?.id}) is ${Math.round(age)} h old: the ${FILESTORE_RPO_HOURS} h recovery point is breached`,
        fix: fixWith('filestore.backup', { instance: name }),
      });
    }
    const { deletions } = applyRetention(
      live.backups,
      platform.filestore.retention,
      platform.filestore.backupLabels,
    );
    if (deletions.length > 0) {
      const { keepDaily, keepWeekly } = platform.filestore.retention;
      findings.push({
        resource,
        kind: 'retention',
        severity: 'low',
        desired: { keepDaily, keepWeekly, neverDeleteLabels: platform.filestore.retention.neverDeleteLabels },
        actual: {
          outsideRetention: deletions.map((backup) => ({ id: backup.id, createTime: backup.createTime })),
        },
        message: `${deletions.length} backup${deletions.length === 1 ? '' : 's'} of ${name} ${
          deletions.length === 1 ? 'is' : 'are'
        } outside retention (keep ${keepDaily} daily, ${keepWeekly} weekly; pinned kept)`,
        fix: fixWith('filestore.backups.prune', { instance: name }),
      });
    }
  }
  return findings;
};

/** The key policy's accounts: key age, more than one active key, copies held by people who left. */
const compareKeys = (
  platform: PlatformState,
  keys: Readonly<Record<string, ServiceAccountKeyView[]>>,
  users: readonly UserState[],
  now: string,
): UnmodedFinding[] => {
  const findings: UnmodedFinding[] = [];
  const managed = new Set(users.map((user) => user.email.toLowerCase()));
  const { maxAgeDays } = platform.keys;
  for (const [account, policy] of Object.entries(platform.keys.serviceAccounts)) {
    const live = keys[account];
    if (!live) continue;
    const resource = `keys/${account}`;
    const fix = fixWith('keys.rotate', { serviceAccount: account });
    const active = live.filter((key) => !key.disabled);
    // The same rule keys.check rotates by, so the schedule fixes what drift reports.
    const old = keysPastMaxAge(live, now, maxAgeDays);
    if (old.length > 0) {
      findings.push({
        resource,
        kind: 'key-age',
        severity: 'high',
        desired: { maxAgeDays },
        actual: {
          keys: old.map((key) => ({ id: key.id, validAfterTime: key.validAfterTime, ageDays: key.ageDays })),
        },
        message: `${account} has ${old.length === 1 ? 'an active key' : `${old.length} active keys`} at least ${maxAgeDays} days old (${old
          .map((key) => `${key.id.slice(0, 8)}…: ${key.ageDays} days`)
          .join(', ')})`,
        fix,
      });
    }
    if (active.length > 1) {
      findings.push({
        resource,
        kind: 'multiple-active-keys',
        severity: 'medium',
        desired: { activeKeys: 1 },
        actual: { activeKeys: active.map((key) => ({ id: key.id, validAfterTime: key.validAfterTime })) },
        message: `${account} has ${active.length} active keys (a rotation left half-done?); a rotation stores one new key and retires the others`,
        fix,
      });
    }
    const departed = policy.holders.filter((holder) => !managed.has(holder.toLowerCase()));
    if (departed.length > 0 && active.length > 0) {
      findings.push({
        resource,
        kind: 'key-held-by-unmanaged',
        severity: 'high',
        desired: { holders: 'managed users only' },
        actual: { holders: departed },
        message: `${departed.join(', ')} ${departed.length === 1 ? 'holds' : 'hold'} a copy of a key of ${account} but ${
          departed.length === 1 ? 'is not a managed user' : 'are not managed users'
        } (departed?): rotate the key`,
        fix,
      });
    }
  }
  return findings;
};

export {
  compareFilestore,
  compareGpuPools,
  compareKeys,
  compareSql,
  FILESTORE_RPO_HOURS,
  SQL_BACKUP_MAX_AGE_HOURS,
};
