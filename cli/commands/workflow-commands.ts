import { parseArgs } from 'node:util';
import { createSystemClock, createVirtualClock } from '../../local/workflows/engine/clocks';
import type { WorkflowLogEntry } from '../../local/workflows/engine/runtime-types';
import { WorkflowValidationError } from '../../local/workflows/engine/validation/validation-error';
import { runWorkflowFile, WorkflowArgumentError } from '../../local/workflows/run-workflow-file';
import { type CliContext, EXIT, UsageError } from '../cli-context';
import { HELP_WORDS, wantsHelp } from './subcommand-spec';

/** Usage of `opsplane workflow`, also part of the top-level help. */
const WORKFLOW_USAGE = `usage:
  opsplane workflow run FILE [--data JSON] [--virtual-clock]

  Runs a Cloud Workflows definition (YAML or JSON) locally, without the rest of the stack, and
  prints the execution as the Executions API shows it (state, argument, result or error, times).
  The file is validated first, as a deploy would: every issue is printed as FILE:LINE:COLUMN:
  reason and nothing runs (exit 2). --data is the execution argument as JSON (at most 32 KB).
  --virtual-clock makes sys.sleep, retry backoffs and callback timeouts take no wall time; HTTP
  calls still run in real time, and a callback wait times out at once unless its request has
  already arrived. Callback endpoints are served on 127.0.0.1 while the run lasts. sys.log
  entries go to stderr, one JSON object per line. googleapis connectors need the local stack
  (npm start); here they fail with an error saying so.
  Exit codes: 0 SUCCEEDED, 1 FAILED or CANCELLED, 2 bad usage or an invalid workflow.`;

/** `opsplane workflow run`: one local execution of a workflow file. */
const workflowRun = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      'virtual-clock': { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    throw new UsageError(
      `workflow run takes one FILE (got ${positionals.length === 0 ? 'none' : positionals.join(' ')})\n${WORKFLOW_USAGE}`,
    );
  }
  const log = (entry: WorkflowLogEntry): void => {
    ctx.err(
      JSON.stringify({
        severity: entry.severity,
        time: new Date(entry.at).toISOString(),
        payload: entry.payload,
      }),
    );
  };
  try {
    const execution = await runWorkflowFile(file, {
      ...(values.data === undefined ? {} : { data: values.data }),
      clock: values['virtual-clock'] ? createVirtualClock(Date.now()) : createSystemClock(),
      services: { log },
    });
    ctx.out(JSON.stringify(execution, null, 2));
    return execution.state === 'SUCCEEDED' ? EXIT.ok : EXIT.operationFailed;
  } catch (error) {
    if (error instanceof WorkflowValidationError) {
      for (const issue of error.issues) ctx.err(`${file}:${issue.line}:${issue.column}: ${issue.message}`);
      return EXIT.usage;
    }
    if (error instanceof WorkflowArgumentError) throw new UsageError(`--data: ${error.message}`);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`no such file: ${file}`);
    throw error;
  }
};

/** `opsplane workflow …`: local tools for the Cloud Workflows runbooks. */
const runWorkflowCommand = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const [sub, ...rest] = argv;
  if (!sub) {
    ctx.out(WORKFLOW_USAGE);
    return EXIT.usage;
  }
  if (HELP_WORDS.has(sub) || wantsHelp(rest)) {
    ctx.out(WORKFLOW_USAGE);
    return EXIT.ok;
  }
  if (sub === 'run') return workflowRun(ctx, rest);
  throw new UsageError(`unknown workflow subcommand "${sub}"\n${WORKFLOW_USAGE}`);
};

export { runWorkflowCommand, WORKFLOW_USAGE };
