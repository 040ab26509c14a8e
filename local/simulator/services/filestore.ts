import { failedPrecondition, invalidArgument, notFound, SimulatorApiError } from '../api-error';
import { isJsonObject, readMessage } from '../request-fields';
import {
  discoveryRoute,
  type Route,
  type RouteRequest,
  type RouteResponse,
  type ServiceModule,
  type SimulatorContext,
} from '../service';
import { createFilestoreState, parseFilestoreSeed, parseFilestoreStateSnapshot } from './filestore-fixture';
import { listPage } from './filestore-listing';
import type {
  FilestoreBackup,
  FilestoreInstance,
  FilestoreOperationEffect,
  FilestoreSnapshot,
  FilestoreState,
} from './filestore-model';
import {
  BASIC_TIERS,
  backupSourceKey,
  findBackup,
  findInstance,
  findSnapshot,
  instanceKey,
  isRegion,
  parseBackupName,
  parseInstanceName,
  parseSnapshotName,
  regionOf,
  SNAPSHOT_TIERS,
  TIER_MIN_CAPACITY_GB,
} from './filestore-model';
import {
  deriveFilestoreOperationDurations,
  runningBackupDelete,
  runningInstanceLock,
  runningRestoreFrom,
  settleFilestoreOperations,
  startFilestoreOperation,
} from './filestore-operations';

/**
 * Filestore, file.googleapis.com v1 (api-contracts §3): instances (get, list, restore), backups
 * (create, list, get, delete), instance snapshots (create, list, get, delete) and google.longrunning
 * operations (get, list). Every mutation answers with an Operation that finishes later (see
 * filestore-operations.ts). The service owns its state, seeded from the fixture's `filestore`
 * block, instead of keeping it in the shared simulator state: nothing else reads or changes it.
 *
 * Rules enforced, each answered as the catalog and contracts describe or, where they are silent,
 * as documented at the check:
 * - snapshots only on ZONAL, REGIONAL and ENTERPRISE instances (400 FAILED_PRECONDITION);
 * - in-place restore only on Basic tiers, with enough capacity (400 FAILED_PRECONDITION);
 * - one backup create or restore at a time per instance (400 FAILED_PRECONDITION);
 * - one backup delete at a time per source instance (429 RESOURCE_EXHAUSTED, or FAILED_PRECONDITION
 *   once the source instance is gone), and not the newest backup while a create runs.
 */

/** How the service is created. */
interface FilestoreServiceOptions {
  /** The parsed fixture JSON; its `project` and `filestore` blocks are validated here. */
  fixture: unknown;
}

/** Route names, which are also their discovery method ids and the keys fault injection sees. */
const FILESTORE_METHODS = {
  instancesList: 'file.projects.locations.instances.list',
  instancesGet: 'file.projects.locations.instances.get',
  instancesRestore: 'file.projects.locations.instances.restore',
  backupsCreate: 'file.projects.locations.backups.create',
  backupsList: 'file.projects.locations.backups.list',
  backupsGet: 'file.projects.locations.backups.get',
  backupsDelete: 'file.projects.locations.backups.delete',
  snapshotsCreate: 'file.projects.locations.instances.snapshots.create',
  snapshotsList: 'file.projects.locations.instances.snapshots.list',
  snapshotsGet: 'file.projects.locations.instances.snapshots.get',
  snapshotsDelete: 'file.projects.locations.instances.snapshots.delete',
  operationsGet: 'file.projects.locations.operations.get',
  operationsList: 'file.projects.locations.operations.list',
} as const;

/** Fields of `Backup` (discovery); output-only ones are accepted in a create body and ignored. */
const BACKUP_FIELDS = [
  'capacityGb',
  'createTime',
  'description',
  'downloadBytes',
  'fileSystemProtocol',
  'kmsKey',
  'labels',
  'name',
  'satisfiesPzi',
  'satisfiesPzs',
  'sourceFileShare',
  'sourceInstance',
  'sourceInstanceTier',
  'state',
  'storageBytes',
  'tags',
] as const;
/** Fields of `Snapshot`. */
const SNAPSHOT_FIELDS = [
  'createTime',
  'description',
  'filesystemUsedBytes',
  'labels',
  'name',
  'state',
  'tags',
] as const;
/** Fields of `RestoreInstanceRequest`. */
const RESTORE_FIELDS = ['fileShare', 'sourceBackup'] as const;

