import { toWorkflowRuntimeError, WorkflowRuntimeError } from '../errors';
import { type ExpressionContext, evaluateExpression, functionsCalled } from '../expression';
import type {
  ExecutionError,
  ExecutionOutcome,
  ExecutionServices,
  PollingPolicy,
  StepEvent,
  WorkflowMap,
  WorkflowValue,
} from '../runtime-types';
import { DEFAULT_BACKOFF, DEFAULT_RETRY_POLICIES, type StdlibFunction } from '../stdlib';
import { expressionsOf } from '../validation/semantic-checks';
import type {
  CompiledWorkflow,
  ForLoopDefinition,
  RetryDefinition,
  RoutineDefinition,
  SourcePosition,
  StepAction,
  StepBlock,
  StepDefinition,
  ValueTemplate,
} from '../validation/workflow-definition';
import { deepCopy, encodeJsonText, fromJson, toJson, typeName } from '../values';
import { BranchSlots } from './branch-slots';
import { type Completion, completionOfJump, ExecutionInterrupt, NORMAL } from './control-flow';
import { createStandardLibrary } from './standard-library';
import { MemoryMeter, VariableScope } from './variable-scope';

/** Steps one execution may run (quotas page). */
const MAX_STEPS = 100_000;
/** Nested subworkflow calls (main not counted). */
const MAX_CALL_DEPTH = 20;
/** Branches and iterations running at once in one execution; more are queued. */
const MAX_RUNNING_BRANCHES = 20;
/** Nesting of parallel steps (also across subworkflow calls at run time). */
const MAX_PARALLEL_DEPTH = 2;
/** Unhandled branch/iteration errors per execution. */
const MAX_UNHANDLED_BRANCH_ERRORS = 100;
/** `retry.default_backoff`, used by the predefined policies and for what a retry block leaves out. */
const DEFAULT_BACKOFF_POLICY = {
  initialDelay: DEFAULT_BACKOFF.initialDelaySeconds,
  maxDelay: DEFAULT_BACKOFF.maxDelaySeconds,
  multiplier: DEFAULT_BACKOFF.multiplier,
};
/** Connector calls: 1800 s unless `connector_params.timeout` says otherwise; LROs polled 1 s ×1.25 up to 60 s. */
const CONNECTOR_DEFAULT_TIMEOUT_SECONDS = 1800;
const CONNECTOR_MAX_TIMEOUT_SECONDS = 31_536_000;

/**
 * The policy when a parallel step does not name one. The parallel-steps page: "The default policy,
 * continueAll, results in no further action, and all other branches will attempt to run." So an
 * unhandled error in one branch does not stop the others; once all have ended the step raises
 * UnhandledBranchError. (Some third-party material says the default aborts the other branches;
 * the documentation text is followed here.)
 */
const DEFAULT_EXCEPTION_POLICY: 'continueAll' | 'abortOthers' = 'continueAll';

interface RunWorkflowOptions {
  services: ExecutionServices;
  /** Aborting it cancels the execution: its outcome is CANCELLED. */
  signal?: AbortSignal;
  /** Called as each step starts and ends (progress display, step history). */
  onStep?: (event: StepEvent) => void;
  /**
   * What a parallel step without `exception_policy` does when a branch fails. `continueAll` (the
   * default, per the parallel-steps page) lets the others run and then raises
   * UnhandledBranchError; `abortOthers` stops the other branches at their next step or wait and
   * re-raises the first error, as some third-party material describes the default.
   */
  defaultExceptionPolicy?: 'continueAll' | 'abortOthers';
}

interface TraceElement {
  step: string;
  routine: string;
  position: SourcePosition;
}

/** One thread of execution: the main one or a parallel branch/iteration. */
interface Fiber {
  holdsSlot: boolean;
}

/** Where a step runs: routine invocation, nesting path, parallel depth, fiber. */
interface RunContext {
  routine: RoutineDefinition;
  /** Subworkflow call depth; 0 in main. */
  depth: number;
  /** Identifies the routine invocation, for stack traces. */
  frame: object;
  path: string[];
  parallelDepth: number;
  fiber: Fiber;
  /** Aborted when this fiber must stop: the execution ends, or (abortOthers) a sibling branch failed. */
  signal: AbortSignal;
  /** The services, bound to `signal`. */
  services: ExecutionServices;
}

interface ResolvedRetry {
  predicate: { kind: 'always' } | { kind: 'subworkflow'; name: string } | { kind: 'function'; name: string };
  maxRetries: number;
  initialDelay: number;
  maxDelay: number;
  multiplier: number;
}

const builtin = WorkflowRuntimeError.builtin;

/** A whole number from an int or an integral double (TypeError otherwise). */
const wholeNumber = (value: WorkflowValue, what: string): number => {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  throw builtin('TypeError', `${what} must be an integer, not ${typeName(value)}`);
};

/** A number above zero from an int or a double (ValueError otherwise). */
const positiveNumber = (value: WorkflowValue, what: string): number => {
  if ((typeof value !== 'bigint' && typeof value !== 'number') || !(Number(value) > 0)) {
    throw builtin('ValueError', `${what} must be a positive number`);
  }
  return Number(value);
};

