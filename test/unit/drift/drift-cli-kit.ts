import type { CliContext } from '../../../cli/cli-context';
import { createControlPlaneClient, type DesiredStateAccess } from '../../../cli/control-plane-client';
import type { Command } from '../../../shared/commands';
import { DesiredStateStore, type PlatformState, type UserState } from '../../../shared/desired-state';
import { OperationLedger, type OperationRecord } from '../../../shared/ledger';
import { MemoryDocumentStore } from '../../../shared/store';
import { ManualClock } from '../../../shared/time';

/**
 * A CLI context over in-memory stores whose commands topic hands each published command to
 * `process` (the test's stand-in for the command function), for the drift and reconcile commands.
 */
const cliContextOver = (deps: {
  ledger: OperationLedger;
  desiredState: DesiredStateAccess;
  clock: ManualClock;
  process: (command: Command) => Promise<void>;
}) => {
  const out: string[] = [];
  const err: string[] = [];
  const published: Command[] = [];
  const ctx: CliContext = {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    connect: async () =>
      createControlPlaneClient({
        commandsTopic: {
          publishMessage: async ({ json }) => {
            published.push(json as Command);
            await deps.process(json as Command);
            return `m${published.length}`;
          },
        },
        ledger: deps.ledger,
        desiredState: deps.desiredState,
        gke: {
          getNodePool: async () => {
            throw new Error('no GKE here');
          },
        },
        close: async () => undefined,
      }),
    connectRunbooks: async () => {
      throw new Error('no runbooks here');
    },
    actor: () => 'user:dev.patel@acme.ai',
    newIdempotencyKey: () => 'key-1',
    clock: deps.clock,
    pollIntervalMs: 100,
  };
  return { ctx, out, err, published };
};

/**
 * A CLI over an in-memory ledger and desired state holding `platform`: each command it publishes
 * is begun in the ledger under its key, then handed to `finish` (the test's stand-in for the rest
 * of the command function) with that id, the ledger and the time.
 */
const cliOverFakeProcessor = async (
  platform: PlatformState,
  finish: (command: Command, id: string, ledger: OperationLedger, now: Date) => Promise<void>,
) => {
  const clock = new ManualClock('2026-03-01T10:00:00Z');
  const ledger = new OperationLedger(new MemoryDocumentStore<OperationRecord>());
  const desiredState = new DesiredStateStore(
    new MemoryDocumentStore<PlatformState>(),
    new MemoryDocumentStore<UserState>(),
  );
  await desiredState.putPlatform(platform);
  const process = async (command: Command): Promise<void> => {
    const id = command.idempotencyKey ?? 'none';
    const now = clock.now();
    await ledger.begin({
      id,
      messageId: `m-${id}`,
      type: command.type,
      args: command.args as Record<string, unknown>,
      actor: command.actor,
      reason: command.reason,
      dryRun: command.dryRun,
      holder: 'fake',
      now,
      claimTtlMs: 60_000,
    });
    await finish(command, id, ledger, now);
  };
  return cliContextOver({ ledger, desiredState, clock, process });
};

export { cliOverFakeProcessor };
