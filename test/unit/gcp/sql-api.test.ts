import type { sqladmin_v1 } from '@googleapis/sqladmin';
import {
  GcpError,
  NotFoundError,
  OperationFailedError,
  OperationPendingError,
  ResourceBusyError,
} from '../../../shared/errors';
import {
  createSqlApi,
  type SqlAdminClient,
  type SqlOperationView,
  toBackupRunView,
  toInstanceView,
  toOperationView,
  waitForSqlOperation,
} from '../../../shared/gcp/sql-api';
import { ManualClock } from '../../../shared/time';

/**
 * The mapping from Cloud SQL's wire shapes to the adapter's views, its error translation and the
 * poll loop, against a stub client. The wire behaviour of the real client is covered by
 * test/integration/gcp/sql-api.test.ts.
 */

const REF = { projectId: 'acme-ml-prod', instance: 'acme-kfp-mysql-7f3a9c1e' };

/** What a discovery client throws for a Cloud SQL refusal: a GaxiosError with the body in response.data. */
const gaxiosError = (status: number, reason: string, message = 'refused') =>
  Object.assign(new Error(message), {
    status,
    response: { data: { error: { code: status, message, errors: [{ message, domain: 'global', reason }] } } },
  });

/** A client whose every method is a jest mock; tests set the ones they need. */
const stubClient = () => {
  const stub = {
    instances: { get: jest.fn(), patch: jest.fn(), restoreBackup: jest.fn(), clone: jest.fn() },
    backupRuns: { list: jest.fn(), get: jest.fn(), insert: jest.fn(), delete: jest.fn() },
    operations: { get: jest.fn(), list: jest.fn() },
  };
  return { stub, api: createSqlApi(() => stub as unknown as SqlAdminClient) };
};

describe('toInstanceView', () => {
  it('reports PITR from binaryLogEnabled on MySQL and from pointInTimeRecoveryEnabled on PostgreSQL', () => {
    // Prepare
    const mysql: sqladmin_v1.Schema$DatabaseInstance = {
      name: 'm',
      state: 'RUNNABLE',
      databaseVersion: 'MYSQL_8_0',
      settings: {
        activationPolicy: 'ALWAYS',
        settingsVersion: '14',
        deletionProtectionEnabled: true,
        backupConfiguration: {
          enabled: true,
          binaryLogEnabled: true,
          backupRetentionSettings: { retainedBackups: 14 },
        },
      },
    };
    const postgres: sqladmin_v1.Schema$DatabaseInstance = {
      name: 'p',
      state: 'RUNNABLE',
      databaseVersion: 'POSTGRES_14',
      settings: {
        settingsVersion: '3',
        backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true },
      },
    };

    // Act
    const mysqlView = toInstanceView(mysql);
    const postgresView = toInstanceView(postgres);

    // Assess
    expect(mysqlView).toEqual({
      name: 'm',
      state: 'RUNNABLE',
      databaseVersion: 'MYSQL_8_0',
      activationPolicy: 'ALWAYS',
      backupEnabled: true,
      pitrEnabled: true,
      retainedBackups: 14,
      deletionProtectionEnabled: true,
      settingsVersion: '14',
    });
    expect(postgresView).toMatchObject({ pitrEnabled: true, deletionProtectionEnabled: false });
    expect(postgresView).not.toHaveProperty('retainedBackups');
  });

  it('reports backups and PITR off when the instance has no backup configuration', () => {
    // Act
    const view = toInstanceView({ name: 'bare', settings: {} });

    // Assess
    expect(view).toMatchObject({ backupEnabled: false, pitrEnabled: false, settingsVersion: '' });
  });
});

describe('toOperationView', () => {
  it("takes the error from Cloud SQL's errors[0] and the backup run id from backupContext", () => {
    // Act
    const view = toOperationView({
      name: 'op-1',
      operationType: 'BACKUP_VOLUME',
      status: 'DONE',
      targetId: 'i',
      backupContext: { backupId: '1748833200000' },
      error: {
        errors: [
          { code: 'INTERNAL_ERROR', message: 'boom' },
          { code: 'OTHER', message: 'later' },
        ],
      },
    });

    // Assess
    expect(view).toEqual({
      name: 'op-1',
      operationType: 'BACKUP_VOLUME',
      status: 'DONE',
      targetId: 'i',
      backupRunId: '1748833200000',
      error: { code: 'INTERNAL_ERROR', message: 'boom' },
    });
  });

  it('has no error when errors[] is empty', () => {
    // Act
    const view = toOperationView({ name: 'op-2', status: 'DONE', error: { errors: [] } });

    // Assess
    expect(view).not.toHaveProperty('error');
    expect(view).not.toHaveProperty('backupRunId');
  });
});

