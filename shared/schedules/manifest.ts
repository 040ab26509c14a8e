import { z } from 'zod';
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

/** `HH:MM`, 24-hour. */
const ClockTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');

/**
 * The GPU pool's off-hours window (the fixture's `opsPolicy.offHours`): scaled down on weekday
 * evenings and restored on weekday mornings; with `weekends: 'off'` the pool stays down from
 * Friday evening to Monday morning.
 */
const OffHoursPolicySchema = z
  .object({
    /** Node pool; default the platform's GPU pool. */
    nodePool: z.string().min(1).optional(),
    timeZone: z.string().min(1),
    scaleDownAt: ClockTimeSchema,
    scaleUpAt: ClockTimeSchema,
    /** `off`: no scale-up on Saturday and Sunday mornings, and no extra scale-down on their evenings. */
    weekends: z.enum(['off', 'on']),
  })
  .strict();

type OffHoursPolicy = z.infer<typeof OffHoursPolicySchema>;

/** The ops catalog's off-hours window (§2.2), as the acme fixture states it. */
const DEFAULT_OFF_HOURS: OffHoursPolicy = {
  timeZone: 'America/Chicago',
  scaleDownAt: '19:00',
  scaleUpAt: '07:00',
  weekends: 'off',
};

/**
 * The off-hours policy of a fixture (`opsPolicy.offHours`), or undefined when it states none.
 *
 * @throws ConfigError when it states one that is malformed.
 */
const offHoursFromFixture = (fixture: unknown): OffHoursPolicy | undefined => {
  const raw = (fixture as { opsPolicy?: { offHours?: Record<string, unknown> } } | undefined)?.opsPolicy
    ?.offHours;
  if (!raw) return undefined;
  const weekdays = (raw.weekdays ?? {}) as Record<string, unknown>;
  const parsed = OffHoursPolicySchema.safeParse({
    ...(typeof raw.nodePool === 'string' ? { nodePool: raw.nodePool } : {}),
    timeZone: raw.timezone ?? raw.timeZone,
    scaleDownAt: weekdays.scaleDownAt,
    scaleUpAt: weekdays.scaleUpAt,
    weekends: raw.weekends,
  });
  if (!parsed.success) {
    throw new ConfigError(`opsPolicy.offHours is invalid: ${parsed.error.issues[0]?.message ?? 'malformed'}`);
  }
  return parsed.data;
};

/** When the maintenance jobs run, in `timeZone`; chosen outside 01:00–03:00, which DST skips or repeats. */
interface MaintenanceTimes {
  /** Zone of the nightly jobs; default the off-hours zone. */
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
  offHours?: OffHoursPolicy;
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
  const offHours = options.offHours ?? DEFAULT_OFF_HOURS;
  const times: MaintenanceTimes = {
    timeZone: offHours.timeZone,
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
  const pool = offHours.nodePool ?? platform.gke.gpuPool;
  const bounds = platform.gpuPools[pool]?.autoscaling;
  if (!bounds)
    throw new ConfigError(
      `the off-hours policy names GPU pool ${pool}, which desired state has no policy for`,
    );
  const days = offHours.weekends === 'off' ? 'MON-FRI' : '*';
  jobs.push(
    {
      name: 'gpu-offhours-evening',
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
      name: 'gpu-offhours-morning',
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
    {
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
    },
  );
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
  OffHoursPolicy,
  ScheduledJob,
  ScheduleManifest,
  ScheduleManifestOptions,
  ScheduleTarget,
  WorkflowTarget,
};
export {
  COMMANDS_TOPIC,
  DEFAULT_MAINTENANCE_CRONS,
  DEFAULT_OFF_HOURS,
  GPU_OFFHOURS_WORKFLOW,
  jobNamed,
  OffHoursPolicySchema,
  offHoursFromFixture,
  scheduleManifestFor,
  validateManifest,
};
