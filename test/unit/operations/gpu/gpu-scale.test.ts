import { desiredStateFromFixture } from '../../../../shared/desired-state';
import { PolicyViolationError } from '../../../../shared/errors';
import { gpuScale } from '../../../../shared/operations';
import { loadFixture } from '../../../helpers/factories';
import { defaultGpuPool } from '../../../helpers/fake-gke';

describe('gpuScale.plan', () => {
  const platform = desiredStateFromFixture(loadFixture());

  it('plans the per-zone change with a readable summary', () => {
    // Act
    const plan = gpuScale.plan(platform, defaultGpuPool(), { nodes: 2 });
    // Assess
    expect(plan.summary).toBe('gpu-a100-pool: 2 → 4 nodes (2 per zone in 2 zones)');
    expect(plan.changes).toEqual([
      { resource: 'gpu-a100-pool/us-central1-c', field: 'nodes', from: 0, to: 2 },
    ]);
    expect(plan.noop).toBe(false);
    expect(plan.pool).toEqual({
      projectId: 'acme-ml-prod',
      location: 'us-central1',
      cluster: 'acme-ml-gke',
      pool: 'gpu-a100-pool',
    });
  });

  it("refuses more nodes than the pool policy's maximum", () => {
    expect(() => gpuScale.plan(platform, defaultGpuPool(), { nodes: 5 })).toThrow(PolicyViolationError);
    expect(() => gpuScale.plan(platform, defaultGpuPool(), { nodes: 5 })).toThrow(/maximum of 4 per zone/);
  });

  it('is a no-op when every zone is already at the size', () => {
    const pool = { ...defaultGpuPool(), sizeByZone: { 'us-central1-a': 1, 'us-central1-c': 1 } };
    const plan = gpuScale.plan(platform, pool, { nodes: 1 });
    expect(plan.noop).toBe(true);
    expect(plan.changes).toEqual([]);
  });

  it('warns about eviction when scaling down and about autoscaler bounds', () => {
    const plan = gpuScale.plan(platform, defaultGpuPool(), { nodes: 4 });
    expect(plan.warnings.join('\n')).toMatch(/bounds 0–3 per zone/);
    const down = gpuScale.plan(platform, defaultGpuPool(), { nodes: 0 });
    expect(down.warnings.join('\n')).toMatch(/evicted/);
  });

  it('names an unknown pool', () => {
    expect(() => gpuScale.plan(platform, defaultGpuPool(), { nodes: 1, pool: 'tpu-pool' })).toThrow(
      /no GPU pool policy for node pool "tpu-pool"/,
    );
  });
});
