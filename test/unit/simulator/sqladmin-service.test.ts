import { defaultFixturePath, loadFixture, parseFixture } from '../../../local/simulator/fixture';
import type {
  InjectedOperationError,
  ServiceModule,
  SimulatorContext,
} from '../../../local/simulator/service';
import { createSqlAdminService } from '../../../local/simulator/services/sqladmin';
import type {
  SqlBackupRun,
  SqlInstance,
  SqlOperation,
} from '../../../local/simulator/services/sqladmin-model';
import { createSimulatorState } from '../../../local/simulator/state';
import { silentLogger } from '../../../shared/logging';
import { ManualClock } from '../../../shared/time';

/**
 * The sqladmin service's handlers called directly, as the listener calls them (settle, then
 * handle), with a context whose fault hook the test controls: an injected operation error, and the
 * service's own state handling (reset, snapshot, restore) without HTTP in between.
 */

const FIXTURE = loadFixture(defaultFixturePath());
const AS_OF = '2025-06-02T08:00:00Z';
const PROJECT = 'acme-ml-prod';
const KFP = 'acme-kfp-mysql-7f3a9c1e';
const METAFLOW = 'acme-metaflow-pg-2';

interface Harness {
  service: ServiceModule;
  sim: SimulatorContext;
  clock: ManualClock;
  /** Routes handed out by the fault hook, in order. */
  faultQueries: string[];
  call(name: string, params: Record<string, string>, body?: unknown, query?: Record<string, string>): unknown;
}

const harness = (operationError?: InjectedOperationError, timeScale = 0): Harness => {
  const clock = new ManualClock(AS_OF);
  const faultQueries: string[] = [];
  const service = createSqlAdminService({ fixture: FIXTURE });
  const sim: SimulatorContext = {
    state: createSimulatorState(parseFixture(FIXTURE)),
    clock,
    timeScale,
    logger: silentLogger,
    faults: {
      operationError: (routeName) => {
        faultQueries.push(routeName);
        return operationError;
      },
    },
  };
  const call: Harness['call'] = (name, params, body, query = {}) => {
    const route = service.routes.find((candidate) => candidate.name === name);
    if (!route) throw new Error(`no route ${name}`);
    service.settle?.(sim);
    const request = {
      method: route.method,
      path: route.template,
      params,
      query: new URLSearchParams(query),
      body,
    };
    return route.handle(request, sim).body;
  };
  return { service, sim, clock, faultQueries, call };
};

const FAILURE: InjectedOperationError = { code: 13, message: 'Backup failed (injected).' };

