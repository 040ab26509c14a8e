import { ConfigError } from '../../../../shared/errors';
import {
  createKubernetesWorkloadsApi,
  type KubernetesNodeView,
  type KubernetesPodView,
  type KubernetesWorkloadsApi,
  type KubernetesWorkloadsClients,
} from '../../../../shared/gcp';
import { classifyGpuWorkloads, gpuScale, gpuWorkloads } from '../../../../shared/operations';
import { ManualClock } from '../../../../shared/time';
import { loadFixture, makeCommand, makeDelivery } from '../../../helpers/factories';
import { defaultGpuPool, FakeGke } from '../../../helpers/fake-gke';
import { desiredStateForTest, planOperation, runOperation } from '../../../helpers/operation-runner';
import { makeProcessorHarness } from '../../../helpers/processor-harness';

/** gpu.workloads (ops catalog §2.2 step 3), its Kubernetes adapter, and gpu.scale's busy check. */

interface RawObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { nodeName?: string };
}

const TRAINING_NODE = 'gke-acme-ml-gke-gpu-a100-pool-5d1e2c3b-9fjv';
const NOTEBOOK_NODE = 'gke-acme-ml-gke-gpu-a100-pool-5d1e2c3b-r4lc';

/** The fixture's nodes and pods, as the cluster's API server would list them. */
const fixtureCluster = (): { nodes: RawObject[]; pods: RawObject[] } => {
  const fixture = loadFixture() as { kubernetes: { nodes: RawObject[]; pods: RawObject[] } };
  return structuredClone(fixture.kubernetes);
};

/** An ApiException as client-node v2 throws it. */
const apiException = (code: number, reason: string): Error =>
  Object.assign(new Error(`HTTP-Code: ${code}`), {
    code,
    body: JSON.stringify({ kind: 'Status', status: 'Failure', code, reason, message: reason }),
    headers: {},
  });

/**
 * A client-node CoreV1Api stand-in answering from `cluster` with the selectors the adapter sends
 * (`key=value` labels, `spec.nodeName=` fields), one item per page to exercise continue tokens.
 */
const fakeCore = (cluster: { nodes: RawObject[]; pods: RawObject[] }) => {
  const page = (items: RawObject[], token: string | undefined) => {
    const index = token ? Number(token) : 0;
    const next = index + 1 < items.length ? String(index + 1) : undefined;
    return { items: items.slice(index, index + 1), metadata: next ? { _continue: next } : {} };
  };
  const listNode = jest.fn(async (request: { labelSelector?: string; _continue?: string }) => {
    const [key, value] = (request.labelSelector ?? '').split('=');
    const matching = cluster.nodes.filter((node) => !key || node.metadata.labels?.[key] === value);
    return page(matching, request._continue);
  });
  const listPodForAllNamespaces = jest.fn(async (request: { fieldSelector?: string; _continue?: string }) => {
    const nodeName = (request.fieldSelector ?? '').replace(/^spec\.nodeName=/, '');
    return page(
      cluster.pods.filter((pod) => pod.spec?.nodeName === nodeName),
      request._continue,
    );
  });
  return { listNode, listPodForAllNamespaces };
};

const workloadsOver = (cluster: { nodes: RawObject[]; pods: RawObject[] }): KubernetesWorkloadsApi => {
  const core = fakeCore(cluster);
  return createKubernetesWorkloadsApi(() => ({ core }) as unknown as KubernetesWorkloadsClients);
};

const node = (name: string, zone = 'us-central1-a'): KubernetesNodeView => ({
  name,
  labels: { 'cloud.google.com/gke-nodepool': 'gpu-a100-pool' },
  zone,
  ready: true,
  unschedulable: false,
  allocatableGpus: 1,
});

const pod = (overrides: Partial<KubernetesPodView> & { name: string }): KubernetesPodView => ({
  namespace: 'team-vision',
  nodeName: 'n1',
  phase: 'Running',
  labels: {},
  annotations: {},
  gpus: 1,
  ...overrides,
});

