import type { PubSub } from '@google-cloud/pubsub';
import {
  ActorSchema,
  type Command,
  type CommandEnvelope,
  IdempotencyKeySchema,
  isApprovalCommandType,
  parseCommand,
} from '../commands';
import {
  ApprovalRefusedError,
  type ControlPlaneError,
  type ErrorCode,
  type ErrorRecord,
  InvalidCommandError,
  NotFoundError,
  PermissionDeniedError,
  toControlPlaneError,
} from '../errors';
import type { ApprovalRecord, OperationLedger, OperationRecord, OperationStatus } from '../ledger';
import type { Logger } from '../logging';
import type { ResultPublisher } from '../messaging';
import type { Clock } from '../time';

/**
 * The ops-api: the control plane's HTTP API for runbook steps (Cloud Workflows calls it with an
 * OIDC token). It adds no second way of running commands: a submitted command is validated here so
 * that a bad step fails at once with a 400, then published on ops-commands under the step's
 * idempotency key, and the command function carries it out like any other. A retried step finds
 * the operation in the ledger and gets its status instead of a second operation.
 *
 *   POST /commands                    {type, args, actor: "runbook:…", requestedBy?, reason,
 *                                      idempotencyKey, notify?: {callbackUrl}} → 202 | 200 (known)
 *   GET  /operations/{id}             → 200 operation view | 404
 *   POST /operations/{id}:withdraw    {actor: "runbook:…", reason} → 200 rejected APPROVAL_EXPIRED | 409
 *
 * Who calls: in production the function is private. Only the workflows service account may invoke
 * it (the invoker role on the function), and Cloud Functions checks the OIDC ID token a runbook's
 * `http.post` sends (`auth: {type: OIDC}`) before a request gets here. The actor, though, is taken
 * from the body (`runbook:…` only), so anyone holding that service account could name any runbook.
 * It should come from a verified identity claim instead: give each runbook its own service account
 * (`runbook-sql-restore@…`), read the ID token from the `Authorization` header, verify it with
 * google-auth-library (`OAuth2Client.verifyIdToken`, audience = the function's URL) and derive the
 * actor from its `email` claim; the body's actor is then only checked against it.
 */

/** An HTTP request as the ops-api sees it, whatever serves it (Functions Framework, tests). */
interface OpsApiRequest {
  method: string;
  /** Path below the function's URL, e.g. `/operations/abc:withdraw`. */
  path: string;
  /** The parsed JSON body (undefined when there was none). */
  body: unknown;
}

interface OpsApiResponse {
  status: number;
  body: Record<string, unknown>;
}

/** Codes of error responses: the control plane's own, plus the two that only HTTP has. */
type OpsApiErrorCode = ErrorCode | 'CONFLICT' | 'METHOD_NOT_ALLOWED';

/** Publishes a command envelope on ops-commands, as every other publisher does. */
interface CommandPublisher {
  publish(command: CommandEnvelope): Promise<void>;
}

interface OpsApiDeps {
  ledger: Pick<OperationLedger, 'get' | 'withdrawApproval' | 'markResultPublished'>;
  commands: CommandPublisher;
  results: ResultPublisher;
  clock: Clock;
  logger: Logger;
}

interface OpsApi {
  /** Answers one request; never throws (failures become 4xx/5xx responses). */
  handle(request: OpsApiRequest): Promise<OpsApiResponse>;
}

/** An approval as runbooks see it: why, and the decision (no plan hash). */
interface ApprovalView {
  reason: string;
  requestedAt: string;
  decision?: ApprovalRecord['decision'];
  approver?: string;
  comment?: string;
  decidedAt?: string;
}

/** What a runbook learns about an operation: its state and outcome, nothing secret. */
interface OperationView {
  operationId: string;
  type: string;
  status: OperationStatus;
  actor: string;
  requestedBy?: string;
  /** The plan's one-line summary, once planned. */
  summary?: string;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
  approval?: ApprovalView;
}

/** Runbook actors: `runbook:<workflow id>`, the only actors the ops-api speaks for. */
const RUNBOOK_ACTOR = /^runbook:\S+$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The error as callers may see it: code and message, without details or retry hints. */
const publicErrorOf = (error: ErrorRecord): { code: string; message: string } => ({
  code: error.code,
  message: error.message,
});

