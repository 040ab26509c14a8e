import { INT64_MAX, INT64_MIN } from '../values';
import type { AssignmentPathSegment, AssignmentTarget, BinaryOperator, ExpressionNode } from './ast';
import { ExpressionSyntaxError } from './ast';
import { type Token, tokenize } from './lexer';

const TRUE_WORDS = new Set(['true', 'True', 'TRUE']);
const FALSE_WORDS = new Set(['false', 'False', 'FALSE']);
/** Logical operator words: lower or upper case, never mixed (datatypes page). */
const LOGICAL_WORDS: Record<string, 'and' | 'or' | 'not'> = {
  and: 'and',
  AND: 'and',
  or: 'or',
  OR: 'or',
  not: 'not',
  NOT: 'not',
};
/** Words that cannot name a variable. */
const RESERVED_WORDS = new Set([...TRUE_WORDS, ...FALSE_WORDS, ...Object.keys(LOGICAL_WORDS), 'null', 'in']);

const COMPARISON_OPERATORS = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** Nesting limit so that a hostile expression cannot exhaust the JS stack. */
const MAX_DEPTH = 200;

const describeToken = (token: Token): string => {
  switch (token.kind) {
    case 'end':
      return 'the end of the expression';
    case 'string':
      return `string ${JSON.stringify(token.value)}`;
    case 'int':
    case 'double':
      return `number ${token.text}`;
    default:
      return `"${token.value}"`;
  }
};

/** Recursive-descent parser over the token list; precedence per §4.2 of the spec sheet. */
class ExpressionParser {
  private position = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  private get current(): Token {
    return this.tokens[this.position] as Token;
  }

  private peek(ahead = 1): Token {
    return this.tokens[Math.min(this.position + ahead, this.tokens.length - 1)] as Token;
  }

  private advance(): Token {
    const token = this.current;
    if (token.kind !== 'end') this.position += 1;
    return token;
  }

  private isPunct(value: string, token: Token = this.current): boolean {
    return token.kind === 'punct' && token.value === value;
  }

  private expectPunct(value: string, context: string): Token {
    const token = this.current;
    if (!this.isPunct(value)) {
      throw new ExpressionSyntaxError(
        `expected "${value}" ${context} but found ${describeToken(token)}`,
        token.offset,
      );
    }
    return this.advance();
  }

  private logicalWord(token: Token = this.current): 'and' | 'or' | 'not' | undefined {
    return token.kind === 'word' ? LOGICAL_WORDS[token.value] : undefined;
  }

  expectEnd(): void {
    const token = this.current;
    if (token.kind !== 'end')
      throw new ExpressionSyntaxError(`unexpected ${describeToken(token)}`, token.offset);
  }

  parseExpression(): ExpressionNode {
    this.depth += 1;
    if (this.depth > MAX_DEPTH)
      throw new ExpressionSyntaxError('expression nested too deeply', this.current.offset);
    try {
      return this.parseOr();
    } finally {
      this.depth -= 1;
    }
  }

  private parseOr(): ExpressionNode {
    let left = this.parseAnd();
    while (this.logicalWord() === 'or') {
      const { offset } = this.advance();
      left = { kind: 'binary', operator: 'or', left, right: this.parseAnd(), offset };
    }
    return left;
  }

  private parseAnd(): ExpressionNode {
    let left = this.parseComparison();
    while (this.logicalWord() === 'and') {
      const { offset } = this.advance();
      left = { kind: 'binary', operator: 'and', left, right: this.parseComparison(), offset };
    }
    return left;
  }

  private parseComparison(): ExpressionNode {
    let left = this.parseAdditive();
    for (;;) {
      const token = this.current;
      let operator: BinaryOperator | undefined;
      if (token.kind === 'punct' && COMPARISON_OPERATORS.has(token.value))
        operator = token.value as BinaryOperator;
      else if (token.kind === 'word' && token.value === 'in') operator = 'in';
      if (operator === undefined) return left;
      this.advance();
      left = { kind: 'binary', operator, left, right: this.parseAdditive(), offset: token.offset };
    }
  }

