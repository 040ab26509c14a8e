import { SimulatorApiError } from '../api-error';
import { readMessage } from '../request-fields';
import {
  discoveryRoute,
  type RouteRequest,
  type RouteResponse,
  type ServiceModule,
  type SimulatorContext,
} from '../service';
import {
  instanceAlreadyExists,
  instanceNotFound,
  instanceNotRunning,
  invalidRequest,
  operationInProgress,
  resourceNotFound,
  withInvalidReason,
} from './sqladmin-errors';
import { parseSqlAdminFixture, parseSqlAdminSnapshot } from './sqladmin-fixture';
import type {
  SqlAdminState,
  SqlBackupRun,
  SqlInstance,
  SqlOperation,
  SqlOperationEffect,
  SqlProject,
  StartedOperationType,
} from './sqladmin-model';
import {
  deriveSqlOperationTimings,
  findBackupRun,
  findInstance,
  newBackupRunId,
  operationErrorFrom,
  pendingCloneTo,
  runningOperationOn,
  SQLADMIN_BASE_URL,
  type SqlOperationTimings,
  settleSqlOperations,
  startSqlOperation,
} from './sqladmin-operations';
import { checkInstancePatch, readInstancePatch, readInt64, readString } from './sqladmin-patch';
import { recoveryWindow, reservingDeletion } from './sqladmin-pitr';

/**
 * Cloud SQL Admin, sqladmin.googleapis.com v1 (api-contracts §2, ops-catalog §4): instances
 * (get, list, patch, restoreBackup, clone), backup runs (insert, list, get, delete) and operations
 * (get, list). Mutations are `sql#operation`s that go PENDING → RUNNING → DONE with the clock; one
 * runs per instance at a time, and any other mutation meanwhile gets 409 `operationInProgress`.
 * The service owns its state (seeded from the fixture's `cloudSql`), apart from `sim.state`:
 * nothing else in the simulator reads or changes Cloud SQL.
 *
 * The listener checks bodies against the discovery document before a handler runs; the handlers
 * still read bodies with `readMessage` because they are also called without a listener (unit
 * tests, a simulator without the discovery documents) and must not trust an unchecked body.
 */

/** What {@link createSqlAdminService} takes. */
interface SqlAdminServiceOptions {
  /** The parsed fixture JSON; its `project`, `meta.asOf` and `cloudSql` parts are validated here. */
  fixture: unknown;
  /**
   * Operation timings before `timeScale` is applied.
   * @default derived from the fixture's operation history, with defaults for the other types
   */
  operationTimings?: SqlOperationTimings;
}

/** Page size when the caller sends no `maxResults` (Cloud SQL does not document its own; a guess). */
const DEFAULT_PAGE_SIZE = 100;

/** `BackupRun` fields; on insert only `description` is read, the rest are server-set or ignored. */
const BACKUP_RUN_FIELDS = [
  'backupKind',
  'databaseVersion',
  'description',
  'diskEncryptionConfiguration',
  'diskEncryptionStatus',
  'endTime',
  'enqueuedTime',
  'error',
  'id',
  'instance',
  'kind',
  'location',
  'maxChargeableBytes',
  'selfLink',
  'startTime',
  'status',
  'timeZone',
  'type',
  'windowStartTime',
] as const;

/** `InstancesRestoreBackupRequest` fields. */
const RESTORE_REQUEST_FIELDS = [
  'backup',
  'backupdrBackup',
  'ignoreMaintenanceVersion',
  'restoreBackupContext',
  'restoreInstanceClearOverridesFieldNames',
  'restoreInstanceSettings',
] as const;
/** `RestoreBackupContext` fields. */
const RESTORE_CONTEXT_FIELDS = ['backupRunId', 'instanceId', 'kind', 'project'] as const;
/** `InstancesCloneRequest` fields. */
const CLONE_REQUEST_FIELDS = ['cloneContext'] as const;
/** `CloneContext` fields. */
const CLONE_CONTEXT_FIELDS = [
  'allocatedIpRange',
  'binLogCoordinates',
  'databaseNames',
  'destinationInstanceName',
  'destinationNetwork',
  'destinationProject',
  'kind',
  'pitrTimestampMs',
  'pointInTime',
  'preferredSecondaryZone',
  'preferredZone',
  'sourceInstanceDeletionTime',
] as const;

