import { ExecutionsClient } from '@google-cloud/workflows';
import { PassThroughClient } from 'google-auth-library';
// The API modules, not the whole `googleapis` package (about a second to load). The Workflows API
// (deployed workflows) and step entries have no gax client in @google-cloud/workflows 5.
import { auth as discoveryAuth, workflowexecutions } from 'googleapis/build/src/apis/workflowexecutions';
import { workflows as workflowsApi } from 'googleapis/build/src/apis/workflows';

/**
 * What the CLI and the local scheduler need of Cloud Workflows to run runbooks: the deployed runbooks, executions and
 * their step history. Locally these go to the local Workflows/Executions API that `npm start`
 * serves; against a project, to Google's — through the same official clients either way.
 */

/** Where the Workflows APIs are: a local endpoint, or Google (Application Default Credentials). */
interface WorkflowsTarget {
  projectId: string;
  location: string;
  /** e.g. `http://127.0.0.1:8497`; absent: workflows.googleapis.com and workflowexecutions.googleapis.com. */
  endpoint?: string;
}

interface RunbookSummary {
  /** The workflow id, e.g. `sql-restore`. */
  name: string;
  description: string;
  revisionId: string;
  updateTime?: string;
}

type ExecutionState =
  | 'ACTIVE'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'CANCELLED'
  | 'QUEUED'
  | 'UNAVAILABLE'
  | 'STATE_UNSPECIFIED';

interface ExecutionView {
  /** Full resource name `projects/…/locations/…/workflows/W/executions/E`. */
  name: string;
  /** `W/E`, what the CLI prints and takes back. */
  id: string;
  runbook: string;
  state: ExecutionState;
  argument?: unknown;
  /** Parsed `result` JSON (SUCCEEDED only). */
  result?: unknown;
  /** Parsed `error.payload` JSON when it is JSON, else its text (FAILED, CANCELLED). */
  error?: unknown;
  errorContext?: string;
  currentSteps: Array<{ routine: string; step: string }>;
  startTime?: string;
  endTime?: string;
}

interface StepEntryView {
  entryId: number;
  routine: string;
  step: string;
  state: string;
  createTime?: string;
}

interface RunbookClient {
  listRunbooks(): Promise<RunbookSummary[]>;
  start(runbook: string, argument: Record<string, unknown>): Promise<ExecutionView>;
  /** By `W/E` or full name. */
  getExecution(id: string): Promise<ExecutionView>;
  listExecutions(runbook: string, limit: number): Promise<ExecutionView[]>;
  listSteps(id: string): Promise<StepEntryView[]>;
  cancel(id: string): Promise<ExecutionView>;
  close(): Promise<void>;
}

const EXECUTION_STATES: readonly ExecutionState[] = [
  'STATE_UNSPECIFIED',
  'ACTIVE',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'UNAVAILABLE',
  'QUEUED',
];

/** gax may hand enums back as names or as numbers, depending on transport. */
const stateName = (state: unknown): ExecutionState =>
  typeof state === 'number'
    ? (EXECUTION_STATES[state] ?? 'STATE_UNSPECIFIED')
    : ((state as ExecutionState | undefined) ?? 'STATE_UNSPECIFIED');

