import type { WorkflowValue } from '../../../../local/workflows/engine/runtime-types';
import { call, errorOf, map } from './stdlib-harness';

const bytes = (text: string, encoding: BufferEncoding = 'utf8') =>
  new Uint8Array(Buffer.from(text, encoding));

describe('text.find_all', () => {
  it.each([
    ['00000', '00', [0n, 2n]],
    ['Hello World', 'l', [2n, 3n, 9n]],
    ['😀a😀a', 'a', [1n, 3n]],
    ['abc', 'x', []],
    ['ab', '', [0n, 1n, 2n]],
  ] as Array<[string, string, bigint[]]>)('(%j, %j) = %p', async (source, substr, expected) => {
    // Act / Assert
    expect(await call('text.find_all', [source, substr])).toEqual(expected);
  });

  it('raises a TypeError for a non-string source', async () => {
    // Act
    const error = await errorOf(call('text.find_all', [1n, '1']));

    // Assert
    expect(error.tags).toEqual(['TypeError']);
    expect(error.message).toBe('text.find_all: argument "source" must be a string, not integer');
  });
});

describe('regular expressions', () => {
  it('finds all matches with code-point indexes', async () => {
    // Act
    const value = await call('text.find_all_regex', ['HelloWorld', 'Hello|World']);
    const unicode = await call('text.find_all_regex', ['😀ab😀ab', 'a(b)']);

    // Assert
    expect(value).toEqual([map({ index: 0, match: 'Hello' }), map({ index: 5, match: 'World' })]);
    expect(unicode).toEqual([map({ index: 1, match: 'ab' }), map({ index: 4, match: 'ab' })]);
  });

  it.each([
    ['abc123', '\\d+', true],
    ['abc', '^\\d+$', false],
    ['ABC', '(?i)abc', true],
    ['a.b', 'a\\.b', true],
    ['a-b', 'a\\-b', true],
    ['key=value', '(?P<key>\\w+)=(?P<value>\\w+)', true],
    ['line1\nline2', '\\Aline2', false],
    ['line1\nline2', 'line1\\z', false],
    ['x+y', '\\Qx+y\\E', true],
    ['é', '^\\pL$', true],
    ['a1', '^[[:alpha:]][[:digit:]]$', true],
    ['😀', '^.$', true],
    ['{"a": [1]}', '{"a": \\[1]}', true],
    ['aa', '^a{2}$', true],
    ['aaa', '^a{2}$', false],
    ['x{y', 'x{y', true],
  ] as Array<[string, string, boolean]>)('match_regex(%j, %j) is %p', async (source, regexp, expected) => {
    // Act / Assert
    expect(await call('text.match_regex', [source, regexp])).toBe(expected);
  });

  it('replaces with literal text (no backreferences), empty patterns at every code point', async () => {
    // Act
    const replaced = await call('text.replace_all_regex', ['one two', 'one|two', 'three']);
    const literal = await call('text.replace_all_regex', ['ab', '(a)', '$1\\1']);
    const empty = await call('text.replace_all_regex', ['a😀', '', '-']);

    // Assert
    expect(replaced).toBe('three three');
    expect(literal).toBe('$1\\1b');
    expect(empty).toBe('-a-😀-');
  });

  it.each([['('], ['a(?=b)'], ['(a)\\1'], ['[z-a]']])(
    'rejects the pattern %j with a ValueError',
    async (regexp) => {
      // Act
      const error = await errorOf(call('text.match_regex', ['abc', regexp]));

      // Assert
      expect(error.tags).toEqual(['ValueError']);
    },
  );
});

