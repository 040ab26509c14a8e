import type { RunningSimulator } from '../../../../local/simulator/simulator';
import { withMember } from '../../../../shared/gcp';
import { userRemove } from '../../../../shared/operations/users/user-remove';
import { crashingApis, SimulatedCrash } from '../../../helpers/crash';
import { applyPlan, InMemoryProgress, planOperation, runOperation } from '../../../helpers/operation-runner';
import {
  dumpPlatform,
  freshContext,
  grantsIn,
  IAP_RESOURCE,
  KF_USER,
  METAFLOW_SA,
  membersOf,
  type PlatformDump,
  platformSnapshot,
  startUsersSimulator,
  type UsersContext,
} from './user-test-kit';

/** user.remove (ops-catalog §1.3) against the platform simulator. */

jest.setTimeout(60_000);

const LIAM = 'liam.obrien@acme.ai';
const LIAM_MEMBER = `user:${LIAM}`;
const LIAM_ARGS = { email: LIAM };
const METAFLOW_KEY = '3f9c1e0a7b5d4c2e8f6a1b0c9d8e7f6a5b4c3d2e';
const WI_LIAM = 'serviceAccount:acme-ml-prod.svc.id.goog[liam-obrien/default-editor]';

/** A console grant outside the project policy: Liam may act as Metaflow's service account. */
const grantLiamOnMetaflowAccount = async (context: UsersContext): Promise<void> => {
  await context.apis.iam.editPolicy({ kind: 'serviceAccount', email: METAFLOW_SA }, (policy) =>
    withMember(policy, 'roles/iam.serviceAccountUser', LIAM_MEMBER),
  );
};

/** Contributor RoleBindings anywhere that name `email`, as `namespace/name`. */
const roleBindingsOf = (dump: PlatformDump, email: string): string[] =>
  Object.entries(dump.kubernetes.objects.rolebindings ?? {})
    .filter(([, binding]) => binding.metadata.annotations?.user === email)
    .map(([key]) => key)
    .sort();

/** Every policy of the dump that still names `member`. */
const policiesNaming = (dump: PlatformDump, member: string): string[] => [
  ...(membersOf(dump.cloudresourcemanager.policy).includes(member) ? ['project'] : []),
  ...Object.entries(dump.iap.policies)
    .filter(([, policy]) => membersOf(policy).includes(member))
    .map(([name]) => name),
  ...Object.entries(dump.iam.policies)
    .filter(([, policy]) => membersOf(policy).includes(member))
    .map(([name]) => name),
];

