import { WorkflowRuntimeError } from '../errors';
import type { WorkflowValue } from '../runtime-types';

/** Variable memory of one execution: all variables together may hold at most 512 KB (quotas page). */
const MEMORY_LIMIT_BYTES = 512 * 1024;
/** Longest string a variable may hold: 256 KB (syntax cheat sheet). */
const MAX_STRING_LENGTH = 256 * 1024;

/**
 * The memory a value counts for, as the quotas page accounts it: 8 bytes for an int, double,
 * boolean or null; a string or bytes 8 plus its length; a list 8 plus its elements; a map 8 plus
 * its keys and values. A string longer than 256 KB is a ResourceLimitError on its own.
 */
const valueSize = (value: WorkflowValue): number => {
  if (typeof value === 'string') {
    if (value.length > MAX_STRING_LENGTH) {
      throw WorkflowRuntimeError.builtin(
        'ResourceLimitError',
        `a string of ${value.length} characters is longer than the limit of ${MAX_STRING_LENGTH}`,
      );
    }
    return 8 + value.length;
  }
  if (value instanceof Uint8Array) return 8 + value.length;
  if (Array.isArray(value)) {
    let size = 8;
    for (const item of value) size += valueSize(item);
    return size;
  }
  if (value instanceof Map) {
    let size = 8;
    for (const [key, item] of value) size += 8 + key.length + valueSize(item);
    return size;
  }
  return 8;
};

/** The running total of variable memory of one execution. */
class MemoryMeter {
  private used = 0;

  /** Accounts a change; raises ResourceLimitError (catchable) when the total goes over 512 KB. */
  change(delta: number): void {
    this.used += delta;
    if (delta > 0 && this.used > MEMORY_LIMIT_BYTES) {
      this.used -= delta;
      throw WorkflowRuntimeError.builtin(
        'ResourceLimitError',
        `Memory usage limit exceeded: variables would use ${this.used + delta} bytes (limit ${MEMORY_LIMIT_BYTES})`,
      );
    }
  }

  get bytes(): number {
    return this.used;
  }
}

type ScopeKind = 'routine' | 'for' | 'except' | 'branch';

/**
 * A level of variables: a routine invocation, a for-loop iteration, an except block or a parallel
 * branch/iteration. Reads look outward through every level of the routine; an assignment updates
 * the level that already has the variable, or creates it in the innermost level. A parallel branch
 * passes writes outward only for its `shared` variables (others would be local; deploy-time checks
 * refuse writing non-shared parent variables, so that only happens for names created later).
 */
class VariableScope {
  private readonly variables = new Map<string, WorkflowValue>();
  private readonly sizes = new Map<string, number>();

  constructor(
    readonly kind: ScopeKind,
    readonly parent: VariableScope | undefined,
    private readonly meter: MemoryMeter,
    private readonly shared: ReadonlySet<string> = new Set(),
  ) {}

  /** The innermost scope holding `name`, if any. */
  private owner(name: string): VariableScope | undefined {
    for (let scope: VariableScope | undefined = this; scope; scope = scope.parent) {
      if (scope.variables.has(name)) return scope;
    }
    return undefined;
  }

  /** The scope a write of `name` goes to: where it lives, unless a branch does not share it. */
  private writeTarget(name: string): VariableScope {
    for (let scope: VariableScope | undefined = this; scope; scope = scope.parent) {
      if (scope.variables.has(name)) return scope;
      if (scope.kind === 'branch' && !scope.shared.has(name)) return this;
    }
    return this;
  }

  has(name: string): boolean {
    return this.owner(name) !== undefined;
  }

  /** The value (not a copy); a missing variable is a KeyError naming it. */
  read(name: string): WorkflowValue {
    const scope = this.owner(name);
    if (!scope) {
      throw WorkflowRuntimeError.builtin(
        'KeyError',
        `symbol '${name}' is neither a variable nor a sub-workflow name`,
      );
    }
    return scope.variables.get(name) as WorkflowValue;
  }

  /** Sets a variable (creating it here when no enclosing level has it) and accounts its memory. */
  write(name: string, value: WorkflowValue): void {
    this.writeTarget(name).store(name, value);
  }

  /** Defines a variable in this very level (loop variables, parameters, `except: as`). */
  define(name: string, value: WorkflowValue): void {
    this.store(name, value);
  }

  /**
   * The value of `name` to change in place (`m.k: v`, `l[0]: v`). When a parallel branch does not
   * share it, the branch gets its own copy first, so the parent's value never changes.
   */
  valueToChange(name: string, copy: (value: WorkflowValue) => WorkflowValue): WorkflowValue {
    const value = this.read(name);
    const target = this.writeTarget(name);
    if (target !== this.owner(name)) {
      const own = copy(value);
      target.store(name, own);
      return own;
    }
    return value;
  }

  /** Re-accounts a variable changed in place. */
  touched(name: string): void {
    const scope = this.owner(name);
    if (scope) scope.store(name, scope.variables.get(name) as WorkflowValue);
  }

  private store(name: string, value: WorkflowValue): void {
    const size = valueSize(value);
    this.meter.change(size - (this.sizes.get(name) ?? 0));
    this.variables.set(name, value);
    this.sizes.set(name, size);
  }

  /** Gives back the memory of this level's variables when it ends. */
  release(): void {
    let total = 0;
    for (const size of this.sizes.values()) total += size;
    this.meter.change(-total);
    this.variables.clear();
    this.sizes.clear();
  }
}

export type { ScopeKind };
export { MAX_STRING_LENGTH, MEMORY_LIMIT_BYTES, MemoryMeter, VariableScope, valueSize };
