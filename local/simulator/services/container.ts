import { failedPrecondition, invalidArgument, notFound } from '../api-error';
import { readBool, readEnum, readInt32, readMessage } from '../request-fields';
import type { Route, RouteRequest, RouteResponse, ServiceModule, SimulatorContext } from '../service';
import { isSimulatedProject } from '../state';
import type { GkeCluster, GkeNodePool, GkeOperationEffect, NodePoolAutoscaling } from './container-model';
import { LOCATION_POLICIES } from './container-model';
import type { OperationDurations } from './container-operations';
import {
  runningOperationOn,
  type StartOperationInput,
  settleOperations,
  startOperation,
} from './container-operations';

/**
 * GKE, container.googleapis.com v1 (api-contracts §1): clusters and node pools (get, list), node
 * pool setSize and setAutoscaling as long-running operations, and operations (get, list). Both the
 * `locations` paths and the legacy `zones` paths are served; a location of `-` matches every
 * location, as in GKE.
 */

interface ContainerServiceOptions {
  /** Duration of each operation type before `timeScale` is applied. */
  operationDurations: OperationDurations;
}

/** Fields of `SetNodePoolSizeRequest`. The deprecated ones are accepted and ignored: the path decides. */
const SET_SIZE_FIELDS = ['nodeCount', 'name', 'projectId', 'zone', 'clusterId', 'nodePoolId'] as const;
/** Fields of `SetNodePoolAutoscalingRequest`. */
const SET_AUTOSCALING_FIELDS = [
  'autoscaling',
  'name',
  'projectId',
  'zone',
  'clusterId',
  'nodePoolId',
] as const;
/** Fields of `NodePoolAutoscaling`. */
const AUTOSCALING_FIELDS = [
  'enabled',
  'minNodeCount',
  'maxNodeCount',
  'autoprovisioned',
  'locationPolicy',
  'totalMinNodeCount',
  'totalMaxNodeCount',
] as const;

const locationPath = (params: Record<string, string>): string =>
  `projects/${params.project}/locations/${params.location}`;
const clusterPath = (params: Record<string, string>): string =>
  `${locationPath(params)}/clusters/${params.cluster}`;

const inLocation = (requested: string | undefined, actual: string): boolean =>
  requested === '-' || requested === actual;

const assertProject = (sim: SimulatorContext, params: Record<string, string>): void => {
  if (!isSimulatedProject(sim.state, params.project ?? ''))
    throw notFound(`Not found: projects/${params.project}.`);
};

const findCluster = (sim: SimulatorContext, params: Record<string, string>): GkeCluster => {
  assertProject(sim, params);
  const cluster = sim.state.gke.clusters.find(
    (candidate) => candidate.name === params.cluster && inLocation(params.location, candidate.location),
  );
  if (!cluster) throw notFound(`Not found: ${clusterPath(params)}.`);
  return cluster;
};

const findNodePool = (
  sim: SimulatorContext,
  params: Record<string, string>,
): { cluster: GkeCluster; pool: GkeNodePool } => {
  const cluster = findCluster(sim, params);
  const pool = cluster.nodePools.find((candidate) => candidate.name === params.nodePool);
  if (!pool) throw notFound(`Not found: ${clusterPath(params)}/nodePools/${params.nodePool}.`);
  return { cluster, pool };
};

/** GKE allows one operation per cluster; any other mutation meanwhile is refused (api-contracts §1). */
const assertClusterIdle = (sim: SimulatorContext, cluster: GkeCluster): void => {
  const running = runningOperationOn(sim.state, cluster);
  if (running)
    throw failedPrecondition(`Cluster is running incompatible operation ${running.operation.name}.`);
};

const ok = (body: unknown): RouteResponse => ({ body: structuredClone(body) });

const listClusters = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
  assertProject(sim, request.params);
  return ok({
    clusters: sim.state.gke.clusters.filter((cluster) =>
      inLocation(request.params.location, cluster.location),
    ),
  });
};

const getCluster = (request: RouteRequest, sim: SimulatorContext): RouteResponse =>
  ok(findCluster(sim, request.params));

const listNodePools = (request: RouteRequest, sim: SimulatorContext): RouteResponse =>
  ok({ nodePools: findCluster(sim, request.params).nodePools });

const getNodePool = (request: RouteRequest, sim: SimulatorContext): RouteResponse =>
  ok(findNodePool(sim, request.params).pool);

const listOperations = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
  assertProject(sim, request.params);
  return ok({
    operations: sim.state.gke.operations
      .filter((record) => inLocation(request.params.location, record.operation.location))
      .map((record) => record.operation),
  });
};

