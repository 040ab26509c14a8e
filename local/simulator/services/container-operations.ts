import { randomBytes } from 'node:crypto';
import type { Logger } from '../../../shared/logging';
import type { SimulatorState } from '../state';
import type {
  GkeOperation,
  GkeOperationEffect,
  GkeOperationError,
  GkeOperationRecord,
  NodePoolAutoscaling,
  OperationType,
} from './container-model';

/**
 * GKE operation lifecycle. An operation's status is a function of the clock: it is RUNNING until
 * `startTime + duration × timeScale`, then DONE. Nothing runs in the background; instead every
 * request first settles due operations, which applies their effects exactly once. That keeps the
 * simulator deterministic under a ManualClock and free of timers to clean up.
 */

/**
 * Default durations. SET_NODE_POOL_SIZE is the fixture's historical resize
 * (19:00:02.118 → 19:03:44.902, 222 s); UPDATE_CLUSTER (what setAutoscaling produces) has no
 * recorded example, so one minute.
 */
const DEFAULT_OPERATION_DURATIONS_MS: Readonly<Partial<Record<OperationType, number>>> = {
  SET_NODE_POOL_SIZE: 222_000,
  UPDATE_CLUSTER: 60_000,
};

/** For operation types with neither a default nor a historical example. */
const FALLBACK_OPERATION_DURATION_MS = 60_000;

/** Operation durations in ms per type. */
type OperationDurations = Readonly<Partial<Record<OperationType, number>>>;

/**
 * Durations per type: the defaults, overridden by the newest finished operation of each type in the
 * fixture's history (whole seconds, as GKE's own timing is not more precise than that).
 */
const deriveOperationDurations = (history: readonly GkeOperation[]): OperationDurations => {
  const durations: Partial<Record<OperationType, number>> = { ...DEFAULT_OPERATION_DURATIONS_MS };
  const newestFirst = [...history].sort((a, b) => Date.parse(b.startTime) - Date.parse(a.startTime));
  const seen = new Set<OperationType>();
  for (const operation of newestFirst) {
    if (operation.endTime === undefined || seen.has(operation.operationType)) continue;
    const elapsedMs = Date.parse(operation.endTime) - Date.parse(operation.startTime);
    if (!(elapsedMs >= 0)) continue;
    seen.add(operation.operationType);
    durations[operation.operationType] = Math.floor(elapsedMs / 1000) * 1000;
  }
  return durations;
};

const durationOf = (durations: OperationDurations, type: OperationType): number =>
  durations[type] ?? FALLBACK_OPERATION_DURATION_MS;

/** When an operation started at `startMs` is DONE. */
const operationDueAt = (startMs: number, durationMs: number, timeScale: number): number =>
  startMs + durationMs * timeScale;

/** GKE's short operation id: `operation-<start ms>-<8 hex>`. */
const formatOperationName = (startMs: number, suffixHex: string): string =>
  `operation-${startMs}-${suffixHex}`;

const randomSuffix = (): string => randomBytes(4).toString('hex');

/** Links are absolute Google URLs, as GKE returns them, not simulator URLs: callers must not follow them. */
const CONTAINER_BASE_URL = 'https://container.googleapis.com/v1';

interface StartOperationInput {
  state: SimulatorState;
  now: Date;
  timeScale: number;
  durations: OperationDurations;
  operationType: OperationType;
  cluster: { name: string; location: string };
  /** The resource the operation targets, relative to the cluster (`nodePools/gpu-a100-pool`), if any. */
  targetPath?: string;
  effect?: GkeOperationEffect;
  /** Makes the operation end DONE with this error and no effect (fault injection). */
  failure?: GkeOperationError;
  /** 8 hex characters for the name; random unless given (tests). */
  suffixHex?: string;
}

/**
 * Records a new RUNNING operation and returns a copy of its wire shape. Callers check the cluster
 * lock first ({@link runningOperationOn}).
 */
