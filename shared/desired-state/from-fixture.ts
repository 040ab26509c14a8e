import { ConfigError } from '../errors';
import {
  type AccessPolicy,
  type GpuPoolPolicy,
  type OffHoursWindow,
  OffHoursWindowSchema,
  type PlatformState,
  type RoleTemplate,
  type UserState,
} from './platform-state';

/**
 * Builds the initial desired state from a platform description in the fixture format
 * (`../shared/fixtures/*.json`): the APIs' own shapes plus a `desiredState` block.
 */

interface FixtureNodePool {
  name: string;
  locations?: string[];
  config?: { accelerators?: Array<{ acceleratorCount?: string | number; acceleratorType?: string }> };
  autoscaling?: { enabled?: boolean; minNodeCount?: number; maxNodeCount?: number };
}

interface FixtureUser {
  email: string;
  team?: string;
  platformRole: string;
  status: string;
  ownsProfiles?: string[];
  'x-sim'?: { contractEnds?: string };
}

interface PlatformFixture {
  project: { projectId: string; projectNumber: string; region: string };
  gke: {
    clusters: Array<{ name: string; location: string; locations?: string[]; nodePools: FixtureNodePool[] }>;
  };
  computeQuotas?: { quotas?: Array<{ metric: string; limit: number }> };
  desiredState?: {
    gke?: { nodePools?: Record<string, { autoscaling?: FixtureNodePool['autoscaling'] }> };
    cloudSql?: Record<string, unknown>;
    filestore?: Record<string, { keepDaily?: number; keepWeekly?: number }>;
    keys?: { maxAgeDays?: number };
    iam?: { managedAuthoritatively?: string[]; iapMembers?: string[] };
  };
  users?: FixtureUser[];
  cloudSql?: { instances?: Array<{ name: string }> };
  filestore?: { instances?: Array<{ name: string; fileShares?: Array<{ name: string }> }> };
  iam?: {
    serviceAccountKeys?: Array<{ name: string; keyType?: string; 'x-sim'?: { distributedTo?: string[] } }>;
  };
  secretManager?: { secrets?: Array<{ name: string }> };
  kubernetes?: {
    kubeflow?: {
      profiles?: Array<{
        metadata: { name: string; labels?: Record<string, string> };
        spec: {
          plugins?: Array<{ kind: string; spec?: { gcpServiceAccount?: string } }>;
          resourceQuotaSpec?: { hard?: Record<string, string> };
        };
      }>;
    };
  };
  opsPolicy?: {
    retention?: {
      cloudSqlOnDemand?: { keepDays?: number; minKeep?: number; neverDeleteDescriptionsMatching?: string[] };
      filestoreBackups?: {
        keepDaily?: number;
        keepWeekly?: number;
        neverDeleteLabels?: Record<string, string>;
      };
    };
    keyRotation?: { maxAgeDays?: number; disableBeforeDeleteDays?: number };
    approvals?: { approvers?: string[] };
    offHours?: {
      nodePool?: string;
      timezone?: string;
      timeZone?: string;
      weekdays?: { scaleDownAt?: string; scaleUpAt?: string };
      weekends?: string;
    };
  };
}

/**
 * The role templates of the ops catalog (§1.1), with the project roles the fixture's users of each
 * platform role hold. `platform-admin` is the fixture's own extra role (owner).
 */
const DEFAULT_ROLE_TEMPLATES: Record<string, RoleTemplate> = {
  'ml-engineer': {
    description: 'Builds and runs training pipelines; deploys to the cluster',
    projectRoles: ['roles/container.clusterViewer', 'roles/container.developer'],
    iap: true,
    profile: true,
    requiresExpiry: false,
  },
  'data-scientist': {
    description: 'Notebooks and pipelines in their own profile',
    projectRoles: ['roles/container.clusterViewer'],
    iap: true,
    profile: true,
    requiresExpiry: false,
  },
  analyst: {
    description: 'Reads results and datasets; no profile by default',
    projectRoles: ['roles/container.clusterViewer', 'roles/storage.objectViewer'],
    iap: true,
    profile: false,
    requiresExpiry: false,
  },
  'platform-engineer': {
    description: 'Operates the platform (cluster, databases, file shares)',
    projectRoles: ['roles/container.admin', 'roles/cloudsql.admin', 'roles/file.editor'],
    iap: true,
    profile: true,
    requiresExpiry: false,
  },
  contractor: {
    description: 'Time-bound developer access; every binding expires',
    projectRoles: ['roles/container.clusterViewer', 'roles/container.developer'],
    iap: true,
    profile: false,
    requiresExpiry: true,
  },
  'platform-admin': {
    description: 'Owns the project',
    projectRoles: ['roles/owner', 'roles/container.admin'],
    iap: true,
    profile: true,
    requiresExpiry: false,
  },
};

