import type { PubSub } from '@google-cloud/pubsub';
import type { CommandEnvelope } from '../commands';
import type { OperationRecord } from '../ledger';
import type { OperationResumer } from './command-processor';

/**
 * The command that carries an operation on: the one it was asked with, under its own id as the
 * idempotency key, so the delivery lands on the same ledger record and resumes it.
 */
const resumeCommandOf = (record: OperationRecord): CommandEnvelope => ({
  type: record.type,
  args: record.args,
  actor: record.actor,
  reason: record.reason,
  dryRun: record.dryRun,
  idempotencyKey: record.id,
});

/** Resumes operations by republishing their command on ops-commands. */
const createPubsubResumer = (pubsub: () => PubSub, topic: string): OperationResumer => ({
  async resume(record) {
    await pubsub()
      .topic(topic)
      .publishMessage({
        json: resumeCommandOf(record),
        attributes: { type: record.type, source: 'opsplane-resume', operationId: record.id },
      });
  },
});

export { createPubsubResumer, resumeCommandOf };
