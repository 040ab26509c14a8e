import type { sqladmin_v1 } from '@googleapis/sqladmin';
import { type ControlPlaneError, fromGcpError, NotFoundError, readGcpError } from '../errors';
import type { Clock } from '../time';
import { type PollSettings, pollOperation } from './wait-for-operation';

/**
 * The Cloud SQL Admin calls the database operations (backup, restore, PITR clone, retention prune,
 * deletion protection) need, in the control plane's own terms. Nothing above this module sees a
 * discovery-client type, a GaxiosError or Cloud SQL's legacy error shapes.
 *
 * Mutations only START a `sql#operation` and return it: a function records the operation's name and
 * a later tick polls it (ops-catalog §0, "Serverless execution"); a restore or a clone can outlive
 * one invocation.
 */

/** One Cloud SQL instance. */
interface SqlInstanceRef {
  projectId: string;
  /** The instance id, without the project (e.g. `acme-kfp-mysql-7f3a9c1e`). */
  instance: string;
}

/** The backup-relevant facts of an instance. */
interface SqlInstanceView {
  name: string;
  /** RUNNABLE, SUSPENDED, PENDING_DELETE, PENDING_CREATE, MAINTENANCE, FAILED, … */
  state: string;
  /** e.g. MYSQL_8_0, POSTGRES_14. */
  databaseVersion: string;
  /** ALWAYS, NEVER or ON_DEMAND: a stopped (NEVER) instance cannot be backed up (ops-catalog §4.1). */
  activationPolicy: string;
  backupEnabled: boolean;
  /**
   * Point-in-time recovery is possible: `pointInTimeRecoveryEnabled` on PostgreSQL,
   * `binaryLogEnabled` on MySQL (newer MySQL may also report `pointInTimeRecoveryEnabled`).
   */
  pitrEnabled: boolean;
  /** Automated backups kept (`backupRetentionSettings.retainedBackups`); absent when not configured. */
  retainedBackups?: number;
  deletionProtectionEnabled: boolean;
  /** int64 as a string, Cloud SQL's optimistic-concurrency token for patches. */
  settingsVersion: string;
}

/** One backup run. */
interface SqlBackupRunView {
  /** int64 as a string; unique within one instance only. */
  id: string;
  /** ENQUEUED, RUNNING, SUCCESSFUL, FAILED, DELETION_PENDING, … */
  status: string;
  /** AUTOMATED or ON_DEMAND. */
  type: string;
  /** Set on on-demand backups only. */
  description?: string;
  enqueuedTime?: string;
  startTime?: string;
  endTime?: string;
  /** Why the run FAILED, when it did. */
  errorMessage?: string;
}

/** A `sql#operation`. */
interface SqlOperationView {
  /** Opaque id; poll it with `getOperation(projectId, name)`. */
  name: string;
  /** BACKUP_VOLUME, DELETE_BACKUP, RESTORE_VOLUME, CLONE, UPDATE, … */
  operationType: string;
  /** PENDING, RUNNING or DONE. */
  status: string;
  /** The instance the operation runs on (for a clone: the source). */
  targetId: string;
  /** Set when the operation ended in error: the first of Cloud SQL's `error.errors[]`. */
  error?: { code: string; message: string };
  /** The backup run a BACKUP_VOLUME operation creates (`backupContext.backupId`). */
  backupRunId?: string;
  /**
   * RFC 3339 time Cloud SQL accepted the operation. Lets a caller tell an operation it started from
   * older ones on the same instance (e.g. a restore started after its own safety backup).
   */
  insertTime?: string;
}

/** What `startRestore` restores, and from where. */
interface RestoreRequest {
  /** The backup run to restore. */
  backupRunId: string;
  /** The instance that owns the backup run; absent: the target itself (in-place restore). */
  sourceInstance?: string;
}

/** The clone `startClone` creates. */
interface CloneRequest {
  /** The new instance; the name must not be in use nor deleted in the last ~7 days. */
  destinationInstanceName: string;
  /** RFC 3339; absent: a clone of the current state. Needs PITR on the source. */
  pointInTime?: string;
  /** The private-services-access range to allocate the clone's IP from (e.g. `acme-ml-psa`). */
  allocatedIpRange?: string;
}

