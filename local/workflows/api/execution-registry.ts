import type { Logger } from '../../../shared/logging';
import { failedPrecondition, invalidArgument, notFound } from '../../simulator/api-error';
import type {
  ConnectorService,
  ExecutionError,
  ExecutionOutcome,
  ExecutionServices,
  StepEvent,
  WorkflowClock,
  WorkflowLogEntry,
  WorkflowValue,
} from '../engine';
import { decodeJsonText, encodeJsonText } from '../engine';
import { createExecutionCallbacks, type ExecutionCallbacks } from './execution-callbacks';
import { compileListFilter } from './list-filter';
import { enumValue, formatDuration, formatTimestamp, pageOf } from './rest-format';
import { type StepType, stepTypeOf } from './step-types';
import { CALL_LOG_LEVELS, type WorkflowRecord, type WorkflowRevision } from './workflow-registry';

/**
 * The Executions API's state, in memory: each execution runs in the background in this process
 * with the engine's `runWorkflow`, its step events kept as the step history (`stepEntries`) and its
 * current step as `status.currentSteps`. Nothing survives a restart of the server; an execution
 * that was running is simply gone.
 */

/** What the engine must offer the server to run an execution. */
interface WorkflowRunner {
  runWorkflow(
    workflow: unknown,
    argument: WorkflowValue | undefined,
    options: { services: ExecutionServices; signal?: AbortSignal; onStep?: (event: StepEvent) => void },
  ): Promise<ExecutionOutcome>;
}

type ExecutionState = 'ACTIVE' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
type StepEntryState = 'STATE_IN_PROGRESS' | 'STATE_SUCCEEDED' | 'STATE_FAILED' | 'STATE_CANCELLED';

interface StepEntryRecord {
  entryId: number;
  routine: string;
  step: string;
  stepType: StepType;
  state: StepEntryState;
  createTime: number;
  updateTime: number;
}

interface ExecutionRecord {
  name: string;
  executionId: string;
  workflowName: string;
  revision: WorkflowRevision;
  argument: string | undefined;
  callLogLevel: (typeof CALL_LOG_LEVELS)[number] | undefined;
  labels: Record<string, string>;
  state: ExecutionState;
  /** Creation order, to break ties between executions started in the same millisecond. */
  sequence: number;
  startTime: number;
  endTime: number | undefined;
  result: string | undefined;
  error: ExecutionError | undefined;
  currentStep: { routine: string; step: string } | undefined;
  stepEntries: StepEntryRecord[];
  logs: WorkflowLogEntry[];
  callbacks: ExecutionCallbacks;
  controller: AbortController;
  /** Settles when the run has ended and the record holds its outcome. */
  settled: Promise<void>;
}

/** Argument size limit (Execution.argument). */
const MAX_ARGUMENT_BYTES = 32 * 1024;
/** How long (real time) `cancel` waits for the run to wind down before answering. */
const CANCEL_GRACE_MS = 2_000;
const EXECUTION_VIEWS = ['EXECUTION_VIEW_UNSPECIFIED', 'BASIC', 'FULL'] as const;
const EXECUTION_FILTER_FIELDS = [
  'name',
  'state',
  'createTime',
  'startTime',
  'endTime',
  'workflowRevisionId',
  'labels',
] as const;
const STEP_ENTRY_FILTER_FIELDS = [
  'entryId',
  'createTime',
  'updateTime',
  'routine',
  'step',
  'stepType',
  'state',
];
const ORDER_FIELDS = ['createTime', 'startTime', 'endTime', 'duration', 'state'] as const;

const severityLogger = (logger: Logger, severity: string): Logger['info'] => {
  const upper = severity.toUpperCase();
  if (['ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY'].includes(upper)) return logger.error.bind(logger);
  if (upper === 'WARNING') return logger.warn.bind(logger);
  if (upper === 'DEBUG' || upper === 'DEFAULT') return logger.debug.bind(logger);
  return logger.info.bind(logger);
};

/** An outcome the engine could not produce (it threw): a SystemError, as GCP reports internal errors. */
const systemFailure = (thrown: unknown): ExecutionError => {
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return {
    payload: JSON.stringify({ message, tags: ['SystemError'] }),
    context: `SystemError: ${message}`,
    stackTrace: { elements: [] },
  };
};

