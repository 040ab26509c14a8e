import type { PlatformState, RoleTemplate, UserState } from '../../desired-state';
import {
  NotFoundError,
  OperationPendingError,
  PolicyViolationError,
  VerificationFailedError,
} from '../../errors';
import {
  diffPolicies,
  type GrantChange,
  type IamCondition,
  type IamPolicy,
  type KubeflowApi,
  type PolicyTarget,
  type ProfileView,
  withMember,
  withoutMember,
} from '../../gcp';
import type { Clock } from '../../time';
import type { OperationDeps, PlanChange } from '../operation';

/**
 * What the user operations (`user.add`, `user.role.set`, `user.remove`; ops-catalog §1.1–§1.3)
 * share: how a role template turns into IAM grants, the pure policy edits their plans preview and
 * their applies write, the personal profile's name, and the checks their plans and verifies make.
 */

/** The role that lets a user through IAP to the platform's web UIs. */
const IAP_ACCESSOR_ROLE = 'roles/iap.httpsResourceAccessor';

/** The role the profile controller's WorkloadIdentity plugin grants a profile's `default-editor`. */
const WORKLOAD_IDENTITY_ROLE = 'roles/iam.workloadIdentityUser';

/** The Kubernetes service account a profile's workloads run as, bound to the Kubeflow user GSA. */
const PROFILE_EDITOR_ACCOUNT = 'default-editor';

/** Label the platform gives personal profiles (team profiles say `team`); offboarding deletes only these. */
const PROFILE_TYPE_LABEL = 'profile-type';

/** One role a member holds in a policy, optionally under a condition. */
interface MemberGrant {
  role: string;
  condition?: IamCondition;
}

/**
 * A policy edit for one member as plain data, so that a plan can carry it and apply can replay it:
 * first the member is taken out of `revoke` (every binding of those roles, conditional ones
 * included; `all` for every role), then each of `grant` is added unless the member still holds that
 * role in some form.
 */
interface MemberPolicyEdit {
  target: PolicyTarget;
  revoke: string[] | 'all';
  grant: MemberGrant[];
}

/** The grants of one policy before and after an operation: what audit records list. */
interface PolicyGrantsChange {
  policy: string;
  before: string[];
  after: string[];
}

/** The lease key of a user: operations on the same user never run at the same time. */
const userResource = (args: { email: string }): string => `user/${args.email}`;

/** How IAM names a user. */
const userMember = (email: string): string => `user:${email}`;

/** The project's own policy. */
const projectPolicyTarget = (platform: PlatformState): PolicyTarget => ({
  kind: 'project',
  projectId: platform.projectId,
});

/** Every IAP-protected backend service of the project; IAP names resources by project number. */
const iapPolicyTarget = (platform: PlatformState): PolicyTarget => ({
  kind: 'iap',
  resource: `projects/${platform.projectNumber}/iap_web/compute`,
});

/** A policy's name as plans and results show it, e.g. `projects/acme-ml-prod`. */
const policyName = (target: PolicyTarget): string => {
  switch (target.kind) {
    case 'project':
      return `projects/${target.projectId}`;
    case 'iap':
      return target.resource;
    case 'serviceAccount':
      return `serviceAccounts/${target.email}`;
  }
};

/**
 * The template a role name stands for.
 *
 * @throws PolicyViolationError naming the known templates when desired state has no such template.
 */
const roleTemplateFor = (platform: PlatformState, role: string): RoleTemplate => {
  const template = platform.roleTemplates[role];
  if (!template) {
    const known = Object.keys(platform.roleTemplates).sort();
    throw new PolicyViolationError(
      `unknown role template "${role}"; desired state defines: ${known.join(', ') || 'none'}`,
      { role, known },
    );
  }
  return template;
};

/** Owner, editor and any `roles/*.admin`: grants that make an add or a role change wait for approval. */
const isAdminLikeRole = (role: string): boolean =>
  role === 'roles/owner' || role === 'roles/editor' || /^roles\/[A-Za-z0-9_]+\.admin$/.test(role);

/** The admin-like roles of a template, in its order. */
const adminLikeRolesOf = (template: RoleTemplate): string[] => template.projectRoles.filter(isAdminLikeRole);

/**
 * Google grants `roles/owner` to a user only through an invitation the user accepts, never through
 * setIamPolicy (api-contracts §4), so a plan that would write it is refused before it is approved.
 *
 * @throws PolicyViolationError when `roles` holds `roles/owner`.
 */
