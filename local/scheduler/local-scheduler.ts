import type { OperationLedger } from '../../shared/ledger';
import type { Logger } from '../../shared/logging';
import {
  type CronSchedule,
  createCronSchedule,
  jobNamed,
  runScheduledJob,
  type ScheduleManifest,
  type SchedulePublish,
  type ScheduleRunLog,
  type ScheduleRunResult,
  type StartExecution,
} from '../../shared/schedules';
import type { Clock } from '../../shared/time';

/**
 * The local scheduler: Cloud Scheduler for `npm start` and the tests. It runs the manifest's jobs
 * on a Clock (the system clock under `npm start`, a ManualClock in tests, so that a simulated week
 * costs seconds), each run exactly as `runScheduledJob` does it: the Cloud Scheduler message with
 * its idempotency key, overlap skipped and recorded.
 *
 * Each job's first run is its first scheduled time after the scheduler starts. When the clock moves
 * past several runs at once (a virtual clock jump, a laptop waking up), every run in between is
 * fired, oldest first across jobs; each has its own key, so none runs twice.
 */

interface LocalSchedulerOptions {
  manifest: ScheduleManifest;
  clock: Clock;
  /** Publishes on a topic (ops-commands), resolving with the message id. */
  publish: SchedulePublish;
  /** Starts a workflow execution (the gpu-offhours jobs); without it those runs are recorded failed. */
  startExecution?: StartExecution;
  /** Whether an execution is still running (overlap of workflow jobs). */
  executionActive?: (name: string) => Promise<boolean>;
  /** The operation ledger: where a command run's previous run is looked up. */
  ledger: Pick<OperationLedger, 'get'>;
  runs: ScheduleRunLog;
  logger: Logger;
  /**
   * How often (real milliseconds) the scheduler looks at the clock; 0: never on its own (tests
   * call `tick()` after moving a ManualClock). Default 1000.
   */
  checkIntervalMs?: number;
}

/** A job and when it runs next. */
interface JobNextRun {
  job: string;
  nextRun: Date;
}

interface LocalScheduler {
  /** Fires every run due by the clock's now, oldest first; resolves with what each did. */
  tick(): Promise<ScheduleRunResult[]>;
  /** Runs a job now, keyed `<job>@manual-<now>` (its schedule is unchanged). @throws ConfigError for an unknown job. */
  runJobNow(name: string): Promise<ScheduleRunResult>;
  /** Each job's next run. */
  nextRuns(): JobNextRun[];
  /** Stops the timer and waits for a tick in progress. */
  stop(): Promise<void>;
}

/** Starts the scheduler; with `checkIntervalMs` > 0 it ticks on its own until stopped. */
const startLocalScheduler = (options: LocalSchedulerOptions): LocalScheduler => {
  const deps = {
    publish: options.publish,
    ...(options.startExecution ? { startExecution: options.startExecution } : {}),
    ...(options.executionActive ? { executionActive: options.executionActive } : {}),
    ledger: options.ledger,
    runs: options.runs,
    clock: options.clock,
    logger: options.logger,
  };
  const startedAt = options.clock.now();
  const schedules = new Map<string, { schedule: CronSchedule; next: Date }>();
  for (const job of options.manifest.jobs) {
    const schedule = createCronSchedule(job.cron, job.timeZone);
    schedules.set(job.name, { schedule, next: schedule.nextRun(startedAt) });
  }
  // One tick at a time: a tick that takes longer than the interval is not overlapped by the next.
  let running: Promise<ScheduleRunResult[]> | undefined;

  const fireDue = async (): Promise<ScheduleRunResult[]> => {
    const results: ScheduleRunResult[] = [];
    for (;;) {
      const now = options.clock.now().getTime();
      let due: { name: string; at: Date } | undefined;
      for (const [name, state] of schedules) {
        if (state.next.getTime() <= now && (!due || state.next.getTime() < due.at.getTime())) {
          due = { name, at: state.next };
        }
      }
      if (!due) return results;
      const state = schedules.get(due.name);
      if (!state) return results;
      state.next = state.schedule.nextRun(due.at);
      const job = jobNamed(options.manifest, due.name);
      results.push(await runScheduledJob(job, { scheduledAt: due.at }, deps));
    }
  };

  const tick = (): Promise<ScheduleRunResult[]> => {
    const previous = running ?? Promise.resolve([]);
    const next = previous.then(fireDue);
    running = next;
    return next.finally(() => {
      if (running === next) running = undefined;
    });
  };

  const interval = options.checkIntervalMs ?? 1000;
  const timer =
    interval > 0
      ? setInterval(() => {
          if (running) return;
          tick().catch((error: unknown) =>
            options.logger.error('schedule tick failed', { error: String(error) }),
          );
        }, interval)
      : undefined;
  timer?.unref();

  return {
    tick,
    async runJobNow(name) {
      const job = jobNamed(options.manifest, name);
      return runScheduledJob(job, { scheduledAt: options.clock.now(), manual: true }, deps);
    },
    nextRuns: () => [...schedules].map(([job, state]) => ({ job, nextRun: state.next })),
    async stop() {
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
};

export type { JobNextRun, LocalScheduler, LocalSchedulerOptions };
export { startLocalScheduler };
