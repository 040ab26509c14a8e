import { badRequestError } from './kubernetes-errors';
import type { KubeObject } from './kubernetes-model';

/**
 * The `labelSelector` and `fieldSelector` query parameters of list requests, parsed with the
 * grammar of k8s.io/apimachinery/pkg/labels and pkg/fields: comma-separated requirements that must
 * all hold. A malformed selector is a 400 BadRequest, as the API server answers.
 */

/** How a label requirement compares. */
type LabelOperator = 'equals' | 'notEquals' | 'in' | 'notIn' | 'exists' | 'doesNotExist';

/** One requirement of a label selector. */
interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

/** One requirement of a field selector. */
interface FieldRequirement {
  field: string;
  operator: 'equals' | 'notEquals';
  value: string;
}

/** Fields every resource can be selected on; a kind's registry may add its own (see ResourceType). */
const COMMON_FIELDS = ['metadata.name', 'metadata.namespace'] as const;

/** Boolean fields: the API server's field set writes an unset one as `false`. */
const BOOLEAN_FIELDS = new Set(['spec.unschedulable', 'spec.hostNetwork']);

/** Label key: an optional DNS subdomain prefix and `/`, then a name of at most 63 characters. */
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** Label value: empty, or at most 63 alphanumerics with `-`, `_`, `.` inside. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const parseError = (detail: string) => badRequestError(`unable to parse requirement: ${detail}`);

const checkKey = (key: string): string => {
  const name = key.includes('/') ? key.slice(key.indexOf('/') + 1) : key;
  if (!LABEL_KEY.test(key) || name.length > 63) {
    throw parseError(
      `<nil>: Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.'`,
    );
  }
  return key;
};

const checkValue = (value: string): string => {
  if (!LABEL_VALUE.test(value) || value.length > 63) {
    throw parseError(
      `values[0]: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`,
    );
  }
  return value;
};

/** Splits on commas that are not inside `( … )`, as `in (a,b)` holds commas of its own. */
const splitRequirements = (selector: string): string[] => {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim());
};

const parseLabelRequirement = (text: string): LabelRequirement => {
  if (text === '') throw parseError("found '', expected: identifier");
  if (text.startsWith('!'))
    return { key: checkKey(text.slice(1).trim()), operator: 'doesNotExist', values: [] };
  const setMatch = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(text);
  if (setMatch) {
    const [, key, operator, list] = setMatch as unknown as [string, string, string, string];
    const values = list.split(',').map((value) => checkValue(value.trim()));
    return { key: checkKey(key), operator: operator === 'in' ? 'in' : 'notIn', values };
  }
  const comparison = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(text);
  if (comparison) {
    const [, key, operator, value] = comparison as unknown as [string, string, string, string];
    return {
      key: checkKey(key),
      operator: operator === '!=' ? 'notEquals' : 'equals',
      values: [checkValue(value.trim())],
    };
  }
  if (/^\S+$/.test(text)) return { key: checkKey(text), operator: 'exists', values: [] };
  throw parseError(`found '${text}', expected: in, notin, =, ==, !=, gt, lt`);
};

/**
 * Parses a `labelSelector`; empty or absent selects everything.
 *
 * @throws KubernetesApiError 400 BadRequest for a malformed selector.
 */
const parseLabelSelector = (selector: string | null | undefined): LabelRequirement[] => {
  if (selector === null || selector === undefined || selector.trim() === '') return [];
  return splitRequirements(selector).map(parseLabelRequirement);
};

/** Whether `labels` satisfy every requirement. `!=` and `notin` also match an absent label. */
const matchesLabels = (
  requirements: readonly LabelRequirement[],
  labels: Readonly<Record<string, string>> | undefined,
): boolean =>
  requirements.every((requirement) => {
    const value = labels?.[requirement.key];
    switch (requirement.operator) {
      case 'exists':
        return value !== undefined;
      case 'doesNotExist':
        return value === undefined;
      case 'equals':
      case 'in':
        return value !== undefined && requirement.values.includes(value);
      case 'notEquals':
      case 'notIn':
        return value === undefined || !requirement.values.includes(value);
    }
    return false;
  });

