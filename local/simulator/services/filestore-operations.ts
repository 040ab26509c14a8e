import { randomBytes } from 'node:crypto';
import type { Logger } from '../../../shared/logging';
import type {
  FilestoreBackup,
  FilestoreOperationEffect,
  FilestoreOperationKind,
  FilestoreOperationRecord,
  FilestoreState,
  LongRunningOperation,
  RpcStatusBody,
} from './filestore-model';
import {
  backupSourceKey,
  findBackup,
  findInstance,
  findSnapshot,
  parseBackupName,
  parseInstanceName,
  parseSnapshotName,
} from './filestore-model';

/**
 * Filestore's google.longrunning operations. As with GKE, an operation's progress is a function of
 * the clock: it is not done until `start + duration × timeScale`, and every request first settles
 * the due ones, applying each effect exactly once. Nothing runs in the background, so a ManualClock
 * drives it deterministically and there are no timers to clean up.
 */

/** Durations per operation kind, in ms, before the time scale is applied. */
type FilestoreOperationDurations = Readonly<Record<FilestoreOperationKind, number>>;

/**
 * Defaults where the fixture has no history. A backup create is overridden by the fixture's own
 * (18 min 31 s); the others are the orders of magnitude the brief gives, not measurements.
 */
const DEFAULT_FILESTORE_OPERATION_DURATIONS_MS: FilestoreOperationDurations = {
  'backups.create': 10 * 60_000,
  'backups.delete': 60_000,
  'instances.restore': 15 * 60_000,
  'snapshots.create': 60_000,
  'snapshots.delete': 60_000,
};

/**
 * The `@type` of an operation's metadata. gax decodes `metadata` and `response` as protobuf `Any`
 * by these URLs, so without them `op.promise()` cannot produce its result (api-contracts §10).
 */
const OPERATION_METADATA_TYPE = 'type.googleapis.com/google.cloud.common.OperationMetadata';
/** The `@type` of a finished backup create's `response`. */
const BACKUP_TYPE = 'type.googleapis.com/google.cloud.filestore.v1.Backup';
/** The `@type` of a finished restore's `response`: the instance. */
const INSTANCE_TYPE = 'type.googleapis.com/google.cloud.filestore.v1.Instance';
/** The `@type` of a finished snapshot create's `response`. */
const SNAPSHOT_TYPE = 'type.googleapis.com/google.cloud.filestore.v1.Snapshot';
/** The `@type` of a finished delete's `response`, which has no fields. */
const EMPTY_TYPE = 'type.googleapis.com/google.protobuf.Empty';

/** gRPC NOT_FOUND, for an operation whose resource vanished from under it. */
const CODE_NOT_FOUND = 5;
/** gRPC INTERNAL, for a not-done operation the simulator cannot finish (seeded without an effect). */
const CODE_INTERNAL = 13;

/** Which kind a (historical) operation was, from its target and verb; `undefined` if not one we model. */
const operationKindOf = (operation: LongRunningOperation): FilestoreOperationKind | undefined => {
  const { target, verb } = operation.metadata;
  if (parseSnapshotName(target)) {
    if (verb === 'create') return 'snapshots.create';
    if (verb === 'delete') return 'snapshots.delete';
    return undefined;
  }
  if (parseBackupName(target)) {
    if (verb === 'create') return 'backups.create';
    if (verb === 'delete') return 'backups.delete';
    return undefined;
  }
  if (parseInstanceName(target) && verb === 'restore') return 'instances.restore';
  return undefined;
};

/**
 * The defaults, each overridden by the newest successful operation of its kind in the fixture's
 * history (whole seconds: the history is not more precise than its clocks).
 */
