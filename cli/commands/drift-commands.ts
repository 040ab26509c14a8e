import { parseArgs } from 'node:util';
import { type DriftReport, renderDriftReport } from '../../shared/drift';
import type { OperationRecord } from '../../shared/ledger';
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

/** Prints the finished report: the report itself (JSON: the report document), or the record when it failed. */
const reportFinished = async (
  ctx: CliContext,
  _client: unknown,
  record: OperationRecord,
  flags: { json: boolean },
): Promise<number> => {
  await Promise.resolve();
  const report = record.result;
  if (record.status !== 'succeeded' || !isDriftReport(report)) {
    ctx.out(flags.json ? JSON.stringify(record, null, 2) : `\n${renderRecord(record)}`);
    return EXIT.operationFailed;
  }
  ctx.out(
    flags.json
      ? JSON.stringify({ operationId: record.id, ...report }, null, 2)
      : `\n${renderDriftReport(report)}\n\n(operation ${record.id})`,
  );
  return EXIT.ok;
};

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

export { DRIFT_USAGE, runDriftCommand };
