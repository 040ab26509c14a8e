import { qualifiedKind, qualifiedResource, type ResourceType } from './kubernetes-model';

/**
 * Kubernetes API errors. The API server answers a failure with a `Status` object (not Google's
 * `{error:{…}}`), whose `reason` and `code` clients such as @kubernetes/client-node and kubectl
 * act on, and whose `message` follows apimachinery's wording (k8s.io/apimachinery/pkg/api/errors),
 * so code matching on it behaves as against a real cluster.
 */

/** The `Status.reason` values the simulator sends. */
type StatusReason =
  | 'BadRequest'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'Forbidden'
  | 'MethodNotAllowed'
  | 'TooManyRequests'
  | 'InternalError';

/** One entry of `Status.details.causes`, e.g. the field a validation error is about. */
interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

/** `Status.details`. */
interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
}

/** The `Status` object of a failed request. */
interface KubernetesStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: StatusReason;
  details?: StatusDetails;
  code: number;
}

/**
 * Thrown by the Kubernetes route handlers and turned into an HTTP answer with a `Status` body by the
 * service itself, because the shared listener only knows Google's error shape.
 */
class KubernetesApiError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details: StatusDetails | undefined;

  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'KubernetesApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  /** The `Status` body the API server sends for this error. */
  toStatus(): KubernetesStatus {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details === undefined ? {} : { details: this.details }),
      code: this.code,
    };
  }
}

const resourceDetails = (type: ResourceType, name: string): StatusDetails => ({
  name,
  ...(type.group === '' ? {} : { group: type.group }),
  kind: type.resource,
});

/** 404 NotFound: `serviceaccounts "x" not found`. */
const notFoundError = (type: ResourceType, name: string): KubernetesApiError =>
  new KubernetesApiError(
    404,
    'NotFound',
    `${qualifiedResource(type)} "${name}" not found`,
    resourceDetails(type, name),
  );

/** 409 AlreadyExists: `serviceaccounts "x" already exists`. */
const alreadyExistsError = (type: ResourceType, name: string): KubernetesApiError =>
  new KubernetesApiError(
    409,
    'AlreadyExists',
    `${qualifiedResource(type)} "${name}" already exists`,
    resourceDetails(type, name),
  );

/** 409 Conflict: an update carried a `resourceVersion` that is no longer current. */
const conflictError = (type: ResourceType, name: string): KubernetesApiError =>
  new KubernetesApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(type)} "${name}": the object has been modified; ` +
      'please apply your changes to the latest version and try again',
    resourceDetails(type, name),
  );

/** A failed field check: `metadata.name: Required value: …`. */
interface FieldError {
  field: string;
  /** `FieldValueRequired`, `FieldValueInvalid`, `FieldValueNotSupported`, `FieldValueForbidden`. */
  reason: string;
  /** The text after the field, e.g. `Required value` or `Invalid value: "X": must be …`. */
  detail: string;
}

/** 422 Invalid, listing every failed field as apimachinery's NewInvalid does. */
const invalidError = (
  type: ResourceType,
  name: string,
  errors: readonly FieldError[],
): KubernetesApiError => {
  const parts = errors.map((error) => `${error.field}: ${error.detail}`);
  const summary = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new KubernetesApiError(422, 'Invalid', `${qualifiedKind(type)} "${name}" is invalid: ${summary}`, {
    name,
    ...(type.group === '' ? {} : { group: type.group }),
    kind: type.kind,
    causes: errors.map((error) => ({ reason: error.reason, message: error.detail, field: error.field })),
  });
};

/** 403 Forbidden: `namespaces "default" is forbidden: <why>`. */
const forbiddenError = (type: ResourceType, name: string, why: string): KubernetesApiError =>
  new KubernetesApiError(
    403,
    'Forbidden',
    `${qualifiedResource(type)} "${name}" is forbidden: ${why}`,
    resourceDetails(type, name),
  );

/** 400 BadRequest with apimachinery's message for it. */
const badRequestError = (message: string): KubernetesApiError =>
  new KubernetesApiError(400, 'BadRequest', message);

export type { FieldError, KubernetesStatus, StatusCause, StatusDetails, StatusReason };
export {
  alreadyExistsError,
  badRequestError,
  conflictError,
  forbiddenError,
  invalidError,
  KubernetesApiError,
  notFoundError,
};