describe('text.replace_all, split, substring, case', () => {
  it.each([
    ['text.replace_all', ['a-b-c', '-', '+'], 'a+b+c'],
    ['text.replace_all', ['aaa', 'aa', 'b'], 'ba'],
    ['text.replace_all', ['ab', '', '.'], '.a.b.'],
    ['text.split', ['us-central1', '-'], ['us', 'central1']],
    ['text.split', ['a,,b,', ','], ['a', '', 'b', '']],
    ['text.split', ['', ','], ['']],
    ['text.split', ['a😀b', ''], ['a', '😀', 'b']],
    ['text.substring', ['hello', 2n, 4n], 'll'],
    ['text.substring', ['hello', -10n, 10n], 'hello'],
    ['text.substring', ['hello', -3n, -1n], 'll'],
    ['text.substring', ['hello', 4n, 2n], ''],
    ['text.substring', ['h😀llo', 1n, 2n], '😀'],
    ['text.to_lower', ['HeLLo É'], 'hello é'],
    ['text.to_upper', ['straße'], 'STRASSE'],
  ] as Array<[string, WorkflowValue[], WorkflowValue]>)('%s%p = %p', async (name, args, expected) => {
    // Act / Assert
    expect(await call(name, args)).toEqual(expected);
  });

  it('requires integer indexes for substring', async () => {
    // Act
    const error = await errorOf(call('text.substring', ['hello', 1.0, 2n]));

    // Assert
    expect(error.tags).toEqual(['TypeError']);
  });
});

describe('URL encoding', () => {
  it.each([
    ['text.url_encode', 'a/b/c?item=d+e f', 'a%2Fb%2Fc%3Fitem%3Dd%2Be%20f'],
    ['text.url_encode', 'é~.-_', '%C3%A9%7E.-_'],
    ['text.url_encode_plus', 'a b+c', 'a+b%2Bc'],
    ['text.url_decode', 'a%2Fb%20c%C3%A9+d', 'a/b cé+d'],
  ])('%s(%j) = %j', async (name, source, expected) => {
    // Act / Assert
    expect(await call(name, [source])).toBe(expected);
  });

  it.each([['%'], ['%zz'], ['%C3']])('url_decode(%j) raises a ValueError', async (source) => {
    // Act
    const error = await errorOf(call('text.url_decode', [source]));

    // Assert
    expect(error.tags).toEqual(['ValueError']);
  });
});

describe('text.encode and text.decode', () => {
  it('encodes UTF-8 by default and other charsets by name, case-insensitively', async () => {
    // Act / Assert
    expect(await call('text.encode', ['Hello World'])).toEqual(bytes('Hello World'));
    expect(await call('text.encode', ['é', 'utf-8'])).toEqual(new Uint8Array([0xc3, 0xa9]));
    expect(await call('text.encode', ['é', 'ISO-8859-1'])).toEqual(new Uint8Array([0xe9]));
    expect(await call('text.encode', ['A', 'US-ASCII'])).toEqual(new Uint8Array([0x41]));
    expect(await call('text.encode', ['A', 'UTF-16BE'])).toEqual(new Uint8Array([0, 0x41]));
    expect(await call('text.encode', ['A', 'UTF-16LE'])).toEqual(new Uint8Array([0x41, 0]));
  });

  it('raises a ValueError for unrepresentable text or an unknown charset', async () => {
    // Act
    const unrepresentable = await errorOf(call('text.encode', ['é', 'US-ASCII']));
    const unknown = await errorOf(call('text.encode', ['a', 'EBCDIC-XYZ']));
    const unknownDecode = await errorOf(call('text.decode', [bytes('a'), 'EBCDIC-XYZ']));

    // Assert
    expect(unrepresentable.tags).toEqual(['ValueError']);
    expect(unknown.tags).toEqual(['ValueError']);
    expect(unknownDecode.tags).toEqual(['ValueError']);
  });

  it('decodes, replacing undecodable bytes with U+FFFD', async () => {
    // Act / Assert
    expect(await call('text.decode', [bytes('SGVsbG8gV29ybGQ=', 'base64')])).toBe('Hello World');
    expect(await call('text.decode', [new Uint8Array([0x61, 0xff])])).toBe('a\ufffd');
    expect(await call('text.decode', [new Uint8Array([0xe9]), 'iso-8859-1'])).toBe('é');
    expect(await call('text.decode', [new Uint8Array([0x80]), 'ISO-8859-1'])).toBe('\u0080');
    expect(await call('text.decode', [new Uint8Array([0x41, 0xe9]), 'US-ASCII'])).toBe('A\ufffd');
    expect(await call('text.decode', [new Uint8Array([0xa1]), 'ISO-8859-2'])).toBe('Ą');
  });

  it('requires bytes for decode', async () => {
    // Act
    const error = await errorOf(call('text.decode', ['not bytes']));

    // Assert
    expect(error.tags).toEqual(['TypeError']);
  });
});
