import type { CommandArgs } from '../commands';
import type { PlatformState, UserState } from '../desired-state';
import type { IamCondition, IamPolicy, ProfileView } from '../gcp';
import {
  expiryCondition,
  IAP_ACCESSOR_ROLE,
  isAdminLikeRole,
  WORKLOAD_IDENTITY_ROLE,
  workloadIdentityMember,
} from '../operations/users/user-access';
import { fixWith, type UnmodedFinding } from './drift-finding';
import {
  describeHumanGrant,
  desiredHumanBindings,
  managedRolesOf,
  planHumanBindingEdits,
} from './human-bindings';
import type { LiveAccess } from './live-state';

/**
 * Pure comparison of who should have access (managed users and their role templates) with who has
 * it (project IAM, IAP, managed service accounts' policies, profiles, contributor bindings). Every
 * policy is indexed once by member, so comparing 10,000 users is linear in the policies' size.
 */

/** One role a member holds, with its condition. */
interface HeldGrant {
  role: string;
  condition?: IamCondition;
}

/** `member` → the grants it holds in a policy. */
type GrantIndex = Map<string, HeldGrant[]>;

/** Indexes a policy by member (lower-cased), one pass over its bindings. */
const indexGrants = (policy: IamPolicy): GrantIndex => {
  const index: GrantIndex = new Map();
  for (const binding of policy.bindings) {
    for (const member of binding.members) {
      const key = member.toLowerCase();
      const grants = index.get(key) ?? [];
      grants.push({ role: binding.role, ...(binding.condition ? { condition: binding.condition } : {}) });
      index.set(key, grants);
    }
  }
  return index;
};

/** A grant as findings show it: `roles/x`, or `roles/x if <expression>`. */
const describeHeld = (grant: HeldGrant): string =>
  grant.condition ? `${grant.role} if ${grant.condition.expression}` : grant.role;

/** Grants compare by role and condition expression (titles are labels only). */
const grantKey = (grant: HeldGrant): string => `${grant.role}|${grant.condition?.expression ?? ''}`;

/** What differs between two sets of grants. */
interface GrantDiff {
  missing: HeldGrant[];
  extra: HeldGrant[];
}

const diffGrants = (desired: readonly HeldGrant[], actual: readonly HeldGrant[]): GrantDiff => {
  const desiredKeys = new Set(desired.map(grantKey));
  const actualKeys = new Set(actual.map(grantKey));
  return {
    missing: desired.filter((grant) => !actualKeys.has(grantKey(grant))),
    extra: actual.filter((grant) => !desiredKeys.has(grantKey(grant))),
  };
};

/** `user.add` with what desired state records: re-grants exactly the template (conditions included). */
const userAddArgs = (user: UserState, templateHasProfile: boolean): CommandArgs<'user.add'> => ({
  email: user.email,
  role: user.role,
  ...(user.team ? { team: user.team } : {}),
  profile: templateHasProfile && user.profile !== undefined,
  ...(user.expiresAt ? { expiresAt: user.expiresAt } : {}),
});

/** The namespace of a workload-identity member `serviceAccount:p.svc.id.goog[ns/default-editor]`. */
const WORKLOAD_IDENTITY_MEMBER = /^serviceaccount:[^[]+\.svc\.id\.goog\[([^/\]]+)\/default-editor\]$/i;

