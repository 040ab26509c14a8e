import {
  approvedAfter,
  type CommandScript,
  deniedAfter,
  EXECUTION_ID,
  HOUR_MS,
  keyOf,
  neverDecided,
  RUN_START,
  runRunbook,
  succeeds,
} from './runbook-harness';

/** workflows/sql-restore.workflows.yaml on the local engine, against a fake ops-api. */

const KFP = 'acme-kfp-mysql-7f3a9c1e';
const ARGS = { instance: KFP, backupId: 1748833200000, requestedBy: 'user:dev.patel@acme.ai' };

const backupResult = {
  instance: KFP,
  backupRunId: '1772476200000',
  description: `pre-restore-${EXECUTION_ID}`,
  status: 'SUCCESSFUL',
};
const restoreResult = {
  instance: KFP,
  restoredBackup: { instance: KFP, backupRunId: '1748833200000', takenAt: '2025-06-02T03:00:00Z' },
  safetyBackupRunId: '1772483400000',
  state: { before: 'RUNNABLE', after: 'RUNNABLE' },
};

/** sql.backup succeeds at once; sql.restore plays `restore`. */
const scriptWith =
  (restore: ReturnType<CommandScript>): CommandScript =>
  (command) =>
    command.type === 'sql.backup' ? succeeds(backupResult) : restore;

