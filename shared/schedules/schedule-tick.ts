import { toControlPlaneError } from '../errors';
import type { OperationLedger, OperationStatus } from '../ledger';
import type { Logger } from '../logging';
import type { Clock } from '../time';
import type { ScheduledJob } from './manifest';
import { isStartedRun, type ScheduleRunEntry, type ScheduleRunLog } from './schedule-runs';
import { envelopeOf, messageAttributesOf } from './scheduler-jobs';

/**
 * One run of a scheduled job: what a Cloud Scheduler tick does, plus what Cloud Scheduler gives
 * for free and the local scheduler must do itself.
 * - The message is the Cloud Scheduler job's (topic, body, attributes), and the body carries the
 *   idempotency key `<job>@<scheduled time>`, so that a command tick delivered twice runs once
 *   (the ledger dedupes by key).
 * - A tick already recorded as gone out is not sent again (a workflow execution has no key).
 * - Overlap: when the job's previous run is still running (its ledger record `running` or
 *   `pending_approval`; a workflow execution still ACTIVE), the tick is skipped, and recorded.
 * Every run, sent, skipped or failed, is appended to the job's run log.
 */

/** A message for a topic, as the tick publishes it. */
interface ScheduleMessage {
  topic: string;
  /** The JSON body. */
  json: Record<string, unknown>;
  attributes: Record<string, string>;
}

/** Publishes on a topic; resolves with the message id. */
type SchedulePublish = (message: ScheduleMessage) => Promise<string>;

/** Starts a workflow execution; resolves with its resource name. */
type StartExecution = (workflow: string, argument: Record<string, unknown>) => Promise<{ name: string }>;

interface ScheduleTickDeps {
  publish: SchedulePublish;
  /** Needed by workflow jobs; without it they fail (and are recorded as failed). */
  startExecution?: StartExecution;
  /** Whether an execution is still running; without it workflow runs are never seen as overlapping. */
  executionActive?: (name: string) => Promise<boolean>;
  ledger: Pick<OperationLedger, 'get'>;
  runs: ScheduleRunLog;
  clock: Clock;
  logger: Logger;
}

/** A run as the tick reports it: the log entry, and whether it was a repeat of a handled tick. */
interface ScheduleRunResult {
  entry: ScheduleRunEntry;
  /** The tick had been handled before; nothing was sent this time. */
  duplicate: boolean;
}

/** Ledger statuses of an operation that is not over yet. */
const UNFINISHED: ReadonlySet<OperationStatus> = new Set(['running', 'pending_approval']);

/** `<job>@<scheduled time>` for a scheduled run, `<job>@manual-<time>` for one asked for by hand. */
const runKeyOf = (job: string, at: Date, manual: boolean): string =>
  `${job}@${manual ? 'manual-' : ''}${at.toISOString()}`;

/** The message a command job's run publishes: Cloud Scheduler's, with the run's idempotency key. */
const tickMessageOf = (job: ScheduledJob, key: string): ScheduleMessage | undefined => {
  const envelope = envelopeOf(job);
  if (!envelope || job.target.kind !== 'command') return undefined;
  return {
    topic: job.target.topic,
    json: { ...envelope, idempotencyKey: key },
    attributes: messageAttributesOf(job),
  };
};

/** The key of the previous run when it is still running, else undefined. */
const overlappingRun = async (
  last: ScheduleRunEntry | undefined,
  deps: ScheduleTickDeps,
): Promise<string | undefined> => {
  if (!last) return undefined;
  if (last.execution) {
    return deps.executionActive && (await deps.executionActive(last.execution)) ? last.key : undefined;
  }
  const record = await deps.ledger.get(last.key);
  return record && UNFINISHED.has(record.status) ? last.key : undefined;
};

/**
 * Runs `job` for its run due at `scheduledAt` (or, `manual`, now). Never throws for a failed
 * publish: the failure is logged and recorded, and the next tick goes on.
 */
const runScheduledJob = async (
  job: ScheduledJob,
  when: { scheduledAt: Date; manual?: boolean },
  deps: ScheduleTickDeps,
): Promise<ScheduleRunResult> => {
  const manual = when.manual ?? false;
  const key = runKeyOf(job.name, when.scheduledAt, manual);
  const scheduledAt = when.scheduledAt.toISOString();
  const logger = deps.logger.child({ job: job.name, key });
  const previous = await deps.runs.get(job.name);
  const handled = previous?.history.find((entry) => entry.key === key && isStartedRun(entry));
  if (handled) {
    logger.info('schedule tick already handled; not sent again');
    return { entry: handled, duplicate: true };
  }
  const record = async (entry: Omit<ScheduleRunEntry, 'scheduledAt' | 'key' | 'manual' | 'at'>) => {
    const full: ScheduleRunEntry = { scheduledAt, key, manual, ...entry, at: deps.clock.now().toISOString() };
    await deps.runs.append(job.name, full);
    return { entry: full, duplicate: false };
  };
  const blockedBy = await overlappingRun(previous?.last, deps);
  if (blockedBy) {
    logger.info('previous run still running; tick skipped', { blockedBy });
    return record({ outcome: 'skipped-overlap', blockedBy });
  }
  try {
    if (job.target.kind === 'workflow') {
      if (!deps.startExecution) throw new Error('this scheduler cannot start workflow executions');
      const execution = await deps.startExecution(job.target.workflow, job.target.argument);
      logger.info('scheduled workflow execution started', { execution: execution.name });
      return record({ outcome: 'execution-started', execution: execution.name });
    }
    const message = tickMessageOf(job, key);
    if (!message) throw new Error(`job ${job.name} has no message`);
    const messageId = await deps.publish(message);
    logger.info('scheduled command published', { type: job.target.command.type, messageId });
    return record({ outcome: 'published', messageId });
  } catch (thrown) {
    const error = toControlPlaneError(thrown);
    logger.warn('scheduled run failed', { error: error.toRecord() });
    return record({ outcome: 'failed', error: error.message });
  }
};

export type { ScheduleMessage, SchedulePublish, ScheduleRunResult, ScheduleTickDeps, StartExecution };
export { runKeyOf, runScheduledJob, tickMessageOf };
