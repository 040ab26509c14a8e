import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { type PlatformState, PlatformStateSchema, type UserState } from '../../shared/desired-state';
import { ConfigError } from '../../shared/errors';
import { type CliContext, EXIT, UsageError } from '../cli-context';
import type { ControlPlaneClient } from '../control-plane-client';
import { renderChanges, renderUsers, renderValue } from '../render';
import { describeMissing, diffValues, resolvePath, setAtPath, type ValueChange } from '../state-path';
import { HELP_WORDS, wantsHelp } from './subcommand-spec';

/** Usage of `opsplane state`, also part of the top-level help. */
const STATE_HELP = `usage:
  opsplane state get [PATH] [--json]
  opsplane state set PATH VALUE [--dry-run] [--json]
  opsplane state set --file FILE [--dry-run] [--json]

  Desired state: the platform document (coordinates, GPU pool policies, role templates, access,
  retention, key policy) and one document per managed user. PATH is dotted, e.g.
  roleTemplates.contractor, access.approvers or access.approvers.0; keys that hold dots (emails,
  requests.cpu) are matched whole. \`state get users\` lists the managed users and
  \`state get users.EMAIL\` shows one; users change only through \`opsplane user\`.
  VALUE is JSON; a bare word is taken as a string, and so is a number that is only valid as one
  (a project number). A key that does not exist yet takes the rest of PATH. Put -- before a
  VALUE that starts with a dash.
  Every set is validated against the desired-state schema first: an invalid value is refused with
  exit 2 and nothing is written. --file replaces the whole platform document; --dry-run shows the
  change without writing it. state set edits desired state directly; it is not an operation in
  the ledger.`;

/** The first schema issue of a platform document, as `path: what is wrong`. */
const describeStateIssue = (issue: z.ZodError['issues'][number] | undefined): string =>
  issue ? `${issue.path.map(String).join('.') || '(the document)'}: ${issue.message}` : 'invalid';

/**
 * The values VALUE may stand for, most literal first: its JSON reading, then (when that is not a
 * string already) the text itself as a string.
 * @throws UsageError when VALUE looks like JSON (an object, list or quoted string) but is not.
 */
