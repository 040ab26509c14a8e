/**
 * Errors the simulator answers with, in Google's JSON error shape (api-contracts §0):
 * `{"error":{"code":<http>,"message":"…","status":"<google.rpc code name>"}}`. The `status` string is
 * always sent because gax 6 maps it to the gRPC code a caller sees; without it gax falls back to the
 * HTTP status, and 400 alone cannot tell INVALID_ARGUMENT from FAILED_PRECONDITION.
 */

/** The google.rpc status names the simulator uses, each with the HTTP status Google pairs it with. */
const HTTP_STATUS_BY_RPC_STATUS = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
} as const;

type RpcStatus = keyof typeof HTTP_STATUS_BY_RPC_STATUS;

/** One entry of the legacy `errors[]` array that older APIs (Compute, Cloud SQL, IAM) still send. */
interface LegacyErrorItem {
  message: string;
  domain: string;
  reason: string;
}

/** The body of an error response. */
interface ApiErrorBody {
  error: {
    code: number;
    message: string;
    status: RpcStatus;
    errors?: LegacyErrorItem[];
    details?: unknown[];
  };
}

interface ApiErrorOptions {
  /** Adds the legacy `errors: [{message, domain: 'global', reason}]` array; Compute sends it. */
  reason?: string;
  /** `google.rpc.Status.details`, each with its `@type`. */
  details?: unknown[];
}

/**
 * Thrown by route handlers; the listener turns it into the HTTP response. Anything else a handler
 * throws is a simulator bug and becomes a 500 INTERNAL.
 */
class SimulatorApiError extends Error {
  readonly status: RpcStatus;
  readonly httpStatus: number;
  readonly reason: string | undefined;
  readonly details: unknown[] | undefined;

  constructor(status: RpcStatus, message: string, options: ApiErrorOptions = {}) {
    super(message);
    this.name = 'SimulatorApiError';
    this.status = status;
    this.httpStatus = HTTP_STATUS_BY_RPC_STATUS[status];
    this.reason = options.reason;
    this.details = options.details;
  }

  /** The JSON body Google would send for this error. */
  toBody(): ApiErrorBody {
    return {
      error: {
        code: this.httpStatus,
        message: this.message,
        status: this.status,
        ...(this.reason === undefined
          ? {}
          : { errors: [{ message: this.message, domain: 'global', reason: this.reason }] }),
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

/** 400 INVALID_ARGUMENT: the request is malformed or a value is out of range. */
const invalidArgument = (message: string, options?: ApiErrorOptions): SimulatorApiError =>
  new SimulatorApiError('INVALID_ARGUMENT', message, options);

/** 404 NOT_FOUND. */
const notFound = (message: string, options?: ApiErrorOptions): SimulatorApiError =>
  new SimulatorApiError('NOT_FOUND', message, options);

/** 400 FAILED_PRECONDITION: the request is fine but the resource is not in a state to accept it. */
const failedPrecondition = (message: string, options?: ApiErrorOptions): SimulatorApiError =>
  new SimulatorApiError('FAILED_PRECONDITION', message, options);

export type { ApiErrorBody, ApiErrorOptions, LegacyErrorItem, RpcStatus };
export { failedPrecondition, HTTP_STATUS_BY_RPC_STATUS, invalidArgument, notFound, SimulatorApiError };
