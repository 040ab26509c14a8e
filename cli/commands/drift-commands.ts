import { parseArgs } from 'node:util';
import { type DriftReport, type ReconcileCommand, renderDriftReport } from '../../shared/drift';
import type { OperationRecord } from '../../shared/ledger';
import type { ObservedFinding, SubmittedFix } from '../../shared/operations/drift/reconcile-run';
import { type CliContext, EXIT } from '../cli-context';
import { renderRecord } from '../render';
import { commandLineOf, wantsHelp } from './subcommand-spec';
import { SUBMIT_OPTIONS, submitCommand, submitFlagsOf } from './submit-command';

/** Usage of `opsplane drift`, as the top-level help lists it. */
const DRIFT_USAGE = `usage:
  opsplane drift [--resource KIND|KIND/NAME ...] [--json] [--timeout SECONDS]

  Compares desired state with the live platform (drift.report, read-only) and prints each drifted
  resource: desired versus actual, and the command that fixes it. KIND is one of user, project-iam,
  iap, profile, gpu-pool, sql, filestore, keys, e.g. --resource sql --resource user/ada@acme.ai.
  Resources whose reconcile mode is paused are left out. Always waits for the report.`;

/** Whether a record's result is a drift report (the result of a succeeded drift.report). */
const isDriftReport = (value: unknown): value is DriftReport =>
  typeof value === 'object' &&
  value !== null &&
  Array.isArray((value as { findings?: unknown }).findings) &&
  typeof (value as { counts?: unknown }).counts === 'object';

/**
 * A `reportFinished` for a read-mostly command: the result rendered (JSON: the result with the
 * operation id), or the whole record when the operation failed or its result is not what `isResult`
 * expects.
 */
const reportResultWith =
  <T extends object>(
    isResult: (value: unknown) => value is T,
    render: (result: T, operationId: string) => string,
  ) =>
  async (
    ctx: CliContext,
    _client: unknown,
    record: OperationRecord,
    flags: { json: boolean },
  ): Promise<number> => {
    await Promise.resolve();
    const result = record.result;
    if (record.status !== 'succeeded' || !isResult(result)) {
      ctx.out(flags.json ? JSON.stringify(record, null, 2) : `\n${renderRecord(record)}`);
      return EXIT.operationFailed;
    }
    ctx.out(
      flags.json
        ? JSON.stringify({ operationId: record.id, ...result }, null, 2)
        : `\n${render(result, record.id)}`,
    );
    return EXIT.ok;
  };

/** Prints the finished report: the report itself (JSON: the report document), or the record when it failed. */
const reportFinished = reportResultWith(
  isDriftReport,
  (report, operationId) => `${renderDriftReport(report)}\n\n(operation ${operationId})`,
);

/**
 * `opsplane drift`: submits drift.report through the normal command path (ledger, audit), waits
 * for it, and prints the report. Exit 0 whether or not there is drift: the report is the answer.
 */
const runDriftCommand = async (ctx: CliContext, argv: string[]): Promise<number> => {
  if (argv[0] === 'help' || wantsHelp(argv)) {
    ctx.out(DRIFT_USAGE);
    return EXIT.ok;
  }
  const { values } = parseArgs({
    args: argv,
    options: { ...SUBMIT_OPTIONS, resource: { type: 'string', multiple: true } },
    allowPositionals: false,
    strict: true,
  });
  const resources = values.resource ?? [];
  return submitCommand(
    ctx,
    { ...submitFlagsOf(values), wait: true },
    {
      type: 'drift.report',
      args: resources.length > 0 ? { resources } : {},
      labels: { resources: '--resource' },
      commandLine: commandLineOf(['drift', ...argv]),
      reportFinished,
    },
  );
};

/** Usage of `opsplane reconcile`, as the top-level help lists it. */
const RECONCILE_USAGE = `usage:
  opsplane reconcile [--apply] [--resource KIND|KIND/NAME ...] [--json] [--timeout SECONDS]

  Plans what reconcile does about drift (reconcile.run): the commands it submits for resources in
  enforce mode, the enforced findings that need a human, and the findings only observed. With
  --apply it submits those commands through the normal command path (each with its own
  authorization and approvals: A3 fixes wait for a human) and prints their operation ids; without,
  nothing changes. Modes come from desired state (reconcile.defaultMode, reconcile.resources).
  Always waits for the reconcile (not for the commands it submits: follow them with opsplane ops).`;

