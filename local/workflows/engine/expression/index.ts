/**
 * The Workflows expression language: what goes inside `${...}`. Parsing is separate from
 * evaluation so the interpreter can parse every expression at deploy time and report syntax errors
 * before a run starts.
 */
export type {
  AssignmentPathSegment,
  AssignmentTarget,
  BinaryOperator,
  ExpressionNode,
  UnaryOperator,
} from './ast';
export { childNodes, ExpressionSyntaxError, walkExpression } from './ast';
export type { ExpressionContext } from './evaluator';
export { evaluateExpression, functionsCalled, readIndex, readKey, variablesRead } from './evaluator';
export { expressionSource, isExpressionString } from './expression-string';
export type { StrictBinaryOperator } from './operators';
export { applyBinaryOperator } from './operators';
export { dottedName, parseAssignmentTarget, parseExpression } from './parser';
