import type { z } from 'zod';
import { COMMAND_CATALOG, type Command, type CommandType, parseCommand } from '../../shared/commands';
import type { AccessPolicy } from '../../shared/desired-state';
import { InvalidCommandError } from '../../shared/errors';
import type { OperationRecord } from '../../shared/ledger';
import { type CliContext, EXIT, UsageError } from '../cli-context';
import type { ControlPlaneClient } from '../control-plane-client';
import { renderApprovalHint, renderRecord } from '../render';
import { waitForOutcome } from '../wait-for-outcome';

/** Flags every command-submitting subcommand takes. */
const SUBMIT_OPTIONS = {
  'dry-run': { type: 'boolean', default: false },
  wait: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  reason: { type: 'string' },
  actor: { type: 'string' },
  'idempotency-key': { type: 'string' },
  timeout: { type: 'string', default: '600' },
} as const;

/** The help text for SUBMIT_OPTIONS, shared by every group's usage and the top-level help. */
const SUBMIT_HELP = `  Commands that submit an operation (all but gpu status, ops and state) also take:
  --dry-run (plan only), --wait (follow it to its outcome), --json, --reason TEXT (default: the
  command line), --actor user:EMAIL, --idempotency-key KEY, --timeout SECONDS (with --wait,
  default 600). With --wait, an operation that stops for approval prints its plan, who can
  approve it and the \`opsplane approve ID\` command, and exits 4.`;

/** SUBMIT_OPTIONS as parsed, typed. */
type SubmitFlags = {
  'dry-run': boolean;
  wait: boolean;
  json: boolean;
  reason?: string;
  actor?: string;
  'idempotency-key'?: string;
  timeout: string;
};

/** How the envelope's fields are given on the command line, so their errors name the flag. */
const ENVELOPE_FLAGS: Record<string, string> = {
  actor: '--actor',
  reason: '--reason',
  idempotencyKey: '--idempotency-key',
  dryRun: '--dry-run',
};

/** Reads an integer flag, with a usage error naming it. */
const intFlag = (values: Record<string, unknown>, name: string, required = true): number | undefined => {
  const raw = values[name];
  if (raw === undefined) {
    if (required) throw new UsageError(`--${name} is required`);
    return undefined;
  }
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw))
    throw new UsageError(`--${name} must be a whole number, got "${String(raw)}"`);
  return Number(raw);
};

/** Reads a decimal number flag (e.g. hours), with a usage error naming it. */
const numberFlag = (values: Record<string, unknown>, name: string, required = true): number | undefined => {
  const raw = values[name];
  if (raw === undefined) {
    if (required) throw new UsageError(`--${name} is required`);
    return undefined;
  }
  if (typeof raw !== 'string' || !/^-?(\d+(\.\d*)?|\.\d+)$/.test(raw))
    throw new UsageError(`--${name} must be a number, got "${String(raw)}"`);
  return Number(raw);
};

/** The SUBMIT_OPTIONS part of parseArgs values, checked. */
const submitFlagsOf = (values: Record<string, unknown>): SubmitFlags => {
  const text = (name: string): string | undefined =>
    typeof values[name] === 'string' ? (values[name] as string) : undefined;
  const flags: SubmitFlags = {
    'dry-run': values['dry-run'] === true,
    wait: values.wait === true,
    json: values.json === true,
    timeout: text('timeout') ?? '600',
  };
  for (const name of ['reason', 'actor', 'idempotency-key'] as const) {
    const value = text(name);
    if (value !== undefined) flags[name] = value;
  }
  return flags;
};

/**
 * A zod issue on `args`, told in the user's words: the flag or positional the field came from and
 * the value they gave, e.g. `--expires-at: must be an RFC 3339 timestamp… (got "tomorrow")`.
 */
const describeArgsIssue = (
  issue: z.ZodError['issues'][number] | undefined,
  args: Record<string, unknown>,
  labels: Record<string, string>,
): string => {
  if (!issue) return 'the arguments are invalid';
  const [field, ...rest] = issue.path.map(String);
  if (field === undefined) return `the arguments are invalid: ${issue.message}`;
  const label = `${labels[field] ?? `args.${field}`}${rest.length > 0 ? `.${rest.join('.')}` : ''}`;
  const given = args[field];
  const shown =
    rest.length === 0 && (typeof given === 'string' || typeof given === 'number')
      ? ` (got ${JSON.stringify(given)})`
      : '';
  return `${label}: ${issue.message}${shown}`;
};

