import type { ErrorRecord } from '../errors';

/** Lifecycle of an operation in the ledger. The last three are final. */
const OPERATION_STATUSES = ['pending_approval', 'running', 'succeeded', 'failed', 'rejected'] as const;
type OperationStatus = (typeof OPERATION_STATUSES)[number];
const FINAL_STATUSES: ReadonlySet<OperationStatus> = new Set(['succeeded', 'failed', 'rejected']);
const isFinalStatus = (status: OperationStatus): boolean => FINAL_STATUSES.has(status);

/** A Google long-running operation this operation started, recorded before anyone waits on it. */
interface GoogleOperationRef {
  /** Which step of apply started it, e.g. `setSize`. Apply looks it up by step after a crash. */
  step: string;
  /** The service's own operation name (GKE: the short id). */
  name: string;
  /** Where to poll it, e.g. `projects/p/locations/l/operations/<name>`. */
  pollPath: string;
  startedAt: string;
  status?: string;
}

/**
 * Why an operation waits for a human, bound to the plan it was asked for; then the decision: an
 * approver's grant or denial, or the requester withdrawing the request (e.g. a runbook whose wait
 * for approval timed out).
 */
interface ApprovalRecord {
  reason: string;
  /** Hash of the plan the approver saw; a grant holds only while a fresh plan hashes the same. */
  planHash: string;
  requestedAt: string;
  decision?: 'granted' | 'denied' | 'withdrawn';
  /** Who decided: the approver's actor, e.g. `user:maria.chen@acme.ai`; for `withdrawn`, the requester. */
  approver?: string;
  comment?: string;
  decidedAt?: string;
}

/**
 * A running operation parked without a function holding it: a Google operation still running, a
 * grace period, or an approval just granted. The operations poller resumes it at `resumeAt`.
 */
interface WaitingRecord {
  reason: string;
  since: string;
  resumeAt: string;
}

/**
 * Where the outcomes of an operation are POSTed (a Workflows callback endpoint): stored with the
 * command and carried on ops-results, so the notifier needs no ledger read.
 */
interface NotifyTarget {
  callbackUrl: string;
}

/** Who is running the operation right now; expires so that a crashed holder never blocks it. */
interface Claim {
  holder: string;
  expiresAt: string;
}

/**
 * One document per operation, keyed by its idempotency key. It is the dedupe record and the audit
 * trail at once. Timestamps are ISO-8601 UTC strings (they sort as text).
 */
interface OperationRecord {
  id: string;
  status: OperationStatus;
  /** The command type; for a message that never parsed, what it claimed to be (or `unknown`). */
  type: string;
  args: Record<string, unknown>;
  actor: string;
  /**
   * The person on whose behalf an automated actor (a runbook) asked. Neither the actor nor this
   * person may approve the operation.
   */
  requestedBy?: string;
  /** Where the outcomes are POSTed, when the publisher asked for it. */
  notify?: NotifyTarget;
  reason: string;
  dryRun: boolean;
  /** The plan as data, with a human-readable diff; set before apply starts. */
  plan?: Record<string, unknown>;
  attempts: number;
  googleOperations: GoogleOperationRef[];
  /** Facts of finished non-long-running steps apply must not repeat (e.g. a created key's id). */
  steps?: Record<string, Record<string, unknown>>;
  approval?: ApprovalRecord;
  waiting?: WaitingRecord;
  /** When apply first started (after any approval held against a fresh plan). */
  applyStartedAt?: string;
  result?: Record<string, unknown>;
  error?: ErrorRecord;
  /** The last retryable error, kept while the operation is still being retried. */
  lastError?: ErrorRecord;
  /** Pub/Sub message ids that delivered this command. */
  messageIds: string[];
  claim?: Claim;
  /** The resource lease this operation takes, e.g. `gke/nodePool/acme-ml-prod/us-central1/acme-ml-gke/gpu-a100-pool`. */
  resource?: string;
  resultPublished: boolean;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

export type {
  ApprovalRecord,
  Claim,
  GoogleOperationRef,
  NotifyTarget,
  OperationRecord,
  OperationStatus,
  WaitingRecord,
};
export { FINAL_STATUSES, isFinalStatus, OPERATION_STATUSES };
