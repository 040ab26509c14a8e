import {
  hasErrorTag,
  toWorkflowRuntimeError,
  WorkflowRuntimeError,
} from '../../../../local/workflows/engine/errors';
import type { WorkflowValue } from '../../../../local/workflows/engine/runtime-types';
import {
  compareValues,
  decodeJsonText,
  deepCopy,
  encodeJsonText,
  formatDouble,
  fromJson,
  stringify,
  toJson,
  typeName,
  valuesEqual,
} from '../../../../local/workflows/engine/values';

const tagsOf = (run: () => unknown): string[] => {
  try {
    run();
  } catch (thrown) {
    if (thrown instanceof WorkflowRuntimeError) return thrown.tags;
    throw thrown;
  }
  throw new Error('expected a WorkflowRuntimeError');
};

describe('fromJson', () => {
  it('turns integral numbers into ints and the rest into doubles, objects into maps', () => {
    // Prepare
    const parsed = JSON.parse('{"a": 1, "b": 2.5, "c": [true, null, "x"], "d": {"e": -3}}') as unknown;

    // Act
    const value = fromJson(parsed);

    // Assert
    expect(value).toEqual(
      new Map<string, WorkflowValue>([
        ['a', 1n],
        ['b', 2.5],
        ['c', [true, null, 'x']],
        ['d', new Map([['e', -3n]])],
      ]),
    );
  });

  it('keeps integral numbers beyond 64 bits as doubles, converts Buffers to bytes and drops undefined', () => {
    // Act
    const value = fromJson({ big: 1e20, bytes: Buffer.from('hi'), gone: undefined });

    // Assert
    expect(value).toEqual(
      new Map<string, WorkflowValue>([
        ['big', 1e20],
        ['bytes', new Uint8Array([104, 105])],
      ]),
    );
  });
});

describe('decodeJsonText', () => {
  it('tells 1 (int) from 1.0 and 1e3 (doubles)', () => {
    // Act
    const value = decodeJsonText('[1, 1.0, 1e3, -0, 9223372036854775807, 9223372036854775808]');

    // Assert
    expect(value).toEqual([1n, 1, 1000, 0n, 9223372036854775807n, 2 ** 63]);
    expect(typeof (value as WorkflowValue[])[1]).toBe('number');
  });

  it('decodes escapes, surrogate pairs, nesting and keeps key order', () => {
    // Act
    const value = decodeJsonText(
      ' {"z": "a\\"b\\\\c\\n\\u00e9\\ud83d\\ude00", "a": {"b": [ ]}, "m": false} ',
    );

    // Assert
    expect(value).toEqual(
      new Map<string, WorkflowValue>([
        ['z', 'a"b\\c\né😀'],
        ['a', new Map([['b', []]])],
        ['m', false],
      ]),
    );
    expect([...(value as Map<string, WorkflowValue>).keys()]).toEqual(['z', 'a', 'm']);
  });

  it.each(['', '{', '[1,]', '{"a" 1}', 'tru', '01', '"unterminated', '[1] 2', "{'a': 1}"])(
    'rejects %j with a ValueError',
    (text) => {
      // Act
      const tags = tagsOf(() => decodeJsonText(text));

      // Assert
      expect(tags).toEqual(['ValueError']);
    },
  );
});

