import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../cli/run-cli';
import { resolvePath } from '../../../cli/state-path';
import { desiredStateFromFixture } from '../../../shared/desired-state';
import { loadFixture } from '../../helpers/factories';
import { makeFakeCli } from './fake-control-plane';

const SA = 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com';

/** A JSON file in a fresh temporary directory. */
const tempJson = (value: unknown): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'opsplane-state-')), 'state.json');
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
};

describe('opsplane state get', () => {
  it('prints the whole platform document with --json', async () => {
    // Prepare
    const { ctx, out, desiredState } = await makeFakeCli();
    // Act
    const code = await runCli(['state', 'get', '--json'], ctx);
    // Assert
    expect(code).toBe(0);
    expect(JSON.parse(out.join('\n'))).toEqual(await desiredState.getPlatform());
  });

  it.each([
    [
      'roleTemplates.contractor',
      expect.objectContaining({ requiresExpiry: true, profile: false, iap: true }),
    ],
    ['access.approvers', ['user:maria.chen@acme.ai', 'user:dev.patel@acme.ai']],
    ['access.approvers.1', 'user:dev.patel@acme.ai'],
    // keys holding dots are matched whole
    ['kubeflow.defaultQuota.hard.requests.nvidia.com/gpu', '1'],
    [`keys.serviceAccounts.${SA}.secret`, 'ci-terraform-key'],
    ['sql.retention.keepDays', 60],
  ])('prints the value at %s', async (path, expected) => {
    // Prepare
    const { ctx, out } = await makeFakeCli();
    // Act
    const code = await runCli(['state', 'get', path, '--json'], ctx);
    // Assert
    expect(code).toBe(0);
    expect(JSON.parse(out.join('\n'))).toEqual(expected);
  });

  it('prints a string as it is without --json', async () => {
    // Prepare
    const { ctx, out } = await makeFakeCli();
    // Act
    const code = await runCli(['state', 'get', 'projectId'], ctx);
    // Assert
    expect(code).toBe(0);
    expect(out).toEqual(['acme-ml-prod']);
  });

  it('exits 1 naming what there is when nothing is at the path', async () => {
    // Prepare
    const { ctx, err } = await makeFakeCli();
    // Act
    const code = await runCli(['state', 'get', 'roleTemplates.astronaut'], ctx);
    // Assert
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(
      /nothing at roleTemplates\.astronaut in desired state; roleTemplates has: ml-engineer, data-scientist, /,
    );
  });

  it('lists the managed users', async () => {
    // Prepare
    const { ctx, out, clearOutput } = await makeFakeCli();
    // Act
    const tableCode = await runCli(['state', 'get', 'users'], ctx);
    const table = out.join('\n');
    clearOutput();
    const jsonCode = await runCli(['state', 'get', 'users', '--json'], ctx);
    // Assert
    expect(tableCode).toBe(0);
    expect(table).toMatch(/^EMAIL +ROLE +TEAM +PROFILE +EXPIRES +UPDATED/);
    expect(table).toMatch(/ext\.nina\.volkova@acme\.ai +contractor +nlp +- +2025-07-31T00:00:00Z/);
    expect(jsonCode).toBe(0);
    const users = JSON.parse(out.join('\n')) as Array<{ email: string }>;
    expect(users).toHaveLength(11);
    expect(users.map((u) => u.email)).not.toContain('liam.obrien@acme.ai');
  });

  it('shows one user, or one field of a user', async () => {
    // Prepare
    const { ctx, out, clearOutput } = await makeFakeCli();
    // Act
    const userCode = await runCli(['state', 'get', 'users.grace.kim@acme.ai', '--json'], ctx);
    const user = JSON.parse(out.join('\n'));
    clearOutput();
    const fieldCode = await runCli(['state', 'get', 'users.grace.kim@acme.ai.role'], ctx);
    // Assert
    expect(userCode).toBe(0);
    expect(user).toMatchObject({ email: 'grace.kim@acme.ai', role: 'analyst', team: 'forecasting' });
    expect(fieldCode).toBe(0);
    expect(out).toEqual(['analyst']);
  });

  it('exits 1 for a user it does not manage', async () => {
    // Prepare
    const { ctx, err } = await makeFakeCli();
    // Act
    const code = await runCli(['state', 'get', 'users.liam.obrien@acme.ai'], ctx);
    // Assert
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/no managed user liam\.obrien@acme\.ai/);
  });
});

