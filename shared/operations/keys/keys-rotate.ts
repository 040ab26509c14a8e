import { PolicyViolationError, VerificationFailedError } from '../../errors';
import { MAX_USER_MANAGED_KEYS } from '../../gcp';
import type { BasePlan, OperationDeps, OperationModule, PlanChange } from '../operation';
import { waitUntil } from '../steps';
import {
  describeKey,
  HOUR_MS,
  type KeyInventory,
  type KeySecretRef,
  type KeyState,
  keyAccountPolicy,
  keyChangeResource,
  keyTarget,
  newestKey,
  oldestFirst,
  recordedNumber,
  recordedString,
  toKeyState,
  type VersionState,
  versionChangeResource,
  versionResourceName,
} from './key-policy';

/**
 * `keys.rotate` (ops-catalog §3.1): a new user-managed key, stored at once as a new version of the
 * account's key secret; after the grace period the old keys and the old enabled versions are
 * disabled, then the old keys deleted.
 *
 * The key's private part is returned once, by the create: it lives only in memory, as
 * SecretMaterial, until addVersion has stored it. Apply records the new key's id right after the
 * create and the stored version right after addVersion, so a re-run after a crash anywhere can tell
 * a stored key (kept) from one whose material was lost (deleted and created again), and adopts a
 * version it added but did not get to record instead of adding another.
 *
 * Departed holders (desired state's `holders` of the account who are no longer managed users) are
 * cleared from the key policy with the old keys: the copies they held are dead, and they must not
 * be handed the new one. Otherwise drift's `key-held-by-unmanaged` finding, and reconcile's
 * rotation, would come back for ever. Active holders stay: the plan tells the operator to hand them
 * the new key, and offboarding one later must still know to rotate it.
 */

/** Progress step: `{ keyId }` of the key this rotation created. */
const CREATE_STEP = 'createKey';
/** Progress step: `{ version, storedAt }`, the version holding the new key and when it was stored. */
const STORE_STEP = 'storeKey';
/** Progress step: the old keys and versions are retired; `{ deletedKeyIds, disabledVersions, clearedHolders }`. */
const RETIRE_STEP = 'retireOldKeys';
/** The name of the parked wait (OperationPendingError) of the grace period. */
const GRACE_STEP = 'gracePeriod';

interface KeysRotatePlan extends BasePlan {
  serviceAccount: string;
  secret: KeySecretRef & {
    /** False: apply creates it (ensureSecret, idempotent). */
    exists: boolean;
    /** Labels a created secret gets. */
    labels: Record<string, string>;
  };
  graceHours: number;
  /** Every user-managed key at plan time, oldest first. Any other key apply did not record is an orphan. */
  keysBefore: KeyState[];
  /** Every version of the secret at plan time, newest first. */
  versionsBefore: VersionState[];
  /** Oldest disabled keys deleted before the create, so that the new key fits under the key limit. */
  makeRoomKeyIds: string[];
  /** The other keys at plan time: after the grace period the enabled ones are disabled, then all deleted. */
  retireKeyIds: string[];
  /** The highest version number at plan time (0: none); a newer version holds this rotation's key. */
  knownVersion: number;
  /** Versions ENABLED at plan time: disabled after the grace period. */
  versionsToDisable: number[];
  /** Holders who are not managed users at plan time: cleared from desired state once the old keys are deleted. */
  departedHolders: string[];
}

/** The key this rotation created and stored, as recorded. */
interface StoredKey {
  keyId: string;
  version: number;
  storedAt: string;
}

/** Labels of a key secret opsplane creates: who manages it and whose key it holds. */
const secretLabels = (serviceAccount: string): Record<string, string> => ({
  'managed-by': 'opsplane',
  'service-account': (serviceAccount.split('@')[0] ?? serviceAccount).toLowerCase(),
});

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** The stored key recorded by an earlier attempt, once both steps are recorded. */
const storedKeyOf = (deps: Pick<OperationDeps, 'progress'>): StoredKey | undefined => {
  const keyId = recordedString(deps.progress, CREATE_STEP, 'keyId');
  const version = recordedNumber(deps.progress, STORE_STEP, 'version');
  const storedAt = recordedString(deps.progress, STORE_STEP, 'storedAt');
  return keyId && version !== undefined && storedAt ? { keyId, version, storedAt } : undefined;
};

