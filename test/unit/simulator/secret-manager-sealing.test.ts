import { createPayloadSealer } from '../../../local/simulator/services/secret-manager-sealing';

const VERSION = 'projects/734118209551/secrets/ci-terraform-key/versions/3';
const KEY = Buffer.alloc(32, 7);

describe('secret-manager-sealing', () => {
  it('unseals what it sealed, and the sealed text shows neither the bytes nor their base64', () => {
    // Prepare
    const sealer = createPayloadSealer(KEY);
    const payload = Buffer.from('{"private_key":"-----BEGIN PRIVATE KEY-----"}');

    // Act
    const sealed = sealer.seal(VERSION, payload);

    // Assess
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain(payload.toString('base64'));
    expect(sealed).not.toContain(payload.toString('base64url'));
    expect(sealer.unseal(VERSION, sealed)).toEqual(payload);
  });

  it('unseals in another sealer given the same key', () => {
    // Prepare
    const sealed = createPayloadSealer(KEY).seal(VERSION, Buffer.from('k'));

    // Act
    const unsealed = createPayloadSealer(Buffer.from(KEY)).unseal(VERSION, sealed);

    // Assess
    expect(unsealed.toString()).toBe('k');
  });

  it('refuses a payload sealed under another key, for another version, or altered', () => {
    // Prepare
    const sealer = createPayloadSealer(KEY);
    const sealed = sealer.seal(VERSION, Buffer.from('secret'));
    const parts = sealed.split('.');
    const ciphertext = Buffer.from(parts[3] as string, 'base64url');
    ciphertext[0] = (ciphertext[0] as number) ^ 1;
    const altered = [...parts.slice(0, 3), ciphertext.toString('base64url')].join('.');

    // Act
    const attempts = [
      () => createPayloadSealer().unseal(VERSION, sealed),
      () => sealer.unseal(VERSION.replace(/3$/, '4'), sealed),
      () => sealer.unseal(VERSION, altered),
      () => sealer.unseal(VERSION, 'not-sealed'),
    ];

    // Assess
    for (const attempt of attempts) expect(attempt).toThrow(/payload/);
    expect(attempts[0]).toThrow(/Cannot unseal the payload of .*versions\/3: .*payloadKey/);
  });

  it('refuses a key that is not 32 bytes', () => {
    // Act
    const create = () => createPayloadSealer(Buffer.alloc(16));

    // Assess
    expect(create).toThrow('The Secret Manager payload key must be 32 bytes, got 16');
  });
});
