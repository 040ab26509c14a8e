import type { z } from 'zod';
import { InvalidCommandError } from '../errors';
import { COMMAND_CATALOG, COMMAND_TYPES, type CommandArgs, type CommandType, isCommandType } from './catalog';
import { CommandEnvelopeSchema, IdempotencyKeySchema } from './envelope';

/** A validated command: the envelope with `args` narrowed to its type's schema. */
type Command<T extends CommandType = CommandType> = {
  [K in T]: {
    type: K;
    args: CommandArgs<K>;
    actor: string;
    reason: string;
    dryRun: boolean;
    idempotencyKey?: string;
  };
}[T];

/** Dotted path of the first issue, prefixed with where the validated object sits in the envelope. */
const firstIssue = (error: z.ZodError, prefix: string[]): { field: string; message: string } => {
  const issue = error.issues[0];
  const path = [...prefix, ...(issue?.path ?? []).map(String)];
  return { field: path.join('.'), message: issue?.message ?? 'is invalid' };
};

/**
 * Validates a decoded message body. Throws InvalidCommandError naming the first offending field
 * (`type`, `args.nodes`, …); never anything else.
 */
const parseCommand = (raw: unknown): Command => {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidCommandError('', 'a command must be a JSON object');
  }
  const envelope = CommandEnvelopeSchema.safeParse(raw);
  if (!envelope.success) {
    const { field, message } = firstIssue(envelope.error, []);
    throw new InvalidCommandError(field, message);
  }
  const { type } = envelope.data;
  if (!isCommandType(type)) {
    throw new InvalidCommandError(
      'type',
      `unknown command type "${type}"; known types: ${COMMAND_TYPES.join(', ')}`,
    );
  }
  const args = COMMAND_CATALOG[type].args.safeParse(envelope.data.args);
  if (!args.success) {
    const { field, message } = firstIssue(args.error, ['args']);
    throw new InvalidCommandError(field, message);
  }
  return { ...envelope.data, type, args: args.data } as Command;
};

/**
 * The idempotency key of a message that may not validate: the publisher's key when it is well
 * formed, so that a publisher waiting on its key finds the rejection too.
 */
const idempotencyKeyOf = (raw: unknown): string | undefined => {
  if (raw === null || typeof raw !== 'object') return undefined;
  const parsed = IdempotencyKeySchema.safeParse((raw as Record<string, unknown>).idempotencyKey);
  return parsed.success ? parsed.data : undefined;
};

export type { Command };
export { idempotencyKeyOf, parseCommand };