/** Findings about one managed user: project and IAP grants, profile and its workload identity. */
const compareManagedUser = (
  platform: PlatformState,
  user: UserState,
  now: string,
  indexes: { project: GrantIndex; iap: GrantIndex; workloadIdentity: GrantIndex },
  profilesByName: ReadonlyMap<string, ProfileView>,
): UnmodedFinding[] => {
  const authoritative = (policyName: string, role: string, member: string): boolean =>
    (platform.authoritativeBindings ?? []).some(
      (binding) =>
        binding.policy === (policyName === 'iap' ? 'iap' : 'project') &&
        binding.role === role &&
        binding.members.some((listed) => listed.toLowerCase() === member),
    );
  const resource = `user/${user.email}`;
  const member = `user:${user.email}`;
  const template = platform.roleTemplates[user.role];
  const projectHeld = indexes.project.get(member) ?? [];
  const iapHeld = indexes.iap.get(member) ?? [];
  if (!template) {
    return [
      {
        resource,
        kind: 'unknown-role-template',
        severity: 'medium',
        desired: { role: user.role },
        actual: { projectRoles: projectHeld.map(describeHeld), iap: iapHeld.map(describeHeld) },
        message: `${user.email} has role template "${user.role}", which desired state no longer defines: fix the user with \`opsplane user role ${user.email} --role <template>\` after restoring or choosing a template`,
      },
    ];
  }
  const findings: UnmodedFinding[] = [];
  const expired = user.expiresAt !== undefined && Date.parse(user.expiresAt) <= Date.parse(now);
  const condition = user.expiresAt && !expired ? expiryCondition(user.expiresAt) : undefined;
  const wanted = (role: string): HeldGrant => ({ role, ...(condition ? { condition } : {}) });
  const addFix = fixWith('user.add', userAddArgs(user, template.profile));

  if (expired) {
    if (projectHeld.length + iapHeld.length > 0) {
      findings.push({
        resource,
        kind: 'expired-access',
        severity: 'high',
        desired: { accessEndedAt: user.expiresAt },
        actual: { projectRoles: projectHeld.map(describeHeld), iap: iapHeld.map(describeHeld) },
        message: `${user.email}'s access ended at ${user.expiresAt}, but bindings remain (expired conditions deny, unconditional ones still grant): remove the user`,
        fix: fixWith('user.remove', { email: user.email }),
      });
    }
    return findings;
  }

  const policies = [
    { name: 'project', desired: template.projectRoles.map(wanted), held: projectHeld },
    { name: 'iap', desired: template.iap ? [wanted(IAP_ACCESSOR_ROLE)] : [], held: iapHeld },
  ];
  for (const policy of policies) {
    const diff = diffGrants(policy.desired, policy.held);
    const templateRoles = new Set(policy.desired.map((grant) => grant.role));
    // Extra grants of a template role (wrong or missing condition) are what user.add rewrites.
    const rewritable = diff.extra.filter((grant) => templateRoles.has(grant.role));
    const foreign = diff.extra.filter((grant) => !templateRoles.has(grant.role));
    if (diff.missing.length > 0 || rewritable.length > 0) {
      findings.push({
        resource,
        kind: policy.name === 'project' ? 'project-grants' : 'iap-grants',
        severity: diff.missing.length > 0 ? 'medium' : 'high',
        desired: policy.desired.map(describeHeld),
        actual: policy.held.map(describeHeld),
        message: `${user.email}'s ${policy.name === 'project' ? 'project roles' : 'IAP access'} differ from role template "${user.role}"${
          diff.missing.length > 0 ? `: missing ${diff.missing.map(describeHeld).join(', ')}` : ''
        }${rewritable.length > 0 ? `; held without the desired condition: ${rewritable.map(describeHeld).join(', ')}` : ''}; user.add grants the template again`,
        fix: addFix,
      });
    }
    const admin = foreign.filter((grant) => isAdminLikeRole(grant.role));
    const humanOwnerEditor = foreign.filter(
      (grant) => grant.role === 'roles/owner' || grant.role === 'roles/editor',
    );
    if (foreign.length > 0) {
      const managedRoles = managedRolesOf(platform, policy.name === 'iap' ? 'iap' : 'project');
      // Terraform-authoritative members are desired too: never removed, so no fix for them.
      const removable = foreign.filter(
        (grant) => managedRoles.has(grant.role) && !authoritative(policy.name, grant.role, member),
      );
      const untouched = foreign.filter((grant) => !removable.includes(grant));
      findings.push({
        resource,
        kind: humanOwnerEditor.length > 0 ? 'human-owner-or-editor' : 'unexpected-grant',
        severity: admin.length > 0 ? 'high' : 'medium',
        desired: policy.desired.map(describeHeld),
        actual: policy.held.map(describeHeld),
        message: `${user.email} holds ${foreign.map(describeHeld).join(', ')} in the ${policy.name} policy, which role template "${user.role}" does not grant (granted outside opsplane)${
          removable.length > 0
            ? `; iam.bindings.reconcile removes ${removable.map(describeHeld).join(', ')}`
            : ''
        }${
          untouched.length > 0
            ? `; ${untouched.map(describeHeld).join(', ')} ${untouched.length === 1 ? 'is' : 'are'} in no role opsplane manages${
                untouched.some((grant) => managedRoles.has(grant.role))
                  ? ' or listed by an authoritative binding'
                  : ''
              }: remove it in the console or Terraform`
            : ''
        }`,
        ...(removable.length > 0
          ? {
              fix: fixWith('iam.bindings.reconcile', {
                policy: policy.name === 'iap' ? 'iap' : 'project',
                members: [member],
              }),
            }
          : {}),
      });
    }
  }
  for (const role of template.projectRoles.filter((r) => r === 'roles/owner' || r === 'roles/editor')) {
    if (projectHeld.some((grant) => grant.role === role)) {
      findings.push({
        resource,
        kind: 'human-owner-or-editor',
        severity: 'info',
        desired: template.projectRoles,
        actual: projectHeld.map(describeHeld),
        message: `${user.email} holds ${role} as role template "${user.role}" grants it; a human with ${role} can change anything: keep such templates to break-glass admins`,
      });
    }
  }

  if (template.profile && user.profile) {
    const profile = profilesByName.get(user.profile);
    if (!profile) {
      findings.push({
        resource,
        kind: 'missing-profile',
        severity: 'medium',
        desired: { profile: user.profile, owner: user.email },
        actual: null,
        message: `${user.email}'s personal profile ${user.profile} does not exist; user.add creates it`,
        fix: addFix,
      });
    } else {
      if (profile.ownerEmail.toLowerCase() !== user.email) {
        findings.push({
          resource,
          kind: 'profile-owner',
          severity: 'high',
          desired: { profile: user.profile, owner: user.email },
          actual: { profile: profile.name, owner: profile.ownerEmail },
          message: `profile ${profile.name} is owned by ${profile.ownerEmail || 'nobody'}, not ${user.email}; no command changes a profile's owner (spec.owner is immutable): free the name or recreate the profile by hand`,
        });
      }
      const gsa = platform.kubeflow.userServiceAccount;
      const wiMember = workloadIdentityMember(platform.projectId, profile.name).toLowerCase();
      const bound = (indexes.workloadIdentity.get(wiMember) ?? []).some(
        (grant) => grant.role === WORKLOAD_IDENTITY_ROLE,
      );
      if (profile.gcpServiceAccount !== gsa || !bound) {
        findings.push({
          resource,
          kind: 'workload-identity',
          severity: 'medium',
          desired: { gcpServiceAccount: gsa, binding: `${WORKLOAD_IDENTITY_ROLE} for ${wiMember}` },
          actual: { gcpServiceAccount: profile.gcpServiceAccount ?? null, bound },
          message: `profile ${profile.name}'s workloads cannot act as ${gsa} (${
            profile.gcpServiceAccount !== gsa
              ? `the profile's WorkloadIdentity plugin names ${profile.gcpServiceAccount ?? 'no account'}`
              : `${gsa}'s policy lacks ${WORKLOAD_IDENTITY_ROLE} for ${wiMember}`
          }); the profile controller writes this binding: check its logs; no opsplane command rewrites it`,
        });
      }
    }
  }
  return findings;
};

/** Everything one unmanaged person holds, for one finding. */
interface UnmanagedHoldings {
  project: string[];
  iap: string[];
  serviceAccounts: Record<string, string[]>;
  profiles: string[];
  contributorIn: string[];
}

/** Findings about people who hold access but are not managed users (departed, or granted by hand). */
const compareUnmanaged = (
  managed: ReadonlySet<string>,
  access: LiveAccess,
  indexes: { project: GrantIndex; iap: GrantIndex; serviceAccounts: Record<string, GrantIndex> },
): UnmodedFinding[] => {
  const holdings = new Map<string, UnmanagedHoldings>();
  const holdingsOf = (email: string): UnmanagedHoldings => {
    let found = holdings.get(email);
    if (!found) {
      found = { project: [], iap: [], serviceAccounts: {}, profiles: [], contributorIn: [] };
      holdings.set(email, found);
    }
    return found;
  };
  const scan = (index: GrantIndex, add: (held: UnmanagedHoldings, grants: HeldGrant[]) => void): void => {
    for (const [member, grants] of index) {
      if (!member.startsWith('user:')) continue;
      const email = member.slice('user:'.length);
      if (!managed.has(email)) add(holdingsOf(email), grants);
    }
  };
  scan(indexes.project, (held, grants) => held.project.push(...grants.map(describeHeld)));
  scan(indexes.iap, (held, grants) => held.iap.push(...grants.map(describeHeld)));
  for (const [account, index] of Object.entries(indexes.serviceAccounts)) {
    scan(index, (held, grants) => {
      held.serviceAccounts[account] = grants.map(describeHeld);
    });
  }
  for (const profile of access.profiles) {
    const owner = profile.ownerEmail.toLowerCase();
    if (owner && !managed.has(owner)) holdingsOf(owner).profiles.push(profile.name);
  }
  for (const [email, bindings] of Object.entries(access.contributorBindings)) {
    if (managed.has(email) || bindings.length === 0) continue;
    holdingsOf(email).contributorIn.push(
      ...bindings.map((binding) => `${binding.namespace} (${binding.role})`),
    );
  }
  return [...holdings.entries()].map(([email, held]) => {
    const admin = held.project.filter((grant) => isAdminLikeRole(grant.split(' ')[0] ?? grant));
    const parts = [
      held.project.length > 0 ? `project roles ${held.project.join(', ')}` : '',
      held.iap.length > 0 ? 'IAP access' : '',
      Object.keys(held.serviceAccounts).length > 0
        ? `roles on ${Object.keys(held.serviceAccounts).join(', ')}`
        : '',
      held.profiles.length > 0 ? `profiles ${held.profiles.join(', ')}` : '',
      held.contributorIn.length > 0 ? `contributor in ${held.contributorIn.join(', ')}` : '',
    ].filter((part) => part !== '');
    return {
      resource: `user/${email}`,
      kind: 'unmanaged-access',
      severity: 'high',
      desired: null,
      actual: held,
      message: `${email} is not a managed user (departed, or granted outside opsplane) but holds ${parts.join('; ')}${
        admin.length > 0 ? ` (admin-like: ${admin.join(', ')})` : ''
      }; user.remove revokes all of it and deletes the personal profiles (with approval)`,
      fix: fixWith('user.remove', { email }),
    } satisfies UnmodedFinding;
  });
};

/** Members of authoritative bindings (Terraform) that live policies hold beyond them: the next apply removes them. */
const compareAuthoritative = (
  platform: PlatformState,
  managedUsers: ReadonlyMap<string, UserState>,
  access: LiveAccess,
): UnmodedFinding[] => {
  const findings: UnmodedFinding[] = [];
  for (const binding of platform.authoritativeBindings ?? []) {
    const policy = binding.policy === 'iap' ? access.iapPolicy : access.projectPolicy;
    const listed = new Set(binding.members.map((member) => member.toLowerCase()));
    const live = new Set(
      policy.bindings
        .filter((b) => b.role === binding.role)
        .flatMap((b) => b.members.map((member) => member.toLowerCase())),
    );
    for (const member of [...live].sort()) {
      if (listed.has(member) || !member.startsWith('user:')) continue;
      const email = member.slice('user:'.length);
      const user = managedUsers.get(email);
      // An unmanaged person is reported (and removed) as unmanaged access already.
      if (!user) continue;
      const resource =
        binding.policy === 'iap' ? `iap/${platform.projectNumber}` : `project-iam/${platform.projectId}`;
      findings.push({
        resource,
        kind: 'authoritative-binding',
        severity: 'medium',
        desired: { role: binding.role, members: binding.members, source: binding.source },
        actual: { member, role: binding.role },
        message: `${member} holds ${binding.role} (granted outside ${binding.source}, e.g. in the console), which the authoritative binding of ${binding.source} does not list: its next apply silently removes it. Desired state gives it to ${email} (role template "${user.role}"): add the member to ${binding.source}; no opsplane command edits Terraform`,
      });
    }
  }
  return findings;
};

/** Workload-identity bindings for profile namespaces that no longer exist. */
const compareStaleWorkloadIdentity = (
  platform: PlatformState,
  access: LiveAccess,
  index: GrantIndex,
): UnmodedFinding[] => {
  const names = new Set(access.profiles.map((profile) => profile.name));
  const gsa = platform.kubeflow.userServiceAccount;
  const findings: UnmodedFinding[] = [];
  for (const [member, grants] of index) {
    const namespace = WORKLOAD_IDENTITY_MEMBER.exec(member)?.[1];
    if (!namespace || names.has(namespace) || namespace === 'kubeflow') continue;
    if (!grants.some((grant) => grant.role === WORKLOAD_IDENTITY_ROLE)) continue;
    findings.push({
      resource: `profile/${namespace}`,
      kind: 'stale-workload-identity',
      severity: 'medium',
      desired: null,
      actual: { serviceAccount: gsa, member, role: WORKLOAD_IDENTITY_ROLE },
      message: `${gsa} still lets ${member} act as it, but profile ${namespace} does not exist (a namespace of that name could be recreated and inherit it); no opsplane command edits it: remove the member from ${gsa}'s policy by hand`,
    });
  }
  return findings;
};

