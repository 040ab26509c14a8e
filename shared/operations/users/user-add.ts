import type { UserState } from '../../desired-state';
import { NotFoundError, PolicyViolationError } from '../../errors';
import type { IamPolicy, NamespaceView, ProfileView } from '../../gcp';
import type { BasePlan, OperationModule, PlanChange } from '../operation';
import {
  adminLikeRolesOf,
  applyMemberEdit,
  checkedExpiry,
  describedGrantsOf,
  desiredStateChanges,
  expiryCondition,
  findProfile,
  grantsOfMember,
  IAP_ACCESSOR_ROLE,
  iapPolicyTarget,
  type MemberGrant,
  type MemberPolicyEdit,
  type PlannedUser,
  PROFILE_TYPE_LABEL,
  planChangesOf,
  plannedUserOf,
  profileNameFor,
  projectPolicyTarget,
  recordUser,
  refuseOwnerGrant,
  roleTemplateFor,
  userMember,
  userResource,
  verifyPersonalProfile,
  verifyPolicyEdits,
  verifyRecordedUser,
} from './user-access';

/**
 * `user.add` (ops-catalog §1.1): gives a user what their role template says, in one etag-guarded
 * read-modify-write per policy: the template's project roles, IAP web access, and a personal
 * Kubeflow profile; then records the user in desired state. Time-bound templates (contractor) put
 * an expiry condition on every binding. Adding a user who is already managed with the same template
 * re-grants exactly the template (e.g. a contractor's new end date); another template is
 * `user.role.set`'s job.
 */

/** What `user.add` reads before planning. */
interface UserAddObserved {
  /** The clock's time, so that plan can check an expiry without reading a clock itself. */
  now: string;
  /** The user's desired-state record, when already managed. */
  user?: UserState;
  projectPolicy: IamPolicy;
  iapPolicy: IamPolicy;
  /** The profile of the personal profile's name, when one exists (and a profile is wanted). */
  profile?: ProfileView;
  /** The namespace of that name when there is no such profile but the namespace exists. */
  namespace?: NamespaceView;
}

/** The personal profile `user.add` makes (`create`) or finds already there for the user. */
interface PlannedProfile {
  name: string;
  ownerEmail: string;
  gcpServiceAccount: string;
  resourceQuotaSpec: { hard: Record<string, string> };
  labels: Record<string, string>;
  create: boolean;
}

/** Everything apply needs to add the user, as plain data (the ledger stores it; approvals hash it). */
interface UserAddPlan extends BasePlan {
  email: string;
  member: string;
  role: string;
  projectId: string;
  /** One edit per policy (project, then IAP), with the user's grants there when planned. */
  policyEdits: Array<MemberPolicyEdit & { before: string[] }>;
  profile?: PlannedProfile;
  user: PlannedUser;
  /** The desired-state record as it was, when the user was already managed. */
  userBefore?: PlannedUser;
  /** The template's admin-like roles (owner, editor, *.admin): why approval is needed. */
  adminRoles: string[];
}

