import type { ClusterManagerClient } from '@google-cloud/container';
import type { compute_v1 } from '@googleapis/compute';
import type { RunningSimulator } from '../../../local/simulator/simulator';
import { ManualClock } from '../../../shared/time';
import { computeClientFor, gkeClientFor, startFixtureSimulator } from '../../helpers/simulator';

/**
 * The simulator's GKE and Compute APIs, driven through the official clients: @google-cloud/container
 * (gax 6, REST fallback) and @googleapis/compute. Time is a ManualClock at timeScale 1, so an
 * operation stays RUNNING until the test moves the clock past its 222 s.
 */

const PROJECT = 'acme-ml-prod';
const LOCATION = 'us-central1';
const CLUSTER_NAME = `projects/${PROJECT}/locations/${LOCATION}/clusters/acme-ml-gke`;
const GPU_POOL = `${CLUSTER_NAME}/nodePools/gpu-a100-pool`;
const SYSTEM_POOL = `${CLUSTER_NAME}/nodePools/system-pool`;
const GPU_GROUPS = [
  { zone: 'us-central1-a', instanceGroupManager: 'gke-acme-ml-gke-gpu-a100-pool-5d1e2c3b-grp' },
  { zone: 'us-central1-c', instanceGroupManager: 'gke-acme-ml-gke-gpu-a100-pool-b07a6f19-grp' },
];
const START = '2026-03-02T19:00:00Z';
const SET_SIZE_MS = 222_000;

const operationPath = (name: string | null | undefined): string =>
  `projects/${PROJECT}/locations/${LOCATION}/operations/${name}`;