  private parseAdditive(): ExpressionNode {
    let left = this.parseMultiplicative();
    while (this.isPunct('+') || this.isPunct('-')) {
      const token = this.advance() as Token & { value: BinaryOperator };
      left = {
        kind: 'binary',
        operator: token.value,
        left,
        right: this.parseMultiplicative(),
        offset: token.offset,
      };
    }
    return left;
  }

  private parseMultiplicative(): ExpressionNode {
    let left = this.parseUnary();
    while (this.isPunct('*') || this.isPunct('/') || this.isPunct('//') || this.isPunct('%')) {
      const token = this.advance() as Token & { value: BinaryOperator };
      left = { kind: 'binary', operator: token.value, left, right: this.parseUnary(), offset: token.offset };
    }
    return left;
  }

  private parseUnary(): ExpressionNode {
    const token = this.current;
    if (this.logicalWord() === 'not') {
      this.advance();
      return { kind: 'unary', operator: 'not', operand: this.parseUnary(), offset: token.offset };
    }
    if (this.isPunct('-')) {
      this.advance();
      const next = this.current;
      // -9223372036854775808 is a valid int literal although 9223372036854775808 alone is not.
      if (next.kind === 'int' && next.value === -INT64_MIN && !this.startsPostfix(this.peek())) {
        this.advance();
        return { kind: 'literal', value: INT64_MIN, offset: token.offset };
      }
      const operand = this.parseUnary();
      if (operand.kind === 'literal' && typeof operand.value === 'number') {
        return { kind: 'literal', value: -operand.value, offset: token.offset };
      }
      if (operand.kind === 'literal' && typeof operand.value === 'bigint' && -operand.value <= INT64_MAX) {
        return { kind: 'literal', value: -operand.value, offset: token.offset };
      }
      return { kind: 'unary', operator: '-', operand, offset: token.offset };
    }
    return this.parsePostfix();
  }

  private startsPostfix(token: Token): boolean {
    return this.isPunct('.', token) || this.isPunct('[', token) || this.isPunct('(', token);
  }

  private parsePostfix(): ExpressionNode {
    let node = this.parsePrimary();
    for (;;) {
      const token = this.current;
      if (this.isPunct('.')) {
        this.advance();
        const name = this.current;
        if (name.kind !== 'word') {
          throw new ExpressionSyntaxError(
            `expected a name after "." but found ${describeToken(name)}`,
            name.offset,
          );
        }
        this.advance();
        node = { kind: 'member', object: node, name: name.value, offset: token.offset };
      } else if (this.isPunct('[')) {
        this.advance();
        const index = this.parseExpression();
        this.expectPunct(']', 'to close the index');
        node = { kind: 'index', object: node, index, offset: token.offset };
      } else if (this.isPunct('(')) {
        const name = dottedName(node);
        if (name === undefined) {
          throw new ExpressionSyntaxError(
            'only a function name (like text.split) can be called',
            token.offset,
          );
        }
        this.advance();
        const args = this.parseSequence(')', 'the call arguments');
        node = { kind: 'call', name, args, offset: node.offset };
      } else {
        return node;
      }
    }
  }

  /** Comma-separated expressions up to `close` (consumed). */
  private parseSequence(close: string, what: string): ExpressionNode[] {
    const items: ExpressionNode[] = [];
    if (this.isPunct(close)) {
      this.advance();
      return items;
    }
    for (;;) {
      items.push(this.parseExpression());
      if (this.isPunct(',')) {
        this.advance();
        continue;
      }
      this.expectPunct(close, `to close ${what}`);
      return items;
    }
  }

