import type { PlatformState } from '../../desired-state';
import { ConfigError } from '../../errors';
import type {
  AutoscalingView,
  KubernetesNodeView,
  KubernetesPodView,
  KubernetesWorkloadsApi,
  NodePoolRef,
  NodePoolView,
} from '../../gcp';
import type { BasePlan, ObserveDeps, OperationModule } from '../operation';
import { gpuPoolRef, gpuPoolTarget, nodePoolResource } from './gpu-pool';

/**
 * `gpu.workloads` (A0, read-only): the busy check of the off-hours runbook (ops catalog §2.2
 * step 3). Lists the pods on the GPU pool's nodes, leaves out DaemonSet pods, `kube-system` and
 * finished pods, and classifies the rest: training (Argo/KFP, owned by a `Workflow`), notebook (a
 * StatefulSet pod labelled `notebook-name`), keep-annotated (the off-hours opt-out annotation) or
 * other. Every one of them is busy: it holds a GPU node up, and a forced scale-down would evict it.
 * The result also carries the pool's autoscaling bounds and size, so that a runbook can save them
 * before it lowers them. `gpu.scale` uses the same check before it takes a pool to zero.
 */

/** The GKE label naming a node's pool. */
const NODE_POOL_LABEL = 'cloud.google.com/gke-nodepool';
/**
 * The off-hours opt-out: `<domain>/keep-gpu-overnight=true` (the fixture's policy uses
 * `acme.ai/keep-gpu-overnight`). Desired state has no field naming the domain, so any is accepted.
 */
const KEEP_OVERNIGHT_ANNOTATION = /(^|\/)keep-gpu-overnight$/;
const SYSTEM_NAMESPACE = 'kube-system';
const FINISHED_PHASES = new Set(['Succeeded', 'Failed']);

/** What keeps a GPU node busy, per ops catalog §2.2 step 3. */
type GpuWorkloadClass = 'keep-annotated' | 'training' | 'notebook' | 'other';

/** One busy pod on a GPU node. */
interface GpuWorkload {
  namespace: string;
  name: string;
  node: string;
  zone: string | null;
  class: GpuWorkloadClass;
  phase: string;
  gpus: number;
  /** The controlling owner, e.g. `Workflow/resnet-finetune-w8k2p`. */
  owner: string | null;
  startTime: string | null;
}

/** A node of the pool, as the result lists it. */
interface GpuNode {
  name: string;
  zone: string | null;
  ready: boolean;
  cordoned: boolean;
  allocatableGpus: number;
}

/** The busy check's answer for one pool. */
interface GpuWorkloadInventory {
  nodes: GpuNode[];
  /** Busy pods, by node then namespace and name. */
  busy: GpuWorkload[];
  /** Pods left out, by why. */
  ignored: { daemonSet: number; kubeSystem: number; finished: number };
}

/** What `gpu.workloads` reads: the pool (bounds, size) and the pods on its nodes. */
interface GpuWorkloadsObserved {
  pool: NodePoolView;
  nodes: KubernetesNodeView[];
  pods: KubernetesPodView[];
}

/** The plan of `gpu.workloads`: the answer itself (nothing changes), kept in the ledger. */
interface GpuWorkloadsPlan extends BasePlan {
  pool: NodePoolRef;
  autoscaling: AutoscalingView;
  sizeByZone: Record<string, number>;
  inventory: GpuWorkloadInventory;
}

/** The workloads adapter, or a ConfigError saying why the busy check cannot run. */
const requireWorkloadsApi = (deps: Pick<ObserveDeps, 'workloads'>): KubernetesWorkloadsApi => {
  if (!deps.workloads) {
    throw new ConfigError(
      'no Kubernetes API for the GPU busy check: set OPSPLANE_KUBERNETES_ENDPOINT to the cluster API server',
    );
  }
  return deps.workloads;
};

/** The pool's nodes and every pod bound to them (one list per node, as ops catalog §2.2 reads them). */
const readPoolWorkloads = async (
  workloads: KubernetesWorkloadsApi,
  pool: string,
): Promise<{ nodes: KubernetesNodeView[]; pods: KubernetesPodView[] }> => {
  const nodes = await workloads.listNodes(`${NODE_POOL_LABEL}=${pool}`);
  const perNode = await Promise.all(nodes.map((node) => workloads.listPodsOnNode(node.name)));
  return { nodes, pods: perNode.flat() };
};

const classOf = (pod: KubernetesPodView): GpuWorkloadClass => {
  const keep = Object.entries(pod.annotations).some(
    ([key, value]) => KEEP_OVERNIGHT_ANNOTATION.test(key) && value.toLowerCase() === 'true',
  );
  if (keep) return 'keep-annotated';
  if (pod.owner?.kind === 'Workflow') return 'training';
  if (pod.owner?.kind === 'StatefulSet' && pod.labels['notebook-name'] !== undefined) return 'notebook';
  return 'other';
};

const byPlace = (a: GpuWorkload, b: GpuWorkload): number =>
  a.node.localeCompare(b.node) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);