/** backupId and snapshotId: a lowercase letter, then up to 62 of `[-a-z0-9]`, not ending in `-`. */
const RESOURCE_ID = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const MAX_DESCRIPTION_LENGTH = 2048;

const locationPath = (params: Record<string, string>): string =>
  `projects/${params.project}/locations/${params.location}`;

const ok = (body: unknown): RouteResponse => ({ body: structuredClone(body) });

/** Google's list responses leave out empty repeated fields, as proto3 JSON does. */
const listBody = (key: string, page: { items: unknown[]; nextPageToken?: string }): RouteResponse =>
  ok({
    ...(page.items.length > 0 ? { [key]: page.items } : {}),
    ...(page.nextPageToken === undefined ? {} : { nextPageToken: page.nextPageToken }),
  });

const resourceNotFound = (name: string): SimulatorApiError => notFound(`Resource '${name}' was not found.`);

const alreadyExists = (name: string): SimulatorApiError =>
  new SimulatorApiError('ALREADY_EXISTS', `Resource '${name}' already exists.`);

const readId = (value: string | null, field: string): string => {
  if (value === null || value === '') throw invalidArgument(`Required parameter '${field}' is missing.`);
  if (!RESOURCE_ID.test(value)) {
    throw invalidArgument(
      `Invalid ${field} "${value}": it must start with a lowercase letter followed by up to 62 lowercase ` +
        'letters, numbers, or hyphens, and cannot end with a hyphen.',
    );
  }
  return value;
};

const readOptionalString = (value: unknown, field: string): string | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw invalidArgument(`Invalid value at '${field}' (TYPE_STRING), ${JSON.stringify(value)}`);
  return value;
};

const readDescription = (value: unknown): string | undefined => {
  const description = readOptionalString(value, 'description');
  if (description !== undefined && description.length > MAX_DESCRIPTION_LENGTH) {
    throw invalidArgument(`The description must be ${MAX_DESCRIPTION_LENGTH} characters or less.`);
  }
  return description;
};

const readLabels = (value: unknown): Record<string, string> | undefined => {
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value)) throw invalidArgument(`Invalid value at 'labels', ${JSON.stringify(value)}`);
  const labels: Record<string, string> = {};
  for (const [key, label] of Object.entries(value)) {
    if (typeof label !== 'string') {
      throw invalidArgument(`Invalid value at 'labels[${key}]' (TYPE_STRING), ${JSON.stringify(label)}`);
    }
    labels[key] = label;
  }
  return labels;
};

/** The parts of a request body that a create copies onto the new resource, when sent. */
const userFields = (description: string | undefined, labels: Record<string, string> | undefined) => ({
  ...(description === undefined ? {} : { description }),
  ...(labels === undefined || Object.keys(labels).length === 0 ? {} : { labels }),
});

const isBasic = (instance: FilestoreInstance): boolean => BASIC_TIERS.includes(instance.tier);

/** The instance's only share; the fixture schema guarantees there is exactly one. */
const shareOf = (instance: FilestoreInstance) => instance.fileShares[0] as FilestoreInstance['fileShares'][0];

/**
 * Creates the Filestore service over the fixture's `filestore` block.
 *
 * @example
 * const fixture = loadFixture(defaultFixturePath());
 * const sim = await startSimulator({ fixture, extraServices: [createFilestoreService({ fixture })] });
 * // sim.endpoints.file → http://127.0.0.1:PORT
 *
 * @throws Error naming each invalid path if the fixture's `project` or `filestore` block is invalid.
 */
