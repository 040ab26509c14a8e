import type { BasePlan, OperationModule } from '../operation';
import { daysBetween, type KeyInventory, keyAccountPolicy, keyTarget, newestKey } from './key-policy';
import { type KeysRotatePlan, keysRotate } from './keys-rotate';

/**
 * `keys.check` (A2, the scheduled key-age check; ops catalog §3.1): rotates an account's key only
 * when it is due. Due means the account's newest enabled user-managed key is at least the key
 * policy's `maxAgeDays` old; then the plan is exactly `keys.rotate`'s (same steps, grace period,
 * crash safety, verification), carried out by that module. Otherwise nothing changes and the result
 * says when the rotation falls due.
 *
 * One account per operation, because a rotation leases its account and parks for its grace period:
 * the key-age schedule sends one `keys.check` per account of the key policy, daily, and a check
 * whose rotation is still in its grace period makes the next day's check skip (schedule overlap).
 * An account with no enabled key is left alone (nothing uses a key there to rotate).
 */

interface KeysCheckPlan extends BasePlan {
  serviceAccount: string;
  maxAgeDays: number;
  /** The newest enabled key and its age in days when observed; null when none is enabled. */
  newestKey: { id: string; validAfterTime: string; ageDays: number } | null;
  /** The rotation, when due. */
  rotation: KeysRotatePlan | null;
}

/** `keys.check`: see the file comment. */
const keysCheck: OperationModule<'keys.check', KeyInventory, KeysCheckPlan> = {
  type: 'keys.check',
  ...keyTarget,

  plan(platform, observed, args) {
    keyAccountPolicy(platform, args.serviceAccount);
    const maxAgeDays = platform.keys.maxAgeDays;
    const newest = newestKey(observed.keys.filter((key) => !key.disabled));
    const newestView = newest
      ? {
          id: newest.id,
          validAfterTime: newest.validAfterTime,
          ageDays: daysBetween(newest.validAfterTime, observed.observedAt),
        }
      : null;
    const base = { serviceAccount: args.serviceAccount, maxAgeDays, newestKey: newestView };
    if (!newestView) {
      return {
        ...base,
        rotation: null,
        summary: `${args.serviceAccount} has no enabled user-managed key: nothing to rotate`,
        changes: [],
        warnings: observed.keys.length > 0 ? [`${args.serviceAccount} has only disabled keys`] : [],
        noop: true,
      };
    }
    if (newestView.ageDays < maxAgeDays) {
      return {
        ...base,
        rotation: null,
        summary: `${args.serviceAccount}: newest key ${newestView.id} is ${newestView.ageDays} days old; rotation due in ${maxAgeDays - newestView.ageDays} days (policy: ${maxAgeDays})`,
        changes: [],
        warnings: [],
        noop: true,
      };
    }
    const rotation = keysRotate.plan(platform, observed, { serviceAccount: args.serviceAccount });
    return {
      ...base,
      rotation,
      summary: `key ${newestView.id} is ${newestView.ageDays} days old (policy: ${maxAgeDays}), rotating. ${rotation.summary}`,
      changes: rotation.changes,
      warnings: rotation.warnings,
      noop: false,
    };
  },

  async apply(plan, deps) {
    if (plan.rotation) await keysRotate.apply(plan.rotation, deps);
  },

  async verify(plan, deps) {
    const checked = {
      serviceAccount: plan.serviceAccount,
      maxAgeDays: plan.maxAgeDays,
      newestKeyBefore: plan.newestKey,
    };
    if (!plan.rotation) return { ...checked, rotated: false };
    return { ...checked, rotated: true, rotation: await keysRotate.verify(plan.rotation, deps) };
  },
};

export type { KeysCheckPlan };
export { keysCheck };