const refuseOwnerGrant = (roleName: string, roles: readonly string[]): void => {
  if (roles.includes('roles/owner')) {
    throw new PolicyViolationError(
      `role template "${roleName}" grants roles/owner, which Google gives a user only through a console invitation the user accepts, not through setIamPolicy; invite the user as owner in the console, or use a template without roles/owner`,
      { role: roleName },
    );
  }
};

/**
 * The personal profile (and namespace) name of a user: the email's local part in lower case, dots,
 * underscores and plus signs (and anything else a DNS label cannot hold) as hyphens, e.g.
 * `nina.berg@acme.ai` → `nina-berg`.
 *
 * @throws PolicyViolationError when nothing usable is left (a local part of symbols only).
 */
const profileNameFor = (email: string): string => {
  const local = (email.split('@')[0] ?? '').toLowerCase();
  const name = local
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    throw new PolicyViolationError(
      `cannot derive a profile name (a DNS label) from ${email}; add the user with profile: false`,
      { email },
    );
  }
  return name;
};

/** The member a profile's `default-editor` is in the Kubeflow user GSA's policy (workload identity). */
const workloadIdentityMember = (projectId: string, namespace: string): string =>
  `serviceAccount:${projectId}.svc.id.goog[${namespace}/${PROFILE_EDITOR_ACCOUNT}]`;

/** A timestamp as the platform writes it: UTC, to the second (`2026-12-31T00:00:00Z`). */
const utcTimestamp = (timestamp: string): string => `${new Date(timestamp).toISOString().slice(0, 19)}Z`;

/** The condition every binding of a time-bound user carries. */
const expiryCondition = (expiresAt: string): IamCondition => {
  const at = utcTimestamp(expiresAt);
  return { title: `expires-${at.slice(0, 10)}`, expression: `request.time < timestamp("${at}")` };
};

/**
 * The expiry a user's bindings get: required by templates like `contractor`, and in the future
 * whenever given. `now` comes from observe, so that plan stays pure.
 *
 * @throws PolicyViolationError when the template requires an expiry and there is none, or it has passed.
 */
const checkedExpiry = (
  roleName: string,
  template: RoleTemplate,
  expiresAt: string | undefined,
  now: string,
  email: string,
): string | undefined => {
  if (expiresAt === undefined) {
    if (template.requiresExpiry) {
      throw new PolicyViolationError(
        `role template "${roleName}" grants time-bound access only: give expiresAt (e.g. 2026-12-31T00:00:00Z) for ${email}`,
        { role: roleName },
      );
    }
    return undefined;
  }
  const at = utcTimestamp(expiresAt);
  if (new Date(at).getTime() <= new Date(now).getTime()) {
    throw new PolicyViolationError(
      `access of ${email} would end at ${at}, which is not in the future (now ${utcTimestamp(now)})`,
      { expiresAt: at, now },
    );
  }
  return at;
};

/** The roles `member` holds in `policy`, with their conditions, sorted by role. */
const grantsOfMember = (policy: IamPolicy, member: string): MemberGrant[] =>
  policy.bindings
    .filter((binding) => binding.members.includes(member))
    .map((binding) => ({
      role: binding.role,
      ...(binding.condition ? { condition: binding.condition } : {}),
    }))
    .sort(
      (a, b) =>
        a.role.localeCompare(b.role) || (a.condition?.title ?? '').localeCompare(b.condition?.title ?? ''),
    );

/** A grant as plans and results show it: `roles/x`, or `roles/x [expires-2026-12-31]` when conditional. */
const describeGrant = (grant: MemberGrant): string =>
  grant.condition ? `${grant.role} [${grant.condition.title}]` : grant.role;

/** The member's grants in `policy`, described. */
const describedGrantsOf = (policy: IamPolicy, member: string): string[] =>
  grantsOfMember(policy, member).map(describeGrant);

/** Whether `member` holds `role` in any binding, conditional or not. */
const holdsRole = (policy: IamPolicy, role: string, member: string): boolean =>
  policy.bindings.some((binding) => binding.role === role && binding.members.includes(member));

/** The policy `edit` leaves: pure, the same function the plan previews and apply writes. */
const applyMemberEdit = (policy: IamPolicy, member: string, edit: MemberPolicyEdit): IamPolicy => {
  let next =
    edit.revoke === 'all'
      ? withoutMember(policy, member)
      : edit.revoke.length > 0
        ? withoutMember(policy, member, { roles: edit.revoke })
        : policy;
  for (const grant of edit.grant) {
    if (!holdsRole(next, grant.role, member)) next = withMember(next, grant.role, member, grant.condition);
  }
  return next;
};