const approvalViewOf = (approval: ApprovalRecord): ApprovalView => ({
  reason: approval.reason,
  requestedAt: approval.requestedAt,
  ...(approval.decision ? { decision: approval.decision } : {}),
  ...(approval.approver ? { approver: approval.approver } : {}),
  ...(approval.comment ? { comment: approval.comment } : {}),
  ...(approval.decidedAt ? { decidedAt: approval.decidedAt } : {}),
});

const operationViewOf = (record: OperationRecord): OperationView => {
  const summary = record.plan?.summary;
  return {
    operationId: record.id,
    type: record.type,
    status: record.status,
    actor: record.actor,
    ...(record.requestedBy ? { requestedBy: record.requestedBy } : {}),
    ...(typeof summary === 'string' ? { summary } : {}),
    ...(record.result ? { result: record.result } : {}),
    ...(record.error ? { error: publicErrorOf(record.error) } : {}),
    ...(record.approval ? { approval: approvalViewOf(record.approval) } : {}),
  };
};

/** JSON with object keys sorted, so that two reads of the same data compare equal (Firestore reorders maps). */
const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    isObject(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );

/** Whether a known operation is the one this command asks for (same key, same request). */
const sameRequest = (record: OperationRecord, command: Command): boolean =>
  record.type === command.type &&
  record.actor === command.actor &&
  record.dryRun === command.dryRun &&
  canonicalJson(record.args) === canonicalJson(command.args);

const errorResponse = (
  status: number,
  code: OpsApiErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
): OpsApiResponse => ({ status, body: { error: { code, message, ...extra } } });

/** HTTP status of a control-plane error; retryable ones are 503, which a runbook's default retry repeats. */
const httpStatusOf = (error: ControlPlaneError): number => {
  switch (error.code) {
    case 'INVALID_COMMAND':
      return 400;
    case 'PERMISSION_DENIED':
      return 403;
    case 'NOT_FOUND':
      return 404;
    default:
      return error.retryable ? 503 : 500;
  }
};

const responseOf = (error: ControlPlaneError): OpsApiResponse =>
  errorResponse(
    httpStatusOf(error),
    error.code,
    error.message,
    error instanceof InvalidCommandError && error.field ? { field: error.field } : {},
  );

/**
 * The runbook actor of a request body. A missing or malformed actor is a bad request; a well-formed
 * actor of another kind (a person, CI) is refused: the ops-api speaks only for runbooks.
 */
const runbookActorOf = (body: Record<string, unknown>): string => {
  const { actor } = body;
  if (typeof actor !== 'string' || !ActorSchema.safeParse(actor).success) {
    throw new InvalidCommandError('actor', 'must be runbook:<workflow id>');
  }
  if (!RUNBOOK_ACTOR.test(actor)) {
    throw new PermissionDeniedError(
      `the ops-api sends commands for runbooks only (actor runbook:<workflow id>), not for ${actor}`,
      { actor },
    );
  }
  return actor;
};

/** The operation id of a path segment, percent-decoded and checked like an idempotency key. */
const operationIdOf = (segment: string): string => {
  if (!IdempotencyKeySchema.safeParse(segment).success) {
    throw new InvalidCommandError('operationId', 'must be an operation id (an idempotency key)');
  }
  return segment;
};

