// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Workflows ${...} expressions are the data under test, not templates.
import {
  dottedName,
  ExpressionSyntaxError,
  expressionSource,
  functionsCalled,
  isExpressionString,
  parseAssignmentTarget,
  parseExpression,
  variablesRead,
} from '../../../../local/workflows/engine/expression';

const syntaxErrorOf = (run: () => unknown): ExpressionSyntaxError => {
  try {
    run();
  } catch (thrown) {
    if (thrown instanceof ExpressionSyntaxError) return thrown;
    throw thrown;
  }
  throw new Error('expected an ExpressionSyntaxError');
};

describe('parseExpression', () => {
  it('builds a tree following the documented precedence', () => {
    // Act
    const node = parseExpression('a + b * -c.d[0] < 3 or not e and f');

    // Assert
    expect(node).toMatchObject({
      kind: 'binary',
      operator: 'or',
      left: {
        kind: 'binary',
        operator: '<',
        left: {
          kind: 'binary',
          operator: '+',
          left: { kind: 'variable', name: 'a' },
          right: {
            kind: 'binary',
            operator: '*',
            left: { kind: 'variable', name: 'b' },
            right: {
              kind: 'unary',
              operator: '-',
              operand: {
                kind: 'index',
                object: { kind: 'member', object: { kind: 'variable', name: 'c' }, name: 'd' },
                index: { kind: 'literal', value: 0n },
              },
            },
          },
        },
        right: { kind: 'literal', value: 3n },
      },
      right: {
        kind: 'binary',
        operator: 'and',
        left: { kind: 'unary', operator: 'not', operand: { kind: 'variable', name: 'e' } },
        right: { kind: 'variable', name: 'f' },
      },
    });
  });

  it('is left-associative and records offsets', () => {
    // Act
    const node = parseExpression('8 - 4 - 2');

    // Assert
    expect(node).toMatchObject({
      kind: 'binary',
      operator: '-',
      offset: 6,
      left: { kind: 'binary', operator: '-', offset: 2, left: { value: 8n }, right: { value: 4n } },
      right: { value: 2n },
    });
  });

  it('turns calls into named calls and allows keywords as member names', () => {
    // Act
    const call = parseExpression('text.split(s, ",")[0]');
    const member = parseExpression('e.in.true');

    // Assert
    expect(call).toMatchObject({
      kind: 'index',
      object: { kind: 'call', name: 'text.split', args: [{}, {}] },
    });
    expect(member).toMatchObject({ kind: 'member', name: 'true', object: { kind: 'member', name: 'in' } });
  });

  it.each([
    ['', 0],
    ['1 +', 3],
    ['(1', 2],
    ['1 2', 2],
    ['a.', 2],
    ['a.1', 2],
    ["'single'", 0],
    ['@', 0],
    ['9223372036854775808', 0],
    ['f(1)(2)', 4],
    ['a[0](1)', 4],
    ['"unterminated', 0],
    ['"bad \\q escape"', 5],
    ['"\\u12"', 1],
    ['a And b', 2],
    ['1abc', 0],
    ['[1, 2', 5],
    ['{"a" 1}', 5],
    ['x in', 4],
  ])('rejects %j at offset %p', (source, offset) => {
    // Act
    const error = syntaxErrorOf(() => parseExpression(source));

    // Assert
    expect(error.offset).toBe(offset);
    expect(error.message.length).toBeGreaterThan(5);
  });

  it('rejects expressions nested deeper than the parser allows instead of overflowing the stack', () => {
    // Act
    const error = syntaxErrorOf(() => parseExpression(`${'('.repeat(500)}1${')'.repeat(500)}`));

    // Assert
    expect(error.message).toMatch(/nested too deeply/);
  });
});

describe('parseAssignmentTarget', () => {
  it.each([
    ['a', { variable: 'a', path: [] }],
    ['my_map.Key2', { variable: 'my_map', path: [{ kind: 'key', key: 'Key2' }] }],
    ['a["k"]', { variable: 'a', path: [{ kind: 'index', expression: { kind: 'literal', value: 'k' } }] }],
    ['a[i + 1]', { variable: 'a', path: [{ kind: 'index', expression: { kind: 'binary', operator: '+' } }] }],
    [
      'a.b[0]["c"]',
      {
        variable: 'a',
        path: [
          { kind: 'key', key: 'b' },
          { kind: 'index', expression: { value: 0n } },
          { kind: 'index', expression: { value: 'c' } },
        ],
      },
    ],
    [' spaced . key ', { variable: 'spaced', path: [{ kind: 'key', key: 'key' }] }],
  ])('parses %j', (source, expected) => {
    // Act / Assert
    expect(parseAssignmentTarget(source)).toMatchObject(expected);
  });

  it.each(['', '1a', '"a"', 'a +', 'a.b.', 'a[1', 'a()', 'true', 'a b'])('rejects %j', (source) => {
    // Act / Assert
    expect(() => parseAssignmentTarget(source)).toThrow(ExpressionSyntaxError);
  });
});

describe('isExpressionString and expressionSource', () => {
  it.each([
    ['${x}', true],
    ['${a.b + "}"}', true],
    ['${"a\\"}"}', true],
    ['${{"key": "value", "num": 42}}', true],
    ['${[1, 2]}', true],
    ['id-${x}', false],
    ['${a}-${b}', false],
    ['${x} ', false],
    ['${x', false],
    ['${x}}', false],
    ['$x', false],
    ['{x}', false],
    ['plain', false],
  ])('%j is an expression: %p', (text, expected) => {
    // Act / Assert
    expect(isExpressionString(text)).toBe(expected);
  });

  it('returns the inside of ${...}', () => {
    // Act / Assert
    expect(expressionSource('${ a + 1 }')).toBe(' a + 1 ');
    expect(expressionSource('${{"k": 1}}')).toBe('{"k": 1}');
  });
});

describe('dottedName, variablesRead and functionsCalled', () => {
  it('names bare identifiers and member chains only', () => {
    // Act / Assert
    expect(dottedName(parseExpression('http.default_retry'))).toBe('http.default_retry');
    expect(dottedName(parseExpression('my_predicate'))).toBe('my_predicate');
    expect(dottedName(parseExpression('a[0].b'))).toBeUndefined();
    expect(dottedName(parseExpression('f()'))).toBeUndefined();
    expect(dottedName(parseExpression('1'))).toBeUndefined();
  });

  it('lists root variables read, without function names, once each in order', () => {
    // Act
    const names = variablesRead(
      parseExpression('text.split(a.b, sep)[i] + {k: [a, not flag]}.x + my_sub(j) + (i - -j)'),
    );

    // Assert
    expect(names).toEqual(['a', 'sep', 'i', 'k', 'flag', 'j']);
  });

  it('lists the functions called, including nested calls', () => {
    // Act
    const names = functionsCalled(
      parseExpression('len(text.split(x, ",")) + [default(y, 1)][0] + -my_sub()'),
    );

    // Assert
    expect(names).toEqual(['len', 'text.split', 'default', 'my_sub']);
  });
});
