import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { createSystemClock, isVirtualClock } from './engine/clocks';
import { WorkflowRuntimeError } from './engine/errors';
import { createFetchHttpService } from './engine/interpreter/fetch-http-service';
import { createLocalCallbackService } from './engine/interpreter/local-callback-service';
import { runWorkflow } from './engine/interpreter/run-workflow';
import type {
  ConnectorService,
  ExecutionError,
  ExecutionServices,
  StepEvent,
  WorkflowClock,
  WorkflowLogEntry,
  WorkflowValue,
} from './engine/runtime-types';
import { createWorkflowCompiler, type WorkflowCompiler } from './engine/validation/compile-workflow';
import { decodeJsonText, encodeJsonText } from './engine/values';

/** An execution as the Executions API shows it (`gcloud workflows executions describe`). */
interface ExecutionJson {
  state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  /** The argument as JSON text ("null" when none was given). */
  argument: string;
  /** The result as JSON text, when SUCCEEDED. */
  result?: string;
  error?: ExecutionError;
  startTime: string;
  endTime: string;
  /** e.g. "3.5s" */
  duration: string;
}

interface RunWorkflowFileOptions {
  /** The execution argument as JSON text. */
  data?: string;
  /** The clock the execution runs on (default: the system clock). */
  clock?: WorkflowClock;
  /** Services to use instead of the defaults (e.g. connectors of the local stack, a test's HTTP). */
  services?: Partial<ExecutionServices>;
  /** User environment variables (`sys.get_env`), on top of the GOOGLE_CLOUD_* built-ins. */
  env?: Record<string, string>;
  signal?: AbortSignal;
  onStep?: (event: StepEvent) => void;
  /** A compiler to reuse (compiling the JSON Schema once for many runs). */
  compiler?: WorkflowCompiler;
  /** See RunWorkflowOptions: what a parallel step without exception_policy does (continueAll). */
  defaultExceptionPolicy?: 'continueAll' | 'abortOthers';
}

/** Execution arguments are at most 32 KB (Executions API). */
const MAX_ARGUMENT_BYTES = 32 * 1024;

/** Raised for a `data` argument that is not JSON or is too large: a usage error, nothing ran. */
class WorkflowArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkflowArgumentError';
  }
}

/** Connector calls without the local stack: a clear error instead of a silent fake. */
const unavailableConnectors: ConnectorService = {
  call: (name) =>
    Promise.reject(
      WorkflowRuntimeError.builtin(
        'SystemError',
        `googleapis connectors need the local stack (npm start): ${name}`,
      ),
    ),
};

/** One JSON line per `sys.log` entry, on stderr (stdout carries the execution). */
const logToStderr = (entry: WorkflowLogEntry): void => {
  process.stderr.write(
    `${JSON.stringify({ severity: entry.severity, time: new Date(entry.at).toISOString(), payload: entry.payload })}\n`,
  );
};

/** "3.5s", "0.001s", "0s": the Executions API's duration format. */
const durationText = (ms: number): string => `${Number((Math.max(0, ms) / 1000).toFixed(9))}s`;

/**
 * Runs a workflow file locally, as `gcloud workflows run` would against a deployed workflow, and
 * returns the execution. The file is validated first: an invalid workflow is refused (it is not
 * an execution that FAILED). Defaults: the system clock; real HTTP (held still on a virtual
 * clock while in flight); callback endpoints served on an ephemeral 127.0.0.1 port; connectors
 * refused with a clear error unless `services.connectors` is given; GOOGLE_CLOUD_* env built-ins
 * for a local project.
 * @throws WorkflowValidationError when the workflow is not valid.
 * @throws WorkflowArgumentError when `data` is not JSON or larger than 32 KB.
 */
const runWorkflowFile = async (
  path: string,
  options: RunWorkflowFileOptions = {},
): Promise<ExecutionJson> => {
  const source = await readFile(path, 'utf8');
  const workflow = (options.compiler ?? createWorkflowCompiler()).compile(source, { fileName: path });
  let argument: WorkflowValue | undefined;
  if (options.data !== undefined && Buffer.byteLength(options.data) > MAX_ARGUMENT_BYTES) {
    throw new WorkflowArgumentError(`the argument is larger than ${MAX_ARGUMENT_BYTES / 1024} KB`);
  }
  if (options.data !== undefined) {
    try {
      argument = decodeJsonText(options.data);
    } catch (error) {
      throw new WorkflowArgumentError(`the argument is not valid JSON: ${(error as Error).message}`);
    }
  }
  const clock = options.clock ?? options.services?.clock ?? createSystemClock();
  const given = options.services ?? {};
  const fetchHttp = createFetchHttpService();
  const http: ExecutionServices['http'] =
    given.http ??
    (isVirtualClock(clock) ? (request, signal) => clock.hold(() => fetchHttp(request, signal)) : fetchHttp);
  const ownCallbacks = given.callbacks ? undefined : createLocalCallbackService({ clock, serve: true });
  const executionId = randomUUID();
  const workflowId = basename(path, extname(path)).replace(/\.workflows?$/, '');
  const services: ExecutionServices = {
    clock,
    http,
    callbacks: given.callbacks ?? (ownCallbacks as NonNullable<typeof ownCallbacks>),
    connectors: given.connectors ?? unavailableConnectors,
    log: given.log ?? logToStderr,
    randomUuid: given.randomUuid ?? (() => randomUUID()),
    env: {
      GOOGLE_CLOUD_PROJECT_ID: 'local-project',
      GOOGLE_CLOUD_PROJECT_NUMBER: '000000000000',
      GOOGLE_CLOUD_LOCATION: 'us-central1',
      GOOGLE_CLOUD_SERVICE_ACCOUNT_NAME: 'workflows-local@local-project.iam.gserviceaccount.com',
      GOOGLE_CLOUD_WORKFLOW_ID: workflowId,
      GOOGLE_CLOUD_WORKFLOW_REVISION_ID: '000001-000',
      GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID: executionId,
      ...(given.env ?? {}),
      ...(options.env ?? {}),
    },
  };
  const startedAt = clock.now();
  try {
    const outcome = await runWorkflow(workflow, argument, {
      services,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onStep ? { onStep: options.onStep } : {}),
      ...(options.defaultExceptionPolicy ? { defaultExceptionPolicy: options.defaultExceptionPolicy } : {}),
    });
    const endedAt = clock.now();
    const times = {
      startTime: new Date(startedAt).toISOString(),
      endTime: new Date(endedAt).toISOString(),
      duration: durationText(endedAt - startedAt),
    };
    const argumentText = options.data === undefined ? 'null' : encodeJsonText(argument ?? null);
    if (outcome.state === 'SUCCEEDED') {
      return { state: 'SUCCEEDED', argument: argumentText, result: encodeJsonText(outcome.result), ...times };
    }
    return { state: outcome.state, argument: argumentText, error: outcome.error, ...times };
  } finally {
    await ownCallbacks?.close();
  }
};

export type { ExecutionJson, RunWorkflowFileOptions };
export { runWorkflowFile, WorkflowArgumentError };
