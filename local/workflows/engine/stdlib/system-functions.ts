import { createHash, createHmac } from 'node:crypto';
import { errorTags } from '../errors';
import type { WorkflowValue } from '../runtime-types';
import { INT64_MIN, valuesEqual } from '../values';
import { definePure, type StdlibFunction, valueError } from './stdlib-function';
import { formatTimestamp, parseTimestamp } from './time-functions';

/** `hash.*` algorithm names (as documented, case-insensitive) to node:crypto names. */
const HASH_ALGORITHMS: Record<string, string> = {
  MD5: 'md5',
  SHA1: 'sha1',
  SHA224: 'sha224',
  SHA256: 'sha256',
  SHA384: 'sha384',
  SHA512: 'sha512',
};

const hashAlgorithm = (name: string, algorithm: string): string => {
  const resolved = HASH_ALGORITHMS[algorithm.toUpperCase().replace('-', '')];
  if (resolved === undefined) {
    throw valueError(
      name,
      `unsupported algorithm ${JSON.stringify(algorithm)} (use ${Object.keys(HASH_ALGORITHMS).join(', ')})`,
    );
  }
  return resolved;
};

/** HTTP status codes and error tags each default retry predicate retries (retry policy docs). */
const RETRYABLE = {
  idempotent: {
    codes: [429n, 502n, 503n, 504n],
    tags: ['ConnectionError', 'ConnectionFailedError', 'TimeoutError'],
  },
  nonIdempotent: { codes: [429n, 503n], tags: ['ConnectionFailedError'] },
} as const;

/**
 * Whether an error value is retryable under a default predicate: its `code` is one of the codes,
 * or one of its `tags` is one of the tags. A raised string (or any non-map) is never retried.
 */
const matchesRetryable = (
  error: WorkflowValue,
  retryable: { codes: readonly bigint[]; tags: readonly string[] },
): boolean => {
  if (!(error instanceof Map)) return false;
  const code = error.get('code');
  if (code !== undefined && retryable.codes.some((candidate) => valuesEqual(candidate, code))) return true;
  return errorTags(error).some((tag) => retryable.tags.includes(tag));
};

const pickNumber = (name: string, pickFirst: (comparison: number) => boolean) =>
  definePure(name, ['x', 'y'], 2, (read, args) => {
    const x = read.number(args, 0);
    const y = read.number(args, 1);
    const difference = Number(x) - Number(y);
    if (typeof x === 'bigint' && typeof y === 'bigint') return pickFirst(x > y ? 1 : x < y ? -1 : 0) ? x : y;
    return pickFirst(difference) ? x : y;
  });

/**
 * `sys.now`, `sys.get_env`, `time.*`, `uuid.generate`, `hash.*`, `math.*`, and the retry
 * predicates (`retry.always`, `retry.never`, `http.default_retry_predicate*`).
 */
const createSystemFunctions = (): Record<string, StdlibFunction> =>
  Object.fromEntries([
    definePure('sys.now', [], 0, (_read, _args, services) => services.clock.now() / 1000),
    definePure('sys.get_env', ['name', 'default'], 1, (read, args, services) => {
      const name = read.string(args, 0);
      const fallback = args[1] === undefined ? null : read.string(args, 1);
      return Object.hasOwn(services.env, name) ? (services.env[name] as string) : fallback;
    }),
    definePure('time.format', ['seconds', 'timezone'], 1, (read, args) =>
      formatTimestamp(Number(read.number(args, 0)), args[1] === undefined ? undefined : read.string(args, 1)),
    ),
    definePure('time.parse', ['value'], 1, (read, args) => parseTimestamp(read.string(args, 0))),
    definePure('uuid.generate', [], 0, (_read, _args, services) => services.randomUuid()),
    definePure('hash.compute_checksum', ['data', 'algorithm'], 2, (read, args) => {
      const data = read.bytes(args, 0);
      const algorithm = hashAlgorithm('hash.compute_checksum', read.string(args, 1));
      return new Uint8Array(createHash(algorithm).update(data).digest());
    }),
    definePure('hash.compute_hmac', ['key', 'data', 'algorithm'], 3, (read, args) => {
      const key = read.bytes(args, 0);
      const data = read.bytes(args, 1);
      const algorithm = hashAlgorithm('hash.compute_hmac', read.string(args, 2));
      return new Uint8Array(createHmac(algorithm, key).update(data).digest());
    }),
    definePure('math.abs', ['x'], 1, (read, args) => {
      const x = read.number(args, 0);
      if (typeof x === 'number') return Math.abs(x);
      if (x === INT64_MIN)
        throw valueError('math.abs', 'the absolute value of the smallest integer does not fit 64 bits');
      return x < 0n ? -x : x;
    }),
    pickNumber('math.max', (comparison) => comparison >= 0),
    pickNumber('math.min', (comparison) => comparison <= 0),
    // Not in the official function list (the spec sheet marks it unverified); returns an int.
    definePure('math.floor', ['x'], 1, (read, args) => {
      const x = read.number(args, 0);
      if (typeof x === 'bigint') return x;
      if (!Number.isFinite(x) || Math.abs(x) >= 2 ** 63)
        throw valueError('math.floor', `${x} does not fit an integer`);
      return BigInt(Math.floor(x));
    }),
    definePure('retry.always', ['e'], 1, () => true),
    definePure('retry.never', ['e'], 1, () => false),
    definePure('http.default_retry_predicate', ['e'], 1, (_read, args) =>
      matchesRetryable(args[0] ?? null, RETRYABLE.idempotent),
    ),
    definePure('http.default_retry_predicate_non_idempotent', ['e'], 1, (_read, args) =>
      matchesRetryable(args[0] ?? null, RETRYABLE.nonIdempotent),
    ),
  ]);

/** `retry.default_backoff`: initial delay 1 s, max delay 60 s, multiplier 1.25. */
const DEFAULT_BACKOFF = { initialDelaySeconds: 1, maxDelaySeconds: 60, multiplier: 1.25 } as const;

/**
 * The documented default retry policies, as the interpreter needs them for
 * `retry: ${http.default_retry}`: predicate function name, max_retries and backoff.
 */
const DEFAULT_RETRY_POLICIES = {
  'http.default_retry': {
    predicate: 'http.default_retry_predicate',
    maxRetries: 5,
    backoff: DEFAULT_BACKOFF,
  },
  'http.default_retry_non_idempotent': {
    predicate: 'http.default_retry_predicate_non_idempotent',
    maxRetries: 5,
    backoff: DEFAULT_BACKOFF,
  },
} as const;

export { createSystemFunctions, DEFAULT_BACKOFF, DEFAULT_RETRY_POLICIES };
