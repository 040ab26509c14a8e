import { type CloudFilestoreManagerClient, protos } from '@google-cloud/filestore';
import type { InjectedOperationError, ServiceModule } from '../../../local/simulator/service';
import { createFilestoreService } from '../../../local/simulator/services/filestore';
import {
  defaultFixturePath,
  loadFixture,
  type RunningSimulator,
  startSimulator,
} from '../../../local/simulator/simulator';
import { ManualClock } from '../../../shared/time';
import { filestoreClientFor, startFilestoreSimulator } from '../../helpers/filestore-client';

/**
 * The simulator's Filestore API driven through @google-cloud/filestore 5 (gax 6, REST fallback)
 * and its LRO helpers. Time is a ManualClock at timeScale 1, so an operation stays not-done until
 * the test moves the clock past its duration; `op.promise()` is only awaited once it is due, since
 * its polling backs off on real timers.
 */

const PROJECT = 'acme-ml-prod';
const PROJECT_NUMBER = '734118209551';
const ZONE = 'us-central1-a';
const REGION = 'us-central1';
const ZONE_PARENT = `projects/${PROJECT}/locations/${ZONE}`;
const REGION_PARENT = `projects/${PROJECT}/locations/${REGION}`;
const KF_HOME = `${ZONE_PARENT}/instances/acme-kf-home`;
const DATASETS = `${ZONE_PARENT}/instances/acme-datasets`;
const LATEST_KF_BACKUP = `${REGION_PARENT}/backups/acme-kf-home-daily-20250530`;
const START = '2026-03-02T04:00:00Z';
/** The fixture's historical backup took 04:00:31.220 → 04:19:02.881: 1111 s in whole seconds. */
const BACKUP_CREATE_MS = 1_111_000;
const RESTORE_MS = 15 * 60_000;
const SNAPSHOT_MS = 60_000;
const DELETE_MS = 60_000;

const { Backup, Instance, Snapshot } = protos.google.cloud.filestore.v1;
const { GetOperationRequest, ListOperationsRequest } = protos.google.longrunning;

const backupRequest = (backupId: string, instance = KF_HOME, share = 'kfhome') => ({
  parent: REGION_PARENT,
  backupId,
  backup: {
    sourceInstance: instance,
    sourceFileShare: share,
    description: 'integration test',
    labels: { 'managed-by': 'acme-ops' },
  },
});

