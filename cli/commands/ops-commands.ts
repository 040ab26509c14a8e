import { parseArgs } from 'node:util';
import { OPERATION_STATUSES, type OperationStatus } from '../../shared/ledger';
import { type CliContext, EXIT, UsageError } from '../cli-context';
import { renderList, renderRecord } from '../render';

const OPS_HELP = `usage:
  opsplane ops list [--status STATUS] [--limit N] [--json]
  opsplane ops show ID [--json]

  STATUS is one of ${OPERATION_STATUSES.join(', ')}.`;

const runOpsCommand = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const [sub, ...rest] = argv;
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
      ctx.out(values.json ? JSON.stringify(record, null, 2) : renderRecord(record));
      return EXIT.ok;
    } finally {
      await client.close();
    }
  }
  throw new UsageError(sub ? `unknown ops subcommand "${sub}"\n${OPS_HELP}` : OPS_HELP);
};

export { OPS_HELP, runOpsCommand };
