import { desiredStateFromFixture, type PlatformState, type UserState } from '../../../shared/desired-state';
import {
  buildDriftReport,
  compareAccess,
  compareFilestore,
  compareGpuPools,
  compareKeys,
  compareSql,
  type DriftFinding,
  inScope,
  kindsOfScope,
  type LiveAccess,
  type LivePlatform,
  MAX_REPORT_FINDINGS,
  modeOf,
  renderDriftReport,
  type UnmodedFinding,
} from '../../../shared/drift';
import type {
  FilestoreBackupView,
  IamPolicy,
  NodePoolView,
  ProfileView,
  ServiceAccountKeyView,
  SqlBackupRunView,
  SqlInstanceView,
} from '../../../shared/gcp';
import { loadFixture } from '../../helpers/factories';

/** Pure comparisons of desired state with small in-memory live data. */

const NOW = '2025-06-02T09:00:00.000Z';
/** The fixture's policies, without Terraform's authoritative IAP binding (its own test adds one). */
const PLATFORM: PlatformState = { ...desiredStateFromFixture(loadFixture()), authoritativeBindings: [] };
const GSA = PLATFORM.kubeflow.userServiceAccount;
const PROJECT = PLATFORM.projectId;

const user = (email: string, role: string, extra: Partial<UserState> = {}): UserState => ({
  email,
  role,
  updatedAt: NOW,
  ...extra,
});

const policy = (bindings: IamPolicy['bindings']): IamPolicy => ({ version: 3, etag: 'e', bindings });

const profile = (name: string, owner: string, extra: Partial<ProfileView> = {}): ProfileView => ({
  name,
  ownerEmail: owner,
  gcpServiceAccount: GSA,
  labels: { 'profile-type': 'personal' },
  state: 'ready',
  ...extra,
});

const wiMember = (namespace: string): string =>
  `serviceAccount:${PROJECT}.svc.id.goog[${namespace}/default-editor]`;

const access = (parts: Partial<LiveAccess> = {}): LiveAccess => ({
  projectPolicy: policy([]),
  iapPolicy: policy([]),
  serviceAccountPolicies: { [GSA]: policy([]) },
  profiles: [],
  contributorBindings: {},
  ...parts,
});

const only = (findings: UnmodedFinding[], kind: string): UnmodedFinding => {
  const matching = findings.filter((finding) => finding.kind === kind);
  expect(matching).toHaveLength(1);
  return matching[0] as UnmodedFinding;
};