describe('createKubernetesWorkloadsApi', () => {
  it("lists a pool's nodes by label, following continue tokens", async () => {
    // Prepare
    const core = fakeCore(fixtureCluster());
    const api = createKubernetesWorkloadsApi(() => ({ core }) as unknown as KubernetesWorkloadsClients);

    // Act
    const nodes = await api.listNodes('cloud.google.com/gke-nodepool=gpu-a100-pool');

    // Assert
    expect(nodes.map((n) => n.name).sort()).toEqual([TRAINING_NODE, NOTEBOOK_NODE].sort());
    expect(nodes[0]).toMatchObject({ zone: 'us-central1-a', ready: true, unschedulable: false });
    expect(core.listNode).toHaveBeenCalledTimes(2);
    expect(core.listNode).toHaveBeenLastCalledWith(
      expect.objectContaining({
        labelSelector: 'cloud.google.com/gke-nodepool=gpu-a100-pool',
        _continue: '1',
      }),
    );
  });

  it('lists the pods bound to a node with their owner and GPU requests', async () => {
    // Prepare
    const core = fakeCore(fixtureCluster());
    const api = createKubernetesWorkloadsApi(() => ({ core }) as unknown as KubernetesWorkloadsClients);

    // Act
    const pods = await api.listPodsOnNode(TRAINING_NODE);

    // Assert
    expect(core.listPodForAllNamespaces).toHaveBeenCalledWith(
      expect.objectContaining({ fieldSelector: `spec.nodeName=${TRAINING_NODE}` }),
    );
    expect(pods).toEqual([
      expect.objectContaining({
        namespace: 'team-vision',
        name: 'resnet-finetune-w8k2p-train-1523884012',
        nodeName: TRAINING_NODE,
        phase: 'Running',
        owner: { kind: 'Workflow', name: 'resnet-finetune-w8k2p' },
        gpus: 1,
        startTime: '2025-06-02T07:00:05.000Z',
      }),
    ]);
  });

  it.each([
    [403, 'Forbidden', 'GCP_REJECTED', false],
    [503, 'ServiceUnavailable', 'GCP_UNAVAILABLE', true],
  ])('turns HTTP %i into a control-plane error', async (code, reason, expectedCode, retryable) => {
    // Prepare
    const core = { listNode: jest.fn().mockRejectedValue(apiException(code, reason)) };
    const api = createKubernetesWorkloadsApi(() => ({ core }) as unknown as KubernetesWorkloadsClients);

    // Act
    const failure = api.listNodes('a=b');

    // Assert
    await expect(failure).rejects.toMatchObject({ code: expectedCode, retryable });
  });
});

describe('classifyGpuWorkloads', () => {
  it('leaves out DaemonSets, kube-system and finished pods and classifies the rest', () => {
    // Prepare
    const nodes = [node('n1'), node('n2', 'us-central1-c')];
    const pods = [
      pod({ name: 'train', owner: { kind: 'Workflow', name: 'wf' } }),
      pod({
        name: 'nb-0',
        namespace: 'aiko-tanaka',
        nodeName: 'n2',
        labels: { 'notebook-name': 'nb' },
        owner: { kind: 'StatefulSet', name: 'nb' },
      }),
      pod({
        name: 'overnight',
        owner: { kind: 'Workflow', name: 'long' },
        annotations: { 'acme.ai/keep-gpu-overnight': 'true' },
      }),
      pod({ name: 'adhoc', gpus: 0 }),
      pod({ name: 'plugin', namespace: 'gpu-operator', owner: { kind: 'DaemonSet', name: 'nvidia' } }),
      pod({ name: 'dns', namespace: 'kube-system', owner: { kind: 'ReplicaSet', name: 'kube-dns' } }),
      pod({ name: 'done', phase: 'Succeeded', owner: { kind: 'Workflow', name: 'old' } }),
      pod({ name: 'elsewhere', nodeName: 'cpu-node' }),
    ];

    // Act
    const inventory = classifyGpuWorkloads(nodes, pods);

    // Assert
    expect(inventory.busy.map((w) => [w.name, w.class, w.zone])).toEqual([
      ['adhoc', 'other', 'us-central1-a'],
      ['overnight', 'keep-annotated', 'us-central1-a'],
      ['train', 'training', 'us-central1-a'],
      ['nb-0', 'notebook', 'us-central1-c'],
    ]);
    expect(inventory.ignored).toEqual({ daemonSet: 1, kubeSystem: 1, finished: 1 });
    expect(inventory.busy[2]).toMatchObject({ owner: 'Workflow/wf', node: 'n1', gpus: 1 });
  });

  it('finds no busy pod when only system pods run', () => {
    // Act
    const inventory = classifyGpuWorkloads(
      [node('n1')],
      [pod({ name: 'plugin', owner: { kind: 'DaemonSet', name: 'nvidia' } })],
    );

    // Assert
    expect(inventory.busy).toEqual([]);
    expect(inventory.nodes).toEqual([
      { name: 'n1', zone: 'us-central1-a', ready: true, cordoned: false, allocatableGpus: 1 },
    ]);
  });
});

