/**
 * Typed errors of the control plane. Every failure that crosses a module boundary is a
 * `ControlPlaneError` with a stable `code` and a `retryable` flag; `toControlPlaneError` normalises
 * anything else. Exactly one place (`shared/runtime/delivery.ts`) turns `retryable` into "nack and
 * let Pub/Sub redeliver" versus "record and acknowledge".
 */

const ERROR_CODES = [
  /** The command did not parse or validate; names the offending field. */
  'INVALID_COMMAND',
  /** The plan would break a policy bound (e.g. more nodes than the pool policy allows). */
  'POLICY_VIOLATION',
  /** The actor does not hold the command's permission, or may not decide this approval. */
  'PERMISSION_DENIED',
  /** An approver denied the operation. */
  'APPROVAL_DENIED',
  /** The plan changed between approval and apply: the approval no longer holds. */
  'APPROVAL_STALE',
  /** Its requester withdrew the request while it waited for approval (e.g. a runbook's approval wait timed out). */
  'APPROVAL_EXPIRED',
  /** A scheduled run came while the job's previous run was still going: skipped, not queued. */
  'SCHEDULE_OVERLAP',
  /** A resource the command names does not exist. */
  'NOT_FOUND',
  /** Another operation holds the lease on the same resource. */
  'LEASE_HELD',
  /** The platform refused because another operation is running on the resource (GKE 400 FAILED_PRECONDITION, Cloud SQL 409). */
  'RESOURCE_BUSY',
  /** A transient Google API failure: 5xx, 429, timeout, connection reset. */
  'GCP_UNAVAILABLE',
  /** A Google API refused the request for good (4xx other than conflicts). */
  'GCP_REJECTED',
  /** A long-running Google operation finished with an error. */
  'OPERATION_FAILED',
  /** A long-running Google operation was still running when this invocation had to stop waiting. */
  'OPERATION_PENDING',
  /** Verification read the resource back and it is not in the planned end state. */
  'VERIFICATION_FAILED',
  /** A write lost a race (a Firestore precondition, a stale IAM etag); the whole step is safe to retry. */
  'STATE_CONFLICT',
  /** Configuration is missing or invalid. */
  'CONFIG_ERROR',
  /** Anything unexpected. Retried a bounded number of times, then recorded as failed. */
  'INTERNAL',
] as const;

type ErrorCode = (typeof ERROR_CODES)[number];

const isErrorCode = (value: unknown): value is ErrorCode =>
  typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);

/** Plain-data form of an error, as stored in the ledger and published on ops-results. */
interface ErrorRecord {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  /** For INVALID_COMMAND: the dotted path of the field that is wrong, e.g. `args.nodes`. */
  field?: string;
  details?: Record<string, unknown>;
}

class ControlPlaneError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    retryable: boolean,
    options?: ErrorOptions & { details?: Record<string, unknown> },
  ) {
    super(message, options);
    this.name = 'ControlPlaneError';
    this.code = code;
    this.retryable = retryable;
    this.details = options?.details;
  }

  toRecord(): ErrorRecord {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

class InvalidCommandError extends ControlPlaneError {
  readonly field: string;

  constructor(field: string, message: string, options?: ErrorOptions) {
    super('INVALID_COMMAND', field ? `${field}: ${message}` : message, false, options);
    this.name = 'InvalidCommandError';
    this.field = field;
  }

  override toRecord(): ErrorRecord {
    return { ...super.toRecord(), field: this.field };
  }
}

class PolicyViolationError extends ControlPlaneError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('POLICY_VIOLATION', message, false, details ? { details } : undefined);
    this.name = 'PolicyViolationError';
  }
}

class NotFoundError extends ControlPlaneError {
  constructor(message: string, options?: ErrorOptions) {
    super('NOT_FOUND', message, false, options);
    this.name = 'NotFoundError';
  }
}

class LeaseHeldError extends ControlPlaneError {
  constructor(resource: string, holder: string) {
    super('LEASE_HELD', `resource ${resource} is leased by operation ${holder}`, true, {
      details: { resource, holder },
    });
    this.name = 'LeaseHeldError';
  }
}

class ResourceBusyError extends ControlPlaneError {
  constructor(message: string, options?: ErrorOptions) {
    super('RESOURCE_BUSY', message, true, options);
    this.name = 'ResourceBusyError';
  }
}

class GcpError extends ControlPlaneError {
  /** HTTP status of the Google response, when there was one. */
  readonly httpStatus: number | undefined;
  /** google.rpc status string (e.g. FAILED_PRECONDITION) or the legacy reason (e.g. operationInProgress). */
  readonly status: string | undefined;

