import { PolicyViolationError, VerificationFailedError } from '../../errors';
import type { NodePoolRef, NodePoolView } from '../../gcp';
import type { BasePlan, OperationModule, PlanChange } from '../operation';
import { runGkeStep } from '../steps';
import { gpuPoolPolicy, gpuPoolRef, gpuPoolTarget } from './gpu-pool';
import {
  classifyGpuWorkloads,
  describeWorkload,
  type GpuWorkload,
  readPoolWorkloads,
  requireWorkloadsApi,
} from './gpu-workloads';

/**
 * `gpu.scale`: set the GPU pool to N nodes per zone (GKE setSize; nodeCount is per zone).
 *
 * Taking a pool with nodes to zero is the off-hours forced step (ops catalog §2.2 step 5): it
 * kills in-flight GPU work, so it is A3 when any busy pod would be evicted. Observe then runs the
 * busy check of `gpu.workloads`; the busy pods become lines of the diff (an approval holds for
 * exactly those pods) and `approvalReason` asks a human. When the pods cannot be listed, a human
 * is asked too: nothing busy is evicted on a guess.
 */

/** The busy check before a scale to zero: the busy pods, or why they could not be listed. */
type GpuScaleBusyCheck =
  | { status: 'not-needed' }
  | { status: 'checked'; busy: GpuWorkload[] }
  | { status: 'failed'; message: string };

/** The pool, plus the busy check when the command takes it to zero. */
interface GpuScaleObserved extends NodePoolView {
  busyCheck?: GpuScaleBusyCheck;
}

/** The plan of `gpu.scale`: the sizes per zone before and after, and the busy check behind an approval. */
interface GpuScalePlan extends BasePlan {
  pool: NodePoolRef;
  nodesPerZone: number;
  zones: string[];
  before: Record<string, number>;
  busyCheck: GpuScaleBusyCheck;
}

const sum = (sizes: Record<string, number>): number => Object.values(sizes).reduce((a, b) => a + b, 0);