describe('gpuWorkloads', () => {
  const context = async (workloads?: KubernetesWorkloadsApi) => {
    const clock = new ManualClock('2026-03-01T19:00:00Z');
    const { desiredState, platform } = await desiredStateForTest(clock.now());
    const gke = new FakeGke();
    const apis = {
      gke,
      ...(workloads ? { workloads } : {}),
    } as unknown as Parameters<typeof runOperation>[2]['apis'];
    return { platform, desiredState, clock, apis, gke };
  };

  it("answers with the pool's autoscaling, size and the fixture's busy pods, changing nothing", async () => {
    // Prepare
    const ctx = await context(workloadsOver(fixtureCluster()));

    // Act
    const { plan, result } = await runOperation(gpuWorkloads, {}, ctx);

    // Assert
    expect(plan.noop).toBe(true);
    expect(plan.summary).toBe(
      'gpu-a100-pool: 2 busy pods on 2 nodes (1 training, 1 notebook, 0 keep-annotated, 0 other)',
    );
    expect(result).toMatchObject({
      pool: 'gpu-a100-pool',
      autoscaling: { enabled: true, minNodeCount: 0, maxNodeCount: 3 },
      sizeByZone: { 'us-central1-a': 2, 'us-central1-c': 0 },
      totalNodes: 2,
      busyCount: 2,
      byClass: { training: 1, notebook: 1, keepAnnotated: 0, other: 0 },
    });
    expect((result.busy as Array<{ name: string }>).map((w) => w.name)).toEqual([
      'resnet-finetune-w8k2p-train-1523884012',
      'aiko-gpu-nb-0',
    ]);
    expect(ctx.gke.calls.filter((call) => call !== 'getNodePool')).toEqual([]);
  });

  it('warns about a GPU node without allocatable GPUs (driver check)', async () => {
    // Prepare: the device plugin of one node reports no GPU.
    const cluster = fixtureCluster();
    const broken = cluster.nodes.find((n) => n.metadata.name === NOTEBOOK_NODE) as RawObject & {
      status: { allocatable: Record<string, string> };
    };
    delete broken.status.allocatable['nvidia.com/gpu'];
    const ctx = await context(workloadsOver(cluster));

    // Act
    const plan = await planOperation(gpuWorkloads, {}, ctx);

    // Assert
    expect(plan.warnings).toEqual([
      `node ${NOTEBOOK_NODE} reports no allocatable nvidia.com/gpu: a driver or device-plugin problem (ops catalog §9)`,
    ]);
    expect(plan.inventory.nodes.map((n) => n.allocatableGpus)).toEqual([1, 0]);
  });

  it('says which setting is missing when no Kubernetes API is configured', async () => {
    // Prepare
    const ctx = await context();

    // Act
    const failure = planOperation(gpuWorkloads, {}, ctx);

    // Assert
    await expect(failure).rejects.toBeInstanceOf(ConfigError);
    await expect(failure).rejects.toThrow(/OPSPLANE_KUBERNETES_ENDPOINT/);
  });

  it('leases a key of its own, so that a read never waits for a change of the pool', async () => {
    // Prepare
    const { platform } = await context();

    // Act
    const readKey = gpuWorkloads.resource({}, platform);
    const writeKey = gpuScale.resource({ nodes: 0 }, platform);

    // Assert
    expect(readKey).toBe(`${writeKey}/workloads`);
  });
});

