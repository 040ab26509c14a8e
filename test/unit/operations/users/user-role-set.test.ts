import type { RunningSimulator } from '../../../../local/simulator/simulator';
import { NotFoundError, PolicyViolationError } from '../../../../shared/errors';
import { userRoleSet } from '../../../../shared/operations/users/user-role-set';
import { crashingApis, SimulatedCrash } from '../../../helpers/crash';
import { applyPlan, InMemoryProgress, planOperation, runOperation } from '../../../helpers/operation-runner';
import {
  dumpPlatform,
  freshContext,
  grantsIn,
  IAP_RESOURCE,
  platformSnapshot,
  rejectionOf,
  startUsersSimulator,
  type UsersContext,
} from './user-test-kit';

/** user.role.set (ops-catalog §1.2) against the platform simulator. */

jest.setTimeout(60_000);

const OMAR = 'omar.haddad@acme.ai';
const NINA_V = 'ext.nina.volkova@acme.ai';
const PROJECT_POLICY = 'projects/acme-ml-prod';

describe('userRoleSet', () => {
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
    it('plans a downgrade as the template difference, keeping shared roles, without approval', async () => {
      // Prepare
      const args = { email: OMAR, role: 'data-scientist' };

      // Act
      const plan = await planOperation(userRoleSet, args, context);

      // Assert
      expect(plan.summary).toBe(
        'omar.haddad@acme.ai: role template "ml-engineer" → "data-scientist" (+0 −1 project roles, IAP kept)',
      );
      expect(plan.changes).toEqual([
        { resource: PROJECT_POLICY, field: `user:${OMAR}`, from: 'roles/container.developer', to: null },
        { resource: `desired-state/users/${OMAR}`, field: 'role', from: 'ml-engineer', to: 'data-scientist' },
      ]);
      expect(plan.policyEdits[0]).toMatchObject({
        revoke: ['roles/container.developer'],
        grant: [{ role: 'roles/container.clusterViewer' }],
      });
      expect(plan.noop).toBe(false);
      expect(userRoleSet.approvalReason?.(plan, args, context.platform)).toBeUndefined();
    });

    it('asks for approval on an escalation and names the admin-like roles it adds', async () => {
      // Prepare
      const args = { email: OMAR, role: 'platform-engineer' };

      // Act
      const plan = await planOperation(userRoleSet, args, context);

      // Assert
      expect(plan.changes.filter((change) => change.resource === PROJECT_POLICY)).toEqual([
        { resource: PROJECT_POLICY, field: `user:${OMAR}`, from: 'roles/container.clusterViewer', to: null },
        { resource: PROJECT_POLICY, field: `user:${OMAR}`, from: 'roles/container.developer', to: null },
        { resource: PROJECT_POLICY, field: `user:${OMAR}`, from: null, to: 'roles/cloudsql.admin' },
        { resource: PROJECT_POLICY, field: `user:${OMAR}`, from: null, to: 'roles/container.admin' },
        { resource: PROJECT_POLICY, field: `user:${OMAR}`, from: null, to: 'roles/file.editor' },
      ]);
      expect(userRoleSet.approvalReason?.(plan, args, context.platform)).toBe(
        'escalation from "ml-engineer" to "platform-engineer" adds admin-like roles: roles/container.admin, roles/cloudsql.admin',
      );
    });

    it("keeps a contractor's expiry on the roles the new template adds, and revokes conditional ones", async () => {
      // Act
      const plan = await planOperation(userRoleSet, { email: NINA_V, role: 'analyst' }, context);

      // Assert
      expect(plan.changes).toEqual([
        {
          resource: PROJECT_POLICY,
          field: `user:${NINA_V}`,
          from: 'roles/container.developer [contract-ends-2025-07-31]',
          to: null,
        },
        {
          resource: PROJECT_POLICY,
          field: `user:${NINA_V}`,
          from: null,
          to: 'roles/storage.objectViewer [expires-2025-07-31]',
        },
        { resource: `desired-state/users/${NINA_V}`, field: 'role', from: 'contractor', to: 'analyst' },
      ]);
      expect(plan.warnings).toEqual([
        'ext.nina.volkova@acme.ai also holds roles/viewer, which neither template grants; user.role.set leaves them',
      ]);
    });

    it('plans nothing when the user already has the role', async () => {
      // Act
      const plan = await planOperation(userRoleSet, { email: OMAR, role: 'ml-engineer' }, context);

      // Assert
      expect(plan.noop).toBe(true);
      expect(plan.changes).toEqual([]);
      expect(plan.summary).toBe('omar.haddad@acme.ai already has role template "ml-engineer"');
    });

    it('refuses a user desired state does not manage and points to user.add', async () => {
      // Act
      const failure = await rejectionOf(
        planOperation(userRoleSet, { email: 'liam.obrien@acme.ai', role: 'analyst' }, context),
      );

      // Assert
      expect(failure).toBeInstanceOf(NotFoundError);
      expect(failure.message).toBe('liam.obrien@acme.ai is not a managed user; use user.add');
    });

    it('refuses an unknown template, a time-bound template without an end date, and roles/owner', async () => {
      // Act
      const unknown = await rejectionOf(
        planOperation(userRoleSet, { email: OMAR, role: 'superuser' }, context),
      );
      const contractor = await rejectionOf(
        planOperation(userRoleSet, { email: OMAR, role: 'contractor' }, context),
      );
      const owner = await rejectionOf(
        planOperation(userRoleSet, { email: OMAR, role: 'platform-admin' }, context),
      );

      // Assert
      expect(unknown).toBeInstanceOf(PolicyViolationError);
      expect(unknown.message).toMatch(/^unknown role template "superuser"; desired state defines: analyst, /);
      expect(contractor).toBeInstanceOf(PolicyViolationError);
      expect(contractor.message).toMatch(/role template "contractor" grants time-bound access only/);
      expect(owner.message).toMatch(/grants roles\/owner/);
    });

    it('refuses a move for a contractor whose access has already ended', async () => {
      // Prepare
      context.clock.set('2025-08-01T00:00:00Z');

      // Act
      const failure = await rejectionOf(
        planOperation(userRoleSet, { email: NINA_V, role: 'analyst' }, context),
      );

      // Assert
      expect(failure.message).toBe(
        'access of ext.nina.volkova@acme.ai would end at 2025-07-31T00:00:00Z, which is not in the future (now 2025-08-01T00:00:00Z)',
      );
    });
  });

  describe('apply and verify', () => {
    it('writes the template difference in one project-policy write and records the new role', async () => {
      // Prepare
      const plan = await planOperation(userRoleSet, { email: OMAR, role: 'data-scientist' }, context);
      simulator.requestLog.clear();

      // Act
      const { result } = await applyPlan(userRoleSet, plan, context);

      // Assert
      const dump = await dumpPlatform(simulator);
      expect(grantsIn(dump.cloudresourcemanager.policy, `user:${OMAR}`)).toEqual([
        'roles/container.clusterViewer',
      ]);
      expect(grantsIn(dump.iap.policies[IAP_RESOURCE], `user:${OMAR}`)).toEqual([
        'roles/iap.httpsResourceAccessor',
      ]);
      expect((await context.desiredState.getUser(OMAR))?.role).toBe('data-scientist');
      expect(simulator.requestLog.counts()).toEqual({
        'POST v3:cloudresourcemanager.projects.getIamPolicy': 2,
        'POST v3:cloudresourcemanager.projects.setIamPolicy': 1,
        'POST iap.getIamPolicy': 2,
      });
      expect(result).toEqual({
        email: OMAR,
        role: { before: 'ml-engineer', after: 'data-scientist' },
        policies: [
          {
            policy: PROJECT_POLICY,
            before: ['roles/container.clusterViewer', 'roles/container.developer'],
            after: ['roles/container.clusterViewer'],
          },
          {
            policy: IAP_RESOURCE,
            before: ['roles/iap.httpsResourceAccessor'],
            after: ['roles/iap.httpsResourceAccessor'],
          },
        ],
        desiredState: {
          before: { email: OMAR, role: 'ml-engineer', team: 'nlp', profile: 'omar-haddad' },
          after: { email: OMAR, role: 'data-scientist', team: 'nlp', profile: 'omar-haddad' },
        },
      });
    });

    it('removes IAP access when the new template has none', async () => {
      // Prepare: give the analyst template no IAP in this desired state.
      const platform = {
        ...context.platform,
        roleTemplates: {
          ...context.platform.roleTemplates,
          analyst: { ...context.platform.roleTemplates.analyst, iap: false },
        },
      } as typeof context.platform;

      // Act
      const { plan } = await runOperation(
        userRoleSet,
        { email: OMAR, role: 'analyst' },
        { ...context, platform },
      );

      // Assert
      expect(plan.changes).toContainEqual({
        resource: IAP_RESOURCE,
        field: `user:${OMAR}`,
        from: 'roles/iap.httpsResourceAccessor',
        to: null,
      });
      const dump = await dumpPlatform(simulator);
      expect(grantsIn(dump.iap.policies[IAP_RESOURCE], `user:${OMAR}`)).toEqual([]);
      expect(grantsIn(dump.cloudresourcemanager.policy, `user:${OMAR}`)).toEqual([
        'roles/container.clusterViewer',
        'roles/storage.objectViewer',
      ]);
    });
  });

  describe('idempotency', () => {
    it('applied twice, writes the policy once', async () => {
      // Prepare
      const plan = await planOperation(userRoleSet, { email: OMAR, role: 'platform-engineer' }, context);
      await applyPlan(userRoleSet, plan, context);
      const once = await platformSnapshot(simulator, context.desiredState, OMAR);

      // Act
      await applyPlan(userRoleSet, plan, context);

      // Assert
      expect(await platformSnapshot(simulator, context.desiredState, OMAR)).toEqual(once);
      expect(simulator.requestLog.count('POST v3:cloudresourcemanager.projects.setIamPolicy')).toBe(1);
      expect(simulator.requestLog.count('POST iap.setIamPolicy')).toBe(0);
    });
  });

  describe('crash safety', () => {
    it('re-run after a crash after any adapter call ends as a clean run', async () => {
      // Prepare: a clean run, counting its adapter calls.
      const plan = await planOperation(userRoleSet, { email: OMAR, role: 'platform-engineer' }, context);
      const counting = crashingApis(context.apis, Number.POSITIVE_INFINITY);
      await applyPlan(userRoleSet, plan, { ...context, apis: counting.apis });
      const clean = await platformSnapshot(simulator, context.desiredState, OMAR);
      const calls = counting.calls.length;
      expect(counting.calls).toEqual(['iam.editPolicy', 'iam.editPolicy', 'iam.getPolicy', 'iam.getPolicy']);

      for (let crashAfter = 1; crashAfter <= calls; crashAfter += 1) {
        const fresh = await freshContext(simulator);
        const progress = new InMemoryProgress(fresh.clock);

        // Act
        const crashed = applyPlan(userRoleSet, plan, {
          ...fresh,
          apis: crashingApis(fresh.apis, crashAfter).apis,
          progress,
        });
        await expect(crashed).rejects.toBeInstanceOf(SimulatedCrash);
        await applyPlan(userRoleSet, plan, { ...fresh, progress });

        // Assert
        expect({ crashAfter, state: await platformSnapshot(simulator, fresh.desiredState, OMAR) }).toEqual({
          crashAfter,
          state: clean,
        });
      }
    });
  });
});
