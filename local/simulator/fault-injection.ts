import { randomInt } from 'node:crypto';
import { type ApiErrorBody, invalidArgument, type RpcStatus, SimulatorApiError } from './api-error';
import type { InjectedOperationError } from './service';

/**
 * Injected failures, per route name, so tests can see how callers cope with what Google does now
 * and then: 503s and 429s, a request that never gets an answer, an operation that ends in error.
 * A request fault is decided before the route's handler runs, so a failed request has no effect,
 * as when Google's front end refuses it. Faults are test configuration, not platform state: a reset
 * keeps them (clear them separately), as it keeps the request log.
 */

/** The HTTP statuses a fault may answer with; each gets the body Google sends for it. */
const INJECTED_STATUSES = [429, 500, 503] as const;
type InjectedStatus = (typeof INJECTED_STATUSES)[number];

/** One scripted answer: 200 lets the request through, `'timeout'` holds it unanswered. */
type SequenceStep = 200 | InjectedStatus | 'timeout';

/** Each request fails with probability `rate`, drawn from a generator seeded with `seed`. */
interface RateFaultSpec {
  route: string;
  /** In [0, 1]. */
  rate: number;
  /** @default 503 */
  status?: InjectedStatus | 'timeout';
  /** Seed for reproducible draws; a random one is picked (and listed) when absent. */
  seed?: number;
  /** How long a `'timeout'` holds the request, in real milliseconds. */
  timeoutMs?: number;
}

/** Each request takes the next step; once they are used up, requests pass and the fault is gone. */
interface SequenceFaultSpec {
  route: string;
  sequence: SequenceStep[];
  timeoutMs?: number;
}

/** The route's next `count` long-running operations end (DONE) with this error instead of their effect. */
interface OperationErrorFaultSpec {
  route: string;
  operationError: InjectedOperationError;
  /** @default 1 */
  count?: number;
}

/** What `POST /_sim/faults` and `simulator.faults.inject()` take. */
type FaultSpec = RateFaultSpec | SequenceFaultSpec | OperationErrorFaultSpec;

/** An active fault, as `GET /_sim/faults` lists it. */
type FaultView =
  | {
      route: string;
      kind: 'rate';
      rate: number;
      status: InjectedStatus | 'timeout';
      seed: number;
      timeoutMs: number;
      /** Requests failed so far. */
      injected: number;
    }
  | { route: string; kind: 'sequence'; remaining: SequenceStep[]; timeoutMs: number }
  | { route: string; kind: 'operationError'; operationError: InjectedOperationError; remaining: number };

/** What to do with one request to a route. */
type FaultDecision =
  | { action: 'pass' }
  | { action: 'error'; status: InjectedStatus; body: ApiErrorBody }
  | { action: 'timeout'; timeoutMs: number };

interface FaultInjectorOptions {
  /** The routes faults may name; another name is refused, as a typo would otherwise inject nothing. */
  routeNames?: ReadonlySet<string>;
  /** How long `'timeout'` holds a request when the fault gives no `timeoutMs`. @default 30000 */
  defaultTimeoutMs?: number;
}

/** The faults of one simulator; created by {@link createFaultInjector}. */
interface FaultInjector {
  /**
   * Adds a fault. A route has at most one request fault (rate or sequence) and one operation-error
   * fault; a new one of the same kind replaces the old.
   *
   * @throws SimulatorApiError INVALID_ARGUMENT if the spec is malformed or names an unknown route.
   */
  inject(spec: FaultSpec): FaultView;
  list(): FaultView[];
  /** Removes every fault, or only the given route's. */
  clear(route?: string): void;
  /** Decides the fate of one request to `route`, consuming a sequence step or a random draw. */
  decide(route: string): FaultDecision;
  /** The error the route's operation starting now must end with, consuming one; see `FaultHooks`. */
  operationError(route: string): InjectedOperationError | undefined;
}

