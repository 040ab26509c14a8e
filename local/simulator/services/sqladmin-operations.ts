import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../shared/logging';
import type { InjectedOperationError } from '../service';
import type {
  SqlAdminState,
  SqlBackupRun,
  SqlInstance,
  SqlOperation,
  SqlOperationEffect,
  SqlOperationError,
  SqlOperationRecord,
  SqlProject,
  StartedOperationType,
} from './sqladmin-model';
import { STARTED_OPERATION_TYPES } from './sqladmin-model';
import { applySettingsPatch, newEtag } from './sqladmin-patch';
import { freshPitrLog, isPitrEnabled } from './sqladmin-pitr';

/**
 * Cloud SQL operation lifecycle. An operation's status is a function of the clock: PENDING from
 * insertion until `startAt`, RUNNING until `dueAt`, then DONE. Both instants are fixed when the
 * operation starts, from its type's timings × the time scale at that moment. Nothing runs in the
 * background: every request first settles what is due, applying each effect exactly once, which
 * keeps the simulator deterministic under a ManualClock and free of timers.
 */

/** Links are absolute Google URLs, as Cloud SQL returns them: callers must not follow them here. */
const SQLADMIN_BASE_URL = 'https://sqladmin.googleapis.com/v1';

/** How long operations take, in ms of simulated time before the time scale is applied. */
interface SqlOperationTimings {
  /** PENDING → RUNNING: insertion to start. */
  pendingMs: number;
  /** RUNNING → DONE, per type. */
  runMs: Record<StartedOperationType, number>;
}

/**
 * Defaults where the fixture has no history: a backup about 5 min, a restore 15, a clone 20, a
 * settings update 1 and a backup deletion 30 s (orders of magnitude seen in practice for small
 * instances; real durations grow with data size). The 2 s queueing is the fixture's
 * insertTime → startTime.
 */
const DEFAULT_SQL_OPERATION_TIMINGS: SqlOperationTimings = {
  pendingMs: 2_000,
  runMs: {
    BACKUP_VOLUME: 300_000,
    DELETE_BACKUP: 30_000,
    RESTORE_VOLUME: 900_000,
    CLONE: 1_200_000,
    UPDATE: 60_000,
  },
};

const isStartedType = (type: string): type is StartedOperationType =>
  (STARTED_OPERATION_TYPES as readonly string[]).includes(type);

/** Whole seconds: the fixture's millisecond timings are noise, not a contract. */
const wholeSeconds = (ms: number): number => Math.floor(ms / 1000) * 1000;

/**
 * Timings from the fixture's history: the newest finished operation of each type gives that
 * type's run time (startTime → endTime), the newest started one the queueing delay
 * (insertTime → startTime); the defaults fill the rest.
 */
const deriveSqlOperationTimings = (history: readonly SqlOperation[]): SqlOperationTimings => {
  const timings = structuredClone(DEFAULT_SQL_OPERATION_TIMINGS);
  const newestFirst = [...history].sort((a, b) => Date.parse(b.insertTime) - Date.parse(a.insertTime));
  const seen = new Set<StartedOperationType>();
  let pendingSeen = false;
  for (const operation of newestFirst) {
    if (operation.startTime === undefined) continue;
    const queuedMs = Date.parse(operation.startTime) - Date.parse(operation.insertTime);
    if (!pendingSeen && queuedMs >= 0) {
      pendingSeen = true;
      timings.pendingMs = wholeSeconds(queuedMs);
    }
    const type = operation.operationType;
    if (operation.endTime === undefined || !isStartedType(type) || seen.has(type)) continue;
    const elapsedMs = Date.parse(operation.endTime) - Date.parse(operation.startTime);
    if (!(elapsedMs >= 0)) continue;
    seen.add(type);
    timings.runMs[type] = wholeSeconds(elapsedMs);
  }
  return timings;
};

/** google.rpc code names by number, for injected errors whose code Cloud SQL has no name for. */
const RPC_CODE_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

/**
 * An injected google.rpc error as a Cloud SQL `OperationError`, whose `code` is a string. The only
 * code on record is the fixture's `INTERNAL_ERROR`, so INTERNAL (13) becomes that; other codes keep
 * their google.rpc name (a guess: Cloud SQL's own code list is not public).
 */
const operationErrorFrom = (injected: InjectedOperationError): SqlOperationError => ({
  kind: 'sql#operationError',
  code: injected.code === 13 ? 'INTERNAL_ERROR' : (RPC_CODE_NAMES[injected.code] ?? `CODE_${injected.code}`),
  message: injected.message,
});

/** An instance's `selfLink`, also an operation's `targetLink`. */
const instanceLink = (project: SqlProject, instance: string): string =>
  `${SQLADMIN_BASE_URL}/projects/${project.projectId}/instances/${instance}`;