const gpuScale: OperationModule<'gpu.scale', GpuScaleObserved, GpuScalePlan> = {
  type: 'gpu.scale',
  resource: gpuPoolTarget.resource,

  async observe(args, platform, deps) {
    const pool = await gpuPoolTarget.observe(args, platform, deps);
    if (args.nodes !== 0 || sum(pool.sizeByZone) === 0) return pool;
    try {
      const { nodes, pods } = await readPoolWorkloads(
        requireWorkloadsApi(deps),
        gpuPoolRef(platform, args.pool).pool,
      );
      return { ...pool, busyCheck: { status: 'checked', busy: classifyGpuWorkloads(nodes, pods).busy } };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { ...pool, busyCheck: { status: 'failed', message } };
    }
  },

  plan(platform, observed, args) {
    const pool = gpuPoolRef(platform, args.pool);
    const policy = gpuPoolPolicy(platform, pool.pool);
    const ceiling = policy.limits.maxNodesPerZone;
    if (args.nodes > ceiling) {
      throw new PolicyViolationError(
        `${pool.pool}: ${args.nodes} nodes per zone exceeds the pool policy's maximum of ${ceiling} per zone`,
        { requested: args.nodes, maxNodesPerZone: ceiling },
      );
    }
    const zones = observed.locations.length > 0 ? observed.locations : Object.keys(observed.sizeByZone);
    const changes: PlanChange[] = zones
      .filter((zone) => (observed.sizeByZone[zone] ?? 0) !== args.nodes)
      .map((zone) => ({
        resource: `${pool.pool}/${zone}`,
        field: 'nodes',
        from: observed.sizeByZone[zone] ?? 0,
        to: args.nodes,
      }));
    const warnings: string[] = [];
    const { autoscaling } = observed;
    if (
      autoscaling.enabled &&
      (args.nodes < autoscaling.minNodeCount || args.nodes > autoscaling.maxNodeCount)
    ) {
      warnings.push(
        `autoscaling is on with bounds ${autoscaling.minNodeCount}–${autoscaling.maxNodeCount} per zone; the autoscaler will move the pool back inside them`,
      );
    } else if (autoscaling.enabled) {
      warnings.push('autoscaling is on: the autoscaler may change the size again within its bounds');
    }
    if (changes.some((c) => (c.from as number) > args.nodes)) {
      warnings.push('scaling down removes nodes: pods running on them are evicted');
    }
    const busyCheck: GpuScaleBusyCheck = observed.busyCheck ?? { status: 'not-needed' };
    if (busyCheck.status === 'checked') {
      for (const workload of busyCheck.busy) {
        changes.push({
          resource: `pods/${workload.namespace}/${workload.name}`,
          field: 'evicted',
          from: `${workload.class} on ${workload.node}`,
          to: null,
        });
      }
      if (busyCheck.busy.length > 0) {
        warnings.push(
          `scaling to zero evicts ${busyCheck.busy.length} busy GPU pod${busyCheck.busy.length === 1 ? '' : 's'}: ${busyCheck.busy.map(describeWorkload).join(', ')}`,
        );
      }
    } else if (busyCheck.status === 'failed') {
      warnings.push(
        `could not list the pods on ${pool.pool}'s nodes (${busyCheck.message}): whether busy GPU work is evicted is unknown`,
      );
    }
    const total = args.nodes * zones.length;
    return {
      summary: `${pool.pool}: ${sum(observed.sizeByZone)} → ${total} nodes (${args.nodes} per zone in ${zones.length} zone${zones.length === 1 ? '' : 's'})`,
      changes,
      warnings,
      noop: changes.length === 0,
      pool,
      nodesPerZone: args.nodes,
      zones,
      before: observed.sizeByZone,
      busyCheck,
    };
  },

  approvalReason(plan) {
    // Plans stored before the busy check existed have none: nothing to add to the catalog's class.
    const check = plan.busyCheck as GpuScaleBusyCheck | undefined;
    if (check?.status === 'checked' && check.busy.length > 0) {
      return `scaling ${plan.pool.pool} to zero evicts ${check.busy.length} busy GPU pod${check.busy.length === 1 ? '' : 's'} (${check.busy.map(describeWorkload).join(', ')}): the off-hours forced step needs approval (ops catalog §2.2, A3)`;
    }
    if (check?.status === 'failed') {
      return `could not check ${plan.pool.pool} for busy GPU pods before scaling it to zero (${check.message}): a human must confirm nothing busy is evicted (ops catalog §2.2, A3)`;
    }
    return undefined;
  },

  async apply(plan, deps) {
    if (plan.noop) return;
    // Idempotent without the ledger too: a pool already at the size (an earlier attempt finished
    // after its record was lost) is left alone rather than resized again.
    if (!deps.progress.googleOperation('setSize')) {
      const live = await deps.gke.getNodePool(plan.pool);
      if (plan.zones.every((zone) => live.sizeByZone[zone] === plan.nodesPerZone)) return;
    }
    await runGkeStep('setSize', deps, () => deps.gke.setNodePoolSize(plan.pool, plan.nodesPerZone));
  },

  async verify(plan, deps) {
    const live = await deps.gke.getNodePool(plan.pool);
    const wrong = plan.zones.filter((zone) => live.sizeByZone[zone] !== plan.nodesPerZone);
    if (wrong.length > 0) {
      throw new VerificationFailedError(
        `${plan.pool.pool} did not reach ${plan.nodesPerZone} nodes in ${wrong.join(', ')}`,
        { sizeByZone: live.sizeByZone },
      );
    }
    return {
      pool: plan.pool.pool,
      nodesPerZone: plan.nodesPerZone,
      sizeByZone: live.sizeByZone,
      totalNodes: sum(live.sizeByZone),
    };
  },
};

export type { GpuScaleBusyCheck, GpuScaleObserved, GpuScalePlan };
export { gpuScale };
