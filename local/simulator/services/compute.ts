import { notFound } from '../api-error';
import type { RouteRequest, RouteResponse, ServiceModule, SimulatorContext } from '../service';
import { isSimulatedProject } from '../state';
import type { InstanceGroupManager } from './compute-model';

/**
 * Compute Engine v1, only the zonal instance group managers: that is where a GKE node pool's size
 * lives (api-contracts §1: NodePool has no current-count field). Served under `/compute/v1/…`
 * because the discovery client's paths are `compute/v1/projects/…` relative to its `rootUrl`.
 */

const COMPUTE_BASE_URL = 'https://www.googleapis.com/compute/v1';

/** Compute still sends the legacy `errors[]` with a `reason`; `notFound` is what callers key on. */
const resourceNotFound = (resource: string) =>
  notFound(`The resource '${resource}' was not found`, { reason: 'notFound' });

const zoneUrl = (sim: SimulatorContext, zone: string): string =>
  `${COMPUTE_BASE_URL}/projects/${sim.state.project.projectId}/zones/${zone}`;

/** The `compute#instanceGroupManager` shape, reduced to what the simulator knows. */
const toWire = (sim: SimulatorContext, igm: InstanceGroupManager) => ({
  kind: 'compute#instanceGroupManager',
  name: igm.name,
  zone: zoneUrl(sim, igm.zone),
  baseInstanceName: igm.baseInstanceName,
  targetSize: igm.targetSize,
  instanceGroup: `${zoneUrl(sim, igm.zone)}/instanceGroups/${igm.name}`,
  selfLink: `${zoneUrl(sim, igm.zone)}/instanceGroupManagers/${igm.name}`,
});

const assertProject = (sim: SimulatorContext, project: string | undefined): void => {
  if (!isSimulatedProject(sim.state, project ?? '')) throw resourceNotFound(`projects/${project}`);
};

const getInstanceGroupManager = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
  const { project, zone, instanceGroupManager } = request.params;
  assertProject(sim, project);
  const igm = sim.state.compute.instanceGroupManagers.find(
    (candidate) => candidate.zone === zone && candidate.name === instanceGroupManager,
  );
  if (!igm)
    throw resourceNotFound(`projects/${project}/zones/${zone}/instanceGroupManagers/${instanceGroupManager}`);
  return { body: toWire(sim, igm) };
};

const listInstanceGroupManagers = (request: RouteRequest, sim: SimulatorContext): RouteResponse => {
  const { project, zone = '' } = request.params;
  assertProject(sim, project);
  const items = sim.state.compute.instanceGroupManagers
    .filter((igm) => igm.zone === zone)
    .map((igm) => toWire(sim, igm));
  return {
    body: {
      kind: 'compute#instanceGroupManagerList',
      id: `projects/${sim.state.project.projectId}/zones/${zone}/instanceGroupManagers`,
      // Compute leaves `items` out of an empty list rather than sending [].
      ...(items.length > 0 ? { items } : {}),
      selfLink: `${zoneUrl(sim, zone)}/instanceGroupManagers`,
    },
  };
};

/** The Compute service module; stateless, so one shape for every simulator. */
const createComputeService = (): ServiceModule => ({
  name: 'compute',
  routes: [
    {
      method: 'GET',
      template: '/compute/v1/projects/{project}/zones/{zone}/instanceGroupManagers',
      name: 'instanceGroupManagers.list',
      discoveryMethod: 'compute.instanceGroupManagers.list',
      handle: listInstanceGroupManagers,
    },
    {
      method: 'GET',
      template: '/compute/v1/projects/{project}/zones/{zone}/instanceGroupManagers/{instanceGroupManager}',
      name: 'instanceGroupManagers.get',
      discoveryMethod: 'compute.instanceGroupManagers.get',
      handle: getInstanceGroupManager,
    },
  ],
});

export { createComputeService };
