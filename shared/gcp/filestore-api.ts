import type { CloudFilestoreManagerClient } from '@google-cloud/filestore';
import { fromGcpError, GcpError, readGcpError } from '../errors';
import type { Clock } from '../time';
import { type PollSettings, pollOperation } from './wait-for-operation';

/**
 * The Filestore calls the backup, snapshot, restore and retention operations need, in the control
 * plane's own terms. Nothing above this module sees a client library type, a protobuf enum, a
 * `Long`, a packed `google.protobuf.Any` or a gax error.
 *
 * Mutations only START a google.longrunning operation and return its view: a Filestore backup can
 * outlive a function invocation, so callers record `name` and poll it with `getOperation` (or
 * `waitForFilestoreOperation` for a bounded wait) on a later tick.
 */

/** Which instance: project id, zone or region, instance id. */
interface FilestoreInstanceRef {
  projectId: string;
  /** The instance's zone (BASIC_*, ZONAL) or region (REGIONAL, ENTERPRISE), e.g. `us-central1-a`. */
  location: string;
  instance: string;
}

/** Which backup: project id, region, backup id. */
interface FilestoreBackupRef {
  projectId: string;
  /** A region: backups live in the region of their source instance. */
  location: string;
  backup: string;
}

/** Which snapshot: its instance and the snapshot id. */
interface FilestoreSnapshotRef extends FilestoreInstanceRef {
  snapshot: string;
}

/** One file share of an instance (Filestore allows one). */
interface FilestoreShareView {
  name: string;
  capacityGb: number;
  /** The backup the share was last restored from, when it was. */
  sourceBackup?: string;
}

/** An instance as the operations need it: tier rules resolved, int64 capacities as numbers. */
interface FilestoreInstanceView {
  name: string;
  location: string;
  /** e.g. `BASIC_HDD`, `ZONAL`. */
  tier: string;
  /** e.g. `READY`, `RESTORING`. */
  state: string;
  statusMessage: string;
  shares: FilestoreShareView[];
  /** Only ZONAL, REGIONAL and ENTERPRISE instances take snapshots (api-contracts §3, tier rules). */
  supportsSnapshots: boolean;
  /** `instances.restore` onto the existing share is for Basic tiers only; others restore into a new instance. */
  supportsInPlaceRestore: boolean;
}

/** A backup with the fields backup verification and retention pruning read. */
interface FilestoreBackupView {
  /** The last path segment: the `backupId` it was created with. */
  id: string;
  /** As Google returns it; the project part may be the project NUMBER (see `sourceInstanceKey`). */
  name: string;
  /** The backup's region. */
  location: string;
  description: string;
  sourceInstance: string;
  /**
   * `{location}/{instance}` of the source, without the project: Google names the project by id in
   * some answers and by number in others, so group backups of one instance by this, not by
   * `sourceInstance`.
   */
  sourceInstanceKey: string;
  sourceFileShare: string;
  sourceInstanceTier: string;
  /** `CREATING`, `FINALIZING`, `READY`, `DELETING`, `INVALID`. */
  state: string;
  /** ISO 8601; empty when Google sent none. */
  createTime: string;
  capacityGb: number;
  storageBytes: number;
  labels: Record<string, string>;
}

/** An instance snapshot with the fields retention pruning reads. */
interface FilestoreSnapshotView {
  id: string;
  name: string;
  description: string;
  /** `CREATING`, `READY`, `DELETING`. */
  state: string;
  createTime: string;
  filesystemUsedBytes: number;
  labels: Record<string, string>;
}

/** A google.longrunning.Operation, decoded: what a caller records and polls. */
interface FilestoreOperationView {
  /** `projects/{p}/locations/{l}/operations/{id}`: record it, then poll it with `getOperation`. */
  name: string;
  done: boolean;
  /** Set when the operation finished with an error (google.rpc.Status: gRPC code and message). */
  error?: { code: number; message: string };
  /** The resource the operation works on, from its metadata, e.g. `…/backups/acme-kf-home-daily-20260302`. */
  target?: string;
  /** `create`, `delete`, `restore`, … from its metadata. */
  verb?: string;
  /** ISO 8601, from its metadata. */
  createTime?: string;
  endTime?: string;
  /** Short type of the result once done: `Backup`, `Snapshot`, `Instance` or `Empty`. */
  responseType?: string;
  /**
   * The result once done, as plain JSON: enums as names, int64 as numbers, timestamps as ISO
   * strings. Absent for Empty and for types this module cannot decode.
   */
  response?: Record<string, unknown>;
}

