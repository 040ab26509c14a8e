import type { cloudresourcemanager_v1, cloudresourcemanager_v3 } from '@googleapis/cloudresourcemanager';
import {
  type IdentitySimulator,
  resourceManagerV1ClientFor,
  resourceManagerV3ClientFor,
  startIdentitySimulator,
} from '../../helpers/iam-clients';

/**
 * The simulator's Resource Manager API driven through @googleapis/cloudresourcemanager, v1 and v3:
 * the project and its IAM policy, with the read-modify-write rules of api-contracts §4.
 */

const PROJECT = 'acme-ml-prod';
const PROJECT_NUMBER = '734118209551';
const V3_RESOURCE = `projects/${PROJECT}`;
const FIXTURE_ETAG = 'BwY0rV3kQyE=';
const CLUSTER_VIEWER = 'roles/container.clusterViewer';
const ABORTED_MESSAGE =
  'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.';

type Policy = cloudresourcemanager_v3.Schema$Policy;

/** The error a call fails with, awaited at once so no rejection is left unhandled meanwhile. */
const rejectionOf = (call: Promise<unknown>): Promise<unknown> =>
  call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );

/** `policy` with `member` added to the unconditional binding of `role`. */
const granting = (policy: Policy, role: string, member: string): Policy => {
  const bindings = structuredClone(policy.bindings ?? []);
  const binding = bindings.find((candidate) => candidate.role === role && !candidate.condition);
  if (binding) binding.members = [...(binding.members ?? []), member];
  else bindings.push({ role, members: [member] });
  return { ...policy, bindings };
};

