import { WorkflowRuntimeError } from '../../../../local/workflows/engine/errors';
import {
  type ExpressionContext,
  evaluateExpression,
  parseExpression,
} from '../../../../local/workflows/engine/expression';
import type { WorkflowValue } from '../../../../local/workflows/engine/runtime-types';
import { errorOf, evaluate, map } from '../stdlib/stdlib-harness';

const variables: Record<string, WorkflowValue> = {
  m: map({ a: { b: 'deep' }, name: 'Alice', 'special!key': 1 }),
  l: [10n, 20n, 30n],
  s: 'hello',
  n: null,
  i: 1n,
  t: true,
};

describe('arithmetic', () => {
  it.each([
    ['1 + 2 * 3', 7n],
    ['(1 + 2) * 3', 9n],
    ['10 - 4 - 3', 3n],
    ['2 * 3 // 4', 1n],
    ['27 * 9 / 5 + 32', 80.6],
    ['4 / 2', 2],
    ['7 / 2', 3.5],
    ['7 // 2', 3n],
    ['-7 // 2', -4n],
    ['7 // -2', -4n],
    ['7 % 3', 1n],
    ['-7 % 3', 2n],
    ['7 % -3', -2n],
    ['7.5 // 2', 3],
    ['-7.5 // 2', -4],
    ['5.5 % 2', 1.5],
    ['-5.5 % 2', 0.5],
    ['1 + 2.5', 3.5],
    ['3 - 0.5', 2.5],
    ['2 * 1.5', 3],
    ['-5', -5n],
    ['-5 + 3', -2n],
    ['-2 * -3', 6n],
    ['- i', -1n],
    ['--3', 3n],
    ['1.5e2', 150],
    ['2e0', 2],
    ['-9223372036854775808', -9223372036854775808n],
    ['9223372036854775807', 9223372036854775807n],
  ] as Array<[string, WorkflowValue]>)('%s = %p', async (source, expected) => {
    // Act
    const value = await evaluate(source, variables);

    // Assert
    expect(value).toEqual(expected);
    expect(typeof value).toBe(typeof expected);
  });

  it.each([['1 / 0'], ['1 // 0'], ['1 % 0'], ['1.5 / 0.0'], ['1 % 0.0']])(
    '%s raises ZeroDivisionError',
    async (source) => {
      // Act
      const error = await errorOf(evaluate(source));

      // Assert
      expect(error.tags).toEqual(['ZeroDivisionError']);
    },
  );

  it.each([
    ['9223372036854775807 + 1'],
    ['-9223372036854775808 - 1'],
    ['4611686018427387904 * 2'],
    ['-(-9223372036854775808)'],
    ['-9223372036854775808 // -1'],
    ['1e308 * 10'],
  ])('%s overflows with a ValueError', async (source) => {
    // Act
    const error = await errorOf(evaluate(source));

    // Assert
    expect(error.tags).toEqual(['ValueError']);
    expect(error.message).toMatch(/overflow/);
  });

  it.each([['"a" - 1'], ['null * 2'], ['[1] / 1'], ['true // 1'], ['-"a"'], ['-null']])(
    '%s raises a TypeError',
    async (source) => {
      // Act
      const error = await errorOf(evaluate(source));

      // Assert
      expect(error.tags).toEqual(['TypeError']);
    },
  );
});

describe('+ with implicit conversions (datatypes table)', () => {
  it.each([
    ['"a" + 1', 'a1'],
    ['1 + "a"', '1a'],
    ['"x" + 2.5', 'x2.5'],
    ['2.0 + "x"', '2.0x'],
    ['true + "x"', 'truex'],
    ['"x" + false', 'xfalse'],
    ['"Hello world" + i', 'Hello world1'],
    ['"Current temperature is " + string(27 * 9 / 5 + 32) + " F"', 'Current temperature is 80.6 F'],
    ['"a" + "b"', 'ab'],
  ])('%s = %p', async (source, expected) => {
    // Act / Assert
    expect(await evaluate(source, variables)).toBe(expected);
  });

  it.each([
    ['true + 1'],
    ['1 + true'],
    ['1.5 + false'],
    ['true + true'],
    ['null + "a"'],
    ['[1] + [2]'],
    ['m + m'],
  ])('%s raises a TypeError', async (source) => {
    // Act
    const error = await errorOf(evaluate(source, variables));

    // Assert
    expect(error.tags).toEqual(['TypeError']);
    expect(error.message).toMatch(/unsupported operand types for \+/);
  });
});

describe('comparison and membership', () => {
  it.each([
    ['1 == 1.0', true],
    ['1 != 1', false],
    ['"1" == 1', false],
    ['null == null', true],
    ['null != 1', true],
    ['[1, [2]] == [1, [2.0]]', true],
    ['{"a": 1} == {"a": 1}', true],
    ['1 < 2.5', true],
    ['2 <= 2', true],
    ['3 > 2', true],
    ['2 >= 2.5', false],
    ['"apple" < "banana"', true],
    ['2 in [1, 2, 3]', true],
    ['2.0 in [1, 2]', true],
    ['5 in [1, 2]', false],
    ['"a" in m', true],
    ['"zz" in m', false],
    ['1 in m', false],
    ['1 + 1 == 2', true],
    ['1 < 2 == true', true],
  ] as Array<[string, boolean]>)('%s is %p', async (source, expected) => {
    // Act / Assert
    expect(await evaluate(source, variables)).toBe(expected);
  });

  it.each([['1 < "a"'], ['null < 1'], ['[1] < [2]'], ['1 in "abc"'], ['"a" in null']])(
    '%s raises a TypeError',
    async (source) => {
      // Act
      const error = await errorOf(evaluate(source, variables));

      // Assert
      expect(error.tags).toEqual(['TypeError']);
    },
  );
});

