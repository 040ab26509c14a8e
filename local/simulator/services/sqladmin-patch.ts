import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { invalidArgument } from '../api-error';
import { isJsonObject, type JsonObject, readBool, readEnum, readInt32, readMessage } from '../request-fields';
import { invalidRequest, staleSettingsVersion, withInvalidReason } from './sqladmin-errors';
import {
  ACTIVATION_POLICIES,
  AVAILABILITY_TYPES,
  EDITIONS,
  RETENTION_UNITS,
  type SettingsPatch,
  type SqlInstance,
  type SqlSettings,
} from './sqladmin-model';

/**
 * `instances.patch`: a partial DatabaseInstance whose `settings` are merged into the instance's.
 * The fields the simulator reasons about (backups, PITR, deletion protection, disk, labels) are type
 * checked and cross-checked as Cloud SQL documents them; the other Settings fields are accepted and
 * stored as sent. Outside `settings`, a field may only repeat the current value (clients send back
 * what they read): the simulator does not model changing the engine, name or networking this way.
 */

/** `DatabaseInstance` fields (discovery revision 20260908). */
const DATABASE_INSTANCE_FIELDS = [
  'availableMaintenanceVersions',
  'backendType',
  'connectionName',
  'createTime',
  'currentDiskSize',
  'databaseCenterIntegrationEnabled',
  'databaseInstalledVersion',
  'databaseVersion',
  'deploymentInfo',
  'diskEncryptionConfiguration',
  'diskEncryptionStatus',
  'dnsName',
  'dnsNames',
  'etag',
  'failoverReplica',
  'gceZone',
  'geminiConfig',
  'includeReplicasForMajorVersionUpgrade',
  'instanceType',
  'ipAddresses',
  'ipv6Address',
  'kind',
  'maintenanceVersion',
  'masterInstanceName',
  'maxDiskSize',
  'name',
  'nodeCount',
  'nodes',
  'onPremisesConfiguration',
  'outOfDiskReport',
  'primaryDnsName',
  'project',
  'pscServiceAttachmentLink',
  'region',
  'replicaConfiguration',
  'replicaNames',
  'replicationCluster',
  'rootPassword',
  'satisfiesPzi',
  'satisfiesPzs',
  'scheduledMaintenance',
  'secondaryGceZone',
  'selfLink',
  'serverCaCert',
  'serviceAccountEmailAddress',
  'settings',
  'sqlNetworkArchitecture',
  'state',
  'suspensionReason',
  'switchTransactionLogsToCloudStorageEnabled',
  'tags',
  'upgradableDatabaseVersions',
  'writeEndpoint',
] as const;

/** `Settings` fields. */
const SETTINGS_FIELDS = [
  'acceleratedReplicaMode',
  'activationPolicy',
  'activeDirectoryConfig',
  'advancedMachineFeatures',
  'authorizedGaeApplications',
  'autoUpgradeEnabled',
  'availabilityType',
  'backupConfiguration',
  'collation',
  'connectionPoolConfig',
  'connectorEnforcement',
  'crashSafeReplicationEnabled',
  'dataApiAccess',
  'dataCacheConfig',
  'dataDiskProvisionedIops',
  'dataDiskProvisionedThroughput',
  'dataDiskSizeGb',
  'dataDiskType',
  'databaseFlags',
  'databaseReplicationEnabled',
  'deletionProtectionEnabled',
  'denyMaintenancePeriods',
  'edition',
  'enableDataplexIntegration',
  'enableGoogleMlIntegration',
  'entraidConfig',
  'finalBackupConfig',
  'insightsConfig',
  'ipConfiguration',
  'kind',
  'locationPreference',
  'maintenanceWindow',
  'passwordValidationPolicy',
  'performanceCaptureConfig',
  'pricingPlan',
  'readPoolAutoScaleConfig',
  'replicationLagMaxSeconds',
  'replicationType',
  'retainBackupsOnDelete',
  'settingsVersion',
  'sqlServerAuditConfig',
  'storageAutoResize',
  'storageAutoResizeLimit',
  'tier',
  'timeZone',
  'userLabels',
] as const;

