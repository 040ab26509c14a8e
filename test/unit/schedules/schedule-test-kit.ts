import type { OperationCommandType } from '../../../shared/commands';
import type { PubsubDelivery } from '../../../shared/messaging';
import type { BasePlan, OperationModule, OperationRegistry } from '../../../shared/operations';
import type { CommandProcessor } from '../../../shared/runtime';
import { type ScheduleMessage, ScheduleRunLog, type ScheduleRunsRecord } from '../../../shared/schedules';
import { MemoryDocumentStore } from '../../../shared/store';

/** Test doubles the schedule tests share: a capturing publisher, fake executions, stub operations. */

/** Keeps every message; optionally hands each to a command processor as Pub/Sub would. */
class CapturingSchedulePublisher {
  readonly messages: ScheduleMessage[] = [];
  failNext = 0;
  #sequence = 0;

  constructor(private readonly processor?: CommandProcessor) {}

  readonly publish = async (message: ScheduleMessage): Promise<string> => {
    await Promise.resolve();
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('pubsub unavailable');
    }
    this.#sequence += 1;
    const messageId = `msg-${this.#sequence}`;
    this.messages.push(structuredClone(message));
    if (this.processor) await this.processor.process(deliveryOf(message, messageId));
    return messageId;
  };
}

/** A Pub/Sub delivery of a published message. */
const deliveryOf = (message: ScheduleMessage, messageId: string): PubsubDelivery => ({
  messageId,
  data: Buffer.from(JSON.stringify(message.json), 'utf8'),
  attributes: message.attributes,
});

/** Workflow executions started by the scheduler; each is active until `finish`ed. */
class FakeExecutions {
  readonly started: Array<{ name: string; workflow: string; argument: Record<string, unknown>; at: Date }> =
    [];
  readonly #active = new Set<string>();

  constructor(private readonly now: () => Date) {}

  readonly startExecution = async (workflow: string, argument: Record<string, unknown>) => {
    await Promise.resolve();
    const name = `projects/acme-ops/locations/us-central1/workflows/${workflow}/executions/e${this.started.length + 1}`;
    this.started.push({ name, workflow, argument, at: this.now() });
    this.#active.add(name);
    return { name };
  };

  readonly executionActive = async (name: string): Promise<boolean> => {
    await Promise.resolve();
    return this.#active.has(name);
  };

  finish(name: string): void {
    this.#active.delete(name);
  }

  finishAll(): void {
    this.#active.clear();
  }
}

/** An operation that succeeds at once and counts its applies per operation id. */
const countingOperation = <T extends OperationCommandType>(
  type: T,
  applied: string[],
): OperationModule<T, unknown, BasePlan> => ({
  type,
  resource: (args) => `${type}/${JSON.stringify(args)}`,
  observe: async () => ({}),
  plan: () => ({ summary: `stub ${type}`, changes: [], warnings: [], noop: false }),
  apply: async (_plan, deps) => {
    await Promise.resolve();
    applied.push(deps.operationId);
  },
  verify: async () => ({ stub: true }),
});

/** Stub modules for every command the schedules send, all counting into `applied`. */
const maintenanceStubs = (applied: string[]): Partial<OperationRegistry> => ({
  'sql.backup': countingOperation('sql.backup', applied),
  'sql.backups.prune': countingOperation('sql.backups.prune', applied),
  'filestore.backup': countingOperation('filestore.backup', applied),
  'filestore.backups.prune': countingOperation('filestore.backups.prune', applied),
  'keys.check': countingOperation('keys.check', applied),
  'drift.report': countingOperation('drift.report', applied),
  'reconcile.run': countingOperation('reconcile.run', applied),
});

/** A run log in memory. */
const memoryRunLog = (historyLimit?: number): ScheduleRunLog =>
  new ScheduleRunLog(new MemoryDocumentStore<ScheduleRunsRecord>(), historyLimit);

export {
  CapturingSchedulePublisher,
  countingOperation,
  deliveryOf,
  FakeExecutions,
  maintenanceStubs,
  memoryRunLog,
};
