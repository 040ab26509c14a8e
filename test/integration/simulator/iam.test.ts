import { createPrivateKey, createPublicKey, sign, verify, X509Certificate } from 'node:crypto';
import type { iam_v1 } from '@googleapis/iam';
import type { IamState } from '../../../local/simulator/services/iam-fixture';
import { ManualClock } from '../../../shared/time';
import { type IdentitySimulator, iamClientFor, startIdentitySimulator } from '../../helpers/iam-clients';

/**
 * The simulator's IAM API driven through @googleapis/iam: service accounts, user-managed keys and
 * service-account IAM policies (workload identity), plus the in-process policy editor the
 * Kubernetes profile controller uses.
 */

const PROJECT = 'acme-ml-prod';
const NOW = '2026-03-02T09:00:00Z';
const ACCOUNTS = `projects/${PROJECT}/serviceAccounts`;
const CI = `${ACCOUNTS}/ci-terraform@acme-ml-prod.iam.gserviceaccount.com`;
const KF_USER_EMAIL = 'acme-kf-user@acme-ml-prod.iam.gserviceaccount.com';
const KF_USER = `${ACCOUNTS}/${KF_USER_EMAIL}`;
const METAFLOW = `${ACCOUNTS}/gsa-metaflow-prod@acme-ml-prod.iam.gserviceaccount.com`;
const SEEDED_CI_KEYS = [
  `${CI}/keys/a1b2c3d4e5f60718293a4b5c6d7e8f9012345678`,
  `${CI}/keys/9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807`,
];
const WORKLOAD_IDENTITY_USER = 'roles/iam.workloadIdentityUser';
const KSA = (namespace: string) => `serviceAccount:acme-ml-prod.svc.id.goog[${namespace}/default-editor]`;

interface CredentialsFile {
  type: string;
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  token_uri: string;
}

const decodeCredentials = (privateKeyData: string | null | undefined): CredentialsFile =>
  JSON.parse(Buffer.from(privateKeyData ?? '', 'base64').toString('utf8')) as CredentialsFile;

/** The error a call fails with, awaited at once so no rejection is left unhandled meanwhile. */
const rejectionOf = (call: Promise<unknown>): Promise<unknown> =>
  call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );

const keyIdOf = (name: string | null | undefined): string => (name ?? '').split('/').pop() ?? '';

