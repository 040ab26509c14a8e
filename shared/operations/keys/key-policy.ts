import type { PlatformState } from '../../desired-state';
import { NotFoundError, PolicyViolationError } from '../../errors';
import {
  type SecretVersionState,
  type SecretVersionView,
  type ServiceAccountKeyView,
  secretName,
} from '../../gcp';
import type { ObserveDeps, OperationProgress } from '../operation';

/**
 * Helpers the key operations (`keys.rotate`, `keys.prune`, ops-catalog §3.1) share: which accounts
 * the key policy covers and where their key files live, the live inventory of an account's
 * user-managed keys and of its key secret's versions, and the ordering and attribution rules both
 * operations reason with. Nothing here ever holds key material: keys and versions are metadata.
 */

/** An account's entry in the key policy: its key secret and the people known to hold a copy. */
type KeyAccountPolicy = PlatformState['keys']['serviceAccounts'][string];

/** Where an account's key file is stored: Secret Manager, in the platform's project. */
interface KeySecretRef {
  project: string;
  secretId: string;
  /** `projects/{projectId}/secrets/{secretId}`, as SecretsApi names secrets. */
  name: string;
}

/** A user-managed key as plans record it (plain data; the key view is already free of material). */
interface KeyState {
  id: string;
  validAfterTime: string;
  disabled: boolean;
}

/** A secret version as plans record it. */
interface VersionState {
  version: number;
  state: SecretVersionState;
  /** RFC 3339; absent when the server sent none. */
  createTime?: string;
}

