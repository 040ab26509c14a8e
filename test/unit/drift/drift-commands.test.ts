import { DRIFT_USAGE, runDriftCommand } from '../../../cli/commands/drift-commands';
import { desiredStateFromFixture, type PlatformState } from '../../../shared/desired-state';
import { buildDriftReport, type DriftReport } from '../../../shared/drift';
import { loadFixture } from '../../helpers/factories';
import { cliOverFakeProcessor } from './drift-cli-kit';

/**
 * `opsplane drift` against in-memory stores: a stand-in processor answers drift.report with a
 * report (or fails it), so the test covers what the CLI submits and how it prints the outcome.
 */

const PLATFORM: PlatformState = desiredStateFromFixture(loadFixture());

/** A report with one GPU finding, as drift.report's result. */
const sampleReport = (): DriftReport =>
  buildDriftReport(PLATFORM, [], {
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
    unreadable: [],
  });

const makeCli = (outcome: 'report' | 'fail') =>
  cliOverFakeProcessor(PLATFORM, async (_command, id, ledger, now) => {
    const report = sampleReport();
    await ledger.recordPlan(
      id,
      'fake',
      { summary: 's', changes: [], warnings: [], noop: true, report },
      'drift/p',
      now,
    );
    if (outcome === 'report') {
      await ledger.finish(id, 'fake', { status: 'succeeded', result: { ...report } }, now);
    } else {
      const error = { code: 'GCP_UNAVAILABLE' as const, message: 'IAM is down', retryable: true };
      await ledger.finish(id, 'fake', { status: 'failed', error }, now);
    }
  });

describe('opsplane drift', () => {
  it('submits drift.report, waits, and prints each finding with its fix command', async () => {
    // Prepare
    const { ctx, out, published } = await makeCli('report');
    // Act
    const code = await runDriftCommand(ctx, ['--resource', 'gpu-pool', '--resource', 'sql']);
    // Assert
    expect(code).toBe(0);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      type: 'drift.report',
      args: { resources: ['gpu-pool', 'sql'] },
      reason: 'opsplane drift --resource gpu-pool --resource sql',
    });
    const text = out.join('\n');
    expect(text).toMatch(/1 finding: 0 high, 1 medium/);
    expect(text).toMatch(/\[medium\] gpu-pool\/gpu-a100-pool {2}autoscaling-bounds {2}\(observe\)/);
    expect(text).toMatch(/fix: {5}opsplane gpu autoscaling --min 0 --max 2 --pool gpu-a100-pool/);
  });

  it('prints the report as one JSON document with --json', async () => {
    // Prepare
    const { ctx, out } = await makeCli('report');
    // Act
    const code = await runDriftCommand(ctx, ['--json']);
    // Assert
    expect(code).toBe(0);
    const printed = JSON.parse(out.join('\n')) as DriftReport & { operationId: string };
    expect(printed.operationId).toBe('key-1');
    expect(printed.findings[0]).toMatchObject({
      resource: 'gpu-pool/gpu-a100-pool',
      fix: { command: { type: 'gpu.autoscaling.set', args: { pool: 'gpu-a100-pool', min: 0, max: 2 } } },
    });
  });

  it('exits 1 and shows the record when the report failed', async () => {
    // Prepare
    const { ctx, out } = await makeCli('fail');
    // Act
    const code = await runDriftCommand(ctx, []);
    // Assert
    expect(code).toBe(1);
    expect(out.join('\n')).toMatch(/IAM is down/);
  });

  it('refuses an unknown resource kind before submitting anything', async () => {
    // Prepare
    const { ctx, published } = await makeCli('report');
    // Act
    const run = runDriftCommand(ctx, ['--resource', 'buckets']);
    // Assert
    await expect(run).rejects.toThrow(/--resource/);
    expect(published).toEqual([]);
  });

  it('prints its usage for --help', async () => {
    // Prepare
    const { ctx, out } = await makeCli('report');
    // Act
    const code = await runDriftCommand(ctx, ['--help']);
    // Assert
    expect(code).toBe(0);
    expect(out).toEqual([DRIFT_USAGE]);
  });
});