describe('compareAccess', () => {
  const ada = user('ada@acme.ai', 'ml-engineer', { profile: 'ada' });
  const inSync = (): LiveAccess =>
    access({
      projectPolicy: policy([
        { role: 'roles/container.clusterViewer', members: ['user:ada@acme.ai'] },
        { role: 'roles/container.developer', members: ['user:ada@acme.ai'] },
      ]),
      iapPolicy: policy([{ role: 'roles/iap.httpsResourceAccessor', members: ['user:ada@acme.ai'] }]),
      serviceAccountPolicies: {
        [GSA]: policy([{ role: 'roles/iam.workloadIdentityUser', members: [wiMember('ada')] }]),
      },
      profiles: [profile('ada', 'ada@acme.ai')],
    });

  it('finds nothing when a user holds exactly their template', () => {
    // Act
    const findings = compareAccess(PLATFORM, [ada], inSync(), NOW);
    // Assert
    expect(findings).toEqual([]);
  });

  it('reports a missing grant with user.add as the fix', () => {
    // Prepare
    const live = inSync();
    live.projectPolicy = policy([{ role: 'roles/container.clusterViewer', members: ['user:ada@acme.ai'] }]);
    // Act
    const finding = only(compareAccess(PLATFORM, [ada], live, NOW), 'project-grants');
    // Assert
    expect(finding.message).toMatch(/missing roles\/container\.developer/);
    expect(finding.fix).toEqual({
      command: { type: 'user.add', args: { email: 'ada@acme.ai', role: 'ml-engineer', profile: true } },
      cli: 'opsplane user add ada@acme.ai --role ml-engineer',
    });
  });

  it('reports an editor role outside the template as high, fixed by iam.bindings.reconcile of that member', () => {
    // Prepare
    const live = inSync();
    live.projectPolicy.bindings.push({ role: 'roles/editor', members: ['user:ada@acme.ai'] });
    // Act
    const findings = compareAccess(PLATFORM, [ada], live, NOW);
    // Assert
    const finding = only(findings, 'human-owner-or-editor');
    expect(finding.severity).toBe('high');
    expect(finding.fix?.command).toEqual({
      type: 'iam.bindings.reconcile',
      args: { policy: 'project', members: ['user:ada@acme.ai'] },
    });
    expect(finding.message).toMatch(/iam\.bindings\.reconcile removes roles\/editor/);
    // ...and the project policy's own finding, one for the whole policy.
    expect(only(findings, 'unmanaged-bindings')).toMatchObject({
      resource: `project-iam/${PROJECT}`,
      severity: 'high',
      actual: {
        'user:ada@acme.ai': ['roles/container.clusterViewer', 'roles/container.developer', 'roles/editor'],
      },
      desired: { 'user:ada@acme.ai': ['roles/container.clusterViewer', 'roles/container.developer'] },
      fix: {
        command: {
          type: 'iam.bindings.reconcile',
          args: { policy: 'project', members: ['user:ada@acme.ai'] },
        },
      },
    });
  });

  it('leaves a grant of a role opsplane does not manage without a fix, and out of the policy finding', () => {
    // Prepare
    const live = inSync();
    live.projectPolicy.bindings.push({ role: 'roles/bigquery.dataViewer', members: ['user:ada@acme.ai'] });
    // Act
    const findings = compareAccess(PLATFORM, [ada], live, NOW);
    // Assert
    const finding = only(findings, 'unexpected-grant');
    expect(finding.fix).toBeUndefined();
    expect(finding.message).toMatch(/in no role opsplane manages/);
    expect(findings.filter((candidate) => candidate.kind === 'unmanaged-bindings')).toEqual([]);
  });

  it('wants the expiry condition on every binding of a time-bound user', () => {
    // Prepare
    const nina = user('nina@acme.ai', 'contractor', { expiresAt: '2025-07-31T00:00:00Z' });
    const condition = {
      title: 'anything',
      expression: 'request.time < timestamp("2025-07-31T00:00:00Z")',
    };
    const live = access({
      projectPolicy: policy([
        { role: 'roles/container.clusterViewer', members: ['user:nina@acme.ai'] },
        { role: 'roles/container.developer', members: ['user:nina@acme.ai'], condition },
      ]),
      iapPolicy: policy([
        { role: 'roles/iap.httpsResourceAccessor', members: ['user:nina@acme.ai'], condition },
      ]),
    });
    // Act
    const findings = compareAccess(PLATFORM, [nina], live, NOW);
    // Assert: the titles differ but the expressions match; only the unconditional viewer is wrong.
    const finding = only(findings, 'project-grants');
    expect(finding.message).toMatch(
      /held without the desired condition: roles\/container\.clusterViewer$|roles\/container\.clusterViewer;/,
    );
    expect(finding.fix?.cli).toBe(
      'opsplane user add nina@acme.ai --role contractor --no-profile --expires-at 2025-07-31T00:00:00Z',
    );
    expect(findings.filter((f) => f.kind === 'iap-grants')).toEqual([]);
  });

  it('reports access after a user expired, fixed by user.remove', () => {
    // Prepare
    const gone = user('old@acme.ai', 'analyst', { expiresAt: '2025-01-01T00:00:00Z' });
    const live = access({
      iapPolicy: policy([{ role: 'roles/iap.httpsResourceAccessor', members: ['user:old@acme.ai'] }]),
    });
    // Act
    const finding = only(compareAccess(PLATFORM, [gone], live, NOW), 'expired-access');
    // Assert
    expect(finding.fix?.command).toEqual({ type: 'user.remove', args: { email: 'old@acme.ai' } });
  });

  it('gathers everything an unmanaged person holds into one finding fixed by user.remove', () => {
    // Prepare
    const live = inSync();
    live.projectPolicy.bindings.push({ role: 'roles/owner', members: ['user:ex@acme.ai'] });
    live.iapPolicy.bindings[0]?.members.push('user:ex@acme.ai');
    live.serviceAccountPolicies[GSA]?.bindings.push({
      role: 'roles/iam.serviceAccountUser',
      members: ['user:ex@acme.ai'],
    });
    live.profiles.push(profile('ex', 'ex@acme.ai'));
    live.contributorBindings['ex@acme.ai'] = [
      { namespace: 'team-x', name: 'rb', email: 'ex@acme.ai', role: 'edit', managedByProfile: false },
    ];
    // Act
    const finding = only(compareAccess(PLATFORM, [ada], live, NOW), 'unmanaged-access');
    // Assert
    expect(finding.resource).toBe('user/ex@acme.ai');
    expect(finding.actual).toEqual({
      project: ['roles/owner'],
      iap: ['roles/iap.httpsResourceAccessor'],
      serviceAccounts: { [GSA]: ['roles/iam.serviceAccountUser'] },
      profiles: ['ex'],
      contributorIn: ['team-x (edit)'],
    });
    expect(finding.message).toMatch(/admin-like: roles\/owner/);
    expect(finding.fix?.cli).toBe('opsplane user remove ex@acme.ai');
  });

  it('reports a missing profile, a foreign owner and missing workload identity', () => {
    // Prepare
    const bea = user('bea@acme.ai', 'data-scientist', { profile: 'bea' });
    const live = inSync();
    live.projectPolicy.bindings.push({
      role: 'roles/container.clusterViewer',
      members: ['user:bea@acme.ai'],
    });
    live.iapPolicy.bindings[0]?.members.push('user:bea@acme.ai');
    live.profiles = [profile('ada', 'someone@acme.ai')];
    live.serviceAccountPolicies[GSA] = policy([]);
    // Act
    const findings = compareAccess(PLATFORM, [ada, bea], live, NOW);
    // Assert
    expect(only(findings, 'missing-profile')).toMatchObject({
      resource: 'user/bea@acme.ai',
      fix: { command: { type: 'user.add' } },
    });
    expect(only(findings, 'profile-owner')).toMatchObject({
      resource: 'user/ada@acme.ai',
      actual: { owner: 'someone@acme.ai' },
    });
    expect(only(findings, 'workload-identity').actual).toEqual({ gcpServiceAccount: GSA, bound: false });
  });

  it('reports a managed member outside an authoritative binding, and stale workload identity', () => {
    // Prepare
    const grace = user('grace@acme.ai', 'analyst');
    const platform: PlatformState = {
      ...PLATFORM,
      authoritativeBindings: [
        {
          policy: 'iap',
          role: 'roles/iap.httpsResourceAccessor',
          members: ['user:ada@acme.ai'],
          source: 'terraform x',
        },
      ],
    };
    const live = inSync();
    live.iapPolicy.bindings[0]?.members.push('user:grace@acme.ai');
    live.projectPolicy.bindings.push(
      { role: 'roles/container.clusterViewer', members: ['user:grace@acme.ai'] },
      { role: 'roles/storage.objectViewer', members: ['user:grace@acme.ai'] },
    );
    live.serviceAccountPolicies[GSA]?.bindings.push({
      role: 'roles/iam.workloadIdentityUser',
      members: [wiMember('gone-profile')],
    });
    // Act
    const findings = compareAccess(platform, [ada, grace], live, NOW);
    // Assert
    expect(only(findings, 'authoritative-binding')).toMatchObject({
      resource: `iap/${PLATFORM.projectNumber}`,
      actual: { member: 'user:grace@acme.ai' },
    });
    expect(only(findings, 'authoritative-binding').fix).toBeUndefined();
    expect(only(findings, 'stale-workload-identity').resource).toBe('profile/gone-profile');
  });
});

