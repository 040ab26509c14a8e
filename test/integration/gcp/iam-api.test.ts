import { inspect } from 'node:util';
import type { cloudresourcemanager_v3 } from '@googleapis/cloudresourcemanager';
import {
  defaultFixturePath,
  loadFixture,
  type RunningSimulator,
  startSimulator,
} from '../../../local/simulator/simulator';
import { GcpError, InvalidCommandError } from '../../../shared/errors';
import { createIamApi, type IamApi } from '../../../shared/gcp/iam-api';
import { type IamClients, lazyIamClients } from '../../../shared/gcp/iam-clients';
import { membersOf, withMember, withoutMember } from '../../../shared/gcp/iam-policy-edit';
import { type Clock, ManualClock, systemClock } from '../../../shared/time';

/**
 * The IAM adapter against the platform simulator, through the production client factories: policy
 * edits on the project (Resource Manager v3), an IAP web resource and a service account, with real
 * 409 ABORTED conflicts, and the user-managed key calls.
 */

const PROJECT = 'acme-ml-prod';
const PROJECT_NUMBER = '734118209551';
const NOW = '2026-03-02T09:00:00Z';
const CI = 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com';
const KF_USER = 'acme-kf-user@acme-ml-prod.iam.gserviceaccount.com';
const IAP_COMPUTE = `projects/${PROJECT_NUMBER}/iap_web/compute`;
const SEEDED_CI_KEYS = [
  'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
  '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807',
];
const CONTRACT = {
  title: 'contract-ends-2026-08-31',
  description: 'Time-bound contractor access',
  expression: 'request.time < timestamp("2026-08-31T00:00:00Z")',
};
const SET_PROJECT_POLICY = 'POST v3:cloudresourcemanager.projects.setIamPolicy';

/** Real waits, recorded, so the concurrency test shows the backoff ran on the injected clock. */
const recordingClock = (): Clock & { sleeps: number[] } => {
  const sleeps: number[] = [];
  const sleep = (ms: number): Promise<void> => {
    sleeps.push(ms);
    return systemClock.sleep(ms);
  };
  return { now: () => systemClock.now(), sleep, sleeps };
};

/** The error a call fails with, awaited at once so no rejection is left unhandled meanwhile. */
const rejectionOf = (call: Promise<unknown>): Promise<unknown> =>
  call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );

describe('IamApi against the simulator', () => {
  let sim: RunningSimulator;
  let clients: IamClients;
  let clock: ReturnType<typeof recordingClock>;
  let api: IamApi;

  beforeAll(async () => {
    sim = await startSimulator({
      fixture: loadFixture(defaultFixturePath()),
      timeScale: 0,
      clock: new ManualClock(NOW),
    });
    clients = lazyIamClients(sim.endpoints);
  });

  beforeEach(() => {
    sim.reset();
    sim.requestLog.clear();
    clock = recordingClock();
    api = createIamApi({ clients, clock });
  });

  afterAll(async () => {
    await sim.close();
  });

  describe('project policy', () => {
    it('adds a user to a role in one etag-guarded write, reading at version 3', async () => {
      // Act
      const result = await api.editPolicy({ kind: 'project', projectId: PROJECT }, (policy) =>
        withMember(policy, 'roles/container.developer', 'user:priya.nair@acme.ai'),
      );
      const reread = await api.getPolicy({ kind: 'project', projectId: PROJECT });

      // Assess
      expect(result).toMatchObject({ changed: true, attempts: 1 });
      expect(result.diff).toEqual([
        { role: 'roles/container.developer', member: 'user:priya.nair@acme.ai', change: 'added' },
      ]);
      expect(
        reread.bindings.find((binding) => binding.role === 'roles/container.developer' && !binding.condition)
          ?.members,
      ).toContain('user:priya.nair@acme.ai');
      expect(reread.etag).toBe(result.after.etag);
      expect(reread.etag).not.toBe(result.before.etag);
      const set = sim.requestLog
        .entries()
        .find((entry) => entry.route === 'v3:cloudresourcemanager.projects.setIamPolicy');
      expect(set?.body).toMatchObject({ policy: { etag: result.before.etag, version: 3 } });
      const get = sim.requestLog
        .entries()
        .find((entry) => entry.route === 'v3:cloudresourcemanager.projects.getIamPolicy');
      expect(get?.body).toEqual({ options: { requestedPolicyVersion: 3 } });
    });

    it('grants a contractor a conditional binding that expires, stored as version 3', async () => {
      // Act
      const result = await api.editPolicy({ kind: 'project', projectId: PROJECT }, (policy) =>
        withMember(policy, 'roles/container.clusterViewer', 'user:ext.nina.volkova@acme.ai', CONTRACT),
      );

      // Assess
      expect(result.after.version).toBe(3);
      expect(result.after.bindings).toContainEqual({
        role: 'roles/container.clusterViewer',
        members: ['user:ext.nina.volkova@acme.ai'],
        condition: CONTRACT,
      });
      expect(result.diff).toEqual([
        {
          role: 'roles/container.clusterViewer',
          member: 'user:ext.nina.volkova@acme.ai',
          change: 'added',
          condition: CONTRACT,
        },
      ]);
    });

    it('removes a member from every binding, conditional ones included, and keeps the others', async () => {
      // Act
      const result = await api.editPolicy({ kind: 'project', projectId: PROJECT }, (policy) =>
        withoutMember(policy, 'user:ext.nina.volkova@acme.ai'),
      );

      // Assess
      expect(membersOf(result.before)).toContain('user:ext.nina.volkova@acme.ai');
      expect(membersOf(result.after)).not.toContain('user:ext.nina.volkova@acme.ai');
      expect(result.diff.map((change) => [change.role, change.change, change.condition?.title])).toEqual([
        ['roles/container.clusterViewer', 'removed', undefined],
        ['roles/container.developer', 'removed', 'contract-ends-2025-07-31'],
        ['roles/viewer', 'removed', undefined],
      ]);
      expect(membersOf(result.after)).toEqual(
        membersOf(result.before).filter((m) => m !== 'user:ext.nina.volkova@acme.ai'),
      );
      // Two conditional bindings of Metaflow's service account remain, so the policy stays at 3.
      expect(result.after.version).toBe(3);
    });

    it('lands 20 concurrent edits adding 20 different members, retrying the ones that lost a race', async () => {
      // Prepare
      const members = Array.from({ length: 20 }, (_, index) => `group:ml-team-${index}@acme.ai`);

      // Act
      const results = await Promise.all(
        members.map((member) =>
          api.editPolicy({ kind: 'project', projectId: PROJECT }, (policy) =>
            withMember(policy, 'roles/container.clusterViewer', member),
          ),
        ),
      );
      const reread = await api.getPolicy({ kind: 'project', projectId: PROJECT });

      // Assess
      expect(membersOf(reread)).toEqual(expect.arrayContaining(members));
      expect(results.every((result) => result.changed)).toBe(true);
      expect(results.some((result) => result.attempts > 1)).toBe(true);
      expect(clock.sleeps.length).toBeGreaterThan(0);
      const conflicts = sim.requestLog
        .entries()
        .filter(
          (entry) => entry.route === 'v3:cloudresourcemanager.projects.setIamPolicy' && entry.status === 409,
        );
      expect(conflicts.length).toBe(results.reduce((sum, result) => sum + result.attempts - 1, 0));
    });

    it('redoes the whole read-modify-write when another writer lands between its read and its write', async () => {
      // Prepare: the fault injector answers only 429/500/503, so the conflict is a real one: a
      // competing grant is written through the same API just before our first write.
      const real = clients.resourceManager();
      let competed = false;
      const racing = {
        projects: {
          getIamPolicy: real.projects.getIamPolicy.bind(real.projects),
          setIamPolicy: async (params: cloudresourcemanager_v3.Params$Resource$Projects$Setiampolicy) => {
            if (!competed) {
              competed = true;
              await createIamApi({ clients, clock }).editPolicy(
                { kind: 'project', projectId: PROJECT },
                (policy) => withMember(policy, 'roles/viewer', 'user:omar.haddad@acme.ai'),
              );
            }
            return real.projects.setIamPolicy(params);
          },
        },
      } as unknown as cloudresourcemanager_v3.Cloudresourcemanager;
      const racingApi = createIamApi({ clients: { ...clients, resourceManager: () => racing }, clock });

      // Act
      const result = await racingApi.editPolicy({ kind: 'project', projectId: PROJECT }, (policy) =>
        withMember(policy, 'roles/viewer', 'user:lena.muller@acme.ai'),
      );

      // Assess
      expect(result.attempts).toBe(2);
      expect(membersOf(result.after)).toEqual(
        expect.arrayContaining(['user:omar.haddad@acme.ai', 'user:lena.muller@acme.ai']),
      );
      expect(
        sim.requestLog
          .entries()
          .filter((entry) => entry.route === 'v3:cloudresourcemanager.projects.setIamPolicy')
          .map((entry) => entry.status),
      ).toEqual([200, 409, 200]);
      expect(clock.sleeps).toHaveLength(1);
    });

    it('reads but does not write when the change leaves the grants as they are', async () => {
      // Act
      const result = await api.editPolicy({ kind: 'project', projectId: PROJECT }, (policy) =>
        withMember(policy, 'roles/owner', 'user:maria.chen@acme.ai'),
      );

      // Assess
      expect(result).toMatchObject({ changed: false, attempts: 1, diff: [] });
      expect(result.after).toBe(result.before);
      expect(sim.requestLog.counts()).toEqual({ 'POST v3:cloudresourcemanager.projects.getIamPolicy': 1 });
      expect(sim.requestLog.counts()[SET_PROJECT_POLICY]).toBeUndefined();
    });

    it('surfaces a refused grant as a non-retryable rejection, unretried', async () => {
      // Act
      const failure = await rejectionOf(
        api.editPolicy({ kind: 'project', projectId: PROJECT }, (policy) =>
          withMember(policy, 'roles/viewer', 'user:nobody@acme.ai'),
        ),
      );

      // Assess
      expect(failure).toBeInstanceOf(GcpError);
      expect(failure).toMatchObject({ code: 'GCP_REJECTED', retryable: false, status: 'INVALID_ARGUMENT' });
      expect(sim.requestLog.counts()[SET_PROJECT_POLICY]).toBe(1);
    });
  });

  describe('service-account policy', () => {
    it('grants workload identity to a Kubernetes service account on the Kubeflow user GSA', async () => {
      // Prepare
      const ksa = `serviceAccount:${PROJECT}.svc.id.goog[new-hire/default-editor]`;

      // Act
      const result = await api.editPolicy({ kind: 'serviceAccount', email: KF_USER }, (policy) =>
        withMember(policy, 'roles/iam.workloadIdentityUser', ksa),
      );
      const reread = await api.getPolicy({ kind: 'serviceAccount', email: KF_USER });

      // Assess
      expect(result.after.version).toBe(1);
      expect(
        reread.bindings.find((binding) => binding.role === 'roles/iam.workloadIdentityUser')?.members,
      ).toContain(ksa);
      expect(sim.requestLog.counts()).toEqual({
        'POST iam.projects.serviceAccounts.getIamPolicy': 2,
        'POST iam.projects.serviceAccounts.setIamPolicy': 1,
      });
    });
  });

  describe('IAP policy', () => {
    it('grants IAP web access on the compute resource and on one backend service', async () => {
      // Act
      const compute = await api.editPolicy({ kind: 'iap', resource: IAP_COMPUTE }, (policy) =>
        withMember(policy, 'roles/iap.httpsResourceAccessor', 'user:ext.nina.volkova@acme.ai', CONTRACT),
      );
      const service = await api.editPolicy(
        { kind: 'iap', resource: `${IAP_COMPUTE}/services/kubeflow-ingress` },
        (policy) => withMember(policy, 'roles/iap.httpsResourceAccessor', 'user:dev.patel@acme.ai'),
      );

      // Assess
      expect(compute.after.version).toBe(3);
      expect(compute.after.bindings).toHaveLength(2);
      expect(service.before.bindings).toEqual([]);
      expect(service.after.bindings).toEqual([
        { role: 'roles/iap.httpsResourceAccessor', members: ['user:dev.patel@acme.ai'] },
      ]);
      expect(sim.requestLog.counts()['POST iap.setIamPolicy']).toBe(2);
    });

    it('refuses an IAP resource not named by project number before calling Google', async () => {
      // Act
      const failure = await rejectionOf(
        api.editPolicy({ kind: 'iap', resource: `projects/${PROJECT}/iap_web` }, (policy) => policy),
      );

      // Assess
      expect(failure).toBeInstanceOf(InvalidCommandError);
      expect(sim.requestLog.entries()).toEqual([]);
    });
  });

  describe('service-account keys', () => {
    it('creates a key whose material never shows in JSON, strings or inspection but reveals a credentials file', async () => {
      // Act
      const created = await api.createKey(CI);
      const revealed = created.material.reveal();
      const credentials = JSON.parse(revealed.toString('utf8')) as Record<string, string>;
      const listed = await api.listKeys(CI);

      // Assess
      expect(created.id).toMatch(/^[0-9a-f]{40}$/);
      expect(created.name).toBe(`projects/${PROJECT}/serviceAccounts/${CI}/keys/${created.id}`);
      expect(created.validAfterTime).toBe(NOW);
      expect(credentials).toMatchObject({
        type: 'service_account',
        private_key_id: created.id,
        client_email: CI,
      });
      expect(credentials.private_key).toContain('BEGIN PRIVATE KEY');
      const pemLine = credentials.private_key?.split('\n')[1] ?? '';
      const base64 = revealed.toString('base64');
      for (const text of [
        JSON.stringify(created),
        String(created.material),
        inspect(created, { depth: null }),
        `${created.material}`,
      ]) {
        expect(text).not.toContain('PRIVATE KEY');
        expect(text).not.toContain(pemLine);
        expect(text).not.toContain(base64);
      }
      expect(JSON.stringify(created)).toContain('[redacted key material]');
      expect(listed.map((key) => key.id)).toEqual([...SEEDED_CI_KEYS, created.id]);
    });

    it('lists user-managed keys with their validity, state and origin', async () => {
      // Act
      const keys = await api.listKeys(CI);

      // Assess
      expect(keys[0]).toEqual({
        id: SEEDED_CI_KEYS[0],
        name: `projects/${PROJECT}/serviceAccounts/${CI}/keys/${SEEDED_CI_KEYS[0]}`,
        validAfterTime: '2024-03-02T08:11:00Z',
        validBeforeTime: '9999-12-31T23:59:59Z',
        disabled: false,
        keyOrigin: 'GOOGLE_PROVIDED',
      });
    });

    it('disables, enables and deletes a key', async () => {
      // Prepare
      const [oldKey = '', newKey = ''] = SEEDED_CI_KEYS;

      // Act
      await api.disableKey(CI, oldKey);
      const afterDisable = await api.listKeys(CI);
      await api.enableKey(CI, oldKey);
      const afterEnable = await api.listKeys(CI);
      await api.deleteKey(CI, oldKey);
      const afterDelete = await api.listKeys(CI);
      const missing = await rejectionOf(api.deleteKey(CI, oldKey));

      // Assess
      expect(afterDisable.find((key) => key.id === oldKey)?.disabled).toBe(true);
      expect(afterEnable.find((key) => key.id === oldKey)?.disabled).toBe(false);
      expect(afterDelete.map((key) => key.id)).toEqual([newKey]);
      expect(missing).toMatchObject({ code: 'NOT_FOUND', retryable: false });
    });

    it('refuses the 11th key with a non-retryable error that explains the key limit', async () => {
      // Prepare: ci-terraform holds two keys.
      for (let held = 2; held < 10; held += 1) await api.createKey(CI);

      // Act
      const eleventh = await rejectionOf(api.createKey(CI));

      // Assess
      expect(eleventh).toBeInstanceOf(GcpError);
      expect(eleventh).toMatchObject({
        code: 'GCP_REJECTED',
        retryable: false,
        httpStatus: 400,
        status: 'FAILED_PRECONDITION',
      });
      expect((eleventh as Error).message).toMatch(/maximum of 10 user-managed keys/);
      expect(await api.listKeys(CI)).toHaveLength(10);
    });

    it('reads a service account by email', async () => {
      // Act
      const account = await api.getServiceAccount(KF_USER);

      // Assess
      expect(account).toEqual({
        email: KF_USER,
        name: `projects/${PROJECT}/serviceAccounts/${KF_USER}`,
        uniqueId: expect.stringMatching(/^\d+$/),
        displayName: expect.any(String),
        disabled: false,
      });
    });
  });
});
