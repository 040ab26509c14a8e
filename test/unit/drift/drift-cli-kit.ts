import type { CliContext } from '../../../cli/cli-context';
import { createControlPlaneClient, type DesiredStateAccess } from '../../../cli/control-plane-client';
import type { Command } from '../../../shared/commands';
import type { OperationLedger } from '../../../shared/ledger';
import type { ManualClock } from '../../../shared/time';

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

export { cliContextOver };