/**
 * Commands schedules run on their own (issue: scheduled maintenance). The scheduled reconcile
 * submits its fixes under its own `schedule:` actor, so every fix command drift can name is here,
 * `user.*` included (enforce mode on `user/*`); approvals still apply to each as to anyone.
 */
const SCHEDULE_PERMISSIONS = [
  'sql.backup',
  'sql.backups.prune',
  'filestore.backup',
  'filestore.snapshot',
  'filestore.backups.prune',
  'keys.rotate',
  'keys.prune',
  'keys.check',
  'drift.report',
  'sql.protect',
  'reconcile.run',
  'iam.bindings.reconcile',
  'user.add',
  'user.remove',
  'gpu.*',
];

/** Who may do what: the platform team everything; users routine backups; schedules and runbooks their jobs. */
const accessFromFixture = (fixture: PlatformFixture): AccessPolicy => {
  const active = (fixture.users ?? []).filter((user) => user.status === 'active');
  const platformTeam = active.filter((user) => user.team === 'platform').map((user) => `user:${user.email}`);
  const others = active.filter((user) => user.team !== 'platform').map((user) => `user:${user.email}`);
  return {
    groups: { platform: platformTeam, 'ml-users': others, operators: [] },
    grants: [
      { principal: 'group:platform', permissions: ['*'] },
      { principal: 'group:operators', permissions: ['*'] },
      { principal: 'group:ml-users', permissions: ['sql.backup', 'filestore.backup', 'filestore.snapshot'] },
      { principal: 'schedule:*', permissions: SCHEDULE_PERMISSIONS },
      { principal: 'runbook:*', permissions: ['user.*', 'keys.*', 'sql.*', 'filestore.*', 'gpu.*'] },
    ],
    approvers: (fixture.opsPolicy?.approvals?.approvers ?? []).map((email) => `user:${email}`),
  };
};

/**
 * The fixture's off-hours policy (`opsPolicy.offHours`) and the pool it names (default: the first
 * GPU pool); undefined when it states none.
 *
 * @throws ConfigError when it states one that is malformed.
 */
const offHoursOf = (
  fixture: PlatformFixture,
  defaultPool: string,
): { pool: string; window: OffHoursWindow } | undefined => {
  const raw = fixture.opsPolicy?.offHours;
  if (!raw) return undefined;
  const parsed = OffHoursWindowSchema.safeParse({
    timeZone: raw.timezone ?? raw.timeZone,
    scaleDownAt: raw.weekdays?.scaleDownAt,
    scaleUpAt: raw.weekdays?.scaleUpAt,
    weekends: raw.weekends,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `opsPolicy.offHours is invalid: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'malformed'}`,
    );
  }
  return { pool: raw.nodePool ?? defaultPool, window: parsed.data };
};

/** `projects/p/locations/us-central1-a/instances/x` → its parts. */
const parseInstanceName = (name: string): { location: string; instance: string } => {
  const parts = name.split('/');
  return { location: parts[3] ?? '', instance: parts[5] ?? name };
};

const lastSegment = (name: string): string => name.split('/').pop() ?? name;

/** `gsa-metaflow-prod@…` → `gsa-metaflow-prod-key`, unless the fixture stores its keys in a secret already. */
const keySecretFor = (email: string, secrets: readonly string[]): string => {
  const account = email.split('@')[0] ?? email;
  return secrets.find((secret) => secret === `${account}-key`) ?? `${account}-key`;
};

/** `nvidia-tesla-a100` → `NVIDIA_A100_GPUS`, the regional Compute quota metric for that GPU. */
const gpuQuotaMetric = (acceleratorType: string): string =>
  `NVIDIA_${acceleratorType
    .replace(/^nvidia-(tesla-)?/, '')
    .replace(/-/g, '_')
    .toUpperCase()}_GPUS`;

/**
 * The policy ceiling for a GPU pool, when the fixture states none: what the regional GPU quota can
 * hold with the pool spread over all its zones. Without a quota entry, the desired maximum.
 */
const derivedMaxNodesPerZone = (
  pool: FixtureNodePool,
  fixture: PlatformFixture,
  desiredMax: number,
): number => {
  const accelerator = pool.config?.accelerators?.[0];
  const zones = pool.locations?.length ?? 1;
  const perNode = Number(accelerator?.acceleratorCount ?? 1);
  const quota = accelerator?.acceleratorType
    ? fixture.computeQuotas?.quotas?.find(
        (q) => q.metric === gpuQuotaMetric(accelerator.acceleratorType ?? ''),
      )
    : undefined;
  return quota ? Math.max(desiredMax, Math.floor(quota.limit / (perNode * zones))) : desiredMax;
};

const desiredStateFromFixture = (raw: unknown): PlatformState => {
  const fixture = raw as PlatformFixture;
  const cluster = fixture.gke?.clusters?.[0];
  if (!fixture.project?.projectId || !cluster) {
    throw new ConfigError('fixture has no project or no GKE cluster');
  }
  const gpuPools = cluster.nodePools.filter((pool) => (pool.config?.accelerators?.length ?? 0) > 0);
  const defaultPool = gpuPools[0];
  if (!defaultPool) throw new ConfigError(`cluster ${cluster.name} has no node pool with accelerators`);

  const policies: Record<string, GpuPoolPolicy> = {};
  for (const pool of gpuPools) {
    const wanted = fixture.desiredState?.gke?.nodePools?.[pool.name]?.autoscaling ?? pool.autoscaling ?? {};
    const autoscaling = {
      enabled: wanted.enabled ?? false,
      minNodeCount: wanted.minNodeCount ?? 0,
      maxNodeCount: wanted.maxNodeCount ?? 0,
    };
    policies[pool.name] = {
      autoscaling,
      limits: { maxNodesPerZone: derivedMaxNodesPerZone(pool, fixture, autoscaling.maxNodeCount) },
    };
  }
  const offHours = offHoursOf(fixture, defaultPool.name);
  if (offHours) {
    const policy = policies[offHours.pool];
    if (!policy) {
      throw new ConfigError(`opsPolicy.offHours names node pool ${offHours.pool}, which is not a GPU pool`);
    }
    policy.offHours = offHours.window;
  }
  const retention = fixture.opsPolicy?.retention;
  const secrets = (fixture.secretManager?.secrets ?? []).map((secret) => lastSegment(secret.name));
  const keyAccounts: PlatformState['keys']['serviceAccounts'] = {};
  for (const key of fixture.iam?.serviceAccountKeys ?? []) {
    if (key.keyType !== 'USER_MANAGED') continue;
    const email = key.name.split('/')[3] ?? '';
    const holders = new Set([...(keyAccounts[email]?.holders ?? []), ...(key['x-sim']?.distributedTo ?? [])]);
    keyAccounts[email] = { secret: keySecretFor(email, secrets), holders: [...holders].sort() };
  }
  const profiles = fixture.kubernetes?.kubeflow?.profiles ?? [];
  const personal = profiles.find((profile) => profile.metadata.labels?.['profile-type'] === 'personal');
  const workloadIdentity = personal?.spec.plugins?.find((plugin) => plugin.kind === 'WorkloadIdentity');
  const filestoreRetention = retention?.filestoreBackups;
  const iapMembers = fixture.desiredState?.iam?.iapMembers;
  const iapOwner = fixture.desiredState?.iam?.managedAuthoritatively?.find((entry) =>
    entry.startsWith('roles/iap.httpsResourceAccessor'),
  );
  return {
    projectId: fixture.project.projectId,
    projectNumber: fixture.project.projectNumber,
    region: fixture.project.region,
    gke: { location: cluster.location, cluster: cluster.name, gpuPool: defaultPool.name },
    gpuPools: policies,
    roleTemplates: DEFAULT_ROLE_TEMPLATES,
    access: accessFromFixture(fixture),
    kubeflow: {
      userServiceAccount:
        workloadIdentity?.spec?.gcpServiceAccount ??
        `kf-user@${fixture.project.projectId}.iam.gserviceaccount.com`,
      defaultQuota: { hard: personal?.spec.resourceQuotaSpec?.hard ?? { 'requests.cpu': '8' } },
    },
    sql: {
      instances: (fixture.cloudSql?.instances ?? []).map((instance) => instance.name),
      retention: {
        keepDays: retention?.cloudSqlOnDemand?.keepDays ?? 60,
        minKeep: retention?.cloudSqlOnDemand?.minKeep ?? 2,
        neverDeleteDescriptionsMatching: retention?.cloudSqlOnDemand?.neverDeleteDescriptionsMatching ?? [],
      },
    },
    filestore: {
      instances: Object.fromEntries(
        (fixture.filestore?.instances ?? []).map((instance) => {
          const { location, instance: id } = parseInstanceName(instance.name);
          return [id, { location, share: instance.fileShares?.[0]?.name ?? 'share1' }];
        }),
      ),
      retention: {
        keepDaily: filestoreRetention?.keepDaily ?? 7,
        keepWeekly: filestoreRetention?.keepWeekly ?? 4,
        neverDeleteLabels: filestoreRetention?.neverDeleteLabels ?? { pinned: 'true' },
      },
      backupLabels: { 'managed-by': 'acme-ops' },
    },
    keys: {
      maxAgeDays: fixture.opsPolicy?.keyRotation?.maxAgeDays ?? fixture.desiredState?.keys?.maxAgeDays ?? 90,
      disableBeforeDeleteDays: fixture.opsPolicy?.keyRotation?.disableBeforeDeleteDays ?? 7,
      defaultGraceHours: 24,
      serviceAccounts: keyAccounts,
    },
    // Terraform's authoritative IAP binding: members it does not list vanish on its next apply.
    ...(iapMembers
      ? {
          authoritativeBindings: [
            {
              policy: 'iap' as const,
              role: 'roles/iap.httpsResourceAccessor',
              members: [...iapMembers].sort(),
              source: `terraform ${/\((\S+)\)/.exec(iapOwner ?? '')?.[1] ?? 'iam binding'}`,
            },
          ],
        }
      : {}),
  };
};

