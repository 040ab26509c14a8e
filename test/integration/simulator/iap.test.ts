import type { iap_v1 } from 'googleapis/build/src/apis/iap';
import { type IdentitySimulator, iapClientFor, startIdentitySimulator } from '../../helpers/iam-clients';

/**
 * The simulator's IAP API driven through googleapis' IAP v1 client: the IAM policies of IAP web
 * resources, with the etag rules every IAM policy follows (api-contracts §4).
 */

const PROJECT_NUMBER = '734118209551';
const IAP_WEB = `projects/${PROJECT_NUMBER}/iap_web`;
const COMPUTE = `${IAP_WEB}/compute`;
const BACKEND_SERVICE = `${COMPUTE}/services/5194728310562447219`;
const ACCESSOR = 'roles/iap.httpsResourceAccessor';
const FIXTURE_ETAG = 'BwY0qWm8nZo=';

type Policy = iap_v1.Schema$Policy;

/** The error a call fails with, awaited at once so no rejection is left unhandled meanwhile. */
const rejectionOf = (call: Promise<unknown>): Promise<unknown> =>
  call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );

const granting = (policy: Policy, member: string): Policy => {
  const bindings = structuredClone(policy.bindings ?? []);
  const binding = bindings.find((candidate) => candidate.role === ACCESSOR);
  if (binding) binding.members = [...(binding.members ?? []), member];
  else bindings.push({ role: ACCESSOR, members: [member] });
  return { ...policy, bindings };
};