/** What a succeeded reconcile.run returns (see shared/operations/drift/reconcile-run.ts). */
interface ReconcileResult {
  apply: boolean;
  projectId: string;
  generatedAt: string;
  counts: DriftReport['counts'];
  commands: ReconcileCommand[];
  manual: Array<{ resource: string; kind: string; message: string }>;
  observed: ObservedFinding[];
  submitted: SubmittedFix[];
}

/** Whether a record's result is a reconcile result. */
const isReconcileResult = (value: unknown): value is ReconcileResult =>
  typeof value === 'object' &&
  value !== null &&
  Array.isArray((value as { commands?: unknown }).commands) &&
  Array.isArray((value as { submitted?: unknown }).submitted) &&
  Array.isArray((value as { observed?: unknown }).observed);

/** The reconcile as a person reads it: submitted (or would be), needs a human, observed. */
const renderReconcile = (result: ReconcileResult, operationId: string): string => {
  const lines = [
    `reconcile of ${result.projectId} at ${result.generatedAt}: ${result.counts.total} finding${result.counts.total === 1 ? '' : 's'} (${result.counts.byMode.enforce} enforce, ${result.counts.byMode.observe} observe)`,
    '',
    result.apply
      ? `submitted (${result.submitted.length}):`
      : `would submit with --apply (${result.commands.length}):`,
  ];
  if (result.apply) {
    for (const fix of result.submitted) lines.push(`  ${fix.operationId}  ${fix.cli}`);
  } else {
    for (const command of result.commands)
      lines.push(`  ${command.cli}    (fixes ${command.fixes.join(', ')})`);
  }
  if ((result.apply ? result.submitted.length : result.commands.length) === 0) lines.push('  nothing');
  lines.push('', `needs a human (${result.manual.length}):`);
  for (const entry of result.manual) lines.push(`  ${entry.resource}  ${entry.kind}: ${entry.message}`);
  if (result.manual.length === 0) lines.push('  nothing');
  lines.push('', `observed only (${result.observed.length}):`);
  for (const entry of result.observed) {
    lines.push(
      `  [${entry.severity}] ${entry.resource}  ${entry.kind}${entry.fix ? `  (fix: ${entry.fix})` : ''}`,
    );
  }
  if (result.observed.length === 0) lines.push('  nothing');
  if (result.apply && result.submitted.length > 0) {
    lines.push(
      '',
      'follow the submitted commands with `opsplane ops get ID` (approvals: `opsplane approvals`)',
    );
  }
  lines.push('', `(operation ${operationId})`);
  return lines.join('\n');
};

/** Prints the finished reconcile, or the record when it failed. */
const reportReconcile = reportResultWith(isReconcileResult, renderReconcile);

/**
 * `opsplane reconcile [--apply]`: submits reconcile.run through the normal command path, waits for
 * it and prints the plan (or what it submitted). Exit 0 whether or not there is drift.
 */
const runReconcileCommand = async (ctx: CliContext, argv: string[]): Promise<number> => {
  if (argv[0] === 'help' || wantsHelp(argv)) {
    ctx.out(RECONCILE_USAGE);
    return EXIT.ok;
  }
  const { values } = parseArgs({
    args: argv,
    options: {
      ...SUBMIT_OPTIONS,
      apply: { type: 'boolean', default: false },
      resource: { type: 'string', multiple: true },
    },
    allowPositionals: false,
    strict: true,
  });
  const resources = values.resource ?? [];
  return submitCommand(
    ctx,
    { ...submitFlagsOf(values), wait: true },
    {
      type: 'reconcile.run',
      args: { apply: values.apply === true, ...(resources.length > 0 ? { resources } : {}) },
      labels: { resources: '--resource', apply: '--apply' },
      commandLine: commandLineOf(['reconcile', ...argv]),
      reportFinished: reportReconcile,
    },
  );
};

export type { ReconcileResult };
export { DRIFT_USAGE, RECONCILE_USAGE, renderReconcile, runDriftCommand, runReconcileCommand };
