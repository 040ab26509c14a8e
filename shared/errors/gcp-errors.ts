import {
  ControlPlaneError,
  GcpError,
  NotFoundError,
  ResourceBusyError,
  StateConflictError,
} from './control-plane-error';

/**
 * Google client errors come in several shapes (see api-contracts §0): gax 6 `GoogleError` with a
 * numeric gRPC `code`, gax 5 / gaxios `GaxiosError` with an HTTP `status` and the JSON body as its
 * message or in `response.data`, and the legacy `errors[].reason` of Cloud SQL and IAM. This is the
 * one place that reads them; callers get a ControlPlaneError with a stable code.
 */

/** gRPC code → the google.rpc status string. */
const GRPC_STATUS: Record<number, string> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  15: 'DATA_LOSS',
  16: 'UNAUTHENTICATED',
};

/** Status strings that mean "try again later" whatever the API. */
const TRANSIENT_STATUSES = new Set([
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'RESOURCE_EXHAUSTED',
  'INTERNAL',
  'UNKNOWN',
]);
/** Node network error codes that mean the request never got an answer. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

interface ReadGcpError {
  httpStatus?: number;
  status?: string;
  reason?: string;
  message: string;
  networkCode?: string;
}

type Bag = Record<string, unknown>;
const asBag = (value: unknown): Bag | undefined =>
  value !== null && typeof value === 'object' ? (value as Bag) : undefined;

/** Pulls the google.rpc error object out of a JSON string or a parsed body. */
const errorBody = (value: unknown): Bag | undefined => {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return asBag(asBag(parsed)?.error);
};

const readGcpError = (error: unknown): ReadGcpError => {
  const bag = asBag(error) ?? {};
  const message = typeof bag.message === 'string' ? bag.message : String(error);
  const body = errorBody(asBag(bag.response)?.data) ?? errorBody(message);
  const read: ReadGcpError = { message: typeof body?.message === 'string' ? body.message : message };

  if (typeof bag.code === 'string' && NETWORK_CODES.has(bag.code)) read.networkCode = bag.code;
  if (typeof bag.httpStatusCode === 'number') read.httpStatus = bag.httpStatusCode;
  if (typeof bag.status === 'number') read.httpStatus = bag.status;
  if (typeof body?.code === 'number') read.httpStatus = body.code;
  if (typeof body?.status === 'string') read.status = body.status;

  const errors = Array.isArray(body?.errors) ? body.errors : [];
  const reason = asBag(errors[0])?.reason;
  if (typeof reason === 'string') read.reason = reason;

  // gax 6 GoogleError: `code` is the gRPC code. gaxios (gax 5) puts the HTTP status in `code`
  // too, so a number above 16 is an HTTP status.
  if (typeof bag.code === 'number') {
    if (bag.code > 16) read.httpStatus ??= bag.code;
    else read.status ??= GRPC_STATUS[bag.code];
  }
  return read;
};

/**
 * Translates a Google client error into a ControlPlaneError.
 * - "another operation is running" (GKE 400 FAILED_PRECONDITION about an operation, Cloud SQL 409
 *   operationInProgress) → RESOURCE_BUSY, retryable;
 * - 5xx, 429, timeouts, network failures → GCP_UNAVAILABLE, retryable;
 * - 409 ABORTED (a concurrent change won: stale etag) → STATE_CONFLICT, retryable;
 * - 404 → NOT_FOUND;
 * - anything else → GCP_REJECTED, not retryable.
 */
const fromGcpError = (error: unknown, context: string): ControlPlaneError => {
  if (error instanceof ControlPlaneError) return error;
  const read = readGcpError(error);
  const text = `${context}: ${read.message}`;
  const options = { cause: error };

  const conflict =
    read.reason === 'operationInProgress' ||
    (read.status === 'FAILED_PRECONDITION' &&
      /operation/i.test(read.message) &&
      /running|currently|progress/i.test(read.message));
  if (conflict) return new ResourceBusyError(text, options);

  if (read.networkCode) return new GcpError('GCP_UNAVAILABLE', text, { status: read.networkCode }, options);
  // ABORTED (409): a concurrent change won, e.g. a stale IAM policy etag. Redo the whole
  // read-modify-write; never report it as a failure on the first try.
  if (read.status === 'ABORTED') return new StateConflictError(text, options);
  const fields = {
    ...(read.httpStatus !== undefined ? { httpStatus: read.httpStatus } : {}),
    ...(read.status !== undefined ? { status: read.status } : {}),
  };
  if (read.status === 'NOT_FOUND' || read.httpStatus === 404) return new NotFoundError(text, options);
  if (
    (read.status && TRANSIENT_STATUSES.has(read.status)) ||
    read.httpStatus === 429 ||
    (read.httpStatus ?? 0) >= 500
  )
    return new GcpError('GCP_UNAVAILABLE', text, fields, options);
  return new GcpError('GCP_REJECTED', text, fields, options);
};

export type { ReadGcpError };
export { fromGcpError, readGcpError };
