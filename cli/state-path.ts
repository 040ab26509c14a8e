import { UsageError } from './cli-context';

/**
 * Dotted paths into desired state, as `opsplane state get|set` take them: `roleTemplates.contractor`,
 * `access.approvers.0`. Keys may themselves hold dots (service account emails, quota names such as
 * `requests.cpu`), so each level takes the longest existing key the rest of the path starts with.
 */

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Where a path led: the value, or how far it got and what could have come next. */
type Resolution =
  | { found: true; segments: string[]; value: unknown }
  | { found: false; segments: string[]; missing: string; parent: unknown };

/** The next segment of `rest` within `value`, or undefined when there is none. */
const nextSegment = (value: unknown, rest: string): string | undefined => {
  if (Array.isArray(value)) {
    const index = rest.split('.')[0] ?? '';
    return /^\d+$/.test(index) && Number(index) < value.length ? index : undefined;
  }
  if (!isObject(value)) return undefined;
  return Object.keys(value)
    .filter((key) => rest === key || rest.startsWith(`${key}.`))
    .sort((a, b) => b.length - a.length)[0];
};

const childOf = (value: unknown, segment: string): unknown =>
  Array.isArray(value) ? value[Number(segment)] : (value as JsonObject)[segment];

/** Follows `path` (empty: the root itself) as far as it goes. */
const resolvePath = (root: unknown, path: string): Resolution => {
  const segments: string[] = [];
  let value = root;
  let rest = path;
  while (rest !== '') {
    const segment = nextSegment(value, rest);
    if (segment === undefined) return { found: false, segments, missing: rest, parent: value };
    segments.push(segment);
    value = childOf(value, segment);
    rest = rest.slice(segment.length + 1);
  }
  return { found: true, segments, value };
};

/** What can follow a path that led nowhere, for the error message. */
const describeMissing = (resolution: Extract<Resolution, { found: false }>): string => {
  const where = resolution.segments.length > 0 ? resolution.segments.join('.') : 'desired state';
  const { parent } = resolution;
  if (Array.isArray(parent)) return `${where} is a list of ${parent.length}; use an index from 0`;
  if (isObject(parent)) {
    const keys = Object.keys(parent);
    return keys.length > 0 ? `${where} has: ${keys.join(', ')}` : `${where} is empty`;
  }
  return `${where} is ${JSON.stringify(parent)}, not an object`;
};

/**
 * A copy of `root` with `value` at `path`. A key that does not exist yet takes the whole rest of
 * the path (so new keys may hold dots); a list takes an index up to its length (the length appends).
 * @throws UsageError when the path runs through a value that is neither an object nor a list.
 */
const setAtPath = <T>(root: T, path: string, value: unknown): T => {
  if (path === '') throw new UsageError('a path is required (use --file to replace the whole document)');
  const copy = structuredClone(root);
  const resolution = resolvePath(copy, path);
  let parent: unknown;
  let key: string;
  if (resolution.found) {
    key = resolution.segments.at(-1) ?? '';
    parent = resolution.segments
      .slice(0, -1)
      .reduce<unknown>((value, segment) => childOf(value, segment), copy);
  } else {
    parent = resolution.parent;
    key = resolution.missing;
    if (Array.isArray(parent) && key !== String(parent.length)) {
      throw new UsageError(
        `cannot set ${path}: ${describeMissing(resolution)}, or ${parent.length} to append`,
      );
    }
    if (!Array.isArray(parent) && !isObject(parent)) {
      throw new UsageError(`cannot set ${path}: ${describeMissing(resolution)}`);
    }
  }
  if (Array.isArray(parent)) parent[Number(key)] = value;
  else (parent as JsonObject)[key] = value;
  return copy;
};

/** One changed leaf between two JSON values. */
interface ValueChange {
  path: string;
  from: unknown;
  to: unknown;
}

/** The leaves that differ between two JSON values (lists compare whole), in document order. */
const diffValues = (before: unknown, after: unknown, prefix = ''): ValueChange[] => {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => diffValues(before[key], after[key], prefix ? `${prefix}.${key}` : key));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ path: prefix, from: before, to: after }];
};

export type { Resolution, ValueChange };
export { describeMissing, diffValues, resolvePath, setAtPath };