/** Which keys must go first to stay within the key limit; refuses when not enough can. */
const keysToMakeRoom = (observed: KeyInventory): string[] => {
  const excess = observed.keys.length + 1 - MAX_USER_MANAGED_KEYS;
  if (excess <= 0) return [];
  const disabled = observed.keys.filter((key) => key.disabled);
  if (disabled.length < excess) {
    throw new PolicyViolationError(
      `${observed.serviceAccount} holds ${observed.keys.length} user-managed keys (${disabled.length} disabled): a new key would exceed the limit of ${MAX_USER_MANAGED_KEYS}, and deleting every disabled key frees only ${disabled.length} of the ${excess} slots needed; disable old keys (they are deleted to make room) or delete some first`,
      {
        serviceAccount: observed.serviceAccount,
        keys: observed.keys.length,
        disabled: disabled.length,
        limit: MAX_USER_MANAGED_KEYS,
      },
    );
  }
  return oldestFirst(disabled)
    .slice(0, excess)
    .map((key) => key.id);
};

/** The plan's diff, in the order apply makes the changes. */
const changesOf = (plan: Omit<KeysRotatePlan, 'summary' | 'changes' | 'warnings' | 'noop'>): PlanChange[] => {
  const { serviceAccount, secret } = plan;
  const keyOf = (id: string) => plan.keysBefore.find((key) => key.id === id);
  const changes: PlanChange[] = [];
  if (!secret.exists) {
    changes.push({ resource: `secrets/${secret.secretId}`, field: 'secret', from: null, to: secret.name });
  }
  for (const id of plan.makeRoomKeyIds) {
    changes.push({
      resource: keyChangeResource(serviceAccount, id),
      field: 'key',
      from: 'DISABLED',
      to: null,
    });
  }
  changes.push(
    { resource: keyChangeResource(serviceAccount, '(new)'), field: 'key', from: null, to: 'ENABLED' },
    {
      resource: versionChangeResource(secret.secretId, '(new)'),
      field: 'version',
      from: null,
      to: 'ENABLED',
    },
  );
  for (const version of plan.versionsToDisable) {
    changes.push({
      resource: versionChangeResource(secret.secretId, version),
      field: 'state',
      from: 'ENABLED',
      to: 'DISABLED',
    });
  }
  for (const id of plan.retireKeyIds) {
    if (!keyOf(id)?.disabled) {
      changes.push({
        resource: keyChangeResource(serviceAccount, id),
        field: 'state',
        from: 'ENABLED',
        to: 'DISABLED',
      });
    }
  }
  for (const id of plan.retireKeyIds) {
    changes.push({
      resource: keyChangeResource(serviceAccount, id),
      field: 'key',
      from: 'DISABLED',
      to: null,
    });
  }
  for (const holder of plan.departedHolders) {
    changes.push({
      resource: `desiredState/keys/${serviceAccount}/holders/${holder}`,
      field: 'holder',
      from: holder,
      to: null,
    });
  }
  return changes;
};

/**
 * Phase 1: the new key, created and stored. Crash-safe by the two recorded steps: keys no attempt
 * recorded are orphans whose material is lost (deleted), a recorded key with no stored version is
 * lost too (deleted, created again), and a version added after the plan but not recorded holds the
 * recorded key (adopted).
 */
const storeNewKey = async (plan: KeysRotatePlan, deps: OperationDeps): Promise<StoredKey> => {
  const done = storedKeyOf(deps);
  if (done) return done;
  const { iam, secrets, progress, logger } = deps;
  const account = plan.serviceAccount;
  await secrets.ensureSecret(plan.secret.project, plan.secret.secretId, plan.secret.labels);

  const live = await iam.listKeys(account);
  const known = new Set(plan.keysBefore.map((key) => key.id));
  const recorded = recordedString(progress, CREATE_STEP, 'keyId');
  for (const key of live) {
    if (known.has(key.id) || key.id === recorded) continue;
    // Created by an attempt that crashed before recording it: its private part is gone.
    logger.warn('deleting an orphaned key of an interrupted rotation', {
      serviceAccount: account,
      keyId: key.id,
    });
    await iam.deleteKey(account, key.id);
  }
  const liveIds = new Set(live.map((key) => key.id));
  for (const id of plan.makeRoomKeyIds) {
    if (liveIds.has(id)) await iam.deleteKey(account, id);
  }

  if (recorded && liveIds.has(recorded)) {
    const versions = await secrets.listVersions(plan.secret.name);
    // Newest first: the version an interrupted attempt added right after creating the recorded key.
    const added = versions.find(
      (version) => version.version > plan.knownVersion && version.state === 'ENABLED',
    );
    if (added) {
      // The grace period counts from now, not from the lost store: later, never shorter.
      const adopted = { keyId: recorded, version: added.version, storedAt: deps.clock.now().toISOString() };
      await progress.recordStep(STORE_STEP, { version: adopted.version, storedAt: adopted.storedAt });
      return adopted;
    }
    logger.warn('deleting a key whose material was lost before it was stored', {
      serviceAccount: account,
      keyId: recorded,
    });
    await iam.deleteKey(account, recorded);
  }

  const created = await iam.createKey(account);
  try {
    await progress.recordStep(CREATE_STEP, { keyId: created.id });
    const version = await secrets.addVersion(plan.secret.name, created.material);
    const stored = { keyId: created.id, version: version.version, storedAt: deps.clock.now().toISOString() };
    await progress.recordStep(STORE_STEP, { version: stored.version, storedAt: stored.storedAt });
    logger.info('new key stored', {
      serviceAccount: account,
      keyId: stored.keyId,
      secretId: plan.secret.secretId,
      version: stored.version,
    });
    return stored;
  } finally {
    created.material.wipe();
  }
};

