import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * How secret payloads leave the Secret Manager simulator in a snapshot. A payload is key material
 * in real use (ops-catalog §3.1 stores a new service-account key with `addVersion`), and snapshots
 * end up on disk (`GET /_sim/state`, persistence of a local platform). Dropping payloads would make
 * a restored platform unable to `access` anything, and base64 is an encoding, not a protection; so
 * each payload is sealed with AES-256-GCM under a key that never appears in the snapshot.
 */

/** Sealed text format: `v1.<iv>.<tag>.<ciphertext>`, each part base64url. */
const SEAL_VERSION = 'v1';
const KEY_BYTES = 32;
/** 96-bit IVs are what GCM is specified for; a fresh random one per seal, never reused with a key. */
const IV_BYTES = 12;
/** Pinned on both sides: without it Node accepts a truncated tag when unsealing. */
const TAG_BYTES = 16;

/** Seals and unseals payloads under one key. */
interface PayloadSealer {
  /**
   * Encrypts `data`, binding it to `versionName` (GCM additional data), so a sealed payload copied
   * onto another version of a snapshot fails to unseal instead of serving the wrong secret.
   */
  seal(versionName: string, data: Uint8Array): string;
  /**
   * The payload sealed by {@link PayloadSealer.seal} for `versionName`.
   *
   * @throws Error if the text is malformed, was sealed under another key, was sealed for another
   *   version, or was altered. The message never contains payload bytes.
   */
  unseal(versionName: string, sealed: string): Buffer;
}

/**
 * A sealer over `key`. Without a key, a random one is drawn: snapshots then restore only into the
 * same service instance (reset, tests, `/_sim/state` dumps). Persistence across processes must pass
 * the same 32-byte key each time, kept apart from the snapshot file.
 *
 * @throws Error if `key` is not 32 bytes.
 */
const createPayloadSealer = (key?: Uint8Array): PayloadSealer => {
  if (key !== undefined && key.length !== KEY_BYTES) {
    throw new Error(`The Secret Manager payload key must be ${KEY_BYTES} bytes, got ${key.length}`);
  }
  const secretKey = Buffer.from(key ?? randomBytes(KEY_BYTES));
  return {
    seal(versionName, data) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', secretKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(versionName, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(data), cipher.final()]);
      return [SEAL_VERSION, iv, cipher.getAuthTag(), ciphertext]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
    unseal(versionName, sealed) {
      const parts = sealed.split('.');
      if (parts.length !== 4 || parts[0] !== SEAL_VERSION) {
        throw new Error(`The sealed payload of ${versionName} is not in the ${SEAL_VERSION} format`);
      }
      const [iv, tag, ciphertext] = parts.slice(1).map((part) => Buffer.from(part, 'base64url')) as [
        Buffer,
        Buffer,
        Buffer,
      ];
      try {
        const decipher = createDecipheriv('aes-256-gcm', secretKey, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(versionName, 'utf8'));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
      } catch {
        // The cause (an authentication failure) says nothing more useful and is deliberately dropped.
        throw new Error(
          `Cannot unseal the payload of ${versionName}: the snapshot was sealed under another payload key ` +
            '(restore needs the payloadKey it was taken with), for another version, or was altered',
        );
      }
    },
  };
};

export type { PayloadSealer };
export { createPayloadSealer };
