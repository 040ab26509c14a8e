import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import type { ServiceModule } from '../../../local/simulator/service';
import { placeholderPayload } from '../../../local/simulator/services/secret-manager-model';
import type { RunningSimulator } from '../../../local/simulator/simulator';
import { crc32c } from '../../../shared/gcp/crc32c';
import { ManualClock } from '../../../shared/time';
import { secretManagerClientFor, startSecretManagerSimulator } from '../../helpers/secret-manager-client';

/**
 * The simulator's Secret Manager API driven through @google-cloud/secret-manager 7 (gax 6, REST
 * fallback): the calls of a key rotation (ops-catalog §3.1), the state rules of api-contracts §5,
 * and keeping payloads out of the request log and of snapshots.
 */

const PROJECT = 'acme-ml-prod';
const NUMBER = '734118209551';
const PARENT = `projects/${PROJECT}`;
const START = '2026-03-02T19:00:00.000Z';

/** A secret by project id (as callers write it) and by number (as Google names it). */
const secretPath = (id: string): string => `${PARENT}/secrets/${id}`;
const secretName = (id: string): string => `projects/${NUMBER}/secrets/${id}`;
const versionName = (id: string, version: number | string): string => `${secretName(id)}/versions/${version}`;

/** A payload the way a rotation stores a new service-account key: bytes plus their CRC32C. */
const keyPayload = (text: string) => {
  const data = Buffer.from(text, 'utf8');
  return { data, dataCrc32c: crc32c(data) };
};

