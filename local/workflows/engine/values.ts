import { WorkflowRuntimeError } from './errors';
import type { WorkflowMap, WorkflowValue } from './runtime-types';

/** The `get_type()` names of the Workflows types. */
type WorkflowTypeName = 'integer' | 'double' | 'string' | 'boolean' | 'bytes' | 'null' | 'list' | 'map';

/** Workflows ints are 64-bit signed; results outside this range raise instead of wrapping. */
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Type guards over the value model (a Workflows int is a bigint, a double a number, a map a Map). */
const isInt = (value: WorkflowValue | undefined): value is bigint => typeof value === 'bigint';
const isDouble = (value: WorkflowValue | undefined): value is number => typeof value === 'number';
/** int or double: what arithmetic and `math.*` accept. */
const isNumber = (value: WorkflowValue | undefined): value is bigint | number =>
  typeof value === 'bigint' || typeof value === 'number';
const isBytes = (value: WorkflowValue | undefined): value is Uint8Array => value instanceof Uint8Array;
const isList = (value: WorkflowValue | undefined): value is WorkflowValue[] => Array.isArray(value);
const isMap = (value: WorkflowValue | undefined): value is WorkflowMap => value instanceof Map;

/** The `get_type()` name of a value; also the type word used in error messages. */
const typeName = (value: WorkflowValue): WorkflowTypeName => {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'bigint') return 'integer';
  if (typeof value === 'number') return 'double';
  if (typeof value === 'string') return 'string';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'list';
  return 'map';
};

/**
 * Checks that an int result fits 64 bits. Workflows reports integer overflow as an error rather
 * than wrapping; the error-types table has no overflow tag, so this raises a ValueError.
 */
const ensureInt64 = (value: bigint, operation = 'integer arithmetic'): bigint => {
  if (value < INT64_MIN || value > INT64_MAX) {
    throw WorkflowRuntimeError.builtin(
      'ValueError',
      `${operation}: integer overflow (result ${value} exceeds 64 bits)`,
    );
  }
  return value;
};

/**
 * A value from `JSON.parse` (or any plain JS data: HTTP bodies, connector responses, execution
 * arguments) as a Workflows value. JSON cannot tell `1` from `1.0`, so integral numbers become ints
 * (when they fit 64 bits) and the rest doubles; use `decodeJsonText` when the text is at hand.
 * Plain objects and Maps become maps, Buffers/Uint8Arrays bytes, Dates ISO strings, `undefined` null.
 */
const fromJson = (value: unknown): WorkflowValue => {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'bigint':
      return value;
    case 'number': {
      if (Number.isSafeInteger(value)) return BigInt(value);
      if (Number.isInteger(value)) {
        const asInt = BigInt(value);
        if (asInt >= INT64_MIN && asInt <= INT64_MAX) return asInt;
      }
      return value;
    }
    case 'object':
      break;
    default:
      throw WorkflowRuntimeError.builtin('TypeError', `a ${typeof value} is not a Workflows value`);
  }
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map((item: unknown) => fromJson(item));
  if (value instanceof Map) {
    const map: WorkflowMap = new Map();
    for (const [key, item] of value as Map<unknown, unknown>) map.set(String(key), fromJson(item));
    return map;
  }
  if (value instanceof Date) return value.toISOString();
  const map: WorkflowMap = new Map();
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (item !== undefined) map.set(key, fromJson(item));
  }
  return map;
};

/** A small JSON parser that keeps `1` (int) apart from `1.0` / `1e3` (double). */
class JsonTextDecoder {
  private position = 0;

  constructor(private readonly text: string) {}

  decode(): WorkflowValue {
    this.skipWhitespace();
    const value = this.parseValue(0);
    this.skipWhitespace();
    if (this.position < this.text.length) this.fail('unexpected text after the JSON value');
    return value;
  }

  private fail(reason: string): never {
    throw WorkflowRuntimeError.builtin('ValueError', `invalid JSON at offset ${this.position}: ${reason}`);
  }