/** The Cloud SQL Admin calls of the database operations; see the module comment. */
interface SqlApi {
  getInstance(ref: SqlInstanceRef): Promise<SqlInstanceView>;
  /** Every backup run of the instance, newest enqueued first, all pages. */
  listBackupRuns(ref: SqlInstanceRef): Promise<SqlBackupRunView[]>;
  getBackupRun(ref: SqlInstanceRef, id: string): Promise<SqlBackupRunView>;
  /** Starts an on-demand backup; the returned operation carries the new run's id. */
  startBackup(ref: SqlInstanceRef, description?: string): Promise<SqlOperationView>;
  startDeleteBackupRun(ref: SqlInstanceRef, id: string): Promise<SqlOperationView>;
  /** Overwrites `target` with a backup run of `request.sourceInstance` (or of `target` itself). */
  startRestore(target: SqlInstanceRef, request: RestoreRequest): Promise<SqlOperationView>;
  /** Creates `request.destinationInstanceName` as a clone of `source`. */
  startClone(source: SqlInstanceRef, request: CloneRequest): Promise<SqlOperationView>;
  /**
   * Patches only `settings.deletionProtectionEnabled` (an UPDATE operation): the rest of the
   * settings stay as they are, since `instances.patch` merges what it is sent.
   */
  startSetDeletionProtection(ref: SqlInstanceRef, enabled: boolean): Promise<SqlOperationView>;
  getOperation(projectId: string, name: string): Promise<SqlOperationView>;
  /**
   * The instance's operations that are not DONE, newest first. Cloud SQL runs one admin operation
   * per instance at a time, so before starting one a caller adopts what is already running, e.g.
   * the operation a crashed attempt started.
   */
  listRunningOperations(ref: SqlInstanceRef): Promise<SqlOperationView[]>;
  /**
   * Every operation of the instance, DONE ones included, newest first, all pages. For finding an
   * operation a crashed attempt started and that has finished since (a restore has no other trace).
   */
  listOperations(ref: SqlInstanceRef): Promise<SqlOperationView[]>;
}

/** The parts of the `@googleapis/sqladmin` v1 client this adapter calls. */
interface SqlAdminClient {
  instances: Pick<sqladmin_v1.Resource$Instances, 'get' | 'patch' | 'restoreBackup' | 'clone'>;
  backupRuns: Pick<sqladmin_v1.Resource$Backupruns, 'list' | 'get' | 'insert' | 'delete'>;
  operations: Pick<sqladmin_v1.Resource$Operations, 'get' | 'list'>;
}

/** Page size for list calls: large, so a typical instance's history is one request. */
const PAGE_SIZE = 100;

const str = (value: unknown): string => (value === null || value === undefined ? '' : String(value));

/** A `sql#instance` as the control plane sees it. */
const toInstanceView = (raw: sqladmin_v1.Schema$DatabaseInstance): SqlInstanceView => {
  const settings = raw.settings ?? {};
  const backup = settings.backupConfiguration ?? {};
  const view: SqlInstanceView = {
    name: str(raw.name),
    state: str(raw.state),
    databaseVersion: str(raw.databaseVersion),
    activationPolicy: str(settings.activationPolicy),
    backupEnabled: Boolean(backup.enabled),
    pitrEnabled: Boolean(backup.pointInTimeRecoveryEnabled) || Boolean(backup.binaryLogEnabled),
    deletionProtectionEnabled: Boolean(settings.deletionProtectionEnabled),
    settingsVersion: str(settings.settingsVersion),
  };
  const retained = backup.backupRetentionSettings?.retainedBackups;
  if (retained !== null && retained !== undefined) view.retainedBackups = Number(retained);
  return view;
};

/** A `sql#backupRun` as the control plane sees it. */
const toBackupRunView = (raw: sqladmin_v1.Schema$BackupRun): SqlBackupRunView => {
  const view: SqlBackupRunView = { id: str(raw.id), status: str(raw.status), type: str(raw.type) };
  if (raw.description) view.description = raw.description;
  if (raw.enqueuedTime) view.enqueuedTime = raw.enqueuedTime;
  if (raw.startTime) view.startTime = raw.startTime;
  if (raw.endTime) view.endTime = raw.endTime;
  if (raw.error && (raw.error.message || raw.error.code))
    view.errorMessage = str(raw.error.message) || str(raw.error.code);
  return view;
};