const candidateValues = (text: string): unknown[] => {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' ? [value] : [value, text];
  } catch (error) {
    if (/^\s*[[{"]/.test(text)) throw new UsageError(`VALUE is not valid JSON: ${(error as Error).message}`);
    return [text];
  }
};

/** Prints what a set changed (or would change). */
const reportChanges = (
  ctx: CliContext,
  json: boolean,
  outcome: { path: string; written: boolean; changes: ValueChange[] },
): void => {
  if (json) {
    ctx.out(JSON.stringify(outcome, null, 2));
    return;
  }
  const head = outcome.written
    ? `desired state: ${outcome.path === '' ? 'platform document replaced' : `set ${outcome.path}`}`
    : `dry run, nothing written: ${outcome.path === '' ? 'replacing the platform document' : `setting ${outcome.path}`} would change`;
  ctx.out(`${head}\n${renderChanges(outcome.changes)}`);
};

/** `state get users[.EMAIL[.FIELD]]`: the managed users, one of them, or a field of one. */
const getUsers = async (
  ctx: CliContext,
  client: ControlPlaneClient,
  rest: string,
  json: boolean,
): Promise<number> => {
  if (rest === '') {
    const users = await client.listUsers();
    ctx.out(json ? JSON.stringify(users, null, 2) : renderUsers(users));
    return EXIT.ok;
  }
  let user: UserState | undefined = await client.getUser(rest);
  let field = '';
  if (!user) {
    // users.EMAIL.FIELD: the longest email the rest starts with.
    const users = await client.listUsers();
    user = users
      .filter((candidate) => rest.startsWith(`${candidate.email}.`))
      .sort((a, b) => b.email.length - a.email.length)[0];
    field = user ? rest.slice(user.email.length + 1) : '';
  }
  if (!user) {
    ctx.err(`no managed user ${rest} in desired state (opsplane state get users lists them)`);
    return EXIT.operationFailed;
  }
  const resolution = resolvePath(user, field);
  if (!resolution.found) {
    ctx.err(`nothing at users.${user.email}.${field}; ${describeMissing(resolution)}`);
    return EXIT.operationFailed;
  }
  ctx.out(json ? JSON.stringify(resolution.value, null, 2) : renderValue(resolution.value));
  return EXIT.ok;
};

/** `state get [PATH]`: the platform document, the value at PATH, or users. Exit 1 when there is nothing at PATH. */
const stateGet = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 1) throw new UsageError(`state get takes at most one PATH\n${STATE_HELP}`);
  const path = positionals[0] ?? '';
  const client = await ctx.connect();
  try {
    if (path === 'users' || path.startsWith('users.')) {
      return await getUsers(ctx, client, path.slice('users.'.length), values.json);
    }
    const platform = await client.getPlatform();
    const resolution = resolvePath(platform, path);
    if (!resolution.found) {
      ctx.err(`nothing at ${path} in desired state; ${describeMissing(resolution)}`);
      return EXIT.operationFailed;
    }
    ctx.out(values.json ? JSON.stringify(resolution.value, null, 2) : renderValue(resolution.value));
    return EXIT.ok;
  } finally {
    await client.close();
  }
};

/**
 * `state set PATH VALUE`: the platform document with VALUE at PATH, validated as a whole.
 * @throws UsageError naming the path and what is wrong; nothing is written then.
 */
const withValueAt = (state: PlatformState, path: string, candidates: unknown[]): PlatformState => {
  let firstProblem: string | undefined;
  for (const candidate of candidates) {
    const checked = PlatformStateSchema.safeParse(setAtPath(state, path, candidate));
    if (checked.success) return checked.data;
    firstProblem ??= describeStateIssue(checked.error.issues[0]);
  }
  throw new UsageError(`cannot set ${path}, nothing was written: ${firstProblem ?? 'invalid'}`);
};

/** `state set PATH VALUE`: one value, read-modify-write against the stored version. */
const setPath = async (
  ctx: CliContext,
  path: string,
  text: string,
  flags: { json: boolean; dryRun: boolean },
): Promise<number> => {
  if (path === 'users' || path.startsWith('users.')) {
    throw new UsageError('users change through opsplane user add|role|remove, not state set');
  }
  const candidates = candidateValues(text);
  const client = await ctx.connect();
  try {
    if (flags.dryRun) {
      const before = await client.getPlatform();
      const after = withValueAt(before, path, candidates);
      reportChanges(ctx, flags.json, { path, written: false, changes: diffValues(before, after) });
      return EXIT.ok;
    }
    let before: PlatformState | undefined;
    const after = await client.updatePlatform((state) => {
      before = state;
      return withValueAt(state, path, candidates);
    });
    reportChanges(ctx, flags.json, { path, written: true, changes: diffValues(before, after) });
    return EXIT.ok;
  } finally {
    await client.close();
  }
};

/** `state set --file FILE`: the whole platform document, validated before anything is written. */
const setFromFile = async (
  ctx: CliContext,
  file: string,
  flags: { json: boolean; dryRun: boolean },
): Promise<number> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--file ${file}: cannot read it: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--file ${file} is not JSON: ${(error as Error).message}`);
  }
  const checked = PlatformStateSchema.safeParse(raw);
  if (!checked.success) {
    throw new UsageError(
      `--file ${file} is not a valid platform document, nothing was written: ${describeStateIssue(checked.error.issues[0])}`,
    );
  }
  const client = await ctx.connect();
  try {
    let before: PlatformState | undefined;
    try {
      before = await client.getPlatform();
    } catch (error) {
      // No platform document yet: --file is how one is seeded.
      if (!(error instanceof ConfigError)) throw error;
    }
    if (!flags.dryRun) await client.putPlatform(checked.data);
    if (!before) {
      if (flags.json)
        ctx.out(JSON.stringify({ path: '', written: !flags.dryRun, created: true, changes: [] }));
      else
        ctx.out(
          `desired state: ${flags.dryRun ? 'dry run, nothing written: would create' : 'created'} the platform document from ${file}`,
        );
      return EXIT.ok;
    }
    reportChanges(ctx, flags.json, {
      path: '',
      written: !flags.dryRun,
      changes: diffValues(before, checked.data),
    });
    return EXIT.ok;
  } finally {
    await client.close();
  }
};

/** `state set`: PATH VALUE or --file FILE. */
const stateSet = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      file: { type: 'string' },
      json: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const flags = { json: values.json, dryRun: values['dry-run'] };
  if (values.file !== undefined) {
    if (positionals.length > 0) throw new UsageError('state set takes PATH VALUE or --file FILE, not both');
    return setFromFile(ctx, values.file, flags);
  }
  const [path, text] = positionals;
  if (path === undefined || text === undefined || positionals.length > 2) {
    throw new UsageError(`state set takes PATH VALUE (got ${positionals.length} arguments)\n${STATE_HELP}`);
  }
  return setPath(ctx, path, text, flags);
};

/** `opsplane state …`: read and edit desired state, the policies every operation plans against. */
const runStateCommand = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const [sub, ...rest] = argv;
  if (!sub) {
    ctx.out(STATE_HELP);
    return EXIT.usage;
  }
  if (HELP_WORDS.has(sub) || wantsHelp(rest)) {
    ctx.out(STATE_HELP);
    return EXIT.ok;
  }
  if (sub === 'get') return stateGet(ctx, rest);
  if (sub === 'set') return stateSet(ctx, rest);
  throw new UsageError(`unknown state subcommand "${sub}"\n${STATE_HELP}`);
};

export { runStateCommand, STATE_HELP };
