import { parseArgs } from 'node:util';
import { type Command, parseCommand } from '../../shared/commands';
import type { PlatformState } from '../../shared/desired-state';
import { InvalidCommandError } from '../../shared/errors';
import {
  createCronSchedule,
  envelopeOf,
  formatInZone,
  jobNamed,
  runKeyOf,
  type ScheduledJob,
  type ScheduleManifest,
  scheduleManifestFor,
  schedulerJobsOf,
} from '../../shared/schedules';
import { type CliContext, EXIT, UsageError } from '../cli-context';
import { HELP_WORDS, wantsHelp } from './subcommand-spec';

/** Usage of `opsplane schedules`, also part of the top-level help. */
const SCHEDULES_USAGE = `usage:
  opsplane schedules [--json]
  opsplane schedules run JOB [--force] [--json]
  opsplane schedules export --project P --region R [--service-account EMAIL]

  Lists the scheduled jobs (derived from desired state: backups and pruning per managed
  instance, the key-age check, GPU off-hours, reconcile) with their next run in the job's time
  zone and in UTC. run JOB runs one now as its schedule would: a command job publishes its
  command as schedule:JOB (requestedBy you) with key JOB@manual-<time>, and is refused while an
  earlier run of the job is still running (--force sends it anyway); an off-hours job starts the
  gpu-offhours runbook. export prints the jobs as Cloud Scheduler v1 job resources (JSON), the
  bodies to create in the control plane's project P and region R.`;

/** Builds the manifest from desired state (tests pass their own). */
type ManifestFor = (platform: PlatformState) => ScheduleManifest;

/** One line of what a job does, e.g. `sql.backup {"instance":"x"}` or `workflow gpu-offhours {"mode":"evening"}`. */
const targetSummary = (job: ScheduledJob): string =>
  job.target.kind === 'command'
    ? `${job.target.command.type} ${JSON.stringify(job.target.command.args)}`
    : `workflow ${job.target.workflow} ${JSON.stringify(job.target.argument)}`;

const listJobs = (ctx: CliContext, manifest: ScheduleManifest, json: boolean): number => {
  const now = ctx.clock.now();
  const rows = manifest.jobs.map((job) => {
    const next = createCronSchedule(job.cron, job.timeZone).nextRun(now);
    return { job, next };
  });
  if (json) {
    ctx.out(
      JSON.stringify(
        rows.map(({ job, next }) => ({
          name: job.name,
          description: job.description,
          cron: job.cron,
          timeZone: job.timeZone,
          nextRun: next.toISOString(),
          nextRunLocal: formatInZone(next, job.timeZone),
          target: job.target,
        })),
        null,
        2,
      ),
    );
    return EXIT.ok;
  }
  const header = ['JOB', 'SCHEDULE', 'NEXT RUN (JOB ZONE)', 'NEXT RUN (UTC)', 'RUNS'];
  const table = [
    header,
    ...rows.map(({ job, next }) => [
      job.name,
      `${job.cron} ${job.timeZone}`,
      formatInZone(next, job.timeZone),
      `${next.toISOString().slice(0, 16).replace('T', ' ')}Z`,
      targetSummary(job),
    ]),
  ];
  const widths = header.map((_, column) => Math.max(...table.map((row) => (row[column] ?? '').length)));
  for (const row of table)
    ctx.out(
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  '),
    );
  return EXIT.ok;
};

/** The command a manual run of a command job publishes; throws InvalidCommandError when the catalog refuses it. */
const manualCommandOf = (job: ScheduledJob, key: string, actor: string): Command => {
  const envelope = envelopeOf(job) ?? {};
  return parseCommand({
    ...envelope,
    idempotencyKey: key,
    ...(/^user:/.test(actor) ? { requestedBy: actor } : {}),
  });
};

