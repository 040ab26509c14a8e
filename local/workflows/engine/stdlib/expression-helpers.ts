import type { WorkflowValue } from '../runtime-types';
import { ensureInt64, INT64_MAX, INT64_MIN, stringify, typeName } from '../values';
import { pureFunction, type StdlibFunction, valueError, wrongType } from './stdlib-function';

const DOUBLE_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INT_TEXT = /^[+-]?\d+$/;

/** `double(x)`: a string (decimal or exponent notation) or an int as a double. */
const toDouble = (value: WorkflowValue): number => {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    const text = value;
    if (!DOUBLE_TEXT.test(text))
      throw valueError('double', `cannot convert ${JSON.stringify(value)} to a double`);
    const parsed = Number(text);
    if (!Number.isFinite(parsed))
      throw valueError('double', `${JSON.stringify(value)} is out of the double range`);
    return parsed;
  }
  throw wrongType('double', 'value', 'a string or an integer', value);
};

/**
 * `int(x)`: a string of decimal digits, or a double truncated toward zero (`int(2.7)` = 2,
 * `int(-2.7)` = -2). Values outside 64 bits are a ValueError.
 */
const toInt = (value: WorkflowValue): bigint => {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw valueError('int', `cannot convert ${stringify(value)} to an integer`);
    const truncated = BigInt(Math.trunc(value));
    if (truncated < INT64_MIN || truncated > INT64_MAX) {
      throw valueError('int', `${stringify(value)} is out of the integer range`);
    }
    return truncated;
  }
  if (typeof value === 'string') {
    const text = value;
    if (!INT_TEXT.test(text))
      throw valueError('int', `cannot convert ${JSON.stringify(value)} to an integer`);
    const parsed = BigInt(text);
    if (parsed < INT64_MIN || parsed > INT64_MAX) {
      throw valueError('int', `${JSON.stringify(value)} is out of the integer range`);
    }
    return ensureInt64(parsed, 'int');
  }
  throw wrongType('int', 'value', 'a string or a double', value);
};

/** `string(x)`: ints, doubles and booleans rendered as `+` concatenation renders them; strings unchanged. */
const toText = (value: WorkflowValue): string => {
  if (
    typeof value === 'string' ||
    typeof value === 'bigint' ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  ) {
    return stringify(value);
  }
  throw wrongType('string', 'value', 'an integer, a double, a boolean or a string', value);
};

/** `len(x)`: characters (code points) of a string, elements of a list, entries of a map. */
const lengthOf = (value: WorkflowValue): bigint => {
  if (typeof value === 'string') return BigInt([...value].length);
  if (Array.isArray(value)) return BigInt(value.length);
  if (value instanceof Map) return BigInt(value.size);
  throw wrongType('len', 'value', 'a string, a list or a map', value);
};

/**
 * The expression helpers (`double`, `int`, `string`, `keys`, `len`, `default`, `if`, `get_type`).
 * Their parameter names are not documented (they are called positionally); the names here only
 * serve call steps.
 */
const createExpressionHelpers = (): Record<string, StdlibFunction> => ({
  double: pureFunction('double', ['value'], 1, (args) => toDouble(args[0] ?? null)),
  int: pureFunction('int', ['value'], 1, (args) => toInt(args[0] ?? null)),
  string: pureFunction('string', ['value'], 1, (args) => toText(args[0] ?? null)),
  keys: pureFunction('keys', ['map'], 1, (args) => {
    const map = args[0] ?? null;
    if (!(map instanceof Map)) throw wrongType('keys', 'map', 'a map', map);
    return [...map.keys()];
  }),
  len: pureFunction('len', ['value'], 1, (args) => lengthOf(args[0] ?? null)),
  // Every argument is required: a null first argument is the point of `default`.
  default: pureFunction('default', ['value', 'default_value'], 2, (args) =>
    args[0] === null ? (args[1] ?? null) : (args[0] ?? null),
  ),
  if: pureFunction('if', ['condition', 'if_true', 'if_false'], 3, (args) => {
    const condition = args[0] ?? null;
    if (condition !== null && typeof condition !== 'boolean') {
      throw wrongType('if', 'condition', 'a boolean or null', condition);
    }
    return condition === true ? (args[1] ?? null) : (args[2] ?? null);
  }),
  get_type: pureFunction('get_type', ['value'], 1, (args) => typeName(args[0] ?? null)),
});

export { createExpressionHelpers, toDouble, toInt };
