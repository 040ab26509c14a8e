import { defaultFixturePath, loadFixture } from '../../../local/simulator/fixture';
import {
  copyState,
  etagAt,
  nextEtag,
  parseSecretManagerFixture,
  placeholderPayload,
  restoreState,
  SNAPSHOT_FORMAT,
  snapshotState,
} from '../../../local/simulator/services/secret-manager-model';
import { createPayloadSealer } from '../../../local/simulator/services/secret-manager-sealing';

const NUMBER = '734118209551';
const PROJECT = { projectId: 'acme-ml-prod', projectNumber: NUMBER };

/** The shared fixture, with `secretManager.secrets` replaced. */
const fixtureWith = (secrets: unknown[]): unknown => ({
  ...(loadFixture(defaultFixturePath()) as object),
  secretManager: { secrets },
});

const secret = (name: string, versions: unknown[]) => ({
  name,
  replication: { automatic: {} },
  createTime: '2024-09-12T10:50:00Z',
  'x-sim': { versions },
});

describe('secret-manager-model', () => {
  it('seeds the fixture secrets, named by project number, without x-sim, versions oldest first', () => {
    // Act
    const seed = parseSecretManagerFixture(loadFixture(defaultFixturePath()));

    // Assess
    expect(seed.project).toEqual(PROJECT);
    expect(seed.state.secrets.map((record) => record.id)).toEqual([
      'iap-oauth-credentials',
      'argocd-sso-client',
      'argocd-private-key',
      'metaflow-db-password',
      'ci-terraform-key',
    ]);
    const sso = seed.state.secrets[1];
    expect(sso?.resource).not.toHaveProperty('x-sim');
    expect(sso?.resource).toMatchObject({
      name: `projects/${NUMBER}/secrets/argocd-sso-client`,
      etag: '"16311c6a2b1a70"',
    });
    expect(sso?.versions.map((version) => [version.number, version.resource.state])).toEqual([
      [1, 'DISABLED'],
      [2, 'ENABLED'],
    ]);
    expect(sso?.versions[1]?.resource).toEqual({
      name: `projects/${NUMBER}/secrets/argocd-sso-client/versions/2`,
      createTime: '2025-01-15T09:00:00Z',
      state: 'ENABLED',
      replicationStatus: { automatic: {} },
      etag: etagAt(new Date('2025-01-15T09:00:00Z')),
    });
  });

  it('gives every seeded version that is not destroyed its placeholder payload', () => {
    // Prepare
    const fixture = fixtureWith([
      secret('projects/acme-ml-prod/secrets/s', [
        {
          name: 'projects/acme-ml-prod/secrets/s/versions/2',
          createTime: '2025-01-01T00:00:00Z',
          state: 'ENABLED',
        },
        {
          name: 'projects/acme-ml-prod/secrets/s/versions/1',
          createTime: '2024-01-01T00:00:00Z',
          state: 'DESTROYED',
          destroyTime: '2024-06-01T00:00:00Z',
        },
      ]),
    ]);

    // Act
    const [record] = parseSecretManagerFixture(fixture).state.secrets;

    // Assess
    expect(record?.versions.map((version) => version.number)).toEqual([1, 2]);
    expect(record?.versions[0]?.payload).toBeUndefined();
    expect(record?.versions[0]?.resource.destroyTime).toBe('2024-06-01T00:00:00Z');
    expect(record?.versions[1]?.payload).toEqual(
      placeholderPayload(`projects/${NUMBER}/secrets/s/versions/2`),
    );
  });

  it('names the offending path of an invalid fixture', () => {
    // Prepare
    const badState = fixtureWith([
      secret(`projects/${NUMBER}/secrets/s`, [
        {
          name: `projects/${NUMBER}/secrets/s/versions/1`,
          createTime: '2024-01-01T00:00:00Z',
          state: 'GONE',
        },
      ]),
    ]);

    // Act
    const parse = () => parseSecretManagerFixture(badState);

    // Assess
    expect(parse).toThrow(
      /Invalid Secret Manager fixture[\s\S]*secretManager\.secrets\[0\]\["x-sim"\]\.versions\[0\]\.state/,
    );
  });

  it('refuses secrets of another project, versions of another secret, repeats and a destroyed version without destroyTime', () => {
    // Prepare
    const fixture = fixtureWith([
      secret('projects/other/secrets/a', []),
      secret(`projects/${NUMBER}/secrets/b`, [
        {
          name: `projects/${NUMBER}/secrets/a/versions/1`,
          createTime: '2024-01-01T00:00:00Z',
          state: 'ENABLED',
        },
        {
          name: `projects/${NUMBER}/secrets/b/versions/2`,
          createTime: '2024-01-01T00:00:00Z',
          state: 'DESTROYED',
        },
        {
          name: `projects/${NUMBER}/secrets/b/versions/2`,
          createTime: '2024-01-01T00:00:00Z',
          state: 'ENABLED',
        },
      ]),
    ]);

    // Act
    const parse = () => parseSecretManagerFixture(fixture);

    // Assess
    expect(parse).toThrow(
      /secret is not in project 734118209551\n {2}→ at secretManager\.secrets\[0\]\.name/,
    );
    expect(parse).toThrow(
      /version is not a version of .*\n {2}→ at secretManager\.secrets\[1\]\["x-sim"\]\.versions\[0\]\.name/,
    );
    expect(parse).toThrow(/destroyTime is required on, and only on, DESTROYED/);
    expect(parse).toThrow(/version 2 appears twice/);
  });

  it('moves an etag forward even when the clock has not moved', () => {
    // Prepare
    const now = new Date('2026-03-02T19:00:00Z');
    const first = etagAt(now);

    // Act
    const second = nextEtag(first, now);
    const third = nextEtag(second, new Date(now.getTime() + 1));

    // Assess
    expect(first).toBe(`"${(BigInt(now.getTime()) * 1000n).toString(16)}"`);
    expect(second).toBe(`"${(BigInt(now.getTime()) * 1000n + 1n).toString(16)}"`);
    expect(third).toBe(`"${(BigInt(now.getTime() + 1) * 1000n).toString(16)}"`);
  });

  it('snapshots to JSON with payloads sealed, and restores the same state from it', () => {
    // Prepare
    const seed = parseSecretManagerFixture(loadFixture(defaultFixturePath()));
    const sealer = createPayloadSealer(Buffer.alloc(32, 1));
    const placeholder = placeholderPayload(`projects/${NUMBER}/secrets/ci-terraform-key/versions/1`);

    // Act
    const text = JSON.stringify(snapshotState(seed.state, sealer));
    const restored = restoreState(seed.project, JSON.parse(text), sealer);

    // Assess
    expect(JSON.parse(text)).toMatchObject({ format: SNAPSHOT_FORMAT, payloadProtection: 'aes-256-gcm' });
    expect(text).not.toContain(placeholder.toString('utf8'));
    expect(text).not.toContain(placeholder.toString('base64'));
    expect(restored).toEqual(copyState(seed.state));
  });

  it('refuses a snapshot sealed under another key', () => {
    // Prepare
    const seed = parseSecretManagerFixture(loadFixture(defaultFixturePath()));
    const snapshot = snapshotState(seed.state, createPayloadSealer(Buffer.alloc(32, 1)));

    // Act
    const restore = () => restoreState(seed.project, snapshot, createPayloadSealer(Buffer.alloc(32, 2)));

    // Assess
    expect(restore).toThrow(
      /Cannot unseal the payload of projects\/734118209551\/secrets\/iap-oauth-credentials\/versions\/1/,
    );
  });

  it('refuses a snapshot of another project or with a plain payload, naming the path', () => {
    // Prepare
    const seed = parseSecretManagerFixture(loadFixture(defaultFixturePath()));
    const sealer = createPayloadSealer();
    const snapshot = JSON.parse(JSON.stringify(snapshotState(seed.state, sealer)));
    const foreign = JSON.parse(JSON.stringify(snapshot).replaceAll(NUMBER, '1111'));
    snapshot.secrets[0].versions[0].payload = 'c2VjcmV0';

    // Act
    const restoreForeign = () => restoreState(seed.project, foreign, sealer);
    const restorePlain = () => restoreState(seed.project, snapshot, sealer);

    // Assess
    expect(restoreForeign).toThrow(
      /Invalid Secret Manager snapshot[\s\S]*secret is not in project[\s\S]*secrets\[0\]\.name/,
    );
    expect(restorePlain).toThrow(/Invalid Secret Manager snapshot[\s\S]*secrets\[0\]\.versions\[0\]/);
  });
});
