import { valueError } from './stdlib-function';

/** JS regex syntax characters: the only identity escapes allowed with the `u` flag. */
const JS_SYNTAX_CHARACTERS = new Set([
  '^',
  '$',
  '\\',
  '.',
  '*',
  '+',
  '?',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '|',
  '/',
]);

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const escapeLiteral = (text: string): string =>
  [...text]
    .map((char) => (/[A-Za-z0-9]/.test(char) ? char : `\\u{${char.codePointAt(0)?.toString(16)}}`))
    .join('');

/**
 * Translates RE2 syntax (what Workflows' `text.*_regex` functions use) into an equivalent
 * JavaScript regex with the `u` flag: leading `(?ims)` flags, `(?P<name>…)` groups, `\A`, `\z`,
 * `\pL`, `\Q…\E`, POSIX classes and RE2's liberal punctuation escapes. Features RE2 does not have
 * (backreferences, lookaround) are rejected with a ValueError, as RE2 rejects them.
 */
const translateRe2 = (functionName: string, pattern: string): { source: string; flags: string } => {
  let flags = 'u';
  let rest = pattern;
  const leading = /^\(\?([imsU]+)\)/.exec(rest);
  if (leading) {
    const requested = leading[1] as string;
    if (requested.includes('U'))
      throw valueError(functionName, 'the RE2 flag U (ungreedy) is not supported here');
    for (const flag of new Set(requested)) flags += flag;
    rest = rest.slice(leading[0].length);
  }
  let output = '';
  let inClass = false;
  for (let index = 0; index < rest.length; index += 1) {
    const char = rest[index] as string;
    if (char === '\\') {
      const next = rest[index + 1];
      if (next === undefined)
        throw valueError(
          functionName,
          `invalid regular expression ${JSON.stringify(pattern)}: trailing backslash`,
        );
      index += 1;
      if (next === 'Q') {
        const end = rest.indexOf('\\E', index + 1);
        const literal = end === -1 ? rest.slice(index + 1) : rest.slice(index + 1, end);
        output += escapeLiteral(literal);
        index = end === -1 ? rest.length : end + 1;
      } else if (next === 'A' && !inClass) {
        output += '(?<![\\s\\S])';
      } else if (next === 'z' && !inClass) {
        output += '(?![\\s\\S])';
      } else if ((next === 'p' || next === 'P') && rest[index + 1] !== '{') {
        const category = rest[index + 1];
        if (category === undefined)
          throw valueError(functionName, `invalid regular expression ${JSON.stringify(pattern)}`);
        output += `\\${next}{${category}}`;
        index += 1;
      } else if (/[1-9]/.test(next)) {
        throw valueError(functionName, 'backreferences are not supported (RE2 syntax)');
      } else if (/[A-Za-z0-9]/.test(next) || JS_SYNTAX_CHARACTERS.has(next)) {
        output += `\\${next}`;
      } else {
        output += `\\u{${next.codePointAt(0)?.toString(16)}}`;
      }
      continue;
    }
    if (inClass) {
      if (char === '[' && rest[index + 1] === ':') {
        const end = rest.indexOf(':]', index + 2);
        const className = end === -1 ? undefined : rest.slice(index + 2, end);
        const negated = className?.startsWith('^');
        const range =
          className === undefined ? undefined : POSIX_CLASSES[negated ? className.slice(1) : className];
        if (range === undefined || negated) {
          throw valueError(functionName, `unsupported character class in ${JSON.stringify(pattern)}`);
        }
        output += range;
        index = end + 1;
        continue;
      }
      if (char === ']') inClass = false;
      output += char === '[' ? '\\[' : char;
      continue;
    }
    if (char === '[') {
      inClass = true;
      output += char;
      if (rest[index + 1] === '^') {
        output += '^';
        index += 1;
      }
      // A `]` right after `[` or `[^` is a literal in RE2.
      if (rest[index + 1] === ']') {
        output += '\\]';
        index += 1;
      }
      continue;
    }
    if (char === '{') {
      // A repetition `{n}`, `{n,}`, `{n,m}` stays; any other brace is a literal in RE2.
      const repetition = /^\{\d+(?:,\d*)?\}/.exec(rest.slice(index));
      if (repetition) {
        output += repetition[0];
        index += repetition[0].length - 1;
      } else {
        output += '\\{';
      }
      continue;
    }
    if (char === '}' || char === ']') {
      output += `\\${char}`;
      continue;
    }
    if (char === '(' && rest[index + 1] === '?') {
      const after = rest.slice(index + 2);
      if (after.startsWith('P<')) {
        output += '(?<';
        index += 3;
        continue;
      }
      if (/^(?:=|!|<=|<!)/.test(after)) {
        throw valueError(functionName, 'lookaround assertions are not supported (RE2 syntax)');
      }
    }
    output += char;
  }
  return { source: output, flags };
};

/** Compiles an RE2 pattern for JS (see translateRe2); an invalid pattern is a ValueError. */
const compileRe2 = (functionName: string, pattern: string, extraFlags = ''): RegExp => {
  const { source, flags } = translateRe2(functionName, pattern);
  try {
    return new RegExp(source, flags + extraFlags);
  } catch (error) {
    throw valueError(
      functionName,
      `invalid regular expression ${JSON.stringify(pattern)}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
};

export { compileRe2, translateRe2 };
