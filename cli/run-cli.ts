import { ControlPlaneError } from '../shared/errors';
import { type CliContext, EXIT, UsageError } from './cli-context';
import { APPROVAL_USAGE, runApprovalCommand } from './commands/approval-commands';
import {
  DRIFT_USAGE,
  RECONCILE_USAGE,
  runDriftCommand,
  runReconcileCommand,
} from './commands/drift-commands';
import { FILESTORE_USAGE, runFilestoreCommand } from './commands/filestore-commands';
import { GPU_USAGE, runGpuCommand } from './commands/gpu-commands';
import { IAM_USAGE, runIamCommand } from './commands/iam-commands';
import { KEYS_USAGE, runKeysCommand } from './commands/keys-commands';
import { OPS_HELP, runOpsCommand } from './commands/ops-commands';
import { RUNBOOK_USAGE, runRunbookCommand } from './commands/runbook-commands';
import { runSchedulesCommand, SCHEDULES_USAGE } from './commands/schedule-commands';
import { runSqlCommand, SQL_USAGE } from './commands/sql-commands';
import { runStateCommand, STATE_HELP } from './commands/state-commands';
import { SUBMIT_HELP } from './commands/submit-command';
import { runUserCommand, USER_USAGE } from './commands/user-commands';
import { runWorkflowCommand, WORKFLOW_USAGE } from './commands/workflow-commands';

/** The top-level help: every group's usage (each group alone, e.g. `opsplane user`, prints its own). */
const HELP = `opsplane: day-2 operations of the ML platform, as audited, exactly-once commands.

GPU node pool
${GPU_USAGE}

Users and their access
${USER_USAGE}

Service-account keys
${KEYS_USAGE}

Cloud SQL
${SQL_USAGE}

Filestore
${FILESTORE_USAGE}

Approvals
${APPROVAL_USAGE}

Runbooks (Cloud Workflows)
${RUNBOOK_USAGE}

Drift (desired state vs the live platform)
${DRIFT_USAGE}
${RECONCILE_USAGE}
${IAM_USAGE}

Schedules (Cloud Scheduler jobs; the local scheduler under npm start)
${SCHEDULES_USAGE}

Any Cloud Workflows file, on the local executor alone
${WORKFLOW_USAGE}

Operations in the ledger
${OPS_HELP}

Desired state
${STATE_HELP}

${SUBMIT_HELP}

By default the CLI talks to the local stack that \`npm start\` runs (it reads .opsplane/local.json).
Exit codes: 0 done, 1 the operation failed or was rejected (or --wait timed out, or nothing at the
ID/PATH asked for), 2 bad usage (nothing was submitted or written), 3 control plane unreachable,
4 (with --wait) the operation waits for approval.`;

/** Each top-level word and what runs it. */
const COMMANDS: Record<string, (ctx: CliContext, argv: string[]) => Promise<number>> = {
  gpu: runGpuCommand,
  user: runUserCommand,
  keys: runKeysCommand,
  sql: runSqlCommand,
  filestore: runFilestoreCommand,
  approve: runApprovalCommand('approve'),
  deny: runApprovalCommand('deny'),
  withdraw: runApprovalCommand('withdraw'),
  ops: runOpsCommand,
  runbook: runRunbookCommand,
  drift: runDriftCommand,
  reconcile: runReconcileCommand,
  iam: runIamCommand,
  schedules: (ctx, argv) => runSchedulesCommand(ctx, argv),
  workflow: runWorkflowCommand,
  state: runStateCommand,
};

/** Runs one CLI invocation and returns its exit code; never throws. */
const runCli = async (argv: string[], ctx: CliContext): Promise<number> => {
  const [group, ...rest] = argv;
  if (!group || group === 'help' || group === '--help' || group === '-h') {
    ctx.out(HELP);
    return group ? EXIT.ok : EXIT.usage;
  }
  const command = Object.hasOwn(COMMANDS, group) ? COMMANDS[group] : undefined;
  if (!command) {
    ctx.err(`unknown command "${group}"\n\n${HELP}`);
    return EXIT.usage;
  }
  try {
    return await command(ctx, rest);
  } catch (error) {
    const code: unknown = (error as { code?: unknown } | null)?.code;
    if (error instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      ctx.err(`opsplane: ${(error as Error).message}`);
      return EXIT.usage;
    }
    if (error instanceof ControlPlaneError && error.code === 'CONFIG_ERROR') {
      ctx.err(`opsplane: ${error.message}`);
      return EXIT.unavailable;
    }
    ctx.err(`opsplane: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.unavailable;
  }
};

export { HELP, runCli };
