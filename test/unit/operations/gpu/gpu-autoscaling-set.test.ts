import { desiredStateFromFixture } from '../../../../shared/desired-state';
import { PolicyViolationError } from '../../../../shared/errors';
import { gpuAutoscalingSet } from '../../../../shared/operations';
import { loadFixture } from '../../../helpers/factories';
import { defaultGpuPool } from '../../../helpers/fake-gke';

describe('gpuAutoscalingSet.plan', () => {
  const platform = desiredStateFromFixture(loadFixture());

  it('plans the bounds change and keeps the location policy', () => {
    const plan = gpuAutoscalingSet.plan(platform, defaultGpuPool(), { min: 0, max: 2 });
    expect(plan.after).toEqual({ enabled: true, minNodeCount: 0, maxNodeCount: 2, locationPolicy: 'ANY' });
    expect(plan.changes).toEqual([
      { resource: 'gpu-a100-pool', field: 'autoscaling.maxNodeCount', from: 3, to: 2 },
    ]);
    expect(plan.summary).toBe('gpu-a100-pool: autoscaling 0–3 → 0–2 per zone');
  });

  it("refuses a maximum above the pool policy's", () => {
    expect(() => gpuAutoscalingSet.plan(platform, defaultGpuPool(), { min: 0, max: 9 })).toThrow(
      PolicyViolationError,
    );
  });

  it('warns when zones hold more nodes than the new maximum', () => {
    const plan = gpuAutoscalingSet.plan(platform, defaultGpuPool(), { min: 0, max: 1 });
    expect(plan.warnings[0]).toMatch(/us-central1-a has 2 nodes, above the new maximum/);
  });

  it('is a no-op when the bounds already match', () => {
    expect(gpuAutoscalingSet.plan(platform, defaultGpuPool(), { min: 0, max: 3 }).noop).toBe(true);
  });
});
