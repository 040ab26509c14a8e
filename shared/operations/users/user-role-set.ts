import type { UserState } from '../../desired-state';
import { NotFoundError } from '../../errors';
import type { IamPolicy } from '../../gcp';
import type { BasePlan, OperationModule, PlanChange } from '../operation';
import {
  adminLikeRolesOf,
  applyMemberEdit,
  checkedExpiry,
  describedGrantsOf,
  desiredStateChanges,
  expiryCondition,
  grantsOfMember,
  IAP_ACCESSOR_ROLE,
  iapPolicyTarget,
  type MemberGrant,
  type MemberPolicyEdit,
  type PlannedUser,
  planChangesOf,
  plannedUserOf,
  projectPolicyTarget,
  recordUser,
  refuseOwnerGrant,
  roleTemplateFor,
  userMember,
  userResource,
  verifyPolicyEdits,
  verifyRecordedUser,
} from './user-access';

/**
 * `user.role.set` (ops-catalog §1.2): moves a managed user from their role template to another. The
 * project policy gets the difference of the two templates in one etag-guarded read-modify-write:
 * roles only the old template grants are revoked, roles only the new one grants are added (with the
 * user's expiry condition, if they have one), roles both grant are kept as they are. IAP follows
 * the new template. Desired state then records the new role. Escalations to admin-like roles wait
 * for approval; downgrades do not.
 */

/** What `user.role.set` reads before planning. */
interface UserRoleSetObserved {
  /** The clock's time, so that plan can check the user's expiry without reading a clock itself. */
  now: string;
  /** The user's desired-state record; its role is the old template. */
  user?: UserState;
  projectPolicy: IamPolicy;
  iapPolicy: IamPolicy;
}

/** Everything apply needs to move the user, as plain data (the ledger stores it; approvals hash it). */
interface UserRoleSetPlan extends BasePlan {
  email: string;
  member: string;
  fromRole: string;
  role: string;
  /** One edit per policy that the change touches, with the user's grants there when planned. */
  policyEdits: Array<MemberPolicyEdit & { before: string[] }>;
  user: PlannedUser;
  userBefore: PlannedUser;
  /** Admin-like roles the new template grants and the old one did not: why approval is needed. */
  escalation: string[];
}