describe('compareGpuPools', () => {
  const pool = (min: number, max: number): NodePoolView => ({
    name: 'gpu-a100-pool',
    status: 'RUNNING',
    locations: ['us-central1-a'],
    autoscaling: { enabled: true, minNodeCount: min, maxNodeCount: max },
    sizeByZone: {},
  });

  /** Monday 12:00 and 23:00, Saturday 12:00, in Chicago (CDT). */
  const MONDAY_NOON = '2025-06-02T17:00:00Z';
  const MONDAY_NIGHT = '2025-06-03T04:00:00Z';
  const SATURDAY_NOON = '2025-06-07T17:00:00Z';
  /** Day bounds 1-2, scaled down 19:00 to 07:00 on weekdays, down all weekend. */
  const withOffHours: PlatformState = {
    ...PLATFORM,
    gpuPools: {
      'gpu-a100-pool': {
        autoscaling: { enabled: true, minNodeCount: 1, maxNodeCount: 2 },
        limits: { maxNodesPerZone: 2 },
        offHours: { timeZone: 'America/Chicago', scaleDownAt: '19:00', scaleUpAt: '07:00', weekends: 'off' },
      },
    },
  };

  it('reports bounds that differ, fixed by gpu.autoscaling.set to the desired ones', () => {
    // Act
    const findings = compareGpuPools(PLATFORM, { 'gpu-a100-pool': pool(0, 3) }, MONDAY_NOON);
    // Assert
    expect(only(findings, 'autoscaling-bounds')).toMatchObject({
      desired: { minNodeCount: 0, maxNodeCount: 2 },
      actual: { maxNodeCount: 3 },
      fix: {
        command: { type: 'gpu.autoscaling.set', args: { pool: 'gpu-a100-pool', min: 0, max: 2 } },
        cli: 'opsplane gpu autoscaling --min 0 --max 2 --pool gpu-a100-pool',
      },
    });
  });

  it('finds nothing when the bounds match', () => {
    // Act, Assert
    expect(compareGpuPools(PLATFORM, { 'gpu-a100-pool': pool(0, 2) }, MONDAY_NOON)).toEqual([]);
  });

  it('expects the day bounds outside the off-hours window and the night bounds inside it', () => {
    // Act
    const dayAtDay = compareGpuPools(withOffHours, { 'gpu-a100-pool': pool(1, 2) }, MONDAY_NOON);
    const nightAtNight = compareGpuPools(withOffHours, { 'gpu-a100-pool': pool(0, 2) }, MONDAY_NIGHT);
    const nightOnSaturday = compareGpuPools(withOffHours, { 'gpu-a100-pool': pool(0, 2) }, SATURDAY_NOON);
    const nightAtDay = compareGpuPools(withOffHours, { 'gpu-a100-pool': pool(0, 2) }, MONDAY_NOON);
    const dayAtNight = compareGpuPools(withOffHours, { 'gpu-a100-pool': pool(1, 2) }, MONDAY_NIGHT);
    const bumpedAtNight = compareGpuPools(withOffHours, { 'gpu-a100-pool': pool(0, 3) }, MONDAY_NIGHT);
    // Assert
    expect([...dayAtDay, ...nightAtNight, ...nightOnSaturday]).toEqual([]);
    expect(only(nightAtDay, 'autoscaling-bounds')).toMatchObject({
      desired: { minNodeCount: 1, maxNodeCount: 2, offHoursWindow: false },
      fix: { command: { args: { pool: 'gpu-a100-pool', min: 1, max: 2 } } },
    });
    expect(only(nightAtDay, 'autoscaling-bounds').message).toMatch(/the morning restore did not run/);
    expect(only(dayAtNight, 'off-hours-not-applied')).toMatchObject({
      severity: 'low',
      desired: { minNodeCount: 0, maxNodeCount: 2, offHoursWindow: true },
      fix: {
        command: { args: { pool: 'gpu-a100-pool', min: 0, max: 2, offHours: true } },
        cli: 'opsplane gpu autoscaling --min 0 --max 2 --pool gpu-a100-pool --off-hours',
      },
    });
    expect(only(dayAtNight, 'off-hours-not-applied').message).toMatch(
      /inside the off-hours window \(19:00–07:00 America\/Chicago\).*the evening scale-down did not run/,
    );
    expect(only(bumpedAtNight, 'autoscaling-bounds').message).toMatch(
      /a manual change; inside the off-hours window/,
    );
  });
});

