import { parseArgs } from 'node:util';
// The module itself, not the operations index: the CLI needs no operation module loaded.
import { gpuPoolRef } from '../../shared/operations/gpu/gpu-pool';
import { type CliContext, EXIT } from '../cli-context';
import { renderPoolStatus } from '../render';
import { runSpecGroup, type SubcommandSpec, wantsHelp } from './subcommand-spec';
import { SUBMIT_HELP } from './submit-command';

/** Usage of `opsplane gpu`, without the submit flags, as the top-level help lists it. */
const GPU_USAGE = `usage:
  opsplane gpu status [--pool P] [--json]
  opsplane gpu scale --nodes N [--pool P]
  opsplane gpu autoscaling --min A --max B [--pool P] [--off-hours]

  Node counts are per zone, as GKE counts them. --pool defaults to the platform's GPU pool.
  --off-hours sets night bounds: desired state keeps the pool's day bounds.`;

/** Usage of `opsplane gpu`, with the flags every submitting command takes. */
const GPU_HELP = `${GPU_USAGE}\n${SUBMIT_HELP}`;

/** `gpu scale` and `gpu autoscaling`: flags → args of gpu.scale and gpu.autoscaling.set. */
const GPU_SPECS: Record<string, SubcommandSpec> = {
  scale: {
    type: 'gpu.scale',
    flags: {
      nodes: { field: 'nodes', kind: 'int', required: true },
      pool: { field: 'pool', kind: 'string' },
    },
  },
  autoscaling: {
    type: 'gpu.autoscaling.set',
    flags: {
      min: { field: 'min', kind: 'int', required: true },
      max: { field: 'max', kind: 'int', required: true },
      pool: { field: 'pool', kind: 'string' },
      'off-hours': { field: 'offHours', kind: 'true' },
    },
  },
};

/** `gpu status`: the pool live, beside desired state; reads only. */
const gpuStatus = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const { values } = parseArgs({
    args: argv,
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
};

/** `opsplane gpu …`: the GPU node pool's size and autoscaling. */
const runGpuCommand = async (ctx: CliContext, argv: string[]): Promise<number> => {
  const [sub, ...rest] = argv;
  if (sub === 'status' && !wantsHelp(rest)) return gpuStatus(ctx, rest);
  return runSpecGroup(ctx, 'gpu', GPU_HELP, GPU_SPECS, argv);
};

export { GPU_HELP, GPU_USAGE, runGpuCommand };
