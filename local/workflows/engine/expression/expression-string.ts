/**
 * Where the `}` closing the `${` at the start of `text` is, skipping braces inside double-quoted
 * string literals; -1 when it is never closed.
 */
const closingBraceOffset = (text: string): number => {
  let depth = 0;
  let inString = false;
  for (let index = 1; index < text.length; index += 1) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index += 1;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === '{') depth += 1;
    else if (char === '}') {
      depth -= 1;
      if (depth === 0) return index;
    }
  }
  return -1;
};

/**
 * Whether a YAML/JSON string value is one `${...}` expression: it starts with `${` and the brace
 * that closes it is the last character. Anything else — `"id-${x}"`, `"${a}-${b}"`, `"${x"` — is
 * literal text, as in Workflows (there is no string interpolation).
 */
const isExpressionString = (text: string): boolean =>
  text.startsWith('${') && text.endsWith('}') && closingBraceOffset(text) === text.length - 1;

/** The source inside `${...}` (call only when isExpressionString holds). */
const expressionSource = (text: string): string => text.slice(2, -1);

export { expressionSource, isExpressionString };
