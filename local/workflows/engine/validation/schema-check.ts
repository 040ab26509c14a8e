import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { RegExpEngine } from 'ajv/dist/types';
import workflowsSchema from '../../schema/workflows.schema.json';
import { type SourceEntry, type SourceNode, type SourceSpan, toPlainData } from './source-tree';
import type { ValidationIssue } from './validation-error';

/** An expression where the schema asks for a literal: `${...}` (multi-line allowed). */
const EXPRESSION_SCHEMA = { type: 'string', pattern: '^\\$\\{.+\\}$' };

type JsonRecord = Record<string, unknown>;

const recordAt = (root: JsonRecord, path: string[]): JsonRecord => {
  let node: unknown = root;
  for (const segment of path) node = (node as JsonRecord)[segment];
  return node as JsonRecord;
};

/**
 * The official schema with the few places where it is stricter than the documentation relaxed.
 * Each relaxation, and why:
 * - `concurrency_limit`: the parallel-steps page says it "can be either a literal value or an
 *   expression"; the schema allows only an integer.
 * - `retry` block `max_retries` and `backoff.*`: expressions are values like any other, and the
 *   documented default backoff multiplier is 1.25 (not an integer as the schema has it).
 * - `raise`: may be an expression in `raise.code`, and any value at all (the official demo
 *   bigtable-ai/vertex-vector-search raises `False`; the raising-errors page only shows strings
 *   and maps).
 * - `args` may be a list: the sys.log page passes positional arguments (`args: [text, "ERROR"]`).
 * - `args`: the schema applies the `http.*` argument shapes (url, method, headers, body, query,
 *   auth, timeout) to every call, which would refuse e.g. a subworkflow parameter named `body`
 *   holding a list; those arguments are checked when the http function runs. `connector_params`
 *   stays checked, with expressions allowed for its numbers.
 * Patterns are matched with the `s` flag so a multi-line `${...}` expression is an expression.
 */
const relaxedSchema = (): JsonRecord => {
  const schema = structuredClone(workflowsSchema) as unknown as JsonRecord;
  const orExpression = (definition: unknown) => ({ anyOf: [definition, EXPRESSION_SCHEMA] });
  const definitions = schema.definitions as JsonRecord;
  const parallel = recordAt(definitions, ['parallel', 'properties']);
  parallel.concurrency_limit = orExpression({ type: 'integer', minimum: 1 });
  const retryBlock = recordAt(definitions, ['retry', 'oneOf', '0', 'properties']);
  retryBlock.max_retries = orExpression({ type: 'integer', minimum: 0 });
  const backoff = recordAt(retryBlock, ['backoff', 'properties']);
  for (const key of ['initial_delay', 'max_delay', 'multiplier'])
    backoff[key] = orExpression({ type: 'number' });
  const raiseMap = recordAt(definitions, ['raise', 'anyOf', '1', 'properties']);
  raiseMap.code = orExpression({ type: 'integer' });
  (definitions.raise as { anyOf: unknown[] }).anyOf.push({ type: ['boolean', 'number', 'null', 'array'] });
  const args = definitions.args as JsonRecord;
  const connectorParams = recordAt(args, ['properties', 'connector_params']);
  const connectorProperties = connectorParams.properties as JsonRecord;
  connectorProperties.timeout = orExpression({ type: 'integer', minimum: 1, maximum: 31536000 });
  connectorProperties.skip_polling = orExpression({ type: 'boolean' });
  const polling = recordAt(connectorProperties, ['polling_policy', 'properties']);
  for (const key of ['initial_delay', 'multiplier', 'max_delay'])
    polling[key] = orExpression({ type: 'number' });
  args.properties = { connector_params: connectorParams };
  // The sys.log page calls a function with positional arguments: `args: [value, "ERROR"]`.
  definitions.args = { anyOf: [args, { type: 'array' }] };
  return schema;
};

/** Regular expressions for schema patterns: Unicode, and `.` matching newlines too. */
const dotAllRegExp: RegExpEngine = Object.assign(
  (pattern: string, flags: string) => new RegExp(pattern, `${flags}s`),
  {
    code: 'new RegExp',
  },
);

interface SchemaValidators {
  routineMap: ValidateFunction;
  stepList: ValidateFunction;
}

