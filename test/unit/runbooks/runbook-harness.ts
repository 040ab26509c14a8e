import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  compileWorkflow,
  createFetchHttpService,
  createLocalCallbackService,
  createVirtualClock,
  type ExecutionOutcome,
  type ExecutionServices,
  fromJson,
  runWorkflow,
  toJson,
  type VirtualClock,
  type WorkflowLogEntry,
} from '../../../local/workflows/engine';

/**
 * Runs a runbook from workflows/ on the local engine, with a virtual clock, against an in-test
 * fake of the ops-api (the contract engineer R1 builds): it records every command, answers 202,
 * and POSTs the outcomes a test scripts for each command to the command's notify callback URL,
 * now or after a while on the virtual clock. Operations are kept so that GET and :withdraw answer
 * as the control plane would.
 */

/** A command as the runbook submitted it. */
interface SubmittedCommand {
  type: string;
  args: Record<string, unknown>;
  actor: string;
  reason: string;
  idempotencyKey: string;
  requestedBy?: string;
  notify?: { callbackUrl: string };
}

type OperationStatus = 'running' | 'pending_approval' | 'succeeded' | 'failed' | 'rejected';

/** One outcome of a command, posted to its callback `afterMs` after the previous one (0: at once). */
interface OutcomeEvent {
  afterMs?: number;
  status: OperationStatus;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
  approval?: Record<string, unknown>;
}

/** What the fake does with a command: answer 400, or play these outcomes (worked out now or async). */
type CommandScriptAnswer = OutcomeEvent[] | { refuse: { code: string; message: string } };
type CommandScript = (
  command: SubmittedCommand,
  nth: number,
) => CommandScriptAnswer | Promise<CommandScriptAnswer>;

/** An operation as GET /operations/{id} and the callbacks show it. */
interface OperationView {
  operationId: string;
  type: string;
  status: OperationStatus;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
  approval?: Record<string, unknown>;
}

/** Scripts: the outcomes most tests need. */
const succeeds = (result: Record<string, unknown> = {}): OutcomeEvent[] => [{ status: 'succeeded', result }];
const approvedAfter = (ms: number, result: Record<string, unknown> = {}): OutcomeEvent[] => [
  { status: 'pending_approval', approval: { reason: 'destructive (approval class A3)' } },
  { afterMs: ms, status: 'succeeded', result },
];
const deniedAfter = (ms: number): OutcomeEvent[] => [
  { status: 'pending_approval', approval: { reason: 'destructive (approval class A3)' } },
  {
    afterMs: ms,
    status: 'rejected',
    error: { code: 'APPROVAL_DENIED', message: 'denied by user:maria.chen@acme.ai: not during the freeze' },
  },
];
const neverDecided = (): OutcomeEvent[] => [
  { status: 'pending_approval', approval: { reason: 'destructive (approval class A3)' } },
];

const readJson = async (request: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : null;
};

const answer = (response: ServerResponse, status: number, body: unknown): void => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

/** The fake ops-api. */
class FakeOpsApi {
  readonly commands: SubmittedCommand[] = [];
  readonly withdrawals: Array<{ operationId: string; body: unknown; at: number }> = [];
  readonly operations = new Map<string, OperationView>();
  /** Submissions to fail with 503 after recording them (a lost response: the runbook retries). */
  dropResponses = 0;
  /** Scheduled outcomes that could not be posted. */
  readonly failures: unknown[] = [];
  #closed = false;
  url = '';
  #server: Server | undefined;

  constructor(
    private readonly clock: VirtualClock,
    private readonly script: CommandScript,
  ) {}