/**
 * Phase 3: the old keys disabled, the old enabled versions disabled, the old keys deleted. Every
 * call is decided on the live state, so a re-run skips what an interrupted one did.
 */
const retireOldKeys = async (plan: KeysRotatePlan, deps: OperationDeps): Promise<void> => {
  if (deps.progress.step(RETIRE_STEP)) return;
  const { iam, secrets } = deps;
  const account = plan.serviceAccount;
  const live = new Map((await iam.listKeys(account)).map((key) => [key.id, key]));
  const retiring = plan.retireKeyIds.filter((id) => live.has(id));
  for (const id of retiring) {
    if (!live.get(id)?.disabled) await iam.disableKey(account, id);
  }
  const disabledVersions: number[] = [];
  if (plan.versionsToDisable.length > 0) {
    const versions = await secrets.listVersions(plan.secret.name);
    for (const version of versions) {
      if (!plan.versionsToDisable.includes(version.version) || version.state !== 'ENABLED') continue;
      await secrets.disableVersion(versionResourceName(plan.secret.name, version.version));
      disabledVersions.push(version.version);
    }
  }
  for (const id of retiring) await iam.deleteKey(account, id);
  const clearedHolders = plan.departedHolders;
  if (clearedHolders.length > 0) {
    await deps.desiredState.updatePlatform((state) => {
      const policy = state.keys.serviceAccounts[account];
      if (!policy) return state;
      const holders = policy.holders.filter((holder) => !clearedHolders.includes(holder));
      return {
        ...state,
        keys: {
          ...state.keys,
          serviceAccounts: { ...state.keys.serviceAccounts, [account]: { ...policy, holders } },
        },
      };
    });
  }
  await deps.progress.recordStep(RETIRE_STEP, { deletedKeyIds: retiring, disabledVersions, clearedHolders });
};

