import { ControlPlaneError } from '../shared/errors';
import { type CliContext, EXIT, UsageError } from './cli-context';
import { GPU_HELP, runGpuCommand } from './commands/gpu-commands';
import { OPS_HELP, runOpsCommand } from './commands/ops-commands';

const HELP = `opsplane: day-2 operations of the ML platform, as audited, exactly-once commands.

${GPU_HELP}

${OPS_HELP}

By default the CLI talks to the local stack that \`npm start\` runs (it reads .opsplane/local.json).
Exit codes: 0 done, 1 the operation failed or was rejected, 2 bad usage, 3 control plane unreachable.`;

const COMMANDS: Record<string, (ctx: CliContext, argv: string[]) => Promise<number>> = {
  gpu: runGpuCommand,
  ops: runOpsCommand,
};

/** Runs one CLI invocation and returns its exit code; never throws. */
const runCli = async (argv: string[], ctx: CliContext): Promise<number> => {
  const [group, ...rest] = argv;
  if (!group || group === 'help' || group === '--help' || group === '-h') {
    ctx.out(HELP);
    return group ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[group];
  if (!command) {
    ctx.err(`unknown command "${group}"\n\n${HELP}`);
    return EXIT.usage;
  }
  try {
    return await command(ctx, rest);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
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
