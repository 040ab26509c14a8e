import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

/**
 * Key material for simulated service-account keys (api-contracts §4). A created key is real: an RSA
 * key pair from node:crypto, the private half handed out once inside a Google credentials file and
 * then dropped, the public half kept with a self-signed X.509 certificate, as Google keeps only the
 * public part of user-managed keys. So a caller can sign a JWT with what `keys.create` returned and
 * verify it against what `keys.get` returns.
 */

/** `CreateServiceAccountKeyRequest.keyAlgorithm` values the simulator generates. */
type KeyAlgorithm = 'KEY_ALG_RSA_1024' | 'KEY_ALG_RSA_2048';

/** The public half of a key, kept in the service's state. */
interface PublicKeyMaterial {
  /** SubjectPublicKeyInfo, PEM. */
  publicKeyPem: string;
  /** Self-signed X.509 certificate of the key, PEM. */
  certificatePem: string;
}

/** A freshly generated key: its id, the public half to keep and the private half to return once. */
interface GeneratedKey {
  /** 40 hex digits, the last segment of the key's resource name. */
  keyId: string;
  publicMaterial: PublicKeyMaterial;
  privateKey: KeyObject;
}

/** Who the key belongs to, for the certificate and the credentials file. */
interface KeyOwner {
  projectId: string;
  email: string;
  /** The service account's numeric unique id (`client_id` in the credentials file). */
  uniqueId: string;
}

/** What {@link generateServiceAccountKey} needs. */
interface GenerateKeyInput {
  owner: KeyOwner;
  algorithm: KeyAlgorithm;
  /** The certificate's validity, which is the key's `validAfterTime`/`validBeforeTime`. */
  validAfter: Date;
  validBefore: Date;
}

// Minimal DER encoding, enough for one certificate: node:crypto parses X.509 but cannot create it.
const derLength = (length: number): Buffer => {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
};
const der = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
};
const sequence = (...content: Buffer[]): Buffer => der(0x30, ...content);
const derInteger = (value: Buffer): Buffer => {
  // INTEGER is signed: a leading bit of 1 would read as negative.
  const first = value[0] ?? 0;
  return der(0x02, first >= 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value);
};
const objectId = (dotted: string): Buffer => {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f];
    for (let value = arc >>> 7; value > 0; value >>>= 7) chunk.unshift((value & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
};
/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 §4.1.2.5). */
const derTime = (time: Date): Buffer => {
  const iso = time.toISOString();
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return time.getUTCFullYear() < 2050
    ? der(0x17, Buffer.from(digits.slice(2)))
    : der(0x18, Buffer.from(digits));
};
const commonName = (name: string): Buffer =>
  sequence(der(0x31, sequence(objectId('2.5.4.3'), der(0x0c, Buffer.from(name, 'utf8')))));

const SHA256_WITH_RSA = sequence(objectId('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));

const toPem = (label: string, body: Buffer): string => {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
};

/**
 * A self-signed X.509 v3 certificate for the key, subject and issuer CN the service account email
 * (Google publishes such certificates per key; the CN it uses is a guess).
 */
const selfSignedCertificate = (
  privateKey: KeyObject,
  publicKey: KeyObject,
  subject: string,
  validAfter: Date,
  validBefore: Date,
): string => {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const serial = createHash('sha1').update(spki).digest().subarray(0, 16);
  const name = commonName(subject);
  const tbs = sequence(
    der(0xa0, derInteger(Buffer.from([2]))),
    derInteger(serial),
    SHA256_WITH_RSA,
    name,
    sequence(derTime(validAfter), derTime(validBefore)),
    name,
    spki,
  );
  const signature = sign('sha256', tbs, privateKey);
  return toPem('CERTIFICATE', sequence(tbs, SHA256_WITH_RSA, der(0x03, Buffer.from([0]), signature)));
};

/**
 * Generates a key pair and its certificate. Synchronous, as route handlers are: about 50–150 ms for
 * 2048 bits.
 */
const generateServiceAccountKey = (input: GenerateKeyInput): GeneratedKey => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: input.algorithm === 'KEY_ALG_RSA_1024' ? 1024 : 2048,
  });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return {
    // Google's key ids are 40 hex digits; a digest of the public key makes them unique and stable.
    keyId: createHash('sha1').update(spki).digest('hex'),
    publicMaterial: {
      publicKeyPem: toPem('PUBLIC KEY', spki),
      certificatePem: selfSignedCertificate(
        privateKey,
        publicKey,
        input.owner.email,
        input.validAfter,
        input.validBefore,
      ),
    },
    privateKey,
  };
};

/**
 * The `privateKeyData` of a `TYPE_GOOGLE_CREDENTIALS_FILE` key: base64 of the JSON credentials file
 * Google hands out, with the private key as PKCS#8 PEM. Built only for the create response.
 */
const credentialsFileData = (owner: KeyOwner, keyId: string, privateKey: KeyObject): string => {
  const file = {
    type: 'service_account',
    project_id: owner.projectId,
    private_key_id: keyId,
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: owner.email,
    client_id: owner.uniqueId,
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(owner.email)}`,
    universe_domain: 'googleapis.com',
  };
  return Buffer.from(`${JSON.stringify(file, null, 2)}\n`, 'utf8').toString('base64');
};

/** The DER SubjectPublicKeyInfo inside a public key PEM, for `TYPE_RAW_PUBLIC_KEY`. */
const publicKeyDer = (publicKeyPem: string): Buffer =>
  Buffer.from(publicKeyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');

export type { GeneratedKey, GenerateKeyInput, KeyAlgorithm, KeyOwner, PublicKeyMaterial };
export { credentialsFileData, generateServiceAccountKey, publicKeyDer, selfSignedCertificate };
