/** Binary operators of the expression language (§4.2 of the spec sheet). */
type BinaryOperator =
  | '+'
  | '-'
  | '*'
  | '/'
  | '//'
  | '%'
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'in'
  | 'and'
  | 'or';

/** Prefix operators: numeric negation and boolean `not`. */
type UnaryOperator = '-' | 'not';

/**
 * A parsed `${...}` expression. Every node carries `offset`, its position in the expression source
 * (the text inside `${...}`), so runtime errors and deploy-time checks can point at it.
 */
type ExpressionNode =
  /** A scalar literal: int (bigint), double, string, boolean or null. */
  | { kind: 'literal'; value: null | boolean | bigint | number | string; offset: number }
  | { kind: 'variable'; name: string; offset: number }
  /** `object.name` */
  | { kind: 'member'; object: ExpressionNode; name: string; offset: number }
  /** `object[index]` */
  | { kind: 'index'; object: ExpressionNode; index: ExpressionNode; offset: number }
  /** `a.b.c(args)`: functions are called by their dotted name, resolved by the context. */
  | { kind: 'call'; name: string; args: ExpressionNode[]; offset: number }
  | { kind: 'unary'; operator: UnaryOperator; operand: ExpressionNode; offset: number }
  | { kind: 'binary'; operator: BinaryOperator; left: ExpressionNode; right: ExpressionNode; offset: number }
  /** `[a, b]` */
  | { kind: 'list'; elements: ExpressionNode[]; offset: number }
  /** `{"k": v}`: keys are expressions that must evaluate to strings. */
  | { kind: 'map'; entries: Array<{ key: ExpressionNode; value: ExpressionNode }>; offset: number };

/** The direct sub-expressions of a node, in source order. */
const childNodes = (node: ExpressionNode): ExpressionNode[] => {
  switch (node.kind) {
    case 'member':
      return [node.object];
    case 'index':
      return [node.object, node.index];
    case 'call':
      return node.args;
    case 'unary':
      return [node.operand];
    case 'binary':
      return [node.left, node.right];
    case 'list':
      return node.elements;
    case 'map':
      return node.entries.flatMap((entry) => [entry.key, entry.value]);
    default:
      return [];
  }
};

/**
 * Visits every node of an expression, parents before children, in source order: the one walk the
 * deploy-time checks (variables read, functions called) share.
 */
const walkExpression = (node: ExpressionNode, visit: (node: ExpressionNode) => void): void => {
  visit(node);
  for (const child of childNodes(node)) walkExpression(child, visit);
};

/** One step of an assignment path: `.name` or `[expression]`. */
type AssignmentPathSegment = { kind: 'key'; key: string } | { kind: 'index'; expression: ExpressionNode };

/** The left-hand side of an `assign` item: `a`, `a.b`, `a["k"]`, `a[i + 1]`, `a.b[0]["c"]`. */
interface AssignmentTarget {
  variable: string;
  path: AssignmentPathSegment[];
}

/** An expression that does not parse; `offset` is where in the expression source it went wrong. */
class ExpressionSyntaxError extends Error {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(message);
    this.name = 'ExpressionSyntaxError';
    this.offset = offset;
  }
}

export type { AssignmentPathSegment, AssignmentTarget, BinaryOperator, ExpressionNode, UnaryOperator };
export { childNodes, ExpressionSyntaxError, walkExpression };
