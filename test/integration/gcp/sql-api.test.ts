import {
  defaultFixturePath,
  loadFixture,
  type RunningSimulator,
  startSimulator,
} from '../../../local/simulator/simulator';
import {
  GcpError,
  NotFoundError,
  OperationFailedError,
  OperationPendingError,
  ResourceBusyError,
} from '../../../shared/errors';
import { createSqlApi, type SqlApi, waitForSqlOperation } from '../../../shared/gcp/sql-api';
import { lazySqlAdminClient } from '../../../shared/gcp/sql-clients';
import { ManualClock } from '../../../shared/time';

/**
 * SqlApi over the production client (`createSqlAdminClient` with the simulator's endpoint) against
 * the platform simulator's Cloud SQL Admin API. The clock is a ManualClock at the fixture's `asOf`,
 * shared with the simulator, so its PITR windows apply as written and polling with
 * `waitForSqlOperation` moves simulated time. Most tests run at timeScale 0 (operations DONE by the
 * next request); the lifecycle tests at 1, where a backup takes 2 s queued plus 267 s running.
 */

const PROJECT = 'acme-ml-prod';
const KFP = 'acme-kfp-mysql-7f3a9c1e';
const METAFLOW = 'acme-metaflow-pg-2';
const AS_OF = '2025-06-02T08:00:00Z';
const PENDING_MS = 2_000;
const BACKUP_MS = 267_000;
const POLL = { intervalMs: 30_000, deadlineMs: 600_000 };

