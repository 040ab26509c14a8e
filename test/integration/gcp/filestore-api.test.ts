import type { CloudFilestoreManagerClient } from '@google-cloud/filestore';
import {
  defaultFixturePath,
  loadFixture,
  type RunningSimulator,
  startSimulator,
} from '../../../local/simulator/simulator';
import { ControlPlaneError, GcpError, NotFoundError } from '../../../shared/errors';
import {
  createFilestoreApi,
  type FilestoreApi,
  type FilestoreInstanceRef,
  waitForFilestoreOperation,
} from '../../../shared/gcp/filestore-api';
import { createFilestoreClient } from '../../../shared/gcp/filestore-clients';
import { ManualClock } from '../../../shared/time';

/**
 * FilestoreApi over the production client factory (`@google-cloud/filestore` 5, gax 6, REST
 * fallback, PassThroughClient auth) against the platform simulator. Time is a ManualClock at
 * timeScale 1: an operation stays not-done until the clock passes its duration, so start → poll →
 * done is observable without real waiting.
 */

const PROJECT = 'acme-ml-prod';
const PROJECT_NUMBER = '734118209551';
const ZONE = 'us-central1-a';
const REGION = 'us-central1';
const KF_HOME: FilestoreInstanceRef = { projectId: PROJECT, location: ZONE, instance: 'acme-kf-home' };
const DATASETS: FilestoreInstanceRef = { projectId: PROJECT, location: ZONE, instance: 'acme-datasets' };
const LATEST_KF_BACKUP = `projects/${PROJECT}/locations/${REGION}/backups/acme-kf-home-daily-20250530`;
const START = '2026-03-02T04:00:00Z';
/** The simulator's backup create takes the fixture's historical 1111 s. */
const BACKUP_CREATE_MS = 1_111_000;
const RESTORE_MS = 15 * 60_000;
const SNAPSHOT_MS = 60_000;
const DELETE_MS = 60_000;

const rejection = async (promise: Promise<unknown>): Promise<ControlPlaneError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ControlPlaneError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
};

