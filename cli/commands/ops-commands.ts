import { parseArgs } from 'node:util';
import { OPERATION_STATUSES, type OperationStatus } from '../../shared/ledger';
import { type CliContext, EXIT, UsageError } from '../cli-context';
import { renderApprovalHint, renderList, renderRecord } from '../render';
import { HELP_WORDS, wantsHelp } from './subcommand-spec';

/** Usage of `opsplane ops`, also part of the top-level help. */
const OPS_HELP = `usage:
  opsplane ops list [--status STATUS] [--limit N] [--json]
  opsplane ops show ID [--json]

  STATUS is one of ${OPERATION_STATUSES.join(', ')}.
  ops show prints the plan diff, the approval (why it is needed, the decision, the approver and
  their comment), why a parked operation waits and when it resumes, and for an operation waiting
  for approval, who can approve it and how.`;

/** `opsplane ops …`: reads the ledger, the audit trail of every operation. */
const runOpsCommand = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const [sub, ...rest] = argv;
  if (!sub) {
    ctx.out(OPS_HELP);
    return EXIT.usage;
  }
  if (HELP_WORDS.has(sub) || wantsHelp(rest)) {
    ctx.out(OPS_HELP);
    return EXIT.ok;
  }
  if (sub === 'list') {
    const { values } = parseArgs({
      args: rest,
      options: {
        status: { type: 'string' },
        limit: { type: 'string', default: '20' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500)
      throw new UsageError('--limit must be a whole number from 1 to 500');
    if (values.status && !(OPERATION_STATUSES as readonly string[]).includes(values.status)) {
      throw new UsageError(`--status must be one of ${OPERATION_STATUSES.join(', ')}`);
    }
    const client = await ctx.connect();
    try {
      const records = await client.listOperations({
        limit,
        ...(values.status ? { status: values.status as OperationStatus } : {}),
      });
      ctx.out(values.json ? JSON.stringify(records, null, 2) : renderList(records));
      return EXIT.ok;
    } finally {
      await client.close();
    }
  }
  if (sub === 'show') {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { json: { type: 'boolean', default: false } },
      allowPositionals: true,
      strict: true,
    });
    const [id] = positionals;
    if (!id || positionals.length > 1) throw new UsageError(`ops show takes one operation id\n${OPS_HELP}`);
    const client = await ctx.connect();
    try {
      const record = await client.getOperation(id);
      if (!record) {
        ctx.err(`no operation ${id}`);
        return EXIT.operationFailed;
      }
      if (values.json) ctx.out(JSON.stringify(record, null, 2));
      else if (record.status === 'pending_approval') {
        const access = await client.getPlatform().then(
          (platform) => platform.access,
          () => undefined,
        );
        ctx.out(`${renderRecord(record)}\n\n${renderApprovalHint(record, access)}`);
      } else ctx.out(renderRecord(record));
      return EXIT.ok;
    } finally {
      await client.close();
    }
  }
  throw new UsageError(sub ? `unknown ops subcommand "${sub}"\n${OPS_HELP}` : OPS_HELP);
};

export { OPS_HELP, runOpsCommand };