/** Members a policy-level fix lists at most (the command's limit); beyond, the fix covers the whole policy. */
const MAX_FIX_MEMBERS = 1000;

/**
 * Per policy (project, IAP): the humans holding managed roles that desired state does not give
 * them (added behind opsplane's back, or left by departed people), as one finding of the policy's
 * resource, fixed by one `iam.bindings.reconcile` (one write whatever the number of members).
 */
const compareHumanBindings = (
  platform: PlatformState,
  users: readonly UserState[],
  access: LiveAccess,
  now: string,
): UnmodedFinding[] => {
  const findings: UnmodedFinding[] = [];
  for (const kind of ['project', 'iap'] as const) {
    const policy = kind === 'iap' ? access.iapPolicy : access.projectPolicy;
    const { edits } = planHumanBindingEdits(policy, desiredHumanBindings(platform, users, kind, now));
    const removing = edits.filter((edit) => edit.remove.length > 0);
    if (removing.length === 0) continue;
    const removed = removing.flatMap((edit) =>
      edit.remove.map((grant) => `${edit.member} ${describeHumanGrant(grant)}`),
    );
    const admin = removing.some((edit) => edit.remove.some((grant) => isAdminLikeRole(grant.role)));
    const members = removing.map((edit) => edit.member.toLowerCase());
    findings.push({
      resource: kind === 'iap' ? `iap/${platform.projectNumber}` : `project-iam/${platform.projectId}`,
      kind: 'unmanaged-bindings',
      severity: admin ? 'high' : 'medium',
      desired: Object.fromEntries(removing.map((edit) => [edit.member, edit.after])),
      actual: Object.fromEntries(removing.map((edit) => [edit.member, edit.before])),
      message: `the ${kind} policy grants ${removing.length} human${removing.length === 1 ? '' : 's'} opsplane-managed roles that desired state does not give them (granted outside opsplane, or left behind): ${removed.slice(0, 10).join(', ')}${
        removed.length > 10 ? ` and ${removed.length - 10} more` : ''
      }; iam.bindings.reconcile removes them in one policy write`,
      fix: fixWith('iam.bindings.reconcile', {
        policy: kind,
        ...(members.length <= MAX_FIX_MEMBERS ? { members } : {}),
      }),
    });
  }
  return findings;
};

