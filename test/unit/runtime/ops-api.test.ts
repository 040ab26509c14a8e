import type { CommandEnvelope } from '../../../shared/commands';
import { silentLogger } from '../../../shared/logging';
import type { BasePlan, OperationModule } from '../../../shared/operations';
import { type CommandPublisher, createOpsApi, type OpsApi, resumeCommandOf } from '../../../shared/runtime';
import { makeDelivery } from '../../helpers/factories';
import { makeProcessorHarness } from '../../helpers/processor-harness';

/**
 * The ops-api over the in-memory command path: what it publishes on ops-commands is handed to the
 * command processor as the command function would get it, so a submitted step ends in the ledger
 * exactly like any other command. Small in-memory operations stand in for `sql.backup` (routine)
 * and `sql.restore` (approval class A3).
 */

const RUNBOOK = 'runbook:sql-restore';
const STARTER = 'user:maria.chen@acme.ai'; // an approver, here the person who started the runbook
const OTHER_APPROVER = 'user:dev.patel@acme.ai';
const CALLBACK = 'http://127.0.0.1:9/callbacks/step-1';

/** A command publisher that keeps what it publishes. */
class CapturingCommandPublisher implements CommandPublisher {
  readonly published: CommandEnvelope[] = [];

  async publish(command: CommandEnvelope): Promise<void> {
    await Promise.resolve();
    this.published.push(structuredClone(command));
  }
}

interface FakePlan extends BasePlan {
  instance: string;
}

/** An operation module that plans one change on an instance and records what it applied. */
const fakeOperation = <T extends 'sql.backup' | 'sql.restore'>(type: T, applied: string[]) => {
  const operation: OperationModule<T, null, FakePlan> = {
    type,
    resource: (args) => `sql/${args.instance}`,
    observe: async () => {
      await Promise.resolve();
      return null;
    },
    plan: (_platform, _observed, args) => ({
      summary: `${type} on ${args.instance}`,
      changes: [{ resource: args.instance, field: 'data', from: 'now', to: type }],
      warnings: [],
      noop: false,
      instance: args.instance,
    }),
    apply: async (plan) => {
      await Promise.resolve();
      applied.push(`${type}:${plan.instance}`);
    },
    verify: async (plan) => {
      await Promise.resolve();
      return { done: `${type} on ${plan.instance}` };
    },
  };
  return operation;
};

const setup = async () => {
  const applied: string[] = [];
  const h = await makeProcessorHarness(
    {},
    {
      operations: {
        'sql.backup': fakeOperation('sql.backup', applied) as never,
        'sql.restore': fakeOperation('sql.restore', applied) as never,
      },
    },
  );
  const commands = new CapturingCommandPublisher();
  const api: OpsApi = createOpsApi({
    ledger: h.ledger,
    commands,
    results: h.results,
    clock: h.clock,
    logger: silentLogger,
  });
  /** Delivers the last published command to the command processor, as ops-commands would. */
  const deliverLast = async () => {
    const command = commands.published.at(-1);
    if (!command) throw new Error('nothing was published');
    return h.processor.process(makeDelivery(command));
  };
  return { ...h, api, commands, applied, deliverLast };
};

const submitBody = (overrides: Record<string, unknown> = {}) => ({
  type: 'sql.backup',
  args: { instance: 'acme-kfp-mysql-7f3a9c1e' },
  actor: RUNBOOK,
  requestedBy: STARTER,
  reason: 'runbook sql-restore: safety backup',
  idempotencyKey: 'exec-1-backup',
  notify: { callbackUrl: CALLBACK },
  ...overrides,
});

const post = (api: OpsApi, path: string, body: unknown) => api.handle({ method: 'POST', path, body });
const get = (api: OpsApi, path: string) => api.handle({ method: 'GET', path, body: undefined });