describe('gpuScale busy check', () => {
  const context = async (workloads?: KubernetesWorkloadsApi) => {
    const clock = new ManualClock('2026-03-01T19:00:00Z');
    const { desiredState, platform } = await desiredStateForTest(clock.now());
    const apis = {
      gke: new FakeGke(),
      ...(workloads ? { workloads } : {}),
    } as unknown as Parameters<typeof runOperation>[2]['apis'];
    return { platform, desiredState, clock, apis };
  };

  it('lists the busy pods a scale to zero evicts and asks for approval', async () => {
    // Prepare
    const ctx = await context(workloadsOver(fixtureCluster()));

    // Act
    const plan = await planOperation(gpuScale, { nodes: 0 }, ctx);
    const reason = gpuScale.approvalReason?.(plan, { nodes: 0 }, ctx.platform);

    // Assert
    expect(plan.changes).toEqual([
      { resource: 'gpu-a100-pool/us-central1-a', field: 'nodes', from: 2, to: 0 },
      {
        resource: 'pods/team-vision/resnet-finetune-w8k2p-train-1523884012',
        field: 'evicted',
        from: `training on ${TRAINING_NODE}`,
        to: null,
      },
      {
        resource: 'pods/aiko-tanaka/aiko-gpu-nb-0',
        field: 'evicted',
        from: `notebook on ${NOTEBOOK_NODE}`,
        to: null,
      },
    ]);
    expect(reason).toMatch(/^scaling gpu-a100-pool to zero evicts 2 busy GPU pods \(team-vision\/resnet/);
    expect(reason).toMatch(/A3\)$/);
  });

  it('needs no approval when only system pods are left', async () => {
    // Prepare
    const cluster = fixtureCluster();
    cluster.pods = [
      {
        metadata: {
          name: 'nvidia-device-plugin-x7k2p',
          namespace: 'kube-system',
          ownerReferences: [{ kind: 'DaemonSet', name: 'nvidia-device-plugin', controller: true }],
        },
        spec: { nodeName: TRAINING_NODE },
      } as RawObject,
    ];
    const ctx = await context(workloadsOver(cluster));

    // Act
    const plan = await planOperation(gpuScale, { nodes: 0 }, ctx);

    // Assert
    expect(plan.busyCheck).toEqual({ status: 'checked', busy: [] });
    expect(gpuScale.approvalReason?.(plan, { nodes: 0 }, ctx.platform)).toBeUndefined();
  });

  it('asks a human when the pods cannot be listed', async () => {
    // Prepare
    const failing: KubernetesWorkloadsApi = {
      listNodes: async () => {
        throw new Error('connection refused');
      },
      listPodsOnNode: async () => [],
    };
    const ctx = await context(failing);

    // Act
    const plan = await planOperation(gpuScale, { nodes: 0 }, ctx);

    // Assert
    expect(gpuScale.approvalReason?.(plan, { nodes: 0 }, ctx.platform)).toMatch(
      /could not check gpu-a100-pool for busy GPU pods before scaling it to zero \(connection refused\)/,
    );
    expect(plan.warnings.join('\n')).toMatch(/whether busy GPU work is evicted is unknown/);
  });

  it('does not look at pods when the pool keeps nodes', async () => {
    // Prepare
    const listNodes = jest.fn();
    const ctx = await context({ listNodes, listPodsOnNode: jest.fn() });

    // Act
    const plan = await planOperation(gpuScale, { nodes: 1 }, ctx);

    // Assert
    expect(listNodes).not.toHaveBeenCalled();
    expect(plan.busyCheck).toEqual({ status: 'not-needed' });
    expect(gpuScale.approvalReason?.(plan, { nodes: 1 }, ctx.platform)).toBeUndefined();
  });

  it('stops at pending_approval on the command path, evicting nothing', async () => {
    // Prepare
    const h = await makeProcessorHarness({}, { apis: { workloads: workloadsOver(fixtureCluster()) } });

    // Act
    const outcome = await h.processor.process(
      makeDelivery(makeCommand({ args: { nodes: 0 }, idempotencyKey: 'night' })),
    );

    // Assert
    expect(outcome).toMatchObject({ ack: true, status: 'pending_approval' });
    expect(h.gke.mutations('setNodePoolSize')).toBe(0);
    expect(h.gke.pools.get('gpu-a100-pool')?.sizeByZone).toEqual(defaultGpuPool().sizeByZone);
  });
});
