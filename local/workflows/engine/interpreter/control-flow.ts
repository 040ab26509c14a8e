import type { WorkflowValue } from '../runtime-types';

/**
 * How a block of steps ended: normally, or with a jump the block could not resolve itself (it
 * travels up to the block holding the target), a `return`/`next: end`, or a loop `break` /
 * `continue`. Errors are not completions: they are thrown as WorkflowRuntimeError.
 */
type Completion =
  | { kind: 'normal' }
  | { kind: 'jump'; target: string }
  | { kind: 'return'; value: WorkflowValue }
  | { kind: 'break' }
  | { kind: 'continue' };

const NORMAL: Completion = { kind: 'normal' };

/**
 * Ends an execution without giving `except` a chance: cancellation, or a limit after which the
 * execution cannot go on (the executed-steps limit). Never a WorkflowRuntimeError, so try/except
 * and retry predicates cannot catch it.
 */
class ExecutionInterrupt extends Error {
  readonly kind: 'cancelled' | 'terminated';
  /** For `terminated`: the error value the execution fails with. */
  readonly value: WorkflowValue;

  constructor(kind: 'cancelled' | 'terminated', value: WorkflowValue, message: string) {
    super(message);
    this.name = 'ExecutionInterrupt';
    this.kind = kind;
    this.value = value;
  }
}

/** The completion a `next:` target stands for. */
const completionOfJump = (target: string): Completion => {
  if (target === 'end') return { kind: 'return', value: null };
  if (target === 'break') return { kind: 'break' };
  if (target === 'continue') return { kind: 'continue' };
  return { kind: 'jump', target };
};

export type { Completion };
export { completionOfJump, ExecutionInterrupt, NORMAL };
