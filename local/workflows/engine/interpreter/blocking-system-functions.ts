import { WorkflowRuntimeError } from '../errors';
import type { WorkflowMap, WorkflowValue } from '../runtime-types';
import { argumentReader, type StdlibFunction } from '../stdlib/stdlib-function';
import { fromJson, stringify, toJson } from '../values';
import { blockingFunction, secondsArgument } from './blocking-function';

/** `sys.log` severities (Cloud Logging's). */
const SEVERITIES = new Set([
  'DEFAULT',
  'DEBUG',
  'INFO',
  'NOTICE',
  'WARNING',
  'ERROR',
  'CRITICAL',
  'ALERT',
  'EMERGENCY',
]);

/** await_callback waits 12 hours unless told otherwise. */
const DEFAULT_CALLBACK_TIMEOUT_SECONDS = 43_200;

/**
 * A time as Go's `time.Time.String()` prints it in UTC (`2021-06-24 12:49:16.988 +0000 UTC`),
 * which is how `events.await_callback` reports `received_time`.
 */
const goTimeString = (epochMs: number): string => {
  const iso = new Date(epochMs).toISOString(); // 2021-06-24T12:49:16.988Z
  const [date, rest] = iso.split('T') as [string, string];
  const clock = rest.slice(0, 8);
  const fraction = rest.slice(9, 12).replace(/0+$/, '');
  return `${date} ${clock}${fraction ? `.${fraction}` : ''} +0000 UTC`;
};

const sysSleep = blockingFunction('sys.sleep', ['seconds'], 1, async (args, services) => {
  const ms = secondsArgument('sys.sleep', 'seconds', args[0], 0);
  await services.clock.sleep(ms);
  return null;
});

const sysSleepUntil = blockingFunction('sys.sleep_until', ['time'], 1, async (args, services) => {
  const text = argumentReader('sys.sleep_until', ['time']).string(args, 0);
  const at = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(at)) {
    throw WorkflowRuntimeError.builtin(
      'ValueError',
      `sys.sleep_until: "${text}" is not an RFC 3339 timestamp`,
    );
  }
  const wait = at - services.clock.now();
  if (wait > 0) await services.clock.sleep(wait);
  return null;
});

/**
 * `sys.log(data | text | json, severity)`: exactly one payload. A map in `data` (or `json`) is a
 * structured entry, anything else text, as Cloud Logging's jsonPayload / textPayload.
 */
const sysLog = blockingFunction(
  'sys.log',
  ['data', 'severity', 'text', 'json', 'timeout'],
  0,
  async (args, services) => {
    const read = argumentReader('sys.log', ['data', 'severity', 'text', 'json', 'timeout']);
    const given = [0, 2, 3].filter((index) => args[index] !== undefined);
    if (given.length !== 1) {
      throw WorkflowRuntimeError.builtin(
        'TypeError',
        'sys.log: pass exactly one of "data", "text" or "json"',
      );
    }
    const severity = read.optionalString(args, 1, 'DEFAULT');
    if (!SEVERITIES.has(severity)) {
      throw WorkflowRuntimeError.builtin('ValueError', `sys.log: unknown severity "${severity}"`);
    }
    const index = given[0] as number;
    let payload: unknown;
    if (index === 2) payload = read.string(args, 2);
    else if (index === 3) payload = toJson(read.map(args, 3));
    else {
      const data = args[0] as WorkflowValue;
      payload = data instanceof Map ? toJson(data) : typeof data === 'string' ? data : stringify(data);
    }
    services.log({ severity, payload, at: services.clock.now() });
    return null;
  },
);

const createCallbackEndpoint = blockingFunction(
  'events.create_callback_endpoint',
  ['http_callback_method'],
  0,
  async (args, services) => {
    const method = argumentReader('events.create_callback_endpoint', ['http_callback_method'])
      .optionalString(args, 0, 'POST')
      .toUpperCase();
    const endpoint = await services.callbacks.create(method);
    return new Map<string, WorkflowValue>([['url', endpoint.url]]);
  },
);

const awaitCallback = blockingFunction(
  'events.await_callback',
  ['callback', 'timeout'],
  1,
  async (args, services) => {
    const callback = argumentReader('events.await_callback', ['callback', 'timeout']).map(args, 0);
    const url = callback.get('url');
    if (typeof url !== 'string') {
      throw WorkflowRuntimeError.builtin(
        'TypeError',
        'events.await_callback: "callback" must be the map events.create_callback_endpoint returned',
      );
    }
    const timeoutMs = secondsArgument(
      'events.await_callback',
      'timeout',
      args[1],
      DEFAULT_CALLBACK_TIMEOUT_SECONDS,
    );
    const received = await services.callbacks.await(url, timeoutMs);
    if (received === 'timeout') {
      throw WorkflowRuntimeError.builtin(
        'TimeoutError',
        `Timeout waiting for callback after ${timeoutMs / 1000} seconds`,
      );
    }
    const query: WorkflowMap = new Map();
    for (const [key, values] of Object.entries(received.query)) query.set(key, [...values]);
    const request: WorkflowMap = new Map<string, WorkflowValue>([
      ['body', fromJson(received.body)],
      ['headers', fromJson(received.headers)],
      ['method', received.method],
      ['query', query],
      ['url', received.url],
    ]);
    return new Map<string, WorkflowValue>([
      ['http_request', request],
      ['received_time', goTimeString(received.receivedAt)],
      ['type', 'HTTP'],
    ]);
  },
);

/** The blocking `sys.*` and `events.*` functions. */
const createBlockingSystemFunctions = (): Record<string, StdlibFunction> => ({
  'sys.sleep': sysSleep,
  'sys.sleep_until': sysSleepUntil,
  'sys.log': sysLog,
  'events.create_callback_endpoint': createCallbackEndpoint,
  'events.await_callback': awaitCallback,
});

export { createBlockingSystemFunctions, goTimeString };
