import { approvedAfter, deniedAfter, HOUR_MS, keyOf, runRunbook } from './runbook-harness';

/** workflows/filestore-restore.workflows.yaml on the local engine, against a fake ops-api. */

const BACKUP = 'projects/acme-ml-prod/locations/us-central1/backups/acme-kf-home-daily-20250530';
const ARGS = {
  instance: 'acme-kf-home',
  backup: 'acme-kf-home-daily-20250530',
  requestedBy: 'user:dev.patel@acme.ai',
};
const restoreResult = {
  instance: 'acme-kf-home',
  share: 'kfhome',
  state: 'READY',
  restoredFrom: BACKUP,
  sourceBackup: { from: null, to: BACKUP },
  safetyBackup: {
    name: 'projects/acme-ml-prod/locations/us-central1/backups/acme-kf-home-pre-restore',
    state: 'READY',
  },
};

describe('filestore-restore runbook', () => {
  it('restores once approved and verifies the instance READY from the restored backup', async () => {
    // Act
    const run = await runRunbook(
      'filestore-restore',
      { ...ARGS, share: 'kfhome' },
      {
        script: () => approvedAfter(5 * HOUR_MS, restoreResult),
      },
    );

    // Assert
    expect(run.outcome.state).toBe('SUCCEEDED');
    expect(run.opsApi.commands).toEqual([
      expect.objectContaining({
        type: 'filestore.restore',
        args: { instance: 'acme-kf-home', backup: 'acme-kf-home-daily-20250530', share: 'kfhome' },
        idempotencyKey: keyOf('restore'),
        requestedBy: 'user:dev.patel@acme.ai',
        actor: 'runbook:filestore-restore',
      }),
    ]);
    expect(run.logText).toContain(
      `waiting for approval of ${keyOf('restore')}: opsplane approve ${keyOf('restore')}`,
    );
    expect(run.result).toEqual({
      instance: 'acme-kf-home',
      share: 'kfhome',
      restoredFrom: BACKUP,
      operationId: keyOf('restore'),
      state: 'READY',
      safetyBackup: restoreResult.safetyBackup,
    });
  });

  it('ends FAILED with the denial', async () => {
    // Act
    const run = await runRunbook('filestore-restore', ARGS, { script: () => deniedAfter(HOUR_MS) });

    // Assert
    expect(run.outcome.state).toBe('FAILED');
    expect(run.error).toEqual({
      code: 'APPROVAL_DENIED',
      message: `filestore.restore ${keyOf('restore')} rejected: denied by user:maria.chen@acme.ai: not during the freeze`,
      operationId: keyOf('restore'),
      step: 'restore',
      status: 'rejected',
    });
    expect(run.opsApi.commands).toHaveLength(1);
  });

  it('withdraws the restore after the default approval timeout of a day', async () => {
    // Act
    const run = await runRunbook('filestore-restore', ARGS, {
      script: () => [{ status: 'pending_approval', approval: { reason: 'A3' } }],
    });

    // Assert
    expect(run.error).toMatchObject({ code: 'APPROVAL_TIMEOUT', operationId: keyOf('restore') });
    expect(run.opsApi.withdrawals.map((withdrawal) => withdrawal.operationId)).toEqual([keyOf('restore')]);
    expect(run.opsApi.operations.get(keyOf('restore'))?.error?.code).toBe('APPROVAL_EXPIRED');
  });

  it('ends FAILED when the share does not name the restored backup', async () => {
    // Act
    const run = await runRunbook('filestore-restore', ARGS, {
      script: () => approvedAfter(HOUR_MS, { ...restoreResult, sourceBackup: { from: null, to: null } }),
    });

    // Assert
    expect(run.error).toMatchObject({ code: 'VERIFICATION_FAILED', step: 'verify' });
  });
});
