import { randomUUID } from 'node:crypto';
import { type Command, idempotencyKeyOf, parseCommand } from '../commands';
import type { DesiredStateStore } from '../desired-state';
import {
  type ControlPlaneError,
  InvalidCommandError,
  LeaseHeldError,
  OperationFailedError,
  toControlPlaneError,
} from '../errors';
import type { GkeApi, PollSettings } from '../gcp';
import type { LeaseManager, OperationLedger, OperationRecord, OperationStatus } from '../ledger';
import type { Logger } from '../logging';
import { jsonFromDelivery, type PubsubDelivery, type ResultPublisher } from '../messaging';
import { type BasePlan, type OperationDeps, type OperationRegistry, renderPlan } from '../operations';
import type { Clock } from '../time';
import { dispositionOf, finalStatusOf } from './disposition';

interface CommandProcessorSettings {
  /** How long a delivery's claim on an operation lasts; longer than one invocation can run. */
  claimTtlMs: number;
  /** How long a resource lease lasts; a crashed holder blocks the resource at most this long. */
  leaseTtlMs: number;
  /** Attempts (deliveries that started work) before a retryable failure is recorded as failed. */
  maxAttempts: number;
  polling: PollSettings;
}

/** Narrow dependencies; tests pass emulator-backed or in-memory ones. */
interface CommandProcessorDeps {
  ledger: OperationLedger;
  leases: LeaseManager;
  desiredState: DesiredStateStore;
  operations: OperationRegistry;
  gke: GkeApi;
  results: ResultPublisher;
  clock: Clock;
  logger: Logger;
  settings: CommandProcessorSettings;
}

type DeliveryOutcome =
  | { ack: true; operationId: string; status: OperationStatus; duplicate: boolean }
  | { ack: false; operationId: string; error: ControlPlaneError };

interface CommandProcessor {
  process(delivery: PubsubDelivery): Promise<DeliveryOutcome>;
}

/**
 * The one command path: parse + validate → claim in the ledger (idempotency) → lease the resource
 * → plan (pure) → apply → verify → record → publish the outcome. Chat, CI, the CLI, schedules and
 * runbook steps all end here.
 */