/** Plan lines for what `edit` changes in `policy`: one per grant added or removed. */
const planChangesOf = (policy: IamPolicy, member: string, edit: MemberPolicyEdit): PlanChange[] =>
  diffPolicies(policy, applyMemberEdit(policy, member, edit)).map((change: GrantChange) => {
    const grant = describeGrant({
      role: change.role,
      ...(change.condition ? { condition: change.condition } : {}),
    });
    return {
      resource: policyName(edit.target),
      field: change.member,
      from: change.change === 'removed' ? grant : null,
      to: change.change === 'added' ? grant : null,
    };
  });

/** The profile of that name, or undefined when there is none. */
const findProfile = async (kubeflow: KubeflowApi, name: string): Promise<ProfileView | undefined> => {
  try {
    return await kubeflow.getProfile(name);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
};

/** Whether a profile is someone's personal one (the platform labels them; team profiles say `team`). */
const isPersonalProfile = (profile: ProfileView, personalName: string | undefined): boolean =>
  profile.labels[PROFILE_TYPE_LABEL] === 'personal' || profile.name === personalName;

/** Milliseconds an operation is parked while the profile controller makes a new profile ready. */
const PROFILE_READY_RECHECK_MS = 15_000;

/**
 * Proves a personal profile is there for its owner: Ready, its namespace annotated with the owner,
 * and its `default-editor` bound to the GSA by workload identity. A profile the controller has not
 * reconciled yet (it does so asynchronously in a real cluster) parks the operation to look again.
 *
 * @throws OperationPendingError while the profile is pending.
 * @throws VerificationFailedError naming what is missing.
 */
const verifyPersonalProfile = async (
  deps: {
    kubeflow: KubeflowApi;
    iam: { getPolicy(target: PolicyTarget): Promise<IamPolicy> };
    clock: Clock;
  },
  projectId: string,
  profile: { name: string; ownerEmail: string; gcpServiceAccount: string },
): Promise<{ name: string; state: string; namespaceOwner: string; workloadIdentity: string }> => {
  const live = await findProfile(deps.kubeflow, profile.name);
  if (!live) throw new VerificationFailedError(`profile ${profile.name} does not exist`);
  if (live.ownerEmail.toLowerCase() !== profile.ownerEmail.toLowerCase()) {
    throw new VerificationFailedError(
      `profile ${profile.name} is owned by ${live.ownerEmail || 'nobody'}, not ${profile.ownerEmail}`,
    );
  }
  if (live.state === 'pending') {
    throw new OperationPendingError(`profile ${profile.name}`, {
      resumeAt: new Date(deps.clock.now().getTime() + PROFILE_READY_RECHECK_MS),
      message: `waiting for the profile controller to make profile ${profile.name} ready`,
    });
  }
  if (live.state !== 'ready') {
    throw new VerificationFailedError(
      `profile ${profile.name} is ${live.state}${live.message ? `: ${live.message}` : ''}`,
      { state: live.state },
    );
  }
  const namespace = await deps.kubeflow.getNamespace(profile.name);
  if ((namespace.ownerEmail ?? '').toLowerCase() !== profile.ownerEmail.toLowerCase()) {
    throw new VerificationFailedError(
      `namespace ${profile.name} is annotated owner=${namespace.ownerEmail ?? '(none)'}, not ${profile.ownerEmail}`,
    );
  }
  const member = workloadIdentityMember(projectId, profile.name);
  const policy = await deps.iam.getPolicy({ kind: 'serviceAccount', email: profile.gcpServiceAccount });
  if (!holdsRole(policy, WORKLOAD_IDENTITY_ROLE, member)) {
    throw new VerificationFailedError(
      `${profile.gcpServiceAccount} does not grant ${WORKLOAD_IDENTITY_ROLE} to ${member}: the profile's workloads cannot act as it`,
    );
  }
  return {
    name: profile.name,
    state: live.state,
    namespaceOwner: namespace.ownerEmail ?? '',
    workloadIdentity: `${member} → ${profile.gcpServiceAccount}`,
  };
};

/** A user's desired-state record as plans carry it: without what apply stamps (operationId, updatedAt). */
type PlannedUser = Omit<UserState, 'operationId' | 'updatedAt'>;

/** The planned form of a desired-state record. */
const plannedUserOf = (user: UserState): PlannedUser => ({
  email: user.email,
  role: user.role,
  ...(user.team !== undefined ? { team: user.team } : {}),
  ...(user.profile !== undefined ? { profile: user.profile } : {}),
  ...(user.expiresAt !== undefined ? { expiresAt: user.expiresAt } : {}),
});

/** Plan lines for a desired-state record: one per field that changes (`after` undefined: removed). */
const desiredStateChanges = (
  email: string,
  before: PlannedUser | undefined,
  after: PlannedUser | undefined,
): PlanChange[] =>
  (['role', 'team', 'profile', 'expiresAt'] as const)
    .filter((field) => (before?.[field] ?? null) !== (after?.[field] ?? null))
    .map((field) => ({
      resource: `desired-state/users/${email}`,
      field,
      from: before?.[field] ?? null,
      to: after?.[field] ?? null,
    }));

/**
 * Proves `edit` is in effect for `member` in the policy read back: applying it again would change
 * none of the member's grants. Returns the member's grants before (from the plan) → after.
 *
 * @throws VerificationFailedError listing the grants still missing or left over.
 */
const verifyMemberGrants = (
  live: IamPolicy,
  member: string,
  edit: MemberPolicyEdit,
  before: string[],
): PolicyGrantsChange => {
  const outstanding = planChangesOf(live, member, edit);
  if (outstanding.length > 0) {
    const missing = outstanding.filter((change) => change.to !== null).map((change) => change.to);
    const leftOver = outstanding.filter((change) => change.from !== null).map((change) => change.from);
    const problems = [
      ...(missing.length > 0 ? [`lacks ${missing.join(', ')}`] : []),
      ...(leftOver.length > 0 ? [`still holds ${leftOver.join(', ')}`] : []),
    ];
    throw new VerificationFailedError(`${policyName(edit.target)}: ${member} ${problems.join(' and ')}`, {
      policy: policyName(edit.target),
      held: describedGrantsOf(live, member),
    });
  }
  return { policy: policyName(edit.target), before, after: describedGrantsOf(live, member) };
};

/** Re-reads every policy a plan edited and proves each edit holds; the before → after per policy. */
const verifyPolicyEdits = async (
  plan: { member: string; policyEdits: ReadonlyArray<MemberPolicyEdit & { before: string[] }> },
  deps: Pick<OperationDeps, 'iam'>,
): Promise<PolicyGrantsChange[]> => {
  const policies: PolicyGrantsChange[] = [];
  for (const edit of plan.policyEdits) {
    const live = await deps.iam.getPolicy(edit.target);
    policies.push(verifyMemberGrants(live, plan.member, edit, edit.before));
  }
  return policies;
};

/** Reads the user back from desired state and proves they are recorded with `role`. */
const verifyRecordedUser = async (
  deps: Pick<OperationDeps, 'desiredState'>,
  email: string,
  role: string,
): Promise<UserState> => {
  const recorded = await deps.desiredState.getUser(email);
  if (!recorded || recorded.role !== role) {
    throw new VerificationFailedError(
      `desired state records ${email} with role ${recorded?.role ?? '(none)'}, not ${role}`,
    );
  }
  return recorded;
};

/** Records the user in desired state as this operation set them (the same state twice is one effect). */
const recordUser = (user: PlannedUser, deps: Pick<OperationDeps, 'desiredState' | 'clock' | 'operationId'>) =>
  deps.desiredState.putUser({
    ...user,
    operationId: deps.operationId,
    updatedAt: deps.clock.now().toISOString(),
  });

export type { MemberGrant, MemberPolicyEdit, PlannedUser, PolicyGrantsChange };
export {
  adminLikeRolesOf,
  applyMemberEdit,
  checkedExpiry,
  describedGrantsOf,
  describeGrant,
  desiredStateChanges,
  expiryCondition,
  findProfile,
  grantsOfMember,
  holdsRole,
  IAP_ACCESSOR_ROLE,
  iapPolicyTarget,
  isAdminLikeRole,
  isPersonalProfile,
  PROFILE_TYPE_LABEL,
  planChangesOf,
  plannedUserOf,
  policyName,
  profileNameFor,
  projectPolicyTarget,
  recordUser,
  refuseOwnerGrant,
  roleTemplateFor,
  userMember,
  userResource,
  utcTimestamp,
  verifyMemberGrants,
  verifyPersonalProfile,
  verifyPolicyEdits,
  verifyRecordedUser,
  WORKLOAD_IDENTITY_ROLE,
  workloadIdentityMember,
};
