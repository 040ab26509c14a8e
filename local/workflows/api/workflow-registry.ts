import { createHash } from 'node:crypto';
import { invalidArgument, notFound, SimulatorApiError } from '../../simulator/api-error';
import { enumValue, formatTimestamp } from './rest-format';
import { indexStepTypes, type StepTypeIndex } from './step-types';

/**
 * The Workflows API's state, in memory: deployed workflows with their current revision (the
 * source compiled once, at deploy time, so a bad workflow is refused there, as Google refuses it)
 * and the long-running operations that create, update and delete return. Nothing survives a
 * restart of the server.
 */

/** What the engine must offer the server: compile at deploy time, run per execution. */
interface DeployTimeCompiler {
  /**
   * @throws an error with `issues: Array<{line, column, message}>` for an invalid definition.
   */
  compileWorkflow(source: string, options?: { fileName?: string }): unknown;
}

const CALL_LOG_LEVELS = [
  'CALL_LOG_LEVEL_UNSPECIFIED',
  'LOG_ALL_CALLS',
  'LOG_ERRORS_ONLY',
  'LOG_NONE',
] as const;
const EXECUTION_HISTORY_LEVELS = [
  'EXECUTION_HISTORY_LEVEL_UNSPECIFIED',
  'EXECUTION_HISTORY_BASIC',
  'EXECUTION_HISTORY_DETAILED',
] as const;

/** Source size limit of a workflow (quotas page). */
const MAX_SOURCE_BYTES = 128 * 1024;
/** User environment variables: at most 20, names not starting with GOOGLE. */
const MAX_USER_ENV_VARS = 20;
const WORKFLOW_ID = /^[A-Za-z](?:[A-Za-z0-9_-]{0,126}[A-Za-z0-9])?$/;

/** One revision: what executions started on it run. */
interface WorkflowRevision {
  revisionId: string;
  sourceContents: string;
  serviceAccount: string | undefined;
  compiled: unknown;
  stepTypes: StepTypeIndex;
  createTime: number;
}

interface WorkflowRecord {
  /** `projects/P/locations/L/workflows/W`. */
  name: string;
  workflowId: string;
  description: string;
  labels: Record<string, string>;
  userEnvVars: Record<string, string>;
  callLogLevel: (typeof CALL_LOG_LEVELS)[number] | undefined;
  executionHistoryLevel: (typeof EXECUTION_HISTORY_LEVELS)[number] | undefined;
  createTime: number;
  updateTime: number;
  revision: WorkflowRevision;
  /** Revisions made so far, the counter in `000002-abc`. */
  revisionCount: number;
}

/** `google.longrunning.Operation` as this server hands it out: always done. */
interface OperationRecord {
  name: string;
  done: true;
  metadata: Record<string, unknown>;
  response: Record<string, unknown>;
}

const WORKFLOW_TYPE = 'type.googleapis.com/google.cloud.workflows.v1.Workflow';
const EMPTY_TYPE = 'type.googleapis.com/google.protobuf.Empty';
const METADATA_TYPE = 'type.googleapis.com/google.cloud.workflows.v1.OperationMetadata';

/** Updatable fields, by the names an update mask may use (camelCase or snake_case). */
const UPDATABLE_FIELDS: Readonly<Record<string, string>> = {
  description: 'description',
  labels: 'labels',
  sourceContents: 'sourceContents',
  source_contents: 'sourceContents',
  serviceAccount: 'serviceAccount',
  service_account: 'serviceAccount',
  callLogLevel: 'callLogLevel',
  call_log_level: 'callLogLevel',
  userEnvVars: 'userEnvVars',
  user_env_vars: 'userEnvVars',
  executionHistoryLevel: 'executionHistoryLevel',
  execution_history_level: 'executionHistoryLevel',
};

const isStringMap = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.values(value).every((item) => typeof item === 'string');

const stringMapField = (body: Record<string, unknown>, field: string): Record<string, string> => {
  const value = body[field];
  if (value === undefined || value === null) return {};
  if (!isStringMap(value))
    throw invalidArgument(`Invalid value at 'workflow.${field}': expected a map of strings.`);
  return { ...value };
};

const checkUserEnvVars = (vars: Record<string, string>): void => {
  const names = Object.keys(vars);
  if (names.length > MAX_USER_ENV_VARS) {
    throw invalidArgument(`A workflow can have at most ${MAX_USER_ENV_VARS} user environment variables.`);
  }
  const reserved = names.find((name) => name.toUpperCase().startsWith('GOOGLE'));
  if (reserved) throw invalidArgument(`User environment variable ${reserved} must not start with GOOGLE.`);
};

/** Whether a thrown value is the engine's validation error (duck-typed: any engine may be plugged in). */
const validationIssuesOf = (
  thrown: unknown,
): Array<{ line: number; column: number; message: string }> | undefined => {
  const issues = (thrown as { issues?: unknown } | null)?.issues;
  return Array.isArray(issues)
    ? (issues as Array<{ line: number; column: number; message: string }>)
    : undefined;
};