describe('compareSql', () => {
  const INSTANCE = PLATFORM.sql.instances[0] as string;
  const view = (extra: Partial<SqlInstanceView> = {}): SqlInstanceView => ({
    name: INSTANCE,
    state: 'RUNNABLE',
    databaseVersion: 'MYSQL_8_0',
    activationPolicy: 'ALWAYS',
    backupEnabled: true,
    pitrEnabled: true,
    deletionProtectionEnabled: true,
    settingsVersion: '1',
    ...extra,
  });
  const run = (id: string, time: string, extra: Partial<SqlBackupRunView> = {}): SqlBackupRunView => ({
    id,
    status: 'SUCCESSFUL',
    type: 'AUTOMATED',
    endTime: time,
    ...extra,
  });

  it('finds nothing with a fresh backup and protection on', () => {
    // Act, Assert
    expect(
      compareSql(
        PLATFORM,
        { [INSTANCE]: { instance: view(), backupRuns: [run('1', '2025-06-02T03:04:00Z')] } },
        NOW,
      ),
    ).toEqual([]);
  });

  it('reports a stale backup, a failed on-demand run, protection off and runs past retention', () => {
    // Prepare
    const runs = [
      run('1', '2025-05-30T03:00:00Z'),
      run('2', '2025-06-01T09:00:00Z', { type: 'ON_DEMAND', status: 'FAILED', description: 'pre-upgrade' }),
      run('3', '2025-05-20T09:00:00Z', { type: 'ON_DEMAND' }),
      run('4', '2025-05-10T09:00:00Z', { type: 'ON_DEMAND' }),
      run('5', '2024-12-01T09:00:00Z', { type: 'ON_DEMAND', description: 'manual' }),
    ];
    // Act
    const findings = compareSql(
      PLATFORM,
      { [INSTANCE]: { instance: view({ deletionProtectionEnabled: false }), backupRuns: runs } },
      NOW,
    );
    // Assert
    expect(only(findings, 'backup-stale').fix?.command).toEqual({
      type: 'sql.backup',
      args: { instance: INSTANCE },
    });
    expect(only(findings, 'backup-failed').fix?.cli).toBe(
      `opsplane sql backup ${INSTANCE} --description pre-upgrade`,
    );
    expect(only(findings, 'deletion-protection').fix).toEqual({
      command: { type: 'sql.protect', args: { instance: INSTANCE, deletionProtection: true } },
      cli: `opsplane sql protect ${INSTANCE}`,
    });
    expect(only(findings, 'retention')).toMatchObject({
      actual: { outsideRetention: [{ id: '5' }] },
      fix: { command: { type: 'sql.backups.prune', args: { instance: INSTANCE } } },
    });
  });

  it('reports a missing instance', () => {
    // Act, Assert
    expect(
      only(compareSql(PLATFORM, { [INSTANCE]: { backupRuns: [] } }, NOW), 'instance-missing').severity,
    ).toBe('high');
  });
});

