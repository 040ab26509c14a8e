import { type Logger, silentLogger } from '../../shared/logging';
import { type Clock, systemClock } from '../../shared/time';
import { defaultFixturePath, loadFixture, parseFixture } from './fixture';
import {
  createRequestLog,
  type RequestLog,
  type RequestLogEntry,
  type RequestLogSnapshot,
} from './request-log';
import { type ServiceListener, type SimulatorControls, startServiceListener } from './server';
import type { ServiceModule, ServiceName, SimulatorContext } from './service';
import { createComputeService } from './services/compute';
import { createContainerService } from './services/container';
import { deriveOperationDurations } from './services/container-operations';
import { createSimulatorState, resetSimulatorState, type SimulatorState } from './state';

/**
 * The platform simulator: HTTP servers that speak the Google REST APIs opsplane calls, seeded from a
 * fixture, so the official client libraries can be pointed at it by endpoint (api-contracts §6)
 * and nothing in the core knows it is not talking to Google. One listener per Google service,
 * because the APIs share paths; one state behind all of them, because their effects cross.
 */

/** Fixed ports per service; 0 or absent picks a free port. */
type SimulatorPorts = Partial<Record<ServiceName, number>>;

interface SimulatorOptions {
  /** The parsed fixture JSON (see {@link loadFixture}); validated at start. */
  fixture: unknown;
  /**
   * Drives operation progress. A `ManualClock` makes operations advance only when the test says so.
   * @default systemClock
   */
  clock?: Clock;
  /**
   * Multiplies operation durations (SET_NODE_POOL_SIZE takes 222 s at 1). 0 finishes every
   * operation at once: the first read after the mutation shows it DONE.
   * @default 1
   */
  timeScale?: number;
  ports?: SimulatorPorts;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default silentLogger */
  logger?: Logger;
  /**
   * Services beyond the built-in ones, created by the caller (each owns its state). Lets a service
   * be developed and tested before it is listed in {@link startSimulator}'s defaults.
   */
  extraServices?: ServiceModule[];
}

/** Base URL per service, e.g. `{ container: 'http://127.0.0.1:8490', compute: 'http://127.0.0.1:8491' }`. */
type SimulatorEndpoints = { container: string; compute: string } & Partial<Record<ServiceName, string>>;

/** A started simulator. */
interface RunningSimulator {
  readonly endpoints: SimulatorEndpoints;
  /**
   * The live state (the object itself, not a copy). Reading it settles due operations first, so it
   * agrees with what the next API request would see.
   */
  readonly state: SimulatorState;
  readonly requestLog: RequestLog;
  /** The current time scale (see {@link SimulatorOptions.timeScale}). */
  readonly timeScale: number;
  /**
   * Changes the time scale for operations started from now on; running operations keep the end
   * time they were given when they started, as a real operation would not speed up midway.
   *
   * @throws Error if `scale` is negative or not finite.
   */
  setTimeScale(scale: number): void;
  /** Back to the fixture, as `POST /_sim/reset`. The request log is kept; clear it separately. */
  reset(): void;
  /** Stops every listener; safe to call twice. */
  close(): Promise<void>;
}

const checkedTimeScale = (scale: number): number => {
  if (!Number.isFinite(scale) || scale < 0) {
    throw new Error(`timeScale must be a finite number >= 0, got ${scale}`);
  }
  return scale;
};

/**
 * Request-log counts are keyed by route name without the service, so two services must not share
 * a name (`operations.get` of GKE and of a later service would be counted together).
 */
const assertDistinctRouteNames = (services: readonly ServiceModule[]): void => {
  const owner = new Map<string, ServiceName>();
  for (const service of services) {
    for (const route of service.routes) {
      const previous = owner.get(route.name);
      if (previous !== undefined && previous !== service.name) {
        throw new Error(`Route name ${route.name} is used by both ${previous} and ${service.name}`);
      }
      owner.set(route.name, service.name);
    }
  }
};

/**
 * Starts the simulator.
 *
 * @example
 * const sim = await startSimulator({ fixture: loadFixture(defaultFixturePath()), timeScale: 0 });
 * const { hostname, port } = new URL(sim.endpoints.container);
 * const gke = new ClusterManagerClient({
 *   apiEndpoint: hostname, port: Number(port), protocol: 'http', fallback: true,
 *   authClient: new PassThroughClient(),
 * });
 * // …
 * await sim.close();
 *
 * @throws Error if the fixture is invalid, `timeScale` is negative, or a port is taken.
 */
const startSimulator = async (options: SimulatorOptions): Promise<RunningSimulator> => {
  let timeScale = checkedTimeScale(options.timeScale ?? 1);
  const seed = parseFixture(options.fixture);
  const state = createSimulatorState(seed);
  const context: SimulatorContext = {
    state,
    clock: options.clock ?? systemClock,
    // A getter, so handlers see a time scale changed with setTimeScale() after start.
    get timeScale() {
      return timeScale;
    },
    logger: options.logger ?? silentLogger,
    // No faults until the fault-injection mechanism is wired in.
    faults: { operationError: () => undefined },
  };
  const services: ServiceModule[] = [
    createContainerService({ operationDurations: deriveOperationDurations(seed.gke.operations) }),
    createComputeService(),
    ...(options.extraServices ?? []),
  ];
  assertDistinctRouteNames(services);

  const settle = (): void => {
    for (const service of services) service.settle?.(context);
  };
  const requestLog = createRequestLog();
  const controls: SimulatorControls = {
    reset: () => {
      resetSimulatorState(state, seed);
      for (const service of services) service.reset?.();
    },
    dumpState: () => {
      settle();
      const owned = services
        .filter((service) => service.snapshot)
        .map((service) => [service.name, service.snapshot?.()]);
      return { ...state, ...Object.fromEntries(owned) };
    },
    requestLog,
  };

  const listeners: ServiceListener[] = [];
  const endpoints: Partial<SimulatorEndpoints> = {};
  try {
    for (const service of services) {
      const listener = await startServiceListener({
        service,
        context,
        settle,
        controls,
        host: options.host ?? '127.0.0.1',
        port: options.ports?.[service.name] ?? 0,
      });
      listeners.push(listener);
      endpoints[service.name] = listener.endpoint;
    }
  } catch (error) {
    await Promise.allSettled(listeners.map((listener) => listener.close()));
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    endpoints: endpoints as SimulatorEndpoints,
    get state() {
      settle();
      return state;
    },
    requestLog,
    get timeScale() {
      return timeScale;
    },
    setTimeScale: (scale) => {
      timeScale = checkedTimeScale(scale);
    },
    reset: controls.reset,
    close: () => {
      closing ??= Promise.all(listeners.map((listener) => listener.close())).then(() => undefined);
      return closing;
    },
  };
};

export type {
  RequestLog,
  RequestLogEntry,
  RequestLogSnapshot,
  RunningSimulator,
  SimulatorEndpoints,
  SimulatorOptions,
  SimulatorPorts,
  SimulatorState,
};
export { defaultFixturePath, loadFixture, startSimulator };
