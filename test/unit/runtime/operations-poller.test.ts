import { OperationLedger, type OperationRecord } from '../../../shared/ledger';
import { silentLogger } from '../../../shared/logging';
import { createOperationsPoller } from '../../../shared/runtime';
import { MemoryDocumentStore } from '../../../shared/store';
import { ManualClock } from '../../../shared/time';
import { CapturingResumer } from '../../helpers/processor-harness';

const request = (id: string) => ({
  id,
  messageId: `msg-${id}`,
  type: 'sql.backup',
  args: { instance: 'acme-kfp-mysql-7f3a9c1e' },
  actor: 'user:dev.patel@acme.ai',
  reason: 'nightly',
  dryRun: false,
});

/** A running operation parked until `resumeAt`. */
const park = async (ledger: OperationLedger, clock: ManualClock, id: string, resumeAt: string) => {
  await ledger.begin({ ...request(id), holder: `h-${id}`, now: clock.now(), claimTtlMs: 60_000 });
  await ledger.park(
    id,
    `h-${id}`,
    { reason: 'backup still running', since: clock.now().toISOString(), resumeAt },
    clock.now(),
  );
};

describe('operations poller', () => {
  it('resumes the parked operations that are due, and only those', async () => {
    // Prepare
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    const ledger = new OperationLedger(new MemoryDocumentStore<OperationRecord>());
    const resumer = new CapturingResumer();
    await park(ledger, clock, 'due', '2026-03-01T10:00:30Z');
    await park(ledger, clock, 'later', '2026-03-01T11:00:00Z');
    await ledger.begin({ ...request('busy'), holder: 'h-busy', now: clock.now(), claimTtlMs: 60_000 });
    const poller = createOperationsPoller({ ledger, resumer, clock, logger: silentLogger });
    // Act
    const early = await poller.tick();
    clock.advance(60_000);
    const due = await poller.tick();
    // Assert
    expect(early.resumed).toEqual([]);
    expect(due).toEqual({ resumed: ['due'], failed: [] });
    expect(resumer.resumed.map((record) => record.id)).toEqual(['due']);
  });

  it('resumes a running operation abandoned for 30 minutes (its message gone), not one still in play', async () => {
    // Prepare: 'lost' began and then nothing (its message dead-lettered); 'retrying' was delivered
    // again 20 minutes later; 'claimed' is being worked on under a long claim.
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    const ledger = new OperationLedger(new MemoryDocumentStore<OperationRecord>());
    const resumer = new CapturingResumer();
    await ledger.begin({ ...request('lost'), holder: 'h-lost', now: clock.now(), claimTtlMs: 60_000 });
    await ledger.begin({ ...request('retrying'), holder: 'h-1', now: clock.now(), claimTtlMs: 60_000 });
    await ledger.begin({ ...request('claimed'), holder: 'h-c', now: clock.now(), claimTtlMs: 3_600_000 });
    const poller = createOperationsPoller({ ledger, resumer, clock, logger: silentLogger });
    // Act
    clock.advance(20 * 60_000);
    await ledger.begin({ ...request('retrying'), holder: 'h-2', now: clock.now(), claimTtlMs: 60_000 });
    const atTwenty = await poller.tick();
    clock.advance(11 * 60_000);
    const atThirtyOne = await poller.tick();
    // Assert
    expect(atTwenty.resumed).toEqual([]);
    expect(atThirtyOne).toEqual({ resumed: ['lost'], failed: [] });
  });

  it('reports an operation it could not resume and tries it again on the next tick', async () => {
    // Prepare
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    const ledger = new OperationLedger(new MemoryDocumentStore<OperationRecord>());
    const resumer = new CapturingResumer();
    resumer.failNext = 1;
    await park(ledger, clock, 'due', '2026-03-01T10:00:00Z');
    const poller = createOperationsPoller({ ledger, resumer, clock, logger: silentLogger });
    // Act
    const first = await poller.tick();
    const second = await poller.tick();
    // Assert
    expect(first).toEqual({ resumed: [], failed: ['due'] });
    expect(second).toEqual({ resumed: ['due'], failed: [] });
  });

  it('does not count a resume from parking as another attempt', async () => {
    // Prepare
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    const ledger = new OperationLedger(new MemoryDocumentStore<OperationRecord>());
    await park(ledger, clock, 'op', '2026-03-01T10:00:00Z');
    // Act
    const resumed = await ledger.begin({
      ...request('op'),
      holder: 'h-2',
      now: clock.now(),
      claimTtlMs: 60_000,
    });
    // Assert
    expect(resumed.kind).toBe('resumed');
    expect(resumed.record.attempts).toBe(1);
    expect(resumed.record.waiting).toBeUndefined();
  });
});