/** What `startBackup` creates. */
interface StartBackupRequest {
  /** Deterministic ids make a retried start idempotent: ALREADY_EXISTS means it was created. */
  backupId: string;
  share: string;
  description?: string;
  labels?: Record<string, string>;
  /** The backup's region; defaults to the region of the instance's zone. */
  location?: string;
}

/** What `startSnapshot` creates. */
interface StartSnapshotRequest {
  snapshotId: string;
  description?: string;
  labels?: Record<string, string>;
}

/** What `startRestore` restores, and from which backup. */
interface StartRestoreRequest {
  share: string;
  /** Full backup name, e.g. a `FilestoreBackupView.name`. */
  sourceBackup: string;
}

/** Narrowing and paging of `listBackups`. */
interface ListBackupsOptions {
  /** Google's list filter, e.g. `labels.managed-by="acme-ops"`. */
  filter?: string;
  /** Page size asked for; every page is read whatever it is. */
  pageSize?: number;
}

/** The Filestore adapter; see the module comment. Every failure is a ControlPlaneError. */
interface FilestoreApi {
  getInstance(ref: FilestoreInstanceRef): Promise<FilestoreInstanceView>;
  /** Every backup in `location` (a region, or `-` for all), all pages followed. */
  listBackups(
    projectId: string,
    location: string,
    options?: ListBackupsOptions,
  ): Promise<FilestoreBackupView[]>;
  getBackup(ref: FilestoreBackupRef): Promise<FilestoreBackupView>;
  startBackup(ref: FilestoreInstanceRef, request: StartBackupRequest): Promise<FilestoreOperationView>;
  startDeleteBackup(ref: FilestoreBackupRef): Promise<FilestoreOperationView>;
  startSnapshot(ref: FilestoreInstanceRef, request: StartSnapshotRequest): Promise<FilestoreOperationView>;
  listSnapshots(ref: FilestoreInstanceRef): Promise<FilestoreSnapshotView[]>;
  startDeleteSnapshot(ref: FilestoreSnapshotRef): Promise<FilestoreOperationView>;
  /** In-place restore of a share; Basic tiers only (`supportsInPlaceRestore`). */
  startRestore(ref: FilestoreInstanceRef, request: StartRestoreRequest): Promise<FilestoreOperationView>;
  getOperation(name: string): Promise<FilestoreOperationView>;
  /**
   * Every google.longrunning operation in `location` (a zone or a region), all pages followed:
   * how an attempt that crashed after starting a mutation, before recording it, finds that
   * operation again (by `target`, `verb` and `createTime`) instead of starting a second one.
   */
  listOperations(projectId: string, location: string): Promise<FilestoreOperationView[]>;
}

/** The client methods this module uses; `descriptors` holds the decoders for packed results. */
type FilestoreClient = Pick<
  CloudFilestoreManagerClient,
  | 'getInstance'
  | 'getBackup'
  | 'listBackups'
  | 'createBackup'
  | 'deleteBackup'
  | 'createSnapshot'
  | 'listSnapshots'
  | 'deleteSnapshot'
  | 'restoreInstance'
  | 'getOperation'
  | 'listOperationsAsync'
  | 'descriptors'
>;

const SNAPSHOT_TIERS = new Set(['ZONAL', 'REGIONAL', 'ENTERPRISE']);
/** STANDARD and PREMIUM are the old names of BASIC_HDD and BASIC_SSD. */
const BASIC_TIERS = new Set(['BASIC_HDD', 'BASIC_SSD', 'STANDARD', 'PREMIUM']);

/** Whether instances of `tier` take snapshots. */
const tierSupportsSnapshots = (tier: string): boolean => SNAPSHOT_TIERS.has(tier);
/** Whether instances of `tier` can be restored in place (`instances.restore`). */
const tierSupportsInPlaceRestore = (tier: string): boolean => BASIC_TIERS.has(tier);

/** `projects/{p}/locations/{l}/instances/{i}`. */
const filestoreInstancePath = (ref: FilestoreInstanceRef): string =>
  `projects/${ref.projectId}/locations/${ref.location}/instances/${ref.instance}`;
