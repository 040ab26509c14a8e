import { runSchedulesCommand } from '../../../cli/commands/schedule-commands';
import type { ExecutionView, RunbookClient } from '../../../shared/gcp/runbook-client';
import { makeFakeCli } from '../cli/fake-control-plane';

const KFP_SQL = 'acme-kfp-mysql-7f3a9c1e';

/** A runbook client that only starts executions, and keeps what it started. */
const fakeRunbooks = () => {
  const started: Array<{ runbook: string; argument: Record<string, unknown> }> = [];
  const unused = () => {
    throw new Error('not used by schedules');
  };
  const client: RunbookClient = {
    listRunbooks: unused,
    start: async (runbook, argument) => {
      started.push({ runbook, argument });
      const view: ExecutionView = {
        name: `projects/acme-ops/locations/us-central1/workflows/${runbook}/executions/e1`,
        id: `${runbook}/e1`,
        runbook,
        state: 'ACTIVE',
        currentSteps: [],
      };
      return view;
    },
    getExecution: unused,
    listExecutions: unused,
    listSteps: unused,
    cancel: unused,
    close: async () => undefined,
  };
  return { client, started };
};

describe('opsplane schedules', () => {
  it('lists every job with its next run in its own zone and in UTC', async () => {
    // Prepare: Sunday 2026-03-01 10:00 UTC (04:00 in Chicago).
    const cli = await makeFakeCli();
    // Act
    const code = await runSchedulesCommand(cli.ctx, []);
    // Assert
    expect(code).toBe(0);
    const lines = cli.out.join('\n').split('\n');
    expect(lines[0]).toMatch(/^JOB\s+SCHEDULE\s+NEXT RUN \(JOB ZONE\)\s+NEXT RUN \(UTC\)\s+RUNS$/);
    const row = (job: string) => lines.find((line) => line.startsWith(`${job} `)) ?? '';
    expect(row(`sql-backup-${KFP_SQL}`)).toMatch(
      /0 3 \* \* \* America\/Chicago\s+2026-03-02 03:00 \(America\/Chicago\)\s+2026-03-02 09:00Z\s+sql\.backup \{"instance":"acme-kfp-mysql-7f3a9c1e"/,
    );
    expect(row('gpu-offhours-evening')).toMatch(
      /2026-03-02 19:00 \(America\/Chicago\)\s+2026-03-03 01:00Z\s+workflow gpu-offhours/,
    );
    expect(row('reconcile')).toMatch(
      /\*\/15 \* \* \* \* UTC\s+2026-03-01 10:15 \(UTC\)\s+2026-03-01 10:15Z\s+reconcile\.run \{"apply":true\}/,
    );
    expect(lines).toHaveLength(15);
  });

  it('lists the jobs as JSON', async () => {
    // Prepare
    const cli = await makeFakeCli();
    // Act
    const code = await runSchedulesCommand(cli.ctx, ['--json']);
    // Assert
    expect(code).toBe(0);
    const jobs = JSON.parse(cli.out.join('\n')) as Array<Record<string, unknown>>;
    expect(jobs.find((job) => job.name === 'gpu-offhours-morning')).toMatchObject({
      cron: '0 7 * * MON-FRI',
      timeZone: 'America/Chicago',
      nextRun: '2026-03-02T13:00:00.000Z',
      nextRunLocal: '2026-03-02 07:00 (America/Chicago)',
      target: { kind: 'workflow', workflow: 'gpu-offhours', argument: { mode: 'morning', min: 0, max: 2 } },
    });
  });

  it('exports the jobs as Cloud Scheduler job resources for a project and region', async () => {
    // Prepare
    const cli = await makeFakeCli();
    // Act
    const code = await runSchedulesCommand(cli.ctx, [
      'export',
      '--project',
      'acme-ops',
      '--region',
      'us-central1',
    ]);
    const missing = runSchedulesCommand(cli.ctx, ['export', '--project', 'acme-ops']);
    const misplaced = runSchedulesCommand(cli.ctx, ['--region', 'us-central1']);
    // Assert
    expect(code).toBe(0);
    const jobs = JSON.parse(cli.out.join('\n')) as Array<Record<string, unknown>>;
    expect(jobs).toHaveLength(14);
    expect(
      jobs.find((job) => job.name === 'projects/acme-ops/locations/us-central1/jobs/reconcile'),
    ).toMatchObject({
      schedule: '*/15 * * * *',
      timeZone: 'UTC',
      pubsubTarget: {
        topicName: 'projects/acme-ops/topics/ops-commands',
        attributes: { job: 'reconcile', schedule: '*/15 * * * *', timeZone: 'UTC' },
      },
    });
    await expect(missing).rejects.toThrow(/schedules export needs --project and --region/);
    await expect(misplaced).rejects.toThrow(/go with schedules export/);
  });

  it('runs a command job now as schedule:<job>, for the person asking, keyed <job>@manual-<time>', async () => {
    // Prepare
    const cli = await makeFakeCli();
    // Act
    const code = await runSchedulesCommand(cli.ctx, ['run', `sql-backup-${KFP_SQL}`]);
    // Assert
    expect(code).toBe(0);
    const key = `sql-backup-${KFP_SQL}@manual-2026-03-01T10:00:00.000Z`;
    expect(cli.published).toEqual([
      {
        type: 'sql.backup',
        args: { instance: KFP_SQL, description: 'scheduled-nightly' },
        actor: `schedule:sql-backup-${KFP_SQL}`,
        requestedBy: 'user:dev.patel@acme.ai',
        reason: `scheduled nightly backup (sql-backup-${KFP_SQL})`,
        dryRun: false,
        idempotencyKey: key,
      },
    ]);
    expect(cli.out.join('\n')).toContain(`opsplane ops show ${key}`);
    expect((await cli.ledger.get(key))?.status).toBe('succeeded');
  });

  it('refuses to run a job while an earlier run is still running, unless forced', async () => {
    // Prepare: last night's backup is still running.
    const cli = await makeFakeCli();
    await cli.ledger.begin({
      id: `sql-backup-${KFP_SQL}@2026-03-01T09:00:00.000Z`,
      messageId: 'm0',
      type: 'sql.backup',
      args: { instance: KFP_SQL },
      actor: `schedule:sql-backup-${KFP_SQL}`,
      reason: 'nightly',
      dryRun: false,
      holder: 'h0',
      now: cli.clock.now(),
      claimTtlMs: 60_000,
    });
    // Act
    const refused = await runSchedulesCommand(cli.ctx, ['run', `sql-backup-${KFP_SQL}`]);
    const forced = await runSchedulesCommand(cli.ctx, ['run', `sql-backup-${KFP_SQL}`, '--force']);
    // Assert
    expect(refused).toBe(1);
    expect(cli.err.join('\n')).toContain('is still running');
    expect(forced).toBe(0);
    expect(cli.published).toHaveLength(1);
  });

  it('starts the off-hours runbook for an off-hours job', async () => {
    // Prepare
    const cli = await makeFakeCli();
    const runbooks = fakeRunbooks();
    cli.ctx.connectRunbooks = async () => runbooks.client;
    // Act
    const code = await runSchedulesCommand(cli.ctx, ['run', 'gpu-offhours-evening']);
    // Assert
    expect(code).toBe(0);
    expect(runbooks.started).toEqual([
      {
        runbook: 'gpu-offhours',
        argument: {
          mode: 'evening',
          pool: 'gpu-a100-pool',
          reason: 'scheduled GPU off-hours scale-down',
          requestedBy: 'user:dev.patel@acme.ai',
        },
      },
    ]);
    expect(cli.out.join('\n')).toContain('opsplane runbook status gpu-offhours/e1');
    expect(cli.published).toEqual([]);
  });

  it('says which jobs exist when asked to run an unknown one', async () => {
    // Prepare
    const cli = await makeFakeCli();
    // Act
    const run = runSchedulesCommand(cli.ctx, ['run', 'nightly-everything']);
    // Assert
    await expect(run).rejects.toThrow(/no schedule job nightly-everything; jobs: sql-backup-/);
    expect(cli.published).toEqual([]);
  });
});
