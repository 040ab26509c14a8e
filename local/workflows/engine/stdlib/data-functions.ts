import { TextDecoder } from 'node:util';
import type { WorkflowMap, WorkflowValue } from '../runtime-types';
import { decodeJsonText, deepCopy, encodeJsonText } from '../values';
import {
  type CallArguments,
  definePure,
  type StdlibFunction,
  valueError,
  wrongType,
} from './stdlib-function';

/**
 * The `indent` argument of `json.encode*`: true means the defaults (no prefix, four spaces), false
 * or absent no indentation, a map may set `prefix` and `indent` (both strings).
 */
const indentOption = (
  name: string,
  value: WorkflowValue | undefined,
): { prefix: string; indent: string } | undefined => {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { prefix: '', indent: '    ' };
  if (value instanceof Map) {
    const prefix = value.get('prefix') ?? '';
    const indent = value.get('indent') ?? '    ';
    if (typeof prefix !== 'string') throw wrongType(name, 'indent.prefix', 'a string', prefix);
    if (typeof indent !== 'string') throw wrongType(name, 'indent.indent', 'a string', indent);
    return { prefix, indent };
  }
  throw wrongType(name, 'indent', 'a boolean or a map', value);
};

const BASE64_TEXT = /^[A-Za-z0-9+/]*={0,2}$/;

/** `base64.decode`: standard alphabet; with `padding` true the input must be padded to a multiple of 4. */
const decodeBase64 = (text: string, padding: boolean): Uint8Array => {
  if (!BASE64_TEXT.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw valueError('base64.decode', 'the input is not valid base64');
  }
  if (padding && text.length % 4 !== 0) throw valueError('base64.decode', 'the input is not padded');
  if (!padding && text.includes('='))
    throw valueError('base64.decode', 'the input is padded but padding is false');
  return new Uint8Array(Buffer.from(text, 'base64'));
};

/** `map.merge_nested`: like merge, but where both sides hold a map under a key, those merge too. */
const mergeNested = (first: WorkflowMap, second: WorkflowMap): WorkflowMap => {
  const merged = deepCopy(first);
  for (const [key, value] of second) {
    const existing = merged.get(key);
    merged.set(
      key,
      existing instanceof Map && value instanceof Map ? mergeNested(existing, value) : deepCopy(value),
    );
  }
  return merged;
};

/** `map.get`: a string key or a list of keys followed down nested maps; null whenever a step is missing. */
const mapGet = (args: CallArguments): WorkflowValue => {
  const keys = args[1] ?? null;
  const path = typeof keys === 'string' ? [keys] : keys;
  if (!Array.isArray(path) || path.some((key) => typeof key !== 'string')) {
    throw wrongType('map.get', 'keys', 'a string or a list of strings', keys);
  }
  let current: WorkflowValue = args[0] ?? null;
  for (const key of path as string[]) {
    if (!(current instanceof Map) || !current.has(key)) return null;
    current = current.get(key) as WorkflowValue;
  }
  return current;
};

/**
 * The `json`, `base64`, `list` and `map` modules: pure data transformations. Functions returning
 * a modified collection return a copy and leave their input unchanged.
 */
const createDataFunctions = (): Record<string, StdlibFunction> =>
  Object.fromEntries([
    definePure('json.decode', ['data'], 1, (_read, args) => {
      const data = args[0] ?? null;
      if (typeof data === 'string') return decodeJsonText(data);
      if (data instanceof Uint8Array) return decodeJsonText(new TextDecoder('utf-8').decode(data));
      throw wrongType('json.decode', 'data', 'bytes or a string', data);
    }),
    definePure('json.encode', ['data', 'indent'], 1, (_read, args) => {
      const text = encodeJsonText(args[0] ?? null, indentOption('json.encode', args[1]));
      return new Uint8Array(Buffer.from(text, 'utf8'));
    }),
    definePure('json.encode_to_string', ['data', 'indent'], 1, (_read, args) =>
      encodeJsonText(args[0] ?? null, indentOption('json.encode_to_string', args[1])),
    ),
    definePure('base64.encode', ['data', 'padding'], 1, (read, args) => {
      const text = Buffer.from(read.bytes(args, 0)).toString('base64');
      return read.optionalBoolean(args, 1, true) ? text : text.replace(/=+$/, '');
    }),
    definePure('base64.decode', ['data', 'padding'], 1, (read, args) =>
      decodeBase64(read.string(args, 0), read.optionalBoolean(args, 1, true)),
    ),
    // As documented: the value is appended as ONE element, even when it is a list.
    definePure('list.concat', ['objs', 'val'], 2, (read, args) => [
      ...deepCopy(read.list(args, 0)),
      deepCopy(args[1] ?? null),
    ]),
    definePure('list.prepend', ['objs', 'val'], 2, (read, args) => [
      deepCopy(args[1] ?? null),
      ...deepCopy(read.list(args, 0)),
    ]),
    definePure('map.get', ['map', 'keys'], 2, (_read, args) => deepCopy(mapGet(args))),
    definePure('map.delete', ['map', 'key'], 2, (read, args) => {
      const copy = deepCopy(read.map(args, 0));
      copy.delete(read.string(args, 1));
      return copy;
    }),
    definePure('map.merge', ['first', 'second'], 2, (read, args) => {
      const merged = deepCopy(read.map(args, 0));
      for (const [key, value] of read.map(args, 1)) merged.set(key, deepCopy(value));
      return merged;
    }),
    definePure('map.merge_nested', ['first', 'second'], 2, (read, args) =>
      mergeNested(read.map(args, 0), read.map(args, 1)),
    ),
  ]);

export { createDataFunctions };
