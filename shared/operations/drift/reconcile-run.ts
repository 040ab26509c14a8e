import { createHash } from 'node:crypto';
import {
  buildDriftReport,
  commandKey,
  type DriftReport,
  planReconcile,
  type ReconcilePlan,
} from '../../drift';
import { ConfigError } from '../../errors';
import type { BasePlan, OperationDeps, OperationModule } from '../operation';
import { type DriftReportObserved, observeDrift } from './drift-report';

/**
 * `reconcile.run` (A2; issue 6): the drift report, and what reconcile does about it. Plan is the
 * report plus `planReconcile` (the commands for resources in `enforce` mode, what needs a human,
 * what is only observed). Without `apply` nothing changes (like drift.report). With `apply`, each
 * planned command is SUBMITTED on the command path under the reconcile's own actor, so it runs
 * with its own authorization, approval rules and ledger record (A3 fixes wait for a human); the
 * reconcile does not wait for them. Each submission has a deterministic idempotency key
 * (`<reconcile id>-<n>`) and is recorded as a step, so a redelivered reconcile submits nothing twice.
 */

/** An observed finding as the result lists it. */
interface ObservedFinding {
  resource: string;
  kind: string;
  severity: string;
  message: string;
  fix?: string;
}

/** The report, the reconcile plan, and whether to submit. */
interface ReconcileRunPlan extends BasePlan {
  apply: boolean;
  report: DriftReport;
  reconcile: ReconcilePlan;
}

/** A command the reconcile submitted. */
interface SubmittedFix {
  operationId: string;
  type: string;
  cli: string;
}

/** Idempotency keys are at most 200 characters (and a Firestore id). */
const MAX_KEY_LENGTH = 200;
/** Reasons are at most 2000 characters (the envelope's limit). */
const MAX_REASON_LENGTH = 2000;

/**
 * The idempotency key of the n-th (1-based) command a reconcile submits: `<reconcile id>-<n>`, or a
 * hash of the id when that would be too long. Deterministic, so a redelivery lands on the same record.
 */
const submissionKey = (operationId: string, n: number): string => {
  const plain = `${operationId}-${n}`;
  if (plain.length <= MAX_KEY_LENGTH && /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/.test(plain)) return plain;
  return `reconcile-${createHash('sha256').update(operationId).digest('hex').slice(0, 40)}-${n}`;
};

/** The progress step that records the n-th submission. */
const submissionStep = (n: number): string => `submit-${n}`;

/** The reason a submitted command carries: which reconcile and which findings. */
const reasonOf = (operationId: string, fixes: readonly string[]): string => {
  const reason = `reconcile ${operationId}: ${fixes.join(', ')}`;
  return reason.length <= MAX_REASON_LENGTH ? reason : `${reason.slice(0, MAX_REASON_LENGTH - 1)}…`;
};

/** What verify reports about the submissions recorded so far. */
const submittedOf = (plan: ReconcileRunPlan, deps: Pick<OperationDeps, 'progress'>): SubmittedFix[] =>
  plan.reconcile.commands.flatMap((command, index) => {
    const facts = deps.progress.step(submissionStep(index + 1));
    return facts ? [{ operationId: String(facts.operationId), type: command.type, cli: command.cli }] : [];
  });

/** The `reconcile.run` operation module (registered in shared/operations/registry.ts). */
const reconcileRun: OperationModule<'reconcile.run', DriftReportObserved, ReconcileRunPlan> = {
  type: 'reconcile.run',

  // One reconcile of a project at a time; the commands it submits lease their own resources.
  resource: (_args, platform) => `reconcile/${platform.projectId}`,

  observe: (args, platform, deps) => observeDrift(args.resources ?? [], platform, deps),

  plan(platform, observed, args) {
    const report = buildDriftReport(platform, observed.users, observed.live, args.resources ?? []);
    const reconcile = planReconcile(report);
    const apply = args.apply === true;
    const { counts } = report;
    const submitting = apply ? reconcile.commands.length : 0;
    return {
      summary: `${counts.total} drift finding${counts.total === 1 ? '' : 's'} in ${platform.projectId}: ${
        apply ? 'submit' : 'would submit'
      } ${reconcile.commands.length} command${reconcile.commands.length === 1 ? '' : 's'} (enforce), ${
        reconcile.manual.length
      } need${reconcile.manual.length === 1 ? 's' : ''} a human, ${reconcile.observed} observed`,
      changes: apply
        ? reconcile.commands.map((command) => ({
            resource: 'ops-commands',
            field: command.type,
            from: null,
            to: command.cli,
          }))
        : [],
      warnings:
        report.truncated > 0
          ? [`${report.truncated} findings beyond the report's cap were not planned; run again after these`]
          : [],
      noop: submitting === 0,
      apply,
      report,
      reconcile,
    };
  },

  async apply(plan, deps) {
    if (!plan.apply) return;
    const { submit } = deps;
    if (!submit && plan.reconcile.commands.length > 0) {
      throw new ConfigError(
        'reconcile.run cannot submit its fixes: the command processor has no submit dependency',
      );
    }
    // A fix an earlier reconcile submitted that still waits (for its approver, say) is not
    // submitted again: every 15 minutes would otherwise add another copy for the approver.
    const open = new Map(
      (deps.openOperations ? await deps.openOperations() : []).map((record) => [
        commandKey(record.type, record.args),
        record.id,
      ]),
    );
    for (const [index, command] of plan.reconcile.commands.entries()) {
      const n = index + 1;
      if (deps.progress.step(submissionStep(n)) || !submit) continue;
      const pending = open.get(commandKey(command.type, command.args));
      if (pending) {
        await deps.progress.recordStep(submissionStep(n), {
          operationId: pending,
          type: command.type,
          reused: true,
        });
        deps.logger.info('a reconcile fix is still open; not submitted again', {
          open: pending,
          type: command.type,
        });
        continue;
      }
      const operationId = await submit({
        type: command.type,
        args: command.args,
        actor: deps.actor,
        reason: reasonOf(deps.operationId, command.fixes),
        dryRun: false,
        idempotencyKey: submissionKey(deps.operationId, n),
      });
      await deps.progress.recordStep(submissionStep(n), { operationId, type: command.type });
      deps.logger.info('submitted a reconcile fix', { submitted: operationId, type: command.type });
    }
  },

  async verify(plan, deps) {
    const observed: ObservedFinding[] = plan.report.findings
      .filter((finding) => finding.mode !== 'enforce')
      .map((finding) => ({
        resource: finding.resource,
        kind: finding.kind,
        severity: finding.severity,
        message: finding.message,
        ...(finding.fix ? { fix: finding.fix.cli } : {}),
      }));
    return {
      apply: plan.apply,
      projectId: plan.report.projectId,
      generatedAt: plan.report.generatedAt,
      counts: plan.report.counts,
      commands: plan.reconcile.commands,
      manual: plan.reconcile.manual,
      observed,
      submitted: submittedOf(plan, deps),
    };
  },
};

export type { ObservedFinding, ReconcileRunPlan, SubmittedFix };
export { reconcileRun, submissionKey };
