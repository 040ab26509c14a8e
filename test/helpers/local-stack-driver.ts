import { randomUUID } from 'node:crypto';
import { type RunningLocalStack, startLocalStack } from '../../local/stack';
import type { CommandEnvelope } from '../../shared/commands';
import { OperationLedger, type OperationRecord, type OperationStatus } from '../../shared/ledger';
import { FirestoreDocumentStore } from '../../shared/store';
import { firestoreForTest, uniqueProjectId } from './emulators';
import { loadFixture } from './factories';

/**
 * The local stack on the test run's emulators, with helpers to publish commands on ops-commands
 * (as any publisher does) and wait on the ledger for their outcome.
 */

type Settled = OperationStatus | 'parked';

interface LocalStackDriver {
  stack: RunningLocalStack;
  ledger: OperationLedger;
  /** Publishes a command; returns its idempotency key (generated unless given). */
  send(
    command: Omit<CommandEnvelope, 'dryRun' | 'args'> & { args: Record<string, unknown>; dryRun?: boolean },
  ): Promise<string>;
  /** Waits until the operation is in one of `statuses` (final statuses by default). */
  until(id: string, statuses?: Settled[], timeoutMs?: number): Promise<OperationRecord>;
  stop(): Promise<void>;
}

const FINAL: Settled[] = ['succeeded', 'failed', 'rejected'];

const startLocalStackDriver = async (
  options: {
    functionEnv?: Record<string, string>;
    pollerTickMs?: number;
    timeScale?: number;
    /** Runbook time × this factor (see LocalStackOptions.workflowTimeScale); default the stack's. */
    workflowTimeScale?: number;
    fixture?: unknown;
  } = {},
): Promise<LocalStackDriver> => {
  const projectId = uniqueProjectId('e2e');
  const firestore = firestoreForTest(projectId);
  const stack = await startLocalStack({
    projectId,
    fixture: options.fixture ?? loadFixture(),
    emulators: {
      firestoreHost: process.env.FIRESTORE_EMULATOR_HOST ?? '',
      pubsubHost: process.env.PUBSUB_EMULATOR_HOST ?? '',
    },
    timeScale: options.timeScale ?? 0,
    ...(options.workflowTimeScale === undefined ? {} : { workflowTimeScale: options.workflowTimeScale }),
    pollerTickMs: options.pollerTickMs ?? 250,
    functionEnv: { LOG_LEVEL: 'ERROR', OPSPLANE_POLL_INTERVAL_MS: '100', ...options.functionEnv },
  });
  const ledger = new OperationLedger(new FirestoreDocumentStore<OperationRecord>(firestore, 'operations'));
  return {
    stack,
    ledger,
    async send(command) {
      const idempotencyKey = command.idempotencyKey ?? `e2e-${randomUUID()}`;
      await stack.pubsub
        .topic('ops-commands')
        .publishMessage({ json: { dryRun: false, ...command, idempotencyKey } });
      return idempotencyKey;
    },
    async until(id, statuses = FINAL, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const record = await ledger.get(id);
        if (record) {
          const settled: Settled = record.status === 'running' && record.waiting ? 'parked' : record.status;
          if (statuses.includes(settled)) return record;
          if (FINAL.includes(record.status) && !statuses.includes(record.status)) {
            throw new Error(
              `operation ${id} ended ${record.status}: ${JSON.stringify(record.error ?? record.result)}`,
            );
          }
        }
        if (Date.now() > deadline) {
          throw new Error(
            `timed out waiting for operation ${id} to be ${statuses.join('/')}: ${JSON.stringify(record)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    },
    async stop() {
      await stack.stop();
      await firestore.terminate();
    },
  };
};

export type { LocalStackDriver };
export { startLocalStackDriver };