const startOperation = (input: StartOperationInput): GkeOperation => {
  const { state, now, cluster } = input;
  const startMs = now.getTime();
  const name = formatOperationName(startMs, input.suffixHex ?? randomSuffix());
  const dueMs = operationDueAt(startMs, durationOf(input.durations, input.operationType), input.timeScale);
  const clusterPath = `projects/${state.project.projectId}/locations/${cluster.location}/clusters/${cluster.name}`;
  const operation: GkeOperation = {
    name,
    operationType: input.operationType,
    status: 'RUNNING',
    // GKE writes the project number into an operation's selfLink and the project id into its
    // targetLink; the fixture's historical operation shows the same.
    selfLink: `${CONTAINER_BASE_URL}/projects/${state.project.projectNumber}/locations/${cluster.location}/operations/${name}`,
    targetLink: `${CONTAINER_BASE_URL}/${clusterPath}${input.targetPath ? `/${input.targetPath}` : ''}`,
    location: cluster.location,
    startTime: now.toISOString(),
  };
  const record: GkeOperationRecord = {
    operation,
    cluster: cluster.name,
    dueAt: new Date(dueMs).toISOString(),
    ...(input.failure ? { failure: input.failure } : input.effect ? { effect: input.effect } : {}),
  };
  state.gke.operations.push(record);
  return structuredClone(operation);
};

/** The not-yet-DONE operation on this cluster, if any. Settle first, or a due operation still counts. */
const runningOperationOn = (
  state: SimulatorState,
  cluster: { name: string; location: string },
): GkeOperationRecord | undefined =>
  state.gke.operations.find(
    (record) =>
      record.cluster === cluster.name &&
      record.operation.location === cluster.location &&
      record.operation.status !== 'DONE',
  );

/** `…/zones/{zone}/instanceGroupManagers/{name}` → its zone and name. */
const parseInstanceGroupUrl = (url: string): { zone: string; name: string } | undefined => {
  const found = /\/zones\/([^/]+)\/instanceGroupManagers\/([^/?]+)$/.exec(url);
  return found ? { zone: found[1] as string, name: found[2] as string } : undefined;
};

const applyEffect = (state: SimulatorState, record: GkeOperationRecord, logger: Logger): void => {
  const effect = record.effect;
  if (!effect) return;
  const cluster = state.gke.clusters.find(
    (candidate) => candidate.name === record.cluster && candidate.location === record.operation.location,
  );
  const pool = cluster?.nodePools.find((candidate) => candidate.name === effect.nodePool);
  if (!pool) {
    logger.warn('GKE operation finished but its node pool is gone; effect dropped', {
      operation: record.operation.name,
      cluster: record.cluster,
      nodePool: effect.nodePool,
    });
    return;
  }
  switch (effect.kind) {
    case 'setNodePoolSize':
      // setSize's nodeCount is per zone, so every zonal group of the pool gets it.
      for (const url of pool.instanceGroupUrls ?? []) {
        const ref = parseInstanceGroupUrl(url);
        const group = ref
          ? state.compute.instanceGroupManagers.find((igm) => igm.zone === ref.zone && igm.name === ref.name)
          : undefined;
        if (group) group.targetSize = effect.nodeCount;
        else logger.warn('node pool links an instance group the simulator does not have', { url });
      }
      return;
    case 'setNodePoolAutoscaling':
      pool.autoscaling = structuredClone(effect.autoscaling) satisfies NodePoolAutoscaling;
      return;
  }
};

/**
 * Marks every due operation DONE (with `endTime` = its due time, not the time someone looked) and
 * applies its effect. Idempotent: an operation is settled once, since DONE ones are skipped.
 */
const settleOperations = (state: SimulatorState, now: Date, logger: Logger): void => {
  const nowMs = now.getTime();
  for (const record of state.gke.operations) {
    if (record.operation.status === 'DONE' || Date.parse(record.dueAt) > nowMs) continue;
    record.operation.status = 'DONE';
    record.operation.endTime = record.dueAt;
    if (record.failure) {
      record.operation.error = record.failure;
      record.operation.statusMessage = record.failure.message;
      delete record.failure;
    }
    applyEffect(state, record, logger);
    delete record.effect;
  }
};

export type { OperationDurations, StartOperationInput };
export {
  DEFAULT_OPERATION_DURATIONS_MS,
  deriveOperationDurations,
  FALLBACK_OPERATION_DURATION_MS,
  formatOperationName,
  operationDueAt,
  parseInstanceGroupUrl,
  runningOperationOn,
  settleOperations,
  startOperation,
};
