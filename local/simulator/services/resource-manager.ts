import { z } from 'zod';
import {
  discoveryRoute,
  type Route,
  type RouteRequest,
  type RouteResponse,
  type ServiceModule,
} from '../service';
import {
  applyPolicyWrite,
  type IamPolicy,
  iamPolicySchema,
  identityApiError,
  type PolicyWriteRules,
  parsePolicyDirectory,
  policyResponse,
  readGetIamPolicyRequest,
  readSetIamPolicyRequest,
} from './iam-policy';

/**
 * Resource Manager, cloudresourcemanager.googleapis.com v1 and v3 (api-contracts §4): the
 * simulated project (`projects.get`) and its IAM policy (`projects.getIamPolicy`/`setIamPolicy`),
 * seeded from the fixture's `project` and `iam.projectPolicy`. Both API versions serve the same
 * project and the same policy; a project may be named by id or by number.
 *
 * Route names: v1 and v3 share their discovery method ids, so the v3 routes carry a `v3:` prefix in
 * both `name` and `discoveryMethod` (`v3:cloudresourcemanager.projects.setIamPolicy`). The prefix
 * names the document (`cloudresourcemanager.v3.json`), the rest is the id inside it; unprefixed
 * ids are `cloudresourcemanager.v1.json`'s. So the request log counts each version's calls apart,
 * and a contract check knows which document's request shape applies.
 */

/** What {@link createResourceManagerService} is built from. */
interface ResourceManagerServiceOptions {
  /** The parsed fixture (see `loadFixture`); validated here, at creation. */
  fixture: unknown;
}

/** The `v3:` prefix of the v3 routes' names and discovery methods (see the module comment). */
const V3_PREFIX = 'v3:';

const resourceManagerFixtureSchema = z.looseObject({
  project: z.looseObject({
    projectId: z.string().min(1),
    projectNumber: z.string().regex(/^\d+$/, 'expected the project number as a decimal string'),
    name: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    createTime: z.iso.datetime({ offset: true }).optional(),
    parent: z
      .strictObject({ type: z.enum(['organization', 'folder']), id: z.string().regex(/^\d+$/) })
      .optional(),
  }),
  iam: z.looseObject({ projectPolicy: iamPolicySchema }),
});

const stateSnapshotSchema = z.strictObject({ policy: iamPolicySchema });

type ProjectSeed = z.infer<typeof resourceManagerFixtureSchema>['project'];

/** The service's state; what `snapshot()` returns. */
interface ResourceManagerState {
  policy: IamPolicy;
}

/** Google's answer for a project that does not exist or that the caller may not see. */
const projectDenied = () => identityApiError('PERMISSION_DENIED', 'The caller does not have permission');

/** The v1 `Project` resource. */
const projectV1 = (project: ProjectSeed): Record<string, unknown> => ({
  projectNumber: project.projectNumber,
  projectId: project.projectId,
  lifecycleState: 'ACTIVE',
  ...(project.name === undefined ? {} : { name: project.name }),
  ...(project.createTime === undefined ? {} : { createTime: project.createTime }),
  ...(project.labels === undefined ? {} : { labels: project.labels }),
  ...(project.parent === undefined ? {} : { parent: project.parent }),
});

/** The v3 `Project` resource: named by number, `displayName` for v1's `name`, `state` for `lifecycleState`. */
const projectV3 = (project: ProjectSeed): Record<string, unknown> => ({
  name: `projects/${project.projectNumber}`,
  ...(project.parent === undefined ? {} : { parent: `${project.parent.type}s/${project.parent.id}` }),
  projectId: project.projectId,
  state: 'ACTIVE',
  ...(project.name === undefined ? {} : { displayName: project.name }),
  ...(project.createTime === undefined ? {} : { createTime: project.createTime }),
  ...(project.labels === undefined ? {} : { labels: project.labels }),
});

/**
 * Creates the Resource Manager service.
 *
 * @throws Error naming every invalid fixture path, e.g. `iam.projectPolicy.bindings[3].members`.
 */
const createResourceManagerService = (options: ResourceManagerServiceOptions): ServiceModule => {
  const parsed = resourceManagerFixtureSchema.safeParse(options.fixture);
  if (!parsed.success) {
    throw new Error(`Invalid Resource Manager fixture:\n${z.prettifyError(parsed.error)}`);
  }
  const project = structuredClone(parsed.data.project);
  const seedPolicy: IamPolicy = structuredClone(parsed.data.iam.projectPolicy);
  const rules: PolicyWriteRules = {
    resource: 'project',
    directory: parsePolicyDirectory(options.fixture, 'Resource Manager'),
  };
  let state: ResourceManagerState = { policy: structuredClone(seedPolicy) };

  const assertProject = (idOrNumber: string | undefined): void => {
    if (idOrNumber !== project.projectId && idOrNumber !== project.projectNumber) throw projectDenied();
  };

  /** The handlers of one API version; `projectParam` is the template variable naming the project. */
  const handlers = (projectParam: string, view: (seed: ProjectSeed) => Record<string, unknown>) => ({
    get: (request: RouteRequest): RouteResponse => {
      assertProject(request.params[projectParam]);
      return { body: structuredClone(view(project)) };
    },
    getIamPolicy: (request: RouteRequest): RouteResponse => {
      const version = readGetIamPolicyRequest(request.body);
      assertProject(request.params[projectParam]);
      return { body: policyResponse(state.policy, version) };
    },
    setIamPolicy: (request: RouteRequest): RouteResponse => {
      const input = readSetIamPolicyRequest(request.body, { updateMask: true, auditConfigs: true });
      assertProject(request.params[projectParam]);
      state.policy = applyPolicyWrite(state.policy, input, rules);
      return { body: policyResponse(state.policy) };
    },
  });

  const v1 = handlers('resource', projectV1);
  const v3 = handlers('project', projectV3);
  const routes: Route[] = [
    discoveryRoute('GET', '/v1/projects/{resource}', 'cloudresourcemanager.projects.get', v1.get),
    discoveryRoute(
      'POST',
      '/v1/projects/{resource}:getIamPolicy',
      'cloudresourcemanager.projects.getIamPolicy',
      v1.getIamPolicy,
    ),
    discoveryRoute(
      'POST',
      '/v1/projects/{resource}:setIamPolicy',
      'cloudresourcemanager.projects.setIamPolicy',
      v1.setIamPolicy,
    ),
    discoveryRoute('GET', '/v3/projects/{project}', `${V3_PREFIX}cloudresourcemanager.projects.get`, v3.get),
    discoveryRoute(
      'POST',
      '/v3/projects/{project}:getIamPolicy',
      `${V3_PREFIX}cloudresourcemanager.projects.getIamPolicy`,
      v3.getIamPolicy,
    ),
    discoveryRoute(
      'POST',
      '/v3/projects/{project}:setIamPolicy',
      `${V3_PREFIX}cloudresourcemanager.projects.setIamPolicy`,
      v3.setIamPolicy,
    ),
  ];

  return {
    name: 'cloudresourcemanager',
    routes,
    reset: () => {
      state = { policy: structuredClone(seedPolicy) };
    },
    snapshot: () => structuredClone(state),
    restore: (snapshot) => {
      const checked = stateSnapshotSchema.safeParse(snapshot);
      if (!checked.success) {
        throw new Error(`Invalid Resource Manager state snapshot:\n${z.prettifyError(checked.error)}`);
      }
      state = structuredClone(checked.data);
    },
  };
};

export type { ResourceManagerServiceOptions, ResourceManagerState };
export { createResourceManagerService, V3_PREFIX };
