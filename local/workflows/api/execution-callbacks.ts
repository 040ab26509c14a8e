import { invalidArgument, notFound } from '../../simulator/api-error';
import type { CallbackService, ReceivedCallback, WorkflowClock } from '../engine';
import { WorkflowRuntimeError } from '../engine';

/**
 * The callback endpoints of one execution (`events.create_callback_endpoint` /
 * `events.await_callback`), served by the local Executions API on its own port with Google's URL
 * shape: `{server}/v1/projects/P/locations/L/workflows/W/executions/E/callbacks/ID`.
 *
 * A request that arrives while no step waits is queued (Google lists such requests as the
 * callback's `availablePayloads`) and handed to the next `await_callback` on that endpoint; waits
 * on one endpoint are served first come, first served. A wait times out on the server's clock.
 * With a virtual clock time jumps as soon as every branch is blocked, so a wait for a request from
 * outside the process times out at once: use the system or a scaled clock when something external
 * is to answer.
 */

/** The HTTP methods an endpoint may accept (`http_callback_method`), plus ANY. */
const CALLBACK_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'ANY'] as const;

/** A request received on a callback URL, before it is stamped with the time. */
interface IncomingCallback {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: Record<string, string>;
  query: Record<string, string[]>;
  body: unknown;
}

interface CallbackEndpoint {
  id: string;
  method: string;
  url: string;
  queue: ReceivedCallback[];
  waiters: Array<(callback: ReceivedCallback) => void>;
}

/** The Executions API's `Callback` resource. */
interface CallbackResource {
  name: string;
  method: string;
  waiters: string;
  availablePayloads: string[];
}

interface ExecutionCallbacks extends CallbackService {
  /**
   * Hands a request to endpoint `id`.
   *
   * @throws SimulatorApiError NOT_FOUND (unknown id) or INVALID_ARGUMENT (method not accepted).
   */
  deliver(id: string, request: IncomingCallback): void;
  /** The `callbacks.list` resources, oldest first. */
  list(): CallbackResource[];
}

/**
 * @param executionName - `projects/P/locations/L/workflows/W/executions/E`.
 * @param baseUrl - the server's URL, e.g. `http://127.0.0.1:8801`.
 */
const createExecutionCallbacks = (options: {
  executionName: string;
  baseUrl: string;
  clock: WorkflowClock;
  newId: () => string;
}): ExecutionCallbacks => {
  const byId = new Map<string, CallbackEndpoint>();
  const byUrl = new Map<string, CallbackEndpoint>();
  const resourceName = (id: string): string => `${options.executionName}/callbacks/${id}`;

  return {
    async create(method) {
      const upper = method.toUpperCase();
      if (!(CALLBACK_METHODS as readonly string[]).includes(upper)) {
        throw WorkflowRuntimeError.builtin(
          'ValueError',
          `http_callback_method must be one of ${CALLBACK_METHODS.join(', ')}, got ${method}`,
        );
      }
      const id = options.newId();
      const url = `${options.baseUrl}/v1/${resourceName(id)}`;
      const endpoint: CallbackEndpoint = { id, method: upper, url, queue: [], waiters: [] };
      byId.set(id, endpoint);
      byUrl.set(url, endpoint);
      return { url };
    },

    await(url, timeoutMs, signal) {
      const endpoint = byUrl.get(url);
      if (!endpoint) {
        return Promise.reject(
          WorkflowRuntimeError.builtin('ValueError', `${url} is not a callback endpoint of this execution`),
        );
      }
      const queued = endpoint.queue.shift();
      if (queued) return Promise.resolve(queued);
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<ReceivedCallback | 'timeout'>((resolve, reject) => {
        const stopTimer = new AbortController();
        const leave = (): void => {
          const index = endpoint.waiters.indexOf(waiter);
          if (index >= 0) endpoint.waiters.splice(index, 1);
          stopTimer.abort();
          signal?.removeEventListener('abort', onAbort);
        };
        const onAbort = (): void => {
          leave();
          reject(signal?.reason);
        };
        const waiter = (callback: ReceivedCallback): void => {
          leave();
          resolve(callback);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        endpoint.waiters.push(waiter);
        options.clock.sleep(timeoutMs, stopTimer.signal).then(
          () => {
            if (!endpoint.waiters.includes(waiter)) return;
            leave();
            resolve('timeout');
          },
          // Aborted: a callback arrived or the execution ended; that path already settled.
          () => undefined,
        );
      });
    },

    deliver(id, request) {
      const endpoint = byId.get(id);
      if (!endpoint) throw notFound(`Callback ${resourceName(id)} does not exist.`);
      const method = request.method.toUpperCase();
      if (endpoint.method !== 'ANY' && endpoint.method !== method) {
        throw invalidArgument(
          `Callback ${resourceName(id)} accepts ${endpoint.method} requests, not ${method}.`,
        );
      }
      const callback: ReceivedCallback = { ...request, method, receivedAt: options.clock.now() };
      const waiter = endpoint.waiters[0];
      if (waiter) waiter(callback);
      else endpoint.queue.push(callback);
    },

    list: () =>
      [...byId.values()].map((endpoint) => ({
        name: resourceName(endpoint.id),
        method: endpoint.method,
        waiters: String(endpoint.waiters.length),
        availablePayloads: endpoint.queue.map((callback) =>
          typeof callback.body === 'string' ? callback.body : JSON.stringify(callback.body),
        ),
      })),
  };
};

export type { CallbackResource, ExecutionCallbacks, IncomingCallback };
export { CALLBACK_METHODS, createExecutionCallbacks };