/** What to submit, and how its fields map back to what the user typed. */
interface SubmitRequest {
  type: CommandType;
  args: Record<string, unknown>;
  /** Field of `args` → how it was given (`--role`, `EMAIL`), so a bad value names the flag. */
  labels: Record<string, string>;
  /** The command line after `opsplane`; the default reason, so the audit trail says what was asked. */
  commandLine: string;
  /**
   * With --wait, reports a finished operation instead of the default (the record) and returns the
   * exit code. `approve`/`deny` use it to show the operation they decided on.
   */
  reportFinished?: (
    ctx: CliContext,
    client: ControlPlaneClient,
    record: OperationRecord,
    flags: SubmitFlags,
  ) => Promise<number>;
}

/** Validates args and envelope locally, with usage errors naming the flag; nothing is published if not valid. */
const buildCommand = (ctx: CliContext, flags: SubmitFlags, request: SubmitRequest, key: string): Command => {
  const schema: z.ZodType = COMMAND_CATALOG[request.type].args;
  const checked = schema.safeParse(request.args);
  if (!checked.success)
    throw new UsageError(describeArgsIssue(checked.error.issues[0], request.args, request.labels));
  try {
    return parseCommand({
      type: request.type,
      args: request.args,
      actor: flags.actor ?? ctx.actor(),
      reason: flags.reason ?? `opsplane ${request.commandLine}`,
      dryRun: flags['dry-run'],
      idempotencyKey: key,
    });
  } catch (error) {
    if (error instanceof InvalidCommandError) {
      const flag = ENVELOPE_FLAGS[error.field];
      const detail = error.message.startsWith(`${error.field}: `)
        ? error.message.slice(error.field.length + 2)
        : error.message;
      throw new UsageError(flag ? `${flag}: ${detail}` : error.message);
    }
    throw error;
  }
};

/** Desired state's access policy for the approval hint; undefined when it cannot be read. */
const accessOf = async (client: ControlPlaneClient): Promise<AccessPolicy | undefined> => {
  try {
    return (await client.getPlatform()).access;
  } catch {
    return undefined;
  }
};

/**
 * Validates the command locally (the same schemas the function uses), publishes it, and with
 * --wait follows it: exit 0 when it succeeded, 1 when it failed or was rejected (or the wait timed
 * out), 4 when it waits for approval (after printing how to approve it).
 */
const submitCommand = async (
  ctx: CliContext,
  flags: SubmitFlags,
  request: SubmitRequest,
): Promise<number> => {
  const { type } = request;
  const timeoutSeconds = Number(flags.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
    throw new UsageError(`--timeout must be a number of seconds, got "${flags.timeout}"`);
  const idempotencyKey = flags['idempotency-key'] ?? ctx.newIdempotencyKey();
  const command = buildCommand(ctx, flags, request, idempotencyKey);
  const client = await ctx.connect();
  try {
    const messageId = await client.submit(command);
    if (!flags.wait) {
      if (flags.json)
        ctx.out(JSON.stringify({ operationId: idempotencyKey, messageId, status: 'submitted' }));
      else
        ctx.out(
          `submitted ${type} as operation ${idempotencyKey}; follow it with: opsplane ops show ${idempotencyKey}`,
        );
      return EXIT.ok;
    }
    if (!flags.json)
      ctx.out(`operation ${idempotencyKey} submitted (${type}${command.dryRun ? ', dry run' : ''})`);
    const record = await waitForOutcome(client, idempotencyKey, {
      clock: ctx.clock,
      intervalMs: ctx.pollIntervalMs,
      timeoutMs: timeoutSeconds * 1000,
      onProgress: (line) => {
        if (!flags.json) ctx.out(line);
      },
    });
    if (record?.status === 'pending_approval') {
      const hint = renderApprovalHint(record, await accessOf(client));
      if (flags.json) {
        // stdout stays one JSON document; the hint is for the person at the terminal.
        ctx.out(JSON.stringify(record, null, 2));
        ctx.err(hint);
      } else {
        ctx.out(`\n${renderRecord(record)}\n\n${hint}`);
      }
      return EXIT.pendingApproval;
    }
    if (
      !record ||
      (record.status !== 'succeeded' && record.status !== 'failed' && record.status !== 'rejected')
    ) {
      ctx.err(
        `gave up waiting after ${timeoutSeconds} s; the operation is ${record?.status ?? 'not picked up yet'}: opsplane ops show ${idempotencyKey}`,
      );
      if (flags.json && record) ctx.out(JSON.stringify(record, null, 2));
      return EXIT.operationFailed;
    }
    if (request.reportFinished) return await request.reportFinished(ctx, client, record, flags);
    ctx.out(flags.json ? JSON.stringify(record, null, 2) : `\n${renderRecord(record)}`);
    return record.status === 'succeeded' ? EXIT.ok : EXIT.operationFailed;
  } finally {
    await client.close();
  }
};

export type { SubmitFlags, SubmitRequest };
export { describeArgsIssue, intFlag, numberFlag, SUBMIT_HELP, SUBMIT_OPTIONS, submitCommand, submitFlagsOf };
