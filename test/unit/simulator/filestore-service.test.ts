import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SimulatorApiError } from '../../../local/simulator/api-error';
import { defaultFixturePath, loadFixture, parseFixture } from '../../../local/simulator/fixture';
import { createRouter } from '../../../local/simulator/router';
import type {
  InjectedOperationError,
  ServiceModule,
  SimulatorContext,
} from '../../../local/simulator/service';
import { createFilestoreService } from '../../../local/simulator/services/filestore';
import { createSimulatorState } from '../../../local/simulator/state';
import { silentLogger } from '../../../shared/logging';
import { ManualClock } from '../../../shared/time';

/**
 * The Filestore service's handlers, called through its own route table with a hand-made context,
 * the way the listener calls them: settle, match, handle. No HTTP, so fault injection and the
 * rules behind each refusal can be checked directly.
 */

const FIXTURE = loadFixture(defaultFixturePath());
const START = '2026-03-02T04:00:00Z';
const REGION_PATH = '/v1/projects/acme-ml-prod/locations/us-central1';
const ZONE_PATH = '/v1/projects/acme-ml-prod/locations/us-central1-a';
const KF_HOME = 'projects/acme-ml-prod/locations/us-central1-a/instances/acme-kf-home';
const DATASETS = 'projects/acme-ml-prod/locations/us-central1-a/instances/acme-datasets';
const LATEST_KF_BACKUP = 'projects/acme-ml-prod/locations/us-central1/backups/acme-kf-home-daily-20250530';

interface MutableFixture {
  filestore: {
    instances: Array<Record<string, unknown>>;
    backups: Array<Record<string, unknown>>;
  };
}

/** A copy of the fixture changed by `change`. */
const fixtureWith = (change: (fixture: MutableFixture) => void): unknown => {
  const copy = structuredClone(FIXTURE) as MutableFixture;
  change(copy);
  return copy;
};

interface Harness {
  service: ServiceModule;
  clock: ManualClock;
  operationError: jest.Mock<InjectedOperationError | undefined, [string]>;
  call(method: string, url: string, body?: unknown): Record<string, unknown>;
}

const harness = (fixture: unknown = FIXTURE, timeScale = 1): Harness => {
  const service = createFilestoreService({ fixture });
  const router = createRouter(service.routes);
  const clock = new ManualClock(START);
  const operationError = jest.fn<InjectedOperationError | undefined, [string]>(() => undefined);
  const sim: SimulatorContext = {
    state: createSimulatorState(parseFixture(FIXTURE)),
    clock,
    timeScale,
    logger: silentLogger,
    faults: { operationError },
  };
  return {
    service,
    clock,
    operationError,
    call(method, url, body) {
      service.settle?.(sim);
      const parsed = new URL(url, 'http://simulator.invalid');
      const matched = router.match(method, parsed.pathname);
      if (!matched) throw new Error(`No route for ${method} ${parsed.pathname}`);
      const request = {
        method,
        path: parsed.pathname,
        params: matched.params,
        query: parsed.searchParams,
        body,
      };
      return matched.route.handle(request, sim).body as Record<string, unknown>;
    },
  };
};

/** The SimulatorApiError `action` throws; fails the test if it throws nothing or something else. */
const refusal = (action: () => unknown): SimulatorApiError => {
  try {
    action();
  } catch (error) {
    if (error instanceof SimulatorApiError) return error;
    throw error;
  }
  throw new Error('Expected the request to be refused');
};

const backupBody = (instance = KF_HOME, share = 'kfhome') => ({
  sourceInstance: instance,
  sourceFileShare: share,
});

const createBackup = (sim: Harness, backupId: string, instance = KF_HOME, share = 'kfhome') =>
  sim.call('POST', `${REGION_PATH}/backups?backupId=${backupId}`, backupBody(instance, share));