/** A `sql#operation` as the control plane sees it. */
const toOperationView = (raw: sqladmin_v1.Schema$Operation): SqlOperationView => {
  const view: SqlOperationView = {
    name: str(raw.name),
    operationType: str(raw.operationType),
    status: str(raw.status),
    targetId: str(raw.targetId),
  };
  // Cloud SQL's error is `{errors: [{code, message}]}`, not a google.rpc.Status; an empty list
  // (or an absent one) means success.
  const first = raw.error?.errors?.[0];
  if (first) view.error = { code: str(first.code), message: str(first.message) };
  const backupId = raw.backupContext?.backupId;
  if (backupId !== null && backupId !== undefined && str(backupId)) view.backupRunId = str(backupId);
  if (raw.insertTime) view.insertTime = raw.insertTime;
  return view;
};

/**
 * fromGcpError, but a 404 gets a message that names what is missing. Cloud SQL says which kind of
 * thing by its legacy reason: `instanceDoesNotExist` for an instance, `notFound` for anything else.
 */
const translate = (
  error: unknown,
  context: string,
  notFound: (reason: string | undefined) => string,
): ControlPlaneError => {
  const translated = fromGcpError(error, context);
  if (!(translated instanceof NotFoundError)) return translated;
  return new NotFoundError(notFound(readGcpError(error).reason), { cause: error });
};

const missingInstance = (ref: SqlInstanceRef): string =>
  `Cloud SQL instance ${ref.instance} does not exist in project ${ref.projectId}`;

/** 404 on a call about one instance: it is the instance that is missing. */
const instanceNotFound = (ref: SqlInstanceRef) => (): string => missingInstance(ref);

/** 404 on a call about a backup run: either the instance or the run is missing. */
const backupRunNotFound =
  (ref: SqlInstanceRef, id: string) =>
  (reason: string | undefined): string =>
    reason === 'instanceDoesNotExist'
      ? missingInstance(ref)
      : `backup run ${id} does not exist on Cloud SQL instance ${ref.instance}`;