describe('simulator Filestore API', () => {
  const clock = new ManualClock(START);
  let simulator: RunningSimulator;
  let file: CloudFilestoreManagerClient;

  beforeAll(async () => {
    simulator = await startFilestoreSimulator({ clock, timeScale: 1 });
    file = filestoreClientFor(simulator.endpoints.file as string);
  });

  beforeEach(() => {
    clock.set(START);
    simulator.reset();
    simulator.requestLog.clear();
  });

  afterAll(async () => {
    await file.close();
    await simulator.close();
  });

  it('lists instances in one zone and across all locations with enums as names', async () => {
    // Act
    const [inZone] = await file.listInstances({ parent: ZONE_PARENT });
    const [everywhere] = await file.listInstances({ parent: `projects/${PROJECT_NUMBER}/locations/-` });

    // Assess
    expect(inZone.map((instance) => [instance.name, instance.tier, instance.state])).toEqual([
      [KF_HOME, 'BASIC_HDD', 'READY'],
      [DATASETS, 'ZONAL', 'READY'],
    ]);
    expect(everywhere).toHaveLength(2);
    expect(inZone[0]?.fileShares?.[0]).toMatchObject({ name: 'kfhome', capacityGb: '1024' });
  });

  it('gets one instance by project number', async () => {
    // Act
    const [instance] = await file.getInstance({
      name: `projects/${PROJECT_NUMBER}/locations/${ZONE}/instances/acme-datasets`,
    });

    // Assess
    expect(instance).toMatchObject({
      name: DATASETS,
      tier: 'ZONAL',
      networks: [{ ipAddresses: ['10.61.0.18'] }],
    });
  });

  it('answers NOT_FOUND for an unknown instance and backup', async () => {
    // Act
    const instance = file.getInstance({ name: `${ZONE_PARENT}/instances/nope` });
    const backup = file.getBackup({ name: `${REGION_PARENT}/backups/nope` });

    // Assess
    await expect(instance).rejects.toMatchObject({ code: 5 });
    await expect(backup).rejects.toMatchObject({ code: 5, message: expect.stringContaining('backups/nope') });
  });

  it('lists backups of every location, filtered by label, and pages through them', async () => {
    // Act
    const [all] = await file.listBackups({ parent: `projects/${PROJECT}/locations/-` });
    const [managed] = await file.listBackups({
      parent: REGION_PARENT,
      filter: 'labels.managed-by="acme-ops"',
    });
    const [firstPage, , firstResponse] = await file.listBackups(
      { parent: REGION_PARENT, pageSize: 5 },
      { autoPaginate: false },
    );

    // Assess
    expect(all).toHaveLength(12);
    expect(managed).toHaveLength(11);
    expect(managed.map((backup) => backup.name)).not.toContain(
      `${REGION_PARENT}/backups/acme-kf-home-preupgrade-20250110`,
    );
    expect(firstPage).toHaveLength(5);
    expect(firstResponse?.nextPageToken).toEqual(expect.any(String));
  });

  it('creates a backup that stays CREATING until its duration has passed, then is READY', async () => {
    // Act
    const [operation] = await file.createBackup(backupRequest('acme-kf-home-manual-20260302'));
    const doneWhenStarted = operation.done;
    const pending = await file.checkCreateBackupProgress(operation.name as string);
    const [creating] = await file.getBackup({
      name: `${REGION_PARENT}/backups/acme-kf-home-manual-20260302`,
    });
    clock.advance(BACKUP_CREATE_MS);
    const [result, metadata, raw] = await operation.promise();
    const [ready] = await file.getBackup({ name: `${REGION_PARENT}/backups/acme-kf-home-manual-20260302` });

    // Assess
    expect(operation.name).toMatch(
      new RegExp(`^${REGION_PARENT}/operations/operation-\\d+-[0-9a-f]{13}-[0-9a-f]{8}-[0-9a-f]{8}$`),
    );
    expect(doneWhenStarted).toBe(false);
    expect(pending.done).toBe(false);
    expect(creating.state).toBe('CREATING');
    expect(result).toMatchObject({
      name: `projects/${PROJECT_NUMBER}/locations/${REGION}/backups/acme-kf-home-manual-20260302`,
      state: Backup.State.READY,
      sourceInstanceTier: Instance.Tier.BASIC_HDD,
      sourceFileShare: 'kfhome',
      labels: { 'managed-by': 'acme-ops' },
    });
    expect(metadata).toMatchObject({ verb: 'create', apiVersion: 'v1' });
    expect(Number(metadata?.endTime?.seconds) - Number(metadata?.createTime?.seconds)).toBe(1111);
    expect(raw).toMatchObject({ done: true, result: 'response' });
    expect(ready).toMatchObject({
      state: 'READY',
      capacityGb: '1024',
      storageBytes: '412331902976',
      sourceInstance: `projects/${PROJECT_NUMBER}/locations/${ZONE}/instances/acme-kf-home`,
    });
  });

  it('answers with a google.longrunning.Operation in its REST JSON shape', async () => {
    // Prepare
    const [operation] = await file.createBackup(backupRequest('acme-kf-home-wire'));
    const url = `${simulator.endpoints.file}/v1/${operation.name}`;
    const running = await (await fetch(url)).json();
    clock.advance(BACKUP_CREATE_MS);

    // Act
    const done = await (await fetch(url)).json();

    // Assess
    const metadata = {
      '@type': 'type.googleapis.com/google.cloud.common.OperationMetadata',
      createTime: new Date(START).toISOString(),
      target: `${REGION_PARENT}/backups/acme-kf-home-wire`,
      verb: 'create',
      cancelRequested: false,
      apiVersion: 'v1',
    };
    expect(running).toEqual({ name: operation.name, metadata, done: false });
    expect(done).toEqual({
      name: operation.name,
      metadata: { ...metadata, endTime: new Date(Date.parse(START) + BACKUP_CREATE_MS).toISOString() },
      done: true,
      response: expect.objectContaining({
        '@type': 'type.googleapis.com/google.cloud.filestore.v1.Backup',
        name: `projects/${PROJECT_NUMBER}/locations/${REGION}/backups/acme-kf-home-wire`,
        state: 'READY',
      }),
    });
    const sent = simulator.requestLog.entries().find((entry) => entry.route?.endsWith('backups.create'));
    // gax serialises every map field, so an unset `tags` arrives as {}: the body reader must accept it.
    expect(sent?.body).toEqual({ ...backupRequest('acme-kf-home-wire').backup, tags: {} });
  });

  it('resumes polling a backup from its stored operation name', async () => {
    // Prepare
    const [operation] = await file.createBackup(backupRequest('acme-kf-home-resumed'));
    clock.advance(BACKUP_CREATE_MS);

    // Act
    const resumed = await file.checkCreateBackupProgress(operation.name as string);
    const [backup] = await resumed.promise();

    // Assess
    expect(resumed.done).toBe(true);
    expect(backup.state).toBe(Backup.State.READY);
  });

  it('refuses a duplicate backup id with ALREADY_EXISTS', async () => {
    // Act
    const duplicate = file.createBackup(backupRequest('acme-kf-home-daily-20250530'));

    // Assess
    await expect(duplicate).rejects.toMatchObject({ code: 6 });
  });

  it('refuses a second backup of an instance while the first runs, with FAILED_PRECONDITION', async () => {
    // Prepare
    const [first] = await file.createBackup(backupRequest('acme-kf-home-first'));

    // Act
    const second = file.createBackup(backupRequest('acme-kf-home-second'));

    // Assess
    await expect(second).rejects.toMatchObject({
      code: 9,
      message: expect.stringContaining(first.name as string),
    });
    const [other] = await file.createBackup(backupRequest('acme-datasets-now', DATASETS, 'datasets'));
    expect(other.done).toBe(false);
  });

  it('deletes a backup: DELETING while the operation runs, then gone', async () => {
    // Prepare
    const name = `${REGION_PARENT}/backups/acme-kf-home-daily-20250523`;

    // Act
    const [operation] = await file.deleteBackup({ name });
    const [deleting] = await file.getBackup({ name });
    clock.advance(DELETE_MS);
    const [result, metadata] = await operation.promise();

    // Assess
    expect(deleting.state).toBe('DELETING');
    expect(result).toEqual({});
    expect(metadata).toMatchObject({ verb: 'delete', target: name });
    await expect(file.getBackup({ name })).rejects.toMatchObject({ code: 5 });
  });

  it('restores a Basic instance in place: RESTORING, then READY from the backup', async () => {
    // Act
    const [operation] = await file.restoreInstance({
      name: KF_HOME,
      fileShare: 'kfhome',
      sourceBackup: LATEST_KF_BACKUP,
    });
    const [restoring] = await file.getInstance({ name: KF_HOME });
    clock.advance(RESTORE_MS);
    const [result] = await operation.promise();
    const [restored] = await file.getInstance({ name: KF_HOME });

    // Assess
    expect(restoring.state).toBe('RESTORING');
    expect(result.state).toBe(Instance.State.READY);
    expect(restored.state).toBe('READY');
    expect(restored.fileShares?.[0]?.sourceBackup).toBe(LATEST_KF_BACKUP);
  });

  it('refuses an in-place restore onto a non-Basic instance with FAILED_PRECONDITION', async () => {
    // Act
    const refused = file.restoreInstance({
      name: DATASETS,
      fileShare: 'datasets',
      sourceBackup: `${REGION_PARENT}/backups/acme-datasets-weekly-20250601`,
    });

    // Assess
    await expect(refused).rejects.toMatchObject({
      code: 9,
      message: expect.stringContaining('only supported for Basic tier instances'),
    });
  });

  it('creates, lists, gets and deletes a snapshot of the ZONAL instance', async () => {
    // Act
    const [create] = await file.createSnapshot({
      parent: DATASETS,
      snapshotId: 'manual-20260302',
      snapshot: { description: 'before reindex', labels: { schedule: 'manual' } },
    });
    const [creating] = await file.getSnapshot({ name: `${DATASETS}/snapshots/manual-20260302` });
    clock.advance(SNAPSHOT_MS);
    const [created] = await create.promise();
    const [listed] = await file.listSnapshots({ parent: DATASETS });
    const [remove] = await file.deleteSnapshot({ name: `${DATASETS}/snapshots/manual-20260302` });
    clock.advance(DELETE_MS);
    await remove.promise();
    const [afterDelete] = await file.listSnapshots({ parent: DATASETS });

    // Assess
    expect(creating.state).toBe('CREATING');
    expect(created).toMatchObject({ state: Snapshot.State.READY, description: 'before reindex' });
    expect(listed.map((snapshot) => snapshot.name?.split('/').pop())).toEqual([
      'daily-20250602',
      'daily-20250601',
      'daily-20250531',
      'manual-20260302',
    ]);
    expect(afterDelete).toHaveLength(3);
  });

  it('refuses a snapshot of the BASIC_HDD instance with FAILED_PRECONDITION', async () => {
    // Act
    const refused = file.createSnapshot({ parent: KF_HOME, snapshotId: 'nope', snapshot: {} });

    // Assess
    await expect(refused).rejects.toMatchObject({ code: 9, message: expect.stringContaining('BASIC_HDD') });
  });

  it('gets and lists operations, the fixture history included', async () => {
    // Prepare
    const [started] = await file.createBackup(backupRequest('acme-kf-home-listed'));

    // Act
    const [fetched] = await file.getOperation(GetOperationRequest.create({ name: started.name as string }));
    const listed: string[] = [];
    const request = ListOperationsRequest.create({ name: REGION_PARENT });
    for await (const operation of file.listOperationsAsync(request, { autoPaginate: false })) {
      listed.push(operation.name as string);
    }

    // Assess
    expect(fetched).toMatchObject({ name: started.name, done: false });
    expect(listed).toEqual([
      `${REGION_PARENT}/operations/operation-1748577631220-5f0a1b2c3d4e5-6f7a8b9c-0d1e2f3a`,
      started.name,
    ]);
  });

  it('names every route by its discovery method in the request log', async () => {
    // Prepare
    await file.getBackup({ name: LATEST_KF_BACKUP });
    await file.createBackup(backupRequest('acme-kf-home-logged'));

    // Act
    const counts = simulator.requestLog.counts();

    // Assess
    expect(counts).toEqual({
      'GET file.projects.locations.backups.get': 1,
      'POST file.projects.locations.backups.create': 1,
    });
  });

  it('goes back to the fixture on reset', async () => {
    // Prepare
    await file.createBackup(backupRequest('acme-kf-home-before-reset'));

    // Act
    const response = await fetch(`${simulator.endpoints.file}/_sim/reset`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(200);
    const [backups] = await file.listBackups({ parent: REGION_PARENT });
    expect(backups).toHaveLength(12);
    const [history] = await file.getOperation(
      GetOperationRequest.create({
        name: `${REGION_PARENT}/operations/operation-1748577631220-5f0a1b2c3d4e5-6f7a8b9c-0d1e2f3a`,
      }),
    );
    expect(history.done).toBe(true);
  });
});

/** Wraps a service so every operation its routes start asks `operationError` instead of the core. */
const withOperationErrors = (
  service: ServiceModule,
  operationError: (routeName: string) => InjectedOperationError | undefined,
): ServiceModule => ({
  ...service,
  routes: service.routes.map((route) => ({
    ...route,
    handle: (request, sim) =>
      route.handle(request, {
        state: sim.state,
        clock: sim.clock,
        timeScale: sim.timeScale,
        logger: sim.logger,
        faults: { operationError },
      }),
  })),
});

describe('simulator Filestore API at timeScale 0 with injected operation errors', () => {
  let simulator: RunningSimulator;
  let file: CloudFilestoreManagerClient;

  beforeAll(async () => {
    const fixture = loadFixture(defaultFixturePath());
    const filestore = withOperationErrors(createFilestoreService({ fixture }), (routeName) =>
      routeName === 'file.projects.locations.backups.create'
        ? { code: 13, message: 'Backup upload failed.' }
        : undefined,
    );
    simulator = await startSimulator({
      fixture,
      clock: new ManualClock(START),
      timeScale: 0,
      extraServices: [filestore],
    });
    file = filestoreClientFor(simulator.endpoints.file as string);
  });

  afterAll(async () => {
    await file.close();
    await simulator.close();
  });

  it('rejects op.promise() with the injected code and leaves no backup behind', async () => {
    // Act
    const [operation] = await file.createBackup(backupRequest('acme-kf-home-failing'));
    const outcome = operation.promise();

    // Assess
    await expect(outcome).rejects.toMatchObject({ code: 13, message: 'Backup upload failed.' });
    await expect(
      file.getBackup({ name: `${REGION_PARENT}/backups/acme-kf-home-failing` }),
    ).rejects.toMatchObject({
      code: 5,
    });
    const [fetched] = await file.getOperation(GetOperationRequest.create({ name: operation.name as string }));
    expect(fetched).toMatchObject({ done: true, error: { code: 13, message: 'Backup upload failed.' } });
  });

  it('finishes an operation with no injected error on its first poll', async () => {
    // Act
    const [operation] = await file.createSnapshot({ parent: DATASETS, snapshotId: 'instant', snapshot: {} });
    const doneWhenStarted = operation.done;
    const [snapshot] = await operation.promise();

    // Assess
    expect(doneWhenStarted).toBe(false);
    expect(snapshot.state).toBe(Snapshot.State.READY);
    expect(snapshot.filesystemUsedBytes).toBeDefined();
  });
});
