import { startLocalScheduler } from '../../../local/scheduler';
import type { RunningSimulator } from '../../../local/simulator/simulator';
import type { CommandEnvelope } from '../../../shared/commands';
import type { PlatformState } from '../../../shared/desired-state';
import type { OperationRecord } from '../../../shared/ledger';
import { silentLogger } from '../../../shared/logging';
import type { PlatformApis } from '../../../shared/operations';
import { gpuPoolRef } from '../../../shared/operations/gpu/gpu-pool';
import { createOperationsPoller } from '../../../shared/runtime';
import { resumeCommandOf } from '../../../shared/runtime/operation-resumer';
import { formatInZone, jobNamed, runScheduledJob, scheduleManifestFor } from '../../../shared/schedules';
import { ManualClock } from '../../../shared/time';
import { makeDelivery } from '../../helpers/factories';
import { platformApisFor } from '../../helpers/platform-apis';
import { makeProcessorHarness } from '../../helpers/processor-harness';
import { startFixtureSimulator } from '../../helpers/simulator';
import { type CommandScript, type OutcomeEvent, runRunbook } from '../../unit/runbooks/runbook-harness';
import {
  CapturingSchedulePublisher,
  deliveryOf,
  FakeExecutions,
  memoryRunLog,
} from '../../unit/schedules/schedule-test-kit';

/**
 * Issue 6's acceptance against the platform simulator: the fixture platform's schedule manifest runs
 * over a simulated week on one virtual clock (scheduler, command processor, operations poller and
 * simulator alike), every command through the real command processor and the real operations
 * against the simulator. The simulator's state and the ledger then show each backup, prune, key
 * rotation and off-hours scaling exactly once.
 *
 * Each gpu-offhours execution the scheduler starts runs the real runbook (workflows/) on the local
 * workflow engine, with its own virtual clock starting at the tick, and its commands go through the
 * same processor as ops-api would send them (actor `runbook:gpu-offhours`, key
 * `<execution>-<step>`): the evening saves the bounds, sets the night bounds, polls the busy check
 * until the drain timeout and forces the pool to zero (approved by the on-call when pods are still
 * busy); the morning restores the desired bounds.
 */

const MINUTE_MS = 60_000;
const QUARTER_MS = 15 * MINUTE_MS;
const WEEK_MS = 7 * 24 * 60 * MINUTE_MS;
/** Monday 2025-06-02 00:00 in Chicago (CDT): the week the fixture's data leads up to. */
const WEEK_START = '2025-06-02T05:00:00Z';
const ZONE = 'America/Chicago';
const PROJECT = 'acme-ml-prod';
const KFP_SQL = 'acme-kfp-mysql-7f3a9c1e';
const SQL_INSTANCES = [KFP_SQL, 'acme-metaflow-pg-2'];
const FILESTORE_INSTANCES = ['acme-kf-home', 'acme-datasets'];
const WEEK_DAYS = ['02', '03', '04', '05', '06', '07', '08'];
const WORK_DAYS = ['02', '03', '04', '05', '06'];
const APPROVER = 'user:maria.chen@acme.ai';
const GPU_WORKLOADS_CHECKS = 16;
const saEmail = (name: string): string => `${name}@${PROJECT}.iam.gserviceaccount.com`;

