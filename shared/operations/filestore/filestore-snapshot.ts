import { PolicyViolationError, VerificationFailedError } from '../../errors';
import type { FilestoreInstanceRef, FilestoreInstanceView, FilestoreSnapshotView } from '../../gcp';
import type { BasePlan, OperationModule } from '../operation';
import {
  assertInstanceReady,
  dayStamp,
  deterministicFilestoreId,
  ensureSnapshot,
  filestoreIdPrefix,
  filestoreInstanceLease,
  filestoreTarget,
  operationLabels,
} from './filestore-instance';

/**
 * `filestore.snapshot` (ops-catalog §5.2, A1): a snapshot of a ZONAL, REGIONAL or ENTERPRISE
 * instance, with a deterministic snapshot id so that a retried or resumed attempt never makes a
 * second one. Basic tiers have no snapshots: the plan refuses them and points at backups.
 */

/** What the snapshot plan is made from. */
interface FilestoreSnapshotObserved {
  /** ISO time of the observation: the snapshot id's date. */
  now: string;
  instance: FilestoreInstanceView;
  /** The instance's snapshots; empty for tiers without snapshots (not read). */
  snapshots: FilestoreSnapshotView[];
}

/** The snapshot to take; plain data (stored in the ledger). */
interface FilestoreSnapshotPlan extends BasePlan {
  instance: FilestoreInstanceRef;
  tier: string;
  /** The snapshot id without the operation hash apply appends: `<instance>-<yyyymmdd>`. */
  snapshotIdPrefix: string;
  /** The platform's backup labels (apply adds `opsplane-operation`). */
  labels: Record<string, string>;
  /** Snapshots of the instance before this one. */
  snapshotsBefore: number;
}

/** The id this operation's snapshot gets. */
const snapshotIdOf = (plan: FilestoreSnapshotPlan, operationId: string): string =>
  deterministicFilestoreId(plan.snapshotIdPrefix, operationId);

/** The `filestore.snapshot` module: refuse Basic tiers, create the snapshot exactly once, prove it READY. */
const filestoreSnapshot: OperationModule<
  'filestore.snapshot',
  FilestoreSnapshotObserved,
  FilestoreSnapshotPlan
> = {
  type: 'filestore.snapshot',
  ...filestoreInstanceLease,

  async observe(args, platform, deps) {
    const target = filestoreTarget(platform, args.instance);
    const instance = await deps.filestore.getInstance(target.ref);
    const snapshots = instance.supportsSnapshots ? await deps.filestore.listSnapshots(target.ref) : [];
    return { now: deps.clock.now().toISOString(), instance, snapshots };
  },

  plan(platform, observed, args) {
    const target = filestoreTarget(platform, args.instance);
    const name = target.ref.instance;
    if (!observed.instance.supportsSnapshots) {
      throw new PolicyViolationError(
        `${name} is a ${observed.instance.tier} instance: Filestore snapshots exist on ZONAL, REGIONAL and ENTERPRISE instances only; take a backup instead (filestore.backup)`,
        { instance: name, tier: observed.instance.tier },
      );
    }
    assertInstanceReady(observed.instance, name, 'snapshot');
    const snapshotIdPrefix = filestoreIdPrefix(name, dayStamp(observed.now));
    const labels = { ...platform.filestore.backupLabels };
    return {
      summary: `${name}: take a snapshot (${observed.snapshots.length} snapshot${observed.snapshots.length === 1 ? '' : 's'} now)`,
      changes: [
        {
          resource: `filestore/${target.ref.location}/instances/${name}/snapshots/${snapshotIdPrefix}-<operation>`,
          field: 'snapshot',
          from: null,
          to: { instance: name, labels },
        },
      ],
      warnings: ['snapshots take space from the instance capacity as the data changes after them'],
      noop: false,
      instance: target.ref,
      tier: observed.instance.tier,
      snapshotIdPrefix,
      labels,
      snapshotsBefore: observed.snapshots.length,
    };
  },

  async apply(plan, deps) {
    await ensureSnapshot('snapshot', deps, plan.instance, {
      snapshotId: snapshotIdOf(plan, deps.operationId),
      description: `opsplane ${deps.operationId}: on-demand snapshot of ${plan.instance.instance}`,
      labels: operationLabels(plan.labels, deps.operationId),
    });
  },

  async verify(plan, deps) {
    const snapshotId = snapshotIdOf(plan, deps.operationId);
    const snapshots = await deps.filestore.listSnapshots(plan.instance);
    const snapshot = snapshots.find((candidate) => candidate.id === snapshotId);
    if (snapshot?.state !== 'READY') {
      throw new VerificationFailedError(
        `snapshot ${snapshotId} of ${plan.instance.instance} is ${snapshot?.state ?? 'missing'}; expected READY`,
        { snapshotId, state: snapshot?.state ?? null },
      );
    }
    return {
      instance: plan.instance.instance,
      snapshot: snapshot.name,
      snapshotId: snapshot.id,
      state: snapshot.state,
      createTime: snapshot.createTime,
      labels: snapshot.labels,
      snapshots: { from: plan.snapshotsBefore, to: snapshots.length },
    };
  },
};

export type { FilestoreSnapshotObserved, FilestoreSnapshotPlan };
export { filestoreSnapshot };
