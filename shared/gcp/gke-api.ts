import type { ClusterManagerClient } from '@google-cloud/container';
import type { compute_v1 } from '@googleapis/compute';
import { fromGcpError, NotFoundError } from '../errors';

/**
 * The GKE calls the GPU operations need, in the control plane's own terms. Nothing above this
 * module sees a client library type, a protobuf enum or a gax error.
 */

interface NodePoolRef {
  projectId: string;
  location: string;
  cluster: string;
  pool: string;
}

interface AutoscalingView {
  enabled: boolean;
  minNodeCount: number;
  maxNodeCount: number;
  totalMinNodeCount?: number;
  totalMaxNodeCount?: number;
  locationPolicy?: string;
}

interface NodePoolView {
  name: string;
  status: string;
  locations: string[];
  autoscaling: AutoscalingView;
  /**
   * Live size per zone. NodePool has no current-size field (initialNodeCount is the creation-time
   * value), so this is read from the managed instance groups behind `instanceGroupUrls`.
   */
  sizeByZone: Record<string, number>;
}

interface GkeOperationView {
  /** The short id GKE returns, e.g. `operation-1748804402118-6f1e2d3c`. */
  name: string;
  /** `projects/{p}/locations/{l}/operations/{name}`: where to poll it. */
  pollPath: string;
  operationType: string;
  status: string;
  targetLink: string;
  error?: { code: number; message: string };
}

interface GkeApi {
  getNodePool(ref: NodePoolRef): Promise<NodePoolView>;
  setNodePoolSize(ref: NodePoolRef, nodeCount: number): Promise<GkeOperationView>;
  setNodePoolAutoscaling(ref: NodePoolRef, autoscaling: AutoscalingView): Promise<GkeOperationView>;
  getOperation(pollPath: string): Promise<GkeOperationView>;
}

const poolPath = (ref: NodePoolRef): string =>
  `projects/${ref.projectId}/locations/${ref.location}/clusters/${ref.cluster}/nodePools/${ref.pool}`;

/** `…/zones/{zone}/instanceGroupManagers/{name}` → its parts. */
const parseInstanceGroupUrl = (url: string): { project: string; zone: string; name: string } | undefined => {
  const match = /projects\/([^/]+)\/zones\/([^/]+)\/instanceGroupManagers\/([^/?]+)/.exec(url);
  return match ? { project: match[1] ?? '', zone: match[2] ?? '', name: match[3] ?? '' } : undefined;
};

type Loose = Record<string, unknown> | null | undefined;
const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));
const str = (value: unknown): string => (value === null || value === undefined ? '' : String(value));

const toOperationView = (raw: Loose, projectId: string, location: string): GkeOperationView => {
  const name = str(raw?.name);
  const error = raw?.error as Loose;
  const view: GkeOperationView = {
    name,
    pollPath: `projects/${projectId}/locations/${location}/operations/${name}`,
    operationType: str(raw?.operationType),
    status: str(raw?.status),
    targetLink: str(raw?.targetLink),
  };
  if (error && (num(error.code) !== 0 || str(error.message))) {
    view.error = { code: num(error.code), message: str(error.message) };
  }
  return view;
};

interface GkeClients {
  container: Pick<
    ClusterManagerClient,
    'getNodePool' | 'setNodePoolSize' | 'setNodePoolAutoscaling' | 'getOperation'
  >;
  compute: compute_v1.Compute;
}

/** GkeApi over the official clients (`@google-cloud/container`, `@googleapis/compute`). */
const createGkeApi = (clients: () => GkeClients): GkeApi => {
  const sizeByZone = async (projectId: string, urls: string[]): Promise<Record<string, number>> => {
    const sizes: Record<string, number> = {};
    await Promise.all(
      urls.map(async (url) => {
        const igm = parseInstanceGroupUrl(url);
        if (!igm) return;
        try {
          const { data } = await clients().compute.instanceGroupManagers.get({
            project: igm.project || projectId,
            zone: igm.zone,
            instanceGroupManager: igm.name,
          });
          sizes[igm.zone] = (sizes[igm.zone] ?? 0) + num(data.targetSize);
        } catch (error) {
          throw fromGcpError(error, `read instance group ${igm.zone}/${igm.name}`);
        }
      }),
    );
    return sizes;
  };

  return {
    async getNodePool(ref) {
      let pool: Loose;
      try {
        [pool] = (await clients().container.getNodePool({ name: poolPath(ref) })) as unknown as [Loose];
      } catch (error) {
        const translated = fromGcpError(error, `read node pool ${poolPath(ref)}`);
        if (translated instanceof NotFoundError) {
          throw new NotFoundError(`node pool ${ref.pool} does not exist in cluster ${ref.cluster}`, {
            cause: error,
          });
        }
        throw translated;
      }
      const autoscaling = (pool?.autoscaling ?? {}) as Record<string, unknown>;
      const view: AutoscalingView = {
        enabled: Boolean(autoscaling.enabled),
        minNodeCount: num(autoscaling.minNodeCount),
        maxNodeCount: num(autoscaling.maxNodeCount),
      };
      if (num(autoscaling.totalMinNodeCount) || num(autoscaling.totalMaxNodeCount)) {
        view.totalMinNodeCount = num(autoscaling.totalMinNodeCount);
        view.totalMaxNodeCount = num(autoscaling.totalMaxNodeCount);
      }
      const policy = str(autoscaling.locationPolicy);
      if (policy && policy !== 'LOCATION_POLICY_UNSPECIFIED') view.locationPolicy = policy;
      return {
        name: str(pool?.name),
        status: str(pool?.status),
        locations: ((pool?.locations as string[] | undefined) ?? []).map(String),
        autoscaling: view,
        sizeByZone: await sizeByZone(
          ref.projectId,
          ((pool?.instanceGroupUrls as string[] | undefined) ?? []).map(String),
        ),
      };
    },

    async setNodePoolSize(ref, nodeCount) {
      try {
        const [op] = (await clients().container.setNodePoolSize({
          name: poolPath(ref),
          nodeCount,
        })) as unknown as [Loose];
        return toOperationView(op, ref.projectId, ref.location);
      } catch (error) {
        throw fromGcpError(error, `setSize ${poolPath(ref)}`);
      }
    },

    async setNodePoolAutoscaling(ref, autoscaling) {
      try {
        const [op] = (await clients().container.setNodePoolAutoscaling({
          name: poolPath(ref),
          autoscaling: {
            enabled: autoscaling.enabled,
            minNodeCount: autoscaling.minNodeCount,
            maxNodeCount: autoscaling.maxNodeCount,
            ...(autoscaling.locationPolicy ? { locationPolicy: autoscaling.locationPolicy as 'ANY' } : {}),
          },
        })) as unknown as [Loose];
        return toOperationView(op, ref.projectId, ref.location);
      } catch (error) {
        throw fromGcpError(error, `setAutoscaling ${poolPath(ref)}`);
      }
    },

    async getOperation(pollPath) {
      const match = /^projects\/([^/]+)\/locations\/([^/]+)\/operations\/[^/]+$/.exec(pollPath);
      try {
        const [op] = (await clients().container.getOperation({ name: pollPath })) as unknown as [Loose];
        return toOperationView(op, match?.[1] ?? '', match?.[2] ?? '');
      } catch (error) {
        throw fromGcpError(error, `read operation ${pollPath}`);
      }
    },
  };
};

export type { AutoscalingView, GkeApi, GkeClients, GkeOperationView, NodePoolRef, NodePoolView };
export { createGkeApi, parseInstanceGroupUrl, poolPath };
