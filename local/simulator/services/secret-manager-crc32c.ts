/**
 * CRC32C (Castagnoli), the checksum Secret Manager verifies on `addVersion` and returns on `access`
 * as `payload.dataCrc32c` (api-contracts §5). Node has no built-in CRC32C (`zlib.crc32` is the
 * IEEE polynomial, a different checksum), and the project takes no dependency for twenty lines.
 */

/** The Castagnoli polynomial 0x1EDC6F41, bit-reversed because the CRC is computed LSB first. */
const CASTAGNOLI_REVERSED = 0x82f63b78;

/**
 * One entry per byte value: the CRC contribution of that byte. Built once when the module loads
 * and never written afterwards, so it is a constant, not shared mutable state.
 */
const TABLE: Readonly<Uint32Array> = (() => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte += 1) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ CASTAGNOLI_REVERSED : crc >>> 1;
    table[byte] = crc >>> 0;
  }
  return table;
})();

/**
 * The CRC32C of `data` as an unsigned 32-bit integer (`crc32c('123456789') === 0xe3069283`), the
 * value Google sends as the decimal int64 string `dataCrc32c`.
 */
const crc32c = (data: Uint8Array): number => {
  let crc = 0xffffffff;
  for (const byte of data) crc = (TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
};

export { crc32c };
