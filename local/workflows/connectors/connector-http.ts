import type { WorkflowClock, WorkflowValue } from '../engine';
import { decodeJsonText, fromJson, isVirtualClock, WorkflowRuntimeError } from '../engine';
import type { ConnectorHttpRequest } from './connector-request';

/**
 * Sends a connector's HTTP requests the way Workflows connectors do: 429 and 503 answers are
 * retried with exponential backoff on the execution's clock before anything is raised; any other
 * status >= 400 becomes an HttpError map (`code`, `message`, `body`, `headers`, `tags`);
 * a connection that could not be made is a ConnectionFailedError, one that broke a ConnectionError.
 *
 * Hand-written HTTP is acceptable here only because a generic connector is Discovery-driven by
 * nature (Google's own connectors are generated from the same documents); it is not a template for
 * calling Google APIs from the control plane, which uses the official clients.
 */

/** A decoded connector response. */
interface ConnectorHttpResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as a Workflows value: parsed JSON when it is JSON, else its text; null when empty. */
  body: WorkflowValue;
}

/** Retry of 429/503: Workflows' default backoff (1 s, ×1.25, at most 60 s), five retries. */
const RETRY_STATUSES = new Set([429, 503]);
const MAX_RETRIES = 5;
const RETRY_INITIAL_DELAY_MS = 1_000;
const RETRY_MULTIPLIER = 1.25;
const RETRY_MAX_DELAY_MS = 60_000;

/** Node's fetch reports connection failures as a TypeError whose `cause` carries the socket code. */
const CONNECT_FAILURE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const causeCode = (thrown: unknown): string | undefined => {
  let current: unknown = thrown;
  for (let depth = 0; depth < 4 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
};

/**
 * A `fetch` failure as the Workflows error it stands for: ConnectionFailedError when no connection
 * was made (refused, DNS), ConnectionError when it broke during the exchange.
 */
const fetchFailureToWorkflowError = (thrown: unknown, url: string): WorkflowRuntimeError => {
  const code = causeCode(thrown);
  const detail = code ?? (thrown instanceof Error ? thrown.message : String(thrown));
  if (code && CONNECT_FAILURE_CODES.has(code)) {
    return WorkflowRuntimeError.builtin('ConnectionFailedError', `could not connect to ${url}: ${detail}`);
  }
  return WorkflowRuntimeError.builtin('ConnectionError', `connection to ${url} failed: ${detail}`);
};

/** A response body as a Workflows value: JSON when it parses as JSON, else its text. */
const decodeBody = (text: string, contentType: string | undefined): WorkflowValue => {
  if (text === '') return null;
  if (contentType === undefined || /json/i.test(contentType)) {
    try {
      return decodeJsonText(text);
    } catch {
      return text;
    }
  }
  return text;
};

/** The HttpError a status >= 400 raises, shaped like Workflows' (`e.code`, `e.body`, …). */
const httpErrorFor = (response: ConnectorHttpResponse): WorkflowRuntimeError =>
  WorkflowRuntimeError.builtin('HttpError', `HTTP server responded with error code ${response.status}`, {
    code: BigInt(response.status),
    headers: fromJson(response.headers),
    body: response.body,
  });

/** Sends one request (no retries); throws only Connection*Error or the signal's reason. */
const sendOnce = async (
  request: ConnectorHttpRequest,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<ConnectorHttpResponse> => {
  const timeout = AbortSignal.timeout(Math.max(1, timeoutMs));
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let response: Response;
  let text: string;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: {
        accept: 'application/json',
        ...(request.body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      },
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: combined,
    });
    text = await response.text();
  } catch (thrown) {
    if (signal?.aborted) throw signal.reason;
    if (timeout.aborted) {
      throw WorkflowRuntimeError.builtin('TimeoutError', `${request.method} ${request.url} timed out`);
    }
    throw fetchFailureToWorkflowError(thrown, request.url);
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: response.status, headers, body: decodeBody(text, headers['content-type']) };
};

/**
 * Sends `request`, retrying 429/503 with backoff on `clock`; resolves with a 2xx/3xx response.
 *
 * @throws WorkflowRuntimeError HttpError (status >= 400 after retries), ConnectionError,
 *   ConnectionFailedError, TimeoutError (`timeoutMs` real time per request).
 */
const sendConnectorRequest = async (
  request: ConnectorHttpRequest,
  options: { clock: WorkflowClock; timeoutMs: number; signal?: AbortSignal },
): Promise<ConnectorHttpResponse> => {
  const { clock } = options;
  let delayMs = RETRY_INITIAL_DELAY_MS;
  for (let attempt = 0; ; attempt += 1) {
    const exchange = (): Promise<ConnectorHttpResponse> =>
      sendOnce(request, options.timeoutMs, options.signal);
    // A virtual clock must not jump while the request is in flight (only around the request: a
    // backoff sleep inside a hold would never end).
    const response = await (isVirtualClock(clock) ? clock.hold(exchange) : exchange());
    if (response.status < 400) return response;
    if (!RETRY_STATUSES.has(response.status) || attempt >= MAX_RETRIES) throw httpErrorFor(response);
    await clock.sleep(Math.round(delayMs), options.signal);
    delayMs = Math.min(delayMs * RETRY_MULTIPLIER, RETRY_MAX_DELAY_MS);
  }
};

export type { ConnectorHttpResponse };
export { decodeBody, fetchFailureToWorkflowError, sendConnectorRequest };
