import { randomUUID } from 'node:crypto';
import {
  type ApprovalCommandType,
  COMMAND_CATALOG,
  type Command,
  type CommandDelegation,
  idempotencyKeyOf,
  isApprovalCommandType,
  NotifySchema,
  type OperationCommandType,
  parseCommand,
  RequestedBySchema,
} from '../commands';
import type { DesiredStateStore, PlatformState } from '../desired-state';
import {
  ApprovalRefusedError,
  type ControlPlaneError,
  InvalidCommandError,
  LeaseHeldError,
  OperationFailedError,
  OperationPendingError,
  PermissionDeniedError,
  ScheduleOverlapError,
  toControlPlaneError,
} from '../errors';
import type { PollSettings } from '../gcp';
import type { LeaseManager, OperationLedger, OperationRecord, OperationStatus } from '../ledger';
import type { Logger } from '../logging';
import { jsonFromDelivery, type PubsubDelivery, type ResultPublisher } from '../messaging';
import {
  type BasePlan,
  type CommandSubmit,
  type ObserveDeps,
  type OperationDeps,
  type OperationRegistry,
  type PlatformApis,
  renderPlan,
} from '../operations';
import { scheduledRunKeyOf } from '../schedules/scheduled-run-key';
import type { Clock } from '../time';
import { grantsFor, isApprover, requirePermission } from './authorization';
import { dispositionOf, finalStatusOf } from './disposition';
import { canonicalJson, planHash } from './plan-hash';

interface CommandProcessorSettings {
  /** How long a delivery's claim on an operation lasts; longer than one invocation can run. */
  claimTtlMs: number;
  /** How long a resource lease lasts; a crashed holder blocks the resource at most this long. */
  leaseTtlMs: number;
  /** Attempts (deliveries that started work) before a retryable failure is recorded as failed. */
  maxAttempts: number;
  polling: PollSettings;
  /** When a parked Google operation is looked at again (the poller's tick is the finer grain). */
  parkedPollMs: number;
}

/**
 * Puts an operation back on the command path: republishes its command (same idempotency key) so
 * that a delivery resumes it. Used when an approval is granted and by the operations poller.
 */
interface OperationResumer {
  resume(record: OperationRecord): Promise<void>;
}

/** Narrow dependencies; tests pass emulator-backed or in-memory ones. */
interface CommandProcessorDeps {
  ledger: OperationLedger;
  leases: LeaseManager;
  desiredState: DesiredStateStore;
  operations: OperationRegistry;
  apis: PlatformApis;
  results: ResultPublisher;
  resumer: OperationResumer;
  /** Publishes commands an operation submits (reconcile's fixes); absent, such operations fail saying so. */
  submit?: CommandSubmit;
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
      id:
        idempotencyKeyOf(raw) ??
        scheduledRunKeyOf(delivery.attributes, delivery.publishTime, text('actor', '')) ??
        delivery.messageId,
      messageId: delivery.messageId,
      type: text('type', 'unknown'),
      args: body.args !== null && typeof body.args === 'object' ? (body.args as Record<string, unknown>) : {},
      actor: text('actor', 'unknown'),
      // Whoever waits on a callback hears about the rejection too, when the target itself is valid.
      requestedBy: RequestedBySchema.safeParse(body.requestedBy).data,
      notify: NotifySchema.safeParse(body.notify).data,
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

  /** Tells ops-results that an operation waits for approval; the ledger is the truth, so a lost notice is only logged. */
  const announcePending = async (record: OperationRecord, logger: Logger): Promise<void> => {
    try {
      await deps.results.publish(record);
    } catch (thrown) {
      logger.warn('could not announce the pending approval', {
        error: toControlPlaneError(thrown).toRecord(),
      });
    }
  };

