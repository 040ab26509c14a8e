import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, silentLogger } from '../../../shared/logging';
import { invalidArgument, notFound, SimulatorApiError } from '../../simulator/api-error';
import { createRouter, type RouteSpec } from '../../simulator/router';
import type { ConnectorService, ExecutionServices, WorkflowClock, WorkflowLogEntry } from '../engine';
import { createFetchHttpService, createWorkflowCompiler, isVirtualClock, runWorkflow } from '../engine';
import type { IncomingCallback } from './execution-callbacks';
import { createExecutionRegistry, type ExecutionRecord, type WorkflowRunner } from './execution-registry';
import { pageOf } from './rest-format';
import { createWorkflowRegistry, type DeployTimeCompiler } from './workflow-registry';

/**
 * A local stand-in for Google's Workflows API (workflows.googleapis.com/v1) and Workflow Executions
 * API (workflowexecutions.googleapis.com/v1) on one HTTP port, shaped like Google's REST APIs so
 * the official clients work against it unchanged: deploy with the `googleapis` Workflows client
 * (create/update/delete return done long-running operations), run and watch with
 * `@google-cloud/workflows`' ExecutionsClient (REST transport) or the `googleapis` executions
 * client, including the step history (`stepEntries`) and callback endpoints.
 *
 * Executions run in this process with the local engine; their waits (sys.sleep, retries, callback
 * timeouts, connector polling) run on the server's clock. Everything is in memory: a restart
 * forgets every workflow and execution, and an execution running at that moment is lost.
 */

interface LocalWorkflowsServerOptions {
  /** The one project this server serves; paths naming another are NOT_FOUND. */
  projectId: string;
  /** The one location this server serves, e.g. `us-central1`. */
  location: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  clock: WorkflowClock;
  connectors: ConnectorService;
  /** `http.*` requests. @default real fetch */
  http?: ExecutionServices['http'];
  logger?: Logger;
  /** @default the local engine (`compileWorkflow`, `runWorkflow`). */
  engine?: DeployTimeCompiler & WorkflowRunner;
  /** Ids of executions, operations and callbacks, and `uuid.generate()`. @default random UUIDs */
  newId?: () => string;
}

/** A running server. */
interface RunningWorkflowsServer {
  /** e.g. `http://127.0.0.1:8497`. */
  readonly url: string;
  readonly port: number;
  /** Resolves with the Execution resource (FULL view) once the execution has ended. */
  waitForExecution(name: string): Promise<Record<string, unknown>>;
  /** The Execution resource (FULL view) now. */
  execution(name: string): Record<string, unknown>;
  /** What the execution logged with `sys.log`, in order. */
  logs(name: string): WorkflowLogEntry[];
  /** Cancels running executions, then closes the port. */
  stop(): Promise<void>;
}

/** Requests above this are refused: a workflow source is at most 128 KB, an argument 32 KB. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

interface RequestContext {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
}

interface ApiRoute extends RouteSpec {
  handle(context: RequestContext): Promise<unknown> | unknown;
}

const LOCATION = '/v1/projects/{project}/locations/{location}';
const WORKFLOW = `${LOCATION}/workflows/{workflow}`;
const EXECUTION = `${WORKFLOW}/executions/{execution}`;
const CALLBACK_PATH =
  /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/workflows\/([^/]+)\/executions\/([^/]+)\/callbacks\/([^/:]+)$/;

const sendJson = (response: ServerResponse, status: number, body: unknown, headOnly = false): void => {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(headOnly ? undefined : text);
};

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw invalidArgument(`Request payload exceeds ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
};

const parseJsonObject = (text: string): Record<string, unknown> => {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalidArgument(`Invalid JSON payload received. ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidArgument('Invalid JSON payload received: expected an object.');
  }
  return parsed as Record<string, unknown>;
};

const headersOf = (request: IncomingMessage): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
};

/** A callback body: JSON when the request says JSON, else its text; null when empty. */
const callbackBody = (text: string, contentType: string | undefined): unknown => {
  if (text === '') return null;
  if (!/json/i.test(contentType ?? '')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalidArgument(`Invalid JSON payload received. ${(error as Error).message}`);
  }
};

/**
 * Starts the server on 127.0.0.1; resolves once it accepts connections.
 *
 * @throws Error if the port is taken.
 */
