import { parseArgs } from 'node:util';
import { parseCommand } from '../../shared/commands';
import type { ExecutionView, RunbookClient, StepEntryView } from '../../shared/gcp/runbook-client';
import { type CliContext, EXIT, UsageError } from '../cli-context';
import type { ControlPlaneClient } from '../control-plane-client';
import { HELP_WORDS, wantsHelp } from './subcommand-spec';

/** Usage of `opsplane runbook`, also part of the top-level help. */
const RUNBOOK_USAGE = `usage:
  opsplane runbook list
  opsplane runbook start NAME [--arg KEY=VALUE]… [--wait] [--timeout SECONDS] [--json]
  opsplane runbook status ID [--json]
  opsplane runbook cancel ID

  Runbooks are the Cloud Workflows in workflows/ (deployed by npm start locally). VALUE is read
  as JSON when it parses (numbers, true, objects), else as text; requestedBy defaults to you.
  start prints the execution ID (RUNBOOK/EXECUTION); --wait follows its steps live, says which
  operation waits for approval (opsplane approve ID), and ends with the result or the error.
  cancel also withdraws the execution's requests for approval that nobody decided yet.
  Exit codes: 0 succeeded, 1 failed, cancelled or still running when --timeout ran out.`;

const FINAL_STATES = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** `KEY=VALUE` pairs into the execution argument; VALUE as JSON when it parses. */
const argumentOf = (pairs: string[], actor: string): Record<string, unknown> => {
  const argument: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--arg "${pair}" must be KEY=VALUE`);
    const key = pair.slice(0, at);
    const text = pair.slice(at + 1);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new UsageError(`--arg key "${key}" must be a name`);
    try {
      argument[key] = JSON.parse(text);
    } catch {
      argument[key] = text;
    }
  }
  argument.requestedBy ??= actor;
  return argument;
};

const renderExecution = (execution: ExecutionView): string => {
  const lines = [`${execution.id}  ${execution.state}`];
  if (execution.startTime) lines.push(`  started   ${execution.startTime}`);
  if (execution.endTime) lines.push(`  ended     ${execution.endTime}`);
  for (const step of execution.currentSteps) lines.push(`  at step   ${step.routine} › ${step.step}`);
  if (execution.result !== undefined)
    lines.push(`  result    ${JSON.stringify(execution.result, null, 2).replace(/\n/g, '\n  ')}`);
  if (execution.error !== undefined)
    lines.push(`  error     ${JSON.stringify(execution.error, null, 2).replace(/\n/g, '\n  ')}`);
  return lines.join('\n');
};

/**
 * Which step entries `--wait` prints: the runbook's own steps (routine main) as they start, and if
 * they fail. Steps of subworkflows (the per-operation submit-and-wait loop, whose waits time out
 * and retry by design) would drown them.
 */
const progressLineOf = (step: StepEntryView): string | undefined => {
  if (step.routine !== 'main') return undefined;
  return step.state === 'STATE_FAILED' ? `  ✗ ${step.step} failed` : `  → ${step.step}`;
};

/**
 * Operations a runbook execution submitted that now wait for a human. The runbooks key each
 * operation `<execution id>-<step>`, so the ledger tells which ones belong to this execution.
 */
const pendingApprovalsOf = async (
  client: ControlPlaneClient,
  execution: ExecutionView,
): Promise<string[]> => {
  const executionId = execution.name.split('/').pop() ?? '';
  const waiting = await client.listOperations({ limit: 100, status: 'pending_approval' });
  return waiting.filter((record) => record.id.startsWith(`${executionId}-`)).map((record) => record.id);
};

/** Follows an execution until it ends or the timeout runs out, printing each step as it goes. */
const followExecution = async (
  ctx: CliContext,
  runbooks: RunbookClient,
  execution: ExecutionView,
  timeoutMs: number,
): Promise<ExecutionView> => {
  const deadline = ctx.clock.now().getTime() + timeoutMs;
  const printed = new Map<number, string>();
  const announced = new Set<string>();
  let controlPlane: ControlPlaneClient | undefined;
  try {
    let current = execution;
    for (;;) {
      // The state first: once it is final, the steps listed after it are all the steps there are.
      current = await runbooks.getExecution(current.id);
      const steps: StepEntryView[] = await runbooks.listSteps(current.id);
      for (const step of steps) {
        const line = progressLineOf(step);
        if (!line || printed.get(step.entryId) === line) continue;
        printed.set(step.entryId, line);
        ctx.out(line);
      }
      if (FINAL_STATES.has(current.state)) return current;
      controlPlane ??= await ctx.connect();
      for (const id of await pendingApprovalsOf(controlPlane, current)) {
        if (announced.has(id)) continue;
        announced.add(id);
        ctx.out(`  waiting for approval of operation ${id}: an approver runs  opsplane approve ${id}`);
      }
      if (ctx.clock.now().getTime() >= deadline) return current;
      await ctx.clock.sleep(ctx.pollIntervalMs);
    }
  } finally {
    await controlPlane?.close();
  }
};

const exitOf = (execution: ExecutionView): number =>
  execution.state === 'SUCCEEDED' ? EXIT.ok : EXIT.operationFailed;

/** `opsplane runbook …`: start and follow the Cloud Workflows runbooks. */
const runRunbookCommand = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const [sub, ...rest] = argv;
  if (!sub) {
    ctx.out(RUNBOOK_USAGE);
    return EXIT.usage;
  }
  if (HELP_WORDS.has(sub) || wantsHelp(rest)) {
    ctx.out(RUNBOOK_USAGE);
    return EXIT.ok;
  }
  if (!['list', 'start', 'status', 'cancel'].includes(sub)) {
    throw new UsageError(`unknown runbook subcommand "${sub}"\n${RUNBOOK_USAGE}`);
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      arg: { type: 'string', multiple: true, default: [] },
      wait: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '3600' },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new UsageError('--timeout must be a positive number of seconds');
  }
  const expectOne = (what: string): string => {
    const [value] = positionals;
    if (!value || positionals.length > 1)
      throw new UsageError(`runbook ${sub} takes one ${what}\n${RUNBOOK_USAGE}`);
    return value;
  };
  if (sub === 'list' && positionals.length > 0) throw new UsageError(`runbook list takes no arguments`);
  const target = sub === 'list' ? '' : expectOne(sub === 'start' ? 'runbook NAME' : 'execution ID');
  const argument = sub === 'start' ? argumentOf(values.arg, ctx.actor()) : {};

  const runbooks = await ctx.connectRunbooks();
  try {
    if (sub === 'list') {
      const list = await runbooks.listRunbooks();
      if (values.json) ctx.out(JSON.stringify(list, null, 2));
      else if (list.length === 0) ctx.out('no runbooks deployed');
      else
        ctx.out(
          list
            .map(
              (runbook) =>
                `${runbook.name.padEnd(20)} ${runbook.revisionId.padEnd(12)} ${runbook.description}`,
            )
            .join('\n'),
        );
      return EXIT.ok;
    }
    if (sub === 'status') {
      const execution = await runbooks.getExecution(target);
      ctx.out(values.json ? JSON.stringify(execution, null, 2) : renderExecution(execution));
      return FINAL_STATES.has(execution.state) ? exitOf(execution) : EXIT.ok;
    }
    if (sub === 'cancel') {
      const execution = await runbooks.cancel(target);
      ctx.out(renderExecution(execution));
      // Its requests for approval would outlive it: withdraw them, so that nobody approves an
      // operation whose runbook is gone (the processor checks that you may).
      const controlPlane = await ctx.connect();
      try {
        for (const id of await pendingApprovalsOf(controlPlane, execution)) {
          const key = `${id}-withdraw`;
          await controlPlane.submit(
            parseCommand({
              type: 'approval.withdraw',
              args: { operationId: id, comment: `runbook execution ${execution.id} was cancelled` },
              actor: ctx.actor(),
              reason: `opsplane runbook cancel ${execution.id}`,
              idempotencyKey: key,
            }),
          );
          ctx.out(
            `  withdrawing operation ${id}, which waited for approval: follow it with  opsplane ops show ${key}`,
          );
        }
      } finally {
        await controlPlane.close();
      }
      return EXIT.ok;
    }
    const started = await runbooks.start(target, argument);
    ctx.out(`started runbook ${target}: execution ${started.id}`);
    if (!values.wait) {
      ctx.out(`follow it with  opsplane runbook status ${started.id}`);
      return EXIT.ok;
    }
    const ended = await followExecution(ctx, runbooks, started, timeoutSeconds * 1000);
    ctx.out(values.json ? JSON.stringify(ended, null, 2) : renderExecution(ended));
    if (!FINAL_STATES.has(ended.state)) {
      ctx.err(
        `still ${ended.state} after ${timeoutSeconds} s; follow it with  opsplane runbook status ${ended.id}`,
      );
      return EXIT.operationFailed;
    }
    return exitOf(ended);
  } finally {
    await runbooks.close();
  }
};

export { RUNBOOK_USAGE, runRunbookCommand };
