import { runCli } from '../../../cli/run-cli';
import { makeFakeCli } from './fake-control-plane';

const SA = 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com';

describe('command subcommands', () => {
  it.each([
    [
      ['user', 'add', 'ada@acme.ai', '--role', 'ml-engineer'],
      'user.add',
      // profile defaults to true (the catalog's default, applied before publishing)
      { email: 'ada@acme.ai', role: 'ml-engineer', profile: true },
    ],
    [
      [
        'user',
        'add',
        'nina@acme.ai',
        '--role',
        'contractor',
        '--team',
        'nlp',
        '--no-profile',
        '--expires-at',
        '2026-12-31T00:00:00Z',
      ],
      'user.add',
      {
        email: 'nina@acme.ai',
        role: 'contractor',
        team: 'nlp',
        profile: false,
        expiresAt: '2026-12-31T00:00:00Z',
      },
    ],
    [
      ['user', 'role', 'grace.kim@acme.ai', '--role', 'data-scientist'],
      'user.role.set',
      { email: 'grace.kim@acme.ai', role: 'data-scientist' },
    ],
    [['user', 'remove', 'grace.kim@acme.ai'], 'user.remove', { email: 'grace.kim@acme.ai' }],
    [['keys', 'rotate', SA], 'keys.rotate', { serviceAccount: SA }],
    [['keys', 'rotate', SA, '--grace-hours', '1.5'], 'keys.rotate', { serviceAccount: SA, graceHours: 1.5 }],
    [['keys', 'prune', SA], 'keys.prune', { serviceAccount: SA }],
    [['keys', 'check', SA], 'keys.check', { serviceAccount: SA }],
    [['iam', 'reconcile', 'project'], 'iam.bindings.reconcile', { policy: 'project' }],
    [['iam', 'reconcile', 'iap'], 'iam.bindings.reconcile', { policy: 'iap' }],
    [
      ['iam', 'reconcile', 'project', '--member', 'user:a@acme.ai', '--member', 'user:b@acme.ai'],
      'iam.bindings.reconcile',
      { policy: 'project', members: ['user:a@acme.ai', 'user:b@acme.ai'] },
    ],
    [['sql', 'backup', 'acme-metaflow-pg-2'], 'sql.backup', { instance: 'acme-metaflow-pg-2' }],
    [
      ['sql', 'backup', 'acme-metaflow-pg-2', '--description', 'pre-upgrade OPS-123'],
      'sql.backup',
      { instance: 'acme-metaflow-pg-2', description: 'pre-upgrade OPS-123' },
    ],
    [
      ['sql', 'restore', 'acme-metaflow-pg-2', '--backup-id', '1767225600000'],
      'sql.restore',
      { instance: 'acme-metaflow-pg-2', backupId: '1767225600000' },
    ],
    [
      ['sql', 'restore', 'scratch-pg', '--backup-id', '42', '--source-instance', 'acme-metaflow-pg-2'],
      'sql.restore',
      { instance: 'scratch-pg', backupId: '42', sourceInstance: 'acme-metaflow-pg-2' },
    ],
    [
      [
        'sql',
        'clone',
        'acme-metaflow-pg-2',
        '--point-in-time',
        '2026-03-01T09:30:00Z',
        '--target',
        'pg-copy',
      ],
      'sql.clone',
      { instance: 'acme-metaflow-pg-2', pointInTime: '2026-03-01T09:30:00Z', targetInstance: 'pg-copy' },
    ],
    [['sql', 'prune', 'acme-metaflow-pg-2'], 'sql.backups.prune', { instance: 'acme-metaflow-pg-2' }],
    [
      ['sql', 'protect', 'acme-metaflow-pg-2'],
      'sql.protect',
      { instance: 'acme-metaflow-pg-2', deletionProtection: true },
    ],
    [
      ['sql', 'protect', 'acme-metaflow-pg-2', '--off'],
      'sql.protect',
      { instance: 'acme-metaflow-pg-2', deletionProtection: false },
    ],
    [['filestore', 'backup', 'acme-kf-home'], 'filestore.backup', { instance: 'acme-kf-home' }],
    [
      ['filestore', 'backup', 'acme-kf-home', '--share', 'home'],
      'filestore.backup',
      { instance: 'acme-kf-home', share: 'home' },
    ],
    [['filestore', 'snapshot', 'acme-datasets'], 'filestore.snapshot', { instance: 'acme-datasets' }],
    [
      ['filestore', 'restore', 'acme-kf-home', '--backup', 'home-nightly-1', '--share', 'home'],
      'filestore.restore',
      { instance: 'acme-kf-home', backup: 'home-nightly-1', share: 'home' },
    ],
    [['filestore', 'prune', 'acme-kf-home'], 'filestore.backups.prune', { instance: 'acme-kf-home' }],
    [['gpu', 'scale', '--nodes', '2'], 'gpu.scale', { nodes: 2 }],
    [
      ['gpu', 'autoscaling', '--min', '0', '--max', '3', '--pool', 'gpu-a100-pool'],
      'gpu.autoscaling.set',
      { min: 0, max: 3, pool: 'gpu-a100-pool' },
    ],
    [
      ['gpu', 'autoscaling', '--min', '0', '--max', '2', '--off-hours'],
      'gpu.autoscaling.set',
      { min: 0, max: 2, offHours: true },
    ],
    [['approve', 'op-1'], 'approval.grant', { operationId: 'op-1' }],
    [
      ['deny', 'op-1', '--comment', 'not during the freeze'],
      'approval.deny',
      { operationId: 'op-1', comment: 'not during the freeze' },
    ],
    [
      ['withdraw', 'op-1', '--comment', 'runbook cancelled'],
      'approval.withdraw',
      { operationId: 'op-1', comment: 'runbook cancelled' },
    ],
  ])('%j publishes %s with the right args', async (argv, type, args) => {
    // Prepare
    const { ctx, out, published } = await makeFakeCli({ deliver: false });
    // Act
    const code = await runCli(argv, ctx);
    // Assert
    expect(code).toBe(0);
    expect(published).toHaveLength(1);
    expect(published[0]).toEqual({
      type,
      args,
      actor: 'user:dev.patel@acme.ai',
      reason: `opsplane ${argv.map((w) => (w.includes(' ') ? `'${w}'` : w)).join(' ')}`,
      dryRun: false,
      idempotencyKey: 'key-1',
    });
    expect(out.join('\n')).toMatch(
      new RegExp(
        `submitted ${type.replace(/\./g, '\\.')} as operation key-1; follow it with: opsplane ops show key-1`,
      ),
    );
  });

  it('passes --dry-run, --reason, --actor and --idempotency-key into the envelope', async () => {
    // Prepare
    const { ctx, out, published } = await makeFakeCli({ deliver: false });
    // Act
    const code = await runCli(
      [
        'sql',
        'backup',
        'acme-kfp-mysql-7f3a9c1e',
        '--dry-run',
        '--json',
        '--reason',
        'before the schema migration',
        '--actor',
        'ci:github:acme/ml-platform',
        '--idempotency-key',
        'ci:run-77',
      ],
      ctx,
    );
    // Assert
    expect(code).toBe(0);
    expect(published[0]).toEqual({
      type: 'sql.backup',
      args: { instance: 'acme-kfp-mysql-7f3a9c1e' },
      actor: 'ci:github:acme/ml-platform',
      reason: 'before the schema migration',
      dryRun: true,
      idempotencyKey: 'ci:run-77',
    });
    expect(JSON.parse(out.join('\n'))).toEqual({
      operationId: 'ci:run-77',
      messageId: 'm1',
      status: 'submitted',
    });
  });

  it('follows a routine command with --wait to its outcome and exits 0', async () => {
    // Prepare
    const { ctx, out } = await makeFakeCli();
    // Act
    const code = await runCli(['filestore', 'snapshot', 'acme-datasets', '--wait'], ctx);
    // Assert
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/operation key-1 submitted \(filestore\.snapshot\)/);
    expect(text).toMatch(/~ acme-datasets state: "before" → "after"/);
    expect(text).toMatch(/status {5}succeeded/);
  });

  it.each([
    [
      ['user', 'add', 'not-an-email', '--role', 'x'],
      /EMAIL: must be a lowercase email address, e\.g\. ada@acme\.ai \(got "not-an-email"\)/,
    ],
    [['user', 'add', 'ada@acme.ai'], /--role is required/],
    [['user', 'add', '--role', 'ml-engineer'], /user add takes one EMAIL \(got none\)/],
    [
      ['user', 'add', 'a@acme.ai', 'b@acme.ai', '--role', 'x'],
      /user add takes one EMAIL \(got a@acme.ai b@acme.ai\)/,
    ],
    [
      ['user', 'add', 'ada@acme.ai', '--role', 'ml-engineer', '--expires-at', 'tomorrow'],
      /--expires-at: must be an RFC 3339 timestamp, e\.g\. 2026-12-31T00:00:00Z \(got "tomorrow"\)/,
    ],
    [
      ['user', 'add', 'ada@acme.ai', '--role', 'ml-engineer', '--team', 'Vision'],
      /--team: must be lowercase/,
    ],
    [['user', 'role', 'ada@acme.ai', '--role', 'Admin'], /--role: must be a role template name/],
    [['user', 'remove', 'ada@acme.ai', '--role', 'x'], /Unknown option '--role'/],
    [['keys', 'rotate', 'terraform'], /SERVICE_ACCOUNT: must be a service account email/],
    [['iam', 'reconcile', 'org'], /POLICY: .*project.*iap/],
    [['iam', 'reconcile'], /iam reconcile takes one POLICY \(got none\)/],
    [['iam', 'reconcile', 'project', '--member', 'liam'], /--member/],
    [['keys', 'rotate', SA, '--grace-hours', 'soon'], /--grace-hours must be a number, got "soon"/],
    [['keys', 'rotate', SA, '--grace-hours', '9999'], /--grace-hours: Too big/],
    [['sql', 'backup', 'Bad_Instance'], /INSTANCE: must be a Cloud SQL instance id/],
    [['sql', 'restore', 'pg'], /--backup-id is required/],
    [['sql', 'restore', 'pg', '--backup-id', 'latest'], /--backup-id: must be a backup run id \(digits\)/],
    [
      ['sql', 'clone', 'pg', '--point-in-time', 'yesterday', '--target', 'pg-2'],
      /--point-in-time: must be an RFC 3339 timestamp/,
    ],
    [
      ['sql', 'clone', 'pg', '--point-in-time', '2026-03-01T09:30:00Z', '--target', 'pg'],
      /--target: must differ from instance/,
    ],
    [['sql', 'clone', 'pg', '--point-in-time', '2026-03-01T09:30:00Z'], /--target is required/],
    [['filestore', 'backup', 'acme-kf-home', '--share', 'my-share'], /--share: must be a file share name/],
    [['filestore', 'restore', 'acme-kf-home', '--backup', 'a/b'], /--backup: must be a backup id/],
    [['filestore', 'snapshot', 'acme-kf-home', '--share', 'home'], /Unknown option '--share'/],
    [['approve', 'op-1', 'op-2'], /approve takes one ID \(got op-1 op-2\)/],
    [['deny', 'no such id'], /ID: must be an operation id/],
    [['sql', 'backup', 'pg', '--actor', 'root'], /--actor: must be one of user:<…>/],
    [
      ['sql', 'backup', 'pg', '--wait', '--timeout', 'soon'],
      /--timeout must be a number of seconds, got "soon"/,
    ],
    [['sql', 'vacuum', 'pg'], /unknown sql subcommand "vacuum"/],
  ])('refuses %j with exit 2, naming the flag, and publishes nothing', async (argv, message) => {
    // Prepare
    const { ctx, err, published } = await makeFakeCli();
    // Act
    const code = await runCli(argv, ctx);
    // Assert
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(message);
    expect(published).toEqual([]);
  });

  it.each([
    ['user', /opsplane user add EMAIL --role ROLE/],
    ['keys', /opsplane keys rotate SERVICE_ACCOUNT \[--grace-hours H\]/],
    ['sql', /opsplane sql clone INSTANCE --point-in-time TIMESTAMP --target NEW_INSTANCE/],
    ['filestore', /opsplane filestore restore INSTANCE --backup BACKUP/],
    ['approve', /opsplane approve ID \[--comment TEXT\]/],
    ['state', /opsplane state set PATH VALUE/],
    ['ops', /opsplane ops show ID/],
    ['gpu', /opsplane gpu scale --nodes N/],
    ['iam', /opsplane iam reconcile POLICY/],
  ])('prints the usage of "%s" alone (exit 2) and with --help (exit 0)', async (group, usage) => {
    // Prepare
    const { ctx, out, clearOutput } = await makeFakeCli();
    // Act
    const bare = await runCli([group], ctx);
    const bareText = out.join('\n');
    clearOutput();
    const asked = await runCli([group, '--help'], ctx);
    // Assert
    expect(bare).toBe(2);
    expect(bareText).toMatch(usage);
    expect(asked).toBe(0);
    expect(out.join('\n')).toMatch(usage);
  });

  it('lists every group in the top-level help, with the exit codes', async () => {
    // Prepare
    const { ctx, out } = await makeFakeCli();
    // Act
    const code = await runCli(['help'], ctx);
    // Assert
    expect(code).toBe(0);
    const text = out.join('\n');
    for (const usage of [
      'opsplane user remove EMAIL',
      'opsplane keys prune SERVICE_ACCOUNT',
      'opsplane keys check SERVICE_ACCOUNT',
      'opsplane runbook start NAME',
      'opsplane workflow run FILE',
      'opsplane schedules',
      'opsplane drift',
      'opsplane reconcile',
      'opsplane iam reconcile POLICY',
      'opsplane sql prune INSTANCE',
      'opsplane filestore snapshot INSTANCE',
      'opsplane deny ID',
      'opsplane withdraw ID',
      'opsplane state get [PATH]',
      'opsplane gpu status',
      'opsplane ops list',
    ]) {
      expect(text).toContain(usage);
    }
    expect(text).toMatch(/4 \(with --wait\) the operation waits for approval/);
  });
});
