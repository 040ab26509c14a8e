import { randomUUID } from 'node:crypto';
import type { CommandEnvelope } from '../../shared/commands';
import { type Lease, LeaseManager, OperationLedger, type OperationRecord } from '../../shared/ledger';
import { silentLogger } from '../../shared/logging';
import type { ResultPublisher } from '../../shared/messaging';
import { OPERATIONS, type OperationRegistry, type PlatformApis } from '../../shared/operations';
import {
  type CommandProcessorSettings,
  createCommandProcessor,
  type OperationResumer,
} from '../../shared/runtime';
import { MemoryDocumentStore } from '../../shared/store';
import { ManualClock } from '../../shared/time';
import { FakeGke } from './fake-gke';
import { desiredStateForTest } from './operation-runner';

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

/** A resumer that keeps the operations it was asked to resume, and can be told to fail. */
class CapturingResumer implements OperationResumer {
  readonly resumed: OperationRecord[] = [];
  failNext = 0;

  async resume(record: OperationRecord): Promise<void> {
    await Promise.resolve();
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('pubsub unavailable');
    }
    this.resumed.push(structuredClone(record));
  }
}

/**
 * Keeps the commands operations submit (reconcile's fixes) instead of publishing them (a test
 * delivers them to the processor itself), and can be told to "die" right after a publish.
 */
class CapturingSubmitter {
  readonly submitted: CommandEnvelope[] = [];
  /** Publishes, then throws as if the process died before the caller heard back. */
  failAfterPublishNext = 0;

  readonly submit = async (command: CommandEnvelope): Promise<string> => {
    await Promise.resolve();
    const submitted = { ...command, idempotencyKey: command.idempotencyKey ?? randomUUID() };
    this.submitted.push(structuredClone(submitted));
    if (this.failAfterPublishNext > 0) {
      this.failAfterPublishNext -= 1;
      throw new Error('the process died right after publishing');
    }
    return submitted.idempotencyKey;
  };
}

/**
 * An API this harness does not provide: any call fails the test loudly, so a test that reaches a
 * service it did not pass in finds out at once.
 */
const unavailableApi = <T extends object>(name: string): T =>
  new Proxy({} as T, {
    get: (_target, property) => () => {
      throw new Error(`the processor harness has no ${name} API (called ${String(property)}); pass one in`);
    },
  });

const DEFAULT_SETTINGS: CommandProcessorSettings = {
  claimTtlMs: 60_000,
  leaseTtlMs: 60_000,
  maxAttempts: 5,
  polling: { intervalMs: 1000, deadlineMs: 10_000 },
  parkedPollMs: 30_000,
};

/**
 * The command processor over in-memory stores, a fake GKE and a manual clock, seeded with the
 * fixture (platform and users). Other platform APIs (e.g. adapters pointed at a simulator) are
 * passed in `apis`.
 */
const makeProcessorHarness = async (
  settings: Partial<CommandProcessorSettings> = {},
  options: {
    apis?: Partial<PlatformApis>;
    clock?: ManualClock;
    operations?: Partial<OperationRegistry>;
  } = {},
) => {
  const ledger = new OperationLedger(new MemoryDocumentStore<OperationRecord>());
  const leases = new LeaseManager(new MemoryDocumentStore<Lease>());
  const clock = options.clock ?? new ManualClock('2026-03-01T10:00:00Z');
  const { desiredState } = await desiredStateForTest(clock.now());
  const gke = new FakeGke();
  const results = new CapturingPublisher();
  const resumer = new CapturingResumer();
  const submitter = new CapturingSubmitter();
  const apis: PlatformApis = {
    gke,
    sql: unavailableApi('sql'),
    filestore: unavailableApi('filestore'),
    iam: unavailableApi('iam'),
    secrets: unavailableApi('secrets'),
    kubeflow: unavailableApi('kubeflow'),
    ...options.apis,
  };
  const processor = createCommandProcessor({
    ledger,
    leases,
    desiredState,
    operations: { ...OPERATIONS, ...options.operations },
    apis,
    results,
    resumer,
    submit: submitter.submit,
    clock,
    logger: silentLogger,
    settings: { ...DEFAULT_SETTINGS, ...settings },
  });
  return { processor, ledger, leases, desiredState, gke, apis, results, resumer, submitter, clock };
};

export { CapturingPublisher, CapturingResumer, CapturingSubmitter, makeProcessorHarness };