/** `metav1.LabelSelectorRequirement` operators, as a selector object (not a query string) spells them. */
const EXPRESSION_OPERATORS: Readonly<Record<string, LabelOperator>> = {
  In: 'in',
  NotIn: 'notIn',
  Exists: 'exists',
  DoesNotExist: 'doesNotExist',
};

/**
 * The requirements of a `metav1.LabelSelector` object (`matchLabels`, `matchExpressions`), as a
 * PodDisruptionBudget's `spec.selector` holds it. An empty selector selects everything; an absent
 * (null) one, or one the simulator cannot read, selects nothing, as `LabelSelectorAsSelector` does.
 */
const labelSelectorRequirements = (selector: unknown): LabelRequirement[] | undefined => {
  if (selector === null || typeof selector !== 'object' || Array.isArray(selector)) return undefined;
  const { matchLabels, matchExpressions } = selector as { matchLabels?: unknown; matchExpressions?: unknown };
  const requirements: LabelRequirement[] = [];
  if (matchLabels !== undefined && matchLabels !== null) {
    if (typeof matchLabels !== 'object' || Array.isArray(matchLabels)) return undefined;
    for (const [key, value] of Object.entries(matchLabels)) {
      requirements.push({ key, operator: 'equals', values: [String(value)] });
    }
  }
  if (matchExpressions !== undefined && matchExpressions !== null) {
    if (!Array.isArray(matchExpressions)) return undefined;
    for (const expression of matchExpressions as Array<Record<string, unknown>>) {
      const operator = EXPRESSION_OPERATORS[String(expression?.operator)];
      if (operator === undefined || typeof expression?.key !== 'string') return undefined;
      const values = Array.isArray(expression.values) ? expression.values.map(String) : [];
      requirements.push({ key: expression.key, operator, values });
    }
  }
  return requirements;
};

/**
 * Parses a `fieldSelector` on `metadata.name` / `metadata.namespace` and the kind's own
 * `selectableFields` (e.g. `spec.nodeName` and `status.phase` for pods).
 *
 * @throws KubernetesApiError 400 BadRequest for a malformed selector or another field.
 */
const parseFieldSelector = (
  selector: string | null | undefined,
  selectableFields: readonly string[] = [],
): FieldRequirement[] => {
  if (selector === null || selector === undefined || selector.trim() === '') return [];
  return selector.split(',').map((part) => {
    const match = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!match) throw badRequestError(`invalid selector: '${selector}'; can't understand '${part}'`);
    const [, field, operator, value] = match as unknown as [string, string, string, string];
    if (!(COMMON_FIELDS as readonly string[]).includes(field) && !selectableFields.includes(field)) {
      throw badRequestError(`field label not supported: ${field}`);
    }
    return { field, operator: operator === '!=' ? 'notEquals' : 'equals', value };
  });
};

/**
 * A field's value as the kind's field set spells it: strings as they are, booleans as `true` or
 * `false` (`false` when unset), anything else unset as the empty string.
 */
const fieldValue = (object: KubeObject, field: string): string => {
  let value: unknown = object;
  for (const part of field.split('.')) {
    value =
      value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return BOOLEAN_FIELDS.has(field) ? 'false' : '';
};

/** Whether the object satisfies every field requirement. */
const matchesFields = (requirements: readonly FieldRequirement[], object: KubeObject): boolean =>
  requirements.every((requirement) => {
    const actual = fieldValue(object, requirement.field);
    return requirement.operator === 'equals' ? actual === requirement.value : actual !== requirement.value;
  });

export type { FieldRequirement, LabelOperator, LabelRequirement };
export { labelSelectorRequirements, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector };
