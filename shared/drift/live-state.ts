import type { PlatformState, UserState } from '../desired-state';
import { NotFoundError } from '../errors';
import type {
  ContributorBindingView,
  FilestoreBackupView,
  FilestoreInstanceView,
  IamPolicy,
  NodePoolView,
  ProfileView,
  ServiceAccountKeyView,
  SqlBackupRunView,
  SqlInstanceView,
} from '../gcp';
import { backupsOfInstance, filestoreTarget } from '../operations/filestore/filestore-instance';
import { gpuPoolRef } from '../operations/gpu/gpu-pool';
import type { PlatformApis } from '../operations/operation';
import { sqlInstanceRef } from '../operations/sql/sql-instance';
import { iapPolicyTarget, projectPolicyTarget } from '../operations/users/user-access';
import type { Clock } from '../time';
import type { DriftResourceKind } from './drift-finding';

/**
 * The live side of drift detection: one read of everything opsplane manages. The number of calls
 * grows with the number of policies and managed resources, never with users: one getIamPolicy for
 * the project, one for IAP, one per managed service account, one (paged) profile list, node pools,
 * SQL instances and their backup runs, one backup list per Filestore region, keys.list per managed
 * service account. Contributor bindings are the exception the adapter forces (it lists them per
 * email): they are read only for people who hold access without being managed users, at most
 * {@link MAX_CONTRIBUTOR_LOOKUPS}, so their cost grows with drift, not with users.
 */

/** Contributor-binding lookups per collection (each lists every RoleBinding of the cluster). */
const MAX_CONTRIBUTOR_LOOKUPS = 25;

/** The access side: policies, profiles, and the contributor bindings of unmanaged people. */
interface LiveAccess {
  projectPolicy: IamPolicy;
  iapPolicy: IamPolicy;
  /** By service account email: the Kubeflow user GSA and every account of the key policy. */
  serviceAccountPolicies: Record<string, IamPolicy>;
  profiles: ProfileView[];
  /** By email, for the people found holding access without being managed users. */
  contributorBindings: Record<string, ContributorBindingView[]>;
}

/** A Cloud SQL instance opsplane operates, as read; `instance` absent when it does not exist. */
interface LiveSqlInstance {
  instance?: SqlInstanceView;
  backupRuns: SqlBackupRunView[];
}

/** A Filestore instance opsplane operates, with its backups (newest first). */
interface LiveFilestoreInstance {
  instance?: FilestoreInstanceView;
  backups: FilestoreBackupView[];
}

/** Something that could not be read, reported as a finding rather than failing the whole report. */
interface UnreadableResource {
  resource: string;
  message: string;
}

/** What the live platform looked like at `now`; plain data. */
interface LivePlatform {
  now: string;
  /** Absent when no access-related kind was asked for. */
  access?: LiveAccess;
  nodePools: Record<string, NodePoolView>;
  sql: Record<string, LiveSqlInstance>;
  filestore: Record<string, LiveFilestoreInstance>;
  keys: Record<string, ServiceAccountKeyView[]>;
  unreadable: UnreadableResource[];
}

/** What a collection reads with. */
type CollectorDeps = Pick<PlatformApis, 'iam' | 'kubeflow' | 'gke' | 'sql' | 'filestore'> & { clock: Clock };

const ACCESS_KINDS: readonly DriftResourceKind[] = ['user', 'project-iam', 'iap', 'profile'];

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The service accounts whose own policy drift detection reads: the Kubeflow user GSA and the key policy's. */
const managedServiceAccounts = (platform: PlatformState): string[] =>
  [...new Set([platform.kubeflow.userServiceAccount, ...Object.keys(platform.keys.serviceAccounts)])].sort();

/**
 * People holding access who are not managed users: `user:` members of any read policy and owners
 * of profiles. Found with one pass over each policy, so the cost is linear in its size.
 */
const unmanagedPeople = (
  policies: readonly IamPolicy[],
  profiles: readonly ProfileView[],
  managed: ReadonlySet<string>,
): string[] => {
  const found = new Set<string>();
  for (const policy of policies) {
    for (const binding of policy.bindings) {
      for (const member of binding.members) {
        if (!member.startsWith('user:')) continue;
        const email = member.slice('user:'.length).toLowerCase();
        if (!managed.has(email)) found.add(email);
      }
    }
  }
  for (const profile of profiles) {
    const owner = profile.ownerEmail.toLowerCase();
    if (owner && !managed.has(owner)) found.add(owner);
  }
  return [...found].sort();
};