/** What {@link startSqlOperation} needs. */
interface StartSqlOperationInput {
  state: SqlAdminState;
  project: SqlProject;
  now: Date;
  timeScale: number;
  timings: SqlOperationTimings;
  operationType: StartedOperationType;
  /** The instance the operation runs on (and locks): `targetId`. */
  instance: string;
  effect: SqlOperationEffect;
  /** An injected error (see `FaultHooks.operationError`): the operation will end with it, effect-free. */
  failure?: SqlOperationError;
  /** The operation's name; a random UUID unless given (tests). */
  name?: string;
}

/**
 * Records a new PENDING operation and returns a copy of its wire shape. Callers check the instance
 * lock first ({@link runningOperationOn}).
 */
const startSqlOperation = (input: StartSqlOperationInput): SqlOperation => {
  const { project, now, timeScale } = input;
  const name = input.name ?? randomUUID();
  const startMs = now.getTime() + input.timings.pendingMs * timeScale;
  const dueMs = startMs + input.timings.runMs[input.operationType] * timeScale;
  const operation: SqlOperation = {
    kind: 'sql#operation',
    name,
    operationType: input.operationType,
    status: 'PENDING',
    targetId: input.instance,
    targetProject: project.projectId,
    targetLink: instanceLink(project, input.instance),
    selfLink: `${SQLADMIN_BASE_URL}/projects/${project.projectId}/operations/${name}`,
    insertTime: now.toISOString(),
    ...(input.effect.kind === 'backup'
      ? { backupContext: { kind: 'sql#backupContext', backupId: input.effect.backupId } }
      : {}),
  };
  const record: SqlOperationRecord = {
    operation,
    startAt: new Date(startMs).toISOString(),
    dueAt: new Date(dueMs).toISOString(),
    effect: input.effect,
    ...(input.failure ? { failure: input.failure } : {}),
  };
  input.state.operations.push(record);
  return structuredClone(operation);
};

/** The not-yet-DONE operation on this instance, if any. Settle first, or a due operation still counts. */
const runningOperationOn = (state: SqlAdminState, instance: string): SqlOperationRecord | undefined =>
  state.operations.find(
    (record) => record.operation.targetId === instance && record.operation.status !== 'DONE',
  );

/** The unfinished clone that will create `name`: the name is taken from the moment the clone starts. */
const pendingCloneTo = (state: SqlAdminState, name: string): SqlOperationRecord | undefined =>
  state.operations.find(
    (record) =>
      record.operation.status !== 'DONE' &&
      record.effect?.kind === 'clone' &&
      record.effect.destination === name,
  );

/** The instance named `name`, if it exists. */
const findInstance = (state: SqlAdminState, name: string): SqlInstance | undefined =>
  state.instances.find((instance) => instance.name === name);

/** Backup run `id` of `instance`, if it exists (ids are unique per instance only). */
const findBackupRun = (state: SqlAdminState, instance: string, id: string): SqlBackupRun | undefined =>
  state.backupRuns[instance]?.find((run) => run.id === id);

/**
 * A new run id for `instance`. Cloud SQL's ids look like the enqueue time in ms rounded down to the
 * second (the fixture: enqueued 09:37:02.411 → id …022000); a clash within one instance, possible
 * under a frozen test clock, moves to the next free number.
 */
const newBackupRunId = (state: SqlAdminState, instance: string, now: Date): string => {
  const taken = new Set((state.backupRuns[instance] ?? []).map((run) => run.id));
  let id = BigInt(wholeSeconds(now.getTime()));
  while (taken.has(String(id))) id += 1n;
  return String(id);
};

/** Fields a clone does not inherit: addresses, DNS names and replication belong to the source. */
const NOT_CLONED_FIELDS = [
  'ipAddresses',
  'ipv6Address',
  'dnsName',
  'dnsNames',
  'primaryDnsName',
  'writeEndpoint',
  'serverCaCert',
  'replicaNames',
  'masterInstanceName',
  'failoverReplica',
  'replicaConfiguration',
  'scheduledMaintenance',
  'pscServiceAttachmentLink',
] as const;

/**
 * The new instance a clone creates: the source's engine and settings under the new name, RUNNABLE,
 * with fresh identity fields. The simulator assigns no IP address (it does not model the private
 * services range), so `ipAddresses` is absent rather than invented.
 */
const clonedInstance = (
  source: SqlInstance,
  name: string,
  project: SqlProject,
  createdAt: string,
): SqlInstance => {
  const clone = structuredClone(source);
  for (const field of NOT_CLONED_FIELDS) delete clone[field];
  clone.name = name;
  clone.state = 'RUNNABLE';
  clone.createTime = createdAt;
  clone.instanceType = 'CLOUD_SQL_INSTANCE';
  clone.settings.settingsVersion = '1';
  clone.etag = newEtag();
  clone.selfLink = instanceLink(project, name);
  if (source.region !== undefined) clone.connectionName = `${project.projectId}:${source.region}:${name}`;
  return clone;
};