/** `BackupConfiguration` fields. */
const BACKUP_CONFIGURATION_FIELDS = [
  'backupRetentionSettings',
  'backupTier',
  'binaryLogEnabled',
  'enabled',
  'kind',
  'location',
  'pointInTimeRecoveryEnabled',
  'replicationLogArchivingEnabled',
  'startTime',
  'transactionLogRetentionDays',
  'transactionalLogStorageState',
] as const;

/** `BackupRetentionSettings` fields. */
const BACKUP_RETENTION_FIELDS = ['retainedBackups', 'retentionUnit'] as const;

/** Fields a client may send but the server sets: dropped rather than compared or stored. */
const OUTPUT_ONLY_FIELDS = new Set(['kind', 'etag', 'backupTier', 'transactionalLogStorageState']);

/** `BackupConfiguration.startTime`: "HH:MM", 24-hour, UTC. */
const START_TIME_PATTERN = /^([01]\d|2[0-3]):[0-5]\d$/;

/** The discovery document says 1–7; Enterprise Plus allows up to 35 [api-contracts §2, unverified]. */
const MAX_LOG_RETENTION_DAYS = { standard: 7, enterprisePlus: 35 } as const;

/** Cloud SQL's smallest data disk. */
const MIN_DATA_DISK_GB = 10;

/** A shape-checked `instances.patch` body. */
interface InstancePatch {
  /** Fields outside `settings`, as sent; each must equal the instance's current value. */
  others: JsonObject;
  settings: SettingsPatch;
  /** `settings.settingsVersion` when sent: the optimistic-concurrency token. */
  settingsVersion?: string;
}

/**
 * An int64 field: a decimal string or a JSON integer (proto3 JSON allows both). Like the readers of
 * `request-fields`, throws INVALID_ARGUMENT without a reason; callers wrap in `withInvalidReason`.
 */
const readInt64 = (value: unknown, path: string): string | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return value.trim();
  throw invalidArgument(`Invalid value at '${path}' (TYPE_INT64), ${JSON.stringify(value)}`);
};

/** A string field; `undefined`/`null` mean "not sent". Throws INVALID_ARGUMENT without a reason. */
const readString = (value: unknown, path: string): string | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw invalidArgument(`Invalid value at '${path}' (TYPE_STRING), ${JSON.stringify(value)}`);
  }
  return value;
};

/**
 * Stores `read(value)` under `key`, keeping an explicit `null` (which clears the field) and leaving
 * out fields that were not sent.
 */
const put = (out: JsonObject, key: string, value: unknown, read: (present: unknown) => unknown): void => {
  if (value === undefined) return;
  out[key] = value === null ? null : read(value);
};

const readRetention = (value: unknown): JsonObject => {
  const fields = readMessage(
    value,
    BACKUP_RETENTION_FIELDS,
    'settings.backupConfiguration.backupRetentionSettings',
  );
  const out: JsonObject = {};
  put(out, 'retainedBackups', fields.retainedBackups, (present) => {
    const count = readInt32(present, 'settings.backupConfiguration.backupRetentionSettings.retainedBackups');
    if (count === undefined || count < 1) throw invalidRequest('retainedBackups must be at least 1.');
    return count;
  });
  put(out, 'retentionUnit', fields.retentionUnit, (present) =>
    readEnum(
      present,
      'settings.backupConfiguration.backupRetentionSettings.retentionUnit',
      RETENTION_UNITS,
      'google.cloud.sql.v1.BackupRetentionSettings.RetentionUnit',
    ),
  );
  return out;
};

