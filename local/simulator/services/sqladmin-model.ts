/**
 * The Cloud SQL Admin v1 resources the simulator keeps, in their REST JSON shapes (api-contracts §2,
 * discovery revision 20260908). Only the fields the simulator reads or writes are typed; everything
 * else from the fixture rides along under the index signatures and is served back as seeded.
 */

/** `Operation.status`. There is no ABORTING in Cloud SQL, unlike GKE. */
const SQL_OPERATION_STATUSES = ['SQL_OPERATION_STATUS_UNSPECIFIED', 'PENDING', 'RUNNING', 'DONE'] as const;
type SqlOperationStatus = (typeof SQL_OPERATION_STATUSES)[number];

/** `Operation.operationType`, the discovery document's full list (fixtures may hold any of them). */
const SQL_OPERATION_TYPES = [
  'SQL_OPERATION_TYPE_UNSPECIFIED',
  'IMPORT',
  'EXPORT',
  'CREATE',
  'UPDATE',
  'DELETE',
  'RESTART',
  'BACKUP',
  'SNAPSHOT',
  'BACKUP_VOLUME',
  'DELETE_VOLUME',
  'RESTORE_VOLUME',
  'INJECT_USER',
  'CLONE',
  'STOP_REPLICA',
  'START_REPLICA',
  'PROMOTE_REPLICA',
  'CREATE_REPLICA',
  'CREATE_USER',
  'DELETE_USER',
  'UPDATE_USER',
  'CREATE_DATABASE',
  'DELETE_DATABASE',
  'UPDATE_DATABASE',
  'FAILOVER',
  'DELETE_BACKUP',
  'RECREATE_REPLICA',
  'TRUNCATE_LOG',
  'DEMOTE_MASTER',
  'MAINTENANCE',
  'ENABLE_PRIVATE_IP',
  'DEFER_MAINTENANCE',
  'CREATE_CLONE',
  'RESCHEDULE_MAINTENANCE',
  'START_EXTERNAL_SYNC',
  'LOG_CLEANUP',
  'AUTO_RESTART',
  'REENCRYPT',
  'SWITCHOVER',
  'UPDATE_BACKUP',
  'ACQUIRE_SSRS_LEASE',
  'RELEASE_SSRS_LEASE',
  'RECONFIGURE_OLD_PRIMARY',
  'CLUSTER_MAINTENANCE',
  'SELF_SERVICE_MAINTENANCE',
  'SWITCHOVER_TO_REPLICA',
  'MAJOR_VERSION_UPGRADE',
  'ADVANCED_BACKUP',
  'MANAGE_BACKUP',
  'ENHANCED_BACKUP',
  'REPAIR_READ_POOL',
  'CREATE_READ_POOL',
  'PRE_CHECK_MAJOR_VERSION_UPGRADE',
  'SETUP_MIGRATION',
  'CREATE_BLUE_GREEN_DEPLOYMENT',
  'SWITCHOVER_BLUE_GREEN_DEPLOYMENT',
  'DELETE_BLUE_GREEN_DEPLOYMENT',
] as const;
type SqlOperationType = (typeof SQL_OPERATION_TYPES)[number];

/** The operation types the simulator starts itself; each has a duration. */
const STARTED_OPERATION_TYPES = [
  'BACKUP_VOLUME',
  'DELETE_BACKUP',
  'RESTORE_VOLUME',
  'CLONE',
  'UPDATE',
] as const;
type StartedOperationType = (typeof STARTED_OPERATION_TYPES)[number];

/** `BackupRun.status`. */
const BACKUP_RUN_STATUSES = [
  'SQL_BACKUP_RUN_STATUS_UNSPECIFIED',
  'ENQUEUED',
  'OVERDUE',
  'RUNNING',
  'FAILED',
  'SUCCESSFUL',
  'SKIPPED',
  'DELETION_PENDING',
  'DELETION_FAILED',
  'DELETED',
] as const;
type BackupRunStatus = (typeof BACKUP_RUN_STATUSES)[number];

