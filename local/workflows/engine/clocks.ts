import type { WorkflowClock } from './runtime-types';

/** setTimeout takes at most 2^31-1 ms; longer sleeps (a day, a year) are waited out in chunks. */
const MAX_TIMER_MS = 2_147_483_647;

/** The reason a sleep rejects with when its signal is aborted (the signal's own reason if any). */
const abortReason = (signal: AbortSignal): unknown =>
  signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');

/** Waits `ms` of wall time (in chunks that setTimeout accepts), rejecting when `signal` aborts. */
const wallSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const deadline = Date.now() + Math.max(0, ms);
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      if (timer) clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    const arm = (): void => {
      const left = deadline - Date.now();
      if (left <= 0) {
        signal?.removeEventListener('abort', onAbort);
        resolve();
        return;
      }
      timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    arm();
  });

/** Real time: `now()` is the wall clock, a sleep of S takes S. For the local stack and the CLI. */
const createSystemClock = (): WorkflowClock => ({
  now: () => Date.now(),
  sleep: (ms, signal) => wallSleep(ms, signal),
});

/**
 * Real time sped up (or slowed down): a sleep of S takes S × `factor` of wall time, and `now()`
 * moves `1 / factor` times as fast as the wall clock from the moment the clock was made, so a
 * workflow that sleeps 10 s with factor 0.01 sees 10 s pass in 100 ms. Unlike the virtual clock it
 * keeps waiting in real time, so it is the one to use when the workflow talks to real servers.
 */
const createScaledClock = (factor: number): WorkflowClock => {
  if (!(factor > 0) || !Number.isFinite(factor)) {
    throw new RangeError(`clock scale factor must be a positive number, got ${factor}`);
  }
  const wallStart = Date.now();
  return {
    now: () => wallStart + (Date.now() - wallStart) / factor,
    sleep: (ms, signal) => wallSleep(ms * factor, signal),
  };
};

/** A virtual clock with the means to hold time still while real work is in flight. */
interface VirtualClock extends WorkflowClock {
  /**
   * Runs `work` (real I/O: an HTTP call to a local server, a file read) with time held still: no
   * timer fires while it is in flight, so a timeout racing the work does not win just because
   * the clock jumped.
   */
  hold<T>(work: () => Promise<T>): Promise<T>;
  /** Timers waiting to fire (for tests and diagnostics). */
  pendingTimers(): number;
}

interface VirtualTimer {
  at: number;
  sequence: number;
  fire: () => void;
}

/**
 * A discrete-event clock: sleeps take no wall time. Time jumps to the earliest pending timer once
 * nothing else can run, i.e. on a macrotask tick (setImmediate) after every pending microtask has
 * settled, which is when every fiber of the execution (parallel branches included) is blocked on
 * a timer. Two branches sleeping 10 s and 5 s therefore end at +10 s, not +15 s, and a one-day
 * `sys.sleep` takes milliseconds.
 *
 * Limit: only promise (microtask) work is waited for. I/O in flight, e.g. a real HTTP call, is not
 * seen, so a timer may fire before it completes unless the work runs inside `hold()`. Use the
 * scaled clock for runs that talk to real servers.
 */
const createVirtualClock = (startMs: number = Date.now()): VirtualClock => {
  let now = startMs;
  let sequence = 0;
  let holds = 0;
  let advanceScheduled = false;
  const timers: VirtualTimer[] = [];

  const scheduleAdvance = (): void => {
    if (advanceScheduled || holds > 0 || timers.length === 0) return;
    advanceScheduled = true;
    // Two turns: the first lets promise chains resumed by I/O callbacks of this tick settle.
    setImmediate(() =>
      setImmediate(() => {
        advanceScheduled = false;
        advance();
      }),
    );
  };

  const advance = (): void => {
    if (holds > 0 || timers.length === 0) return;
    timers.sort((a, b) => a.at - b.at || a.sequence - b.sequence);
    const first = timers[0] as VirtualTimer;
    now = Math.max(now, first.at);
    const due = timers.filter((timer) => timer.at <= now);
    timers.splice(0, due.length);
    for (const timer of due) timer.fire();
    scheduleAdvance();
  };

  return {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(abortReason(signal));
          return;
        }
        const timer: VirtualTimer = {
          at: now + Math.max(0, ms),
          sequence: sequence++,
          fire: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = (): void => {
          const index = timers.indexOf(timer);
          if (index >= 0) timers.splice(index, 1);
          reject(abortReason(signal as AbortSignal));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        timers.push(timer);
        scheduleAdvance();
      }),
    async hold<T>(work: () => Promise<T>): Promise<T> {
      holds += 1;
      try {
        return await work();
      } finally {
        holds -= 1;
        scheduleAdvance();
      }
    },
    pendingTimers: () => timers.length,
  };
};

/** Whether a clock is a virtual one (so I/O can be wrapped in `hold`). */
const isVirtualClock = (clock: WorkflowClock): clock is VirtualClock =>
  typeof (clock as Partial<VirtualClock>).hold === 'function';

export type { VirtualClock };
export { createScaledClock, createSystemClock, createVirtualClock, isVirtualClock };