describe('toBackupRunView', () => {
  it('carries the error message of a FAILED run', () => {
    // Act
    const view = toBackupRunView({
      id: '1748768400000',
      status: 'FAILED',
      type: 'ON_DEMAND',
      description: 'pre-upgrade',
      enqueuedTime: '2025-06-01T09:00:00.000Z',
      error: { code: 'INTERNAL_ERROR', message: 'Backup failed.' },
    });

    // Assess
    expect(view).toEqual({
      id: '1748768400000',
      status: 'FAILED',
      type: 'ON_DEMAND',
      description: 'pre-upgrade',
      enqueuedTime: '2025-06-01T09:00:00.000Z',
      errorMessage: 'Backup failed.',
    });
  });
});

describe('createSqlApi', () => {
  it('patches only settings.deletionProtectionEnabled and returns the UPDATE operation', async () => {
    // Prepare
    const { stub, api } = stubClient();
    stub.instances.patch.mockResolvedValueOnce({
      data: { name: 'op-u', operationType: 'UPDATE', status: 'PENDING', targetId: REF.instance },
    });

    // Act
    const op = await api.startSetDeletionProtection(REF, true);

    // Assert
    expect(stub.instances.patch).toHaveBeenCalledWith({
      project: REF.projectId,
      instance: REF.instance,
      requestBody: { settings: { deletionProtectionEnabled: true } },
    });
    expect(op).toEqual({ name: 'op-u', operationType: 'UPDATE', status: 'PENDING', targetId: REF.instance });
  });

  it('names the missing instance when the deletion-protection patch gets a 404', async () => {
    // Prepare
    const { stub, api } = stubClient();
    stub.instances.patch.mockRejectedValueOnce(gaxiosError(404, 'instanceDoesNotExist'));

    // Act
    const refused = api.startSetDeletionProtection(REF, false);

    // Assert
    await expect(refused).rejects.toBeInstanceOf(NotFoundError);
    await expect(refused).rejects.toThrow(
      `Cloud SQL instance ${REF.instance} does not exist in project ${REF.projectId}`,
    );
  });

  it('follows nextPageToken until the last page of backup runs', async () => {
    // Prepare
    const { stub, api } = stubClient();
    stub.backupRuns.list
      .mockResolvedValueOnce({ data: { items: [{ id: '3' }, { id: '2' }], nextPageToken: 't1' } })
      .mockResolvedValueOnce({ data: { items: [{ id: '1' }] } });

    // Act
    const runs = await api.listBackupRuns(REF);

    // Assess
    expect(runs.map((run) => run.id)).toEqual(['3', '2', '1']);
    expect(stub.backupRuns.list).toHaveBeenCalledTimes(2);
    expect(stub.backupRuns.list.mock.calls[1]?.[0]).toMatchObject({ pageToken: 't1' });
  });

  it('lists only the operations that are not DONE, across pages', async () => {
    // Prepare
    const { stub, api } = stubClient();
    stub.operations.list
      .mockResolvedValueOnce({
        data: {
          items: [
            { name: 'a', status: 'DONE' },
            { name: 'b', status: 'RUNNING' },
          ],
          nextPageToken: 'n',
        },
      })
      .mockResolvedValueOnce({ data: { items: [{ name: 'c', status: 'PENDING' }] } });

    // Act
    const running = await api.listRunningOperations(REF);

    // Assess
    expect(running.map((op) => op.name)).toEqual(['b', 'c']);
    expect(stub.operations.list.mock.calls[0]?.[0]).toMatchObject({
      project: REF.projectId,
      instance: REF.instance,
    });
  });

  it('sends an in-place restore with the target as its own source', async () => {
    // Prepare
    const { stub, api } = stubClient();
    stub.instances.restoreBackup.mockResolvedValue({ data: { name: 'r', operationType: 'RESTORE_VOLUME' } });

    // Act
    await api.startRestore(REF, { backupRunId: '42' });

    // Assess
    expect(stub.instances.restoreBackup).toHaveBeenCalledWith({
      project: REF.projectId,
      instance: REF.instance,
      requestBody: {
        restoreBackupContext: { backupRunId: '42', instanceId: REF.instance, project: REF.projectId },
      },
    });
  });

  it('turns 409 operationInProgress into a retryable RESOURCE_BUSY', async () => {
    // Prepare
    const { stub, api } = stubClient();
    stub.backupRuns.insert.mockRejectedValue(gaxiosError(409, 'operationInProgress'));

    // Act
    const refused = api.startBackup(REF, 'pre-x');

    // Assess
    await expect(refused).rejects.toBeInstanceOf(ResourceBusyError);
    await expect(refused).rejects.toMatchObject({ code: 'RESOURCE_BUSY', retryable: true });
  });

  it('names the missing instance, or the missing backup run, by the 404 reason', async () => {
    // Prepare
    const { stub, api } = stubClient();
    stub.backupRuns.get
      .mockRejectedValueOnce(gaxiosError(404, 'instanceDoesNotExist'))
      .mockRejectedValueOnce(gaxiosError(404, 'notFound'));

    // Act
    const noInstance = await api.getBackupRun(REF, '7').catch((error: unknown) => error);
    const noRun = await api.getBackupRun(REF, '7').catch((error: unknown) => error);

    // Assess
    expect(noInstance).toBeInstanceOf(NotFoundError);
    expect((noInstance as Error).message).toBe(
      'Cloud SQL instance acme-kfp-mysql-7f3a9c1e does not exist in project acme-ml-prod',
    );
    expect(noRun).toBeInstanceOf(NotFoundError);
    expect((noRun as Error).message).toBe(
      'backup run 7 does not exist on Cloud SQL instance acme-kfp-mysql-7f3a9c1e',
    );
  });

  it('says the target or the source may be missing when a restore from another instance gets 404', async () => {
    // Prepare
    const { stub, api } = stubClient();
    stub.instances.restoreBackup.mockRejectedValue(gaxiosError(404, 'instanceDoesNotExist'));

    // Act
    const refused = api.startRestore(REF, { backupRunId: '42', sourceInstance: 'acme-old' });

    // Assess
    await expect(refused).rejects.toThrow(
      'Cloud SQL instance acme-kfp-mysql-7f3a9c1e (restore target) or acme-old (backup source) does not exist',
    );
  });

  it('keeps a 400 a non-retryable GCP_REJECTED with the context in its message', async () => {
    // Prepare
    const { stub, api } = stubClient();
    stub.instances.clone.mockRejectedValue(gaxiosError(400, 'invalid', 'Invalid request: point in time.'));

    // Act
    const refused = api.startClone(REF, {
      destinationInstanceName: 'c',
      pointInTime: '2020-01-01T00:00:00Z',
    });

    // Assess
    await expect(refused).rejects.toBeInstanceOf(GcpError);
    await expect(refused).rejects.toMatchObject({
      code: 'GCP_REJECTED',
      retryable: false,
      message: 'clone acme-ml-prod/acme-kfp-mysql-7f3a9c1e to c: Invalid request: point in time.',
    });
  });
});

