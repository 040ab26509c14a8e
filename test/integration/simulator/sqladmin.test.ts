import type { sqladmin_v1 } from '@googleapis/sqladmin';
import type { RunningSimulator } from '../../../local/simulator/simulator';
import { ManualClock } from '../../../shared/time';
import { sqlAdminClientFor, startSqlAdminSimulator } from '../../helpers/sqladmin-client';

/**
 * The simulator's Cloud SQL Admin API driven through the official discovery client
 * (@googleapis/sqladmin v1). The clock is a ManualClock at the fixture's `asOf`, so its PITR windows
 * and its recently deleted name apply as written; most tests run at timeScale 0 (operations DONE by
 * the next request), the lifecycle tests at 1 to watch PENDING → RUNNING → DONE.
 */

const PROJECT = 'acme-ml-prod';
const PROJECT_NUMBER = '734118209551';
const KFP = 'acme-kfp-mysql-7f3a9c1e';
const METAFLOW = 'acme-metaflow-pg-2';
const AS_OF = '2025-06-02T08:00:00Z';
/** The fixture's BACKUP_VOLUME took 267.351 s; the queueing (insert → start) 2.451 s. */
const BACKUP_MS = 267_000;
const PENDING_MS = 2_000;
const DELETE_BACKUP_MS = 30_000;
const RESTORE_MS = 900_000;
const DAY_MS = 86_400_000;

/** The GaxiosError fields the tests look at. */
interface ClientError {
  status: number;
  response: { data: { error: { code: number; status?: string; errors: Array<{ reason: string }> } } };
}

/** What a refused call looks like to the client: HTTP status and Cloud SQL's legacy reason. */
const refusal = (status: number, reason: string) => ({
  status,
  response: {
    data: { error: { code: status, errors: [expect.objectContaining({ reason, domain: 'global' })] } },
  },
});