/**
 * Compiles a source for deploy.
 *
 * @throws SimulatorApiError INVALID_ARGUMENT listing each issue as `line L, column C: reason`.
 */
const compileForDeploy = (compiler: DeployTimeCompiler, source: unknown, workflowId: string) => {
  if (typeof source !== 'string' || source.trim() === '') {
    throw invalidArgument('workflow.sourceContents is required.');
  }
  if (Buffer.byteLength(source) > MAX_SOURCE_BYTES) {
    throw invalidArgument(`workflow.sourceContents exceeds ${MAX_SOURCE_BYTES} bytes.`);
  }
  try {
    const compiled = compiler.compileWorkflow(source, { fileName: workflowId });
    return { compiled, stepTypes: indexStepTypes(compiled) };
  } catch (thrown) {
    const issues = validationIssuesOf(thrown);
    if (!issues) throw thrown;
    throw invalidArgument(
      `Workflow ${workflowId} is not valid (${issues.length} issue${issues.length === 1 ? '' : 's'}):\n${issues
        .map((issue) => `line ${issue.line}, column ${issue.column}: ${issue.message}`)
        .join('\n')}`,
    );
  }
};

interface WorkflowRegistry {
  /** @throws SimulatorApiError INVALID_ARGUMENT, ALREADY_EXISTS. */
  create(parent: string, workflowId: string | null, body: Record<string, unknown>): OperationRecord;
  /** @throws SimulatorApiError NOT_FOUND. */
  get(name: string): WorkflowRecord;
  list(parent: string): WorkflowRecord[];
  /** @throws SimulatorApiError NOT_FOUND, INVALID_ARGUMENT. */
  update(name: string, updateMask: string | null, body: Record<string, unknown>): OperationRecord;
  /** @throws SimulatorApiError NOT_FOUND. */
  delete(name: string): OperationRecord;
  /** @throws SimulatorApiError NOT_FOUND. */
  operation(name: string): OperationRecord;
  listOperations(parent: string): OperationRecord[];
  /** The Workflow resource as the API returns it. */
  toResource(record: WorkflowRecord): Record<string, unknown>;
}

