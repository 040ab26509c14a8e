import { parseCommand } from '../../../shared/commands';
import { desiredStateFromFixture, type PlatformState } from '../../../shared/desired-state';
import {
  type ScheduledJob,
  scheduleManifestFor,
  schedulerJobsOf,
  validateManifest,
} from '../../../shared/schedules';
import { loadFixture } from '../../helpers/factories';

const fixture = loadFixture();
const platform = desiredStateFromFixture(fixture);
const manifest = scheduleManifestFor(platform);
const KFP_SQL = 'acme-kfp-mysql-7f3a9c1e';

const decode = (base64: string): unknown => JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
const job = (name: string): ScheduledJob => {
  const found = manifest.jobs.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no job ${name}`);
  return found;
};

describe('schedule manifest', () => {
  it('reads the off-hours window from desired state, seeded from the fixture policy', () => {
    // Act
    const offHours = platform.gpuPools['gpu-a100-pool']?.offHours;
    // Assert
    expect(offHours).toEqual({
      timeZone: 'America/Chicago',
      scaleDownAt: '19:00',
      scaleUpAt: '07:00',
      weekends: 'off',
    });
  });

  it('declares backups and pruning per managed instance, the key-age check, off-hours and reconcile', () => {
    // Act
    const names = manifest.jobs.map(
      (candidate) => `${candidate.name} ${candidate.cron} ${candidate.timeZone}`,
    );
    // Assert
    expect(names).toEqual([
      `sql-backup-${KFP_SQL} 0 3 * * * America/Chicago`,
      `sql-prune-${KFP_SQL} 0 5 * * * America/Chicago`,
      'sql-backup-acme-metaflow-pg-2 0 3 * * * America/Chicago',
      'sql-prune-acme-metaflow-pg-2 0 5 * * * America/Chicago',
      'filestore-backup-acme-kf-home 30 3 * * * America/Chicago',
      'filestore-prune-acme-kf-home 0 5 * * * America/Chicago',
      'filestore-backup-acme-datasets 30 3 * * * America/Chicago',
      'filestore-prune-acme-datasets 0 5 * * * America/Chicago',
      'key-age-gsa-metaflow-prod 0 6 * * * America/Chicago',
      'key-age-ci-terraform 0 6 * * * America/Chicago',
      'key-age-acme-kf-user 0 6 * * * America/Chicago',
      'gpu-offhours-evening 0 19 * * MON-FRI America/Chicago',
      'gpu-offhours-morning 0 7 * * MON-FRI America/Chicago',
      'reconcile */15 * * * * UTC',
    ]);
  });

  it('follows desired state: a newly managed instance gets its jobs, with no schedule edited', () => {
    // Prepare
    const more: PlatformState = {
      ...platform,
      sql: { ...platform.sql, instances: [...platform.sql.instances, 'acme-feature-store'] },
    };
    // Act
    const names = scheduleManifestFor(more).jobs.map((candidate) => candidate.name);
    // Assert
    expect(names).toEqual(
      expect.arrayContaining(['sql-backup-acme-feature-store', 'sql-prune-acme-feature-store']),
    );
  });

  it('sends commands that validate against the catalog', () => {
    // Prepare
    const commandJobs = manifest.jobs.filter((candidate) => candidate.target.kind === 'command');
    // Act
    const parsed = commandJobs.map((candidate) => {
      const data = schedulerJobsOf({ jobs: [candidate] }, { projectId: 'acme-ops', region: 'us-central1' })[0]
        ?.pubsubTarget?.data;
      return parseCommand(decode(data ?? ''));
    });
    // Assert
    expect(parsed.map((command) => command.type)).toEqual([
      'sql.backup',
      'sql.backups.prune',
      'sql.backup',
      'sql.backups.prune',
      'filestore.backup',
      'filestore.backups.prune',
      'filestore.backup',
      'filestore.backups.prune',
      'keys.check',
      'keys.check',
      'keys.check',
      'reconcile.run',
    ]);
    expect(parsed.every((command, index) => command.actor === `schedule:${commandJobs[index]?.name}`)).toBe(
      true,
    );
    expect(parsed[8]?.args).toEqual({
      serviceAccount: 'gsa-metaflow-prod@acme-ml-prod.iam.gserviceaccount.com',
    });
  });

  it('refuses two jobs of the same name, a bad cron and an unknown zone', () => {
    // Prepare
    const base = job('reconcile');
    // Act
    const twice = () => validateManifest({ jobs: [base, base] });
    const badCron = () => validateManifest({ jobs: [{ ...base, cron: '*/15 * * *' }] });
    const badZone = () => validateManifest({ jobs: [{ ...base, timeZone: 'Central' }] });
    // Assert
    expect(twice).toThrow('two schedule jobs are named reconcile');
    expect(badCron).toThrow('expected 5 fields');
    expect(badZone).toThrow('unknown time zone "Central"');
  });
});

describe('Cloud Scheduler jobs of the manifest', () => {
  const jobs = schedulerJobsOf(manifest, { projectId: 'acme-ops', region: 'us-central1' });
  const resource = (name: string) => jobs.find((candidate) => candidate.name.endsWith(`/jobs/${name}`));

  it('publishes a command job on ops-commands with the envelope as base64 data and the attributes', () => {
    // Act
    const backup = resource(`sql-backup-${KFP_SQL}`);
    // Assert
    expect(backup).toEqual({
      name: `projects/acme-ops/locations/us-central1/jobs/sql-backup-${KFP_SQL}`,
      description: `Nightly on-demand backup of Cloud SQL instance ${KFP_SQL}`,
      schedule: '0 3 * * *',
      timeZone: 'America/Chicago',
      retryConfig: { retryCount: 3, minBackoffDuration: '5s', maxBackoffDuration: '300s' },
      pubsubTarget: {
        topicName: 'projects/acme-ops/topics/ops-commands',
        data: expect.any(String),
        attributes: {
          type: 'sql.backup',
          source: 'opsplane-schedule',
          job: `sql-backup-${KFP_SQL}`,
          schedule: '0 3 * * *',
          timeZone: 'America/Chicago',
        },
      },
    });
    expect(decode(backup?.pubsubTarget?.data ?? '')).toEqual({
      type: 'sql.backup',
      args: { instance: KFP_SQL, description: 'scheduled-nightly' },
      actor: `schedule:sql-backup-${KFP_SQL}`,
      reason: `scheduled nightly backup (sql-backup-${KFP_SQL})`,
      dryRun: false,
    });
    expect(backup?.httpTarget).toBeUndefined();
  });

  it('starts the off-hours runbook through the Executions API with the scheduler service account', () => {
    // Act
    const evening = resource('gpu-offhours-evening');
    const morning = resource('gpu-offhours-morning');
    // Assert
    expect(evening).toMatchObject({
      schedule: '0 19 * * MON-FRI',
      timeZone: 'America/Chicago',
      attemptDeadline: '180s',
      httpTarget: {
        uri: 'https://workflowexecutions.googleapis.com/v1/projects/acme-ops/locations/us-central1/workflows/gpu-offhours/executions',
        httpMethod: 'POST',
        headers: { 'Content-Type': 'application/json' },
        oauthToken: {
          serviceAccountEmail: 'opsplane-scheduler@acme-ops.iam.gserviceaccount.com',
          scope: 'https://www.googleapis.com/auth/cloud-platform',
        },
      },
    });
    expect(evening?.pubsubTarget).toBeUndefined();
    const body = decode(evening?.httpTarget?.body ?? '') as { argument: string };
    expect(JSON.parse(body.argument)).toEqual({
      mode: 'evening',
      pool: 'gpu-a100-pool',
      reason: 'scheduled GPU off-hours scale-down',
    });
    const morningBody = decode(morning?.httpTarget?.body ?? '') as { argument: string };
    expect(JSON.parse(morningBody.argument)).toMatchObject({
      mode: 'morning',
      pool: 'gpu-a100-pool',
      min: 0,
      max: 2,
    });
  });

  it('gives every job exactly one target and a name in the project and region', () => {
    // Assert
    expect(jobs).toHaveLength(manifest.jobs.length);
    for (const candidate of jobs) {
      expect(candidate.name).toMatch(/^projects\/acme-ops\/locations\/us-central1\/jobs\/[a-z][a-z0-9-]+$/);
      expect(Number(candidate.pubsubTarget !== undefined) + Number(candidate.httpTarget !== undefined)).toBe(
        1,
      );
    }
  });
});
