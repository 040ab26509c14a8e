import type { PlatformState } from '../../desired-state';
import { PolicyViolationError, VerificationFailedError } from '../../errors';
import type { SqlBackupRunView, SqlInstanceRef, SqlOperationView } from '../../gcp';
import type { BasePlan, OperationModule, PlanChange } from '../operation';
import { runSqlStep } from '../steps';
import {
  backupRunTime,
  DAY_MS,
  requireManagedInstance,
  sqlInstanceRef,
  sqlInstanceResource,
} from './sql-instance';

/**
 * `sql.backups.prune`: delete the on-demand backup runs of an instance that the retention policy
 * (`platform.sql.retention`) no longer keeps (ops-catalog §6). Automated backups are pruned by
 * Cloud SQL itself (`retainedBackups`) and never touched. A2 under policy: the plan holds only what
 * the policy selects, and refuses to run if the invariants would break.
 */

/** What the prune plans from. */
interface SqlBackupsPruneObserved {
  runs: SqlBackupRunView[];
  /** The clock when observed (RFC 3339): ages are measured from it. */
  now: string;
}

/** One backup run the plan deletes or keeps, with why. */
interface PrunedRun {
  id: string;
  status: string;
  description: string | null;
  /** When it happened (end time, else start or enqueue time). */
  time: string | null;
  ageDays: number | null;
  reason: string;
}

/** The plan of `sql.backups.prune`. */
interface SqlBackupsPrunePlan extends BasePlan {
  ref: SqlInstanceRef;
  /** Deleted one at a time, in this order (oldest first). */
  deletions: PrunedRun[];
  /** The on-demand runs kept, with the rule that keeps each. */
  kept: PrunedRun[];
  retention: PlatformState['sql']['retention'];
  /** Backup runs (all types) the instance had when planned. */
  backupRunsBefore: number;
}

/** The step of one deletion: its operation, then `{deleted}` once done. */
const deleteStep = (id: string): string => `delete-${id}`;

/** Statuses of a run whose deletion has started or finished. */
const GONE_STATUSES = new Set(['DELETION_PENDING', 'DELETED']);

const ageInDays = (time: string | undefined, nowMs: number): number | null =>
  time === undefined ? null : Math.floor((nowMs - Date.parse(time)) / DAY_MS);

const prunedRun = (run: SqlBackupRunView, nowMs: number, reason: string): PrunedRun => ({
  id: run.id,
  status: run.status,
  description: run.description ?? null,
  time: backupRunTime(run) ?? null,
  ageDays: ageInDays(backupRunTime(run), nowMs),
  reason,
});

/** Newest first by when the run happened; ids (enqueue times) break ties. */
const newestFirst = (a: SqlBackupRunView, b: SqlBackupRunView): number =>
  Date.parse(backupRunTime(b) ?? '') - Date.parse(backupRunTime(a) ?? '') ||
  Number(BigInt(b.id) - BigInt(a.id));

