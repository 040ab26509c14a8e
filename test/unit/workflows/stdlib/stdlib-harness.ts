import { WorkflowRuntimeError } from '../../../../local/workflows/engine/errors';
import {
  type ExpressionContext,
  evaluateExpression,
  parseExpression,
} from '../../../../local/workflows/engine/expression';
import type { ExecutionServices, WorkflowValue } from '../../../../local/workflows/engine/runtime-types';
import { createPureStandardLibrary } from '../../../../local/workflows/engine/stdlib';
import { fromJson } from '../../../../local/workflows/engine/values';

/** Services for pure functions: a fixed clock, fixed env and UUID; everything else refuses. */
const createTestServices = (overrides: Partial<ExecutionServices> = {}): ExecutionServices => {
  const refuse = (): never => {
    throw new Error('not available to pure functions');
  };
  return {
    clock: { now: () => 1_720_788_633_250, sleep: async () => refuse() },
    http: async () => refuse(),
    callbacks: { create: async () => refuse(), await: async () => refuse() },
    connectors: { call: async () => refuse() },
    log: () => refuse(),
    env: { GOOGLE_CLOUD_PROJECT_ID: 'demo-project', MY_VAR: 'hello' },
    randomUuid: () => '123e4567-e89b-42d3-a456-426614174000',
    ...overrides,
  };
};

/**
 * Evaluates `source` (the text inside `${...}`) with the given variables (plain JS, converted by
 * fromJson unless already Workflows values) and the pure standard library.
 */
const evaluate = async (
  source: string,
  variables: Record<string, WorkflowValue> = {},
  services: ExecutionServices = createTestServices(),
): Promise<WorkflowValue> => {
  const library = createPureStandardLibrary();
  const context: ExpressionContext = {
    readVariable(name) {
      if (!Object.hasOwn(variables, name))
        throw WorkflowRuntimeError.builtin('KeyError', `variable ${name} not defined`);
      return variables[name] as WorkflowValue;
    },
    hasVariable: (name) => Object.hasOwn(variables, name),
    async callFunction(name, args) {
      const fn = library.get(name);
      if (!fn) throw WorkflowRuntimeError.builtin('KeyError', `function ${name} not found`);
      return fn.invoke(args, services);
    },
  };
  return evaluateExpression(parseExpression(source), context);
};

/** Calls one standard-library function directly. */
const call = async (
  name: string,
  args: WorkflowValue[],
  services: ExecutionServices = createTestServices(),
): Promise<WorkflowValue> => {
  const fn = createPureStandardLibrary().get(name);
  if (!fn) throw new Error(`no function ${name}`);
  return fn.invoke(args, services);
};

/** The error value a rejected promise carries, for asserting on tags and messages. */
const errorOf = async (promise: Promise<unknown>): Promise<WorkflowRuntimeError> => {
  try {
    await promise;
  } catch (thrown) {
    if (thrown instanceof WorkflowRuntimeError) return thrown;
    throw thrown;
  }
  throw new Error('expected a WorkflowRuntimeError, but the promise resolved');
};

/** A map value from a plain object (values converted by fromJson). */
const map = (record: Record<string, unknown>): WorkflowValue => fromJson(record);

export { call, createTestServices, errorOf, evaluate, map };