describe('filestore', () => {
  it('names each route by its discovery method, whose HTTP method and path it serves', () => {
    // Prepare
    const discovery = JSON.parse(
      readFileSync(
        resolve(defaultFixturePath(), '..', '..', 'reference', 'discovery', 'file.v1.json'),
        'utf8',
      ),
    ) as { resources: unknown };
    const methods = new Map<string, { httpMethod: string; flatPath: string }>();
    const collect = (node: unknown): void => {
      const { methods: own = {}, resources = {} } = node as {
        methods?: Record<string, { id: string; httpMethod: string; flatPath: string }>;
        resources?: Record<string, unknown>;
      };
      for (const method of Object.values(own)) methods.set(method.id, method);
      for (const child of Object.values(resources)) collect(child);
    };
    collect(discovery);

    // Act
    const { routes } = createFilestoreService({ fixture: FIXTURE });

    // Assess
    expect(routes).toHaveLength(13);
    for (const route of routes) {
      const method = methods.get(route.discoveryMethod ?? '');
      expect(route.name).toBe(route.discoveryMethod);
      expect(route.method).toBe(method?.httpMethod);
      expect(route.template.replace(/\{[a-z]+\}/g, '{}')).toBe(
        `/${method?.flatPath.replace(/\{[A-Za-z]+\}/g, '{}')}`,
      );
    }
  });

  it('fails at creation naming the invalid fixture path', () => {
    // Prepare
    const fixture = fixtureWith((copy) => {
      (copy.filestore.instances[0] as Record<string, unknown>).tier = 'GOLD';
    });

    // Act
    const create = () => createFilestoreService({ fixture });

    // Assess
    expect(create).toThrow(/Invalid Filestore fixture[\s\S]*filestore\.instances\[0\]\.tier/);
  });

  it('asks fault injection by route name and ends the operation with the injected error', () => {
    // Prepare
    const sim = harness();
    sim.operationError.mockReturnValue({ code: 13, message: 'Backup upload failed.' });

    // Act
    const started = createBackup(sim, 'failing');
    const creating = sim.call('GET', `${REGION_PATH}/backups/failing`);
    sim.clock.advance(1_111_000);
    const finished = sim.call('GET', `/v1/${started.name}`);

    // Assess
    expect(sim.operationError).toHaveBeenCalledWith('file.projects.locations.backups.create');
    expect(started.done).toBe(false);
    expect(creating.state).toBe('CREATING');
    expect(finished).toMatchObject({ done: true, error: { code: 13, message: 'Backup upload failed.' } });
    expect(finished).not.toHaveProperty('response');
    expect(refusal(() => sim.call('GET', `${REGION_PATH}/backups/failing`)).status).toBe('NOT_FOUND');
  });

  it('answers a failed delete with its error and leaves the backup READY', () => {
    // Prepare
    const sim = harness(FIXTURE, 0);
    sim.operationError.mockImplementation((route) =>
      route === 'file.projects.locations.backups.delete' ? { code: 14, message: 'Try later.' } : undefined,
    );

    // Act
    const started = sim.call('DELETE', `/v1/${LATEST_KF_BACKUP}`);
    const finished = sim.call('GET', `/v1/${started.name}`);

    // Assess
    expect(finished).toMatchObject({ done: true, error: { code: 14 } });
    expect(sim.call('GET', `/v1/${LATEST_KF_BACKUP}`).state).toBe('READY');
  });

  it('refuses a snapshot of the BASIC_HDD instance and accepts one of the ZONAL instance', () => {
    // Prepare
    const sim = harness();

    // Act
    const refused = refusal(() => sim.call('POST', `/v1/${KF_HOME}/snapshots?snapshotId=s1`, {}));
    const started = sim.call('POST', `/v1/${DATASETS}/snapshots?snapshotId=s1`, { labels: {}, tags: {} });

    // Assess
    expect(refused).toMatchObject({ status: 'FAILED_PRECONDITION', httpStatus: 400 });
    expect(refused.message).toContain('only supported for ZONAL, REGIONAL and ENTERPRISE');
    expect(started.done).toBe(false);
    // A refused request starts no operation, so only the accepted one consulted fault injection.
    expect(sim.operationError.mock.calls).toEqual([['file.projects.locations.instances.snapshots.create']]);
  });

  it('refuses an in-place restore onto a share smaller than the backup', () => {
    // Prepare
    const sim = harness(
      fixtureWith((copy) => {
        (copy.filestore.backups[0] as Record<string, unknown>).capacityGb = '2048';
      }),
    );

    // Act
    const refused = refusal(() =>
      sim.call('POST', `/v1/${KF_HOME}:restore`, { fileShare: 'kfhome', sourceBackup: LATEST_KF_BACKUP }),
    );

    // Assess
    expect(refused.status).toBe('FAILED_PRECONDITION');
    expect(refused.message).toContain('needs at least 2048 GB');
  });

  it('refuses an in-place restore from a backup that is not READY yet', () => {
    // Prepare
    const sim = harness();
    createBackup(sim, 'fresh');

    // Act
    const refused = refusal(() =>
      sim.call('POST', `/v1/${KF_HOME}:restore`, {
        fileShare: 'kfhome',
        sourceBackup: 'projects/734118209551/locations/us-central1/backups/fresh',
      }),
    );

    // Assess
    expect(refused.status).toBe('FAILED_PRECONDITION');
    expect(refused.message).toContain('is CREATING');
  });

  it('refuses a second delete in one backup chain with RESOURCE_EXHAUSTED', () => {
    // Prepare
    const sim = harness();
    sim.call('DELETE', `${REGION_PATH}/backups/acme-kf-home-daily-20250523`);

    // Act
    const refused = refusal(() => sim.call('DELETE', `${REGION_PATH}/backups/acme-kf-home-daily-20250524`));

    // Assess
    expect(refused).toMatchObject({ status: 'RESOURCE_EXHAUSTED', httpStatus: 429 });
    sim.clock.advance(60_000);
    expect(sim.call('DELETE', `${REGION_PATH}/backups/acme-kf-home-daily-20250524`).done).toBe(false);
  });

  it('refuses a second delete with FAILED_PRECONDITION once the source instance is gone', () => {
    // Prepare
    const sim = harness(
      fixtureWith((copy) => {
        copy.filestore.instances.splice(0, 1);
      }),
    );
    sim.call('DELETE', `${REGION_PATH}/backups/acme-kf-home-daily-20250523`);

    // Act
    const refused = refusal(() => sim.call('DELETE', `${REGION_PATH}/backups/acme-kf-home-daily-20250524`));

    // Assess
    expect(refused.status).toBe('FAILED_PRECONDITION');
  });

  it('refuses deleting the newest backup while a backup creation runs', () => {
    // Prepare
    const sim = harness();
    createBackup(sim, 'running');

    // Act
    const refused = refusal(() => sim.call('DELETE', `/v1/${LATEST_KF_BACKUP}`));

    // Assess
    expect(refused.status).toBe('FAILED_PRECONDITION');
    expect(refused.message).toContain('newest backup');
    expect(sim.call('DELETE', `${REGION_PATH}/backups/acme-kf-home-daily-20250523`).done).toBe(false);
  });

  it('refuses a backup while the newest backup of the instance is being deleted', () => {
    // Prepare
    const sim = harness();
    sim.call('DELETE', `/v1/${LATEST_KF_BACKUP}`);

    // Act
    const refused = refusal(() => createBackup(sim, 'during-delete'));

    // Assess
    expect(refused.status).toBe('FAILED_PRECONDITION');
    expect(refused.message).toContain('being deleted');
  });

  it('refuses malformed backup requests with INVALID_ARGUMENT', () => {
    // Prepare
    const sim = harness();

    // Act
    const refusals = [
      refusal(() => createBackup(sim, 'Bad_Id')),
      refusal(() => sim.call('POST', `${ZONE_PATH}/backups?backupId=zonal`, backupBody())),
      refusal(() => sim.call('POST', `${REGION_PATH}/backups?backupId=typo`, { sourceShare: 'kfhome' })),
      refusal(() => createBackup(sim, 'wrong-share', KF_HOME, 'datasets')),
      refusal(() => sim.call('POST', `${REGION_PATH}/backups`, backupBody())),
    ];

    // Assess
    expect(refusals.map((error) => error.status)).toEqual(Array(5).fill('INVALID_ARGUMENT'));
    expect(refusals[2]?.message).toContain('Unknown name "sourceShare"');
  });

  it('answers NOT_FOUND for another project and for a get in location -', () => {
    // Prepare
    const sim = harness();

    // Act
    const otherProject = refusal(() =>
      sim.call('GET', '/v1/projects/someone-else/locations/us-central1/backups'),
    );
    const wildcardGet = refusal(() =>
      sim.call('GET', '/v1/projects/acme-ml-prod/locations/-/instances/acme-kf-home'),
    );

    // Assess
    expect(otherProject.status).toBe('NOT_FOUND');
    expect(wildcardGet.status).toBe('NOT_FOUND');
  });

  it('restores a snapshot of its state, running operations included, after a reset', () => {
    // Prepare
    const sim = harness();
    const started = createBackup(sim, 'kept');
    const snapshot = JSON.parse(JSON.stringify(sim.service.snapshot?.()));
    sim.service.reset?.();
    const afterReset = sim.call('GET', `${REGION_PATH}/backups`).backups as unknown[];

    // Act
    sim.service.restore?.(snapshot);
    const restored = sim.call('GET', `${REGION_PATH}/backups/kept`);
    sim.clock.advance(1_111_000);
    const finished = sim.call('GET', `/v1/${started.name}`);

    // Assess
    expect(afterReset).toHaveLength(12);
    expect(restored.state).toBe('CREATING');
    expect(finished).toMatchObject({ done: true, response: { state: 'READY' } });
    expect(sim.call('GET', `${REGION_PATH}/backups/kept`).state).toBe('READY');
  });

  it('refuses a state snapshot that does not match its shape', () => {
    // Prepare
    const { restore } = createFilestoreService({ fixture: FIXTURE });

    // Act
    const apply = () => restore?.({ instances: [] });

    // Assess
    expect(apply).toThrow(/Invalid Filestore state snapshot[\s\S]*backups/);
  });
});
