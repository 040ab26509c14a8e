import { type Logger, silentLogger } from '../../shared/logging';
import { type Clock, systemClock } from '../../shared/time';
import { createServiceContract } from './discovery-contract';
import { createFaultInjector, type FaultInjector, type FaultSpec, type FaultView } from './fault-injection';
import { defaultFixturePath, loadFixture, parseFixture } from './fixture';
import { createStatePersistence, loadOrCreateKey } from './persistence';
import {
  createRequestLog,
  type RequestLog,
  type RequestLogEntry,
  type RequestLogSnapshot,
} from './request-log';
import { type ServiceListener, type SimulatorControls, startServiceListener } from './server';
import type { ServiceModule, ServiceName, SimulatorContext } from './service';
import { withClusterCaCertificates } from './services/cluster-ca';
import { deriveOperationDurations } from './services/container-operations';
import { createDefaultServices } from './services/default-services';
import { createSimulatorState, resetSimulatorState, type SimulatorState } from './state';
import { createClockControl } from './virtual-clock';

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
  /**
   * A JSON file the state is kept in. If it exists at start, the shared state (GKE, Compute) and
   * every state-owning service are restored from it (and a virtual clock behind its save time moves
   * forward to it); it is rewritten, atomically, after every request that changed the state
   * (a non-GET answered 2xx), after a reset or a clock move, and on close. `reset()` still goes
   * back to the fixture. The file holds every payload of the simulated platform, Secret Manager
   * secrets included: fake data, but keep it under the git-ignored `.opsplane/` directory
   * (e.g. `.opsplane/simulator-state.json`). Written with mode 0600.
   */
  stateFile?: string;
  /**
   * 32 bytes that seal Secret Manager payloads in the state file. Default with a `stateFile`: read
   * from (or created in) `<stateFile>.key`, mode 0600, so a restarted simulator can unseal them.
   */
  secretPayloadKey?: Uint8Array;
  /**
   * Where the discovery documents requests are checked against live.
   * @default `../shared/reference/discovery` from the repository root
   */
  discoveryDirectory?: string;
  /**
   * How long an injected `'timeout'` holds a request before dropping the connection, when the
   * fault does not say; real milliseconds, whatever the clock.
   * @default 30000
   */
  faultTimeoutMs?: number;
}

/** Base URL per service, e.g. `{ container: 'http://127.0.0.1:8490', compute: 'http://127.0.0.1:8491' }`. */
type SimulatorEndpoints = { container: string; compute: string } & Partial<Record<ServiceName, string>>;

/** Fault injection in-process; the same as `POST`/`GET`/`DELETE /_sim/faults`. */
interface SimulatorFaults {
  /**
   * Adds a fault on a route name (`nodePools.get`); see {@link FaultSpec}.
   *
   * @throws SimulatorApiError INVALID_ARGUMENT if the spec is malformed or the route unknown.
   */
  inject(spec: FaultSpec): FaultView;
  /** The active faults. */
  list(): FaultView[];
  /** Removes every fault, or only those of `route`. */
  clear(route?: string): void;
}

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
  /**
   * Back to the fixture, as `POST /_sim/reset`. The request log and the faults are kept; clear
   * them separately.
   */
  reset(): void;
  /** Injected faults; see fault-injection.ts. */
  readonly faults: SimulatorFaults;
  /** The clock the simulator runs on; with a `ManualClock`, `/_sim/clock` moves it too. */
  readonly clock: Clock;
  /** Stops every listener, then writes the state file if there is one; safe to call twice. */
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
  withClusterCaCertificates(seed.gke.clusters, (options.clock ?? systemClock).now());
  const state = createSimulatorState(seed);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const extra = options.extraServices ?? [];
  const secretPayloadKey =
    options.secretPayloadKey ??
    (options.stateFile === undefined ? undefined : loadOrCreateKey(`${options.stateFile}.key`));
  // A caller's own instance of a service replaces the default one of the same name.
  const services: ServiceModule[] = [
    ...createDefaultServices({
      fixture: options.fixture,
      gkeOperationDurations: deriveOperationDurations(seed.gke.operations),
      ...(secretPayloadKey ? { secretPayloadKey } : {}),
    }).filter((service) => !extra.some((own) => own.name === service.name)),
    ...extra,
  ];
  assertDistinctRouteNames(services);
  const faults: FaultInjector = createFaultInjector({
    routeNames: new Set(services.flatMap((service) => service.routes.map((route) => route.name))),
    ...(options.faultTimeoutMs === undefined ? {} : { defaultTimeoutMs: options.faultTimeoutMs }),
  });
  const context: SimulatorContext = {
    state,
    clock,
    // A getter, so handlers see a time scale changed with setTimeScale() after start.
    get timeScale() {
      return timeScale;
    },
    logger,
    faults: { operationError: (routeName) => faults.operationError(routeName) },
  };
  // Compiled before any listener starts, so a route naming a wrong discovery method fails the start.
  const contracts = services.map((service) =>
    createServiceContract({
      service: service.name,
      routes: service.routes,
      logger: logger.child({ service: service.name }),
      ...(options.discoveryDirectory === undefined ? {} : { directory: options.discoveryDirectory }),
    }),
  );

  const settle = (): void => {
    for (const service of services) service.settle?.(context);
  };
  const persistence =
    options.stateFile === undefined
      ? undefined
      : createStatePersistence({ file: options.stateFile, state, services, clock, settle });
  if (persistence?.restore()) {
    logger.info('simulator state restored', { stateFile: persistence.file });
  }
  const save = (): void => persistence?.save();

  const requestLog = createRequestLog();
  const clockControl = createClockControl(clock);
  const reset = (): void => {
    resetSimulatorState(state, seed);
    for (const service of services) service.reset?.();
    save();
  };
  const controls: SimulatorControls = {
    reset,
    dumpState: () => {
      settle();
      const owned = services
        .filter((service) => service.snapshot)
        .map((service) => [service.name, service.snapshot?.()]);
      return { ...state, ...Object.fromEntries(owned) };
    },
    requestLog,
    faults,
    clock: {
      read: clockControl.read,
      move: (move) => {
        const reading = clockControl.move(move);
        // Moving time may finish operations: their effects belong in the file too.
        save();
        return reading;
      },
    },
    afterMutation: save,
  };

  const listeners: ServiceListener[] = [];
  const endpoints: Partial<SimulatorEndpoints> = {};
  try {
    for (const [index, service] of services.entries()) {
      const listener = await startServiceListener({
        service,
        context,
        settle,
        controls,
        contract: contracts[index],
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
    reset,
    faults: {
      inject: (spec) => faults.inject(spec),
      list: () => faults.list(),
      clear: (route) => faults.clear(route),
    },
    clock,
    close: () => {
      closing ??= Promise.all(listeners.map((listener) => listener.close())).then(save);
      return closing;
    },
  };
};

export type {
  FaultSpec,
  FaultView,
  RequestLog,
  RequestLogEntry,
  RequestLogSnapshot,
  RunningSimulator,
  SimulatorEndpoints,
  SimulatorFaults,
  SimulatorOptions,
  SimulatorPorts,
  SimulatorState,
};
export { defaultFixturePath, loadFixture, startSimulator };
