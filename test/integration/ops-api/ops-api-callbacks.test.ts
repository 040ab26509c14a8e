import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type LocalStackDriver, startLocalStackDriver } from '../../helpers/local-stack-driver';

/**
 * Runbook steps end to end on the local stack: commands submitted over HTTP to the opsApi function,
 * published on ops-commands (Pub/Sub emulator), carried out by the opsCommand function against the
 * platform simulator, recorded in the ledger (Firestore emulator), and each outcome POSTed by the
 * opsNotify function (push subscription on ops-results) to a callback endpoint served by the test,
 * as a Cloud Workflows callback endpoint would receive it.
 */

const RUNBOOK = 'runbook:sql-restore';
const STARTER = 'user:dev.patel@acme.ai'; // an approver, who started the runbook: may not approve it
const APPROVER = 'user:maria.chen@acme.ai';
const KFP_SQL = 'acme-kfp-mysql-7f3a9c1e';

interface Callback {
  path: string;
  body: Record<string, unknown>;
}

let driver: LocalStackDriver;
let server: Server;
let callbackBase: string;
const callbacks: Callback[] = [];

/** Waits for the callback at `path` that reports `status`. */
const callbackFor = async (path: string, status: string, timeoutMs = 60_000): Promise<Callback> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = callbacks.find((c) => c.path === path && c.body.status === status);
    if (found) return found;
    if (Date.now() > deadline) {
      throw new Error(
        `no ${status} callback on ${path}; received ${JSON.stringify(callbacks.filter((c) => c.path === path))}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

const callOpsApi = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
  const response = await fetch(`${driver.stack.info.functions.opsApi}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

/** A runbook step's command, with its own callback path and idempotency key. */
const step = (name: string, type: string, args: Record<string, unknown>) => ({
  type,
  args,
  actor: RUNBOOK,
  requestedBy: STARTER,
  reason: `runbook sql-restore, step ${name}`,
  idempotencyKey: `it-${Date.now()}-${name}`,
  notify: { callbackUrl: `${callbackBase}/callbacks/${name}` },
});

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      callbacks.push({
        path: request.url ?? '',
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  callbackBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  driver = await startLocalStackDriver();
});

beforeEach(() => {
  driver.stack.simulator.requestLog.clear();
});

afterAll(async () => {
  await driver?.stop();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

describe('the ops-api and outcome callbacks on the local stack', () => {
  it('takes a backup submitted by a runbook step and calls back with the succeeded outcome', async () => {
    // Prepare
    const command = step('backup', 'sql.backup', { instance: KFP_SQL, description: 'pre-restore' });
    // Act
    const submitted = await callOpsApi('POST', '/commands', command);
    const outcome = await callbackFor('/callbacks/backup', 'succeeded');
    const retried = await callOpsApi('POST', '/commands', command);
    const shown = await callOpsApi('GET', `/operations/${command.idempotencyKey}`);
    // Assert
    expect(submitted).toEqual({
      status: 202,
      body: { operationId: command.idempotencyKey, status: 'submitted' },
    });
    expect(outcome.body).toMatchObject({
      operationId: command.idempotencyKey,
      type: 'sql.backup',
      status: 'succeeded',
      result: expect.any(Object),
    });
    expect(retried).toMatchObject({ status: 200, body: { status: 'succeeded' } });
    expect(shown).toMatchObject({
      status: 200,
      body: { actor: RUNBOOK, requestedBy: STARTER, status: 'succeeded', summary: expect.any(String) },
    });
    expect(
      driver.stack.simulator.requestLog.entries().filter((e) => e.route === 'sql.backupRuns.insert'),
    ).toHaveLength(1);
  });

  it('announces a restore waiting for approval, refuses the runbook starter as approver, and calls back once another approver granted it', async () => {
    // Prepare
    const command = step('restore', 'sql.restore', { instance: KFP_SQL, backupId: '1748833200000' });
    await callOpsApi('POST', '/commands', command);
    const pending = await callbackFor('/callbacks/restore', 'pending_approval');
    // Act
    const selfGrant = await driver.send({
      type: 'approval.grant',
      args: { operationId: command.idempotencyKey },
      actor: STARTER,
      reason: 'my own runbook',
    });
    const selfOutcome = await driver.until(selfGrant);
    const grant = await driver.send({
      type: 'approval.grant',
      args: { operationId: command.idempotencyKey, comment: 'backup checked' },
      actor: APPROVER,
      reason: 'reviewed the restore plan',
    });
    const succeeded = await callbackFor('/callbacks/restore', 'succeeded');
    // Assert
    expect(pending.body).toMatchObject({
      operationId: command.idempotencyKey,
      status: 'pending_approval',
      approval: { reason: expect.stringContaining('A3') },
    });
    expect(selfOutcome).toMatchObject({ status: 'rejected', error: { code: 'PERMISSION_DENIED' } });
    expect((await driver.until(grant)).status).toBe('succeeded');
    expect(succeeded.body).toMatchObject({
      operationId: command.idempotencyKey,
      type: 'sql.restore',
      status: 'succeeded',
      approval: { decision: 'granted', approver: APPROVER, comment: 'backup checked' },
    });
  });

  it('ends a withdrawn approval request rejected with APPROVAL_EXPIRED and calls back with it', async () => {
    // Prepare
    const command = step('restore-timeout', 'sql.restore', { instance: KFP_SQL, backupId: '1748833200000' });
    await callOpsApi('POST', '/commands', command);
    await callbackFor('/callbacks/restore-timeout', 'pending_approval');
    // Act
    const withdrawn = await callOpsApi('POST', `/operations/${command.idempotencyKey}:withdraw`, {
      actor: RUNBOOK,
      reason: 'no decision within the approval window',
    });
    const rejected = await callbackFor('/callbacks/restore-timeout', 'rejected');
    const again = await callOpsApi('POST', `/operations/${command.idempotencyKey}:withdraw`, {
      actor: RUNBOOK,
      reason: 'retried step',
    });
    // Assert
    expect(withdrawn).toMatchObject({
      status: 200,
      body: { status: 'rejected', error: { code: 'APPROVAL_EXPIRED' } },
    });
    expect(rejected.body).toMatchObject({
      operationId: command.idempotencyKey,
      status: 'rejected',
      error: { code: 'APPROVAL_EXPIRED', message: expect.stringContaining('approval window') },
    });
    expect(again.status).toBe(200);
    expect((await driver.ledger.get(command.idempotencyKey))?.status).toBe('rejected');
    expect(
      driver.stack.simulator.requestLog
        .entries()
        .filter((e) => e.method !== 'GET' && (e.route ?? '').startsWith('sql.instances.restore')),
    ).toEqual([]);
  });

  it('refuses an invalid step with a 400 naming the field and publishes nothing', async () => {
    // Prepare
    const command = step('bad', 'sql.backup', { instance: 'Not An Instance' });
    // Act
    const response = await callOpsApi('POST', '/commands', command);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Assert
    expect(response).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_COMMAND', field: 'args.instance' } },
    });
    expect(await driver.ledger.get(command.idempotencyKey)).toBeUndefined();
  });
});
