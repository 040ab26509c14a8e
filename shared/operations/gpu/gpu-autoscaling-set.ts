import { PolicyViolationError, VerificationFailedError } from '../../errors';
import type { AutoscalingView, NodePoolRef, NodePoolView } from '../../gcp';
import type { BasePlan, OperationModule, PlanChange } from '../operation';
import { runGkeStep } from '../steps';
import { gpuPoolPolicy, gpuPoolRef, gpuPoolTarget } from './gpu-pool';

/**
 * `gpu.autoscaling.set`: set the GPU pool's per-zone autoscaling bounds. It declares what the pool
 * should be, so on success it also records the bounds in desired state (reconcile then keeps them),
 * except with `offHours`: the gpu-offhours runbook's night bounds, which drift expects inside the
 * pool's off-hours window only, while desired state keeps the day bounds the morning restores.
 */

interface GpuAutoscalingPlan extends BasePlan {
  pool: NodePoolRef;
  before: AutoscalingView;
  after: AutoscalingView;
  /** True: night bounds; desired state is left as it is. */
  offHours: boolean;
}

const sameBounds = (a: AutoscalingView, b: AutoscalingView): boolean =>
  a.enabled === b.enabled &&
  a.minNodeCount === b.minNodeCount &&
  a.maxNodeCount === b.maxNodeCount &&
  a.totalMinNodeCount === undefined &&
  a.totalMaxNodeCount === undefined;

const gpuAutoscalingSet: OperationModule<'gpu.autoscaling.set', NodePoolView, GpuAutoscalingPlan> = {
  type: 'gpu.autoscaling.set',
  ...gpuPoolTarget,

  plan(platform, observed, args) {
    const pool = gpuPoolRef(platform, args.pool);
    const ceiling = gpuPoolPolicy(platform, pool.pool).limits.maxNodesPerZone;
    if (args.max > ceiling) {
      throw new PolicyViolationError(
        `${pool.pool}: autoscaling maximum ${args.max} per zone exceeds the pool policy's maximum of ${ceiling} per zone`,
        { requested: args.max, maxNodesPerZone: ceiling },
      );
    }
    const before = observed.autoscaling;
    const after: AutoscalingView = {
      enabled: true,
      minNodeCount: args.min,
      maxNodeCount: args.max,
      ...(before.locationPolicy ? { locationPolicy: before.locationPolicy } : {}),
    };
    const changes: PlanChange[] = [];
    const field = (name: keyof AutoscalingView) => {
      if (before[name] !== after[name]) {
        changes.push({
          resource: pool.pool,
          field: `autoscaling.${name}`,
          from: before[name] ?? null,
          to: after[name] ?? null,
        });
      }
    };
    (['enabled', 'minNodeCount', 'maxNodeCount', 'totalMinNodeCount', 'totalMaxNodeCount'] as const).forEach(
      field,
    );
    const warnings: string[] = [];
    const over = Object.entries(observed.sizeByZone).filter(([, size]) => size > args.max);
    if (over.length > 0) {
      warnings.push(
        `${over.map(([zone, size]) => `${zone} has ${size}`).join(', ')} nodes, above the new maximum: the autoscaler will remove nodes and evict their pods`,
      );
    }
    if (before.totalMaxNodeCount !== undefined) {
      warnings.push('the pool used whole-pool (total*) bounds; they are replaced by per-zone bounds');
    }
    const offHours = args.offHours === true;
    return {
      summary: `${pool.pool}: autoscaling ${before.enabled ? `${before.minNodeCount}–${before.maxNodeCount}` : 'off'} → ${args.min}–${args.max} per zone${
        offHours ? ' for the off-hours window (desired state keeps the day bounds)' : ''
      }`,
      changes,
      warnings,
      noop: sameBounds(before, after),
      pool,
      before,
      after,
      offHours,
    };
  },

  async apply(plan, deps) {
    if (!plan.noop) {
      const live = deps.progress.googleOperation('setAutoscaling')
        ? undefined
        : (await deps.gke.getNodePool(plan.pool)).autoscaling;
      if (!live || !sameBounds(live, plan.after)) {
        await runGkeStep('setAutoscaling', deps, () =>
          deps.gke.setNodePoolAutoscaling(plan.pool, plan.after),
        );
      }
    }
    if (plan.offHours) return;
    await deps.desiredState.updatePlatform((state) => {
      const policy = state.gpuPools[plan.pool.pool];
      if (!policy) return state;
      const autoscaling = {
        enabled: true,
        minNodeCount: plan.after.minNodeCount,
        maxNodeCount: plan.after.maxNodeCount,
      };
      return { ...state, gpuPools: { ...state.gpuPools, [plan.pool.pool]: { ...policy, autoscaling } } };
    });
  },

  async verify(plan, deps) {
    const live = await deps.gke.getNodePool(plan.pool);
    if (!sameBounds(live.autoscaling, plan.after)) {
      throw new VerificationFailedError(`${plan.pool.pool} autoscaling is not as planned`, {
        live: live.autoscaling,
        planned: plan.after,
      });
    }
    return { pool: plan.pool.pool, autoscaling: live.autoscaling };
  },
};

export type { GpuAutoscalingPlan };
export { gpuAutoscalingSet };
