/**
 * Time is a dependency. Production code asks a Clock for `now()` and `sleep()`; tests and the
 * simulator pass a virtual clock so that a ten-minute operation or a day-long wait costs nothing.
 */
interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A clock that only moves when told to, or when someone sleeps on it: `sleep(ms)` advances the
 * virtual time by `ms` at once (after yielding to the event loop, so concurrent work interleaves).
 */
class ManualClock implements Clock {
  #nowMs: number;

  constructor(start: Date | string = '2026-01-01T00:00:00Z') {
    this.#nowMs = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#nowMs);
  }

  advance(ms: number): void {
    this.#nowMs += ms;
  }

  set(time: Date | string): void {
    this.#nowMs = new Date(time).getTime();
  }

  async sleep(ms: number): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.#nowMs += ms;
  }
}

export type { Clock };
export { ManualClock, systemClock };
