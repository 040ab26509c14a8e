/**
 * The contracts between the parts of the local Workflows executor: the value model, the runtime
 * error, the services an execution calls out to, and what a run reports. The expression language
 * and standard library (`expression/`, `stdlib/`), the interpreter (`interpreter/`) and the local
 * Workflows/Executions API server (`../api/`) meet only here.
 */

/**
 * A Workflows value. Workflows tells integers from doubles, JavaScript numbers do not, so:
 * `bigint` is a Workflows int (64-bit signed), `number` is a double, `Uint8Array` is bytes, and a
 * map is a `Map` (insertion-ordered, no prototype keys).
 */
type WorkflowValue = null | boolean | bigint | number | string | Uint8Array | WorkflowValue[] | WorkflowMap;

type WorkflowMap = Map<string, WorkflowValue>;

/** Error tags from the Workflows error-types table. */
type WorkflowErrorTag =
  | 'AuthError'
  | 'ConnectionError'
  | 'ConnectionFailedError'
  | 'HttpError'
  | 'IndexError'
  | 'KeyError'
  | 'OperationError'
  | 'ParallelNestingError'
  | 'RecursionError'
  | 'ResourceLimitError'
  | 'ResponseTypeError'
  | 'SystemError'
  | 'TimeoutError'
  | 'TypeError'
  | 'UnhandledBranchError'
  | 'ValueError'
  | 'ZeroDivisionError';

/** A wall clock or a virtual one; times are epoch milliseconds. */
interface WorkflowClock {
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** An `http.*` request after argument checking and query encoding. */
interface WorkflowHttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS' | 'PATCH';
  url: string;
  headers: Record<string, string>;
  /** Encoded body, when there is one. */
  body?: Uint8Array;
  timeoutMs: number;
  /** `auth.type`, when asked for (OIDC, OAuth2): locally, no token is attached. */
  auth?: { type: string; audience?: string; scopes?: string[] };
}

interface WorkflowHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** A request received on a callback endpoint, as `events.await_callback` returns it. */
interface ReceivedCallback {
  method: string;
  url: string;
  headers: Record<string, string>;
  query: Record<string, string[]>;
  /** The body parsed as JSON when it is JSON, else its text; null when empty. */
  body: unknown;
  receivedAt: number;
}

/** Callback endpoints of one execution (`events.create_callback_endpoint` / `await_callback`). */
interface CallbackService {
  /** Registers an endpoint accepting `method` ("POST", "GET", … or "ANY"); returns its URL. */
  create(method: string): Promise<{ url: string }>;
  /**
   * The next request received on `url` (requests received before the wait are queued), or
   * `'timeout'` after `timeoutMs` on the execution's clock.
   */
  await(url: string, timeoutMs: number, signal?: AbortSignal): Promise<ReceivedCallback | 'timeout'>;
}

/** `googleapis.*` connector calls. */
interface ConnectorService {
  /**
   * Calls e.g. `googleapis.sqladmin.v1.backupRuns.insert` with its arguments (path and query
   * parameters plus `body`), waits for a long-running operation unless `skipPolling`, and returns
   * the response as JSON. Errors are thrown as WorkflowRuntimeError (HttpError, OperationError, …).
   */
  call(
    name: string,
    args: Record<string, unknown>,
    options: { timeoutMs: number; skipPolling: boolean; pollingPolicy: PollingPolicy; signal?: AbortSignal },
  ): Promise<unknown>;
}

interface PollingPolicy {
  initialDelaySeconds: number;
  multiplier: number;
  maxDelaySeconds: number;
}

/** One `sys.log` entry. */
interface WorkflowLogEntry {
  severity: string;
  payload: unknown;
  at: number;
}

/** Everything an execution reaches outside itself. */
interface ExecutionServices {
  clock: WorkflowClock;
  http(request: WorkflowHttpRequest, signal?: AbortSignal): Promise<WorkflowHttpResponse>;
  callbacks: CallbackService;
  connectors: ConnectorService;
  log(entry: WorkflowLogEntry): void;
  /** `sys.get_env`: the GOOGLE_CLOUD_* built-ins and the workflow's user env vars. */
  env: Readonly<Record<string, string>>;
  /** A random UUID (v4); injected so tests can make it deterministic. */
  randomUuid(): string;
}

/** One step starting, for progress display and the step history. */
interface StepEvent {
  /** The (sub)workflow the step belongs to, e.g. `main`. */
  routine: string;
  step: string;
  /** Nesting for parallel branches and loops, e.g. `["parallel_step", "branch1"]`. */
  path: string[];
  at: number;
  state: 'started' | 'succeeded' | 'failed';
}

/** How an execution ended, in the Executions API's terms. */
type ExecutionOutcome =
  | { state: 'SUCCEEDED'; result: WorkflowValue }
  | { state: 'FAILED' | 'CANCELLED'; error: ExecutionError };

/** `Execution.error`: the JSON-encoded error value plus a readable trace. */
interface ExecutionError {
  payload: string;
  context: string;
  stackTrace: {
    elements: Array<{
      step: string;
      routine: string;
      position: { line: number; column: number; length: number };
    }>;
  };
}

export type {
  CallbackService,
  ConnectorService,
  ExecutionError,
  ExecutionOutcome,
  ExecutionServices,
  PollingPolicy,
  ReceivedCallback,
  StepEvent,
  WorkflowClock,
  WorkflowErrorTag,
  WorkflowHttpRequest,
  WorkflowHttpResponse,
  WorkflowLogEntry,
  WorkflowMap,
  WorkflowValue,
};
