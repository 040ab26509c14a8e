import { KubernetesApiError } from './kubernetes-errors';
import { isJsonObject, jsonEqual } from './kubernetes-model';

/**
 * The PATCH bodies the simulator applies: JSON merge patch (RFC 7386, `application/merge-patch+json`)
 * and JSON patch (RFC 6902, `application/json-patch+json`, @kubernetes/client-node's default).
 * The simulator's routes do not see the Content-Type header, so the body's shape decides: an
 * array is a JSON patch, an object a merge patch. For the kinds served here a strategic merge patch
 * of an object means the same as a merge patch, except for lists, which it would merge by key.
 */

/** RFC 7386: objects merge key by key, `null` deletes, anything else replaces. */
const applyMergePatch = (target: unknown, patch: unknown): unknown => {
  if (!isJsonObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isJsonObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
};

const patchError = (message: string): KubernetesApiError => new KubernetesApiError(422, 'Invalid', message);

/** `/metadata/labels/a~1b` → `['metadata', 'labels', 'a/b']`. */
const parsePointer = (pointer: unknown): string[] => {
  if (typeof pointer !== 'string') throw patchError('json patch: path must be a string');
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw patchError(`json patch: invalid path "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
};

type Container = Record<string, unknown> | unknown[];

/** The parent container of the pointer's last token, and that token. */
const locate = (document: unknown, tokens: readonly string[], pointer: string): [Container, string] => {
  let current = document;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isJsonObject(current)) current = current[token];
    else current = undefined;
    if (current === undefined) throw patchError(`json patch: path "${pointer}" does not exist`);
  }
  if (!Array.isArray(current) && !isJsonObject(current)) {
    throw patchError(`json patch: path "${pointer}" does not exist`);
  }
  return [current, tokens[tokens.length - 1] as string];
};

const arrayIndex = (array: unknown[], token: string, pointer: string, allowEnd: boolean): number => {
  if (allowEnd && token === '-') return array.length;
  const index = Number(token);
  const max = allowEnd ? array.length : array.length - 1;
  if (!/^\d+$/.test(token) || index > max) throw patchError(`json patch: index out of range in "${pointer}"`);
  return index;
};

const readAt = (document: unknown, pointer: string): unknown => {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return document;
  const [parent, last] = locate(document, tokens, pointer);
  const value = Array.isArray(parent) ? parent[arrayIndex(parent, last, pointer, false)] : parent[last];
  if (value === undefined) throw patchError(`json patch: path "${pointer}" does not exist`);
  return value;
};

const removeAt = (document: unknown, pointer: string): unknown => {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw patchError('json patch: cannot remove the whole document');
  const [parent, last] = locate(document, tokens, pointer);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, pointer, false), 1)[0];
  if (!(last in parent)) throw patchError(`json patch: path "${pointer}" does not exist`);
  const value = parent[last];
  delete parent[last];
  return value;
};

const addAt = (document: unknown, pointer: string, value: unknown, replace: boolean): unknown => {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return structuredClone(value);
  const [parent, last] = locate(document, tokens, pointer);
  if (Array.isArray(parent)) {
    const index = arrayIndex(parent, last, pointer, !replace);
    parent.splice(index, replace ? 1 : 0, structuredClone(value));
  } else {
    if (replace && !(last in parent)) throw patchError(`json patch: path "${pointer}" does not exist`);
    parent[last] = structuredClone(value);
  }
  return document;
};

/**
 * RFC 6902 over a copy of `target`: add, remove, replace, move, copy and test.
 *
 * @throws KubernetesApiError 422 when an operation is malformed, a path is missing or a test fails.
 */
const applyJsonPatch = (target: unknown, operations: readonly unknown[]): unknown => {
  let document = structuredClone(target);
  for (const operation of operations) {
    if (!isJsonObject(operation)) throw patchError('json patch: each operation must be an object');
    const path = typeof operation.path === 'string' ? operation.path : '';
    switch (operation.op) {
      case 'add':
        document = addAt(document, path, operation.value, false);
        break;
      case 'replace':
        document = addAt(document, path, operation.value, true);
        break;
      case 'remove':
        removeAt(document, path);
        break;
      case 'move': {
        const value = removeAt(document, String(operation.from));
        document = addAt(document, path, value, false);
        break;
      }
      case 'copy':
        document = addAt(document, path, readAt(document, String(operation.from)), false);
        break;
      case 'test':
        if (!jsonEqual(readAt(document, path), operation.value)) {
          throw patchError(`json patch: testing value ${path} failed`);
        }
        break;
      default:
        throw patchError(`json patch: unexpected operation ${JSON.stringify(operation.op)}`);
    }
  }
  return document;
};

export { applyJsonPatch, applyMergePatch };
