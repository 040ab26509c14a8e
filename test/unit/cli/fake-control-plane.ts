import type { CliContext } from '../../../cli/cli-context';
import { createControlPlaneClient } from '../../../cli/control-plane-client';
import type { Command } from '../../../shared/commands';
import {
  DesiredStateStore,
  desiredStateFromFixture,
  type PlatformState,
  type UserState,
  usersFromFixture,
} from '../../../shared/desired-state';
import { type ErrorRecord, toControlPlaneError } from '../../../shared/errors';
import { OperationLedger, type OperationRecord } from '../../../shared/ledger';
import { MemoryDocumentStore } from '../../../shared/store';
import { ManualClock } from '../../../shared/time';
import { loadFixture } from '../../helpers/factories';

/** Command types the fake control plane stops for approval, as the real one does for class A3. */
const PENDING_TYPES = new Set(['user.remove', 'sql.restore', 'filestore.restore']);

const HOLDER = 'fake-processor';

/**
 * A stand-in for the command function, so CLI tests do not depend on the operation modules: it
 * records every command in a real ledger the way the processor does (a plan, approval requests for
 * destructive types, approval decisions by someone other than the requester) without touching any
 * platform API.
 */
const fakeProcess = async (ledger: OperationLedger, command: Command, now: Date): Promise<void> => {
  const id = command.idempotencyKey ?? 'no-key';
  const begun = await ledger.begin({
    id,
    messageId: `m-${id}`,
    type: command.type,
    args: command.args as Record<string, unknown>,
    actor: command.actor,
    reason: command.reason,
    dryRun: command.dryRun,
    holder: HOLDER,
    now,
    claimTtlMs: 60_000,
  });
  if (begun.kind !== 'started') return;
  if (command.type === 'approval.grant' || command.type === 'approval.deny') {
    const { operationId, comment } = command.args;
    const granted = command.type === 'approval.grant';
    const target = await ledger.get(operationId);
    if (target && target.actor === command.actor) {
      const error: ErrorRecord = {
        code: 'PERMISSION_DENIED',
        message: `${command.actor} requested operation ${operationId} and may not decide on it`,
        retryable: false,
      };
      await ledger.finish(id, HOLDER, { status: 'rejected', error }, now);
      return;
    }
    if (command.dryRun) {
      const result = { dryRun: true, operationId, decision: granted ? 'granted' : 'denied' };
      await ledger.finish(id, HOLDER, { status: 'succeeded', result }, now);
      return;
    }
    try {
      const decided = await ledger.decideApproval(
        operationId,
        { granted, approver: command.actor, comment },
        now,
      );
      await ledger.finish(
        id,
        HOLDER,
        {
          status: 'succeeded',
          result: { operationId, decision: granted ? 'granted' : 'denied', type: decided.type },
        },
        now,
      );
    } catch (thrown) {
      const error = toControlPlaneError(thrown).toRecord();
      await ledger.finish(id, HOLDER, { status: 'rejected', error }, now);
    }
    return;
  }
  const target = Object.values(command.args as Record<string, unknown>)[0];
  const plan = {
    summary: `${command.type} ${String(target)}`,
    changes: [{ resource: String(target), field: 'state', from: 'before', to: 'after' }],
    warnings: [],
    noop: false,
  };
  await ledger.recordPlan(id, HOLDER, plan, `fake/${String(target)}`, now);
  const approvalReason = PENDING_TYPES.has(command.type)
    ? `${command.type} is destructive (approval class A3)`
    : undefined;
  if (command.dryRun) {
    const result = { dryRun: true, ...(approvalReason ? { approvalRequired: approvalReason } : {}) };
    await ledger.finish(id, HOLDER, { status: 'succeeded', result }, now);
  } else if (approvalReason) {
    await ledger.requestApproval(
      id,
      HOLDER,
      { reason: approvalReason, planHash: 'hash-1', requestedAt: now.toISOString() },
      now,
    );
  } else {
    await ledger.finish(id, HOLDER, { status: 'succeeded', result: { done: true } }, now);
  }
};

/**
 * The CLI against in-memory stores: desired state seeded from the fixture (platform and users),
 * a ledger, and a "topic" that hands each command to the fake processor (unless `deliver: false`).
 */
const makeFakeCli = async (options: { deliver?: boolean; seed?: boolean } = {}) => {
  const platformStore = new MemoryDocumentStore<PlatformState>();
  const userStore = new MemoryDocumentStore<UserState>();
  const desiredState = new DesiredStateStore(platformStore, userStore);
  const clock = new ManualClock('2026-03-01T10:00:00Z');
  if (options.seed !== false) {
    const fixture = loadFixture();
    await desiredState.putPlatform(desiredStateFromFixture(fixture));
    for (const user of usersFromFixture(fixture, clock.now())) await desiredState.putUser(user);
  }
  const ledger = new OperationLedger(new MemoryDocumentStore<OperationRecord>());
  const out: string[] = [];
  const err: string[] = [];
  const published: Command[] = [];
  let keys = 0;
  let actor = 'user:dev.patel@acme.ai';
  const ctx: CliContext = {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    connect: async () =>
      createControlPlaneClient({
        commandsTopic: {
          publishMessage: async ({ json }) => {
            const command = json as Command;
            published.push(command);
            if (options.deliver !== false) await fakeProcess(ledger, command, clock.now());
            return `m${published.length}`;
          },
        },
        ledger,
        desiredState,
        gke: {
          getNodePool: async () => {
            throw new Error('no GKE in these tests');
          },
        },
        close: async () => undefined,
      }),
    connectRunbooks: async () => {
      throw new Error('no runbooks in these tests');
    },
    actor: () => actor,
    newIdempotencyKey: () => `key-${++keys}`,
    clock,
    pollIntervalMs: 100,
  };
  return {
    ctx,
    out,
    err,
    published,
    ledger,
    desiredState,
    platformStore,
    clock,
    /** Runs the next commands as someone else (the default is dev.patel, an approver). */
    actAs: (next: string) => {
      actor = next;
    },
    /** Forgets what was printed so far. */
    clearOutput: () => {
      out.length = 0;
      err.length = 0;
    },
  };
};

export { makeFakeCli, PENDING_TYPES };
