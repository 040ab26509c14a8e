import { ResourceBusyError, StateConflictError } from '../errors';
import type { Clock } from '../time/clock';

/**
 * IAM allow policies in the control plane's own terms, the pure edits made to them, and the one
 * read-modify-write loop every policy edit goes through (ops-catalog §0 "IAM read-modify-write"):
 * read at version 3 → apply a pure change → stop if nothing changed → write with the etag read →
 * on 409 ABORTED (someone else wrote in between) redo the whole cycle after a backoff.
 *
 * The loop knows nothing of which API holds the policy: it is given a {@link PolicyStore}, so the
 * project (Resource Manager v3), IAP web resources and service accounts share it, and it can be
 * unit-tested without a client.
 */

/** The CEL condition of a conditional binding, e.g. a contractor's end date. */
interface IamCondition {
  title: string;
  expression: string;
  description?: string;
}

/** One role granted to members, optionally under a condition. */
interface IamBinding {
  role: string;
  members: string[];
  condition?: IamCondition;
}

/**
 * A policy as read from any of the three APIs. `etag` is the opaque base64 token the next write
 * must carry; `version` is 3 exactly when a binding has a condition.
 */
interface IamPolicy {
  version: number;
  etag: string;
  bindings: IamBinding[];
}

/** A pure edit: returns the policy wanted, never mutates its argument. */
type PolicyChange = (policy: IamPolicy) => IamPolicy;

/** One grant that a change adds or removes; what audit records list. */
interface GrantChange {
  role: string;
  member: string;
  change: 'added' | 'removed';
  condition?: IamCondition;
}

/**
 * Where a policy lives. Implementations translate client errors through `fromGcpError`, so a stale
 * etag (409 ABORTED) arrives as a `StateConflictError`.
 */
interface PolicyStore {
  /** Reads the policy at version 3 (conditional bindings included). */
  read(): Promise<IamPolicy>;
  /** Writes the policy, guarded by its etag; returns what the API stored. */
  write(policy: IamPolicy): Promise<IamPolicy>;
}

/** Per-call options of a policy edit. */
interface PolicyEditOptions {
  /**
   * Compute the change without writing it (the plan an A3 approval attaches).
   * @default false
   */
  dryRun?: boolean;
  /**
   * Read-modify-write cycles before giving up on concurrent writers.
   * @default MAX_POLICY_EDIT_ATTEMPTS
   */
  maxAttempts?: number;
  /**
   * The policy as already read (an operation's observation): the first cycle edits it instead of
   * reading again, so an edit whose etag is still current costs one write. A stale etag fails the
   * write (409) and the next cycle reads afresh, so a stale basis is never written over anything.
   */
  basis?: IamPolicy;
}

/** How the loop waits between conflicting attempts. */
interface PolicyEditDeps {
  clock: Clock;
  /** In [0, 1); jitter source. @default Math.random */
  random?: () => number;
  /** First backoff ceiling in ms; doubles per attempt. @default POLICY_EDIT_BASE_DELAY_MS */
  baseDelayMs?: number;
  /** Largest backoff ceiling in ms. @default POLICY_EDIT_MAX_DELAY_MS */
  maxDelayMs?: number;
}

/** What an edit did. `after` is the stored policy (new etag) or, when nothing changed, `before`. */
interface PolicyEditResult {
  before: IamPolicy;
  after: IamPolicy;
  changed: boolean;
  /** Read-modify-write cycles run; more than 1 means another writer won a race. */
  attempts: number;
  /** The grants added and removed, for the audit record and the plan. */
  diff: GrantChange[];
}

/**
 * Read-modify-write cycles per edit. Google asks for "exponential backoff" without a number; eight
 * cycles with full jitter ride out a burst of dozens of concurrent writers (see the integration
 * test with twenty) while still failing within seconds when something writes in a loop.
 */
const MAX_POLICY_EDIT_ATTEMPTS = 8;
/** First backoff ceiling: about one read-modify-write round trip against Google. */
const POLICY_EDIT_BASE_DELAY_MS = 200;
const POLICY_EDIT_MAX_DELAY_MS = 5_000;

const sameCondition = (a: IamCondition | undefined, b: IamCondition | undefined): boolean =>
  a === undefined || b === undefined
    ? a === b
    : a.expression === b.expression && a.title === b.title && (a.description ?? '') === (b.description ?? '');

const copyCondition = (condition: IamCondition): IamCondition => ({
  title: condition.title,
  expression: condition.expression,
  ...(condition.description ? { description: condition.description } : {}),
});

const copyPolicy = (policy: IamPolicy): IamPolicy => ({
  version: policy.version,
  etag: policy.etag,
  bindings: policy.bindings.map((binding) => ({
    role: binding.role,
    members: [...binding.members],
    ...(binding.condition ? { condition: copyCondition(binding.condition) } : {}),
  })),
});

/** Whether any binding is conditional, which obliges version 3 on read and write. */
const hasConditions = (policy: IamPolicy): boolean =>
  policy.bindings.some((binding) => binding.condition !== undefined);

/**
 * The policy with `member` granted `role` (under `condition`, if given). Joins the binding with the
 * same role and condition, or appends one; unchanged if the grant is already there. Members are
 * compared exactly, as IAM stores them.
 */
const withMember = (policy: IamPolicy, role: string, member: string, condition?: IamCondition): IamPolicy => {
  const next = copyPolicy(policy);
  const binding = next.bindings.find(
    (candidate) => candidate.role === role && sameCondition(candidate.condition, condition),
  );
  if (binding) {
    if (!binding.members.includes(member)) binding.members.push(member);
  } else {
    next.bindings.push({
      role,
      members: [member],
      ...(condition ? { condition: copyCondition(condition) } : {}),
    });
  }
  return next;
};