describe('simulator IAM API', () => {
  const clock = new ManualClock(NOW);
  let identity: IdentitySimulator;
  let api: iam_v1.Iam;

  beforeAll(async () => {
    identity = await startIdentitySimulator({ clock });
    api = iamClientFor(identity.simulator.endpoints.iam ?? '');
  });

  beforeEach(() => {
    clock.set(NOW);
    identity.simulator.reset();
    identity.simulator.requestLog.clear();
  });

  afterAll(async () => {
    await identity.simulator.close();
  });

  const createKey = async (account = CI): Promise<iam_v1.Schema$ServiceAccountKey> => {
    const { data } = await api.projects.serviceAccounts.keys.create({
      name: account,
      requestBody: { privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE', keyAlgorithm: 'KEY_ALG_RSA_2048' },
    });
    return data;
  };

  describe('service accounts', () => {
    it('lists the fixture accounts without the simulator hints', async () => {
      // Act
      const { data } = await api.projects.serviceAccounts.list({ name: `projects/${PROJECT}` });

      // Assess
      expect(data.accounts).toHaveLength(8);
      expect(data.nextPageToken).toBeUndefined();
      expect(data.accounts?.[0]).toEqual({
        name: `${ACCOUNTS}/acme-kf-admin@acme-ml-prod.iam.gserviceaccount.com`,
        projectId: PROJECT,
        uniqueId: '104000000725659344501',
        email: 'acme-kf-admin@acme-ml-prod.iam.gserviceaccount.com',
        displayName: 'kubeflow admin service account',
        description: 'Kubeflow admin GSA (profile controller, ingress)',
        etag: 'MDEwMjE5MjA=',
        oauth2ClientId: '104000000725659344501',
        disabled: false,
      });
    });

    it('pages through the accounts with pageSize and pageToken', async () => {
      // Act
      const first = await api.projects.serviceAccounts.list({ name: `projects/${PROJECT}`, pageSize: 5 });
      const second = await api.projects.serviceAccounts.list({
        name: `projects/${PROJECT}`,
        pageSize: 5,
        pageToken: first.data.nextPageToken ?? '',
      });

      // Assess
      expect(first.data.accounts).toHaveLength(5);
      expect(second.data.accounts).toHaveLength(3);
      expect(second.data.nextPageToken).toBeUndefined();
    });

    it('finds an account by email, by unique id and under the projects/- wildcard', async () => {
      // Act
      const byEmail = await api.projects.serviceAccounts.get({ name: KF_USER });
      const byId = await api.projects.serviceAccounts.get({ name: `${ACCOUNTS}/104000000944799933041` });
      const wildcard = await api.projects.serviceAccounts.get({
        name: `projects/-/serviceAccounts/${KF_USER_EMAIL}`,
      });

      // Assess
      expect(byEmail.data.email).toBe(KF_USER_EMAIL);
      expect(byId.data).toEqual(byEmail.data);
      expect(wildcard.data).toEqual(byEmail.data);
    });

    it('answers NOT_FOUND for an unknown account, and PERMISSION_DENIED for it under projects/-', async () => {
      // Act
      const missing = await rejectionOf(
        api.projects.serviceAccounts.get({ name: `${ACCOUNTS}/nobody@acme-ml-prod.iam.gserviceaccount.com` }),
      );
      const masked = await rejectionOf(
        api.projects.serviceAccounts.get({
          name: 'projects/-/serviceAccounts/nobody@acme-ml-prod.iam.gserviceaccount.com',
        }),
      );

      // Assess
      expect(missing).toMatchObject({
        status: 404,
        response: { data: { error: { status: 'NOT_FOUND', message: 'Unknown service account' } } },
      });
      expect(masked).toMatchObject({
        status: 403,
        response: {
          data: {
            error: {
              status: 'PERMISSION_DENIED',
              message: "Permission 'iam.serviceAccounts.get' denied on resource (or it may not exist).",
            },
          },
        },
      });
    });
  });

  describe('keys', () => {
    it('creates a key whose private data is a credentials file holding a fresh RSA private key', async () => {
      // Act
      const created = await createKey();
      const { data: fetched } = await api.projects.serviceAccounts.keys.get({
        name: created.name ?? '',
        publicKeyType: 'TYPE_X509_PEM_FILE',
      });

      // Assess
      const keyId = keyIdOf(created.name);
      expect(keyId).toMatch(/^[0-9a-f]{40}$/);
      expect(created).toMatchObject({
        name: `${CI}/keys/${keyId}`,
        privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE',
        keyAlgorithm: 'KEY_ALG_RSA_2048',
        keyOrigin: 'GOOGLE_PROVIDED',
        keyType: 'USER_MANAGED',
        disabled: false,
        validAfterTime: NOW,
        validBeforeTime: '9999-12-31T23:59:59Z',
      });
      const credentials = decodeCredentials(created.privateKeyData);
      expect(credentials).toMatchObject({
        type: 'service_account',
        project_id: PROJECT,
        private_key_id: keyId,
        client_email: 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com',
        client_id: '104000000162676702029',
        token_uri: 'https://oauth2.googleapis.com/token',
      });
      const privateKey = createPrivateKey(credentials.private_key);
      expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
      const certificate = new X509Certificate(Buffer.from(fetched.publicKeyData ?? '', 'base64'));
      const signature = sign('sha256', Buffer.from('jwt-payload'), privateKey);
      expect(verify('sha256', Buffer.from('jwt-payload'), certificate.publicKey, signature)).toBe(true);
    });

    it('returns private key data from create only, and never keeps it in snapshots or dumps', async () => {
      // Prepare
      const created = await createKey();
      const privateKeyPem = decodeCredentials(created.privateKeyData).private_key;

      // Act
      const { data: fetched } = await api.projects.serviceAccounts.keys.get({ name: created.name ?? '' });
      const { data: listed } = await api.projects.serviceAccounts.keys.list({ name: CI });
      const snapshot = JSON.stringify(identity.iam.service.snapshot?.());
      const dump = await (await fetch(`${identity.simulator.endpoints.iam}/_sim/state`)).text();

      // Assess
      expect(fetched.privateKeyData).toBeUndefined();
      expect(fetched.privateKeyType).toBeUndefined();
      expect(fetched.publicKeyData).toBeUndefined();
      expect(listed.keys?.find((key) => key.name === created.name)).toEqual(fetched);
      for (const text of [snapshot, dump]) {
        expect(text).toContain(keyIdOf(created.name));
        expect(text).not.toContain('privateKeyData');
        expect(text).not.toContain('PRIVATE KEY');
        expect(text).not.toContain(privateKeyPem.split('\n')[1]);
        expect(text).not.toContain(created.privateKeyData);
      }
    });

    it('lists keys filtered by key type', async () => {
      // Act
      const userManaged = await api.projects.serviceAccounts.keys.list({
        name: CI,
        keyTypes: ['USER_MANAGED'],
      });
      const systemManaged = await api.projects.serviceAccounts.keys.list({
        name: CI,
        keyTypes: ['SYSTEM_MANAGED'],
      });
      const unspecified = await rejectionOf(
        api.projects.serviceAccounts.keys.list({ name: CI, keyTypes: ['KEY_TYPE_UNSPECIFIED'] }),
      );

      // Assess
      expect(userManaged.data.keys?.map((key) => key.name)).toEqual(SEEDED_CI_KEYS);
      expect(userManaged.data.keys?.[0]).toEqual({
        name: SEEDED_CI_KEYS[0],
        keyAlgorithm: 'KEY_ALG_RSA_2048',
        validAfterTime: '2024-03-02T08:11:00Z',
        validBeforeTime: '9999-12-31T23:59:59Z',
        keyOrigin: 'GOOGLE_PROVIDED',
        keyType: 'USER_MANAGED',
        disabled: false,
      });
      expect(systemManaged.data.keys).toEqual([]);
      expect(unspecified).toMatchObject({ status: 400 });
    });

    it('disables a key with the user-initiated reason and enables it again', async () => {
      // Act
      await api.projects.serviceAccounts.keys.disable({ name: SEEDED_CI_KEYS[0] ?? '', requestBody: {} });
      const { data: disabled } = await api.projects.serviceAccounts.keys.get({
        name: SEEDED_CI_KEYS[0] ?? '',
      });
      await api.projects.serviceAccounts.keys.enable({ name: SEEDED_CI_KEYS[0] ?? '', requestBody: {} });
      const { data: enabled } = await api.projects.serviceAccounts.keys.get({
        name: SEEDED_CI_KEYS[0] ?? '',
      });

      // Assess
      expect(disabled).toMatchObject({
        disabled: true,
        disableReason: 'SERVICE_ACCOUNT_KEY_DISABLE_REASON_USER_INITIATED',
      });
      expect(enabled.disabled).toBe(false);
      expect(enabled.disableReason).toBeUndefined();
    });

    it('deletes a key, after which it is NOT_FOUND', async () => {
      // Act
      const { data } = await api.projects.serviceAccounts.keys.delete({ name: SEEDED_CI_KEYS[0] ?? '' });
      const gone = await rejectionOf(
        api.projects.serviceAccounts.keys.get({ name: SEEDED_CI_KEYS[0] ?? '' }),
      );

      // Assess
      expect(data).toEqual({});
      expect(gone).toMatchObject({
        status: 404,
        response: {
          data: {
            error: {
              status: 'NOT_FOUND',
              message: 'Service account key a1b2c3d4e5f60718293a4b5c6d7e8f9012345678 does not exist.',
            },
          },
        },
      });
      const { data: listed } = await api.projects.serviceAccounts.keys.list({ name: CI });
      expect(listed.keys?.map((key) => key.name)).toEqual([SEEDED_CI_KEYS[1]]);
    });

    it('refuses the 11th user-managed key with FAILED_PRECONDITION, counting disabled keys', async () => {
      // Prepare: ci-terraform holds two keys; one disabled still counts.
      await api.projects.serviceAccounts.keys.disable({ name: SEEDED_CI_KEYS[0] ?? '', requestBody: {} });
      for (let created = 2; created < 10; created += 1) await createKey();

      // Act
      const eleventh = await rejectionOf(createKey());

      // Assess
      expect(eleventh).toMatchObject({
        status: 400,
        response: {
          data: {
            error: {
              code: 400,
              status: 'FAILED_PRECONDITION',
              message: 'Precondition check failed.',
              errors: [{ reason: 'failedPrecondition' }],
            },
          },
        },
      });
      await api.projects.serviceAccounts.keys.delete({ name: SEEDED_CI_KEYS[0] ?? '' });
      await expect(createKey()).resolves.toMatchObject({ keyType: 'USER_MANAGED' });
    });

    it('serves the public key of a seeded key as an X.509 certificate and as a raw key', async () => {
      // Act
      const { data: x509 } = await api.projects.serviceAccounts.keys.get({
        name: SEEDED_CI_KEYS[1] ?? '',
        publicKeyType: 'TYPE_X509_PEM_FILE',
      });
      const { data: raw } = await api.projects.serviceAccounts.keys.get({
        name: SEEDED_CI_KEYS[1] ?? '',
        publicKeyType: 'TYPE_RAW_PUBLIC_KEY',
      });

      // Assess
      const certificate = new X509Certificate(Buffer.from(x509.publicKeyData ?? '', 'base64'));
      const rawKey = createPublicKey({
        key: Buffer.from(raw.publicKeyData ?? '', 'base64'),
        format: 'der',
        type: 'spki',
      });
      expect(certificate.publicKey.equals(rawKey)).toBe(true);
      expect(certificate.subject).toBe('CN=ci-terraform@acme-ml-prod.iam.gserviceaccount.com');
      expect(new Date(certificate.validFrom).toISOString()).toBe('2025-05-20T12:00:03.000Z');
    });
  });

  describe('service-account IAM policy', () => {
    it('reads a workload identity policy as version 1 even when version 3 is asked for', async () => {
      // Act
      const { data } = await api.projects.serviceAccounts.getIamPolicy({
        resource: METAFLOW,
        'options.requestedPolicyVersion': 3,
      });

      // Assess
      expect(data).toEqual({
        version: 1,
        etag: 'BwY0pQ1mOc0=',
        bindings: [
          {
            role: WORKLOAD_IDENTITY_USER,
            members: [
              'serviceAccount:acme-ml-prod.svc.id.goog[default/ksa-metaflow]',
              'serviceAccount:acme-ml-prod.svc.id.goog[argo/argo]',
            ],
          },
        ],
      });
    });

    it('answers the empty policy for an account nobody was granted on', async () => {
      // Act
      const { data } = await api.projects.serviceAccounts.getIamPolicy({ resource: CI });

      // Assess
      expect(data).toEqual({ version: 1, etag: 'ACAB' });
    });

    it('grants workload identity in a read-modify-write and issues a new etag', async () => {
      // Prepare
      const { data: read } = await api.projects.serviceAccounts.getIamPolicy({ resource: KF_USER });
      const bindings = structuredClone(read.bindings ?? []);
      bindings[0]?.members?.push(KSA('new-hire'));

      // Act
      const { data: written } = await api.projects.serviceAccounts.setIamPolicy({
        resource: KF_USER,
        requestBody: { policy: { ...read, bindings } },
      });
      const { data: reread } = await api.projects.serviceAccounts.getIamPolicy({ resource: KF_USER });

      // Assess
      expect(written.etag).toMatch(/^[A-Za-z0-9+/]{11}=$/);
      expect(written.etag).not.toBe(read.etag);
      expect(reread).toEqual(written);
      expect(reread.bindings?.[0]?.members).toContain(KSA('new-hire'));
    });

    it('refuses a stale etag with ABORTED, and the retried read-modify-write succeeds', async () => {
      // Prepare: another writer changes the policy between our read and our write.
      const { data: stale } = await api.projects.serviceAccounts.getIamPolicy({ resource: KF_USER });
      identity.iam.serviceAccountPolicies.addBinding(KF_USER_EMAIL, WORKLOAD_IDENTITY_USER, KSA('racer'));
      const grant = (policy: iam_v1.Schema$Policy): iam_v1.Schema$Policy => {
        const bindings = structuredClone(policy.bindings ?? []);
        bindings[0]?.members?.push(KSA('new-hire'));
        return { ...policy, bindings };
      };

      // Act
      const conflict = await rejectionOf(
        api.projects.serviceAccounts.setIamPolicy({
          resource: KF_USER,
          requestBody: { policy: grant(stale) },
        }),
      );
      const { data: fresh } = await api.projects.serviceAccounts.getIamPolicy({ resource: KF_USER });
      const { data: retried } = await api.projects.serviceAccounts.setIamPolicy({
        resource: KF_USER,
        requestBody: { policy: grant(fresh) },
      });

      // Assess
      expect(conflict).toMatchObject({
        status: 409,
        response: {
          data: {
            error: {
              status: 'ABORTED',
              message:
                'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
            },
          },
        },
      });
      expect(retried.bindings?.[0]?.members).toEqual(expect.arrayContaining([KSA('racer'), KSA('new-hire')]));
    });

    it('writes unconditionally when the etag is left out', async () => {
      // Prepare
      identity.iam.serviceAccountPolicies.addBinding(KF_USER_EMAIL, WORKLOAD_IDENTITY_USER, KSA('racer'));

      // Act
      const { data } = await api.projects.serviceAccounts.setIamPolicy({
        resource: KF_USER,
        requestBody: { policy: { bindings: [{ role: WORKLOAD_IDENTITY_USER, members: [KSA('only')] }] } },
      });

      // Assess
      expect(data.bindings).toEqual([{ role: WORKLOAD_IDENTITY_USER, members: [KSA('only')] }]);
    });

    it('needs version 3 to write a conditional binding and to read it back', async () => {
      // Prepare
      const conditional = {
        role: 'roles/iam.serviceAccountTokenCreator',
        members: ['user:aiko.tanaka@acme.ai'],
        condition: { title: 'until-august', expression: 'request.time < timestamp("2026-08-01T00:00:00Z")' },
      };

      // Act
      const asVersion1 = await rejectionOf(
        api.projects.serviceAccounts.setIamPolicy({
          resource: CI,
          requestBody: { policy: { version: 1, etag: 'ACAB', bindings: [conditional] } },
        }),
      );
      const { data: asVersion3 } = await api.projects.serviceAccounts.setIamPolicy({
        resource: CI,
        requestBody: { policy: { version: 3, etag: 'ACAB', bindings: [conditional] } },
      });
      const readAtVersion1 = await rejectionOf(api.projects.serviceAccounts.getIamPolicy({ resource: CI }));
      const { data: readAtVersion3 } = await api.projects.serviceAccounts.getIamPolicy({
        resource: CI,
        'options.requestedPolicyVersion': 3,
      });

      // Assess
      expect(asVersion1).toMatchObject({
        status: 400,
        response: { data: { error: { status: 'INVALID_ARGUMENT' } } },
      });
      expect(asVersion3).toMatchObject({ version: 3, bindings: [conditional] });
      expect(readAtVersion1).toMatchObject({
        status: 400,
        response: {
          data: {
            error: {
              status: 'INVALID_ARGUMENT',
              message: expect.stringContaining(
                'Requested policy version (1) cannot be less than the existing policy version (3).',
              ),
            },
          },
        },
      });
      expect(readAtVersion3).toEqual(asVersion3);
    });

    it('refuses a member outside the allowed domain with FAILED_PRECONDITION', async () => {
      // Act
      const outsider = await rejectionOf(
        api.projects.serviceAccounts.setIamPolicy({
          resource: CI,
          requestBody: {
            policy: { bindings: [{ role: 'roles/iam.serviceAccountUser', members: ['user:eve@gmail.com'] }] },
          },
        }),
      );

      // Assess
      expect(outsider).toMatchObject({
        status: 400,
        response: {
          data: {
            error: {
              status: 'FAILED_PRECONDITION',
              details: [
                {
                  '@type': 'type.googleapis.com/google.rpc.PreconditionFailure',
                  violations: [
                    { type: 'constraints/iam.allowedPolicyMemberDomains', subject: 'user:eve@gmail.com' },
                  ],
                },
              ],
            },
          },
        },
      });
    });

    it('lets the profile controller grant and revoke workload identity in-process, each change a new etag', async () => {
      // Prepare
      const { data: before } = await api.projects.serviceAccounts.getIamPolicy({ resource: KF_USER });

      // Act
      identity.iam.serviceAccountPolicies.addBinding(KF_USER_EMAIL, WORKLOAD_IDENTITY_USER, KSA('grace-kim'));
      const { data: granted } = await api.projects.serviceAccounts.getIamPolicy({ resource: KF_USER });
      identity.iam.serviceAccountPolicies.removeBinding(
        KF_USER_EMAIL,
        WORKLOAD_IDENTITY_USER,
        KSA('grace-kim'),
      );
      const { data: revoked } = await api.projects.serviceAccounts.getIamPolicy({ resource: KF_USER });
      identity.iam.serviceAccountPolicies.removeBinding(
        KF_USER_EMAIL,
        WORKLOAD_IDENTITY_USER,
        KSA('grace-kim'),
      );
      const { data: unchanged } = await api.projects.serviceAccounts.getIamPolicy({ resource: KF_USER });

      // Assess
      expect(granted.bindings?.[0]?.members).toContain(KSA('grace-kim'));
      expect(new Set([before.etag, granted.etag, revoked.etag]).size).toBe(3);
      expect(revoked.bindings).toEqual(before.bindings);
      expect(unchanged.etag).toBe(revoked.etag);
      expect(() =>
        identity.iam.serviceAccountPolicies.addBinding(
          'ghost@acme-ml-prod.iam.gserviceaccount.com',
          'roles/x',
          KSA('a'),
        ),
      ).toThrow(expect.objectContaining({ status: 'NOT_FOUND' }));
    });
  });

  describe('state', () => {
    it('restores a snapshot and goes back to the fixture on reset', async () => {
      // Prepare
      const created = await createKey(METAFLOW);
      identity.iam.serviceAccountPolicies.addBinding(KF_USER_EMAIL, WORKLOAD_IDENTITY_USER, KSA('snap'));
      const snapshot = JSON.parse(JSON.stringify(identity.iam.service.snapshot?.())) as IamState;

      // Act
      await fetch(`${identity.simulator.endpoints.iam}/_sim/reset`, { method: 'POST' });
      const afterReset = await api.projects.serviceAccounts.keys.list({ name: METAFLOW });
      identity.iam.service.restore?.(snapshot);
      const afterRestore = await api.projects.serviceAccounts.keys.list({ name: METAFLOW });
      const { data: policy } = await api.projects.serviceAccounts.getIamPolicy({ resource: KF_USER });

      // Assess
      expect(afterReset.data.keys).toHaveLength(1);
      expect(afterRestore.data.keys?.map((key) => key.name)).toContain(created.name);
      expect(policy.bindings?.[0]?.members).toContain(KSA('snap'));
      expect(() =>
        identity.iam.service.restore?.({ ...snapshot, keys: [{ key: { name: 'broken' } }] }),
      ).toThrow(/Invalid IAM state snapshot/);
    });

    it('names every route after its discovery method in the request log', async () => {
      // Act
      await api.projects.serviceAccounts.keys.list({ name: CI });
      await api.projects.serviceAccounts.getIamPolicy({ resource: KF_USER });

      // Assess
      expect(identity.simulator.requestLog.counts()).toEqual({
        'GET iam.projects.serviceAccounts.keys.list': 1,
        'POST iam.projects.serviceAccounts.getIamPolicy': 1,
      });
      expect(identity.iam.service.routes.every((route) => route.discoveryMethod === route.name)).toBe(true);
    });
  });
});