/** Reads the access side: 2 + (managed service accounts) policy reads, one profile list, a few contributor lookups. */
const collectAccess = async (
  platform: PlatformState,
  users: readonly UserState[],
  deps: CollectorDeps,
  unreadable: UnreadableResource[],
): Promise<LiveAccess> => {
  const accounts = managedServiceAccounts(platform);
  const [projectPolicy, iapPolicy, profiles, ...accountPolicies] = await Promise.all([
    deps.iam.getPolicy(projectPolicyTarget(platform)),
    deps.iam.getPolicy(iapPolicyTarget(platform)),
    deps.kubeflow.listProfiles(),
    ...accounts.map((email) =>
      deps.iam.getPolicy({ kind: 'serviceAccount', email }).catch((error: unknown) => {
        unreadable.push({
          resource: `keys/${email}`,
          message: `service account policy: ${messageOf(error)}`,
        });
        return { version: 1, etag: '', bindings: [] } satisfies IamPolicy;
      }),
    ),
  ]);
  const serviceAccountPolicies: Record<string, IamPolicy> = {};
  accounts.forEach((email, index) => {
    serviceAccountPolicies[email] = accountPolicies[index] ?? { version: 1, etag: '', bindings: [] };
  });
  const managed = new Set(users.map((user) => user.email.toLowerCase()));
  const people = unmanagedPeople([projectPolicy, iapPolicy, ...accountPolicies], profiles, managed).slice(
    0,
    MAX_CONTRIBUTOR_LOOKUPS,
  );
  const contributorBindings: Record<string, ContributorBindingView[]> = {};
  for (const email of people) {
    try {
      contributorBindings[email] = await deps.kubeflow.listContributorBindings(email);
    } catch (error) {
      unreadable.push({ resource: `user/${email}`, message: `contributor bindings: ${messageOf(error)}` });
    }
  }
  return { projectPolicy, iapPolicy, serviceAccountPolicies, profiles, contributorBindings };
};

/**
 * Reads the live platform for the kinds asked for (all by default). A resource that cannot be read
 * becomes an `unreadable` entry; a failure of the project or IAP policy read fails the collection,
 * as nothing about access could be said without them.
 */
const collectLiveState = async (
  platform: PlatformState,
  users: readonly UserState[],
  deps: CollectorDeps,
  kinds: ReadonlySet<DriftResourceKind>,
): Promise<LivePlatform> => {
  const unreadable: UnreadableResource[] = [];
  const live: LivePlatform = {
    now: deps.clock.now().toISOString(),
    nodePools: {},
    sql: {},
    filestore: {},
    keys: {},
    unreadable,
  };
  const reads: Array<Promise<void>> = [];
  const guarded = (resource: string, read: () => Promise<void>): void => {
    reads.push(
      read().catch((error: unknown) => {
        unreadable.push({ resource, message: messageOf(error) });
      }),
    );
  };

  if (ACCESS_KINDS.some((kind) => kinds.has(kind))) {
    reads.push(
      collectAccess(platform, users, deps, unreadable).then((access) => {
        live.access = access;
      }),
    );
  }
  if (kinds.has('gpu-pool')) {
    for (const pool of Object.keys(platform.gpuPools)) {
      guarded(`gpu-pool/${pool}`, async () => {
        live.nodePools[pool] = await deps.gke.getNodePool(gpuPoolRef(platform, pool));
      });
    }
  }
  if (kinds.has('sql')) {
    for (const instance of platform.sql.instances) {
      guarded(`sql/${instance}`, async () => {
        const ref = sqlInstanceRef(platform, instance);
        try {
          const [view, backupRuns] = await Promise.all([
            deps.sql.getInstance(ref),
            deps.sql.listBackupRuns(ref),
          ]);
          live.sql[instance] = { instance: view, backupRuns };
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
          live.sql[instance] = { backupRuns: [] };
        }
      });
    }
  }
  if (kinds.has('filestore')) {
    const targets = Object.keys(platform.filestore.instances).map((id) => filestoreTarget(platform, id));
    for (const region of [...new Set(targets.map((target) => target.region))]) {
      guarded(`filestore/${region}`, async () => {
        const inRegion = targets.filter((target) => target.region === region);
        const [backups, ...instances] = await Promise.all([
          deps.filestore.listBackups(platform.projectId, region),
          ...inRegion.map((target) =>
            deps.filestore.getInstance(target.ref).catch((error: unknown) => {
              if (error instanceof NotFoundError) return undefined;
              throw error;
            }),
          ),
        ]);
        inRegion.forEach((target, index) => {
          const instance = instances[index];
          live.filestore[target.ref.instance] = {
            ...(instance ? { instance } : {}),
            backups: backupsOfInstance(backups, target.ref),
          };
        });
      });
    }
  }
  if (kinds.has('keys')) {
    for (const account of Object.keys(platform.keys.serviceAccounts)) {
      guarded(`keys/${account}`, async () => {
        live.keys[account] = await deps.iam.listKeys(account);
      });
    }
  }
  await Promise.all(reads);
  unreadable.sort((a, b) => a.resource.localeCompare(b.resource));
  return live;
};

export type {
  CollectorDeps,
  LiveAccess,
  LiveFilestoreInstance,
  LivePlatform,
  LiveSqlInstance,
  UnreadableResource,
};
export { collectLiveState, MAX_CONTRIBUTOR_LOOKUPS, managedServiceAccounts, unmanagedPeople };
