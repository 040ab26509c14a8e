import {
  approvedAfter,
  type CommandScript,
  deniedAfter,
  HOUR_MS,
  keyOf,
  RUN_START,
  runRunbook,
  succeeds,
} from './runbook-harness';

/** workflows/offboard-user.workflows.yaml on the local engine, against a fake ops-api. */

const LIAM = 'liam.obrien@acme.ai';
const METAFLOW_SA = 'gsa-metaflow-prod@acme-ml-prod.iam.gserviceaccount.com';
const CI_SA = 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com';
const ARGS = { email: LIAM, requestedBy: 'user:dev.patel@acme.ai', keyGraceHours: 24 };

const revokeResult = {
  email: LIAM,
  policies: [{ policy: 'projects/acme-ml-prod', before: ['roles/editor'], after: [] }],
  contributorBindings: { before: ['team-vision/user-liam-obrien-acme-ai-clusterrole-edit'], after: [] },
  keepProfile: true,
  profilesDeleted: [],
  personalProfilesKept: ['liam-obrien'],
  keysToRotate: [METAFLOW_SA, CI_SA].map((serviceAccount) => ({
    serviceAccount,
    keyIds: ['k1'],
    rotate: { type: 'keys.rotate', args: { serviceAccount } },
  })),
};
const removeResult = { email: LIAM, profilesDeleted: ['liam-obrien'], teamProfilesKept: [] };

/** user.remove: the revocation succeeds at once, the profile deletion plays `profile`; keys rotate after the grace. */
const scriptWith =
  (profile: ReturnType<CommandScript>): CommandScript =>
  (command) => {
    if (command.type === 'user.remove') return command.args.keepProfile ? succeeds(revokeResult) : profile;
    if (command.type === 'keys.rotate') {
      return [
        {
          afterMs: 24 * HOUR_MS,
          status: 'succeeded',
          result: {
            serviceAccount: command.args.serviceAccount,
            newKeyId: `new-${String(command.args.serviceAccount)}`,
          },
        },
      ];
    }
    return succeeds({ backup: 'projects/acme-ml-prod/locations/us-central1/backups/acme-kf-home-offboard' });
  };

describe('offboard-user runbook', () => {
  it('revokes first, then deletes the profile with approval while the held keys rotate', async () => {
    // Act
    const run = await runRunbook('offboard-user', ARGS, {
      script: scriptWith(approvedAfter(3 * HOUR_MS, removeResult)),
    });

    // Assert
    expect(run.outcome.state).toBe('SUCCEEDED');
    expect(run.opsApi.commands[0]).toMatchObject({
      type: 'user.remove',
      args: { email: LIAM, keepProfile: true },
      idempotencyKey: keyOf('revoke_access'),
      requestedBy: 'user:dev.patel@acme.ai',
    });
    expect(
      run.opsApi.commands.slice(1).map(({ type, args, idempotencyKey }) => ({ type, args, idempotencyKey })),
    ).toEqual(
      expect.arrayContaining([
        { type: 'user.remove', args: { email: LIAM }, idempotencyKey: keyOf('delete_profiles') },
        {
          type: 'keys.rotate',
          args: { serviceAccount: METAFLOW_SA, graceHours: 24 },
          idempotencyKey: keyOf('rotate_key_0'),
        },
        {
          type: 'keys.rotate',
          args: { serviceAccount: CI_SA, graceHours: 24 },
          idempotencyKey: keyOf('rotate_key_1'),
        },
      ]),
    );
    expect(run.opsApi.commands).toHaveLength(4);
    // The profile approval (3 h) waited beside the rotations (24 h each, one after the other).
    expect(run.clock.now() - RUN_START).toBeGreaterThanOrEqual(48 * HOUR_MS);
    expect(run.clock.now() - RUN_START).toBeLessThan(49 * HOUR_MS);
    expect(run.result).toEqual({
      email: LIAM,
      revoked: {
        operationId: keyOf('revoke_access'),
        policies: revokeResult.policies,
        contributorBindings: revokeResult.contributorBindings,
      },
      profiles: { operationId: keyOf('delete_profiles'), deleted: ['liam-obrien'], teamProfilesKept: [] },
      keys: [
        { serviceAccount: METAFLOW_SA, operationId: keyOf('rotate_key_0'), newKeyId: `new-${METAFLOW_SA}` },
        { serviceAccount: CI_SA, operationId: keyOf('rotate_key_1'), newKeyId: `new-${CI_SA}` },
      ],
      heldKeysNotRotated: [],
      homeBackup: null,
    });
  });

  it('ends FAILED when the profile deletion is denied, with the access already revoked', async () => {
    // Act
    const run = await runRunbook(
      'offboard-user',
      { ...ARGS, rotateHeldKeys: false },
      { script: scriptWith(deniedAfter(HOUR_MS)) },
    );

    // Assert
    expect(run.outcome.state).toBe('FAILED');
    expect(run.error).toMatchObject({
      code: 'APPROVAL_DENIED',
      operationId: keyOf('delete_profiles'),
      step: 'delete_profiles',
      revokedBy: keyOf('revoke_access'),
    });
    expect(String(run.error?.message)).toMatch(
      /^access of liam\.obrien@acme\.ai is revoked, but the profile was not deleted: user\.remove .* rejected: denied by/,
    );
    expect(run.opsApi.commands.map((command) => [command.type, command.args])).toEqual([
      ['user.remove', { email: LIAM, keepProfile: true }],
      ['user.remove', { email: LIAM }],
    ]);
  });

  it('backs up the home share before the profile goes, and only reports the keys when told not to rotate', async () => {
    // Act
    const run = await runRunbook(
      'offboard-user',
      { email: LIAM, rotateHeldKeys: false, homeBackupInstance: 'acme-kf-home' },
      { script: scriptWith(approvedAfter(HOUR_MS, removeResult)) },
    );

    // Assert
    expect(run.outcome.state).toBe('SUCCEEDED');
    expect(run.opsApi.commands.map((command) => [command.type, command.args])).toEqual([
      ['user.remove', { email: LIAM, keepProfile: true }],
      ['filestore.backup', { instance: 'acme-kf-home' }],
      ['user.remove', { email: LIAM }],
    ]);
    expect(run.result).toMatchObject({
      keys: [],
      heldKeysNotRotated: revokeResult.keysToRotate,
      homeBackup: 'projects/acme-ml-prod/locations/us-central1/backups/acme-kf-home-offboard',
    });
  });

  it('ends FAILED naming a key rotation that failed, after the profile was handled', async () => {
    // Prepare
    const script: CommandScript = (command, nth) =>
      command.type === 'keys.rotate' && nth === 1
        ? [{ status: 'failed', error: { code: 'GCP_REJECTED', message: 'key limit reached' } }]
        : scriptWith(approvedAfter(HOUR_MS, removeResult))(command, nth);

    // Act
    const run = await runRunbook('offboard-user', ARGS, { script });

    // Assert
    expect(run.outcome.state).toBe('FAILED');
    expect(run.error).toMatchObject({
      code: 'KEY_ROTATION_FAILED',
      operationId: keyOf('rotate_key_1'),
      step: 'rotate_key_1',
      keysRotated: [
        { serviceAccount: METAFLOW_SA, operationId: keyOf('rotate_key_0'), newKeyId: `new-${METAFLOW_SA}` },
      ],
    });
    expect(String(run.error?.message)).toMatch(
      /1 key rotation\(s\) failed: keys\.rotate .* failed: key limit reached/,
    );
  });
});
