import type { PlatformApis } from '../../../shared/operations';
import { ManualClock } from '../../../shared/time';
import { platformApisFor } from '../../helpers/platform-apis';
import { type RunbookDriver, startRunbookDriver } from '../../helpers/runbook-driver';

/**
 * The runbooks' failure paths on the local stack: a denied, an expired and a failed restore end
 * the execution FAILED with an error naming the operation, and nothing but the safety backup is
 * left behind. Runbook waits run on the stack's scaled clock (300 s callback slices take 3 s).
 */

const PROJECT = 'acme-ml-prod';
const KFP_SQL = { projectId: PROJECT, instance: 'acme-kfp-mysql-7f3a9c1e' };
const KFP_BACKUP_RUN = '1748833200000';
const KF_HOME = { projectId: PROJECT, location: 'us-central1-a', instance: 'acme-kf-home' };

interface RunbookError {
  code: string;
  message: string;
  operationId: string;
  step: string;
  status?: string;
  safetyBackupRunId?: string;
}

let local: RunbookDriver;
let apis: PlatformApis;

/** Requests that change something (not GETs) on routes starting with `prefix`. */
const mutatingCalls = (prefix: string): string[] =>
  local.simulator.requestLog
    .entries()
    .filter((entry) => entry.method !== 'GET' && (entry.route ?? '').startsWith(prefix))
    .map((entry) => entry.route ?? '');

beforeAll(async () => {
  local = await startRunbookDriver();
  apis = platformApisFor(local.simulator, new ManualClock('2026-01-01T00:00:00Z'));
});

afterAll(async () => {
  await local?.stop();
});

beforeEach(() => {
  local.simulator.reset();
  local.simulator.requestLog.clear();
});

afterEach(() => {
  local.simulator.faults.clear();
});

describe('the runbooks’ failure paths on the local stack', () => {
  it('sql-restore denied: FAILED with APPROVAL_DENIED naming the operation, only the safety backup left', async () => {
    // Prepare
    const started = await local.start('sql-restore', {
      instance: KFP_SQL.instance,
      backupId: KFP_BACKUP_RUN,
    });
    const pending = await local.pendingApproval(started, 'restore');
    // Act
    await local.deny(pending.id, 'restore into a clone first');
    const ended = await local.finished(started);
    // Assert
    expect(ended.state).toBe('FAILED');
    const error = ended.error as RunbookError;
    expect(error).toMatchObject({
      code: 'APPROVAL_DENIED',
      operationId: pending.id,
      step: 'restore',
      status: 'rejected',
      safetyBackupRunId: expect.any(String),
    });
    expect(error.message).toContain(`sql.restore ${pending.id} rejected`);
    expect(error.message).toContain(`the safety backup "${error.safetyBackupRunId}"`);
    expect(error.message).toContain('is kept');
    expect(await local.ledger.get(pending.id)).toMatchObject({
      status: 'rejected',
      error: { code: 'APPROVAL_DENIED' },
    });
    expect(mutatingCalls('sql.')).toEqual(['sql.backupRuns.insert']);
    const safety = await apis.sql.getBackupRun(KFP_SQL, error.safetyBackupRunId ?? '');
    expect(safety).toMatchObject({ status: 'SUCCESSFUL', type: 'ON_DEMAND' });
    expect((await local.operationsOf(started)).map((op) => [op.type, op.status])).toEqual([
      ['sql.backup', 'succeeded'],
      ['sql.restore', 'rejected'],
    ]);
  });

  it('sql-restore with no decision in time: the runbook withdraws the restore (APPROVAL_EXPIRED) and FAILS', async () => {
    // Act
    const started = await local.start('sql-restore', {
      instance: KFP_SQL.instance,
      backupId: KFP_BACKUP_RUN,
      approvalTimeoutSeconds: 1,
    });
    const pending = await local.pendingApproval(started, 'restore');
    const ended = await local.finished(started);
    // Assert
    expect(ended.state).toBe('FAILED');
    const error = ended.error as RunbookError;
    expect(error).toMatchObject({ code: 'APPROVAL_TIMEOUT', operationId: pending.id, step: 'restore' });
    expect(error.message).toContain(`sql.restore ${pending.id} got no approval within 1 s; it was withdrawn`);
    expect(await local.ledger.get(pending.id)).toMatchObject({
      status: 'rejected',
      error: { code: 'APPROVAL_EXPIRED' },
    });
    expect(mutatingCalls('sql.')).toEqual(['sql.backupRuns.insert']);
    expect(mutatingCalls('sql.instances.restoreBackup')).toEqual([]);
  });

  it('sql-restore whose restore fails at Google: FAILED with the operation’s error, the safety backups kept', async () => {
    // Prepare
    local.simulator.faults.inject({
      route: 'sql.instances.restoreBackup',
      operationError: { code: 13, message: 'the restore ran out of disk' },
    });
    const started = await local.start('sql-restore', {
      instance: KFP_SQL.instance,
      backupId: KFP_BACKUP_RUN,
    });
    const pending = await local.pendingApproval(started, 'restore');
    // Act
    await local.approve(pending.id);
    const ended = await local.finished(started);
    // Assert
    expect(ended.state).toBe('FAILED');
    const error = ended.error as RunbookError;
    expect(error).toMatchObject({
      code: 'OPERATION_FAILED',
      operationId: pending.id,
      step: 'restore',
      status: 'failed',
    });
    expect(error.message).toContain(`sql.restore ${pending.id} failed`);
    expect(error.message).toContain('the restore ran out of disk');
    expect(error.message).toContain(`the safety backup "${error.safetyBackupRunId}"`);
    const record = await local.ledger.get(pending.id);
    expect(record).toMatchObject({ status: 'failed', error: { code: 'OPERATION_FAILED' } });
    expect(mutatingCalls('sql.instances.restoreBackup')).toEqual(['sql.instances.restoreBackup']);
    // The runbook's safety backup, and the one the restore operation took before restoring.
    const ownSafetyRunId = String(record?.steps?.safetyBackup?.backupRunId);
    expect(ownSafetyRunId).not.toBe(error.safetyBackupRunId);
    for (const id of [error.safetyBackupRunId ?? '', ownSafetyRunId]) {
      expect(await apis.sql.getBackupRun(KFP_SQL, id)).toMatchObject({
        status: 'SUCCESSFUL',
        type: 'ON_DEMAND',
      });
    }
    expect((await apis.sql.getInstance(KFP_SQL)).state).toBe('RUNNABLE');
  });

  it('filestore-restore denied: FAILED with APPROVAL_DENIED, the instance untouched', async () => {
    // Prepare
    const before = await apis.filestore.getInstance(KF_HOME);
    const started = await local.start('filestore-restore', {
      instance: KF_HOME.instance,
      backup: 'acme-kf-home-daily-20250529',
    });
    const pending = await local.pendingApproval(started, 'restore');
    // Act
    await local.deny(pending.id, 'the users saved their notebooks elsewhere');
    const ended = await local.finished(started);
    // Assert
    expect(ended.state).toBe('FAILED');
    const error = ended.error as RunbookError;
    expect(error).toMatchObject({ code: 'APPROVAL_DENIED', operationId: pending.id, step: 'restore' });
    expect(error.message).toContain(`filestore.restore ${pending.id} rejected`);
    expect(mutatingCalls('file.')).toEqual([]);
    expect(await apis.filestore.getInstance(KF_HOME)).toEqual(before);
  });
});
