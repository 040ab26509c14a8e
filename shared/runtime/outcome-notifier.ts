import { NotifySchema } from '../commands';
import { type ControlPlaneError, GcpError, InvalidCommandError, toControlPlaneError } from '../errors';
import type { Logger } from '../logging';
import { jsonFromDelivery, type OperationResultMessage, type PubsubDelivery } from '../messaging';
import type { Clock } from '../time';
import { createPubsubEventHandler } from './command-event-handler';
import { dispositionByAge } from './disposition';
import { type ApprovalView, approvalViewOf, publicErrorOf } from './ops-api';

/**
 * The outcome notifier behind the notify function (triggered by ops-results): when a command
 * carried `notify.callbackUrl`, each of its outcomes — the `pending_approval` announcement, then
 * the final status — is POSTed there as JSON. That is how a runbook waiting in
 * `events.await_callback` learns that its step needs an approver or has finished. The target comes
 * with the message, so no ledger read is needed. Delivery is at least once: a callback may arrive
 * twice, and a receiver keys on `operationId` + `status`.
 *
 * Who may be called: anyone allowed to publish on ops-commands chooses the URL, so a Google access
 * token is attached only for the hosts configured for it (the Workflows executions API), never to
 * an arbitrary or loopback URL.
 */

/** The JSON body POSTed to a callback URL. */
interface OutcomeCallbackBody {
  operationId: string;
  type: string;
  status: OperationResultMessage['status'];
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
  approval?: ApprovalView;
}

/** An access token for a callback URL, or none (local, or a host that must not get one). */
interface CallbackTokenSource {
  tokenFor(url: URL): Promise<string | undefined>;
}

interface OutcomeNotifierSettings {
  /** How long one POST may take before it counts as a transient failure. */
  timeoutMs: number;
  /** A transient failure is retried while the outcome message is younger than this. */
  maxAgeMs: number;
}

interface OutcomeNotifierDeps {
  tokens: CallbackTokenSource;
  clock: Clock;
  logger: Logger;
  settings: OutcomeNotifierSettings;
  /** The HTTP client; the global fetch unless a test passes one. */
  fetch?: typeof fetch;
}

/** What became of one ops-results message. `ack: false` asks Pub/Sub to deliver it again. */
type NotifyOutcome =
  | { ack: true; operationId?: string; delivered: boolean; httpStatus?: number }
  | { ack: false; operationId: string; error: ControlPlaneError };

