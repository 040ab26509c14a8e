import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OperationRecord } from '../../../shared/ledger';
import { silentLogger } from '../../../shared/logging';
import { resultMessageOf } from '../../../shared/messaging';
import {
  type CallbackTokenSource,
  createCallbackTokenSource,
  createOutcomeEventHandler,
  createOutcomeNotifier,
  RetryDeliveryError,
} from '../../../shared/runtime';
import { ManualClock } from '../../../shared/time';
import { makeDelivery } from '../../helpers/factories';

/**
 * The outcome notifier against a callback endpoint served in-process on 127.0.0.1: what it POSTs,
 * and which answers it acknowledges (2xx, 4xx) and which it retries (5xx, no connection).
 */

interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** A callback endpoint that records requests and answers with the next queued status (default 200). */
const startCallbackServer = async () => {
  const received: ReceivedRequest[] = [];
  const statuses: number[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
      });
      response.writeHead(statuses.shift() ?? 200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callbacks/cb-1`,
    received,
    statuses,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

const NOW = '2026-03-01T10:00:00.000Z';

const recordFor = (
  callbackUrl: string | undefined,
  overrides: Partial<OperationRecord> = {},
): OperationRecord => ({
  id: 'exec-1-restore',
  status: 'succeeded',
  type: 'sql.restore',
  args: { instance: 'acme-kfp-mysql-7f3a9c1e', backupId: '17' },
  actor: 'runbook:sql-restore',
  requestedBy: 'user:maria.chen@acme.ai',
  ...(callbackUrl ? { notify: { callbackUrl } } : {}),
  reason: 'restore after a bad migration',
  dryRun: false,
  plan: { summary: 'restore', changes: [], warnings: [], noop: false },
  attempts: 1,
  googleOperations: [],
  result: { restored: '17' },
  messageIds: ['m1'],
  resultPublished: false,
  createdAt: NOW,
  updatedAt: NOW,
  ...overrides,
});

/** An ops-results delivery of the record, as the result publisher shapes it, published `ageMs` ago. */
const outcomeDelivery = (record: OperationRecord, ageMs = 1000) =>
  makeDelivery(resultMessageOf(record), { publishTime: new Date(Date.parse(NOW) - ageMs).toISOString() });

const noTokens: CallbackTokenSource = { tokenFor: async () => undefined };

const notifierWith = (tokens: CallbackTokenSource = noTokens, maxAgeMs = 3_600_000) =>
  createOutcomeNotifier({
    tokens,
    clock: new ManualClock(NOW),
    logger: silentLogger,
    settings: { timeoutMs: 2000, maxAgeMs },
  });

let callback: Awaited<ReturnType<typeof startCallbackServer>>;

beforeEach(async () => {
  callback = await startCallbackServer();
});

afterEach(async () => {
  await callback.close();
});

describe('the outcome notifier', () => {
  it('POSTs the outcome as JSON to the callback URL, without plan, args or a token for loopback', async () => {
    // Prepare
    const notifier = notifierWith();
    // Act
    const outcome = await notifier.notify(outcomeDelivery(recordFor(callback.url)));
    // Assert
    expect(outcome).toEqual({ ack: true, operationId: 'exec-1-restore', delivered: true, httpStatus: 200 });
    expect(callback.received).toHaveLength(1);
    expect(callback.received[0]).toMatchObject({
      method: 'POST',
      url: '/callbacks/cb-1',
      headers: { 'content-type': 'application/json' },
      body: {
        operationId: 'exec-1-restore',
        type: 'sql.restore',
        status: 'succeeded',
        result: { restored: '17' },
      },
    });
    expect(Object.keys(callback.received[0]?.body as object).sort()).toEqual([
      'operationId',
      'result',
      'status',
      'type',
    ]);
    expect(callback.received[0]?.headers.authorization).toBeUndefined();
  });

  it('carries the approval (without plan hash) and the error code and message', async () => {
    // Prepare
    const notifier = notifierWith();
    const record = recordFor(callback.url, {
      status: 'rejected',
      result: undefined,
      approval: {
        reason: 'sql.restore is destructive (approval class A3)',
        planHash: 'abc',
        requestedAt: NOW,
        decision: 'withdrawn',
        approver: 'runbook:sql-restore',
        decidedAt: NOW,
      },
      error: { code: 'APPROVAL_EXPIRED', message: 'withdrawn', retryable: false, details: { x: 1 } },
    });
    // Act
    await notifier.notify(outcomeDelivery(record));
    // Assert
    expect(callback.received[0]?.body).toEqual({
      operationId: 'exec-1-restore',
      type: 'sql.restore',
      status: 'rejected',
      error: { code: 'APPROVAL_EXPIRED', message: 'withdrawn' },
      approval: {
        reason: 'sql.restore is destructive (approval class A3)',
        requestedAt: NOW,
        decision: 'withdrawn',
        approver: 'runbook:sql-restore',
        decidedAt: NOW,
      },
    });
  });

  it('acknowledges a 4xx answer (the execution is gone) without retrying', async () => {
    // Prepare
    const notifier = notifierWith();
    callback.statuses.push(404);
    // Act
    const outcome = await notifier.notify(outcomeDelivery(recordFor(callback.url)));
    // Assert
    expect(outcome).toEqual({ ack: true, operationId: 'exec-1-restore', delivered: false, httpStatus: 404 });
    expect(callback.received).toHaveLength(1);
  });

  it('asks for a retry on a 5xx answer, and delivers on the redelivery', async () => {
    // Prepare
    const notifier = notifierWith();
    callback.statuses.push(503);
    const delivery = outcomeDelivery(recordFor(callback.url));
    // Act
    const first = await notifier.notify(delivery);
    const second = await notifier.notify(delivery);
    // Assert
    expect(first).toMatchObject({
      ack: false,
      operationId: 'exec-1-restore',
      error: { code: 'GCP_UNAVAILABLE', retryable: true },
    });
    expect(second).toMatchObject({ ack: true, delivered: true });
    expect(callback.received).toHaveLength(2);
  });

  it('asks for a retry when the endpoint does not answer at all', async () => {
    // Prepare
    const notifier = notifierWith();
    const gone = await startCallbackServer();
    const url = gone.url;
    await gone.close();
    // Act
    const outcome = await notifier.notify(outcomeDelivery(recordFor(url)));
    // Assert
    expect(outcome).toMatchObject({ ack: false, error: { code: 'GCP_UNAVAILABLE' } });
  });

  it('gives up on a transient failure once the outcome is older than the retry window', async () => {
    // Prepare
    const notifier = notifierWith(noTokens, 60_000);
    callback.statuses.push(503);
    // Act
    const outcome = await notifier.notify(outcomeDelivery(recordFor(callback.url), 120_000));
    // Assert
    expect(outcome).toEqual({ ack: true, operationId: 'exec-1-restore', delivered: false, httpStatus: 503 });
  });

  it('acknowledges outcomes that have no callback, and messages that are not outcomes, calling nothing', async () => {
    // Prepare
    const notifier = notifierWith();
    // Act
    const withoutCallback = await notifier.notify(outcomeDelivery(recordFor(undefined)));
    const garbage = await notifier.notify(makeDelivery('not json'));
    // Assert
    expect(withoutCallback).toEqual({ ack: true, operationId: 'exec-1-restore', delivered: false });
    expect(garbage).toEqual({ ack: true, delivered: false });
    expect(callback.received).toEqual([]);
  });

  it('sends the token its token source gives for the URL', async () => {
    // Prepare
    const notifier = notifierWith({ tokenFor: async () => 'ya29.test-token' });
    // Act
    await notifier.notify(outcomeDelivery(recordFor(callback.url)));
    // Assert
    expect(callback.received[0]?.headers.authorization).toBe('Bearer ya29.test-token');
  });

  it('fails the CloudEvent delivery (a nack) when the notifier asks for a retry', async () => {
    // Prepare
    const handler = createOutcomeEventHandler(notifierWith(), silentLogger);
    callback.statuses.push(500, 200);
    const delivery = outcomeDelivery(recordFor(callback.url));
    const event = {
      id: delivery.messageId,
      specversion: '1.0',
      type: 'google.cloud.pubsub.topic.v1.messagePublished',
      source: '//pubsub.googleapis.com/projects/p/topics/ops-results',
      data: {
        message: {
          messageId: delivery.messageId,
          data: delivery.data.toString('base64'),
          publishTime: delivery.publishTime,
        },
      },
    };
    // Act
    const first = handler(event);
    // Assert
    await expect(first).rejects.toBeInstanceOf(RetryDeliveryError);
    await expect(handler(event)).resolves.toBeUndefined();
    expect(callback.received).toHaveLength(2);
  });
});

describe('createCallbackTokenSource', () => {
  const source = (mode: 'google' | 'none') => {
    const asked: string[] = [];
    const tokens = createCallbackTokenSource({
      mode,
      hosts: ['workflowexecutions.googleapis.com'],
      accessToken: async () => {
        asked.push('token');
        return 'ya29.token';
      },
    });
    return { tokens, asked };
  };
  const WORKFLOWS_CALLBACK =
    'https://workflowexecutions.googleapis.com/v1/projects/p/locations/l/workflows/w/executions/e/callbacks/c';

  it('gives a token only to https URLs of the Workflows executions API', async () => {
    // Prepare
    const { tokens, asked } = source('google');
    // Act
    const forWorkflows = await tokens.tokenFor(new URL(WORKFLOWS_CALLBACK));
    const forOthers = await Promise.all(
      ['https://evil.example/cb', 'http://workflowexecutions.googleapis.com/cb', 'https://localhost/cb'].map(
        (url) => tokens.tokenFor(new URL(url)),
      ),
    );
    // Assert
    expect(forWorkflows).toBe('ya29.token');
    expect(forOthers).toEqual([undefined, undefined, undefined]);
    expect(asked).toHaveLength(1);
  });

  it('never looks up a token when callbacks are configured without auth (local)', async () => {
    // Prepare
    const { tokens, asked } = source('none');
    // Act
    const token = await tokens.tokenFor(new URL(WORKFLOWS_CALLBACK));
    // Assert
    expect(token).toBeUndefined();
    expect(asked).toEqual([]);
  });
});
