import { parseArgs } from 'node:util';
import { gpuPoolRef } from '../../shared/operations';
import { type CliContext, EXIT, UsageError } from '../cli-context';
import { renderPoolStatus } from '../render';
import { intFlag, SUBMIT_OPTIONS, type SubmitFlags, submitCommand } from './submit-command';

const GPU_HELP = `usage:
  opsplane gpu status [--pool P] [--json]
  opsplane gpu scale --nodes N [--pool P] [--dry-run] [--wait] [--json] [--reason TEXT]
  opsplane gpu autoscaling --min A --max B [--pool P] [--dry-run] [--wait] [--json] [--reason TEXT]

  Node counts are per zone, as GKE counts them. --pool defaults to the platform's GPU pool.
  Also: --actor user:EMAIL, --idempotency-key KEY, --timeout SECONDS (with --wait, default 600).`;

const runGpuCommand = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const [sub, ...rest] = argv;
  if (sub === 'scale') {
    const { values } = parseArgs({
      args: rest,
      options: { ...SUBMIT_OPTIONS, nodes: { type: 'string' }, pool: { type: 'string' } },
      strict: true,
    });
    const args = { nodes: intFlag(values, 'nodes'), ...(values.pool ? { pool: values.pool } : {}) };
    return submitCommand(ctx, values as SubmitFlags, 'gpu.scale', args, ['gpu', ...argv].join(' '));
  }
  if (sub === 'autoscaling') {
    const { values } = parseArgs({
      args: rest,
      options: {
        ...SUBMIT_OPTIONS,
        min: { type: 'string' },
        max: { type: 'string' },
        pool: { type: 'string' },
      },
      strict: true,
    });
    const args = {
      min: intFlag(values, 'min'),
      max: intFlag(values, 'max'),
      ...(values.pool ? { pool: values.pool } : {}),
    };
    return submitCommand(ctx, values as SubmitFlags, 'gpu.autoscaling.set', args, ['gpu', ...argv].join(' '));
  }
  if (sub === 'status') {
    const { values } = parseArgs({
      args: rest,
      options: { pool: { type: 'string' }, json: { type: 'boolean', default: false } },
      strict: true,
    });
    const client = await ctx.connect();
    try {
      const platform = await client.getPlatform();
      const ref = gpuPoolRef(platform, values.pool);
      const live = await client.readNodePool(ref);
      const policy = platform.gpuPools[ref.pool];
      const status = { pool: ref.pool, cluster: ref.cluster, live, desired: policy ?? null };
      ctx.out(values.json ? JSON.stringify(status, null, 2) : renderPoolStatus(status));
      return EXIT.ok;
    } finally {
      await client.close();
    }
  }
  throw new UsageError(sub ? `unknown gpu subcommand "${sub}"\n${GPU_HELP}` : GPU_HELP);
};

export { GPU_HELP, runGpuCommand };
