/**
 * The Filestore (file v1) resources the simulator keeps, in their REST JSON shapes (api-contracts §3,
 * discovery `file.v1.json`). Only the fields the simulator reads or writes are typed; everything
 * else from the fixture rides along under the index signature and is served back as seeded.
 */

/** `Instance.Tier`, indexed by enum number (gax sends the number). */
const INSTANCE_TIERS = [
  'TIER_UNSPECIFIED',
  'STANDARD',
  'PREMIUM',
  'BASIC_HDD',
  'BASIC_SSD',
  'HIGH_SCALE_SSD',
  'ENTERPRISE',
  'ZONAL',
  'REGIONAL',
] as const;
type InstanceTier = (typeof INSTANCE_TIERS)[number];

/** `Instance.State`, indexed by enum number. */
const INSTANCE_STATES = [
  'STATE_UNSPECIFIED',
  'CREATING',
  'READY',
  'REPAIRING',
  'DELETING',
  'ERROR',
  'RESTORING',
  'SUSPENDED',
  'SUSPENDING',
  'RESUMING',
  'REVERTING',
  'PROMOTING',
] as const;
type InstanceState = (typeof INSTANCE_STATES)[number];

/** `Backup.State`, indexed by enum number. */
const BACKUP_STATES = [
  'STATE_UNSPECIFIED',
  'CREATING',
  'FINALIZING',
  'READY',
  'DELETING',
  'INVALID',
] as const;
type BackupState = (typeof BACKUP_STATES)[number];

/** `Snapshot.State`, indexed by enum number. */
const SNAPSHOT_STATES = ['STATE_UNSPECIFIED', 'CREATING', 'READY', 'DELETING'] as const;
type SnapshotState = (typeof SNAPSHOT_STATES)[number];

/**
 * The Basic tiers, under their current and their legacy names (STANDARD is the old BASIC_HDD,
 * PREMIUM the old BASIC_SSD). Only these may be restored in place (api-contracts §3 tier rules).
 */
const BASIC_TIERS: readonly InstanceTier[] = ['BASIC_HDD', 'BASIC_SSD', 'STANDARD', 'PREMIUM'];

/** The tiers that support snapshots (api-contracts §3): Basic HDD and SSD support backups only. */
const SNAPSHOT_TIERS: readonly InstanceTier[] = ['ZONAL', 'REGIONAL', 'ENTERPRISE'];

/**
 * Smallest share per tier in GiB, from the public service-tiers page as remembered, not verified
 * here; a restore needs at least this much capacity as well as the backup's (discovery, restore).
 */
const TIER_MIN_CAPACITY_GB: Readonly<Record<InstanceTier, number>> = {
  TIER_UNSPECIFIED: 0,
  STANDARD: 1024,
  PREMIUM: 2560,
  BASIC_HDD: 1024,
  BASIC_SSD: 2560,
  HIGH_SCALE_SSD: 10240,
  ENTERPRISE: 1024,
  ZONAL: 1024,
  REGIONAL: 1024,
};

/** `FileShareConfig`. Only one share per instance is allowed. */
interface FileShareConfig {
  name: string;
  /** int64 as a decimal string, as REST returns it. */
  capacityGb: string;
  sourceBackup?: string;
  [field: string]: unknown;
}

/** `Instance`. `name` is `projects/{p}/locations/{zone or region}/instances/{id}`. */
interface FilestoreInstance {
  name: string;
  tier: InstanceTier;
  state: InstanceState;
  fileShares: FileShareConfig[];
  [field: string]: unknown;
}

/** `Backup`. `name` is `projects/{p}/locations/{region}/backups/{id}`. */
interface FilestoreBackup {
  name: string;
  state: BackupState;
  createTime: string;
  description?: string;
  labels?: Record<string, string>;
  capacityGb?: string;
  storageBytes?: string;
  downloadBytes?: string;
  sourceInstance?: string;
  sourceFileShare?: string;
  sourceInstanceTier?: InstanceTier;
  [field: string]: unknown;
}

