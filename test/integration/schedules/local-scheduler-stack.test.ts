import type { Firestore } from '@google-cloud/firestore';
import { type LocalScheduler, startLocalScheduler } from '../../../local/scheduler';
import { desiredStateFromFixture } from '../../../shared/desired-state';
import { silentLogger } from '../../../shared/logging';
import {
  SCHEDULE_RUNS_COLLECTION,
  type ScheduleManifest,
  type ScheduleMessage,
  ScheduleRunLog,
  type ScheduleRunsRecord,
  scheduleManifestFor,
} from '../../../shared/schedules';
import { FirestoreDocumentStore, MemoryDocumentStore } from '../../../shared/store';
import { ManualClock } from '../../../shared/time';
import { firestoreForTest } from '../../helpers/emulators';
import { loadFixture } from '../../helpers/factories';
import { type LocalStackDriver, startLocalStackDriver } from '../../helpers/local-stack-driver';

/**
 * A scheduled job end to end on the local stack: the local scheduler publishes the nightly Cloud
 * SQL backup on ops-commands (Pub/Sub emulator), the command function takes the backup on the
 * simulator, the ledger (Firestore emulator) records it under the run's key, and the run log too.
 */

const KFP_SQL = 'acme-kfp-mysql-7f3a9c1e';
const JOB = `sql-backup-${KFP_SQL}`;
/** 03:00 in Chicago on Monday 2026-03-02 (CST). */
const RUN_AT = '2026-03-02T09:00:00.000Z';

let driver: LocalStackDriver;
let firestore: Firestore;
let manifest: ScheduleManifest;

const startScheduler = (clock: ManualClock, runs: ScheduleRunLog): LocalScheduler =>
  startLocalScheduler({
    manifest,
    clock,
    publish: (message: ScheduleMessage) =>
      driver.stack.pubsub
        .topic(message.topic)
        .publishMessage({ json: message.json, attributes: message.attributes }),
    ledger: driver.ledger,
    runs,
    logger: silentLogger,
    checkIntervalMs: 0,
  });

beforeAll(async () => {
  driver = await startLocalStackDriver();
  firestore = firestoreForTest(driver.stack.info.projectId);
  const all = scheduleManifestFor(desiredStateFromFixture(loadFixture()));
  manifest = { jobs: all.jobs.filter((job) => job.name === JOB) };
});

afterAll(async () => {
  await firestore?.terminate();
  await driver?.stop();
});

describe('the local scheduler on the local stack', () => {
  it('takes the nightly backup once, even when a second scheduler sends the same run', async () => {
    // Prepare
    const clock = new ManualClock('2026-03-02T08:58:00Z');
    const runs = new ScheduleRunLog(
      new FirestoreDocumentStore<ScheduleRunsRecord>(firestore, SCHEDULE_RUNS_COLLECTION),
    );
    const scheduler = startScheduler(clock, runs);
    // A second scheduler with its own run log: it does not know the run went out already.
    const other = startScheduler(clock, new ScheduleRunLog(new MemoryDocumentStore<ScheduleRunsRecord>()));
    driver.stack.simulator.requestLog.clear();
    // Act
    const early = await scheduler.tick();
    clock.advance(3 * 60_000);
    const [fired] = await scheduler.tick();
    const record = await driver.until(`${JOB}@${RUN_AT}`);
    const [again] = await other.tick();
    // Let the duplicate delivery reach the command function and be turned away.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await Promise.all([scheduler.stop(), other.stop()]);
    // Assert
    expect(early).toEqual([]);
    expect(fired?.entry).toMatchObject({
      outcome: 'published',
      key: `${JOB}@${RUN_AT}`,
      scheduledAt: RUN_AT,
    });
    expect(again?.entry).toMatchObject({ outcome: 'published', key: `${JOB}@${RUN_AT}` });
    expect(record).toMatchObject({
      status: 'succeeded',
      type: 'sql.backup',
      actor: `schedule:${JOB}`,
      args: { instance: KFP_SQL, description: 'scheduled-nightly' },
    });
    expect(driver.stack.simulator.requestLog.count('POST sql.backupRuns.insert')).toBe(1);
    const logged = await runs.get(JOB);
    expect(logged?.history.map((entry) => [entry.key, entry.outcome])).toEqual([
      [`${JOB}@${RUN_AT}`, 'published'],
    ]);
  });
});