/** The `sql.backups.prune` operation module (A2 under the retention policy): see the module comment. */
const sqlBackupsPrune: OperationModule<'sql.backups.prune', SqlBackupsPruneObserved, SqlBackupsPrunePlan> = {
  type: 'sql.backups.prune',

  resource: (args, platform) => sqlInstanceResource(platform, args.instance),

  async observe(args, platform, deps) {
    requireManagedInstance(platform, args.instance);
    const runs = await deps.sql.listBackupRuns(sqlInstanceRef(platform, args.instance));
    return { runs, now: deps.clock.now().toISOString() };
  },

  plan(platform, observed, args) {
    requireManagedInstance(platform, args.instance);
    const { retention } = platform.sql;
    const nowMs = Date.parse(observed.now);
    const cutoffMs = nowMs - retention.keepDays * DAY_MS;
    const patterns = retention.neverDeleteDescriptionsMatching.map((p) => p.toLowerCase());
    const pinnedBy = (run: SqlBackupRunView): string | undefined => {
      const text = (run.description ?? '').toLowerCase();
      return patterns.find((pattern) => text.includes(pattern));
    };
    const expired = (run: SqlBackupRunView): boolean => {
      const time = backupRunTime(run);
      return time !== undefined && Date.parse(time) < cutoffMs;
    };

    const onDemand = observed.runs.filter((run) => run.type === 'ON_DEMAND');
    const successful = onDemand.filter((run) => run.status === 'SUCCESSFUL').sort(newestFirst);
    const newest = successful[0];
    const kept: PrunedRun[] = [];
    const candidates: SqlBackupRunView[] = [];
    for (const run of successful) {
      const pin = pinnedBy(run);
      if (run === newest) kept.push(prunedRun(run, nowMs, 'newest successful on-demand backup'));
      else if (pin) kept.push(prunedRun(run, nowMs, `pinned: description matches "${pin}"`));
      else if (!expired(run)) kept.push(prunedRun(run, nowMs, `younger than ${retention.keepDays} days`));
      else candidates.push(run);
    }
    // Oldest candidates go first, while at least minKeep successful on-demand backups remain.
    const deletable = Math.max(0, successful.length - retention.minKeep);
    const oldestFirst = [...candidates].reverse();
    const deletions = oldestFirst
      .slice(0, deletable)
      .map((run) => prunedRun(run, nowMs, `older than ${retention.keepDays} days`));
    for (const run of oldestFirst.slice(deletable)) {
      kept.push(
        prunedRun(
          run,
          nowMs,
          `kept so that at least ${retention.minKeep} successful on-demand backups remain`,
        ),
      );
    }
    // A FAILED run holds no data: deleted once past keepDays too (kept younger, for diagnosis).
    const failed = onDemand
      .filter((run) => run.status === 'FAILED' && expired(run) && !pinnedBy(run))
      .sort(newestFirst)
      .reverse()
      .map((run) => prunedRun(run, nowMs, `FAILED (holds no data), older than ${retention.keepDays} days`));
    const allDeletions = [...failed, ...deletions];

    // Invariant (ops-catalog §6): at least one SUCCESSFUL backup of the instance remains.
    const deletedIds = new Set(allDeletions.map((run) => run.id));
    const remaining = observed.runs.filter((run) => run.status === 'SUCCESSFUL' && !deletedIds.has(run.id));
    if (allDeletions.length > 0 && remaining.length === 0) {
      throw new PolicyViolationError(`pruning ${args.instance} would leave no SUCCESSFUL backup; refusing`, {
        deletions: [...deletedIds],
      });
    }

    const changes: PlanChange[] = allDeletions.map((run) => ({
      resource: `sql/${args.instance}/backupRuns/${run.id}`,
      field: 'backupRun',
      from: `ON_DEMAND ${run.status} ${run.time ?? ''} "${run.description ?? ''}"`.replace(/ +/g, ' '),
      to: null,
    }));
    const warnings: string[] = [];
    if (failed.length > 0) {
      warnings.push(
        `${failed.length} FAILED on-demand run${failed.length === 1 ? '' : 's'} deleted too (a failed backup holds no data): ${failed.map((run) => run.id).join(', ')}`,
      );
    }
    const heldByMinKeep = kept.filter((run) => run.reason.startsWith('kept so that'));
    if (heldByMinKeep.length > 0) {
      warnings.push(
        `past ${retention.keepDays} days but kept for minKeep ${retention.minKeep}: ${heldByMinKeep
          .map((run) => `${run.id} "${run.description ?? ''}"`)
          .join(', ')}`,
      );
    }
    const automated = observed.runs.filter((run) => run.type === 'AUTOMATED').length;
    return {
      summary:
        allDeletions.length === 0
          ? `${args.instance}: no on-demand backup is outside retention (keep ${retention.keepDays} days, at least ${retention.minKeep})`
          : `${args.instance}: delete ${allDeletions.length} on-demand backup run${allDeletions.length === 1 ? '' : 's'} outside retention (keep ${retention.keepDays} days, at least ${retention.minKeep}); ${kept.length} on-demand and ${automated} automated kept`,
      changes,
      warnings,
      noop: allDeletions.length === 0,
      ref: sqlInstanceRef(platform, args.instance),
      deletions: allDeletions,
      kept,
      retention,
      backupRunsBefore: observed.runs.length,
    };
  },

  async apply(plan, deps) {
    const pending = plan.deletions.filter((run) => !deps.progress.step(deleteStep(run.id)));
    if (pending.length === 0) return;
    // One listing per attempt: meanwhile only this operation (holding the lease) deletes runs.
    const live = await deps.sql.listBackupRuns(plan.ref);
    for (const { id } of pending) {
      const step = deleteStep(id);
      let adopted: SqlOperationView | undefined;
      if (!deps.progress.googleOperation(step)) {
        const run = live.find((candidate) => candidate.id === id);
        if (run?.status === 'DELETION_PENDING') {
          // An earlier attempt started this delete and crashed before recording it; deletes run
          // one at a time under the lease, so the DELETE_BACKUP running on the instance is it.
          adopted = (await deps.sql.listRunningOperations(plan.ref)).find(
            (op) => op.operationType === 'DELETE_BACKUP',
          );
        }
        if (!run || run.status === 'DELETED' || (run.status === 'DELETION_PENDING' && !adopted)) {
          await deps.progress.recordStep(step, { deleted: true, skipped: 'already gone' });
          continue;
        }
      }
      // Sequential: Cloud SQL refuses a second operation on the instance while one runs.
      await runSqlStep(
        step,
        deps,
        plan.ref.projectId,
        async () => adopted ?? (await deps.sql.startDeleteBackupRun(plan.ref, id)),
      );
      await deps.progress.recordStep(step, { deleted: true });
    }
  },

  async verify(plan, deps) {
    const live = await deps.sql.listBackupRuns(plan.ref);
    const byId = new Map(live.map((run) => [run.id, run]));
    const notDeleted = plan.deletions.filter((run) => {
      const found = byId.get(run.id);
      return found !== undefined && !GONE_STATUSES.has(found.status);
    });
    if (notDeleted.length > 0) {
      throw new VerificationFailedError(
        `backup runs ${notDeleted.map((run) => run.id).join(', ')} of ${plan.ref.instance} still exist after the prune`,
        { notDeleted: notDeleted.map((run) => run.id) },
      );
    }
    const lost = plan.kept.filter((run) => byId.get(run.id)?.status !== 'SUCCESSFUL');
    if (lost.length > 0) {
      throw new VerificationFailedError(
        `backup runs ${lost.map((run) => run.id).join(', ')} of ${plan.ref.instance} were to be kept but are gone or no longer SUCCESSFUL`,
        { lost: lost.map((run) => run.id) },
      );
    }
    const successful = live.filter((run) => run.status === 'SUCCESSFUL');
    if (successful.length === 0) {
      throw new VerificationFailedError(`${plan.ref.instance} has no SUCCESSFUL backup left`);
    }
    return {
      instance: plan.ref.instance,
      deleted: plan.deletions.map((run) => ({ id: run.id, description: run.description, time: run.time })),
      kept: plan.kept.map((run) => run.id),
      backupRuns: { before: plan.backupRunsBefore, after: live.length },
      successfulBackups: successful.length,
    };
  },
};

export type { PrunedRun, SqlBackupsPruneObserved, SqlBackupsPrunePlan };
export { sqlBackupsPrune };
