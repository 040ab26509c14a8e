import { desiredStateFromFixture } from '../../../shared/desired-state';
import { jobNamed, scheduledRunKeyOf, scheduleManifestFor, schedulerJobsOf } from '../../../shared/schedules';
import { ManualClock } from '../../../shared/time';
import { loadFixture } from '../../helpers/factories';
import { makeProcessorHarness } from '../../helpers/processor-harness';
import { maintenanceStubs } from './schedule-test-kit';

/**
 * Cloud Scheduler's own messages carry no idempotency key: the command processor keys them
 * `<job>@<scheduled time>` from the job's cron and zone attributes and the publish time, so a
 * publish Cloud Scheduler retries (a new message id) runs once.
 */

const KFP_SQL = 'acme-kfp-mysql-7f3a9c1e';
const JOB = `sql-backup-${KFP_SQL}`;
const manifest = scheduleManifestFor(desiredStateFromFixture(loadFixture()));
const [resource] = schedulerJobsOf(
  { jobs: [jobNamed(manifest, JOB)] },
  { projectId: 'acme-ops', region: 'us-central1' },
);
const target = resource?.pubsubTarget;
if (!target) throw new Error(`${JOB} has no Pub/Sub target`);
const ACTOR = `schedule:${JOB}`;
/** 03:00 Chicago (CDT) on Monday 2025-06-02. */
const SCHEDULED = '2025-06-02T08:00:00.000Z';

describe('scheduledRunKeyOf', () => {
  it.each([
    ['published on time', '2025-06-02T08:00:00.412Z'],
    ['published 40 s early (clock skew)', '2025-06-02T07:59:20Z'],
    ['a publish retried 5 minutes later', '2025-06-02T08:05:00Z'],
    ['published late, before the next run', '2025-06-03T07:58:00Z'],
  ])('keys a message %s by the run it belongs to', (_label, publishTime) => {
    // Act, Assert
    expect(scheduledRunKeyOf(target.attributes, publishTime, ACTOR)).toBe(`${JOB}@${SCHEDULED}`);
  });

  it('gives no key to what is not a schedule run it can place', () => {
    // Act, Assert
    expect(scheduledRunKeyOf(target.attributes, undefined, ACTOR)).toBeUndefined();
    expect(
      scheduledRunKeyOf(target.attributes, '2025-06-02T08:00:01Z', 'user:maria.chen@acme.ai'),
    ).toBeUndefined();
    expect(scheduledRunKeyOf({}, '2025-06-02T08:00:01Z', ACTOR)).toBeUndefined();
    expect(
      scheduledRunKeyOf({ ...target.attributes, schedule: 'every day' }, '2025-06-02T08:00:01Z', ACTOR),
    ).toBeUndefined();
  });

  it('runs a Cloud Scheduler publish and its retry once, under the run key', async () => {
    // Prepare: the job's bytes published twice, as two messages (a retried publish).
    const applied: string[] = [];
    const harness = await makeProcessorHarness(
      {},
      { clock: new ManualClock('2025-06-02T08:00:02Z'), operations: maintenanceStubs(applied) },
    );
    const delivery = (messageId: string, publishTime: string) => ({
      messageId,
      publishTime,
      data: Buffer.from(target.data, 'base64'),
      attributes: target.attributes,
    });
    // Act
    const first = await harness.processor.process(delivery('msg-1', '2025-06-02T08:00:01Z'));
    const retried = await harness.processor.process(delivery('msg-2', '2025-06-02T08:00:07Z'));
    // Assert
    expect(first).toMatchObject({ ack: true, operationId: `${JOB}@${SCHEDULED}`, duplicate: false });
    expect(retried).toMatchObject({ ack: true, operationId: `${JOB}@${SCHEDULED}`, duplicate: true });
    expect(applied).toEqual([`${JOB}@${SCHEDULED}`]);
    expect((await harness.ledger.list({ limit: 10 })).map((record) => record.id)).toEqual([
      `${JOB}@${SCHEDULED}`,
    ]);
  });
});