/** `BackupRun.type`. The description mentions FINAL too, but the enum does not list it. */
const BACKUP_RUN_TYPES = ['SQL_BACKUP_RUN_TYPE_UNSPECIFIED', 'AUTOMATED', 'ON_DEMAND'] as const;
type BackupRunType = (typeof BACKUP_RUN_TYPES)[number];

/** `DatabaseInstance.state`. */
const INSTANCE_STATES = [
  'SQL_INSTANCE_STATE_UNSPECIFIED',
  'RUNNABLE',
  'SUSPENDED',
  'PENDING_DELETE',
  'PENDING_CREATE',
  'MAINTENANCE',
  'FAILED',
  'ONLINE_MAINTENANCE',
  'REPAIRING',
] as const;
type InstanceState = (typeof INSTANCE_STATES)[number];

/** `BackupRetentionSettings.retentionUnit`. */
const RETENTION_UNITS = ['RETENTION_UNIT_UNSPECIFIED', 'COUNT'] as const;
/** `Settings.activationPolicy`. */
const ACTIVATION_POLICIES = ['SQL_ACTIVATION_POLICY_UNSPECIFIED', 'ALWAYS', 'NEVER', 'ON_DEMAND'] as const;
/** `Settings.availabilityType`. */
const AVAILABILITY_TYPES = ['SQL_AVAILABILITY_TYPE_UNSPECIFIED', 'ZONAL', 'REGIONAL'] as const;
/** `Settings.edition`. */
const EDITIONS = ['EDITION_UNSPECIFIED', 'ENTERPRISE', 'ENTERPRISE_PLUS', 'DEVELOPER'] as const;

/** `BackupRetentionSettings`. */
interface SqlBackupRetentionSettings {
  retainedBackups?: number;
  retentionUnit?: (typeof RETENTION_UNITS)[number];
  [field: string]: unknown;
}

/** `BackupConfiguration`: PITR is `binaryLogEnabled` on MySQL, `pointInTimeRecoveryEnabled` elsewhere. */
interface SqlBackupConfiguration {
  enabled?: boolean;
  startTime?: string;
  binaryLogEnabled?: boolean;
  pointInTimeRecoveryEnabled?: boolean;
  transactionLogRetentionDays?: number;
  location?: string;
  backupRetentionSettings?: SqlBackupRetentionSettings;
  [field: string]: unknown;
}

/** `Settings`. `settingsVersion` is an int64, hence a string, as the REST API sends it. */
interface SqlSettings {
  settingsVersion: string;
  tier?: string;
  edition?: string;
  activationPolicy?: string;
  dataDiskSizeGb?: string;
  deletionProtectionEnabled?: boolean;
  backupConfiguration?: SqlBackupConfiguration;
  [field: string]: unknown;
}

/** `DatabaseInstance` (`sql#instance`). */
interface SqlInstance {
  name: string;
  databaseVersion: string;
  state: InstanceState;
  settings: SqlSettings;
  region?: string;
  createTime?: string;
  [field: string]: unknown;
}

/** `OperationError`. Its `code` is a string (`INTERNAL_ERROR`), not a google.rpc code. */
interface SqlOperationError {
  kind: 'sql#operationError';
  code: string;
  message: string;
}

/** `OperationErrors`, the wrapper a failed operation carries: not a google.rpc.Status. */
interface SqlOperationErrors {
  kind: 'sql#operationErrors';
  errors: SqlOperationError[];
}

/** `BackupRun` (`sql#backupRun`). `id` is an int64 string, unique within one instance only. */
interface SqlBackupRun {
  id: string;
  instance: string;
  status: BackupRunStatus;
  enqueuedTime: string;
  type?: BackupRunType;
  startTime?: string;
  endTime?: string;
  description?: string;
  error?: { code?: string; message?: string; kind?: string };
  [field: string]: unknown;
}