/**
 * The users desired state starts with: the fixture's active users with their platform role and
 * personal profile. Departed users are left out on purpose: that they still hold access is drift.
 */
const usersFromFixture = (raw: unknown, now: Date): UserState[] => {
  const fixture = raw as PlatformFixture;
  const personal = new Set(
    (fixture.kubernetes?.kubeflow?.profiles ?? [])
      .filter((profile) => profile.metadata.labels?.['profile-type'] === 'personal')
      .map((profile) => profile.metadata.name),
  );
  return (fixture.users ?? [])
    .filter((user) => user.status === 'active')
    .map((user) => {
      const profile = (user.ownsProfiles ?? []).find((name) => personal.has(name));
      const contractEnds = user['x-sim']?.contractEnds;
      return {
        email: user.email,
        role: user.platformRole,
        ...(user.team ? { team: user.team } : {}),
        ...(profile ? { profile } : {}),
        ...(contractEnds ? { expiresAt: `${contractEnds}T00:00:00Z` } : {}),
        updatedAt: now.toISOString(),
      };
    });
};

/**
 * Desired state with `actor` in the `operators` group (every permission). `npm start` gives the
 * local operator (the CLI's actor) this grant, so that local commands are not refused.
 */
const withOperator = (state: PlatformState, actor: string): PlatformState => {
  const operators = state.access.groups.operators ?? [];
  if (operators.includes(actor)) return state;
  return {
    ...state,
    access: { ...state.access, groups: { ...state.access.groups, operators: [...operators, actor] } },
  };
};

export { DEFAULT_ROLE_TEMPLATES, desiredStateFromFixture, gpuQuotaMetric, usersFromFixture, withOperator };
