import type { PlatformState } from '../desired-state';
import { ConfigError } from '../errors';
import { createCronSchedule } from './cron';

/**
 * The schedule manifest: every recurring job of the control plane, declared once as data.
 * infra-bootstrap turns it into Cloud Scheduler jobs (`schedulerJobsOf`); the local scheduler runs
 * the same jobs under `npm start`; `opsplane schedules` lists them. Per-instance jobs (backups,
 * pruning) are derived from desired state, so that a new managed instance gets its jobs without
 * anyone editing a schedule.
 */

/** The topic command envelopes are published on (the same name locally and in a project). */
const COMMANDS_TOPIC = 'ops-commands';

/** The runbook that scales the GPU pool down for the night and back up in the morning. */
const GPU_OFFHOURS_WORKFLOW = 'gpu-offhours';

/** Publishes a command envelope on ops-commands, as a Cloud Scheduler Pub/Sub target does. */
interface CommandTarget {
  kind: 'command';
  topic: string;
  /** The command; the envelope's actor is `schedule:<job>`, its key `<job>@<scheduled time>`. */
  command: { type: string; args: Record<string, unknown>; reason: string };
}

/** Starts a Cloud Workflows execution, as a Cloud Scheduler HTTP target to the Executions API does. */
interface WorkflowTarget {
  kind: 'workflow';
  /** The workflow id, e.g. `gpu-offhours`. */
  workflow: string;
  /** The execution's argument. */
  argument: Record<string, unknown>;
}

type ScheduleTarget = CommandTarget | WorkflowTarget;

/** One recurring job. */
interface ScheduledJob {
  /** Cloud Scheduler job id and the `schedule:<name>` actor: letters, digits, hyphens. */
  name: string;
  description: string;
  /** Unix-cron, five fields. */
  cron: string;
  /** IANA zone the cron is read in. */
  timeZone: string;
  target: ScheduleTarget;
}

interface ScheduleManifest {
  jobs: readonly ScheduledJob[];
}

/** When the maintenance jobs run, in `timeZone`; chosen outside 01:00–03:00, which DST skips or repeats. */
interface MaintenanceTimes {
  /** Zone of the nightly jobs; default the GPU pool's off-hours zone, else UTC. */
  timeZone: string;
  sqlBackup: string;
  filestoreBackup: string;
  retentionPrune: string;
  keyAgeCheck: string;
  /** Reconcile cadence (read in UTC, so that it never skips or doubles at a DST change). */
  reconcile: string;
}

const DEFAULT_MAINTENANCE_CRONS = {
  sqlBackup: '0 3 * * *',
  filestoreBackup: '30 3 * * *',
  retentionPrune: '0 5 * * *',
  keyAgeCheck: '0 6 * * *',
  reconcile: '*/15 * * * *',
} as const;

interface ScheduleManifestOptions {
  maintenance?: Partial<MaintenanceTimes>;
  /** The command type the reconcile job sends. */
  reconcileCommand?: string;
}

/** `19:00` + weekdays → `0 19 * * MON-FRI`. */
const cronAt = (time: string, days: string): string => {
  const [hour = '0', minute = '0'] = time.split(':');
  return `${Number(minute)} ${Number(hour)} * * ${days}`;
};

/** Cloud Scheduler job ids and actor ids: lowercase letters, digits and hyphens. */
const jobNamePart = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');

const command = (type: string, args: Record<string, unknown>, reason: string): CommandTarget => ({
  kind: 'command',
  topic: COMMANDS_TOPIC,
  command: { type, args, reason },
});

/**
 * The manifest for a platform: nightly Cloud SQL backups and retention pruning per managed
 * instance, Filestore backups and pruning per managed instance, the daily key-age check per
 * service account of the key policy (`keys.check`: rotates a key once it is due), the GPU
 * pool's off-hours scale-down and restore (the gpu-offhours runbook), and reconcile every 15 minutes.
 *
 * @throws ConfigError when a job's cron or zone is invalid, or two jobs share a name.
 */
