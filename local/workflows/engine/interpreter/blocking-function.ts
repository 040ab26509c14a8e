import { WorkflowRuntimeError } from '../errors';
import type { ExecutionServices, WorkflowValue } from '../runtime-types';
import type { CallArguments, StdlibFunction } from '../stdlib/stdlib-function';

/**
 * A blocking standard-library function (`sys.sleep`, `http.get`, `events.await_callback`, …): only
 * callable from a call step. `services` are the execution's own, already bound to its
 * cancellation signal, so a cancelled execution stops waiting at once.
 */
const blockingFunction = (
  name: string,
  params: readonly string[],
  minArgs: number,
  implementation: (args: CallArguments, services: ExecutionServices) => Promise<WorkflowValue>,
): StdlibFunction => ({
  params,
  minArgs,
  blocking: true,
  async invoke(args, services) {
    if (args.length > params.length) {
      throw WorkflowRuntimeError.builtin(
        'TypeError',
        `${name}: takes at most ${params.length} argument${params.length === 1 ? '' : 's'} (${args.length} given)`,
      );
    }
    const normalized = params.map((_param, index) => {
      const value = args[index];
      return index >= minArgs && value === null ? undefined : value;
    });
    for (let index = 0; index < minArgs; index += 1) {
      if (normalized[index] === undefined) {
        throw WorkflowRuntimeError.builtin(
          'TypeError',
          `${name}: missing required argument "${params[index]}"`,
        );
      }
    }
    return implementation(normalized, services);
  },
});

/** Seconds (int or double) as milliseconds; TypeError/ValueError naming the function otherwise. */
const secondsArgument = (
  name: string,
  param: string,
  value: WorkflowValue | undefined,
  fallbackSeconds: number,
  maxSeconds = Number.POSITIVE_INFINITY,
): number => {
  if (value === undefined) return fallbackSeconds * 1000;
  if (typeof value !== 'bigint' && typeof value !== 'number') {
    throw WorkflowRuntimeError.builtin(
      'TypeError',
      `${name}: argument "${param}" must be a number of seconds`,
    );
  }
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw WorkflowRuntimeError.builtin('ValueError', `${name}: argument "${param}" must not be negative`);
  }
  if (seconds > maxSeconds) {
    throw WorkflowRuntimeError.builtin(
      'ValueError',
      `${name}: argument "${param}" must be at most ${maxSeconds} seconds`,
    );
  }
  return seconds * 1000;
};

export { blockingFunction, secondsArgument };