const markRunning = (state: SqlAdminState, record: SqlOperationRecord): void => {
  const { operation, effect } = record;
  operation.status = 'RUNNING';
  operation.startTime = record.startAt;
  if (effect?.kind === 'backup') {
    const run = findBackupRun(state, operation.targetId, effect.backupId);
    if (run) {
      run.status = 'RUNNING';
      run.startTime = record.startAt;
    }
  } else if (effect?.kind === 'restore') {
    // A restore takes the target down; MAINTENANCE is the closest state the enum has (a guess).
    const target = findInstance(state, operation.targetId);
    if (target) target.state = 'MAINTENANCE';
  }
};

/** What a failed operation leaves behind: a FAILED run, a restored run status, a serving instance. */
const applyFailure = (state: SqlAdminState, record: SqlOperationRecord, failure: SqlOperationError): void => {
  const { operation, effect } = record;
  operation.error = { kind: 'sql#operationErrors', errors: [failure] };
  if (effect?.kind === 'backup') {
    const run = findBackupRun(state, operation.targetId, effect.backupId);
    if (run) {
      run.status = 'FAILED';
      run.endTime = record.dueAt;
      run.error = structuredClone(failure);
    }
  } else if (effect?.kind === 'deleteBackup') {
    const run = findBackupRun(state, operation.targetId, effect.backupId);
    if (run) run.status = effect.previousStatus;
  } else if (effect?.kind === 'restore') {
    const target = findInstance(state, operation.targetId);
    if (target) target.state = 'RUNNABLE';
  }
};

/**
 * Applies a finished operation's effect. Returns why it was dropped, for the rare case where what it
 * acts on is gone (only possible through a restored snapshot that was edited by hand).
 */
const applyEffect = (
  state: SqlAdminState,
  project: SqlProject,
  record: SqlOperationRecord,
): string | undefined => {
  const { operation, effect } = record;
  if (!effect) return undefined;
  const target = findInstance(state, operation.targetId);
  switch (effect.kind) {
    case 'backup': {
      const run = findBackupRun(state, operation.targetId, effect.backupId);
      if (!run) return `backup run ${effect.backupId} is gone`;
      run.status = 'SUCCESSFUL';
      run.endTime = record.dueAt;
      return undefined;
    }
    case 'deleteBackup': {
      const runs = state.backupRuns[operation.targetId] ?? [];
      state.backupRuns[operation.targetId] = runs.filter((run) => run.id !== effect.backupId);
      return undefined;
    }
    case 'restore':
      if (!target) return 'its instance is gone';
      target.state = 'RUNNABLE';
      return undefined;
    case 'clone': {
      if (!target) return 'the source instance is gone';
      if (findInstance(state, effect.destination)) return `${effect.destination} exists already`;
      const clone = clonedInstance(target, effect.destination, project, record.dueAt);
      state.instances.push(clone);
      state.backupRuns[clone.name] = [];
      // The clone's own logs start when it exists; the source's history does not carry over.
      if (isPitrEnabled(clone)) state.pitrLogs[clone.name] = freshPitrLog(clone, record.dueAt);
      return undefined;
    }
    case 'patch': {
      if (!target) return 'its instance is gone';
      const hadPitr = isPitrEnabled(target);
      applySettingsPatch(target, effect.settings);
      const hasPitr = isPitrEnabled(target);
      // Turning PITR on starts a new log; turning it off discards the old one.
      if (hasPitr && !hadPitr) state.pitrLogs[target.name] = freshPitrLog(target, record.dueAt);
      if (!hasPitr) delete state.pitrLogs[target.name];
      return undefined;
    }
  }
};

/**
 * Moves every operation along to where the clock says it is: PENDING → RUNNING at `startAt`, DONE
 * at `dueAt` (with `endTime` = `dueAt`, not the time someone looked), applying the effect, or the
 * injected failure, exactly once. Due operations are finished in the order they fell due.
 */
const settleSqlOperations = (state: SqlAdminState, project: SqlProject, now: Date, logger: Logger): void => {
  const nowMs = now.getTime();
  const open = state.operations
    .filter((record) => record.operation.status !== 'DONE')
    .sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt));
  for (const record of open) {
    if (Date.parse(record.startAt) > nowMs) continue;
    if (record.operation.status !== 'RUNNING') markRunning(state, record);
    if (Date.parse(record.dueAt) > nowMs) continue;
    record.operation.status = 'DONE';
    record.operation.endTime = record.dueAt;
    if (record.failure) {
      applyFailure(state, record, record.failure);
    } else {
      const dropped = applyEffect(state, project, record);
      if (dropped !== undefined) {
        logger.warn(`Cloud SQL operation finished but ${dropped}; effect dropped`, {
          operation: record.operation.name,
          instance: record.operation.targetId,
        });
      }
    }
    delete record.effect;
    delete record.failure;
  }
};

export type { SqlOperationTimings, StartSqlOperationInput };
export {
  clonedInstance,
  DEFAULT_SQL_OPERATION_TIMINGS,
  deriveSqlOperationTimings,
  findBackupRun,
  findInstance,
  instanceLink,
  newBackupRunId,
  operationErrorFrom,
  pendingCloneTo,
  runningOperationOn,
  SQLADMIN_BASE_URL,
  settleSqlOperations,
  startSqlOperation,
};