/** Cloud SQL instance ids: lowercase letters, digits and hyphens, starting with a letter. */
const INSTANCE_NAME_PATTERN = /^[a-z](?:[a-z0-9-]{0,96}[a-z0-9])?$/;

/** A list item's place in its list: time in ms, then a name or id. */
type SortKey = readonly [number, string];
type KeyOrder = (a: SortKey, b: SortKey) => number;

const compareText = (a: string, b: string): number => (a > b ? 1 : a < b ? -1 : 0);
/** Backup runs and operations: newest first, as Cloud SQL lists them. */
const newestFirst: KeyOrder = (a, b) => b[0] - a[0] || compareText(b[1], a[1]);
/** Instances: by name. */
const byName: KeyOrder = (a, b) => compareText(a[1], b[1]);

/** Something the simulator accepts syntactically but does not model: said plainly, not ignored. */
const notSimulated = (what: string): SimulatorApiError =>
  new SimulatorApiError('UNIMPLEMENTED', `The simulator does not implement ${what}.`, {
    reason: 'notImplemented',
  });

const readMaxResults = (query: URLSearchParams): number => {
  const raw = query.get('maxResults');
  if (raw === null || raw === '') return DEFAULT_PAGE_SIZE;
  if (!/^\d+$/.test(raw)) throw invalidRequest(`maxResults must be a non-negative integer, got ${raw}.`);
  // 0 is proto3's "not set".
  return Number(raw) === 0 ? DEFAULT_PAGE_SIZE : Number(raw);
};

const decodePageToken = (token: string): SortKey => {
  try {
    const key: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(key) && typeof key[0] === 'number' && typeof key[1] === 'string')
      return [key[0], key[1]];
  } catch {
    // Falls through to the error below: a token is opaque to callers, so any damage is "invalid".
  }
  throw invalidRequest('Invalid pageToken.');
};

/**
 * One page of `items` in `order`. The token is a cursor (the last item's key), not an offset, so
 * items inserted or deleted between pages (retention pruning does both) neither repeat nor get
 * skipped.
 */
const pageOf = <Item>(
  items: readonly Item[],
  keyOf: (item: Item) => SortKey,
  order: KeyOrder,
  query: URLSearchParams,
): { items: Item[]; nextPageToken?: string } => {
  const size = readMaxResults(query);
  const token = query.get('pageToken');
  const cursor = token ? decodePageToken(token) : undefined;
  const ordered = [...items]
    .sort((a, b) => order(keyOf(a), keyOf(b)))
    .filter((item) => cursor === undefined || order(keyOf(item), cursor) > 0);
  const page = ordered.slice(0, size);
  const last = page.at(-1);
  return {
    items: page,
    ...(ordered.length > size && last !== undefined
      ? { nextPageToken: Buffer.from(JSON.stringify(keyOf(last))).toString('base64url') }
      : {}),
  };
};

/** A list answer as Cloud SQL sends it: `items` is left out, not empty, when there is nothing. */
const listBody = <Item>(kind: string, page: { items: Item[]; nextPageToken?: string }) => ({
  kind,
  ...(page.items.length > 0 ? { items: page.items } : {}),
  ...(page.nextPageToken === undefined ? {} : { nextPageToken: page.nextPageToken }),
});

const ok = (body: unknown): RouteResponse => ({ body: structuredClone(body) });

/** `MYSQL_8_0_31` → `MYSQL_8_0`: a restore needs the same major version, not the same minor. */
const majorVersion = (databaseVersion: string): string =>
  databaseVersion.replace(/^(MYSQL_\d+_\d+)_\d+$/, '$1');

/**
 * Creates the Cloud SQL Admin service, seeded from the fixture's `cloudSql` block.
 *
 * @example
 * const fixture = loadFixture(defaultFixturePath());
 * const sim = await startSimulator({ fixture, timeScale: 0, extraServices: [createSqlAdminService({ fixture })] });
 * const sql = sqladmin({ version: 'v1', auth, rootUrl: `${sim.endpoints.sqladmin}/` });
 *
 * @throws Error naming the offending path if the fixture's `project` or `cloudSql` is invalid.
 */
