import type { BasePlan, OperationModule } from '../operation';
import {
  daysBetween,
  type KeyInventory,
  keyAccountPolicy,
  keysPastMaxAge,
  keyTarget,
  newestKey,
} from './key-policy';
import { type KeysRotatePlan, keysRotate } from './keys-rotate';

/**
 * `keys.check` (A2, the scheduled key-age check; ops catalog §3.1): rotates an account's keys only
 * when they are due, by the same rule drift's `key-age` finding uses (`keysPastMaxAge`): some
 * ENABLED user-managed key is at least the key policy's `maxAgeDays` old. That covers an old newest
 * key and also a rotation left half-done (an old key still enabled beside a newer one: ci-terraform
 * in the fixture); either way the plan is exactly `keys.rotate`'s (same steps, grace period, crash
 * safety, verification), carried out by that module. A half-done rotation is not "finished" by
 * disabling the old key at once: its newer key may never have reached the consumers, so the old one
 * is retired after the grace period like any other, beside a new key. Otherwise nothing changes
 * and the result says when the rotation falls due.
 *
 * One account per operation, because a rotation leases its account and parks for its grace period:
 * the key-age schedule sends one `keys.check` per account of the key policy, daily, and a check
 * whose rotation is still in its grace period makes the next day's check skip (schedule overlap).
 * An account with no enabled key is left alone (nothing uses a key there to rotate).
 */

/** A key as the plan shows it: id, creation time, age in days when observed. */
interface AgedKey {
  id: string;
  validAfterTime: string;
  ageDays: number;
}

interface KeysCheckPlan extends BasePlan {
  serviceAccount: string;
  maxAgeDays: number;
  /** The newest enabled key and its age in days when observed; null when none is enabled. */
  newestKey: AgedKey | null;
  /** Enabled keys at least `maxAgeDays` old, oldest first: why the rotation is due. */
  overdueKeys: AgedKey[];
  /** The rotation, when due. */
  rotation: KeysRotatePlan | null;
}

const agedKey = (key: { id: string; validAfterTime: string }, observedAt: string): AgedKey => ({
  id: key.id,
  validAfterTime: key.validAfterTime,
  ageDays: daysBetween(key.validAfterTime, observedAt),
});

/** `keys.check`: see the file comment. */
const keysCheck: OperationModule<'keys.check', KeyInventory, KeysCheckPlan> = {
  type: 'keys.check',
  ...keyTarget,

  plan(platform, observed, args) {
    keyAccountPolicy(platform, args.serviceAccount);
    const maxAgeDays = platform.keys.maxAgeDays;
    const enabled = observed.keys.filter((key) => !key.disabled);
    const newest = newestKey(enabled);
    const newestView = newest ? agedKey(newest, observed.observedAt) : null;
    const overdueKeys = keysPastMaxAge(observed.keys, observed.observedAt, maxAgeDays).map((key) =>
      agedKey(key, observed.observedAt),
    );
    const base = { serviceAccount: args.serviceAccount, maxAgeDays, newestKey: newestView, overdueKeys };
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
    const oldest = overdueKeys[0];
    if (!oldest) {
      // Due when the oldest enabled key reaches the policy's age.
      const oldestAge = Math.max(
        ...enabled.map((key) => daysBetween(key.validAfterTime, observed.observedAt)),
      );
      return {
        ...base,
        rotation: null,
        summary: `${args.serviceAccount}: newest key ${newestView.id} is ${newestView.ageDays} days old; rotation due in ${maxAgeDays - oldestAge} days (policy: ${maxAgeDays})`,
        changes: [],
        warnings: [],
        noop: true,
      };
    }
    const rotation = keysRotate.plan(platform, observed, { serviceAccount: args.serviceAccount });
    const why =
      oldest.id === newestView.id
        ? `key ${oldest.id} is ${oldest.ageDays} days old (policy: ${maxAgeDays})`
        : `a rotation was left half-done: key ${oldest.id} (${oldest.ageDays} days, policy: ${maxAgeDays}) is still enabled beside the newer ${newestView.id} (${newestView.ageDays} days)`;
    return {
      ...base,
      rotation,
      summary: `${why}, rotating. ${rotation.summary}`,
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
      overdueKeysBefore: plan.overdueKeys,
    };
    if (!plan.rotation) return { ...checked, rotated: false };
    return { ...checked, rotated: true, rotation: await keysRotate.verify(plan.rotation, deps) };
  },
};

export type { KeysCheckPlan };
export { keysCheck };
