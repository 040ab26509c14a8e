import { startLocalScheduler } from '../../../local/scheduler';
import { desiredStateFromFixture } from '../../../shared/desired-state';
import { silentLogger } from '../../../shared/logging';
import { formatInZone, scheduleManifestFor } from '../../../shared/schedules';
import { ManualClock } from '../../../shared/time';
import { loadFixture } from '../../helpers/factories';
import { makeProcessorHarness } from '../../helpers/processor-harness';
import {
  CapturingSchedulePublisher,
  FakeExecutions,
  maintenanceStubs,
  memoryRunLog,
} from './schedule-test-kit';

const MINUTE_MS = 60_000;
const fixture = loadFixture();
const manifest = scheduleManifestFor(desiredStateFromFixture(fixture));
const SQL_INSTANCES = ['acme-kfp-mysql-7f3a9c1e', 'acme-metaflow-pg-2'];
const KEY_ACCOUNTS = ['gsa-metaflow-prod', 'ci-terraform', 'acme-kf-user'];

const FILESTORE_INSTANCES = ['acme-kf-home', 'acme-datasets'];

/** A week from Monday 2026-03-09 00:00 in Chicago (CDT), as the virtual clock runs it. */
const WEEK_START = '2026-03-09T05:00:00Z';
const WEEK_MS = 7 * 24 * 60 * MINUTE_MS;

/** Only the 15-minute reconcile job. */
const RECONCILE_ONLY = { jobs: manifest.jobs.filter((job) => job.name === 'reconcile') };

/** A scheduler of `jobs` on a manual clock from `start`, publishing into a capture, over a fresh ledger. */
const schedulerOver = async (start: string, jobs: typeof manifest, checkIntervalMs = 0) => {
  const clock = new ManualClock(start);
  const publisher = new CapturingSchedulePublisher();
  const harness = await makeProcessorHarness({}, { clock });
  const scheduler = startLocalScheduler({
    manifest: jobs,
    clock,
    publish: publisher.publish,
    ledger: harness.ledger,
    runs: memoryRunLog(),
    logger: silentLogger,
    checkIntervalMs,
  });
  return { clock, publisher, scheduler };
};