const createSqlAdminService = (options: SqlAdminServiceOptions): ServiceModule => {
  const seed = parseSqlAdminFixture(options.fixture);
  const project: SqlProject = seed.project;
  const timings =
    options.operationTimings ?? deriveSqlOperationTimings(seed.state.operations.map((r) => r.operation));
  // Replaced wholesale by reset() and restore(); handlers read it on every call.
  let state: SqlAdminState = structuredClone(seed.state);

  const assertProject = (value: string | undefined): void => {
    if (value !== project.projectId && value !== project.projectNumber) {
      throw resourceNotFound(`The project ${value} does not exist.`);
    }
  };

  const instanceFor = (params: Record<string, string>): SqlInstance => {
    assertProject(params.project);
    const instance = findInstance(state, params.instance ?? '');
    if (!instance) throw instanceNotFound();
    return instance;
  };

  const backupRunFor = (instance: SqlInstance, id: string | undefined): SqlBackupRun => {
    const run = findBackupRun(state, instance.name, id ?? '');
    if (!run) throw resourceNotFound(`The backup run ${id} of instance ${instance.name} does not exist.`);
    return run;
  };

  /**
   * Every mutation ends here: refused while the instance is busy, otherwise a new PENDING operation,
   * which the fault hook may doom to fail.
   */
  const startOperation = (
    sim: SimulatorContext,
    routeName: string,
    operationType: StartedOperationType,
    instance: SqlInstance,
    effect: SqlOperationEffect,
    beforeStart?: () => void,
  ): RouteResponse => {
    if (runningOperationOn(state, instance.name)) throw operationInProgress();
    const injected = sim.faults.operationError(routeName);
    beforeStart?.();
    return ok(
      startSqlOperation({
        state,
        project,
        now: sim.clock.now(),
        timeScale: sim.timeScale,
        timings,
        operationType,
        instance: instance.name,
        effect,
        ...(injected ? { failure: operationErrorFrom(injected) } : {}),
      }),
    );
  };

  const listInstances = (request: RouteRequest): RouteResponse => {
    assertProject(request.params.project);
    if (request.query.get('filter')) throw notSimulated('filter on instances.list');
    const page = pageOf(state.instances, (instance) => [0, instance.name], byName, request.query);
    return ok(listBody('sql#instancesList', page));
  };

  const getInstance = (request: RouteRequest): RouteResponse => ok(instanceFor(request.params));

  const patchInstance = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    // Body shape first, as Google's front end rejects a malformed payload before any lookup.
    const patch = readInstancePatch(request.body);
    const instance = instanceFor(request.params);
    const settings = checkInstancePatch(instance, patch);
    return startOperation(sim, 'sql.instances.patch', 'UPDATE', instance, { kind: 'patch', settings });
  };

  const insertBackupRun = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    const body = withInvalidReason(() => readMessage(request.body, BACKUP_RUN_FIELDS));
    const description = withInvalidReason(() => readString(body.description, 'description'));
    const instance = instanceFor(request.params);
    // A stopped instance (activationPolicy NEVER) cannot be backed up (ops-catalog §4.1).
    if (instance.state !== 'RUNNABLE' || instance.settings.activationPolicy === 'NEVER')
      throw instanceNotRunning();
    const now = sim.clock.now();
    const id = newBackupRunId(state, instance.name, now);
    return startOperation(
      sim,
      'sql.backupRuns.insert',
      'BACKUP_VOLUME',
      instance,
      { kind: 'backup', backupId: id },
      () => {
        const location = instance.settings.backupConfiguration?.location;
        const run: SqlBackupRun = {
          kind: 'sql#backupRun',
          id,
          instance: instance.name,
          status: 'ENQUEUED',
          // The discovery document: "defaults to ON_DEMAND and is ignored, when specified for insert".
          type: 'ON_DEMAND',
          backupKind: 'SNAPSHOT',
          enqueuedTime: now.toISOString(),
          databaseVersion: instance.databaseVersion,
          ...(location === undefined ? {} : { location }),
          selfLink: `${SQLADMIN_BASE_URL}/projects/${project.projectId}/instances/${instance.name}/backupRuns/${id}`,
          ...(description === undefined ? {} : { description }),
        };
        state.backupRuns[instance.name] = [...(state.backupRuns[instance.name] ?? []), run];
      },
    );
  };

  const listBackupRuns = (request: RouteRequest): RouteResponse => {
    const instance = instanceFor(request.params);
    const page = pageOf(
      state.backupRuns[instance.name] ?? [],
      (run) => [Date.parse(run.enqueuedTime), run.id],
      newestFirst,
      request.query,
    );
    return ok(listBody('sql#backupRunsList', page));
  };

  const getBackupRun = (request: RouteRequest): RouteResponse =>
    ok(backupRunFor(instanceFor(request.params), request.params.id));

  const deleteBackupRun = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    const instance = instanceFor(request.params);
    const run = backupRunFor(instance, request.params.id);
    const effect = { kind: 'deleteBackup', backupId: run.id, previousStatus: run.status } as const;
    return startOperation(sim, 'sql.backupRuns.delete', 'DELETE_BACKUP', instance, effect, () => {
      run.status = 'DELETION_PENDING';
    });
  };

  const restoreBackup = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    const { backupRunId, instanceId, sourceProject } = withInvalidReason(() => {
      const body = readMessage(request.body, RESTORE_REQUEST_FIELDS);
      const sources = ['restoreBackupContext', 'backup', 'backupdrBackup'].filter((key) => body[key] != null);
      if (sources.length > 1) {
        throw invalidRequest('Only one of restore_backup_context, backup, backupdr_backup can be passed.');
      }
      if (body.backup != null || body.backupdrBackup != null) {
        throw notSimulated(
          'restores from the Backups API (backup, backupdrBackup); use restoreBackupContext',
        );
      }
      if (body.restoreInstanceSettings != null || body.restoreInstanceClearOverridesFieldNames != null) {
        throw notSimulated('setting overrides on restore (restoreInstanceSettings)');
      }
      const context = readMessage(body.restoreBackupContext, RESTORE_CONTEXT_FIELDS, 'restoreBackupContext');
      const id = readInt64(context.backupRunId, 'restoreBackupContext.backupRunId');
      if (id === undefined) throw invalidRequest('restoreBackupContext.backupRunId is required.');
      return {
        backupRunId: id,
        instanceId: readString(context.instanceId, 'restoreBackupContext.instanceId'),
        sourceProject: readString(context.project, 'restoreBackupContext.project'),
      };
    });
    const target = instanceFor(request.params);
    if (sourceProject !== undefined) assertProject(sourceProject);
    // Without instanceId the backup is the target's own: an in-place restore.
    const source = instanceId === undefined || instanceId === '' ? target : findInstance(state, instanceId);
    if (!source) throw instanceNotFound();
    const run = backupRunFor(source, backupRunId);
    if (run.status !== 'SUCCESSFUL') {
      throw invalidRequest(`Backup run ${run.id} is ${run.status}; only SUCCESSFUL backups can be restored.`);
    }
    const backupVersion =
      typeof run.databaseVersion === 'string' ? run.databaseVersion : source.databaseVersion;
    if (majorVersion(backupVersion) !== majorVersion(target.databaseVersion)) {
      throw invalidRequest(
        `The backup is ${backupVersion} and the target instance ${target.databaseVersion}; they must share the major version.`,
      );
    }
    const [sourceDisk, targetDisk] = [source.settings.dataDiskSizeGb, target.settings.dataDiskSizeGb];
    if (sourceDisk !== undefined && targetDisk !== undefined && Number(targetDisk) < Number(sourceDisk)) {
      throw invalidRequest(
        `The target's disk (${targetDisk} GB) is smaller than the source's (${sourceDisk} GB).`,
      );
    }
    if (target.state !== 'RUNNABLE') throw instanceNotRunning();
    return startOperation(sim, 'sql.instances.restoreBackup', 'RESTORE_VOLUME', target, {
      kind: 'restore',
      sourceInstance: source.name,
      backupId: run.id,
    });
  };

  const cloneInstance = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    const { destination, pointInTime, destinationProject } = withInvalidReason(() => {
      const body = readMessage(request.body, CLONE_REQUEST_FIELDS);
      if (body.cloneContext == null) throw invalidRequest('cloneContext is required.');
      const context = readMessage(body.cloneContext, CLONE_CONTEXT_FIELDS, 'cloneContext');
      if (context.binLogCoordinates != null) throw notSimulated('clones to binary log coordinates');
      const name = readString(context.destinationInstanceName, 'cloneContext.destinationInstanceName');
      if (name === undefined || name === '')
        throw invalidRequest('cloneContext.destinationInstanceName is required.');
      if (!INSTANCE_NAME_PATTERN.test(name)) {
        throw invalidRequest(
          `Instance name ${name} must be lowercase letters, digits and hyphens, start with a letter and not end with a hyphen.`,
        );
      }
      const time = readString(context.pointInTime, 'cloneContext.pointInTime');
      if (time !== undefined && (!/^\d{4}-\d{2}-\d{2}T/.test(time) || Number.isNaN(Date.parse(time)))) {
        throw invalidRequest(
          `cloneContext.pointInTime must be an RFC 3339 timestamp, got ${JSON.stringify(time)}.`,
        );
      }
      return {
        destination: name,
        pointInTime: time,
        destinationProject: readString(context.destinationProject, 'cloneContext.destinationProject'),
      };
    });
    const source = instanceFor(request.params);
    if (
      destinationProject !== undefined &&
      destinationProject !== project.projectId &&
      destinationProject !== project.projectNumber
    ) {
      throw notSimulated('cross-project clones (cloneContext.destinationProject)');
    }
    const now = sim.clock.now();
    if (
      findInstance(state, destination) ||
      pendingCloneTo(state, destination) ||
      reservingDeletion(state, destination, now)
    ) {
      throw instanceAlreadyExists();
    }
    if (pointInTime !== undefined) {
      const window = recoveryWindow(state, source, now);
      if (!window) {
        throw invalidRequest(`Point-in-time recovery is not enabled on instance ${source.name}.`);
      }
      const at = Date.parse(pointInTime);
      if (at < window.earliest.getTime() || at > window.latest.getTime()) {
        throw invalidRequest(
          `The point in time ${pointInTime} is outside the recovery window of ${source.name} ` +
            `(${window.earliest.toISOString()} to ${window.latest.toISOString()}).`,
        );
      }
    }
    if (source.state !== 'RUNNABLE') throw instanceNotRunning();
    // The operation runs on (and locks) the source; ops-catalog §4.3 expects 409 on the source.
    return startOperation(sim, 'sql.instances.clone', 'CLONE', source, {
      kind: 'clone',
      destination,
      ...(pointInTime === undefined ? {} : { pointInTime: new Date(pointInTime).toISOString() }),
    });
  };

  const getOperation = (request: RouteRequest): RouteResponse => {
    assertProject(request.params.project);
    const record = state.operations.find(
      (candidate) => candidate.operation.name === request.params.operation,
    );
    if (!record)
      throw resourceNotFound(`The Cloud SQL operation ${request.params.operation} does not exist.`);
    return ok(record.operation);
  };

  const listOperations = (request: RouteRequest): RouteResponse => {
    assertProject(request.params.project);
    const instance = request.query.get('instance');
    const operations = state.operations
      .map((record) => record.operation)
      .filter((operation) => !instance || operation.targetId === instance);
    const keyOf = (operation: SqlOperation): SortKey => [Date.parse(operation.insertTime), operation.name];
    const page = pageOf(operations, keyOf, newestFirst, request.query);
    return ok(listBody('sql#operationsList', page));
  };

  const instancePath = '/v1/projects/{project}/instances/{instance}';
  return {
    name: 'sqladmin',
    routes: [
      discoveryRoute('GET', '/v1/projects/{project}/instances', 'sql.instances.list', listInstances),
      discoveryRoute('GET', instancePath, 'sql.instances.get', getInstance),
      discoveryRoute('PATCH', instancePath, 'sql.instances.patch', patchInstance),
      discoveryRoute('POST', `${instancePath}/restoreBackup`, 'sql.instances.restoreBackup', restoreBackup),
      discoveryRoute('POST', `${instancePath}/clone`, 'sql.instances.clone', cloneInstance),
      discoveryRoute('POST', `${instancePath}/backupRuns`, 'sql.backupRuns.insert', insertBackupRun),
      discoveryRoute('GET', `${instancePath}/backupRuns`, 'sql.backupRuns.list', listBackupRuns),
      discoveryRoute('GET', `${instancePath}/backupRuns/{id}`, 'sql.backupRuns.get', getBackupRun),
      discoveryRoute('DELETE', `${instancePath}/backupRuns/{id}`, 'sql.backupRuns.delete', deleteBackupRun),
      discoveryRoute('GET', '/v1/projects/{project}/operations', 'sql.operations.list', listOperations),
      discoveryRoute(
        'GET',
        '/v1/projects/{project}/operations/{operation}',
        'sql.operations.get',
        getOperation,
      ),
    ],
    settle: (sim) => settleSqlOperations(state, project, sim.clock.now(), sim.logger),
    reset: () => {
      state = structuredClone(seed.state);
    },
    snapshot: () => structuredClone(state),
    restore: (snapshot) => {
      state = parseSqlAdminSnapshot(snapshot);
    },
  };
};

export type { SqlAdminServiceOptions };
export { createSqlAdminService, DEFAULT_PAGE_SIZE };