/** SqlApi over the `@googleapis/sqladmin` v1 client, built on first use by `client`. */
const createSqlApi = (client: () => SqlAdminClient): SqlApi => {
  const instancePath = (ref: SqlInstanceRef): string => `${ref.projectId}/${ref.instance}`;

  // operations.list has no status filter: the history is read in full, so that an operation queued
  // behind newer DONE ones is not missed and a finished one can still be found.
  const listOperations = async (ref: SqlInstanceRef): Promise<SqlOperationView[]> => {
    const operations: SqlOperationView[] = [];
    let pageToken: string | undefined;
    try {
      do {
        const { data } = await client().operations.list({
          project: ref.projectId,
          instance: ref.instance,
          maxResults: PAGE_SIZE,
          ...(pageToken ? { pageToken } : {}),
        });
        operations.push(...(data.items ?? []).map(toOperationView));
        pageToken = data.nextPageToken ?? undefined;
      } while (pageToken);
    } catch (error) {
      throw translate(error, `list operations of ${instancePath(ref)}`, instanceNotFound(ref));
    }
    return operations;
  };

  return {
    async getInstance(ref) {
      try {
        const { data } = await client().instances.get({ project: ref.projectId, instance: ref.instance });
        return toInstanceView(data);
      } catch (error) {
        throw translate(error, `read Cloud SQL instance ${instancePath(ref)}`, instanceNotFound(ref));
      }
    },

    async listBackupRuns(ref) {
      const runs: SqlBackupRunView[] = [];
      let pageToken: string | undefined;
      try {
        do {
          const { data } = await client().backupRuns.list({
            project: ref.projectId,
            instance: ref.instance,
            maxResults: PAGE_SIZE,
            ...(pageToken ? { pageToken } : {}),
          });
          runs.push(...(data.items ?? []).map(toBackupRunView));
          pageToken = data.nextPageToken ?? undefined;
        } while (pageToken);
      } catch (error) {
        throw translate(error, `list backup runs of ${instancePath(ref)}`, instanceNotFound(ref));
      }
      return runs;
    },

    async getBackupRun(ref, id) {
      try {
        const { data } = await client().backupRuns.get({
          project: ref.projectId,
          instance: ref.instance,
          id,
        });
        return toBackupRunView(data);
      } catch (error) {
        throw translate(error, `read backup run ${id} of ${instancePath(ref)}`, backupRunNotFound(ref, id));
      }
    },

    async startBackup(ref, description) {
      try {
        const { data } = await client().backupRuns.insert({
          project: ref.projectId,
          instance: ref.instance,
          requestBody: description ? { description } : {},
        });
        return toOperationView(data);
      } catch (error) {
        throw translate(error, `start a backup of ${instancePath(ref)}`, instanceNotFound(ref));
      }
    },

    async startDeleteBackupRun(ref, id) {
      try {
        const { data } = await client().backupRuns.delete({
          project: ref.projectId,
          instance: ref.instance,
          id,
        });
        return toOperationView(data);
      } catch (error) {
        throw translate(error, `delete backup run ${id} of ${instancePath(ref)}`, backupRunNotFound(ref, id));
      }
    },

    async startRestore(target, request) {
      const source = request.sourceInstance ?? target.instance;
      const sourceRef = { projectId: target.projectId, instance: source };
      try {
        const { data } = await client().instances.restoreBackup({
          project: target.projectId,
          instance: target.instance,
          requestBody: {
            restoreBackupContext: {
              backupRunId: request.backupRunId,
              instanceId: source,
              project: target.projectId,
            },
          },
        });
        return toOperationView(data);
      } catch (error) {
        throw translate(
          error,
          `restore backup run ${request.backupRunId} of ${source} into ${instancePath(target)}`,
          (reason) => {
            if (reason !== 'instanceDoesNotExist')
              return backupRunNotFound(sourceRef, request.backupRunId)(reason);
            // Cloud SQL's 404 does not say whether the target or the source is the missing one.
            return source === target.instance
              ? missingInstance(target)
              : `Cloud SQL instance ${target.instance} (restore target) or ${source} (backup source) does not exist in project ${target.projectId}`;
          },
        );
      }
    },

    async startClone(source, request) {
      try {
        const { data } = await client().instances.clone({
          project: source.projectId,
          instance: source.instance,
          requestBody: {
            cloneContext: {
              destinationInstanceName: request.destinationInstanceName,
              ...(request.pointInTime ? { pointInTime: request.pointInTime } : {}),
              ...(request.allocatedIpRange ? { allocatedIpRange: request.allocatedIpRange } : {}),
            },
          },
        });
        return toOperationView(data);
      } catch (error) {
        throw translate(
          error,
          `clone ${instancePath(source)} to ${request.destinationInstanceName}`,
          instanceNotFound(source),
        );
      }
    },

    async startSetDeletionProtection(ref, enabled) {
      try {
        const { data } = await client().instances.patch({
          project: ref.projectId,
          instance: ref.instance,
          requestBody: { settings: { deletionProtectionEnabled: enabled } },
        });
        return toOperationView(data);
      } catch (error) {
        throw translate(
          error,
          `turn deletion protection ${enabled ? 'on' : 'off'} on ${instancePath(ref)}`,
          instanceNotFound(ref),
        );
      }
    },

    async getOperation(projectId, name) {
      try {
        const { data } = await client().operations.get({ project: projectId, operation: name });
        return toOperationView(data);
      } catch (error) {
        throw translate(
          error,
          `read Cloud SQL operation ${projectId}/${name}`,
          () => `Cloud SQL operation ${name} does not exist in project ${projectId}`,
        );
      }
    },

    async listRunningOperations(ref) {
      return (await listOperations(ref)).filter((op) => op.status !== 'DONE');
    },

    listOperations,
  };
};

/**
 * Polls a Cloud SQL operation until DONE. One that ended with an error is OPERATION_FAILED (not
 * retryable); one still running at the deadline is OPERATION_PENDING (retryable: the redelivery
 * resumes polling from the recorded name).
 */
const waitForSqlOperation = (
  api: Pick<SqlApi, 'getOperation'>,
  projectId: string,
  name: string,
  clock: Clock,
  settings: PollSettings,
  onProgress?: (op: SqlOperationView) => void,
): Promise<SqlOperationView> =>
  pollOperation(
    () => api.getOperation(projectId, name),
    (op) => op.status === 'DONE',
    clock,
    settings,
    onProgress,
  );

export type {
  CloneRequest,
  RestoreRequest,
  SqlAdminClient,
  SqlApi,
  SqlBackupRunView,
  SqlInstanceRef,
  SqlInstanceView,
  SqlOperationView,
};
export { createSqlApi, toBackupRunView, toInstanceView, toOperationView, waitForSqlOperation };