describe('FilestoreApi against the simulator', () => {
  const clock = new ManualClock(START);
  let simulator: RunningSimulator;
  let client: CloudFilestoreManagerClient;
  let api: FilestoreApi;

  beforeAll(async () => {
    simulator = await startSimulator({ fixture: loadFixture(defaultFixturePath()), clock, timeScale: 1 });
    client = createFilestoreClient(simulator.endpoints.file as string);
    api = createFilestoreApi(() => client);
  });

  beforeEach(() => {
    clock.set(START);
    simulator.reset();
    simulator.faults.clear();
    simulator.requestLog.clear();
  });

  afterAll(async () => {
    await client.close();
    await simulator.close();
  });

  it('reads instances with tier, state, shares and what the tier supports', async () => {
    // Act
    const kfHome = await api.getInstance(KF_HOME);
    const datasets = await api.getInstance(DATASETS);

    // Assess
    expect(kfHome).toEqual({
      name: `projects/${PROJECT}/locations/${ZONE}/instances/acme-kf-home`,
      location: ZONE,
      tier: 'BASIC_HDD',
      state: 'READY',
      statusMessage: '',
      shares: [{ name: 'kfhome', capacityGb: 1024 }],
      supportsSnapshots: false,
      supportsInPlaceRestore: true,
    });
    expect(datasets).toMatchObject({
      tier: 'ZONAL',
      shares: [{ name: 'datasets', capacityGb: 2560 }],
      supportsSnapshots: true,
      supportsInPlaceRestore: false,
    });
  });

  it('answers NOT_FOUND for an unknown instance, backup and operation', async () => {
    // Act
    const instance = await rejection(api.getInstance({ ...KF_HOME, instance: 'nope' }));
    const backup = await rejection(api.getBackup({ projectId: PROJECT, location: REGION, backup: 'nope' }));
    const operation = await rejection(
      api.getOperation(`projects/${PROJECT}/locations/${REGION}/operations/operation-nope`),
    );

    // Assess
    for (const error of [instance, backup, operation]) expect(error).toBeInstanceOf(NotFoundError);
    expect(instance.message).toContain(
      'read instance projects/acme-ml-prod/locations/us-central1-a/instances/nope',
    );
  });

  it('lists backups of every location by following every page, with retention fields as plain values', async () => {
    // Act
    const all = await api.listBackups(PROJECT, '-', { pageSize: 5 });
    const managed = await api.listBackups(PROJECT, REGION, { filter: 'labels.managed-by="acme-ops"' });

    // Assess
    expect(all).toHaveLength(12);
    expect(simulator.requestLog.counts()['GET file.projects.locations.backups.list']).toBe(3 + 1);
    expect(managed).toHaveLength(11);
    expect(all.find((backup) => backup.id === 'acme-kf-home-daily-20250530')).toEqual({
      id: 'acme-kf-home-daily-20250530',
      name: LATEST_KF_BACKUP,
      location: REGION,
      description: '',
      sourceInstance: `projects/${PROJECT}/locations/${ZONE}/instances/acme-kf-home`,
      sourceInstanceKey: `${ZONE}/acme-kf-home`,
      sourceFileShare: 'kfhome',
      sourceInstanceTier: 'BASIC_HDD',
      state: 'READY',
      createTime: '2025-05-30T04:00:31.220Z',
      capacityGb: 1024,
      storageBytes: 412331902976,
      labels: { schedule: 'daily', 'managed-by': 'acme-ops' },
    });
  });

  it('starts a backup that is not done, then polls it to done with the READY backup as its result', async () => {
    // Act
    const started = await api.startBackup(KF_HOME, {
      backupId: 'acme-kf-home-manual-20260302',
      share: 'kfhome',
      labels: { 'managed-by': 'acme-ops' },
    });
    const running = await api.getOperation(started.name);
    clock.advance(BACKUP_CREATE_MS);
    const done = await api.getOperation(started.name);
    const backup = await api.getBackup({
      projectId: PROJECT,
      location: REGION,
      backup: 'acme-kf-home-manual-20260302',
    });

    // Assess
    expect(started).toEqual({
      name: expect.stringMatching(
        new RegExp(`^projects/${PROJECT}/locations/${REGION}/operations/operation-`),
      ),
      done: false,
      target: `projects/${PROJECT}/locations/${REGION}/backups/acme-kf-home-manual-20260302`,
      verb: 'create',
      createTime: new Date(START).toISOString(),
    });
    expect(running).toMatchObject({ done: false });
    expect(running.response).toBeUndefined();
    expect(done).toMatchObject({
      name: started.name,
      done: true,
      endTime: new Date(Date.parse(START) + BACKUP_CREATE_MS).toISOString(),
      responseType: 'Backup',
      response: {
        state: 'READY',
        capacityGb: 1024,
        sourceInstanceTier: 'BASIC_HDD',
        sourceFileShare: 'kfhome',
      },
    });
    expect(done.error).toBeUndefined();
    expect(backup).toMatchObject({ state: 'READY', capacityGb: 1024, labels: { 'managed-by': 'acme-ops' } });
    // Google names the project by number here; the key still groups it with the fixture's backups.
    expect(backup.sourceInstance).toContain(PROJECT_NUMBER);
    expect(backup.sourceInstanceKey).toBe(`${ZONE}/acme-kf-home`);
  });

  it('gives the operation back as OPERATION_PENDING at the deadline and completes it on a later wait', async () => {
    // Prepare
    const started = await api.startBackup(KF_HOME, { backupId: 'acme-kf-home-waited', share: 'kfhome' });
    const settings = { intervalMs: 60_000, deadlineMs: 5 * 60_000 };

    // Act
    const pending = await rejection(waitForFilestoreOperation(api, started.name, clock, settings));
    const done = await waitForFilestoreOperation(api, started.name, clock, {
      ...settings,
      deadlineMs: 3_600_000,
    });

    // Assess
    expect(pending).toMatchObject({ code: 'OPERATION_PENDING', retryable: true });
    expect(done).toMatchObject({ done: true, responseType: 'Backup', response: { state: 'READY' } });
  });

  it('fails the wait with OPERATION_FAILED when the backup operation ends in an error', async () => {
    // Prepare
    simulator.faults.inject({
      route: 'file.projects.locations.backups.create',
      operationError: { code: 13, message: 'boom' },
    });
    const started = await api.startBackup(KF_HOME, { backupId: 'acme-kf-home-failing', share: 'kfhome' });

    // Act
    const failed = await rejection(
      waitForFilestoreOperation(api, started.name, clock, { intervalMs: 60_000, deadlineMs: 3_600_000 }),
    );
    const operation = await api.getOperation(started.name);

    // Assess
    expect(failed).toMatchObject({ code: 'OPERATION_FAILED', retryable: false });
    expect(failed.message).toContain('boom');
    expect(operation).toMatchObject({ done: true, error: { code: 13, message: 'boom' } });
    expect(operation.response).toBeUndefined();
  });

  it('refuses a snapshot of the BASIC_HDD instance for good, saying the tier does not support snapshots', async () => {
    // Act
    const refused = await rejection(api.startSnapshot(KF_HOME, { snapshotId: 'nope' }));

    // Assess
    expect(refused).toBeInstanceOf(GcpError);
    expect(refused).toMatchObject({ code: 'GCP_REJECTED', retryable: false, status: 'FAILED_PRECONDITION' });
    expect(refused.message).toContain('tier (BASIC_HDD) does not support snapshots');
  });

  it('snapshots the ZONAL instance, lists it, and deletes it', async () => {
    // Act
    const started = await api.startSnapshot(DATASETS, {
      snapshotId: 'manual-20260302',
      description: 'before',
    });
    const whileCreating = await api.listSnapshots(DATASETS);
    clock.advance(SNAPSHOT_MS);
    const created = await api.getOperation(started.name);
    const removal = await api.startDeleteSnapshot({ ...DATASETS, snapshot: 'manual-20260302' });
    clock.advance(DELETE_MS);
    const removed = await api.getOperation(removal.name);
    const afterDelete = await api.listSnapshots(DATASETS);

    // Assess
    expect(started).toMatchObject({ done: false, verb: 'create' });
    expect(whileCreating.find((snapshot) => snapshot.id === 'manual-20260302')).toMatchObject({
      state: 'CREATING',
      description: 'before',
      createTime: new Date(START).toISOString(),
    });
    expect(whileCreating.map((snapshot) => snapshot.id)).toEqual(
      expect.arrayContaining(['daily-20250602', 'daily-20250601', 'daily-20250531']),
    );
    expect(created).toMatchObject({ done: true, responseType: 'Snapshot', response: { state: 'READY' } });
    expect(removed).toMatchObject({ done: true, verb: 'delete', responseType: 'Empty' });
    expect(afterDelete.map((snapshot) => snapshot.id)).not.toContain('manual-20260302');
  });

  it('deletes a backup: an Empty result once done, then the backup is gone', async () => {
    // Prepare
    const ref = { projectId: PROJECT, location: REGION, backup: 'acme-kf-home-daily-20250523' };

    // Act
    const started = await api.startDeleteBackup(ref);
    const deleting = await api.getBackup(ref);
    clock.advance(DELETE_MS);
    const done = await api.getOperation(started.name);

    // Assess
    expect(started).toMatchObject({
      done: false,
      verb: 'delete',
      target: expect.stringContaining(ref.backup),
    });
    expect(deleting.state).toBe('DELETING');
    expect(done).toMatchObject({ done: true, responseType: 'Empty' });
    expect(done.response).toBeUndefined();
    await expect(api.getBackup(ref)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('restores the Basic instance in place from a backup', async () => {
    // Act
    const started = await api.startRestore(KF_HOME, { share: 'kfhome', sourceBackup: LATEST_KF_BACKUP });
    const restoring = await api.getInstance(KF_HOME);
    clock.advance(RESTORE_MS);
    const done = await api.getOperation(started.name);
    const restored = await api.getInstance(KF_HOME);

    // Assess
    expect(started).toMatchObject({ done: false, verb: 'restore' });
    expect(restoring.state).toBe('RESTORING');
    expect(done).toMatchObject({ done: true, responseType: 'Instance', response: { state: 'READY' } });
    expect(restored).toMatchObject({
      state: 'READY',
      shares: [{ name: 'kfhome', sourceBackup: LATEST_KF_BACKUP }],
    });
  });

  it('reports a second backup while one runs as RESOURCE_BUSY and a reused backup id as ALREADY_EXISTS', async () => {
    // Prepare
    await api.startBackup(KF_HOME, { backupId: 'acme-kf-home-first', share: 'kfhome' });

    // Act
    const busy = await rejection(
      api.startBackup(KF_HOME, { backupId: 'acme-kf-home-second', share: 'kfhome' }),
    );
    const duplicate = await rejection(
      api.startBackup(DATASETS, { backupId: 'acme-kf-home-daily-20250530', share: 'datasets' }),
    );

    // Assess
    expect(busy).toMatchObject({ code: 'RESOURCE_BUSY', retryable: true });
    expect(duplicate).toMatchObject({ code: 'GCP_REJECTED', status: 'ALREADY_EXISTS', retryable: false });
  });
});

describe('FilestoreApi against the simulator at timeScale 0', () => {
  let simulator: RunningSimulator;
  let client: CloudFilestoreManagerClient;
  let api: FilestoreApi;

  beforeAll(async () => {
    simulator = await startSimulator({ fixture: loadFixture(defaultFixturePath()), timeScale: 0 });
    client = createFilestoreClient(simulator.endpoints.file as string);
    api = createFilestoreApi(() => client);
  });

  afterAll(async () => {
    await client.close();
    await simulator.close();
  });

  it('finishes a started backup on its first poll', async () => {
    // Prepare
    const started = await api.startBackup(DATASETS, { backupId: 'acme-datasets-instant', share: 'datasets' });

    // Act
    const done = await waitForFilestoreOperation(api, started.name, new ManualClock(START), {
      intervalMs: 1_000,
      deadlineMs: 0,
    });

    // Assess
    expect(done).toMatchObject({
      done: true,
      responseType: 'Backup',
      response: { state: 'READY', sourceInstanceTier: 'ZONAL', capacityGb: 2560 },
    });
  });
});