/** The `user.add` operation module (registered in shared/operations/registry.ts). */
const userAdd: OperationModule<'user.add', UserAddObserved, UserAddPlan> = {
  type: 'user.add',

  resource: userResource,

  async observe(args, platform, deps) {
    const template = platform.roleTemplates[args.role];
    const user = await deps.desiredState.getUser(args.email);
    const projectPolicy = await deps.iam.getPolicy(projectPolicyTarget(platform));
    const iapPolicy = await deps.iam.getPolicy(iapPolicyTarget(platform));
    const observed: UserAddObserved = {
      now: deps.clock.now().toISOString(),
      ...(user ? { user } : {}),
      projectPolicy,
      iapPolicy,
    };
    if (template?.profile && args.profile !== false) {
      const name = profileNameFor(args.email);
      const profile = await findProfile(deps.kubeflow, name);
      if (profile) return { ...observed, profile };
      try {
        return { ...observed, namespace: await deps.kubeflow.getNamespace(name) };
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    return observed;
  },

  plan(platform, observed, args) {
    const { email } = args;
    const member = userMember(email);
    const template = roleTemplateFor(platform, args.role);
    refuseOwnerGrant(args.role, template.projectRoles);
    const existing = observed.user;
    if (existing && existing.role !== args.role) {
      throw new PolicyViolationError(
        `${email} is already a managed user with role template "${existing.role}"; change it with user.role.set`,
        { email, role: existing.role },
      );
    }
    const expiresAt = checkedExpiry(args.role, template, args.expiresAt, observed.now, email);
    const condition = expiresAt ? expiryCondition(expiresAt) : undefined;
    const grant = (role: string): MemberGrant => ({ role, ...(condition ? { condition } : {}) });

    // The template's roles are revoked first and granted again, so that they end up with exactly
    // the planned condition (a contractor's new end date replaces the old one).
    const edits: Array<MemberPolicyEdit & { before: string[] }> = [
      {
        target: projectPolicyTarget(platform),
        revoke: [...template.projectRoles],
        grant: template.projectRoles.map(grant),
        before: describedGrantsOf(observed.projectPolicy, member),
      },
    ];
    if (template.iap) {
      edits.push({
        target: iapPolicyTarget(platform),
        revoke: [IAP_ACCESSOR_ROLE],
        grant: [grant(IAP_ACCESSOR_ROLE)],
        before: describedGrantsOf(observed.iapPolicy, member),
      });
    }
    const changes: PlanChange[] = [
      ...planChangesOf(observed.projectPolicy, member, edits[0] as MemberPolicyEdit),
      ...(edits[1] ? planChangesOf(observed.iapPolicy, member, edits[1]) : []),
    ];
    const warnings: string[] = [];
    const outside = grantsOfMember(observed.projectPolicy, member).filter(
      (held) => !template.projectRoles.includes(held.role),
    );
    if (outside.length > 0) {
      warnings.push(
        `${email} also holds ${outside.map((held) => held.role).join(', ')}, which role template "${args.role}" does not grant; user.add leaves them (user.remove or a console change removes them)`,
      );
    }

    let profile: PlannedProfile | undefined;
    if (template.profile && args.profile !== false) {
      const name = profileNameFor(email);
      const found = observed.profile;
      if (found && found.ownerEmail.toLowerCase() !== email) {
        throw new PolicyViolationError(
          `profile ${name} already exists and is owned by ${found.ownerEmail || 'nobody'}; add ${email} with profile: false, or free the name first`,
          { profile: name, ownerEmail: found.ownerEmail },
        );
      }
      if (!found && observed.namespace && (observed.namespace.ownerEmail ?? '').toLowerCase() !== email) {
        throw new PolicyViolationError(
          `namespace ${name} already exists and is not owned by ${email} (owner: ${observed.namespace.ownerEmail ?? 'none'}); the profile controller would refuse the profile; add ${email} with profile: false`,
          { namespace: name, ownerEmail: observed.namespace.ownerEmail ?? null },
        );
      }
      const create = !found || found.state === 'terminating';
      if (found?.state === 'terminating') {
        warnings.push(`profile ${name} is still being deleted; it is created again once it is gone`);
      }
      profile = {
        name,
        ownerEmail: email,
        gcpServiceAccount: platform.kubeflow.userServiceAccount,
        resourceQuotaSpec: { hard: { ...platform.kubeflow.defaultQuota.hard } },
        labels: { [PROFILE_TYPE_LABEL]: 'personal', ...(args.team ? { team: args.team } : {}) },
        create,
      };
      if (create) changes.push({ resource: `profiles/${name}`, field: 'owner', from: null, to: email });
    }

    const team = args.team ?? existing?.team;
    const profileName = profile?.name ?? existing?.profile;
    const user: PlannedUser = {
      email,
      role: args.role,
      ...(team !== undefined ? { team } : {}),
      ...(profileName !== undefined ? { profile: profileName } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    };
    const userBefore = existing ? plannedUserOf(existing) : undefined;
    changes.push(...desiredStateChanges(email, userBefore, user));

    const adminRoles = adminLikeRolesOf(template);
    const noop = changes.length === 0;
    const parts = [
      `${template.projectRoles.length} project role${template.projectRoles.length === 1 ? '' : 's'}`,
      ...(template.iap ? ['IAP web access'] : []),
      ...(profile ? [`profile ${profile.name}`] : []),
      ...(expiresAt ? [`until ${expiresAt}`] : []),
    ];
    return {
      summary: noop
        ? `${email} already has everything role template "${args.role}" gives`
        : `add ${email} as ${args.role}: ${parts.join(', ')}`,
      changes,
      warnings,
      noop,
      email,
      member,
      role: args.role,
      projectId: platform.projectId,
      policyEdits: edits,
      ...(profile ? { profile } : {}),
      user,
      ...(userBefore ? { userBefore } : {}),
      adminRoles,
    };
  },

  approvalReason(plan) {
    return plan.adminRoles.length > 0
      ? `role template "${plan.role}" grants admin-like roles: ${plan.adminRoles.join(', ')}`
      : undefined;
  },

  async apply(plan, deps) {
    if (plan.noop) return;
    // Each edit reads, changes and writes with the etag (redone on a concurrent write) and writes
    // nothing when the grants are already there: a re-run after a crash converges without a second
    // grant. Project first, then IAP, as the catalog orders them.
    for (const edit of plan.policyEdits) {
      await deps.iam.editPolicy(edit.target, (policy) => applyMemberEdit(policy, plan.member, edit));
    }
    if (plan.profile?.create) {
      // Safe to repeat: a profile of that name and owner already there is success.
      await deps.kubeflow.createProfile({
        name: plan.profile.name,
        ownerEmail: plan.profile.ownerEmail,
        gcpServiceAccount: plan.profile.gcpServiceAccount,
        resourceQuotaSpec: plan.profile.resourceQuotaSpec,
        labels: plan.profile.labels,
      });
    }
    await recordUser(plan.user, deps);
  },

  async verify(plan, deps) {
    const policies = await verifyPolicyEdits(plan, deps);
    const profile = plan.profile
      ? {
          ...(await verifyPersonalProfile(deps, plan.projectId, plan.profile)),
          created: plan.profile.create,
        }
      : undefined;
    const recorded = await verifyRecordedUser(deps, plan.email, plan.role);
    return {
      email: plan.email,
      role: plan.role,
      policies,
      ...(profile ? { profile } : {}),
      desiredState: { before: plan.userBefore ?? null, after: plannedUserOf(recorded) },
    };
  },
};

export type { PlannedProfile, UserAddObserved, UserAddPlan };
export { userAdd };