interface OutcomeNotifier {
  notify(delivery: PubsubDelivery): Promise<NotifyOutcome>;
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The callback body for an outcome: its state and result, without plan, args or retry hints. */
const callbackBodyOf = (message: OperationResultMessage): OutcomeCallbackBody => ({
  operationId: message.operationId,
  type: message.type,
  status: message.status,
  ...(message.result ? { result: message.result } : {}),
  ...(message.error ? { error: publicErrorOf(message.error) } : {}),
  ...(message.approval ? { approval: approvalViewOf(message.approval) } : {}),
});

/**
 * Google access tokens for callbacks (a Workflows callback endpoint needs
 * `workflows.callbacks.send`). `mode: 'none'` (local) never attaches one; otherwise only https URLs
 * on `hosts` get one, and loopback URLs never do.
 */
const createCallbackTokenSource = (options: {
  mode: 'google' | 'none';
  hosts: readonly string[];
  accessToken: () => Promise<string | null | undefined>;
}): CallbackTokenSource => {
  const hosts = new Set(options.hosts.map((host) => host.trim().toLowerCase()).filter(Boolean));
  return {
    async tokenFor(url) {
      const host = url.hostname.toLowerCase();
      if (options.mode === 'none' || url.protocol !== 'https:' || LOOPBACK_HOSTS.has(host)) return undefined;
      if (!hosts.has(host)) return undefined;
      const token = await options.accessToken();
      if (!token) {
        throw new GcpError('GCP_UNAVAILABLE', 'no Google access token for the callback', {});
      }
      return token;
    },
  };
};

/** The outcome message of a delivery, when it is one (anything else is logged and dropped). */
const resultMessageOf = (delivery: PubsubDelivery): OperationResultMessage => {
  const raw = jsonFromDelivery(delivery);
  if (
    !isObject(raw) ||
    typeof raw.operationId !== 'string' ||
    typeof raw.type !== 'string' ||
    typeof raw.status !== 'string'
  ) {
    throw new InvalidCommandError('data', 'not an ops-results message (operationId, type, status)');
  }
  return raw as unknown as OperationResultMessage;
};

/** The error a callback answer stands for; a 408 or 429 is transient like a 5xx. */
const callbackError = (status: number, url: URL, text: string): GcpError => {
  const transient = status >= 500 || status === 408 || status === 429;
  return new GcpError(
    transient ? 'GCP_UNAVAILABLE' : 'GCP_REJECTED',
    `callback ${url.origin}${url.pathname} answered ${status}${text ? `: ${text.slice(0, 300)}` : ''}`,
    { httpStatus: status },
  );
};

const createOutcomeNotifier = (deps: OutcomeNotifierDeps): OutcomeNotifier => {
  const { clock, logger, settings } = deps;
  const send = deps.fetch ?? fetch;

  /** POSTs once; a thrown error says why it did not get a 2xx. */
  const post = async (url: URL, body: OutcomeCallbackBody): Promise<number> => {
    const token = await deps.tokens.tokenFor(url);
    let response: Response;
    try {
      response = await send(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
        // A redirect is not followed: it could carry the token somewhere else.
        redirect: 'manual',
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
    } catch (thrown) {
      throw new GcpError(
        'GCP_UNAVAILABLE',
        `callback ${url.origin}${url.pathname} did not answer: ${thrown instanceof Error ? thrown.message : String(thrown)}`,
        {},
        { cause: thrown },
      );
    }
    const text = await response.text().catch(() => '');
    if (response.status < 200 || response.status >= 300) throw callbackError(response.status, url, text);
    return response.status;
  };

  return {
    async notify(delivery) {
      let message: OperationResultMessage;
      try {
        message = resultMessageOf(delivery);
      } catch (thrown) {
        const error = toControlPlaneError(thrown);
        logger.error('ops-results message is not an outcome; acknowledged and dropped', {
          messageId: delivery.messageId,
          error: error.toRecord(),
        });
        return { ack: true, delivered: false };
      }
      const { operationId } = message;
      if (message.notify === undefined) return { ack: true, operationId, delivered: false };
      const target = NotifySchema.safeParse(message.notify);
      if (!target.success) {
        logger.error('outcome names an invalid callback URL; acknowledged and dropped', { operationId });
        return { ack: true, operationId, delivered: false };
      }
      const url = new URL(target.data.callbackUrl);
      const fields = { operationId, status: message.status, callback: `${url.origin}${url.pathname}` };
      try {
        const httpStatus = await post(url, callbackBodyOf(message));
        logger.info('outcome delivered to its callback', { ...fields, httpStatus });
        return { ack: true, operationId, delivered: true, httpStatus };
      } catch (thrown) {
        const error = toControlPlaneError(thrown);
        const published = delivery.publishTime ? Date.parse(delivery.publishTime) : Number.NaN;
        const ageMs = Number.isNaN(published) ? 0 : clock.now().getTime() - published;
        if (dispositionByAge(error, ageMs, settings.maxAgeMs) === 'retry') {
          logger.warn('callback failed; the delivery will be retried', {
            ...fields,
            error: error.toRecord(),
          });
          return { ack: false, operationId, error };
        }
        // Refused for good (e.g. the execution already finished), or retried long enough.
        logger.warn(
          error.retryable ? 'callback kept failing; gave up' : 'callback refused the outcome; not retried',
          { ...fields, ageMs, error: error.toRecord() },
        );
        const httpStatus = error instanceof GcpError ? error.httpStatus : undefined;
        return { ack: true, operationId, delivered: false, ...(httpStatus ? { httpStatus } : {}) };
      }
    },
  };
};

/**
 * Adapts the notifier to a CloudEvent function on ops-results: a retry becomes a thrown error
 * (the Functions Framework answers 500, Pub/Sub redelivers with backoff).
 */
const createOutcomeEventHandler = (notifier: OutcomeNotifier, logger: Logger) =>
  createPubsubEventHandler((delivery) => notifier.notify(delivery), logger);

export type {
  CallbackTokenSource,
  NotifyOutcome,
  OutcomeCallbackBody,
  OutcomeNotifier,
  OutcomeNotifierDeps,
  OutcomeNotifierSettings,
};
export { callbackBodyOf, createCallbackTokenSource, createOutcomeEventHandler, createOutcomeNotifier };
