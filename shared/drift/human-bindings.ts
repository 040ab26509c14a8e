import type { PlatformState, UserState } from '../desired-state';
import { type IamCondition, type IamPolicy, withMember } from '../gcp';
import { expiryCondition, IAP_ACCESSOR_ROLE } from '../operations/users/user-access';

/**
 * The humans' side of the project and IAP policies as desired state says it should be, and the
 * pure edit that brings a live policy there (`iam.bindings.reconcile`, and the drift findings that
 * name it). Conservative on purpose: only `user:` members and roles opsplane manages (the role
 * templates' roles, roles/editor, roles/owner; on IAP the accessor role) are ever touched, never
 * service accounts, groups or roles another tool owns. One pass over the policy, so the cost is
 * linear in its size whatever the number of users.
 */

/** The two policies whose human bindings opsplane keeps. */
type HumanPolicyKind = 'project' | 'iap';

/** One grant as a plan carries it: a role, optionally under a condition. */
interface HumanGrant {
  role: string;
  condition?: IamCondition;
}

/** What changes for one member: grants removed, grants added, and the member's managed grants before → after. */
interface MemberBindingEdit {
  member: string;
  remove: HumanGrant[];
  add: HumanGrant[];
  before: string[];
  after: string[];
}

/** What desired state wants of one policy's human bindings. */
interface DesiredHumanBindings {
  /** Roles opsplane manages in this policy. */
  managedRoles: Set<string>;
  /** By lower-cased `user:` member: the grants desired state gives it. */
  grants: Map<string, HumanGrant[]>;
  /** Members whose grants must not be touched at all (their role template is unknown). */
  untouchable: Set<string>;
}

/** Grants compare by role and condition expression (titles are labels only). */
const humanGrantKey = (grant: HumanGrant): string => `${grant.role}|${grant.condition?.expression ?? ''}`;

/** A grant as plans show it: `roles/x`, or `roles/x if <expression>`. */
const describeHumanGrant = (grant: HumanGrant): string =>
  grant.condition ? `${grant.role} if ${grant.condition.expression}` : grant.role;

/** The roles opsplane manages in a policy: what its templates grant, plus owner and editor on the project. */
const managedRolesOf = (platform: PlatformState, kind: HumanPolicyKind): Set<string> =>
  kind === 'iap'
    ? new Set([IAP_ACCESSOR_ROLE])
    : new Set([
        'roles/owner',
        'roles/editor',
        ...Object.values(platform.roleTemplates).flatMap((template) => template.projectRoles),
      ]);

/**
 * The human grants desired state gives in a policy: each managed user's template (under their
 * expiry condition; nothing once it has passed), plus the `user:` members of authoritative
 * (Terraform) bindings of managed roles, which opsplane must never take away.
 */
const desiredHumanBindings = (
  platform: PlatformState,
  users: readonly UserState[],
  kind: HumanPolicyKind,
  now: string,
): DesiredHumanBindings => {
  const managedRoles = managedRolesOf(platform, kind);
  const grants = new Map<string, HumanGrant[]>();
  const untouchable = new Set<string>();
  const add = (member: string, grant: HumanGrant): void => {
    const list = grants.get(member) ?? [];
    if (!list.some((held) => humanGrantKey(held) === humanGrantKey(grant))) list.push(grant);
    grants.set(member, list);
  };
  for (const user of users) {
    const member = `user:${user.email.toLowerCase()}`;
    const template = platform.roleTemplates[user.role];
    if (!template) {
      untouchable.add(member);
      continue;
    }
    grants.set(member, grants.get(member) ?? []);
    const expired = user.expiresAt !== undefined && Date.parse(user.expiresAt) <= Date.parse(now);
    if (expired) continue;
    const condition = user.expiresAt ? expiryCondition(user.expiresAt) : undefined;
    const roles = kind === 'iap' ? (template.iap ? [IAP_ACCESSOR_ROLE] : []) : template.projectRoles;
    for (const role of roles) add(member, { role, ...(condition ? { condition } : {}) });
  }
  for (const binding of platform.authoritativeBindings ?? []) {
    if (binding.policy !== kind || !managedRoles.has(binding.role)) continue;
    for (const member of binding.members) {
      if (member.toLowerCase().startsWith('user:')) add(member.toLowerCase(), { role: binding.role });
    }
  }
  return { managedRoles, grants, untouchable };
};

