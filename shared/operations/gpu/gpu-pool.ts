import type { PlatformState } from '../../desired-state';
import { NotFoundError } from '../../errors';
import { type GkeApi, type NodePoolRef, type NodePoolView, poolPath } from '../../gcp';

/** Helpers the GPU pool operations share. */

/** The pool a command names, or the platform's GPU pool. */
const gpuPoolRef = (platform: PlatformState, pool: string | undefined): NodePoolRef => ({
  projectId: platform.projectId,
  location: platform.gke.location,
  cluster: platform.gke.cluster,
  pool: pool ?? platform.gke.gpuPool,
});

/** The lease key of a node pool. */
const nodePoolResource = (ref: NodePoolRef): string => `gke/${poolPath(ref)}`;

/**
 * What every GPU pool operation leases and observes: the node pool the command names (or the
 * platform's GPU pool), read live with its per-zone size.
 */
const gpuPoolTarget = {
  resource: (args: { pool?: string | undefined }, platform: PlatformState): string =>
    nodePoolResource(gpuPoolRef(platform, args.pool)),
  observe: (
    args: { pool?: string | undefined },
    platform: PlatformState,
    deps: { gke: GkeApi },
  ): Promise<NodePoolView> => deps.gke.getNodePool(gpuPoolRef(platform, args.pool)),
};

const gpuPoolPolicy = (platform: PlatformState, pool: string) => {
  const policy = platform.gpuPools[pool];
  if (!policy) {
    throw new NotFoundError(
      `no GPU pool policy for node pool "${pool}" in desired state (known: ${Object.keys(platform.gpuPools).join(', ') || 'none'})`,
    );
  }
  return policy;
};

export { gpuPoolPolicy, gpuPoolRef, gpuPoolTarget, nodePoolResource };