/**
 * The policy without `member` in any binding, conditional ones included, or only in `roles`.
 * Bindings left empty are dropped: IAM refuses a binding with no principal.
 */
const withoutMember = (
  policy: IamPolicy,
  member: string,
  options: { roles?: readonly string[] } = {},
): IamPolicy => {
  const next = copyPolicy(policy);
  next.bindings = next.bindings
    .map((binding) =>
      options.roles && !options.roles.includes(binding.role)
        ? binding
        : { ...binding, members: binding.members.filter((candidate) => candidate !== member) },
    )
    .filter((binding) => binding.members.length > 0);
  return next;
};

/** Every distinct member of the policy, sorted: the offboarding inventory of one policy. */
const membersOf = (policy: IamPolicy): string[] =>
  [...new Set(policy.bindings.flatMap((binding) => binding.members))].sort();

/** One grant's identity: role, condition and member. */
const grantKey = (role: string, condition: IamCondition | undefined, member: string): string =>
  JSON.stringify([
    role,
    condition?.expression ?? null,
    condition?.title ?? null,
    condition?.description ?? null,
    member,
  ]);

const grantsOf = (policy: IamPolicy): Map<string, Omit<GrantChange, 'change'>> => {
  const grants = new Map<string, Omit<GrantChange, 'change'>>();
  for (const binding of policy.bindings) {
    for (const member of binding.members) {
      grants.set(grantKey(binding.role, binding.condition, member), {
        role: binding.role,
        member,
        ...(binding.condition ? { condition: copyCondition(binding.condition) } : {}),
      });
    }
  }
  return grants;
};

/**
 * The grants `after` adds to and removes from `before`, ordered by role then member, removals first.
 * Binding order and duplicate listings do not count as changes.
 */
const diffPolicies = (before: IamPolicy, after: IamPolicy): GrantChange[] => {
  const old = grantsOf(before);
  const next = grantsOf(after);
  const removed = [...old]
    .filter(([key]) => !next.has(key))
    .map(([, grant]) => ({ ...grant, change: 'removed' as const }));
  const added = [...next]
    .filter(([key]) => !old.has(key))
    .map(([, grant]) => ({ ...grant, change: 'added' as const }));
  const order = (a: GrantChange, b: GrantChange): number =>
    a.role.localeCompare(b.role) || a.member.localeCompare(b.member);
  return [...removed.sort(order), ...added.sort(order)];
};

/** A stale etag: the API's 409 ABORTED "There were concurrent policy changes". */
const isConcurrentPolicyChange = (error: unknown): boolean => error instanceof StateConflictError;

/**
 * Runs one policy edit against `store`: read → `change` → write with the etag read, redoing the whole
 * cycle on a stale etag with full-jitter exponential backoff on `deps.clock`.
 *
 * @param describe - names the policy in errors, e.g. `project acme-ml-prod`.
 * @throws ResourceBusyError (retryable) when every attempt lost to a concurrent writer.
 * @throws the store's ControlPlaneError for any other failure, unretried.
 */
const runPolicyEdit = async (
  store: PolicyStore,
  change: PolicyChange,
  describe: string,
  deps: PolicyEditDeps,
  options: PolicyEditOptions = {},
): Promise<PolicyEditResult> => {
  const maxAttempts = options.maxAttempts ?? MAX_POLICY_EDIT_ATTEMPTS;
  const random = deps.random ?? Math.random;
  const base = deps.baseDelayMs ?? POLICY_EDIT_BASE_DELAY_MS;
  const cap = deps.maxDelayMs ?? POLICY_EDIT_MAX_DELAY_MS;
  let lastConflict: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const before = attempt === 1 && options.basis ? copyPolicy(options.basis) : await store.read();
    // The change gets a copy, so an impure change cannot alter `before` behind the caller's back.
    const wanted = change(copyPolicy(before));
    const diff = diffPolicies(before, wanted);
    if (diff.length === 0) return { before, after: before, changed: false, attempts: attempt, diff };
    const toWrite: IamPolicy = {
      ...copyPolicy(wanted),
      // The etag read, whatever the change did with it: it is what makes the write safe.
      etag: before.etag,
      // Version 3 whenever a condition is present, or the API refuses (or would drop) it.
      version: hasConditions(wanted) ? 3 : 1,
    };
    if (options.dryRun) return { before, after: toWrite, changed: true, attempts: attempt, diff };
    try {
      const after = await store.write(toWrite);
      return { before, after, changed: true, attempts: attempt, diff };
    } catch (error) {
      if (!isConcurrentPolicyChange(error)) throw error;
      lastConflict = error;
      if (attempt < maxAttempts) {
        // Full jitter, so writers that collided spread out instead of colliding again in step.
        await deps.clock.sleep(Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 1))));
      }
    }
  }
  throw new ResourceBusyError(
    `${describe}: the IAM policy kept changing under ${maxAttempts} read-modify-write attempts; retry later`,
    { cause: lastConflict },
  );
};

export type {
  GrantChange,
  IamBinding,
  IamCondition,
  IamPolicy,
  PolicyChange,
  PolicyEditDeps,
  PolicyEditOptions,
  PolicyEditResult,
  PolicyStore,
};
export {
  diffPolicies,
  hasConditions,
  isConcurrentPolicyChange,
  MAX_POLICY_EDIT_ATTEMPTS,
  membersOf,
  POLICY_EDIT_BASE_DELAY_MS,
  POLICY_EDIT_MAX_DELAY_MS,
  runPolicyEdit,
  withMember,
  withoutMember,
};
