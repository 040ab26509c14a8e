import { VerificationFailedError } from '../../errors';
import type { BasePlan, OperationModule, PlanChange } from '../operation';
import {
  daysBetween,
  describeKey,
  type KeyInventory,
  type KeySecretRef,
  type KeyState,
  keyAccountPolicy,
  keyChangeResource,
  keyHeldBy,
  keyTarget,
  newestKey,
  toKeyState,
  type VersionState,
  versionChangeResource,
  versionResourceName,
} from './key-policy';

/**
 * `keys.prune` (ops-catalog §3.1, the last step of disable → soak → delete): deletes the disabled
 * user-managed keys of an account, and disables the still-enabled versions of its key secret that
 * hold them. Enabled keys are never touched (the newest enabled key least of all): retiring an
 * enabled key is `keys.rotate`'s job. Versions are disabled, never destroyed.
 *
 * The key list does not say when a key was disabled, so the policy's `disableBeforeDeleteDays`
 * soak cannot be checked exactly; what can be said is that a key created fewer days ago cannot
 * have been disabled that long, so such keys are kept. Apply decides every call on the live state
 * (a key re-enabled since the plan is left alone), so it needs no recorded steps to be re-run.
 */

/** A secret version to disable and the deleted key it holds. */
interface VersionToDisable {
  version: number;
  keyId: string;
}