describe('sqladmin', () => {
  it('ends an operation with the injected error and leaves a FAILED backup run', () => {
    // Prepare
    const { call, faultQueries } = harness(FAILURE);

    // Act
    const started = call(
      'sql.backupRuns.insert',
      { project: PROJECT, instance: METAFLOW },
      {},
    ) as SqlOperation;
    const done = call('sql.operations.get', { project: PROJECT, operation: started.name }) as SqlOperation;
    const run = call('sql.backupRuns.get', {
      project: PROJECT,
      instance: METAFLOW,
      id: started.backupContext?.backupId ?? '',
    }) as SqlBackupRun;

    // Assess
    expect(faultQueries).toEqual(['sql.backupRuns.insert']);
    expect(done).toMatchObject({
      status: 'DONE',
      error: {
        kind: 'sql#operationErrors',
        errors: [{ kind: 'sql#operationError', code: 'INTERNAL_ERROR', message: FAILURE.message }],
      },
    });
    expect(run).toMatchObject({
      status: 'FAILED',
      endTime: done.endTime,
      error: { kind: 'sql#operationError', code: 'INTERNAL_ERROR', message: FAILURE.message },
    });
  });

  it('leaves the instance untouched when an injected error ends its patch or clone', () => {
    // Prepare
    const { call } = harness({ code: 9, message: 'Precondition failed (injected).' });

    // Act
    const patch = call(
      'sql.instances.patch',
      { project: PROJECT, instance: METAFLOW },
      { settings: { deletionProtectionEnabled: true } },
    ) as SqlOperation;
    const clone = call(
      'sql.instances.clone',
      { project: PROJECT, instance: METAFLOW },
      { cloneContext: { destinationInstanceName: 'acme-metaflow-clone' } },
    ) as SqlOperation;
    const patchDone = call('sql.operations.get', { project: PROJECT, operation: patch.name }) as SqlOperation;
    const instance = call('sql.instances.get', { project: PROJECT, instance: METAFLOW }) as SqlInstance;
    const list = call('sql.instances.list', { project: PROJECT }) as { items: SqlInstance[] };

    // Assess
    expect(patchDone.error?.errors).toEqual([
      { kind: 'sql#operationError', code: 'FAILED_PRECONDITION', message: 'Precondition failed (injected).' },
    ]);
    expect(clone.operationType).toBe('CLONE');
    expect(instance.settings).toMatchObject({ settingsVersion: '14', deletionProtectionEnabled: false });
    expect(list.items.map((item) => item.name)).toEqual([KFP, METAFLOW]);
  });

  it('asks the fault hook only for operations it actually starts', () => {
    // Prepare
    const { call, faultQueries } = harness(undefined, 1);
    call('sql.backupRuns.insert', { project: PROJECT, instance: KFP }, {});

    // Act
    const refused = () => call('sql.backupRuns.insert', { project: PROJECT, instance: KFP }, {});

    // Assess
    expect(refused).toThrow(expect.objectContaining({ httpStatus: 409, reason: 'operationInProgress' }));
    expect(faultQueries).toEqual(['sql.backupRuns.insert']);
  });

  it('round-trips its state through a JSON snapshot, and reset goes back to the fixture', () => {
    // Prepare
    const { service, call, clock, sim } = harness(undefined, 1);
    const started = call('sql.backupRuns.insert', { project: PROJECT, instance: KFP }, {}) as SqlOperation;
    const runningSnapshot = JSON.parse(JSON.stringify(service.snapshot?.())) as unknown;

    // Act
    clock.advance(10 * 60 * 1000);
    service.settle?.(sim);
    const afterDone = JSON.stringify(service.snapshot?.());
    service.restore?.(runningSnapshot);
    const restored = call('sql.operations.get', {
      project: PROJECT,
      operation: started.name,
    }) as SqlOperation;
    service.reset?.();
    const afterReset = call('sql.operations.list', { project: PROJECT, instance: KFP }) as {
      items: SqlOperation[];
    };

    // Assess
    expect(afterDone).toContain('"status":"DONE"');
    expect(restored).toMatchObject({ name: started.name, status: 'DONE' });
    expect(JSON.stringify(service.snapshot?.())).not.toContain(started.name);
    expect(afterReset.items.map((operation) => operation.name)).toEqual([
      '6b1d2f7e-9a0c-4e4b-8c6a-1f2e3d4c5b6a',
    ]);
  });

  it('refuses to restore something that is not its snapshot, naming the path', () => {
    // Prepare
    const { service } = harness();
    const snapshot = service.snapshot?.() as { instances: Array<{ state: string }> };
    (snapshot.instances[0] as { state: string }).state = 'ASLEEP';

    // Act
    const restore = () => service.restore?.(snapshot);

    // Assess
    expect(restore).toThrow(/instances\[0\]\.state/);
  });

  it('fails at creation naming the bad path of the fixture', () => {
    // Prepare
    const broken = structuredClone(FIXTURE) as {
      cloudSql: { instances: Array<{ state: unknown }>; 'x-sim': { pitrWindow: Record<string, unknown> } };
    };
    (broken.cloudSql.instances[1] as { state: unknown }).state = 'SLEEPING';
    broken.cloudSql['x-sim'].pitrWindow['acme-ghost'] = { earliest: AS_OF, latest: AS_OF };
    const fineShapeBadReference = structuredClone(FIXTURE) as typeof broken;
    fineShapeBadReference.cloudSql['x-sim'].pitrWindow['acme-ghost'] = { earliest: AS_OF, latest: AS_OF };

    // Act
    const create = (fixture: unknown) => () => createSqlAdminService({ fixture });

    // Assess
    expect(create(broken)).toThrow(/cloudSql\.instances\[1\]\.state/);
    expect(create(fineShapeBadReference)).toThrow(/cloudSql\.x-sim\.pitrWindow\.acme-ghost/);
  });

  it('names every route after its discovery method', () => {
    // Act
    const { service } = harness();

    // Assess
    expect(service.name).toBe('sqladmin');
    expect(service.routes.every((route) => route.discoveryMethod === route.name)).toBe(true);
    expect(service.routes.map((route) => route.name).sort()).toEqual([
      'sql.backupRuns.delete',
      'sql.backupRuns.get',
      'sql.backupRuns.insert',
      'sql.backupRuns.list',
      'sql.instances.clone',
      'sql.instances.get',
      'sql.instances.list',
      'sql.instances.patch',
      'sql.instances.restoreBackup',
      'sql.operations.get',
      'sql.operations.list',
    ]);
  });
});