  constructor(
    code: 'GCP_UNAVAILABLE' | 'GCP_REJECTED',
    message: string,
    fields: { httpStatus?: number; status?: string },
    options?: ErrorOptions,
  ) {
    super(code, message, code === 'GCP_UNAVAILABLE', {
      ...options,
      details: { httpStatus: fields.httpStatus, status: fields.status },
    });
    this.name = 'GcpError';
    this.httpStatus = fields.httpStatus;
    this.status = fields.status;
  }
}

class OperationFailedError extends ControlPlaneError {
  constructor(operationName: string, message: string) {
    super('OPERATION_FAILED', `operation ${operationName} failed: ${message}`, false, {
      details: { operationName },
    });
    this.name = 'OperationFailedError';
  }
}

/**
 * Not a failure: a Google operation is still running, or a wait (a grace period) has not ended.
 * The command processor parks the operation and the operations poller resumes it at `resumeAt`
 * (absent: at the next poll).
 */
class OperationPendingError extends ControlPlaneError {
  readonly resumeAt: Date | undefined;

  constructor(operationName: string, options: { resumeAt?: Date; message?: string } = {}) {
    super(
      'OPERATION_PENDING',
      options.message ?? `operation ${operationName} is still running; will resume polling`,
      true,
      {
        details: { operationName, ...(options.resumeAt ? { resumeAt: options.resumeAt.toISOString() } : {}) },
      },
    );
    this.name = 'OperationPendingError';
    this.resumeAt = options.resumeAt;
  }
}

class VerificationFailedError extends ControlPlaneError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('VERIFICATION_FAILED', message, false, details ? { details } : undefined);
    this.name = 'VerificationFailedError';
  }
}

class StateConflictError extends ControlPlaneError {
  constructor(message: string, options?: ErrorOptions) {
    super('STATE_CONFLICT', message, true, options);
    this.name = 'StateConflictError';
  }
}

class PermissionDeniedError extends ControlPlaneError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('PERMISSION_DENIED', message, false, details ? { details } : undefined);
    this.name = 'PermissionDeniedError';
  }
}

/**
 * Ends an operation waiting for approval: denied, approved for a plan that no longer holds, or
 * withdrawn by its requester before anyone decided.
 */
class ApprovalRefusedError extends ControlPlaneError {
  constructor(
    code: 'APPROVAL_DENIED' | 'APPROVAL_STALE' | 'APPROVAL_EXPIRED',
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(code, message, false, details ? { details } : undefined);
    this.name = 'ApprovalRefusedError';
  }

  /** A request for approval its requester (or someone allowed to) took back before anyone decided. */
  static withdrawn(actor: string, reason: string): ApprovalRefusedError {
    return new ApprovalRefusedError(
      'APPROVAL_EXPIRED',
      `withdrawn by ${actor} before anyone decided: ${reason}`,
      {
        withdrawnBy: actor,
      },
    );
  }
}

/** A schedule tick skipped because the same job's previous run is not over (issue 6: overlap). */
class ScheduleOverlapError extends ControlPlaneError {
  constructor(job: string, running: { id: string; status: string }) {
    super(
      'SCHEDULE_OVERLAP',
      `skipped: the previous run of schedule ${job} (operation ${running.id}) is still ${running.status}`,
      false,
      { details: { job, previous: running.id, previousStatus: running.status } },
    );
    this.name = 'ScheduleOverlapError';
  }
}

class ConfigError extends ControlPlaneError {
  constructor(message: string) {
    super('CONFIG_ERROR', message, false);
    this.name = 'ConfigError';
  }
}

/**
 * Normalises anything thrown into a ControlPlaneError. Unknown errors become INTERNAL and
 * retryable: a bug or an unclassified outage is retried a bounded number of times (the ledger
 * counts attempts) rather than dropped on the first try.
 */
const toControlPlaneError = (error: unknown): ControlPlaneError => {
  if (error instanceof ControlPlaneError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ControlPlaneError('INTERNAL', message, true, { cause: error });
};

export type { ErrorCode, ErrorRecord };
export {
  ApprovalRefusedError,
  ConfigError,
  ControlPlaneError,
  ERROR_CODES,
  GcpError,
  InvalidCommandError,
  isErrorCode,
  LeaseHeldError,
  NotFoundError,
  OperationFailedError,
  OperationPendingError,
  PermissionDeniedError,
  PolicyViolationError,
  ResourceBusyError,
  ScheduleOverlapError,
  StateConflictError,
  toControlPlaneError,
  VerificationFailedError,
};