interface KeysPrunePlan extends BasePlan {
  serviceAccount: string;
  secret: KeySecretRef & { exists: boolean };
  disableBeforeDeleteDays: number;
  keysBefore: KeyState[];
  versionsBefore: VersionState[];
  /** Disabled keys deleted (each only if still disabled when apply runs). */
  deleteKeyIds: string[];
  /** Enabled versions that hold a deleted key (by creation time), never the newest enabled one. */
  versionsToDisable: VersionToDisable[];
  /** The newest enabled key, which prune never touches; null when every key is disabled. */
  keepKeyId: string | null;
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** `keys.prune`: see the file comment. */
const keysPrune: OperationModule<'keys.prune', KeyInventory, KeysPrunePlan> = {
  type: 'keys.prune',
  ...keyTarget,

  plan(platform, observed, args) {
    keyAccountPolicy(platform, args.serviceAccount);
    const soakDays = platform.keys.disableBeforeDeleteDays;
    const enabled = observed.keys.filter((key) => !key.disabled);
    const keepKeyId = newestKey(enabled)?.id ?? null;
    const disabled = observed.keys.filter((key) => key.disabled && key.id !== keepKeyId);
    const tooYoung = disabled.filter(
      (key) => daysBetween(key.validAfterTime, observed.observedAt) < soakDays,
    );
    const deleteKeyIds = disabled.filter((key) => !tooYoung.includes(key)).map((key) => key.id);

    const enabledVersions = observed.secret.versions.filter((version) => version.state === 'ENABLED');
    const newestEnabledVersion = enabledVersions[0];
    const warnings: string[] = [];
    const versionsToDisable: VersionToDisable[] = [];
    for (const version of enabledVersions) {
      const keyId = keyHeldBy(version, observed.keys);
      if (!keyId || !deleteKeyIds.includes(keyId)) continue;
      if (version === newestEnabledVersion) {
        warnings.push(
          `version ${version.version} of secret ${observed.secret.secretId}, the newest enabled one, holds the deleted key ${keyId}: left enabled; rotate the key (keys.rotate) to store a working one`,
        );
        continue;
      }
      versionsToDisable.push({ version: version.version, keyId });
    }

    if (deleteKeyIds.length > 0) {
      warnings.push(
        `the key list does not say when a key was disabled: disabled keys created at least ${soakDays} days ago (disableBeforeDeleteDays) are deleted without knowing how long they have been disabled`,
      );
    }
    for (const key of tooYoung) {
      warnings.push(
        `disabled key ${key.id} was created ${daysBetween(key.validAfterTime, observed.observedAt)} days ago, less than the ${soakDays}-day soak before deletion: kept`,
      );
    }
    if (enabled.length > 1) {
      warnings.push(
        `${enabled.length} keys are enabled (a half-done rotation?): prune deletes only disabled keys; keys.rotate retires the older ones`,
      );
    }
    if (!keepKeyId && observed.keys.length > 0) {
      warnings.push(`${args.serviceAccount} has no enabled key`);
    }

    const changes: PlanChange[] = [
      ...versionsToDisable.map(({ version }) => ({
        resource: versionChangeResource(observed.secret.secretId, version),
        field: 'state',
        from: 'ENABLED',
        to: 'DISABLED',
      })),
      ...deleteKeyIds.map((id) => ({
        resource: keyChangeResource(args.serviceAccount, id),
        field: 'key',
        from: 'DISABLED',
        to: null,
      })),
    ];
    const noop = changes.length === 0;
    const summary = noop
      ? `${args.serviceAccount}: nothing to prune (${plural(observed.keys.length, 'key')}, ${disabled.length === 0 ? 'none disabled' : `${disabled.length} disabled, none past the ${soakDays}-day soak`})`
      : `${args.serviceAccount}: delete ${plural(deleteKeyIds.length, 'disabled key')}${versionsToDisable.length > 0 ? `, disable ${plural(versionsToDisable.length, 'secret version')} holding them` : ''}${keepKeyId ? `; keeps the newest enabled key ${keepKeyId}` : ''}`;
    return {
      summary,
      changes,
      warnings,
      noop,
      serviceAccount: args.serviceAccount,
      secret: {
        project: observed.secret.project,
        secretId: observed.secret.secretId,
        name: observed.secret.name,
        exists: observed.secret.exists,
      },
      disableBeforeDeleteDays: soakDays,
      keysBefore: observed.keys.map(toKeyState),
      versionsBefore: observed.secret.versions,
      deleteKeyIds,
      versionsToDisable,
      keepKeyId,
    };
  },

  async apply(plan, deps) {
    if (plan.noop) return;
    const { iam, secrets, logger } = deps;
    const account = plan.serviceAccount;
    const live = new Map((await iam.listKeys(account)).map((key) => [key.id, key]));
    // A key enabled again since the plan is in use: neither it nor its version is touched.
    const reenabled = plan.deleteKeyIds.filter((id) => live.get(id)?.disabled === false);
    for (const keyId of reenabled) logger.warn('key was enabled again since the plan: kept', { keyId });
    const versions = plan.versionsToDisable.filter(({ keyId }) => !reenabled.includes(keyId));
    if (versions.length > 0) {
      const liveVersions = await secrets.listVersions(plan.secret.name);
      for (const { version } of versions) {
        if (liveVersions.find((candidate) => candidate.version === version)?.state !== 'ENABLED') continue;
        await secrets.disableVersion(versionResourceName(plan.secret.name, version));
      }
    }
    for (const id of plan.deleteKeyIds) {
      if (live.get(id)?.disabled === true) await iam.deleteKey(account, id);
    }
  },

  async verify(plan, deps) {
    const keys = (await deps.iam.listKeys(plan.serviceAccount)).map(toKeyState);
    const byId = new Map(keys.map((key) => [key.id, key]));
    const keptEnabled = plan.deleteKeyIds.filter((id) => byId.get(id)?.disabled === false);
    const notDeleted = plan.deleteKeyIds.filter((id) => byId.get(id)?.disabled === true);
    if (notDeleted.length > 0) {
      throw new VerificationFailedError(
        `${plan.serviceAccount}: disabled keys were not deleted: ${notDeleted.join(', ')}`,
        { keys: keys.map(describeKey) },
      );
    }
    if (plan.keepKeyId && byId.get(plan.keepKeyId)?.disabled !== false) {
      throw new VerificationFailedError(
        `${plan.serviceAccount}: the newest enabled key ${plan.keepKeyId} is no longer enabled`,
        { keys: keys.map(describeKey) },
      );
    }
    const versions = plan.secret.exists ? await deps.secrets.listVersions(plan.secret.name) : [];
    const expectDisabled = plan.versionsToDisable.filter(({ keyId }) => !keptEnabled.includes(keyId));
    const stillEnabled = expectDisabled.filter(
      ({ version }) => versions.find((candidate) => candidate.version === version)?.state === 'ENABLED',
    );
    if (stillEnabled.length > 0) {
      throw new VerificationFailedError(
        `secret ${plan.secret.secretId}: versions holding deleted keys are still enabled: ${stillEnabled.map(({ version }) => version).join(', ')}`,
        { versions: versions.map((version) => ({ version: version.version, state: version.state })) },
      );
    }
    return {
      serviceAccount: plan.serviceAccount,
      secretId: plan.secret.secretId,
      deletedKeyIds: plan.deleteKeyIds.filter((id) => !keptEnabled.includes(id)),
      keptReenabledKeyIds: keptEnabled,
      disabledVersions: expectDisabled.map(({ version }) => version),
      keepKeyId: plan.keepKeyId,
      keys: { before: plan.keysBefore.map(describeKey), after: keys.map(describeKey) },
      versions: {
        before: plan.versionsBefore.map((version) => ({ version: version.version, state: version.state })),
        after: versions.map((version) => ({ version: version.version, state: version.state })),
      },
    };
  },
};

export type { KeysPrunePlan };
export { keysPrune };