/** Google's standard messages for these statuses. */
const FAULT_ERRORS: Readonly<Record<InjectedStatus, { status: RpcStatus; message: string }>> = {
  429: { status: 'RESOURCE_EXHAUSTED', message: 'Resource has been exhausted (e.g. check quota).' },
  500: { status: 'INTERNAL', message: 'Internal error encountered.' },
  503: { status: 'UNAVAILABLE', message: 'The service is currently unavailable.' },
};

/** The body Google sends with an injected status. */
const faultErrorBody = (status: InjectedStatus): ApiErrorBody =>
  new SimulatorApiError(FAULT_ERRORS[status].status, FAULT_ERRORS[status].message).toBody();

/** mulberry32: a small, fast generator whose whole state is one 32-bit seed, so a run can be replayed. */
const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

const isInjectedStatus = (value: unknown): value is InjectedStatus =>
  (INJECTED_STATUSES as readonly unknown[]).includes(value);

const isSequenceStep = (value: unknown): value is SequenceStep =>
  value === 200 || value === 'timeout' || isInjectedStatus(value);

const SPEC_KEYS = {
  rate: ['route', 'rate', 'status', 'seed', 'timeoutMs'],
  sequence: ['route', 'sequence', 'timeoutMs'],
  operationError: ['route', 'operationError', 'count'],
} as const;

const fail = (message: string): SimulatorApiError => invalidArgument(`Invalid fault: ${message}`);

const positiveInteger = (value: unknown, name: string): number | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw fail(`${name} must be a positive integer, got ${JSON.stringify(value)}.`);
  }
  return value;
};

/**
 * Checks an untyped fault (a `POST /_sim/faults` body): exactly one of `rate`, `sequence` and
 * `operationError`, no other keys, values in range.
 *
 * @throws SimulatorApiError INVALID_ARGUMENT saying what is wrong.
 */
const parseFaultSpec = (input: unknown): FaultSpec => {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw fail('expected an object.');
  const spec = input as Record<string, unknown>;
  if (typeof spec.route !== 'string' || spec.route === '') throw fail('route must be a route name.');
  const kinds = (['rate', 'sequence', 'operationError'] as const).filter((kind) => spec[kind] !== undefined);
  const [kind] = kinds;
  if (kind === undefined || kinds.length > 1) {
    throw fail('give exactly one of rate, sequence and operationError.');
  }
  const allowed: readonly string[] = SPEC_KEYS[kind];
  const unknown = Object.keys(spec).find((key) => !allowed.includes(key));
  if (unknown !== undefined) throw fail(`unknown field "${unknown}" for a ${kind} fault.`);
  const timeoutMs = positiveInteger(spec.timeoutMs, 'timeoutMs');
  const route = spec.route;

  switch (kind) {
    case 'rate': {
      const { rate, status = 503, seed } = spec;
      if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1))
        throw fail('rate must be a number in [0, 1].');
      if (status !== 'timeout' && !isInjectedStatus(status)) {
        throw fail(`status must be one of ${INJECTED_STATUSES.join(', ')} or 'timeout'.`);
      }
      if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed))) {
        throw fail('seed must be an integer.');
      }
      return {
        route,
        rate,
        status,
        ...(seed === undefined ? {} : { seed }),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      };
    }
    case 'sequence': {
      const { sequence } = spec;
      if (!Array.isArray(sequence) || !sequence.every(isSequenceStep)) {
        throw fail(`sequence must list 200, ${INJECTED_STATUSES.join(', ')} or 'timeout'.`);
      }
      return { route, sequence: [...sequence], ...(timeoutMs === undefined ? {} : { timeoutMs }) };
    }
    case 'operationError': {
      const error = spec.operationError as Partial<InjectedOperationError> | null;
      if (
        error === null ||
        typeof error !== 'object' ||
        typeof error.code !== 'number' ||
        !Number.isInteger(error.code) ||
        error.code < 1 ||
        error.code > 16 ||
        typeof error.message !== 'string'
      ) {
        throw fail('operationError must be {code: a gRPC code 1-16, message: string}.');
      }
      const count = positiveInteger(spec.count, 'count') ?? 1;
      return { route, operationError: { code: error.code, message: error.message }, count };
    }
  }
};

