import { SimulatorApiError } from '../../../local/simulator/api-error';
import {
  createFaultInjector,
  type FaultDecision,
  type FaultSpec,
  faultErrorBody,
} from '../../../local/simulator/fault-injection';

const ROUTES = new Set(['nodePools.get', 'nodePools.setSize']);

/** The outcome of each of `count` requests: 'pass', the injected status, or 'timeout'. */
const outcomes = (decide: () => FaultDecision, count: number): Array<string | number> =>
  Array.from({ length: count }, () => {
    const decision = decide();
    if (decision.action === 'error') return decision.status;
    return decision.action;
  });

describe('fault-injection', () => {
  it('fails the same requests for the same seed', () => {
    // Prepare
    const first = createFaultInjector({ routeNames: ROUTES });
    const second = createFaultInjector({ routeNames: ROUTES });
    first.inject({ route: 'nodePools.get', rate: 0.2, status: 503, seed: 42 });
    second.inject({ route: 'nodePools.get', rate: 0.2, status: 503, seed: 42 });

    // Act
    const firstRun = outcomes(() => first.decide('nodePools.get'), 200);
    const secondRun = outcomes(() => second.decide('nodePools.get'), 200);

    // Assess
    expect(secondRun).toEqual(firstRun);
    const failed = firstRun.filter((outcome) => outcome === 503).length;
    expect(failed).toBeGreaterThan(20);
    expect(failed).toBeLessThan(60);
    expect(first.list()).toEqual([
      {
        route: 'nodePools.get',
        kind: 'rate',
        rate: 0.2,
        status: 503,
        seed: 42,
        timeoutMs: 30_000,
        injected: failed,
      },
    ]);
  });

  it('picks and lists a seed when none is given, and leaves other routes alone', () => {
    // Prepare
    const faults = createFaultInjector({ routeNames: ROUTES });

    // Act
    const view = faults.inject({ route: 'nodePools.get', rate: 1 });
    const decision = faults.decide('nodePools.get');
    const other = faults.decide('nodePools.setSize');

    // Assess
    expect(view).toMatchObject({ kind: 'rate', status: 503, seed: expect.any(Number) });
    expect(decision).toEqual({ action: 'error', status: 503, body: faultErrorBody(503) });
    expect(other).toEqual({ action: 'pass' });
  });

  it('plays a sequence step by step, then passes and forgets it', () => {
    // Prepare
    const faults = createFaultInjector({ routeNames: ROUTES, defaultTimeoutMs: 50 });
    faults.inject({ route: 'nodePools.get', sequence: [503, 429, 'timeout', 200, 500] });

    // Act
    const played = outcomes(() => faults.decide('nodePools.get'), 7);

    // Assess
    expect(played).toEqual([503, 429, 'timeout', 'pass', 500, 'pass', 'pass']);
    expect(faults.list()).toEqual([]);
  });

  it('holds a timeout for the fault’s own time', () => {
    // Prepare
    const faults = createFaultInjector({ routeNames: ROUTES });
    faults.inject({ route: 'nodePools.get', sequence: ['timeout'], timeoutMs: 250 });

    // Act
    const decision = faults.decide('nodePools.get');

    // Assess
    expect(decision).toEqual({ action: 'timeout', timeoutMs: 250 });
  });

  it.each([
    [429, 'RESOURCE_EXHAUSTED'],
    [500, 'INTERNAL'],
    [503, 'UNAVAILABLE'],
  ] as const)('answers an injected %d with Google’s %s body', (status, rpcStatus) => {
    // Act
    const body = faultErrorBody(status);

    // Assess
    expect(body).toEqual({ error: { code: status, message: expect.any(String), status: rpcStatus } });
  });

  it('ends the next operations of a route in error, count times', () => {
    // Prepare
    const faults = createFaultInjector({ routeNames: ROUTES });
    faults.inject({ route: 'nodePools.setSize', operationError: { code: 13, message: 'boom' }, count: 2 });

    // Act
    const errors = [1, 2, 3].map(() => faults.operationError('nodePools.setSize'));
    const requestDecision = faults.decide('nodePools.setSize');

    // Assess
    expect(errors).toEqual([{ code: 13, message: 'boom' }, { code: 13, message: 'boom' }, undefined]);
    expect(requestDecision).toEqual({ action: 'pass' });
    expect(faults.list()).toEqual([]);
  });

  it('keeps one request fault and one operation fault per route, and clears by route', () => {
    // Prepare
    const faults = createFaultInjector({ routeNames: ROUTES });
    faults.inject({ route: 'nodePools.get', rate: 1, status: 500, seed: 1 });
    faults.inject({ route: 'nodePools.get', sequence: [429] });
    faults.inject({ route: 'nodePools.setSize', sequence: [503] });
    faults.inject({ route: 'nodePools.setSize', operationError: { code: 9, message: 'no' } });

    // Act
    const before = faults.list().map((fault) => `${fault.route} ${fault.kind}`);
    faults.clear('nodePools.setSize');
    const after = faults.list().map((fault) => `${fault.route} ${fault.kind}`);
    faults.clear();

    // Assess
    expect(before).toEqual([
      'nodePools.get sequence',
      'nodePools.setSize sequence',
      'nodePools.setSize operationError',
    ]);
    expect(after).toEqual(['nodePools.get sequence']);
    expect(faults.list()).toEqual([]);
  });

  it.each([
    [{ route: 'nodePools.gets', rate: 0.5 }, 'no route is named nodePools.gets'],
    [{ route: 'nodePools.get' }, 'exactly one of rate, sequence and operationError'],
    [
      { route: 'nodePools.get', rate: 0.5, sequence: [503] },
      'exactly one of rate, sequence and operationError',
    ],
    [{ route: 'nodePools.get', rate: 1.5 }, 'rate must be a number in [0, 1]'],
    [{ route: 'nodePools.get', rate: 0.5, status: 404 }, 'status must be one of 429, 500, 503'],
    [{ route: 'nodePools.get', rate: 0.5, seed: 'x' }, 'seed must be an integer'],
    [{ route: 'nodePools.get', sequence: [503, 502] }, 'sequence must list 200, 429, 500, 503'],
    [{ route: 'nodePools.get', sequence: [503], timeoutMs: 0 }, 'timeoutMs must be a positive integer'],
    [{ route: 'nodePools.get', sequence: [503], status: 503 }, 'unknown field "status" for a sequence fault'],
    [{ route: 'nodePools.setSize', operationError: { code: 0, message: 'x' } }, 'gRPC code 1-16'],
    [{ route: 'nodePools.setSize', operationError: { code: 13, message: 'x' }, count: 0 }, 'count must be'],
  ])('refuses %j with INVALID_ARGUMENT', (spec, message) => {
    // Prepare
    const faults = createFaultInjector({ routeNames: ROUTES });

    // Act
    const inject = () => faults.inject(spec as unknown as FaultSpec);

    // Assess
    expect(inject).toThrow(SimulatorApiError);
    expect(inject).toThrow(message);
    expect(faults.list()).toEqual([]);
  });
});