const startLocalWorkflowsServer = async (
  options: LocalWorkflowsServerOptions,
): Promise<RunningWorkflowsServer> => {
  const logger = (options.logger ?? silentLogger).child({ component: 'local-workflows-api' });
  // One compiler for the server's life: building one (the JSON Schema validator) costs ~160 ms.
  const compiler = createWorkflowCompiler();
  const engine: DeployTimeCompiler & WorkflowRunner = options.engine ?? {
    compileWorkflow: (source, compileOptions) => compiler.compile(source, compileOptions),
    runWorkflow,
  };
  const newId = options.newId ?? (() => randomUUID());
  const served = `projects/${options.projectId}/locations/${options.location}`;
  let baseUrl = '';

  const fetchHttp = options.http ?? createFetchHttpService();
  const { clock } = options;
  const executions = createExecutionRegistry({
    projectId: options.projectId,
    location: options.location,
    clock: options.clock,
    // A virtual clock must not jump while a request is in flight.
    http: isVirtualClock(clock)
      ? (request, signal) => clock.hold(() => fetchHttp(request, signal))
      : fetchHttp,
    connectors: options.connectors,
    runner: engine,
    logger,
    newId,
    baseUrl: () => baseUrl,
  });
  const workflows = createWorkflowRegistry({
    compiler: engine,
    now: () => options.clock.now(),
    newId,
    onDelete: (name) => executions.dropWorkflow(name),
  });

  /** `projects/P/locations/L`, checked to be the one this server serves. */
  const parentOf = (params: Record<string, string>): string => {
    const parent = `projects/${params.project}/locations/${params.location}`;
    if (parent !== served) {
      throw notFound(`This local Workflows server serves ${served} only, not ${parent}.`);
    }
    return parent;
  };
  const workflowName = (params: Record<string, string>): string =>
    `${parentOf(params)}/workflows/${params.workflow}`;
  const executionOf = (params: Record<string, string>): ExecutionRecord => {
    const name = `${workflowName(params)}/executions/${params.execution}`;
    return executions.get(name);
  };

  const routes: ApiRoute[] = [
    {
      method: 'POST',
      template: `${LOCATION}/workflows`,
      handle: ({ params, query, body }) => workflows.create(parentOf(params), query.get('workflowId'), body),
    },
    {
      method: 'GET',
      template: `${LOCATION}/workflows`,
      handle: ({ params, query }) => {
        const all = workflows.list(parentOf(params)).sort((a, b) => a.name.localeCompare(b.name));
        const page = pageOf(all, query, { defaultPageSize: 500, maxPageSize: 1000 });
        return {
          workflows: page.items.map((record) => workflows.toResource(record)),
          ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
        };
      },
    },
    {
      method: 'GET',
      template: WORKFLOW,
      handle: ({ params }) => workflows.toResource(workflows.get(workflowName(params))),
    },
    {
      method: 'PATCH',
      template: WORKFLOW,
      handle: ({ params, query, body }) =>
        workflows.update(workflowName(params), query.get('updateMask'), body),
    },
    {
      method: 'DELETE',
      template: WORKFLOW,
      handle: ({ params }) => workflows.delete(workflowName(params)),
    },
    {
      method: 'GET',
      template: `${LOCATION}/operations/{operation}`,
      handle: ({ params }) => workflows.operation(`${parentOf(params)}/operations/${params.operation}`),
    },
    {
      method: 'GET',
      template: `${LOCATION}/operations`,
      handle: ({ params, query }) => {
        const page = pageOf(workflows.listOperations(parentOf(params)), query, {
          defaultPageSize: 100,
          maxPageSize: 1000,
        });
        return {
          operations: page.items,
          ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
        };
      },
    },
    {
      method: 'POST',
      template: `${WORKFLOW}/executions`,
      handle: ({ params, body }) =>
        executions.toResource(executions.create(workflows.get(workflowName(params)), body)),
    },
    {
      method: 'GET',
      template: `${WORKFLOW}/executions`,
      handle: ({ params, query }) => {
        const name = workflowName(params);
        workflows.get(name);
        const view = executions.viewOf(query, 'BASIC');
        const page = executions.list(name, query);
        return {
          executions: page.executions.map((record) => executions.toResource(record, view)),
          ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
        };
      },
    },
    {
      method: 'GET',
      template: EXECUTION,
      handle: ({ params, query }) =>
        executions.toResource(executionOf(params), executions.viewOf(query, 'FULL')),
    },
    {
      method: 'POST',
      template: `${EXECUTION}:cancel`,
      handle: async ({ params }) => executions.toResource(await executions.cancel(executionOf(params).name)),
    },
    {
      method: 'GET',
      template: `${EXECUTION}/stepEntries`,
      handle: ({ params, query }) => {
        const record = executionOf(params);
        const page = executions.listStepEntries(record, query);
        return {
          stepEntries: page.stepEntries.map((entry) => executions.stepEntryResource(record, entry)),
          totalSize: page.totalSize,
          ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
        };
      },
    },
    {
      method: 'GET',
      template: `${EXECUTION}/stepEntries/{entry}`,
      handle: ({ params }) => {
        const record = executionOf(params);
        const entry = record.stepEntries[Number(params.entry) - 1];
        if (!entry || String(entry.entryId) !== params.entry) {
          throw notFound(`Resource '${record.name}/stepEntries/${params.entry}' was not found`);
        }
        return executions.stepEntryResource(record, entry);
      },
    },
    {
      method: 'GET',
      template: `${EXECUTION}/callbacks`,
      handle: ({ params, query }) => {
        const page = pageOf(executionOf(params).callbacks.list(), query, {
          defaultPageSize: 100,
          maxPageSize: 1000,
        });
        return {
          callbacks: page.items,
          ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
        };
      },
    },
  ];
  const router = createRouter(routes);

  /** A request on a callback URL: any method, handed to the execution's endpoint. */
  const deliverCallback = (
    request: IncomingMessage,
    url: URL,
    match: RegExpExecArray,
    text: string,
  ): void => {
    const [, project = '', location = '', workflow = '', execution = '', id = ''] = match;
    const record = executionOf({ project, location, workflow, execution });
    if (record.state !== 'ACTIVE') {
      throw notFound(`Execution ${record.name} has ended (${record.state}); its callbacks are gone.`);
    }
    const query: Record<string, string[]> = {};
    for (const [key, value] of url.searchParams) query[key] = [...(query[key] ?? []), value];
    const incoming: IncomingCallback = {
      method: (request.method ?? 'GET').toUpperCase(),
      url: `${url.pathname}${url.search}`,
      headers: headersOf(request),
      query,
      body: callbackBody(text, request.headers['content-type']),
    };
    record.callbacks.deliver(decodeURIComponent(id), incoming);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const method = (request.method ?? 'GET').toUpperCase();
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    try {
      const text = await readBody(request);
      const callback = CALLBACK_PATH.exec(url.pathname);
      if (callback) {
        deliverCallback(request, url, callback, text);
        sendJson(response, 200, {}, method === 'HEAD');
        return;
      }
      const matched = router.match(method, url.pathname);
      if (!matched) {
        throw new SimulatorApiError(
          'UNIMPLEMENTED',
          `The local Workflows server has no method ${method} ${url.pathname}.`,
        );
      }
      const params: Record<string, string> = { ...matched.params };
      const result = await matched.route.handle({
        params,
        query: url.searchParams,
        body: parseJsonObject(text),
      });
      sendJson(response, 200, result);
    } catch (thrown) {
      const apiError =
        thrown instanceof SimulatorApiError
          ? thrown
          : new SimulatorApiError('INTERNAL', `Local Workflows server error: ${String(thrown)}`);
      if (apiError.status === 'INTERNAL')
        logger.error('request failed', { method, path: url.pathname, error: thrown });
      sendJson(response, apiError.httpStatus, apiError.toBody(), method === 'HEAD');
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.error('response failed', { error });
      response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  logger.info('local Workflows API listening', {
    url: baseUrl,
    project: options.projectId,
    location: options.location,
  });

  let stopping: Promise<void> | undefined;
  return {
    url: baseUrl,
    port,
    execution: (name) => executions.toResource(executions.get(name)),
    async waitForExecution(name) {
      const record = executions.get(name);
      await record.settled;
      return executions.toResource(record);
    },
    logs: (name) => [...executions.get(name).logs],
    stop() {
      stopping ??= (async () => {
        await executions.cancelAll();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return stopping;
    },
  };
};

export type { LocalWorkflowsServerOptions, RunningWorkflowsServer };
export { startLocalWorkflowsServer };