describe('compareFilestore', () => {
  const [NAME, RECORD] = Object.entries(PLATFORM.filestore.instances)[0] as [string, { location: string }];
  const backup = (
    id: string,
    createTime: string,
    labels: Record<string, string> = { 'managed-by': 'acme-ops' },
  ): FilestoreBackupView =>
    ({
      id,
      name: `projects/p/locations/r/backups/${id}`,
      location: 'r',
      description: '',
      sourceInstance: '',
      sourceInstanceKey: `${RECORD.location}/${NAME}`,
      sourceFileShare: 'share',
      sourceInstanceTier: 'BASIC_HDD',
      state: 'READY',
      createTime,
      labels,
    }) as FilestoreBackupView;
  const instance = {
    name: NAME,
    location: RECORD.location,
    tier: 'BASIC_HDD',
    state: 'READY',
    statusMessage: '',
    shares: [],
    supportsSnapshots: false,
    supportsInPlaceRestore: true,
  };

  it('reports a backup older than the 24 h recovery point, and backups outside retention (never pinned ones)', () => {
    // Prepare: ten dailies ending three days ago, plus an old pinned one.
    const backups = Array.from({ length: 10 }, (_, day) =>
      backup(`d${day}`, new Date(Date.parse('2025-05-30T04:00:00Z') - day * 86_400_000).toISOString()),
    );
    backups.push(backup('pinned', '2025-04-01T04:00:00Z', { 'managed-by': 'acme-ops', pinned: 'true' }));
    // Act
    const findings = compareFilestore(PLATFORM, { [NAME]: { instance, backups } }, NOW);
    // Assert
    expect(only(findings, 'backup-stale')).toMatchObject({
      actual: { newestReadyBackup: 'd0', ageHours: 77 },
      fix: { cli: `opsplane filestore backup ${NAME}` },
    });
    const retention = only(findings, 'retention');
    expect(retention.fix?.command).toEqual({ type: 'filestore.backups.prune', args: { instance: NAME } });
    expect(JSON.stringify(retention.actual)).not.toContain('pinned');
  });

  it('finds nothing with a fresh backup', () => {
    // Act, Assert
    expect(
      compareFilestore(
        PLATFORM,
        { [NAME]: { instance, backups: [backup('fresh', '2025-06-02T04:00:00Z')] } },
        NOW,
      ),
    ).toEqual([]);
  });
});