  private skipWhitespace(): void {
    while (this.position < this.text.length) {
      const char = this.text[this.position];
      if (char !== ' ' && char !== '\t' && char !== '\n' && char !== '\r') return;
      this.position += 1;
    }
  }

  private parseValue(depth: number): WorkflowValue {
    if (depth > 512) this.fail('nested too deeply');
    const char = this.text[this.position];
    if (char === '{') return this.parseObject(depth);
    if (char === '[') return this.parseArray(depth);
    if (char === '"') return this.parseString();
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return this.parseNumber();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.position)) {
        this.position += word.length;
        return value;
      }
    }
    return this.fail(
      char === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(char)}`,
    );
  }

  private parseObject(depth: number): WorkflowMap {
    const map: WorkflowMap = new Map();
    this.position += 1;
    this.skipWhitespace();
    if (this.text[this.position] === '}') {
      this.position += 1;
      return map;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.position] !== '"') this.fail('expected a string key');
      const key = this.parseString();
      this.skipWhitespace();
      if (this.text[this.position] !== ':') this.fail('expected ":"');
      this.position += 1;
      this.skipWhitespace();
      map.set(key, this.parseValue(depth + 1));
      this.skipWhitespace();
      const next = this.text[this.position];
      this.position += 1;
      if (next === '}') return map;
      if (next !== ',') {
        this.position -= 1;
        this.fail('expected "," or "}"');
      }
    }
  }

  private parseArray(depth: number): WorkflowValue[] {
    const list: WorkflowValue[] = [];
    this.position += 1;
    this.skipWhitespace();
    if (this.text[this.position] === ']') {
      this.position += 1;
      return list;
    }
    for (;;) {
      this.skipWhitespace();
      list.push(this.parseValue(depth + 1));
      this.skipWhitespace();
      const next = this.text[this.position];
      this.position += 1;
      if (next === ']') return list;
      if (next !== ',') {
        this.position -= 1;
        this.fail('expected "," or "]"');
      }
    }
  }

  private parseString(): string {
    this.position += 1;
    let result = '';
    let chunkStart = this.position;
    for (;;) {
      if (this.position >= this.text.length) this.fail('unterminated string');
      const char = this.text[this.position] as string;
      if (char === '"') {
        result += this.text.slice(chunkStart, this.position);
        this.position += 1;
        return result;
      }
      if (char < ' ') this.fail('control character in string');
      if (char !== '\\') {
        this.position += 1;
        continue;
      }
      result += this.text.slice(chunkStart, this.position);
      const escapeChar = this.text[this.position + 1];
      this.position += 2;
      const simple: Record<string, string> = {
        '"': '"',
        '\\': '\\',
        '/': '/',
        b: '\b',
        f: '\f',
        n: '\n',
        r: '\r',
        t: '\t',
      };
      if (escapeChar !== undefined && escapeChar in simple) {
        result += simple[escapeChar];
      } else if (escapeChar === 'u') {
        const hex = this.text.slice(this.position, this.position + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
        result += String.fromCharCode(Number.parseInt(hex, 16));
        this.position += 4;
      } else {
        this.position -= 1;
        this.fail('bad escape');
      }
      chunkStart = this.position;
    }
  }

  private parseNumber(): WorkflowValue {
    const match = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.position));
    if (!match) return this.fail('bad number');
    const literal = match[0];
    this.position += literal.length;
    if (match[1] === undefined && match[2] === undefined) {
      const asInt = BigInt(literal);
      if (asInt >= INT64_MIN && asInt <= INT64_MAX) return asInt;
    }
    return Number(literal);
  }
}

/**
 * Parses JSON text into a value, keeping `1` an int and `1.0` / `1e3` doubles (integers beyond
 * 64 bits become doubles). Bad JSON raises a ValueError, as `json.decode` does.
 */
const decodeJsonText = (text: string): WorkflowValue => new JsonTextDecoder(text).decode();

/**
 * How Workflows renders a double in text: the shortest round-tripping digits, with `.0` kept on
 * integral values (`80.6`, `3.5`, `2.0`, `1e+21`) so that the text still reads back as a double.
 * Not-finite values render as `NaN`, `Infinity`, `-Infinity` (they cannot occur in JSON).
 */
const formatDouble = (value: number): string => {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (Object.is(value, -0)) return '-0.0';
  const text = String(value);
  return /^-?\d+$/.test(text) ? `${text}.0` : text;
};

/**
 * The text `string()` and `+` concatenation produce: ints as digits, doubles per `formatDouble`,
 * booleans `true`/`false`, strings unchanged. For null, lists and maps (which `string()` rejects)
 * it returns their JSON text and for bytes `b'<base64>'`: for log lines and messages only.
 */
const stringify = (value: WorkflowValue): string => {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return formatDouble(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Uint8Array) return `b'${Buffer.from(value).toString('base64')}'`;
  return encodeJsonText(value);
};

/**
 * A value as plain JSON-compatible JS (for JSON.stringify, googleapis request bodies, HTTP bodies).
 * Ints become numbers; an int beyond ±2^53 cannot be a JS number exactly, so it raises a ValueError
 * rather than silently losing digits (`encodeJsonText` keeps every digit). Bytes and not-finite
 * doubles raise as well (TypeError / ValueError), as `json.encode` does.
 */
const toJson = (value: WorkflowValue): unknown => {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw WorkflowRuntimeError.builtin(
        'ValueError',
        `integer ${value} cannot be represented exactly in JSON here`,
      );
    }
    return Number(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw WorkflowRuntimeError.builtin('ValueError', `${formatDouble(value)} cannot be JSON-encoded`);
    }
    return value;
  }
  if (value instanceof Uint8Array)
    throw WorkflowRuntimeError.builtin('TypeError', 'bytes cannot be JSON-encoded');
  if (Array.isArray(value)) return value.map(toJson);
  const record: Record<string, unknown> = {};
  for (const [key, item] of value) {
    Object.defineProperty(record, key, {
      value: toJson(item),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return record;
};

/**
 * Workflows-accurate JSON text, used by `json.encode`, `json.encode_to_string` and
 * `Execution.result`: ints with their exact digits, doubles per `formatDouble` (`2.0` keeps its
 * `.0`), map keys in insertion order, non-ASCII text as is. Compact (`{"a":1,"b":[1,2]}`) unless
 * `indent` is given: then every element starts a new line made of `prefix` plus one `indent` per
 * nesting level, and keys are followed by `": "` (Go's json.MarshalIndent layout). Bytes and
 * not-finite doubles raise a ValueError, as `json.encode` documents.
 */
const encodeJsonText = (value: WorkflowValue, indent?: { prefix: string; indent: string }): string => {
  const encode = (item: WorkflowValue, level: number): string => {
    if (item === null) return 'null';
    if (typeof item === 'boolean') return item ? 'true' : 'false';
    if (typeof item === 'bigint') return item.toString();
    if (typeof item === 'number') {
      if (!Number.isFinite(item)) {
        throw WorkflowRuntimeError.builtin('ValueError', `${formatDouble(item)} cannot be JSON-encoded`);
      }
      return formatDouble(item);
    }
    if (typeof item === 'string') return JSON.stringify(item);
    if (item instanceof Uint8Array)
      throw WorkflowRuntimeError.builtin('ValueError', 'bytes cannot be JSON-encoded');
    const entries: string[] = Array.isArray(item)
      ? item.map((element) => encode(element, level + 1))
      : [...item].map(
          ([key, element]) => `${JSON.stringify(key)}${indent ? ': ' : ':'}${encode(element, level + 1)}`,
        );
    const [open, close] = Array.isArray(item) ? ['[', ']'] : ['{', '}'];
    if (entries.length === 0) return `${open}${close}`;
    if (!indent) return `${open}${entries.join(',')}${close}`;
    const inner = `\n${indent.prefix}${indent.indent.repeat(level + 1)}`;
    const outer = `\n${indent.prefix}${indent.indent.repeat(level)}`;
    return `${open}${inner}${entries.join(`,${inner}`)}${outer}${close}`;
  };
  return encode(value, 0);
};

/** An independent copy: Workflows assignment copies values, it never aliases them. */
const deepCopy = <T extends WorkflowValue>(value: T): T => copyValue(value) as T;

const copyValue = (value: WorkflowValue): WorkflowValue => {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(copyValue);
  if (value instanceof Map) {
    const copy: WorkflowMap = new Map();
    for (const [key, item] of value) copy.set(key, copyValue(item));
    return copy;
  }
  return value;
};

/** int and double compared by exact mathematical value (`1 == 1.0`, but 2^53+1 != 2^53). */
const compareNumbers = (a: bigint | number, b: bigint | number): number => {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number')
    return a < b ? -1 : a > b ? 1 : a === b ? 0 : Number.NaN;
  const [int, double, sign] = typeof a === 'bigint' ? [a, b as number, 1] : [b as bigint, a as number, -1];
  if (Number.isNaN(double)) return Number.NaN;
  if (double === Number.POSITIVE_INFINITY) return -sign;
  if (double === Number.NEGATIVE_INFINITY) return sign;
  const floor = Math.floor(double);
  const floorInt = BigInt(floor);
  if (int < floorInt) return -sign;
  if (int > floorInt) return sign;
  return floor === double ? 0 : -sign;
};

/** Strings ordered by Unicode code point (UTF-8 byte order), not by UTF-16 unit. */
const compareStrings = (a: string, b: string): number => {
  const left = [...a];
  const right = [...b];
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index += 1) {
    const difference = (left[index]?.codePointAt(0) ?? 0) - (right[index]?.codePointAt(0) ?? 0);
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return left.length === right.length ? 0 : left.length < right.length ? -1 : 1;
};

/**
 * `==` semantics: numbers by value across int/double (`1 == 1.0`), other values only equal to the
 * same type (`1 == "1"` is false, `null == null` true), lists and maps deeply (map key order does
 * not matter), bytes by content.
 */
const valuesEqual = (a: WorkflowValue, b: WorkflowValue): boolean => {
  if (isNumber(a) && isNumber(b)) return compareNumbers(a, b) === 0;
  if (a === null || b === null) return a === b;
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, index) => valuesEqual(item, b[index] as WorkflowValue))
    );
  }
  if (a.size !== b.size) return false;
  for (const [key, item] of a) {
    if (!b.has(key) || !valuesEqual(item, b.get(key) as WorkflowValue)) return false;
  }
  return true;
};

/**
 * Ordering for `< <= > >=`: negative, zero or positive (NaN when a double NaN is involved, so every
 * comparison is false). Numbers compare across int/double, strings by code point; anything else
 * raises a TypeError naming both types.
 */
const compareValues = (a: WorkflowValue, b: WorkflowValue, operator = 'compare'): number => {
  if (isNumber(a) && isNumber(b)) return compareNumbers(a, b);
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  throw WorkflowRuntimeError.builtin(
    'TypeError',
    `cannot ${operator === 'compare' ? 'compare' : `apply ${operator} to`} ${typeName(a)} and ${typeName(b)}`,
  );
};

export type { WorkflowTypeName };
export {
  compareValues,
  decodeJsonText,
  deepCopy,
  encodeJsonText,
  ensureInt64,
  formatDouble,
  fromJson,
  INT64_MAX,
  INT64_MIN,
  isBytes,
  isDouble,
  isInt,
  isList,
  isMap,
  isNumber,
  stringify,
  toJson,
  typeName,
  valuesEqual,
};