describe('waitForSqlOperation', () => {
  const SETTINGS = { intervalMs: 10_000, deadlineMs: 60_000 };
  const op = (status: string, error?: SqlOperationView['error']): SqlOperationView => ({
    name: 'op-1',
    operationType: 'BACKUP_VOLUME',
    status,
    targetId: 'i',
    ...(error ? { error } : {}),
  });

  it('polls until DONE and returns the final operation', async () => {
    // Prepare
    const clock = new ManualClock();
    const getOperation = jest
      .fn()
      .mockResolvedValueOnce(op('PENDING'))
      .mockResolvedValueOnce(op('RUNNING'))
      .mockResolvedValueOnce(op('DONE'));

    // Act
    const done = await waitForSqlOperation({ getOperation }, 'p', 'op-1', clock, SETTINGS);

    // Assess
    expect(done.status).toBe('DONE');
    expect(getOperation).toHaveBeenCalledTimes(3);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:20.000Z');
  });

  it('throws OPERATION_FAILED with the operation error message', async () => {
    // Prepare
    const getOperation = jest.fn().mockResolvedValue(op('DONE', { code: 'INTERNAL_ERROR', message: 'boom' }));

    // Act
    const waited = waitForSqlOperation({ getOperation }, 'p', 'op-1', new ManualClock(), SETTINGS);

    // Assess
    await expect(waited).rejects.toBeInstanceOf(OperationFailedError);
    await expect(waited).rejects.toThrow('operation op-1 failed: boom');
  });

  it('gives the operation back as a retryable OPERATION_PENDING at the deadline', async () => {
    // Prepare
    const getOperation = jest.fn().mockResolvedValue(op('RUNNING'));

    // Act
    const waited = waitForSqlOperation({ getOperation }, 'p', 'op-1', new ManualClock(), SETTINGS);

    // Assess
    await expect(waited).rejects.toBeInstanceOf(OperationPendingError);
    await expect(waited).rejects.toMatchObject({ retryable: true, details: { operationName: 'op-1' } });
    expect(getOperation).toHaveBeenCalledTimes(7);
  });
});