/** `Operation` (`sql#operation`). `targetId` is the instance name the operation runs on. */
interface SqlOperation {
  kind: 'sql#operation';
  name: string;
  operationType: SqlOperationType;
  status: SqlOperationStatus;
  targetId: string;
  insertTime: string;
  startTime?: string;
  endTime?: string;
  error?: SqlOperationErrors;
  backupContext?: { kind: 'sql#backupContext'; backupId: string };
  [field: string]: unknown;
}

/**
 * A validated `settings` patch of `instances.patch`, keyed by lowerCamelCase field names. Nested
 * objects merge into the current settings; `null` removes a field; arrays and scalars replace.
 */
type SettingsPatch = Record<string, unknown>;

/** What an operation does once DONE without error. Data, not closures, so the state stays dumpable. */
type SqlOperationEffect =
  | { kind: 'backup'; backupId: string }
  | { kind: 'deleteBackup'; backupId: string; previousStatus: BackupRunStatus }
  | { kind: 'restore'; sourceInstance: string; backupId: string }
  | { kind: 'clone'; destination: string; pointInTime?: string }
  | { kind: 'patch'; settings: SettingsPatch };

/** An operation plus the bookkeeping the simulator needs to move it along. */
interface SqlOperationRecord {
  /** The wire shape; `status`, `startTime`, `endTime` and `error` are brought up to date by settling. */
  operation: SqlOperation;
  /** ISO time the operation turns RUNNING (PENDING before). */
  startAt: string;
  /** ISO time the operation is DONE. */
  dueAt: string;
  /** Applied exactly once, when the operation turns DONE without `failure`, then removed. */
  effect?: SqlOperationEffect;
  /** An injected error: the operation ends DONE with it instead of its effect. */
  failure?: SqlOperationError;
}

/**
 * Where an instance's point-in-time recovery logs reach, as a function of the clock: at time `t`
 * (never before `notBefore`) the window is `[max(logStart, t − spanMs), t − lagMs]`. The fixture's
 * `x-sim.pitrWindow` gives the window at the fixture's `asOf`; afterwards it slides with the clock.
 */
interface PitrLog {
  logStart: string;
  spanMs: number;
  lagMs: number;
  notBefore: string;
}

/** A deleted instance whose name Cloud SQL keeps reserved for about a week. */
interface RecentlyDeletedInstance {
  name: string;
  deletedAt: string;
}

/** Everything the sqladmin service owns; JSON-serialisable, so it is its own snapshot. */
interface SqlAdminState {
  instances: SqlInstance[];
  /** Backup runs per instance name, in no particular order (lists sort them). */
  backupRuns: Record<string, SqlBackupRun[]>;
  /** Oldest first: the seeded history, then operations in the order they were started. */
  operations: SqlOperationRecord[];
  /** Per instance name, for instances with PITR enabled. */
  pitrLogs: Record<string, PitrLog>;
  recentlyDeleted: RecentlyDeletedInstance[];
}

/** The project the service answers for; paths may name it by id or by number. */
interface SqlProject {
  projectId: string;
  projectNumber: string;
}

export type {
  BackupRunStatus,
  BackupRunType,
  InstanceState,
  PitrLog,
  RecentlyDeletedInstance,
  SettingsPatch,
  SqlAdminState,
  SqlBackupConfiguration,
  SqlBackupRetentionSettings,
  SqlBackupRun,
  SqlInstance,
  SqlOperation,
  SqlOperationEffect,
  SqlOperationError,
  SqlOperationErrors,
  SqlOperationRecord,
  SqlOperationStatus,
  SqlOperationType,
  SqlProject,
  SqlSettings,
  StartedOperationType,
};
export {
  ACTIVATION_POLICIES,
  AVAILABILITY_TYPES,
  BACKUP_RUN_STATUSES,
  BACKUP_RUN_TYPES,
  EDITIONS,
  INSTANCE_STATES,
  RETENTION_UNITS,
  SQL_OPERATION_STATUSES,
  SQL_OPERATION_TYPES,
  STARTED_OPERATION_TYPES,
};
