import { defaultFixturePath, loadFixture, parseFixture } from '../../../local/simulator/fixture';
import {
  DEFAULT_OPERATION_DURATIONS_MS,
  deriveOperationDurations,
  formatOperationName,
  operationDueAt,
  runningOperationOn,
  settleOperations,
  startOperation,
} from '../../../local/simulator/services/container-operations';
import { createSimulatorState, type SimulatorState } from '../../../local/simulator/state';
import { silentLogger } from '../../../shared/logging';

const SEED = parseFixture(loadFixture(defaultFixturePath()));
const CLUSTER = { name: 'acme-ml-gke', location: 'us-central1' };
const START = new Date('2026-03-02T19:00:00Z');

const gpuGroupSizes = (state: SimulatorState): number[] =>
  state.compute.instanceGroupManagers
    .filter((igm) => igm.name.includes('gpu-a100-pool'))
    .map((igm) => igm.targetSize);

const startResize = (state: SimulatorState, nodeCount: number, timeScale = 1) =>
  startOperation({
    state,
    now: START,
    timeScale,
    durations: deriveOperationDurations(SEED.gke.operations),
    operationType: 'SET_NODE_POOL_SIZE',
    cluster: CLUSTER,
    targetPath: 'nodePools/gpu-a100-pool',
    effect: { kind: 'setNodePoolSize', nodePool: 'gpu-a100-pool', nodeCount },
    suffixHex: '0a1b2c3d',
  });

describe('container-operations', () => {
  it('derives the setSize duration from the fixture history in whole seconds', () => {
    // Act
    const durations = deriveOperationDurations(SEED.gke.operations);

    // Assess
    expect(durations.SET_NODE_POOL_SIZE).toBe(222_000);
    expect(durations.UPDATE_CLUSTER).toBe(DEFAULT_OPERATION_DURATIONS_MS.UPDATE_CLUSTER);
  });

  it('scales the duration by the time scale, 0 meaning due at once', () => {
    // Act
    const due = [0, 0.05, 1].map((scale) => operationDueAt(1_000, 222_000, scale));

    // Assess
    expect(due).toEqual([1_000, 12_100, 223_000]);
  });

  it('names operations like GKE: operation-<ms>-<8 hex>', () => {
    // Act
    const name = formatOperationName(START.getTime(), 'deadbeef');

    // Assess
    expect(name).toBe(`operation-${START.getTime()}-deadbeef`);
  });

  it('starts an operation RUNNING with GKE links and locks the cluster', () => {
    // Prepare
    const state = createSimulatorState(SEED);

    // Act
    const operation = startResize(state, 1);

    // Assess
    expect(operation).toEqual({
      name: `operation-${START.getTime()}-0a1b2c3d`,
      operationType: 'SET_NODE_POOL_SIZE',
      status: 'RUNNING',
      selfLink: `https://container.googleapis.com/v1/projects/734118209551/locations/us-central1/operations/${operation.name}`,
      targetLink:
        'https://container.googleapis.com/v1/projects/acme-ml-prod/locations/us-central1/clusters/acme-ml-gke/nodePools/gpu-a100-pool',
      location: 'us-central1',
      startTime: START.toISOString(),
    });
    expect(runningOperationOn(state, CLUSTER)?.operation.name).toBe(operation.name);
  });

  it('leaves the operation RUNNING and the groups unchanged before the due time', () => {
    // Prepare
    const state = createSimulatorState(SEED);
    startResize(state, 1);

    // Act
    settleOperations(state, new Date(START.getTime() + 221_999), silentLogger);

    // Assess
    expect(state.gke.operations.at(-1)?.operation.status).toBe('RUNNING');
    expect(gpuGroupSizes(state)).toEqual([2, 0]);
  });

  it('finishes a due operation with its due time as endTime and sizes every zone', () => {
    // Prepare
    const state = createSimulatorState(SEED);
    startResize(state, 1);

    // Act
    settleOperations(state, new Date(START.getTime() + 500_000), silentLogger);

    // Assess
    const record = state.gke.operations.at(-1);
    expect(record?.operation).toMatchObject({
      status: 'DONE',
      endTime: new Date(START.getTime() + 222_000).toISOString(),
    });
    expect(record?.effect).toBeUndefined();
    expect(gpuGroupSizes(state)).toEqual([1, 1]);
    expect(runningOperationOn(state, CLUSTER)).toBeUndefined();
  });

  it('applies an effect exactly once however often it is settled', () => {
    // Prepare
    const state = createSimulatorState(SEED);
    startResize(state, 3, 0);
    settleOperations(state, START, silentLogger);
    const group = state.compute.instanceGroupManagers.find((igm) => igm.name.includes('gpu-a100-pool'));
    if (group) group.targetSize = 7;

    // Act
    settleOperations(state, new Date(START.getTime() + 1_000_000), silentLogger);

    // Assess
    expect(gpuGroupSizes(state)).toEqual([7, 3]);
  });

  it('replaces the node pool autoscaling when an autoscaling operation finishes', () => {
    // Prepare
    const state = createSimulatorState(SEED);
    const autoscaling = {
      enabled: true,
      totalMinNodeCount: 0,
      totalMaxNodeCount: 4,
      locationPolicy: 'ANY' as const,
    };
    startOperation({
      state,
      now: START,
      timeScale: 0,
      durations: {},
      operationType: 'UPDATE_CLUSTER',
      cluster: CLUSTER,
      effect: { kind: 'setNodePoolAutoscaling', nodePool: 'gpu-a100-pool', autoscaling },
    });

    // Act
    settleOperations(state, START, silentLogger);

    // Assess
    expect(
      state.gke.clusters[0]?.nodePools.find((pool) => pool.name === 'gpu-a100-pool')?.autoscaling,
    ).toEqual(autoscaling);
  });
});