const scheduleManifestFor = (
  platform: PlatformState,
  options: ScheduleManifestOptions = {},
): ScheduleManifest => {
  const times: MaintenanceTimes = {
    timeZone: platform.gpuPools[platform.gke.gpuPool]?.offHours?.timeZone ?? 'UTC',
    ...DEFAULT_MAINTENANCE_CRONS,
    ...options.maintenance,
  };
  const nightly = (
    name: string,
    description: string,
    cron: string,
    target: ScheduleTarget,
  ): ScheduledJob => ({
    name,
    description,
    cron,
    timeZone: times.timeZone,
    target,
  });
  const jobs: ScheduledJob[] = [];
  for (const instance of platform.sql.instances) {
    jobs.push(
      nightly(
        `sql-backup-${jobNamePart(instance)}`,
        `Nightly on-demand backup of Cloud SQL instance ${instance}`,
        times.sqlBackup,
        command('sql.backup', { instance, description: 'scheduled-nightly' }, 'scheduled nightly backup'),
      ),
      nightly(
        `sql-prune-${jobNamePart(instance)}`,
        `Prune on-demand backups of ${instance} outside the retention policy (keep ${platform.sql.retention.keepDays} days, at least ${platform.sql.retention.minKeep})`,
        times.retentionPrune,
        command('sql.backups.prune', { instance }, 'scheduled retention pruning'),
      ),
    );
  }
  for (const instance of Object.keys(platform.filestore.instances)) {
    jobs.push(
      nightly(
        `filestore-backup-${jobNamePart(instance)}`,
        `Nightly backup of Filestore instance ${instance}`,
        times.filestoreBackup,
        command('filestore.backup', { instance }, 'scheduled nightly backup'),
      ),
      nightly(
        `filestore-prune-${jobNamePart(instance)}`,
        `Prune backups of ${instance} outside the retention policy (${platform.filestore.retention.keepDaily} daily, ${platform.filestore.retention.keepWeekly} weekly)`,
        times.retentionPrune,
        command('filestore.backups.prune', { instance }, 'scheduled retention pruning'),
      ),
    );
  }
  for (const serviceAccount of Object.keys(platform.keys.serviceAccounts)) {
    jobs.push(
      nightly(
        `key-age-${jobNamePart(serviceAccount.split('@')[0] ?? serviceAccount)}`,
        `Rotate the key of ${serviceAccount} once it is ${platform.keys.maxAgeDays} days old (key policy)`,
        times.keyAgeCheck,
        command('keys.check', { serviceAccount }, 'scheduled key-age check'),
      ),
    );
  }
  for (const [pool, policy] of Object.entries(platform.gpuPools)) {
    const offHours = policy.offHours;
    if (!offHours) continue;
    const bounds = policy.autoscaling;
    const days = offHours.weekends === 'off' ? 'MON-FRI' : '*';
    // The platform's GPU pool keeps the short names; any other pool's jobs carry its name.
    const prefix = pool === platform.gke.gpuPool ? 'gpu-offhours' : `gpu-offhours-${jobNamePart(pool)}`;
    jobs.push(
      {
        name: `${prefix}-evening`,
        description: `Scale GPU pool ${pool} down for the night (${offHours.scaleDownAt} ${offHours.timeZone}, ${days === '*' ? 'every day' : 'weekdays'})`,
        cron: cronAt(offHours.scaleDownAt, days),
        timeZone: offHours.timeZone,
        target: {
          kind: 'workflow',
          workflow: GPU_OFFHOURS_WORKFLOW,
          argument: { mode: 'evening', pool, reason: 'scheduled GPU off-hours scale-down' },
        },
      },
      {
        name: `${prefix}-morning`,
        description: `Restore GPU pool ${pool} to its autoscaling bounds ${bounds.minNodeCount}-${bounds.maxNodeCount} (${offHours.scaleUpAt} ${offHours.timeZone})`,
        cron: cronAt(offHours.scaleUpAt, days),
        timeZone: offHours.timeZone,
        target: {
          kind: 'workflow',
          workflow: GPU_OFFHOURS_WORKFLOW,
          argument: {
            mode: 'morning',
            pool,
            min: bounds.minNodeCount,
            max: bounds.maxNodeCount,
            reason: 'scheduled GPU off-hours restore',
          },
        },
      },
    );
  }
  jobs.push({
    name: 'reconcile',
    description: 'Compare desired state with the live platform and report (or fix) drift',
    cron: times.reconcile,
    timeZone: 'UTC',
    // Applies: changes only resources in enforce mode (their fixes through the normal command
    // path, approvals included); everything else is reported in the reconcile's result.
    target: command(
      options.reconcileCommand ?? 'reconcile.run',
      (options.reconcileCommand ?? 'reconcile.run') === 'reconcile.run' ? { apply: true } : {},
      'scheduled reconcile',
    ),
  });
  return validateManifest({ jobs });
};

/**
 * Checks a manifest: unique, well-formed names, parseable crons and known zones.
 *
 * @throws ConfigError naming the first bad job.
 */
const validateManifest = (manifest: ScheduleManifest): ScheduleManifest => {
  const seen = new Set<string>();
  for (const job of manifest.jobs) {
    // Short enough for `<job>@manual-<ISO time>` to stay a valid idempotency key (200 characters).
    if (!/^[a-z][a-z0-9-]{0,149}$/.test(job.name))
      throw new ConfigError(
        `schedule job name "${job.name}" must be up to 150 lowercase letters, digits, hyphens`,
      );
    if (seen.has(job.name)) throw new ConfigError(`two schedule jobs are named ${job.name}`);
    seen.add(job.name);
    createCronSchedule(job.cron, job.timeZone);
  }
  return manifest;
};

/** Looks a job up by name. @throws ConfigError listing the known names. */
const jobNamed = (manifest: ScheduleManifest, name: string): ScheduledJob => {
  const job = manifest.jobs.find((candidate) => candidate.name === name);
  if (!job)
    throw new ConfigError(
      `no schedule job ${name}; jobs: ${manifest.jobs.map((known) => known.name).join(', ')}`,
    );
  return job;
};

export type {
  CommandTarget,
  MaintenanceTimes,
  ScheduledJob,
  ScheduleManifest,
  ScheduleManifestOptions,
  ScheduleTarget,
  WorkflowTarget,
};
export {
  COMMANDS_TOPIC,
  DEFAULT_MAINTENANCE_CRONS,
  GPU_OFFHOURS_WORKFLOW,
  jobNamed,
  scheduleManifestFor,
  validateManifest,
};
