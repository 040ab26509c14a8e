import type { RunbookClient } from '../shared/gcp/runbook-client';
import type { Clock } from '../shared/time';
import type { ControlPlaneClient } from './control-plane-client';

/** Everything a CLI command touches, injected so tests run commands without a stack or a terminal. */
interface CliContext {
  out(text: string): void;
  err(text: string): void;
  /** Connects to the control plane (the local stack by default). */
  connect(): Promise<ControlPlaneClient>;
  /** Connects to the Workflows and Executions APIs the runbooks run on (local by default). */
  connectRunbooks(): Promise<RunbookClient>;
  /** The actor commands are sent as, e.g. `user:maria.chen@acme.ai`. */
  actor(): string;
  newIdempotencyKey(): string;
  clock: Clock;
  /** How often `--wait` reads the ledger. */
  pollIntervalMs: number;
}

/**
 * Exit codes, so scripts can tell outcomes apart: 0 done, 1 the operation failed or was rejected
 * (or --wait timed out), 2 bad usage, 3 cannot reach the control plane, 4 (with --wait) the
 * operation is waiting for a human approval: neither done nor failed.
 */
const EXIT = { ok: 0, operationFailed: 1, usage: 2, unavailable: 3, pendingApproval: 4 } as const;

/** A usage error: printed with the command's help, exit 2. */
class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type { CliContext };
export { EXIT, UsageError };
