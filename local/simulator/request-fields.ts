import { invalidArgument } from './api-error';

/**
 * Reading request bodies the way Google's proto3 JSON front end does. The two client families send
 * the same message differently (api-contracts §0): gax sends enums as numbers and may send int64 as
 * strings, discovery clients send enum names. Google accepts both spellings of a field name
 * (`nodeCount` and `node_count`) and rejects any field the message does not define, so a typo in a
 * caller fails here as it would against Google instead of being silently ignored.
 */

type JsonObject = Record<string, unknown>;

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/** `node_count` → `nodeCount`: proto3 JSON parsers accept the original snake_case name too. */
const toLowerCamel = (name: string): string =>
  name.replace(/_([a-z0-9])/g, (_match, next: string) => next.toUpperCase());

/** `autoscaling.minNodeCount` → `autoscaling.min_node_count`, the spelling Google's messages use. */
const toSnakePath = (path: string): string => path.replace(/[A-Z]/g, (upper) => `_${upper.toLowerCase()}`);

const atSuffix = (path: string | undefined): string => (path ? ` at '${toSnakePath(path)}'` : '');

const isJsonObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Reads one JSON object of a message whose fields (lowerCamelCase) are `fields`. Returns the object
 * keyed by the lowerCamelCase names. An absent or null value reads as `{}` (proto3: every field at
 * its default).
 *
 * @param path - where the object sits in the request (`autoscaling`), for error messages; omit for
 *   the top-level body.
 * @throws SimulatorApiError INVALID_ARGUMENT naming the first field the message does not define.
 */
const readMessage = (value: unknown, fields: readonly string[], path?: string): JsonObject => {
  if (value === undefined || value === null) return {};
  if (!isJsonObject(value)) {
    throw invalidArgument(`Invalid JSON payload received. Expected an object${atSuffix(path)}.`);
  }
  const out: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) {
    const canonical = toLowerCamel(key);
    if (!fields.includes(canonical)) {
      throw invalidArgument(
        `Invalid JSON payload received. Unknown name "${key}"${atSuffix(path)}: Cannot find field.`,
      );
    }
    out[canonical] = inner;
  }
  return out;
};

const invalidValue = (path: string, type: string, value: unknown) =>
  invalidArgument(`Invalid value at '${toSnakePath(path)}' (${type}), ${JSON.stringify(value)}`);

/**
 * An int32 field: a JSON number or a decimal string (proto3 JSON allows both). `undefined`/`null`
 * mean "not sent", which callers treat as 0 since proto3 int32 has no presence.
 *
 * @throws SimulatorApiError INVALID_ARGUMENT for fractions, out-of-range values and non-numbers.
 */
const readInt32 = (value: unknown, path: string): number | undefined => {
  if (value === undefined || value === null) return undefined;
  let parsed: number | undefined;
  if (typeof value === 'number') parsed = value;
  else if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) parsed = Number(value.trim());
  if (parsed === undefined || !Number.isInteger(parsed) || parsed < INT32_MIN || parsed > INT32_MAX) {
    throw invalidValue(path, 'TYPE_INT32', value);
  }
  return parsed;
};

/** A bool field; `undefined`/`null` mean "not sent". */
const readBool = (value: unknown, path: string): boolean | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidValue(path, 'TYPE_BOOL', value);
  return value;
};

/**
 * An enum field, sent as its number (gax: `locationPolicy: 2`) or its name (discovery clients:
 * `"ANY"`). Always returns the name, which is what the simulator stores and answers with.
 *
 * @param names - the enum's value names indexed by their number.
 * @param typeName - the full proto type, for the error message.
 */
const readEnum = <Name extends string>(
  value: unknown,
  path: string,
  names: readonly Name[],
  typeName: string,
): Name | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < names.length) {
    return names[value];
  }
  if (typeof value === 'string' && (names as readonly string[]).includes(value)) return value as Name;
  throw invalidValue(path, `type.googleapis.com/${typeName}`, value);
};

export type { JsonObject };
export { isJsonObject, readBool, readEnum, readInt32, readMessage, toLowerCamel, toSnakePath };