describe('logical operators', () => {
  it.each([
    ['true and true', true],
    ['true and false', false],
    ['false or true', true],
    ['TRUE AND FALSE', false],
    ['False OR True', true],
    ['not not true', true],
    ['NOT false', true],
    ['not ("zz" in m)', true],
    ['not("a" in m)', false],
    ['true or false and false', true],
    ['(true or false) and false', false],
    ['1 < 2 and 2 < 3', true],
  ] as Array<[string, boolean]>)('%s is %p', async (source, expected) => {
    // Act / Assert
    expect(await evaluate(source, variables)).toBe(expected);
  });

  it('short-circuits: the right side of false-and / true-or is not evaluated', async () => {
    // Act
    const andValue = await evaluate('false and (1 / 0 == 1)');
    const orValue = await evaluate('true or undefined_variable');

    // Assert
    expect(andValue).toBe(false);
    expect(orValue).toBe(true);
  });

  it.each([['1 and true'], ['true and 1'], ['null or true'], ['false or "x"'], ['not null'], ['not 1']])(
    '%s raises a TypeError (no truthiness)',
    async (source) => {
      // Act
      const error = await errorOf(evaluate(source));

      // Assert
      expect(error.tags).toEqual(['TypeError']);
    },
  );

  it('binds not tighter than comparisons, as the documented precedence says', async () => {
    // Act: parsed as (not 1) == 1
    const error = await errorOf(evaluate('not 1 == 1'));

    // Assert
    expect(error.tags).toEqual(['TypeError']);
  });
});

describe('access', () => {
  it.each([
    ['m.name', 'Alice'],
    ['m["name"]', 'Alice'],
    ['m.a.b', 'deep'],
    ['m["a"]["b"]', 'deep'],
    ['m["special!key"]', 1n],
    ['l[0]', 10n],
    ['l[i + 1]', 30n],
    ['l[len(l) - 1]', 30n],
    ['[1, 2, 3][1]', 2n],
    ['{"k": "v"}.k', 'v'],
    ['text.split("us-central1", "-")[0]', 'us'],
  ] as Array<[string, WorkflowValue]>)('%s = %p', async (source, expected) => {
    // Act / Assert
    expect(await evaluate(source, variables)).toEqual(expected);
  });

  it.each([
    ['m.missing', 'KeyError'],
    ['m["missing"]', 'KeyError'],
    ['l[3]', 'IndexError'],
    ['l[-1]', 'IndexError'],
    ['l[1.0]', 'TypeError'],
    ['l["0"]', 'TypeError'],
    ['m[1]', 'TypeError'],
    ['s[0]', 'TypeError'],
    ['s.length', 'TypeError'],
    ['n.x', 'TypeError'],
    ['l.x', 'TypeError'],
    ['undefined_variable', 'KeyError'],
  ])('%s raises %s', async (source, tag) => {
    // Act
    const error = await errorOf(evaluate(source, variables));

    // Assert
    expect(error.tags).toEqual([tag]);
  });
});

describe('literals', () => {
  it('builds lists and maps, with expressions inside', async () => {
    // Act
    const list = await evaluate('[1, "a", [i, null], {}]', variables);
    const built = await evaluate('{"key": "value", "num": 42, "sum": i + 1, s: [t]}', variables);

    // Assert
    expect(list).toEqual([1n, 'a', [1n, null], new Map()]);
    expect(built).toEqual(
      new Map<string, WorkflowValue>([
        ['key', 'value'],
        ['num', 42n],
        ['sum', 2n],
        ['hello', [true]],
      ]),
    );
  });

  it('rejects non-string map keys with a TypeError', async () => {
    // Act
    const error = await errorOf(evaluate('{1: "a"}'));

    // Assert
    expect(error.tags).toEqual(['TypeError']);
  });

  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['False', false],
    ['FALSE', false],
    ['null', null],
    ['"a\\"b\\\\c\\n\\t\\u00e9"', 'a"b\\c\n\té'],
    ['"colon: allowed"', 'colon: allowed'],
  ] as Array<[string, WorkflowValue]>)('%s = %p', async (source, expected) => {
    // Act / Assert
    expect(await evaluate(source)).toEqual(expected);
  });

  it('evaluates multi-line expressions', async () => {
    // Act
    const value = await evaluate('"SELECT * from customers" +\n  "\\nWHERE id=" +\n  string(7)');

    // Assert
    expect(value).toBe('SELECT * from customers\nWHERE id=7');
  });
});

describe('function calls', () => {
  const recordingContext = (calls: Array<[string, WorkflowValue[]]>): ExpressionContext => ({
    readVariable: (name) => {
      if (name === 'a') return map({ b: { c: 'not a function' } });
      if (name === 'x') return 5n;
      throw WorkflowRuntimeError.builtin('KeyError', name);
    },
    hasVariable: (name) => name === 'a' || name === 'x',
    callFunction: async (name, args) => {
      calls.push([name, args]);
      return `result${calls.length}`;
    },
  });

  it('calls by dotted name with arguments evaluated left to right, even when the root is a variable', async () => {
    // Prepare
    const calls: Array<[string, WorkflowValue[]]> = [];

    // Act
    const value = await evaluateExpression(
      parseExpression('a.b.c(x, my_subworkflow(1, "two")) + sys.now()'),
      recordingContext(calls),
    );

    // Assert
    expect(calls).toEqual([
      ['my_subworkflow', [1n, 'two']],
      ['a.b.c', [5n, 'result1']],
      ['sys.now', []],
    ]);
    expect(value).toBe('result2result3');
  });

  it('propagates errors raised by a function', async () => {
    // Act
    const error = await errorOf(evaluate('int("abc")'));

    // Assert
    expect(error.tags).toEqual(['ValueError']);
  });
});