type RequestRule =
  | {
      kind: 'rate';
      rate: number;
      status: InjectedStatus | 'timeout';
      seed: number;
      next: () => number;
      timeoutMs: number;
      injected: number;
    }
  | { kind: 'sequence'; steps: SequenceStep[]; timeoutMs: number };

interface OperationRule {
  error: InjectedOperationError;
  remaining: number;
}

const failure = (outcome: InjectedStatus | 'timeout', timeoutMs: number): FaultDecision =>
  outcome === 'timeout'
    ? { action: 'timeout', timeoutMs }
    : { action: 'error', status: outcome, body: faultErrorBody(outcome) };

/** Creates the fault injector of one simulator. */
const createFaultInjector = (options: FaultInjectorOptions = {}): FaultInjector => {
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
  const requestRules = new Map<string, RequestRule>();
  const operationRules = new Map<string, OperationRule>();

  const view = (route: string, rule: RequestRule): FaultView =>
    rule.kind === 'rate'
      ? {
          route,
          kind: 'rate',
          rate: rule.rate,
          status: rule.status,
          seed: rule.seed,
          timeoutMs: rule.timeoutMs,
          injected: rule.injected,
        }
      : { route, kind: 'sequence', remaining: [...rule.steps], timeoutMs: rule.timeoutMs };

  const operationView = (route: string, rule: OperationRule): FaultView => ({
    route,
    kind: 'operationError',
    operationError: { ...rule.error },
    remaining: rule.remaining,
  });

  return {
    inject(input) {
      const spec = parseFaultSpec(input);
      if (options.routeNames && !options.routeNames.has(spec.route)) {
        throw fail(`no route is named ${spec.route}; known: ${[...options.routeNames].sort().join(', ')}.`);
      }
      if ('operationError' in spec) {
        const rule = { error: spec.operationError, remaining: spec.count ?? 1 };
        operationRules.set(spec.route, rule);
        return operationView(spec.route, rule);
      }
      const timeoutMs = spec.timeoutMs ?? defaultTimeoutMs;
      let rule: RequestRule;
      if ('sequence' in spec) {
        rule = { kind: 'sequence', steps: [...spec.sequence], timeoutMs };
      } else {
        const seed = spec.seed ?? randomInt(2 ** 31);
        rule = {
          kind: 'rate',
          rate: spec.rate,
          status: spec.status ?? 503,
          seed,
          next: seededRandom(seed),
          timeoutMs,
          injected: 0,
        };
      }
      requestRules.set(spec.route, rule);
      return view(spec.route, rule);
    },
    list: () => [
      ...[...requestRules].map(([route, rule]) => view(route, rule)),
      ...[...operationRules].map(([route, rule]) => operationView(route, rule)),
    ],
    clear(route) {
      if (route === undefined) {
        requestRules.clear();
        operationRules.clear();
        return;
      }
      requestRules.delete(route);
      operationRules.delete(route);
    },
    decide(route) {
      const rule = requestRules.get(route);
      if (!rule) return { action: 'pass' };
      if (rule.kind === 'rate') {
        if (rule.next() >= rule.rate) return { action: 'pass' };
        rule.injected += 1;
        return failure(rule.status, rule.timeoutMs);
      }
      const step = rule.steps.shift();
      if (rule.steps.length === 0) requestRules.delete(route);
      if (step === undefined || step === 200) return { action: 'pass' };
      return failure(step, rule.timeoutMs);
    },
    operationError(route) {
      const rule = operationRules.get(route);
      if (!rule) return undefined;
      rule.remaining -= 1;
      if (rule.remaining <= 0) operationRules.delete(route);
      return { ...rule.error };
    },
  };
};

export type {
  FaultDecision,
  FaultInjector,
  FaultInjectorOptions,
  FaultSpec,
  FaultView,
  InjectedStatus,
  OperationErrorFaultSpec,
  RateFaultSpec,
  SequenceFaultSpec,
  SequenceStep,
};
export { createFaultInjector, faultErrorBody, INJECTED_STATUSES, parseFaultSpec };