const parseJsonText = (text: string | null | undefined): unknown => {
  if (text === undefined || text === null || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

const timestampText = (value: unknown): string | undefined => {
  if (!value) return undefined;
  if (typeof value === 'string') return value;
  const { seconds, nanos } = value as { seconds?: number | string | { toString(): string }; nanos?: number };
  if (seconds === undefined) return undefined;
  return new Date(Number(String(seconds)) * 1000 + Math.floor((nanos ?? 0) / 1e6)).toISOString();
};

interface RawExecution {
  name?: string | null;
  state?: unknown;
  argument?: string | null;
  result?: string | null;
  error?: { payload?: string | null; context?: string | null } | null;
  status?: { currentSteps?: Array<{ routine?: string | null; step?: string | null }> | null } | null;
  startTime?: unknown;
  endTime?: unknown;
}

const executionView = (raw: RawExecution): ExecutionView => {
  const name = raw.name ?? '';
  const match = /\/workflows\/([^/]+)\/executions\/([^/]+)$/.exec(name);
  const runbook = match?.[1] ?? '';
  const view: ExecutionView = {
    name,
    id: match ? `${match[1]}/${match[2]}` : name,
    runbook,
    state: stateName(raw.state),
    currentSteps: (raw.status?.currentSteps ?? []).map((s) => ({
      routine: s.routine ?? '',
      step: s.step ?? '',
    })),
  };
  const argument = parseJsonText(raw.argument);
  if (argument !== undefined) view.argument = argument;
  const result = parseJsonText(raw.result);
  if (result !== undefined) view.result = result;
  const error = parseJsonText(raw.error?.payload);
  if (error !== undefined) view.error = error;
  if (raw.error?.context) view.errorContext = raw.error.context;
  const startTime = timestampText(raw.startTime);
  if (startTime) view.startTime = startTime;
  const endTime = timestampText(raw.endTime);
  if (endTime) view.endTime = endTime;
  return view;
};

type ExecutionsClientOptions = ConstructorParameters<typeof ExecutionsClient>[0];

const gaxOptions = (endpoint?: string): ExecutionsClientOptions => {
  if (!endpoint) return { fallback: true };
  const url = new URL(endpoint);
  return {
    apiEndpoint: url.hostname,
    port: Number(url.port || 80),
    protocol: url.protocol.replace(':', ''),
    fallback: true,
    // The client's own google-auth-library copy types it differently; the shape is the same.
    authClient: new PassThroughClient() as unknown as NonNullable<ExecutionsClientOptions>['authClient'],
  };
};

/**
 * googleapis discovery clients: pointed at a local endpoint (they insist on an auth object; a
 * dummy token is sent and ignored), or Google with Application Default Credentials.
 */
const discoveryOptions = (endpoint?: string) => {
  if (!endpoint) {
    return {
      auth: new discoveryAuth.GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] }),
    };
  }
  const auth = new discoveryAuth.OAuth2();
  auth.setCredentials({ access_token: 'local', expiry_date: Date.now() + 10 * 365 * 24 * 3600e3 });
  return { auth, rootUrl: `${endpoint.replace(/\/$/, '')}/` };
};

/** The execution's full name from `W/E` (or a full name, passed through). */
const executionName = (target: WorkflowsTarget, id: string): string => {
  if (id.startsWith('projects/')) return id;
  const [workflow, execution, ...rest] = id.split('/');
  if (!workflow || !execution || rest.length > 0) {
    throw new Error(
      `"${id}" is not an execution id; expected RUNBOOK/EXECUTION as \`runbook start\` prints it`,
    );
  }
  return `projects/${target.projectId}/locations/${target.location}/workflows/${workflow}/executions/${execution}`;
};

const createRunbookClient = (target: WorkflowsTarget): RunbookClient => {
  const parent = `projects/${target.projectId}/locations/${target.location}`;
  const executions = new ExecutionsClient(gaxOptions(target.endpoint));
  const workflows = workflowsApi({ version: 'v1', ...discoveryOptions(target.endpoint) }).projects.locations
    .workflows;
  const stepEntries = workflowexecutions({ version: 'v1', ...discoveryOptions(target.endpoint) }).projects
    .locations.workflows.executions.stepEntries;

  return {
    async listRunbooks() {
      const response = await workflows.list({ parent, pageSize: 1000 });
      return (response.data.workflows ?? []).map((workflow) => ({
        name: (workflow.name ?? '').split('/').pop() ?? '',
        description: workflow.description ?? '',
        revisionId: workflow.revisionId ?? '',
        ...(workflow.updateTime ? { updateTime: workflow.updateTime } : {}),
      }));
    },
    async start(runbook, argument) {
      const [execution] = await executions.createExecution({
        parent: `${parent}/workflows/${runbook}`,
        execution: { argument: JSON.stringify(argument) },
      });
      return executionView(execution as RawExecution);
    },
    async getExecution(id) {
      const [execution] = await executions.getExecution({ name: executionName(target, id) });
      return executionView(execution as RawExecution);
    },
    async listExecutions(runbook, limit) {
      const [list] = await executions.listExecutions(
        { parent: `${parent}/workflows/${runbook}`, pageSize: limit },
        { autoPaginate: false },
      );
      return list.slice(0, limit).map((execution) => executionView(execution as RawExecution));
    },
    async listSteps(id) {
      const response = await stepEntries.list({ parent: executionName(target, id), pageSize: 1000 });
      return (response.data.stepEntries ?? []).map((entry) => ({
        entryId: Number(entry.entryId ?? 0),
        routine: entry.routine ?? '',
        step: entry.step ?? '',
        state: entry.state ?? '',
        ...(entry.createTime ? { createTime: entry.createTime } : {}),
      }));
    },
    async cancel(id) {
      const [execution] = await executions.cancelExecution({ name: executionName(target, id) });
      return executionView(execution as RawExecution);
    },
    async close() {
      await executions.close();
    },
  };
};

export type { ExecutionState, ExecutionView, RunbookClient, RunbookSummary, StepEntryView, WorkflowsTarget };
export { createRunbookClient, discoveryOptions as workflowsDiscoveryOptions, executionView };