describe('simulator GKE API', () => {
  const clock = new ManualClock(START);
  let simulator: RunningSimulator;
  let gke: ClusterManagerClient;
  let computeApi: compute_v1.Compute;

  const gpuGroupSizes = async (): Promise<Array<number | null | undefined>> =>
    Promise.all(
      GPU_GROUPS.map(async (group) => {
        const { data } = await computeApi.instanceGroupManagers.get({ project: PROJECT, ...group });
        return data.targetSize;
      }),
    );

  beforeAll(async () => {
    simulator = await startFixtureSimulator({ clock, timeScale: 1 });
    gke = gkeClientFor(simulator.endpoints.container);
    computeApi = computeClientFor(simulator.endpoints.compute);
  });

  beforeEach(() => {
    clock.set(START);
    simulator.reset();
    simulator.requestLog.clear();
  });

  afterAll(async () => {
    await gke.close();
    await simulator.close();
  });

  it('lists the fixture node pools with one instance group per zone', async () => {
    // Act
    const [response] = await gke.listNodePools({ parent: CLUSTER_NAME });

    // Assess
    const pools = response.nodePools ?? [];
    expect(pools.map((pool) => pool.name)).toEqual(['system-pool', 'gpu-a100-pool']);
    expect(pools[1]?.instanceGroupUrls).toEqual(
      GPU_GROUPS.map(
        (group) =>
          `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/${group.zone}/instanceGroupManagers/${group.instanceGroupManager}`,
      ),
    );
  });

  it('returns one node pool with its autoscaling enums as names', async () => {
    // Act
    const [pool] = await gke.getNodePool({ name: GPU_POOL });

    // Assess
    expect(pool.autoscaling).toMatchObject({
      enabled: true,
      minNodeCount: 0,
      maxNodeCount: 3,
      locationPolicy: 'ANY',
    });
    expect(pool.config?.accelerators?.[0]).toMatchObject({ acceleratorType: 'nvidia-tesla-a100' });
  });

  it('serves the cluster through the legacy zones binding too', async () => {
    // Act
    const [cluster] = await gke.getCluster({ projectId: PROJECT, zone: LOCATION, clusterId: 'acme-ml-gke' });
    const [list] = await gke.listClusters({ parent: `projects/${PROJECT}/locations/-` });

    // Assess
    expect(cluster.name).toBe('acme-ml-gke');
    expect(cluster.nodePools).toHaveLength(2);
    expect(list.clusters?.map((item) => item.name)).toEqual(['acme-ml-gke']);
    expect(simulator.requestLog.entries()[0]?.path).toBe(
      `/v1/projects/${PROJECT}/zones/${LOCATION}/clusters/acme-ml-gke`,
    );
  });

  it('reads node pool sizes from the zonal instance group managers', async () => {
    // Act
    const { data } = await computeApi.instanceGroupManagers.list({ project: PROJECT, zone: 'us-central1-a' });

    // Assess
    expect(data.items?.map((igm) => [igm.name, igm.targetSize])).toEqual([
      ['gke-acme-ml-gke-system-pool-7a3b9c21-grp', 2],
      ['gke-acme-ml-gke-gpu-a100-pool-5d1e2c3b-grp', 2],
    ]);
    expect(data.items?.[0]).toMatchObject({
      kind: 'compute#instanceGroupManager',
      zone: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/zones/us-central1-a`,
      baseInstanceName: 'gke-acme-ml-gke-system-pool-7a3b9c21',
    });
  });

  it('keeps a setSize operation RUNNING until its duration has passed, then resizes every zone', async () => {
    // Prepare
    expect(await gpuGroupSizes()).toEqual([2, 0]);

    // Act
    const [started] = await gke.setNodePoolSize({ name: GPU_POOL, nodeCount: 1 });
    clock.advance(SET_SIZE_MS - 1_000);
    const [stillRunning] = await gke.getOperation({ name: operationPath(started.name) });
    const sizesWhileRunning = await gpuGroupSizes();
    clock.advance(1_000);
    const [done] = await gke.getOperation({ name: operationPath(started.name) });

    // Assess
    expect(started).toMatchObject({
      operationType: 'SET_NODE_POOL_SIZE',
      status: 'RUNNING',
      location: LOCATION,
      startTime: new Date(START).toISOString(),
      targetLink: `https://container.googleapis.com/v1/${GPU_POOL}`,
    });
    expect(started.name).toMatch(/^operation-\d+-[0-9a-f]{8}$/);
    expect(started.selfLink).toBe(
      `https://container.googleapis.com/v1/projects/734118209551/locations/${LOCATION}/operations/${started.name}`,
    );
    expect(stillRunning.status).toBe('RUNNING');
    expect(sizesWhileRunning).toEqual([2, 0]);
    expect(done).toMatchObject({
      status: 'DONE',
      endTime: new Date(Date.parse(START) + SET_SIZE_MS).toISOString(),
    });
    expect(await gpuGroupSizes()).toEqual([1, 1]);
  });

  it('replaces autoscaling from the numeric enum gax sends', async () => {
    // Prepare
    const autoscaling = {
      enabled: true,
      locationPolicy: 'BALANCED' as const,
      totalMinNodeCount: 0,
      totalMaxNodeCount: 4,
    };

    // Act
    const [started] = await gke.setNodePoolAutoscaling({ name: GPU_POOL, autoscaling });
    const [before] = await gke.getNodePool({ name: GPU_POOL });
    clock.advance(60_000);
    const [after] = await gke.getNodePool({ name: GPU_POOL });

    // Assess
    expect(started).toMatchObject({ operationType: 'UPDATE_CLUSTER', status: 'RUNNING' });
    const sent = simulator.requestLog.entries().find((entry) => entry.route === 'nodePools.setAutoscaling');
    expect(sent?.body).toEqual({ autoscaling: { ...autoscaling, locationPolicy: 1 } });
    expect(before.autoscaling).toMatchObject({ maxNodeCount: 3, locationPolicy: 'ANY' });
    expect(after.autoscaling).toMatchObject({ ...autoscaling, minNodeCount: 0, maxNodeCount: 0 });
    expect(simulator.state.gke.clusters[0]?.nodePools[1]?.autoscaling).toEqual(autoscaling);
  });

  it('refuses any mutation on the cluster while an operation runs, with FAILED_PRECONDITION', async () => {
    // Prepare
    const [running] = await gke.setNodePoolSize({ name: GPU_POOL, nodeCount: 0 });

    // Act
    const refused = gke.setNodePoolAutoscaling({
      name: SYSTEM_POOL,
      autoscaling: { enabled: true, minNodeCount: 1, maxNodeCount: 2 },
    });

    // Assess
    await expect(refused).rejects.toMatchObject({
      code: 9,
      message: `Cluster is running incompatible operation ${running.name}.`,
    });
    clock.advance(SET_SIZE_MS);
    await expect(gke.setNodePoolSize({ name: SYSTEM_POOL, nodeCount: 1 })).resolves.toBeDefined();
  });

  it('rejects a negative node count with INVALID_ARGUMENT', async () => {
    // Act
    const refused = gke.setNodePoolSize({ name: GPU_POOL, nodeCount: -1 });

    // Assess
    await expect(refused).rejects.toMatchObject({ code: 3, message: expect.stringContaining('node_count') });
  });

  it('rejects a minimum above the maximum with INVALID_ARGUMENT', async () => {
    // Act
    const refused = gke.setNodePoolAutoscaling({
      name: GPU_POOL,
      autoscaling: { enabled: true, minNodeCount: 3, maxNodeCount: 1 },
    });

    // Assess
    await expect(refused).rejects.toMatchObject({
      code: 3,
      message: expect.stringContaining('min_node_count (3)'),
    });
  });

  it('rejects per-zone and total limits together with INVALID_ARGUMENT', async () => {
    // Act
    const refused = gke.setNodePoolAutoscaling({
      name: GPU_POOL,
      autoscaling: { enabled: true, maxNodeCount: 2, totalMaxNodeCount: 4 },
    });

    // Assess
    await expect(refused).rejects.toMatchObject({ code: 3, message: expect.stringContaining('not both') });
  });

  it('answers NOT_FOUND for an unknown node pool', async () => {
    // Act
    const missing = gke.getNodePool({ name: `${CLUSTER_NAME}/nodePools/tpu-pool` });

    // Assess
    await expect(missing).rejects.toMatchObject({
      code: 5,
      message: `Not found: ${CLUSTER_NAME}/nodePools/tpu-pool.`,
    });
  });

  it('answers the discovery client with Compute 404 shape for an unknown instance group', async () => {
    // Act
    const missing = computeApi.instanceGroupManagers.get({
      project: PROJECT,
      zone: 'us-central1-a',
      instanceGroupManager: 'nope',
    });

    // Assess
    await expect(missing).rejects.toMatchObject({
      status: 404,
      response: { data: { error: { status: 'NOT_FOUND', errors: [{ reason: 'notFound' }] } } },
    });
  });

  it('counts requests per method in the request log', async () => {
    // Prepare
    await gke.getNodePool({ name: GPU_POOL });
    await gke.getNodePool({ name: SYSTEM_POOL });
    await gke.setNodePoolSize({ name: GPU_POOL, nodeCount: 2 });
    await expect(gke.setNodePoolSize({ name: GPU_POOL, nodeCount: 2 })).rejects.toMatchObject({ code: 9 });

    // Act
    const response = await fetch(`${simulator.endpoints.compute}/_sim/requests`);
    const log = (await response.json()) as {
      counts: Record<string, number>;
      entries: Array<{ status: number }>;
    };

    // Assess
    expect(log.counts).toEqual({ 'GET nodePools.get': 2, 'POST nodePools.setSize': 2 });
    expect(log.entries.map((entry) => entry.status)).toEqual([200, 200, 200, 400]);
    expect(simulator.requestLog.count('POST nodePools.setSize')).toBe(2);
  });

  it('goes back to the fixture on reset', async () => {
    // Prepare
    await gke.setNodePoolSize({ name: GPU_POOL, nodeCount: 3 });
    clock.advance(SET_SIZE_MS);
    expect(await gpuGroupSizes()).toEqual([3, 3]);

    // Act
    const response = await fetch(`${simulator.endpoints.container}/_sim/reset`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(200);
    expect(await gpuGroupSizes()).toEqual([2, 0]);
    const [operations] = await gke.listOperations({ parent: `projects/${PROJECT}/locations/${LOCATION}` });
    expect(operations.operations?.map((operation) => operation.name)).toEqual([
      'operation-1748804402118-6f1e2d3c',
    ]);
  });
});

describe('simulator GKE API at timeScale 0', () => {
  let simulator: RunningSimulator;
  let gke: ClusterManagerClient;

  beforeAll(async () => {
    simulator = await startFixtureSimulator({ clock: new ManualClock(START), timeScale: 0 });
    gke = gkeClientFor(simulator.endpoints.container);
  });

  afterAll(async () => {
    await gke.close();
    await simulator.close();
  });

  it('shows an operation DONE on the first read and applies it', async () => {
    // Act
    const [started] = await gke.setNodePoolSize({ name: GPU_POOL, nodeCount: 0 });
    const [polled] = await gke.getOperation({ name: operationPath(started.name) });

    // Assess
    expect(started.status).toBe('RUNNING');
    expect(polled.status).toBe('DONE');
    expect(simulator.state.compute.instanceGroupManagers.map((igm) => igm.targetSize)).toEqual([2, 1, 0, 0]);
  });
});