/** JSON text of an error value even when it holds bytes (rendered as base64 strings). */
const payloadText = (value: WorkflowValue): string => {
  const printable = (item: WorkflowValue): WorkflowValue => {
    if (item instanceof Uint8Array) return Buffer.from(item).toString('base64');
    if (Array.isArray(item)) return item.map(printable);
    if (item instanceof Map) return new Map([...item].map(([key, entry]) => [key, printable(entry)]));
    if (typeof item === 'number' && !Number.isFinite(item)) return String(item);
    return item;
  };
  return encodeJsonText(printable(value));
};

/** Whether a value holds bytes anywhere (bytes cannot be an execution result). */
const holdsBytes = (value: WorkflowValue): boolean => {
  if (value instanceof Uint8Array) return true;
  if (Array.isArray(value)) return value.some(holdsBytes);
  if (value instanceof Map) return [...value.values()].some(holdsBytes);
  return false;
};

/** The execution's services with every wait tied to its abort signal. */
const bindServices = (base: ExecutionServices, signal: AbortSignal): ExecutionServices => {
  const both = (other?: AbortSignal): AbortSignal => (other ? AbortSignal.any([other, signal]) : signal);
  return {
    clock: { now: () => base.clock.now(), sleep: (ms, other) => base.clock.sleep(ms, both(other)) },
    http: (request, other) => base.http(request, both(other)),
    callbacks: {
      create: (method) => base.callbacks.create(method),
      await: (url, timeoutMs, other) => base.callbacks.await(url, timeoutMs, both(other)),
    },
    connectors: {
      call: (name, args, options) =>
        base.connectors.call(name, args, { ...options, signal: both(options.signal) }),
    },
    log: (entry) => base.log(entry),
    env: base.env,
    randomUuid: () => base.randomUuid(),
  };
};

/** One run of a compiled workflow. */
class Execution {
  private stepsRun = 0;
  private unhandledBranchErrors = 0;
  private readonly meter = new MemoryMeter();
  private readonly slots = new BranchSlots(MAX_RUNNING_BRANCHES);
  private readonly traces = new WeakMap<object, { elements: TraceElement[]; frames: Set<object> }>();
  private readonly abort = new AbortController();
  private readonly services: ExecutionServices;
  private readonly library: Map<string, StdlibFunction> = createStandardLibrary();
  private readonly jumpIndex = new WeakMap<StepBlock, Map<string, number[] | null>>();
  private readonly assignLocks = new WeakMap<StepAction, boolean>();
  private lockTail: Promise<void> = Promise.resolve();

  constructor(
    private readonly workflow: CompiledWorkflow,
    private readonly options: RunWorkflowOptions,
  ) {
    this.services = bindServices(options.services, this.abort.signal);
  }

