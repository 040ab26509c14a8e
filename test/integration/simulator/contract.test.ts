import type { RunningSimulator } from '../../../local/simulator/simulator';
import { ManualClock } from '../../../shared/time';
import { startFixtureSimulator } from '../../helpers/simulator';

/**
 * Requests checked against the discovery documents, over raw HTTP: what the official clients never
 * send (unknown fields, wrong types, unknown paths) is refused as Google refuses it, and what the
 * two client families send differently (enum numbers, enum names) reaches the handler as names.
 */

const CLUSTER_PATH = '/v1/projects/acme-ml-prod/locations/us-central1/clusters/acme-ml-gke';
const POOL_PATH = `${CLUSTER_PATH}/nodePools/gpu-a100-pool`;
const LEGACY_POOL_PATH =
  '/v1/projects/acme-ml-prod/zones/us-central1/clusters/acme-ml-gke/nodePools/gpu-a100-pool';

interface ErrorBody {
  error: { code: number; message: string; status: string };
}

describe('simulator discovery contract', () => {
  const clock = new ManualClock('2026-03-02T19:00:00Z');
  let simulator: RunningSimulator;

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${simulator.endpoints.container}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  beforeAll(async () => {
    simulator = await startFixtureSimulator({ clock, timeScale: 0 });
  });

  beforeEach(() => {
    simulator.reset();
    simulator.requestLog.clear();
  });

  afterAll(async () => {
    await simulator.close();
  });

  it.each([
    [
      'an unknown top-level field',
      `${POOL_PATH}:setSize`,
      { nodeCount: 1, nodeCounts: 2 },
      'Invalid JSON payload received. Unknown name "nodeCounts": Cannot find field.',
    ],
    [
      'an unknown nested field on the legacy binding',
      `${LEGACY_POOL_PATH}/autoscaling`,
      { autoscaling: { enabled: true, maxNodes: 3 } },
      `Invalid JSON payload received. Unknown name "maxNodes" at 'autoscaling': Cannot find field.`,
    ],
    [
      'a value of the wrong type',
      `${POOL_PATH}:setAutoscaling`,
      { autoscaling: { enabled: 'yes' } },
      `Invalid value at 'autoscaling.enabled' (TYPE_BOOL), "yes"`,
    ],
    [
      'a missing required field',
      `${POOL_PATH}:setAutoscaling`,
      {},
      `Required field 'autoscaling' is missing.`,
    ],
  ])('refuses %s with 400 INVALID_ARGUMENT naming it', async (_case, path, body, message) => {
    // Act
    const response = await call('POST', path, body);

    // Assess
    expect(response).toEqual({
      status: 400,
      body: { error: { code: 400, message, status: 'INVALID_ARGUMENT' } },
    });
    expect(simulator.state.gke.operations).toHaveLength(1);
  });

  it('hands the handler enum names whether the client sent names or numbers', async () => {
    // Act
    const byName = await call('POST', `${POOL_PATH}:setAutoscaling`, {
      autoscaling: { enabled: true, maxNodeCount: 3, locationPolicy: 'BALANCED' },
    });
    const byNumber = await call(
      'POST',
      '/v1/projects/acme-ml-prod/locations/us-central1/clusters/acme-ml-gke/nodePools/system-pool:setAutoscaling',
      {
        autoscaling: { enabled: true, maxNodeCount: 3, locationPolicy: 2 },
      },
    );

    // Assess
    expect([byName.status, byNumber.status]).toEqual([200, 200]);
    const pools = simulator.state.gke.clusters[0]?.nodePools ?? [];
    expect(pools.map((pool) => pool.autoscaling?.locationPolicy)).toEqual(['ANY', 'BALANCED']);
    expect(simulator.requestLog.entries()[1]?.body).toEqual({
      autoscaling: { enabled: true, maxNodeCount: 3, locationPolicy: 2 },
    });
  });

  it.each([
    ['an unknown path', 'GET', '/v1/projects/acme-ml-prod/locations/us-central1/widgets'],
    ['a known path with a method Google does not define on it', 'POST', POOL_PATH],
    [
      'a path of another API',
      'GET',
      '/compute/v1/projects/acme-ml-prod/zones/us-central1-a/instanceGroupManagers',
    ],
  ])('answers %s with 404 NOT_FOUND', async (_case, method, path) => {
    // Act
    const response = await call(method, path);

    // Assess
    expect(response.status).toBe(404);
    expect((response.body as ErrorBody).error).toMatchObject({ code: 404, status: 'NOT_FOUND' });
    expect(simulator.requestLog.counts()).toEqual({ [`${method} ${path}`]: 1 });
  });

  it('answers a Google method the simulator does not serve with 501 UNIMPLEMENTED naming it', async () => {
    // Act
    const response = await call('DELETE', POOL_PATH);

    // Assess
    expect(response.status).toBe(501);
    expect((response.body as ErrorBody).error.message).toContain(
      'container.projects.locations.clusters.nodePools.delete',
    );
  });
});