/** The managed grants of every `user:` member of a policy, by lower-cased member; one pass. */
const heldHumanGrants = (
  policy: IamPolicy,
  managedRoles: ReadonlySet<string>,
): Map<string, { member: string; grants: HumanGrant[] }> => {
  const held = new Map<string, { member: string; grants: HumanGrant[] }>();
  for (const binding of policy.bindings) {
    if (!managedRoles.has(binding.role)) continue;
    for (const member of binding.members) {
      const key = member.toLowerCase();
      if (!key.startsWith('user:')) continue;
      const entry = held.get(key) ?? { member, grants: [] };
      entry.grants.push({
        role: binding.role,
        ...(binding.condition ? { condition: binding.condition } : {}),
      });
      held.set(key, entry);
    }
  }
  return held;
};

/**
 * The edits that make a policy's human bindings what desired state says: for each member in scope
 * (all `user:` members of the policy and all desired ones when `members` is absent), the managed
 * grants to remove and the desired ones to add. roles/owner is never added (Google grants it to a
 * user only through an invitation): such grants come back in `ungrantable`.
 */
const planHumanBindingEdits = (
  policy: IamPolicy,
  desired: DesiredHumanBindings,
  members?: readonly string[],
): { edits: MemberBindingEdit[]; ungrantable: string[] } => {
  const scope = members ? new Set(members.map((member) => member.toLowerCase())) : undefined;
  const held = heldHumanGrants(policy, desired.managedRoles);
  const keys = new Set([...held.keys(), ...desired.grants.keys()]);
  const edits: MemberBindingEdit[] = [];
  const ungrantable: string[] = [];
  for (const key of [...keys].sort()) {
    if ((scope && !scope.has(key)) || desired.untouchable.has(key)) continue;
    const heldGrants = held.get(key)?.grants ?? [];
    const wanted = desired.grants.get(key) ?? [];
    const wantedKeys = new Set(wanted.map(humanGrantKey));
    const heldKeys = new Set(heldGrants.map(humanGrantKey));
    const remove = heldGrants.filter((grant) => !wantedKeys.has(humanGrantKey(grant)));
    const missing = wanted.filter((grant) => !heldKeys.has(humanGrantKey(grant)));
    const add = missing.filter((grant) => grant.role !== 'roles/owner');
    for (const grant of missing.filter((candidate) => candidate.role === 'roles/owner')) {
      ungrantable.push(`${key} ${describeHumanGrant(grant)}`);
    }
    if (remove.length === 0 && add.length === 0) continue;
    const removedKeys = new Set(remove.map(humanGrantKey));
    const kept = heldGrants.filter((grant) => !removedKeys.has(humanGrantKey(grant)));
    edits.push({
      member: held.get(key)?.member ?? key,
      remove,
      add,
      before: heldGrants.map(describeHumanGrant).sort(),
      after: [...kept, ...add].map(describeHumanGrant).sort(),
    });
  }
  return { edits, ungrantable };
};

/**
 * `policy` with `edits` applied: each removal takes the member out of the binding of that role and
 * condition; each addition joins (or creates) the binding unless the member already holds it.
 * Replaying the edits on a policy read later is idempotent, and leaves every other member alone.
 */
const applyHumanBindingEdits = (policy: IamPolicy, edits: readonly MemberBindingEdit[]): IamPolicy => {
  const removals = new Map<string, Set<string>>();
  for (const edit of edits) {
    removals.set(edit.member.toLowerCase(), new Set(edit.remove.map(humanGrantKey)));
  }
  let next: IamPolicy = {
    ...policy,
    bindings: policy.bindings
      .map((binding) => {
        const key = humanGrantKey({
          role: binding.role,
          ...(binding.condition ? { condition: binding.condition } : {}),
        });
        return {
          ...binding,
          members: binding.members.filter(
            (member) => !(removals.get(member.toLowerCase())?.has(key) ?? false),
          ),
        };
      })
      .filter((binding) => binding.members.length > 0),
  };
  for (const edit of edits) {
    for (const grant of edit.add) {
      const holds = next.bindings.some(
        (binding) =>
          binding.role === grant.role &&
          (binding.condition?.expression ?? '') === (grant.condition?.expression ?? '') &&
          binding.members.some((member) => member.toLowerCase() === edit.member.toLowerCase()),
      );
      if (!holds) next = withMember(next, grant.role, edit.member, grant.condition);
    }
  }
  return next;
};

export type { DesiredHumanBindings, HumanGrant, HumanPolicyKind, MemberBindingEdit };
export {
  applyHumanBindingEdits,
  describeHumanGrant,
  desiredHumanBindings,
  heldHumanGrants,
  humanGrantKey,
  managedRolesOf,
  planHumanBindingEdits,
};
