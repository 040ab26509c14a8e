import { notFound } from '../../../local/simulator/api-error';
import { defaultFixturePath, loadFixture, parseFixture } from '../../../local/simulator/fixture';
import { createRouter } from '../../../local/simulator/router';
import type { RouteResponse, ServiceModule, SimulatorContext } from '../../../local/simulator/service';
import { createKubernetesService } from '../../../local/simulator/services/kubernetes';
import { createSimulatorState } from '../../../local/simulator/state';
import { silentLogger } from '../../../shared/logging';
import { ManualClock } from '../../../shared/time';
import { createFakePolicyEditor, type FakePolicyEditor } from '../../helpers/kubernetes-client';

/**
 * The Kubernetes service called in process, route by route, for what the client-driven integration
 * test does not reach: snapshots, the controller's corner cases and the API server's refusals.
 */

const FIXTURE = loadFixture(defaultFixturePath());
const KF_USER = 'acme-kf-user@acme-ml-prod.iam.gserviceaccount.com';
const WI_ROLE = 'roles/iam.workloadIdentityUser';
const PROFILES = '/apis/kubeflow.org/v1/profiles';

/** What the tests read from answers: objects, lists and Status bodies, loosely. */
interface Body {
  apiVersion?: string;
  metadata: {
    name: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    deletionTimestamp?: string;
    finalizers?: string[];
    ownerReferences?: unknown[];
    continue?: string;
    remainingItemCount?: number;
  };
  spec: { owner: { name: string }; plugins?: unknown[] };
  status?: { conditions: unknown[] };
  subjects?: unknown[];
  items: Body[];
  message: string;
}

interface Harness {
  service: ServiceModule;
  policies: FakePolicyEditor;
  call(method: string, path: string, body?: unknown, query?: string): { status: number; body: Body };
}

const harness = (policies: FakePolicyEditor = createFakePolicyEditor([KF_USER])): Harness => {
  const service = createKubernetesService({ fixture: FIXTURE, serviceAccountPolicies: policies });
  const router = createRouter(service.routes);
  const context: SimulatorContext = {
    state: createSimulatorState(parseFixture(FIXTURE)),
    clock: new ManualClock('2026-03-02T19:00:00Z'),
    timeScale: 0,
    logger: silentLogger,
    faults: { operationError: () => undefined },
  };
  return {
    service,
    policies,
    call(method, path, body, query = '') {
      const match = router.match(method, path);
      if (!match) throw new Error(`no route for ${method} ${path}`);
      const response: RouteResponse = match.route.handle(
        { method, path, params: match.params, query: new URLSearchParams(query), body },
        context,
      );
      return { status: response.status ?? 200, body: response.body as Body };
    },
  };
};

const newProfile = (name: string, spec: Record<string, unknown> = {}): Record<string, unknown> => ({
  metadata: { name },
  spec: { owner: { kind: 'User', name: `${name.replace('-', '.')}@acme.ai` }, ...spec },
});

