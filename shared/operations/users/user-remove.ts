import type { PlatformState, UserState } from '../../desired-state';
import { NotFoundError, OperationPendingError, VerificationFailedError } from '../../errors';
import type {
  ContributorBindingView,
  IamPolicy,
  KubeflowApi,
  NamespaceView,
  PolicyTarget,
  ProfileView,
} from '../../gcp';
import type { BasePlan, ObserveDeps, OperationModule, PlanChange } from '../operation';
import {
  applyMemberEdit,
  describedGrantsOf,
  desiredStateChanges,
  findProfile,
  holdsRole,
  iapPolicyTarget,
  isPersonalProfile,
  type MemberPolicyEdit,
  type PlannedUser,
  type PolicyGrantsChange,
  PROFILE_TYPE_LABEL,
  planChangesOf,
  plannedUserOf,
  policyName,
  projectPolicyTarget,
  userMember,
  userResource,
  verifyMemberGrants,
  WORKLOAD_IDENTITY_ROLE,
  workloadIdentityMember,
} from './user-access';

/**
 * `user.remove` (ops-catalog §1.3): offboards a user. Observe takes the inventory: every grant
 * of the user in the project policy (conditional ones included), the IAP policy and every service
 * account's own policy; their Kubeflow contributor bindings; the profiles they own; the
 * user-managed keys they are known to hold a copy of. Apply revokes access first (one write per
 * policy, then the contributor bindings), then deletes the personal profiles (the controller's
 * finalizer revokes their workload identity, and the namespaces go), then forgets the user in
 * desired state. Team profiles they own are kept and reported; so are the keys to rotate, since
 * removing IAM from a person does not revoke a key file they copied.
 *
 * Access removal is urgent and reversible, profile deletion destroys data (§1.3: steps 1–4 A1,
 * step 5 A3), so the two can be run apart: with `keepProfile: true` the operation only revokes
 * (and forgets the user in desired state, so that nothing converges their access back) and needs
 * no approval; the personal profiles stay, found again by their `profile-type: personal` label by
 * a later plain `user.remove`, which deletes them. Without `keepProfile` the operation always asks
 * for approval, as the whole offboarding did when it was one A3 operation.
 */

/** Keys of a service account the user held a copy of, as listed at plan time. */
interface HeldKeys {
  serviceAccount: string;
  keyIds: string[];
  /** The command that replaces them (§3.1), ready to submit. */
  rotate: { type: 'keys.rotate'; args: { serviceAccount: string } };
}

/** What `user.remove` reads before planning: the offboarding inventory. */
interface UserRemoveObserved {
  user?: UserState;
  projectPolicy: IamPolicy;
  iapPolicy: IamPolicy;
  /** The policies of the project's service accounts that name the user. */
  serviceAccountPolicies: Array<{ email: string; policy: IamPolicy }>;
  contributorBindings: ContributorBindingView[];
  ownedProfiles: ProfileView[];
  heldKeys: Array<{ serviceAccount: string; keyIds: string[] }>;
}

/** A contributor RoleBinding the plan removes, or one the profile controller keeps (team profiles). */
interface PlannedBinding {
  namespace: string;
  name: string;
  role: string;
}

/** The approved offboarding, as plain data: what apply removes and what the audit result lists. */
interface UserRemovePlan extends BasePlan {
  email: string;
  member: string;
  /** Revoke only: the personal profiles are kept (`keptPersonalProfiles`), no approval needed. */
  keepProfile: boolean;
  projectId: string;
  projectTarget: PolicyTarget;
  iapTarget: PolicyTarget;
  /** One edit per policy that names the user, each revoking every grant, with the grants planned. */
  policyEdits: Array<MemberPolicyEdit & { before: string[] }>;
  contributorBindings: PlannedBinding[];
  /** Personal profiles deleted, with the GSA their workload identity is revoked on. */
  personalProfiles: Array<{ name: string; gcpServiceAccount?: string }>;
  /** Personal profiles a revoke-only removal keeps, for a later user.remove to delete. */
  keptPersonalProfiles: string[];
  /** Team profiles the user owns, kept: they need a new owner. */
  teamProfiles: string[];
  /** The owner's bindings the profile controller keeps in those team profiles. */
  keptBindings: PlannedBinding[];
  keysToRotate: HeldKeys[];
  userBefore?: PlannedUser;
}

/** Every service account's policy that names `member`, read in parallel. */
const serviceAccountPoliciesNaming = async (
  deps: Pick<ObserveDeps, 'iam'>,
  projectId: string,
  member: string,
): Promise<Array<{ email: string; policy: IamPolicy }>> => {
  const accounts = await deps.iam.listServiceAccounts(projectId);
  const policies = await Promise.all(
    accounts.map(async (account) => ({
      email: account.email,
      policy: await deps.iam.getPolicy({ kind: 'serviceAccount', email: account.email }),
    })),
  );
  return policies.filter(({ policy }) => describedGrantsOf(policy, member).length > 0);
};

