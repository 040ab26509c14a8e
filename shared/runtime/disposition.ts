import type { ControlPlaneError } from '../errors';

/**
 * THE place that decides ack versus retry. A retryable error is retried (the function fails the
 * delivery and Pub/Sub redelivers with backoff) until the operation has been attempted
 * `maxAttempts` times; then, and for every non-retryable error, the outcome is recorded and the
 * message acknowledged, so that no message is retried forever.
 */
type Disposition = 'retry' | 'record_and_ack';

const dispositionOf = (error: ControlPlaneError, attempts: number, maxAttempts: number): Disposition =>
  error.retryable && attempts < maxAttempts ? 'retry' : 'record_and_ack';

/**
 * The same decision for deliveries that cannot count their attempts: Pub/Sub does not tell a
 * CloudEvent function how often it delivered a message, and the outcome notifier keeps no state,
 * so the message's age is its budget. A retryable failure is retried while the message is younger
 * than `maxAgeMs`; after that, and for every non-retryable error, it is logged and acknowledged.
 */
const dispositionByAge = (error: ControlPlaneError, ageMs: number, maxAgeMs: number): Disposition =>
  error.retryable && ageMs < maxAgeMs ? 'retry' : 'record_and_ack';

/** Errors that mean the command itself was refused rather than that carrying it out failed. */
const REFUSAL_CODES: ReadonlySet<string> = new Set([
  'INVALID_COMMAND',
  'POLICY_VIOLATION',
  'PERMISSION_DENIED',
  'APPROVAL_DENIED',
  'APPROVAL_STALE',
  'APPROVAL_EXPIRED',
  'SCHEDULE_OVERLAP',
]);
const finalStatusOf = (error: ControlPlaneError): 'rejected' | 'failed' =>
  REFUSAL_CODES.has(error.code) ? 'rejected' : 'failed';

export type { Disposition };
export { dispositionByAge, dispositionOf, finalStatusOf };