/** Compiles the (relaxed) official schema once per call site; ajv compilation takes a few ms. */
const createSchemaValidators = (): SchemaValidators => {
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    validateFormats: false,
    code: { regExp: dotAllRegExp },
  });
  ajv.addSchema(relaxedSchema(), 'workflows');
  return {
    routineMap: ajv.compile({ $ref: 'workflows#/oneOf/0' }),
    stepList: ajv.compile({ $ref: 'workflows#/definitions/stepArray' }),
  };
};

/** JSON pointer segments of an ajv instance path. */
const pointerSegments = (pointer: string): string[] =>
  pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));

interface Located {
  node: SourceNode | undefined;
  /** Readable location, e.g. `step "init", assign`. */
  where: string;
  keySpan: SourceSpan | undefined;
}

const STRUCTURE_KEYS = new Set(['steps']);

/** Finds the source node an instance path points at, and says where it is in words. */
const locate = (root: SourceNode, segments: string[]): Located => {
  let node: SourceNode | undefined = root;
  let keySpan: SourceSpan | undefined;
  const words: string[] = [];
  let parentKind: 'list-of-steps' | 'other' = 'other';
  let previousKey = '';
  for (const segment of segments) {
    if (!node) break;
    if (node.kind === 'list') {
      node = node.items[Number(segment)];
      parentKind =
        previousKey === 'steps' || previousKey === 'branches' || previousKey === ''
          ? 'list-of-steps'
          : 'other';
      if (parentKind !== 'list-of-steps') words.push(`item ${Number(segment) + 1}`);
      continue;
    }
    if (node.kind === 'map') {
      const entry: SourceEntry | undefined = node.entries.find((candidate) => candidate.key === segment);
      keySpan = entry?.keySpan;
      node = entry?.value;
      if (parentKind === 'list-of-steps') words.push(`step "${segment}"`);
      else if (!STRUCTURE_KEYS.has(segment) || words.length === 0) words.push(segment);
      parentKind = 'other';
      previousKey = segment;
      continue;
    }
    node = undefined;
  }
  return { node, where: words.join(', '), keySpan };
};

const kindOf = (node: SourceNode | undefined): string => {
  if (!node) return 'nothing';
  if (node.kind === 'list') return 'a list';
  if (node.kind === 'map') return 'a map';
  const { value } = node;
  if (value === null) return 'null';
  if (typeof value === 'bigint') return 'an integer';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
};

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  object: 'a map',
  array: 'a list',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  null: 'null',
};

/** What the items of a list are called, by the key holding the list. */
const ITEM_NOUNS: Record<string, [string, string]> = {
  assign: ['assignment', 'assignments'],
  switch: ['condition', 'conditions'],
  branches: ['branch', 'branches'],
  steps: ['step', 'steps'],
  params: ['parameter', 'parameters'],
};

/** The reason ajv gives, in the words a workflow author uses. */
const describeError = (error: ErrorObject, node: SourceNode | undefined, key = ''): string => {
  const params = error.params as Record<string, unknown>;
  const noun = ITEM_NOUNS[key] ?? ['item', 'items'];
  switch (error.keyword) {
    case 'type':
      return `expected ${String(params.type)
        .split(',')
        .map((type) => TYPE_WORDS[type] ?? type)
        .join(' or ')}, found ${kindOf(node)}`;
    case 'required':
      return `missing required key "${String(params.missingProperty)}"`;
    case 'additionalProperties':
      return `unknown key "${String(params.additionalProperty)}"`;
    case 'dependencies':
      return `"${String(params.property)}" is only allowed together with "${String(params.missingProperty)}"`;
    case 'minItems':
      return `needs at least ${String(params.limit)} ${params.limit === 1 ? noun[0] : noun[1]}${
        node?.kind === 'list' ? ` (found ${node.items.length})` : ''
      }`;
    case 'maxItems':
      return `allows at most ${String(params.limit)} ${params.limit === 1 ? noun[0] : noun[1]}${node?.kind === 'list' ? ` (found ${node.items.length})` : ''}`;
    case 'minProperties':
    case 'maxProperties':
      return 'a step must be a map with exactly one key, the step name: `- STEP_NAME: {...}`';
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}, found ${kindOf(node)}`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
    case 'pattern': {
      const pattern = String(params.pattern);
      if (pattern.startsWith('^\\$\\{\\['))
        return `must be a single expression giving a list, e.g. \${[start, end]}`;
      if (pattern.startsWith('^\\$\\{')) return `expected an expression \${...}, found ${kindOf(node)}`;
      if (pattern.startsWith('^googleapis')) return 'not a valid connector name';
      return `does not match ${pattern}`;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${String(params.comparison)} ${String(params.limit)}`;
    case 'uniqueItems':
      return 'must not repeat items';
    case 'oneOf':
    case 'anyOf':
      return 'does not match any allowed form';
    default:
      return error.message ?? error.keyword;
  }
};