const countBy = (values: readonly string[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
};

describe('local scheduler', () => {
  it('runs a simulated week: every job the expected number of times, each exactly once in the ledger', async () => {
    // Prepare: the command processor over in-memory stores, with stub maintenance operations.
    const clock = new ManualClock(WEEK_START);
    const applied: string[] = [];
    const harness = await makeProcessorHarness({}, { clock, operations: maintenanceStubs(applied) });
    const publisher = new CapturingSchedulePublisher(harness.processor);
    const executions = new FakeExecutions(() => clock.now());
    const runs = memoryRunLog(1000);
    const scheduler = startLocalScheduler({
      manifest,
      clock,
      publish: publisher.publish,
      startExecution: executions.startExecution,
      executionActive: executions.executionActive,
      ledger: harness.ledger,
      runs,
      logger: silentLogger,
      checkIntervalMs: 0,
    });
    // Act: the clock moves in uneven 7-minute steps (several jobs fall due in one tick), and the
    // off-hours runbook executions finish before the next one is due.
    for (let elapsed = 0; elapsed < WEEK_MS; ) {
      const step = Math.min(7 * MINUTE_MS, WEEK_MS - elapsed);
      clock.advance(step);
      elapsed += step;
      await scheduler.tick();
      executions.finishAll();
    }
    await scheduler.stop();
    // Assert: what went out.
    const published = countBy(publisher.messages.map((message) => message.attributes.job ?? ''));
    const expected: Record<string, number> = { reconcile: 672 };
    for (const account of KEY_ACCOUNTS) expected[`key-age-${account}`] = 7;
    for (const instance of SQL_INSTANCES) {
      expected[`sql-backup-${instance}`] = 7;
      expected[`sql-prune-${instance}`] = 7;
    }
    for (const instance of FILESTORE_INSTANCES) {
      expected[`filestore-backup-${instance}`] = 7;
      expected[`filestore-prune-${instance}`] = 7;
    }
    expect(published).toEqual(expected);
    // Off-hours: scale-down on the five weekday evenings at 19:00, restore on the five mornings at 07:00.
    const runTimes = async (job: string) =>
      ((await runs.get(job))?.history ?? []).map(
        (entry) => `${entry.outcome} ${formatInZone(new Date(entry.scheduledAt), 'America/Chicago')}`,
      );
    const weekdays = ['09', '10', '11', '12', '13'];
    expect(await runTimes('gpu-offhours-evening')).toEqual(
      weekdays.map((day) => `execution-started 2026-03-${day} 19:00 (America/Chicago)`),
    );
    expect(await runTimes('gpu-offhours-morning')).toEqual(
      weekdays.map((day) => `execution-started 2026-03-${day} 07:00 (America/Chicago)`),
    );
    expect(executions.started.map((execution) => execution.argument.mode)).toEqual(
      weekdays.flatMap(() => ['morning', 'evening']),
    );
    // Assert: the ledger holds one operation per run, keyed by job and scheduled time, run once.
    const records = await harness.ledger.list({ limit: 5000 });
    expect(records).toHaveLength(publisher.messages.length);
    expect(records.filter((record) => record.status !== 'succeeded')).toEqual([]);
    expect(countBy(records.map((record) => record.type))).toEqual({
      'sql.backup': 14,
      'sql.backups.prune': 14,
      'filestore.backup': 14,
      'filestore.backups.prune': 14,
      'keys.check': 21,
      'reconcile.run': 672,
    });
    expect(new Set(applied).size).toBe(applied.length);
    expect([...applied].sort()).toEqual(records.map((record) => record.id).sort());
    expect(countBy(records.map((record) => record.actor))).toEqual(
      Object.fromEntries(Object.entries(expected).map(([job, count]) => [`schedule:${job}`, count])),
    );
    const backups = records
      .filter((record) => record.actor === 'schedule:sql-backup-acme-kfp-mysql-7f3a9c1e')
      .map((record) => record.id)
      .sort();
    expect(backups).toEqual([
      'sql-backup-acme-kfp-mysql-7f3a9c1e@2026-03-09T08:00:00.000Z',
      'sql-backup-acme-kfp-mysql-7f3a9c1e@2026-03-10T08:00:00.000Z',
      'sql-backup-acme-kfp-mysql-7f3a9c1e@2026-03-11T08:00:00.000Z',
      'sql-backup-acme-kfp-mysql-7f3a9c1e@2026-03-12T08:00:00.000Z',
      'sql-backup-acme-kfp-mysql-7f3a9c1e@2026-03-13T08:00:00.000Z',
      'sql-backup-acme-kfp-mysql-7f3a9c1e@2026-03-14T08:00:00.000Z',
      'sql-backup-acme-kfp-mysql-7f3a9c1e@2026-03-15T08:00:00.000Z',
    ]);
    expect((await runs.get('reconcile'))?.history.every((entry) => entry.outcome === 'published')).toBe(true);
  });

  it('fires every run the clock jumped over, oldest first, and none twice on the next tick', async () => {
    // Prepare
    const { clock, scheduler } = await schedulerOver('2026-03-09T05:00:00Z', RECONCILE_ONLY);
    // Act
    clock.advance(60 * MINUTE_MS);
    const jumped = await scheduler.tick();
    const again = await scheduler.tick();
    // Assert
    expect(jumped.map((result) => result.entry.scheduledAt)).toEqual([
      '2026-03-09T05:15:00.000Z',
      '2026-03-09T05:30:00.000Z',
      '2026-03-09T05:45:00.000Z',
      '2026-03-09T06:00:00.000Z',
    ]);
    expect(again).toEqual([]);
    expect(scheduler.nextRuns()).toEqual([{ job: 'reconcile', nextRun: new Date('2026-03-09T06:15:00Z') }]);
  });

  it('runs a job now, keyed <job>@manual-<now>, without moving its schedule', async () => {
    // Prepare
    const { publisher, scheduler } = await schedulerOver('2026-03-09T05:03:00Z', manifest);
    // Act
    const result = await scheduler.runJobNow('sql-backup-acme-metaflow-pg-2');
    const unknown = scheduler.runJobNow('sql-backup-nope');
    // Assert
    expect(result.entry).toMatchObject({
      outcome: 'published',
      manual: true,
      key: 'sql-backup-acme-metaflow-pg-2@manual-2026-03-09T05:03:00.000Z',
    });
    expect(publisher.messages[0]?.json.actor).toBe('schedule:sql-backup-acme-metaflow-pg-2');
    await expect(unknown).rejects.toThrow('no schedule job sql-backup-nope');
    expect(
      scheduler.nextRuns().find((next) => next.job === 'sql-backup-acme-metaflow-pg-2')?.nextRun,
    ).toEqual(new Date('2026-03-09T08:00:00Z'));
  });

  it('ticks on its own timer until stopped', async () => {
    // Prepare
    const { clock, publisher, scheduler } = await schedulerOver('2026-03-09T05:00:00Z', RECONCILE_ONLY, 5);
    // Act
    clock.advance(15 * MINUTE_MS);
    const deadline = Date.now() + 2000;
    while (publisher.messages.length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    await scheduler.stop();
    clock.advance(15 * MINUTE_MS);
    await new Promise((resolve) => setTimeout(resolve, 30));
    // Assert
    expect(publisher.messages.map((message) => message.json.idempotencyKey)).toEqual([
      'reconcile@2026-03-09T05:15:00.000Z',
    ]);
  });
});
