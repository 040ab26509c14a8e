import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowRuntimeError } from '../errors';
import type { CallbackService, ReceivedCallback, WorkflowClock } from '../runtime-types';

/** A request as it reaches an endpoint, before it is stamped with the time. */
interface CallbackRequest {
  method: string;
  headers?: Record<string, string>;
  query?: Record<string, string[]>;
  /** Parsed JSON, text, or null. */
  body?: unknown;
}

interface Endpoint {
  method: string;
  path: string;
  queue: ReceivedCallback[];
  waiters: Array<(callback: ReceivedCallback) => void>;
}

/** Callback endpoints served in this process, optionally over HTTP on 127.0.0.1. */
interface LocalCallbackService extends CallbackService {
  /**
   * Hands a request to the endpoint at `url` as if it had arrived over HTTP. Returns the HTTP
   * status the sender gets: 200, 404 for an unknown endpoint, 405 for a method it does not accept.
   */
  deliver(url: string, request: CallbackRequest): number;
  /** The endpoint URLs created so far, oldest first (for tests and tools that answer them). */
  endpoints(): string[];
  /** Stops the HTTP server, if one was started. */
  close(): Promise<void>;
}

const readBody = async (request: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return null;
  if (/json/i.test(request.headers['content-type'] ?? '')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
};

/**
 * The callbacks of `events.create_callback_endpoint` / `events.await_callback` for local runs. With
 * `serve: true` each endpoint is a real URL on an ephemeral 127.0.0.1 port (the server starts with
 * the first endpoint) that any HTTP client can call; without it the URLs are `local://` ones that
 * only `deliver` reaches. Requests that arrive before the workflow waits are queued; a wait times
 * out on the execution's clock.
 */
const createLocalCallbackService = (options: {
  clock: WorkflowClock;
  serve?: boolean;
  newId?: () => string;
}): LocalCallbackService => {
  const endpoints = new Map<string, Endpoint>();
  const newId = options.newId ?? (() => randomUUID());
  let server: Server | undefined;
  let baseUrl: Promise<string> | undefined;

  const deliver = (url: string, request: CallbackRequest): number => {
    const endpoint = endpoints.get(url);
    if (!endpoint) return 404;
    const method = request.method.toUpperCase();
    if (endpoint.method !== 'ANY' && endpoint.method !== method) return 405;
    const callback: ReceivedCallback = {
      method,
      url: endpoint.path,
      headers: request.headers ?? {},
      query: request.query ?? {},
      body: request.body ?? null,
      receivedAt: options.clock.now(),
    };
    const waiter = endpoint.waiters.shift();
    if (waiter) waiter(callback);
    else endpoint.queue.push(callback);
    return 200;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse, base: string): Promise<void> => {
    const target = new URL(request.url ?? '/', base);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
    }
    const query: Record<string, string[]> = {};
    for (const [key, value] of target.searchParams) query[key] = [...(query[key] ?? []), value];
    const status = deliver(`${base}${target.pathname}`, {
      method: request.method ?? 'GET',
      headers,
      query,
      body: await readBody(request),
    });
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify(
        status === 200 ? {} : { error: status === 404 ? 'no such callback' : 'method not allowed' },
      ),
    );
  };

  const serverBase = (): Promise<string> => {
    baseUrl ??= new Promise<string>((resolve, reject) => {
      const created = createServer((request, response) => {
        handle(request, response, `http://127.0.0.1:${(created.address() as AddressInfo).port}`).catch(() => {
          response.writeHead(500);
          response.end();
        });
      });
      server = created;
      created.once('error', reject);
      created.listen(0, '127.0.0.1', () =>
        resolve(`http://127.0.0.1:${(created.address() as AddressInfo).port}`),
      );
    });
    return baseUrl;
  };

  return {
    async create(method) {
      const base = options.serve ? await serverBase() : 'local://workflows';
      const path = `/callbacks/${newId()}`;
      const url = `${base}${path}`;
      endpoints.set(url, { method: method.toUpperCase(), path, queue: [], waiters: [] });
      return { url };
    },
    await(url, timeoutMs, signal) {
      const endpoint = endpoints.get(url);
      if (!endpoint) {
        return Promise.reject(
          WorkflowRuntimeError.builtin('ValueError', `${url} is not a callback endpoint of this execution`),
        );
      }
      const queued = endpoint.queue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise<ReceivedCallback | 'timeout'>((resolve, reject) => {
        const timer = new AbortController();
        const onAbort = (): void => {
          timer.abort();
          endpoint.waiters.splice(endpoint.waiters.indexOf(waiter), 1);
          reject(signal?.reason);
        };
        const waiter = (callback: ReceivedCallback): void => {
          timer.abort();
          signal?.removeEventListener('abort', onAbort);
          resolve(callback);
        };
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        endpoint.waiters.push(waiter);
        options.clock.sleep(timeoutMs, timer.signal).then(
          () => {
            const index = endpoint.waiters.indexOf(waiter);
            if (index < 0) return;
            endpoint.waiters.splice(index, 1);
            signal?.removeEventListener('abort', onAbort);
            resolve('timeout');
          },
          () => undefined,
        );
      });
    },
    deliver,
    endpoints: () => [...endpoints.keys()],
    async close() {
      const running = server;
      server = undefined;
      baseUrl = undefined;
      if (!running) return;
      running.closeAllConnections();
      await new Promise<void>((resolve) => running.close(() => resolve()));
    },
  };
};

export type { CallbackRequest, LocalCallbackService };
export { createLocalCallbackService };
