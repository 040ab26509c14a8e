import { createHash, randomUUID } from 'node:crypto';
import type { SimulatorState } from '../state';
import type { InstanceGroupManager } from './compute-model';
import type { GkeCluster, GkeNodePool } from './container-model';
import { parseInstanceGroupUrl } from './container-operations';
import {
  isJsonObject,
  type KubeObject,
  type KubernetesState,
  kubernetesTimestamp,
  listStored,
  removeCascading,
  writeStored,
} from './kubernetes-model';

/**
 * The coupling of the cluster's Node objects to its GKE node pools, as GKE and the cluster
 * autoscaler keep it: a node pool's size lives in its zonal instance group managers (`targetSize`,
 * which GKE setSize writes), and every VM of a group is one Node named
 * `<baseInstanceName>-<4 characters>`. When a group shrinks, its newest nodes go, and with them the
 * pods bound to them (drained, as GKE does before it deletes the VM: here at once, without
 * honouring PodDisruptionBudgets or waiting for a grace period). When it grows, new Ready nodes
 * appear, labelled and tainted like the pool's, with the pool's GPUs allocatable.
 *
 * Run before every request (the service's `settle`), after the GKE operations have settled, so a
 * finished setSize is visible on the next nodes list. Nodes matching no instance group of the
 * cluster are left alone.
 */

/** The label GKE puts on every node: the node pool it belongs to. */
const NODE_POOL_LABEL = 'cloud.google.com/gke-nodepool';
const ZONE_LABEL = 'topology.kubernetes.io/zone';
const REGION_LABEL = 'topology.kubernetes.io/region';
const INSTANCE_TYPE_LABEL = 'node.kubernetes.io/instance-type';
const ACCELERATOR_LABEL = 'cloud.google.com/gke-accelerator';
const HOSTNAME_LABEL = 'kubernetes.io/hostname';
const GPU_RESOURCE = 'nvidia.com/gpu';

/** GKE's node-name suffix alphabet: lower-case letters and digits. */
const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** GKE API taint effects (`NO_SCHEDULE`) → Kubernetes ones (`NoSchedule`). */
const TAINT_EFFECTS: Readonly<Record<string, string>> = {
  NO_SCHEDULE: 'NoSchedule',
  PREFER_NO_SCHEDULE: 'PreferNoSchedule',
  NO_EXECUTE: 'NoExecute',
};

/** What one reconciliation needs. */
interface NodePoolReconcileInput {
  /** The Kubernetes objects; nodes and pods are written here. */
  state: KubernetesState;
  /** The shared simulator state: the GKE clusters and Compute instance group managers. */
  platform: SimulatorState;
  /** The GKE cluster this API server belongs to; unset means the only cluster, if there is one. */
  clusterName: string | undefined;
  /** Nodes as the fixture has them: what a new node of the same pool is modelled on. */
  templates: readonly KubeObject[];
  now: Date;
}

/** What a reconciliation changed. */
interface NodePoolReconcileResult {
  /** Names of the nodes created. */
  added: string[];
  /** Every object removed: the nodes and the pods that were bound to them. */
  removed: KubeObject[];
}

/** One instance group of a pool: the nodes it should have. */
interface PoolGroup {
  pool: GkeNodePool;
  group: InstanceGroupManager;
}

const clusterOf = (platform: SimulatorState, clusterName: string | undefined): GkeCluster | undefined => {
  const { clusters } = platform.gke;
  if (clusterName === undefined) return clusters.length === 1 ? clusters[0] : undefined;
  return clusters.find((cluster) => cluster.name === clusterName);
};

/** Every instance group behind the cluster's node pools that the simulator knows. */
const poolGroupsOf = (platform: SimulatorState, cluster: GkeCluster): PoolGroup[] =>
  cluster.nodePools.flatMap((pool) =>
    (pool.instanceGroupUrls ?? []).flatMap((url) => {
      const ref = parseInstanceGroupUrl(url);
      const group = ref
        ? platform.compute.instanceGroupManagers.find(
            (candidate) => candidate.zone === ref.zone && candidate.name === ref.name,
          )
        : undefined;
      return group ? [{ pool, group }] : [];
    }),
  );

/** Whether a node is a VM of the group: `<baseInstanceName>-<suffix without dashes>`. */
const isNodeOf = (group: InstanceGroupManager, nodeName: string): boolean => {
  const prefix = `${group.baseInstanceName}-`;
  return nodeName.startsWith(prefix) && /^[a-z0-9]+$/.test(nodeName.slice(prefix.length));
};

/** Newest first (`creationTimestamp`, then name): the order the nodes of a shrinking group go in. */
const newestFirst = (left: KubeObject, right: KubeObject): number => {
  const byTime = (right.metadata.creationTimestamp ?? '').localeCompare(
    left.metadata.creationTimestamp ?? '',
  );
  return byTime !== 0 ? byTime : right.metadata.name.localeCompare(left.metadata.name);
};

/** `us-central1-a` → `us-central1`. */
const regionOf = (zone: string): string => zone.replace(/-[a-z]$/, '');

/** A free node name for the group; deterministic for a given state, so runs repeat. */
const newNodeName = (state: KubernetesState, group: InstanceGroupManager, taken: Set<string>): string => {
  for (let attempt = 0; ; attempt += 1) {
    const digest = createHash('sha1').update(`${group.name}/${state.revision}/${attempt}`).digest();
    const suffix = [...digest.subarray(0, 4)]
      .map((byte) => SUFFIX_ALPHABET[byte % SUFFIX_ALPHABET.length])
      .join('');
    const name = `${group.baseInstanceName}-${suffix}`;
    if (!taken.has(name)) return name;
  }
};