describe('encodeJsonText', () => {
  it('writes ints exactly, doubles with their .0, and compact maps in insertion order', () => {
    // Prepare
    const value = new Map<string, WorkflowValue>([
      ['z', 9223372036854775807n],
      ['a', [2, 80.6, 3.5, -0.5, 1e21]],
      ['s', 'é"\n'],
      ['n', null],
    ]);

    // Act
    const text = encodeJsonText(value);

    // Assert
    expect(text).toBe('{"z":9223372036854775807,"a":[2.0,80.6,3.5,-0.5,1e+21],"s":"é\\"\\n","n":null}');
  });

  it('indents with prefix and indent like json.encode documents', () => {
    // Prepare
    const value = new Map<string, WorkflowValue>([
      ['a', [1n, 2n]],
      ['b', new Map()],
    ]);

    // Act
    const text = encodeJsonText(value, { prefix: '>', indent: '  ' });

    // Assert
    expect(text).toBe('{\n>  "a": [\n>    1,\n>    2\n>  ],\n>  "b": {}\n>}');
  });

  it('round-trips through decodeJsonText keeping int and double apart', () => {
    // Prepare
    const value: WorkflowValue = [1n, 2.0, new Map([['k', [true, 'x']]])];

    // Act
    const back = decodeJsonText(encodeJsonText(value));

    // Assert
    expect(back).toEqual(value);
    expect(typeof (back as WorkflowValue[])[1]).toBe('number');
  });

  it('refuses bytes and not-finite doubles with a ValueError', () => {
    // Act / Assert
    expect(tagsOf(() => encodeJsonText([new Uint8Array([1])]))).toEqual(['ValueError']);
    expect(tagsOf(() => encodeJsonText(Number.POSITIVE_INFINITY))).toEqual(['ValueError']);
  });
});

describe('toJson', () => {
  it('returns plain JS with numbers and objects', () => {
    // Act
    const plain = toJson(new Map<string, WorkflowValue>([['a', [1n, 2.5, null]]]));

    // Assert
    expect(plain).toEqual({ a: [1, 2.5, null] });
  });

  it('refuses bytes (TypeError) and ints that a JS number cannot hold exactly (ValueError)', () => {
    // Act / Assert
    expect(tagsOf(() => toJson(new Uint8Array([1])))).toEqual(['TypeError']);
    expect(tagsOf(() => toJson(2n ** 60n))).toEqual(['ValueError']);
  });

  it('keeps a "__proto__" key as an ordinary property', () => {
    // Act
    const plain = toJson(new Map([['__proto__', 1n]])) as Record<string, unknown>;

    // Assert
    expect(Object.keys(plain)).toEqual(['__proto__']);
    expect(JSON.stringify(plain)).toBe('{"__proto__":1}');
  });
});

describe('formatDouble and stringify', () => {
  it.each([
    [80.6, '80.6'],
    [3.5, '3.5'],
    [2, '2.0'],
    [-0, '-0.0'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1e21, '1e+21'],
    [1e-7, '1e-7'],
  ])('renders %p as %s', (value, expected) => {
    // Act / Assert
    expect(formatDouble(value)).toBe(expected);
  });

  it('renders ints, booleans and strings for string() and concatenation', () => {
    // Act / Assert
    expect(stringify(-42n)).toBe('-42');
    expect(stringify(true)).toBe('true');
    expect(stringify(false)).toBe('false');
    expect(stringify('as is')).toBe('as is');
    expect(stringify(new Map([['a', 1n]]))).toBe('{"a":1}');
  });
});

describe('typeName', () => {
  it.each([
    [1n, 'integer'],
    [1.5, 'double'],
    ['s', 'string'],
    [true, 'boolean'],
    [new Uint8Array(), 'bytes'],
    [null, 'null'],
    [[], 'list'],
    [new Map(), 'map'],
  ] as Array<[WorkflowValue, string]>)('names %p %s', (value, expected) => {
    // Act / Assert
    expect(typeName(value)).toBe(expected);
  });
});

describe('valuesEqual', () => {
  it.each([
    [1n, 1, true],
    [1n, 1.5, false],
    [2n ** 53n + 1n, 2 ** 53, false],
    [1n, '1', false],
    [null, null, true],
    [null, false, false],
    ['a', 'a', true],
    [[1n, [2n]], [1, [2.0]], true],
    [[1n], [1n, 2n], false],
    [
      new Map<string, WorkflowValue>([
        ['a', 1n],
        ['b', 2n],
      ]),
      new Map<string, WorkflowValue>([
        ['b', 2n],
        ['a', 1n],
      ]),
      true,
    ],
    [new Map([['a', 1n]]), new Map([['a', 2n]]), false],
    [new Uint8Array([1, 2]), new Uint8Array([1, 2]), true],
    [new Map(), [], false],
  ] as Array<[WorkflowValue, WorkflowValue, boolean]>)('%p == %p is %p', (a, b, expected) => {
    // Act / Assert
    expect(valuesEqual(a, b)).toBe(expected);
  });
});