interface ExecutionRegistry {
  /** @throws SimulatorApiError INVALID_ARGUMENT for a bad argument. */
  create(workflow: WorkflowRecord, body: Record<string, unknown>): ExecutionRecord;
  /** @throws SimulatorApiError NOT_FOUND. */
  get(name: string): ExecutionRecord;
  /** Newest first. */
  list(
    workflowName: string,
    query: URLSearchParams,
  ): { executions: ExecutionRecord[]; nextPageToken?: string };
  /** @throws SimulatorApiError NOT_FOUND, FAILED_PRECONDITION (not active). */
  cancel(name: string): Promise<ExecutionRecord>;
  /** Cancels (if running) and forgets every execution of a deleted workflow. */
  dropWorkflow(workflowName: string): void;
  /** Cancels every running execution and waits for them to wind down (server stop). */
  cancelAll(): Promise<void>;
  /** The Execution resource in the given view (`FULL` unless `BASIC`). */
  toResource(record: ExecutionRecord, view?: 'BASIC' | 'FULL'): Record<string, unknown>;
  stepEntryResource(record: ExecutionRecord, entry: StepEntryRecord): Record<string, unknown>;
  /** `stepEntries.list`: ascending entryId, with filter, skip and paging. */
  listStepEntries(
    record: ExecutionRecord,
    query: URLSearchParams,
  ): { stepEntries: StepEntryRecord[]; nextPageToken?: string; totalSize: number };
  /** The view query parameter (`view=FULL`, `view=2`, …). */
  viewOf(query: URLSearchParams, fallback: 'BASIC' | 'FULL'): 'BASIC' | 'FULL';
}