const deriveFilestoreOperationDurations = (
  history: readonly LongRunningOperation[],
): FilestoreOperationDurations => {
  const durations: Record<FilestoreOperationKind, number> = { ...DEFAULT_FILESTORE_OPERATION_DURATIONS_MS };
  const newestFirst = [...history].sort(
    (a, b) => Date.parse(b.metadata.createTime) - Date.parse(a.metadata.createTime),
  );
  const seen = new Set<FilestoreOperationKind>();
  for (const operation of newestFirst) {
    const kind = operationKindOf(operation);
    const { createTime, endTime } = operation.metadata;
    // A failed operation's duration says when it gave up, not how long the work takes.
    if (kind === undefined || seen.has(kind) || !operation.done || operation.error || endTime === undefined)
      continue;
    const elapsedMs = Date.parse(endTime) - Date.parse(createTime);
    if (!(elapsedMs >= 0)) continue;
    seen.add(kind);
    durations[kind] = Math.floor(elapsedMs / 1000) * 1000;
  }
  return durations;
};

/**
 * Filestore's operation id, in the fixture history's form:
 * `operation-<start ms>-<13 hex>-<8 hex>-<8 hex>`.
 *
 * @param suffixHex - 29 hex characters; random unless given (tests).
 */
const formatFilestoreOperationId = (startMs: number, suffixHex: string): string =>
  `operation-${startMs}-${suffixHex.slice(0, 13)}-${suffixHex.slice(13, 21)}-${suffixHex.slice(21, 29)}`;

interface StartFilestoreOperationInput {
  state: FilestoreState;
  /** The project as it appears in operation names and targets (the fixture history uses the id). */
  projectId: string;
  /** Where the operation lives: the backup's region, or the instance's zone or region. */
  location: string;
  now: Date;
  timeScale: number;
  durations: FilestoreOperationDurations;
  effect: FilestoreOperationEffect;
  /** `OperationMetadata.target`: the resource the operation acts on. */
  target: string;
  /** `OperationMetadata.verb`: `create`, `delete`, `restore`. */
  verb: string;
  /** From fault injection: the operation ends with this error and without its effect. */
  failure?: RpcStatusBody;
  lockedInstance?: string;
  backupSource?: string;
  /** 29 hex characters for the id; random unless given (tests). */
  suffixHex?: string;
}

/**
 * Records a new, not-done operation and returns a copy of its wire shape. Callers have already
 * checked the request and put the resource into its transitional state (CREATING, RESTORING, …).
 * The copy is taken before any settling, so even at time scale 0 the caller sees `done: false`,
 * as Google never answers a mutation with a finished operation; the first poll sees it done.
 */
const startFilestoreOperation = (input: StartFilestoreOperationInput): LongRunningOperation => {
  const startMs = input.now.getTime();
  const id = formatFilestoreOperationId(startMs, input.suffixHex ?? randomBytes(15).toString('hex'));
  const dueMs = startMs + input.durations[input.effect.kind] * input.timeScale;
  const operation: LongRunningOperation = {
    name: `projects/${input.projectId}/locations/${input.location}/operations/${id}`,
    metadata: {
      '@type': OPERATION_METADATA_TYPE,
      createTime: input.now.toISOString(),
      target: input.target,
      verb: input.verb,
      cancelRequested: false,
      apiVersion: 'v1',
    },
    done: false,
  };
  const record: FilestoreOperationRecord = {
    operation,
    dueAt: new Date(dueMs).toISOString(),
    effect: input.effect,
    ...(input.failure ? { failure: structuredClone(input.failure) } : {}),
    ...(input.lockedInstance === undefined ? {} : { lockedInstance: input.lockedInstance }),
    ...(input.backupSource === undefined ? {} : { backupSource: input.backupSource }),
  };
  input.state.operations.push(record);
  return structuredClone(operation);
};

/** The not-done operations, oldest first. Settle first, or due operations still count. */
const runningOperations = (state: FilestoreState): FilestoreOperationRecord[] =>
  state.operations.filter((record) => !record.operation.done);

/** The running backup create or restore that holds this instance (`{location}/{id}`), if any. */
const runningInstanceLock = (state: FilestoreState, key: string): FilestoreOperationRecord | undefined =>
  runningOperations(state).find((record) => record.lockedInstance === key);