describe('simulator Secret Manager API', () => {
  const clock = new ManualClock(START);
  let simulator: RunningSimulator;
  let secretManager: ServiceModule;
  let endpoint: string;
  let client: SecretManagerServiceClient;

  /** Creates `id` with automatic replication. */
  const createSecret = async (id: string) => {
    const [secret] = await client.createSecret({
      parent: PARENT,
      secretId: id,
      secret: { replication: { automatic: {} }, labels: { consumer: 'ci' } },
    });
    return secret;
  };

  /** Adds a version carrying `text` to `id`; returns the new version. */
  const addVersion = async (id: string, text: string) => {
    const [version] = await client.addSecretVersion({ parent: secretPath(id), payload: keyPayload(text) });
    return version;
  };

  /** Accesses a version; returns its payload as text and its checksum as sent. */
  const access = async (id: string, version: number | string) => {
    const [response] = await client.accessSecretVersion({ name: `${secretPath(id)}/versions/${version}` });
    return {
      name: response.name,
      text: Buffer.from(response.payload?.data ?? '').toString('utf8'),
      dataCrc32c: String(response.payload?.dataCrc32c),
    };
  };

  beforeAll(async () => {
    ({ simulator, secretManager, endpoint } = await startSecretManagerSimulator({ clock }));
    client = secretManagerClientFor(endpoint);
  });

  beforeEach(() => {
    clock.set(START);
    simulator.reset();
    simulator.requestLog.clear();
  });

  afterAll(async () => {
    await client.close();
    await simulator.close();
  });

  it('lists the fixture secrets newest first, named by project number', async () => {
    // Act
    const [secrets] = await client.listSecrets({ parent: PARENT });

    // Assess
    expect(secrets.map((secret) => secret.name)).toEqual([
      secretName('metaflow-db-password'),
      secretName('argocd-private-key'),
      secretName('argocd-sso-client'),
      secretName('iap-oauth-credentials'),
      secretName('ci-terraform-key'),
    ]);
    expect(secrets[0]).toMatchObject({ replication: { automatic: {} }, labels: { consumer: 'metaflow' } });
  });

  it('returns one secret by project number, without the fixture-only x-sim field', async () => {
    // Act
    const [secret] = await client.getSecret({ name: secretName('ci-terraform-key') });
    const raw = (await (await fetch(`${endpoint}/v1/${secretPath('ci-terraform-key')}`)).json()) as object;

    // Assess
    expect(secret).toMatchObject({
      name: secretName('ci-terraform-key'),
      labels: { consumer: 'ci' },
      etag: '"16311c6a2b1a70"',
    });
    expect(raw).not.toHaveProperty('x-sim');
  });

  it('creates a secret and refuses the same id again with ALREADY_EXISTS', async () => {
    // Act
    const created = await createSecret('sa-metaflow-key');
    const again = createSecret('sa-metaflow-key');

    // Assess
    expect(created).toMatchObject({
      name: secretName('sa-metaflow-key'),
      replication: { automatic: {} },
      labels: { consumer: 'ci' },
      createTime: { seconds: String(Date.parse(START) / 1000) },
    });
    await expect(again).rejects.toMatchObject({
      code: 6,
      message: expect.stringContaining(`Secret [${secretName('sa-metaflow-key')}] already exists.`),
    });
  });

  it('numbers added versions from 1 and returns their payload and CRC32C on access', async () => {
    // Prepare
    await createSecret('sa-metaflow-key');

    // Act
    const first = await addVersion('sa-metaflow-key', '{"private_key_id":"k1"}');
    const second = await addVersion('sa-metaflow-key', '{"private_key_id":"k2"}');
    const byNumber = await access('sa-metaflow-key', 1);
    const latest = await access('sa-metaflow-key', 'latest');

    // Assess
    expect(first).toMatchObject({
      name: versionName('sa-metaflow-key', 1),
      state: 'ENABLED',
      clientSpecifiedPayloadChecksum: true,
      replicationStatus: { automatic: {} },
    });
    expect(first.etag).toMatch(/^"[0-9a-f]+"$/);
    expect(second.name).toBe(versionName('sa-metaflow-key', 2));
    expect(byNumber).toEqual({
      name: versionName('sa-metaflow-key', 1),
      text: '{"private_key_id":"k1"}',
      dataCrc32c: String(crc32c(Buffer.from('{"private_key_id":"k1"}'))),
    });
    expect(latest).toMatchObject({
      name: versionName('sa-metaflow-key', 2),
      text: '{"private_key_id":"k2"}',
    });
  });

  it('serves a deterministic placeholder payload for a fixture version', async () => {
    // Act
    const accessed = await access('metaflow-db-password', 1);

    // Assess
    const placeholder = placeholderPayload(versionName('metaflow-db-password', 1));
    expect(accessed).toEqual({
      name: versionName('metaflow-db-password', 1),
      text: placeholder.toString('utf8'),
      dataCrc32c: String(crc32c(placeholder)),
    });
  });

  it('refuses a payload whose CRC32C does not match with INVALID_ARGUMENT and adds no version', async () => {
    // Prepare
    const payload = keyPayload('new-password');

    // Act
    const refused = client.addSecretVersion({
      parent: secretPath('metaflow-db-password'),
      payload: { data: payload.data, dataCrc32c: (payload.dataCrc32c + 1) % 2 ** 32 },
    });

    // Assess
    await expect(refused).rejects.toMatchObject({
      code: 3,
      message: expect.stringContaining('Checksum mismatch'),
    });
    const [versions] = await client.listSecretVersions({ parent: secretPath('metaflow-db-password') });
    expect(versions.map((version) => version.name)).toEqual([versionName('metaflow-db-password', 1)]);
  });

  it('refuses a payload over 64 KiB with INVALID_ARGUMENT', async () => {
    // Act
    const refused = client.addSecretVersion({
      parent: secretPath('metaflow-db-password'),
      payload: { data: Buffer.alloc(64 * 1024 + 1, 1) },
    });

    // Assess
    await expect(refused).rejects.toMatchObject({ code: 3, message: expect.stringContaining('65536 bytes') });
  });

  it('lists versions newest first, pages them with a total size, and filters by state', async () => {
    // Prepare
    await addVersion('ci-terraform-key', 'key-3');
    await addVersion('ci-terraform-key', 'key-4');
    await client.disableSecretVersion({ name: versionName('ci-terraform-key', 3) });

    // Act
    const [firstPage, nextRequest, firstResponse] = await client.listSecretVersions(
      { parent: secretPath('ci-terraform-key'), pageSize: 3 },
      { autoPaginate: false },
    );
    const [secondPage, , secondResponse] = await client.listSecretVersions(
      { parent: secretPath('ci-terraform-key'), pageSize: 3, pageToken: nextRequest?.pageToken ?? '' },
      { autoPaginate: false },
    );
    const [enabled, , enabledResponse] = await client.listSecretVersions(
      { parent: secretPath('ci-terraform-key'), filter: 'state:ENABLED' },
      { autoPaginate: false },
    );

    // Assess
    expect(firstPage.map((version) => [version.name, version.state])).toEqual([
      [versionName('ci-terraform-key', 4), 'ENABLED'],
      [versionName('ci-terraform-key', 3), 'DISABLED'],
      [versionName('ci-terraform-key', 2), 'ENABLED'],
    ]);
    expect(firstResponse).toMatchObject({ totalSize: 4, nextPageToken: expect.any(String) });
    expect(secondPage.map((version) => version.name)).toEqual([versionName('ci-terraform-key', 1)]);
    expect(secondResponse?.nextPageToken).toBeFalsy();
    expect(enabled.map((version) => version.name)).toEqual(
      [4, 2, 1].map((n) => versionName('ci-terraform-key', n)),
    );
    // Discovery: totalSize is 0 whenever a filter is set.
    expect(enabledResponse?.totalSize ?? 0).toBe(0);
  });

  it('gets a version, resolving latest to the newest version number', async () => {
    // Act
    const [latest] = await client.getSecretVersion({
      name: `${secretPath('argocd-sso-client')}/versions/latest`,
    });
    const [first] = await client.getSecretVersion({ name: versionName('argocd-sso-client', 1) });

    // Assess
    expect(latest).toMatchObject({ name: versionName('argocd-sso-client', 2), state: 'ENABLED' });
    expect(first).toMatchObject({ name: versionName('argocd-sso-client', 1), state: 'DISABLED' });
  });

  it('refuses access to a disabled version with FAILED_PRECONDITION', async () => {
    // Act
    const refused = access('argocd-sso-client', 1);

    // Assess
    await expect(refused).rejects.toMatchObject({
      code: 9,
      message: expect.stringContaining(
        `Secret Version [${versionName('argocd-sso-client', 1)}] is in DISABLED state.`,
      ),
    });
  });

  it('refuses latest when the newest version is disabled, even though an older one is enabled', async () => {
    // Prepare
    await client.disableSecretVersion({ name: versionName('ci-terraform-key', 2) });

    // Act
    const refused = access('ci-terraform-key', 'latest');

    // Assess
    await expect(refused).rejects.toMatchObject({
      code: 9,
      message: expect.stringContaining(
        `Secret Version [${versionName('ci-terraform-key', 2)}] is in DISABLED state.`,
      ),
    });
    await expect(access('ci-terraform-key', 1)).resolves.toMatchObject({
      name: versionName('ci-terraform-key', 1),
    });
  });

  it('destroys a version for good: payload gone, destroyTime set, access, enable and disable refused', async () => {
    // Prepare
    clock.advance(60_000);

    // Act
    const [destroyed] = await client.destroySecretVersion({ name: versionName('iap-oauth-credentials', 1) });
    const refusals = await Promise.allSettled([
      access('iap-oauth-credentials', 1),
      client.enableSecretVersion({ name: versionName('iap-oauth-credentials', 1) }),
      client.disableSecretVersion({ name: versionName('iap-oauth-credentials', 1) }),
    ]);

    // Assess
    expect(destroyed).toMatchObject({
      name: versionName('iap-oauth-credentials', 1),
      state: 'DESTROYED',
      destroyTime: { seconds: String(Date.parse(START) / 1000 + 60) },
    });
    expect(refusals).toEqual(
      Array(3).fill({
        status: 'rejected',
        reason: expect.objectContaining({
          code: 9,
          message: expect.stringContaining(
            `Secret Version [${versionName('iap-oauth-credentials', 1)}] is in DESTROYED state.`,
          ),
        }),
      }),
    );
    const [after] = await client.getSecretVersion({ name: versionName('iap-oauth-credentials', 1) });
    expect(after.state).toBe('DESTROYED');
  });

  it('disables and enables a version, changing its etag and refusing a stale one with ABORTED', async () => {
    // Prepare
    const [before] = await client.getSecretVersion({ name: versionName('argocd-private-key', 1) });

    // Act
    const [disabled] = await client.disableSecretVersion({
      name: versionName('argocd-private-key', 1),
      etag: before.etag ?? '',
    });
    const stale = await client
      .enableSecretVersion({ name: versionName('argocd-private-key', 1), etag: before.etag ?? '' })
      .catch((error: unknown) => error);
    const [enabled] = await client.enableSecretVersion({ name: versionName('argocd-private-key', 1) });

    // Assess
    expect(disabled.state).toBe('DISABLED');
    expect(disabled.etag).not.toBe(before.etag);
    expect(stale).toMatchObject({ code: 10, message: expect.stringContaining('etag') });
    expect(enabled.state).toBe('ENABLED');
    expect(enabled.etag).not.toBe(disabled.etag);
    await expect(access('argocd-private-key', 1)).resolves.toMatchObject({
      name: versionName('argocd-private-key', 1),
    });
  });

  it('answers NOT_FOUND for an unknown secret or version and PERMISSION_DENIED for another project', async () => {
    // Act
    const missingSecret = client.getSecret({ name: secretPath('nope') });
    const missingVersion = client.getSecretVersion({ name: versionName('ci-terraform-key', 9) });
    const otherProject = client.listSecrets({ parent: 'projects/someone-else' });

    // Assess
    await expect(missingSecret).rejects.toMatchObject({
      code: 5,
      message: expect.stringContaining(`Secret [${secretName('nope')}] not found.`),
    });
    await expect(missingVersion).rejects.toMatchObject({
      code: 5,
      message: expect.stringContaining(`Secret Version [${versionName('ci-terraform-key', 9)}] not found.`),
    });
    await expect(otherProject).rejects.toMatchObject({ code: 7 });
  });

  it('keeps payloads out of the state dump, and redacts the addVersion body as the log records it', async () => {
    // Prepare
    const secretText = 'private-key-material-0123456789';
    const encoded = Buffer.from(secretText).toString('base64');

    // Act
    await addVersion('ci-terraform-key', secretText);
    const dump = await (await fetch(`${endpoint}/_sim/state`)).text();
    const logged = simulator.requestLog
      .entries()
      .find((entry) => entry.route === 'secretmanager.projects.secrets.addVersion');

    // Assess
    expect(dump).not.toContain(secretText);
    expect(dump).not.toContain(encoded);
    // The core records the body through the route's redactLogBody (redactSecretPayloads).
    expect(logged?.body).toEqual({
      payload: { data: `[REDACTED] ${secretText.length} bytes`, dataCrc32c: '[REDACTED]' },
    });
    expect(JSON.stringify(simulator.requestLog.snapshot())).not.toContain(encoded);
  });

  it('counts requests per discovery method in the request log', async () => {
    // Prepare
    await access('ci-terraform-key', 'latest');
    await access('ci-terraform-key', 1);
    await client.getSecret({ name: secretPath('ci-terraform-key') });

    // Act
    const counts = simulator.requestLog.counts();

    // Assess
    expect(counts).toEqual({
      'GET secretmanager.projects.secrets.versions.access': 2,
      'GET secretmanager.projects.secrets.get': 1,
    });
  });

  it('goes back to the fixture on reset', async () => {
    // Prepare
    await createSecret('sa-metaflow-key');
    await client.destroySecretVersion({ name: versionName('metaflow-db-password', 1) });

    // Act
    const response = await fetch(`${endpoint}/_sim/reset`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(200);
    await expect(client.getSecret({ name: secretPath('sa-metaflow-key') })).rejects.toMatchObject({
      code: 5,
    });
    await expect(access('metaflow-db-password', 1)).resolves.toMatchObject({
      name: versionName('metaflow-db-password', 1),
    });
  });

  it('restores a snapshot taken earlier, payloads included, without payloads in the snapshot', async () => {
    // Prepare
    await createSecret('sa-metaflow-key');
    await addVersion('sa-metaflow-key', 'rotated-key-v1');
    const snapshot = JSON.parse(JSON.stringify(secretManager.snapshot?.())) as unknown;
    await client.destroySecretVersion({ name: versionName('sa-metaflow-key', 1) });
    await addVersion('ci-terraform-key', 'not-in-the-snapshot');

    // Act
    secretManager.restore?.(snapshot);

    // Assess
    expect(JSON.stringify(snapshot)).not.toContain(Buffer.from('rotated-key-v1').toString('base64'));
    expect(JSON.stringify(snapshot)).not.toContain('rotated-key-v1');
    await expect(access('sa-metaflow-key', 1)).resolves.toMatchObject({ text: 'rotated-key-v1' });
    const [versions] = await client.listSecretVersions({ parent: secretPath('ci-terraform-key') });
    expect(versions).toHaveLength(2);
  });
});
