import { inspect } from 'node:util';

/** What every string form of key material shows. */
const REDACTED_MATERIAL = '[redacted key material]';

/**
 * Key material (a service-account private key, a secret payload) that cannot leak by accident:
 * JSON serialisation, string conversion and interpolation, and Node's inspection (console.log,
 * util.format, the logger's redaction walk, which sees no own enumerable keys) all give
 * `[redacted key material]`. Only {@link SecretMaterial.reveal} gives the bytes, to the one place
 * that writes them where they belong (Secret Manager).
 */
class SecretMaterial {
  // A #private field: invisible to Object.keys, spread, structuredClone and util.inspect.
  readonly #bytes: Buffer;

  constructor(bytes: Uint8Array) {
    this.#bytes = Buffer.from(bytes);
  }

  /** A copy of the bytes; the caller writes them where they belong and drops them. */
  reveal(): Buffer {
    return Buffer.from(this.#bytes);
  }

  /** Overwrites the held bytes, so they do not linger until garbage collection. */
  wipe(): void {
    this.#bytes.fill(0);
  }

  toJSON(): string {
    return REDACTED_MATERIAL;
  }

  toString(): string {
    return REDACTED_MATERIAL;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED_MATERIAL;
  }

  [inspect.custom](): string {
    return REDACTED_MATERIAL;
  }
}

/** Wraps bytes as {@link SecretMaterial}. */
const secretMaterial = (bytes: Uint8Array): SecretMaterial => new SecretMaterial(bytes);

export { REDACTED_MATERIAL, SecretMaterial, secretMaterial };
