import type { WorkflowErrorTag, WorkflowMap, WorkflowValue } from './runtime-types';

/**
 * Renders a raised value for `Error.message` only (never for the workflow to see), without
 * importing the value module: a string as is, a map's `message` when it has one, else a compact
 * JSON-ish text.
 */
const describeRaisedValue = (value: WorkflowValue): string => {
  if (typeof value === 'string') return value;
  if (value instanceof Map) {
    const message = value.get('message');
    if (typeof message === 'string') return message;
  }
  try {
    return JSON.stringify(value, (_key, item: unknown) => {
      if (typeof item === 'bigint') return item.toString();
      if (item instanceof Map) return Object.fromEntries(item);
      if (item instanceof Uint8Array) return `<${item.length} bytes>`;
      return item;
    });
  } catch {
    return String(value);
  }
};

/**
 * An error inside a running workflow. `value` is exactly what `except: as: e` binds and what an
 * uncaught error puts (JSON-encoded) into `Execution.error.payload`: for built-in errors a map
 * `{message, tags: [...]}` plus extra fields (HttpError: `code`, `headers`, `body`); for a user
 * `raise`, the raised value itself (a string, a map, anything).
 */
class WorkflowRuntimeError extends Error {
  readonly value: WorkflowValue;

  constructor(value: WorkflowValue, options?: ErrorOptions) {
    super(describeRaisedValue(value), options);
    this.name = 'WorkflowRuntimeError';
    this.value = value;
  }

  /**
   * A built-in error (TypeError, KeyError, HttpError, …): a map with `message`, `tags` and any
   * `extra` fields, in that order.
   */
  static builtin(
    tags: WorkflowErrorTag | WorkflowErrorTag[],
    message: string,
    extra?: Record<string, WorkflowValue>,
  ): WorkflowRuntimeError {
    const tagList = Array.isArray(tags) ? tags : [tags];
    const value: WorkflowMap = new Map<string, WorkflowValue>([
      ['message', message],
      ['tags', [...tagList]],
    ]);
    for (const [key, item] of Object.entries(extra ?? {})) value.set(key, item);
    return new WorkflowRuntimeError(value);
  }

  /** A `raise` step: the value is carried unchanged. */
  static raised(value: WorkflowValue): WorkflowRuntimeError {
    return new WorkflowRuntimeError(value);
  }

  /** The error's tags (empty for a raised string or a map without a `tags` list of strings). */
  get tags(): string[] {
    return errorTags(this.value);
  }
}

/** The `tags` of an error value, ignoring anything that is not a string. */
const errorTags = (value: WorkflowValue): string[] => {
  if (!(value instanceof Map)) return [];
  const tags = value.get('tags');
  if (!Array.isArray(tags)) return [];
  return tags.filter((tag): tag is string => typeof tag === 'string');
};

/** `"HttpError" in e.tags`, for retry predicates and the interpreter. */
const hasErrorTag = (value: WorkflowValue, tag: WorkflowErrorTag): boolean => errorTags(value).includes(tag);

/**
 * Anything thrown inside the executor as a WorkflowRuntimeError: a WorkflowRuntimeError unchanged,
 * anything else (a bug, an unexpected library error) as a SystemError, so that it is catchable and
 * reported like GCP reports an internal error.
 */
const toWorkflowRuntimeError = (thrown: unknown): WorkflowRuntimeError => {
  if (thrown instanceof WorkflowRuntimeError) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  const error = WorkflowRuntimeError.builtin('SystemError', message);
  if (thrown instanceof Error && thrown.stack) error.stack = thrown.stack;
  return error;
};

export { errorTags, hasErrorTag, toWorkflowRuntimeError, WorkflowRuntimeError };