const createOpsApi = (deps: OpsApiDeps): OpsApi => {
  const { ledger, clock, logger } = deps;

  /** POST /commands: validate, then publish once under the step's idempotency key. */
  const submit = async (body: unknown): Promise<OpsApiResponse> => {
    if (!isObject(body)) throw new InvalidCommandError('', 'the body must be a JSON object (a command)');
    const actor = runbookActorOf(body);
    if (body.idempotencyKey === undefined) {
      throw new InvalidCommandError(
        'idempotencyKey',
        'is required: a key stable across retries of the step, e.g. "<execution id>-<step>"',
      );
    }
    const command = parseCommand(body);
    const operationId = command.idempotencyKey ?? '';
    if (isApprovalCommandType(command.type)) {
      throw new PermissionDeniedError(
        `runbooks may not ${command.type === 'approval.grant' ? 'approve' : 'deny'} operations; an approver does (opsplane approve|deny)`,
        { actor },
      );
    }
    const known = await ledger.get(operationId);
    if (known) {
      if (!sameRequest(known, command)) {
        return errorResponse(
          409,
          'CONFLICT',
          `idempotency key ${operationId} already names another operation (${known.type} by ${known.actor}); use a key per step`,
          { operationId, status: known.status },
        );
      }
      return { status: 200, body: { ...operationViewOf(known) } };
    }
    // The body as received: the command function validates it again, like any publisher's.
    await deps.commands.publish(body as CommandEnvelope);
    logger.info('command submitted', { operationId, type: command.type, actor });
    return { status: 202, body: { operationId, status: 'submitted' } };
  };

  /** GET /operations/{id}. */
  const show = async (id: string): Promise<OpsApiResponse> => {
    const record = await ledger.get(id);
    if (!record) throw new NotFoundError(`no operation ${id} in the ledger`);
    return { status: 200, body: { ...operationViewOf(record) } };
  };

  /**
   * POST /operations/{id}:withdraw: the requesting runbook gives up waiting for a decision. The
   * operation ends rejected (APPROVAL_EXPIRED) and its outcome is published like any other;
   * repeating the call changes nothing and answers the same.
   */
  const withdraw = async (id: string, body: unknown): Promise<OpsApiResponse> => {
    if (!isObject(body)) throw new InvalidCommandError('', 'the body must be a JSON object {actor, reason}');
    const actor = runbookActorOf(body);
    const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
    if (reason.length === 0 || reason.length > 2000) {
      throw new InvalidCommandError('reason', 'must say why (1–2000 characters)');
    }
    const error = ApprovalRefusedError.withdrawn(actor, reason).toRecord();
    const outcome = await ledger.withdrawApproval(id, { actor, reason, error }, clock.now());
    const { record } = outcome;
    if (outcome.kind === 'not_waiting') {
      return errorResponse(
        409,
        'CONFLICT',
        `operation ${id} is ${record.status}, no longer waiting for approval`,
        { operationId: id, status: record.status },
      );
    }
    if (outcome.kind === 'withdrawn') logger.info('approval request withdrawn', { operationId: id, actor });
    if (!record.resultPublished) {
      // A failure here answers 503; the retried call finds it withdrawn and publishes again.
      await deps.results.publish(record);
      await ledger.markResultPublished(id, clock.now());
    }
    return { status: 200, body: { ...operationViewOf(record) } };
  };

  const route = async (request: OpsApiRequest): Promise<OpsApiResponse> => {
    let path: string;
    try {
      path = decodeURIComponent(request.path).replace(/\/+$/, '');
    } catch {
      throw new InvalidCommandError('path', 'is not a valid percent-encoded path');
    }
    const method = request.method.toUpperCase();
    if (path === '/commands') {
      return method === 'POST'
        ? submit(request.body)
        : errorResponse(405, 'METHOD_NOT_ALLOWED', 'use POST /commands');
    }
    const withdrawal = /^\/operations\/([^/]+):withdraw$/.exec(path);
    if (withdrawal) {
      return method === 'POST'
        ? withdraw(operationIdOf(withdrawal[1] ?? ''), request.body)
        : errorResponse(405, 'METHOD_NOT_ALLOWED', 'use POST /operations/{id}:withdraw');
    }
    const operation = /^\/operations\/([^/]+)$/.exec(path);
    if (operation) {
      return method === 'GET'
        ? show(operationIdOf(operation[1] ?? ''))
        : errorResponse(405, 'METHOD_NOT_ALLOWED', 'use GET /operations/{id}');
    }
    return errorResponse(
      404,
      'NOT_FOUND',
      `no route ${method} ${path || '/'}; the ops-api serves POST /commands, GET /operations/{id}, POST /operations/{id}:withdraw`,
    );
  };

  return {
    async handle(request) {
      try {
        return await route(request);
      } catch (thrown) {
        const error = toControlPlaneError(thrown);
        const response = responseOf(error);
        const fields = { method: request.method, path: request.path, error: error.toRecord() };
        if (response.status >= 500) logger.error('ops-api request failed', fields);
        else logger.info('ops-api request refused', fields);
        return response;
      }
    },
  };
};

/** Publishes commands on the ops-commands topic, marked as coming from the ops-api. */
const createPubsubCommandPublisher = (pubsub: () => PubSub, topic: string): CommandPublisher => ({
  async publish(command) {
    await pubsub()
      .topic(topic)
      .publishMessage({
        json: command,
        attributes: { type: command.type, source: 'opsplane-ops-api' },
      });
  },
});

export type {
  ApprovalView,
  CommandPublisher,
  OperationView,
  OpsApi,
  OpsApiDeps,
  OpsApiErrorCode,
  OpsApiRequest,
  OpsApiResponse,
};
export { approvalViewOf, createOpsApi, createPubsubCommandPublisher, operationViewOf, publicErrorOf };
