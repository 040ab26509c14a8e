import { StateConflictError } from '../../../shared/errors';
import { type BeginInput, OperationLedger, type OperationRecord } from '../../../shared/ledger';
import { MemoryDocumentStore } from '../../../shared/store';

const T0 = new Date('2026-03-01T10:00:00Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

const beginInput = (overrides: Partial<BeginInput> = {}): BeginInput => ({
  id: 'op-1',
  messageId: 'm-1',
  type: 'gpu.scale',
  args: { nodes: 2 },
  actor: 'user:maria.chen@acme.ai',
  reason: 'test',
  dryRun: false,
  holder: 'h-1',
  now: T0,
  claimTtlMs: 60_000,
  ...overrides,
});

describe('OperationLedger', () => {
  const makeLedger = () => new OperationLedger(new MemoryDocumentStore<OperationRecord>());

  describe('begin', () => {
    it('starts a new operation as running with one attempt and a claim', async () => {
      const outcome = await makeLedger().begin(beginInput());
      expect(outcome.kind).toBe('started');
      expect(outcome.record).toMatchObject({
        status: 'running',
        attempts: 1,
        claim: { holder: 'h-1' },
        messageIds: ['m-1'],
      });
    });

    it('reports a live claim held by another delivery as in progress', async () => {
      // Prepare
      const ledger = makeLedger();
      await ledger.begin(beginInput());
      // Act
      const outcome = await ledger.begin(beginInput({ holder: 'h-2', messageId: 'm-2', now: later(1000) }));
      // Assess
      expect(outcome.kind).toBe('in_progress');
      expect((await ledger.get('op-1'))?.attempts).toBe(1);
    });

    it('lets exactly one of two racing deliveries start the operation', async () => {
      const ledger = makeLedger();
      const outcomes = await Promise.all([
        ledger.begin(beginInput({ holder: 'h-1' })),
        ledger.begin(beginInput({ holder: 'h-2' })),
      ]);
      expect(outcomes.map((o) => o.kind).sort()).toEqual(['in_progress', 'started']);
    });

    it('takes over an expired claim and counts the attempt', async () => {
      // Prepare
      const ledger = makeLedger();
      await ledger.begin(beginInput());
      // Act
      const outcome = await ledger.begin(beginInput({ holder: 'h-2', messageId: 'm-2', now: later(61_000) }));
      // Assess
      expect(outcome.kind).toBe('resumed');
      expect(outcome.record).toMatchObject({
        attempts: 2,
        claim: { holder: 'h-2' },
        messageIds: ['m-1', 'm-2'],
      });
    });

    it('resumes at once after a release', async () => {
      // Prepare
      const ledger = makeLedger();
      await ledger.begin(beginInput());
      await ledger.release(
        'op-1',
        'h-1',
        { code: 'RESOURCE_BUSY', message: 'busy', retryable: true },
        later(10),
      );
      // Act
      const outcome = await ledger.begin(beginInput({ holder: 'h-2', now: later(20) }));
      // Assess
      expect(outcome.kind).toBe('resumed');
      expect(outcome.record.lastError?.code).toBe('RESOURCE_BUSY');
    });

    it('reports a finished operation as finished and changes nothing', async () => {
      // Prepare
      const ledger = makeLedger();
      await ledger.begin(beginInput());
      const finished = await ledger.finish(
        'op-1',
        'h-1',
        { status: 'succeeded', result: { ok: true } },
        later(5),
      );
      // Act
      const outcome = await ledger.begin(beginInput({ holder: 'h-2', now: later(10) }));
      // Assess
      expect(outcome.kind).toBe('finished');
      expect(await ledger.get('op-1')).toEqual(finished);
      expect(finished.claim).toBeUndefined();
    });
  });

  describe('update', () => {
    it('refuses a holder whose claim was taken over', async () => {
      // Prepare
      const ledger = makeLedger();
      await ledger.begin(beginInput());
      await ledger.begin(beginInput({ holder: 'h-2', now: later(61_000) }));
      // Act
      const stale = ledger.recordPlan('op-1', 'h-1', { summary: 'x' }, 'res', later(62_000));
      // Assess
      await expect(stale).rejects.toBeInstanceOf(StateConflictError);
    });

    it('records Google operations by step, replacing a step recorded before', async () => {
      const ledger = makeLedger();
      await ledger.begin(beginInput());
      const ref = { step: 'setSize', name: 'op-a', pollPath: 'p/a', startedAt: T0.toISOString() };
      await ledger.recordGoogleOperation('op-1', 'h-1', ref, T0);
      const record = await ledger.recordGoogleOperation('op-1', 'h-1', { ...ref, name: 'op-b' }, T0);
      expect(record.googleOperations.map((op) => op.name)).toEqual(['op-b']);
    });
  });

  describe('reject', () => {
    it('records a rejection once and keeps the first', async () => {
      const ledger = makeLedger();
      const error = {
        code: 'INVALID_COMMAND' as const,
        message: 'args.nodes: bad',
        retryable: false,
        field: 'args.nodes',
      };
      const base = {
        id: 'bad-1',
        messageId: 'm',
        type: 'gpu.scale',
        args: {},
        actor: 'x',
        reason: '',
        dryRun: false,
        now: T0,
      };
      const first = await ledger.reject({ ...base, error });
      const second = await ledger.reject({ ...base, error: { ...error, message: 'other' }, now: later(1) });
      expect(first.status).toBe('rejected');
      expect(second).toEqual(first);
    });
  });

  describe('list', () => {
    it('lists newest first, filtered by status', async () => {
      const ledger = makeLedger();
      await ledger.begin(beginInput({ id: 'a', now: later(1) }));
      await ledger.begin(beginInput({ id: 'b', now: later(2) }));
      await ledger.finish('b', 'h-1', { status: 'failed' }, later(3));
      expect((await ledger.list()).map((r) => r.id)).toEqual(['b', 'a']);
      expect((await ledger.list({ status: 'running' })).map((r) => r.id)).toEqual(['a']);
    });
  });
});
