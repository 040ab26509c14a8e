import { parseFixture } from '../../../local/simulator/fixture';
import type { SimulatorContext } from '../../../local/simulator/service';
import { createKubernetesService } from '../../../local/simulator/services/kubernetes';
import { decideEviction, disruptionStatus } from '../../../local/simulator/services/kubernetes-disruption';
import { parseKubernetesFixture } from '../../../local/simulator/services/kubernetes-fixture';
import {
  getStored,
  type KubeObject,
  type KubernetesState,
  listStored,
} from '../../../local/simulator/services/kubernetes-model';
import { defaultFixturePath, loadFixture, type RunningSimulator } from '../../../local/simulator/simulator';
import { createSimulatorState } from '../../../local/simulator/state';
import type { KubernetesWorkloadsApi, NodePoolRef } from '../../../shared/gcp';
import { silentLogger } from '../../../shared/logging';
import { classifyGpuWorkloads, type PlatformApis } from '../../../shared/operations';
import { ManualClock } from '../../../shared/time';
import {
  createFakePolicyEditor,
  expectFailure,
  type KubernetesClients,
  kubernetesClientsFor,
} from '../../helpers/kubernetes-client';
import { platformApisFor } from '../../helpers/platform-apis';
import { startFixtureSimulator } from '../../helpers/simulator';

/**
 * Nodes, pods and PodDisruptionBudgets in the simulator's Kubernetes API, driven through
 * @kubernetes/client-node and the production adapters: selectors, cordon, eviction against the
 * fixture's budget, and nodes following the GKE node pool's size.
 */

const GPU_POOL = 'gpu-a100-pool';
const POOL_SELECTOR = `cloud.google.com/gke-nodepool=${GPU_POOL}`;
const TRAINING_NODE = 'gke-acme-ml-gke-gpu-a100-pool-5d1e2c3b-9fjv';
const NOTEBOOK_NODE = 'gke-acme-ml-gke-gpu-a100-pool-5d1e2c3b-r4lc';
const TRAINING_POD = 'resnet-finetune-w8k2p-train-1523884012';
const NOTEBOOK_POD = 'aiko-gpu-nb-0';
const POOL_REF: NodePoolRef = {
  projectId: 'acme-ml-prod',
  location: 'us-central1',
  cluster: 'acme-ml-gke',
  pool: GPU_POOL,
};

/** A PodDisruptionBudget's status, as read over plain HTTP (the typed clients lack PolicyV1Api here). */
interface BudgetBody {
  status: {
    disruptionsAllowed: number;
    currentHealthy: number;
    desiredHealthy: number;
    expectedPods: number;
  };
}

