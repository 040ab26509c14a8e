import { defaultFixturePath, loadFixture } from '../../../local/simulator/fixture';
import { parseKubernetesFixture } from '../../../local/simulator/services/kubernetes-fixture';
import { listStored } from '../../../local/simulator/services/kubernetes-model';

const FIXTURE = loadFixture(defaultFixturePath());

describe('kubernetes-fixture', () => {
  it('seeds every fixture profile with the namespace, accounts and bindings its controller made', () => {
    // Act
    const seed = parseKubernetesFixture(FIXTURE);

    // Assess
    const { state } = seed;
    expect(listStored(state, 'profiles')).toHaveLength(12);
    const namespace = listStored(state, 'namespaces').find(
      (candidate) => candidate.metadata.name === 'maria-chen',
    );
    expect(namespace?.metadata.annotations).toEqual({ owner: 'maria.chen@acme.ai' });
    expect(
      listStored(state, 'serviceaccounts', 'maria-chen').map((account) => account.metadata.name),
    ).toEqual(['default', 'default-editor', 'default-viewer']);
    expect(listStored(state, 'rolebindings', 'team-vision').map((binding) => binding.metadata.name)).toEqual([
      'default-editor',
      'default-viewer',
      'namespaceAdmin',
      'user-lena-muller-acme-ai-clusterrole-edit',
      'user-liam-obrien-acme-ai-clusterrole-edit',
      'user-maria-chen-acme-ai-clusterrole-view',
    ]);
    expect(seed.projectId).toBe('acme-ml-prod');
    expect(seed.defaultGcpServiceAccount).toBe('acme-kf-user@acme-ml-prod.iam.gserviceaccount.com');
  });

  it('keeps the fixture quotas as they are live, drift included', () => {
    // Act
    const { state } = parseKubernetesFixture(FIXTURE);

    // Assess
    const quota = listStored(state, 'resourcequotas', 'team-nlp')[0];
    const profile = listStored(state, 'profiles').find((candidate) => candidate.metadata.name === 'team-nlp');
    expect(quota?.spec).toMatchObject({ hard: { 'requests.nvidia.com/gpu': '1' } });
    expect(profile?.spec).toMatchObject({ resourceQuotaSpec: { hard: { 'requests.nvidia.com/gpu': '2' } } });
    expect(quota?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Profile', name: 'team-nlp' });
  });

  it('seeds the system namespaces and every namespace the fixture refers to', () => {
    // Act
    const { state } = parseKubernetesFixture(FIXTURE);

    // Assess
    const names = listStored(state, 'namespaces').map((namespace) => namespace.metadata.name);
    expect(names).toEqual(
      expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease', 'kubeflow']),
    );
    expect(names).toHaveLength(17);
  });

  it('gives the same uids and resourceVersions on every parse', () => {
    // Act
    const [first, second] = [parseKubernetesFixture(FIXTURE), parseKubernetesFixture(FIXTURE)];

    // Assess
    expect(second.state).toEqual(first.state);
  });

  it('names the invalid path of a broken kubernetes block', () => {
    // Prepare
    const broken = structuredClone(FIXTURE) as {
      kubernetes: { kubeflow: { profiles: Array<{ spec: { owner: { name?: unknown } } }> } };
    };
    const [first] = broken.kubernetes.kubeflow.profiles;
    if (first) first.spec.owner.name = 42;

    // Act
    const parse = (): unknown => parseKubernetesFixture(broken);

    // Assess
    expect(parse).toThrow(
      /Invalid kubernetes fixture[\s\S]*kubernetes\.kubeflow\.profiles\[0\]\.spec\.owner\.name/,
    );
  });
});