/** What a `oneOf` between two required keys means for the keys the schema knows. */
const ONE_OF_HINTS: Record<string, string> = {
  for: 'a for loop needs exactly one of "in" or "range"',
  parallel: 'a parallel step needs exactly one of "branches" or "for"',
};

/**
 * Checks a source tree against the official Workflows JSON Schema (with the relaxations above) and
 * returns readable issues at the line of the offending node. Of the many errors ajv reports for
 * alternatives (`anyOf`/`oneOf`), only the most specific are kept: errors on deeper nodes win,
 * and at the same node a concrete error beats "wrong type for this alternative".
 */
const checkAgainstSchema = (root: SourceNode, validators: SchemaValidators): ValidationIssue[] => {
  const validate = root.kind === 'list' ? validators.stepList : validators.routineMap;
  if (root.kind === 'scalar') {
    return [
      {
        line: root.span.line,
        column: root.span.column,
        message: 'a workflow is a list of steps or a map of workflows with `main`',
      },
    ];
  }
  if (validate(toPlainData(root))) return [];
  const errors = validate.errors ?? [];
  const paths = new Set(errors.map((error) => error.instancePath));
  const deepest = errors.filter((error) => {
    if (error.keyword === 'maxProperties') return true;
    for (const path of paths)
      if (path !== error.instancePath && path.startsWith(`${error.instancePath}/`)) return false;
    return true;
  });
  const byPath = new Map<string, ErrorObject[]>();
  for (const error of deepest)
    byPath.set(error.instancePath, [...(byPath.get(error.instancePath) ?? []), error]);

  const issues: ValidationIssue[] = [];
  for (const [path, group] of byPath) {
    const segments = pointerSegments(path);
    const located = locate(root, segments);
    const span = located.node?.span ?? located.keySpan ?? root.span;
    const at = (message: string, where: SourceSpan = span): void => {
      issues.push({
        line: where.line,
        column: where.column,
        message: located.where === '' ? message : `${located.where}: ${message}`,
      });
    };
    const alternatives = group.some((error) => error.keyword === 'oneOf' || error.keyword === 'anyOf');
    const concrete = group.filter((error) => !['oneOf', 'anyOf', 'type', 'pattern'].includes(error.keyword));
    const lastKey = segments[segments.length - 1] ?? '';
    if (alternatives && concrete.length > 0 && concrete.every((error) => error.keyword === 'required')) {
      at(ONE_OF_HINTS[lastKey] ?? describeError(concrete[0] as ErrorObject, located.node));
      continue;
    }
    if (concrete.length > 0) {
      for (const error of concrete) {
        const keyEntry =
          error.keyword === 'additionalProperties' && located.node?.kind === 'map'
            ? located.node.entries.find(
                (entry) => entry.key === (error.params as { additionalProperty?: string }).additionalProperty,
              )
            : undefined;
        at(describeError(error, located.node, lastKey), keyEntry?.keySpan ?? span);
      }
      continue;
    }
    const typeErrors = group.filter((error) => error.keyword === 'type');
    const patternErrors = group.filter((error) => error.keyword === 'pattern');
    if (alternatives && ONE_OF_HINTS[lastKey] && typeErrors.length === 0 && patternErrors.length === 0) {
      at(ONE_OF_HINTS[lastKey] as string);
      continue;
    }
    const expected = new Set<string>();
    for (const error of typeErrors) {
      for (const type of String((error.params as { type: unknown }).type).split(','))
        expected.add(TYPE_WORDS[type] ?? type);
    }
    for (const error of patternErrors) {
      const pattern = String((error.params as { pattern: unknown }).pattern);
      expected.add(
        pattern.startsWith('^\\$\\{\\[') ? `an expression \${[start, end]}` : `an expression \${...}`,
      );
    }
    if (expected.size > 0) at(`expected ${[...expected].join(' or ')}, found ${kindOf(located.node)}`);
    else at(describeError(group[0] as ErrorObject, located.node));
  }
  return issues;
};

export type { SchemaValidators };
export { checkAgainstSchema, createSchemaValidators };
