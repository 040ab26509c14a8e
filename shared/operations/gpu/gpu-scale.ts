import { PolicyViolationError, VerificationFailedError } from '../../errors';
import type { NodePoolRef, NodePoolView } from '../../gcp';
import type { BasePlan, OperationModule, PlanChange } from '../operation';
import { runGkeStep } from '../steps';
import { gpuPoolPolicy, gpuPoolRef, gpuPoolTarget } from './gpu-pool';

/** `gpu.scale`: set the GPU pool to N nodes per zone (GKE setSize; nodeCount is per zone). */

interface GpuScalePlan extends BasePlan {
  pool: NodePoolRef;
  nodesPerZone: number;
  zones: string[];
  before: Record<string, number>;
}

const sum = (sizes: Record<string, number>): number => Object.values(sizes).reduce((a, b) => a + b, 0);

const gpuScale: OperationModule<'gpu.scale', NodePoolView, GpuScalePlan> = {
  type: 'gpu.scale',
  ...gpuPoolTarget,

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
    };
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

export type { GpuScalePlan };
export { gpuScale };
