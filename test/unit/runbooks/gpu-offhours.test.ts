import {
  type CommandScript,
  deniedAfter,
  HOUR_MS,
  keyOf,
  type OutcomeEvent,
  RUN_START,
  runRunbook,
  succeeds,
} from './runbook-harness';

/** workflows/gpu-offhours.workflows.yaml on the local engine, against a fake ops-api. */

const MORNING_AT = '2026-03-03T07:00:00Z';
const MINUTE_MS = 60_000;

/** gpu.workloads' result with `busy` busy pods, the pool at autoscaling 1–3 with 2 nodes in zone a. */
const workloads = (busy: number, autoscaling = { enabled: true, minNodeCount: 1, maxNodeCount: 3 }) => ({
  pool: 'gpu-a100-pool',
  autoscaling,
  sizeByZone: { 'us-central1-a': 2, 'us-central1-c': 1 },
  totalNodes: 3,
  busyCount: busy,
  busy: Array.from({ length: busy }, (_, index) => ({
    namespace: 'team-vision',
    name: `train-${index}`,
    class: 'training',
  })),
});

/**
 * gpu.workloads answers the busy counts in turn (the first call is the saved state); the other
 * commands succeed, except gpu.scale, which plays `forced`.
 */
const offHours =
  (busyCounts: number[], forced: OutcomeEvent[] = succeeds({ totalNodes: 0 })): CommandScript =>
  (command, nth) => {
    if (command.type === 'gpu.workloads') {
      return succeeds(workloads(busyCounts[Math.min(nth, busyCounts.length - 1)] ?? 0));
    }
    if (command.type === 'gpu.scale') return forced;
    return succeeds({
      pool: 'gpu-a100-pool',
      autoscaling: { enabled: true, minNodeCount: command.args.min, maxNodeCount: command.args.max },
    });
  };

/** The commands as `type args` lines, in the order they were sent. */
const timeline = (run: Awaited<ReturnType<typeof runRunbook>>) =>
  run.opsApi.commands.map((command) => `${command.type} ${JSON.stringify(command.args)}`);