describe('simulator Resource Manager API', () => {
  let identity: IdentitySimulator;
  let v1: cloudresourcemanager_v1.Cloudresourcemanager;
  let v3: cloudresourcemanager_v3.Cloudresourcemanager;

  const readV3 = async (): Promise<Policy> =>
    (
      await v3.projects.getIamPolicy({
        resource: V3_RESOURCE,
        requestBody: { options: { requestedPolicyVersion: 3 } },
      })
    ).data;

  const writeV3 = async (policy: Policy): Promise<Policy> =>
    (await v3.projects.setIamPolicy({ resource: V3_RESOURCE, requestBody: { policy } })).data;

  beforeAll(async () => {
    identity = await startIdentitySimulator();
    const endpoint = identity.simulator.endpoints.cloudresourcemanager ?? '';
    v1 = resourceManagerV1ClientFor(endpoint);
    v3 = resourceManagerV3ClientFor(endpoint);
  });

  beforeEach(() => {
    identity.simulator.reset();
    identity.simulator.requestLog.clear();
  });

  afterAll(async () => {
    await identity.simulator.close();
  });

  describe('projects.get', () => {
    it('serves the project in the v1 and the v3 shape, by id or by number', async () => {
      // Act
      const { data: asV1 } = await v1.projects.get({ projectId: PROJECT });
      const { data: asV3 } = await v3.projects.get({ name: `projects/${PROJECT_NUMBER}` });

      // Assess
      expect(asV1).toEqual({
        projectNumber: PROJECT_NUMBER,
        projectId: PROJECT,
        lifecycleState: 'ACTIVE',
        name: 'ACME ML Production',
        labels: { env: 'prod', org: 'acme' },
      });
      expect(asV3).toEqual({
        name: `projects/${PROJECT_NUMBER}`,
        projectId: PROJECT,
        state: 'ACTIVE',
        displayName: 'ACME ML Production',
        labels: { env: 'prod', org: 'acme' },
      });
    });

    it('answers PERMISSION_DENIED for a project it does not know, as Google does', async () => {
      // Act
      const unknown = await rejectionOf(v3.projects.get({ name: 'projects/someone-else' }));

      // Assess
      expect(unknown).toMatchObject({
        status: 403,
        response: { data: { error: { status: 'PERMISSION_DENIED' } } },
      });
    });
  });

  describe('getIamPolicy', () => {
    it('reads the conditional fixture policy at version 3 through both API versions', async () => {
      // Act
      const asV3 = await readV3();
      const { data: asV1 } = await v1.projects.getIamPolicy({
        resource: PROJECT,
        requestBody: { options: { requestedPolicyVersion: 3 } },
      });

      // Assess
      expect(asV3).toMatchObject({ version: 3, etag: FIXTURE_ETAG });
      expect(asV3.bindings).toHaveLength(24);
      expect(asV3.bindings?.[15]).toEqual({
        role: 'roles/container.developer',
        members: ['user:ext.nina.volkova@acme.ai'],
        condition: {
          title: 'contract-ends-2025-07-31',
          description: 'Time-bound contractor access',
          expression: 'request.time < timestamp("2025-07-31T00:00:00Z")',
        },
      });
      expect(asV3.auditConfigs).toEqual([
        { service: 'allServices', auditLogConfigs: [{ logType: 'ADMIN_READ' }, { logType: 'DATA_WRITE' }] },
      ]);
      expect(asV1).toEqual(asV3);
    });

    it('refuses to show a conditional policy to a caller that does not ask for version 3', async () => {
      // Act
      const unversioned = await rejectionOf(v1.projects.getIamPolicy({ resource: PROJECT, requestBody: {} }));
      const invalidVersion = await rejectionOf(
        v3.projects.getIamPolicy({
          resource: V3_RESOURCE,
          requestBody: { options: { requestedPolicyVersion: 2 } },
        }),
      );

      // Assess
      expect(unversioned).toMatchObject({
        status: 400,
        response: {
          data: {
            error: {
              status: 'INVALID_ARGUMENT',
              message: expect.stringContaining(
                'Requested policy version (1) cannot be less than the existing policy version (3).',
              ),
              errors: [{ reason: 'badRequest' }],
            },
          },
        },
      });
      expect(invalidVersion).toMatchObject({ status: 400 });
    });
  });

  describe('setIamPolicy', () => {
    it('onboards a user with a read-modify-write that keeps version 3 and issues a new etag', async () => {
      // Prepare
      const read = await readV3();

      // Act
      const written = await writeV3(granting(read, CLUSTER_VIEWER, 'user:sofia.rossi@acme.ai'));
      const reread = await readV3();

      // Assess
      expect(written.version).toBe(3);
      expect(written.etag).not.toBe(FIXTURE_ETAG);
      expect(reread).toEqual(written);
      expect(reread.bindings?.find((binding) => binding.role === CLUSTER_VIEWER)?.members).toContain(
        'user:sofia.rossi@acme.ai',
      );
      expect(reread.auditConfigs).toEqual(read.auditConfigs);
    });

    it('refuses a stale etag with ABORTED, and the retried read-modify-write succeeds', async () => {
      // Prepare: two writers read the same policy; the first one writes.
      const first = await readV3();
      const second = await readV3();
      await writeV3(granting(first, CLUSTER_VIEWER, 'user:sofia.rossi@acme.ai'));

      // Act
      const conflict = await rejectionOf(writeV3(granting(second, CLUSTER_VIEWER, 'user:dev.patel@acme.ai')));
      const retried = await writeV3(granting(await readV3(), CLUSTER_VIEWER, 'user:dev.patel@acme.ai'));

      // Assess
      expect(conflict).toMatchObject({
        status: 409,
        response: {
          data: {
            error: {
              code: 409,
              status: 'ABORTED',
              message: ABORTED_MESSAGE,
              errors: [{ reason: 'aborted' }],
            },
          },
        },
      });
      expect(retried.bindings?.find((binding) => binding.role === CLUSTER_VIEWER)?.members).toEqual(
        expect.arrayContaining(['user:sofia.rossi@acme.ai', 'user:dev.patel@acme.ai']),
      );
    });

    it('needs version 3 for a conditional binding', async () => {
      // Prepare
      const read = await readV3();
      const contractor = {
        role: 'roles/container.developer',
        members: ['user:priya.nair@acme.ai'],
        condition: {
          title: 'until-2026-12-31',
          expression: 'request.time < timestamp("2026-12-31T00:00:00Z")',
        },
      };
      const policy = { ...read, bindings: [...(read.bindings ?? []), contractor] };

      // Act
      const asVersion1 = await rejectionOf(writeV3({ ...policy, version: 1 }));
      const asVersion3 = await writeV3({ ...policy, version: 3 });

      // Assess
      expect(asVersion1).toMatchObject({
        status: 400,
        response: { data: { error: { status: 'INVALID_ARGUMENT' } } },
      });
      expect(asVersion3.bindings).toContainEqual(contractor);
    });

    it('answers version 1 once the last condition is gone', async () => {
      // Prepare
      const read = await readV3();
      const unconditional = (read.bindings ?? []).filter((binding) => !binding.condition);

      // Act
      const written = await writeV3({ ...read, bindings: unconditional });
      const { data: unversioned } = await v1.projects.getIamPolicy({ resource: PROJECT, requestBody: {} });

      // Assess
      expect(written.version).toBe(1);
      expect(unversioned.version).toBe(1);
      expect(unversioned.bindings).toHaveLength(21);
    });

    it('refuses a member outside the allowed domain with FAILED_PRECONDITION', async () => {
      // Act
      const outsider = await rejectionOf(
        writeV3(granting(await readV3(), CLUSTER_VIEWER, 'user:eve@gmail.com')),
      );

      // Assess
      expect(outsider).toMatchObject({
        status: 400,
        response: {
          data: {
            error: {
              status: 'FAILED_PRECONDITION',
              message:
                'One or more users named in the policy do not belong to a permitted customer, perhaps due to an organization policy.',
              details: [
                {
                  '@type': 'type.googleapis.com/google.rpc.PreconditionFailure',
                  violations: [
                    {
                      type: 'constraints/iam.allowedPolicyMemberDomains',
                      subject: 'user:eve@gmail.com',
                      description: 'User is not in permitted organization.',
                    },
                  ],
                },
              ],
            },
          },
        },
      });
    });

    it.each([
      ['allUsers', 'roles/viewer', 'allUsers', 'Request contains an invalid argument.'],
      ['a user made owner', 'roles/owner', 'user:dev.patel@acme.ai', 'Request contains an invalid argument.'],
      [
        'a user missing from Cloud Identity',
        CLUSTER_VIEWER,
        'user:new.hire@acme.ai',
        'User new.hire@acme.ai does not exist.',
      ],
      [
        'a service account that does not exist',
        CLUSTER_VIEWER,
        'serviceAccount:ghost@acme-ml-prod.iam.gserviceaccount.com',
        'Service account ghost@acme-ml-prod.iam.gserviceaccount.com does not exist.',
      ],
      [
        'a member without a type',
        CLUSTER_VIEWER,
        'dev.patel@acme.ai',
        'The member dev.patel@acme.ai is of an unknown type. Please set a valid type prefix for the member.',
      ],
    ])('refuses %s on the project with INVALID_ARGUMENT', async (_case, role, member, message) => {
      // Act
      const refused = await rejectionOf(writeV3(granting(await readV3(), role, member)));

      // Assess
      expect(refused).toMatchObject({
        status: 400,
        response: { data: { error: { status: 'INVALID_ARGUMENT', message } } },
      });
    });

    it('explains a refused owner grant with SOLO_MUST_INVITE_OWNERS, and lets a service account become owner', async () => {
      // Act
      const user = await rejectionOf(
        writeV3(granting(await readV3(), 'roles/owner', 'user:dev.patel@acme.ai')),
      );
      const serviceAccount = await writeV3(
        granting(
          await readV3(),
          'roles/owner',
          'serviceAccount:acme-ops-control-plane@acme-ml-prod.iam.gserviceaccount.com',
        ),
      );

      // Assess
      expect(user).toMatchObject({
        response: {
          data: {
            error: {
              details: [
                {
                  '@type': 'type.googleapis.com/google.cloudresourcemanager.v1.ProjectIamPolicyError',
                  type: 'SOLO_MUST_INVITE_OWNERS',
                  member: 'user:dev.patel@acme.ai',
                  role: 'roles/owner',
                },
              ],
            },
          },
        },
      });
      expect(serviceAccount.bindings?.[0]?.members).toContain(
        'serviceAccount:acme-ops-control-plane@acme-ml-prod.iam.gserviceaccount.com',
      );
    });

    it('keeps the audit configs unless the update mask names them', async () => {
      // Prepare
      const read = await readV3();
      const auditConfigs = [{ service: 'allServices', auditLogConfigs: [{ logType: 'DATA_READ' }] }];

      // Act
      const unmasked = await writeV3({ ...read, auditConfigs });
      const { data: masked } = await v3.projects.setIamPolicy({
        resource: V3_RESOURCE,
        requestBody: { policy: { ...unmasked, auditConfigs }, updateMask: 'bindings,etag,auditConfigs' },
      });

      // Assess
      expect(unmasked.auditConfigs).toEqual(read.auditConfigs);
      expect(masked.auditConfigs).toEqual(auditConfigs);
    });

    it('overwrites unconditionally without an etag, dropping the conditions a version 1 write leaves out', async () => {
      // Prepare
      const read = await readV3();
      const { etag: _etag, ...withoutEtag } = read;
      const unconditional = (read.bindings ?? []).filter((binding) => !binding.condition);

      // Act
      const { data } = await v1.projects.setIamPolicy({
        resource: PROJECT,
        requestBody: { policy: { ...withoutEtag, version: 1, bindings: unconditional } },
      });

      // Assess
      expect(data.version).toBe(1);
      expect(data.bindings?.some((binding) => binding.condition)).toBe(false);
    });
  });

  describe('state', () => {
    it('restores a snapshot and goes back to the fixture on reset', async () => {
      // Prepare
      const written = await writeV3(granting(await readV3(), CLUSTER_VIEWER, 'user:sofia.rossi@acme.ai'));
      const snapshot = JSON.parse(JSON.stringify(identity.resourceManager.snapshot?.()));

      // Act
      await fetch(`${identity.simulator.endpoints.cloudresourcemanager}/_sim/reset`, { method: 'POST' });
      const afterReset = await readV3();
      identity.resourceManager.restore?.(snapshot);
      const afterRestore = await readV3();

      // Assess
      expect(afterReset.etag).toBe(FIXTURE_ETAG);
      expect(afterRestore).toEqual(written);
      expect(() => identity.resourceManager.restore?.({ policy: { bindings: [] } })).toThrow(/policy\.etag/);
    });

    it('counts v1 and v3 calls under their own discovery method names', async () => {
      // Act
      await readV3();
      await v1.projects.getIamPolicy({
        resource: PROJECT,
        requestBody: { options: { requestedPolicyVersion: 3 } },
      });
      await v1.projects.get({ projectId: PROJECT });

      // Assess
      expect(identity.simulator.requestLog.counts()).toEqual({
        'POST v3:cloudresourcemanager.projects.getIamPolicy': 1,
        'POST cloudresourcemanager.projects.getIamPolicy': 1,
        'GET cloudresourcemanager.projects.get': 1,
      });
    });
  });
});
