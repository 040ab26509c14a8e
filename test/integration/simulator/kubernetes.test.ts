import { createKubernetesService } from '../../../local/simulator/services/kubernetes';
import {
  defaultFixturePath,
  loadFixture,
  type RunningSimulator,
  startSimulator,
} from '../../../local/simulator/simulator';
import {
  createFakePolicyEditor,
  expectFailure,
  type FakePolicyEditor,
  type KubernetesClients,
  kubernetesClientsFor,
} from '../../helpers/kubernetes-client';

/**
 * The simulator's Kubernetes API driven through @kubernetes/client-node v2 (CoreV1Api,
 * RbacAuthorizationV1Api, CustomObjectsApi) over plain HTTP, with the profile controller's effects
 * and the WorkloadIdentity grants reaching an in-memory policy editor.
 */

const KF_USER = 'acme-kf-user@acme-ml-prod.iam.gserviceaccount.com';
const WI_ROLE = 'roles/iam.workloadIdentityUser';
const PROFILES = { group: 'kubeflow.org', version: 'v1', plural: 'profiles' } as const;

interface ProfileBody {
  metadata: { name: string; resourceVersion?: string; finalizers?: string[]; deletionTimestamp?: string };
  spec: Record<string, unknown>;
  status?: { conditions?: Array<{ type: string; status?: string; message?: string }> };
}

const newProfile = (name: string, owner: string): ProfileBody => ({
  metadata: { name },
  spec: {
    owner: { kind: 'User', name: owner },
    plugins: [{ kind: 'WorkloadIdentity', spec: { gcpServiceAccount: KF_USER } }],
    resourceQuotaSpec: { hard: { 'requests.cpu': '8', 'requests.nvidia.com/gpu': '1' } },
  },
});

