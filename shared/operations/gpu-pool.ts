import type { PlatformState } from '../desired-state';
import { NotFoundError } from '../errors';
import {
  type GkeApi,
  type GkeOperationView,
  type NodePoolRef,
  type NodePoolView,
  poolPath,
  waitForGkeOperation,
} from '../gcp';
import type { OperationDeps } from './operation';

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

/**
 * Runs one GKE mutation as a resumable step: if an earlier attempt already started it (recorded in
 * the ledger), polls that operation instead of starting another; otherwise starts it, records its
 * name before waiting, and polls it to DONE.
 */
const runGkeStep = async (
  step: string,
  deps: OperationDeps,
  start: () => Promise<GkeOperationView>,
): Promise<GkeOperationView> => {
  const recorded = deps.progress.googleOperation(step);
  let pollPath = recorded?.pollPath;
  if (!pollPath) {
    const op = await start();
    await deps.progress.recordGoogleOperation({
      step,
      name: op.name,
      pollPath: op.pollPath,
      status: op.status,
    });
    pollPath = op.pollPath;
  }
  const done = await waitForGkeOperation(deps.gke, pollPath, deps.clock, deps.polling, (op) =>
    deps.logger.debug('GKE operation progress', { step, operation: op.name, status: op.status }),
  );
  return done;
};

export { gpuPoolPolicy, gpuPoolRef, gpuPoolTarget, nodePoolResource, runGkeStep };
