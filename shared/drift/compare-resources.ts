import type { PlatformState, UserState } from '../desired-state';
import type { NodePoolView, ServiceAccountKeyView, SqlBackupRunView } from '../gcp';
import { applyRetention } from '../operations/filestore/filestore-backups-prune';
import { type PrunedRun, sqlBackupsPrune } from '../operations/sql/sql-backups-prune';
import { backupRunTime } from '../operations/sql/sql-instance';
import { fixWith, type UnmodedFinding } from './drift-finding';
import type { LiveFilestoreInstance, LiveSqlInstance } from './live-state';

/**
 * Pure comparisons of the non-access resources opsplane manages with desired state: GPU pool
 * bounds, Cloud SQL protection, backup recency and retention, Filestore backup recency and
 * retention, and service-account key age. Retention uses the prune operations' own rules, so
 * the report flags exactly what `sql.backups.prune` and `filestore.backups.prune` would delete.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Ops catalog §8: the last successful Cloud SQL backup may be at most this old (a daily job plus slack). */
const SQL_BACKUP_MAX_AGE_HOURS = 26;

/** Ops catalog §5/§8: the Filestore recovery point objective. */
const FILESTORE_RPO_HOURS = 24;

const hoursBetween = (from: string, to: string): number => (Date.parse(to) - Date.parse(from)) / HOUR_MS;

/** The GPU pools' autoscaling against `gpuPools` (manual bumps), and against the hard ceiling. */
const compareGpuPools = (
  platform: PlatformState,
  nodePools: Readonly<Record<string, NodePoolView>>,
): UnmodedFinding[] => {
  const findings: UnmodedFinding[] = [];
  for (const [pool, policy] of Object.entries(platform.gpuPools)) {
    const live = nodePools[pool];
    if (!live) continue;
    const desired = policy.autoscaling;
    const actual = {
      enabled: live.autoscaling.enabled,
      minNodeCount: live.autoscaling.minNodeCount,
      maxNodeCount: live.autoscaling.maxNodeCount,
    };
    if (
      desired.enabled === actual.enabled &&
      desired.minNodeCount === actual.minNodeCount &&
      desired.maxNodeCount === actual.maxNodeCount
    ) {
      continue;
    }
    const overCeiling = actual.maxNodeCount > policy.limits.maxNodesPerZone;
    findings.push({
      resource: `gpu-pool/${pool}`,
      kind: 'autoscaling-bounds',
      severity: overCeiling ? 'high' : 'medium',
      desired,
      actual,
      message: `${pool} autoscales ${actual.enabled ? `${actual.minNodeCount}–${actual.maxNodeCount}` : 'not at all'} per zone, desired ${
        desired.enabled ? `${desired.minNodeCount}–${desired.maxNodeCount}` : 'disabled'
      } (a manual change, or an off-hours run that did not restore them)${
        overCeiling ? `; above the ceiling of ${policy.limits.maxNodesPerZone} per zone` : ''
      }`,
      ...(desired.enabled
        ? {
            fix: fixWith('gpu.autoscaling.set', {
              pool,
              min: desired.minNodeCount,
              max: desired.maxNodeCount,
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
    const ageDays = (key: ServiceAccountKeyView): number =>
      Math.floor((Date.parse(now) - Date.parse(key.validAfterTime)) / DAY_MS);
    const old = active.filter((key) => ageDays(key) > maxAgeDays);
    if (old.length > 0) {
      findings.push({
        resource,
        kind: 'key-age',
        severity: 'high',
        desired: { maxAgeDays },
        actual: {
          keys: old.map((key) => ({ id: key.id, validAfterTime: key.validAfterTime, ageDays: ageDays(key) })),
        },
        message: `${account} has ${old.length === 1 ? 'an active key' : `${old.length} active keys`} older than ${maxAgeDays} days (${old
          .map((key) => `${key.id.slice(0, 8)}…: ${ageDays(key)} days`)
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