const createCommandProcessor = (deps: CommandProcessorDeps): CommandProcessor => {
  const { ledger, leases, clock, settings } = deps;

  /**
   * Reports a finished operation on ops-results, once. A failed publish fails the delivery: the
   * redelivery finds the operation finished with `resultPublished` still false and publishes again.
   */
  const reportFinished = async (record: OperationRecord, duplicate: boolean): Promise<DeliveryOutcome> => {
    if (!record.resultPublished) {
      try {
        await deps.results.publish(record);
        await ledger.markResultPublished(record.id, clock.now());
      } catch (thrown) {
        const error = toControlPlaneError(thrown);
        deps.logger.warn('could not publish the outcome; the delivery will be retried', {
          operationId: record.id,
          error: error.toRecord(),
        });
        return { ack: false, operationId: record.id, error };
      }
    }
    return { ack: true, operationId: record.id, status: record.status, duplicate };
  };

  const rejectInvalid = async (delivery: PubsubDelivery, raw: unknown, error: InvalidCommandError) => {
    const body = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
    const text = (key: string, fallback: string) =>
      typeof body[key] === 'string' ? (body[key] as string) : fallback;
    const record = await ledger.reject({
      id: idempotencyKeyOf(raw) ?? delivery.messageId,
      messageId: delivery.messageId,
      type: text('type', 'unknown'),
      args: body.args !== null && typeof body.args === 'object' ? (body.args as Record<string, unknown>) : {},
      actor: text('actor', 'unknown'),
      reason: text('reason', ''),
      dryRun: body.dryRun === true,
      error: error.toRecord(),
      now: clock.now(),
    });
    deps.logger.warn('command rejected: invalid', {
      operationId: record.id,
      messageId: delivery.messageId,
      error: error.toRecord(),
    });
    return reportFinished(record, false);
  };

  const run = async (
    command: Command,
    started: OperationRecord,
    holder: string,
  ): Promise<DeliveryOutcome> => {
    const logger = deps.logger.child({ operationId: started.id, type: command.type });
    let record = started;
    let leased: string | undefined;
    try {
      if (record.attempts > settings.maxAttempts) {
        // Earlier attempts died without recording an outcome (crashes, timeouts): stop here.
        throw new OperationFailedError(
          record.id,
          `gave up after ${record.attempts - 1} attempts${record.lastError ? `; last error: ${record.lastError.message}` : ''}`,
        );
      }
      const platform = await deps.desiredState.getPlatform();
      // The registry is keyed by type, so the module and the args always belong together.
      const operation = deps.operations[command.type] as unknown as OperationRegistryEntry;
      const resource = operation.resource(command.args, platform);
      if (!command.dryRun) {
        const lease = await leases.acquire(resource, record.id, settings.leaseTtlMs, clock.now());
        if (!lease.acquired) throw new LeaseHeldError(resource, lease.heldBy.holder);
        leased = resource;
      }
      // A resumed operation keeps the plan it announced; apply is idempotent against it.
      let plan = record.plan as BasePlan | undefined;
      if (!plan) {
        const observed = await operation.observe(command.args, platform, { gke: deps.gke });
        plan = operation.plan(platform, observed, command.args);
        record = await ledger.recordPlan(
          record.id,
          holder,
          plan as unknown as Record<string, unknown>,
          resource,
          clock.now(),
        );
        logger.info('planned', { plan: renderPlan(plan) });
      }
      let result: Record<string, unknown>;
      if (command.dryRun) {
        result = { dryRun: true, diff: renderPlan(plan) };
      } else {
        const operationDeps: OperationDeps = {
          gke: deps.gke,
          desiredState: deps.desiredState,
          clock,
          logger,
          polling: settings.polling,
          progress: {
            googleOperation: (step) => record.googleOperations.find((op) => op.step === step),
            recordGoogleOperation: async (ref) => {
              record = await ledger.recordGoogleOperation(
                record.id,
                holder,
                { ...ref, startedAt: clock.now().toISOString() },
                clock.now(),
              );
            },
          },
        };
        await operation.apply(plan, operationDeps);
        result = await operation.verify(plan, operationDeps);
      }
      record = await ledger.finish(record.id, holder, { status: 'succeeded', result }, clock.now());
      logger.info('operation succeeded', { result });
    } catch (thrown) {
      const error = toControlPlaneError(thrown);
      if (dispositionOf(error, record.attempts, settings.maxAttempts) === 'retry') {
        // The lease stays with the operation (its holder is the operation id): the redelivery takes
        // it back, and nothing else slips in between a started Google operation and its completion.
        logger.warn('retryable failure; the delivery will be retried', {
          error: error.toRecord(),
          attempts: record.attempts,
        });
        await ledger
          .release(record.id, holder, error.toRecord(), clock.now())
          .catch((releaseError: unknown) => {
            logger.warn('could not release the claim', {
              error: toControlPlaneError(releaseError).toRecord(),
            });
          });
        return { ack: false, operationId: record.id, error };
      }
      const giveUp = error.retryable
        ? new OperationFailedError(record.id, `gave up after ${record.attempts} attempts: ${error.message}`)
        : error;
      const status = error.retryable ? 'failed' : finalStatusOf(error);
      record = await ledger.finish(
        record.id,
        holder,
        { status, error: { ...giveUp.toRecord(), code: error.code } },
        clock.now(),
      );
      logger.error(`operation ${status}`, { error: record.error });
    }
    // Finished and recorded. What follows only reports it; a failure here is retried, and the
    // redelivery finds the operation finished and publishes again (resultPublished is still false).
    const resource = leased ?? record.resource;
    if (resource) await leases.release(resource, record.id);
    return reportFinished(record, false);
  };

  return {
    async process(delivery) {
      // Unique per delivery attempt: a redelivery of the same message must not pass for the holder
      // of a claim that an earlier, crashed attempt took.
      const holder = `${delivery.messageId}/${randomUUID()}`;
      let raw: unknown;
      let command: Command;
      try {
        raw = jsonFromDelivery(delivery);
        command = parseCommand(raw);
      } catch (thrown) {
        if (thrown instanceof InvalidCommandError) return rejectInvalid(delivery, raw, thrown);
        throw thrown;
      }
      const begun = await ledger.begin({
        id: command.idempotencyKey ?? delivery.messageId,
        messageId: delivery.messageId,
        type: command.type,
        args: command.args as Record<string, unknown>,
        actor: command.actor,
        reason: command.reason,
        dryRun: command.dryRun,
        holder,
        now: clock.now(),
        claimTtlMs: settings.claimTtlMs,
      });
      const { record } = begun;
      switch (begun.kind) {
        case 'finished':
          deps.logger.info('duplicate delivery of a finished operation; nothing to do', {
            operationId: record.id,
          });
          return reportFinished(record, true);
        case 'in_progress':
        case 'pending_approval':
          deps.logger.info(
            `duplicate delivery of an operation that is ${record.status}; not starting it again`,
            {
              operationId: record.id,
            },
          );
          return { ack: true, operationId: record.id, status: record.status, duplicate: true };
        case 'started':
        case 'resumed':
          return run(command, record, holder);
      }
    },
  };
};

/** An operation module with its type parameters erased, as the processor drives it. */
type OperationRegistryEntry = {
  resource(args: unknown, platform: unknown): string;
  observe(args: unknown, platform: unknown, deps: { gke: GkeApi }): Promise<unknown>;
  plan(platform: unknown, observed: unknown, args: unknown): BasePlan;
  apply(plan: BasePlan, deps: OperationDeps): Promise<void>;
  verify(plan: BasePlan, deps: OperationDeps): Promise<Record<string, unknown>>;
};

export type { CommandProcessor, CommandProcessorDeps, CommandProcessorSettings, DeliveryOutcome };
export { createCommandProcessor };