const createWorkflowRegistry = (options: {
  compiler: DeployTimeCompiler;
  now: () => number;
  newId: () => string;
  /** Called when a workflow is deleted, to cancel and drop its executions. */
  onDelete?: (workflowName: string) => void;
}): WorkflowRegistry => {
  const workflows = new Map<string, WorkflowRecord>();
  const operations = new Map<string, OperationRecord>();

  const revisionIdOf = (count: number, source: string): string =>
    `${String(count).padStart(6, '0')}-${createHash('sha256').update(`${count}\n${source}`).digest('hex').slice(0, 3)}`;

  const toResource = (record: WorkflowRecord): Record<string, unknown> => ({
    name: record.name,
    ...(record.description ? { description: record.description } : {}),
    state: 'ACTIVE',
    revisionId: record.revision.revisionId,
    createTime: formatTimestamp(record.createTime),
    updateTime: formatTimestamp(record.updateTime),
    revisionCreateTime: formatTimestamp(record.revision.createTime),
    ...(Object.keys(record.labels).length > 0 ? { labels: { ...record.labels } } : {}),
    ...(record.revision.serviceAccount ? { serviceAccount: record.revision.serviceAccount } : {}),
    sourceContents: record.revision.sourceContents,
    ...(record.callLogLevel ? { callLogLevel: record.callLogLevel } : {}),
    ...(Object.keys(record.userEnvVars).length > 0 ? { userEnvVars: { ...record.userEnvVars } } : {}),
    ...(record.executionHistoryLevel ? { executionHistoryLevel: record.executionHistoryLevel } : {}),
  });

  const finishedOperation = (
    parent: string,
    target: string,
    verb: 'create' | 'update' | 'delete',
    response: Record<string, unknown>,
  ): OperationRecord => {
    const at = formatTimestamp(options.now());
    const operation: OperationRecord = {
      name: `${parent}/operations/operation-${options.now()}-${options.newId()}`,
      done: true,
      metadata: { '@type': METADATA_TYPE, createTime: at, endTime: at, target, verb, apiVersion: 'v1' },
      response,
    };
    operations.set(operation.name, operation);
    return operation;
  };

  const get = (name: string): WorkflowRecord => {
    const record = workflows.get(name);
    if (!record) throw notFound(`Resource '${name}' was not found`);
    return record;
  };

  const parentOf = (name: string): string => name.split('/workflows/')[0] as string;

  return {
    toResource,
    get,
    create(parent, workflowId, body) {
      if (!workflowId) throw invalidArgument('workflowId is required.');
      if (!WORKFLOW_ID.test(workflowId)) {
        throw invalidArgument(
          `workflowId ${workflowId} is not valid: it must start with a letter, hold only letters, digits, - and _, end with a letter or digit, and be at most 128 characters long.`,
        );
      }
      const name = `${parent}/workflows/${workflowId}`;
      if (workflows.has(name)) {
        throw new SimulatorApiError('ALREADY_EXISTS', `Resource '${name}' already exists`);
      }
      const userEnvVars = stringMapField(body, 'userEnvVars');
      checkUserEnvVars(userEnvVars);
      const { compiled, stepTypes } = compileForDeploy(options.compiler, body.sourceContents, workflowId);
      const now = options.now();
      const record: WorkflowRecord = {
        name,
        workflowId,
        description: typeof body.description === 'string' ? body.description : '',
        labels: stringMapField(body, 'labels'),
        userEnvVars,
        callLogLevel: enumValue(body.callLogLevel, CALL_LOG_LEVELS, 'workflow.callLogLevel'),
        executionHistoryLevel: enumValue(
          body.executionHistoryLevel,
          EXECUTION_HISTORY_LEVELS,
          'workflow.executionHistoryLevel',
        ),
        createTime: now,
        updateTime: now,
        revisionCount: 1,
        revision: {
          revisionId: revisionIdOf(1, body.sourceContents as string),
          sourceContents: body.sourceContents as string,
          serviceAccount: typeof body.serviceAccount === 'string' ? body.serviceAccount : undefined,
          compiled,
          stepTypes,
          createTime: now,
        },
      };
      workflows.set(name, record);
      return finishedOperation(parent, name, 'create', { '@type': WORKFLOW_TYPE, ...toResource(record) });
    },

    list: (parent) => [...workflows.values()].filter((record) => parentOf(record.name) === parent),

    update(name, updateMask, body) {
      const record = get(name);
      const fields = updateMask
        ? updateMask.split(',').map((field) => {
            const known = UPDATABLE_FIELDS[field.trim()];
            if (!known) throw invalidArgument(`updateMask names a field that cannot be updated: ${field}`);
            return known;
          })
        : Object.keys(body).flatMap((field) => (UPDATABLE_FIELDS[field] ? [UPDATABLE_FIELDS[field]] : []));
      const touched = new Set(fields);
      const next: WorkflowRecord = { ...record, revision: { ...record.revision } };
      if (touched.has('description'))
        next.description = typeof body.description === 'string' ? body.description : '';
      if (touched.has('labels')) next.labels = stringMapField(body, 'labels');
      if (touched.has('userEnvVars')) {
        next.userEnvVars = stringMapField(body, 'userEnvVars');
        checkUserEnvVars(next.userEnvVars);
      }
      if (touched.has('callLogLevel')) {
        next.callLogLevel = enumValue(body.callLogLevel, CALL_LOG_LEVELS, 'workflow.callLogLevel');
      }
      if (touched.has('executionHistoryLevel')) {
        next.executionHistoryLevel = enumValue(
          body.executionHistoryLevel,
          EXECUTION_HISTORY_LEVELS,
          'workflow.executionHistoryLevel',
        );
      }
      const now = options.now();
      // A new revision comes with new code or a new service account (Workflow.revision_id).
      const source = touched.has('sourceContents') ? body.sourceContents : record.revision.sourceContents;
      const serviceAccount = touched.has('serviceAccount')
        ? typeof body.serviceAccount === 'string'
          ? body.serviceAccount
          : undefined
        : record.revision.serviceAccount;
      if (source !== record.revision.sourceContents || serviceAccount !== record.revision.serviceAccount) {
        const { compiled, stepTypes } = compileForDeploy(options.compiler, source, record.workflowId);
        next.revisionCount = record.revisionCount + 1;
        next.revision = {
          revisionId: revisionIdOf(next.revisionCount, source as string),
          sourceContents: source as string,
          serviceAccount,
          compiled,
          stepTypes,
          createTime: now,
        };
      }
      next.updateTime = now;
      workflows.set(name, next);
      return finishedOperation(parentOf(name), name, 'update', {
        '@type': WORKFLOW_TYPE,
        ...toResource(next),
      });
    },

    delete(name) {
      get(name);
      workflows.delete(name);
      options.onDelete?.(name);
      return finishedOperation(parentOf(name), name, 'delete', { '@type': EMPTY_TYPE });
    },

    operation(name) {
      const operation = operations.get(name);
      if (!operation) throw notFound(`Operation '${name}' was not found`);
      return operation;
    },

    listOperations: (parent) =>
      [...operations.values()].filter((operation) => operation.name.startsWith(`${parent}/operations/`)),
  };
};

export type { DeployTimeCompiler, OperationRecord, WorkflowRecord, WorkflowRegistry, WorkflowRevision };
export { CALL_LOG_LEVELS, createWorkflowRegistry };