const createExecutionRegistry = (options: {
  projectId: string;
  location: string;
  clock: WorkflowClock;
  http: ExecutionServices['http'];
  connectors: ConnectorService;
  runner: WorkflowRunner;
  logger: Logger;
  newId: () => string;
  /** The server's URL, known once it listens (callback URLs are built on it). */
  baseUrl: () => string;
}): ExecutionRegistry => {
  const executions = new Map<string, ExecutionRecord>();
  let sequence = 0;

  const get = (name: string): ExecutionRecord => {
    const record = executions.get(name);
    if (!record) throw notFound(`Resource '${name}' was not found`);
    return record;
  };

  const finish = (record: ExecutionRecord, outcome: ExecutionOutcome): void => {
    if (record.state !== 'ACTIVE') return;
    record.endTime = options.clock.now();
    if (outcome.state === 'SUCCEEDED') {
      try {
        record.result = encodeJsonText(outcome.result);
        record.state = 'SUCCEEDED';
      } catch (thrown) {
        record.state = 'FAILED';
        record.error = systemFailure(thrown);
      }
    } else {
      record.state = outcome.state;
      record.error = outcome.error;
    }
    const leftOpen: StepEntryState = record.state === 'CANCELLED' ? 'STATE_CANCELLED' : 'STATE_FAILED';
    for (const entry of record.stepEntries) {
      if (entry.state === 'STATE_IN_PROGRESS' && record.state !== 'SUCCEEDED') {
        entry.state = leftOpen;
        entry.updateTime = record.endTime;
      }
    }
    options.logger.info('workflow execution ended', { execution: record.name, state: record.state });
  };

  /** Step events → step entries: a start opens one, the matching end (same routine/path/step) closes it. */
  const stepRecorder = (record: ExecutionRecord): ((event: StepEvent) => void) => {
    const open = new Map<string, StepEntryRecord[]>();
    return (event) => {
      const key = `${event.routine}\u0000${event.path.join('\u0000')}\u0000${event.step}`;
      if (event.state === 'started') {
        const around = open.get(key) ?? [];
        const entry: StepEntryRecord = {
          entryId: record.stepEntries.length + 1,
          routine: event.routine,
          step: event.step,
          stepType: stepTypeOf(record.revision.stepTypes, event.routine, event.step, around.length),
          state: 'STATE_IN_PROGRESS',
          createTime: event.at,
          updateTime: event.at,
        };
        record.stepEntries.push(entry);
        open.set(key, [...around, entry]);
        record.currentStep = { routine: event.routine, step: event.step };
        return;
      }
      const entry = open.get(key)?.pop();
      if (!entry) return;
      entry.state = event.state === 'succeeded' ? 'STATE_SUCCEEDED' : 'STATE_FAILED';
      entry.updateTime = event.at;
    };
  };

  const parseArgument = (raw: unknown): { text: string | undefined; value: WorkflowValue | undefined } => {
    if (raw === undefined || raw === null || raw === '') return { text: undefined, value: undefined };
    if (typeof raw !== 'string') {
      throw invalidArgument(
        `Invalid value at 'execution.argument' (TYPE_STRING): the argument must be JSON text.`,
      );
    }
    if (Buffer.byteLength(raw) > MAX_ARGUMENT_BYTES) {
      throw invalidArgument(`execution.argument exceeds the limit of ${MAX_ARGUMENT_BYTES} bytes.`);
    }
    try {
      return { text: raw, value: decodeJsonText(raw) };
    } catch (thrown) {
      throw invalidArgument(
        `execution.argument is not valid JSON: ${thrown instanceof Error ? thrown.message : String(thrown)}`,
      );
    }
  };

  const toResource = (record: ExecutionRecord, view: 'BASIC' | 'FULL' = 'FULL'): Record<string, unknown> => {
    const basic = {
      name: record.name,
      startTime: formatTimestamp(record.startTime),
      ...(record.endTime === undefined
        ? {}
        : {
            endTime: formatTimestamp(record.endTime),
            duration: formatDuration(record.endTime - record.startTime),
          }),
      state: record.state,
      workflowRevisionId: record.revision.revisionId,
    };
    if (view === 'BASIC') return basic;
    return {
      ...basic,
      createTime: formatTimestamp(record.startTime),
      ...(record.argument === undefined ? {} : { argument: record.argument }),
      ...(record.result === undefined ? {} : { result: record.result }),
      ...(record.error === undefined ? {} : { error: record.error }),
      ...(record.callLogLevel ? { callLogLevel: record.callLogLevel } : {}),
      status: { currentSteps: record.currentStep ? [{ ...record.currentStep }] : [] },
      ...(Object.keys(record.labels).length > 0 ? { labels: { ...record.labels } } : {}),
    };
  };

  const fieldOf = (record: ExecutionRecord, field: string): string | undefined => {
    if (field.startsWith('labels.')) return record.labels[field.slice('labels.'.length)];
    const resource = toResource(record, 'FULL') as Record<string, unknown>;
    const value = field === 'labels' ? undefined : resource[field];
    return typeof value === 'string' ? value : undefined;
  };

  const sortKey = (record: ExecutionRecord, field: (typeof ORDER_FIELDS)[number]): string | number => {
    switch (field) {
      case 'createTime':
      case 'startTime':
        return record.startTime;
      case 'endTime':
        return record.endTime ?? Number.MAX_SAFE_INTEGER;
      case 'duration':
        return (record.endTime ?? options.clock.now()) - record.startTime;
      case 'state':
        return record.state;
    }
  };

  const ordering = (orderBy: string | null): ((a: ExecutionRecord, b: ExecutionRecord) => number) => {
    const [field = 'createTime', direction = 'desc'] = orderBy?.trim() ? orderBy.trim().split(/\s+/) : [];
    const known = (ORDER_FIELDS as readonly string[]).includes(field);
    if (!known || !['asc', 'desc'].includes(direction.toLowerCase())) {
      throw invalidArgument(
        `Unsupported orderBy "${orderBy}"; use one of ${ORDER_FIELDS.join(', ')} [asc|desc].`,
      );
    }
    const sign = direction.toLowerCase() === 'desc' ? -1 : 1;
    const typed = field as (typeof ORDER_FIELDS)[number];
    return (a, b) => {
      const left = sortKey(a, typed);
      const right = sortKey(b, typed);
      const order = left < right ? -1 : left > right ? 1 : a.sequence - b.sequence;
      return sign * order;
    };
  };

  const viewOf = (query: URLSearchParams, fallback: 'BASIC' | 'FULL'): 'BASIC' | 'FULL' => {
    const view = enumValue(query.get('view'), EXECUTION_VIEWS, 'view');
    return view === 'BASIC' || view === 'FULL' ? view : fallback;
  };

  const cancelRunning = (record: ExecutionRecord): void => {
    if (record.state === 'ACTIVE' && !record.controller.signal.aborted) record.controller.abort();
  };

  return {
    toResource,
    viewOf,
    get,

    create(workflow, body) {
      const argument = parseArgument(body.argument);
      const labels = body.labels ?? {};
      if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
        throw invalidArgument(`Invalid value at 'execution.labels': expected a map of strings.`);
      }
      const executionId = options.newId();
      const name = `${workflow.name}/executions/${executionId}`;
      const controller = new AbortController();
      const record: ExecutionRecord = {
        name,
        executionId,
        workflowName: workflow.name,
        revision: workflow.revision,
        argument: argument.text,
        callLogLevel:
          enumValue(body.callLogLevel, CALL_LOG_LEVELS, 'execution.callLogLevel') ?? workflow.callLogLevel,
        labels: { ...(labels as Record<string, string>) },
        state: 'ACTIVE',
        sequence: sequence++,
        startTime: options.clock.now(),
        endTime: undefined,
        result: undefined,
        error: undefined,
        currentStep: undefined,
        stepEntries: [],
        logs: [],
        callbacks: createExecutionCallbacks({
          executionName: name,
          baseUrl: options.baseUrl(),
          clock: options.clock,
          newId: options.newId,
        }),
        controller,
        settled: Promise.resolve(),
      };
      const logger = options.logger.child({ execution: name });
      const services: ExecutionServices = {
        clock: options.clock,
        http: options.http,
        callbacks: record.callbacks,
        connectors: options.connectors,
        log: (entry) => {
          record.logs.push(entry);
          severityLogger(logger, entry.severity)('sys.log', {
            severity: entry.severity,
            logged: entry.payload,
          });
        },
        env: {
          ...workflow.userEnvVars,
          GOOGLE_CLOUD_PROJECT_ID: options.projectId,
          GOOGLE_CLOUD_LOCATION: options.location,
          GOOGLE_CLOUD_WORKFLOW_ID: workflow.workflowId,
          GOOGLE_CLOUD_WORKFLOW_REVISION_ID: workflow.revision.revisionId,
          GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID: executionId,
        },
        randomUuid: options.newId,
      };
      executions.set(name, record);
      logger.info('workflow execution started', { workflowRevisionId: workflow.revision.revisionId });
      record.settled = (async () => {
        let outcome: ExecutionOutcome;
        try {
          outcome = await options.runner.runWorkflow(workflow.revision.compiled, argument.value, {
            services,
            signal: controller.signal,
            onStep: stepRecorder(record),
          });
        } catch (thrown) {
          outcome = { state: 'FAILED', error: systemFailure(thrown) };
        }
        finish(record, outcome);
      })();
      return record;
    },

    list(workflowName, query) {
      const view = viewOf(query, 'BASIC');
      const matches = compileListFilter(query.get('filter'), EXECUTION_FILTER_FIELDS);
      const sorted = [...executions.values()]
        .filter((record) => record.workflowName === workflowName)
        .filter((record) => matches((field) => fieldOf(record, field)))
        .sort(ordering(query.get('orderBy')));
      const page = pageOf(sorted, query, { defaultPageSize: 100, maxPageSize: view === 'FULL' ? 100 : 1000 });
      return { executions: page.items, ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
    },

    async cancel(name) {
      const record = get(name);
      if (record.state !== 'ACTIVE') {
        throw failedPrecondition(
          `Execution ${name} is not active (state ${record.state}); only an active one can be cancelled.`,
        );
      }
      record.controller.abort();
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        record.settled,
        new Promise<void>((resolve) => {
          grace = setTimeout(resolve, CANCEL_GRACE_MS);
        }),
      ]);
      clearTimeout(grace);
      // The engine did not wind down in time: the execution is cancelled all the same.
      finish(record, {
        state: 'CANCELLED',
        error: {
          payload: JSON.stringify({ message: 'the execution was cancelled' }),
          context: 'the execution was cancelled',
          stackTrace: { elements: [] },
        },
      });
      return record;
    },

    dropWorkflow(workflowName) {
      for (const record of [...executions.values()]) {
        if (record.workflowName !== workflowName) continue;
        cancelRunning(record);
        executions.delete(record.name);
      }
    },

    async cancelAll() {
      const running = [...executions.values()].filter((record) => record.state === 'ACTIVE');
      for (const record of running) cancelRunning(record);
      await Promise.all(running.map((record) => record.settled));
    },

    stepEntryResource: (record, entry) => ({
      name: `${record.name}/stepEntries/${entry.entryId}`,
      createTime: formatTimestamp(entry.createTime),
      updateTime: formatTimestamp(entry.updateTime),
      routine: entry.routine,
      step: entry.step,
      stepType: entry.stepType,
      state: entry.state,
      entryId: String(entry.entryId),
    }),

    listStepEntries(record, query) {
      const matches = compileListFilter(query.get('filter'), STEP_ENTRY_FILTER_FIELDS);
      const skip = Number(query.get('skip') ?? 0);
      if (!Number.isInteger(skip) || skip < 0) throw invalidArgument('skip must be a non-negative integer.');
      const filtered = record.stepEntries.filter((entry) =>
        matches((field) => {
          const value = (entry as unknown as Record<string, unknown>)[field];
          if (field === 'createTime' || field === 'updateTime') return formatTimestamp(value as number);
          return value === undefined ? undefined : String(value);
        }),
      );
      const page = pageOf(filtered.slice(skip), query, { defaultPageSize: 100, maxPageSize: 1000 });
      return {
        stepEntries: page.items,
        totalSize: filtered.length,
        ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
      };
    },
  };
};

export type { ExecutionRecord, ExecutionRegistry, ExecutionState, StepEntryRecord, WorkflowRunner };
export { createExecutionRegistry, MAX_ARGUMENT_BYTES };