/** `keys.rotate`: see the file comment. */
const keysRotate: OperationModule<'keys.rotate', KeyInventory, KeysRotatePlan> = {
  type: 'keys.rotate',
  ...keyTarget,

  plan(platform, observed, args) {
    const policy = keyAccountPolicy(platform, args.serviceAccount);
    const graceHours = args.graceHours ?? platform.keys.defaultGraceHours;
    const makeRoomKeyIds = keysToMakeRoom(observed);
    const retireKeyIds = observed.keys.map((key) => key.id).filter((id) => !makeRoomKeyIds.includes(id));
    const secret = {
      project: observed.secret.project,
      secretId: observed.secret.secretId,
      name: observed.secret.name,
      exists: observed.secret.exists,
      labels: secretLabels(args.serviceAccount),
    };
    const body = {
      serviceAccount: args.serviceAccount,
      secret,
      graceHours,
      keysBefore: observed.keys.map(toKeyState),
      versionsBefore: observed.secret.versions,
      makeRoomKeyIds,
      retireKeyIds,
      knownVersion: Math.max(0, ...observed.secret.versions.map((version) => version.version)),
      versionsToDisable: observed.secret.versions
        .filter((version) => version.state === 'ENABLED')
        .map((version) => version.version),
      departedHolders: [...observed.departedHolders],
    };

    const enabled = observed.keys.filter((key) => !key.disabled);
    const warnings: string[] = [];
    const activeHolders = policy.holders.filter((holder) => !body.departedHolders.includes(holder));
    if (activeHolders.length > 0 && enabled.length > 0) {
      warnings.push(
        `people hold copies of the old key: ${activeHolders.join(', ')}; it stops working when it is disabled after the ${graceHours}h grace period: hand them the new key from secret ${secret.secretId}`,
      );
    }
    if (body.departedHolders.length > 0) {
      warnings.push(
        `${body.departedHolders.join(', ')} ${body.departedHolders.length === 1 ? 'holds' : 'hold'} a copy but ${body.departedHolders.length === 1 ? 'is not a managed user' : 'are not managed users'}: their copy dies with the old key, and they are cleared from the key policy's holders`,
      );
    }
    if (enabled.length > 1) {
      warnings.push(
        `${enabled.length} keys are enabled (a half-done rotation?): all of them are disabled and deleted after the grace period`,
      );
    }
    if (makeRoomKeyIds.length > 0) {
      warnings.push(
        `${args.serviceAccount} holds ${observed.keys.length} user-managed keys: the ${plural(makeRoomKeyIds.length, 'oldest disabled key')} ${makeRoomKeyIds.length === 1 ? 'is' : 'are'} deleted first to stay within the limit of ${MAX_USER_MANAGED_KEYS}`,
      );
    }
    if (retireKeyIds.length > 0) {
      warnings.push(
        graceHours === 0
          ? 'no grace period: the old keys are disabled and deleted (irreversible) as soon as the new key is stored'
          : `the old keys are deleted (irreversible) right after they are disabled, ${graceHours}h after the new key is stored`,
      );
    }

    const summary = [
      `${args.serviceAccount}: new key stored in secret ${secret.secretId}${secret.exists ? '' : ' (created)'}`,
      retireKeyIds.length + makeRoomKeyIds.length > 0 || body.versionsToDisable.length > 0
        ? `; after ${graceHours}h, ${plural(retireKeyIds.length, 'old key')} disabled and deleted and ${plural(body.versionsToDisable.length, 'old version')} disabled`
        : '',
      makeRoomKeyIds.length > 0 ? ` (${plural(makeRoomKeyIds.length, 'disabled key')} deleted first)` : '',
    ].join('');
    return { summary, changes: changesOf(body), warnings, noop: false, ...body };
  },

  async apply(plan, deps) {
    const stored = await storeNewKey(plan, deps);
    const graceEnds = new Date(Date.parse(stored.storedAt) + plan.graceHours * HOUR_MS);
    waitUntil(
      deps,
      GRACE_STEP,
      graceEnds,
      `grace period: the old keys of ${plan.serviceAccount} stay enabled for ${plan.graceHours}h after the new key was stored`,
    );
    await retireOldKeys(plan, deps);
  },

  async verify(plan, deps) {
    const stored = storedKeyOf(deps);
    if (!stored) {
      throw new VerificationFailedError(
        `${plan.serviceAccount}: no new key was recorded as created and stored`,
      );
    }
    const keys = oldestFirst((await deps.iam.listKeys(plan.serviceAccount)).map(toKeyState));
    const enabled = keys.filter((key) => !key.disabled);
    const leftovers = keys.filter((key) => plan.keysBefore.some((old) => old.id === key.id));
    if (enabled.length !== 1 || enabled[0]?.id !== stored.keyId || newestKey(keys)?.id !== stored.keyId) {
      throw new VerificationFailedError(
        `${plan.serviceAccount}: expected exactly one enabled user-managed key, the new ${stored.keyId}, and no newer one; found ${enabled.length} enabled (${enabled.map((key) => key.id).join(', ') || 'none'})`,
        { keys: keys.map(describeKey) },
      );
    }
    if (leftovers.length > 0) {
      throw new VerificationFailedError(
        `${plan.serviceAccount}: old keys still exist: ${leftovers.map((key) => key.id).join(', ')}`,
        { keys: keys.map(describeKey) },
      );
    }
    const versions = await deps.secrets.listVersions(plan.secret.name);
    const latestEnabled = versions.find((version) => version.state === 'ENABLED');
    const stillEnabled = versions.filter(
      (version) => plan.versionsToDisable.includes(version.version) && version.state === 'ENABLED',
    );
    if (latestEnabled?.version !== stored.version || stillEnabled.length > 0) {
      throw new VerificationFailedError(
        `secret ${plan.secret.secretId}: expected version ${stored.version} to be the latest enabled one and the old versions disabled; latest enabled is ${latestEnabled?.version ?? 'none'}${stillEnabled.length > 0 ? `, still enabled: ${stillEnabled.map((version) => version.version).join(', ')}` : ''}`,
        { versions: versions.map((version) => ({ version: version.version, state: version.state })) },
      );
    }
    const platform = await deps.desiredState.getPlatform();
    const stillHeld = (platform.keys.serviceAccounts[plan.serviceAccount]?.holders ?? []).filter((holder) =>
      plan.departedHolders.includes(holder),
    );
    if (stillHeld.length > 0) {
      throw new VerificationFailedError(
        `${plan.serviceAccount}: desired state still names departed holders of the deleted keys: ${stillHeld.join(', ')}`,
      );
    }
    return {
      serviceAccount: plan.serviceAccount,
      secretId: plan.secret.secretId,
      secretCreated: !plan.secret.exists,
      clearedHolders: plan.departedHolders,
      newKeyId: stored.keyId,
      storedVersion: stored.version,
      deletedKeyIds: [...plan.makeRoomKeyIds, ...plan.retireKeyIds],
      disabledVersions: plan.versionsToDisable,
      keys: { before: plan.keysBefore.map(describeKey), after: keys.map(describeKey) },
      versions: {
        before: plan.versionsBefore.map((version) => ({ version: version.version, state: version.state })),
        after: versions.map((version) => ({ version: version.version, state: version.state })),
      },
    };
  },
};

export type { KeysRotatePlan };
export { keysRotate };