/** `projects/{p}/locations/{region}/backups/{b}`. */
const filestoreBackupPath = (ref: FilestoreBackupRef): string =>
  `projects/${ref.projectId}/locations/${ref.location}/backups/${ref.backup}`;
/** `projects/{p}/locations/{l}/instances/{i}/snapshots/{s}`. */
const filestoreSnapshotPath = (ref: FilestoreSnapshotRef): string =>
  `${filestoreInstancePath(ref)}/snapshots/${ref.snapshot}`;

/** `us-central1-a` → `us-central1`; a region (or `-`) is returned as is. */
const filestoreRegionOf = (location: string): string =>
  /^([a-z]+-[a-z]+\d+)-[a-z]$/.exec(location)?.[1] ?? location;

/**
 * A Filestore resource name without its `projects/{p}/locations/` prefix, e.g.
 * `us-central1-a/instances/acme-kf-home`: Google answers with the project id or number depending on
 * the call, so names are compared by this key.
 */
const filestoreResourceKey = (name: string): string => name.replace(/^projects\/[^/]+\/locations\//, '');

type Loose = Record<string, unknown> | null | undefined;
const asLoose = (value: unknown): Loose =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
/** int64 arrives as a string (unary REST), a number or a Long; all have a numeric `Number()` value. */
const num = (value: unknown): number => {
  if (value === null || value === undefined || value === '') return 0;
  const parsed = Number(typeof value === 'object' ? String(value) : value);
  return Number.isFinite(parsed) ? parsed : 0;
};
const str = (value: unknown): string => (value === null || value === undefined ? '' : String(value));
const lastSegment = (name: string): string => name.slice(name.lastIndexOf('/') + 1);
const labelsOf = (value: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(asLoose(value) ?? {}).map(([key, label]) => [key, str(label)]));

/** google.protobuf.Timestamp as `{seconds, nanos}` (seconds a string, number or Long), or an ISO string → ISO. */
const isoTime = (value: unknown): string => {
  if (typeof value === 'string') return value;
  const timestamp = asLoose(value);
  if (!timestamp || timestamp.seconds === undefined || timestamp.seconds === null) return '';
  return new Date(num(timestamp.seconds) * 1000 + Math.floor(num(timestamp.nanos) / 1e6)).toISOString();
};

/** Enums come back as names over REST; a bare number is kept as its digits rather than guessed at. */
const enumName = (value: unknown): string => str(value);

const toInstanceView = (raw: Loose): FilestoreInstanceView => {
  const name = str(raw?.name);
  const tier = enumName(raw?.tier);
  const shares = Array.isArray(raw?.fileShares) ? (raw.fileShares as unknown[]) : [];
  return {
    name,
    location: /\/locations\/([^/]+)\//.exec(name)?.[1] ?? '',
    tier,
    state: enumName(raw?.state),
    statusMessage: str(raw?.statusMessage),
    shares: shares.map((entry) => {
      const share = asLoose(entry);
      const sourceBackup = str(share?.sourceBackup);
      return {
        name: str(share?.name),
        capacityGb: num(share?.capacityGb),
        ...(sourceBackup ? { sourceBackup } : {}),
      };
    }),
    supportsSnapshots: tierSupportsSnapshots(tier),
    supportsInPlaceRestore: tierSupportsInPlaceRestore(tier),
  };
};

const toBackupView = (raw: Loose): FilestoreBackupView => {
  const name = str(raw?.name);
  const sourceInstance = str(raw?.sourceInstance);
  return {
    id: lastSegment(name),
    name,
    location: /\/locations\/([^/]+)\//.exec(name)?.[1] ?? '',
    description: str(raw?.description),
    sourceInstance,
    sourceInstanceKey: filestoreResourceKey(sourceInstance).replace('/instances/', '/'),
    sourceFileShare: str(raw?.sourceFileShare),
    sourceInstanceTier: enumName(raw?.sourceInstanceTier),
    state: enumName(raw?.state),
    createTime: isoTime(raw?.createTime),
    capacityGb: num(raw?.capacityGb),
    storageBytes: num(raw?.storageBytes),
    labels: labelsOf(raw?.labels),
  };
};

const toSnapshotView = (raw: Loose): FilestoreSnapshotView => {
  const name = str(raw?.name);
  return {
    id: lastSegment(name),
    name,
    description: str(raw?.description),
    state: enumName(raw?.state),
    createTime: isoTime(raw?.createTime),
    filesystemUsedBytes: num(raw?.filesystemUsedBytes),
    labels: labelsOf(raw?.labels),
  };
};

/** Fields of the decoded results that are int64 (as strings in protobuf JSON), made numbers. */
const INT64_FIELDS = new Set(['capacityGb', 'storageBytes', 'downloadBytes', 'filesystemUsedBytes']);
const TIMESTAMP_FIELDS = new Set(['createTime', 'endTime', 'updateTime']);

/** A decoded result in protobuf JSON form → plain JSON: int64 numbers, ISO timestamps. */
const plainResult = (json: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(json).map(([key, value]) => {
      if (INT64_FIELDS.has(key)) return [key, num(value)];
      if (TIMESTAMP_FIELDS.has(key)) return [key, isoTime(value)];
      if (key === 'fileShares' && Array.isArray(value))
        return [key, value.map((share) => plainResult(asLoose(share) ?? {}))];
      return [key, value];
    }),
  );

/**
 * Which of the client's long-running descriptors decodes a packed result of each type. Every
 * Filestore operation carries google.cloud.common.OperationMetadata, so any descriptor decodes that.
 */
const DECODER_BY_TYPE: Record<string, string> = {
  'google.cloud.filestore.v1.Backup': 'createBackup',
  'google.cloud.filestore.v1.Snapshot': 'createSnapshot',
  'google.cloud.filestore.v1.Instance': 'restoreInstance',
  'google.cloud.common.OperationMetadata': 'createBackup',
};

type AnyDecoder = (typeUrl: string, value: unknown) => Record<string, unknown> | undefined;

/**
 * Unpacks a google.protobuf.Any with the decoders the client itself uses for `op.promise()`, into
 * protobuf JSON (`toJSON()`: enums as names, int64 as strings). Done here rather than through
 * `checkCreateBackupProgress(name)` and its siblings because each of those decodes the result as
 * its own method's type: a recorded operation name does not say which method started it.
 */
const anyDecoderFor =
  (client: FilestoreClient): AnyDecoder =>
  (typeUrl, value) => {
    const method = DECODER_BY_TYPE[typeUrl.replace(/^.*\//, '')];
    const descriptor = method ? client.descriptors.longrunning[method] : undefined;
    // ArrayBuffer.isView rather than instanceof: the Buffer may come from another realm (jest's sandbox).
    if (!descriptor || !ArrayBuffer.isView(value)) return undefined;
    const decoder = typeUrl.endsWith('OperationMetadata')
      ? descriptor.metadataDecoder
      : descriptor.responseDecoder;
    return decoder(value as Uint8Array).toJSON();
  };

/** A google.longrunning.Operation as the client returns it (Any fields packed) → the view. */
const toOperationView = (raw: Loose, decode: AnyDecoder): FilestoreOperationView => {
  const view: FilestoreOperationView = { name: str(raw?.name), done: Boolean(raw?.done) };
  const error = asLoose(raw?.error);
  if (error && (num(error.code) !== 0 || str(error.message))) {
    view.error = { code: num(error.code), message: str(error.message) };
  }
  const metadataAny = asLoose(raw?.metadata);
  const metadata = metadataAny ? decode(str(metadataAny.type_url), metadataAny.value) : undefined;
  if (metadata?.target) view.target = str(metadata.target);
  if (metadata?.verb) view.verb = str(metadata.verb);
  if (metadata?.createTime) view.createTime = isoTime(metadata.createTime);
  if (metadata?.endTime) view.endTime = isoTime(metadata.endTime);
  const responseAny = asLoose(raw?.response);
  if (view.done && responseAny) {
    const typeUrl = str(responseAny.type_url);
    view.responseType = typeUrl.replace(/^.*\./, '');
    const response = decode(typeUrl, responseAny.value);
    if (response) view.response = plainResult(response);
  }
  return view;
};

/** The snapshot refusal of a Basic tier, in words an operator can act on; anything else as is. */
const snapshotError = (error: unknown, path: string) => {
  const translated = fromGcpError(error, `create snapshot ${path}`);
  const refusedForTier =
    translated instanceof GcpError &&
    (translated.status === 'FAILED_PRECONDITION' || translated.status === 'INVALID_ARGUMENT') &&
    /tier|basic|not supported|only supported/i.test(translated.message);
  if (!refusedForTier) return translated;
  const tier = /\b(BASIC_HDD|BASIC_SSD|STANDARD|PREMIUM)\b/.exec(translated.message)?.[1];
  return new GcpError(
    'GCP_REJECTED',
    `create snapshot ${path}: the instance's tier${tier ? ` (${tier})` : ''} does not support snapshots; ` +
      `only ZONAL, REGIONAL and ENTERPRISE instances have them, take a backup instead ` +
      `(Google said: ${readGcpError(error).message})`,
    {
      ...(translated.httpStatus !== undefined ? { httpStatus: translated.httpStatus } : {}),
      ...(translated.status !== undefined ? { status: translated.status } : {}),
    },
    { cause: error },
  );
};

/** FilestoreApi over `@google-cloud/filestore`'s CloudFilestoreManagerClient, built on first use. */
const createFilestoreApi = (client: () => FilestoreClient): FilestoreApi => {
  const operationView = (raw: unknown): FilestoreOperationView =>
    toOperationView(asLoose(raw), anyDecoderFor(client()));
  /** The LRO object a start call resolves to; its `latestResponse` is the raw Operation. */
  const started = (op: unknown): FilestoreOperationView => operationView(asLoose(op)?.latestResponse);

  return {
    async getInstance(ref) {
      try {
        const [instance] = await client().getInstance({ name: filestoreInstancePath(ref) });
        return toInstanceView(asLoose(instance));
      } catch (error) {
        throw fromGcpError(error, `read instance ${filestoreInstancePath(ref)}`);
      }
    },

    async listBackups(projectId, location, options = {}) {
      const parent = `projects/${projectId}/locations/${location}`;
      const backups: FilestoreBackupView[] = [];
      let pageToken = '';
      try {
        // Pages are read here rather than by gax's autoPaginate, so `unreachable` of each page is seen.
        do {
          const [page, , response] = await client().listBackups(
            {
              parent,
              ...(options.filter ? { filter: options.filter } : {}),
              ...(options.pageSize ? { pageSize: options.pageSize } : {}),
              ...(pageToken ? { pageToken } : {}),
            },
            { autoPaginate: false },
          );
          for (const backup of page) backups.push(toBackupView(asLoose(backup)));
          const unreachable = response?.unreachable ?? [];
          if (unreachable.length > 0) {
            // A partial list would make retention drop the newest backups from its keep set.
            throw new GcpError(
              'GCP_UNAVAILABLE',
              `list backups ${parent}: locations unreachable: ${unreachable.join(', ')}`,
              {},
            );
          }
          pageToken = str(response?.nextPageToken);
        } while (pageToken);
      } catch (error) {
        throw fromGcpError(error, `list backups ${parent}`);
      }
      return backups;
    },

    async getBackup(ref) {
      try {
        const [backup] = await client().getBackup({ name: filestoreBackupPath(ref) });
        return toBackupView(asLoose(backup));
      } catch (error) {
        throw fromGcpError(error, `read backup ${filestoreBackupPath(ref)}`);
      }
    },

    async startBackup(ref, request) {
      const parent = `projects/${ref.projectId}/locations/${request.location ?? filestoreRegionOf(ref.location)}`;
      try {
        const [op] = await client().createBackup({
          parent,
          backupId: request.backupId,
          backup: {
            sourceInstance: filestoreInstancePath(ref),
            sourceFileShare: request.share,
            ...(request.description ? { description: request.description } : {}),
            ...(request.labels ? { labels: request.labels } : {}),
          },
        });
        return started(op);
      } catch (error) {
        throw fromGcpError(error, `create backup ${parent}/backups/${request.backupId}`);
      }
    },

    async startDeleteBackup(ref) {
      try {
        const [op] = await client().deleteBackup({ name: filestoreBackupPath(ref) });
        return started(op);
      } catch (error) {
        throw fromGcpError(error, `delete backup ${filestoreBackupPath(ref)}`);
      }
    },

    async startSnapshot(ref, request) {
      const path = `${filestoreInstancePath(ref)}/snapshots/${request.snapshotId}`;
      try {
        const [op] = await client().createSnapshot({
          parent: filestoreInstancePath(ref),
          snapshotId: request.snapshotId,
          snapshot: {
            ...(request.description ? { description: request.description } : {}),
            ...(request.labels ? { labels: request.labels } : {}),
          },
        });
        return started(op);
      } catch (error) {
        throw snapshotError(error, path);
      }
    },

    async listSnapshots(ref) {
      const snapshots: FilestoreSnapshotView[] = [];
      let pageToken = '';
      try {
        do {
          const [page, , response] = await client().listSnapshots(
            { parent: filestoreInstancePath(ref), ...(pageToken ? { pageToken } : {}) },
            { autoPaginate: false },
          );
          for (const snapshot of page) snapshots.push(toSnapshotView(asLoose(snapshot)));
          pageToken = str(response?.nextPageToken);
        } while (pageToken);
      } catch (error) {
        throw fromGcpError(error, `list snapshots ${filestoreInstancePath(ref)}`);
      }
      return snapshots;
    },

    async startDeleteSnapshot(ref) {
      try {
        const [op] = await client().deleteSnapshot({ name: filestoreSnapshotPath(ref) });
        return started(op);
      } catch (error) {
        throw fromGcpError(error, `delete snapshot ${filestoreSnapshotPath(ref)}`);
      }
    },

    async startRestore(ref, request) {
      try {
        const [op] = await client().restoreInstance({
          name: filestoreInstancePath(ref),
          fileShare: request.share,
          sourceBackup: request.sourceBackup,
        });
        return started(op);
      } catch (error) {
        throw fromGcpError(
          error,
          `restore instance ${filestoreInstancePath(ref)} from ${request.sourceBackup}`,
        );
      }
    },

    async getOperation(name) {
      try {
        // The generic longrunning GET (api-contracts §3: operations.get), not a check…Progress
        // helper: it reads the operation once, without building a gax Operation that polls on timers.
        const [op] = await client().getOperation({ name } as Parameters<FilestoreClient['getOperation']>[0]);
        return operationView(op);
      } catch (error) {
        throw fromGcpError(error, `read operation ${name}`);
      }
    },

    async listOperations(projectId, location) {
      const name = `projects/${projectId}/locations/${location}`;
      const operations: FilestoreOperationView[] = [];
      try {
        // The generic longrunning LIST (api-contracts §3: operations.list). The iterator follows
        // every page itself; `autoPaginate: false` only says so to gax, which warns otherwise.
        const request = { name } as Parameters<FilestoreClient['listOperationsAsync']>[0];
        for await (const op of client().listOperationsAsync(request, { autoPaginate: false })) {
          operations.push(operationView(op));
        }
      } catch (error) {
        throw fromGcpError(error, `list operations ${name}`);
      }
      return operations;
    },
  };
};

/**
 * Polls a Filestore operation until `done`, within one invocation's budget: an operation that ended
 * with an error is OPERATION_FAILED; one still running at the deadline is OPERATION_PENDING
 * (retryable: the redelivery resumes polling from the recorded name).
 */
const waitForFilestoreOperation = (
  api: Pick<FilestoreApi, 'getOperation'>,
  name: string,
  clock: Clock,
  settings: PollSettings,
  onProgress?: (op: FilestoreOperationView) => void,
): Promise<FilestoreOperationView> =>
  pollOperation(
    () => api.getOperation(name),
    (op) => op.done,
    clock,
    settings,
    onProgress,
  );

export type {
  FilestoreApi,
  FilestoreBackupRef,
  FilestoreBackupView,
  FilestoreClient,
  FilestoreInstanceRef,
  FilestoreInstanceView,
  FilestoreOperationView,
  FilestoreShareView,
  FilestoreSnapshotRef,
  FilestoreSnapshotView,
  ListBackupsOptions,
  StartBackupRequest,
  StartRestoreRequest,
  StartSnapshotRequest,
};
export {
  createFilestoreApi,
  filestoreBackupPath,
  filestoreInstancePath,
  filestoreRegionOf,
  filestoreResourceKey,
  filestoreSnapshotPath,
  tierSupportsInPlaceRestore,
  tierSupportsSnapshots,
  waitForFilestoreOperation,
};
