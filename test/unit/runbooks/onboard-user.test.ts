import { keyOf, runRunbook, succeeds } from './runbook-harness';

/** workflows/onboard-user.workflows.yaml on the local engine, against a fake ops-api. */

const ADA = {
  email: 'ada@acme.ai',
  role: 'ml-engineer',
  team: 'vision',
  requestedBy: 'user:maria.chen@acme.ai',
};

const userAddResult = (email: string) => ({
  email,
  role: 'ml-engineer',
  policies: [{ policy: 'projects/acme-ml-prod', before: [], after: ['roles/container.developer'] }],
  profile: { name: 'ada', state: 'ready', namespaceOwner: email, workloadIdentity: 'kf-user' },
});

describe('onboard-user runbook', () => {
  it('adds the user through user.add and reports the profile and namespace', async () => {
    // Act
    const run = await runRunbook('onboard-user', ADA, {
      script: (command) => succeeds(userAddResult(String(command.args.email))),
    });

    // Assert
    expect(run.outcome.state).toBe('SUCCEEDED');
    expect(run.opsApi.commands).toEqual([
      {
        type: 'user.add',
        args: { email: 'ada@acme.ai', role: 'ml-engineer', team: 'vision' },
        actor: 'runbook:onboard-user',
        reason: 'onboard ada@acme.ai',
        idempotencyKey: keyOf('add_user'),
        requestedBy: 'user:maria.chen@acme.ai',
        notify: { callbackUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/callbacks\//) },
      },
    ]);
    expect(run.result).toEqual({
      email: 'ada@acme.ai',
      role: 'ml-engineer',
      team: 'vision',
      operationId: keyOf('add_user'),
      profile: 'ada',
      profileState: 'ready',
      namespace: 'ada',
      policies: userAddResult('ada@acme.ai').policies,
    });
    expect(run.logText).toContain('onboarded ada@acme.ai; profile and namespace: ada');
  });

  it('passes profile false and expiresAt on, and reports no profile', async () => {
    // Act
    const run = await runRunbook(
      'onboard-user',
      {
        email: 'ext.oskar.lind@acme.ai',
        role: 'contractor',
        profile: false,
        expiresAt: '2026-06-30T00:00:00Z',
      },
      { script: (command) => succeeds({ email: command.args.email, role: 'contractor', policies: [] }) },
    );

    // Assert
    expect(run.opsApi.commands[0]?.args).toEqual({
      email: 'ext.oskar.lind@acme.ai',
      role: 'contractor',
      expiresAt: '2026-06-30T00:00:00Z',
      profile: false,
    });
    expect(run.opsApi.commands[0]).not.toHaveProperty('requestedBy');
    expect(run.result).toMatchObject({ profile: null, namespace: null });
  });

  it('creates one operation when the answer to its submission is lost and it retries', async () => {
    // Act
    const run = await runRunbook('onboard-user', ADA, {
      script: (command) => succeeds(userAddResult(String(command.args.email))),
      prepare: (opsApi) => {
        opsApi.dropResponses = 1;
      },
    });

    // Assert
    expect(run.outcome.state).toBe('SUCCEEDED');
    expect(run.opsApi.commands).toHaveLength(1);
    expect(run.result).toMatchObject({ operationId: keyOf('add_user'), profile: 'ada' });
  });

  it('fails with the ops-api error when the command is refused', async () => {
    // Act
    const run = await runRunbook(
      'onboard-user',
      { email: 'ada@acme.ai', role: 'wizard' },
      {
        script: () => ({
          refuse: { code: 'INVALID_COMMAND', message: 'args.role: no role template "wizard"' },
        }),
      },
    );

    // Assert
    expect(run.outcome.state).toBe('FAILED');
    expect(run.error).toMatchObject({
      code: 'INVALID_COMMAND',
      message: 'the ops-api did not accept user.add: args.role: no role template "wizard"',
      step: 'add_user',
    });
  });

  it('refuses an argument without an email before sending anything', async () => {
    // Act
    const run = await runRunbook('onboard-user', { role: 'ml-engineer' }, { script: () => succeeds() });

    // Assert
    expect(run.outcome.state).toBe('FAILED');
    expect(run.error).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'args.email is required' });
    expect(run.opsApi.commands).toEqual([]);
  });
});
