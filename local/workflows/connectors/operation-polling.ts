import type { PollingPolicy, WorkflowClock, WorkflowMap, WorkflowValue } from '../engine';
import { WorkflowRuntimeError } from '../engine';
import type { ConnectorHttpRequest } from './connector-request';

/**
 * Waits out a long-running operation a connector call started, as Workflows connectors do by
 * default: poll with the call's polling policy (1 s, ×1.25, at most 60 s unless overridden) on the
 * execution's clock until the operation is done, then return what Workflows returns — the
 * `response` of a `google.longrunning.Operation`, or the finished operation itself for APIs whose
 * operations carry a `status` (Cloud SQL, GKE, Compute) — or raise an OperationError carrying the
 * operation's `error`. Past the connector timeout it raises a TimeoutError.
 */

/** What a finished or unfinished operation says. */
interface OperationState {
  done: boolean;
  /** The operation's `error`, when it finished unsuccessfully. */
  error?: WorkflowValue;
  /** What the call returns when it finished successfully. */
  result: WorkflowValue;
}

/** How to ask again about one operation. */
interface OperationPoller {
  /** The request that reads the operation's current state. */
  request: ConnectorHttpRequest;
  /** Reads an operation response. */
  read(operation: WorkflowValue): OperationState;
}

const field = (value: WorkflowValue, name: string): WorkflowValue | undefined =>
  value instanceof Map ? value.get(name) : undefined;

/** `google.longrunning.Operation`: `done` (absent means false), then `error` or `response`. */
const readLongRunning = (operation: WorkflowValue): OperationState => {
  const done = field(operation, 'done') === true;
  const error = field(operation, 'error');
  if (done && error !== undefined && error !== null) return { done, error, result: operation };
  return { done, result: field(operation, 'response') ?? null };
};

/** Cloud SQL, GKE and Compute operations: `status` ends `DONE`, with `error` when it failed. */
const readStatusOperation = (operation: WorkflowValue): OperationState => {
  const done = field(operation, 'status') === 'DONE';
  const error = field(operation, 'error');
  if (done && error !== undefined && error !== null) return { done, error, result: operation };
  return { done, result: operation };
};

/** The message of an operation error: `message`, else the first of `errors[].message`. */
const operationErrorMessage = (error: WorkflowValue): string => {
  const message = field(error, 'message');
  if (typeof message === 'string' && message !== '') return message;
  const errors = field(error, 'errors');
  if (Array.isArray(errors)) {
    const first = field(errors[0] ?? null, 'message');
    if (typeof first === 'string') return first;
  }
  return 'the long-running operation failed';
};

/** Whether a value looks like an operation map (so that its `name`/`status` can be read). */
const isOperationMap = (value: WorkflowValue): value is WorkflowMap => value instanceof Map;

/**
 * Polls until done. The first poll happens `initialDelaySeconds` after the call started.
 *
 * @param started - the clock time the connector call started; the timeout counts from it.
 * @throws WorkflowRuntimeError OperationError (with `error`), TimeoutError, and whatever a poll
 *   request raises (HttpError, ConnectionError…).
 */
const waitForOperation = async (input: {
  initial: WorkflowValue;
  poller: OperationPoller;
  send(request: ConnectorHttpRequest): Promise<WorkflowValue>;
  clock: WorkflowClock;
  policy: PollingPolicy;
  started: number;
  timeoutMs: number;
  callName: string;
  signal?: AbortSignal;
}): Promise<WorkflowValue> => {
  const { clock, policy, poller } = input;
  const deadline = input.started + input.timeoutMs;
  let state = poller.read(input.initial);
  let delayMs = policy.initialDelaySeconds * 1000;
  while (!state.done) {
    const remaining = deadline - clock.now();
    const sleepMs = Math.round(delayMs);
    if (remaining <= 0 || sleepMs > remaining) {
      if (remaining > 0) await clock.sleep(remaining, input.signal);
      throw WorkflowRuntimeError.builtin(
        'TimeoutError',
        `${input.callName}: the long-running operation did not finish within ${input.timeoutMs / 1000} seconds`,
      );
    }
    await clock.sleep(sleepMs, input.signal);
    delayMs = Math.min(delayMs * policy.multiplier, policy.maxDelaySeconds * 1000);
    state = poller.read(await input.send(poller.request));
  }
  if (state.error !== undefined) {
    throw WorkflowRuntimeError.builtin('OperationError', operationErrorMessage(state.error), {
      error: state.error,
    });
  }
  return state.result;
};

export type { OperationPoller, OperationState };
export { isOperationMap, readLongRunning, readStatusOperation, waitForOperation };