/** Submits an A3 restore through the API and lets the command path stop it at pending_approval. */
const pendingRestore = async (h: Awaited<ReturnType<typeof setup>>, key = 'exec-1-restore') => {
  await post(
    h.api,
    '/commands',
    submitBody({
      type: 'sql.restore',
      args: { instance: 'acme-kfp-mysql-7f3a9c1e', backupId: '17' },
      idempotencyKey: key,
    }),
  );
  const outcome = await h.deliverLast();
  expect(outcome).toMatchObject({ ack: true, status: 'pending_approval' });
  return key;
};

const decision = (type: 'approval.grant' | 'approval.deny', actor: string, operationId: string) => ({
  type,
  args: { operationId },
  actor,
  reason: 'reviewed the plan',
  idempotencyKey: `${type}-${actor}-${operationId}`,
});

describe('the ops-api', () => {
  describe('POST /commands', () => {
    it('publishes a valid command once under its idempotency key and answers 202', async () => {
      // Prepare
      const h = await setup();
      // Act
      const response = await post(h.api, '/commands', submitBody());
      // Assert
      expect(response).toEqual({ status: 202, body: { operationId: 'exec-1-backup', status: 'submitted' } });
      expect(h.commands.published).toEqual([submitBody()]);
    });

    it('records the command through the command path with its requester and callback target', async () => {
      // Prepare
      const h = await setup();
      await post(h.api, '/commands', submitBody());
      // Act
      const outcome = await h.deliverLast();
      // Assert
      expect(outcome).toMatchObject({ ack: true, operationId: 'exec-1-backup', status: 'succeeded' });
      expect(await h.ledger.get('exec-1-backup')).toMatchObject({
        actor: RUNBOOK,
        requestedBy: STARTER,
        notify: { callbackUrl: CALLBACK },
      });
      expect(h.results.published.map((r) => [r.status, r.notify?.callbackUrl])).toEqual([
        ['succeeded', CALLBACK],
      ]);
      expect(h.applied).toEqual(['sql.backup:acme-kfp-mysql-7f3a9c1e']);
    });

    it('answers a retried step with the known operation and does not publish it again', async () => {
      // Prepare
      const h = await setup();
      await post(h.api, '/commands', submitBody());
      await h.deliverLast();
      // Act
      const retried = await post(h.api, '/commands', submitBody());
      // Assert
      expect(retried.status).toBe(200);
      expect(retried.body).toMatchObject({
        operationId: 'exec-1-backup',
        type: 'sql.backup',
        status: 'succeeded',
        result: { done: 'sql.backup on acme-kfp-mysql-7f3a9c1e' },
      });
      expect(h.commands.published).toHaveLength(1);
      expect(h.applied).toHaveLength(1);
    });

    it('refuses a key that already names a different operation with 409', async () => {
      // Prepare
      const h = await setup();
      await post(h.api, '/commands', submitBody());
      await h.deliverLast();
      // Act
      const response = await post(
        h.api,
        '/commands',
        submitBody({ args: { instance: 'acme-metaflow-pg-2' } }),
      );
      // Assert
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ error: { code: 'CONFLICT', status: 'succeeded' } });
      expect(h.commands.published).toHaveLength(1);
    });

    it.each([
      ['args.instance', submitBody({ args: { instance: 'Not_An_Instance' } })],
      ['args.backupId', submitBody({ type: 'sql.restore', args: { instance: 'acme-kfp-mysql-7f3a9c1e' } })],
      ['type', submitBody({ type: 'sql.explode' })],
      ['idempotencyKey', submitBody({ idempotencyKey: undefined })],
      ['idempotencyKey', submitBody({ idempotencyKey: 'has/slash' })],
      ['reason', submitBody({ reason: ' ' })],
      ['requestedBy', submitBody({ requestedBy: 'ci:github:acme/ops' })],
      ['notify.callbackUrl', submitBody({ notify: { callbackUrl: 'ftp://127.0.0.1/x' } })],
      ['actor', submitBody({ actor: undefined })],
    ])('answers 400 naming %s and publishes nothing', async (field, body) => {
      // Prepare
      const h = await setup();
      // Act
      const response = await post(h.api, '/commands', body);
      // Assert
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        error: { code: 'INVALID_COMMAND', message: expect.stringContaining(field), field },
      });
      expect(h.commands.published).toEqual([]);
    });

    it('refuses to speak for anyone but a runbook, and refuses approvals from runbooks', async () => {
      // Prepare
      const h = await setup();
      // Act
      const asPerson = await post(h.api, '/commands', submitBody({ actor: 'user:sofia.rossi@acme.ai' }));
      const approval = await post(
        h.api,
        '/commands',
        submitBody({ type: 'approval.grant', args: { operationId: 'exec-1-restore' } }),
      );
      // Assert
      expect(asPerson).toMatchObject({ status: 403, body: { error: { code: 'PERMISSION_DENIED' } } });
      expect(approval).toMatchObject({ status: 403, body: { error: { code: 'PERMISSION_DENIED' } } });
      expect(h.commands.published).toEqual([]);
    });

    it('answers 503 when ops-commands is unavailable, so that the step retries', async () => {
      // Prepare
      const h = await setup();
      const api = createOpsApi({
        ledger: h.ledger,
        commands: {
          publish: async () => {
            await Promise.resolve();
            throw new Error('pubsub unavailable');
          },
        },
        results: h.results,
        clock: h.clock,
        logger: silentLogger,
      });
      // Act
      const response = await post(api, '/commands', submitBody());
      // Assert
      expect(response).toMatchObject({ status: 503, body: { error: { code: 'INTERNAL' } } });
    });
  });

  describe('GET /operations/{id}', () => {
    it('shows the state, summary and approval of an operation, without plan, args or plan hash', async () => {
      // Prepare
      const h = await setup();
      const id = await pendingRestore(h);
      // Act
      const response = await get(h.api, `/operations/${id}`);
      // Assert
      expect(response).toEqual({
        status: 200,
        body: {
          operationId: id,
          type: 'sql.restore',
          status: 'pending_approval',
          actor: RUNBOOK,
          requestedBy: STARTER,
          summary: 'sql.restore on acme-kfp-mysql-7f3a9c1e',
          approval: { reason: expect.stringContaining('A3'), requestedAt: '2026-03-01T10:00:00.000Z' },
        },
      });
    });

    it('answers 404 for an operation the ledger does not know', async () => {
      // Prepare
      const h = await setup();
      // Act
      const response = await get(h.api, '/operations/exec-9-nothing');
      // Assert
      expect(response).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    });

    it('answers 404 for an unknown route and 405 for a wrong method', async () => {
      // Prepare
      const h = await setup();
      // Act
      const unknown = await get(h.api, '/nothing-here');
      const wrongMethod = await get(h.api, '/commands');
      // Assert
      expect(unknown.status).toBe(404);
      expect(wrongMethod).toMatchObject({ status: 405, body: { error: { code: 'METHOD_NOT_ALLOWED' } } });
    });
  });

  describe('POST /operations/{id}:withdraw', () => {
    it('ends a pending operation rejected with APPROVAL_EXPIRED and publishes the outcome once', async () => {
      // Prepare
      const h = await setup();
      const id = await pendingRestore(h);
      // Act
      const first = await post(h.api, `/operations/${id}:withdraw`, {
        actor: RUNBOOK,
        reason: 'no decision within 1 hour',
      });
      const again = await post(h.api, `/operations/${id}:withdraw`, { actor: RUNBOOK, reason: 'retry' });
      // Assert
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({
        operationId: id,
        status: 'rejected',
        error: { code: 'APPROVAL_EXPIRED', message: expect.stringContaining('no decision within 1 hour') },
        approval: { decision: 'withdrawn', approver: RUNBOOK },
      });
      expect(again).toEqual(first);
      expect(h.results.published.map((r) => [r.id, r.status, r.error?.code])).toEqual([
        [id, 'pending_approval', undefined],
        [id, 'rejected', 'APPROVAL_EXPIRED'],
      ]);
      expect((await h.ledger.get(id))?.resultPublished).toBe(true);
      expect(h.applied).toEqual([]);
    });

    it('answers 409 once the operation is no longer waiting, and a later grant cannot revive a withdrawn one', async () => {
      // Prepare: one restore approved, one withdrawn.
      const h = await setup();
      const approved = await pendingRestore(h, 'exec-1-restore-a');
      await h.processor.process(makeDelivery(decision('approval.grant', OTHER_APPROVER, approved)));
      const withdrawn = await pendingRestore(h, 'exec-1-restore-b');
      await post(h.api, `/operations/${withdrawn}:withdraw`, { actor: RUNBOOK, reason: 'timed out' });
      // Act
      const late = await post(h.api, `/operations/${approved}:withdraw`, {
        actor: RUNBOOK,
        reason: 'timed out',
      });
      const lateGrant = await h.processor.process(
        makeDelivery(decision('approval.grant', OTHER_APPROVER, withdrawn)),
      );
      // Assert
      expect(late).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT', status: 'running' } } });
      expect(lateGrant).toMatchObject({ ack: true, status: 'rejected' });
      expect((await h.ledger.get(withdrawn))?.status).toBe('rejected');
    });

    it('refuses a withdrawal by another actor, and answers 404 for an unknown operation', async () => {
      // Prepare
      const h = await setup();
      const id = await pendingRestore(h);
      // Act
      const other = await post(h.api, `/operations/${id}:withdraw`, {
        actor: 'runbook:someone-else',
        reason: 'mine now',
      });
      const unknown = await post(h.api, '/operations/exec-9-nothing:withdraw', {
        actor: RUNBOOK,
        reason: 'timed out',
      });
      const noReason = await post(h.api, `/operations/${id}:withdraw`, { actor: RUNBOOK });
      // Assert
      expect(other).toMatchObject({ status: 403, body: { error: { code: 'PERMISSION_DENIED' } } });
      expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
      expect(noReason).toMatchObject({ status: 400, body: { error: { field: 'reason' } } });
      expect((await h.ledger.get(id))?.status).toBe('pending_approval');
    });
  });

  describe('runbook operations on the command path', () => {
    it('keeps the callback target of a command that does not validate, so its rejection is called back', async () => {
      // Prepare: published straight on ops-commands, past the ops-api's validation.
      const h = await setup();
      const body = submitBody({ args: { instance: 'Not_An_Instance' }, idempotencyKey: 'exec-2-backup' });
      // Act
      const outcome = await h.processor.process(makeDelivery(body));
      // Assert
      expect(outcome).toMatchObject({ ack: true, status: 'rejected' });
      expect(h.results.published.map((r) => [r.id, r.status, r.notify?.callbackUrl, r.requestedBy])).toEqual([
        ['exec-2-backup', 'rejected', CALLBACK, STARTER],
      ]);
    });

    it('refuses the person who started the runbook as approver, and lets another approver grant it', async () => {
      // Prepare: maria started the runbook; she is an approver, but not of her own request.
      const h = await setup();
      const id = await pendingRestore(h);
      // Act
      const byStarter = await h.processor.process(makeDelivery(decision('approval.grant', STARTER, id)));
      const byOther = await h.processor.process(makeDelivery(decision('approval.grant', OTHER_APPROVER, id)));
      const resumed = h.resumer.resumed.map(resumeCommandOf);
      const applied = await h.processor.process(makeDelivery(resumed[0]));
      // Assert
      expect(byStarter).toMatchObject({ ack: true, status: 'rejected' });
      expect(await h.ledger.get(byStarter.operationId)).toMatchObject({
        error: { code: 'PERMISSION_DENIED', message: expect.stringContaining(`through ${RUNBOOK}`) },
      });
      expect(byOther).toMatchObject({ ack: true, status: 'succeeded' });
      expect(applied).toMatchObject({ ack: true, status: 'succeeded', operationId: id });
      expect(h.applied).toEqual(['sql.restore:acme-kfp-mysql-7f3a9c1e']);
      expect(
        h.results.published.filter((r) => r.id === id).map((r) => [r.status, r.notify?.callbackUrl]),
      ).toEqual([
        ['pending_approval', CALLBACK],
        ['succeeded', CALLBACK],
      ]);
    });
  });
});
