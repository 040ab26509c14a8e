import { ExpressionSyntaxError } from './ast';

/** A lexical token of an expression; `offset` is its position in the expression source. */
type Token =
  | { kind: 'int'; value: bigint; text: string; offset: number }
  | { kind: 'double'; value: number; text: string; offset: number }
  | { kind: 'string'; value: string; offset: number }
  /** Names and keywords alike; the parser decides (keywords may be member names: `m.in`). */
  | { kind: 'word'; value: string; offset: number }
  | { kind: 'punct'; value: string; offset: number }
  | { kind: 'end'; offset: number };

const PUNCTUATION = [
  '//',
  '==',
  '!=',
  '<=',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  '.',
  ':',
];

const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  "'": "'",
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
};

const isDigit = (char: string | undefined): boolean => char !== undefined && char >= '0' && char <= '9';
const isWordStart = (char: string | undefined): boolean => char !== undefined && /[A-Za-z_]/.test(char);
const isWordPart = (char: string | undefined): boolean => char !== undefined && /[A-Za-z0-9_]/.test(char);

const readString = (source: string, start: number): { value: string; end: number } => {
  let position = start + 1;
  let value = '';
  for (;;) {
    const char = source[position];
    if (char === undefined) throw new ExpressionSyntaxError('unterminated string literal', start);
    if (char === '"') return { value, end: position + 1 };
    if (char !== '\\') {
      value += char;
      position += 1;
      continue;
    }
    const escapeChar = source[position + 1];
    if (escapeChar !== undefined && escapeChar in SIMPLE_ESCAPES) {
      value += SIMPLE_ESCAPES[escapeChar];
      position += 2;
    } else if (escapeChar === 'u') {
      const hex = source.slice(position + 2, position + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        throw new ExpressionSyntaxError('a \\u escape needs four hex digits', position);
      }
      value += String.fromCharCode(Number.parseInt(hex, 16));
      position += 6;
    } else {
      throw new ExpressionSyntaxError(
        `unknown escape sequence \\${escapeChar ?? ''} in string literal`,
        position,
      );
    }
  }
};

/** Splits an expression source into tokens; throws ExpressionSyntaxError on a bad character or literal. */
const tokenize = (source: string): Token[] => {
  const tokens: Token[] = [];
  let position = 0;
  while (position < source.length) {
    const char = source[position] as string;
    if (char === ' ' || char === '\t' || char === '\n' || char === '\r') {
      position += 1;
      continue;
    }
    const offset = position;
    if (isDigit(char)) {
      const match = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(source.slice(position)) as RegExpExecArray;
      const text = match[0];
      position += text.length;
      if (isWordStart(source[position])) {
        throw new ExpressionSyntaxError(`malformed number ${text}${source[position]}`, offset);
      }
      if (match[1] === undefined && match[2] === undefined) {
        tokens.push({ kind: 'int', value: BigInt(text), text, offset });
      } else {
        tokens.push({ kind: 'double', value: Number(text), text, offset });
      }
      continue;
    }
    if (char === '"') {
      const { value, end } = readString(source, position);
      tokens.push({ kind: 'string', value, offset });
      position = end;
      continue;
    }
    if (char === "'") {
      throw new ExpressionSyntaxError('string literals use double quotes ("...") in expressions', offset);
    }
    if (isWordStart(char)) {
      let end = position + 1;
      while (isWordPart(source[end])) end += 1;
      tokens.push({ kind: 'word', value: source.slice(position, end), offset });
      position = end;
      continue;
    }
    const punct = PUNCTUATION.find((candidate) => source.startsWith(candidate, position));
    if (punct === undefined)
      throw new ExpressionSyntaxError(`unexpected character ${JSON.stringify(char)}`, offset);
    tokens.push({ kind: 'punct', value: punct, offset });
    position += punct.length;
  }
  tokens.push({ kind: 'end', offset: source.length });
  return tokens;
};

export type { Token };
export { tokenize };
