import type { RunningSimulator } from '../../../local/simulator/simulator';
import { ManualClock } from '../../../shared/time';
import { startFixtureSimulator } from '../../helpers/simulator';

/**
 * The simulator over plain HTTP: what the official clients cannot send (unknown fields, broken
 * JSON, legacy bodies) and the `/_sim/` control endpoints.
 */

const POOL_PATH =
  '/v1/projects/acme-ml-prod/locations/us-central1/clusters/acme-ml-gke/nodePools/gpu-a100-pool';
const LEGACY_POOL_PATH =
  '/v1/projects/acme-ml-prod/zones/us-central1/clusters/acme-ml-gke/nodePools/gpu-a100-pool';

interface ErrorBody {
  error: { code: number; message: string; status: string };
}

describe('simulator HTTP surface', () => {
  const clock = new ManualClock('2026-03-02T19:00:00Z');
  let simulator: RunningSimulator;

  const call = async (service: 'container' | 'compute', method: string, path: string, body?: string) => {
    const response = await fetch(`${simulator.endpoints[service]}${path}`, {
      method,
      ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  beforeAll(async () => {
    simulator = await startFixtureSimulator({ clock, timeScale: 1 });
  });

  beforeEach(() => {
    clock.set('2026-03-02T19:00:00Z');
    simulator.reset();
    simulator.requestLog.clear();
  });

  afterAll(async () => {
    await simulator.close();
  });

  it('rejects a body field the method does not define, naming it', async () => {
    // Act
    const response = await call(
      'container',
      'POST',
      `${POOL_PATH}:setSize`,
      '{"nodeCount":1,"nodeCounts":2}',
    );

    // Assess
    expect(response).toEqual({
      status: 400,
      body: {
        error: {
          code: 400,
          message: 'Invalid JSON payload received. Unknown name "nodeCounts": Cannot find field.',
          status: 'INVALID_ARGUMENT',
        },
      },
    });
  });

  it('rejects a body that is not JSON with INVALID_ARGUMENT', async () => {
    // Act
    const response = await call('container', 'POST', `${POOL_PATH}:setSize`, '{nodeCount:');

    // Assess
    expect(response.status).toBe(400);
    expect((response.body as ErrorBody).error.status).toBe('INVALID_ARGUMENT');
  });

  it('accepts the legacy setSize binding with the deprecated body fields and a string count', async () => {
    // Prepare
    const body = {
      projectId: 'acme-ml-prod',
      zone: 'us-central1',
      clusterId: 'acme-ml-gke',
      nodePoolId: 'gpu-a100-pool',
      node_count: '2',
    };

    // Act
    const response = await call('container', 'POST', `${LEGACY_POOL_PATH}/setSize`, JSON.stringify(body));

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ operationType: 'SET_NODE_POOL_SIZE', status: 'RUNNING' });
    expect(simulator.requestLog.counts()).toEqual({ 'POST nodePools.setSize': 1 });
  });

  it('answers UNIMPLEMENTED for a Google method the simulator does not serve', async () => {
    // Act
    const response = await call(
      'container',
      'PUT',
      POOL_PATH,
      '{"nodeVersion":"-","imageType":"COS_CONTAINERD"}',
    );

    // Assess
    expect(response.status).toBe(501);
    expect((response.body as ErrorBody).error.status).toBe('UNIMPLEMENTED');
    expect(simulator.requestLog.counts()).toEqual({ [`PUT ${POOL_PATH}`]: 1 });
  });

  it('answers NOT_FOUND for another project', async () => {
    // Act
    const response = await call('container', 'GET', POOL_PATH.replace('acme-ml-prod', 'other-project'));

    // Assess
    expect(response.status).toBe(404);
    expect((response.body as ErrorBody).error.status).toBe('NOT_FOUND');
  });

  it('accepts the project number in place of the project id', async () => {
    // Act
    const response = await call('container', 'GET', POOL_PATH.replace('acme-ml-prod', '734118209551'));

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ name: 'gpu-a100-pool' });
  });

  it('dumps the settled state on GET /_sim/state from any listener', async () => {
    // Prepare
    await call('container', 'POST', `${POOL_PATH}:setSize`, '{"nodeCount":3}');
    clock.advance(222_000);

    // Act
    const response = await call('compute', 'GET', '/_sim/state');

    // Assess
    const state = response.body as { compute: { instanceGroupManagers: Array<{ targetSize: number }> } };
    expect(state.compute.instanceGroupManagers.map((igm) => igm.targetSize)).toEqual([2, 1, 3, 3]);
  });

  it('clears the request log on DELETE /_sim/requests and does not log control calls', async () => {
    // Prepare
    await call('container', 'GET', POOL_PATH);

    // Act
    const cleared = await call('container', 'DELETE', '/_sim/requests');
    const after = await call('container', 'GET', '/_sim/requests');

    // Assess
    expect(cleared.status).toBe(200);
    expect(after.body).toEqual({ entries: [], counts: {} });
  });

  it('reports the virtual clock on GET /_sim/clock', async () => {
    // Act
    const response = await call('compute', 'GET', '/_sim/clock');

    // Assess
    expect(response).toEqual({ status: 200, body: { now: '2026-03-02T19:00:00.000Z', virtual: true } });
  });

  it('moves the virtual clock on POST /_sim/clock, finishing due operations', async () => {
    // Prepare
    await call('container', 'POST', `${POOL_PATH}:setSize`, '{"nodeCount":3}');

    // Act
    const advanced = await call('container', 'POST', '/_sim/clock', '{"advanceMs":222000}');
    const sizes = simulator.state.compute.instanceGroupManagers.map((igm) => igm.targetSize);
    const rewound = await call('container', 'POST', '/_sim/clock', '{"to":"2026-03-02T19:00:00Z"}');

    // Assess
    expect(advanced).toEqual({ status: 200, body: { now: '2026-03-02T19:03:42.000Z', virtual: true } });
    expect(sizes).toEqual([2, 1, 3, 3]);
    expect(rewound.body).toEqual({ now: '2026-03-02T19:00:00.000Z', virtual: true });
    expect(clock.now().toISOString()).toBe('2026-03-02T19:00:00.000Z');
  });

  it.each([
    ['{"advanceMs":-1}', 'advanceMs must be a number >= 0'],
    ['{"to":"soon"}', 'to must be an ISO time'],
    ['{"advanceMs":1,"to":"2026-03-02T19:00:00Z"}', 'exactly one of advanceMs and to'],
  ])('refuses the clock move %s with INVALID_ARGUMENT', async (body, message) => {
    // Act
    const response = await call('container', 'POST', '/_sim/clock', body);

    // Assess
    expect(response.status).toBe(400);
    expect((response.body as ErrorBody).error.message).toContain(message);
  });

  it('answers 404 for an unknown control endpoint', async () => {
    // Act
    const response = await call('container', 'GET', '/_sim/nothing');

    // Assess
    expect(response.status).toBe(404);
  });
});

describe('simulator HTTP surface on the system clock', () => {
  it('refuses to move the clock with FAILED_PRECONDITION', async () => {
    // Prepare
    const simulator = await startFixtureSimulator();

    // Act
    const read = await fetch(`${simulator.endpoints.container}/_sim/clock`);
    const moved = await fetch(`${simulator.endpoints.container}/_sim/clock`, {
      method: 'POST',
      body: '{"advanceMs":1000}',
    });
    await simulator.close();

    // Assess
    expect(((await read.json()) as { virtual: boolean }).virtual).toBe(false);
    expect(moved.status).toBe(400);
    expect(((await moved.json()) as ErrorBody).error.status).toBe('FAILED_PRECONDITION');
  });
});