/** The running backup delete of a backup whose source is this instance key, if any. */
const runningBackupDelete = (
  state: FilestoreState,
  sourceKey: string,
): FilestoreOperationRecord | undefined =>
  runningOperations(state).find((record) => record.backupSource === sourceKey);

/** The running restore that reads this backup, if any: its backup must not be deleted meanwhile. */
const runningRestoreFrom = (
  state: FilestoreState,
  location: string,
  backupId: string,
): FilestoreOperationRecord | undefined =>
  runningOperations(state).find((record) => {
    if (record.effect?.kind !== 'instances.restore') return false;
    const ref = parseBackupName(record.effect.sourceBackup);
    return ref?.location === location && ref.id === backupId;
  });

/**
 * A new backup's sizes. The simulator does not model the data on a share, so it assumes nothing
 * changed since the newest earlier backup of the same instance and reuses its figures; with none,
 * the sizes are left out, as proto3 JSON leaves out zeros.
 */
const sizesFromPreviousBackup = (
  state: FilestoreState,
  backup: FilestoreBackup,
): Partial<FilestoreBackup> => {
  const source = backupSourceKey(backup);
  const previous = state.backups
    .filter(
      (candidate) =>
        candidate !== backup &&
        candidate.state === 'READY' &&
        source !== undefined &&
        backupSourceKey(candidate) === source,
    )
    .sort((a, b) => Date.parse(b.createTime) - Date.parse(a.createTime))[0];
  const sizes: Partial<FilestoreBackup> = {};
  if (previous?.storageBytes !== undefined) sizes.storageBytes = previous.storageBytes;
  if (previous?.downloadBytes !== undefined) sizes.downloadBytes = previous.downloadBytes;
  return sizes;
};

/** What the operation answers with once done: the resource (with its `@type`) or an error. */
type Outcome = { response: Record<string, unknown> } | { error: RpcStatusBody };

const vanished = (what: string): Outcome => ({
  error: { code: CODE_NOT_FOUND, message: `${what} no longer exists.` },
});

const removeItem = <Item>(items: Item[], item: Item): void => {
  const index = items.indexOf(item);
  if (index >= 0) items.splice(index, 1);
};

/** Applies a successful operation's effect and returns its response. */
const applyEffect = (state: FilestoreState, effect: FilestoreOperationEffect): Outcome => {
  switch (effect.kind) {
    case 'backups.create': {
      const backup = findBackup(state, effect.location, effect.backupId);
      if (!backup) return vanished(`Backup ${effect.location}/${effect.backupId}`);
      Object.assign(backup, sizesFromPreviousBackup(state, backup), { state: 'READY' });
      return { response: { '@type': BACKUP_TYPE, ...structuredClone(backup) } };
    }
    case 'backups.delete': {
      const backup = findBackup(state, effect.location, effect.backupId);
      if (backup) removeItem(state.backups, backup);
      return { response: { '@type': EMPTY_TYPE } };
    }
    case 'instances.restore': {
      const instance = findInstance(state, effect.location, effect.instanceId);
      if (!instance) return vanished(`Instance ${effect.location}/${effect.instanceId}`);
      instance.state = 'READY';
      const share = instance.fileShares.find((candidate) => candidate.name === effect.fileShare);
      // Google records on the share which backup its data came from.
      if (share) share.sourceBackup = effect.sourceBackup;
      return { response: { '@type': INSTANCE_TYPE, ...structuredClone(instance) } };
    }
    case 'snapshots.create': {
      const snapshot = findSnapshot(state, effect.location, effect.instanceId, effect.snapshotId);
      if (!snapshot) return vanished(`Snapshot ${effect.instanceId}/${effect.snapshotId}`);
      // As for backups: the data is not modelled, so the newest sibling's usage stands in for it.
      const sibling = state.snapshots
        .filter((candidate) => {
          const ref = parseSnapshotName(candidate.name);
          return (
            candidate !== snapshot &&
            candidate.state === 'READY' &&
            ref?.location === effect.location &&
            ref.instanceId === effect.instanceId
          );
        })
        .sort((a, b) => Date.parse(b.createTime) - Date.parse(a.createTime))[0];
      snapshot.state = 'READY';
      if (sibling?.filesystemUsedBytes !== undefined)
        snapshot.filesystemUsedBytes = sibling.filesystemUsedBytes;
      return { response: { '@type': SNAPSHOT_TYPE, ...structuredClone(snapshot) } };
    }
    case 'snapshots.delete': {
      const snapshot = findSnapshot(state, effect.location, effect.instanceId, effect.snapshotId);
      if (snapshot) removeItem(state.snapshots, snapshot);
      return { response: { '@type': EMPTY_TYPE } };
    }
  }
};