const getOperation = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
  assertProject(sim, request.params);
  const record = sim.state.gke.operations.find(
    (candidate) =>
      candidate.operation.name === request.params.operation &&
      inLocation(request.params.location, candidate.operation.location),
  );
  if (!record)
    throw notFound(`Not found: ${locationPath(request.params)}/operations/${request.params.operation}.`);
  return ok(record.operation);
};

/** Reads and checks `SetNodePoolAutoscalingRequest.autoscaling`; returns it with enum names, as stored. */
const readAutoscaling = (value: unknown): NodePoolAutoscaling => {
  if (value === undefined || value === null)
    throw invalidArgument(`Required field 'autoscaling' is missing.`);
  const fields = readMessage(value, AUTOSCALING_FIELDS, 'autoscaling');
  const autoscaling: NodePoolAutoscaling = {};
  const enabled = readBool(fields.enabled, 'autoscaling.enabled');
  const autoprovisioned = readBool(fields.autoprovisioned, 'autoscaling.autoprovisioned');
  const locationPolicy = readEnum(
    fields.locationPolicy,
    'autoscaling.locationPolicy',
    LOCATION_POLICIES,
    'google.container.v1.NodePoolAutoscaling.LocationPolicy',
  );
  if (enabled !== undefined) autoscaling.enabled = enabled;
  for (const key of ['minNodeCount', 'maxNodeCount', 'totalMinNodeCount', 'totalMaxNodeCount'] as const) {
    const count = readInt32(fields[key], `autoscaling.${key}`);
    if (count === undefined) continue;
    if (count < 0) throw invalidArgument(`autoscaling.${key} must be non-negative, got ${count}.`);
    autoscaling[key] = count;
  }
  if (autoprovisioned !== undefined) autoscaling.autoprovisioned = autoprovisioned;
  if (locationPolicy !== undefined) autoscaling.locationPolicy = locationPolicy;

  // proto3 int32 has no presence: an explicit 0 and an absent field are the same to GKE, so only
  // non-zero limits count as "set" when checking that per-zone and total limits are not mixed.
  const min = autoscaling.minNodeCount ?? 0;
  const max = autoscaling.maxNodeCount ?? 0;
  const totalMin = autoscaling.totalMinNodeCount ?? 0;
  const totalMax = autoscaling.totalMaxNodeCount ?? 0;
  if ((min !== 0 || max !== 0) && (totalMin !== 0 || totalMax !== 0)) {
    throw invalidArgument(
      'Autoscaling limits are either per zone (min_node_count, max_node_count) or for the whole node pool ' +
        '(total_min_node_count, total_max_node_count), not both.',
    );
  }
  if (min > max) {
    throw invalidArgument(
      `autoscaling.min_node_count (${min}) must not exceed autoscaling.max_node_count (${max}).`,
    );
  }
  if (totalMin > totalMax) {
    throw invalidArgument(
      `autoscaling.total_min_node_count (${totalMin}) must not exceed autoscaling.total_max_node_count (${totalMax}).`,
    );
  }
  return autoscaling;
};

/** The route names whose operations fault injection can fail, by the operation type they start. */
const ROUTE_OF_OPERATION: Partial<Record<StartOperationInput['operationType'], string>> = {
  SET_NODE_POOL_SIZE: 'nodePools.setSize',
  UPDATE_CLUSTER: 'nodePools.setAutoscaling',
};

/** An operation error injected for the route that starts this operation type, if any. */
const injectedError = (
  sim: SimulatorContext,
  operationType: StartOperationInput['operationType'],
): { failure?: { code: number; message: string } } => {
  const route = ROUTE_OF_OPERATION[operationType];
  const failure = route ? sim.faults.operationError(route) : undefined;
  return failure ? { failure: { code: failure.code, message: failure.message } } : {};
};