/**
 * Every access finding: managed users against their templates, unmanaged people, the policies'
 * human bindings, authoritative bindings, stale workload identity.
 */
const compareAccess = (
  platform: PlatformState,
  users: readonly UserState[],
  access: LiveAccess,
  now: string,
): UnmodedFinding[] => {
  const project = indexGrants(access.projectPolicy);
  const iap = indexGrants(access.iapPolicy);
  const serviceAccounts = Object.fromEntries(
    Object.entries(access.serviceAccountPolicies).map(([email, policy]) => [email, indexGrants(policy)]),
  );
  const workloadIdentity = serviceAccounts[platform.kubeflow.userServiceAccount] ?? new Map();
  const profilesByName = new Map(access.profiles.map((profile) => [profile.name, profile]));
  const managedUsers = new Map(users.map((user) => [user.email.toLowerCase(), user]));
  const managed = new Set(managedUsers.keys());
  return [
    ...users.flatMap((user) =>
      compareManagedUser(platform, user, now, { project, iap, workloadIdentity }, profilesByName),
    ),
    ...compareUnmanaged(managed, access, { project, iap, serviceAccounts }),
    ...compareHumanBindings(platform, users, access, now),
    ...compareAuthoritative(platform, managedUsers, access),
    ...compareStaleWorkloadIdentity(platform, access, workloadIdentity),
  ];
};

export type { GrantDiff, HeldGrant };
export { compareAccess, compareHumanBindings, describeHeld, diffGrants, indexGrants };
