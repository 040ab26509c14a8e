import { parseCommand } from '../../shared/commands';
import { ControlPlaneError } from '../../shared/errors';
import { type CliContext, EXIT, UsageError } from '../cli-context';
import { renderRecord } from '../render';
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

type SubmitFlags = {
  'dry-run': boolean;
  wait: boolean;
  json: boolean;
  reason?: string;
  actor?: string;
  'idempotency-key'?: string;
  timeout: string;
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

/**
 * Validates the command locally (the same schemas the function uses), publishes it, and with
 * --wait follows it to its outcome. Exit 0 when it succeeded, 1 when it failed or was rejected.
 */
const submitCommand = async (
  ctx: CliContext,
  flags: SubmitFlags,
  type: string,
  args: Record<string, unknown>,
  commandLine: string,
): Promise<number> => {
  const idempotencyKey = flags['idempotency-key'] ?? ctx.newIdempotencyKey();
  let command: ReturnType<typeof parseCommand>;
  try {
    command = parseCommand({
      type,
      args,
      actor: flags.actor ?? ctx.actor(),
      // The command line itself is the default reason: the audit trail then says what was asked.
      reason: flags.reason ?? `opsplane ${commandLine}`,
      dryRun: flags['dry-run'],
      idempotencyKey,
    });
  } catch (error) {
    if (error instanceof ControlPlaneError) throw new UsageError(error.message);
    throw error;
  }
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
    const timeoutSeconds = Number(flags.timeout);
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
      throw new UsageError('--timeout must be a number of seconds');
    const record = await waitForOutcome(client, idempotencyKey, {
      clock: ctx.clock,
      intervalMs: ctx.pollIntervalMs,
      timeoutMs: timeoutSeconds * 1000,
      onProgress: (line) => {
        if (!flags.json) ctx.out(line);
      },
    });
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
    ctx.out(flags.json ? JSON.stringify(record, null, 2) : `\n${renderRecord(record)}`);
    return record.status === 'succeeded' ? EXIT.ok : EXIT.operationFailed;
  } finally {
    await client.close();
  }
};

export type { SubmitFlags };
export { intFlag, SUBMIT_OPTIONS, submitCommand };
