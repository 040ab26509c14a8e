import { type ApiErrorOptions, type RpcStatus, SimulatorApiError } from '../api-error';

/**
 * Cloud SQL's errors. Cloud SQL is an older API: besides `code`, `message` and `status` its bodies
 * carry the legacy `errors: [{message, domain: 'global', reason}]`, and callers (terraform, gcloud,
 * our own adapters) key on that `reason`. Every error this service sends therefore has a reason.
 * Messages quoted from public captures say so; the others are the simulator's own wording.
 */

/** Quoted from api-contracts §2 (apache/airflow#62671, terraform-provider-google#4370). */
const OPERATION_IN_PROGRESS_MESSAGE =
  'Operation failed because another operation was already in progress. Try your request after the current operation is complete.';

/**
 * Cloud SQL answers the same text whether the name is live or merely reserved after a deletion
 * (terraform-google-modules/terraform-google-gke-gitlab#81, forseti-security/terraform-google-forseti#251).
 */
const INSTANCE_ALREADY_EXISTS_MESSAGE =
  "The Cloud SQL instance already exists. When you delete an instance, you can't reuse the name of the deleted instance until one week from the deletion date.";

/**
 * An error with an HTTP status the google.rpc table does not pair with its status name: Cloud SQL
 * answers a stale `settingsVersion` with HTTP 412, which no google.rpc code maps to.
 */
class SqlApiError extends SimulatorApiError {
  override readonly httpStatus: number;

  constructor(httpStatus: number, status: RpcStatus, message: string, options: ApiErrorOptions) {
    super(status, message, options);
    this.httpStatus = httpStatus;
  }
}

/**
 * 409 `operationInProgress`: another operation runs on the instance. Public captures of this body
 * show no `status` string (api-contracts §2). We send `ABORTED` anyway: the simulator always sends
 * one so gax clients get a definite gRPC code, and ABORTED is what gax derives from a bare HTTP 409,
 * so a client sees the same error with or without it. Callers must key on the reason, not on this.
 */
const operationInProgress = (): SimulatorApiError =>
  new SimulatorApiError('ABORTED', OPERATION_IN_PROGRESS_MESSAGE, { reason: 'operationInProgress' });

/** 404 `instanceDoesNotExist`, as Cloud SQL words it (GoogleCloudPlatform/cloud-sql-proxy#2244). */
const instanceNotFound = (): SimulatorApiError =>
  new SimulatorApiError('NOT_FOUND', 'The Cloud SQL instance does not exist.', {
    reason: 'instanceDoesNotExist',
  });

/** 404 `notFound` for anything but an instance (project, backup run, operation); wording is ours. */
const resourceNotFound = (message: string): SimulatorApiError =>
  new SimulatorApiError('NOT_FOUND', message, { reason: 'notFound' });

/** 409 `instanceAlreadyExists`: the name is taken, by a live instance or a recent deletion. */
const instanceAlreadyExists = (): SimulatorApiError =>
  new SimulatorApiError('ALREADY_EXISTS', INSTANCE_ALREADY_EXISTS_MESSAGE, {
    reason: 'instanceAlreadyExists',
  });

/**
 * 400 `invalid`, worded as Cloud SQL words its request checks: "Invalid request: <detail>"
 * (e.g. "Invalid request: Invalid request since instance is not running.", cloudquery/cloudquery#6966).
 */
const invalidRequest = (detail: string): SimulatorApiError =>
  new SimulatorApiError('INVALID_ARGUMENT', `Invalid request: ${detail}`, { reason: 'invalid' });

/** 400 `invalid` for an instance that is not RUNNABLE, in Cloud SQL's words. */
const instanceNotRunning = (): SimulatorApiError =>
  invalidRequest('Invalid request since instance is not running.');

/**
 * 412 `staleData`: the patch names a `settingsVersion` that is no longer current. Body as captured
 * in hashicorp/terraform-provider-google#12324 and #25246; the capture shows no `status`, and
 * FAILED_PRECONDITION is the google.rpc name closest to an HTTP precondition failure.
 */
const staleSettingsVersion = (): SimulatorApiError =>
  new SqlApiError(412, 'FAILED_PRECONDITION', 'Condition does not match.', { reason: 'staleData' });

/**
 * Runs `read` (a request-body reader) and gives the INVALID_ARGUMENT it throws the `invalid` reason,
 * since `request-fields` writes errors for APIs that send no legacy `errors[]`.
 */
const withInvalidReason = <Result>(read: () => Result): Result => {
  try {
    return read();
  } catch (error) {
    if (error instanceof SimulatorApiError && error.reason === undefined) {
      throw new SimulatorApiError(error.status, error.message, { reason: 'invalid' });
    }
    throw error;
  }
};

export {
  INSTANCE_ALREADY_EXISTS_MESSAGE,
  instanceAlreadyExists,
  instanceNotFound,
  instanceNotRunning,
  invalidRequest,
  OPERATION_IN_PROGRESS_MESSAGE,
  operationInProgress,
  resourceNotFound,
  SqlApiError,
  staleSettingsVersion,
  withInvalidReason,
};
