import { TextDecoder } from 'node:util';
import type { WorkflowMap, WorkflowValue } from '../runtime-types';
import { compileRe2 } from './re2-regex';
import { definePure, type StdlibFunction, valueError } from './stdlib-function';

/** Code-point index of a UTF-16 offset: Workflows counts characters, not UTF-16 units. */
const codePointIndex = (text: string, utf16Offset: number): number => {
  let count = 0;
  for (let index = 0; index < utf16Offset; index += 1) {
    const unit = text.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < utf16Offset) {
      const low = text.charCodeAt(index + 1);
      if (low >= 0xdc00 && low <= 0xdfff) index += 1;
    }
    count += 1;
  }
  return count;
};

/** Literal characters allowed unescaped by `text.url_encode` (letters, digits and `.-_`). */
const URL_UNRESERVED = /[A-Za-z0-9._-]/;

const percentEncode = (source: string, spaceAsPlus: boolean): string => {
  let result = '';
  for (const char of source) {
    if (URL_UNRESERVED.test(char)) result += char;
    else if (char === ' ' && spaceAsPlus) result += '+';
    else {
      for (const byte of Buffer.from(char, 'utf8'))
        result += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return result;
};

const percentDecode = (source: string): string => {
  const bytes: number[] = [];
  for (let index = 0; index < source.length; index += 1) {
    const char = source[index] as string;
    if (char === '%') {
      const hex = source.slice(index + 1, index + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        throw valueError(
          'text.url_decode',
          `invalid percent-escape at offset ${index} in ${JSON.stringify(source)}`,
        );
      }
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else {
      bytes.push(...Buffer.from(char, 'utf8'));
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    throw valueError('text.url_decode', `${JSON.stringify(source)} does not decode to UTF-8 text`);
  }
};

const normalizeCharset = (charset: string): string => charset.trim().toLowerCase().replace(/_/g, '-');

/** `text.encode`: UTF-8, US-ASCII, ISO-8859-1 and UTF-16 (BE/LE); text the charset cannot represent is a ValueError. */
const encodeText = (text: string, charset: string): Uint8Array => {
  const name = normalizeCharset(charset);
  if (name === 'utf-8' || name === 'utf8') return new Uint8Array(Buffer.from(text, 'utf8'));
  const limit =
    name === 'us-ascii' || name === 'ascii'
      ? 0x7f
      : ['iso-8859-1', 'latin1', 'latin-1'].includes(name)
        ? 0xff
        : undefined;
  if (limit !== undefined) {
    const bytes: number[] = [];
    for (const char of text) {
      const codePoint = char.codePointAt(0) as number;
      if (codePoint > limit) {
        throw valueError('text.encode', `${JSON.stringify(char)} cannot be represented in ${charset}`);
      }
      bytes.push(codePoint);
    }
    return new Uint8Array(bytes);
  }
  if (name === 'utf-16le' || name === 'utf-16be' || name === 'utf-16') {
    const little = new Uint8Array(Buffer.from(text, 'utf16le'));
    if (name === 'utf-16le') return little;
    const big = new Uint8Array(little.length);
    for (let index = 0; index + 1 < little.length; index += 2) {
      big[index] = little[index + 1] as number;
      big[index + 1] = little[index] as number;
    }
    // Plain UTF-16 is big-endian with a byte-order mark, as Java and Go's unicode package write it.
    return name === 'utf-16be' ? big : new Uint8Array([0xfe, 0xff, ...big]);
  }
  throw valueError('text.encode', `unsupported charset ${JSON.stringify(charset)}`);
};

/** `text.decode`: undecodable bytes become U+FFFD; an unknown charset is a ValueError. */
const decodeText = (data: Uint8Array, charset: string): string => {
  const name = normalizeCharset(charset);
  // WHATWG maps both of these labels to windows-1252; Workflows means the real charsets.
  const ascii = name === 'us-ascii' || name === 'ascii';
  if (ascii || ['iso-8859-1', 'latin1', 'latin-1'].includes(name)) {
    let text = '';
    for (const byte of data) text += String.fromCharCode(ascii && byte > 0x7f ? 0xfffd : byte);
    return text;
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(name, { fatal: false });
  } catch {
    throw valueError('text.decode', `unsupported charset ${JSON.stringify(charset)}`);
  }
  return decoder.decode(data);
};

/** Non-overlapping, leftmost-first occurrences of `substr`, as code-point indexes. */
const findAll = (source: string, substr: string): bigint[] => {
  if (substr === '') return Array.from({ length: [...source].length + 1 }, (_unused, index) => BigInt(index));
  const indexes: bigint[] = [];
  let from = 0;
  for (;;) {
    const found = source.indexOf(substr, from);
    if (found === -1) return indexes;
    indexes.push(BigInt(codePointIndex(source, found)));
    from = found + substr.length;
  }
};

/** `text.substring`: code-point indexes; negative ones count from the end; all are clamped. */
const substring = (source: string, start: bigint, end: bigint): string => {
  const chars = [...source];
  const length = BigInt(chars.length);
  const clamp = (index: bigint): number => {
    const absolute = index < 0n ? index + length : index;
    return Number(absolute < 0n ? 0n : absolute > length ? length : absolute);
  };
  const from = clamp(start);
  const to = clamp(end);
  return from >= to ? '' : chars.slice(from, to).join('');
};

const replaceAllLiteral = (source: string, substr: string, replacement: string): string => {
  if (substr === '') return replacement + [...source].join(replacement) + (source === '' ? '' : replacement);
  return source.split(substr).join(replacement);
};

/**
 * The `text` module. Indexes are code points; regular expressions are RE2 syntax translated to JS
 * (see re2-regex.ts). One known difference: RE2 as Workflows uses it prefers the longest match
 * among those starting at the same index, JS the first alternative (`a|ab` on "ab": Workflows "ab",
 * here "a").
 */
const createTextFunctions = (): Record<string, StdlibFunction> =>
  Object.fromEntries([
    definePure('text.find_all', ['source', 'substr'], 2, (read, args) =>
      findAll(read.string(args, 0), read.string(args, 1)),
    ),
    definePure('text.find_all_regex', ['source', 'regexp'], 2, (read, args) => {
      const source = read.string(args, 0);
      const regex = compileRe2('text.find_all_regex', read.string(args, 1), 'g');
      return [...source.matchAll(regex)].map(
        (match): WorkflowMap =>
          new Map<string, WorkflowValue>([
            ['index', BigInt(codePointIndex(source, match.index))],
            ['match', match[0]],
          ]),
      );
    }),
    definePure('text.match_regex', ['source', 'regexp'], 2, (read, args) =>
      compileRe2('text.match_regex', read.string(args, 1)).test(read.string(args, 0)),
    ),
    definePure('text.replace_all', ['source', 'substr', 'repl'], 3, (read, args) =>
      replaceAllLiteral(read.string(args, 0), read.string(args, 1), read.string(args, 2)),
    ),
    definePure('text.replace_all_regex', ['source', 'regexp', 'repl'], 3, (read, args) => {
      const source = read.string(args, 0);
      const regex = compileRe2('text.replace_all_regex', read.string(args, 1), 'g');
      const replacement = read.string(args, 2);
      // The replacement is literal text: Workflows supports no backreferences.
      return source.replace(regex, () => replacement);
    }),
    definePure('text.split', ['source', 'separator'], 2, (read, args) => {
      const source = read.string(args, 0);
      const separator = read.string(args, 1);
      return separator === '' ? [...source] : source.split(separator);
    }),
    definePure('text.substring', ['source', 'start', 'end'], 3, (read, args) =>
      substring(read.string(args, 0), read.int(args, 1), read.int(args, 2)),
    ),
    definePure('text.to_lower', ['source'], 1, (read, args) => read.string(args, 0).toLowerCase()),
    definePure('text.to_upper', ['source'], 1, (read, args) => read.string(args, 0).toUpperCase()),
    definePure('text.url_encode', ['source'], 1, (read, args) => percentEncode(read.string(args, 0), false)),
    definePure('text.url_encode_plus', ['source'], 1, (read, args) =>
      percentEncode(read.string(args, 0), true),
    ),
    definePure('text.url_decode', ['source'], 1, (read, args) => percentDecode(read.string(args, 0))),
    definePure('text.encode', ['text', 'charset'], 1, (read, args) =>
      encodeText(read.string(args, 0), read.optionalString(args, 1, 'UTF-8')),
    ),
    definePure('text.decode', ['data', 'charset'], 1, (read, args) =>
      decodeText(read.bytes(args, 0), read.optionalString(args, 1, 'UTF-8')),
    ),
  ]);

export { codePointIndex, createTextFunctions, decodeText, encodeText };
