import type { CoreV1Api, V1Node, V1Pod } from '@kubernetes/client-node';
import { fromKubernetesError } from './kubeflow-api';
import {
  type KubeflowClusterOptions,
  kubeConfigOptions,
  loadKubernetesClientModule,
} from './kubeflow-clients';

/**
 * The Kubernetes reads the GPU busy check needs (ops catalog §2.2 step 3): the nodes of a node
 * pool and the pods scheduled on each. Read-only, and in the control plane's own terms: nothing
 * above this module sees a client-node type or an ApiException. Kept apart from KubeflowApi
 * because it serves the compute operations, not identity, and needs other RBAC (list nodes and
 * pods cluster-wide).
 */

/** A node as the busy check sees it. */
interface KubernetesNodeView {
  name: string;
  labels: Record<string, string>;
  /** `topology.kubernetes.io/zone`, when set. */
  zone?: string;
  /** The `Ready` condition is `True`. */
  ready: boolean;
  /** Cordoned (`spec.unschedulable`). */
  unschedulable: boolean;
  /** `status.allocatable["nvidia.com/gpu"]`; 0 when the device plugin reports none. */
  allocatableGpus: number;
}

/** Who controls a pod: its controlling ownerReference (or the first one). */
interface PodOwnerView {
  kind: string;
  name: string;
}

/** A pod as the busy check sees it. */
interface KubernetesPodView {
  namespace: string;
  name: string;
  nodeName: string;
  /** `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`. */
  phase: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  owner?: PodOwnerView;
  /** Sum of the containers' `nvidia.com/gpu` requests (limits when no request is given). */
  gpus: number;
  startTime?: string;
}

/** Read-only access to a cluster's nodes and pods, for checks that must see what runs where. */
interface KubernetesWorkloadsApi {
  /** Nodes matching a label selector, e.g. `cloud.google.com/gke-nodepool=gpu-a100-pool`. */
  listNodes(labelSelector: string): Promise<KubernetesNodeView[]>;
  /** Every pod bound to the node, in all namespaces (`fieldSelector=spec.nodeName=<node>`). */
  listPodsOnNode(nodeName: string): Promise<KubernetesPodView[]>;
}

/** The client-node API object the adapter uses; `KubeConfig.makeApiClient` builds it. */
interface KubernetesWorkloadsClients {
  core: Pick<CoreV1Api, 'listNode' | 'listPodForAllNamespaces'>;
}

const GPU_RESOURCE = 'nvidia.com/gpu';
const ZONE_LABEL = 'topology.kubernetes.io/zone';
const PAGE_SIZE = 500;

/** A Kubernetes quantity of whole devices ("1", "2"); anything unparsable counts as 0. */
const deviceCount = (quantity: unknown): number => {
  const count = Number.parseInt(String(quantity ?? '0'), 10);
  return Number.isFinite(count) && count > 0 ? count : 0;
};

const toNodeView = (node: V1Node): KubernetesNodeView => {
  const labels = { ...(node.metadata?.labels ?? {}) };
  const zone = labels[ZONE_LABEL];
  return {
    name: node.metadata?.name ?? '',
    labels,
    ...(zone ? { zone } : {}),
    ready: (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    unschedulable: node.spec?.unschedulable === true,
    allocatableGpus: deviceCount(node.status?.allocatable?.[GPU_RESOURCE]),
  };
};

const toPodView = (pod: V1Pod): KubernetesPodView => {
  const owners = pod.metadata?.ownerReferences ?? [];
  const owner = owners.find((reference) => reference.controller === true) ?? owners[0];
  const gpus = (pod.spec?.containers ?? []).reduce((total, container) => {
    const resources = container.resources;
    return total + deviceCount(resources?.requests?.[GPU_RESOURCE] ?? resources?.limits?.[GPU_RESOURCE]);
  }, 0);
  const startTime = pod.status?.startTime;
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    nodeName: pod.spec?.nodeName ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    labels: { ...(pod.metadata?.labels ?? {}) },
    annotations: { ...(pod.metadata?.annotations ?? {}) },
    ...(owner ? { owner: { kind: owner.kind, name: owner.name } } : {}),
    gpus,
    // client-node parses date-time fields into Date objects; a plain JSON answer keeps the string.
    ...(startTime ? { startTime: new Date(startTime).toISOString() } : {}),
  };
};

/** Every item of a paged list; `page` gets the continue token of the previous page. */
const listPages = async <T>(
  page: (token: string | undefined) => Promise<{ items: T[]; metadata?: { _continue?: string } }>,
): Promise<T[]> => {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const answer = await page(token);
    items.push(...answer.items);
    token = answer.metadata?._continue || undefined;
  } while (token);
  return items;
};

/** KubernetesWorkloadsApi over @kubernetes/client-node v2; `clients` is called on each use. */
const createKubernetesWorkloadsApi = (clients: () => KubernetesWorkloadsClients): KubernetesWorkloadsApi => ({
  async listNodes(labelSelector) {
    const { core } = clients();
    try {
      const nodes = await listPages((token) =>
        core.listNode({ labelSelector, limit: PAGE_SIZE, ...(token ? { _continue: token } : {}) }),
      );
      return nodes.map(toNodeView);
    } catch (error) {
      throw fromKubernetesError(error, `list nodes (${labelSelector})`);
    }
  },

  async listPodsOnNode(nodeName) {
    const { core } = clients();
    try {
      const pods = await listPages((token) =>
        core.listPodForAllNamespaces({
          fieldSelector: `spec.nodeName=${nodeName}`,
          limit: PAGE_SIZE,
          ...(token ? { _continue: token } : {}),
        }),
      );
      return pods.map(toPodView);
    } catch (error) {
      throw fromKubernetesError(error, `list pods on node ${nodeName}`);
    }
  },
});

/**
 * A getter for the client of one cluster, built on first use; pass it to
 * `createKubernetesWorkloadsApi`. The options are checked at once, so a misconfiguration fails
 * where it is made.
 *
 * @throws ConfigError as `kubeConfigOptions`.
 */
const createKubernetesWorkloadsClient = (
  options: KubeflowClusterOptions,
): (() => KubernetesWorkloadsClients) => {
  const config = kubeConfigOptions(options);
  let clients: KubernetesWorkloadsClients | undefined;
  return () => {
    if (!clients) {
      const { CoreV1Api, KubeConfig } = loadKubernetesClientModule();
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromOptions(config);
      clients = { core: kubeConfig.makeApiClient(CoreV1Api) };
    }
    return clients;
  };
};

export type {
  KubernetesNodeView,
  KubernetesPodView,
  KubernetesWorkloadsApi,
  KubernetesWorkloadsClients,
  PodOwnerView,
};
export { createKubernetesWorkloadsApi, createKubernetesWorkloadsClient };