  /**
   * `approval.withdraw`: a request for approval taken back before anyone decided, e.g. because the
   * runbook waiting on it was cancelled. The requester may, and so may the person behind an
   * automated requester, or anyone holding the approval.withdraw permission; it ends rejected
   * APPROVAL_EXPIRED, so that nobody approves an operation whose caller is gone.
   */
  const withdraw = async (
    command: Command<ApprovalCommandType>,
    platform: PlatformState,
    logger: Logger,
  ): Promise<Record<string, unknown>> => {
    const { operationId, comment } = command.args;
    const mayWithdrawAny = grantsFor(platform.access, command.actor, 'approval.withdraw').length > 0;
    const target = await ledger.get(operationId);
    if (!target && !mayWithdrawAny) {
      // Whether the id exists is not told to someone who may not withdraw it either way.
      throw new PermissionDeniedError(
        `${command.actor} did not request operation ${operationId} and does not hold permission "approval.withdraw"`,
        { actor: command.actor, operationId },
      );
    }
    if (!target)
      throw new InvalidCommandError('args.operationId', `no operation ${operationId} in the ledger`);
    const own = target.actor === command.actor || target.requestedBy === command.actor;
    if (!own && !mayWithdrawAny) {
      throw new PermissionDeniedError(
        `${command.actor} neither requested operation ${operationId} (${target.actor}${target.requestedBy ? ` for ${target.requestedBy}` : ''} did) nor holds permission "approval.withdraw"`,
        { actor: command.actor, operationId },
      );
    }
    const notWaiting = (status: string) =>
      new InvalidCommandError(
        'args.operationId',
        `operation ${operationId} is ${status}, not waiting for approval`,
      );
    if (target.status !== 'pending_approval' && target.approval?.decision !== 'withdrawn') {
      throw notWaiting(target.status);
    }
    if (command.dryRun) return { dryRun: true, operationId, decision: 'withdrawn', type: target.type };
    const reason = comment ?? 'withdrawn before anyone decided';
    const error = ApprovalRefusedError.withdrawn(command.actor, reason).toRecord();
    const outcome = await ledger.withdrawApproval(
      operationId,
      { actor: command.actor, reason, error },
      clock.now(),
      { authorized: true },
    );
    // A decision that won the race since the read above.
    if (outcome.kind === 'not_waiting') throw notWaiting(outcome.record.status);
    logger.info(`operation ${operationId} withdrawn`, { actor: command.actor });
    await reportFinished(outcome.record, outcome.kind === 'already_withdrawn');
    return { operationId, decision: 'withdrawn', type: target.type, requester: target.actor };
  };

  /**
   * `approval.grant` / `approval.deny`: only an approver, never the requester, decides; a grant
   * puts the operation back on the command path, a denial ends it rejected;
   * `approval.withdraw` goes to `withdraw`.
   */
  const decide = async (
    command: Command<ApprovalCommandType>,
    platform: PlatformState,
    logger: Logger,
  ): Promise<Record<string, unknown>> => {
    if (command.type === 'approval.withdraw') return withdraw(command, platform, logger);
    const { operationId, comment } = command.args;
    const granted = command.type === 'approval.grant';
    const verb = granted ? 'approve' : 'deny';
    if (!isApprover(platform.access, command.actor)) {
      throw new PermissionDeniedError(
        `${command.actor} is not an approver (desired state access.approvers) and may not ${verb} operations`,
        { actor: command.actor },
      );
    }
    const target = await ledger.get(operationId);
    if (!target)
      throw new InvalidCommandError('args.operationId', `no operation ${operationId} in the ledger`);
    if (target.actor === command.actor) {
      throw new PermissionDeniedError(
        `${command.actor} requested operation ${operationId} and may not ${verb} it; another approver must`,
        { actor: command.actor, operationId },
      );
    }
    if (target.requestedBy === command.actor) {
      // The same rule for the person behind an automated requester (who started the runbook).
      throw new PermissionDeniedError(
        `${command.actor} requested operation ${operationId} (through ${target.actor}) and may not ${verb} it; another approver must`,
        { actor: command.actor, operationId, requester: target.actor },
      );
    }
    if (command.dryRun) {
      if (target.status !== 'pending_approval') {
        throw new InvalidCommandError(
          'args.operationId',
          `operation ${operationId} is ${target.status}, not waiting for approval`,
        );
      }
      return { dryRun: true, operationId, decision: granted ? 'granted' : 'denied', type: target.type };
    }
    const refusal = new ApprovalRefusedError(
      'APPROVAL_DENIED',
      `denied by ${command.actor}${comment ? `: ${comment}` : ''}`,
      { approver: command.actor },
    );
    const decided = await ledger.decideApproval(
      operationId,
      { granted, approver: command.actor, comment, ...(granted ? {} : { error: refusal.toRecord() }) },
      clock.now(),
    );
    logger.info(`operation ${operationId} ${granted ? 'approved' : 'denied'}`, { approver: command.actor });
    if (granted) {
      // If this publish is lost, the operations poller resumes it (the record waits with resumeAt now).
      await deps.resumer.resume(decided).catch((thrown: unknown) => {
        logger.warn('could not resume the approved operation; the poller will', {
          error: toControlPlaneError(thrown).toRecord(),
        });
      });
    } else {
      await reportFinished(decided, false);
    }
    return {
      operationId,
      decision: granted ? 'granted' : 'denied',
      type: decided.type,
      requester: decided.actor,
    };
  };