/** What both key operations observe: the account's keys and its key secret, read live. */
interface KeyInventory {
  serviceAccount: string;
  /** When it was read (RFC 3339), so that a pure plan can age keys. */
  observedAt: string;
  /** User-managed keys only (the only ones that count toward the limit), oldest first. */
  keys: KeyState[];
  secret: KeySecretRef & {
    exists: boolean;
    /** Every version in every state, newest first; empty when the secret does not exist. */
    versions: VersionState[];
  };
  /** The key policy's holders of a copy who are not managed users (departed), sorted. */
  departedHolders: string[];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The account's key policy entry.
 *
 * @throws PolicyViolationError naming the accounts the policy covers, when it does not cover this one.
 */
const keyAccountPolicy = (platform: PlatformState, serviceAccount: string): KeyAccountPolicy => {
  const policy = platform.keys.serviceAccounts[serviceAccount];
  if (!policy) {
    const known = Object.keys(platform.keys.serviceAccounts).sort();
    throw new PolicyViolationError(
      `${serviceAccount} is not in the key policy: opsplane only manages the keys of ${known.join(', ') || 'no service account'}`,
      { serviceAccount, known },
    );
  }
  return policy;
};

/** The lease key of an account's keys: rotations and prunes of one account never overlap. */
const keysResource = (serviceAccount: string): string => `keys/${serviceAccount}`;

/** The secret an account's key file is stored in (the secret lives in the platform's project). */
const keySecretRef = (platform: PlatformState, policy: KeyAccountPolicy): KeySecretRef => ({
  project: platform.projectId,
  secretId: policy.secret,
  name: secretName(platform.projectId, policy.secret),
});

/** `{secret}/versions/{n}`, the name the version calls take. */
const versionResourceName = (secret: string, version: number): string => `${secret}/versions/${version}`;

/** How a key appears in a plan's changes: under the lease resource, by id. */
const keyChangeResource = (serviceAccount: string, keyId: string): string =>
  `${keysResource(serviceAccount)}/${keyId}`;

/** How a secret version appears in a plan's changes. */
const versionChangeResource = (secretId: string, version: number | string): string =>
  `secrets/${secretId}/versions/${version}`;

const byAge = (left: KeyState, right: KeyState): number =>
  Date.parse(left.validAfterTime) - Date.parse(right.validAfterTime) || left.id.localeCompare(right.id);

/** Keys oldest first (by `validAfterTime`, the creation time of a user-managed key). */
const oldestFirst = <T extends KeyState>(keys: readonly T[]): T[] => [...keys].sort(byAge);

/** The newest key, or undefined when there is none. */
const newestKey = <T extends KeyState>(keys: readonly T[]): T | undefined => oldestFirst(keys).at(-1);

/** The plan's form of a key view (drops the name and origin the plans do not need). */
const toKeyState = (key: ServiceAccountKeyView | KeyState): KeyState => ({
  id: key.id,
  validAfterTime: key.validAfterTime,
  disabled: key.disabled,
});

const toVersionState = (version: SecretVersionView): VersionState => ({
  version: version.version,
  state: version.state,
  ...(version.createTime ? { createTime: version.createTime } : {}),
});

/** How many whole days `from` lies before `to`. */
const daysBetween = (from: string, to: string): number =>
  Math.floor((Date.parse(to) - Date.parse(from)) / DAY_MS);

/** An enabled key past the key policy's age, with its age in whole days. */
type OverdueKey<T extends KeyState> = T & { ageDays: number };

/**
 * The one rule of key age, shared by the scheduled check (`keys.check`) and drift (`key-age`): an
 * ENABLED user-managed key at least `maxAgeDays` old must be rotated away, whichever key it is. An
 * old key left enabled beside a newer one (a rotation left half-done) counts as much as an old
 * newest key, because whoever still uses it keeps an overdue credential working. Oldest first.
 */
const keysPastMaxAge = <T extends KeyState>(
  keys: readonly T[],
  now: string,
  maxAgeDays: number,
): Array<OverdueKey<T>> =>
  oldestFirst(keys.filter((key) => !key.disabled))
    .map((key) => ({ ...key, ageDays: daysBetween(key.validAfterTime, now) }))
    .filter((key) => key.ageDays >= maxAgeDays);

/**
 * The key a secret version holds, by time: the newest key created at or before the version (a
 * rotation creates the key, then stores it). Secret payloads are never read to find out. When the
 * true key has since been deleted this names an older one, which only ever makes a version that
 * holds a deleted key look like it holds another; undefined when nothing can be said.
 */
const keyHeldBy = (version: VersionState, keys: readonly KeyState[]): string | undefined => {
  if (!version.createTime) return undefined;
  const storedAt = Date.parse(version.createTime);
  return newestKey(keys.filter((key) => Date.parse(key.validAfterTime) <= storedAt))?.id;
};

/**
 * What both key operations lease and observe: the account the command names (refused before any
 * read when the key policy does not cover it), its user-managed keys, and its key secret's versions.
 */
const keyTarget = {
  resource: (args: { serviceAccount: string }): string => keysResource(args.serviceAccount),
  async observe(
    args: { serviceAccount: string },
    platform: PlatformState,
    deps: Pick<ObserveDeps, 'iam' | 'secrets' | 'clock' | 'desiredState'>,
  ): Promise<KeyInventory> {
    const policy = keyAccountPolicy(platform, args.serviceAccount);
    const secret = keySecretRef(platform, policy);
    const keys = await deps.iam.listKeys(args.serviceAccount);
    const managed = await Promise.all(policy.holders.map((holder) => deps.desiredState.getUser(holder)));
    const departedHolders = policy.holders.filter((_, index) => !managed[index]).sort();
    let versions: SecretVersionView[] = [];
    let exists = true;
    try {
      versions = await deps.secrets.listVersions(secret.name);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      exists = false;
    }
    return {
      serviceAccount: args.serviceAccount,
      observedAt: deps.clock.now().toISOString(),
      keys: oldestFirst(keys.map(toKeyState)),
      secret: { ...secret, exists, versions: versions.map(toVersionState) },
      departedHolders,
    };
  },
};

/** A string fact an earlier attempt recorded for `step`, if any. */
const recordedString = (progress: OperationProgress, step: string, fact: string): string | undefined => {
  const value = progress.step(step)?.[fact];
  return typeof value === 'string' ? value : undefined;
};

/** A number fact an earlier attempt recorded for `step`, if any. */
const recordedNumber = (progress: OperationProgress, step: string, fact: string): number | undefined => {
  const value = progress.step(step)?.[fact];
  return typeof value === 'number' ? value : undefined;
};

/** A key's state in a result's before → after lists. */
const describeKey = (
  key: KeyState,
): { id: string; validAfterTime: string; state: 'ENABLED' | 'DISABLED' } => ({
  id: key.id,
  validAfterTime: key.validAfterTime,
  state: key.disabled ? 'DISABLED' : 'ENABLED',
});

export type { KeyAccountPolicy, KeyInventory, KeySecretRef, KeyState, OverdueKey, VersionState };
export {
  DAY_MS,
  daysBetween,
  describeKey,
  HOUR_MS,
  keyAccountPolicy,
  keyChangeResource,
  keyHeldBy,
  keySecretRef,
  keysPastMaxAge,
  keysResource,
  keyTarget,
  newestKey,
  oldestFirst,
  recordedNumber,
  recordedString,
  toKeyState,
  toVersionState,
  versionChangeResource,
  versionResourceName,
};
