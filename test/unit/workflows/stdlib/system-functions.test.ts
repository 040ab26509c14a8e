import { createHash, createHmac } from 'node:crypto';
import { WorkflowRuntimeError } from '../../../../local/workflows/engine/errors';
import type { WorkflowValue } from '../../../../local/workflows/engine/runtime-types';
import { DEFAULT_RETRY_POLICIES } from '../../../../local/workflows/engine/stdlib';
import { call, createTestServices, errorOf, map } from './stdlib-harness';

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

describe('sys', () => {
  it('reads the clock as seconds (a double)', async () => {
    // Act
    const now = await call('sys.now', []);

    // Assert
    expect(now).toBe(1_720_788_633.25);
  });

  it('reads environment variables, with a default or null when unset', async () => {
    // Act / Assert
    expect(await call('sys.get_env', ['GOOGLE_CLOUD_PROJECT_ID'])).toBe('demo-project');
    expect(await call('sys.get_env', ['UNSET'])).toBeNull();
    expect(await call('sys.get_env', ['UNSET', 'fallback'])).toBe('fallback');
    expect(await call('sys.get_env', ['toString'])).toBeNull();
  });

  it('raises a TypeError for a non-string name or default', async () => {
    // Act
    const badName = await errorOf(call('sys.get_env', [1n]));
    const badDefault = await errorOf(call('sys.get_env', ['UNSET', 1n]));

    // Assert
    expect(badName.tags).toEqual(['TypeError']);
    expect(badDefault.tags).toEqual(['TypeError']);
  });
});

describe('time', () => {
  it.each([
    [[1720788633n], '2024-07-12T12:50:33.000000Z'],
    [[1720788633n, 'Europe/Paris'], '2024-07-12T14:50:33.000000+02:00'],
    [[1720788633n, 'GMT'], '2024-07-12T12:50:33.000000Z'],
    [[1720788633n, 'UTC'], '2024-07-12T12:50:33.000000Z'],
    [[1720788633n, ''], '2024-07-12T12:50:33.000000Z'],
    [[1705000000n, 'Europe/Paris'], '2024-01-11T20:06:40.000000+01:00'],
    [[1720788633n, 'America/New_York'], '2024-07-12T08:50:33.000000-04:00'],
    [[1720788633n, 'Asia/Kolkata'], '2024-07-12T18:20:33.000000+05:30'],
    [[1720788633.123456], '2024-07-12T12:50:33.123456Z'],
    [[-1.5], '1969-12-31T23:59:58.500000Z'],
    [[0n], '1970-01-01T00:00:00.000000Z'],
  ] as Array<[WorkflowValue[], string]>)('format%p = %s', async (args, expected) => {
    // Act / Assert
    expect(await call('time.format', args)).toBe(expected);
  });

  it('raises a ValueError for an unknown time zone and a TypeError for non-numbers', async () => {
    // Act
    const zone = await errorOf(call('time.format', [0n, 'Mars/Olympus']));
    const type = await errorOf(call('time.format', ['0']));

    // Assert
    expect(zone.tags).toEqual(['ValueError']);
    expect(type.tags).toEqual(['TypeError']);
  });

  it.each([
    ['2024-07-12T12:50:33Z', 1720788633],
    ['2024-07-12T14:50:33+02:00', 1720788633],
    ['2024-07-12t12:50:33.5z', 1720788633.5],
    ['2024-07-12T12:50:33.1234569Z', 1720788633.123456],
    ['1970-01-01T00:00:00-00:30', 1800],
  ])('parse(%j) = %p', async (text, expected) => {
    // Act
    const value = await call('time.parse', [text]);

    // Assert
    expect(typeof value).toBe('number');
    expect(value as number).toBeCloseTo(expected, 6);
  });

  it('round-trips format and parse', async () => {
    // Act
    const text = await call('time.format', [1720788633.25, 'Asia/Tokyo']);
    const back = await call('time.parse', [text]);

    // Assert
    expect(text).toBe('2024-07-12T21:50:33.250000+09:00');
    expect(back).toBe(1720788633.25);
  });

  it.each(['2024-07-12', '2024-13-01T00:00:00Z', '2024-02-30T00:00:00Z', '2024-07-12T12:50:33', 'yesterday'])(
    'parse(%j) raises a ValueError',
    async (text) => {
      // Act
      const error = await errorOf(call('time.parse', [text]));

      // Assert
      expect(error.tags).toEqual(['ValueError']);
    },
  );
});