const createFilestoreService = (options: FilestoreServiceOptions): ServiceModule => {
  const seed = parseFilestoreSeed(options.fixture);
  const { project } = seed;
  const durations = deriveFilestoreOperationDurations(seed.operations);
  let state: FilestoreState = createFilestoreState(seed);

  const isProject = (value: string | undefined): boolean =>
    value === project.projectId || value === project.projectNumber;

  /** Unknown projects answer NOT_FOUND, as every unknown resource here does. */
  const assertProject = (params: Record<string, string>): void => {
    if (!isProject(params.project)) throw resourceNotFound(`projects/${params.project}`);
  };

  /**
   * For the list methods, whose discovery entries allow `-` for "all locations". Gets take no
   * wildcard: `locations/-/instances/x` is simply not found.
   */
  const inListedLocation = (requested: string | undefined, actual: string): boolean =>
    requested === '-' || requested === actual;

  const getInstanceOrThrow = (params: Record<string, string>): FilestoreInstance => {
    assertProject(params);
    const instance = findInstance(state, params.location ?? '', params.instance ?? '');
    if (!instance) throw resourceNotFound(`${locationPath(params)}/instances/${params.instance}`);
    return instance;
  };

  const getBackupOrThrow = (params: Record<string, string>): FilestoreBackup => {
    assertProject(params);
    const backup = findBackup(state, params.location ?? '', params.backup ?? '');
    if (!backup) throw resourceNotFound(`${locationPath(params)}/backups/${params.backup}`);
    return backup;
  };

  const getSnapshotOrThrow = (params: Record<string, string>): FilestoreSnapshot => {
    const instance = getInstanceOrThrow(params);
    const ref = parseInstanceName(instance.name);
    const snapshot = findSnapshot(state, ref?.location ?? '', ref?.id ?? '', params.snapshot ?? '');
    if (!snapshot) {
      throw resourceNotFound(
        `${locationPath(params)}/instances/${params.instance}/snapshots/${params.snapshot}`,
      );
    }
    return snapshot;
  };

  /** Mutations refuse an instance that is busy with anything (RESTORING, REVERTING, …). */
  const assertInstanceReady = (instance: FilestoreInstance, action: string): void => {
    if (instance.state !== 'READY') {
      throw failedPrecondition(
        `Cannot ${action}: instance ${instance.name} is ${instance.state}; it must be READY.`,
      );
    }
  };

  /**
   * One backup create or restore at a time per instance (api-contracts §3 concurrency, ops-catalog
   * §5.3). Google's exact answer is an open item; FAILED_PRECONDITION is chosen because the catalog
   * lists it for "a concurrent backup create", it matches GKE's per-cluster lock, and it is not
   * retryable as is: RESOURCE_EXHAUSTED would invite a blind backoff loop the caller should not run.
   */
  const assertInstanceUnlocked = (instance: FilestoreInstance, action: string): void => {
    const ref = parseInstanceName(instance.name);
    const running = ref ? runningInstanceLock(state, instanceKey(ref.location, ref.id)) : undefined;
    if (running) {
      throw failedPrecondition(
        `Cannot ${action}: operation ${running.operation.name} (${running.operation.metadata.verb} ` +
          `${running.operation.metadata.target}) is still running on instance ${instance.name}; ` +
          'only one backup creation or restore may run on an instance at a time.',
      );
    }
  };

  /**
   * Asks fault injection about this start, then records the operation. An injected error does not
   * refuse the request: the operation starts like any other and ends with that error instead of
   * its effect, as a real operation that fails midway does.
   */
  const begin = (
    sim: SimulatorContext,
    routeName: string,
    location: string,
    effect: FilestoreOperationEffect,
    target: string,
    verb: string,
    locks: { lockedInstance?: string; backupSource?: string } = {},
  ): RouteResponse => {
    const failure = sim.faults.operationError(routeName);
    return ok(
      startFilestoreOperation({
        state,
        projectId: project.projectId,
        location,
        now: sim.clock.now(),
        timeScale: sim.timeScale,
        durations,
        effect,
        target,
        verb,
        ...(failure ? { failure: { code: failure.code, message: failure.message } } : {}),
        ...locks,
      }),
    );
  };

  // ---- instances ----

  const listInstances = (request: RouteRequest): RouteResponse => {
    assertProject(request.params);
    const selected = state.instances.filter((instance) =>
      inListedLocation(request.params.location, parseInstanceName(instance.name)?.location ?? ''),
    );
    return listBody('instances', listPage(selected, request.query));
  };

  const getInstance = (request: RouteRequest): RouteResponse => ok(getInstanceOrThrow(request.params));

  const restoreInstance = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    const body = readMessage(request.body, RESTORE_FIELDS);
    const fileShare = readOptionalString(body.fileShare, 'file_share');
    const sourceBackup = readOptionalString(body.sourceBackup, 'source_backup');
    if (!fileShare) throw invalidArgument(`Required field 'file_share' is missing.`);
    if (!sourceBackup) throw invalidArgument(`Required field 'source_backup' is missing.`);
    const backupRef = parseBackupName(sourceBackup);
    if (!backupRef) {
      throw invalidArgument(
        `Invalid source_backup "${sourceBackup}": expected projects/{project}/locations/{location}/backups/{backup}.`,
      );
    }
    const instance = getInstanceOrThrow(request.params);
    if (!isBasic(instance)) {
      throw failedPrecondition(
        `Instance ${instance.name} is ${instance.tier}: restoring a backup onto an existing file share is only ` +
          'supported for Basic tier instances (BASIC_HDD, BASIC_SSD). For other tiers, create a new instance ' +
          'with fileShares[0].sourceBackup set to the backup.',
      );
    }
    const share = shareOf(instance);
    if (share.name !== fileShare) {
      throw invalidArgument(
        `Instance ${instance.name} has no file share "${fileShare}" (its share is "${share.name}").`,
      );
    }
    const backup = isProject(backupRef.project)
      ? findBackup(state, backupRef.location, backupRef.id)
      : undefined;
    if (!backup) throw resourceNotFound(sourceBackup);
    if (backup.state !== 'READY') {
      throw failedPrecondition(
        `Backup ${backup.name} is ${backup.state}; only a READY backup can be restored.`,
      );
    }
    // Both capacity rules come from the discovery doc's restore description.
    const capacityGb = Number(share.capacityGb);
    const backupGb = Number(backup.capacityGb ?? '0');
    const tierMinimumGb = TIER_MIN_CAPACITY_GB[instance.tier];
    if (capacityGb < backupGb || capacityGb < tierMinimumGb) {
      throw failedPrecondition(
        `File share "${share.name}" has ${capacityGb} GB; restoring backup ${backup.name} needs at least ` +
          `${Math.max(backupGb, tierMinimumGb)} GB (the backup's ${backupGb} GB and the ${instance.tier} minimum ` +
          `of ${tierMinimumGb} GB).`,
      );
    }
    assertInstanceReady(instance, 'restore');
    assertInstanceUnlocked(instance, 'restore');
    const ref = parseInstanceName(instance.name);
    const location = ref?.location ?? '';
    const instanceId = ref?.id ?? '';
    const response = begin(
      sim,
      FILESTORE_METHODS.instancesRestore,
      location,
      { kind: 'instances.restore', location, instanceId, sourceBackup: backup.name, fileShare },
      instance.name,
      'restore',
      { lockedInstance: instanceKey(location, instanceId) },
    );
    instance.state = 'RESTORING';
    return response;
  };

  // ---- backups ----

  const listBackups = (request: RouteRequest): RouteResponse => {
    assertProject(request.params);
    const selected = state.backups.filter((backup) =>
      inListedLocation(request.params.location, parseBackupName(backup.name)?.location ?? ''),
    );
    return listBody('backups', listPage(selected, request.query));
  };

  const getBackup = (request: RouteRequest): RouteResponse => ok(getBackupOrThrow(request.params));

  /** The most recently created backup of an instance (by `{location}/{id}` key), in any state. */
  const newestBackupOf = (sourceKey: string): FilestoreBackup | undefined =>
    state.backups
      .filter((backup) => backupSourceKey(backup) === sourceKey)
      .sort((a, b) => Date.parse(b.createTime) - Date.parse(a.createTime))[0];

  const createBackup = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    const body = readMessage(request.body, BACKUP_FIELDS);
    const description = readDescription(body.description);
    const labels = readLabels(body.labels);
    const kmsKey = readOptionalString(body.kmsKey, 'kms_key');
    const sourceInstance = readOptionalString(body.sourceInstance, 'source_instance');
    const sourceFileShare = readOptionalString(body.sourceFileShare, 'source_file_share');
    assertProject(request.params);
    const location = request.params.location ?? '';
    // "In Filestore, backup locations map to Google Cloud regions" (discovery, backups.create).
    if (!isRegion(location)) {
      throw invalidArgument(
        `Invalid location "${location}": backups are created in a region, e.g. us-central1.`,
      );
    }
    const backupId = readId(request.query.get('backupId') ?? request.query.get('backup_id'), 'backup_id');
    if (!sourceInstance) throw invalidArgument(`Required field 'source_instance' is missing.`);
    if (!sourceFileShare) throw invalidArgument(`Required field 'source_file_share' is missing.`);
    const sourceRef = parseInstanceName(sourceInstance);
    if (!sourceRef) {
      throw invalidArgument(
        `Invalid source_instance "${sourceInstance}": expected projects/{project}/locations/{location}/instances/{instance}.`,
      );
    }
    // The backup id is unique per project and location whatever state the backup is in, so a
    // retry with the same deterministic id lands here (ops-catalog §5.1).
    if (findBackup(state, location, backupId))
      throw alreadyExists(`${locationPath(request.params)}/backups/${backupId}`);
    const instance = isProject(sourceRef.project)
      ? findInstance(state, sourceRef.location, sourceRef.id)
      : undefined;
    if (!instance) throw resourceNotFound(sourceInstance);
    // ops-catalog §5.1 precondition; stricter than Google if cross-region backups are allowed.
    if (regionOf(sourceRef.location) !== location) {
      throw invalidArgument(
        `Backup location ${location} must be the region of the source instance (${regionOf(sourceRef.location)}).`,
      );
    }
    const share = shareOf(instance);
    if (share.name !== sourceFileShare) {
      throw invalidArgument(
        `Instance ${instance.name} has no file share "${sourceFileShare}" (its share is "${share.name}").`,
      );
    }
    assertInstanceReady(instance, 'create a backup');
    assertInstanceUnlocked(instance, 'create a backup');
    const sourceKey = instanceKey(sourceRef.location, sourceRef.id);
    const newest = newestBackupOf(sourceKey);
    if (newest?.state === 'DELETING') {
      throw failedPrecondition(
        `Cannot create a backup of ${instance.name} while its most recent backup ${newest.name} is being deleted.`,
      );
    }
    // Google writes the project number into a backup's name and source (discovery: Backup.name).
    const backup: FilestoreBackup = {
      name: `projects/${project.projectNumber}/locations/${location}/backups/${backupId}`,
      ...userFields(description, labels),
      state: 'CREATING',
      createTime: sim.clock.now().toISOString(),
      capacityGb: share.capacityGb,
      sourceInstance: `projects/${project.projectNumber}/locations/${sourceRef.location}/instances/${sourceRef.id}`,
      sourceFileShare,
      sourceInstanceTier: instance.tier,
      fileSystemProtocol: typeof instance.protocol === 'string' ? instance.protocol : 'NFS_V3',
      satisfiesPzs: false,
      satisfiesPzi: false,
      ...(kmsKey ? { kmsKey } : {}),
    };
    const response = begin(
      sim,
      FILESTORE_METHODS.backupsCreate,
      location,
      { kind: 'backups.create', location, backupId },
      // The fixture's history names targets by project id; new operations do the same.
      `projects/${project.projectId}/locations/${location}/backups/${backupId}`,
      'create',
      { lockedInstance: sourceKey },
    );
    state.backups.push(backup);
    return response;
  };

  const deleteBackup = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    const backup = getBackupOrThrow(request.params);
    const location = request.params.location ?? '';
    const backupId = request.params.backup ?? '';
    if (backup.state === 'CREATING' || backup.state === 'FINALIZING') {
      throw failedPrecondition(
        `Backup ${backup.name} is ${backup.state}; it can be deleted once it is READY.`,
      );
    }
    const sourceKey = backupSourceKey(backup);
    if (sourceKey !== undefined) {
      // api-contracts §3: deletes within one backup chain run one at a time. Applied on every
      // tier, although the catalog says "non-basic": refusing too much is the safe side here.
      const running = runningBackupDelete(state, sourceKey);
      if (running) {
        const [sourceLocation, sourceId] = sourceKey.split('/') as [string, string];
        const sourceGone = findInstance(state, sourceLocation, sourceId) === undefined;
        const message =
          `Cannot delete ${backup.name}: operation ${running.operation.name} is deleting another backup ` +
          `of the same source instance; backups of one instance are deleted one at a time.`;
        if (sourceGone) throw failedPrecondition(message);
        throw new SimulatorApiError('RESOURCE_EXHAUSTED', message);
      }
      const lock = runningInstanceLock(state, sourceKey);
      const newestReady = state.backups
        .filter((candidate) => candidate.state === 'READY' && backupSourceKey(candidate) === sourceKey)
        .sort((a, b) => Date.parse(b.createTime) - Date.parse(a.createTime))[0];
      if (lock?.effect?.kind === 'backups.create' && newestReady === backup) {
        throw failedPrecondition(
          `Cannot delete ${backup.name}, the newest backup of its instance, while backup creation ` +
            `${lock.operation.name} is running.`,
        );
      }
    }
    const restore = runningRestoreFrom(state, location, backupId);
    if (restore) {
      throw failedPrecondition(
        `Cannot delete ${backup.name} while restore ${restore.operation.name} reads it.`,
      );
    }
    const response = begin(
      sim,
      FILESTORE_METHODS.backupsDelete,
      location,
      { kind: 'backups.delete', location, backupId },
      `projects/${project.projectId}/locations/${location}/backups/${backupId}`,
      'delete',
      sourceKey === undefined ? {} : { backupSource: sourceKey },
    );
    backup.state = 'DELETING';
    return response;
  };

  // ---- snapshots ----

  const listSnapshots = (request: RouteRequest): RouteResponse => {
    const instance = getInstanceOrThrow(request.params);
    const ref = parseInstanceName(instance.name);
    const selected = state.snapshots.filter((snapshot) => {
      const snapshotRef = parseSnapshotName(snapshot.name);
      return snapshotRef?.location === ref?.location && snapshotRef?.instanceId === ref?.id;
    });
    return listBody('snapshots', listPage(selected, request.query));
  };

  const getSnapshot = (request: RouteRequest): RouteResponse => ok(getSnapshotOrThrow(request.params));

  const createSnapshot = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    const body = readMessage(request.body, SNAPSHOT_FIELDS);
    const description = readDescription(body.description);
    const labels = readLabels(body.labels);
    const instance = getInstanceOrThrow(request.params);
    const snapshotId = readId(
      request.query.get('snapshotId') ?? request.query.get('snapshot_id'),
      'snapshot_id',
    );
    if (!SNAPSHOT_TIERS.includes(instance.tier)) {
      throw failedPrecondition(
        `Instance ${instance.name} is ${instance.tier}: snapshots are only supported for ZONAL, REGIONAL and ` +
          'ENTERPRISE instances. Basic tier instances support backups only.',
      );
    }
    const ref = parseInstanceName(instance.name);
    const location = ref?.location ?? '';
    const instanceId = ref?.id ?? '';
    const name = `projects/${project.projectId}/locations/${location}/instances/${instanceId}/snapshots/${snapshotId}`;
    if (findSnapshot(state, location, instanceId, snapshotId)) throw alreadyExists(name);
    assertInstanceReady(instance, 'create a snapshot');
    const snapshot: FilestoreSnapshot = {
      name,
      ...userFields(description, labels),
      state: 'CREATING',
      createTime: sim.clock.now().toISOString(),
    };
    const response = begin(
      sim,
      FILESTORE_METHODS.snapshotsCreate,
      location,
      { kind: 'snapshots.create', location, instanceId, snapshotId },
      name,
      'create',
    );
    state.snapshots.push(snapshot);
    return response;
  };

  const deleteSnapshot = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    const snapshot = getSnapshotOrThrow(request.params);
    if (snapshot.state !== 'READY') {
      throw failedPrecondition(
        `Snapshot ${snapshot.name} is ${snapshot.state}; only a READY snapshot can be deleted.`,
      );
    }
    const ref = parseSnapshotName(snapshot.name);
    const location = ref?.location ?? '';
    const response = begin(
      sim,
      FILESTORE_METHODS.snapshotsDelete,
      location,
      { kind: 'snapshots.delete', location, instanceId: ref?.instanceId ?? '', snapshotId: ref?.id ?? '' },
      snapshot.name,
      'delete',
    );
    snapshot.state = 'DELETING';
    return response;
  };

  // ---- operations ----

  const operationLocation = (name: string): string => /\/locations\/([^/]+)\//.exec(name)?.[1] ?? '';

  const listOperations = (request: RouteRequest): RouteResponse => {
    assertProject(request.params);
    // The discovery doc names `projects/{p}/locations/-` as a parent for reading across locations.
    const selected = state.operations
      .map((record) => record.operation)
      .filter((operation) => inListedLocation(request.params.location, operationLocation(operation.name)));
    return listBody('operations', listPage(selected, request.query));
  };

  const getOperation = (request: RouteRequest): RouteResponse => {
    assertProject(request.params);
    const record = state.operations.find(
      (candidate) =>
        operationLocation(candidate.operation.name) === request.params.location &&
        candidate.operation.name.endsWith(`/operations/${request.params.operation}`),
    );
    if (!record)
      throw resourceNotFound(`${locationPath(request.params)}/operations/${request.params.operation}`);
    return ok(record.operation);
  };

  const base = '/v1/projects/{project}/locations/{location}';
  const instance = `${base}/instances/{instance}`;
  const routes: Route[] = [
    discoveryRoute('GET', `${base}/instances`, FILESTORE_METHODS.instancesList, listInstances),
    discoveryRoute('GET', instance, FILESTORE_METHODS.instancesGet, getInstance),
    discoveryRoute('POST', `${instance}:restore`, FILESTORE_METHODS.instancesRestore, restoreInstance),
    discoveryRoute('POST', `${base}/backups`, FILESTORE_METHODS.backupsCreate, createBackup),
    discoveryRoute('GET', `${base}/backups`, FILESTORE_METHODS.backupsList, listBackups),
    discoveryRoute('GET', `${base}/backups/{backup}`, FILESTORE_METHODS.backupsGet, getBackup),
    discoveryRoute('DELETE', `${base}/backups/{backup}`, FILESTORE_METHODS.backupsDelete, deleteBackup),
    discoveryRoute('POST', `${instance}/snapshots`, FILESTORE_METHODS.snapshotsCreate, createSnapshot),
    discoveryRoute('GET', `${instance}/snapshots`, FILESTORE_METHODS.snapshotsList, listSnapshots),
    discoveryRoute('GET', `${instance}/snapshots/{snapshot}`, FILESTORE_METHODS.snapshotsGet, getSnapshot),
    discoveryRoute(
      'DELETE',
      `${instance}/snapshots/{snapshot}`,
      FILESTORE_METHODS.snapshotsDelete,
      deleteSnapshot,
    ),
    discoveryRoute('GET', `${base}/operations`, FILESTORE_METHODS.operationsList, listOperations),
    discoveryRoute('GET', `${base}/operations/{operation}`, FILESTORE_METHODS.operationsGet, getOperation),
  ];

  return {
    name: 'file',
    routes,
    settle: (sim) => settleFilestoreOperations(state, sim.clock.now(), sim.logger),
    reset: () => {
      state = createFilestoreState(seed);
    },
    snapshot: () => structuredClone(state),
    restore: (snapshot) => {
      state = parseFilestoreStateSnapshot(snapshot);
    },
  };
};

export type { FilestoreServiceOptions };
export { createFilestoreService, FILESTORE_METHODS };
