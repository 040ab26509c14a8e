import { WorkflowRuntimeError } from '../errors';
import type { ExecutionServices, WorkflowHttpRequest, WorkflowHttpResponse } from '../runtime-types';

/** Error codes Node reports when a connection could not be made at all. */
const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

const causeCode = (error: unknown): string | undefined => {
  for (let current: unknown = error; current && typeof current === 'object'; ) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
};

/**
 * `http.*` over the real network with fetch. Failures become the Workflows error types: no
 * connection (refused, unknown host) is ConnectionFailedError, a connection broken mid-transfer
 * ConnectionError, the request's timeout TimeoutError. No token is attached for `auth` locally.
 * The timeout runs on wall time, whatever clock the execution uses.
 */
const createFetchHttpService =
  (): ExecutionServices['http'] =>
  async (request: WorkflowHttpRequest, signal?: AbortSignal): Promise<WorkflowHttpResponse> => {
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const timedOut = (): WorkflowRuntimeError =>
      WorkflowRuntimeError.builtin(
        'TimeoutError',
        `HTTP request to ${request.url} timed out after ${request.timeoutMs / 1000} s`,
      );
    let response: Response;
    try {
      response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body ? { body: request.body } : {}),
        signal: combined,
        redirect: 'follow',
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) throw timedOut();
      const code = causeCode(error);
      if (code && CONNECT_FAILURES.has(code)) {
        throw WorkflowRuntimeError.builtin(
          'ConnectionFailedError',
          `could not connect to ${new URL(request.url).host}: ${code}`,
        );
      }
      throw WorkflowRuntimeError.builtin(
        'ConnectionError',
        `HTTP request to ${request.url} failed: ${(error as Error).message}`,
      );
    }
    let body: Uint8Array;
    try {
      body = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) throw timedOut();
      throw WorkflowRuntimeError.builtin(
        'ConnectionError',
        `the connection to ${new URL(request.url).host} broke while reading the response: ${(error as Error).message}`,
      );
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key] = value;
    });
    return { status: response.status, headers, body };
  };

export { createFetchHttpService };