const createContainerService = (options: ContainerServiceOptions): ServiceModule => {
  /** Every node-pool mutation: refused while the cluster is busy, else a new RUNNING operation. */
  const startNodePoolOperation = (
    sim: SimulatorContext,
    cluster: GkeCluster,
    pool: GkeNodePool,
    operationType: StartOperationInput['operationType'],
    effect: GkeOperationEffect,
  ): RouteResponse => {
    assertClusterIdle(sim, cluster);
    return ok(
      startOperation({
        state: sim.state,
        now: sim.clock.now(),
        timeScale: sim.timeScale,
        durations: options.operationDurations,
        operationType,
        cluster,
        targetPath: `nodePools/${pool.name}`,
        effect,
        ...injectedError(sim, operationType),
      }),
    );
  };

  const setNodePoolSize = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    // Body shape first, as Google's front end rejects a malformed payload before any lookup.
    const body = readMessage(request.body, SET_SIZE_FIELDS);
    // Absent means 0 (proto3): gax may leave a zero out, and 0 is the off-hours scale-down.
    const nodeCount = readInt32(body.nodeCount, 'nodeCount') ?? 0;
    const { cluster, pool } = findNodePool(sim, request.params);
    if (nodeCount < 0) throw invalidArgument(`node_count must be non-negative, got ${nodeCount}.`);
    return startNodePoolOperation(sim, cluster, pool, 'SET_NODE_POOL_SIZE', {
      kind: 'setNodePoolSize',
      nodePool: pool.name,
      nodeCount,
    });
  };

  const setNodePoolAutoscaling = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
    const body = readMessage(request.body, SET_AUTOSCALING_FIELDS);
    const autoscaling = readAutoscaling(body.autoscaling);
    const { cluster, pool } = findNodePool(sim, request.params);
    // Not documented; UPDATE_CLUSTER is the best public guess (api-contracts §1, open items).
    return startNodePoolOperation(sim, cluster, pool, 'UPDATE_CLUSTER', {
      kind: 'setNodePoolAutoscaling',
      nodePool: pool.name,
      autoscaling,
    });
  };

  const routes: Route[] = [];
  // The same handlers serve both URL forms; legacy zone paths name the location `{location}` too.
  // Each form is its own method in the discovery document (`…locations.clusters.get` and
  // `…zones.clusters.get`), which requests are checked against.
  for (const [base, resource] of [
    ['/v1/projects/{project}/locations/{location}', 'container.projects.locations'],
    ['/v1/projects/{project}/zones/{location}', 'container.projects.zones'],
  ] as const) {
    const pool = `${base}/clusters/{cluster}/nodePools/{nodePool}`;
    routes.push(
      {
        method: 'GET',
        template: `${base}/clusters`,
        name: 'clusters.list',
        discoveryMethod: `${resource}.clusters.list`,
        handle: listClusters,
      },
      {
        method: 'GET',
        template: `${base}/clusters/{cluster}`,
        name: 'clusters.get',
        discoveryMethod: `${resource}.clusters.get`,
        handle: getCluster,
      },
      {
        method: 'GET',
        template: `${base}/clusters/{cluster}/nodePools`,
        name: 'nodePools.list',
        discoveryMethod: `${resource}.clusters.nodePools.list`,
        handle: listNodePools,
      },
      {
        method: 'GET',
        template: pool,
        name: 'nodePools.get',
        discoveryMethod: `${resource}.clusters.nodePools.get`,
        handle: getNodePool,
      },
      {
        method: 'GET',
        template: `${base}/operations`,
        name: 'operations.list',
        discoveryMethod: `${resource}.operations.list`,
        handle: listOperations,
      },
      {
        method: 'GET',
        template: `${base}/operations/{operation}`,
        name: 'operations.get',
        discoveryMethod: `${resource}.operations.get`,
        handle: getOperation,
      },
    );
  }
  routes.push(
    {
      method: 'POST',
      template: '/v1/projects/{project}/locations/{location}/clusters/{cluster}/nodePools/{nodePool}:setSize',
      name: 'nodePools.setSize',
      discoveryMethod: 'container.projects.locations.clusters.nodePools.setSize',
      handle: setNodePoolSize,
    },
    {
      method: 'POST',
      template: '/v1/projects/{project}/zones/{location}/clusters/{cluster}/nodePools/{nodePool}/setSize',
      name: 'nodePools.setSize',
      discoveryMethod: 'container.projects.zones.clusters.nodePools.setSize',
      handle: setNodePoolSize,
    },
    {
      method: 'POST',
      template:
        '/v1/projects/{project}/locations/{location}/clusters/{cluster}/nodePools/{nodePool}:setAutoscaling',
      name: 'nodePools.setAutoscaling',
      discoveryMethod: 'container.projects.locations.clusters.nodePools.setAutoscaling',
      handle: setNodePoolAutoscaling,
    },
    {
      method: 'POST',
      template: '/v1/projects/{project}/zones/{location}/clusters/{cluster}/nodePools/{nodePool}/autoscaling',
      name: 'nodePools.setAutoscaling',
      discoveryMethod: 'container.projects.zones.clusters.nodePools.autoscaling',
      handle: setNodePoolAutoscaling,
    },
  );

  return {
    name: 'container',
    routes,
    settle: (sim) => settleOperations(sim.state, sim.clock.now(), sim.logger),
  };
};

export type { ContainerServiceOptions };
export { createContainerService, readAutoscaling };