/**
 * Undoes the transitional state of an operation that failed. A backup or snapshot whose create
 * failed is removed rather than left INVALID: under AIP-133 a failed create leaves no resource,
 * and a retry with the same deterministic id (ops-catalog §5.1) then creates it instead of meeting
 * ALREADY_EXISTS and mistaking the failure for success. Deletes and restores leave the resource
 * READY, unchanged.
 */
const rollBack = (state: FilestoreState, effect: FilestoreOperationEffect): void => {
  switch (effect.kind) {
    case 'backups.create': {
      const backup = findBackup(state, effect.location, effect.backupId);
      if (backup) removeItem(state.backups, backup);
      return;
    }
    case 'backups.delete': {
      const backup = findBackup(state, effect.location, effect.backupId);
      if (backup) backup.state = 'READY';
      return;
    }
    case 'instances.restore': {
      const instance = findInstance(state, effect.location, effect.instanceId);
      if (instance) instance.state = 'READY';
      return;
    }
    case 'snapshots.create': {
      const snapshot = findSnapshot(state, effect.location, effect.instanceId, effect.snapshotId);
      if (snapshot) removeItem(state.snapshots, snapshot);
      return;
    }
    case 'snapshots.delete': {
      const snapshot = findSnapshot(state, effect.location, effect.instanceId, effect.snapshotId);
      if (snapshot) snapshot.state = 'READY';
      return;
    }
  }
};

/**
 * Finishes every due operation: `done`, `endTime` = its due time (not the time someone looked), and
 * exactly one of `response` (effect applied) or `error` (injected failure, effect rolled back).
 * Idempotent: done operations are skipped.
 */
const settleFilestoreOperations = (state: FilestoreState, now: Date, logger: Logger): void => {
  const nowMs = now.getTime();
  for (const record of state.operations) {
    const { operation } = record;
    if (operation.done || Date.parse(record.dueAt) > nowMs) continue;
    operation.done = true;
    operation.metadata.endTime = record.dueAt;
    const effect = record.effect;
    let outcome: Outcome;
    if (!effect) {
      // Only a fixture can seed a running operation; the simulator does not know what it would do.
      outcome = {
        error: { code: CODE_INTERNAL, message: 'The simulator has no record of what this operation does.' },
      };
    } else if (record.failure) {
      rollBack(state, effect);
      outcome = { error: record.failure };
    } else {
      outcome = applyEffect(state, effect);
    }
    if ('error' in outcome) {
      operation.error = outcome.error;
      if (!record.failure) {
        logger.warn('Filestore operation finished but its resource is gone', {
          operation: operation.name,
          error: outcome.error.message,
        });
      }
    } else {
      operation.response = outcome.response;
    }
    delete record.effect;
    delete record.failure;
  }
};

export type { FilestoreOperationDurations, StartFilestoreOperationInput };
export {
  BACKUP_TYPE,
  DEFAULT_FILESTORE_OPERATION_DURATIONS_MS,
  deriveFilestoreOperationDurations,
  EMPTY_TYPE,
  formatFilestoreOperationId,
  INSTANCE_TYPE,
  OPERATION_METADATA_TYPE,
  operationKindOf,
  runningBackupDelete,
  runningInstanceLock,
  runningRestoreFrom,
  SNAPSHOT_TYPE,
  settleFilestoreOperations,
  startFilestoreOperation,
};