/** Pure: the busy pods on the nodes, classified, and what was left out. */
const classifyGpuWorkloads = (
  nodes: KubernetesNodeView[],
  pods: KubernetesPodView[],
): GpuWorkloadInventory => {
  const zoneOf = new Map(nodes.map((node) => [node.name, node.zone ?? null]));
  const ignored = { daemonSet: 0, kubeSystem: 0, finished: 0 };
  const busy: GpuWorkload[] = [];
  for (const pod of pods) {
    if (!zoneOf.has(pod.nodeName)) continue;
    if (pod.owner?.kind === 'DaemonSet') ignored.daemonSet += 1;
    else if (pod.namespace === SYSTEM_NAMESPACE) ignored.kubeSystem += 1;
    else if (FINISHED_PHASES.has(pod.phase)) ignored.finished += 1;
    else {
      busy.push({
        namespace: pod.namespace,
        name: pod.name,
        node: pod.nodeName,
        zone: zoneOf.get(pod.nodeName) ?? null,
        class: classOf(pod),
        phase: pod.phase,
        gpus: pod.gpus,
        owner: pod.owner ? `${pod.owner.kind}/${pod.owner.name}` : null,
        startTime: pod.startTime ?? null,
      });
    }
  }
  return {
    nodes: nodes
      .map((node) => ({
        name: node.name,
        zone: node.zone ?? null,
        ready: node.ready,
        cordoned: node.unschedulable,
        allocatableGpus: node.allocatableGpus,
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    busy: busy.sort(byPlace),
    ignored,
  };
};

/** Busy pods per class, with every class present (a runbook reads them without map.get). */
const countByClass = (busy: GpuWorkload[]): Record<GpuWorkloadClass, number> => {
  const counts: Record<GpuWorkloadClass, number> = {
    'keep-annotated': 0,
    training: 0,
    notebook: 0,
    other: 0,
  };
  for (const workload of busy) counts[workload.class] += 1;
  return counts;
};

/** `team-vision/resnet-… (training on gke-…-9fjv)`: how plans and approvals name a busy pod. */
const describeWorkload = (workload: GpuWorkload): string =>
  `${workload.namespace}/${workload.name} (${workload.class} on ${workload.node})`;

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** The `gpu.workloads` operation module (registered in shared/operations/registry.ts). */
const gpuWorkloads: OperationModule<'gpu.workloads', GpuWorkloadsObserved, GpuWorkloadsPlan> = {
  type: 'gpu.workloads',

  // A read must never wait for (or hold up) a change of the pool: its own lease key.
  resource: (args, platform) => `${nodePoolResource(gpuPoolRef(platform, args.pool))}/workloads`,

  async observe(args, platform: PlatformState, deps) {
    const workloads = requireWorkloadsApi(deps);
    const ref = gpuPoolRef(platform, args.pool);
    const [pool, listed] = await Promise.all([
      gpuPoolTarget.observe(args, platform, deps),
      readPoolWorkloads(workloads, ref.pool),
    ]);
    return { pool, ...listed };
  },

  plan(platform, observed, args) {
    const pool = gpuPoolRef(platform, args.pool);
    const inventory = classifyGpuWorkloads(observed.nodes, observed.pods);
    const counts = countByClass(inventory.busy);
    const warnings: string[] = [];
    for (const node of inventory.nodes) {
      if (!node.ready) warnings.push(`node ${node.name} is not Ready`);
      if (node.cordoned) warnings.push(`node ${node.name} is cordoned`);
      if (node.allocatableGpus === 0) {
        warnings.push(
          `node ${node.name} reports no allocatable nvidia.com/gpu: a driver or device-plugin problem (ops catalog §9)`,
        );
      }
    }
    return {
      summary: `${pool.pool}: ${plural(inventory.busy.length, 'busy pod')} on ${plural(inventory.nodes.length, 'node')} (${counts.training} training, ${counts.notebook} notebook, ${counts['keep-annotated']} keep-annotated, ${counts.other} other)`,
      changes: [],
      warnings,
      noop: true,
      pool,
      autoscaling: observed.pool.autoscaling,
      sizeByZone: observed.pool.sizeByZone,
      inventory,
    };
  },

  async apply() {
    // Read-only: the plan holds the answer.
  },

  async verify(plan) {
    const counts = countByClass(plan.inventory.busy);
    return {
      pool: plan.pool.pool,
      autoscaling: plan.autoscaling,
      sizeByZone: plan.sizeByZone,
      totalNodes: Object.values(plan.sizeByZone).reduce((a, b) => a + b, 0),
      nodes: plan.inventory.nodes,
      busy: plan.inventory.busy,
      busyCount: plan.inventory.busy.length,
      byClass: {
        training: counts.training,
        notebook: counts.notebook,
        keepAnnotated: counts['keep-annotated'],
        other: counts.other,
      },
      ignored: plan.inventory.ignored,
    };
  },
};

export type {
  GpuNode,
  GpuWorkload,
  GpuWorkloadClass,
  GpuWorkloadInventory,
  GpuWorkloadsObserved,
  GpuWorkloadsPlan,
};
export {
  classifyGpuWorkloads,
  describeWorkload,
  gpuWorkloads,
  NODE_POOL_LABEL,
  readPoolWorkloads,
  requireWorkloadsApi,
};
