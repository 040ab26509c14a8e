import type { CliContext } from '../../../cli/cli-context';
import { createControlPlaneClient } from '../../../cli/control-plane-client';
import { runCli } from '../../../cli/run-cli';
import type { PubsubDelivery } from '../../../shared/messaging';
import { makeProcessorHarness } from '../../helpers/processor-harness';

/**
 * The CLI against the real command processor: "publishing" hands the message straight to the
 * processor (as the push subscription would), and the ledger is the processor's own.
 */
const makeCli = async (options: { deliver?: boolean } = {}) => {
  const h = await makeProcessorHarness();
  const out: string[] = [];
  const err: string[] = [];
  const published: unknown[] = [];
  let keys = 0;
  const ctx: CliContext = {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    connect: async () =>
      createControlPlaneClient({
        commandsTopic: {
          publishMessage: async ({ json }) => {
            published.push(json);
            const delivery: PubsubDelivery = {
              messageId: `m${published.length}`,
              data: Buffer.from(JSON.stringify(json)),
              attributes: {},
            };
            if (options.deliver !== false) await h.processor.process(delivery);
            return delivery.messageId;
          },
        },
        ledger: h.ledger,
        desiredState: h.desiredState,
        gke: h.gke,
        close: async () => undefined,
      }),
    connectRunbooks: async () => {
      throw new Error('no runbooks in these tests');
    },
    actor: () => 'user:dev.patel@acme.ai',
    newIdempotencyKey: () => `key-${++keys}`,
    clock: h.clock,
    pollIntervalMs: 100,
  };
  return { h, ctx, out, err, published };
};

describe('runCli', () => {
  it('scales the GPU pool with --wait, shows progress and exits 0', async () => {
    // Prepare
    const { ctx, out, h } = await makeCli();
    // Act
    const code = await runCli(['gpu', 'scale', '--nodes', '2', '--wait'], ctx);
    // Assess
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/operation key-1 submitted \(gpu.scale\)/);
    expect(text).toMatch(/status {5}succeeded/);
    expect(text).toMatch(/actor {6}user:dev.patel@acme.ai/);
    expect(text).toMatch(/reason {5}opsplane gpu scale --nodes 2 --wait/);
    expect(h.gke.pools.get('gpu-a100-pool')?.sizeByZone).toEqual({ 'us-central1-a': 2, 'us-central1-c': 2 });
  });

  it('prints the final record as JSON with --json', async () => {
    const { ctx, out } = await makeCli();
    const code = await runCli(['gpu', 'autoscaling', '--min', '0', '--max', '2', '--wait', '--json'], ctx);
    expect(code).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({
      id: 'key-1',
      type: 'gpu.autoscaling.set',
      status: 'succeeded',
    });
  });

  it('exits 1 when the operation is rejected', async () => {
    const { ctx, err, out } = await makeCli();
    const code = await runCli(['gpu', 'scale', '--nodes', '9', '--wait'], ctx);
    expect(code).toBe(1);
    expect(err).toEqual([]);
    expect(out.join('\n')).toMatch(/POLICY_VIOLATION: gpu-a100-pool: 9 nodes per zone exceeds/);
  });

  it('shows the plan of a dry run', async () => {
    const { ctx, out } = await makeCli();
    expect(await runCli(['gpu', 'scale', '--nodes', '1', '--dry-run', '--wait'], ctx)).toBe(0);
    expect(out.join('\n')).toMatch(/~ gpu-a100-pool\/us-central1-a nodes: 2 → 1/);
  });

  it.each([
    [['gpu', 'scale'], /--nodes is required/],
    [['gpu', 'scale', '--nodes', 'two'], /--nodes must be a whole number, got "two"/],
    [['gpu', 'scale', '--nodes=-1'], /--nodes: Too small: expected number to be >=0 \(got -1\)/],
    [['gpu', 'scale', '--nodes', '1', '--bogus'], /Unknown option '--bogus'/],
    [['gpu', 'autoscaling', '--min', '3', '--max', '1'], /--min: must not be greater than max \(got 3\)/],
    [['gpu', 'fly'], /unknown gpu subcommand "fly"/],
    [['ops', 'show'], /ops show takes one operation id/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ])('refuses %j with exit 2 and publishes nothing', async (argv, message) => {
    const { ctx, err, published } = await makeCli();
    expect(await runCli(argv, ctx)).toBe(2);
    expect(err.join('\n')).toMatch(message);
    expect(published).toEqual([]);
  });

  it('lists and shows operations', async () => {
    // Prepare
    const { ctx, out } = await makeCli();
    await runCli(['gpu', 'scale', '--nodes', '1'], ctx);
    out.length = 0;
    // Act
    const listCode = await runCli(['ops', 'list', '--json'], ctx);
    const listed = JSON.parse(out.join('\n'));
    out.length = 0;
    const showCode = await runCli(['ops', 'show', 'key-1'], ctx);
    // Assess
    expect(listCode).toBe(0);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: 'key-1', status: 'succeeded', actor: 'user:dev.patel@acme.ai' });
    expect(showCode).toBe(0);
    expect(out.join('\n')).toMatch(/operation {2}key-1/);
  });

  it('shows the GPU pool live, beside desired state', async () => {
    const { ctx, out } = await makeCli();
    expect(await runCli(['gpu', 'status'], ctx)).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/nodes {7}2 \(us-central1-a: 2, us-central1-c: 0\)/);
    expect(text).toMatch(/autoscaling 0–3 per zone, ANY/);
    expect(text).toMatch(/desired {5}autoscaling 0–2 per zone {3}\(differs from live\)/);
    expect(text).toMatch(/policy {6}at most 4 nodes per zone/);
  });

  it('gives up waiting after --timeout and exits 1', async () => {
    const { ctx, err } = await makeCli({ deliver: false });
    expect(await runCli(['gpu', 'scale', '--nodes', '1', '--wait', '--timeout', '2'], ctx)).toBe(1);
    expect(err.join('\n')).toMatch(/gave up waiting after 2 s; the operation is not picked up yet/);
  });

  it('exits 3 with a clear message when the local stack is not running', async () => {
    const { ctx, err } = await makeCli();
    const code = await runCli(['ops', 'list'], {
      ...ctx,
      connect: async () => {
        const { ConfigError } = await import('../../../shared/errors');
        throw new ConfigError(
          'the local stack is not running (no .opsplane/local.json); start it with `npm start`',
        );
      },
    });
    expect(code).toBe(3);
    expect(err.join('\n')).toMatch(/start it with `npm start`/);
  });
});
