import { GcpError, PolicyViolationError, VerificationFailedError } from '../../errors';
import type { SqlBackupRunView, SqlInstanceRef, SqlInstanceView, SqlOperationView } from '../../gcp';
import type { BasePlan, OperationModule } from '../operation';
import { runSqlStep } from '../steps';
import {
  backupRunTime,
  connectionName,
  DAY_MS,
  findInstance,
  requireManagedInstance,
  sqlInstanceRef,
  sqlInstanceResource,
} from './sql-instance';

/**
 * `sql.clone`: a point-in-time clone of a managed instance into a new one (ops-catalog §4.3).
 * Non-destructive (A2): the source is only read; the cost is a second instance, and the cut-over
 * and the clone's later deletion are separate A3 decisions.
 */

/**
 * How far back Cloud SQL keeps the logs point-in-time recovery replays: `transactionLogRetentionDays`
 * is at most 7 (ops-catalog §4.3) and defaults to 7. The adapter does not expose the instance's own
 * value, so the plan assumes the maximum and Cloud SQL refuses (400) a point before a shorter one.
 */
const LOG_RETENTION_DAYS = 7;

/** What `sql.clone` plans from. */
interface SqlCloneObserved {
  source: SqlInstanceView;
  /** The instance already under the target name, if any. */
  target: SqlInstanceView | undefined;
  /** The source's backup runs: PITR replays logs on top of a backup older than the point in time. */
  backups: SqlBackupRunView[];
  /** The clock when observed (RFC 3339): the latest point in time that can be recovered. */
  now: string;
}

/** The plan of `sql.clone`. */
interface SqlClonePlan extends BasePlan {
  source: SqlInstanceRef;
  targetInstance: string;
  /** RFC 3339, normalised to UTC. */
  pointInTime: string;
  recoveryWindow: { earliest: string; latest: string };
  /** The clone's connection name (`project:region:instance`), for the cut-over. */
  targetConnectionName: string;
}

/**
 * Apply steps: `cloneRequested` is recorded (with the time) just before the clone call; `clone` holds
 * its operation, or marks an instance an earlier attempt already created.
 */
const CLONE_REQUESTED_STEP = 'cloneRequested';
const CLONE_STEP = 'clone';

/**
 * The recoverable interval at `now`: from the later of the oldest SUCCESSFUL backup's end (the base
 * the logs are replayed on) and `now` minus the log retention, to `now`.
 */
const recoveryWindowOf = (observed: SqlCloneObserved): { earliest: string; latest: string } | undefined => {
  const nowMs = Date.parse(observed.now);
  const backupEnds = observed.backups
    .filter((run) => run.status === 'SUCCESSFUL')
    .map(backupRunTime)
    .filter((time): time is string => time !== undefined)
    .map((time) => Date.parse(time));
  if (backupEnds.length === 0) return undefined;
  const earliestMs = Math.max(Math.min(...backupEnds), nowMs - LOG_RETENTION_DAYS * DAY_MS);
  return { earliest: new Date(earliestMs).toISOString(), latest: new Date(nowMs).toISOString() };
};

/** Slack for the difference between our clock and Cloud SQL's when matching an operation's insertTime. */
const CLOCK_SKEW_MS = 60_000;

/**
 * The CLONE an earlier attempt started on the source after it recorded its request at `requestedAt`:
 * one still running, or one Cloud SQL accepted since then. The source is leased, so it is ours.
 */
const cloneRequestedSince = (
  operations: SqlOperationView[],
  requestedAt: string,
): SqlOperationView | undefined =>
  operations.find(
    (op) =>
      op.operationType === 'CLONE' &&
      (op.status !== 'DONE' ||
        (op.insertTime !== undefined &&
          Date.parse(op.insertTime) >= Date.parse(requestedAt) - CLOCK_SKEW_MS)),
  );

/** Cloud SQL's 409 for a name in use, or reserved for about a week after its instance was deleted. */
const isNameTaken = (error: unknown): boolean =>
  error instanceof GcpError && (error.status === 'ALREADY_EXISTS' || error.httpStatus === 409);

