import { crc32c } from '../../../shared/gcp/crc32c';

describe('secret-manager-crc32c', () => {
  it('computes the CRC32C check value of "123456789" as an unsigned integer', () => {
    // Act
    const value = crc32c(Buffer.from('123456789', 'ascii'));

    // Assess
    expect(value).toBe(0xe3069283);
  });

  it('matches the RFC 3720 (iSCSI) test vectors', () => {
    // Prepare
    const vectors: Array<[Uint8Array, number]> = [
      [new Uint8Array(32), 0x8a9136aa],
      [new Uint8Array(32).fill(0xff), 0x62a8ab43],
      [Uint8Array.from({ length: 32 }, (_, index) => index), 0x46dd794e],
      [Uint8Array.from({ length: 32 }, (_, index) => 31 - index), 0x113fdb5c],
    ];

    // Act
    const values = vectors.map(([data]) => crc32c(data));

    // Assess
    expect(values).toEqual(vectors.map(([, expected]) => expected));
  });

  it('returns 0 for no data', () => {
    // Act
    const value = crc32c(new Uint8Array(0));

    // Assess
    expect(value).toBe(0);
  });
});
