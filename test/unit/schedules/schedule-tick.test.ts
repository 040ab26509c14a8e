import { desiredStateFromFixture } from '../../../shared/desired-state';
import { OperationLedger, type OperationRecord } from '../../../shared/ledger';
import { silentLogger } from '../../../shared/logging';
import {
  runScheduledJob,
  type ScheduledJob,
  type ScheduleRunLog,
  type ScheduleTickDeps,
  scheduleManifestFor,
} from '../../../shared/schedules';
import { MemoryDocumentStore } from '../../../shared/store';
import { ManualClock } from '../../../shared/time';
import { loadFixture } from '../../helpers/factories';
import { makeProcessorHarness } from '../../helpers/processor-harness';
import {
  CapturingSchedulePublisher,
  FakeExecutions,
  maintenanceStubs,
  memoryRunLog,
} from './schedule-test-kit';

const KFP_SQL = 'acme-kfp-mysql-7f3a9c1e';
const BACKUP_JOB = `sql-backup-${KFP_SQL}`;
const manifest = scheduleManifestFor(desiredStateFromFixture(loadFixture()));
const job = (name: string): ScheduledJob => {
  const found = manifest.jobs.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no job ${name}`);
  return found;
};
/** 03:00 in Chicago (CST) on Monday 2026-03-02. */
const NIGHT = new Date('2026-03-02T09:00:00Z');

const setup = (options: { ledger?: OperationLedger; publisher?: CapturingSchedulePublisher } = {}) => {
  const clock = new ManualClock(NIGHT);
  const ledger = options.ledger ?? new OperationLedger(new MemoryDocumentStore<OperationRecord>());
  const publisher = options.publisher ?? new CapturingSchedulePublisher();
  const executions = new FakeExecutions(() => clock.now());
  const runs: ScheduleRunLog = memoryRunLog();
  const deps: ScheduleTickDeps = {
    publish: publisher.publish,
    startExecution: executions.startExecution,
    executionActive: executions.executionActive,
    ledger,
    runs,
    clock,
    logger: silentLogger,
  };
  return { clock, ledger, publisher, executions, runs, deps };
};

describe('a schedule tick', () => {
  it("publishes the Cloud Scheduler job's message, with actor schedule:<job> and key <job>@<scheduled time>", async () => {
    // Prepare
    const { publisher, runs, deps } = setup();
    // Act
    const result = await runScheduledJob(job(BACKUP_JOB), { scheduledAt: NIGHT }, deps);
    // Assert
    expect(publisher.messages).toEqual([
      {
        topic: 'ops-commands',
        json: {
          type: 'sql.backup',
          args: { instance: KFP_SQL, description: 'scheduled-nightly' },
          actor: `schedule:${BACKUP_JOB}`,
          reason: `scheduled nightly backup (${BACKUP_JOB})`,
          dryRun: false,
          idempotencyKey: `${BACKUP_JOB}@2026-03-02T09:00:00.000Z`,
        },
        attributes: {
          type: 'sql.backup',
          source: 'opsplane-schedule',
          job: BACKUP_JOB,
          schedule: expect.any(String),
          timeZone: expect.any(String),
        },
      },
    ]);
    expect(result).toEqual({
      duplicate: false,
      entry: {
        scheduledAt: '2026-03-02T09:00:00.000Z',
        key: `${BACKUP_JOB}@2026-03-02T09:00:00.000Z`,
        outcome: 'published',
        manual: false,
        messageId: 'msg-1',
        at: '2026-03-02T09:00:00.000Z',
      },
    });
    expect((await runs.get(BACKUP_JOB))?.last).toEqual(result.entry);
  });

  it('sends a tick delivered twice once', async () => {
    // Prepare
    const { publisher, runs, deps } = setup();
    // Act
    const first = await runScheduledJob(job(BACKUP_JOB), { scheduledAt: NIGHT }, deps);
    const second = await runScheduledJob(job(BACKUP_JOB), { scheduledAt: NIGHT }, deps);
    // Assert
    expect(publisher.messages).toHaveLength(1);
    expect(second).toEqual({ duplicate: true, entry: first.entry });
    expect((await runs.get(BACKUP_JOB))?.history).toHaveLength(1);
  });

  it('runs once when the same tick reaches the command function twice: the ledger dedupes by key', async () => {
    // Prepare: two schedulers (or a retried publish) send the same run; the processor runs both deliveries.
    const applied: string[] = [];
    const harness = await makeProcessorHarness({}, { operations: maintenanceStubs(applied) });
    const publisher = new CapturingSchedulePublisher(harness.processor);
    const one = setup({ ledger: harness.ledger, publisher });
    const other = setup({ ledger: harness.ledger, publisher });
    // Act
    await runScheduledJob(job(BACKUP_JOB), { scheduledAt: NIGHT }, one.deps);
    await runScheduledJob(job(BACKUP_JOB), { scheduledAt: NIGHT }, other.deps);
    // Assert
    const key = `${BACKUP_JOB}@2026-03-02T09:00:00.000Z`;
    expect(publisher.messages.map((message) => message.json.idempotencyKey)).toEqual([key, key]);
    expect(applied).toEqual([key]);
    expect(await harness.ledger.get(key)).toMatchObject({
      status: 'succeeded',
      actor: `schedule:${BACKUP_JOB}`,
      messageIds: ['msg-1'],
    });
    expect(await harness.ledger.list({ limit: 10 })).toHaveLength(1);
  });

  it('skips and records a tick whose previous run is still running, and runs the next once it finished', async () => {
    // Prepare: last night's backup is still running (parked on its Cloud SQL operation).
    const { clock, ledger, publisher, runs, deps } = setup();
    await runScheduledJob(job(BACKUP_JOB), { scheduledAt: NIGHT }, deps);
    const lastKey = `${BACKUP_JOB}@2026-03-02T09:00:00.000Z`;
    await ledger.begin({
      id: lastKey,
      messageId: 'msg-1',
      type: 'sql.backup',
      args: { instance: KFP_SQL },
      actor: `schedule:${BACKUP_JOB}`,
      reason: 'nightly',
      dryRun: false,
      holder: 'h1',
      now: clock.now(),
      claimTtlMs: 60_000,
    });
    const tomorrow = new Date('2026-03-03T09:00:00Z');
    const dayAfter = new Date('2026-03-04T09:00:00Z');
    // Act
    clock.set(tomorrow);
    const skipped = await runScheduledJob(job(BACKUP_JOB), { scheduledAt: tomorrow }, deps);
    await ledger.finish(lastKey, 'h1', { status: 'succeeded' }, clock.now());
    clock.set(dayAfter);
    const ran = await runScheduledJob(job(BACKUP_JOB), { scheduledAt: dayAfter }, deps);
    // Assert
    expect(skipped.entry).toMatchObject({
      outcome: 'skipped-overlap',
      key: `${BACKUP_JOB}@2026-03-03T09:00:00.000Z`,
      blockedBy: lastKey,
    });
    expect(ran.entry.outcome).toBe('published');
    expect(publisher.messages.map((message) => message.json.idempotencyKey)).toEqual([
      lastKey,
      `${BACKUP_JOB}@2026-03-04T09:00:00.000Z`,
    ]);
    const record = await runs.get(BACKUP_JOB);
    expect(record?.history.map((entry) => entry.outcome)).toEqual([
      'published',
      'skipped-overlap',
      'published',
    ]);
    expect(record?.last?.key).toBe(`${BACKUP_JOB}@2026-03-04T09:00:00.000Z`);
  });

  it('skips an off-hours run while the previous execution is still active', async () => {
    // Prepare
    const { executions, runs, deps } = setup();
    const evening = job('gpu-offhours-evening');
    const monday = new Date('2026-03-03T01:00:00Z');
    const tuesday = new Date('2026-03-04T01:00:00Z');
    const wednesday = new Date('2026-03-05T01:00:00Z');
    // Act
    await runScheduledJob(evening, { scheduledAt: monday }, deps);
    const skipped = await runScheduledJob(evening, { scheduledAt: tuesday }, deps);
    executions.finishAll();
    const started = await runScheduledJob(evening, { scheduledAt: wednesday }, deps);
    // Assert
    expect(executions.started.map((execution) => [execution.workflow, execution.argument])).toEqual([
      [
        'gpu-offhours',
        { mode: 'evening', pool: 'gpu-a100-pool', reason: 'scheduled GPU off-hours scale-down' },
      ],
      [
        'gpu-offhours',
        { mode: 'evening', pool: 'gpu-a100-pool', reason: 'scheduled GPU off-hours scale-down' },
      ],
    ]);
    expect(skipped.entry).toMatchObject({
      outcome: 'skipped-overlap',
      blockedBy: 'gpu-offhours-evening@2026-03-03T01:00:00.000Z',
    });
    expect(started.entry).toMatchObject({
      outcome: 'execution-started',
      execution: executions.started[1]?.name,
    });
    expect((await runs.get('gpu-offhours-evening'))?.history).toHaveLength(3);
  });

  it('records a failed publish instead of throwing, and sends the next tick', async () => {
    // Prepare
    const { publisher, runs, deps } = setup();
    publisher.failNext = 1;
    const tomorrow = new Date('2026-03-03T09:00:00Z');
    // Act
    const failed = await runScheduledJob(job(BACKUP_JOB), { scheduledAt: NIGHT }, deps);
    const next = await runScheduledJob(job(BACKUP_JOB), { scheduledAt: tomorrow }, deps);
    // Assert
    expect(failed.entry).toMatchObject({ outcome: 'failed', error: 'pubsub unavailable' });
    expect(next.entry.outcome).toBe('published');
    expect((await runs.get(BACKUP_JOB))?.history.map((entry) => entry.outcome)).toEqual([
      'failed',
      'published',
    ]);
  });

  it('keys a manual run <job>@manual-<time>', async () => {
    // Prepare
    const { publisher, deps } = setup();
    // Act
    const result = await runScheduledJob(job('reconcile'), { scheduledAt: NIGHT, manual: true }, deps);
    // Assert
    expect(result.entry).toMatchObject({ manual: true, key: 'reconcile@manual-2026-03-02T09:00:00.000Z' });
    expect(publisher.messages[0]?.json).toMatchObject({
      type: 'reconcile.run',
      args: { apply: true },
      actor: 'schedule:reconcile',
      idempotencyKey: 'reconcile@manual-2026-03-02T09:00:00.000Z',
    });
  });
});
