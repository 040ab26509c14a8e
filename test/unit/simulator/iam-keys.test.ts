import { createPrivateKey, createPublicKey, sign, verify, X509Certificate } from 'node:crypto';
import {
  credentialsFileData,
  generateServiceAccountKey,
  type KeyOwner,
  publicKeyDer,
} from '../../../local/simulator/services/iam-keys';

const OWNER: KeyOwner = {
  projectId: 'acme-ml-prod',
  email: 'ci-terraform@acme-ml-prod.iam.gserviceaccount.com',
  uniqueId: '104000000162676702029',
};
const VALID_AFTER = new Date('2026-03-02T09:00:00Z');
const NEVER = new Date('9999-12-31T23:59:59Z');

describe('iam-keys', () => {
  const generated = generateServiceAccountKey({
    owner: OWNER,
    algorithm: 'KEY_ALG_RSA_2048',
    validAfter: VALID_AFTER,
    validBefore: NEVER,
  });

  it('names the key with 40 hex digits derived from its public key', () => {
    // Act
    const { keyId, publicMaterial } = generated;

    // Assess
    expect(keyId).toMatch(/^[0-9a-f]{40}$/);
    expect(publicMaterial.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('certifies the public key in a self-signed X.509 certificate over the key validity', () => {
    // Act
    const certificate = new X509Certificate(generated.publicMaterial.certificatePem);

    // Assess
    expect(certificate.subject).toBe(`CN=${OWNER.email}`);
    expect(certificate.issuer).toBe(`CN=${OWNER.email}`);
    expect(new Date(certificate.validFrom)).toEqual(VALID_AFTER);
    expect(new Date(certificate.validTo)).toEqual(NEVER);
    expect(certificate.verify(createPublicKey(generated.publicMaterial.publicKeyPem))).toBe(true);
    expect(certificate.checkPrivateKey(generated.privateKey)).toBe(true);
  });

  it('encodes a certificate valid before 2050 with UTCTime', () => {
    // Act
    const short = generateServiceAccountKey({
      owner: OWNER,
      algorithm: 'KEY_ALG_RSA_1024',
      validAfter: VALID_AFTER,
      validBefore: new Date('2026-03-03T09:00:00Z'),
    });

    // Assess
    const certificate = new X509Certificate(short.publicMaterial.certificatePem);
    expect(new Date(certificate.validTo)).toEqual(new Date('2026-03-03T09:00:00Z'));
    expect(short.privateKey.asymmetricKeyDetails?.modulusLength).toBe(1024);
  });

  it('writes the private key into a Google credentials file whose key signs what the public key verifies', () => {
    // Act
    const data = credentialsFileData(OWNER, generated.keyId, generated.privateKey);

    // Assess
    const file = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as Record<string, string>;
    expect(file).toMatchObject({
      type: 'service_account',
      project_id: OWNER.projectId,
      private_key_id: generated.keyId,
      client_email: OWNER.email,
      client_id: OWNER.uniqueId,
      client_x509_cert_url:
        'https://www.googleapis.com/robot/v1/metadata/x509/ci-terraform%40acme-ml-prod.iam.gserviceaccount.com',
    });
    expect(file.private_key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const signature = sign('sha256', Buffer.from('payload'), createPrivateKey(file.private_key ?? ''));
    const publicKey = createPublicKey({
      key: publicKeyDer(generated.publicMaterial.publicKeyPem),
      format: 'der',
      type: 'spki',
    });
    expect(verify('sha256', Buffer.from('payload'), publicKey, signature)).toBe(true);
  });
});
