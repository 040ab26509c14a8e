import type { PlatformState, UserState } from '../../desired-state';
import {
  applyHumanBindingEdits,
  describeHumanGrant,
  desiredHumanBindings,
  type HumanPolicyKind,
  type MemberBindingEdit,
  planHumanBindingEdits,
} from '../../drift/human-bindings';
import { VerificationFailedError } from '../../errors';
import { diffPolicies, type GrantChange, type IamPolicy, type PolicyTarget } from '../../gcp';
import type { BasePlan, OperationModule, PlanChange } from '../operation';
import { iapPolicyTarget, policyName, projectPolicyTarget } from '../users/user-access';

/**
 * `iam.bindings.reconcile` (A2; issue 6): removes the bindings of opsplane-managed roles that humans
 * were given behind opsplane's back (console, gcloud, client libraries) and adds the desired ones
 * that are missing, in the project or the IAP policy. One read and at most one write per policy,
 * whatever the number of users: observe reads the policy; apply writes the edits onto that read,
 * guarded by its etag (a stale etag redoes the cycle from a fresh read; a resumed apply reads
 * first); verify checks the policy setIamPolicy returned, and reads only when apply left none.
 * Only `user:` members and managed roles are touched; service accounts, groups and other roles
 * never. Removing owner/editor from a human, or removing many members at
 * once, waits for a human approval.
 */

/** Progress step: apply wrote (or found nothing to write); `{ etag, outstanding }` of the stored policy. */
const WRITE_STEP = 'writePolicy';

/** Edits the stored policy does not reflect, as `member role` lines (empty: all hold). */
const outstandingEdits = (policy: IamPolicy, edits: readonly MemberBindingEdit[]): GrantChange[] =>
  diffPolicies(policy, applyHumanBindingEdits(policy, edits));

/** Members losing grants in one reconcile above which a human approves first. */
const MAX_UNAPPROVED_MEMBER_REMOVALS = 5;

/** Desired state and the policy as read. */
interface IamBindingsReconcileObserved {
  users: UserState[];
  policy: IamPolicy;
  now: string;
}

/** The per-member edits, replayed on the policy apply reads. */
interface IamBindingsReconcilePlan extends BasePlan {
  policyKind: HumanPolicyKind;
  target: PolicyTarget;
  edits: MemberBindingEdit[];
}

/** The policy a kind names. */
const targetOf = (platform: PlatformState, kind: HumanPolicyKind): PolicyTarget =>
  kind === 'iap' ? iapPolicyTarget(platform) : projectPolicyTarget(platform);

/** Plan lines: one per grant removed or added. */
const changesOf = (target: PolicyTarget, edits: readonly MemberBindingEdit[]): PlanChange[] =>
  edits.flatMap((edit) => [
    ...edit.remove.map((grant) => ({
      resource: policyName(target),
      field: edit.member,
      from: describeHumanGrant(grant),
      to: null,
    })),
    ...edit.add.map((grant) => ({
      resource: policyName(target),
      field: edit.member,
      from: null,
      to: describeHumanGrant(grant),
    })),
  ]);

/** The `iam.bindings.reconcile` operation module (registered in shared/operations/registry.ts). */
const iamBindingsReconcile: OperationModule<
  'iam.bindings.reconcile',
  IamBindingsReconcileObserved,
  IamBindingsReconcilePlan
> = {
  type: 'iam.bindings.reconcile',

  // The policy is the resource: two reconciles of one policy never interleave their writes.
  resource: (args, platform) =>
    args.policy === 'iap' ? `iap/${platform.projectNumber}` : `project-iam/${platform.projectId}`,

  async observe(args, platform, deps) {
    const [users, policy] = await Promise.all([
      deps.desiredState.listUsers(),
      deps.iam.getPolicy(targetOf(platform, args.policy)),
    ]);
    return { users, policy, now: deps.clock.now().toISOString() };
  },

  plan(platform, observed, args) {
    const target = targetOf(platform, args.policy);
    const desired = desiredHumanBindings(platform, observed.users, args.policy, observed.now);
    const { edits, ungrantable } = planHumanBindingEdits(observed.policy, desired, args.members);
    const removed = edits.filter((edit) => edit.remove.length > 0).length;
    const added = edits.filter((edit) => edit.add.length > 0).length;
    return {
      summary:
        edits.length === 0
          ? `the human bindings of ${policyName(target)} are as desired state says`
          : `${policyName(target)}: remove grants of ${removed} member${removed === 1 ? '' : 's'}, add grants to ${added}`,
      changes: changesOf(target, edits),
      warnings: ungrantable.map(
        (grant) =>
          `${grant} is desired but not granted: Google gives roles/owner to a user only through a console invitation`,
      ),
      noop: edits.length === 0,
      policyKind: args.policy,
      target,
      edits,
    };
  },

  approvalReason(plan) {
    const adminRemovals = plan.edits.flatMap((edit) =>
      edit.remove
        .filter((grant) => grant.role === 'roles/owner' || grant.role === 'roles/editor')
        .map((grant) => `${grant.role} from ${edit.member}`),
    );
    if (adminRemovals.length > 0) return `removes ${adminRemovals.join(', ')}`;
    const losing = plan.edits.filter((edit) => edit.remove.length > 0).length;
    if (losing > MAX_UNAPPROVED_MEMBER_REMOVALS) {
      return `removes grants of ${losing} members at once (more than ${MAX_UNAPPROVED_MEMBER_REMOVALS})`;
    }
    return undefined;
  },

  async apply(plan, deps, observed) {
    if (plan.noop) return;
    // One read-modify-write for every member, starting from the policy observe read when this
    // delivery has it; replaying the edits on a fresh read is idempotent.
    const edited = await deps.iam.editPolicy(
      plan.target,
      (policy) => applyHumanBindingEdits(policy, plan.edits),
      observed ? { basis: observed.policy } : {},
    );
    await deps.progress.recordStep(WRITE_STEP, {
      etag: edited.after.etag,
      outstanding: outstandingEdits(edited.after, plan.edits).length,
    });
  },

  async verify(plan, deps) {
    const written = deps.progress.step(WRITE_STEP);
    // The policy setIamPolicy returned is the stored one: no second read when it shows every edit.
    const outstanding =
      plan.noop || written?.outstanding === 0
        ? []
        : outstandingEdits(await deps.iam.getPolicy(plan.target), plan.edits);
    if (outstanding.length > 0) {
      throw new VerificationFailedError(
        `${policyName(plan.target)}: ${outstanding
          .map(
            (change) =>
              `${change.member} ${change.change === 'added' ? 'lacks' : 'still holds'} ${change.role}`,
          )
          .join('; ')}`,
      );
    }
    return {
      policy: policyName(plan.target),
      members: plan.edits.map((edit) => ({ member: edit.member, before: edit.before, after: edit.after })),
      removed: plan.edits.reduce((sum, edit) => sum + edit.remove.length, 0),
      added: plan.edits.reduce((sum, edit) => sum + edit.add.length, 0),
    };
  },
};

export type { IamBindingsReconcileObserved, IamBindingsReconcilePlan };
export { iamBindingsReconcile, MAX_UNAPPROVED_MEMBER_REMOVALS };
