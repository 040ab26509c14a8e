import { invalidArgument } from '../../simulator/api-error';

/**
 * The part of AIP-160 list filters the local Executions API understands: comparisons
 * `field = value`, `!=`, `<`, `<=`, `>`, `>=` and `:` (has), joined by `AND`, on the fields a list
 * method names (`state`, `labels.env`, `startTime`, …). Values may be quoted (`state="ACTIVE"`)
 * or bare (`state = ACTIVE`). Anything else (OR, NOT, parentheses, functions) is refused with
 * INVALID_ARGUMENT rather than being silently ignored.
 */

type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=' | ':';

interface Comparison {
  field: string;
  comparator: Comparator;
  value: string;
}

/** Reads a field of the item being filtered; undefined when the item lacks it. */
type FieldReader = (field: string) => string | undefined;

const COMPARISON =
  /^\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\s*(!=|<=|>=|=|<|>|:)\s*("(?:[^"\\]|\\.)*"|[^\s"()]+)\s*$/;

const unquote = (text: string): string => (text.startsWith('"') ? (JSON.parse(text) as string) : text);

/** Splits on ` AND ` outside quotes. */
const splitConjunction = (filter: string): string[] => {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < filter.length; index += 1) {
    const char = filter[index] as string;
    if (char === '"' && filter[index - 1] !== '\\') quoted = !quoted;
    if (!quoted && /^\sAND\s/.test(filter.slice(index, index + 5))) {
      parts.push(current);
      current = '';
      index += 4;
      continue;
    }
    current += char;
  }
  parts.push(current);
  return parts;
};

const compare = (actual: string, expected: string): number => {
  if (/^-?\d+(\.\d+)?$/.test(actual) && /^-?\d+(\.\d+)?$/.test(expected)) {
    return Number(actual) - Number(expected);
  }
  return actual < expected ? -1 : actual > expected ? 1 : 0;
};

const matches = (comparison: Comparison, read: FieldReader): boolean => {
  const actual = read(comparison.field);
  if (comparison.comparator === ':') {
    return actual !== undefined && (comparison.value === '*' || actual.includes(comparison.value));
  }
  if (actual === undefined) return comparison.comparator === '!=';
  const order = compare(actual, comparison.value);
  switch (comparison.comparator) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
};

/**
 * Compiles `filter` into a predicate over items read through a {@link FieldReader}. An empty
 * filter matches everything.
 *
 * @param fields - the filterable fields; `labels` allows any `labels.KEY`.
 * @throws SimulatorApiError INVALID_ARGUMENT for syntax outside the subset or an unknown field.
 */
const compileListFilter = (
  filter: string | null,
  fields: readonly string[],
): ((read: FieldReader) => boolean) => {
  if (filter === null || filter.trim() === '') return () => true;
  const comparisons = splitConjunction(filter).map((part): Comparison => {
    const found = COMPARISON.exec(part);
    if (!found) {
      throw invalidArgument(
        `Unsupported filter "${filter}": this local server understands comparisons (=, !=, <, <=, >, >=, :) joined by AND.`,
      );
    }
    const field = found[1] as string;
    const root = field.split('.')[0] as string;
    if (!fields.includes(field) && !(root === 'labels' && fields.includes('labels') && field.includes('.'))) {
      throw invalidArgument(`Invalid filter field "${field}"; supported: ${fields.join(', ')}.`);
    }
    return { field, comparator: found[2] as Comparator, value: unquote(found[3] as string) };
  });
  return (read) => comparisons.every((comparison) => matches(comparison, read));
};

export type { FieldReader };
export { compileListFilter };
