import type { PlatformApis } from '../../shared/operations';

/**
 * Crash injection for exactly-once tests: wraps every platform API adapter so that the process
 * "dies" right after the N-th adapter call returns (the call's effect happened; nothing after it
 * ran). Running apply again with the same progress must then end in the same state as a clean run.
 */

/** Thrown in place of a process dying. Not a ControlPlaneError: nothing may mistake it for a handled failure. */
class SimulatedCrash extends Error {
  constructor(
    readonly afterCall: number,
    readonly method: string,
  ) {
    super(`simulated crash after adapter call #${afterCall} (${method})`);
    this.name = 'SimulatedCrash';
  }
}

interface CrashingApis {
  apis: PlatformApis;
  /** Adapter calls made so far (every method of every adapter counts). */
  readonly calls: string[];
}

/**
 * @param crashAfter - crash after this many calls (1 = right after the first call); Infinity: never.
 */
const crashingApis = (apis: PlatformApis, crashAfter: number): CrashingApis => {
  const calls: string[] = [];
  const wrap = <T extends object>(name: string, target: T): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const result = (await (value as (...a: unknown[]) => Promise<unknown>).apply(
            object,
            args,
          )) as unknown;
          calls.push(`${name}.${String(property)}`);
          if (calls.length === crashAfter)
            throw new SimulatedCrash(calls.length, `${name}.${String(property)}`);
          return result;
        };
      },
    });
  const wrapped = Object.fromEntries(
    Object.entries(apis).map(([name, api]) => [name, wrap(name, api as object)]),
  ) as unknown as PlatformApis;
  return { apis: wrapped, calls };
};

export type { CrashingApis };
export { crashingApis, SimulatedCrash };
