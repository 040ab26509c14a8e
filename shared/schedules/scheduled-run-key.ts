import { createCronSchedule } from './cron';
import { runKeyOf } from './schedule-tick';

/**
 * The idempotency key of a command Cloud Scheduler published. A Pub/Sub target publishes the same
 * bytes on every run, so its envelope carries no key; and a publish that Cloud Scheduler retries
 * (retryConfig) is a new message with a new id, which the message-id key would run twice. The job's
 * message attributes carry its cron and zone (`messageAttributesOf`), so the command function can
 * tell which run a message belongs to from its publish time: the latest scheduled time at or before
 * it. That is `<job>@<scheduled time>`, the key the local scheduler puts in its envelopes, so a run
 * is one operation however many times, and by whichever scheduler, it was published.
 */

/** Cloud Scheduler fires at the scheduled time; Pub/Sub's publish time may read a little earlier. */
const CLOCK_SKEW_MS = 60_000;
/** How far back a scheduled time is looked for: a week covers every cron the manifest uses. */
const LOOKBACK_MS = 8 * 24 * 3_600_000;

/**
 * `<job>@<scheduled time>` for a message a schedule published, or undefined when the message is not
 * one (no `source: opsplane-schedule` with job, schedule and zone attributes), its actor is not
 * that job's, it has no publish time, or its cron cannot be read (then the message id keys it).
 */
const scheduledRunKeyOf = (
  attributes: Readonly<Record<string, string>>,
  publishTime: string | undefined,
  actor: string | undefined,
): string | undefined => {
  const { source, job, schedule, timeZone } = attributes;
  if (source !== 'opsplane-schedule' || !job || !schedule || !timeZone || !publishTime) return undefined;
  if (actor !== `schedule:${job}`) return undefined;
  const published = Date.parse(publishTime);
  if (Number.isNaN(published)) return undefined;
  let runs: Date[];
  try {
    const until = new Date(published + CLOCK_SKEW_MS);
    runs = createCronSchedule(schedule, timeZone).runsBetween(new Date(until.getTime() - LOOKBACK_MS), until);
  } catch {
    return undefined;
  }
  const scheduledAt = runs.at(-1);
  return scheduledAt ? runKeyOf(job, scheduledAt, false) : undefined;
};

export { scheduledRunKeyOf };
