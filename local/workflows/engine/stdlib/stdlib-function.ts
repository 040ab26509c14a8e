import { WorkflowRuntimeError } from '../errors';
import type { ExecutionServices, WorkflowMap, WorkflowValue } from '../runtime-types';
import { typeName } from '../values';

/**
 * A standard-library function. `params` is the positional order, which is also the set of names
 * a call step may pass as `args: {name: value}`; the first `minArgs` are required. Only
 * non-blocking functions may be called inside `${...}`; blocking ones (`sys.sleep`, `http.*`, …)
 * only from call steps.
 */
interface StdlibFunction {
  readonly params: readonly string[];
  readonly minArgs: number;
  readonly blocking: boolean;
  invoke(args: readonly WorkflowValue[], services: ExecutionServices): WorkflowValue | Promise<WorkflowValue>;
}

/** The arguments of one call, for implementations: optional ones may be `undefined`. */
type CallArguments = readonly (WorkflowValue | undefined)[];

/**
 * Checks a call's argument count against `params`/`minArgs` (too few or too many arguments is a
 * TypeError naming the function) and gives the implementation one slot per parameter: an optional
 * argument that is absent, or passed as null, arrives as `undefined`.
 */
const checkedArguments = (
  name: string,
  params: readonly string[],
  minArgs: number,
  args: readonly WorkflowValue[],
): CallArguments => {
  if (args.length > params.length) {
    throw WorkflowRuntimeError.builtin(
      'TypeError',
      `${name}: takes at most ${params.length} argument${params.length === 1 ? '' : 's'} (${args.length} given)`,
    );
  }
  const normalized: (WorkflowValue | undefined)[] = params.map((_param, index) => {
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
  return normalized;
};

/** A non-blocking function whose argument count is checked before `implementation` runs. */
const pureFunction = (
  name: string,
  params: readonly string[],
  minArgs: number,
  implementation: (args: CallArguments, services: ExecutionServices) => WorkflowValue,
): StdlibFunction => ({
  params,
  minArgs,
  blocking: false,
  invoke: (args, services) => implementation(checkedArguments(name, params, minArgs, args), services),
});

/** A TypeError naming the function, the parameter, the expected and the actual type. */
const wrongType = (
  name: string,
  param: string,
  expected: string,
  value: WorkflowValue,
): WorkflowRuntimeError =>
  WorkflowRuntimeError.builtin(
    'TypeError',
    `${name}: argument "${param}" must be ${expected}, not ${typeName(value)}`,
  );

/**
 * Typed argument readers for one function: each raises a TypeError naming the function and the
 * parameter when the value has the wrong type. (Required arguments are never undefined here.)
 */
const argumentReader = (name: string, params: readonly string[]) => {
  const param = (index: number) => params[index] ?? `#${index + 1}`;
  const present = (args: CallArguments, index: number): WorkflowValue => args[index] ?? null;
  return {
    string(args: CallArguments, index: number): string {
      const value = present(args, index);
      if (typeof value !== 'string') throw wrongType(name, param(index), 'a string', value);
      return value;
    },
    int(args: CallArguments, index: number): bigint {
      const value = present(args, index);
      if (typeof value !== 'bigint') throw wrongType(name, param(index), 'an integer', value);
      return value;
    },
    number(args: CallArguments, index: number): bigint | number {
      const value = present(args, index);
      if (typeof value !== 'bigint' && typeof value !== 'number') {
        throw wrongType(name, param(index), 'a number', value);
      }
      return value;
    },
    boolean(args: CallArguments, index: number): boolean {
      const value = present(args, index);
      if (typeof value !== 'boolean') throw wrongType(name, param(index), 'a boolean', value);
      return value;
    },
    bytes(args: CallArguments, index: number): Uint8Array {
      const value = present(args, index);
      if (!(value instanceof Uint8Array)) throw wrongType(name, param(index), 'bytes', value);
      return value;
    },
    list(args: CallArguments, index: number): WorkflowValue[] {
      const value = present(args, index);
      if (!Array.isArray(value)) throw wrongType(name, param(index), 'a list', value);
      return value;
    },
    map(args: CallArguments, index: number): WorkflowMap {
      const value = present(args, index);
      if (!(value instanceof Map)) throw wrongType(name, param(index), 'a map', value);
      return value;
    },
    optionalString(args: CallArguments, index: number, fallback: string): string {
      return args[index] === undefined ? fallback : this.string(args, index);
    },
    optionalBoolean(args: CallArguments, index: number, fallback: boolean): boolean {
      return args[index] === undefined ? fallback : this.boolean(args, index);
    },
  };
};

type ArgumentReader = ReturnType<typeof argumentReader>;

/**
 * A `[name, function]` entry for a non-blocking function whose body reads its arguments through
 * a typed reader (wrong types raise TypeErrors naming the function and parameter).
 */
const definePure = (
  name: string,
  params: readonly string[],
  minArgs: number,
  body: (read: ArgumentReader, args: CallArguments, services: ExecutionServices) => WorkflowValue,
): [string, StdlibFunction] => {
  const read = argumentReader(name, params);
  return [name, pureFunction(name, params, minArgs, (args, services) => body(read, args, services))];
};

/** A ValueError naming the function, for right-typed but invalid arguments. */
const valueError = (name: string, message: string): WorkflowRuntimeError =>
  WorkflowRuntimeError.builtin('ValueError', `${name}: ${message}`);

export type { ArgumentReader, CallArguments, StdlibFunction };
export { argumentReader, checkedArguments, definePure, pureFunction, valueError, wrongType };