const readBackupConfiguration = (value: unknown): JsonObject => {
  const path = 'settings.backupConfiguration';
  const fields = readMessage(value, BACKUP_CONFIGURATION_FIELDS, path);
  const out: JsonObject = {};
  for (const flag of [
    'enabled',
    'binaryLogEnabled',
    'pointInTimeRecoveryEnabled',
    'replicationLogArchivingEnabled',
  ]) {
    put(out, flag, fields[flag], (present) => readBool(present, `${path}.${flag}`));
  }
  put(out, 'startTime', fields.startTime, (present) => {
    const startTime = readString(present, `${path}.startTime`) ?? '';
    if (!START_TIME_PATTERN.test(startTime)) {
      throw invalidRequest(
        `backupConfiguration.startTime must be HH:MM (UTC), got ${JSON.stringify(present)}.`,
      );
    }
    return startTime;
  });
  put(out, 'transactionLogRetentionDays', fields.transactionLogRetentionDays, (present) =>
    readInt32(present, `${path}.transactionLogRetentionDays`),
  );
  put(out, 'location', fields.location, (present) => readString(present, `${path}.location`));
  put(out, 'backupRetentionSettings', fields.backupRetentionSettings, readRetention);
  return out;
};

const readUserLabels = (value: unknown): JsonObject => {
  if (!isJsonObject(value)) throw invalidRequest('settings.userLabels must be a map of strings.');
  for (const [key, label] of Object.entries(value)) {
    if (label !== null && typeof label !== 'string') {
      throw invalidRequest(`settings.userLabels.${key} must be a string, got ${JSON.stringify(label)}.`);
    }
  }
  return { ...value };
};

/**
 * Reads the body of `instances.patch`: field names and the types of the modelled fields.
 *
 * @throws SimulatorApiError 400 `invalid` naming the first bad field.
 */
const readInstancePatch = (body: unknown): InstancePatch =>
  withInvalidReason(() => {
    const top = readMessage(body, DATABASE_INSTANCE_FIELDS);
    const fields = readMessage(top.settings, SETTINGS_FIELDS, 'settings');
    const settings: SettingsPatch = {};
    for (const [key, value] of Object.entries(fields)) {
      if (OUTPUT_ONLY_FIELDS.has(key) || key === 'settingsVersion') continue;
      switch (key) {
        case 'deletionProtectionEnabled':
        case 'storageAutoResize':
          put(settings, key, value, (present) => readBool(present, `settings.${key}`));
          break;
        case 'activationPolicy':
          put(settings, key, value, (present) =>
            readEnum(
              present,
              `settings.${key}`,
              ACTIVATION_POLICIES,
              'google.cloud.sql.v1.Settings.SqlActivationPolicy',
            ),
          );
          break;
        case 'availabilityType':
          put(settings, key, value, (present) =>
            readEnum(
              present,
              `settings.${key}`,
              AVAILABILITY_TYPES,
              'google.cloud.sql.v1.SqlAvailabilityType',
            ),
          );
          break;
        case 'edition':
          put(settings, key, value, (present) =>
            readEnum(present, `settings.${key}`, EDITIONS, 'google.cloud.sql.v1.Settings.Edition'),
          );
          break;
        case 'tier':
          put(settings, key, value, (present) => readString(present, 'settings.tier'));
          break;
        case 'dataDiskSizeGb':
        case 'storageAutoResizeLimit':
          put(settings, key, value, (present) => readInt64(present, `settings.${key}`));
          break;
        case 'userLabels':
          put(settings, key, value, readUserLabels);
          break;
        case 'backupConfiguration':
          put(settings, key, value, readBackupConfiguration);
          break;
        default:
          // Not modelled: kept as sent so a later get returns it, as Cloud SQL would.
          settings[key] = structuredClone(value);
      }
    }
    const others: JsonObject = {};
    for (const [key, value] of Object.entries(top)) {
      if (key !== 'settings' && !OUTPUT_ONLY_FIELDS.has(key)) others[key] = value;
    }
    const settingsVersion = readInt64(fields.settingsVersion, 'settings.settingsVersion');
    return { others, settings, ...(settingsVersion === undefined ? {} : { settingsVersion }) };
  });

/**
 * `patch` merged into `current`: objects merge field by field, `null` clears a field, anything else
 * (scalars, arrays such as `databaseFlags`) replaces. Returns a new object; neither input changes.
 */
