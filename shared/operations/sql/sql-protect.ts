import { VerificationFailedError } from '../../errors';
import type { SqlInstanceRef, SqlInstanceView } from '../../gcp';
import type { BasePlan, OperationModule } from '../operation';
import { runSqlStep } from '../steps';
import { requireManagedInstance, sqlInstanceRef, sqlInstanceResource } from './sql-instance';

/**
 * `sql.protect`: sets a managed Cloud SQL instance's deletion protection, the fix of the drift
 * finding `deletion-protection` (shared/drift/compare-resources.ts). `instances.patch` with only
 * `settings.deletionProtectionEnabled`, poll the UPDATE operation, read the instance back.
 *
 * Turning it on is routine (catalog class A1); turning it off lets one delete call destroy the
 * instance and its automated backups, so `approvalReason` makes a human approve it (A3).
 *
 * The patch is idempotent in effect, and apply still never sends it twice: before starting, it
 * reads the instance again, so a re-run after a crash that followed the patch (but preceded
 * recording its operation) sees the setting already in place and stops there.
 */

/** What `sql.protect` plans from. */
interface SqlProtectObserved {
  instance: SqlInstanceView;
}

/** The plan of `sql.protect`. */
interface SqlProtectPlan extends BasePlan {
  ref: SqlInstanceRef;
  /** The wanted `settings.deletionProtectionEnabled`. */
  deletionProtection: boolean;
}

/** What apply records under {@link PROTECT_STEP} once the setting is in place. */
interface SqlProtectFacts {
  /** The UPDATE operation apply ran; absent when the instance already had the setting. */
  operation?: string;
}

/** The apply step (its Google operation and its recorded facts). */
const PROTECT_STEP = 'protect';

const onOff = (enabled: boolean): string => (enabled ? 'on' : 'off');

/** The `sql.protect` operation module: see the module comment above. */
const sqlProtect: OperationModule<'sql.protect', SqlProtectObserved, SqlProtectPlan> = {
  type: 'sql.protect',

  resource: (args, platform) => sqlInstanceResource(platform, args.instance),

  async observe(args, platform, deps) {
    requireManagedInstance(platform, args.instance);
    return { instance: await deps.sql.getInstance(sqlInstanceRef(platform, args.instance)) };
  },

  plan(platform, observed, args) {
    requireManagedInstance(platform, args.instance);
    const wanted = args.deletionProtection;
    const current = observed.instance.deletionProtectionEnabled;
    const noop = current === wanted;
    return {
      summary: noop
        ? `${args.instance}: deletion protection is already ${onOff(wanted)}`
        : `${args.instance}: turn deletion protection ${onOff(wanted)}`,
      changes: noop
        ? []
        : [
            {
              resource: `sql/${args.instance}`,
              field: 'settings.deletionProtectionEnabled',
              from: current,
              to: wanted,
            },
          ],
      warnings:
        noop || wanted
          ? []
          : [
              `with deletion protection off, a single instances.delete call destroys ${args.instance} and its automated backups`,
            ],
      noop,
      ref: sqlInstanceRef(platform, args.instance),
      deletionProtection: wanted,
    };
  },

  approvalReason(plan) {
    if (plan.noop || plan.deletionProtection) return undefined;
    return `turning deletion protection off on Cloud SQL instance ${plan.ref.instance} lets one delete call destroy it and its automated backups (A3)`;
  },

  async apply(plan, deps) {
    if (plan.noop || deps.progress.step(PROTECT_STEP)) return;
    if (!deps.progress.googleOperation(PROTECT_STEP)) {
      // An earlier attempt may have patched and died before recording the operation.
      const current = await deps.sql.getInstance(plan.ref);
      if (current.deletionProtectionEnabled === plan.deletionProtection) {
        const facts: SqlProtectFacts = {};
        await deps.progress.recordStep(PROTECT_STEP, { ...facts });
        return;
      }
    }
    const op = await runSqlStep(PROTECT_STEP, deps, plan.ref.projectId, () =>
      deps.sql.startSetDeletionProtection(plan.ref, plan.deletionProtection),
    );
    const facts: SqlProtectFacts = { operation: op.name };
    await deps.progress.recordStep(PROTECT_STEP, { ...facts });
  },

  async verify(plan, deps) {
    const instance = await deps.sql.getInstance(plan.ref);
    if (instance.deletionProtectionEnabled !== plan.deletionProtection) {
      throw new VerificationFailedError(
        `Cloud SQL instance ${plan.ref.instance} has deletion protection ${onOff(
          instance.deletionProtectionEnabled,
        )}, not ${onOff(plan.deletionProtection)}`,
        { deletionProtectionEnabled: instance.deletionProtectionEnabled },
      );
    }
    const operation = deps.progress.step(PROTECT_STEP)?.operation;
    return {
      instance: plan.ref.instance,
      deletionProtectionEnabled: instance.deletionProtectionEnabled,
      settingsVersion: instance.settingsVersion,
      operation: typeof operation === 'string' ? operation : null,
    };
  },
};

export type { SqlProtectFacts, SqlProtectObserved, SqlProtectPlan };
export { sqlProtect };
