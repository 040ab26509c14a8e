import { DesiredStateStore, desiredStateFromFixture, type PlatformState } from '../../shared/desired-state';
import { type Lease, LeaseManager, OperationLedger, type OperationRecord } from '../../shared/ledger';
import { silentLogger } from '../../shared/logging';
import type { ResultPublisher } from '../../shared/messaging';
import { OPERATIONS } from '../../shared/operations';
import { type CommandProcessorSettings, createCommandProcessor } from '../../shared/runtime';
import { MemoryDocumentStore } from '../../shared/store';
import { ManualClock } from '../../shared/time';
import { loadFixture } from './factories';
import { FakeGke } from './fake-gke';

/** A publisher that keeps what it publishes, and can be told to fail. */
class CapturingPublisher implements ResultPublisher {
  readonly published: OperationRecord[] = [];
  failNext = 0;

  async publish(record: OperationRecord): Promise<void> {
    await Promise.resolve();
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('pubsub unavailable');
    }
    this.published.push(structuredClone(record));
  }
}

const DEFAULT_SETTINGS: CommandProcessorSettings = {
  claimTtlMs: 60_000,
  leaseTtlMs: 60_000,
  maxAttempts: 5,
  polling: { intervalMs: 1000, deadlineMs: 10_000 },
};

/** The command processor over in-memory stores, a fake GKE and a manual clock, seeded with the fixture. */
const makeProcessorHarness = async (settings: Partial<CommandProcessorSettings> = {}) => {
  const ledger = new OperationLedger(new MemoryDocumentStore<OperationRecord>());
  const leases = new LeaseManager(new MemoryDocumentStore<Lease>());
  const desiredState = new DesiredStateStore(new MemoryDocumentStore<PlatformState>());
  await desiredState.putPlatform(desiredStateFromFixture(loadFixture()));
  const gke = new FakeGke();
  const results = new CapturingPublisher();
  const clock = new ManualClock('2026-03-01T10:00:00Z');
  const processor = createCommandProcessor({
    ledger,
    leases,
    desiredState,
    operations: OPERATIONS,
    gke,
    results,
    clock,
    logger: silentLogger,
    settings: { ...DEFAULT_SETTINGS, ...settings },
  });
  return { processor, ledger, leases, desiredState, gke, results, clock };
};

export { CapturingPublisher, makeProcessorHarness };
