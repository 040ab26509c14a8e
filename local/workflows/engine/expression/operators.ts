import { WorkflowRuntimeError } from '../errors';
import type { WorkflowValue } from '../runtime-types';
import { compareValues, ensureInt64, isNumber, stringify, typeName, valuesEqual } from '../values';

/** Operators that take both operands already evaluated (the logical ones short-circuit instead). */
type StrictBinaryOperator = '+' | '-' | '*' | '/' | '//' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in';

const typeError = (operator: string, left: WorkflowValue, right: WorkflowValue): WorkflowRuntimeError =>
  WorkflowRuntimeError.builtin(
    'TypeError',
    `unsupported operand types for ${operator}: ${typeName(left)} and ${typeName(right)}`,
  );

/** A double result must stay finite: overflow is an error in Workflows, not Infinity. */
const checkedDouble = (value: number, operator: string): number => {
  if (!Number.isFinite(value)) {
    throw WorkflowRuntimeError.builtin('ValueError', `double overflow in ${operator}`);
  }
  return value;
};

const isZero = (value: bigint | number): boolean => (typeof value === 'bigint' ? value === 0n : value === 0);

const zeroDivision = (operator: string): WorkflowRuntimeError =>
  WorkflowRuntimeError.builtin('ZeroDivisionError', `${operator === '%' ? 'modulo' : 'division'} by zero`);

/** Python-style floor division on ints (rounds toward negative infinity). */
const floorDivide = (a: bigint, b: bigint): bigint => {
  const quotient = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? quotient - 1n : quotient;
};

/** Python-style remainder: the result has the sign of the divisor. */
const floorModInt = (a: bigint, b: bigint): bigint => {
  const remainder = a % b;
  return remainder !== 0n && remainder < 0n !== b < 0n ? remainder + b : remainder;
};

const floorModDouble = (a: number, b: number): number => {
  const remainder = a % b;
  return remainder !== 0 && remainder < 0 !== b < 0 ? remainder + b : remainder;
};

/**
 * `+` per the implicit-conversion table (§4.4): numbers add (int + int stays int, any double makes
 * a double); a string on either side concatenates the other operand's text when it is an int,
 * double, string or boolean; everything else (int + bool, null + x, list + list) is a TypeError.
 */
const add = (left: WorkflowValue, right: WorkflowValue): WorkflowValue => {
  if (typeof left === 'bigint' && typeof right === 'bigint') return ensureInt64(left + right, '+');
  if (isNumber(left) && isNumber(right)) return checkedDouble(Number(left) + Number(right), '+');
  const concatenable = (value: WorkflowValue) =>
    typeof value === 'string' || typeof value === 'boolean' || isNumber(value);
  if (
    (typeof left === 'string' && concatenable(right)) ||
    (typeof right === 'string' && concatenable(left))
  ) {
    return stringify(left) + stringify(right);
  }
  throw typeError('+', left, right);
};

const arithmetic = (
  operator: '-' | '*' | '/' | '//' | '%',
  left: WorkflowValue,
  right: WorkflowValue,
): WorkflowValue => {
  if (!isNumber(left) || !isNumber(right)) throw typeError(operator, left, right);
  if (operator === '/' || operator === '//' || operator === '%') {
    if (isZero(right)) throw zeroDivision(operator);
  }
  if (typeof left === 'bigint' && typeof right === 'bigint') {
    switch (operator) {
      case '-':
        return ensureInt64(left - right, operator);
      case '*':
        return ensureInt64(left * right, operator);
      case '//':
        return ensureInt64(floorDivide(left, right), operator);
      case '%':
        return floorModInt(left, right);
      case '/':
        return checkedDouble(Number(left) / Number(right), operator);
    }
  }
  const a = Number(left);
  const b = Number(right);
  switch (operator) {
    case '-':
      return checkedDouble(a - b, operator);
    case '*':
      return checkedDouble(a * b, operator);
    case '/':
      return checkedDouble(a / b, operator);
    case '//':
      return checkedDouble(Math.floor(a / b), operator);
    case '%':
      return floorModDouble(a, b);
  }
};

/** `x in list` (element equality) and `key in map` (key presence); other right operands are a TypeError. */
const contains = (needle: WorkflowValue, haystack: WorkflowValue): boolean => {
  if (Array.isArray(haystack)) return haystack.some((item) => valuesEqual(item, needle));
  if (haystack instanceof Map) return typeof needle === 'string' && haystack.has(needle);
  throw WorkflowRuntimeError.builtin(
    'TypeError',
    `"in" needs a list or a map on its right, not ${typeName(haystack)}`,
  );
};

/** Applies an operator whose operands are both evaluated (everything but `and` / `or`). */
const applyBinaryOperator = (
  operator: StrictBinaryOperator,
  left: WorkflowValue,
  right: WorkflowValue,
): WorkflowValue => {
  switch (operator) {
    case '+':
      return add(left, right);
    case '-':
    case '*':
    case '/':
    case '//':
    case '%':
      return arithmetic(operator, left, right);
    case '==':
      return valuesEqual(left, right);
    case '!=':
      return !valuesEqual(left, right);
    case '<':
      return compareValues(left, right, '<') < 0;
    case '<=':
      return compareValues(left, right, '<=') <= 0;
    case '>':
      return compareValues(left, right, '>') > 0;
    case '>=':
      return compareValues(left, right, '>=') >= 0;
    case 'in':
      return contains(left, right);
  }
};

/** Unary minus: numbers only (negating the smallest int overflows). */
const negate = (operand: WorkflowValue): WorkflowValue => {
  if (typeof operand === 'bigint') return ensureInt64(-operand, 'unary -');
  if (typeof operand === 'number') return -operand;
  throw WorkflowRuntimeError.builtin(
    'TypeError',
    `unsupported operand type for unary -: ${typeName(operand)}`,
  );
};

/** Logical operators accept booleans only; there is no truthiness (§4.6). */
const requireBoolean = (value: WorkflowValue, operator: string): boolean => {
  if (typeof value !== 'boolean') {
    throw WorkflowRuntimeError.builtin(
      'TypeError',
      `operand of ${operator} must be a boolean, not ${typeName(value)}`,
    );
  }
  return value;
};

export type { StrictBinaryOperator };
export { applyBinaryOperator, negate, requireBoolean };