/** `Snapshot`. `name` is `projects/{p}/locations/{l}/instances/{i}/snapshots/{id}`. */
interface FilestoreSnapshot {
  name: string;
  state: SnapshotState;
  createTime: string;
  description?: string;
  labels?: Record<string, string>;
  filesystemUsedBytes?: string;
  [field: string]: unknown;
}

/** `google.rpc.Status`, the `error` of a failed operation. */
interface RpcStatusBody {
  code: number;
  message: string;
  details?: unknown[];
}

/** `google.cloud.common.OperationMetadata`, with its `@type` so clients can decode it. */
interface FilestoreOperationMetadata {
  '@type': string;
  createTime: string;
  endTime?: string;
  target: string;
  verb: string;
  statusDetail?: string;
  cancelRequested?: boolean;
  apiVersion?: string;
  [field: string]: unknown;
}

/** `google.longrunning.Operation`. When `done`, exactly one of `error` and `response` is set. */
interface LongRunningOperation {
  name: string;
  metadata: FilestoreOperationMetadata;
  done: boolean;
  error?: RpcStatusBody;
  /** The result message with its `@type` (`…filestore.v1.Backup`, `…protobuf.Empty`, …). */
  response?: Record<string, unknown>;
  [field: string]: unknown;
}

/** The kinds of operation the simulator starts. Also the keys of its duration table. */
const OPERATION_KINDS = [
  'backups.create',
  'backups.delete',
  'instances.restore',
  'snapshots.create',
  'snapshots.delete',
] as const;
type FilestoreOperationKind = (typeof OPERATION_KINDS)[number];

/**
 * What an operation does once it is due, as data (not closures) so the state stays dumpable. Each
 * names its resources by location and id, since seeded and new resources spell the project
 * differently (id in the fixture, number in new backup names).
 */
type FilestoreOperationEffect =
  | { kind: 'backups.create'; location: string; backupId: string }
  | { kind: 'backups.delete'; location: string; backupId: string }
  | {
      kind: 'instances.restore';
      location: string;
      instanceId: string;
      sourceBackup: string;
      fileShare: string;
    }
  | { kind: 'snapshots.create'; location: string; instanceId: string; snapshotId: string }
  | { kind: 'snapshots.delete'; location: string; instanceId: string; snapshotId: string };

/** An operation plus what the simulator needs to finish it. */
interface FilestoreOperationRecord {
  /** The wire shape; `done`, `endTime` and the result are filled in when it is settled. */
  operation: LongRunningOperation;
  /** ISO time at which the operation is done. */
  dueAt: string;
  /** Applied once, when due, then removed; absent on seeded history. */
  effect?: FilestoreOperationEffect;
  /** Set at start when fault injection chose this operation to fail: it ends with this instead. */
  failure?: RpcStatusBody;
  /**
   * The instance (`{location}/{instanceId}`) a backup create or restore holds: one of those at a
   * time per instance. Absent for other operations.
   */
  lockedInstance?: string;
  /** The backup's source instance key, for backup deletes (one delete at a time per source). */
  backupSource?: string;
}

/** Everything the Filestore service owns. Arrays keep fixture order, then creation order. */
interface FilestoreState {
  instances: FilestoreInstance[];
  backups: FilestoreBackup[];
  snapshots: FilestoreSnapshot[];
  operations: FilestoreOperationRecord[];
}

/** The project the service answers for; paths may name it by id or by number. */
interface FilestoreProject {
  projectId: string;
  projectNumber: string;
}

/** A parsed `projects/{project}/locations/{location}/{collection}/{id}[/{sub}/{subId}]` name. */
interface ResourceRef {
  project: string;
  location: string;
  id: string;
}

const INSTANCE_NAME = /^projects\/([^/]+)\/locations\/([^/]+)\/instances\/([^/]+)$/;
const BACKUP_NAME = /^projects\/([^/]+)\/locations\/([^/]+)\/backups\/([^/]+)$/;
const SNAPSHOT_NAME = /^projects\/([^/]+)\/locations\/([^/]+)\/instances\/([^/]+)\/snapshots\/([^/]+)$/;

