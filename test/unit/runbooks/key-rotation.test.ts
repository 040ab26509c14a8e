import { HOUR_MS, keyOf, RUN_START, runRunbook } from './runbook-harness';

/** workflows/key-rotation.workflows.yaml on the local engine, against a fake ops-api. */

const CI_SA = 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com';
const rotateResult = {
  serviceAccount: CI_SA,
  secretId: 'ci-terraform-key',
  newKeyId: 'a1b2c3',
  storedVersion: 4,
  deletedKeyIds: ['old1', 'old2'],
  disabledVersions: [2, 3],
};

describe('key-rotation runbook', () => {
  it('waits through the grace period for keys.rotate to retire the old keys, and reports the new key', async () => {
    // Act
    const run = await runRunbook(
      'key-rotation',
      { serviceAccount: CI_SA, graceHours: 48 },
      { script: () => [{ afterMs: 48 * HOUR_MS + 60_000, status: 'succeeded', result: rotateResult }] },
    );

    // Assert
    expect(run.outcome.state).toBe('SUCCEEDED');
    expect(run.opsApi.commands).toEqual([
      expect.objectContaining({
        type: 'keys.rotate',
        args: { serviceAccount: CI_SA, graceHours: 48 },
        idempotencyKey: keyOf('rotate'),
        actor: 'runbook:key-rotation',
        reason: `rotate the key of ${CI_SA}`,
      }),
    ]);
    expect(run.clock.now() - RUN_START).toBeGreaterThan(48 * HOUR_MS);
    expect(run.result).toEqual({ operationId: keyOf('rotate'), ...rotateResult });
    expect(run.logText[0]).toBe(`rotating the key of ${CI_SA}; the old keys are retired after 48 h`);
  });

  it('leaves the grace period to the key policy when none is given', async () => {
    // Act
    const run = await runRunbook(
      'key-rotation',
      { serviceAccount: CI_SA },
      { script: () => [{ afterMs: 24 * HOUR_MS, status: 'succeeded', result: rotateResult }] },
    );

    // Assert
    expect(run.outcome.state).toBe('SUCCEEDED');
    expect(run.opsApi.commands[0]?.args).toEqual({ serviceAccount: CI_SA });
  });

  it('ends FAILED when the rotation reports no new key', async () => {
    // Act
    const run = await runRunbook(
      'key-rotation',
      { serviceAccount: CI_SA, graceHours: 0 },
      { script: () => [{ status: 'succeeded', result: { serviceAccount: CI_SA } }] },
    );

    // Assert
    expect(run.error).toMatchObject({
      code: 'VERIFICATION_FAILED',
      message: `keys.rotate ${keyOf('rotate')} names no new key`,
    });
  });
});
