import { z } from 'zod';
import type { Route, RouteRequest, RouteResponse, ServiceModule } from '../service';
import {
  applyPolicyWrite,
  emptyPolicy,
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
 * Identity-Aware Proxy, iap.googleapis.com v1 (api-contracts §4): the IAM policies of IAP web
 * resources, `POST /v1/{resource}:getIamPolicy` and `:setIamPolicy` (`iap.getIamPolicy`,
 * `iap.setIamPolicy`), seeded from the fixture's `iam.iapPolicy`.
 *
 * Resources served: `projects/{number}/iap_web` (every IAP web resource of the project),
 * `…/iap_web/compute` (every backend service) and `…/iap_web/compute/services/{id}` (one). The
 * fixture lists no backend services, so any service id is accepted; a resource nobody has granted
 * anything on answers the empty policy, as Google does. The exact name forms are [U] in the
 * contract; other IAP resource kinds (App Engine, regional) are not served.
 */

/** What {@link createIapService} is built from. */
interface IapServiceOptions {
  /** The parsed fixture (see `loadFixture`); validated here, at creation. */
  fixture: unknown;
}

/** The service's state; what `snapshot()` returns. */
interface IapState {
  /** Policies by resource name (`projects/734118209551/iap_web/compute`). */
  policies: Record<string, IamPolicy>;
}

const IAP_RESOURCE = /^projects\/\d+\/iap_web(?:\/compute(?:\/services\/[^/]+)?)?$/;

const iapFixtureSchema = z.looseObject({
  project: z.looseObject({ projectNumber: z.string().regex(/^\d+$/) }),
  iam: z.looseObject({
    iapPolicy: z
      .strictObject({
        resource: z
          .string()
          .regex(IAP_RESOURCE, 'expected projects/{number}/iap_web[/compute[/services/{id}]]'),
        policy: iamPolicySchema,
      })
      .optional(),
  }),
});

const stateSnapshotSchema = z.strictObject({
  policies: z.record(z.string().regex(IAP_RESOURCE, 'expected an IAP web resource name'), iamPolicySchema),
});

/** The templates of the served resources, each paired with how its resource name is built. */
const RESOURCE_TEMPLATES: ReadonlyArray<[string, (params: Record<string, string>) => string]> = [
  ['/v1/projects/{project}/iap_web', (params) => `projects/${params.project}/iap_web`],
  ['/v1/projects/{project}/iap_web/compute', (params) => `projects/${params.project}/iap_web/compute`],
  [
    '/v1/projects/{project}/iap_web/compute/services/{service}',
    (params) => `projects/${params.project}/iap_web/compute/services/${params.service}`,
  ],
];

/**
 * Creates the IAP service.
 *
 * @throws Error naming every invalid fixture path, e.g. `iam.iapPolicy.resource`.
 */
const createIapService = (options: IapServiceOptions): ServiceModule => {
  const parsed = iapFixtureSchema.safeParse(options.fixture);
  if (!parsed.success) throw new Error(`Invalid IAP fixture:\n${z.prettifyError(parsed.error)}`);
  const { project, iam } = parsed.data;
  const directory = parsePolicyDirectory(options.fixture, 'IAP');
  const rules: PolicyWriteRules = { resource: 'iap', directory };
  const seed: IapState = structuredClone({
    policies: iam.iapPolicy === undefined ? {} : { [iam.iapPolicy.resource]: iam.iapPolicy.policy },
  });
  let state: IapState = structuredClone(seed);

  /** The resource a path names, once its project is checked. */
  const resourceOf = (request: RouteRequest, name: (params: Record<string, string>) => string): string => {
    const projectSegment = request.params.project;
    if (projectSegment === project.projectNumber) return name(request.params);
    if (projectSegment === directory.projectId) {
      // IAP names resources by project number; whether it also takes the id is [U]: refused, so
      // code that builds names from the id fails here rather than possibly in production.
      throw identityApiError(
        'INVALID_ARGUMENT',
        `Invalid resource ${name(request.params)}: IAP resources are named by project number (projects/${project.projectNumber}/…).`,
      );
    }
    throw identityApiError('PERMISSION_DENIED', 'The caller does not have permission');
  };

  const routes: Route[] = RESOURCE_TEMPLATES.flatMap(([template, name]): Route[] => [
    {
      method: 'POST',
      template: `${template}:getIamPolicy`,
      name: 'iap.getIamPolicy',
      discoveryMethod: 'iap.getIamPolicy',
      handle: (request): RouteResponse => {
        const version = readGetIamPolicyRequest(request.body);
        const resource = resourceOf(request, name);
        return { body: policyResponse(state.policies[resource] ?? emptyPolicy(), version) };
      },
    },
    {
      method: 'POST',
      template: `${template}:setIamPolicy`,
      name: 'iap.setIamPolicy',
      discoveryMethod: 'iap.setIamPolicy',
      handle: (request): RouteResponse => {
        // IAP's SetIamPolicyRequest has no updateMask and its Policy no auditConfigs (iap.v1.json).
        const input = readSetIamPolicyRequest(request.body, { updateMask: false, auditConfigs: false });
        const resource = resourceOf(request, name);
        const written = applyPolicyWrite(state.policies[resource] ?? emptyPolicy(), input, rules);
        state.policies[resource] = written;
        return { body: policyResponse(written) };
      },
    },
  ]);

  return {
    name: 'iap',
    routes,
    reset: () => {
      state = structuredClone(seed);
    },
    snapshot: () => structuredClone(state),
    restore: (snapshot) => {
      const checked = stateSnapshotSchema.safeParse(snapshot);
      if (!checked.success) throw new Error(`Invalid IAP state snapshot:\n${z.prettifyError(checked.error)}`);
      state = structuredClone(checked.data);
    },
  };
};

export type { IapServiceOptions, IapState };
export { createIapService };
