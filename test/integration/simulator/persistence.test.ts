import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningSimulator } from '../../../local/simulator/simulator';
import { ManualClock } from '../../../shared/time';
import { computeClientFor, gkeClientFor, startFixtureSimulator } from '../../helpers/simulator';

/**
 * A simulator with a state file, restarted: what the clients changed is still there. The pool's
 * size lives in its zonal instance groups (Compute), the resize operation in GKE's history.
 */

const PROJECT = 'acme-ml-prod';
const GPU_POOL = `projects/${PROJECT}/locations/us-central1/clusters/acme-ml-gke/nodePools/gpu-a100-pool`;
const GPU_GROUPS = [
  { zone: 'us-central1-a', instanceGroupManager: 'gke-acme-ml-gke-gpu-a100-pool-5d1e2c3b-grp' },
  { zone: 'us-central1-c', instanceGroupManager: 'gke-acme-ml-gke-gpu-a100-pool-b07a6f19-grp' },
];
const START = '2026-03-02T19:00:00Z';

describe('simulator state file', () => {
  let directory: string;
  const running: RunningSimulator[] = [];

  const start = async (stateFile: string, clock = new ManualClock(START)): Promise<RunningSimulator> => {
    const simulator = await startFixtureSimulator({ clock, timeScale: 1, stateFile });
    running.push(simulator);
    return simulator;
  };

  const gpuGroupSizes = (simulator: RunningSimulator) => {
    const computeApi = computeClientFor(simulator.endpoints.compute);
    return Promise.all(
      GPU_GROUPS.map(async (group) => {
        const { data } = await computeApi.instanceGroupManagers.get({ project: PROJECT, ...group });
        return data.targetSize;
      }),
    );
  };

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'opsplane-sim-'));
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((simulator) => simulator.close()));
    rmSync(directory, { recursive: true, force: true });
  });

  it('returns the changed node pool size after a restart', async () => {
    // Prepare
    const stateFile = join(directory, '.opsplane', 'simulator-state.json');
    const clock = new ManualClock(START);
    const first = await start(stateFile, clock);
    const gke = gkeClientFor(first.endpoints.container);
    const [operation] = await gke.setNodePoolSize({ name: GPU_POOL, nodeCount: 3 });
    await gke.close();
    clock.advance(222_000);
    await first.close();

    // Act
    const second = await start(stateFile);
    const sizes = await gpuGroupSizes(second);

    // Assess
    expect(sizes).toEqual([3, 3]);
    const names = second.state.gke.operations.map((record) => record.operation.name);
    expect(names).toContain(operation.name);
    expect(second.clock.now().toISOString()).toBe('2026-03-02T19:03:42.000Z');
  });

  it('has a mutation in the file as soon as it is answered, before any close', async () => {
    // Prepare
    const stateFile = join(directory, 'state.json');
    const first = await start(stateFile);
    const gke = gkeClientFor(first.endpoints.container);
    await gke.setNodePoolAutoscaling({
      name: GPU_POOL,
      autoscaling: { enabled: true, totalMinNodeCount: 0, totalMaxNodeCount: 6, locationPolicy: 'ANY' },
    });
    await gke.close();

    // Act: a second simulator on the same file while the first is still running, as after a crash.
    const second = await start(stateFile, new ManualClock('2026-03-02T19:01:00Z'));
    const secondGke = gkeClientFor(second.endpoints.container);
    const [pool] = await secondGke.getNodePool({ name: GPU_POOL });
    await secondGke.close();

    // Assess
    expect(pool.autoscaling).toMatchObject({ totalMaxNodeCount: 6, locationPolicy: 'ANY' });
  });

  it('starts from the fixture when the file does not exist, and writes it on close', async () => {
    // Prepare
    const stateFile = join(directory, 'fresh.json');
    const first = await start(stateFile);
    const sizes = await gpuGroupSizes(first);
    await first.close();

    // Act
    const second = await start(stateFile);

    // Assess
    expect(sizes).toEqual([2, 0]);
    expect(await gpuGroupSizes(second)).toEqual([2, 0]);
  });
});