describe('userRemove', () => {
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
    it("inventories a departed user's grants, contributor binding, personal profile and held keys", async () => {
      // Prepare
      await grantLiamOnMetaflowAccount(context);

      // Act
      const plan = await planOperation(userRemove, LIAM_ARGS, context);

      // Assert
      expect(plan.summary).toBe(
        'remove liam.obrien@acme.ai: 4 grants in 3 policies, 1 contributor binding, 1 personal profile',
      );
      expect(plan.changes).toEqual([
        {
          resource: 'projects/acme-ml-prod',
          field: LIAM_MEMBER,
          from: 'roles/container.clusterViewer',
          to: null,
        },
        { resource: 'projects/acme-ml-prod', field: LIAM_MEMBER, from: 'roles/editor', to: null },
        { resource: IAP_RESOURCE, field: LIAM_MEMBER, from: 'roles/iap.httpsResourceAccessor', to: null },
        {
          resource: `serviceAccounts/${METAFLOW_SA}`,
          field: LIAM_MEMBER,
          from: 'roles/iam.serviceAccountUser',
          to: null,
        },
        {
          resource: 'namespaces/team-vision/rolebindings/user-liam-obrien-acme-ai-clusterrole-edit',
          field: 'contributor',
          from: 'liam.obrien@acme.ai (edit)',
          to: null,
        },
        { resource: 'profiles/liam-obrien', field: 'owner', from: LIAM, to: null },
      ]);
      expect(plan.warnings).toEqual([
        'deleting personal profile liam-obrien deletes namespace liam-obrien with its notebooks and volumes; back up what should be kept first',
        `liam.obrien@acme.ai holds a copy of a user-managed key of ${METAFLOW_SA} (current keys: ${METAFLOW_KEY}); removing their access does not revoke it: run keys.rotate {"serviceAccount":"${METAFLOW_SA}"}`,
      ]);
      expect(plan.keysToRotate).toEqual([
        {
          serviceAccount: METAFLOW_SA,
          keyIds: [METAFLOW_KEY],
          rotate: { type: 'keys.rotate', args: { serviceAccount: METAFLOW_SA } },
        },
      ]);
      expect(plan.personalProfiles).toEqual([{ name: 'liam-obrien', gcpServiceAccount: KF_USER }]);
      expect(plan.teamProfiles).toEqual([]);
      expect(plan.noop).toBe(false);
      expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    });

    it('keeps a team profile the user owns and says it needs a new owner', async () => {
      // Act
      const plan = await planOperation(userRemove, { email: 'james.okafor@acme.ai' }, context);

      // Assert
      expect(plan.personalProfiles.map((profile) => profile.name)).toEqual(['james-okafor']);
      expect(plan.teamProfiles).toEqual(['team-vision']);
      expect(plan.keptBindings).toEqual([
        { namespace: 'team-vision', name: 'namespaceAdmin', role: 'admin' },
      ]);
      expect(plan.changes.map((change) => change.resource)).not.toContain('profiles/team-vision');
      expect(plan.warnings).toContain(
        'james.okafor@acme.ai owns team profile team-vision, which is kept: it needs a new owner (ops-catalog §1.2, owner change)',
      );
      expect(plan.warnings).toContain(
        "opsplane's access policy still names user:james.okafor@acme.ai (group ml-users); remove them there too (opsplane state set)",
      );
      expect(plan.changes).toContainEqual({
        resource: 'desired-state/users/james.okafor@acme.ai',
        field: 'role',
        from: 'ml-engineer',
        to: null,
      });
    });

    it("lists a contractor's conditional binding among the grants it removes", async () => {
      // Act
      const plan = await planOperation(userRemove, { email: 'ext.nina.volkova@acme.ai' }, context);

      // Assert
      expect(plan.policyEdits[0]?.before).toEqual([
        'roles/container.clusterViewer',
        'roles/container.developer [contract-ends-2025-07-31]',
        'roles/viewer',
      ]);
      expect(plan.changes).toContainEqual({
        resource: 'projects/acme-ml-prod',
        field: 'user:ext.nina.volkova@acme.ai',
        from: 'roles/container.developer [contract-ends-2025-07-31]',
        to: null,
      });
    });

    it("reads every service account's policy, listing the project's accounts through IamApi", async () => {
      // Act
      const accounts = await context.apis.iam.listServiceAccounts('acme-ml-prod');

      // Assert
      expect(accounts.map((account) => account.email)).toEqual(
        expect.arrayContaining([KF_USER, METAFLOW_SA]),
      );
      expect(accounts).toHaveLength(8);
      expect(accounts.find((account) => account.email === KF_USER)).toEqual({
        email: KF_USER,
        name: `projects/acme-ml-prod/serviceAccounts/${KF_USER}`,
        uniqueId: '104000000944799933041',
        displayName: 'kubeflow user service account',
        disabled: false,
      });
    });

    it('plans nothing for a user with no access anywhere', async () => {
      // Act
      const plan = await planOperation(userRemove, { email: 'hana.sato@acme.ai' }, context);

      // Assert
      expect(plan.noop).toBe(true);
      expect(plan.changes).toEqual([]);
      expect(plan.summary).toBe('hana.sato@acme.ai has no access to remove');
    });
  });

  describe('apply and verify', () => {
    it('leaves no binding for the user in any policy, no contributor binding and no personal profile', async () => {
      // Prepare
      await grantLiamOnMetaflowAccount(context);
      const plan = await planOperation(userRemove, LIAM_ARGS, context);
      simulator.requestLog.clear();

      // Act
      const { result } = await applyPlan(userRemove, plan, context);

      // Assert
      const dump = await dumpPlatform(simulator);
      expect(policiesNaming(dump, LIAM_MEMBER)).toEqual([]);
      expect(roleBindingsOf(dump, LIAM)).toEqual([]);
      expect(dump.kubernetes.objects.profiles?.['liam-obrien']).toBeUndefined();
      expect(dump.kubernetes.objects.namespaces?.['liam-obrien']).toBeUndefined();
      expect(membersOf(dump.iam.policies[KF_USER])).not.toContain(WI_LIAM);
      // Nobody else lost anything.
      expect(grantsIn(dump.cloudresourcemanager.policy, 'user:james.okafor@acme.ai')).toEqual([
        'roles/container.clusterViewer',
        'roles/container.developer',
        'roles/editor',
      ]);
      expect(roleBindingsOf(dump, 'lena.muller@acme.ai')).toEqual([
        'lena-muller/namespaceAdmin',
        'team-vision/user-lena-muller-acme-ai-clusterrole-edit',
      ]);
      expect(
        grantsIn(dump.iam.policies[METAFLOW_SA], 'serviceAccount:acme-ml-prod.svc.id.goog[argo/argo]'),
      ).toEqual(['roles/iam.workloadIdentityUser']);
      expect(simulator.requestLog.counts()).toEqual({
        // apply: one read-modify-write each; verify: one read of every policy.
        'POST v3:cloudresourcemanager.projects.getIamPolicy': 2,
        'POST v3:cloudresourcemanager.projects.setIamPolicy': 1,
        'POST iap.getIamPolicy': 2,
        'POST iap.setIamPolicy': 1,
        'POST iam.projects.serviceAccounts.getIamPolicy': 1 + 8,
        'POST iam.projects.serviceAccounts.setIamPolicy': 1,
        'GET iam.projects.serviceAccounts.list': 1,
        'GET k8s.roleBindings.list': 1,
        'DELETE k8s.roleBindings.delete': 1,
        'DELETE k8s.profiles.delete': 1,
        'GET k8s.profiles.get': 1,
        'GET k8s.namespaces.get': 1,
        'GET k8s.roleBindings.listForAllNamespaces': 1,
      });
      expect(result).toEqual({
        email: LIAM,
        policies: [
          {
            policy: 'projects/acme-ml-prod',
            before: ['roles/container.clusterViewer', 'roles/editor'],
            after: [],
          },
          { policy: IAP_RESOURCE, before: ['roles/iap.httpsResourceAccessor'], after: [] },
          { policy: `serviceAccounts/${METAFLOW_SA}`, before: ['roles/iam.serviceAccountUser'], after: [] },
        ],
        contributorBindings: { before: ['team-vision/user-liam-obrien-acme-ai-clusterrole-edit'], after: [] },
        keepProfile: false,
        profilesDeleted: ['liam-obrien'],
        personalProfilesKept: [],
        teamProfilesKept: [],
        desiredState: { before: null, after: null },
        keysToRotate: plan.keysToRotate,
      });
    });

    it('forgets a managed user in desired state and keeps the team profile they own', async () => {
      // Act
      const { result } = await runOperation(userRemove, { email: 'james.okafor@acme.ai' }, context);

      // Assert
      expect(await context.desiredState.getUser('james.okafor@acme.ai')).toBeUndefined();
      const dump = await dumpPlatform(simulator);
      expect(policiesNaming(dump, 'user:james.okafor@acme.ai')).toEqual([]);
      expect(dump.kubernetes.objects.profiles?.['james-okafor']).toBeUndefined();
      expect(dump.kubernetes.objects.profiles?.['team-vision']).toBeDefined();
      expect(roleBindingsOf(dump, 'james.okafor@acme.ai')).toEqual(['team-vision/namespaceAdmin']);
      expect(result).toMatchObject({
        profilesDeleted: ['james-okafor'],
        teamProfilesKept: ['team-vision'],
        desiredState: {
          before: {
            email: 'james.okafor@acme.ai',
            role: 'ml-engineer',
            team: 'vision',
            profile: 'james-okafor',
          },
          after: null,
        },
      });
    });
  });

  describe('approval', () => {
    it('asks for approval to delete a personal profile, naming it', async () => {
      // Prepare
      const plan = await planOperation(userRemove, LIAM_ARGS, context);

      // Act
      const reason = userRemove.approvalReason?.(plan, LIAM_ARGS, context.platform);

      // Assert
      expect(reason).toBe(
        'deleting personal profile liam-obrien of liam.obrien@acme.ai deletes its namespace with notebooks and volumes (ops catalog §1.3 step 5, A3)',
      );
    });

    it('asks for approval of a full removal even without a personal profile', async () => {
      // Prepare
      const args = { email: 'grace.kim@acme.ai' };
      const plan = await planOperation(userRemove, args, context);

      // Act
      const reason = userRemove.approvalReason?.(plan, args, context.platform);

      // Assert
      expect(plan.personalProfiles).toEqual([]);
      expect(reason).toMatch(/offboards grace\.kim@acme\.ai for good \(A3\)/);
    });
  });

  describe('keepProfile (revoke only)', () => {
    const REVOKE_ARGS = { email: LIAM, keepProfile: true };

    it('plans the revocation without the profile and needs no approval', async () => {
      // Prepare
      await grantLiamOnMetaflowAccount(context);

      // Act
      const plan = await planOperation(userRemove, REVOKE_ARGS, context);

      // Assert
      expect(plan.summary).toBe(
        'revoke liam.obrien@acme.ai: 4 grants in 3 policies, 1 contributor binding; personal profile kept: liam-obrien',
      );
      expect(plan.changes.map((change) => change.resource)).not.toContain('profiles/liam-obrien');
      expect(plan.personalProfiles).toEqual([]);
      expect(plan.keptPersonalProfiles).toEqual(['liam-obrien']);
      expect(plan.warnings[0]).toBe(
        'personal profile liam-obrien is kept (keepProfile): run user.remove {"email":"liam.obrien@acme.ai"} to delete it and its namespace (needs approval)',
      );
      expect(userRemove.approvalReason?.(plan, REVOKE_ARGS, context.platform)).toBeUndefined();
    });

    it('revokes every grant and keeps the profile; a later full removal plans only the profile', async () => {
      // Prepare
      await grantLiamOnMetaflowAccount(context);

      // Act
      const { result } = await runOperation(userRemove, REVOKE_ARGS, context);
      const later = await planOperation(userRemove, LIAM_ARGS, context);

      // Assert
      const dump = await dumpPlatform(simulator);
      expect(policiesNaming(dump, LIAM_MEMBER)).toEqual([]);
      expect(roleBindingsOf(dump, LIAM)).toEqual(['liam-obrien/namespaceAdmin']);
      expect(dump.kubernetes.objects.profiles?.['liam-obrien']).toBeDefined();
      expect(result).toMatchObject({
        keepProfile: true,
        profilesDeleted: [],
        personalProfilesKept: ['liam-obrien'],
        contributorBindings: { after: ['liam-obrien/namespaceAdmin'] },
      });
      expect(later.changes).toEqual([
        { resource: 'profiles/liam-obrien', field: 'owner', from: LIAM, to: null },
      ]);
      expect(later.summary).toBe(
        'remove liam.obrien@acme.ai: 0 grants in 0 policies, 0 contributor bindings, 1 personal profile',
      );
      expect(userRemove.approvalReason?.(later, LIAM_ARGS, context.platform)).toMatch(
        /deleting personal profile liam-obrien/,
      );
    });

    it('forgets the user in desired state, so that nothing converges their access back', async () => {
      // Act
      await runOperation(userRemove, { email: 'james.okafor@acme.ai', keepProfile: true }, context);

      // Assert
      expect(await context.desiredState.getUser('james.okafor@acme.ai')).toBeUndefined();
      const dump = await dumpPlatform(simulator);
      expect(dump.kubernetes.objects.profiles?.['james-okafor']).toBeDefined();
      expect(dump.kubernetes.objects.profiles?.['team-vision']).toBeDefined();
    });
  });

  describe('idempotency', () => {
    it('applied twice, revokes and deletes once', async () => {
      // Prepare
      await grantLiamOnMetaflowAccount(context);
      const plan = await planOperation(userRemove, LIAM_ARGS, context);
      await applyPlan(userRemove, plan, context);
      const once = await platformSnapshot(simulator, context.desiredState, LIAM);
      simulator.requestLog.clear();

      // Act
      await applyPlan(userRemove, plan, context);

      // Assert
      expect(await platformSnapshot(simulator, context.desiredState, LIAM)).toEqual(once);
      const counts = simulator.requestLog.counts();
      expect(counts['POST v3:cloudresourcemanager.projects.setIamPolicy']).toBeUndefined();
      expect(counts['POST iap.setIamPolicy']).toBeUndefined();
      expect(counts['POST iam.projects.serviceAccounts.setIamPolicy']).toBeUndefined();
      expect(counts['DELETE k8s.roleBindings.delete']).toBeUndefined();
      // The second delete finds the profile gone (404), which is success.
      expect(
        simulator.requestLog
          .entries()
          .filter((entry) => entry.route === 'k8s.profiles.delete')
          .map((entry) => entry.status),
      ).toEqual([404]);
    });
  });

  describe('crash safety', () => {
    it('re-run after a crash after any adapter call ends as a clean run', async () => {
      // Prepare: a clean run, counting its adapter calls.
      await grantLiamOnMetaflowAccount(context);
      const plan = await planOperation(userRemove, LIAM_ARGS, context);
      const counting = crashingApis(context.apis, Number.POSITIVE_INFINITY);
      await applyPlan(userRemove, plan, { ...context, apis: counting.apis });
      const clean = await platformSnapshot(simulator, context.desiredState, LIAM);
      const calls = counting.calls.length;
      // apply's calls, then verify's reads (calls that fail, like the 404 reads of the deleted
      // profile, are not counted: the crash comes after a call that returned).
      expect(counting.calls.slice(0, 6)).toEqual([
        'iam.editPolicy',
        'iam.editPolicy',
        'iam.editPolicy',
        'kubeflow.removeContributor',
        'kubeflow.deleteProfile',
        'iam.listServiceAccounts',
      ]);

      for (let crashAfter = 1; crashAfter <= calls; crashAfter += 1) {
        const fresh = await freshContext(simulator);
        await grantLiamOnMetaflowAccount(fresh);
        const progress = new InMemoryProgress(fresh.clock);

        // Act
        const crashed = applyPlan(userRemove, plan, {
          ...fresh,
          apis: crashingApis(fresh.apis, crashAfter).apis,
          progress,
        });
        await expect(crashed).rejects.toBeInstanceOf(SimulatedCrash);
        await applyPlan(userRemove, plan, { ...fresh, progress });

        // Assert
        expect({ crashAfter, state: await platformSnapshot(simulator, fresh.desiredState, LIAM) }).toEqual({
          crashAfter,
          state: clean,
        });
      }
    });
  });
});
