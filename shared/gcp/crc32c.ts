/** CRC32C (Castagnoli, reflected polynomial 0x82F63B78): Node's `zlib.crc32` is the other CRC-32. */
const CRC32C_TABLE = Uint32Array.from({ length: 256 }, (_, index) => {
  let crc = index;
  for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  return crc >>> 0;
});

/**
 * The CRC32C of `data` as an unsigned 32-bit integer (`crc32c('123456789') === 0xe3069283`), the
 * value Secret Manager calls `dataCrc32c`.
 */
const crc32c = (data: Uint8Array): number => {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
};

export { crc32c };