describe('simulator Kubernetes API', () => {
  const fixture = loadFixture(defaultFixturePath()) as { iam: { serviceAccounts: Array<{ email: string }> } };
  let policies: FakePolicyEditor;
  let simulator: RunningSimulator;
  let k8s: KubernetesClients;

  const getProfile = async (name: string): Promise<ProfileBody> =>
    (await k8s.customObjects.getClusterCustomObject({ ...PROFILES, name })) as ProfileBody;

  beforeAll(async () => {
    policies = createFakePolicyEditor(fixture.iam.serviceAccounts.map((account) => account.email));
    simulator = await startSimulator({
      fixture,
      timeScale: 0,
      extraServices: [createKubernetesService({ fixture, serviceAccountPolicies: policies })],
    });
    k8s = await kubernetesClientsFor(simulator.endpoints.kubernetes as string);
  });

  beforeEach(() => {
    simulator.reset();
    policies.reset();
  });

  afterAll(async () => {
    await simulator.close();
  });

  it('lists the fixture profiles with resourceVersions, uids and creation timestamps', async () => {
    // Act
    const list = (await k8s.customObjects.listClusterCustomObject({ ...PROFILES })) as {
      kind: string;
      metadata: { resourceVersion: string };
      items: Array<{
        kind: string;
        metadata: { name: string; uid: string; resourceVersion: string; creationTimestamp: string };
      }>;
    };

    // Assess
    expect(list.kind).toBe('ProfileList');
    expect(Number(list.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(list.items).toHaveLength(12);
    for (const item of list.items) {
      expect(item.kind).toBe('Profile');
      expect(item.metadata).toMatchObject({
        uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        resourceVersion: expect.stringMatching(/^\d+$/),
        creationTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      });
    }
  });

  it('filters lists with a labelSelector', async () => {
    // Act
    const vision = (await k8s.customObjects.listClusterCustomObject({
      ...PROFILES,
      labelSelector: 'team=vision,profile-type!=team',
    })) as { items: Array<{ metadata: { name: string } }> };
    const profileNamespaces = await k8s.core.listNamespace({
      labelSelector: 'app.kubernetes.io/part-of in (kubeflow-profile)',
    });
    const admins = await k8s.rbac.listRoleBindingForAllNamespaces({
      fieldSelector: 'metadata.name=namespaceAdmin',
    });

    // Assess
    expect(vision.items.map((item) => item.metadata.name)).toEqual([
      'james-okafor',
      'lena-muller',
      'liam-obrien',
    ]);
    expect(profileNamespaces.items).toHaveLength(12);
    expect(profileNamespaces.items.map((namespace) => namespace.metadata?.name)).not.toContain('kubeflow');
    expect(admins.items).toHaveLength(12);
  });

  it('creates, reads, updates and deletes a namespace', async () => {
    // Act
    const created = await k8s.core.createNamespace({
      body: { metadata: { name: 'scratch', labels: { a: '1' } } },
    });
    const read = await k8s.core.readNamespace({ name: 'scratch' });
    const updated = await k8s.core.replaceNamespace({
      name: 'scratch',
      body: { ...read, metadata: { ...read.metadata, labels: { a: '2' } } },
    });
    const deleted = await k8s.core.deleteNamespace({ name: 'scratch' });
    const gone = await expectFailure(k8s.core.readNamespace({ name: 'scratch' }));

    // Assess
    expect(created.metadata?.labels).toEqual({ a: '1', 'kubernetes.io/metadata.name': 'scratch' });
    expect(created.status?.phase).toBe('Active');
    expect(read.metadata?.uid).toBe(created.metadata?.uid);
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(Number(read.metadata?.resourceVersion));
    expect(updated.metadata?.labels?.a).toBe('2');
    expect((deleted as { status?: unknown }).status).toEqual({ phase: 'Terminating' });
    expect(gone).toEqual({ code: 404, reason: 'NotFound', message: 'namespaces "scratch" not found' });
  });

  it('creates, reads, updates and deletes a service account', async () => {
    // Prepare
    const namespace = 'team-vision';

    // Act
    const created = await k8s.core.createNamespacedServiceAccount({
      namespace,
      body: { metadata: { name: 'ci-bot' } },
    });
    const updated = await k8s.core.replaceNamespacedServiceAccount({
      name: 'ci-bot',
      namespace,
      body: { metadata: { ...created.metadata, annotations: { 'iam.gke.io/gcp-service-account': KF_USER } } },
    });
    const listed = await k8s.core.listNamespacedServiceAccount({ namespace });
    const deleted = await k8s.core.deleteNamespacedServiceAccount({ name: 'ci-bot', namespace });
    const gone = await expectFailure(k8s.core.readNamespacedServiceAccount({ name: 'ci-bot', namespace }));

    // Assess
    expect(created.metadata).toMatchObject({ name: 'ci-bot', namespace, uid: expect.any(String) });
    expect(updated.metadata?.annotations).toEqual({ 'iam.gke.io/gcp-service-account': KF_USER });
    expect(listed.items.map((account) => account.metadata?.name)).toEqual([
      'ci-bot',
      'default',
      'default-editor',
      'default-viewer',
    ]);
    expect(deleted.metadata?.name).toBe('ci-bot');
    expect(gone.reason).toBe('NotFound');
  });

  it('creates, reads, updates, patches and deletes a resource quota', async () => {
    // Prepare
    const namespace = 'team-nlp';
    const { client } = k8s;

    // Act
    const created = await k8s.core.createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: 'extra' }, spec: { hard: { pods: '10' } } },
    });
    const replaced = await k8s.core.replaceNamespacedResourceQuota({
      name: 'extra',
      namespace,
      body: { ...created, spec: { hard: { pods: '20' } } },
    });
    const patched = await k8s.core.patchNamespacedResourceQuota(
      { name: 'extra', namespace, body: { spec: { hard: { 'requests.cpu': '4' } } } },
      client.setHeaderOptions('Content-Type', client.PatchStrategy.MergePatch),
    );
    const read = await k8s.core.readNamespacedResourceQuota({ name: 'extra', namespace });
    await k8s.core.deleteNamespacedResourceQuota({ name: 'extra', namespace });
    const remaining = await k8s.core.listNamespacedResourceQuota({ namespace });

    // Assess
    expect(created.status).toEqual({ hard: { pods: '10' }, used: { pods: '0' } });
    expect(replaced.spec?.hard).toEqual({ pods: '20' });
    expect(patched.spec?.hard).toEqual({ pods: '20', 'requests.cpu': '4' });
    expect(read.metadata?.resourceVersion).toBe(patched.metadata?.resourceVersion);
    expect(remaining.items.map((quota) => quota.metadata?.name)).toEqual(['kf-resource-quota']);
  });

  it('creates, reads, lists and deletes a role binding', async () => {
    // Prepare
    const namespace = 'team-forecasting';
    const name = 'user-nora-lee-acme-ai-clusterrole-view';

    // Act
    const created = await k8s.rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name, annotations: { user: 'nora.lee@acme.ai', role: 'view' } },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubeflow-view' },
        subjects: [{ kind: 'User', name: 'nora.lee@acme.ai' }],
      },
    });
    const read = await k8s.rbac.readNamespacedRoleBinding({ name, namespace });
    const listed = await k8s.rbac.listNamespacedRoleBinding({ namespace, labelSelector: '' });
    const deleted = await k8s.rbac.deleteNamespacedRoleBinding({ name, namespace });
    const gone = await expectFailure(k8s.rbac.readNamespacedRoleBinding({ name, namespace }));

    // Assess
    expect(created.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'nora.lee@acme.ai' },
    ]);
    expect(read.metadata?.uid).toBe(created.metadata?.uid);
    expect(listed.items.map((binding) => binding.metadata?.name)).toContain(name);
    expect(deleted).toMatchObject({ kind: 'Status', status: 'Success' });
    expect(gone.code).toBe(404);
  });

  it('refuses a duplicate with AlreadyExists and a roleRef change with Invalid', async () => {
    // Prepare
    const binding = await k8s.rbac.readNamespacedRoleBinding({
      name: 'user-grace-kim-acme-ai-clusterrole-view',
      namespace: 'team-forecasting',
    });

    // Act
    const duplicate = await expectFailure(
      k8s.core.createNamespace({ body: { metadata: { name: 'team-nlp' } } }),
    );
    const roleChange = await expectFailure(
      k8s.rbac.replaceNamespacedRoleBinding({
        name: 'user-grace-kim-acme-ai-clusterrole-view',
        namespace: 'team-forecasting',
        body: { ...binding, roleRef: { ...binding.roleRef, name: 'kubeflow-edit' } },
      }),
    );

    // Assess
    expect(duplicate).toEqual({
      code: 409,
      reason: 'AlreadyExists',
      message: 'namespaces "team-nlp" already exists',
    });
    expect(roleChange.code).toBe(422);
    expect(roleChange.reason).toBe('Invalid');
    expect(roleChange.message).toMatch(
      /^RoleBinding\.rbac\.authorization\.k8s\.io ".*" is invalid: roleRef: .*cannot change roleRef$/,
    );
  });

  it('answers an update with a stale resourceVersion with 409 Conflict', async () => {
    // Prepare
    const stale = await k8s.core.readNamespacedServiceAccount({
      name: 'default-editor',
      namespace: 'maria-chen',
    });
    await k8s.core.replaceNamespacedServiceAccount({
      name: 'default-editor',
      namespace: 'maria-chen',
      body: { ...stale, metadata: { ...stale.metadata, labels: { touched: 'yes' } } },
    });

    // Act
    const conflict = await expectFailure(
      k8s.core.replaceNamespacedServiceAccount({
        name: 'default-editor',
        namespace: 'maria-chen',
        body: { ...stale, metadata: { ...stale.metadata, labels: { touched: 'again' } } },
      }),
    );

    // Assess
    expect(conflict).toEqual({
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on serviceaccounts "default-editor": the object has been modified; ' +
        'please apply your changes to the latest version and try again',
    });
  });

  it('makes a new profile’s namespace, service accounts, role bindings and quota, and grants workload identity', async () => {
    // Act
    await k8s.customObjects.createClusterCustomObject({
      ...PROFILES,
      body: newProfile('nora-lee', 'nora.lee@acme.ai'),
    });

    // Assess
    const namespace = await k8s.core.readNamespace({ name: 'nora-lee' });
    expect(namespace.metadata?.annotations).toEqual({ owner: 'nora.lee@acme.ai' });
    expect(namespace.metadata?.labels).toMatchObject({
      'istio-injection': 'enabled',
      'app.kubernetes.io/part-of': 'kubeflow-profile',
    });
    expect(namespace.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Profile',
      name: 'nora-lee',
      controller: true,
    });
    const editor = await k8s.core.readNamespacedServiceAccount({
      name: 'default-editor',
      namespace: 'nora-lee',
    });
    const viewer = await k8s.core.readNamespacedServiceAccount({
      name: 'default-viewer',
      namespace: 'nora-lee',
    });
    expect(editor.metadata?.annotations).toEqual({ 'iam.gke.io/gcp-service-account': KF_USER });
    expect(viewer.metadata?.annotations).toBeUndefined();
    const admin = await k8s.rbac.readNamespacedRoleBinding({ name: 'namespaceAdmin', namespace: 'nora-lee' });
    expect(admin.metadata?.annotations).toEqual({ user: 'nora.lee@acme.ai', role: 'admin' });
    expect(admin.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'kubeflow-admin',
    });
    expect(admin.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'nora.lee@acme.ai' },
    ]);
    const quota = await k8s.core.readNamespacedResourceQuota({
      name: 'kf-resource-quota',
      namespace: 'nora-lee',
    });
    expect(quota.spec?.hard).toEqual({ 'requests.cpu': '8', 'requests.nvidia.com/gpu': '1' });
    expect(policies.members(KF_USER, WI_ROLE)).toEqual([
      'serviceAccount:acme-ml-prod.svc.id.goog[nora-lee/default-editor]',
    ]);
    const profile = await getProfile('nora-lee');
    expect(profile.metadata.finalizers).toEqual(['profile-finalizer']);
    expect(profile.status?.conditions).toEqual([{ type: 'Successful', status: 'True', message: '' }]);
  });

  it('removes a deleted profile’s namespace with everything in it, and revokes the grant', async () => {
    // Prepare
    await k8s.customObjects.createClusterCustomObject({
      ...PROFILES,
      body: newProfile('nora-lee', 'nora.lee@acme.ai'),
    });

    // Act
    const answer = (await k8s.customObjects.deleteClusterCustomObject({
      ...PROFILES,
      name: 'nora-lee',
    })) as ProfileBody;

    // Assess
    expect(answer.metadata.deletionTimestamp).toEqual(expect.any(String));
    expect((await expectFailure(getProfile('nora-lee'))).code).toBe(404);
    expect((await expectFailure(k8s.core.readNamespace({ name: 'nora-lee' }))).code).toBe(404);
    const accounts = await k8s.core.listServiceAccountForAllNamespaces({
      fieldSelector: 'metadata.namespace=nora-lee',
    });
    const bindings = await k8s.rbac.listRoleBindingForAllNamespaces({
      fieldSelector: 'metadata.namespace=nora-lee',
    });
    const quotas = await k8s.core.listResourceQuotaForAllNamespaces({
      fieldSelector: 'metadata.namespace=nora-lee',
    });
    expect([accounts.items, bindings.items, quotas.items]).toEqual([[], [], []]);
    expect(policies.calls.at(-1)).toEqual({
      operation: 'removeBinding',
      serviceAccountEmail: KF_USER,
      role: WI_ROLE,
      member: 'serviceAccount:acme-ml-prod.svc.id.goog[nora-lee/default-editor]',
    });
    expect(policies.members(KF_USER, WI_ROLE)).toEqual([]);
  });

  it('marks a profile Failed when its namespace exists but another owner has it', async () => {
    // Prepare
    await k8s.core.createNamespace({
      body: { metadata: { name: 'shared', annotations: { owner: 'someone@acme.ai' } } },
    });

    // Act
    await k8s.customObjects.createClusterCustomObject({
      ...PROFILES,
      body: newProfile('shared', 'nora.lee@acme.ai'),
    });

    // Assess
    const profile = await getProfile('shared');
    expect(profile.status?.conditions).toEqual([
      {
        type: 'Failed',
        message: 'namespace already exist, but not owned by profile creator nora.lee@acme.ai',
      },
    ]);
    const accounts = await k8s.core.listNamespacedServiceAccount({ namespace: 'shared' });
    expect(accounts.items.map((account) => account.metadata?.name)).toEqual(['default']);
    expect(policies.calls).toEqual([]);
  });

  it('recreates the namespace of a live profile after only the namespace is deleted', async () => {
    // Prepare
    const before = await k8s.core.readNamespace({ name: 'liam-obrien' });

    // Act
    await k8s.core.deleteNamespace({ name: 'liam-obrien' });

    // Assess
    const after = await k8s.core.readNamespace({ name: 'liam-obrien' });
    expect(after.metadata?.uid).not.toBe(before.metadata?.uid);
    expect(after.metadata?.annotations).toEqual({ owner: 'liam.obrien@acme.ai' });
    const editor = await k8s.core.readNamespacedServiceAccount({
      name: 'default-editor',
      namespace: 'liam-obrien',
    });
    expect(editor.metadata?.annotations?.['iam.gke.io/gcp-service-account']).toBe(KF_USER);
    const quota = await k8s.core.readNamespacedResourceQuota({
      name: 'kf-resource-quota',
      namespace: 'liam-obrien',
    });
    expect(quota.spec?.hard).toMatchObject({ 'requests.nvidia.com/gpu': expect.any(String) });
  });

  it('carries a merge patch of a profile quota through to the live quota', async () => {
    // Prepare
    const { client } = k8s;

    // Act
    const patched = (await k8s.customObjects.patchClusterCustomObject(
      {
        ...PROFILES,
        name: 'team-nlp',
        body: { spec: { resourceQuotaSpec: { hard: { 'requests.nvidia.com/gpu': '3' } } } },
      },
      client.setHeaderOptions('Content-Type', client.PatchStrategy.MergePatch),
    )) as ProfileBody & { spec: { resourceQuotaSpec: { hard: Record<string, string> } } };

    // Assess
    const quota = await k8s.core.readNamespacedResourceQuota({
      name: 'kf-resource-quota',
      namespace: 'team-nlp',
    });
    expect(patched.spec.resourceQuotaSpec.hard['requests.nvidia.com/gpu']).toBe('3');
    expect(quota.spec?.hard).toEqual(patched.spec.resourceQuotaSpec.hard);
  });

  it('leaves the seeded quota drift alone when a patch changes nothing', async () => {
    // Prepare
    const { client } = k8s;
    const before = await getProfile('team-nlp');

    // Act
    const patched = (await k8s.customObjects.patchClusterCustomObject(
      {
        ...PROFILES,
        name: 'team-nlp',
        body: { spec: { resourceQuotaSpec: { hard: { 'requests.nvidia.com/gpu': '2' } } } },
      },
      client.setHeaderOptions('Content-Type', client.PatchStrategy.MergePatch),
    )) as ProfileBody;

    // Assess
    const quota = await k8s.core.readNamespacedResourceQuota({
      name: 'kf-resource-quota',
      namespace: 'team-nlp',
    });
    expect(patched.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(quota.spec?.hard?.['requests.nvidia.com/gpu']).toBe('1');
  });

  it('applies a JSON patch, client-node’s default patch type', async () => {
    // Act
    const patched = (await k8s.customObjects.patchClusterCustomObject({
      ...PROFILES,
      name: 'dev-patel',
      body: [{ op: 'add', path: '/metadata/labels/offboarding', value: 'pending' }],
    })) as ProfileBody & { metadata: { labels: Record<string, string> } };

    // Assess
    expect(patched.metadata.labels).toEqual({
      team: 'platform',
      'profile-type': 'personal',
      offboarding: 'pending',
    });
  });

  it('brings back the fixture state on a simulator reset', async () => {
    // Prepare
    await k8s.core.deleteNamespacedResourceQuota({ name: 'kf-resource-quota', namespace: 'team-nlp' });
    await k8s.core.createNamespace({ body: { metadata: { name: 'scratch' } } });

    // Act
    simulator.reset();

    // Assess
    const quota = await k8s.core.readNamespacedResourceQuota({
      name: 'kf-resource-quota',
      namespace: 'team-nlp',
    });
    expect(quota.spec?.hard?.['requests.nvidia.com/gpu']).toBe('1');
    expect((await expectFailure(k8s.core.readNamespace({ name: 'scratch' }))).code).toBe(404);
  });
});