  async start(): Promise<void> {
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) =>
        answer(response, 500, { error: String(error) }),
      );
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The commands of one type, in order. */
  ofType(type: string): SubmittedCommand[] {
    return this.commands.filter((command) => command.type === type);
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', this.url).pathname;
    if (request.method === 'POST' && path === '/commands') {
      await this.#submit((await readJson(request)) as SubmittedCommand, response);
      return;
    }
    const withdraw = /^\/operations\/([^/]+):withdraw$/.exec(path);
    if (request.method === 'POST' && withdraw) {
      await this.#withdraw(decodeURIComponent(withdraw[1] as string), await readJson(request), response);
      return;
    }
    const read = /^\/operations\/([^/:]+)$/.exec(path);
    if (request.method === 'GET' && read) {
      const operation = this.operations.get(decodeURIComponent(read[1] as string));
      if (operation) answer(response, 200, operation);
      else answer(response, 404, { error: { code: 'NOT_FOUND', message: 'no such operation' } });
      return;
    }
    answer(response, 404, { error: { code: 'NOT_FOUND', message: `${request.method} ${path}` } });
  }

  async #submit(command: SubmittedCommand, response: ServerResponse): Promise<void> {
    const known = this.operations.get(command.idempotencyKey);
    if (known) {
      answer(response, 200, { operationId: known.operationId, status: known.status });
      return;
    }
    const nth = this.ofType(command.type).length;
    // Time stands still while an async script works (e.g. a real command processor).
    const plan = await this.clock.hold(async () => this.script(command, nth));
    if ('refuse' in plan) {
      answer(response, 400, { error: plan.refuse });
      return;
    }
    this.commands.push(command);
    const operation: OperationView = {
      operationId: command.idempotencyKey,
      type: command.type,
      status: 'running',
    };
    this.operations.set(operation.operationId, operation);
    // Outcomes due at once go out before the answer, later ones on the virtual clock.
    const events = [...plan];
    while (events.length > 0 && !events[0]?.afterMs)
      await this.#apply(command, events.shift() as OutcomeEvent);
    let chain = Promise.resolve();
    for (const event of events) {
      chain = chain
        .then(() => this.clock.sleep(event.afterMs ?? 0))
        .then(() => this.clock.hold(() => this.#apply(command, event)));
    }
    chain.catch((error: unknown) => this.failures.push(error));
    if (this.dropResponses > 0) {
      this.dropResponses -= 1;
      answer(response, 503, { error: { code: 'UNAVAILABLE', message: 'try again' } });
      return;
    }
    answer(response, 202, { operationId: operation.operationId, status: 'submitted' });
  }

  /** Applies an outcome unless the operation ended meanwhile (withdrawn), and posts it. */
  async #apply(command: SubmittedCommand, event: OutcomeEvent): Promise<void> {
    const operation = this.operations.get(command.idempotencyKey);
    if (this.#closed || !operation || ['succeeded', 'failed', 'rejected'].includes(operation.status)) return;
    operation.status = event.status;
    if (event.result) operation.result = event.result;
    if (event.error) operation.error = event.error;
    if (event.approval) operation.approval = event.approval;
    await this.#notify(command, operation);
  }

  async #notify(command: SubmittedCommand, operation: OperationView): Promise<void> {
    if (!command.notify) return;
    const posted = await fetch(command.notify.callbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(operation),
    });
    if (posted.status !== 200) throw new Error(`callback answered ${posted.status}`);
  }

  async #withdraw(operationId: string, body: unknown, response: ServerResponse): Promise<void> {
    this.withdrawals.push({ operationId, body, at: this.clock.now() });
    const operation = this.operations.get(operationId);
    if (operation?.status !== 'pending_approval') {
      answer(response, 409, {
        error: { code: 'NOT_PENDING', message: `${operationId} is not pending approval` },
      });
      return;
    }
    operation.status = 'rejected';
    operation.error = { code: 'APPROVAL_EXPIRED', message: 'withdrawn by its requester' };
    const command = this.commands.find((c) => c.idempotencyKey === operationId);
    if (command) await this.#notify(command, operation);
    answer(response, 200, operation);
  }
}

/** A `googleapis.*` call the runbook made. */
interface ConnectorCall {
  name: string;
  args: Record<string, unknown>;
}

/** What a run left: its outcome, and what the fake ops-api, the log and the connectors saw. */
interface RunbookRun {
  outcome: ExecutionOutcome;
  /** The result as JSON (SUCCEEDED), or undefined. */
  result: Record<string, unknown> | undefined;
  /** The raised error, parsed from the payload (FAILED), or undefined. */
  error: Record<string, unknown> | undefined;
  opsApi: FakeOpsApi;
  logs: WorkflowLogEntry[];
  /** The text of every log entry, in order. */
  logText: string[];
  connectorCalls: ConnectorCall[];
  clock: VirtualClock;
}