describe('simulator Cloud SQL Admin API', () => {
  const clock = new ManualClock(AS_OF);
  let simulator: RunningSimulator;
  let sql: sqladmin_v1.Sqladmin;

  const operation = async (name: string | null | undefined) =>
    (await sql.operations.get({ project: PROJECT, operation: name ?? '' })).data;
  const instance = async (name: string) =>
    (await sql.instances.get({ project: PROJECT, instance: name })).data;

  beforeAll(async () => {
    simulator = await startSqlAdminSimulator({ clock, timeScale: 0 });
    sql = sqlAdminClientFor(simulator.endpoints.sqladmin ?? '');
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

  it('returns the fixture instances by project id or number', async () => {
    // Act
    const got = await instance(METAFLOW);
    const { data: list } = await sql.instances.list({ project: PROJECT_NUMBER });

    // Assess
    expect(got).toMatchObject({
      kind: 'sql#instance',
      name: METAFLOW,
      databaseVersion: 'POSTGRES_14',
      state: 'RUNNABLE',
      settings: { settingsVersion: '14', deletionProtectionEnabled: false },
    });
    expect(list.kind).toBe('sql#instancesList');
    expect(list.items?.map((item) => item.name)).toEqual([KFP, METAFLOW]);
  });

  it('answers an unknown instance with 404 instanceDoesNotExist', async () => {
    // Act
    const refused = sql.instances.get({ project: PROJECT, instance: 'acme-nope' });

    // Assess
    await expect(refused).rejects.toMatchObject(refusal(404, 'instanceDoesNotExist'));
  });

  it('runs a backup PENDING, then RUNNING, then DONE with a SUCCESSFUL run linked by backupContext', async () => {
    // Prepare
    simulator.setTimeScale(1);

    // Act
    const { data: started } = await sql.backupRuns.insert({
      project: PROJECT,
      instance: METAFLOW,
      requestBody: { description: 'pre-upgrade-OPS-301' },
    });
    const backupId = started.backupContext?.backupId ?? '';
    const runEnqueued = (await sql.backupRuns.get({ project: PROJECT, instance: METAFLOW, id: backupId }))
      .data;
    clock.advance(PENDING_MS);
    const running = await operation(started.name);
    const runRunning = (await sql.backupRuns.get({ project: PROJECT, instance: METAFLOW, id: backupId }))
      .data;
    clock.advance(BACKUP_MS - 1);
    const almost = await operation(started.name);
    clock.advance(1);
    const done = await operation(started.name);
    const { data: runs } = await sql.backupRuns.list({ project: PROJECT, instance: METAFLOW, maxResults: 5 });

    // Assess
    expect(started).toMatchObject({
      kind: 'sql#operation',
      operationType: 'BACKUP_VOLUME',
      status: 'PENDING',
      targetId: METAFLOW,
      targetProject: PROJECT,
      insertTime: new Date(AS_OF).toISOString(),
      backupContext: { kind: 'sql#backupContext', backupId: String(Date.parse(AS_OF)) },
      selfLink: `https://sqladmin.googleapis.com/v1/projects/${PROJECT}/operations/${started.name}`,
    });
    expect(started.name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(runEnqueued).toMatchObject({
      status: 'ENQUEUED',
      type: 'ON_DEMAND',
      description: 'pre-upgrade-OPS-301',
    });
    expect(running).toMatchObject({
      status: 'RUNNING',
      startTime: new Date(Date.parse(AS_OF) + PENDING_MS).toISOString(),
    });
    expect(runRunning.status).toBe('RUNNING');
    expect(almost.status).toBe('RUNNING');
    expect(done).toMatchObject({
      status: 'DONE',
      endTime: new Date(Date.parse(AS_OF) + PENDING_MS + BACKUP_MS).toISOString(),
    });
    expect(done.error).toBeUndefined();
    expect(runs.items?.[0]).toMatchObject({ id: backupId, status: 'SUCCESSFUL', endTime: done.endTime });
  });

  it('refuses a second backup while one runs with 409 operationInProgress', async () => {
    // Prepare
    simulator.setTimeScale(1);
    await sql.backupRuns.insert({ project: PROJECT, instance: KFP, requestBody: {} });

    // Act
    const refused = sql.backupRuns.insert({ project: PROJECT, instance: KFP, requestBody: {} });

    // Assess
    await expect(refused).rejects.toMatchObject(refusal(409, 'operationInProgress'));
    const error = (await refused.catch((caught: unknown) => caught)) as ClientError;
    expect(error.response.data.error.errors[0]?.reason).toBe('operationInProgress');
    expect(simulator.requestLog.count('POST sql.backupRuns.insert')).toBe(2);
    clock.advance(PENDING_MS + BACKUP_MS);
    await expect(
      sql.backupRuns.insert({ project: PROJECT, instance: KFP, requestBody: {} }),
    ).resolves.toBeDefined();
  });

  it('pages backup runs newest enqueued first with maxResults and pageToken', async () => {
    // Act
    const ids: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const { data } = await sql.backupRuns.list({
        project: PROJECT,
        instance: KFP,
        maxResults: 3,
        pageToken,
      });
      ids.push(...(data.items ?? []).map((run) => run.id ?? ''));
      pageToken = data.nextPageToken ?? undefined;
      pages += 1;
    } while (pageToken);

    // Assess
    expect(pages).toBe(3);
    expect(ids).toEqual([
      '1748833200000',
      '1748746800000',
      '1748660400000',
      '1748574000000',
      '1748487600000',
      '1748425022000',
      '1741944000000',
      '1733225700000',
    ]);
  });

  it('deletes a backup run when its DELETE_BACKUP operation is DONE', async () => {
    // Prepare
    simulator.setTimeScale(1);
    const id = '1733225700000';

    // Act
    const { data: started } = await sql.backupRuns.delete({ project: PROJECT, instance: KFP, id });
    const whileRunning = (await sql.backupRuns.get({ project: PROJECT, instance: KFP, id })).data;
    clock.advance(PENDING_MS + DELETE_BACKUP_MS);
    const done = await operation(started.name);
    const gone = sql.backupRuns.get({ project: PROJECT, instance: KFP, id });

    // Assess
    expect(started).toMatchObject({ operationType: 'DELETE_BACKUP', status: 'PENDING', targetId: KFP });
    expect(whileRunning.status).toBe('DELETION_PENDING');
    expect(done.status).toBe('DONE');
    await expect(gone).rejects.toMatchObject(refusal(404, 'notFound'));
  });

  it('patches settings when the UPDATE is DONE, keeping unsent fields and bumping settingsVersion', async () => {
    // Act
    const { data: started } = await sql.instances.patch({
      project: PROJECT,
      instance: METAFLOW,
      requestBody: {
        settings: {
          deletionProtectionEnabled: true,
          backupConfiguration: {
            transactionLogRetentionDays: 5,
            backupRetentionSettings: { retainedBackups: 14 },
          },
        },
      },
    });
    const done = await operation(started.name);
    const patched = await instance(METAFLOW);

    // Assess
    expect(started).toMatchObject({ operationType: 'UPDATE', targetId: METAFLOW });
    expect(done.status).toBe('DONE');
    expect(patched.settings).toMatchObject({
      settingsVersion: '15',
      deletionProtectionEnabled: true,
      backupConfiguration: {
        enabled: true,
        startTime: '03:00',
        pointInTimeRecoveryEnabled: true,
        transactionLogRetentionDays: 5,
        backupRetentionSettings: { retentionUnit: 'COUNT', retainedBackups: 14 },
      },
    });
  });

  it('refuses a patch carrying a stale settingsVersion with 412 staleData', async () => {
    // Act
    const refused = sql.instances.patch({
      project: PROJECT,
      instance: METAFLOW,
      requestBody: { settings: { settingsVersion: '13', deletionProtectionEnabled: true } },
    });

    // Assess
    await expect(refused).rejects.toMatchObject(refusal(412, 'staleData'));
  });

  it('rejects a body field DatabaseInstance does not define with 400 INVALID_ARGUMENT, naming it', async () => {
    // Act
    const refused = sql.instances.patch({
      project: PROJECT,
      instance: METAFLOW,
      requestBody: { settings: { deletionProtection: true } as sqladmin_v1.Schema$Settings },
    });

    // Assess
    await expect(refused).rejects.toMatchObject({
      status: 400,
      response: {
        data: {
          error: { status: 'INVALID_ARGUMENT', message: expect.stringContaining('"deletionProtection"') },
        },
      },
    });
  });

  it('ends a backup with an injected operation error and a FAILED run', async () => {
    // Prepare
    simulator.faults.inject({
      route: 'sql.backupRuns.insert',
      operationError: { code: 13, message: 'Backup failed (injected).' },
    });

    // Act
    const { data: started } = await sql.backupRuns.insert({
      project: PROJECT,
      instance: METAFLOW,
      requestBody: {},
    });
    const done = await operation(started.name);
    const run = (
      await sql.backupRuns.get({
        project: PROJECT,
        instance: METAFLOW,
        id: started.backupContext?.backupId ?? '',
      })
    ).data;

    // Assess
    expect(done).toMatchObject({
      status: 'DONE',
      error: {
        kind: 'sql#operationErrors',
        errors: [
          { kind: 'sql#operationError', code: 'INTERNAL_ERROR', message: 'Backup failed (injected).' },
        ],
      },
    });
    expect(run).toMatchObject({ status: 'FAILED', error: { code: 'INTERNAL_ERROR' } });
  });

  it('restores a backup in place, the instance in MAINTENANCE until RESTORE_VOLUME is DONE', async () => {
    // Prepare
    simulator.setTimeScale(1);

    // Act
    const { data: started } = await sql.instances.restoreBackup({
      project: PROJECT,
      instance: KFP,
      requestBody: {
        restoreBackupContext: { backupRunId: '1748833200000', instanceId: KFP, project: PROJECT },
      },
    });
    clock.advance(PENDING_MS);
    const during = await instance(KFP);
    clock.advance(RESTORE_MS);
    const done = await operation(started.name);
    const after = await instance(KFP);

    // Assess
    expect(started).toMatchObject({ operationType: 'RESTORE_VOLUME', status: 'PENDING', targetId: KFP });
    expect(during.state).toBe('MAINTENANCE');
    expect(done).toMatchObject({ status: 'DONE' });
    expect(after.state).toBe('RUNNABLE');
  });

  it('restores the backup of one instance into a clone of it', async () => {
    // Prepare
    const target = 'acme-kfp-mysql-restore-1';
    await sql.instances.clone({
      project: PROJECT,
      instance: KFP,
      requestBody: { cloneContext: { destinationInstanceName: target } },
    });

    // Act
    const { data: started } = await sql.instances.restoreBackup({
      project: PROJECT,
      instance: target,
      requestBody: {
        restoreBackupContext: { backupRunId: '1748425022000', instanceId: KFP, project: PROJECT },
      },
    });
    const done = await operation(started.name);

    // Assess
    expect(started.targetId).toBe(target);
    expect(done).toMatchObject({ status: 'DONE', operationType: 'RESTORE_VOLUME' });
    expect((await instance(target)).state).toBe('RUNNABLE');
  });

  it('refuses to restore a missing backup with 404 and a FAILED one with 400', async () => {
    // Act
    const missing = sql.instances.restoreBackup({
      project: PROJECT,
      instance: METAFLOW,
      requestBody: { restoreBackupContext: { backupRunId: '42', instanceId: METAFLOW, project: PROJECT } },
    });
    const failed = sql.instances.restoreBackup({
      project: PROJECT,
      instance: METAFLOW,
      requestBody: { restoreBackupContext: { backupRunId: '1748768400000', instanceId: METAFLOW } },
    });

    // Assess
    await expect(missing).rejects.toMatchObject(refusal(404, 'notFound'));
    await expect(failed).rejects.toMatchObject(refusal(400, 'invalid'));
    expect(simulator.requestLog.count('POST sql.instances.restoreBackup')).toBe(2);
  });

  it('clones to a point in time inside the PITR window, creating a RUNNABLE instance', async () => {
    // Act
    const { data: started } = await sql.instances.clone({
      project: PROJECT,
      instance: METAFLOW,
      requestBody: {
        cloneContext: {
          destinationInstanceName: 'acme-metaflow-pitr-1',
          pointInTime: '2025-06-01T12:00:00Z',
        },
      },
    });
    const done = await operation(started.name);
    const clone = await instance('acme-metaflow-pitr-1');

    // Assess
    expect(started).toMatchObject({ operationType: 'CLONE', targetId: METAFLOW });
    expect(done.status).toBe('DONE');
    expect(clone).toMatchObject({
      name: 'acme-metaflow-pitr-1',
      state: 'RUNNABLE',
      databaseVersion: 'POSTGRES_14',
      connectionName: `${PROJECT}:us-central1:acme-metaflow-pitr-1`,
      settings: { settingsVersion: '1', tier: 'db-custom-2-7680' },
    });
  });

  it.each([
    ['before the earliest recoverable time', '2025-05-26T03:00:59Z'],
    ['after the latest recoverable time', '2025-06-02T07:59:41Z'],
  ])('refuses a clone to a point in time %s with 400 invalid', async (_case, pointInTime) => {
    // Act
    const refused = sql.instances.clone({
      project: PROJECT,
      instance: METAFLOW,
      requestBody: { cloneContext: { destinationInstanceName: 'acme-metaflow-pitr-2', pointInTime } },
    });

    // Assess
    await expect(refused).rejects.toMatchObject(refusal(400, 'invalid'));
  });

  it('moves the latest recoverable time forward with the clock', async () => {
    // Prepare
    const pointInTime = '2025-06-02T08:30:00Z';
    const request = {
      project: PROJECT,
      instance: KFP,
      requestBody: { cloneContext: { destinationInstanceName: 'acme-kfp-pitr-1', pointInTime } },
    };
    await expect(sql.instances.clone(request)).rejects.toMatchObject(refusal(400, 'invalid'));

    // Act
    clock.advance(60 * 60 * 1000);
    const { data: started } = await sql.instances.clone(request);

    // Assess
    expect(started.operationType).toBe('CLONE');
  });

  it('refuses a point-in-time clone once PITR is turned off', async () => {
    // Prepare
    await sql.instances.patch({
      project: PROJECT,
      instance: KFP,
      requestBody: { settings: { backupConfiguration: { binaryLogEnabled: false } } },
    });

    // Act
    const refused = sql.instances.clone({
      project: PROJECT,
      instance: KFP,
      requestBody: {
        cloneContext: { destinationInstanceName: 'acme-kfp-pitr-2', pointInTime: '2025-06-01T12:00:00Z' },
      },
    });

    // Assess
    await expect(refused).rejects.toMatchObject(refusal(400, 'invalid'));
    expect((await instance(KFP)).settings?.backupConfiguration?.binaryLogEnabled).toBe(false);
  });

  it('refuses to clone onto a recently deleted or existing name with 409 instanceAlreadyExists', async () => {
    // Prepare
    const cloneTo = (destinationInstanceName: string) =>
      sql.instances.clone({
        project: PROJECT,
        instance: METAFLOW,
        requestBody: { cloneContext: { destinationInstanceName } },
      });

    // Act
    const recentlyDeleted = cloneTo('acme-metaflow-pg-1');
    const existing = cloneTo(KFP);

    // Assess
    await expect(recentlyDeleted).rejects.toMatchObject(refusal(409, 'instanceAlreadyExists'));
    await expect(existing).rejects.toMatchObject(refusal(409, 'instanceAlreadyExists'));
    // Deleted 2025-05-29T10:00Z: the name is free again a week later.
    clock.set(new Date(Date.parse('2025-05-29T10:00:00Z') + 7 * DAY_MS));
    await expect(cloneTo('acme-metaflow-pg-1')).resolves.toBeDefined();
  });

  it("lists an instance's operations newest first, history included", async () => {
    // Prepare
    const { data: backup } = await sql.backupRuns.insert({
      project: PROJECT,
      instance: KFP,
      requestBody: {},
    });
    await sql.backupRuns.insert({ project: PROJECT, instance: METAFLOW, requestBody: {} });

    // Act
    const { data } = await sql.operations.list({ project: PROJECT, instance: KFP });

    // Assess
    expect(data.kind).toBe('sql#operationsList');
    expect(data.items?.map((item) => item.name)).toEqual([
      backup.name,
      '6b1d2f7e-9a0c-4e4b-8c6a-1f2e3d4c5b6a',
    ]);
    expect(data.items?.every((item) => item.status === 'DONE')).toBe(true);
  });

  it('goes back to the fixture on reset', async () => {
    // Prepare
    await sql.instances.clone({
      project: PROJECT,
      instance: KFP,
      requestBody: { cloneContext: { destinationInstanceName: 'acme-kfp-scratch' } },
    });
    expect((await sql.instances.list({ project: PROJECT })).data.items).toHaveLength(3);

    // Act
    const response = await fetch(`${simulator.endpoints.sqladmin}/_sim/reset`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(200);
    expect((await sql.instances.list({ project: PROJECT })).data.items).toHaveLength(2);
  });
});