describe('simulator IAP API', () => {
  let identity: IdentitySimulator;
  let api: iap_v1.Iap;

  const read = async (resource: string): Promise<Policy> =>
    (await api.v1.getIamPolicy({ resource, requestBody: { options: { requestedPolicyVersion: 3 } } })).data;
  const write = async (resource: string, policy: Policy): Promise<Policy> =>
    (await api.v1.setIamPolicy({ resource, requestBody: { policy } })).data;

  beforeAll(async () => {
    identity = await startIdentitySimulator();
    api = iapClientFor(identity.simulator.endpoints.iap ?? '');
  });

  beforeEach(() => {
    identity.simulator.reset();
    identity.simulator.requestLog.clear();
  });

  afterAll(async () => {
    await identity.simulator.close();
  });

  it('serves the fixture policy of the compute resource', async () => {
    // Act
    const policy = await read(COMPUTE);

    // Assess
    expect(policy).toMatchObject({ version: 1, etag: FIXTURE_ETAG });
    expect(policy.bindings?.[0]?.role).toBe(ACCESSOR);
    expect(policy.bindings?.[0]?.members).toHaveLength(12);
    expect(policy.bindings?.[0]?.members).toContain('user:liam.obrien@acme.ai');
  });

  it('answers the empty policy for the project-wide and a per-service resource', async () => {
    // Act
    const projectWide = await read(IAP_WEB);
    const { data: perService } = await api.v1.getIamPolicy({ resource: BACKEND_SERVICE, requestBody: {} });

    // Assess
    expect(projectWide).toEqual({ version: 1, etag: 'ACAB' });
    expect(perService).toEqual({ version: 1, etag: 'ACAB' });
  });

  it('offboards a user with a read-modify-write and issues a new etag', async () => {
    // Prepare
    const before = await read(COMPUTE);
    const bindings = (before.bindings ?? []).map((binding) => ({
      ...binding,
      members: (binding.members ?? []).filter((member) => member !== 'user:liam.obrien@acme.ai'),
    }));

    // Act
    const written = await write(COMPUTE, { ...before, bindings });
    const after = await read(COMPUTE);

    // Assess
    expect(written.etag).not.toBe(FIXTURE_ETAG);
    expect(after).toEqual(written);
    expect(after.bindings?.[0]?.members).toHaveLength(11);
    expect(after.bindings?.[0]?.members).not.toContain('user:liam.obrien@acme.ai');
  });

  it('refuses a stale etag with ABORTED, and the retried read-modify-write succeeds', async () => {
    // Prepare
    const first = await read(COMPUTE);
    const second = await read(COMPUTE);
    await write(COMPUTE, granting(first, 'user:sofia.rossi@acme.ai'));

    // Act
    const conflict = await rejectionOf(write(COMPUTE, granting(second, 'group:ml-team@acme.ai')));
    const retried = await write(COMPUTE, granting(await read(COMPUTE), 'group:ml-team@acme.ai'));

    // Assess
    expect(conflict).toMatchObject({ status: 409, response: { data: { error: { status: 'ABORTED' } } } });
    expect(retried.bindings?.[0]?.members).toEqual(
      expect.arrayContaining(['user:sofia.rossi@acme.ai', 'group:ml-team@acme.ai']),
    );
  });

  it('grants access on one backend service without touching the compute-wide policy', async () => {
    // Act
    const written = await write(
      BACKEND_SERVICE,
      granting(await read(BACKEND_SERVICE), 'user:grace.kim@acme.ai'),
    );

    // Assess
    expect(written.bindings).toEqual([{ role: ACCESSOR, members: ['user:grace.kim@acme.ai'] }]);
    expect((await read(BACKEND_SERVICE)).etag).toBe(written.etag);
    expect((await read(COMPUTE)).etag).toBe(FIXTURE_ETAG);
  });

  it('refuses public and outside members with FAILED_PRECONDITION under the domain restriction', async () => {
    // Act
    const everyone = await rejectionOf(write(COMPUTE, granting(await read(COMPUTE), 'allUsers')));
    const outsider = await rejectionOf(write(COMPUTE, granting(await read(COMPUTE), 'user:eve@gmail.com')));

    // Assess
    for (const refused of [everyone, outsider]) {
      expect(refused).toMatchObject({
        status: 400,
        response: { data: { error: { status: 'FAILED_PRECONDITION' } } },
      });
    }
  });

  it('refuses fields IAP policies do not have', async () => {
    // Act
    const withMask = await rejectionOf(
      api.v1.setIamPolicy({
        resource: COMPUTE,
        requestBody: {
          policy: await read(COMPUTE),
          updateMask: 'bindings',
        } as iap_v1.Schema$SetIamPolicyRequest,
      }),
    );

    // Assess
    expect(withMask).toMatchObject({
      status: 400,
      response: {
        data: { error: { status: 'INVALID_ARGUMENT', message: expect.stringContaining('updateMask') } },
      },
    });
  });

  it('names IAP resources by project number only, and denies other projects', async () => {
    // Act
    const byId = await rejectionOf(read('projects/acme-ml-prod/iap_web/compute'));
    const foreign = await rejectionOf(read('projects/123456789/iap_web/compute'));

    // Assess
    expect(byId).toMatchObject({
      status: 400,
      response: { data: { error: { status: 'INVALID_ARGUMENT' } } },
    });
    expect(foreign).toMatchObject({
      status: 403,
      response: { data: { error: { status: 'PERMISSION_DENIED' } } },
    });
  });

  it('restores a snapshot and goes back to the fixture on reset', async () => {
    // Prepare
    const written = await write(
      BACKEND_SERVICE,
      granting(await read(BACKEND_SERVICE), 'user:grace.kim@acme.ai'),
    );
    const snapshot = JSON.parse(JSON.stringify(identity.iap.snapshot?.()));

    // Act
    await fetch(`${identity.simulator.endpoints.iap}/_sim/reset`, { method: 'POST' });
    const afterReset = await read(BACKEND_SERVICE);
    identity.iap.restore?.(snapshot);
    const afterRestore = await read(BACKEND_SERVICE);

    // Assess
    expect(afterReset.etag).toBe('ACAB');
    expect(afterRestore).toEqual(written);
    expect(() => identity.iap.restore?.({ policies: { 'projects/x/secrets': { etag: 'ACAB' } } })).toThrow(
      /Invalid IAP state snapshot/,
    );
  });

  it('counts every resource form under the iap.getIamPolicy and iap.setIamPolicy methods', async () => {
    // Act
    await read(COMPUTE);
    await read(IAP_WEB);
    await write(BACKEND_SERVICE, { bindings: [{ role: ACCESSOR, members: ['user:grace.kim@acme.ai'] }] });

    // Assess
    expect(identity.simulator.requestLog.counts()).toEqual({
      'POST iap.getIamPolicy': 2,
      'POST iap.setIamPolicy': 1,
    });
  });
});