/** The fixed start of every run: Monday 2026-03-02 18:30 UTC. */
const RUN_START = Date.parse('2026-03-02T18:30:00Z');
/** The execution id every run gets, so that idempotency keys are known in advance. */
const EXECUTION_ID = '5f8c2a1e-0b7d-4e6a-9c3f-2d1b0a9e8f7c';

/**
 * Runs `workflows/<name>.workflows.yaml` with `argument` to its end.
 *
 * @param options.script - the fake ops-api's outcomes per command.
 * @param options.connector - answers `googleapis.*` calls (default: RUNNABLE, READY).
 * @param options.prepare - called with the fake before the run (e.g. to drop a response).
 * @param options.startAt - when the run starts on its virtual clock (default RUN_START).
 * @param options.executionId - the execution id (default EXECUTION_ID).
 */
const runRunbook = async (
  name: string,
  argument: unknown,
  options: {
    script: CommandScript;
    connector?: (call: ConnectorCall) => unknown;
    prepare?: (opsApi: FakeOpsApi) => void;
    startAt?: number;
    executionId?: string;
  },
): Promise<RunbookRun> => {
  const fileName = `${name}.workflows.yaml`;
  const workflow = compileWorkflow(
    readFileSync(join(__dirname, '..', '..', '..', 'workflows', fileName), 'utf8'),
    {
      fileName,
    },
  );
  const clock = createVirtualClock(options.startAt ?? RUN_START);
  const callbacks = createLocalCallbackService({ clock, serve: true });
  const opsApi = new FakeOpsApi(clock, options.script);
  options.prepare?.(opsApi);
  await opsApi.start();
  const fetchHttp = createFetchHttpService();
  const logs: WorkflowLogEntry[] = [];
  const connectorCalls: ConnectorCall[] = [];
  const services: ExecutionServices = {
    clock,
    // Time stands still while a request is in flight, as it would for a fast server.
    http: (request, signal) => clock.hold(() => fetchHttp(request, signal)),
    callbacks,
    connectors: {
      call: async (connector, args) => {
        const call = { name: connector, args };
        connectorCalls.push(call);
        return options.connector ? options.connector(call) : { state: 'RUNNABLE' };
      },
    },
    log: (entry) => logs.push(entry),
    env: {
      OPSPLANE_OPS_API_URL: opsApi.url,
      GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID: options.executionId ?? EXECUTION_ID,
      GOOGLE_CLOUD_WORKFLOW_ID: name,
      GOOGLE_CLOUD_PROJECT_ID: 'acme-ml-prod',
      GOOGLE_CLOUD_LOCATION: 'us-central1',
    },
    randomUuid: () => randomUUID(),
  };
  try {
    const outcome = await runWorkflow(workflow, fromJson(argument), { services });
    const logText = logs.map((entry) =>
      typeof entry.payload === 'string' ? entry.payload : JSON.stringify(entry.payload),
    );
    return {
      outcome,
      result: outcome.state === 'SUCCEEDED' ? (toJson(outcome.result) as Record<string, unknown>) : undefined,
      error:
        outcome.state === 'SUCCEEDED'
          ? undefined
          : (JSON.parse(outcome.error.payload) as Record<string, unknown>),
      opsApi,
      logs,
      logText,
      connectorCalls,
      clock,
    };
  } finally {
    await callbacks.close();
    await opsApi.close();
  }
};

/** The idempotency key the runbook sends for a step. */
const keyOf = (step: string): string => `${EXECUTION_ID}-${step}`;

/** An hour of virtual time. */
const HOUR_MS = 3_600_000;

export type { CommandScript, OperationView, OutcomeEvent, RunbookRun, SubmittedCommand };
export {
  approvedAfter,
  deniedAfter,
  EXECUTION_ID,
  FakeOpsApi,
  HOUR_MS,
  keyOf,
  neverDecided,
  RUN_START,
  runRunbook,
  succeeds,
};