/** Where opsplane's own access policy still names the user (it is not changed here). */
const accessPolicyMentions = (platform: PlatformState, member: string): string[] => [
  ...Object.entries(platform.access.groups)
    .filter(([, members]) => members.includes(member))
    .map(([group]) => `group ${group}`),
  ...(platform.access.grants.some((grant) => grant.principal === member) ? ['a direct grant'] : []),
  ...(platform.access.approvers.includes(member) ? ['the approvers'] : []),
];

const bindingKey = (binding: { namespace: string; name: string }): string =>
  `${binding.namespace}/${binding.name}`;

/**
 * Proves a deleted profile and its namespace are gone. The finalizer and the namespace's own
 * deletion run asynchronously in a real cluster: while either is terminating the operation is
 * parked to look again.
 */
const verifyProfileGone = async (kubeflow: KubeflowApi, name: string, resumeAt: Date): Promise<void> => {
  const profile = await findProfile(kubeflow, name);
  if (profile?.state === 'terminating') {
    throw new OperationPendingError(`profile ${name}`, {
      resumeAt,
      message: `waiting for profile ${name} to finish terminating`,
    });
  }
  if (profile) throw new VerificationFailedError(`profile ${name} still exists (${profile.state})`);
  let namespace: NamespaceView | undefined;
  try {
    namespace = await kubeflow.getNamespace(name);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  if (!namespace) return;
  if (namespace.phase === 'Terminating') {
    throw new OperationPendingError(`namespace ${name}`, {
      resumeAt,
      message: `waiting for namespace ${name} to finish terminating`,
    });
  }
  throw new VerificationFailedError(
    `namespace ${name} of deleted profile ${name} is still ${namespace.phase}`,
  );
};

/** Milliseconds a removal is parked while a deleted profile terminates. */
const PROFILE_GONE_RECHECK_MS = 15_000;

/** The `user.remove` operation module (registered in shared/operations/registry.ts). */
const userRemove: OperationModule<'user.remove', UserRemoveObserved, UserRemovePlan> = {
  type: 'user.remove',

  resource: userResource,

  async observe(args, platform, deps) {
    const member = userMember(args.email);
    const [user, projectPolicy, iapPolicy, serviceAccountPolicies, contributorBindings, profiles] =
      await Promise.all([
        deps.desiredState.getUser(args.email),
        deps.iam.getPolicy(projectPolicyTarget(platform)),
        deps.iam.getPolicy(iapPolicyTarget(platform)),
        serviceAccountPoliciesNaming(deps, platform.projectId, member),
        deps.kubeflow.listContributorBindings(args.email),
        deps.kubeflow.listProfiles(),
      ]);
    const heldAccounts = Object.entries(platform.keys.serviceAccounts)
      .filter(([, account]) => account.holders.includes(args.email))
      .map(([serviceAccount]) => serviceAccount)
      .sort();
    const heldKeys = await Promise.all(
      heldAccounts.map(async (serviceAccount) => ({
        serviceAccount,
        keyIds: (await deps.iam.listKeys(serviceAccount)).map((key) => key.id).sort(),
      })),
    );
    return {
      ...(user ? { user } : {}),
      projectPolicy,
      iapPolicy,
      serviceAccountPolicies,
      contributorBindings,
      ownedProfiles: profiles.filter((profile) => profile.ownerEmail.toLowerCase() === args.email),
      heldKeys,
    };
  },

  plan(platform, observed, args) {
    const { email } = args;
    const member = userMember(email);
    const inventory: Array<{ target: PolicyTarget; policy: IamPolicy }> = [
      { target: projectPolicyTarget(platform), policy: observed.projectPolicy },
      { target: iapPolicyTarget(platform), policy: observed.iapPolicy },
      ...[...observed.serviceAccountPolicies]
        .sort((a, b) => a.email.localeCompare(b.email))
        .map(({ email: account, policy }) => ({
          target: { kind: 'serviceAccount' as const, email: account },
          policy,
        })),
    ];
    const policyEdits: UserRemovePlan['policyEdits'] = [];
    const changes: PlanChange[] = [];
    for (const { target, policy } of inventory) {
      const before = describedGrantsOf(policy, member);
      if (before.length === 0) continue;
      const edit: MemberPolicyEdit = { target, revoke: 'all', grant: [] };
      policyEdits.push({ ...edit, before });
      changes.push(...planChangesOf(policy, member, edit));
    }

    const personal = observed.ownedProfiles
      .filter((profile) => isPersonalProfile(profile, observed.user?.profile))
      .sort((a, b) => a.name.localeCompare(b.name));
    const keepProfile = args.keepProfile === true;
    const personalNames = new Set(personal.map((profile) => profile.name));
    const team = observed.ownedProfiles
      .filter((profile) => !personalNames.has(profile.name))
      .map((profile) => profile.name)
      .sort();
    const byKey = (a: PlannedBinding, b: PlannedBinding): number =>
      bindingKey(a).localeCompare(bindingKey(b));
    const toPlanned = (binding: ContributorBindingView): PlannedBinding => ({
      namespace: binding.namespace,
      name: binding.name,
      role: binding.role,
    });
    // The owner's own bindings belong to the profile controller: they go with a deleted profile
    // and stay with a kept one. Everything else kfam-style is removed.
    const contributorBindings = observed.contributorBindings
      .filter((binding) => !binding.managedByProfile)
      .map(toPlanned)
      .sort(byKey);
    const keptProfiles = new Set(keepProfile ? [...team, ...personalNames] : team);
    const keptBindings = observed.contributorBindings
      .filter((binding) => binding.managedByProfile && keptProfiles.has(binding.namespace))
      .map(toPlanned)
      .sort(byKey);
    for (const binding of contributorBindings) {
      changes.push({
        resource: `namespaces/${binding.namespace}/rolebindings/${binding.name}`,
        field: 'contributor',
        from: `${email} (${binding.role})`,
        to: null,
      });
    }
    const warnings: string[] = [];
    for (const profile of keepProfile ? personal : []) {
      warnings.push(
        `personal profile ${profile.name} is kept (keepProfile): run user.remove ${JSON.stringify({ email })} to delete it and its namespace (needs approval)`,
      );
      if (profile.labels[PROFILE_TYPE_LABEL] !== 'personal') {
        warnings.push(
          `profile ${profile.name} is personal only by desired state's record, which this removal deletes: label it ${PROFILE_TYPE_LABEL}=personal first, or a later user.remove keeps it as a team profile`,
        );
      }
    }
    for (const profile of keepProfile ? [] : personal) {
      changes.push({ resource: `profiles/${profile.name}`, field: 'owner', from: email, to: null });
      warnings.push(
        `deleting personal profile ${profile.name} deletes namespace ${profile.name} with its notebooks and volumes; back up what should be kept first`,
      );
      if (profile.state === 'terminating') {
        warnings.push(
          `profile ${profile.name} is already terminating: if its finalizer is stuck (e.g. the WorkloadIdentity revoke gets 403), verification waits until someone clears it`,
        );
      }
    }
    for (const name of team) {
      warnings.push(
        `${email} owns team profile ${name}, which is kept: it needs a new owner (ops-catalog §1.2, owner change)`,
      );
    }

    const keysToRotate: HeldKeys[] = observed.heldKeys.map(({ serviceAccount, keyIds }) => ({
      serviceAccount,
      keyIds,
      rotate: { type: 'keys.rotate', args: { serviceAccount } },
    }));
    for (const held of keysToRotate) {
      warnings.push(
        `${email} holds a copy of a user-managed key of ${held.serviceAccount} (current keys: ${held.keyIds.join(', ') || 'none'}); removing their access does not revoke it: run keys.rotate ${JSON.stringify(held.rotate.args)}`,
      );
    }
    const mentions = accessPolicyMentions(platform, member);
    if (mentions.length > 0) {
      warnings.push(
        `opsplane's access policy still names ${member} (${mentions.join(', ')}); remove them there too (opsplane state set)`,
      );
    }

    const userBefore = observed.user ? plannedUserOf(observed.user) : undefined;
    changes.push(...desiredStateChanges(email, userBefore, undefined));
    const grantCount = policyEdits.reduce((sum, edit) => sum + edit.before.length, 0);
    const noop = changes.length === 0;
    const deleted = keepProfile ? [] : personal;
    const access = `${grantCount} grant${grantCount === 1 ? '' : 's'} in ${policyEdits.length} polic${
      policyEdits.length === 1 ? 'y' : 'ies'
    }, ${contributorBindings.length} contributor binding${contributorBindings.length === 1 ? '' : 's'}`;
    return {
      summary: noop
        ? `${email} has no access to remove${keepProfile && personal.length > 0 ? ` (personal profiles kept: ${[...personalNames].join(', ')})` : ''}`
        : keepProfile
          ? `revoke ${email}: ${access}; personal profile${personal.length === 1 ? '' : 's'} kept: ${[...personalNames].join(', ') || 'none'}`
          : `remove ${email}: ${access}, ${deleted.length} personal profile${deleted.length === 1 ? '' : 's'}`,
      changes,
      warnings,
      noop,
      email,
      member,
      keepProfile,
      projectId: platform.projectId,
      projectTarget: projectPolicyTarget(platform),
      iapTarget: iapPolicyTarget(platform),
      policyEdits,
      contributorBindings,
      personalProfiles: deleted.map((profile) => ({
        name: profile.name,
        ...(profile.gcpServiceAccount ? { gcpServiceAccount: profile.gcpServiceAccount } : {}),
      })),
      keptPersonalProfiles: keepProfile ? [...personalNames] : [],
      teamProfiles: team,
      keptBindings,
      keysToRotate,
      ...(userBefore ? { userBefore } : {}),
    };
  },

  approvalReason(plan) {
    if (plan.keepProfile) return undefined;
    if (plan.personalProfiles.length > 0) {
      const names = plan.personalProfiles.map((profile) => profile.name).join(', ');
      return `deleting personal profile${plan.personalProfiles.length === 1 ? '' : 's'} ${names} of ${plan.email} deletes ${plan.personalProfiles.length === 1 ? 'its namespace' : 'their namespaces'} with notebooks and volumes (ops catalog §1.3 step 5, A3)`;
    }
    return `user.remove offboards ${plan.email} for good (A3); keepProfile: true revokes access without approval`;
  },

  async apply(plan, deps) {
    if (plan.noop) return;
    // 1. Access first: one etag-guarded write per policy, each a no-op when a re-run finds the
    //    member gone already.
    for (const edit of plan.policyEdits) {
      await deps.iam.editPolicy(edit.target, (policy) => applyMemberEdit(policy, plan.member, edit));
    }
    for (const namespace of [...new Set(plan.contributorBindings.map((binding) => binding.namespace))]) {
      await deps.kubeflow.removeContributor(namespace, plan.email);
    }
    // 2. Personal profiles: an absent one is success, so a re-run deletes nothing twice.
    for (const profile of plan.personalProfiles) {
      await deps.kubeflow.deleteProfile(profile.name);
    }
    // 3. Desired state last, so that a failure above leaves the user managed and visible.
    await deps.desiredState.deleteUser(plan.email);
  },

  async verify(plan, deps) {
    const resumeAt = new Date(deps.clock.now().getTime() + PROFILE_GONE_RECHECK_MS);
    for (const profile of plan.personalProfiles) {
      await verifyProfileGone(deps.kubeflow, profile.name, resumeAt);
    }
    // Every policy we manage, read back: the project, IAP and every service account, planned or not.
    const targets: PolicyTarget[] = [
      plan.projectTarget,
      plan.iapTarget,
      ...(await deps.iam.listServiceAccounts(plan.projectId)).map(
        (account): PolicyTarget => ({ kind: 'serviceAccount', email: account.email }),
      ),
    ];
    const planned = new Map(plan.policyEdits.map((edit) => [policyName(edit.target), edit]));
    const live = new Map<string, IamPolicy>();
    const policies: PolicyGrantsChange[] = [];
    for (const target of targets) {
      const policy = await deps.iam.getPolicy(target);
      live.set(policyName(target), policy);
      const checked = verifyMemberGrants(policy, plan.member, { target, revoke: 'all', grant: [] }, []);
      const edit = planned.get(policyName(target));
      if (edit) policies.push({ ...checked, before: edit.before });
    }
    for (const profile of plan.personalProfiles) {
      if (!profile.gcpServiceAccount) continue;
      const policy = live.get(policyName({ kind: 'serviceAccount', email: profile.gcpServiceAccount }));
      const member = workloadIdentityMember(plan.projectId, profile.name);
      if (policy && holdsRole(policy, WORKLOAD_IDENTITY_ROLE, member)) {
        throw new VerificationFailedError(
          `${profile.gcpServiceAccount} still grants ${WORKLOAD_IDENTITY_ROLE} to ${member} of deleted profile ${profile.name}`,
        );
      }
    }
    const kept = new Set(plan.keptBindings.map(bindingKey));
    const remaining = await deps.kubeflow.listContributorBindings(plan.email);
    const leftOver = remaining.filter((binding) => !kept.has(bindingKey(binding)));
    if (leftOver.length > 0) {
      throw new VerificationFailedError(
        `${plan.email} still has contributor bindings: ${leftOver.map(bindingKey).join(', ')}`,
      );
    }
    if (await deps.desiredState.getUser(plan.email)) {
      throw new VerificationFailedError(`desired state still records ${plan.email}`);
    }
    return {
      email: plan.email,
      policies,
      contributorBindings: {
        before: plan.contributorBindings.map(bindingKey),
        after: remaining.map(bindingKey),
      },
      keepProfile: plan.keepProfile,
      profilesDeleted: plan.personalProfiles.map((profile) => profile.name),
      personalProfilesKept: plan.keptPersonalProfiles,
      teamProfilesKept: plan.teamProfiles,
      desiredState: { before: plan.userBefore ?? null, after: null },
      keysToRotate: plan.keysToRotate,
    };
  },
};

export type { HeldKeys, PlannedBinding, UserRemoveObserved, UserRemovePlan };
export { userRemove };
