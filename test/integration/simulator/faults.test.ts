import type { ClusterManagerClient } from '@google-cloud/container';
import type { compute_v1 } from '@googleapis/compute';
import type { RouteRequest, ServiceModule, SimulatorContext } from '../../../local/simulator/service';
import type { RunningSimulator } from '../../../local/simulator/simulator';
import { ManualClock } from '../../../shared/time';
import { computeClientFor, gkeClientFor, startFixtureSimulator } from '../../helpers/simulator';

/**
 * Injected faults as the official clients meet them: gax 6 retries an idempotent GET on 503
 * (api-contracts §0), and every attempt is in the request log, so a test can tell attempts from
 * calls. Faults are set in-process and over `/_sim/faults`.
 */

const GPU_POOL = 'projects/acme-ml-prod/locations/us-central1/clusters/acme-ml-gke/nodePools/gpu-a100-pool';
const POOL_PATH = `/v1/${GPU_POOL}`;
const GPU_GROUP = {
  project: 'acme-ml-prod',
  zone: 'us-central1-a',
  instanceGroupManager: 'gke-acme-ml-gke-gpu-a100-pool-5d1e2c3b-grp',
};

/**
 * A service that starts a long-running operation and asks the fault hooks how it ends, as a real
 * service module does; it stands in for one until a built-in service consults them.
 */
const operationService = (): ServiceModule => ({
  name: 'kubernetes',
  routes: [
    {
      method: 'POST',
      template: '/v1/things/{thing}:start',
      name: 'test.things.start',
      handle: (request: RouteRequest, sim: SimulatorContext) => {
        const error = sim.faults.operationError('test.things.start');
        return {
          body: {
            name: `operations/${request.params.thing}`,
            done: true,
            ...(error ? { error } : { response: {} }),
          },
        };
      },
    },
  ],
});

