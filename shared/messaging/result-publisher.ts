import type { PubSub } from '@google-cloud/pubsub';
import type { OperationRecord } from '../ledger';

/**
 * The message published on ops-results for every outcome (and read by the notify function, CI, the
 * CLI). It carries the command's `notify` target, so the notify function needs no ledger read.
 */
interface OperationResultMessage {
  operationId: string;
  type: string;
  status: OperationRecord['status'];
  actor: string;
  requestedBy?: string;
  reason: string;
  dryRun: boolean;
  attempts: number;
  plan?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: OperationRecord['error'];
  approval?: OperationRecord['approval'];
  notify?: OperationRecord['notify'];
  googleOperations: string[];
  createdAt: string;
  finishedAt?: string;
}

interface ResultPublisher {
  publish(record: OperationRecord): Promise<void>;
}

const resultMessageOf = (record: OperationRecord): OperationResultMessage => ({
  operationId: record.id,
  type: record.type,
  status: record.status,
  actor: record.actor,
  ...(record.requestedBy ? { requestedBy: record.requestedBy } : {}),
  reason: record.reason,
  dryRun: record.dryRun,
  attempts: record.attempts,
  ...(record.plan ? { plan: record.plan } : {}),
  ...(record.result ? { result: record.result } : {}),
  ...(record.error ? { error: record.error } : {}),
  ...(record.approval ? { approval: record.approval } : {}),
  ...(record.notify ? { notify: record.notify } : {}),
  googleOperations: record.googleOperations.map((op) => op.name),
  createdAt: record.createdAt,
  ...(record.finishedAt ? { finishedAt: record.finishedAt } : {}),
});

/** Publishes results on a Pub/Sub topic; attributes let subscribers filter without parsing. */
const createPubsubResultPublisher = (pubsub: () => PubSub, topic: string): ResultPublisher => ({
  async publish(record) {
    await pubsub()
      .topic(topic)
      .publishMessage({
        json: resultMessageOf(record),
        attributes: {
          operationId: record.id,
          type: record.type,
          status: record.status,
          // Lets a subscription filter on the messages that have someone to notify.
          ...(record.notify ? { notify: 'callback' } : {}),
        },
      });
  },
});

export type { OperationResultMessage, ResultPublisher };
export { createPubsubResultPublisher, resultMessageOf };