describe('compareValues', () => {
  it('orders numbers across int and double and strings by code point', () => {
    // Act / Assert
    expect(compareValues(1n, 1.5)).toBeLessThan(0);
    expect(compareValues(2.5, 2n)).toBeGreaterThan(0);
    expect(compareValues(3n, 3.0)).toBe(0);
    expect(compareValues(-1n, Number.NEGATIVE_INFINITY)).toBeGreaterThan(0);
    expect(compareValues('abc', 'abd')).toBeLessThan(0);
    expect(compareValues('b', 'abc')).toBeGreaterThan(0);
    // U+FF61 sorts before U+1F600 by code point although its UTF-16 unit is larger.
    expect(compareValues('\uff61', '😀')).toBeLessThan(0);
  });

  it('raises a TypeError for other combinations', () => {
    // Act / Assert
    expect(tagsOf(() => compareValues('1', 1n))).toEqual(['TypeError']);
    expect(tagsOf(() => compareValues(null, null))).toEqual(['TypeError']);
    expect(tagsOf(() => compareValues(true, false))).toEqual(['TypeError']);
  });
});

describe('deepCopy', () => {
  it('copies nested lists, maps and bytes', () => {
    // Prepare
    const original = new Map<string, WorkflowValue>([
      ['list', [1n, new Map([['k', 'v']])]],
      ['bytes', new Uint8Array([1])],
    ]);

    // Act
    const copy = deepCopy(original);
    ((copy.get('list') as WorkflowValue[])[1] as Map<string, WorkflowValue>).set('k', 'changed');
    (copy.get('bytes') as Uint8Array)[0] = 9;

    // Assert
    expect(((original.get('list') as WorkflowValue[])[1] as Map<string, WorkflowValue>).get('k')).toBe('v');
    expect((original.get('bytes') as Uint8Array)[0]).toBe(1);
  });
});

describe('WorkflowRuntimeError', () => {
  it('builds built-in errors as {message, tags, ...extra}', () => {
    // Act
    const error = WorkflowRuntimeError.builtin('HttpError', 'HTTP server responded with error code 404', {
      code: 404n,
      headers: new Map(),
      body: 'nope',
    });

    // Assert
    expect([...(error.value as Map<string, WorkflowValue>).keys()]).toEqual([
      'message',
      'tags',
      'code',
      'headers',
      'body',
    ]);
    expect(error.tags).toEqual(['HttpError']);
    expect(error.message).toBe('HTTP server responded with error code 404');
    expect(hasErrorTag(error.value, 'HttpError')).toBe(true);
    expect(hasErrorTag(error.value, 'KeyError')).toBe(false);
  });

  it('carries a raised value unchanged', () => {
    // Act
    const fromString = WorkflowRuntimeError.raised('how odd!');
    const fromMap = WorkflowRuntimeError.raised(new Map<string, WorkflowValue>([['code', 7n]]));

    // Assert
    expect(fromString.value).toBe('how odd!');
    expect(fromString.message).toBe('how odd!');
    expect(fromString.tags).toEqual([]);
    expect(fromMap.message).toBe('{"code":"7"}');
    expect(hasErrorTag('how odd!', 'TypeError')).toBe(false);
  });

  it('turns anything else thrown into a SystemError', () => {
    // Act
    const error = toWorkflowRuntimeError(new RangeError('boom'));
    const same = WorkflowRuntimeError.builtin('KeyError', 'k');

    // Assert
    expect(error.tags).toEqual(['SystemError']);
    expect(error.message).toBe('boom');
    expect(toWorkflowRuntimeError(same)).toBe(same);
  });
});
