import { inspect } from 'node:util';
import {
  defaultFixturePath,
  loadFixture,
  type RunningSimulator,
  startSimulator,
} from '../../../local/simulator/simulator';
import { GcpError, NotFoundError } from '../../../shared/errors';
import { secretMaterial } from '../../../shared/gcp/secret-material';
import {
  createSecretsApi,
  type SecretsApi,
  SecretVersionStateError,
  secretName,
} from '../../../shared/gcp/secrets-api';
import { createSecretsClient } from '../../../shared/gcp/secrets-clients';

/**
 * SecretsApi through the production Secret Manager client (gax 6, REST) against the platform
 * simulator seeded from the acme-ml-prod fixture.
 */

const PROJECT = 'acme-ml-prod';
const PROJECT_NUMBER = '734118209551';
/** Looks like a service-account key; distinctive enough to search the request log for. */
const KEY_JSON = '{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\\nMIIEfake0xC0FFEE"}';

describe('SecretsApi against the simulator', () => {
  let simulator: RunningSimulator;
  let secrets: SecretsApi;

  beforeAll(async () => {
    simulator = await startSimulator({ fixture: loadFixture(defaultFixturePath()), timeScale: 0 });
    secrets = createSecretsApi(createSecretsClient(simulator.endpoints.secretmanager));
  });

  beforeEach(() => {
    simulator.reset();
    simulator.requestLog.clear();
  });

  afterAll(async () => {
    await simulator.close();
  });

  it('creates a secret once and reports the second ensure as already there', async () => {
    // Prepare
    const labels = { consumer: 'metaflow', rotation: 'sa-key' };

    // Act
    const first = await secrets.ensureSecret(PROJECT, 'metaflow-sa-key', labels);
    const second = await secrets.ensureSecret(PROJECT, 'metaflow-sa-key', { consumer: 'other' });

    // Assess
    expect(first).toEqual({
      created: true,
      secret: expect.objectContaining({ secretId: 'metaflow-sa-key', labels }),
    });
    expect(second.created).toBe(false);
    expect(second.secret.labels).toEqual(labels);
    expect(simulator.requestLog.count('POST secretmanager.projects.secrets.create')).toBe(1);
  });

  it('stores material whose bytes come back only through reveal()', async () => {
    // Prepare
    await secrets.ensureSecret(PROJECT, 'ci-sa-key', {});
    const name = secretName(PROJECT, 'ci-sa-key');

    // Act
    const added = await secrets.addVersion(name, secretMaterial(Buffer.from(KEY_JSON)));
    const material = await secrets.accessVersion(added.name);

    // Assess
    expect(added).toMatchObject({
      name: `projects/${PROJECT_NUMBER}/secrets/ci-sa-key/versions/1`,
      version: 1,
      state: 'ENABLED',
      clientChecksum: true,
    });
    expect(material.reveal().toString('utf8')).toBe(KEY_JSON);
    expect(JSON.stringify({ material })).toBe('{"material":"[redacted key material]"}');
    expect(String(material)).toBe('[redacted key material]');
    expect(`${material}`).toBe('[redacted key material]');
    expect(inspect({ material }, { depth: 5, showHidden: true })).not.toContain('MIIE');
  });

  it('leaves the key material out of the request log', async () => {
    // Prepare
    await secrets.ensureSecret(PROJECT, 'ci-sa-key', {});
    const name = secretName(PROJECT, 'ci-sa-key');

    // Act
    await secrets.addVersion(name, secretMaterial(Buffer.from(KEY_JSON)));
    await secrets.accessVersion(`${name}/versions/latest`);

    // Assess
    const logged = JSON.stringify(simulator.requestLog.entries());
    expect(simulator.requestLog.count('POST secretmanager.projects.secrets.addVersion')).toBe(1);
    expect(logged).not.toContain('MIIE');
    expect(logged).not.toContain(Buffer.from(KEY_JSON).toString('base64'));
  });

  it('lists versions newest first with their states', async () => {
    // Prepare
    const name = secretName(PROJECT, 'argocd-sso-client');

    // Act
    await secrets.addVersion(name, secretMaterial(Buffer.from('client-secret-3')));
    const versions = await secrets.listVersions(name);

    // Assess
    expect(versions.map(({ version, state }) => ({ version, state }))).toEqual([
      { version: 3, state: 'ENABLED' },
      { version: 2, state: 'ENABLED' },
      { version: 1, state: 'DISABLED' },
    ]);
    expect(versions[2]?.createTime).toBe('2024-09-12T11:02:00.000Z');
  });

  it('refuses access to a disabled version with an error naming the version and its state', async () => {
    // Prepare
    const name = secretName(PROJECT, 'metaflow-db-password');
    const disabled = await secrets.disableVersion(`${name}/versions/1`);

    // Act
    const failure = await secrets.accessVersion(`${name}/versions/1`).catch((error: unknown) => error);

    // Assess
    expect(disabled.state).toBe('DISABLED');
    expect(failure).toBeInstanceOf(SecretVersionStateError);
    expect(failure).toMatchObject({
      code: 'GCP_REJECTED',
      retryable: false,
      state: 'DISABLED',
      versionName: `projects/${PROJECT_NUMBER}/secrets/metaflow-db-password/versions/1`,
    });
    expect((failure as Error).message).toMatch(/versions\/1 is DISABLED/);
  });

  it('serves a version again once it is enabled', async () => {
    // Prepare
    const name = secretName(PROJECT, 'rotated');
    await secrets.ensureSecret(PROJECT, 'rotated', {});
    const added = await secrets.addVersion(name, secretMaterial(Buffer.from('pw-1')));
    await secrets.disableVersion(added.name);

    // Act
    const enabled = await secrets.enableVersion(added.name);
    const material = await secrets.accessVersion(added.name);

    // Assess
    expect(enabled.state).toBe('ENABLED');
    expect(material.reveal().toString()).toBe('pw-1');
  });

  it('reports a destroyed version as DESTROYED when it is accessed', async () => {
    // Prepare
    const name = secretName(PROJECT, 'ci-terraform-key');
    const destroyed = await secrets.destroyVersion(`${name}/versions/1`);

    // Act
    const failure = await secrets.accessVersion(`${name}/versions/1`).catch((error: unknown) => error);

    // Assess
    expect(destroyed.state).toBe('DESTROYED');
    expect(failure).toMatchObject({ name: 'SecretVersionStateError', state: 'DESTROYED', retryable: false });
  });

  it('answers NotFoundError for a secret that does not exist', async () => {
    // Prepare
    const name = secretName(PROJECT, 'no-such-secret');

    // Act
    const read = secrets.getSecret(name);
    const add = secrets.addVersion(name, secretMaterial(Buffer.from('x')));

    // Assess
    await expect(read).rejects.toBeInstanceOf(NotFoundError);
    await expect(add).rejects.toThrow(`secret ${name} does not exist`);
  });

  it('surfaces a 503 on addVersion as a retryable error', async () => {
    // Prepare
    // addVersion is not idempotent, so gax makes one attempt: the 503 reaches the adapter as is.
    simulator.faults.inject({ route: 'secretmanager.projects.secrets.addVersion', sequence: [503] });
    const name = secretName(PROJECT, 'iap-oauth-credentials');

    // Act
    const failure = await secrets
      .addVersion(name, secretMaterial(Buffer.from(KEY_JSON)))
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(GcpError);
    expect(failure).toMatchObject({ code: 'GCP_UNAVAILABLE', retryable: true });
    expect((failure as Error).message).not.toContain('MIIE');
  });
});
