/**
 * The Compute Engine resources the simulator keeps. Only what is needed to read node-pool sizes:
 * GKE has no current-size field on a node pool, so the live size is the sum of the `targetSize` of
 * the zonal instance group managers behind the pool's `instanceGroupUrls`.
 */

/** A zonal instance group manager, as seeded (`zone` is the short zone name, not a URL). */
interface InstanceGroupManager {
  name: string;
  zone: string;
  targetSize: number;
  baseInstanceName: string;
}

/** One regional quota (`compute#quota`). */
interface ComputeQuota {
  metric: string;
  limit: number;
  usage: number;
}

/** The region's quotas from the fixture's `computeQuotas`; kept for scale-up checks yet to come. */
interface RegionQuotas {
  region: string;
  quotas: ComputeQuota[];
  /** The fixture's simulator hints (e.g. zonal GPU stockouts), kept as given. */
  'x-sim'?: Record<string, unknown>;
}

/** Everything the compute service owns. */
interface ComputeState {
  instanceGroupManagers: InstanceGroupManager[];
  regionQuotas: RegionQuotas | undefined;
}

export type { ComputeQuota, ComputeState, InstanceGroupManager, RegionQuotas };
