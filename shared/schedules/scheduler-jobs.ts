import type { ScheduledJob, ScheduleManifest } from './manifest';

/**
 * The manifest as Cloud Scheduler v1 job resources, the bodies infra-bootstrap sends to
 * `POST /v1/projects/{p}/locations/{l}/jobs`. A command job publishes the command envelope on
 * ops-commands (actor `schedule:<job>`); a workflow job POSTs to the Workflow Executions API with
 * the scheduler's service account's OAuth token.
 *
 * Cloud Scheduler publishes the same bytes on every run, so the envelope carries no idempotency key;
 * the message's attributes carry the job's cron and zone instead, and the command function keys
 * the operation `<job>@<scheduled time>` from the publish time (scheduled-run-key.ts), so a publish
 * Cloud Scheduler retries runs once. The local scheduler puts the same key in its envelopes.
 */

/** `pubsubTarget` of a job. */
interface PubsubTargetResource {
  /** `projects/{p}/topics/{t}`: Cloud Scheduler only publishes to topics of its own project. */
  topicName: string;
  /** The message body, base64. */
  data: string;
  attributes: Record<string, string>;
}

/** `httpTarget` of a job. */
interface HttpTargetResource {
  uri: string;
  httpMethod: 'POST';
  headers: Record<string, string>;
  /** The request body, base64. */
  body: string;
  oauthToken: { serviceAccountEmail: string; scope: string };
}

/** A Cloud Scheduler job, as created (output-only fields left out). */
interface SchedulerJobResource {
  /** `projects/{p}/locations/{l}/jobs/{job}`. */
  name: string;
  description: string;
  schedule: string;
  timeZone: string;
  pubsubTarget?: PubsubTargetResource;
  httpTarget?: HttpTargetResource;
  retryConfig: { retryCount: number; minBackoffDuration: string; maxBackoffDuration: string };
  /** Ignored for Pub/Sub targets; for HTTP targets, how long starting an execution may take. */
  attemptDeadline?: string;
}

interface SchedulerJobsOptions {
  /** The control plane's project (topics, workflows, Cloud Scheduler). */
  projectId: string;
  /** Cloud Scheduler's and Cloud Workflows' region. */
  region: string;
  /** Who calls the Executions API; default `opsplane-scheduler@{projectId}.iam.gserviceaccount.com`. */
  serviceAccountEmail?: string;
}

/** The command envelope a command job publishes (without a key: Cloud Scheduler's body is fixed). */
const envelopeOf = (job: ScheduledJob): Record<string, unknown> | undefined =>
  job.target.kind === 'command'
    ? {
        type: job.target.command.type,
        args: job.target.command.args,
        actor: `schedule:${job.name}`,
        reason: `${job.target.command.reason} (${job.name})`,
        dryRun: false,
      }
    : undefined;

/**
 * Attributes of every message a schedule publishes, so subscribers and logs can tell them apart;
 * a command's also carry the job's cron and zone, which key its run (scheduledRunKeyOf).
 */
const messageAttributesOf = (job: ScheduledJob): Record<string, string> =>
  job.target.kind === 'command'
    ? {
        type: job.target.command.type,
        source: 'opsplane-schedule',
        job: job.name,
        schedule: job.cron,
        timeZone: job.timeZone,
      }
    : { source: 'opsplane-schedule', job: job.name };

/** The Executions API's create-execution body: the argument as a JSON string. */
const executionRequestOf = (argument: Record<string, unknown>): { argument: string } => ({
  argument: JSON.stringify(argument),
});

const base64Json = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64');

/** One job of the manifest as a Cloud Scheduler resource. */
const schedulerJobOf = (job: ScheduledJob, options: SchedulerJobsOptions): SchedulerJobResource => {
  const common = {
    name: `projects/${options.projectId}/locations/${options.region}/jobs/${job.name}`,
    description: job.description,
    schedule: job.cron,
    timeZone: job.timeZone,
    retryConfig: { retryCount: 3, minBackoffDuration: '5s', maxBackoffDuration: '300s' },
  };
  if (job.target.kind === 'command') {
    return {
      ...common,
      pubsubTarget: {
        topicName: `projects/${options.projectId}/topics/${job.target.topic}`,
        data: base64Json(envelopeOf(job)),
        attributes: messageAttributesOf(job),
      },
    };
  }
  return {
    ...common,
    httpTarget: {
      uri: `https://workflowexecutions.googleapis.com/v1/projects/${options.projectId}/locations/${options.region}/workflows/${job.target.workflow}/executions`,
      httpMethod: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: base64Json(executionRequestOf(job.target.argument)),
      oauthToken: {
        serviceAccountEmail:
          options.serviceAccountEmail ?? `opsplane-scheduler@${options.projectId}.iam.gserviceaccount.com`,
        scope: 'https://www.googleapis.com/auth/cloud-platform',
      },
    },
    attemptDeadline: '180s',
  };
};

/** Every job of the manifest as the Cloud Scheduler resource infra-bootstrap creates. */
const schedulerJobsOf = (manifest: ScheduleManifest, options: SchedulerJobsOptions): SchedulerJobResource[] =>
  manifest.jobs.map((job) => schedulerJobOf(job, options));

export type { HttpTargetResource, PubsubTargetResource, SchedulerJobResource, SchedulerJobsOptions };
export { envelopeOf, executionRequestOf, messageAttributesOf, schedulerJobOf, schedulerJobsOf };
