import type { Logger } from '../../shared/logging';
import type { Clock } from '../../shared/time';
import type { RouteSpec } from './router';
import type { SimulatorState } from './state';

/**
 * The contract between the simulator core and one simulated Google service. A service is a list of
 * routes plus an optional `settle` step; the core gives each service its own listener (Google APIs
 * share paths such as `/v1/projects/{p}/locations/{l}/operations`, so they cannot share a port).
 */

/**
 * The Google services the simulator speaks, each on its own listener. A service either keeps its
 * state in the shared `SimulatorState` (GKE and Compute, whose effects cross) or owns it, exposing
 * `reset`/`snapshot`/`restore`; its module is listed in `simulator.ts`.
 */
const SERVICE_NAMES = [
  'container',
  'compute',
  'sqladmin',
  'file',
  'iam',
  'cloudresourcemanager',
  'iap',
  'secretmanager',
  'kubernetes',
] as const;
type ServiceName = (typeof SERVICE_NAMES)[number];

/** An error a long-running operation ends with, in google.rpc.Status terms. */
interface InjectedOperationError {
  /** gRPC code, e.g. 13 (INTERNAL) or 9 (FAILED_PRECONDITION). */
  code: number;
  message: string;
}

/** Fault injection as services see it; the mechanism lives in the simulator core. */
interface FaultHooks {
  /**
   * Asked by a service when a route starts a long-running operation: an error means the operation
   * must finish (DONE) with that error instead of its effect.
   */
  operationError(routeName: string): InjectedOperationError | undefined;
}

/** What a route handler may use. One per simulator; `state` is the same object for every service. */
interface SimulatorContext {
  readonly state: SimulatorState;
  readonly clock: Clock;
  /** Multiplies operation durations; 0 finishes operations at once. */
  readonly timeScale: number;
  readonly logger: Logger;
  readonly faults: FaultHooks;
}

/** A request after routing. */
interface RouteRequest {
  method: string;
  /** URL path without the query string. */
  path: string;
  /** Decoded template variables. */
  params: Record<string, string>;
  /** The query string; gax's `$alt=json;enum-encoding=int` arrives here and is ignored. */
  query: URLSearchParams;
  /** Parsed JSON body; `undefined` when the request had none. */
  body: unknown;
}

/** A successful answer; failures are thrown as `SimulatorApiError`. */
interface RouteResponse {
  /** @default 200 */
  status?: number;
  body: unknown;
}

/** One REST method of a service. */
interface Route extends RouteSpec {
  /**
   * The method's name in the request log and its counts, e.g. `nodePools.setSize`. Legacy bindings
   * of the same method share the name, so counts are per method, not per URL form.
   */
  readonly name: string;
  /**
   * The method's id in its discovery document (`sql.backupRuns.insert`), when the route is a
   * Google REST method: requests are checked against that method's contract before `handle` runs
   * (see discovery-contract.ts). Where two API versions share ids, prefix the version
   * (`v3:cloudresourcemanager.projects.get`) or let the route's path (`/v3/…`) tell.
   */
  readonly discoveryMethod?: string;
  /**
   * What the request log records of this route's body, when the body as sent must not be kept
   * (key material in Secret Manager's `addVersion`). Given the body as parsed; by default it is
   * recorded unchanged.
   */
  redactLogBody?(body: unknown): unknown;
  handle(request: RouteRequest, sim: SimulatorContext): RouteResponse;
}

/** A simulated Google service. */
interface ServiceModule {
  readonly name: ServiceName;
  readonly routes: readonly Route[];
  /**
   * Brings time-driven state up to date: finishes due operations and applies their effects. Called
   * before every request on every listener (and before in-process state reads), because effects
   * cross services: a GKE operation finishing changes what Compute answers.
   */
  settle?(sim: SimulatorContext): void;
  /** For services that own their state: back to the fixture (`POST /_sim/reset`). */
  reset?(): void;
  /** For services that own their state: a JSON-serialisable copy, for dumps and persistence. */
  snapshot?(): unknown;
  /** For services that own their state: replace it with a snapshot taken earlier. */
  restore?(snapshot: unknown): void;
}

export type {
  FaultHooks,
  InjectedOperationError,
  Route,
  RouteRequest,
  RouteResponse,
  ServiceModule,
  ServiceName,
  SimulatorContext,
};

/**
 * A route for a Google REST method whose request-log name is its discovery method id, so counts read
 * like the discovery document and the request is checked against that method's contract.
 */
const discoveryRoute = (method: string, template: string, name: string, handle: Route['handle']): Route => ({
  method,
  template,
  name,
  discoveryMethod: name,
  handle,
});

export { discoveryRoute, SERVICE_NAMES };
