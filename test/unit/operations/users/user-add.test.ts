import type { RunningSimulator } from '../../../../local/simulator/simulator';
import { GcpError, PolicyViolationError } from '../../../../shared/errors';
import { profileNameFor } from '../../../../shared/operations/users/user-access';
import { userAdd } from '../../../../shared/operations/users/user-add';
import { crashingApis, SimulatedCrash } from '../../../helpers/crash';
import { applyPlan, InMemoryProgress, planOperation, runOperation } from '../../../helpers/operation-runner';
import {
  dumpPlatform,
  freshContext,
  grantsIn,
  IAP_RESOURCE,
  KF_USER,
  membersOf,
  NEW_HIRES,
  platformSnapshot,
  rejectionOf,
  startUsersSimulator,
  type UsersContext,
} from './user-test-kit';

/** user.add (ops-catalog §1.1) against the platform simulator. */

jest.setTimeout(60_000);

const NINA = 'nina.berg@acme.ai';
const OSKAR = 'ext.oskar.lind@acme.ai';
const NINA_ARGS = { email: NINA, role: 'ml-engineer', team: 'vision', profile: true };
const WI_NINA = 'serviceAccount:acme-ml-prod.svc.id.goog[nina-berg/default-editor]';

describe('userAdd', () => {
  let simulator: RunningSimulator;
  let context: UsersContext;

  beforeAll(async () => {
    simulator = await startUsersSimulator();
  });

  beforeEach(async () => {
    context = await freshContext(simulator);
  });

  afterAll(async () => {
    await simulator.close();
  });

  describe('plan', () => {
    it('plans the template roles, IAP access, a personal profile and the desired-state record', async () => {
      // Act
      const plan = await planOperation(userAdd, NINA_ARGS, context);

      // Assert
      expect(plan.summary).toBe(
        'add nina.berg@acme.ai as ml-engineer: 2 project roles, IAP web access, profile nina-berg',
      );
      expect(plan.changes).toEqual([
        {
          resource: 'projects/acme-ml-prod',
          field: 'user:nina.berg@acme.ai',
          from: null,
          to: 'roles/container.clusterViewer',
        },
        {
          resource: 'projects/acme-ml-prod',
          field: 'user:nina.berg@acme.ai',
          from: null,
          to: 'roles/container.developer',
        },
        {
          resource: IAP_RESOURCE,
          field: 'user:nina.berg@acme.ai',
          from: null,
          to: 'roles/iap.httpsResourceAccessor',
        },
        { resource: 'profiles/nina-berg', field: 'owner', from: null, to: NINA },
        { resource: `desired-state/users/${NINA}`, field: 'role', from: null, to: 'ml-engineer' },
        { resource: `desired-state/users/${NINA}`, field: 'team', from: null, to: 'vision' },
        { resource: `desired-state/users/${NINA}`, field: 'profile', from: null, to: 'nina-berg' },
      ]);
      expect(plan.noop).toBe(false);
      expect(plan.warnings).toEqual([]);
      expect(plan.profile).toEqual({
        name: 'nina-berg',
        ownerEmail: NINA,
        gcpServiceAccount: KF_USER,
        resourceQuotaSpec: context.platform.kubeflow.defaultQuota,
        labels: { 'profile-type': 'personal', team: 'vision' },
        create: true,
      });
      expect(userAdd.approvalReason?.(plan, NINA_ARGS, context.platform)).toBeUndefined();
      expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    });

    it('gives a contractor an expiry condition on every binding, IAP included', async () => {
      // Act
      const plan = await planOperation(
        userAdd,
        { email: OSKAR, role: 'contractor', profile: true, expiresAt: '2025-12-31T00:00:00Z' },
        context,
      );

      // Assert
      expect(plan.changes.filter((change) => change.resource !== `desired-state/users/${OSKAR}`)).toEqual([
        {
          resource: 'projects/acme-ml-prod',
          field: `user:${OSKAR}`,
          from: null,
          to: 'roles/container.clusterViewer [expires-2025-12-31]',
        },
        {
          resource: 'projects/acme-ml-prod',
          field: `user:${OSKAR}`,
          from: null,
          to: 'roles/container.developer [expires-2025-12-31]',
        },
        {
          resource: IAP_RESOURCE,
          field: `user:${OSKAR}`,
          from: null,
          to: 'roles/iap.httpsResourceAccessor [expires-2025-12-31]',
        },
      ]);
      expect(plan.policyEdits.flatMap((edit) => edit.grant.map((grant) => grant.condition))).toEqual(
        Array(3).fill({
          title: 'expires-2025-12-31',
          expression: 'request.time < timestamp("2025-12-31T00:00:00Z")',
        }),
      );
      expect(plan.profile).toBeUndefined();
      expect(plan.user).toEqual({ email: OSKAR, role: 'contractor', expiresAt: '2025-12-31T00:00:00Z' });
    });

    it('refuses a contractor without an end date, or with one already past', async () => {
      // Act
      const missing = await rejectionOf(
        planOperation(userAdd, { email: OSKAR, role: 'contractor', profile: true }, context),
      );
      const past = await rejectionOf(
        planOperation(
          userAdd,
          { email: OSKAR, role: 'contractor', profile: true, expiresAt: '2025-06-01T00:00:00Z' },
          context,
        ),
      );

      // Assert
      expect(missing).toBeInstanceOf(PolicyViolationError);
      expect(missing.message).toBe(
        'role template "contractor" grants time-bound access only: give expiresAt (e.g. 2026-12-31T00:00:00Z) for ext.oskar.lind@acme.ai',
      );
      expect(past.message).toBe(
        'access of ext.oskar.lind@acme.ai would end at 2025-06-01T00:00:00Z, which is not in the future (now 2025-06-03T09:00:00Z)',
      );
    });

    it('refuses an unknown role template and names the known ones', async () => {
      // Act
      const failure = await rejectionOf(planOperation(userAdd, { ...NINA_ARGS, role: 'superuser' }, context));

      // Assert
      expect(failure).toBeInstanceOf(PolicyViolationError);
      expect(failure.message).toBe(
        'unknown role template "superuser"; desired state defines: analyst, contractor, data-scientist, ml-engineer, platform-admin, platform-engineer',
      );
    });

    it('asks for approval when the template holds admin-like roles, and names them', async () => {
      // Prepare
      const args = { email: NINA, role: 'platform-engineer', profile: true };

      // Act
      const plan = await planOperation(userAdd, args, context);

      // Assert
      expect(userAdd.approvalReason?.(plan, args, context.platform)).toBe(
        'role template "platform-engineer" grants admin-like roles: roles/container.admin, roles/cloudsql.admin',
      );
    });

    it('refuses a template with roles/owner, which Google grants a user only by invitation', async () => {
      // Act
      const failure = await rejectionOf(
        planOperation(userAdd, { email: NINA, role: 'platform-admin', profile: true }, context),
      );

      // Assert
      expect(failure).toBeInstanceOf(PolicyViolationError);
      expect(failure.message).toMatch(
        /grants roles\/owner, which Google gives a user only through a console invitation/,
      );
    });

    it('refuses a personal profile name that someone else owns', async () => {
      // Prepare: maria_chen@acme.ai's profile name is maria-chen, Maria Chen's profile.
      const args = { email: 'maria_chen@acme.ai', role: 'data-scientist', profile: true };

      // Act
      const failure = await rejectionOf(planOperation(userAdd, args, context));

      // Assert
      expect(failure).toBeInstanceOf(PolicyViolationError);
      expect(failure.message).toBe(
        'profile maria-chen already exists and is owned by maria.chen@acme.ai; add maria_chen@acme.ai with profile: false, or free the name first',
      );
    });

    it('adds the same user without a profile when told to', async () => {
      // Act
      const plan = await planOperation(
        userAdd,
        { email: 'maria_chen@acme.ai', role: 'data-scientist', profile: false },
        context,
      );

      // Assert
      expect(plan.profile).toBeUndefined();
      expect(plan.changes.map((change) => change.resource)).not.toContain('profiles/maria-chen');
    });

    it('refuses a managed user with another template and points to user.role.set', async () => {
      // Act
      const failure = await rejectionOf(
        planOperation(userAdd, { email: 'grace.kim@acme.ai', role: 'ml-engineer', profile: true }, context),
      );

      // Assert
      expect(failure.message).toBe(
        'grace.kim@acme.ai is already a managed user with role template "analyst"; change it with user.role.set',
      );
    });

    it('plans nothing for a managed user who already has everything of the template', async () => {
      // Act
      const plan = await planOperation(
        userAdd,
        { email: 'grace.kim@acme.ai', role: 'analyst', team: 'forecasting', profile: true },
        context,
      );

      // Assert
      expect(plan.noop).toBe(true);
      expect(plan.changes).toEqual([]);
      expect(plan.summary).toBe('grace.kim@acme.ai already has everything role template "analyst" gives');
    });

    it("renews a contractor's end date by replacing the conditions, and warns about grants outside the template", async () => {
      // Act
      const plan = await planOperation(
        userAdd,
        {
          email: 'ext.nina.volkova@acme.ai',
          role: 'contractor',
          profile: true,
          expiresAt: '2025-12-31T00:00:00Z',
        },
        context,
      );

      // Assert
      expect(plan.changes).toEqual([
        {
          resource: 'projects/acme-ml-prod',
          field: 'user:ext.nina.volkova@acme.ai',
          from: 'roles/container.clusterViewer',
          to: null,
        },
        {
          resource: 'projects/acme-ml-prod',
          field: 'user:ext.nina.volkova@acme.ai',
          from: 'roles/container.developer [contract-ends-2025-07-31]',
          to: null,
        },
        {
          resource: 'projects/acme-ml-prod',
          field: 'user:ext.nina.volkova@acme.ai',
          from: null,
          to: 'roles/container.clusterViewer [expires-2025-12-31]',
        },
        {
          resource: 'projects/acme-ml-prod',
          field: 'user:ext.nina.volkova@acme.ai',
          from: null,
          to: 'roles/container.developer [expires-2025-12-31]',
        },
        {
          resource: IAP_RESOURCE,
          field: 'user:ext.nina.volkova@acme.ai',
          from: 'roles/iap.httpsResourceAccessor',
          to: null,
        },
        {
          resource: IAP_RESOURCE,
          field: 'user:ext.nina.volkova@acme.ai',
          from: null,
          to: 'roles/iap.httpsResourceAccessor [expires-2025-12-31]',
        },
        {
          resource: 'desired-state/users/ext.nina.volkova@acme.ai',
          field: 'expiresAt',
          from: '2025-07-31T00:00:00Z',
          to: '2025-12-31T00:00:00Z',
        },
      ]);
      expect(plan.warnings).toEqual([
        'ext.nina.volkova@acme.ai also holds roles/viewer, which role template "contractor" does not grant; user.add leaves them (user.remove or a console change removes them)',
      ]);
    });
  });

  describe('profileNameFor', () => {
    it('makes a DNS label of the local part', () => {
      expect(profileNameFor('nina.berg@acme.ai')).toBe('nina-berg');
      expect(profileNameFor('ext.nina_volkova+kf@acme.ai')).toBe('ext-nina-volkova-kf');
      expect(profileNameFor('.a..b.@acme.ai')).toBe('a-b');
      expect(profileNameFor(`${'x'.repeat(70)}@acme.ai`)).toHaveLength(63);
      expect(() => profileNameFor('..@acme.ai')).toThrow(PolicyViolationError);
    });
  });

  describe('apply and verify', () => {
    it('grants the roles and IAP, creates the profile and records the user, with one write per policy', async () => {
      // Prepare
      const plan = await planOperation(userAdd, NINA_ARGS, context);
      simulator.requestLog.clear();

      // Act
      const { result } = await applyPlan(userAdd, plan, context);

      // Assert
      const dump = await dumpPlatform(simulator);
      expect(grantsIn(dump.cloudresourcemanager.policy, `user:${NINA}`)).toEqual([
        'roles/container.clusterViewer',
        'roles/container.developer',
      ]);
      expect(grantsIn(dump.iap.policies[IAP_RESOURCE], `user:${NINA}`)).toEqual([
        'roles/iap.httpsResourceAccessor',
      ]);
      const profile = dump.kubernetes.objects.profiles?.['nina-berg'] as unknown as {
        metadata: { labels: Record<string, string> };
        spec: Record<string, unknown>;
      };
      expect(profile.metadata.labels).toEqual({ 'profile-type': 'personal', team: 'vision' });
      expect(profile.spec).toEqual({
        owner: { kind: 'User', name: NINA },
        plugins: [{ kind: 'WorkloadIdentity', spec: { gcpServiceAccount: KF_USER } }],
        resourceQuotaSpec: context.platform.kubeflow.defaultQuota,
      });
      expect(dump.kubernetes.objects.namespaces?.['nina-berg']?.metadata.annotations?.owner).toBe(NINA);
      expect(grantsIn(dump.iam.policies[KF_USER], WI_NINA)).toEqual(['roles/iam.workloadIdentityUser']);
      expect(await context.desiredState.getUser(NINA)).toEqual({
        email: NINA,
        role: 'ml-engineer',
        team: 'vision',
        profile: 'nina-berg',
        operationId: 'op-test',
        updatedAt: '2025-06-03T09:00:00.000Z',
      });
      expect(simulator.requestLog.counts()).toEqual({
        'POST v3:cloudresourcemanager.projects.getIamPolicy': 2,
        'POST v3:cloudresourcemanager.projects.setIamPolicy': 1,
        'POST iap.getIamPolicy': 2,
        'POST iap.setIamPolicy': 1,
        'POST k8s.profiles.create': 1,
        'GET k8s.profiles.get': 1,
        'GET k8s.namespaces.get': 1,
        'POST iam.projects.serviceAccounts.getIamPolicy': 1,
      });
      expect(result).toEqual({
        email: NINA,
        role: 'ml-engineer',
        policies: [
          {
            policy: 'projects/acme-ml-prod',
            before: [],
            after: ['roles/container.clusterViewer', 'roles/container.developer'],
          },
          { policy: IAP_RESOURCE, before: [], after: ['roles/iap.httpsResourceAccessor'] },
        ],
        profile: {
          name: 'nina-berg',
          state: 'ready',
          namespaceOwner: NINA,
          workloadIdentity: `${WI_NINA} → ${KF_USER}`,
          created: true,
        },
        desiredState: {
          before: null,
          after: { email: NINA, role: 'ml-engineer', team: 'vision', profile: 'nina-berg' },
        },
      });
    });

    it('writes conditional bindings for a contractor, the IAP policy at version 3', async () => {
      // Prepare
      const args = { email: OSKAR, role: 'contractor', profile: true, expiresAt: '2025-12-31T00:00:00Z' };

      // Act
      await runOperation(userAdd, args, context);

      // Assert
      const dump = await dumpPlatform(simulator);
      expect(grantsIn(dump.cloudresourcemanager.policy, `user:${OSKAR}`)).toEqual([
        'roles/container.clusterViewer [expires-2025-12-31]',
        'roles/container.developer [expires-2025-12-31]',
      ]);
      const iap = dump.iap.policies[IAP_RESOURCE];
      expect(iap?.version).toBe(3);
      expect(iap?.bindings.find((binding) => binding.members.includes(`user:${OSKAR}`))).toEqual({
        role: 'roles/iap.httpsResourceAccessor',
        members: [`user:${OSKAR}`],
        condition: {
          title: 'expires-2025-12-31',
          expression: 'request.time < timestamp("2025-12-31T00:00:00Z")',
        },
      });
      expect(dump.kubernetes.objects.profiles?.['ext-oskar-lind']).toBeUndefined();
    });

    it('surfaces a user Cloud Identity does not know as a non-retryable rejection, granting nothing', async () => {
      // Prepare
      const plan = await planOperation(
        userAdd,
        { email: 'nobody@acme.ai', role: 'analyst', profile: true },
        context,
      );

      // Act
      const failure = await applyPlan(userAdd, plan, context).catch((error: unknown) => error);

      // Assert
      expect(failure).toBeInstanceOf(GcpError);
      expect(failure).toMatchObject({ code: 'GCP_REJECTED', retryable: false });
      expect((failure as Error).message).toMatch(/User nobody@acme.ai does not exist/);
      const dump = await dumpPlatform(simulator);
      expect(membersOf(dump.cloudresourcemanager.policy)).not.toContain('user:nobody@acme.ai');
      expect(await context.desiredState.getUser('nobody@acme.ai')).toBeUndefined();
    });
  });

  describe('idempotency', () => {
    it('applied twice, grants and creates once', async () => {
      // Prepare
      const plan = await planOperation(userAdd, NINA_ARGS, context);
      await applyPlan(userAdd, plan, context);
      const once = await platformSnapshot(simulator, context.desiredState, NINA);
      simulator.requestLog.clear();

      // Act
      await applyPlan(userAdd, plan, context);

      // Assert
      expect(await platformSnapshot(simulator, context.desiredState, NINA)).toEqual(once);
      expect(simulator.requestLog.count('POST v3:cloudresourcemanager.projects.setIamPolicy')).toBe(0);
      expect(simulator.requestLog.count('POST iap.setIamPolicy')).toBe(0);
      const dump = await dumpPlatform(simulator);
      expect(
        membersOf(dump.cloudresourcemanager.policy).filter((member) => member === `user:${NINA}`),
      ).toHaveLength(2);
      expect(membersOf(dump.iam.policies[KF_USER]).filter((member) => member === WI_NINA)).toHaveLength(1);
    });

    it('planned again after it ran, plans nothing', async () => {
      // Prepare
      await runOperation(userAdd, NINA_ARGS, context);

      // Act
      const again = await planOperation(userAdd, NINA_ARGS, context);

      // Assert
      expect(again.noop).toBe(true);
      expect(again.changes).toEqual([]);
    });
  });

  describe('crash safety', () => {
    it('re-run after a crash after any adapter call ends as a clean run, without duplicates', async () => {
      // Prepare: a clean run, counting its adapter calls.
      const plan = await planOperation(userAdd, NINA_ARGS, context);
      const counting = crashingApis(context.apis, Number.POSITIVE_INFINITY);
      await applyPlan(userAdd, plan, { ...context, apis: counting.apis });
      const clean = await platformSnapshot(simulator, context.desiredState, NINA);
      const calls = counting.calls.length;
      expect(calls).toBeGreaterThanOrEqual(8);

      for (let crashAfter = 1; crashAfter <= calls; crashAfter += 1) {
        const fresh = await freshContext(simulator);
        const progress = new InMemoryProgress(fresh.clock);

        // Act
        const crashed = applyPlan(userAdd, plan, {
          ...fresh,
          apis: crashingApis(fresh.apis, crashAfter).apis,
          progress,
        });
        await expect(crashed).rejects.toBeInstanceOf(SimulatedCrash);
        await applyPlan(userAdd, plan, { ...fresh, progress });

        // Assert
        expect({ crashAfter, state: await platformSnapshot(simulator, fresh.desiredState, NINA) }).toEqual({
          crashAfter,
          state: clean,
        });
      }
    });
  });

  describe('concurrency', () => {
    it('lands 20 concurrent adds on one project: every user holds their grants afterwards', async () => {
      // Act
      const runs = await Promise.all(
        NEW_HIRES.map((email, index) =>
          runOperation(
            userAdd,
            { email, role: 'data-scientist', team: 'vision', profile: true },
            { ...context, operationId: `op-add-${index}` },
          ),
        ),
      );

      // Assert
      const dump = await dumpPlatform(simulator);
      for (const email of NEW_HIRES) {
        expect({ email, grants: grantsIn(dump.cloudresourcemanager.policy, `user:${email}`) }).toEqual({
          email,
          grants: ['roles/container.clusterViewer'],
        });
        expect({ email, iap: grantsIn(dump.iap.policies[IAP_RESOURCE], `user:${email}`) }).toEqual({
          email,
          iap: ['roles/iap.httpsResourceAccessor'],
        });
        const namespace = profileNameFor(email);
        expect(dump.kubernetes.objects.namespaces?.[namespace]?.metadata.annotations?.owner).toBe(email);
        expect(membersOf(dump.iam.policies[KF_USER])).toContain(
          `serviceAccount:acme-ml-prod.svc.id.goog[${namespace}/default-editor]`,
        );
      }
      expect(
        (await context.desiredState.listUsers()).filter((user) => NEW_HIRES.includes(user.email)),
      ).toHaveLength(20);
      expect(runs.every((run) => run.result.email !== undefined)).toBe(true);
      // The race was real: writers lost to each other and redid their read-modify-write.
      const conflicts = simulator.requestLog
        .entries()
        .filter(
          (entry) => entry.route === 'v3:cloudresourcemanager.projects.setIamPolicy' && entry.status === 409,
        );
      expect(conflicts.length).toBeGreaterThan(0);
      // Fixture users kept what they had: no update was lost.
      expect(grantsIn(dump.cloudresourcemanager.policy, 'user:maria.chen@acme.ai')).toEqual([
        'roles/container.admin',
        'roles/owner',
      ]);
    });
  });
});
