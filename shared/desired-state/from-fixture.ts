import { ConfigError } from '../errors';
import type { GpuPoolPolicy, PlatformState } from './platform-state';

/**
 * Builds the initial desired state from a platform description in the fixture format
 * (`../shared/fixtures/*.json`): the APIs' own shapes plus a `desiredState` block.
 */

interface FixtureNodePool {
  name: string;
  locations?: string[];
  config?: { accelerators?: Array<{ acceleratorCount?: string | number; acceleratorType?: string }> };
  autoscaling?: { enabled?: boolean; minNodeCount?: number; maxNodeCount?: number };
}

interface PlatformFixture {
  project: { projectId: string; projectNumber: string; region: string };
  gke: {
    clusters: Array<{ name: string; location: string; locations?: string[]; nodePools: FixtureNodePool[] }>;
  };
  computeQuotas?: { quotas?: Array<{ metric: string; limit: number }> };
  desiredState?: { gke?: { nodePools?: Record<string, { autoscaling?: FixtureNodePool['autoscaling'] }> } };
}

/** `nvidia-tesla-a100` → `NVIDIA_A100_GPUS`, the regional Compute quota metric for that GPU. */
const gpuQuotaMetric = (acceleratorType: string): string =>
  `NVIDIA_${acceleratorType
    .replace(/^nvidia-(tesla-)?/, '')
    .replace(/-/g, '_')
    .toUpperCase()}_GPUS`;

/**
 * The policy ceiling for a GPU pool, when the fixture states none: what the regional GPU quota can
 * hold with the pool spread over all its zones. Without a quota entry, the desired maximum.
 */
const derivedMaxNodesPerZone = (
  pool: FixtureNodePool,
  fixture: PlatformFixture,
  desiredMax: number,
): number => {
  const accelerator = pool.config?.accelerators?.[0];
  const zones = pool.locations?.length ?? 1;
  const perNode = Number(accelerator?.acceleratorCount ?? 1);
  const quota = accelerator?.acceleratorType
    ? fixture.computeQuotas?.quotas?.find(
        (q) => q.metric === gpuQuotaMetric(accelerator.acceleratorType ?? ''),
      )
    : undefined;
  return quota ? Math.max(desiredMax, Math.floor(quota.limit / (perNode * zones))) : desiredMax;
};

const desiredStateFromFixture = (raw: unknown): PlatformState => {
  const fixture = raw as PlatformFixture;
  const cluster = fixture.gke?.clusters?.[0];
  if (!fixture.project?.projectId || !cluster) {
    throw new ConfigError('fixture has no project or no GKE cluster');
  }
  const gpuPools = cluster.nodePools.filter((pool) => (pool.config?.accelerators?.length ?? 0) > 0);
  const defaultPool = gpuPools[0];
  if (!defaultPool) throw new ConfigError(`cluster ${cluster.name} has no node pool with accelerators`);

  const policies: Record<string, GpuPoolPolicy> = {};
  for (const pool of gpuPools) {
    const wanted = fixture.desiredState?.gke?.nodePools?.[pool.name]?.autoscaling ?? pool.autoscaling ?? {};
    const autoscaling = {
      enabled: wanted.enabled ?? false,
      minNodeCount: wanted.minNodeCount ?? 0,
      maxNodeCount: wanted.maxNodeCount ?? 0,
    };
    policies[pool.name] = {
      autoscaling,
      limits: { maxNodesPerZone: derivedMaxNodesPerZone(pool, fixture, autoscaling.maxNodeCount) },
    };
  }
  return {
    projectId: fixture.project.projectId,
    projectNumber: fixture.project.projectNumber,
    region: fixture.project.region,
    gke: { location: cluster.location, cluster: cluster.name, gpuPool: defaultPool.name },
    gpuPools: policies,
  };
};

export { desiredStateFromFixture, gpuQuotaMetric };