describe('gpu-offhours runbook', () => {
  it('saves the bounds, lowers min, waits for the pool to drain, scales to zero and restores in the morning', async () => {
    // Act
    const run = await runRunbook(
      'gpu-offhours',
      { morningAt: MORNING_AT, checkIntervalSeconds: 600 },
      { script: offHours([2, 2, 1, 0]) },
    );

    // Assert
    expect(run.outcome.state).toBe('SUCCEEDED');
    expect(timeline(run)).toEqual([
      'gpu.workloads {}',
      'gpu.autoscaling.set {"min":0,"max":3,"offHours":true}',
      'gpu.workloads {}',
      'gpu.workloads {}',
      'gpu.workloads {}',
      'gpu.scale {"nodes":0}',
      'gpu.autoscaling.set {"min":1,"max":3}',
    ]);
    expect(run.opsApi.commands.map((command) => command.idempotencyKey)).toEqual([
      keyOf('save_state'),
      keyOf('soft_step'),
      keyOf('busy_check_1'),
      keyOf('busy_check_2'),
      keyOf('busy_check_3'),
      keyOf('forced_step'),
      keyOf('morning_restore'),
    ]);
    expect(run.opsApi.commands.every((command) => command.actor === 'runbook:gpu-offhours')).toBe(true);
    expect(run.clock.now()).toBeGreaterThanOrEqual(Date.parse(MORNING_AT));
    expect(run.result).toEqual({
      mode: 'cycle',
      saved: { min: 1, max: 3, autoscaling: true },
      evening: {
        checks: 3,
        busyAtEnd: 0,
        busy: [],
        forcedScaleDown: {
          done: true,
          operationId: keyOf('forced_step'),
          result: { totalNodes: 0 },
          error: null,
        },
      },
      morning: {
        bounds: { min: 1, max: 3, autoscaling: true },
        operationId: keyOf('morning_restore'),
        autoscaling: { enabled: true, minNodeCount: 1, maxNodeCount: 3 },
      },
    });
  });

  it('asks for approval to scale to zero when pods stay busy, and still restores the pool after a denial', async () => {
    // Act
    const run = await runRunbook(
      'gpu-offhours',
      { morningAt: MORNING_AT, drainTimeoutSeconds: 1800, checkIntervalSeconds: 600 },
      { script: offHours([2], deniedAfter(20 * MINUTE_MS)) },
    );

    // Assert
    expect(run.outcome.state).toBe('SUCCEEDED');
    // Checks at +0, +10, +20 and +30 minutes: the drain timeout of 30 minutes ends the wait.
    expect(run.opsApi.ofType('gpu.workloads')).toHaveLength(1 + 4);
    expect(run.logText).toContain(
      `waiting for approval of ${keyOf('forced_step')}: opsplane approve ${keyOf('forced_step')}`,
    );
    expect(run.result).toMatchObject({
      evening: {
        checks: 4,
        busyAtEnd: 2,
        forcedScaleDown: {
          done: false,
          operationId: keyOf('forced_step'),
          result: null,
          error: { code: 'APPROVAL_DENIED', step: 'forced_step', status: 'rejected' },
        },
      },
      morning: { bounds: { min: 1, max: 3 }, operationId: keyOf('morning_restore') },
    });
    expect(timeline(run).at(-1)).toBe('gpu.autoscaling.set {"min":1,"max":3}');
  });

  it('never waits for the forced step past the morning', async () => {
    // Act: the drain ends at about 19:00; an approval wait of a day would end after 07:00.
    const run = await runRunbook(
      'gpu-offhours',
      { morningAt: MORNING_AT, approvalTimeoutSeconds: 86_400, drainTimeoutSeconds: 0 },
      { script: offHours([1], [{ status: 'pending_approval', approval: { reason: 'busy pods' } }]) },
    );

    // Assert
    expect(run.outcome.state).toBe('SUCCEEDED');
    const withdrawnAt = run.opsApi.withdrawals[0]?.at ?? 0;
    expect(withdrawnAt).toBeLessThanOrEqual(Date.parse(MORNING_AT) + 5 * MINUTE_MS);
    expect(withdrawnAt).toBeGreaterThan(RUN_START + 12 * HOUR_MS);
    expect(run.result).toMatchObject({
      evening: { forcedScaleDown: { done: false, error: { code: 'APPROVAL_TIMEOUT' } } },
      morning: { operationId: keyOf('morning_restore') },
    });
  });

  it('brings a pool without autoscaling back at its size per zone', async () => {
    // Prepare
    const fixed = { enabled: false, minNodeCount: 0, maxNodeCount: 0 };
    const script: CommandScript = (command, nth) =>
      command.type === 'gpu.workloads' ? succeeds(workloads(0, fixed)) : offHours([0])(command, nth);

    // Act
    const run = await runRunbook(
      'gpu-offhours',
      { morningAt: MORNING_AT, pool: 'gpu-a100-pool' },
      { script },
    );

    // Assert
    expect(timeline(run)).toEqual([
      'gpu.workloads {"pool":"gpu-a100-pool"}',
      'gpu.autoscaling.set {"min":0,"max":2,"offHours":true,"pool":"gpu-a100-pool"}',
      'gpu.workloads {"pool":"gpu-a100-pool"}',
      'gpu.scale {"nodes":0,"pool":"gpu-a100-pool"}',
      'gpu.autoscaling.set {"min":2,"max":2,"pool":"gpu-a100-pool"}',
    ]);
    expect(run.result).toMatchObject({ saved: { min: 2, max: 2, autoscaling: false } });
  });

  it('runs the evening alone, for a scheduler', async () => {
    // Act
    const run = await runRunbook('gpu-offhours', { mode: 'evening' }, { script: offHours([0]) });

    // Assert
    expect(run.outcome.state).toBe('SUCCEEDED');
    expect(timeline(run)).toEqual([
      'gpu.workloads {}',
      'gpu.autoscaling.set {"min":0,"max":3,"offHours":true}',
      'gpu.workloads {}',
      'gpu.scale {"nodes":0}',
    ]);
    expect(run.result).toMatchObject({ mode: 'evening', saved: { min: 1, max: 3 } });
    expect(run.result).not.toHaveProperty('morning');
  });

  it('runs the morning alone with the bounds it is given', async () => {
    // Act
    const run = await runRunbook(
      'gpu-offhours',
      { mode: 'morning', min: 0, max: 2 },
      { script: offHours([0]) },
    );

    // Assert
    expect(timeline(run)).toEqual(['gpu.autoscaling.set {"min":0,"max":2}']);
    expect(run.result).toEqual({
      mode: 'morning',
      morning: {
        bounds: { min: 0, max: 2 },
        operationId: keyOf('morning_restore'),
        autoscaling: { enabled: true, minNodeCount: 0, maxNodeCount: 2 },
      },
    });
  });

  it('restores the pool in the morning even when the evening fails after the soft step, then fails', async () => {
    // Prepare: the busy check itself fails.
    const script: CommandScript = (command, nth) =>
      command.type === 'gpu.workloads' && nth === 1
        ? [
            {
              status: 'failed',
              error: { code: 'CONFIG_ERROR', message: 'no Kubernetes API for the GPU busy check' },
            },
          ]
        : offHours([0])(command, nth);

    // Act
    const run = await runRunbook('gpu-offhours', { morningAt: MORNING_AT }, { script });

    // Assert
    expect(run.outcome.state).toBe('FAILED');
    expect(timeline(run).at(-1)).toBe('gpu.autoscaling.set {"min":1,"max":3}');
    expect(run.opsApi.ofType('gpu.scale')).toEqual([]);
    expect(run.error).toMatchObject({
      code: 'EVENING_FAILED',
      step: 'busy_check_1',
      morning: { operationId: keyOf('morning_restore') },
    });
    expect(String(run.error?.message)).toMatch(
      /no Kubernetes API for the GPU busy check\); the morning restore ran$/,
    );
  });

  it.each([
    [{ mode: 'weekend' }, 'args.mode must be evening, morning or cycle, not "weekend"'],
    [{}, 'cycle mode needs args.morningAt, the RFC 3339 time to restore the pool'],
    [{ morningAt: '2026-03-01T07:00:00Z' }, 'args.morningAt 2026-03-01T07:00:00Z is not in the future'],
    [
      { mode: 'morning', min: 0 },
      'morning mode needs args.min and args.max, the autoscaling bounds to restore',
    ],
  ])('refuses %j before changing anything', async (argument, message) => {
    // Act
    const run = await runRunbook('gpu-offhours', argument, { script: offHours([0]) });

    // Assert
    expect(run.error).toMatchObject({ code: 'INVALID_ARGUMENT', message });
    expect(run.opsApi.commands).toEqual([]);
  });
});