  async run(argument: WorkflowValue | undefined): Promise<ExecutionOutcome> {
    const external = this.options.signal;
    const onCancel = (): void => {
      this.abort.abort(new ExecutionInterrupt('cancelled', null, 'the execution was cancelled'));
    };
    if (external?.aborted) onCancel();
    external?.addEventListener('abort', onCancel, { once: true });
    const main = this.workflow.main;
    const scope = new VariableScope('routine', undefined, this.meter);
    const ctx: RunContext = {
      routine: main,
      depth: 0,
      frame: {},
      path: [],
      parallelDepth: 0,
      fiber: { holdsSlot: false },
      signal: this.abort.signal,
      services: this.services,
    };
    try {
      this.checkAlive(ctx);
      const param = main.params[0];
      if (param) scope.define(param.name, argument === undefined ? null : deepCopy(argument));
      const completion = await this.executeBlock(main.body, ctx, scope);
      const result = this.routineResult(completion, main);
      if (holdsBytes(result)) {
        throw builtin('TypeError', 'the workflow returned bytes, which an execution result cannot hold');
      }
      return { state: 'SUCCEEDED', result };
    } catch (thrown) {
      return this.failure(thrown);
    } finally {
      external?.removeEventListener('abort', onCancel);
      scope.release();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Outcome and traces
  // ---------------------------------------------------------------------------------------------

  private failure(thrown: unknown): ExecutionOutcome {
    const reason = this.abort.signal.aborted ? this.abort.signal.reason : thrown;
    if (reason instanceof ExecutionInterrupt && reason.kind === 'cancelled') {
      return {
        state: 'CANCELLED',
        error: {
          payload: payloadText(new Map([['message', 'the execution was cancelled']])),
          context: 'the execution was cancelled',
          stackTrace: { elements: [] },
        },
      };
    }
    const error =
      reason instanceof ExecutionInterrupt
        ? new WorkflowRuntimeError(reason.value)
        : toWorkflowRuntimeError(thrown);
    const trace = this.traces.get(reason instanceof ExecutionInterrupt ? reason : error)?.elements ?? [];
    return { state: 'FAILED', error: this.executionError(error.value, trace) };
  }

  private executionError(value: WorkflowValue, elements: TraceElement[]): ExecutionError {
    const tags = value instanceof Map ? value.get('tags') : undefined;
    const kind = Array.isArray(tags) && typeof tags[0] === 'string' ? tags[0] : 'RuntimeError';
    const lines = elements.map(
      (element, index) =>
        `${index === 0 ? `${kind} ` : ''}in step "${element.step}", routine "${element.routine}", line: ${element.position.line}`,
    );
    return {
      payload: payloadText(value),
      context: lines.length > 0 ? lines.join('\n') : kind,
      stackTrace: {
        elements: elements.map((element) => ({
          step: element.step,
          routine: element.routine,
          position: { ...element.position },
        })),
      },
    };
  }

  /** Adds the step to the error's trace, once per routine invocation (innermost step first). */
  private traced(thrown: unknown, step: StepDefinition, ctx: RunContext): unknown {
    if (ctx.signal.aborted && !(thrown instanceof WorkflowRuntimeError)) {
      const reason: unknown = ctx.signal.reason;
      this.addTrace(reason, step, ctx);
      return reason;
    }
    const error = thrown instanceof ExecutionInterrupt ? thrown : toWorkflowRuntimeError(thrown);
    this.addTrace(error, step, ctx);
    return error;
  }

  private addTrace(error: unknown, step: StepDefinition, ctx: RunContext): void {
    if (typeof error !== 'object' || error === null) return;
    const trace = this.traces.get(error) ?? { elements: [], frames: new Set<object>() };
    this.traces.set(error, trace);
    if (trace.frames.has(ctx.frame)) return;
    trace.frames.add(ctx.frame);
    trace.elements.push({ step: step.name, routine: ctx.routine.name, position: step.position });
  }

  private emit(ctx: RunContext, step: StepDefinition, state: StepEvent['state']): void {
    if (!this.options.onStep) return;
    try {
      this.options.onStep({
        routine: ctx.routine.name,
        step: step.name,
        path: [...ctx.path],
        at: this.services.clock.now(),
        state,
      });
    } catch {
      // An observer never breaks the execution.
    }
  }

  private checkAlive(ctx: RunContext): void {
    if (ctx.signal.aborted) throw ctx.signal.reason;
  }

  /** Ends the whole execution (every branch) with an error no `except` can catch. */
  private terminate(value: WorkflowValue, message: string): never {
    const interrupt = new ExecutionInterrupt('terminated', value, message);
    this.abort.abort(interrupt);
    throw interrupt;
  }

  // ---------------------------------------------------------------------------------------------
  // Blocks and steps
  // ---------------------------------------------------------------------------------------------

  /**
   * Where `target` is reachable from this block without entering a loop, a branch or a try:
   * `[index]` for a step of the block, `[index, ...]` for a step inside nested `steps:` groups.
   */
  private locate(block: StepBlock, target: string): number[] | undefined {
    let cache = this.jumpIndex.get(block);
    if (!cache) {
      cache = new Map();
      this.jumpIndex.set(block, cache);
    }
    if (cache.has(target)) return cache.get(target) ?? undefined;
    let found: number[] | undefined;
    const direct = block.index.get(target);
    if (direct !== undefined) found = [direct];
    else {
      for (const [index, step] of block.steps.entries()) {
        if (step.action?.kind !== 'steps') continue;
        const inner = this.locate(step.action.body, target);
        if (inner) {
          found = [index, ...inner];
          break;
        }
      }
    }
    cache.set(target, found ?? null);
    return found;
  }

  private async executeBlock(
    block: StepBlock,
    ctx: RunContext,
    scope: VariableScope,
    entry: number[] = [],
  ): Promise<Completion> {
    let index = entry[0] ?? 0;
    let inner = entry.slice(1);
    while (index < block.steps.length) {
      const completion = await this.executeStep(block.steps[index] as StepDefinition, ctx, scope, inner);
      inner = [];
      if (completion.kind === 'jump') {
        const found = this.locate(block, completion.target);
        if (!found) return completion;
        index = found[0] as number;
        inner = found.slice(1);
        continue;
      }
      if (completion.kind !== 'normal') return completion;
      index += 1;
    }
    return NORMAL;
  }

  private async executeStep(
    step: StepDefinition,
    ctx: RunContext,
    scope: VariableScope,
    entry: number[],
  ): Promise<Completion> {
    this.checkAlive(ctx);
    this.stepsRun += 1;
    if (this.stepsRun > MAX_STEPS) {
      const value = builtin(
        'ResourceLimitError',
        `the execution exceeded the limit of ${MAX_STEPS} steps`,
      ).value;
      try {
        this.terminate(value, 'step limit exceeded');
      } catch (interrupt) {
        this.addTrace(interrupt, step, ctx);
        throw interrupt;
      }
    }
    this.emit(ctx, step, 'started');
    try {
      let completion = await this.runAction(step, step.action, ctx, scope, entry);
      if (completion.kind === 'normal' && step.next) completion = completionOfJump(step.next.target);
      this.emit(ctx, step, 'succeeded');
      return completion;
    } catch (thrown) {
      this.emit(ctx, step, 'failed');
      throw this.traced(thrown, step, ctx);
    }
  }

  private async runAction(
    step: StepDefinition,
    action: StepAction | undefined,
    ctx: RunContext,
    scope: VariableScope,
    entry: number[],
  ): Promise<Completion> {
    if (!action) return NORMAL;
    switch (action.kind) {
      case 'steps':
        return this.executeBlock(action.body, ctx, scope, entry);
      case 'assign':
        if (ctx.parallelDepth > 0 && this.canLock(action)) {
          await this.atomically(() => this.runAssignments(action, ctx, scope));
        } else {
          await this.runAssignments(action, ctx, scope);
        }
        return NORMAL;
      case 'call': {
        const value = await this.runCall(action, ctx, scope);
        if (action.result) scope.write(action.result, deepCopy(value));
        return NORMAL;
      }
      case 'switch':
        for (const condition of action.conditions) {
          const value = await this.evaluate(condition.condition, ctx, scope);
          if (typeof value !== 'boolean') {
            throw builtin('TypeError', `a switch condition must be a boolean, not ${typeName(value)}`);
          }
          if (!value) continue;
          const completion = condition.action
            ? await this.runAction(step, condition.action, ctx, scope, [])
            : NORMAL;
          if (completion.kind === 'normal' && condition.next) return completionOfJump(condition.next.target);
          return completion;
        }
        return NORMAL;
      case 'for':
        return this.runLoop(step, action.loop, ctx, scope);
      case 'parallel':
        await this.runParallel(step, action, ctx, scope);
        return NORMAL;
      case 'raise':
        throw WorkflowRuntimeError.raised(await this.evaluate(action.value, ctx, scope));
      case 'return':
        return { kind: 'return', value: await this.evaluate(action.value, ctx, scope) };
      case 'try':
        return this.runTry(action, ctx, scope);
    }
  }

  private routineResult(completion: Completion, routine: RoutineDefinition): WorkflowValue {
    if (completion.kind === 'return') return completion.value;
    if (completion.kind === 'normal') return null;
    const what = completion.kind === 'jump' ? `next: ${completion.target}` : `next: ${completion.kind}`;
    throw builtin('SystemError', `${what} has no target in workflow "${routine.name}"`);
  }

  // ---------------------------------------------------------------------------------------------
  // Values
  // ---------------------------------------------------------------------------------------------

  private expressionContext(ctx: RunContext, scope: VariableScope): ExpressionContext {
    return {
      readVariable: (name) => scope.read(name),
      hasVariable: (name) => scope.has(name),
      callFunction: (name, args) => this.callFromExpression(name, args, ctx),
    };
  }

  /** A template's value, independent of any variable (expression results are copied). */
  private async evaluate(
    template: ValueTemplate,
    ctx: RunContext,
    scope: VariableScope,
  ): Promise<WorkflowValue> {
    switch (template.kind) {
      case 'literal':
        return deepCopy(template.value);
      case 'expression':
        return deepCopy(await evaluateExpression(template.node, this.expressionContext(ctx, scope)));
      case 'list': {
        const items: WorkflowValue[] = [];
        for (const item of template.items) items.push(await this.evaluate(item, ctx, scope));
        return items;
      }
      case 'map': {
        const map: WorkflowMap = new Map();
        for (const entry of template.entries) {
          let key: WorkflowValue = entry.key as string;
          if (typeof entry.key !== 'string') {
            key = await evaluateExpression(entry.key.node, this.expressionContext(ctx, scope));
            if (typeof key !== 'string')
              throw builtin('TypeError', `a map key must be a string, not ${typeName(key)}`);
          }
          map.set(key, await this.evaluate(entry.value, ctx, scope));
        }
        return map;
      }
    }
  }

  /** Assign steps in parallel branches run atomically, unless they call subworkflows (which may block). */
  private canLock(action: StepAction & { kind: 'assign' }): boolean {
    const cached = this.assignLocks.get(action);
    if (cached !== undefined) return cached;
    const callsRoutine = action.assignments.some((assignment) =>
      expressionsOf(assignment.value).some((expression) =>
        functionsCalled(expression.node).some((name) => this.workflow.routines.has(name)),
      ),
    );
    this.assignLocks.set(action, !callsRoutine);
    return !callsRoutine;
  }

  private async atomically<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.lockTail;
    let release: () => void = () => undefined;
    this.lockTail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }

  private async runAssignments(
    action: StepAction & { kind: 'assign' },
    ctx: RunContext,
    scope: VariableScope,
  ): Promise<void> {
    for (const assignment of action.assignments) {
      const value = await this.evaluate(assignment.value, ctx, scope);
      const { variable, path } = assignment.target;
      if (path.length === 0) {
        scope.write(variable, value);
        continue;
      }
      const keys: WorkflowValue[] = [];
      for (const segment of path) {
        keys.push(
          segment.kind === 'key'
            ? segment.key
            : await evaluateExpression(segment.expression, this.expressionContext(ctx, scope)),
        );
      }
      let container = scope.valueToChange(variable, deepCopy);
      for (const [index, key] of keys.entries()) {
        const last = index === keys.length - 1;
        if (container instanceof Map) {
          if (typeof key !== 'string')
            throw builtin('TypeError', `a map key must be a string, not ${typeName(key)}`);
          if (last) container.set(key, value);
          else {
            if (!container.has(key)) container.set(key, new Map());
            container = container.get(key) as WorkflowValue;
          }
        } else if (Array.isArray(container)) {
          if (typeof key !== 'bigint')
            throw builtin('TypeError', `a list index must be an integer, not ${typeName(key)}`);
          if (key < 0n || key >= BigInt(container.length)) {
            throw builtin(
              'IndexError',
              `list index ${key} out of range (length ${container.length}) in ${assignment.text}`,
            );
          }
          if (last) container[Number(key)] = value;
          else container = container[Number(key)] as WorkflowValue;
        } else {
          throw builtin('TypeError', `cannot assign into a ${typeName(container)} in ${assignment.text}`);
        }
      }
      scope.touched(variable);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Calls
  // ---------------------------------------------------------------------------------------------

  private async runCall(
    action: StepAction & { kind: 'call' },
    ctx: RunContext,
    scope: VariableScope,
  ): Promise<WorkflowValue> {
    const { target, args } = action;
    const named = new Map<string, WorkflowValue>();
    const positional: WorkflowValue[] = [];
    if (args.kind === 'named') {
      for (const entry of args.entries) named.set(entry.name, await this.evaluate(entry.value, ctx, scope));
    } else if (args.kind === 'positional') {
      for (const item of args.items) positional.push(await this.evaluate(item, ctx, scope));
    }
    if (target.kind === 'subworkflow') {
      const routine = this.workflow.routines.get(target.name) as RoutineDefinition;
      return this.callRoutine(routine, named, ctx);
    }
    if (target.kind === 'connector') return this.callConnector(target.name, named, ctx);
    const fn = this.library.get(target.name);
    if (!fn) {
      throw builtin('SystemError', `${target.name} is not available in the local Workflows executor`);
    }
    if (args.kind !== 'named') return this.invoke(target.name, fn, positional, ctx);
    for (const name of named.keys()) {
      if (!fn.params.includes(name)) throw builtin('TypeError', `${target.name}: unknown argument "${name}"`);
    }
    let count = fn.params.length;
    while (count > 0 && !named.has(fn.params[count - 1] as string)) count -= 1;
    const ordered = fn.params
      .slice(0, count)
      .map((name) => (named.has(name) ? (named.get(name) as WorkflowValue) : null));
    return this.invoke(target.name, fn, ordered, ctx);
  }

  private async invoke(
    name: string,
    fn: StdlibFunction,
    args: WorkflowValue[],
    ctx: RunContext,
  ): Promise<WorkflowValue> {
    try {
      return await fn.invoke(args, ctx.services);
    } catch (thrown) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (thrown instanceof ExecutionInterrupt) throw thrown;
      const error = toWorkflowRuntimeError(thrown);
      if (!(thrown instanceof WorkflowRuntimeError)) {
        throw builtin('SystemError', `${name} failed: ${error.message}`);
      }
      throw error;
    }
  }

  private async callFromExpression(
    name: string,
    args: WorkflowValue[],
    ctx: RunContext,
  ): Promise<WorkflowValue> {
    const routine = this.workflow.routines.get(name);
    if (routine) {
      if (args.length > routine.params.length) {
        throw builtin(
          'TypeError',
          `${name} takes ${routine.params.length} argument(s), ${args.length} given`,
        );
      }
      const named = new Map<string, WorkflowValue>();
      for (const [index, value] of args.entries())
        named.set((routine.params[index] as { name: string }).name, value);
      return this.callRoutine(routine, named, ctx);
    }
    const fn = this.library.get(name);
    if (fn) {
      if (fn.blocking) throw builtin('TypeError', `${name} is a blocking function: call it from a call step`);
      return this.invoke(name, fn, args, ctx);
    }
    if (name.startsWith('googleapis.')) return this.callConnectorHelper(name, args, ctx);
    throw builtin('TypeError', `unknown function ${name}()`);
  }

  /** Runs a subworkflow: named arguments bound to parameters (defaults for the rest). */
  private async callRoutine(
    routine: RoutineDefinition,
    args: Map<string, WorkflowValue>,
    ctx: RunContext,
  ): Promise<WorkflowValue> {
    const depth = ctx.depth + 1;
    if (depth > MAX_CALL_DEPTH) {
      throw builtin(
        'RecursionError',
        `maximum call stack depth (${MAX_CALL_DEPTH}) exceeded calling ${routine.name}`,
      );
    }
    const scope = new VariableScope('routine', undefined, this.meter);
    const inner: RunContext = { ...ctx, routine, depth, frame: {}, path: [...ctx.path] };
    try {
      for (const name of args.keys()) {
        if (!routine.params.some((param) => param.name === name)) {
          throw builtin('TypeError', `${routine.name}: unknown argument "${name}"`);
        }
      }
      for (const param of routine.params) {
        if (args.has(param.name)) scope.define(param.name, deepCopy(args.get(param.name) as WorkflowValue));
        else if (param.defaultValue)
          scope.define(param.name, await this.evaluate(param.defaultValue, inner, scope));
        else throw builtin('TypeError', `${routine.name}: missing required argument "${param.name}"`);
      }
      return this.routineResult(await this.executeBlock(routine.body, inner, scope), routine);
    } finally {
      scope.release();
    }
  }

  /** `googleapis.*` in a call step: path/query arguments and `body` to the connector service. */
  private async callConnector(
    name: string,
    named: Map<string, WorkflowValue>,
    ctx: RunContext,
  ): Promise<WorkflowValue> {
    const params = named.get('connector_params');
    const record: Record<string, unknown> = {};
    for (const [key, value] of named) {
      if (key !== 'connector_params') record[key] = toJson(value);
    }
    let timeoutSeconds = CONNECTOR_DEFAULT_TIMEOUT_SECONDS;
    let skipPolling = false;
    const pollingPolicy: PollingPolicy = { initialDelaySeconds: 1, multiplier: 1.25, maxDelaySeconds: 60 };
    if (params !== undefined) {
      if (!(params instanceof Map)) throw builtin('TypeError', `${name}: connector_params must be a map`);
      const timeout = params.get('timeout');
      if (timeout !== undefined && timeout !== null) {
        timeoutSeconds = positiveNumber(timeout, 'connector_params.timeout');
        if (timeoutSeconds > CONNECTOR_MAX_TIMEOUT_SECONDS) {
          throw builtin(
            'ValueError',
            `connector_params.timeout must be at most ${CONNECTOR_MAX_TIMEOUT_SECONDS} seconds`,
          );
        }
      }
      const skip = params.get('skip_polling');
      if (skip !== undefined && skip !== null) {
        if (typeof skip !== 'boolean')
          throw builtin('TypeError', 'connector_params.skip_polling must be a boolean');
        skipPolling = skip;
      }
      const polling = params.get('polling_policy');
      if (polling instanceof Map) {
        const read = (key: string): number | undefined => {
          const value = polling.get(key);
          return value === undefined || value === null
            ? undefined
            : positiveNumber(value, `polling_policy.${key}`);
        };
        pollingPolicy.initialDelaySeconds = read('initial_delay') ?? pollingPolicy.initialDelaySeconds;
        pollingPolicy.multiplier = read('multiplier') ?? pollingPolicy.multiplier;
        pollingPolicy.maxDelaySeconds = read('max_delay') ?? pollingPolicy.maxDelaySeconds;
      }
    }
    try {
      const result = await ctx.services.connectors.call(name, record, {
        timeoutMs: timeoutSeconds * 1000,
        skipPolling,
        pollingPolicy,
      });
      return fromJson(result);
    } catch (thrown) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (thrown instanceof ExecutionInterrupt) throw thrown;
      throw toWorkflowRuntimeError(thrown);
    }
  }

  /**
   * Connector helpers that may be used inside expressions (Secret Manager's `accessString` and
   * `addVersionString`), mapped to their named arguments.
   */
  private callConnectorHelper(name: string, args: WorkflowValue[], ctx: RunContext): Promise<WorkflowValue> {
    const helpers: Record<string, string[]> = {
      'googleapis.secretmanager.v1.projects.secrets.versions.accessString': [
        'secret_id',
        'version',
        'project_id',
      ],
      'googleapis.secretmanager.v1.projects.secrets.addVersionString': ['secret_id', 'project_id', 'data'],
    };
    const params = helpers[name];
    if (!params) throw builtin('TypeError', `${name} cannot be called inside an expression; use a call step`);
    const named = new Map<string, WorkflowValue>();
    for (const [index, value] of args.entries()) {
      if (params[index]) named.set(params[index] as string, value);
    }
    return this.callConnector(name, named, ctx);
  }

  // ---------------------------------------------------------------------------------------------
  // Loops
  // ---------------------------------------------------------------------------------------------

  /** The values a for loop visits: list items, or the inclusive range (evaluated once, lazily walked). */
  private async loopValues(
    loop: ForLoopDefinition,
    ctx: RunContext,
    scope: VariableScope,
  ): Promise<Iterable<WorkflowValue>> {
    if (loop.source.kind === 'in') {
      const items = await this.evaluate(loop.source.items, ctx, scope);
      if (!Array.isArray(items)) {
        throw builtin(
          'TypeError',
          `for: "in" must be a list, not ${typeName(items)}${items instanceof Map ? ' (iterate keys(map))' : ''}`,
        );
      }
      return items;
    }
    const bounds = await this.evaluate(loop.source.bounds, ctx, scope);
    const [start, end] = Array.isArray(bounds) && bounds.length === 2 ? bounds : [undefined, undefined];
    const isNumber = (value: WorkflowValue | undefined): value is bigint | number =>
      typeof value === 'bigint' || typeof value === 'number';
    if (!isNumber(start) || !isNumber(end)) {
      throw builtin('TypeError', 'for: "range" must be a list of two numbers [start, end]');
    }
    if (typeof start === 'bigint') {
      const last = typeof end === 'bigint' ? end : BigInt(Math.floor(end));
      return {
        *[Symbol.iterator]() {
          for (let value = start; value <= last; value += 1n) yield value;
        },
      };
    }
    const last = Number(end);
    return {
      *[Symbol.iterator]() {
        for (let value = start; value <= last; value += 1) yield value;
      },
    };
  }

  /**
   * A sequential for loop. Its variables (the loop variables and those first assigned in the body)
   * live in one loop scope for the whole loop, dropped when it ends; so a body may read what an
   * earlier iteration assigned.
   */
  private async runLoop(
    step: StepDefinition,
    loop: ForLoopDefinition,
    ctx: RunContext,
    scope: VariableScope,
  ): Promise<Completion> {
    const values = await this.loopValues(loop, ctx, scope);
    const loopScope = new VariableScope('for', scope, this.meter);
    try {
      let index = 0;
      for (const value of values) {
        loopScope.define(loop.value, deepCopy(value));
        if (loop.index) loopScope.define(loop.index, BigInt(index));
        const completion = await this.executeBlock(
          loop.body,
          { ...ctx, path: [...ctx.path, step.name, String(index)] },
          loopScope,
        );
        if (completion.kind === 'break') break;
        if (completion.kind === 'return') return completion;
        if (completion.kind === 'jump') {
          throw builtin(
            'SystemError',
            `next: ${completion.target} cannot leave the for loop of step "${step.name}"`,
          );
        }
        index += 1;
      }
    } finally {
      loopScope.release();
    }
    return NORMAL;
  }

  // ---------------------------------------------------------------------------------------------
  // Parallel
  // ---------------------------------------------------------------------------------------------

  /**
   * A parallel step: branches (or iterations) run as fibers, at most `concurrency_limit` of this
   * step and 20 of the execution at once. Shared variables are written through to the parent;
   * assign steps run atomically so `total: ${total + x}` never loses an update. When branches
   * fail, the others go on (continueAll) and the step then raises UnhandledBranchError; with the
   * `abortOthers` default the others are stopped and the first error is raised again.
   */
  private async runParallel(
    step: StepDefinition,
    action: StepAction & { kind: 'parallel' },
    ctx: RunContext,
    scope: VariableScope,
  ): Promise<void> {
    const depth = ctx.parallelDepth + 1;
    if (depth > MAX_PARALLEL_DEPTH) {
      throw builtin(
        'ParallelNestingError',
        `parallel steps nest at most ${MAX_PARALLEL_DEPTH} deep (step "${step.name}")`,
      );
    }
    let limit = Number.POSITIVE_INFINITY;
    if (action.concurrencyLimit) {
      limit = wholeNumber(await this.evaluate(action.concurrencyLimit, ctx, scope), 'concurrency_limit');
      if (limit < 1) throw builtin('ValueError', 'concurrency_limit must be a positive integer');
    }
    const shared = new Set(action.shared);
    const abortOthers =
      action.exceptionPolicy === undefined &&
      (this.options.defaultExceptionPolicy ?? DEFAULT_EXCEPTION_POLICY) === 'abortOthers';
    interface Task {
      id: string;
      body: StepBlock;
      bind: (branchScope: VariableScope) => void;
    }
    const tasks: Iterable<Task> = action.branches
      ? action.branches.map((branch) => ({ id: branch.name, body: branch.body, bind: () => undefined }))
      : this.iterationTasks(
          action.loop as ForLoopDefinition,
          await this.loopValues(action.loop as ForLoopDefinition, ctx, scope),
        );

    // The branches' own signal: the fiber's, plus (abortOthers) "a sibling failed".
    const group = new AbortController();
    const siblingFailed = new Error(`another branch of parallel step "${step.name}" failed`);
    const forward = (): void => group.abort(ctx.signal.reason);
    if (ctx.signal.aborted) forward();
    ctx.signal.addEventListener('abort', forward, { once: true });
    const groupServices = bindServices(this.options.services, group.signal);

    const failures: Array<{ id: string; error: WorkflowRuntimeError }> = [];
    let interrupted: unknown;
    let stopScheduling = false;
    const runTask = async (task: Task): Promise<void> => {
      const branchScope = new VariableScope('branch', scope, this.meter, shared);
      const fiber: Fiber = { holdsSlot: true };
      const branchCtx: RunContext = {
        ...ctx,
        parallelDepth: depth,
        fiber,
        path: [...ctx.path, step.name, task.id],
        signal: group.signal,
        services: groupServices,
      };
      try {
        task.bind(branchScope);
        const completion = await this.executeBlock(task.body, branchCtx, branchScope);
        if (completion.kind === 'break') stopScheduling = true;
        else if (completion.kind === 'return' || completion.kind === 'jump') {
          throw builtin('SystemError', `a ${completion.kind} cannot leave parallel step "${step.name}"`);
        }
      } catch (thrown) {
        const stoppedBy: unknown = group.signal.aborted ? group.signal.reason : undefined;
        if (stoppedBy === siblingFailed) return;
        if (stoppedBy !== undefined) interrupted ??= stoppedBy;
        else if (thrown instanceof WorkflowRuntimeError) {
          failures.push({ id: task.id, error: thrown });
          if (abortOthers) {
            stopScheduling = true;
            group.abort(siblingFailed);
          }
        } else interrupted ??= thrown;
      } finally {
        branchScope.release();
        if (fiber.holdsSlot) this.slots.release();
      }
    };

    // The waiting fiber does not run while its branches do: it gives its slot back meanwhile.
    const heldSlot = ctx.fiber.holdsSlot;
    if (heldSlot) {
      this.slots.release();
      ctx.fiber.holdsSlot = false;
    }
    try {
      const running = new Set<Promise<void>>();
      for (const task of tasks) {
        if (stopScheduling || interrupted !== undefined || group.signal.aborted) break;
        while (running.size >= limit) await Promise.race(running);
        if (stopScheduling || interrupted !== undefined || group.signal.aborted) break;
        try {
          await this.slots.acquire(group.signal);
        } catch (thrown) {
          if (thrown !== siblingFailed) interrupted ??= thrown;
          break;
        }
        const promise = runTask(task);
        running.add(promise);
        void promise.finally(() => running.delete(promise));
      }
      await Promise.all(running);
    } finally {
      ctx.signal.removeEventListener('abort', forward);
      if (heldSlot) {
        await this.slots.acquire(new AbortController().signal);
        ctx.fiber.holdsSlot = true;
      }
    }
    if (interrupted !== undefined) throw interrupted;
    this.checkAlive(ctx);
    if (failures.length === 0) return;
    this.unhandledBranchErrors += failures.length;
    if (this.unhandledBranchErrors > MAX_UNHANDLED_BRANCH_ERRORS) {
      throw builtin(
        'ResourceLimitError',
        `more than ${MAX_UNHANDLED_BRANCH_ERRORS} unhandled errors in parallel branches in this execution`,
      );
    }
    if (abortOthers) throw (failures[0] as { error: WorkflowRuntimeError }).error;
    throw builtin(
      'UnhandledBranchError',
      `UnhandledBranchError: ${failures.length} branch${failures.length === 1 ? '' : 'es'} or iteration${
        failures.length === 1 ? '' : 's'
      } of parallel step "${step.name}" ended with an unhandled error`,
      {
        branches: failures.map(
          (failure) =>
            new Map<string, WorkflowValue>([
              ['id', failure.id],
              ['error', failure.error.value],
            ]),
        ),
      },
    );
  }

  private iterationTasks(
    loop: ForLoopDefinition,
    values: Iterable<WorkflowValue>,
  ): Iterable<{ id: string; body: StepBlock; bind: (scope: VariableScope) => void }> {
    return {
      *[Symbol.iterator]() {
        let index = 0;
        for (const value of values) {
          const position = index;
          yield {
            id: String(position),
            body: loop.body,
            bind: (scope: VariableScope) => {
              scope.define(loop.value, deepCopy(value));
              if (loop.index) scope.define(loop.index, BigInt(position));
            },
          };
          index += 1;
        }
      },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // try / retry / except
  // ---------------------------------------------------------------------------------------------

  private async resolveRetry(
    retry: RetryDefinition,
    ctx: RunContext,
    scope: VariableScope,
  ): Promise<ResolvedRetry> {
    if (retry.kind === 'policy') {
      const policy = DEFAULT_RETRY_POLICIES[retry.name as keyof typeof DEFAULT_RETRY_POLICIES];
      return {
        predicate: { kind: 'function', name: policy.predicate },
        maxRetries: policy.maxRetries,
        initialDelay: policy.backoff.initialDelaySeconds,
        maxDelay: policy.backoff.maxDelaySeconds,
        multiplier: policy.backoff.multiplier,
      };
    }
    const number = async (
      template: ValueTemplate | undefined,
      what: string,
      fallback: number,
    ): Promise<number> =>
      template ? positiveNumber(await this.evaluate(template, ctx, scope), what) : fallback;
    let maxRetries = 0;
    if (retry.maxRetries) {
      maxRetries = wholeNumber(await this.evaluate(retry.maxRetries, ctx, scope), 'max_retries');
      if (maxRetries < 0) throw builtin('ValueError', 'max_retries must not be negative');
    }
    return {
      predicate: retry.predicate ?? { kind: 'always' },
      maxRetries,
      initialDelay: await number(
        retry.initialDelay,
        'backoff.initial_delay',
        DEFAULT_BACKOFF_POLICY.initialDelay,
      ),
      maxDelay: await number(retry.maxDelay, 'backoff.max_delay', DEFAULT_BACKOFF_POLICY.maxDelay),
      multiplier: await number(retry.multiplier, 'backoff.multiplier', DEFAULT_BACKOFF_POLICY.multiplier),
    };
  }

  private async shouldRetry(policy: ResolvedRetry, error: WorkflowValue, ctx: RunContext): Promise<boolean> {
    const { predicate } = policy;
    let verdict: WorkflowValue;
    if (predicate.kind === 'always') return true;
    if (predicate.kind === 'subworkflow') {
      const routine = this.workflow.routines.get(predicate.name) as RoutineDefinition;
      const param = routine.params[0];
      verdict = await this.callRoutine(routine, new Map(param ? [[param.name, error]] : []), ctx);
    } else {
      const fn = this.library.get(predicate.name);
      if (!fn) throw builtin('TypeError', `unknown retry predicate ${predicate.name}`);
      verdict = await this.invoke(predicate.name, fn, [error], ctx);
    }
    if (typeof verdict !== 'boolean') {
      throw builtin(
        'TypeError',
        `retry predicate ${predicate.name} must return a boolean, not ${typeName(verdict)}`,
      );
    }
    return verdict;
  }

  private async runTry(
    action: StepAction & { kind: 'try' },
    ctx: RunContext,
    scope: VariableScope,
  ): Promise<Completion> {
    let retries = 0;
    let policy: ResolvedRetry | undefined;
    for (;;) {
      try {
        return await this.executeBlock(action.body, ctx, scope);
      } catch (thrown) {
        if (!(thrown instanceof WorkflowRuntimeError) || ctx.signal.aborted) throw thrown;
        if (action.retry) {
          policy ??= await this.resolveRetry(action.retry, ctx, scope);
          if (retries < policy.maxRetries && (await this.shouldRetry(policy, thrown.value, ctx))) {
            const delay = Math.min(policy.initialDelay * policy.multiplier ** retries, policy.maxDelay);
            retries += 1;
            await ctx.services.clock.sleep(delay * 1000);
            continue;
          }
        }
        if (!action.except) throw thrown;
        const exceptScope = new VariableScope('except', scope, this.meter);
        try {
          if (action.except.as) exceptScope.define(action.except.as, thrown.value);
          return await this.executeBlock(action.except.body, ctx, exceptScope);
        } finally {
          exceptScope.release();
        }
      }
    }
  }
}

/**
 * Runs a compiled workflow to its end and reports the outcome as the Executions API would:
 * SUCCEEDED with the result (null when main ends without `return`), FAILED with the uncaught error
 * (payload = its JSON, plus a readable trace), or CANCELLED when `signal` aborts. Never throws for
 * anything the workflow does.
 */
const runWorkflow = (
  workflow: CompiledWorkflow,
  argument: WorkflowValue | undefined,
  options: RunWorkflowOptions,
): Promise<ExecutionOutcome> => new Execution(workflow, options).run(argument);

export type { RunWorkflowOptions };
export {
  DEFAULT_EXCEPTION_POLICY,
  MAX_CALL_DEPTH,
  MAX_PARALLEL_DEPTH,
  MAX_RUNNING_BRANCHES,
  MAX_STEPS,
  runWorkflow,
};
