import { WorkflowRuntimeError } from '../errors';
import type { ExecutionServices, WorkflowValue } from '../runtime-types';
import { type CallArguments, checkedArguments, type StdlibFunction } from '../stdlib/stdlib-function';

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
  invoke: (args, services) => implementation(checkedArguments(name, params, minArgs, args), services),
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