  private parsePrimary(): ExpressionNode {
    const token = this.advance();
    switch (token.kind) {
      case 'int':
        if (token.value > INT64_MAX) {
          throw new ExpressionSyntaxError(`integer literal ${token.text} does not fit 64 bits`, token.offset);
        }
        return { kind: 'literal', value: token.value, offset: token.offset };
      case 'double':
        return { kind: 'literal', value: token.value, offset: token.offset };
      case 'string':
        return { kind: 'literal', value: token.value, offset: token.offset };
      case 'word':
        if (TRUE_WORDS.has(token.value)) return { kind: 'literal', value: true, offset: token.offset };
        if (FALSE_WORDS.has(token.value)) return { kind: 'literal', value: false, offset: token.offset };
        if (token.value === 'null') return { kind: 'literal', value: null, offset: token.offset };
        if (RESERVED_WORDS.has(token.value)) {
          throw new ExpressionSyntaxError(`unexpected operator "${token.value}"`, token.offset);
        }
        return { kind: 'variable', name: token.value, offset: token.offset };
      case 'punct':
        if (token.value === '(') {
          const inner = this.parseExpression();
          this.expectPunct(')', 'to close the parenthesis');
          return inner;
        }
        if (token.value === '[') {
          return { kind: 'list', elements: this.parseSequence(']', 'the list'), offset: token.offset };
        }
        if (token.value === '{') return this.parseMapLiteral(token.offset);
        throw new ExpressionSyntaxError(`unexpected "${token.value}"`, token.offset);
      default:
        throw new ExpressionSyntaxError('unexpected end of the expression', token.offset);
    }
  }

  private parseMapLiteral(offset: number): ExpressionNode {
    const entries: Array<{ key: ExpressionNode; value: ExpressionNode }> = [];
    if (this.isPunct('}')) {
      this.advance();
      return { kind: 'map', entries, offset };
    }
    for (;;) {
      const key = this.parseExpression();
      this.expectPunct(':', 'after a map key');
      const value = this.parseExpression();
      entries.push({ key, value });
      if (this.isPunct(',')) {
        this.advance();
        continue;
      }
      this.expectPunct('}', 'to close the map');
      return { kind: 'map', entries, offset };
    }
  }

  parseAssignmentTarget(): AssignmentTarget {
    const root = this.advance();
    if (root.kind !== 'word' || RESERVED_WORDS.has(root.value)) {
      throw new ExpressionSyntaxError(
        `an assignment target must start with a variable name, not ${describeToken(root)}`,
        root.offset,
      );
    }
    const path: AssignmentPathSegment[] = [];
    for (;;) {
      if (this.isPunct('.')) {
        this.advance();
        const name = this.advance();
        if (name.kind !== 'word') {
          throw new ExpressionSyntaxError(
            `expected a key name after "." but found ${describeToken(name)}`,
            name.offset,
          );
        }
        path.push({ kind: 'key', key: name.value });
      } else if (this.isPunct('[')) {
        this.advance();
        const expression = this.parseExpression();
        this.expectPunct(']', 'to close the index');
        path.push({ kind: 'index', expression });
      } else {
        this.expectEnd();
        return { variable: root.value, path };
      }
    }
  }
}

/**
 * `"a.b.c"` when the node is a bare name or a chain of `.name` accesses, else undefined. Function
 * calls use it, and so does the interpreter for `retry: ${http.default_retry}` and
 * `predicate: ${my_subworkflow}`.
 */
const dottedName = (node: ExpressionNode): string | undefined => {
  if (node.kind === 'variable') return node.name;
  if (node.kind === 'member') {
    const parent = dottedName(node.object);
    return parent === undefined ? undefined : `${parent}.${node.name}`;
  }
  return undefined;
};

/**
 * Parses the text inside `${...}` into an expression tree. Throws ExpressionSyntaxError (with the
 * offset of the problem) on anything that is not a valid Workflows expression.
 */
const parseExpression = (source: string): ExpressionNode => {
  const parser = new ExpressionParser(tokenize(source));
  const node = parser.parseExpression();
  parser.expectEnd();
  return node;
};

/**
 * Parses the left-hand side of an `assign` item (`a`, `a.b`, `a["k"]`, `a[i + 1]`,
 * `a.b[0]["c"]`). Index expressions are kept unevaluated: the interpreter evaluates them and
 * decides list index or map key by their type.
 */
const parseAssignmentTarget = (source: string): AssignmentTarget =>
  new ExpressionParser(tokenize(source)).parseAssignmentTarget();

export { dottedName, parseAssignmentTarget, parseExpression };
