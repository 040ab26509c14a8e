import { RECONCILE_USAGE, runReconcileCommand } from '../../../cli/commands/drift-commands';
import { desiredStateFromFixture, type PlatformState } from '../../../shared/desired-state';
import { silentLogger } from '../../../shared/logging';
import { reconcileRun } from '../../../shared/operations/drift/reconcile-run';
import type { OperationDeps } from '../../../shared/operations/operation';
import { loadFixture } from '../../helpers/factories';
import { cliOverFakeProcessor } from './drift-cli-kit';

/**
 * `opsplane reconcile [--apply]` against in-memory stores: a stand-in processor runs the real
 * reconcile.run module on a fixed observation (the GPU pool enforced and drifted, a SQL instance
 * observed), so the test covers what the CLI submits and how it prints plan and submissions.
 */

const PLATFORM: PlatformState = {
  ...desiredStateFromFixture(loadFixture()),
  reconcile: { defaultMode: 'observe', resources: { 'gpu-pool/*': 'enforce' } },
};

const OBSERVED = {
  users: [],
  live: {
    now: '2026-03-01T10:00:00.000Z',
    nodePools: {
      'gpu-a100-pool': {
        name: 'gpu-a100-pool',
        status: 'RUNNING',
        locations: [],
        autoscaling: { enabled: true, minNodeCount: 0, maxNodeCount: 3 },
        sizeByZone: {},
      },
    },
    sql: {},
    filestore: {},
    keys: {},
    unreadable: [{ resource: 'sql/acme-metaflow-pg-2', message: 'sqladmin is down' }],
  },
};

const makeCli = () =>
  cliOverFakeProcessor(PLATFORM, async (command, id, ledger, now) => {
    const args = command.args as { apply: boolean };
    const plan = reconcileRun.plan(PLATFORM, OBSERVED, args);
    const steps: Record<string, Record<string, unknown>> = {};
    const deps = {
      operationId: id,
      actor: command.actor,
      logger: silentLogger,
      submit: async (fix: { idempotencyKey?: string }) => {
        await Promise.resolve();
        return String(fix.idempotencyKey);
      },
      progress: {
        step: (step: string) => steps[step],
        recordStep: async (step: string, facts: Record<string, unknown>) => {
          await Promise.resolve();
          steps[step] = facts;
        },
      },
    } as unknown as OperationDeps;
    await reconcileRun.apply(plan, deps);
    const result = await reconcileRun.verify(plan, deps);
    await ledger.finish(id, 'fake', { status: 'succeeded', result }, now);
  });

describe('opsplane reconcile', () => {
  it('plans without --apply: what would be submitted, what needs a human, what is observed', async () => {
    // Prepare
    const { ctx, out, published } = await makeCli();
    // Act
    const code = await runReconcileCommand(ctx, []);
    // Assert
    expect(code).toBe(0);
    expect(published[0]).toMatchObject({
      type: 'reconcile.run',
      args: { apply: false },
      reason: 'opsplane reconcile',
    });
    const text = out.join('\n');
    expect(text).toMatch(
      /would submit with --apply \(1\):\n {2}opsplane gpu autoscaling --min 0 --max 2 --pool gpu-a100-pool/,
    );
    expect(text).toMatch(/observed only \(1\):\n {2}\[medium\] sql\/acme-metaflow-pg-2 {2}unreadable/);
    expect(text).toMatch(/needs a human \(0\):\n {2}nothing/);
  });

  it('submits with --apply and prints the submitted operation ids (JSON with --json)', async () => {
    // Prepare
    const { ctx, out, published } = await makeCli();
    // Act
    const code = await runReconcileCommand(ctx, ['--apply', '--resource', 'gpu-pool', '--json']);
    // Assert
    expect(code).toBe(0);
    expect(published[0]).toMatchObject({ args: { apply: true, resources: ['gpu-pool'] } });
    const printed = JSON.parse(out.join('\n')) as { operationId: string; submitted: unknown[] };
    expect(printed.operationId).toBe('key-1');
    expect(printed.submitted).toEqual([
      {
        operationId: 'key-1-1',
        type: 'gpu.autoscaling.set',
        cli: 'opsplane gpu autoscaling --min 0 --max 2 --pool gpu-a100-pool --off-hours',
      },
    ]);
  });

  it('prints its usage for --help', async () => {
    // Prepare
    const { ctx, out } = await makeCli();
    // Act
    const code = await runReconcileCommand(ctx, ['--help']);
    // Assert
    expect(code).toBe(0);
    expect(out).toEqual([RECONCILE_USAGE]);
  });
});
