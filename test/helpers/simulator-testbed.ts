import type { RunningSimulator } from '../../local/simulator/simulator';
import type { DesiredStateStore, PlatformState } from '../../shared/desired-state';
import type { ObserveDeps, PlatformApis } from '../../shared/operations';
import { ManualClock } from '../../shared/time';
import { desiredStateForTest, type OperationContext } from './operation-runner';
import { platformApisFor } from './platform-apis';
import { startFixtureSimulator } from './simulator';

/**
 * What the operation tests against the simulator share: one fixture simulator per file (timeScale
 * 0: an operation is done at its first read) on a manual clock, the production adapters pointed at
 * it, desired state seeded from the fixture, and a clean platform before every test (clock back
 * to `start`, fixture state, no faults, empty request log). Call it inside `describe`: it
 * registers the hooks.
 */

interface SimulatorTestbed {
  readonly clock: ManualClock;
  /** Set once `beforeAll` ran. */
  readonly simulator: RunningSimulator;
  readonly apis: PlatformApis;
  readonly platform: PlatformState;
  readonly desiredState: DesiredStateStore;
  /** An operation context on the testbed, as the given operation id. */
  context(overrides?: Partial<OperationContext>): OperationContext;
  /** What `observe` gets. */
  observeDeps(): ObserveDeps;
}

const useSimulatorTestbed = (options: { start: string; operationId: string }): SimulatorTestbed => {
  const clock = new ManualClock(options.start);
  let simulator: RunningSimulator | undefined;
  let apis: PlatformApis | undefined;
  let seeded: { desiredState: DesiredStateStore; platform: PlatformState } | undefined;
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the testbed's ${what} is used before beforeAll ran`);
    return value;
  };

  beforeAll(async () => {
    simulator = await startFixtureSimulator({ timeScale: 0, clock });
    apis = platformApisFor(simulator, clock);
    seeded = await desiredStateForTest(clock.now());
  });

  beforeEach(() => {
    const running = ready(simulator, 'simulator');
    clock.set(options.start);
    running.setTimeScale(0);
    running.reset();
    running.faults.clear();
    running.requestLog.clear();
  });

  afterAll(async () => {
    await simulator?.close();
  });

  const testbed: SimulatorTestbed = {
    clock,
    get simulator() {
      return ready(simulator, 'simulator');
    },
    get apis() {
      return ready(apis, 'apis');
    },
    get platform() {
      return ready(seeded, 'desired state').platform;
    },
    get desiredState() {
      return ready(seeded, 'desired state').desiredState;
    },
    context: (overrides = {}) => ({
      platform: testbed.platform,
      apis: testbed.apis,
      desiredState: testbed.desiredState,
      clock,
      operationId: options.operationId,
      ...overrides,
    }),
    observeDeps: () => ({ ...testbed.apis, desiredState: testbed.desiredState, clock }),
  };
  return testbed;
};

export type { SimulatorTestbed };
export { useSimulatorTestbed };