describe('compareKeys', () => {
  const ACCOUNT = Object.keys(PLATFORM.keys.serviceAccounts)[0] as string;
  const key = (id: string, validAfterTime: string, disabled = false): ServiceAccountKeyView => ({
    id,
    name: `projects/p/serviceAccounts/${ACCOUNT}/keys/${id}`,
    validAfterTime,
    validBeforeTime: '9999-12-31T23:59:59Z',
    disabled,
    keyOrigin: 'GOOGLE_PROVIDED',
  });
  const platform: PlatformState = {
    ...PLATFORM,
    keys: {
      ...PLATFORM.keys,
      serviceAccounts: { [ACCOUNT]: { secret: 's', holders: ['ada@acme.ai', 'gone@acme.ai'] } },
    },
  };

  it('reports an old key, two active keys and a copy held by an unmanaged person, all fixed by keys.rotate', () => {
    // Act
    const findings = compareKeys(
      platform,
      {
        [ACCOUNT]: [
          key('old', '2024-10-01T00:00:00Z'),
          key('new', '2025-05-20T00:00:00Z'),
          key('off', '2024-01-01T00:00:00Z', true),
        ],
      },
      [user('ada@acme.ai', 'analyst')],
      NOW,
    );
    // Assert
    expect(only(findings, 'key-age').actual).toEqual({
      keys: [{ id: 'old', validAfterTime: '2024-10-01T00:00:00Z', ageDays: 244 }],
    });
    expect(only(findings, 'multiple-active-keys').actual).toMatchObject({
      activeKeys: [{ id: 'old' }, { id: 'new' }],
    });
    expect(only(findings, 'key-held-by-unmanaged').actual).toEqual({ holders: ['gone@acme.ai'] });
    for (const finding of findings) expect(finding.fix?.cli).toBe(`opsplane keys rotate ${ACCOUNT}`);
  });
});