  /**
   * Overlap (issue 6), for every scheduler alike: a schedule's run (actor `schedule:<job>`) that
   * finds the job's previous run still running or waiting for approval is skipped, and recorded as
   * rejected SCHEDULE_OVERLAP; Cloud Scheduler's next tick tries again. A job always sends the same
   * command, so its previous run is an unfinished operation of the same actor, type and args (the
   * fixes a scheduled reconcile submits under its actor are other commands). A run a person asked
   * for (`requestedBy`: `opsplane schedules run JOB --force`) goes ahead.
   */
  const refuseScheduleOverlap = async (record: OperationRecord): Promise<void> => {
    if (!record.actor.startsWith('schedule:') || record.requestedBy) return;
    const command = canonicalJson({ type: record.type, args: record.args });
    const unfinished = (await ledger.listUnfinished()).find(
      (other) =>
        other.id !== record.id &&
        other.actor === record.actor &&
        canonicalJson({ type: other.type, args: other.args }) === command,
    );
    if (unfinished) {
      throw new ScheduleOverlapError(record.actor.slice('schedule:'.length), unfinished);
    }
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
      if (record.attempts === 1) await refuseScheduleOverlap(record);
      const platform = await deps.desiredState.getPlatform();
      let result: Record<string, unknown>;
      if (isApprovalCommandType(command.type)) {
        result = await decide(command as Command<ApprovalCommandType>, platform, logger);
      } else {
        requirePermission(platform.access, command.actor, COMMAND_CATALOG[command.type].permission);
        // The registry is keyed by type, so the module and the args always belong together.
        const operation = deps.operations[
          command.type as OperationCommandType
        ] as unknown as OperationRegistryEntry;
        const resource = operation.resource(command.args, platform);
        if (!command.dryRun) {
          const lease = await leases.acquire(resource, record.id, settings.leaseTtlMs, clock.now());
          if (!lease.acquired) throw new LeaseHeldError(resource, lease.heldBy.holder);
          leased = resource;
        }
        const observeDeps: ObserveDeps = { ...deps.apis, desiredState: deps.desiredState, clock };
        // What this delivery last observed: apply may start from it (a resume observes nothing).
        let observed: unknown;
        const freshPlan = async (): Promise<BasePlan> => {
          observed = await operation.observe(command.args, platform, observeDeps);
          return operation.plan(platform, observed, command.args);
        };
        // A resumed operation keeps the plan it announced; apply is idempotent against it.
        let plan = record.plan as BasePlan | undefined;
        if (!plan) {
          plan = await freshPlan();
          record = await ledger.recordPlan(
            record.id,
            holder,
            plan as unknown as Record<string, unknown>,
            resource,
            clock.now(),
          );
          logger.info('planned', { plan: renderPlan(plan) });
        }
        const approvalReason = plan.noop
          ? undefined
          : COMMAND_CATALOG[command.type].approvalClass === 'A3'
            ? `${command.type} is destructive (approval class A3)`
            : operation.approvalReason?.(plan, command.args, platform);
        if (command.dryRun) {
          result = {
            dryRun: true,
            diff: renderPlan(plan),
            ...(approvalReason ? { approvalRequired: approvalReason } : {}),
          };
        } else if (approvalReason && !record.approval) {
          record = await ledger.requestApproval(
            record.id,
            holder,
            { reason: approvalReason, planHash: planHash(plan), requestedAt: clock.now().toISOString() },
            clock.now(),
          );
          // No lease while a human decides: the plan is checked again when the approval comes.
          await leases.release(resource, record.id);
          leased = undefined;
          logger.info('waiting for approval', { reason: approvalReason, plan: renderPlan(plan) });
          await announcePending(record, logger);
          return { ack: true, operationId: record.id, status: record.status, duplicate: false };
        } else {
          if (!record.applyStartedAt) {
            if (record.approval) {
              // The grant holds for the plan the approver saw, and only while the platform still plans the same.
              const current = await freshPlan();
              if (planHash(current) !== record.approval.planHash) {
                throw new ApprovalRefusedError(
                  'APPROVAL_STALE',
                  `the plan changed after ${record.approval.approver ?? 'the approver'} approved it, so the approval no longer holds; submit the command again`,
                  { approvedPlan: renderPlan(plan), currentPlan: renderPlan(current) },
                );
              }
            }
            const startedAt = clock.now().toISOString();
            record = await ledger.update(
              record.id,
              holder,
              (r) => ({ ...r, applyStartedAt: startedAt }),
              clock.now(),
            );
          }
          const operationDeps: OperationDeps = {
            ...observeDeps,
            logger,
            polling: settings.polling,
            operationId: record.id,
            actor: command.actor,
            ...(deps.submit ? { submit: deps.submit } : {}),
            openOperations: () => ledger.listUnfinished(),
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
              step: (step) => record.steps?.[step],
              recordStep: async (step, facts) => {
                record = await ledger.recordStep(record.id, holder, step, facts, clock.now());
              },
            },
          };
          await operation.apply(plan, operationDeps, observed);
          result = await operation.verify(plan, operationDeps);
        }
      }
      record = await ledger.finish(record.id, holder, { status: 'succeeded', result }, clock.now());
      logger.info('operation succeeded', { result });
    } catch (thrown) {
      const error = toControlPlaneError(thrown);
      if (error instanceof OperationPendingError && !command.dryRun) {
        // Not a failure: park it. The lease stays with the operation until it resumes.
        const now = clock.now();
        const resumeAt = error.resumeAt ?? new Date(now.getTime() + settings.parkedPollMs);
        if (leased) {
          await leases.acquire(
            leased,
            record.id,
            resumeAt.getTime() - now.getTime() + settings.leaseTtlMs,
            now,
          );
        }
        record = await ledger.park(
          record.id,
          holder,
          { reason: error.message, since: now.toISOString(), resumeAt: resumeAt.toISOString() },
          now,
        );
        logger.info('parked until it can go on', { reason: error.message, resumeAt: resumeAt.toISOString() });
        return { ack: true, operationId: record.id, status: record.status, duplicate: false };
      }
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
      // The envelope's delegation fields, which the narrowed Command type does not list.
      const { requestedBy, notify } = command as Command & CommandDelegation;
      const begun = await ledger.begin({
        // Without a key in the envelope: a Cloud Scheduler run's own key, else the message id.
        id:
          command.idempotencyKey ??
          scheduledRunKeyOf(delivery.attributes, delivery.publishTime, command.actor) ??
          delivery.messageId,
        messageId: delivery.messageId,
        type: command.type,
        args: command.args as Record<string, unknown>,
        actor: command.actor,
        requestedBy,
        notify,
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
  observe(args: unknown, platform: unknown, deps: ObserveDeps): Promise<unknown>;
  plan(platform: unknown, observed: unknown, args: unknown): BasePlan;
  approvalReason?(plan: BasePlan, args: unknown, platform: unknown): string | undefined;
  apply(plan: BasePlan, deps: OperationDeps, observed?: unknown): Promise<void>;
  verify(plan: BasePlan, deps: OperationDeps): Promise<Record<string, unknown>>;
};

export type {
  CommandProcessor,
  CommandProcessorDeps,
  CommandProcessorSettings,
  DeliveryOutcome,
  OperationResumer,
};
export { createCommandProcessor };
