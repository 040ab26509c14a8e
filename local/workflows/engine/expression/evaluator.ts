import { WorkflowRuntimeError } from '../errors';
import type { WorkflowMap, WorkflowValue } from '../runtime-types';
import { typeName } from '../values';
import { type ExpressionNode, walkExpression } from './ast';
import { applyBinaryOperator, negate, requireBoolean } from './operators';

/** What an expression reaches outside itself: the variables in scope and the callable functions. */
interface ExpressionContext {
  /** The variable's current value; throws a (KeyError-tagged) WorkflowRuntimeError when it is not defined. */
  readVariable(name: string): WorkflowValue;
  hasVariable(name: string): boolean;
  /** Calls a standard-library function or subworkflow by its dotted name, e.g. `text.split`. */
  callFunction(name: string, args: WorkflowValue[]): Promise<WorkflowValue>;
}

/** `object.name` / `object["name"]` on a map; a missing key is a KeyError, a non-map a TypeError. */
const readKey = (object: WorkflowValue, key: string): WorkflowValue => {
  if (!(object instanceof Map)) {
    throw WorkflowRuntimeError.builtin(
      'TypeError',
      `cannot read key "${key}" of a ${typeName(object)} (not a map)`,
    );
  }
  if (!object.has(key)) throw WorkflowRuntimeError.builtin('KeyError', `key not found: ${key}`);
  return object.get(key) as WorkflowValue;
};

/**
 * `object[index]`: an int index on a list (negative or past the end: IndexError) or a string key on
 * a map (missing: KeyError). Any other combination is a TypeError.
 */
const readIndex = (object: WorkflowValue, index: WorkflowValue): WorkflowValue => {
  if (Array.isArray(object)) {
    if (typeof index !== 'bigint') {
      throw WorkflowRuntimeError.builtin(
        'TypeError',
        `list index must be an integer, not ${typeName(index)}`,
      );
    }
    if (index < 0n || index >= BigInt(object.length)) {
      throw WorkflowRuntimeError.builtin(
        'IndexError',
        `list index ${index} out of range (length ${object.length})`,
      );
    }
    return object[Number(index)] as WorkflowValue;
  }
  if (object instanceof Map) {
    if (typeof index !== 'string') {
      throw WorkflowRuntimeError.builtin('TypeError', `map key must be a string, not ${typeName(index)}`);
    }
    return readKey(object, index);
  }
  throw WorkflowRuntimeError.builtin('TypeError', `cannot index a ${typeName(object)} (not a list or map)`);
};

/**
 * Evaluates an expression tree. Values read from variables are returned as they are (no copy):
 * the interpreter copies on assignment. List and map literals build fresh values; calls go to
 * `ctx.callFunction` by dotted name with arguments evaluated left to right; `and` / `or`
 * short-circuit and need booleans.
 */
const evaluateExpression = async (node: ExpressionNode, ctx: ExpressionContext): Promise<WorkflowValue> => {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'variable':
      return ctx.readVariable(node.name);
    case 'member':
      return readKey(await evaluateExpression(node.object, ctx), node.name);
    case 'index': {
      const object = await evaluateExpression(node.object, ctx);
      return readIndex(object, await evaluateExpression(node.index, ctx));
    }
    case 'call': {
      const args: WorkflowValue[] = [];
      for (const arg of node.args) args.push(await evaluateExpression(arg, ctx));
      return ctx.callFunction(node.name, args);
    }
    case 'unary': {
      const operand = await evaluateExpression(node.operand, ctx);
      return node.operator === 'not' ? !requireBoolean(operand, 'not') : negate(operand);
    }
    case 'binary': {
      const left = await evaluateExpression(node.left, ctx);
      if (node.operator === 'and' || node.operator === 'or') {
        const leftValue = requireBoolean(left, node.operator);
        if (node.operator === 'and' ? !leftValue : leftValue) return leftValue;
        return requireBoolean(await evaluateExpression(node.right, ctx), node.operator);
      }
      return applyBinaryOperator(node.operator, left, await evaluateExpression(node.right, ctx));
    }
    case 'list': {
      const list: WorkflowValue[] = [];
      for (const element of node.elements) list.push(await evaluateExpression(element, ctx));
      return list;
    }
    case 'map': {
      const map: WorkflowMap = new Map();
      for (const entry of node.entries) {
        const key = await evaluateExpression(entry.key, ctx);
        if (typeof key !== 'string') {
          throw WorkflowRuntimeError.builtin('TypeError', `map keys must be strings, not ${typeName(key)}`);
        }
        map.set(key, await evaluateExpression(entry.value, ctx));
      }
      return map;
    }
  }
};

/**
 * The root variable names an expression reads, in order of first appearance, without function
 * names (`text.split(x)` reads `x` only). For deploy-time checks such as "read after the loop".
 */
const variablesRead = (node: ExpressionNode): string[] => {
  const names = new Set<string>();
  walkExpression(node, (current) => {
    if (current.kind === 'variable') names.add(current.name);
  });
  return [...names];
};

/** The names of the functions an expression calls (`text.split`, `my_subworkflow`), for deploy-time checks. */
const functionsCalled = (node: ExpressionNode): string[] => {
  const names = new Set<string>();
  walkExpression(node, (current) => {
    if (current.kind === 'call') names.add(current.name);
  });
  return [...names];
};

export type { ExpressionContext };
export { evaluateExpression, functionsCalled, readIndex, readKey, variablesRead };
