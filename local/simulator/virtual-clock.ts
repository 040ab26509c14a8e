import { type Clock, ManualClock } from '../../shared/time';
import { failedPrecondition, invalidArgument } from './api-error';

/**
 * Moving the simulator's time from outside (`/_sim/clock`), when it runs on a `ManualClock`: a
 * developer running `npm run simulator` with `SIM_VIRTUAL_CLOCK` can make a 222 s resize finish,
 * or jump to the next off-hours window, without waiting and without restarting.
 */

/** What `GET /_sim/clock` answers. */
interface ClockReading {
  /** ISO time of the simulator's clock. */
  now: string;
  /** Whether the clock only moves when told to (a `ManualClock`). */
  virtual: boolean;
}

/** A move of the virtual clock: forward by `advanceMs`, or to the ISO time `to`. */
type ClockMove = { advanceMs: number } | { to: string };

interface ClockControl {
  read(): ClockReading;
  /**
   * Moves the clock. `to` may go backwards (to replay a scenario after a reset); `advanceMs` may not.
   *
   * @throws SimulatorApiError FAILED_PRECONDITION on the system clock, INVALID_ARGUMENT for a
   *   malformed move.
   */
  move(move: unknown): ClockReading;
}

const parseMove = (input: unknown): ClockMove => {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalidArgument('Invalid clock move: expected {advanceMs} or {to}.');
  }
  const body = input as Record<string, unknown>;
  const keys = Object.keys(body);
  if (keys.length !== 1 || !(keys[0] === 'advanceMs' || keys[0] === 'to')) {
    throw invalidArgument('Invalid clock move: expected exactly one of advanceMs and to.');
  }
  if ('advanceMs' in body) {
    const { advanceMs } = body;
    if (typeof advanceMs !== 'number' || !Number.isFinite(advanceMs) || advanceMs < 0) {
      throw invalidArgument(
        `Invalid clock move: advanceMs must be a number >= 0, got ${JSON.stringify(advanceMs)}.`,
      );
    }
    return { advanceMs };
  }
  const { to } = body;
  if (typeof to !== 'string' || Number.isNaN(Date.parse(to))) {
    throw invalidArgument(`Invalid clock move: to must be an ISO time, got ${JSON.stringify(to)}.`);
  }
  return { to };
};

/** Wraps the simulator's clock; moving it needs a `ManualClock`. */
const createClockControl = (clock: Clock): ClockControl => {
  const read = (): ClockReading => ({
    now: clock.now().toISOString(),
    virtual: clock instanceof ManualClock,
  });
  return {
    read,
    move(input) {
      if (!(clock instanceof ManualClock)) {
        throw failedPrecondition(
          'The simulator runs on the system clock; start it on a virtual clock (a ManualClock, or ' +
            'SIM_VIRTUAL_CLOCK for npm run simulator) to move time.',
        );
      }
      const move = parseMove(input);
      if ('advanceMs' in move) clock.advance(move.advanceMs);
      else clock.set(move.to);
      return read();
    },
  };
};

export type { ClockControl, ClockMove, ClockReading };
export { createClockControl };