const runJob = async (
  ctx: CliContext,
  manifest: ScheduleManifest,
  name: string,
  flags: { force: boolean; json: boolean },
): Promise<number> => {
  let job: ScheduledJob;
  try {
    job = jobNamed(manifest, name);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const now = ctx.clock.now();
  const key = runKeyOf(job.name, now, true);
  if (job.target.kind === 'workflow') {
    const runbooks = await ctx.connectRunbooks();
    try {
      const execution = await runbooks.start(job.target.workflow, {
        ...job.target.argument,
        ...(/^user:/.test(ctx.actor()) ? { requestedBy: ctx.actor() } : {}),
      });
      if (flags.json)
        ctx.out(JSON.stringify({ job: job.name, execution: execution.id, state: execution.state }));
      else
        ctx.out(
          `started ${job.name} as execution ${execution.id}; follow it with: opsplane runbook status ${execution.id}`,
        );
      return EXIT.ok;
    } finally {
      await runbooks.close();
    }
  }
  let command: Command;
  try {
    command = manualCommandOf(job, key, ctx.actor());
  } catch (error) {
    if (!(error instanceof InvalidCommandError)) throw error;
    ctx.err(`opsplane: job ${job.name} sends a command this control plane refuses: ${error.message}`);
    return EXIT.operationFailed;
  }
  const client = await ctx.connect();
  try {
    if (!flags.force) {
      const actor = `schedule:${job.name}`;
      const unfinished = [
        ...(await client.listOperations({ limit: 200, status: 'running' })),
        ...(await client.listOperations({ limit: 200, status: 'pending_approval' })),
      ].filter((record) => record.actor === actor);
      const blocking = unfinished[0];
      if (blocking) {
        ctx.err(
          `opsplane: an earlier run of ${job.name} is still ${blocking.status} (operation ${blocking.id}); not sent. --force sends it anyway.`,
        );
        return EXIT.operationFailed;
      }
    }
    const messageId = await client.submit(command);
    if (flags.json)
      ctx.out(JSON.stringify({ job: job.name, operationId: key, messageId, status: 'submitted' }));
    else
      ctx.out(
        `submitted ${command.type} for ${job.name} as operation ${key}; follow it with: opsplane ops show ${key}`,
      );
    return EXIT.ok;
  } finally {
    await client.close();
  }
};

/**
 * `opsplane schedules …`: the scheduled jobs and their next runs; `run JOB` runs one now; `export`
 * prints them as Cloud Scheduler jobs. The manifest comes from desired state through `manifestFor`.
 */
const runSchedulesCommand = async (
  ctx: CliContext,
  argv: string[],
  manifestFor: ManifestFor = (platform) => scheduleManifestFor(platform),
): Promise<number> => {
  if (wantsHelp(argv) || HELP_WORDS.has(argv[0] ?? '')) {
    ctx.out(SCHEDULES_USAGE);
    return EXIT.ok;
  }
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      project: { type: 'string' },
      region: { type: 'string' },
      'service-account': { type: 'string' },
    },
    allowPositionals: true,
  });
  const [verb, name, ...extra] = positionals;
  if (verb !== undefined && verb !== 'run' && verb !== 'export')
    throw new UsageError(`unknown schedules command "${verb}"\n${SCHEDULES_USAGE}`);
  const exportFlags = [values.project, values.region, values['service-account']];
  if (verb === 'export') {
    if (name !== undefined) throw new UsageError(`schedules export takes no JOB\n${SCHEDULES_USAGE}`);
    if (!values.project || !values.region)
      throw new UsageError(`schedules export needs --project and --region\n${SCHEDULES_USAGE}`);
  } else if (exportFlags.some((flag) => flag !== undefined)) {
    throw new UsageError('--project, --region and --service-account go with schedules export');
  }
  if (verb === 'run' && (name === undefined || extra.length > 0))
    throw new UsageError(`schedules run takes one JOB\n${SCHEDULES_USAGE}`);
  if (verb === undefined && values.force) throw new UsageError('--force goes with schedules run');
  const client = await ctx.connect();
  let manifest: ScheduleManifest;
  try {
    manifest = manifestFor(await client.getPlatform());
  } finally {
    await client.close();
  }
  if (verb === 'run' && name !== undefined)
    return runJob(ctx, manifest, name, { force: values.force === true, json: values.json === true });
  if (verb === 'export' && values.project && values.region) {
    const jobs = schedulerJobsOf(manifest, {
      projectId: values.project,
      region: values.region,
      ...(values['service-account'] ? { serviceAccountEmail: values['service-account'] } : {}),
    });
    ctx.out(JSON.stringify(jobs, null, 2));
    return EXIT.ok;
  }
  return listJobs(ctx, manifest, values.json === true);
};

export type { ManifestFor };
export { runSchedulesCommand, SCHEDULES_USAGE };