describe('simulator Kubernetes nodes and pods', () => {
  let simulator: RunningSimulator;
  let k8s: KubernetesClients;
  let apis: PlatformApis;
  let workloads: KubernetesWorkloadsApi;

  const readBudget = async (): Promise<BudgetBody> => {
    const response = await fetch(
      `${simulator.endpoints.kubernetes}/apis/policy/v1/namespaces/team-vision/poddisruptionbudgets/resnet-finetune-pdb`,
    );
    return (await response.json()) as BudgetBody;
  };

  const podNamesOn = async (nodeName: string): Promise<string[]> =>
    (await workloads.listPodsOnNode(nodeName)).map((pod) => pod.name);

  const scaleGpuPool = async (nodesPerZone: number): Promise<void> => {
    const operation = await apis.gke.setNodePoolSize(POOL_REF, nodesPerZone);
    // timeScale 0: the operation is DONE at once; reading it settles its effect.
    const done = await apis.gke.getOperation(operation.pollPath);
    expect(done.status).toBe('DONE');
  };

  beforeAll(async () => {
    const clock = new ManualClock('2026-03-02T19:00:00Z');
    simulator = await startFixtureSimulator({ timeScale: 0, clock });
    k8s = await kubernetesClientsFor(simulator.endpoints.kubernetes as string);
    apis = platformApisFor(simulator, clock);
    workloads = apis.workloads as KubernetesWorkloadsApi;
  });

  beforeEach(() => {
    simulator.reset();
    simulator.requestLog.clear();
  });

  afterAll(async () => {
    await simulator.close();
  });

  it("lists a pool's nodes by label selector, paging with continue tokens", async () => {
    // Act
    const firstPage = await k8s.core.listNode({ labelSelector: POOL_SELECTOR, limit: 1 });
    const secondPage = await k8s.core.listNode({
      labelSelector: POOL_SELECTOR,
      limit: 1,
      _continue: firstPage.metadata?._continue as string,
    });
    const systemNodes = await k8s.core.listNode({ labelSelector: 'acme.ai/pool=system' });

    // Assert
    expect([...firstPage.items, ...secondPage.items].map((node) => node.metadata?.name)).toEqual([
      TRAINING_NODE,
      NOTEBOOK_NODE,
    ]);
    expect(firstPage.metadata?.remainingItemCount).toBe(1);
    expect(secondPage.metadata?._continue).toBeUndefined();
    expect(systemNodes.items).toHaveLength(3);
    expect(firstPage.items[0]?.status?.allocatable?.['nvidia.com/gpu']).toBe('1');
    expect(simulator.requestLog.count('GET k8s.nodes.list')).toBe(3);
  });

  it('lists pods by spec.nodeName and status.phase, across and within namespaces', async () => {
    // Act
    const onTrainingNode = await k8s.core.listPodForAllNamespaces({
      fieldSelector: `spec.nodeName=${TRAINING_NODE}`,
    });
    const running = await k8s.core.listPodForAllNamespaces({ fieldSelector: 'status.phase=Running' });
    const pendingNotebooks = await k8s.core.listNamespacedPod({
      namespace: 'aiko-tanaka',
      fieldSelector: 'status.phase!=Running',
    });
    const inNamespace = await k8s.core.listNamespacedPod({ namespace: 'aiko-tanaka' });
    const unknownField = await expectFailure(
      k8s.core.listPodForAllNamespaces({ fieldSelector: 'spec.owner=x' }),
    );

    // Assert
    expect(onTrainingNode.items.map((pod) => pod.metadata?.name)).toEqual([TRAINING_POD]);
    expect(running.items.map((pod) => pod.metadata?.name).sort()).toEqual([NOTEBOOK_POD, TRAINING_POD]);
    expect(pendingNotebooks.items).toEqual([]);
    expect(inNamespace.items.map((pod) => pod.metadata?.name)).toEqual([NOTEBOOK_POD]);
    expect(unknownField).toMatchObject({ code: 400, message: 'field label not supported: spec.owner' });
  });

  it('gets a node and a pod, and answers 404 for a pod that is not there', async () => {
    // Act
    const node = await k8s.core.readNode({ name: NOTEBOOK_NODE });
    const pod = await k8s.core.readNamespacedPod({ name: NOTEBOOK_POD, namespace: 'aiko-tanaka' });
    const missing = await expectFailure(
      k8s.core.readNamespacedPod({ name: 'nope', namespace: 'aiko-tanaka' }),
    );

    // Assert
    expect(node.metadata?.labels?.['cloud.google.com/gke-nodepool']).toBe(GPU_POOL);
    expect(node.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(pod.spec?.nodeName).toBe(NOTEBOOK_NODE);
    expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'StatefulSet', name: 'aiko-gpu-nb' });
    expect(missing).toMatchObject({ code: 404, reason: 'NotFound', message: 'pods "nope" not found' });
  });

  it('refuses to evict the training pod its disruption budget guards, and evicts the notebook', async () => {
    // Act
    const blocked = await expectFailure(
      k8s.core.createNamespacedPodEviction({
        name: TRAINING_POD,
        namespace: 'team-vision',
        body: { metadata: { name: TRAINING_POD, namespace: 'team-vision' } },
      }),
    );
    await k8s.core.createNamespacedPodEviction({
      name: NOTEBOOK_POD,
      namespace: 'aiko-tanaka',
      body: { metadata: { name: NOTEBOOK_POD, namespace: 'aiko-tanaka' } },
    });

    // Assert
    expect(blocked).toEqual({
      code: 429,
      reason: 'TooManyRequests',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
    });
    expect(await podNamesOn(TRAINING_NODE)).toEqual([TRAINING_POD]);
    expect(await podNamesOn(NOTEBOOK_NODE)).toEqual([]);
    expect(simulator.requestLog.count('POST k8s.pods.eviction')).toBe(2);
  });

  it('deletes a pod and recounts the budget that selected it', async () => {
    // Prepare
    const before = await readBudget();

    // Act
    const deleted = await k8s.core.deleteNamespacedPod({ name: TRAINING_POD, namespace: 'team-vision' });
    const after = await readBudget();

    // Assert
    expect(deleted.metadata?.name).toBe(TRAINING_POD);
    expect(before.status).toMatchObject({ disruptionsAllowed: 0, currentHealthy: 1, expectedPods: 1 });
    expect(after.status).toMatchObject({
      disruptionsAllowed: 0,
      currentHealthy: 0,
      desiredHealthy: 0,
      expectedPods: 0,
    });
    expect(await podNamesOn(TRAINING_NODE)).toEqual([]);
  });

  it('cordons a node with a merge patch of spec.unschedulable and refuses a non-boolean', async () => {
    // Prepare
    const { client } = k8s;
    const mergePatch = client.setHeaderOptions('Content-Type', client.PatchStrategy.MergePatch);

    // Act
    await k8s.core.patchNode({ name: TRAINING_NODE, body: { spec: { unschedulable: true } } }, mergePatch);
    const cordoned = await k8s.core.listNode({ fieldSelector: 'spec.unschedulable=true' });
    const invalid = await expectFailure(
      k8s.core.patchNode({ name: TRAINING_NODE, body: { spec: { unschedulable: 'yes' } } }, mergePatch),
    );
    const nodes = await workloads.listNodes(POOL_SELECTOR);

    // Assert
    expect(cordoned.items.map((node) => node.metadata?.name)).toEqual([TRAINING_NODE]);
    expect(invalid).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(nodes.find((node) => node.name === TRAINING_NODE)).toMatchObject({
      unschedulable: true,
      ready: true,
      allocatableGpus: 1,
    });
    expect(nodes.find((node) => node.name === NOTEBOOK_NODE)?.unschedulable).toBe(false);
  });

  it('gives the GPU busy check the training and notebook pods through the production adapter', async () => {
    // Act
    const nodes = await workloads.listNodes(POOL_SELECTOR);
    const pods = (await Promise.all(nodes.map((node) => workloads.listPodsOnNode(node.name)))).flat();
    const inventory = classifyGpuWorkloads(nodes, pods);

    // Assert
    expect(nodes.map((node) => node.name)).toEqual([TRAINING_NODE, NOTEBOOK_NODE]);
    expect(pods.find((pod) => pod.name === TRAINING_POD)).toMatchObject({
      namespace: 'team-vision',
      nodeName: TRAINING_NODE,
      phase: 'Running',
      owner: { kind: 'Workflow', name: 'resnet-finetune-w8k2p' },
      gpus: 1,
      startTime: '2025-06-02T07:00:05.000Z',
    });
    expect(inventory.busy.map((workload) => [workload.name, workload.class])).toEqual([
      [TRAINING_POD, 'training'],
      [NOTEBOOK_POD, 'notebook'],
    ]);
  });

  it("scaling the GPU pool to zero removes the pool's nodes and the pods bound to them", async () => {
    // Act
    await scaleGpuPool(0);
    const nodes = await workloads.listNodes(POOL_SELECTOR);
    const pods = await k8s.core.listPodForAllNamespaces({});
    const systemNodes = await k8s.core.listNode({ labelSelector: 'acme.ai/pool=system' });
    const budget = await readBudget();

    // Assert
    expect(nodes).toEqual([]);
    expect(pods.items).toEqual([]);
    expect(systemNodes.items).toHaveLength(3);
    expect(budget.status).toMatchObject({ currentHealthy: 0, expectedPods: 0 });
    expect(await expectFailure(k8s.core.readNode({ name: TRAINING_NODE }))).toMatchObject({
      code: 404,
      message: `nodes "${TRAINING_NODE}" not found`,
    });
  });

  it('scaling the GPU pool to one per zone keeps the oldest node and adds a Ready node in the other zone', async () => {
    // Act
    await scaleGpuPool(1);
    const nodes = await workloads.listNodes(POOL_SELECTOR);
    const pool = await apis.gke.getNodePool(POOL_REF);

    // Assert
    expect(pool.sizeByZone).toEqual({ 'us-central1-a': 1, 'us-central1-c': 1 });
    expect(nodes).toHaveLength(2);
    // The newer zone-a node (the notebook's) went with its pod; the training node stayed.
    expect(nodes[0]?.name).toBe(TRAINING_NODE);
    expect(nodes[1]?.name).toMatch(/^gke-acme-ml-gke-gpu-a100-pool-b07a6f19-[a-z0-9]{4}$/);
    expect(nodes[1]).toMatchObject({
      zone: 'us-central1-c',
      ready: true,
      unschedulable: false,
      allocatableGpus: 1,
      labels: expect.objectContaining({
        'cloud.google.com/gke-nodepool': GPU_POOL,
        'cloud.google.com/gke-accelerator': 'nvidia-tesla-a100',
        'topology.kubernetes.io/region': 'us-central1',
        'acme.ai/pool': 'gpu',
      }),
    });
    expect(await podNamesOn(NOTEBOOK_NODE)).toEqual([]);
    expect(await podNamesOn(TRAINING_NODE)).toEqual([TRAINING_POD]);
  });

  it('scaling the GPU pool up adds nodes tainted and labelled like the pool, and reset brings back the fixture', async () => {
    // Act
    await scaleGpuPool(3);
    const grown = await k8s.core.listNode({ labelSelector: POOL_SELECTOR });
    simulator.reset();
    const afterReset = await workloads.listNodes(POOL_SELECTOR);

    // Assert
    const names = grown.items.map((node) => node.metadata?.name as string);
    expect(names).toHaveLength(6);
    expect(new Set(names).size).toBe(6);
    expect(names).toEqual(expect.arrayContaining([TRAINING_NODE, NOTEBOOK_NODE]));
    const added = grown.items.filter(
      (node) => ![TRAINING_NODE, NOTEBOOK_NODE].includes(node.metadata?.name ?? ''),
    );
    expect(added.map((node) => node.metadata?.labels?.['topology.kubernetes.io/zone']).sort()).toEqual([
      'us-central1-a',
      'us-central1-c',
      'us-central1-c',
      'us-central1-c',
    ]);
    for (const node of added) {
      expect(node.spec?.taints).toEqual([{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }]);
      expect(node.spec?.providerID).toBe(
        `gce://acme-ml-prod/${node.metadata?.labels?.['topology.kubernetes.io/zone']}/${node.metadata?.name}`,
      );
      expect(node.metadata?.creationTimestamp).toEqual(new Date('2026-03-02T19:00:00Z'));
    }
    expect(afterReset.map((node) => node.name)).toEqual([TRAINING_NODE, NOTEBOOK_NODE]);
  });

  it('serves nodes and pods in discovery, with only the verbs they support', async () => {
    // Act
    const response = await fetch(`${simulator.endpoints.kubernetes}/api/v1`);
    const body = (await response.json()) as { resources: Array<{ name: string; verbs: string[] }> };
    const createPod = await fetch(`${simulator.endpoints.kubernetes}/api/v1/namespaces/aiko-tanaka/pods`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'x' } }),
    });

    // Assert
    const verbsOf = (name: string): string[] | undefined =>
      body.resources.find((resource) => resource.name === name)?.verbs;
    expect(verbsOf('nodes')).toEqual(['get', 'list', 'patch', 'update']);
    expect(verbsOf('pods')).toEqual(['delete', 'get', 'list']);
    expect(verbsOf('pods/eviction')).toEqual(['create']);
    expect(createPod.status).toBe(405);
    expect(await createPod.json()).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed' });
  });
});