describe('uuid and hash', () => {
  it('generates UUIDs through the injected service', async () => {
    // Act
    const value = await call('uuid.generate', [], createTestServices({ randomUuid: () => 'fixed-uuid' }));

    // Assert
    expect(value).toBe('fixed-uuid');
  });

  it('computes the documented SHA256 checksum example', async () => {
    // Act
    const checksum = await call('hash.compute_checksum', [bytes('Hello World'), 'SHA256']);

    // Assert
    expect(Buffer.from(checksum as Uint8Array).toString('base64')).toBe(
      'pZGm1Av0IEBKARczz7exkNYsZb8LzaMrV7J32a2fFG4=',
    );
  });

  it.each(['MD5', 'SHA1', 'SHA224', 'SHA384', 'SHA512', 'sha256'])('supports %s', async (algorithm) => {
    // Act
    const checksum = await call('hash.compute_checksum', [bytes('x'), algorithm]);
    const hmac = await call('hash.compute_hmac', [bytes('key'), bytes('x'), algorithm]);

    // Assert
    const nodeName = algorithm.toLowerCase();
    expect(checksum).toEqual(new Uint8Array(createHash(nodeName).update('x').digest()));
    expect(hmac).toEqual(new Uint8Array(createHmac(nodeName, 'key').update('x').digest()));
  });

  it('raises ValueError for an unknown algorithm and TypeError for strings instead of bytes', async () => {
    // Act
    const algorithm = await errorOf(call('hash.compute_checksum', [bytes('x'), 'CRC32']));
    const type = await errorOf(call('hash.compute_hmac', ['key', bytes('x'), 'SHA256']));

    // Assert
    expect(algorithm.tags).toEqual(['ValueError']);
    expect(type.tags).toEqual(['TypeError']);
  });
});

describe('math', () => {
  it.each([
    ['math.abs', [-123n], 123n],
    ['math.abs', [-1.5], 1.5],
    ['math.max', [1n, 2n], 2n],
    ['math.max', [1n, 0.5], 1n],
    ['math.max', [1.5, 2n], 2n],
    ['math.min', [1n, 0.5], 0.5],
    ['math.min', [-3n, -2n], -3n],
    ['math.floor', [2.7], 2n],
    ['math.floor', [-2.1], -3n],
    ['math.floor', [5n], 5n],
  ] as Array<[string, WorkflowValue[], WorkflowValue]>)('%s%p = %p', async (name, args, expected) => {
    // Act
    const value = await call(name, args);

    // Assert
    expect(value).toEqual(expected);
    expect(typeof value).toBe(typeof expected);
  });

  it('raises ValueError for abs(MinInt64) and TypeError for non-numbers', async () => {
    // Act
    const overflow = await errorOf(call('math.abs', [-(2n ** 63n)]));
    const type = await errorOf(call('math.max', ['1', 2n]));

    // Assert
    expect(overflow.tags).toEqual(['ValueError']);
    expect(type.tags).toEqual(['TypeError']);
  });
});

describe('retry predicates', () => {
  const httpError = (code: bigint) =>
    WorkflowRuntimeError.builtin('HttpError', `HTTP server responded with error code ${code}`, { code })
      .value;
  const tagged = (tag: 'ConnectionError' | 'ConnectionFailedError' | 'TimeoutError' | 'KeyError') =>
    WorkflowRuntimeError.builtin(tag, 'failed').value;

  it.each([
    [httpError(429n), true, true],
    [httpError(502n), true, false],
    [httpError(503n), true, true],
    [httpError(504n), true, false],
    [httpError(500n), false, false],
    [httpError(404n), false, false],
    [tagged('ConnectionError'), true, false],
    [tagged('ConnectionFailedError'), true, true],
    [tagged('TimeoutError'), true, false],
    [tagged('KeyError'), false, false],
    [map({ code: 503.0 }), true, true],
    ['a raised string', false, false],
  ] as Array<[WorkflowValue, boolean, boolean]>)(
    '%p: default %p, non-idempotent %p',
    async (error, idempotent, nonIdempotent) => {
      // Act
      const defaultDecision = await call('http.default_retry_predicate', [error]);
      const nonIdempotentDecision = await call('http.default_retry_predicate_non_idempotent', [error]);

      // Assert
      expect(defaultDecision).toBe(idempotent);
      expect(nonIdempotentDecision).toBe(nonIdempotent);
    },
  );

  it('always and never ignore the error', async () => {
    // Act / Assert
    expect(await call('retry.always', [httpError(500n)])).toBe(true);
    expect(await call('retry.never', [httpError(429n)])).toBe(false);
  });

  it('describes the default policies for the interpreter', () => {
    // Act
    const policy = DEFAULT_RETRY_POLICIES['http.default_retry'];

    // Assert
    expect(policy).toEqual({
      predicate: 'http.default_retry_predicate',
      maxRetries: 5,
      backoff: { initialDelaySeconds: 1, maxDelaySeconds: 60, multiplier: 1.25 },
    });
    expect(DEFAULT_RETRY_POLICIES['http.default_retry_non_idempotent'].predicate).toBe(
      'http.default_retry_predicate_non_idempotent',
    );
  });
});
