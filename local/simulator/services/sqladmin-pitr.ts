import type { PitrLog, SqlAdminState, SqlInstance } from './sqladmin-model';

/**
 * Point-in-time recovery and name reuse: the two Cloud SQL rules that depend on the clock rather
 * than on an operation. Both are computed from the clock on every request, so a ManualClock moves
 * them without anything running in the background.
 */

/** One day in ms. */
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How far behind the clock the latest recoverable time stays when the fixture does not say. The
 * fixture's windows end 10 s and 20 s before its `asOf`; 10 s is the tighter of the two.
 */
const DEFAULT_PITR_LAG_MS = 10_000;

/** Cloud SQL's default `transactionLogRetentionDays` (the discovery document allows 1–7). */
const DEFAULT_LOG_RETENTION_DAYS = 7;

/** "You cannot reuse an instance name for up to a week after you have deleted an instance." */
const NAME_REUSE_DELAY_MS = 7 * DAY_MS;

/** The recoverable interval, both ends inclusive. */
interface RecoveryWindow {
  earliest: Date;
  latest: Date;
}

/** Whether the instance has point-in-time recovery on: binary logging on MySQL, the PITR flag elsewhere. */
const isPitrEnabled = (instance: SqlInstance): boolean => {
  const backup = instance.settings.backupConfiguration;
  return instance.databaseVersion.startsWith('MYSQL')
    ? backup?.binaryLogEnabled === true
    : backup?.pointInTimeRecoveryEnabled === true;
};

/**
 * A log that starts at `since` (PITR just enabled, or an instance just created) and keeps
 * `transactionLogRetentionDays` of history once it has that much.
 */
const freshPitrLog = (instance: SqlInstance, since: string): PitrLog => ({
  logStart: since,
  spanMs:
    (instance.settings.backupConfiguration?.transactionLogRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS) *
    DAY_MS,
  lagMs: DEFAULT_PITR_LAG_MS,
  notBefore: since,
});

/**
 * The window at `now`. It slides with the clock: the latest bound stays `lagMs` behind it (logs
 * are uploaded continuously) and the earliest follows `spanMs` behind, never before the log began.
 * A clock earlier than `notBefore` (a ManualClock set before the fixture's `asOf`) sees the window
 * as of `notBefore`, so the fixture's own window is never shrunk. `undefined` when PITR is off.
 */
const recoveryWindow = (
  state: SqlAdminState,
  instance: SqlInstance,
  now: Date,
): RecoveryWindow | undefined => {
  const log = state.pitrLogs[instance.name];
  if (!log || !isPitrEnabled(instance)) return undefined;
  const atMs = Math.max(now.getTime(), Date.parse(log.notBefore));
  return {
    earliest: new Date(Math.max(Date.parse(log.logStart), atMs - log.spanMs)),
    latest: new Date(atMs - log.lagMs),
  };
};

/** The deletion that still reserves `name` at `now`, if any. */
const reservingDeletion = (state: SqlAdminState, name: string, now: Date) =>
  state.recentlyDeleted.find(
    (deleted) => deleted.name === name && now.getTime() < Date.parse(deleted.deletedAt) + NAME_REUSE_DELAY_MS,
  );

export type { RecoveryWindow };
export {
  DAY_MS,
  DEFAULT_LOG_RETENTION_DAYS,
  DEFAULT_PITR_LAG_MS,
  freshPitrLog,
  isPitrEnabled,
  NAME_REUSE_DELAY_MS,
  recoveryWindow,
  reservingDeletion,
};