describe('kubernetes-service', () => {
  it('restores a snapshot taken before changes, and resets to the fixture', () => {
    // Prepare
    const { service, call } = harness();
    const snapshot = service.snapshot?.();
    call('DELETE', '/api/v1/namespaces/team-nlp/resourcequotas/kf-resource-quota');
    call('POST', '/api/v1/namespaces', { metadata: { name: 'scratch' } });
    const afterChanges = service.snapshot?.();

    // Act
    service.restore?.(snapshot);
    const restoredQuota = call('GET', '/api/v1/namespaces/team-nlp/resourcequotas/kf-resource-quota');
    const restoredScratch = call('GET', '/api/v1/namespaces/scratch');
    service.restore?.(afterChanges);
    const scratchAgain = call('GET', '/api/v1/namespaces/scratch');
    service.reset?.();
    const afterReset = service.snapshot?.();

    // Assess
    expect(restoredQuota.status).toBe(200);
    expect(restoredScratch.status).toBe(404);
    expect(scratchAgain.status).toBe(200);
    expect(afterReset).toEqual(snapshot);
  });

  it('refuses a snapshot of the wrong shape, naming the path', () => {
    // Prepare
    const { service } = harness();

    // Act
    const restore = (): void => service.restore?.({ revision: 'x', objects: {} });

    // Assess
    expect(restore).toThrow(/Invalid kubernetes snapshot[\s\S]*revision/);
  });

  it('patches the default WorkloadIdentity plugin into a profile that has none', () => {
    // Prepare
    const { call, policies } = harness();

    // Act
    call('POST', PROFILES, newProfile('nora-lee'));

    // Assess
    const profile = call('GET', `${PROFILES}/nora-lee`).body;
    expect(profile.spec.plugins).toEqual([
      { kind: 'WorkloadIdentity', spec: { gcpServiceAccount: KF_USER } },
    ]);
    expect(profile.metadata.generation).toBe(2);
    expect(policies.members(KF_USER, WI_ROLE)).toEqual([
      'serviceAccount:acme-ml-prod.svc.id.goog[nora-lee/default-editor]',
    ]);
    expect(call('GET', '/api/v1/namespaces/nora-lee/resourcequotas/kf-resource-quota').status).toBe(404);
  });

  it('answers a create with the object as created, before the controller’s writes', () => {
    // Prepare
    const { call } = harness();

    // Act
    const created = call('POST', PROFILES, newProfile('nora-lee'));

    // Assess
    expect(created.status).toBe(201);
    expect(created.body.status).toBeUndefined();
    const current = call('GET', `${PROFILES}/nora-lee`).body;
    expect(Number(current.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.body.metadata.resourceVersion),
    );
  });

  it('deletes the quota when the profile drops its resourceQuotaSpec', () => {
    // Prepare
    const { call } = harness();

    // Act
    call('PATCH', `${PROFILES}/team-nlp`, { spec: { resourceQuotaSpec: null } });

    // Assess
    expect(call('GET', '/api/v1/namespaces/team-nlp/resourcequotas/kf-resource-quota').status).toBe(404);
  });

  it('does not create a quota with a malformed key and leaves the profile without Successful', () => {
    // Prepare
    const { call } = harness();

    // Act
    call('POST', PROFILES, newProfile('nora-lee', { resourceQuotaSpec: { hard: { gpu: '1' } } }));

    // Assess
    expect(call('GET', '/api/v1/namespaces/nora-lee/resourcequotas/kf-resource-quota').status).toBe(404);
    expect(call('GET', `${PROFILES}/nora-lee`).body.status).toBeUndefined();
  });

  it('keeps a profile Terminating while revoking its grant fails, and finishes on the next delete', () => {
    // Prepare
    const policies = createFakePolicyEditor([KF_USER]);
    const { call } = harness(policies);
    call('POST', PROFILES, newProfile('nora-lee'));
    const removeBinding = policies.removeBinding;
    policies.removeBinding = () => {
      throw notFound('Permission iam.serviceAccounts.getIamPolicy denied');
    };

    // Act
    const firstDelete = call('DELETE', `${PROFILES}/nora-lee`);
    const whileStuck = call('GET', `${PROFILES}/nora-lee`);
    policies.removeBinding = removeBinding;
    call('DELETE', `${PROFILES}/nora-lee`);

    // Assess
    expect(firstDelete.body.metadata.deletionTimestamp).toBe('2026-03-02T19:00:00Z');
    expect(whileStuck.body.metadata.finalizers).toEqual(['profile-finalizer']);
    expect(call('GET', `${PROFILES}/nora-lee`).status).toBe(404);
    expect(call('GET', '/api/v1/namespaces/nora-lee').status).toBe(404);
    expect(policies.members(KF_USER, WI_ROLE)).toEqual([]);
  });

  it('makes a deleted namespaceAdmin binding again, but not a deleted contributor binding', () => {
    // Prepare
    const { call } = harness();

    // Act
    call('DELETE', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-vision/rolebindings/namespaceAdmin');
    call(
      'DELETE',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/team-vision/rolebindings/user-liam-obrien-acme-ai-clusterrole-edit',
    );

    // Assess
    const admin = call(
      'GET',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/team-vision/rolebindings/namespaceAdmin',
    );
    expect(admin.body.subjects).toEqual([
      { kind: 'User', name: 'james.okafor@acme.ai', apiGroup: 'rbac.authorization.k8s.io' },
    ]);
    const contributor = call(
      'GET',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/team-vision/rolebindings/user-liam-obrien-acme-ai-clusterrole-edit',
    );
    expect(contributor.status).toBe(404);
  });

  it('loses the namespace when the profile owner is changed, as upstream does (kubeflow/dashboard#33)', () => {
    // Prepare
    const { call } = harness();

    // Act
    call('PATCH', `${PROFILES}/liam-obrien`, { spec: { owner: { name: 'maria.chen@acme.ai' } } });

    // Assess
    const conditions = call('GET', `${PROFILES}/liam-obrien`).body.status?.conditions;
    expect(conditions?.at(-1)).toEqual({
      type: 'Failed',
      message: 'namespace already exist, but not owned by profile creator maria.chen@acme.ai',
    });
  });

  it('requires a resourceVersion on a profile update, as custom resources do', () => {
    // Prepare
    const { call } = harness();
    const profile = call('GET', `${PROFILES}/dev-patel`).body;
    delete profile.metadata.resourceVersion;

    // Act
    const answer = call('PUT', `${PROFILES}/dev-patel`, profile);

    // Assess
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Invalid',
      message:
        'Profile.kubeflow.org "dev-patel" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    });
  });

  it('refuses what the API server refuses, with its Status', () => {
    // Prepare
    const { call } = harness();

    // Act
    const answers = {
      protectedNamespace: call('DELETE', '/api/v1/namespaces/kube-system'),
      missingNamespace: call('POST', '/api/v1/namespaces/nowhere/serviceaccounts', {
        metadata: { name: 'a' },
      }),
      badName: call('POST', '/api/v1/namespaces', { metadata: { name: 'Not_Valid' } }),
      badSelector: call('GET', '/api/v1/namespaces', undefined, 'labelSelector=a%20b%20c'),
      wrongNamespace: call('POST', '/api/v1/namespaces/team-nlp/serviceaccounts', {
        metadata: { name: 'a', namespace: 'team-vision' },
      }),
      noBody: call('POST', '/api/v1/namespaces'),
    };

    // Assess
    expect(answers.protectedNamespace).toMatchObject({
      status: 403,
      body: {
        reason: 'Forbidden',
        message: 'namespaces "kube-system" is forbidden: this namespace may not be deleted',
      },
    });
    expect(answers.missingNamespace).toMatchObject({
      status: 404,
      body: { message: 'namespaces "nowhere" not found' },
    });
    expect(answers.badName).toMatchObject({
      status: 422,
      body: { reason: 'Invalid', details: { kind: 'Namespace' } },
    });
    expect(answers.badName.body.message).toMatch(
      /^Namespace "Not_Valid" is invalid: metadata.name: Invalid value/,
    );
    expect(answers.badSelector).toMatchObject({ status: 400, body: { reason: 'BadRequest' } });
    expect(answers.wrongNamespace).toMatchObject({ status: 400, body: { reason: 'BadRequest' } });
    expect(answers.noBody).toMatchObject({ status: 400, body: { reason: 'BadRequest' } });
  });

  it('validates a dry run without storing it', () => {
    // Prepare
    const { call } = harness();

    // Act
    const answer = call('POST', '/api/v1/namespaces', { metadata: { name: 'scratch' } }, 'dryRun=All');

    // Assess
    expect(answer.status).toBe(201);
    expect(call('GET', '/api/v1/namespaces/scratch').status).toBe(404);
  });

  it('pages a list with limit and continue', () => {
    // Prepare
    const { call } = harness();

    // Act
    const first = call('GET', PROFILES, undefined, 'limit=5');
    const second = call('GET', PROFILES, undefined, `limit=10&continue=${first.body.metadata.continue}`);

    // Assess
    expect(first.body.items).toHaveLength(5);
    expect(first.body.metadata.remainingItemCount).toBe(7);
    expect(second.body.items).toHaveLength(7);
    expect(second.body.metadata.continue).toBeUndefined();
    const names = [...first.body.items, ...second.body.items].map((item: Body) => item.metadata.name);
    expect(new Set(names).size).toBe(12);
  });

  it('keeps the dependents of an owner deleted with propagationPolicy Orphan, and collects them otherwise', () => {
    // Prepare
    const { call } = harness();
    call('POST', '/api/v1/namespaces', { metadata: { name: 'scratch' } });
    const accounts = '/api/v1/namespaces/scratch/serviceaccounts';
    for (const [owner, dependent] of [
      ['orphaning-owner', 'kept'],
      ['collecting-owner', 'collected'],
    ]) {
      const uid = call('POST', accounts, { metadata: { name: owner } }).body.metadata.uid;
      call('POST', accounts, {
        metadata: {
          name: dependent,
          ownerReferences: [{ apiVersion: 'v1', kind: 'ServiceAccount', name: owner, uid }],
        },
      });
    }

    // Act
    call('DELETE', `${accounts}/orphaning-owner`, undefined, 'propagationPolicy=Orphan');
    call('DELETE', `${accounts}/collecting-owner`);

    // Assess
    const { items } = call('GET', accounts).body;
    expect(items.map((item) => item.metadata.name)).toEqual(['default', 'kept']);
    expect(items[1]?.metadata.ownerReferences).toBeUndefined();
  });

  it('serves profiles at v1beta1 from the same storage', () => {
    // Prepare
    const { call } = harness();

    // Act
    const profile = call('GET', '/apis/kubeflow.org/v1beta1/profiles/maria-chen').body;

    // Assess
    expect(profile.apiVersion).toBe('kubeflow.org/v1beta1');
    expect(profile.spec.owner.name).toBe('maria.chen@acme.ai');
  });
});