describe('modes, scope and the report', () => {
  const live = (parts: Partial<LivePlatform> = {}): LivePlatform => ({
    now: NOW,
    nodePools: {},
    sql: {},
    filestore: {},
    keys: {},
    unreadable: [],
    ...parts,
  });
  const bumped: NodePoolView = {
    name: 'gpu-a100-pool',
    status: 'RUNNING',
    locations: [],
    autoscaling: { enabled: true, minNodeCount: 0, maxNodeCount: 3 },
    sizeByZone: {},
  };

  it('takes a resource’s own mode, then its kind’s wildcard, then the default (observe without a policy)', () => {
    // Prepare
    const policy = {
      defaultMode: 'observe' as const,
      resources: { 'user/*': 'enforce' as const, 'user/ada@acme.ai': 'paused' as const },
    };
    // Act, Assert
    expect(modeOf('user/ada@acme.ai', policy)).toBe('paused');
    expect(modeOf('user/bea@acme.ai', policy)).toBe('enforce');
    expect(modeOf('sql/x', policy)).toBe('observe');
    expect(modeOf('sql/x', undefined)).toBe('observe');
  });

  it('leaves paused resources out, counts the rest, and reports unreadable ones', () => {
    // Prepare
    const platform: PlatformState = {
      ...PLATFORM,
      reconcile: { defaultMode: 'enforce', resources: { 'sql/*': 'paused' } },
    };
    const state = live({
      nodePools: { 'gpu-a100-pool': bumped },
      sql: { [PLATFORM.sql.instances[0] as string]: { backupRuns: [] } },
      unreadable: [{ resource: 'keys/x@p.iam.gserviceaccount.com', message: 'PERMISSION_DENIED' }],
    });
    // Act
    const report = buildDriftReport(platform, [], state);
    // Assert
    expect(report.findings.map((f: DriftFinding) => `${f.resource}:${f.kind}:${f.mode}`)).toEqual([
      'gpu-pool/gpu-a100-pool:autoscaling-bounds:enforce',
      'keys/x@p.iam.gserviceaccount.com:unreadable:enforce',
    ]);
    expect(report.counts).toMatchObject({ total: 2, fixable: 1, byMode: { enforce: 2, observe: 0 } });
    expect(renderDriftReport(report)).toMatch(
      /fix: {5}opsplane gpu autoscaling --min 0 --max 2 --pool gpu-a100-pool/,
    );
  });

  it('filters by scope: kinds, and single resources', () => {
    // Act, Assert
    expect([...kindsOfScope(['sql', 'user/ada@acme.ai'])].sort()).toEqual(['sql', 'user']);
    expect(kindsOfScope([]).size).toBeGreaterThan(5);
    expect(inScope('user/ada@acme.ai', ['user'])).toBe(true);
    expect(inScope('user/ada@acme.ai', ['user/bea@acme.ai'])).toBe(false);
    expect(inScope('sql/x', [])).toBe(true);
    expect(
      buildDriftReport(PLATFORM, [], live({ nodePools: { 'gpu-a100-pool': bumped } }), ['sql']).findings,
    ).toEqual([]);
  });

  it('caps the stored findings and says how many were left out', () => {
    // Prepare: more unreadable resources than a report keeps.
    const unreadable = Array.from({ length: MAX_REPORT_FINDINGS + 5 }, (_, i) => ({
      resource: `keys/a${i}@p.iam.gserviceaccount.com`,
      message: 'x',
    }));
    // Act
    const report = buildDriftReport(PLATFORM, [], live({ unreadable }));
    // Assert
    expect(report.findings).toHaveLength(MAX_REPORT_FINDINGS);
    expect(report.truncated).toBe(5);
    expect(report.counts.total).toBe(MAX_REPORT_FINDINGS + 5);
  });
});
