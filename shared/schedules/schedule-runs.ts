import { StateConflictError } from '../errors';
import { type DocumentStore, MAX_CONCURRENT_RETRIES } from '../store';

/**
 * What became of each run of each scheduled job: one `scheduleRuns/<job>` document with the last
 * run that was started and a bounded history. The local scheduler reads it to find a job's previous
 * run (overlap), to recognise a tick it already handled (a tick delivered twice), and
 * `opsplane schedules` shows it.
 */

/** Firestore collection of the run log. */
const SCHEDULE_RUNS_COLLECTION = 'scheduleRuns';

/** How many runs each job's history keeps. */
const DEFAULT_HISTORY_LIMIT = 200;

/**
 * `published`: the command went out on ops-commands. `execution-started`: the workflow execution
 * was created. `skipped-overlap`: the previous run was still running. `failed`: publishing or
 * starting failed (the next tick tries again).
 */
type ScheduleRunOutcome = 'published' | 'execution-started' | 'skipped-overlap' | 'failed';

interface ScheduleRunEntry {
  /** When the run was due (manual runs: when asked), RFC 3339 UTC. */
  scheduledAt: string;
  /** The idempotency key: `<job>@<scheduledAt>`, or `<job>@manual-<time>`. */
  key: string;
  outcome: ScheduleRunOutcome;
  manual: boolean;
  /** skipped-overlap: the key of the run still running. */
  blockedBy?: string;
  /** execution-started: the execution's resource name. */
  execution?: string;
  /** published: the Pub/Sub message id. */
  messageId?: string;
  /** failed: why. */
  error?: string;
  /** When this entry was written. */
  at: string;
}

interface ScheduleRunsRecord {
  job: string;
  /** The last run that went out (published or started): the one a new tick may overlap. */
  last?: ScheduleRunEntry;
  /** Oldest first, at most the history limit. */
  history: ScheduleRunEntry[];
  updatedAt: string;
}

const STARTED: ReadonlySet<ScheduleRunOutcome> = new Set(['published', 'execution-started']);

/** True when the run went out (as opposed to skipped or failed). */
const isStartedRun = (entry: ScheduleRunEntry): boolean => STARTED.has(entry.outcome);

/** The run log over a document store (Firestore in the stack, in memory in tests). */
class ScheduleRunLog {
  readonly #store: DocumentStore<ScheduleRunsRecord>;
  readonly #historyLimit: number;

  constructor(store: DocumentStore<ScheduleRunsRecord>, historyLimit = DEFAULT_HISTORY_LIMIT) {
    this.#store = store;
    this.#historyLimit = historyLimit;
  }

  async get(job: string): Promise<ScheduleRunsRecord | undefined> {
    return (await this.#store.get(job))?.doc;
  }

  /** Appends a run to the job's history (and makes it `last` when it went out). */
  async append(job: string, entry: ScheduleRunEntry): Promise<ScheduleRunsRecord> {
    for (let round = 0; round < MAX_CONCURRENT_RETRIES; round += 1) {
      const current = await this.#store.get(job);
      const previous = current?.doc ?? { job, history: [], updatedAt: entry.at };
      const next: ScheduleRunsRecord = {
        ...previous,
        ...(isStartedRun(entry) ? { last: entry } : {}),
        history: [...previous.history, entry].slice(-this.#historyLimit),
        updatedAt: entry.at,
      };
      const written = current
        ? await this.#store.replace(job, next, current.version)
        : await this.#store.create(job, next);
      if (written) return next;
    }
    throw new StateConflictError(`could not record a run of schedule job ${job}: too much contention`);
  }
}

export type { ScheduleRunEntry, ScheduleRunOutcome, ScheduleRunsRecord };
export { DEFAULT_HISTORY_LIMIT, isStartedRun, SCHEDULE_RUNS_COLLECTION, ScheduleRunLog };
