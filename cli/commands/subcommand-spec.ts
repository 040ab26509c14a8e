import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import type { CommandType } from '../../shared/commands';
import { type CliContext, EXIT, UsageError } from '../cli-context';
import {
  intFlag,
  numberFlag,
  SUBMIT_OPTIONS,
  type SubmitRequest,
  submitCommand,
  submitFlagsOf,
} from './submit-command';

/**
 * Command-submitting subcommands as data: which command type, which positional and flags become
 * which fields of `args`. One runner parses them all the same way, so every subcommand takes the
 * submit flags, refuses unknown flags, and names the flag in every usage error.
 */

/** How one flag becomes a field of `args`. */
interface FlagSpec {
  /** The field of `args` it sets. */
  field: string;
  /**
   * `string` as typed; `int` a whole number; `number` a decimal; `true`/`false` a switch that sets
   * the field to true (or false, for `--no-…` switches) when given, and leaves it out otherwise;
   * `list` a flag that may be repeated, each value one element of the field's array.
   */
  kind: 'string' | 'int' | 'number' | 'true' | 'false' | 'list';
  required?: boolean;
}

/** One subcommand that publishes a command. */
interface SubcommandSpec {
  type: CommandType;
  /** The one positional argument, e.g. `{ name: 'EMAIL', field: 'email' }`. */
  positional?: { name: string; field: string };
  /** Flags by name without the dashes, e.g. `role`. */
  flags: Record<string, FlagSpec>;
  /** Extra reporting with --wait (approve/deny). */
  reportFinished?: SubmitRequest['reportFinished'];
}

const isSwitch = (kind: FlagSpec['kind']): boolean => kind === 'true' || kind === 'false';

/** Words with spaces or quotes quoted, so the default reason reads back as the command typed. */
const commandLineOf = (words: string[]): string =>
  words.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');

/**
 * Parses `argv` (what follows the subcommand's words) against the spec, builds `args` and submits.
 * `words` are the command's own words, e.g. `['user', 'add']`; `help` is the group's usage.
 */
const runSubcommandSpec = async (
  ctx: CliContext,
  words: string[],
  spec: SubcommandSpec,
  argv: string[],
  help: string,
): Promise<number> => {
  const options: ParseArgsOptionsConfig = { ...SUBMIT_OPTIONS };
  for (const [name, flag] of Object.entries(spec.flags)) {
    options[name] = isSwitch(flag.kind)
      ? { type: 'boolean' }
      : { type: 'string', ...(flag.kind === 'list' ? { multiple: true } : {}) };
  }
  const { values, positionals } = parseArgs({
    args: argv,
    options,
    allowPositionals: spec.positional !== undefined,
    strict: true,
  });
  const args: Record<string, unknown> = {};
  const labels: Record<string, string> = {};
  if (spec.positional) {
    const { name, field } = spec.positional;
    if (positionals.length !== 1) {
      const got = positionals.length === 0 ? 'none' : positionals.join(' ');
      throw new UsageError(`${words.join(' ')} takes one ${name} (got ${got})\n${help}`);
    }
    args[field] = positionals[0];
    labels[field] = name;
  }
  for (const [name, flag] of Object.entries(spec.flags)) {
    labels[flag.field] = `--${name}`;
    const required = flag.required === true;
    let value: unknown;
    if (flag.kind === 'int') value = intFlag(values, name, required);
    else if (flag.kind === 'number') value = numberFlag(values, name, required);
    else if (isSwitch(flag.kind)) value = values[name] === true ? flag.kind === 'true' : undefined;
    else if (flag.kind === 'list') {
      const given = values[name];
      value = Array.isArray(given) && given.length > 0 ? given : undefined;
      if (value === undefined && required) throw new UsageError(`--${name} is required`);
    } else {
      value = values[name];
      if (value === undefined && required) throw new UsageError(`--${name} is required`);
    }
    if (value !== undefined) args[flag.field] = value;
  }
  return submitCommand(ctx, submitFlagsOf(values), {
    type: spec.type,
    args,
    labels,
    commandLine: commandLineOf([...words, ...argv]),
    ...(spec.reportFinished ? { reportFinished: spec.reportFinished } : {}),
  });
};

/** Words that ask for a group's usage in place of a subcommand. */
const HELP_WORDS = new Set(['help', '--help', '-h']);

/** Whether the arguments ask for help (`--help` or `-h`), wherever they stand. */
const wantsHelp = (argv: string[]): boolean => argv.includes('--help') || argv.includes('-h');

/**
 * Runs one subcommand of a group. The group alone prints its usage (exit 2, as a usage error
 * does); `help`, `--help` or `-h` anywhere print it too (exit 0).
 */
const runSpecGroup = async (
  ctx: CliContext,
  group: string,
  help: string,
  specs: Record<string, SubcommandSpec>,
  argv: string[],
): Promise<number> => {
  const [sub, ...rest] = argv;
  if (!sub) {
    ctx.out(help);
    return EXIT.usage;
  }
  if (HELP_WORDS.has(sub) || wantsHelp(rest)) {
    ctx.out(help);
    return EXIT.ok;
  }
  const spec = Object.hasOwn(specs, sub) ? specs[sub] : undefined;
  if (!spec) throw new UsageError(`unknown ${group} subcommand "${sub}"\n${help}`);
  return runSubcommandSpec(ctx, [group, sub], spec, rest, help);
};

export type { FlagSpec, SubcommandSpec };
export { commandLineOf, HELP_WORDS, runSpecGroup, runSubcommandSpec, wantsHelp };
