import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  defaultFixturePath,
  loadFixture,
  type RunningSimulator,
  startSimulator,
} from '../../../local/simulator/simulator';
import { GcpError, NotFoundError } from '../../../shared/errors';
import { createKubeflowApi, type KubeflowApi, ProfileConflictError } from '../../../shared/gcp/kubeflow-api';
import { type KubernetesClients, kubernetesClientsFor } from '../../helpers/kubernetes-client';

/**
 * KubeflowApi driven through @kubernetes/client-node v2 against the simulator's Kubernetes API,
 * whose profile controller makes namespaces, ServiceAccounts and quotas as the real one does.
 *
 * Under jest the clients come from the test helper, which loads the ESM-only package the way jest's
 * sandbox allows; production wiring (kubeflow-clients.ts, a plain `require` on Node 22) is run in a
 * child process at the end, outside the sandbox.
 */

const KF_USER = 'acme-kf-user@acme-ml-prod.iam.gserviceaccount.com';
const REPO_ROOT = resolve(__dirname, '..', '..', '..');

describe('KubeflowApi against the simulator', () => {
  let simulator: RunningSimulator;
  let k8s: KubernetesClients;
  let kubeflow: KubeflowApi;

  beforeAll(async () => {
    simulator = await startSimulator({ fixture: loadFixture(defaultFixturePath()), timeScale: 0 });
    k8s = await kubernetesClientsFor(simulator.endpoints.kubernetes as string);
    kubeflow = createKubeflowApi(() => k8s);
  });

  beforeEach(() => {
    simulator.reset();
    simulator.requestLog.clear();
  });

  afterAll(async () => {
    await simulator.close();
  });

  it('creates a profile whose namespace and default-editor carry owner and workload identity', async () => {
    // Prepare
    const input = {
      name: 'nina-berg',
      ownerEmail: 'nina.berg@acme.ai',
      gcpServiceAccount: KF_USER,
      resourceQuotaSpec: { hard: { 'requests.cpu': '8', 'requests.nvidia.com/gpu': '1' } },
      labels: { team: 'vision', 'profile-type': 'personal' },
    };

    // Act
    const result = await kubeflow.createProfile(input);
    const profile = await kubeflow.getProfile('nina-berg');
    const namespace = await kubeflow.getNamespace('nina-berg');
    const editor = await kubeflow.getServiceAccount('nina-berg', 'default-editor');

    // Assess
    expect(result.created).toBe(true);
    expect(profile).toMatchObject({
      name: 'nina-berg',
      ownerEmail: 'nina.berg@acme.ai',
      gcpServiceAccount: KF_USER,
      resourceQuotaHard: input.resourceQuotaSpec.hard,
      labels: input.labels,
      state: 'ready',
    });
    expect(namespace).toMatchObject({ name: 'nina-berg', ownerEmail: 'nina.berg@acme.ai', phase: 'Active' });
    expect(editor).toEqual({ namespace: 'nina-berg', name: 'default-editor', gcpServiceAccount: KF_USER });
  });

  it('treats creating the same profile for the same owner again as success', async () => {
    // Prepare
    const input = { name: 'nina-berg', ownerEmail: 'nina.berg@acme.ai', gcpServiceAccount: KF_USER };
    await kubeflow.createProfile(input);

    // Act
    const again = await kubeflow.createProfile({ ...input, ownerEmail: 'Nina.Berg@acme.ai' });

    // Assess
    expect(again.created).toBe(false);
    expect(again.profile).toMatchObject({
      name: 'nina-berg',
      ownerEmail: 'nina.berg@acme.ai',
      state: 'ready',
    });
    expect(simulator.requestLog.count('POST k8s.profiles.create')).toBe(2);
  });

  it('refuses a profile name another owner holds with a non-retryable conflict', async () => {
    // Prepare: maria-chen is a fixture profile owned by maria.chen@acme.ai.
    const input = { name: 'maria-chen', ownerEmail: 'mallory@acme.ai' };

    // Act
    const failure = await kubeflow.createProfile(input).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(ProfileConflictError);
    expect(failure).toMatchObject({
      code: 'GCP_REJECTED',
      retryable: false,
      ownerEmail: 'maria.chen@acme.ai',
    });
    expect((failure as Error).message).toBe(
      'profile maria-chen already exists and is owned by maria.chen@acme.ai, not mallory@acme.ai',
    );
    expect((await kubeflow.getProfile('maria-chen')).ownerEmail).toBe('maria.chen@acme.ai');
  });

  it('lists the fixture profiles with their owners', async () => {
    // Act
    const profiles = await kubeflow.listProfiles();

    // Assess
    expect(profiles.map((profile) => profile.name)).toEqual(
      expect.arrayContaining(['maria-chen', 'dev-patel', 'team-vision']),
    );
    expect(profiles.find((profile) => profile.name === 'team-vision')).toMatchObject({
      ownerEmail: 'james.okafor@acme.ai',
      gcpServiceAccount: KF_USER,
      state: 'ready',
    });
  });

  it('adds, lists and removes a contributor by the kfam binding name', async () => {
    // Prepare
    const email = 'nina.berg@acme.ai';

    // Act
    const added = await kubeflow.addContributor('team-vision', email, 'view');
    const addedAgain = await kubeflow.addContributor('team-vision', email, 'view');
    const listed = await kubeflow.listContributorBindings(email);
    const removed = await kubeflow.removeContributor('team-vision', email);
    const afterRemoval = await kubeflow.listContributorBindings(email);

    // Assess
    expect(added).toEqual({ created: true });
    expect(addedAgain).toEqual({ created: false });
    expect(listed).toEqual([
      {
        namespace: 'team-vision',
        name: 'user-nina-berg-acme-ai-clusterrole-view',
        email,
        role: 'view',
        managedByProfile: false,
      },
    ]);
    expect(removed).toEqual({ removed: ['user-nina-berg-acme-ai-clusterrole-view'] });
    expect(afterRemoval).toEqual([]);
  });

  it('writes the RoleBinding as kfam does: annotations, roleRef and subject', async () => {
    // Act
    await kubeflow.addContributor('team-vision', 'nina.berg@acme.ai', 'edit');
    const binding = await k8s.rbac.readNamespacedRoleBinding({
      namespace: 'team-vision',
      name: 'user-nina-berg-acme-ai-clusterrole-edit',
    });

    // Assess
    expect(binding.metadata?.annotations).toEqual({ user: 'nina.berg@acme.ai', role: 'edit' });
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'kubeflow-edit',
    });
    expect(binding.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'nina.berg@acme.ai' },
    ]);
  });

  it("finds a fixture user's contributor bindings and the owner binding the controller manages", async () => {
    // Act
    const bindings = await kubeflow.listContributorBindings('lena.muller@acme.ai');

    // Assess
    expect(bindings).toContainEqual({
      namespace: 'team-vision',
      name: 'user-lena-muller-acme-ai-clusterrole-edit',
      email: 'lena.muller@acme.ai',
      role: 'edit',
      managedByProfile: false,
    });
    expect(bindings).toContainEqual(
      expect.objectContaining({ namespace: 'lena-muller', name: 'namespaceAdmin', managedByProfile: true }),
    );
  });

  it('answers NotFoundError when adding a contributor to a namespace that does not exist', async () => {
    // Act
    const failure = kubeflow.addContributor('no-such-team', 'nina.berg@acme.ai', 'edit');

    // Assess
    await expect(failure).rejects.toBeInstanceOf(NotFoundError);
    await expect(failure).rejects.toThrow('namespace no-such-team does not exist');
  });

  it('deletes a profile together with its namespace, and treats an absent profile as deleted', async () => {
    // Prepare
    await kubeflow.createProfile({
      name: 'nina-berg',
      ownerEmail: 'nina.berg@acme.ai',
      gcpServiceAccount: KF_USER,
    });

    // Act
    const first = await kubeflow.deleteProfile('nina-berg');
    const second = await kubeflow.deleteProfile('nina-berg');

    // Assess
    expect(first).toEqual({ existed: true });
    expect(second).toEqual({ existed: false });
    await expect(kubeflow.getProfile('nina-berg')).rejects.toBeInstanceOf(NotFoundError);
    await expect(kubeflow.getNamespace('nina-berg')).rejects.toThrow('namespace nina-berg does not exist');
  });

  it('surfaces a 503 from the API server as a retryable error', async () => {
    // Prepare
    simulator.faults.inject({ route: 'k8s.profiles.get', sequence: [503] });

    // Act
    const failure = await kubeflow.getProfile('maria-chen').catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(GcpError);
    expect(failure).toMatchObject({ code: 'GCP_UNAVAILABLE', retryable: true, httpStatus: 503 });
  });

  it('works through createKubeflowClient in plain Node, as production loads client-node', async () => {
    // Prepare: a child Node (outside jest's sandbox) with tsx compiling the production modules.
    const script = `
      const { createKubeflowApi } = require('./shared/gcp/kubeflow-api');
      const { createKubeflowClient, kubeConfigOptions } = require('./shared/gcp/kubeflow-clients');
      const refused = (() => {
        try { kubeConfigOptions({ server: 'http://10.0.0.2' }); return 'accepted'; }
        catch (error) { return error.code; }
      })();
      const gke = kubeConfigOptions({ server: 'https://10.0.0.2', caCertificate: '-----BEGIN CERTIFICATE-----' });
      const api = createKubeflowApi(createKubeflowClient({ server: process.argv[1], token: 'local' }));
      api.getProfile('team-vision').then(
        (profile) => console.log(JSON.stringify({ profile, refused, gke: gke.clusters[0] })),
        (error) => { console.error(error); process.exit(1); },
      );
    `;
    const env = { ...process.env, NODE_OPTIONS: '' };

    // Act
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '-e', script, simulator.endpoints.kubernetes as string],
      { cwd: REPO_ROOT, env, timeout: 60_000 },
    );

    // Assess
    const answer = JSON.parse(stdout);
    expect(answer.profile).toMatchObject({ name: 'team-vision', ownerEmail: 'james.okafor@acme.ai' });
    expect(simulator.requestLog.count('GET k8s.profiles.get')).toBe(1);
    expect(answer.refused).toBe('CONFIG_ERROR');
    expect(answer.gke).toEqual({
      name: 'cluster',
      server: 'https://10.0.0.2',
      skipTLSVerify: false,
      caData: Buffer.from('-----BEGIN CERTIFICATE-----').toString('base64'),
    });
  });
});
