import type { WorkflowValue } from '../../../../local/workflows/engine/runtime-types';
import { createPureStandardLibrary } from '../../../../local/workflows/engine/stdlib';
import { call, createTestServices, errorOf, evaluate, map } from './stdlib-harness';

describe('the pure standard library catalog', () => {
  const expected = [
    'double',
    'int',
    'string',
    'keys',
    'len',
    'default',
    'if',
    'get_type',
    'sys.now',
    'sys.get_env',
    'text.find_all',
    'text.find_all_regex',
    'text.match_regex',
    'text.replace_all',
    'text.replace_all_regex',
    'text.split',
    'text.substring',
    'text.to_lower',
    'text.to_upper',
    'text.url_encode',
    'text.url_encode_plus',
    'text.url_decode',
    'text.encode',
    'text.decode',
    'json.decode',
    'json.encode',
    'json.encode_to_string',
    'base64.encode',
    'base64.decode',
    'list.concat',
    'list.prepend',
    'map.get',
    'map.delete',
    'map.merge',
    'map.merge_nested',
    'math.abs',
    'math.max',
    'math.min',
    'math.floor',
    'time.format',
    'time.parse',
    'uuid.generate',
    'hash.compute_checksum',
    'hash.compute_hmac',
    'retry.always',
    'retry.never',
    'http.default_retry_predicate',
    'http.default_retry_predicate_non_idempotent',
  ];

  it('has exactly the documented non-blocking functions, none of them blocking', () => {
    // Act
    const library = createPureStandardLibrary();

    // Assert
    expect([...library.keys()].sort()).toEqual([...expected].sort());
    expect([...library.values()].every((fn) => !fn.blocking && fn.minArgs <= fn.params.length)).toBe(true);
  });

  it('names parameters as the documentation does, for call-step named arguments', () => {
    // Act
    const library = createPureStandardLibrary();

    // Assert
    expect(library.get('text.split')?.params).toEqual(['source', 'separator']);
    expect(library.get('sys.get_env')?.params).toEqual(['name', 'default']);
    expect(library.get('list.concat')?.params).toEqual(['objs', 'val']);
    expect(library.get('map.get')?.params).toEqual(['map', 'keys']);
    expect(library.get('json.encode_to_string')?.params).toEqual(['data', 'indent']);
    expect(library.get('time.format')?.params).toEqual(['seconds', 'timezone']);
    expect(library.get('hash.compute_hmac')?.params).toEqual(['key', 'data', 'algorithm']);
  });

  it('returns a fresh map each time, so callers can add blocking functions', () => {
    // Prepare
    const first = createPureStandardLibrary();

    // Act
    first.delete('len');

    // Assert
    expect(createPureStandardLibrary().has('len')).toBe(true);
  });

  it.each([
    ['len', [], /missing required argument "value"/],
    ['text.split', ['a'], /missing required argument "separator"/],
    ['map.get', [map({}), 'a', null], /takes at most 2 arguments \(3 given\)/],
    ['uuid.generate', [1n], /takes at most 0 arguments/],
  ] as Array<[string, WorkflowValue[], RegExp]>)(
    '%s with %p raises a TypeError',
    async (name, args, message) => {
      // Act
      const error = await errorOf(call(name, args));

      // Assert
      expect(error.tags).toEqual(['TypeError']);
      expect(error.message).toMatch(message);
      expect(error.message).toContain(name);
    },
  );
});

describe('conversions', () => {
  it.each([
    ['double("3.14")', 3.14],
    ['double("-1e3")', -1000],
    ['double(42)', 42],
    ['double(2.5)', 2.5],
    ['int("42")', 42n],
    ['int("-7")', -7n],
    ['int(3.99)', 3n],
    ['int(-2.7)', -2n],
    ['int(5)', 5n],
    ['string(42)', '42'],
    ['string(80.6)', '80.6'],
    ['string(4 / 2)', '2.0'],
    ['string(true)', 'true'],
    ['string("s")', 's'],
    ['string(int("42") + len("hello"))', '47'],
  ] as Array<[string, WorkflowValue]>)('%s = %p', async (source, expected) => {
    // Act
    const value = await evaluate(source);

    // Assert
    expect(value).toEqual(expected);
    expect(typeof value).toBe(typeof expected);
  });

  it.each([
    ['int("abc")', 'ValueError'],
    ['int("3.5")', 'ValueError'],
    ['int("")', 'ValueError'],
    ['int("9223372036854775808")', 'ValueError'],
    ['int(1e19)', 'ValueError'],
    ['double("x1")', 'ValueError'],
    ['double("1e999")', 'ValueError'],
    ['int(true)', 'TypeError'],
    ['int(null)', 'TypeError'],
    ['double([1])', 'TypeError'],
    ['string(null)', 'TypeError'],
    ['string([1])', 'TypeError'],
  ])('%s raises %s', async (source, tag) => {
    // Act
    const error = await errorOf(evaluate(source));

    // Assert
    expect(error.tags).toEqual([tag]);
  });
});

describe('keys, len, default, if, get_type', () => {
  const variables = { m: map({ z: 1, a: 2, m: 3 }), nothing: null };

  it.each([
    ['keys(m)', ['z', 'a', 'm']],
    ['len(keys(m))', 3n],
    ['len("hello")', 5n],
    ['len("héllo😀")', 6n],
    ['len([1, 2, 3])', 3n],
    ['len(m)', 3n],
    ['len("")', 0n],
    ['len([])', 0n],
    ['default(nothing, "fallback")', 'fallback'],
    ['default(42, 99)', 42n],
    ['default(false, true)', false],
    ['if(true, "a", "b")', 'a'],
    ['if(false, "a", "b")', 'b'],
    ['if(nothing, "a", "b")', 'b'],
    ['if(true, null, 1)', null],
    ['get_type(42)', 'integer'],
    ['get_type(3.14)', 'double'],
    ['get_type("s")', 'string'],
    ['get_type(true)', 'boolean'],
    ['get_type(null)', 'null'],
    ['get_type([1, 2])', 'list'],
    ['get_type(m)', 'map'],
    ['get_type(text.encode("x"))', 'bytes'],
  ] as Array<[string, WorkflowValue]>)('%s = %p', async (source, expected) => {
    // Act / Assert
    expect(await evaluate(source, variables)).toEqual(expected);
  });

  it.each([['keys([1])'], ['len(1)'], ['len(null)'], ['if(1, "a", "b")'], ['if("true", 1, 2)']])(
    '%s raises a TypeError',
    async (source) => {
      // Act
      const error = await errorOf(evaluate(source, variables));

      // Assert
      expect(error.tags).toEqual(['TypeError']);
    },
  );

  it('has no type() helper (that is an emulator invention)', async () => {
    // Act
    const error = await errorOf(evaluate('type(1)', {}, createTestServices()));

    // Assert
    expect(error.message).toMatch(/function type not found/);
  });
});