describe('simulator fault injection', () => {
  let simulator: RunningSimulator;
  let gke: ClusterManagerClient;
  let computeApi: compute_v1.Compute;

  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${simulator.endpoints.container}/_sim/${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    simulator = await startFixtureSimulator({
      clock: new ManualClock('2026-03-02T19:00:00Z'),
      timeScale: 0,
      extraServices: [operationService()],
    });
    gke = gkeClientFor(simulator.endpoints.container);
    computeApi = computeClientFor(simulator.endpoints.compute);
  });

  beforeEach(() => {
    simulator.faults.clear();
    simulator.requestLog.clear();
  });

  afterAll(async () => {
    await gke.close();
    await simulator.close();
  });

  it('lets the gax client retry through 20% of 503s on nodePools.get, each attempt logged', async () => {
    // Prepare
    const calls = 30;
    simulator.faults.inject({ route: 'nodePools.get', rate: 0.2, status: 503, seed: 7 });

    // Act
    const pools = [];
    for (let call = 0; call < calls; call += 1) pools.push((await gke.getNodePool({ name: GPU_POOL }))[0]);

    // Assess
    expect(pools.every((pool) => pool.name === 'gpu-a100-pool')).toBe(true);
    const entries = simulator.requestLog.entries();
    const injected = entries.filter((entry) => entry.fault === 'error');
    expect(simulator.requestLog.count('GET nodePools.get')).toBe(calls + injected.length);
    expect(injected.length).toBeGreaterThan(0);
    expect(injected.every((entry) => entry.status === 503 && entry.route === 'nodePools.get')).toBe(true);
    expect(simulator.faults.list()).toEqual([expect.objectContaining({ injected: injected.length })]);
  });

  it('answers one call with exactly the scripted 503, 503, 200', async () => {
    // Prepare
    simulator.faults.inject({ route: 'nodePools.get', sequence: [503, 503, 200] });

    // Act
    const [pool] = await gke.getNodePool({ name: GPU_POOL });

    // Assess
    expect(pool.name).toBe('gpu-a100-pool');
    expect(simulator.requestLog.entries().map((entry) => [entry.route, entry.status, entry.fault])).toEqual([
      ['nodePools.get', 503, 'error'],
      ['nodePools.get', 503, 'error'],
      ['nodePools.get', 200, undefined],
    ]);
  });

  it('fails a non-idempotent call on its first injected 503, without running it', async () => {
    // Prepare
    simulator.faults.inject({ route: 'nodePools.setSize', sequence: [503] });

    // Act
    const refused = gke.setNodePoolSize({ name: GPU_POOL, nodeCount: 1 });

    // Assess
    await expect(refused).rejects.toMatchObject({ code: 14 });
    expect(simulator.requestLog.count('POST nodePools.setSize')).toBe(1);
    expect(simulator.state.gke.operations).toHaveLength(1);
  });

  it('lets the discovery client retry a GET through scripted 503 and 500', async () => {
    // Prepare
    simulator.faults.inject({ route: 'instanceGroupManagers.get', sequence: [503, 500] });

    // Act
    const { data } = await computeApi.instanceGroupManagers.get(GPU_GROUP);

    // Assess
    expect(data.targetSize).toBe(2);
    expect(simulator.requestLog.entries().map((entry) => entry.status)).toEqual([503, 500, 200]);
  });

  it('sets, lists and clears faults over /_sim/faults, and answers with Google’s 429 body', async () => {
    // Act
    const injected = await control('POST', 'faults', { route: 'nodePools.get', sequence: [429] });
    const listed = await control('GET', 'faults');
    const answer = await fetch(`${simulator.endpoints.container}${POOL_PATH}`);
    await control('POST', 'faults', { route: 'nodePools.get', rate: 1 });
    const cleared = await control('DELETE', 'faults');
    const after = await control('GET', 'faults');

    // Assess
    expect(injected).toEqual({
      status: 200,
      body: { fault: { route: 'nodePools.get', kind: 'sequence', remaining: [429], timeoutMs: 30_000 } },
    });
    expect(listed.body).toEqual({ faults: [injected.body.fault] });
    expect(answer.status).toBe(429);
    expect(await answer.json()).toEqual({
      error: { code: 429, message: expect.any(String), status: 'RESOURCE_EXHAUSTED' },
    });
    expect(cleared.status).toBe(200);
    expect(after.body).toEqual({ faults: [] });
  });

  it('refuses a fault on an unknown route over HTTP with INVALID_ARGUMENT', async () => {
    // Act
    const refused = await control('POST', 'faults', { route: 'nodePool.get', rate: 0.5 });

    // Assess
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      error: {
        status: 'INVALID_ARGUMENT',
        message: expect.stringContaining('no route is named nodePool.get'),
      },
    });
  });

  it('holds a request unanswered for a timeout fault, then drops the connection', async () => {
    // Prepare
    simulator.faults.inject({ route: 'nodePools.get', sequence: ['timeout'], timeoutMs: 200 });
    const started = Date.now();

    // Act
    const attempt = fetch(`${simulator.endpoints.container}${POOL_PATH}`);

    // Assess
    await expect(attempt).rejects.toThrow('fetch failed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(simulator.requestLog.entries()).toEqual([
      expect.objectContaining({ route: 'nodePools.get', status: 0, fault: 'timeout' }),
    ]);
  });

  it('ends the next operation of a route in the injected error', async () => {
    // Prepare
    await control('POST', 'faults', {
      route: 'test.things.start',
      operationError: { code: 13, message: 'Node pool resize failed.' },
    });
    const start = (thing: string) =>
      fetch(`${simulator.endpoints.kubernetes}/v1/things/${thing}:start`, { method: 'POST' }).then(
        (response) => response.json(),
      );

    // Act
    const failed = await start('a');
    const succeeded = await start('b');

    // Assess
    expect(failed).toEqual({
      name: 'operations/a',
      done: true,
      error: { code: 13, message: 'Node pool resize failed.' },
    });
    expect(succeeded).toEqual({ name: 'operations/b', done: true, response: {} });
  });
});