describe('kubernetes service snapshots with nodes and pods', () => {
  it('restores a snapshot taken before nodes and pods were served with the fixture ones', () => {
    // Prepare
    const fixture = loadFixture(defaultFixturePath());
    const service = createKubernetesService({ fixture, serviceAccountPolicies: createFakePolicyEditor([]) });
    const full = service.snapshot?.() as {
      revision: number;
      objects: Record<string, Record<string, unknown>>;
    };
    const { nodes: _nodes, pods: _pods, poddisruptionbudgets: _budgets, ...older } = full.objects;

    // Act
    service.restore?.({ revision: 1, objects: older });
    const restored = service.snapshot?.() as typeof full;

    // Assert
    expect(Object.keys(restored.objects.nodes ?? {})).toHaveLength(5);
    expect(Object.keys(restored.objects.pods ?? {}).sort()).toEqual([
      `aiko-tanaka/${NOTEBOOK_POD}`,
      `team-vision/${TRAINING_POD}`,
    ]);
    expect(restored.revision).toBe(full.revision);
  });
});

describe('kubernetes disruption budgets and node pools in process', () => {
  const fixture = loadFixture(defaultFixturePath()) as {
    kubernetes: {
      podDisruptionBudgets: Array<{ metadata: { name: string }; spec: Record<string, unknown> }>;
    };
  };

  const seededState = (change: (copy: typeof fixture) => void = () => undefined): KubernetesState => {
    const copy = structuredClone(fixture);
    change(copy);
    return structuredClone(parseKubernetesFixture(copy).state);
  };

  const podOf = (state: KubernetesState, namespace: string, name: string): KubeObject =>
    getStored(state, 'pods', namespace, name) as KubeObject;

  it('counts a percentage minAvailable against the pods the budget selects', () => {
    // Prepare
    const state = seededState((copy) => {
      const [budget] = copy.kubernetes.podDisruptionBudgets;
      if (budget) budget.spec = { minAvailable: '50%', selector: budget.spec.selector };
    });
    const budget = listStored(state, 'poddisruptionbudgets')[0] as KubeObject;

    // Act
    const status = disruptionStatus(state, budget);
    const decision = decideEviction(state, podOf(state, 'team-vision', TRAINING_POD));

    // Assert
    expect(status).toEqual({ disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 });
    expect(decision.allowed).toBe(false);
  });

  it('lets a budget with room evict, and refuses a pod two budgets select', () => {
    // Prepare
    const roomy = seededState((copy) => {
      const [budget] = copy.kubernetes.podDisruptionBudgets;
      if (budget) budget.spec = { maxUnavailable: 1, selector: budget.spec.selector };
    });
    const doubled = seededState((copy) => {
      const [budget] = copy.kubernetes.podDisruptionBudgets;
      if (budget)
        copy.kubernetes.podDisruptionBudgets.push({
          ...structuredClone(budget),
          metadata: { ...budget.metadata, name: 'second' },
        });
    });

    // Act
    const allowed = decideEviction(roomy, podOf(roomy, 'team-vision', TRAINING_POD));
    const refused = (): unknown => decideEviction(doubled, podOf(doubled, 'team-vision', TRAINING_POD));

    // Assert
    expect(allowed).toEqual({ allowed: true });
    expect(refused).toThrow('This pod has more than one PodDisruptionBudget');
  });

  it('follows an instance group resized in the shared state, leaving nodes of unknown groups alone', () => {
    // Prepare
    const service = createKubernetesService({ fixture, serviceAccountPolicies: createFakePolicyEditor([]) });
    const platform = createSimulatorState(parseFixture(fixture));
    const context: SimulatorContext = {
      state: platform,
      clock: new ManualClock('2026-03-02T19:00:00Z'),
      timeScale: 0,
      logger: silentLogger,
      faults: { operationError: () => undefined },
    };
    const systemGroup = platform.compute.instanceGroupManagers.find(
      (group) => group.name === 'gke-acme-ml-gke-system-pool-7a3b9c21-grp',
    );
    if (systemGroup) systemGroup.targetSize = 1;
    // A pool the simulator has no instance group for: its nodes are nobody's to remove.
    const gpuPool = platform.gke.clusters[0]?.nodePools.find((pool) => pool.name === GPU_POOL);
    if (gpuPool) gpuPool.instanceGroupUrls = [];

    // Act
    service.settle?.(context);
    const first = service.snapshot?.() as KubernetesState;
    service.settle?.(context);
    const second = service.snapshot?.() as KubernetesState;

    // Assert
    expect(Object.keys(first.objects.nodes).sort()).toEqual([
      TRAINING_NODE,
      NOTEBOOK_NODE,
      'gke-acme-ml-gke-system-pool-7a3b9c21-k2mq',
      'gke-acme-ml-gke-system-pool-e41d0f88-p0dw',
    ]);
    expect(second).toEqual(first);
  });
});
