import type { AccessPolicy } from '../desired-state';
import { PermissionDeniedError } from '../errors';

/**
 * Who may do what, from desired state's access policy. A principal is an actor (`user:a@b`), a
 * group (`group:platform`, expanded one level) or an actor pattern (`schedule:*`); a permission is
 * a command type, a prefix (`sql.*`) or `*`.
 */

/** Whether a principal as written in the policy names this actor. */
const principalNames = (principal: string, actor: string, groups: AccessPolicy['groups']): boolean => {
  if (principal === actor) return true;
  if (principal.endsWith(':*')) return actor.startsWith(principal.slice(0, -1));
  if (principal.startsWith('group:')) {
    const members = groups[principal.slice('group:'.length)] ?? [];
    return members.some((member) => !member.startsWith('group:') && principalNames(member, actor, {}));
  }
  return false;
};

const permissionCovers = (granted: string, wanted: string): boolean =>
  granted === '*' ||
  granted === wanted ||
  (granted.endsWith('.*') && wanted.startsWith(granted.slice(0, -1)));

/** The grants that give `actor` the permission (empty: refused). */
const grantsFor = (access: AccessPolicy, actor: string, permission: string) =>
  access.grants.filter(
    (grant) =>
      principalNames(grant.principal, actor, access.groups) &&
      grant.permissions.some((granted) => permissionCovers(granted, permission)),
  );

/** @throws PermissionDeniedError naming the actor and the permission it lacks. */
const requirePermission = (access: AccessPolicy, actor: string, permission: string): void => {
  if (grantsFor(access, actor, permission).length === 0) {
    throw new PermissionDeniedError(
      `${actor} does not hold permission "${permission}" (desired state access.grants); ask a platform owner to grant it`,
      { actor, permission },
    );
  }
};

const isApprover = (access: AccessPolicy, actor: string): boolean =>
  access.approvers.some((principal) => principalNames(principal, actor, access.groups));

export { grantsFor, isApprover, permissionCovers, principalNames, requirePermission };