const countBy = (values: readonly string[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
};

/** `<job>@<day>T<HH:MM>Z` keys of a daily job over the week. */
const dailyKeys = (job: string, utcTime: string): string[] =>
  WEEK_DAYS.map((day) => `${job}@2025-06-${day}T${utcTime}:00.000Z`);

/** The ids a prune planned to delete. */
const plannedDeletions = (record: OperationRecord | undefined): string[] =>
  ((record?.plan?.deletions ?? []) as Array<{ id: string }>).map((deleted) => deleted.id);

describe('a simulated week of schedules against the platform simulator', () => {
  let simulator: RunningSimulator | undefined;

  afterAll(async () => {
    await simulator?.close();
  });

  it('takes every backup, prune, rotation and off-hours scaling once, and the ledger shows them', async () => {
    // Prepare: the simulator, the processor (real operations, simulator adapters), the poller that
    // resumes parked operations, and the scheduler, all on one virtual clock.
    const clock = new ManualClock(WEEK_START);
    const sim = await startFixtureSimulator({ timeScale: 0, clock });
    simulator = sim;
    const apis: PlatformApis = platformApisFor(sim, clock);
    const harness = await makeProcessorHarness({}, { clock, apis });
    const platform: PlatformState = await harness.desiredState.getPlatform();
    const manifest = scheduleManifestFor(platform);
    const sqlRuns = (instance: string) => apis.sql.listBackupRuns({ projectId: PROJECT, instance });
    const filestoreBackups = async (instance: string) =>
      (await apis.filestore.listBackups(PROJECT, '-')).filter((backup) =>
        backup.sourceInstanceKey.endsWith(`/${instance}`),
      );
    const keyIds = async (account: string) =>
      (await apis.iam.listKeys(saEmail(account))).map((key) => `${key.id} ${key.validAfterTime}`);
    const sqlBefore = new Map<string, string[]>();
    for (const instance of SQL_INSTANCES)
      sqlBefore.set(
        instance,
        (await sqlRuns(instance)).map((run) => run.id),
      );
    const filestoreBefore = new Map<string, string[]>();
    for (const instance of FILESTORE_INSTANCES)
      filestoreBefore.set(
        instance,
        (await filestoreBackups(instance)).map((backup) => backup.id),
      );
    const ciTerraformKeysBefore = await keyIds('ci-terraform');
    const pool = gpuPoolRef(platform, undefined);
    const publisher = new CapturingSchedulePublisher(harness.processor);
    const executions = new FakeExecutions(() => clock.now());
    const runs = memoryRunLog(1000);
    const schedulerDeps = {
      publish: publisher.publish,
      startExecution: executions.startExecution,
      executionActive: executions.executionActive,
      ledger: harness.ledger,
      runs,
      clock,
      logger: silentLogger,
    };
    const scheduler = startLocalScheduler({ ...schedulerDeps, manifest, checkIntervalMs: 0 });
    const poller = createOperationsPoller({
      ledger: harness.ledger,
      resumer: {
        resume: async (record) => {
          await harness.processor.process(makeDelivery(resumeCommandOf(record)));
        },
      },
      clock,
      logger: silentLogger,
    });
    // Each execution the scheduler starts runs the real gpu-offhours runbook on the workflow engine
    // (its own virtual clock, starting at the tick), its commands sent through the real processor
    // as ops-api would; a forced scale-down that asks for approval is approved by the on-call.
    const throughProcessor: CommandScript = async (command) => {
      const envelope = {
        type: command.type,
        args: command.args,
        actor: command.actor,
        reason: command.reason,
        dryRun: false,
        idempotencyKey: command.idempotencyKey,
      } as CommandEnvelope;
      await harness.processor.process(makeDelivery(envelope));
      let record = await harness.ledger.get(command.idempotencyKey);
      if (record?.status === 'pending_approval') {
        await harness.processor.process(
          makeDelivery({
            type: 'approval.grant',
            args: { operationId: command.idempotencyKey, comment: 'on-call: evict for the night' },
            actor: APPROVER,
            reason: 'off-hours forced scale-down',
            dryRun: false,
            idempotencyKey: `${command.idempotencyKey}-approval`,
          }),
        );
        // The grant asks the resumer to run the approved operation: here, at once.
        const approved = await harness.ledger.get(command.idempotencyKey);
        if (approved) await harness.processor.process(makeDelivery(resumeCommandOf(approved)));
        record = await harness.ledger.get(command.idempotencyKey);
      }
      if (!record) throw new Error(`no ledger record for ${command.idempotencyKey}`);
      return [
        {
          status: record.status as OutcomeEvent['status'],
          ...(record.result ? { result: record.result } : {}),
          ...(record.error ? { error: { code: record.error.code, message: record.error.message } } : {}),
        },
      ];
    };
    const poolTimeline: string[] = [];
    const runbookOutcomes: string[] = [];
    const runOffHoursExecutions = async (from: number): Promise<void> => {
      for (const execution of executions.started.slice(from)) {
        const run = await runRunbook('gpu-offhours', execution.argument, {
          script: throughProcessor,
          startAt: clock.now().getTime(),
          executionId: execution.name.split('/').pop() as string,
        });
        runbookOutcomes.push(`${execution.argument.mode} ${run.outcome.state}`);
        const after = await apis.gke.getNodePool(pool);
        const nodes = Object.values(after.sizeByZone).reduce((sum, size) => sum + size, 0);
        poolTimeline.push(
          `${String(execution.argument.mode)} ${formatInZone(clock.now(), ZONE)} ${after.autoscaling.minNodeCount}-${after.autoscaling.maxNodeCount} ${nodes} nodes`,
        );
      }
      executions.finishAll();
    };

    // Act: a week in quarter-hour steps; each step the poller resumes what is due (a key rotation's
    // grace period ends), then the scheduler fires what is due, then the runbook steps run.
    for (let elapsed = 0; elapsed < WEEK_MS; elapsed += QUARTER_MS) {
      clock.advance(QUARTER_MS);
      await poller.tick();
      const executionsBefore = executions.started.length;
      await scheduler.tick();
      await runOffHoursExecutions(executionsBefore);
    }
    const records = await harness.ledger.list({ limit: 5000 });
    const byId = new Map(records.map((record) => [record.id, record]));

    // Assert: every operation succeeded, once per run, with the run's actor and key.
    expect(records.filter((record) => record.status !== 'succeeded').map((record) => record.id)).toEqual([]);
    expect(countBy(records.map((record) => record.type))).toEqual({
      'sql.backup': 14,
      'sql.backups.prune': 14,
      'filestore.backup': 14,
      'filestore.backups.prune': 14,
      'keys.check': 21,
      'reconcile.run': 672,
      'gpu.autoscaling.set': 10,
      'gpu.scale': 5,
      'gpu.workloads': GPU_WORKLOADS_CHECKS,
      'approval.grant': 1,
    });
    const scheduled = records.filter((record) => record.actor.startsWith('schedule:'));
    expect(scheduled).toHaveLength(publisher.messages.length);
    for (const record of scheduled) {
      const job = record.actor.slice('schedule:'.length);
      expect(record.id.startsWith(`${job}@`)).toBe(true);
      expect(record.messageIds[0]).toMatch(/^msg-\d+$/);
    }
    // Delivered twice: only the parked key rotations, by the poller's resume.
    expect(
      scheduled
        .filter((record) => record.messageIds.length !== 1)
        .map((record) => `${record.id} ${record.messageIds.length}`)
        .sort(),
    ).toEqual([
      'key-age-acme-kf-user@2025-06-02T11:00:00.000Z 2',
      'key-age-ci-terraform@2025-06-02T11:00:00.000Z 2',
      'key-age-gsa-metaflow-prod@2025-06-02T11:00:00.000Z 2',
    ]);
    const commandJobs = manifest.jobs.filter((job) => job.target.kind === 'command');
    for (const job of commandJobs) {
      const history = (await runs.get(job.name))?.history ?? [];
      expect(history.every((entry) => entry.outcome === 'published')).toBe(true);
      expect(history.map((entry) => entry.key).sort()).toEqual(
        scheduled
          .filter((record) => record.actor === `schedule:${job.name}`)
          .map((record) => record.id)
          .sort(),
      );
    }
    expect((await runs.get('reconcile'))?.history).toHaveLength(672);

    // Assert: Cloud SQL — one on-demand backup per night at 03:00 Chicago, described as the
    // manifest says, and nothing else new.
    for (const instance of SQL_INSTANCES) {
      const job = `sql-backup-${instance}`;
      const after = await sqlRuns(instance);
      const added = after.filter((run) => !sqlBefore.get(instance)?.includes(run.id));
      expect(added.map((run) => `${run.type} ${run.status} ${run.description}`).sort()).toEqual(
        dailyKeys(job, '08:00').map((key) => `ON_DEMAND SUCCESSFUL scheduled-nightly (opsplane ${key})`),
      );
      expect(
        scheduled
          .filter((record) => record.type === 'sql.backup' && record.args.instance === instance)
          .map((record) => record.id)
          .sort(),
      ).toEqual(dailyKeys(job, '08:00'));
    }

    // Assert: Filestore — one backup per night at 03:30 Chicago per instance, all still kept.
    for (const instance of FILESTORE_INSTANCES) {
      const after = await filestoreBackups(instance);
      const added = after.filter((backup) => !filestoreBefore.get(instance)?.includes(backup.id));
      expect(added.map((backup) => `${backup.state} ${backup.createTime}`).sort()).toEqual(
        WEEK_DAYS.map((day) => `READY 2025-06-${day}T08:30:00.000Z`),
      );
      expect(added.every((backup) => backup.id.startsWith(`${instance}-202506`))).toBe(true);
    }

    // Assert: pruning ran every night (05:00 Chicago) and deleted exactly what retention selects:
    // Cloud SQL on-demand runs older than 60 days unless their description matches keep/pre-;
    // Filestore backups beyond 7 daily + 4 weekly, never the pinned one.
    const pruneDeletions = (job: string): string[][] =>
      dailyKeys(job, '10:00').map((key) => plannedDeletions(byId.get(key)));
    expect(pruneDeletions(`sql-prune-${KFP_SQL}`)).toEqual([
      ['1733225700000', '1741944000000'], // "manual" (2024-12-03), "before schema migration" (2025-03-14)
      [],
      [],
      [],
      [],
      [],
      [],
    ]);
    expect(pruneDeletions('sql-prune-acme-metaflow-pg-2')).toEqual(WEEK_DAYS.map(() => []));
    expect(pruneDeletions('filestore-prune-acme-kf-home')).toEqual([
      ['acme-kf-home-daily-20250523', 'acme-kf-home-daily-20250524'], // W21 keeps only 05-25
      [],
      ['acme-kf-home-daily-20250526'], // each new daily pushes the oldest W22 daily out
      ['acme-kf-home-daily-20250527'],
      ['acme-kf-home-daily-20250528'],
      ['acme-kf-home-daily-20250529'],
      [], // 05-30 stays as W22's weekly
    ]);
    expect(pruneDeletions('filestore-prune-acme-datasets')).toEqual(WEEK_DAYS.map(() => []));
    const kfpRuns = (await sqlRuns(KFP_SQL)).map((run) => run.id);
    expect(kfpRuns).not.toContain('1733225700000');
    expect(kfpRuns).not.toContain('1741944000000');
    expect(kfpRuns).toContain('1748425022000'); // "pre-KFP-2.3-upgrade": never deleted
    const kfHome = (await filestoreBackups('acme-kf-home')).map((backup) => backup.id);
    expect(kfHome).toEqual(
      expect.arrayContaining([
        'acme-kf-home-preupgrade-20250110', // pinned=true
        'acme-kf-home-weekly-20250504',
        'acme-kf-home-daily-20250525',
        'acme-kf-home-daily-20250530',
      ]),
    );
    expect(kfHome).toHaveLength(4 + 7);
    expect((await filestoreBackups('acme-datasets')).map((backup) => backup.id)).toEqual(
      expect.arrayContaining(filestoreBefore.get('acme-datasets') ?? ['(none)']),
    );

    // Assert: the key-age check rotated each account with an over-age enabled key once, on Monday
    // 06:00 Chicago; the old keys were retired when the 24 h grace period ended (the poller resumed
    // the parked rotation); every later check found a fresh key. ci-terraform's half-done rotation
    // (a 13-day key beside the over-age one) was finished the same way: one new key, both old gone.
    const rotations = records
      .filter((record) => record.type === 'keys.check' && record.result?.rotated === true)
      .map((record) => `${record.id} finished ${record.finishedAt}`)
      .sort();
    expect(rotations).toEqual([
      'key-age-acme-kf-user@2025-06-02T11:00:00.000Z finished 2025-06-03T11:00:00.000Z',
      'key-age-ci-terraform@2025-06-02T11:00:00.000Z finished 2025-06-03T11:00:00.000Z',
      'key-age-gsa-metaflow-prod@2025-06-02T11:00:00.000Z finished 2025-06-03T11:00:00.000Z',
    ]);
    for (const account of ['gsa-metaflow-prod', 'acme-kf-user', 'ci-terraform']) {
      const keys = await keyIds(account);
      expect(keys).toHaveLength(1);
      expect(keys[0]?.endsWith(' 2025-06-02T11:00:00Z')).toBe(true);
    }
    expect(ciTerraformKeysBefore).toHaveLength(2);
    expect((await keyIds('ci-terraform')).some((key) => ciTerraformKeysBefore.includes(key))).toBe(false);

    // Assert: off-hours — the runbook ran on the five weekday evenings (19:00) and mornings (07:00)
    // only, and succeeded; each step's command is in the ledger once. Monday's restore brought the
    // pool back to its desired bounds 0-2 (live max was 3, the fixture's manual bump); the evening
    // soft step (min 0) leaves a pool whose desired minimum is already 0 as it is.
    const runTimes = async (job: string) =>
      ((await runs.get(job))?.history ?? []).map(
        (entry) => `${entry.outcome} ${formatInZone(new Date(entry.scheduledAt), ZONE)}`,
      );
    expect(await runTimes('gpu-offhours-evening')).toEqual(
      WORK_DAYS.map((day) => `execution-started 2025-06-${day} 19:00 (${ZONE})`),
    );
    expect(await runTimes('gpu-offhours-morning')).toEqual(
      WORK_DAYS.map((day) => `execution-started 2025-06-${day} 07:00 (${ZONE})`),
    );
    expect(runbookOutcomes).toEqual(WORK_DAYS.flatMap(() => ['morning SUCCEEDED', 'evening SUCCEEDED']));
    // Nodes: 2 until Monday evening, none after each forced scale-down (an autoscaler minimum of 0
    // and nothing asking for a GPU keep the pool empty in the morning).
    expect(poolTimeline).toEqual(
      WORK_DAYS.flatMap((day) => [
        `morning 2025-06-${day} 07:00 (${ZONE}) 0-2 ${day === '02' ? 2 : 0} nodes`,
        `evening 2025-06-${day} 19:00 (${ZONE}) 0-2 0 nodes`,
      ]),
    );
    // The forced step: on Monday the fixture's training pods were still running after the drain
    // timeout, so it waited for the on-call's approval; on the other evenings the pool was idle.
    const forced = records
      .filter((record) => record.type === 'gpu.scale')
      .sort((left, right) => left.createdAt.localeCompare(right.createdAt))
      .map((record) => `${record.id.endsWith('-forced_step')} ${record.approval?.approver ?? 'no approval'}`);
    expect(forced).toEqual([`true ${APPROVER}`, ...WORK_DAYS.slice(1).map(() => 'true no approval')]);
    const gpuSets = records.filter((record) => record.type === 'gpu.autoscaling.set');
    expect(gpuSets.map((record) => `${record.id} ${record.plan?.noop}`).sort()).toEqual(
      executions.started
        .map((execution, index) => {
          const id = execution.name.split('/').pop();
          return execution.argument.mode === 'evening'
            ? `${id}-soft_step true`
            : `${id}-morning_restore ${index !== 0}`;
        })
        .sort(),
    );

    // Assert: reconcile (observe mode, the fixture's default: it reports and submits nothing) saw
    // the week's maintenance clear the drift it is about: stale and failed backups, retention, every
    // key finding (over-age keys, ci-terraform's two active keys, liam.obrien's copy of the Metaflow
    // key, which died with the rotation), the GPU pool's bounds.
    const driftOf = (key: string): string[] =>
      ((byId.get(key)?.result?.observed ?? []) as Array<{ resource: string; kind: string }>)
        .map((finding) => `${finding.resource} ${finding.kind}`)
        .sort();
    const firstDrift = driftOf('reconcile@2025-06-02T05:15:00.000Z');
    const lastDrift = driftOf('reconcile@2025-06-09T05:00:00.000Z');
    expect(harness.submitter.submitted).toEqual([]);
    expect(lastDrift.filter((finding) => !firstDrift.includes(finding))).toEqual([]);
    expect(firstDrift.filter((finding) => !lastDrift.includes(finding))).toEqual([
      'filestore/acme-datasets backup-stale',
      'filestore/acme-kf-home backup-stale',
      'filestore/acme-kf-home retention',
      'gpu-pool/gpu-a100-pool autoscaling-bounds',
      `keys/${saEmail('acme-kf-user')} key-age`,
      `keys/${saEmail('ci-terraform')} key-age`,
      `keys/${saEmail('ci-terraform')} multiple-active-keys`,
      `keys/${saEmail('gsa-metaflow-prod')} key-age`,
      `keys/${saEmail('gsa-metaflow-prod')} key-held-by-unmanaged`,
      `sql/${KFP_SQL} retention`,
      'sql/acme-metaflow-pg-2 backup-failed',
    ]);
    expect(lastDrift.filter((finding) => finding.startsWith('keys/'))).toEqual([]);

    // Act: the Monday backup tick delivered again (Pub/Sub redelivery), and run again by a
    // scheduler that reads the same run log.
    const backupKey = `sql-backup-${KFP_SQL}@2025-06-02T08:00:00.000Z`;
    const message = publisher.messages.find((sent) => sent.json.idempotencyKey === backupKey);
    if (!message) throw new Error(`no message for ${backupKey}`);
    const recordBefore = structuredClone(byId.get(backupKey));
    const runsBefore = await sqlRuns(KFP_SQL);
    sim.requestLog.clear();
    await harness.processor.process(deliveryOf(message, 'msg-redelivered'));
    const rerun = await runScheduledJob(
      jobNamed(manifest, `sql-backup-${KFP_SQL}`),
      { scheduledAt: new Date('2025-06-02T08:00:00.000Z') },
      schedulerDeps,
    );
    const nothingDue = await scheduler.tick();
    await scheduler.stop();

    // Assert: nothing changed.
    expect(sim.requestLog.count('POST sql.backupRuns.insert')).toBe(0);
    expect(await sqlRuns(KFP_SQL)).toEqual(runsBefore);
    expect(rerun.duplicate).toBe(true);
    expect(nothingDue).toEqual([]);
    const recordAfter = await harness.ledger.get(backupKey);
    expect({ ...recordAfter, messageIds: [], updatedAt: '' }).toEqual({
      ...recordBefore,
      messageIds: [],
      updatedAt: '',
    });
    expect(await harness.ledger.list({ limit: 5000 })).toHaveLength(records.length);
  });
});