/** The `user.role.set` operation module (registered in shared/operations/registry.ts). */
const userRoleSet: OperationModule<'user.role.set', UserRoleSetObserved, UserRoleSetPlan> = {
  type: 'user.role.set',

  resource: userResource,

  async observe(args, platform, deps) {
    const user = await deps.desiredState.getUser(args.email);
    const projectPolicy = await deps.iam.getPolicy(projectPolicyTarget(platform));
    const iapPolicy = await deps.iam.getPolicy(iapPolicyTarget(platform));
    return { now: deps.clock.now().toISOString(), ...(user ? { user } : {}), projectPolicy, iapPolicy };
  },

  plan(platform, observed, args) {
    const { email } = args;
    const member = userMember(email);
    const user = observed.user;
    if (!user) throw new NotFoundError(`${email} is not a managed user; use user.add`);
    const next = roleTemplateFor(platform, args.role);
    const userBefore = plannedUserOf(user);
    if (user.role === args.role) {
      return {
        summary: `${email} already has role template "${args.role}"`,
        changes: [],
        warnings: [],
        noop: true,
        email,
        member,
        fromRole: user.role,
        role: args.role,
        policyEdits: [],
        user: userBefore,
        userBefore,
        escalation: [],
      };
    }
    const old = platform.roleTemplates[user.role];
    const oldRoles = old?.projectRoles ?? [];
    const added = next.projectRoles.filter((role) => !oldRoles.includes(role));
    const revoked = oldRoles.filter((role) => !next.projectRoles.includes(role));
    refuseOwnerGrant(args.role, added);
    const expiresAt = checkedExpiry(args.role, next, user.expiresAt, observed.now, email);
    const condition = expiresAt ? expiryCondition(expiresAt) : undefined;
    const grant = (role: string): MemberGrant => ({ role, ...(condition ? { condition } : {}) });

    // Shared roles are granted only where the user lacks them (drift), so those they hold stay as
    // they are; roles only the old template grants go, under whatever condition they were held.
    const edits: Array<MemberPolicyEdit & { before: string[] }> = [
      {
        target: projectPolicyTarget(platform),
        revoke: revoked,
        grant: next.projectRoles.map(grant),
        before: describedGrantsOf(observed.projectPolicy, member),
      },
    ];
    if (next.iap || old?.iap) {
      edits.push({
        target: iapPolicyTarget(platform),
        revoke: next.iap ? [] : [IAP_ACCESSOR_ROLE],
        grant: next.iap ? [grant(IAP_ACCESSOR_ROLE)] : [],
        before: describedGrantsOf(observed.iapPolicy, member),
      });
    }
    const after: PlannedUser = { ...userBefore, role: args.role };
    const changes: PlanChange[] = [
      ...planChangesOf(observed.projectPolicy, member, edits[0] as MemberPolicyEdit),
      ...(edits[1] ? planChangesOf(observed.iapPolicy, member, edits[1]) : []),
      ...desiredStateChanges(email, userBefore, after),
    ];

    const warnings: string[] = [];
    if (!old) {
      warnings.push(
        `${email}'s current role template "${user.role}" is no longer in desired state, so none of its grants are revoked; review ${email}'s project roles`,
      );
    }
    const outside = grantsOfMember(observed.projectPolicy, member).filter(
      (held) => !next.projectRoles.includes(held.role) && !revoked.includes(held.role),
    );
    if (outside.length > 0) {
      warnings.push(
        `${email} also holds ${outside.map((held) => held.role).join(', ')}, which neither template grants; user.role.set leaves them`,
      );
    }
    if (next.profile && !user.profile) {
      warnings.push(
        `role template "${args.role}" comes with a personal profile, which ${email} does not have; user.role.set does not create one`,
      );
    }
    if (!next.profile && user.profile) {
      warnings.push(
        `${email} keeps personal profile ${user.profile}, although role template "${args.role}" gives none`,
      );
    }
    const oldAdmin = old ? adminLikeRolesOf(old) : [];
    const escalation = adminLikeRolesOf(next).filter((role) => !oldAdmin.includes(role));
    return {
      summary: `${email}: role template "${user.role}" → "${args.role}" (+${added.length} −${revoked.length} project roles${
        edits[1] ? `, IAP ${next.iap ? 'kept' : 'removed'}` : ''
      })`,
      changes,
      warnings,
      noop: changes.length === 0,
      email,
      member,
      fromRole: user.role,
      role: args.role,
      policyEdits: edits,
      user: after,
      userBefore,
      escalation,
    };
  },

  approvalReason(plan) {
    return plan.escalation.length > 0
      ? `escalation from "${plan.fromRole}" to "${plan.role}" adds admin-like roles: ${plan.escalation.join(', ')}`
      : undefined;
  },

  async apply(plan, deps) {
    if (plan.noop) return;
    // One read-modify-write per policy, with the etag; a re-run finds the edit done and writes nothing.
    for (const edit of plan.policyEdits) {
      await deps.iam.editPolicy(edit.target, (policy) => applyMemberEdit(policy, plan.member, edit));
    }
    await recordUser(plan.user, deps);
  },

  async verify(plan, deps) {
    const policies = await verifyPolicyEdits(plan, deps);
    const recorded = await verifyRecordedUser(deps, plan.email, plan.role);
    return {
      email: plan.email,
      role: { before: plan.fromRole, after: recorded.role },
      policies,
      desiredState: { before: plan.userBefore, after: plannedUserOf(recorded) },
    };
  },
};

export type { UserRoleSetObserved, UserRoleSetPlan };
export { userRoleSet };