describe('sql-restore runbook', () => {
  it('takes the safety backup, waits for the approval, restores and verifies the instance', async () => {
    // Act
    const run = await runRunbook('sql-restore', ARGS, {
      script: scriptWith(approvedAfter(2 * HOUR_MS, restoreResult)),
    });

    // Assert
    expect(run.outcome.state).toBe('SUCCEEDED');
    expect(
      run.opsApi.commands.map(({ type, args, idempotencyKey, requestedBy, actor }) => ({
        type,
        args,
        idempotencyKey,
        requestedBy,
        actor,
      })),
    ).toEqual([
      {
        type: 'sql.backup',
        args: { instance: KFP, description: `pre-restore-${EXECUTION_ID}` },
        idempotencyKey: keyOf('safety_backup'),
        requestedBy: 'user:dev.patel@acme.ai',
        actor: 'runbook:sql-restore',
      },
      {
        type: 'sql.restore',
        args: { instance: KFP, backupId: '1748833200000' },
        idempotencyKey: keyOf('restore'),
        requestedBy: 'user:dev.patel@acme.ai',
        actor: 'runbook:sql-restore',
      },
    ]);
    expect(run.logText).toContain(
      `waiting for approval of ${keyOf('restore')}: opsplane approve ${keyOf('restore')}`,
    );
    expect(run.connectorCalls).toEqual([
      { name: 'googleapis.sqladmin.v1.instances.get', args: { project: 'acme-ml-prod', instance: KFP } },
    ]);
    expect(run.clock.now() - RUN_START).toBeGreaterThanOrEqual(2 * HOUR_MS);
    expect(run.result).toEqual({
      instance: KFP,
      restoredBackup: restoreResult.restoredBackup,
      safetyBackup: {
        operationId: keyOf('safety_backup'),
        backupRunId: '1772476200000',
        description: `pre-restore-${EXECUTION_ID}`,
      },
      restore: { operationId: keyOf('restore'), safetyBackupRunId: '1772483400000' },
      state: 'RUNNABLE',
    });
  });

  it('ends FAILED on a denied approval, sending nothing after it and keeping the safety backup', async () => {
    // Act
    const run = await runRunbook('sql-restore', ARGS, { script: scriptWith(deniedAfter(HOUR_MS)) });

    // Assert
    expect(run.outcome.state).toBe('FAILED');
    expect(run.error).toEqual({
      code: 'APPROVAL_DENIED',
      message: `sql.restore ${keyOf('restore')} rejected: denied by user:maria.chen@acme.ai: not during the freeze; the safety backup "1772476200000" (pre-restore-${EXECUTION_ID}) of ${KFP} is kept`,
      operationId: keyOf('restore'),
      step: 'restore',
      status: 'rejected',
      safetyBackupRunId: '1772476200000',
    });
    expect(run.opsApi.commands.map((command) => command.type)).toEqual(['sql.backup', 'sql.restore']);
    expect(run.opsApi.withdrawals).toEqual([]);
    expect(run.connectorCalls).toEqual([]);
  });

  it('withdraws the restore when nobody approves within the approval timeout', async () => {
    // Act
    const run = await runRunbook(
      'sql-restore',
      { ...ARGS, approvalTimeoutSeconds: 4 * 3600 },
      { script: scriptWith(neverDecided()) },
    );

    // Assert
    expect(run.outcome.state).toBe('FAILED');
    expect(run.error).toMatchObject({
      code: 'APPROVAL_TIMEOUT',
      operationId: keyOf('restore'),
      step: 'restore',
      safetyBackupRunId: '1772476200000',
    });
    expect(String(run.error?.message)).toMatch(
      /got no approval within 14400 s; it was withdrawn; the safety backup/,
    );
    expect(run.opsApi.withdrawals).toEqual([
      {
        operationId: keyOf('restore'),
        body: { actor: 'runbook:sql-restore', reason: 'no approval within 14400 s (runbook step restore)' },
        at: expect.any(Number),
      },
    ]);
    const waited = (run.opsApi.withdrawals[0]?.at ?? 0) - RUN_START;
    expect(waited).toBeGreaterThanOrEqual(4 * HOUR_MS);
    expect(waited).toBeLessThanOrEqual(4 * HOUR_MS + 5 * 60_000);
    expect(run.opsApi.operations.get(keyOf('restore'))?.status).toBe('rejected');
    expect(run.opsApi.commands.map((command) => command.type)).toEqual(['sql.backup', 'sql.restore']);
  });

  it('ends FAILED when the approved restore fails, naming the safety backup it keeps', async () => {
    // Prepare
    const failing = [
      { status: 'pending_approval' as const, approval: { reason: 'A3' } },
      {
        afterMs: HOUR_MS,
        status: 'failed' as const,
        error: { code: 'GCP_REJECTED', message: 'restoreBackup: the backup run is not SUCCESSFUL' },
      },
    ];

    // Act
    const run = await runRunbook('sql-restore', ARGS, { script: scriptWith(failing) });

    // Assert
    expect(run.outcome.state).toBe('FAILED');
    expect(run.error).toMatchObject({
      code: 'GCP_REJECTED',
      status: 'failed',
      safetyBackupRunId: '1772476200000',
      message: `sql.restore ${keyOf('restore')} failed: restoreBackup: the backup run is not SUCCESSFUL; the safety backup "1772476200000" (pre-restore-${EXECUTION_ID}) of ${KFP} is kept`,
    });
    expect(run.connectorCalls).toEqual([]);
  });

  it('ends FAILED when the instance is not RUNNABLE after the restore', async () => {
    // Act
    const run = await runRunbook('sql-restore', ARGS, {
      script: scriptWith(approvedAfter(HOUR_MS, restoreResult)),
      connector: () => ({ state: 'MAINTENANCE' }),
    });

    // Assert
    expect(run.outcome.state).toBe('FAILED');
    expect(run.error).toMatchObject({
      code: 'VERIFICATION_FAILED',
      message: `${KFP} is "MAINTENANCE" after the restore, not RUNNABLE`,
      step: 'verify',
    });
  });

  it('sends a restore from another instance with its source, and can skip the connector check', async () => {
    // Act
    const run = await runRunbook(
      'sql-restore',
      {
        instance: 'acme-kfp-mysql-restore',
        backupId: '1748833200000',
        sourceInstance: KFP,
        verifyInstance: false,
      },
      { script: scriptWith(approvedAfter(HOUR_MS, restoreResult)) },
    );

    // Assert
    expect(run.outcome.state).toBe('SUCCEEDED');
    expect(run.opsApi.ofType('sql.restore')[0]?.args).toEqual({
      instance: 'acme-kfp-mysql-restore',
      backupId: '1748833200000',
      sourceInstance: KFP,
    });
    expect(run.connectorCalls).toEqual([]);
  });
});