/** The pool's node config as GKE returns it, loosely: only what a node's labels and taints come from. */
interface PoolConfigView {
  machineType?: string;
  labels?: Record<string, string>;
  taints?: Array<{ key?: string; value?: string; effect?: string }>;
  accelerators?: Array<{ acceleratorCount?: string | number; acceleratorType?: string }>;
}

const poolConfigOf = (pool: GkeNodePool): PoolConfigView =>
  isJsonObject(pool.config) ? (pool.config as PoolConfigView) : {};

/** GPUs per node of the pool: the sum of its accelerator counts. */
const gpusPerNode = (config: PoolConfigView): number =>
  (config.accelerators ?? []).reduce((total, accelerator) => {
    const count = Number(accelerator.acceleratorCount ?? 0);
    return total + (Number.isFinite(count) ? count : 0);
  }, 0);

/** A node of the pool built from its GKE config alone, for pools the fixture has no node of. */
const nodeFromPoolConfig = (pool: GkeNodePool): KubeObject => {
  const config = poolConfigOf(pool);
  const accelerator = config.accelerators?.[0]?.acceleratorType;
  const maxPods = isJsonObject(pool.maxPodsConstraint) ? pool.maxPodsConstraint.maxPodsPerNode : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: '',
      labels: {
        ...(config.machineType ? { [INSTANCE_TYPE_LABEL]: config.machineType } : {}),
        'kubernetes.io/os': 'linux',
        ...(accelerator ? { [ACCELERATOR_LABEL]: accelerator } : {}),
        ...(config.labels ?? {}),
      },
    },
    spec: {
      taints: (config.taints ?? []).map((taint) => ({
        key: taint.key ?? '',
        ...(taint.value ? { value: taint.value } : {}),
        effect: TAINT_EFFECTS[taint.effect ?? ''] ?? taint.effect ?? 'NoSchedule',
      })),
    },
    status: { allocatable: { ...(maxPods === undefined ? {} : { pods: String(maxPods) }) } },
  };
};

/**
 * A new Ready node of the group: modelled on a fixture node of the same pool (the same zone's
 * first) or, lacking one, on the pool's config; named, placed and labelled for the group's zone.
 */
const newNode = (
  input: NodePoolReconcileInput,
  { pool, group }: PoolGroup,
  name: string,
  timestamp: string,
): KubeObject => {
  const ofPool = input.templates.filter((node) => node.metadata.labels?.[NODE_POOL_LABEL] === pool.name);
  const template =
    ofPool.find((node) => node.metadata.labels?.[ZONE_LABEL] === group.zone) ??
    ofPool[0] ??
    nodeFromPoolConfig(pool);
  const node = structuredClone(template);
  const hadHostname = node.metadata.labels?.[HOSTNAME_LABEL] !== undefined;
  node.metadata = {
    name,
    uid: randomUUID(),
    creationTimestamp: timestamp,
    labels: {
      ...node.metadata.labels,
      [NODE_POOL_LABEL]: pool.name,
      [ZONE_LABEL]: group.zone,
      [REGION_LABEL]: regionOf(group.zone),
      ...(hadHostname ? { [HOSTNAME_LABEL]: name } : {}),
    },
    ...(node.metadata.annotations ? { annotations: node.metadata.annotations } : {}),
  };
  const spec = isJsonObject(node.spec) ? node.spec : {};
  delete spec.unschedulable;
  node.spec = { ...spec, providerID: `gce://${input.platform.project.projectId}/${group.zone}/${name}` };
  const status = isJsonObject(node.status) ? node.status : {};
  const allocatable = isJsonObject(status.allocatable) ? status.allocatable : {};
  const gpus = gpusPerNode(poolConfigOf(pool));
  if (gpus > 0) allocatable[GPU_RESOURCE] = String(gpus);
  node.status = {
    ...status,
    allocatable,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status',
        lastTransitionTime: timestamp,
      },
    ],
  };
  return node;
};

/**
 * Brings the nodes of every node pool of the cluster to their instance groups' `targetSize`:
 * removes the newest surplus nodes with the pods bound to them, adds missing ones. Writes nothing
 * when the nodes already agree, so it is cheap to run before every request.
 */
const reconcileNodePools = (input: NodePoolReconcileInput): NodePoolReconcileResult => {
  const result: NodePoolReconcileResult = { added: [], removed: [] };
  const cluster = clusterOf(input.platform, input.clusterName);
  if (!cluster) return result;
  const timestamp = kubernetesTimestamp(input.now);
  for (const poolGroup of poolGroupsOf(input.platform, cluster)) {
    const { group } = poolGroup;
    const nodes = listStored(input.state, 'nodes').filter((node) => isNodeOf(group, node.metadata.name));
    const target = Math.max(0, group.targetSize);
    for (const node of [...nodes].sort(newestFirst).slice(0, Math.max(0, nodes.length - target))) {
      const bound = listStored(input.state, 'pods').filter(
        (pod) => isJsonObject(pod.spec) && pod.spec.nodeName === node.metadata.name,
      );
      for (const pod of bound) result.removed.push(...removeCascading(input.state, 'pods', pod));
      result.removed.push(...removeCascading(input.state, 'nodes', node));
    }
    if (nodes.length < target) {
      const taken = new Set(listStored(input.state, 'nodes').map((node) => node.metadata.name));
      for (let count = nodes.length; count < target; count += 1) {
        const name = newNodeName(input.state, group, taken);
        taken.add(name);
        writeStored(input.state, 'nodes', newNode(input, poolGroup, name, timestamp));
        result.added.push(name);
      }
    }
  }
  return result;
};

export type { NodePoolReconcileInput, NodePoolReconcileResult };
export { NODE_POOL_LABEL, reconcileNodePools };