describe('opsplane state set', () => {
  it.each([
    ['access.approvers', '["user:maria.chen@acme.ai"]', ['user:maria.chen@acme.ai']],
    ['roleTemplates.contractor.iap', 'false', false],
    // a bare word is a string
    ['region', 'europe-west4', 'europe-west4'],
    // valid only as a string: taken as one
    ['projectNumber', '123456789', '123456789'],
    ['keys.defaultGraceHours', '12', 12],
    [`keys.serviceAccounts.${SA}.holders`, '["ada@acme.ai"]', ['ada@acme.ai']],
    // a new key with a dot in it
    ['kubeflow.defaultQuota.hard.limits.memory', '64Gi', '64Gi'],
  ])('sets %s to %s', async (path, value, expected) => {
    // Prepare
    const { ctx, out, desiredState } = await makeFakeCli();
    // Act
    const code = await runCli(['state', 'set', path, value], ctx);
    // Assert
    expect(code).toBe(0);
    const platform = await desiredState.getPlatform();
    expect(resolvePath(platform, path)).toMatchObject({ found: true, value: expected });
    expect(out.join('\n')).toMatch(new RegExp(`desired state: set ${path.replace(/[.[\]]/g, '\\$&')}`));
  });

  it('adds a role template, with the schema defaults, and prints the change', async () => {
    // Prepare
    const { ctx, out, desiredState } = await makeFakeCli();
    // Act
    const code = await runCli(
      [
        'state',
        'set',
        'roleTemplates.auditor',
        '{"projectRoles":["roles/viewer"],"iap":true,"profile":false}',
        '--json',
      ],
      ctx,
    );
    // Assert
    expect(code).toBe(0);
    expect((await desiredState.getPlatform()).roleTemplates.auditor).toEqual({
      description: '',
      projectRoles: ['roles/viewer'],
      iap: true,
      profile: false,
      requiresExpiry: false,
    });
    expect(JSON.parse(out.join('\n'))).toEqual({
      path: 'roleTemplates.auditor',
      written: true,
      changes: [
        {
          path: 'roleTemplates.auditor',
          to: {
            description: '',
            projectRoles: ['roles/viewer'],
            iap: true,
            profile: false,
            requiresExpiry: false,
          },
        },
      ],
    });
  });

  it.each([
    [
      ['access.approvers', '["maria"]'],
      /cannot set access\.approvers, nothing was written: access\.approvers\.0: must be user:<email>, group:<name>/,
    ],
    [
      ['gpuPools.gpu-a100-pool.autoscaling.minNodeCount', '99'],
      /cannot set gpuPools\.gpu-a100-pool\.autoscaling\.minNodeCount, nothing was written: gpuPools\.gpu-a100-pool\.autoscaling\.minNodeCount: must not exceed maxNodeCount/,
    ],
    [
      ['roleTemplates.contractor.iap', 'maybe'],
      /cannot set roleTemplates\.contractor\.iap, nothing was written: roleTemplates\.contractor\.iap: Invalid input: expected boolean/,
    ],
    [
      ['roleTemplates.auditor', '{"iap":true}'],
      /roleTemplates\.auditor\.projectRoles: Invalid input: expected array/,
    ],
    [['projectId.name', 'x'], /cannot set projectId\.name: projectId is "acme-ml-prod", not an object/],
    [
      ['access.approvers.5', '"user:a@acme.ai"'],
      /cannot set access\.approvers\.5: access\.approvers is a list of 2/,
    ],
    [['access.approvers', '["oops'], /VALUE is not valid JSON/],
    [['users.grace.kim@acme.ai.role', 'analyst'], /users change through opsplane user add\|role\|remove/],
    [['region'], /state set takes PATH VALUE \(got 1 arguments\)/],
  ])('refuses %j with exit 2 and writes nothing', async (args, message) => {
    // Prepare
    const { ctx, err, platformStore } = await makeFakeCli();
    const before = await platformStore.get('platform');
    // Act
    const code = await runCli(['state', 'set', ...args], ctx);
    // Assert
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(message);
    expect(await platformStore.get('platform')).toEqual(before);
  });

  it('shows the change and writes nothing with --dry-run', async () => {
    // Prepare
    const { ctx, out, platformStore } = await makeFakeCli();
    const before = await platformStore.get('platform');
    // Act
    const code = await runCli(['state', 'set', 'sql.retention.minKeep', '3', '--dry-run'], ctx);
    // Assert
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(
      /dry run, nothing written: setting sql\.retention\.minKeep would change\n {2}~ sql\.retention\.minKeep: 2 → 3/,
    );
    expect(await platformStore.get('platform')).toEqual(before);
  });

  it('replaces the whole platform document from --file, printing what changed', async () => {
    // Prepare
    const { ctx, out, desiredState } = await makeFakeCli();
    const next = desiredStateFromFixture(loadFixture());
    next.keys.maxAgeDays = 30;
    const file = tempJson(next);
    // Act
    const code = await runCli(['state', 'set', '--file', file], ctx);
    // Assert
    expect(code).toBe(0);
    expect((await desiredState.getPlatform()).keys.maxAgeDays).toBe(30);
    expect(out.join('\n')).toMatch(/platform document replaced\n {2}~ keys\.maxAgeDays: 90 → 30$/);
  });

  it('creates the platform document from --file when there is none', async () => {
    // Prepare
    const { ctx, out, desiredState } = await makeFakeCli({ seed: false });
    const file = tempJson(desiredStateFromFixture(loadFixture()));
    // Act
    const code = await runCli(['state', 'set', '--file', file], ctx);
    // Assert
    expect(code).toBe(0);
    expect((await desiredState.getPlatform()).projectId).toBe('acme-ml-prod');
    expect(out.join('\n')).toMatch(/created the platform document from /);
  });

  it.each([
    [
      (() => {
        const invalid = desiredStateFromFixture(loadFixture()) as unknown as Record<string, unknown>;
        invalid.projectNumber = 'not-a-number';
        return invalid;
      })(),
      /is not a valid platform document, nothing was written: projectNumber: Invalid string/,
    ],
    ['{ not json', /is not JSON/],
  ])('refuses an invalid --file with exit 2 and writes nothing', async (content, message) => {
    // Prepare
    const { ctx, err, platformStore } = await makeFakeCli();
    const before = await platformStore.get('platform');
    // Act
    const code = await runCli(['state', 'set', '--file', tempJson(content)], ctx);
    // Assert
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(message);
    expect(await platformStore.get('platform')).toEqual(before);
  });

  it('refuses a --file it cannot read', async () => {
    // Prepare
    const { ctx, err } = await makeFakeCli();
    // Act
    const code = await runCli(['state', 'set', '--file', '/nonexistent/state.json'], ctx);
    // Assert
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/--file \/nonexistent\/state\.json: cannot read it: ENOENT/);
  });
});