describe('SqlApi against the simulator', () => {
  const clock = new ManualClock(AS_OF);
  const kfp = { projectId: PROJECT, instance: KFP };
  const metaflow = { projectId: PROJECT, instance: METAFLOW };
  let simulator: RunningSimulator;
  let sql: SqlApi;

  beforeAll(async () => {
    simulator = await startSimulator({ fixture: loadFixture(defaultFixturePath()), clock, timeScale: 0 });
    sql = createSqlApi(lazySqlAdminClient(simulator.endpoints.sqladmin));
  });

  beforeEach(() => {
    clock.set(AS_OF);
    simulator.setTimeScale(0);
    simulator.reset();
    simulator.requestLog.clear();
    simulator.faults.clear();
  });

  afterAll(async () => {
    await simulator.close();
  });

  it('reads both fixture instances with their backup and PITR settings', async () => {
    // Act
    const mysql = await sql.getInstance(kfp);
    const postgres = await sql.getInstance(metaflow);

    // Assess
    expect(mysql).toEqual({
      name: KFP,
      state: 'RUNNABLE',
      databaseVersion: 'MYSQL_8_0',
      activationPolicy: 'ALWAYS',
      backupEnabled: true,
      pitrEnabled: true,
      retainedBackups: 14,
      deletionProtectionEnabled: true,
      settingsVersion: '14',
    });
    expect(postgres).toMatchObject({
      name: METAFLOW,
      databaseVersion: 'POSTGRES_14',
      pitrEnabled: true,
      retainedBackups: 7,
      deletionProtectionEnabled: false,
    });
  });

  it('answers an unknown instance with NOT_FOUND naming it', async () => {
    // Act
    const refused = sql.getInstance({ projectId: PROJECT, instance: 'acme-nope' });

    // Assess
    await expect(refused).rejects.toBeInstanceOf(NotFoundError);
    await expect(refused).rejects.toMatchObject({
      code: 'NOT_FOUND',
      retryable: false,
      message: 'Cloud SQL instance acme-nope does not exist in project acme-ml-prod',
    });
  });

  it('lists every backup run, newest first, with the error of a FAILED one', async () => {
    // Act
    const kfpRuns = await sql.listBackupRuns(kfp);
    const metaflowRuns = await sql.listBackupRuns(metaflow);

    // Assess
    expect(kfpRuns.map((run) => run.id)).toEqual([
      '1748833200000',
      '1748746800000',
      '1748660400000',
      '1748574000000',
      '1748487600000',
      '1748425022000',
      '1741944000000',
      '1733225700000',
    ]);
    expect(kfpRuns[5]).toMatchObject({
      status: 'SUCCESSFUL',
      type: 'ON_DEMAND',
      endTime: '2025-05-28T09:41:10.318Z',
    });
    const failed = metaflowRuns.find((run) => run.id === '1748768400000');
    expect(failed).toMatchObject({ status: 'FAILED', type: 'ON_DEMAND' });
    expect(failed?.errorMessage).toEqual(expect.any(String));
  });

  it('starts a backup, sees it RUNNING, polls it to DONE and finds the SUCCESSFUL run', async () => {
    // Prepare
    simulator.setTimeScale(1);

    // Act
    const started = await sql.startBackup(metaflow, 'pre-upgrade-OPS-301');
    clock.advance(PENDING_MS);
    const running = await sql.getOperation(PROJECT, started.name);
    const done = await waitForSqlOperation(sql, PROJECT, started.name, clock, POLL);
    const run = await sql.getBackupRun(metaflow, started.backupRunId ?? '');

    // Assess
    expect(started).toMatchObject({ operationType: 'BACKUP_VOLUME', status: 'PENDING', targetId: METAFLOW });
    expect(started.backupRunId).toBe(String(Date.parse(AS_OF)));
    expect(running.status).toBe('RUNNING');
    expect(done).toMatchObject({ name: started.name, status: 'DONE', backupRunId: started.backupRunId });
    expect(done.error).toBeUndefined();
    expect(run).toMatchObject({
      id: started.backupRunId,
      status: 'SUCCESSFUL',
      type: 'ON_DEMAND',
      description: 'pre-upgrade-OPS-301',
    });
    expect(clock.now().getTime() - Date.parse(AS_OF)).toBeGreaterThanOrEqual(PENDING_MS + BACKUP_MS);
  });

  it('gives a backup still running at the deadline back as a retryable OPERATION_PENDING', async () => {
    // Prepare
    simulator.setTimeScale(1);
    const started = await sql.startBackup(kfp);

    // Act
    const waited = waitForSqlOperation(sql, PROJECT, started.name, clock, {
      intervalMs: 30_000,
      deadlineMs: 60_000,
    });

    // Assess
    await expect(waited).rejects.toBeInstanceOf(OperationPendingError);
    await expect(waited).rejects.toMatchObject({ retryable: true, details: { operationName: started.name } });
    expect((await sql.getOperation(PROJECT, started.name)).status).toBe('RUNNING');
  });

  it('ends a backup with an injected operation error as OPERATION_FAILED and a FAILED run', async () => {
    // Prepare
    simulator.faults.inject({
      route: 'sql.backupRuns.insert',
      operationError: { code: 13, message: 'boom' },
    });
    const started = await sql.startBackup(metaflow, 'will-fail');

    // Act
    const waited = waitForSqlOperation(sql, PROJECT, started.name, clock, POLL);

    // Assess
    await expect(waited).rejects.toBeInstanceOf(OperationFailedError);
    await expect(waited).rejects.toMatchObject({
      code: 'OPERATION_FAILED',
      retryable: false,
      message: `operation ${started.name} failed: boom`,
    });
    const done = await sql.getOperation(PROJECT, started.name);
    expect(done.error).toEqual({ code: 'INTERNAL_ERROR', message: 'boom' });
    await expect(sql.getBackupRun(metaflow, started.backupRunId ?? '')).resolves.toMatchObject({
      status: 'FAILED',
      errorMessage: 'boom',
    });
  });

  it('refuses a second backup while one runs with a retryable RESOURCE_BUSY, and lists the running one', async () => {
    // Prepare
    simulator.setTimeScale(1);
    const first = await sql.startBackup(kfp, 'first');

    // Act
    const second = await sql.startBackup(kfp, 'second').catch((error: unknown) => error);
    const running = await sql.listRunningOperations(kfp);

    // Assess
    expect(second).toBeInstanceOf(ResourceBusyError);
    expect(second).toMatchObject({ code: 'RESOURCE_BUSY', retryable: true });
    expect(running).toEqual([
      expect.objectContaining({
        name: first.name,
        operationType: 'BACKUP_VOLUME',
        backupRunId: first.backupRunId,
      }),
    ]);
    await waitForSqlOperation(sql, PROJECT, first.name, clock, POLL);
    await expect(sql.listRunningOperations(kfp)).resolves.toEqual([]);
  });

  it('rides out one 503 on a read: gaxios retries the GET', async () => {
    // Prepare
    simulator.faults.inject({ route: 'sql.instances.get', sequence: [503, 200] });

    // Act
    const view = await sql.getInstance(kfp);

    // Assess
    expect(view.name).toBe(KFP);
    expect(simulator.requestLog.count('GET sql.instances.get')).toBe(2);
  });

  it('reports GCP_UNAVAILABLE once the GET retries are used up', async () => {
    // Prepare
    simulator.faults.inject({ route: 'sql.instances.get', sequence: [503, 503, 503, 503] });

    // Act
    const refused = sql.getInstance(kfp);

    // Assess
    await expect(refused).rejects.toBeInstanceOf(GcpError);
    await expect(refused).rejects.toMatchObject({ code: 'GCP_UNAVAILABLE', retryable: true });
    expect(simulator.requestLog.count('GET sql.instances.get')).toBe(4);
  });

  it('does not retry a 503 on a start, so it reports GCP_UNAVAILABLE after one attempt', async () => {
    // Prepare
    simulator.faults.inject({ route: 'sql.backupRuns.insert', sequence: [503] });

    // Act
    const refused = sql.startBackup(kfp, 'x');

    // Assess
    await expect(refused).rejects.toMatchObject({ code: 'GCP_UNAVAILABLE', retryable: true });
    expect(simulator.requestLog.count('POST sql.backupRuns.insert')).toBe(1);
  });

  it('deletes a backup run, after which reading it is NOT_FOUND naming the run', async () => {
    // Prepare
    const id = '1733225700000';

    // Act
    const started = await sql.startDeleteBackupRun(kfp, id);
    await waitForSqlOperation(sql, PROJECT, started.name, clock, POLL);
    const gone = sql.getBackupRun(kfp, id);

    // Assess
    expect(started).toMatchObject({ operationType: 'DELETE_BACKUP', targetId: KFP });
    await expect(gone).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `backup run ${id} does not exist on Cloud SQL instance ${KFP}`,
    });
  });

  it('restores a backup in place, the instance in MAINTENANCE until RESTORE_VOLUME is DONE', async () => {
    // Prepare
    simulator.setTimeScale(1);

    // Act
    const started = await sql.startRestore(kfp, { backupRunId: '1748833200000' });
    clock.advance(PENDING_MS);
    const during = await sql.getInstance(kfp);
    const done = await waitForSqlOperation(sql, PROJECT, started.name, clock, {
      ...POLL,
      deadlineMs: 3_600_000,
    });
    const after = await sql.getInstance(kfp);

    // Assess
    expect(started).toMatchObject({ operationType: 'RESTORE_VOLUME', targetId: KFP });
    expect(during.state).toBe('MAINTENANCE');
    expect(done.status).toBe('DONE');
    expect(after.state).toBe('RUNNABLE');
  });

  it('clones to a point in time, then restores a backup of the source into the clone', async () => {
    // Prepare
    const cloneRef = { projectId: PROJECT, instance: 'acme-metaflow-pitr-1' };

    // Act
    const cloned = await sql.startClone(metaflow, {
      destinationInstanceName: cloneRef.instance,
      pointInTime: '2025-06-01T12:00:00Z',
    });
    await waitForSqlOperation(sql, PROJECT, cloned.name, clock, POLL);
    const clone = await sql.getInstance(cloneRef);
    const restored = await sql.startRestore(cloneRef, {
      backupRunId: '1748833260000',
      sourceInstance: METAFLOW,
    });
    const done = await waitForSqlOperation(sql, PROJECT, restored.name, clock, POLL);

    // Assess
    expect(cloned).toMatchObject({ operationType: 'CLONE', targetId: METAFLOW });
    expect(clone).toMatchObject({ state: 'RUNNABLE', databaseVersion: 'POSTGRES_14' });
    expect(done).toMatchObject({
      operationType: 'RESTORE_VOLUME',
      targetId: cloneRef.instance,
      status: 'DONE',
    });
  });

  it('rejects a clone to a point in time outside the PITR window as GCP_REJECTED', async () => {
    // Act
    const refused = sql.startClone(metaflow, {
      destinationInstanceName: 'acme-metaflow-pitr-2',
      pointInTime: '2025-05-01T00:00:00Z',
    });

    // Assess
    await expect(refused).rejects.toMatchObject({ code: 'GCP_REJECTED', retryable: false });
    await expect(refused).rejects.toThrow(
      /^clone acme-ml-prod\/acme-metaflow-pg-2 to acme-metaflow-pitr-2: /,
    );
  });

  it('answers an unknown operation with NOT_FOUND', async () => {
    // Act
    const refused = sql.getOperation(PROJECT, '00000000-0000-4000-8000-000000000000');

    // Assess
    await expect(refused).rejects.toBeInstanceOf(NotFoundError);
  });
});