/** The `sql.clone` operation module (A2, leases the source): see the module comment. */
const sqlClone: OperationModule<'sql.clone', SqlCloneObserved, SqlClonePlan> = {
  type: 'sql.clone',

  // The clone runs on (and locks) the source; the target does not exist yet.
  resource: (args, platform) => sqlInstanceResource(platform, args.instance),

  async observe(args, platform, deps) {
    requireManagedInstance(platform, args.instance, 'clone source');
    const sourceRef = sqlInstanceRef(platform, args.instance);
    const source = await deps.sql.getInstance(sourceRef);
    const target = await findInstance(deps.sql, sqlInstanceRef(platform, args.targetInstance));
    const backups = await deps.sql.listBackupRuns(sourceRef);
    return { source, target, backups, now: deps.clock.now().toISOString() };
  },

  plan(platform, observed, args) {
    requireManagedInstance(platform, args.instance, 'clone source');
    const { source } = observed;
    if (observed.target) {
      throw new PolicyViolationError(
        `the clone's target ${args.targetInstance} already exists (${observed.target.state}); choose a new instance name`,
        { targetInstance: args.targetInstance },
      );
    }
    if (source.state !== 'RUNNABLE') {
      throw new PolicyViolationError(
        `Cloud SQL instance ${args.instance} is ${source.state}; a clone needs it RUNNABLE`,
        {
          state: source.state,
        },
      );
    }
    if (!source.pitrEnabled) {
      throw new PolicyViolationError(
        `point-in-time recovery is not enabled on ${args.instance} (${
          source.databaseVersion.startsWith('MYSQL') ? 'binaryLogEnabled' : 'pointInTimeRecoveryEnabled'
        } is off); enable it first (ops-catalog §4.4)`,
        { instance: args.instance },
      );
    }
    const window = recoveryWindowOf(observed);
    if (!window) {
      throw new PolicyViolationError(
        `${args.instance} has no SUCCESSFUL backup to recover from, so no point in time is recoverable`,
      );
    }
    const pointInTime = new Date(args.pointInTime).toISOString();
    const at = Date.parse(pointInTime);
    if (at < Date.parse(window.earliest) || at > Date.parse(window.latest)) {
      throw new PolicyViolationError(
        `point in time ${pointInTime} is outside the recovery window of ${args.instance} (${window.earliest} to ${window.latest})`,
        { pointInTime, recoveryWindow: window },
      );
    }
    const targetConnectionName = connectionName(platform.projectId, platform.region, args.targetInstance);
    return {
      summary: `${args.instance}: clone at ${pointInTime} into the new instance ${args.targetInstance}`,
      changes: [
        {
          resource: `sql/${args.targetInstance}`,
          field: 'instance',
          from: null,
          to: `clone of ${args.instance} at ${pointInTime} (${source.databaseVersion})`,
        },
      ],
      warnings: [
        `${args.targetInstance} is a second instance billed like ${args.instance} until it is deleted (sql instance deletion is A3)`,
        'a clone can take a long time; the source stays online but refuses other admin operations meanwhile',
        `cutting applications over to ${targetConnectionName} is a separate, approved change`,
      ],
      noop: false,
      source: sqlInstanceRef(platform, args.instance),
      targetInstance: args.targetInstance,
      pointInTime,
      recoveryWindow: window,
      targetConnectionName,
    };
  },

  async apply(plan, deps) {
    const targetRef = { projectId: plan.source.projectId, instance: plan.targetInstance };
    let adopted: SqlOperationView | undefined;
    if (!deps.progress.googleOperation(CLONE_STEP)) {
      if (deps.progress.step(CLONE_STEP)) return;
      const requested = deps.progress.step(CLONE_REQUESTED_STEP);
      if (requested) {
        // An earlier attempt called clone and may have crashed before recording the operation:
        // adopt its CLONE on the source (running, or DONE since the request), else the instance
        // it already created; only if neither exists did the call not get through.
        adopted = cloneRequestedSince(await deps.sql.listOperations(plan.source), String(requested.at));
        if (!adopted) {
          const target = await findInstance(deps.sql, targetRef);
          if (target) {
            deps.logger.info('adopting the clone an earlier attempt created', {
              target: plan.targetInstance,
            });
            await deps.progress.recordStep(CLONE_STEP, { adopted: true, state: target.state });
            return;
          }
        }
        if (adopted)
          deps.logger.info('adopting the clone an earlier attempt started', { operation: adopted.name });
      } else {
        await deps.progress.recordStep(CLONE_REQUESTED_STEP, {
          targetInstance: plan.targetInstance,
          at: deps.clock.now().toISOString(),
        });
      }
    }
    try {
      await runSqlStep(
        CLONE_STEP,
        deps,
        plan.source.projectId,
        async () =>
          adopted ??
          (await deps.sql.startClone(plan.source, {
            destinationInstanceName: plan.targetInstance,
            pointInTime: plan.pointInTime,
          })),
      );
    } catch (error) {
      if (!isNameTaken(error)) throw error;
      throw new PolicyViolationError(
        `the instance name ${plan.targetInstance} is taken: it is in use, or its instance was deleted within the last 7 days and Cloud SQL keeps the name reserved; choose another name`,
        { targetInstance: plan.targetInstance },
      );
    }
  },

  async verify(plan, deps) {
    const targetRef = { projectId: plan.source.projectId, instance: plan.targetInstance };
    const clone = await findInstance(deps.sql, targetRef);
    if (!clone) {
      throw new VerificationFailedError(
        `the clone ${plan.targetInstance} does not exist after the clone finished`,
      );
    }
    if (clone.state !== 'RUNNABLE') {
      throw new VerificationFailedError(`the clone ${plan.targetInstance} is ${clone.state}, not RUNNABLE`, {
        state: clone.state,
      });
    }
    return {
      source: plan.source.instance,
      instance: plan.targetInstance,
      pointInTime: plan.pointInTime,
      state: { before: null, after: clone.state },
      databaseVersion: clone.databaseVersion,
      connectionName: plan.targetConnectionName,
      operation: deps.progress.googleOperation(CLONE_STEP)?.name ?? null,
      cutOver: `point the Cloud SQL proxy at ${plan.targetConnectionName} (KFP: pipeline-install-config gcsCloudSqlInstanceName; Metaflow: the proxy sidecar's -instances=), then scale the apps back up; delete ${plan.targetInstance} when it is no longer needed (A3)`,
    };
  },
};

export type { SqlCloneObserved, SqlClonePlan };
export { sqlClone };