const mergeSettings = <Target extends Record<string, unknown>>(
  current: Target,
  patch: SettingsPatch,
): Target => {
  const merged: Record<string, unknown> = structuredClone(current);
  for (const [key, value] of Object.entries(patch)) {
    const existing = merged[key];
    if (value === null) delete merged[key];
    else if (isJsonObject(value) && isJsonObject(existing)) merged[key] = mergeSettings(existing, value);
    else merged[key] = structuredClone(value);
  }
  return merged as Target;
};

/**
 * Checks a read patch against the instance it targets and returns the settings patch to apply when
 * the UPDATE operation finishes. The rules are Cloud SQL's documented ones (discovery descriptions
 * and api-contracts §2); the messages are the simulator's.
 *
 * @throws SimulatorApiError 412 `staleData` for an outdated `settingsVersion`, 400 `invalid`
 *   otherwise.
 */
const checkInstancePatch = (instance: SqlInstance, patch: InstancePatch): SettingsPatch => {
  if (patch.settingsVersion !== undefined && patch.settingsVersion !== instance.settings.settingsVersion) {
    throw staleSettingsVersion();
  }
  for (const [key, value] of Object.entries(patch.others)) {
    if (!isDeepStrictEqual(value, instance[key])) {
      throw invalidRequest(
        `The simulator's instances.patch does not change '${key}'; only settings are patched.`,
      );
    }
  }
  const merged = mergeSettings<SqlSettings>(instance.settings, patch.settings);
  const backup = merged.backupConfiguration ?? {};
  const isMySql = instance.databaseVersion.startsWith('MYSQL');
  if (backup.binaryLogEnabled === true && !isMySql) {
    throw invalidRequest('Binary logging (binaryLogEnabled) is only available on MySQL instances.');
  }
  if (
    backup.enabled !== true &&
    (backup.binaryLogEnabled === true || backup.pointInTimeRecoveryEnabled === true)
  ) {
    throw invalidRequest('Point-in-time recovery and binary logging require backups to be enabled.');
  }
  const days = backup.transactionLogRetentionDays;
  const maxDays =
    merged.edition === 'ENTERPRISE_PLUS'
      ? MAX_LOG_RETENTION_DAYS.enterprisePlus
      : MAX_LOG_RETENTION_DAYS.standard;
  if (days !== undefined && (days < 1 || days > maxDays)) {
    throw invalidRequest(`transactionLogRetentionDays must be between 1 and ${maxDays}, got ${days}.`);
  }
  if (merged.dataDiskSizeGb !== undefined) {
    const size = Number(merged.dataDiskSizeGb);
    if (size < MIN_DATA_DISK_GB) throw invalidRequest(`dataDiskSizeGb must be at least ${MIN_DATA_DISK_GB}.`);
    if (instance.settings.dataDiskSizeGb !== undefined && size < Number(instance.settings.dataDiskSizeGb)) {
      throw invalidRequest('The data disk size cannot be decreased.');
    }
  }
  return patch.settings;
};

/** A fresh etag: the field is deprecated but still served, and it must change with the settings. */
const newEtag = (): string => randomBytes(32).toString('hex');

/**
 * Applies a checked settings patch (when its UPDATE operation finishes): merges it, bumps
 * `settingsVersion` (the concurrency token) and renews the etag.
 */
const applySettingsPatch = (instance: SqlInstance, settings: SettingsPatch): void => {
  const merged = mergeSettings<SqlSettings>(instance.settings, settings);
  merged.settingsVersion = String(BigInt(instance.settings.settingsVersion) + 1n);
  instance.settings = merged;
  instance.etag = newEtag();
};

export type { InstancePatch };
export {
  applySettingsPatch,
  checkInstancePatch,
  DATABASE_INSTANCE_FIELDS,
  mergeSettings,
  newEtag,
  readInstancePatch,
  readInt64,
  readString,
  SETTINGS_FIELDS,
};
