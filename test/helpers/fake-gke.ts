import { ResourceBusyError } from '../../shared/errors';
import type { AutoscalingView, GkeApi, GkeOperationView, NodePoolRef, NodePoolView } from '../../shared/gcp';

/**
 * A small in-memory GKE for unit tests: one cluster's node pools, operations that finish after a
 * set number of polls, and GKE's one-operation-at-a-time rule. Counts every mutation it accepts.
 */
class FakeGke implements GkeApi {
  readonly pools = new Map<string, NodePoolView>();
  readonly calls: string[] = [];
  /** Polls an operation needs before it is DONE. */
  pollsToDone = 1;
  /** Scripted failures: the next calls of a method throw these, in order. */
  readonly failures = new Map<string, Error[]>();
  readonly #operations = new Map<string, { view: GkeOperationView; pollsLeft: number; effect: () => void }>();
  #nextId = 1;

  constructor(pools: NodePoolView[] = [defaultGpuPool()]) {
    for (const pool of pools) this.pools.set(pool.name, structuredClone(pool));
  }

  async getNodePool(ref: NodePoolRef): Promise<NodePoolView> {
    this.#record('getNodePool');
    const pool = this.pools.get(ref.pool);
    if (!pool) throw new Error(`no pool ${ref.pool}`);
    return structuredClone(pool);
  }

  async setNodePoolSize(ref: NodePoolRef, nodeCount: number): Promise<GkeOperationView> {
    this.#record('setNodePoolSize');
    return this.#start(ref, 'SET_NODE_POOL_SIZE', (pool) => {
      for (const zone of pool.locations) pool.sizeByZone[zone] = nodeCount;
    });
  }

  async setNodePoolAutoscaling(ref: NodePoolRef, autoscaling: AutoscalingView): Promise<GkeOperationView> {
    this.#record('setNodePoolAutoscaling');
    return this.#start(ref, 'UPDATE_CLUSTER', (pool) => {
      pool.autoscaling = structuredClone(autoscaling);
    });
  }

  async getOperation(pollPath: string): Promise<GkeOperationView> {
    this.#record('getOperation');
    const op = this.#operations.get(pollPath);
    if (!op) throw new Error(`no operation ${pollPath}`);
    if (op.view.status !== 'DONE') {
      op.pollsLeft -= 1;
      if (op.pollsLeft <= 0) {
        op.effect();
        op.view.status = 'DONE';
      }
    }
    return structuredClone(op.view);
  }

  /** Mutations accepted (not refused), by method. */
  mutations(method: 'setNodePoolSize' | 'setNodePoolAutoscaling'): number {
    return [...this.#operations.values()].filter((op) =>
      method === 'setNodePoolSize'
        ? op.view.operationType === 'SET_NODE_POOL_SIZE'
        : op.view.operationType === 'UPDATE_CLUSTER',
    ).length;
  }

  #record(method: string): void {
    this.calls.push(method);
    const failure = this.failures.get(method)?.shift();
    if (failure) throw failure;
  }

  #start(ref: NodePoolRef, operationType: string, effect: (pool: NodePoolView) => void): GkeOperationView {
    const running = [...this.#operations.values()].find((op) => op.view.status !== 'DONE');
    if (running)
      throw new ResourceBusyError(`Cluster is running incompatible operation ${running.view.name}.`);
    const pool = this.pools.get(ref.pool);
    if (!pool) throw new Error(`no pool ${ref.pool}`);
    const name = `operation-${this.#nextId++}`;
    const view: GkeOperationView = {
      name,
      pollPath: `projects/${ref.projectId}/locations/${ref.location}/operations/${name}`,
      operationType,
      status: 'RUNNING',
      targetLink: `…/nodePools/${ref.pool}`,
    };
    this.#operations.set(view.pollPath, { view, pollsLeft: this.pollsToDone, effect: () => effect(pool) });
    return structuredClone(view);
  }
}

const defaultGpuPool = (): NodePoolView => ({
  name: 'gpu-a100-pool',
  status: 'RUNNING',
  locations: ['us-central1-a', 'us-central1-c'],
  autoscaling: { enabled: true, minNodeCount: 0, maxNodeCount: 3, locationPolicy: 'ANY' },
  sizeByZone: { 'us-central1-a': 2, 'us-central1-c': 0 },
});

export { defaultGpuPool, FakeGke };