const toRef = (found: RegExpExecArray | null): ResourceRef | undefined =>
  found ? { project: found[1] as string, location: found[2] as string, id: found[3] as string } : undefined;

/** `projects/p/locations/l/instances/i` → its parts, or `undefined` if it is not an instance name. */
const parseInstanceName = (name: string): ResourceRef | undefined => toRef(INSTANCE_NAME.exec(name));

/** `projects/p/locations/l/backups/b` → its parts, or `undefined` if it is not a backup name. */
const parseBackupName = (name: string): ResourceRef | undefined => toRef(BACKUP_NAME.exec(name));

/** A snapshot name → its parts (`id` is the snapshot id), or `undefined`. */
const parseSnapshotName = (name: string): (ResourceRef & { instanceId: string }) | undefined => {
  const found = SNAPSHOT_NAME.exec(name);
  if (!found) return undefined;
  return {
    project: found[1] as string,
    location: found[2] as string,
    instanceId: found[3] as string,
    id: found[4] as string,
  };
};

/** The key that identifies an instance whatever the project spelling: `{location}/{id}`. */
const instanceKey = (location: string, instanceId: string): string => `${location}/${instanceId}`;

/**
 * The region of a location: a zone (`us-central1-a`) loses its suffix; a region stays as it is
 * (REGIONAL and ENTERPRISE instances live in regions).
 */
const regionOf = (location: string): string => location.replace(/^([a-z]+-[a-z]+\d+)-[a-z]$/, '$1');

/** Whether `location` is a region (`us-central1`), the only kind of location backups live in. */
const isRegion = (location: string): boolean => /^[a-z]+-[a-z]+\d+$/.test(location);

/** The instance at `location` with this id, whatever project spelling its name uses. */
const findInstance = (
  state: FilestoreState,
  location: string,
  instanceId: string,
): FilestoreInstance | undefined =>
  state.instances.find((instance) => {
    const ref = parseInstanceName(instance.name);
    return ref?.location === location && ref.id === instanceId;
  });

/** The backup at `location` with this id, whatever project spelling its name uses. */
const findBackup = (state: FilestoreState, location: string, backupId: string): FilestoreBackup | undefined =>
  state.backups.find((backup) => {
    const ref = parseBackupName(backup.name);
    return ref?.location === location && ref.id === backupId;
  });

/** The snapshot of instance `location/instanceId` with this id. */
const findSnapshot = (
  state: FilestoreState,
  location: string,
  instanceId: string,
  snapshotId: string,
): FilestoreSnapshot | undefined =>
  state.snapshots.find((snapshot) => {
    const ref = parseSnapshotName(snapshot.name);
    return ref?.location === location && ref.instanceId === instanceId && ref.id === snapshotId;
  });

/** The `{location}/{id}` key of a backup's source instance, or `undefined` if it names none. */
const backupSourceKey = (backup: FilestoreBackup): string | undefined => {
  const ref = backup.sourceInstance === undefined ? undefined : parseInstanceName(backup.sourceInstance);
  return ref ? instanceKey(ref.location, ref.id) : undefined;
};

export type {
  BackupState,
  FileShareConfig,
  FilestoreBackup,
  FilestoreInstance,
  FilestoreOperationEffect,
  FilestoreOperationKind,
  FilestoreOperationMetadata,
  FilestoreOperationRecord,
  FilestoreProject,
  FilestoreSnapshot,
  FilestoreState,
  InstanceState,
  InstanceTier,
  LongRunningOperation,
  ResourceRef,
  RpcStatusBody,
  SnapshotState,
};
export {
  BACKUP_STATES,
  BASIC_TIERS,
  backupSourceKey,
  findBackup,
  findInstance,
  findSnapshot,
  INSTANCE_STATES,
  INSTANCE_TIERS,
  instanceKey,
  isRegion,
  OPERATION_KINDS,
  parseBackupName,
  parseInstanceName,
  parseSnapshotName,
  regionOf,
  SNAPSHOT_STATES,
  SNAPSHOT_TIERS,
  TIER_MIN_CAPACITY_GB,
};
