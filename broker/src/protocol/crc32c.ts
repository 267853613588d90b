/**
 * CRC-32C (Castagnoli), as used by record batch v2 over bytes [21, end of batch).
 * Native (`@node-rs/crc32`, SSE4.2 / ARM CRC instructions): a pure-JS CRC would use most of the
 * produce-path CPU budget (PERFORMANCE.md C2.1).
 */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/**
 * CRC-32C of `buf`, as an unsigned 32-bit number. `initial` continues a previous CRC
 * (`crc32c(b, crc32c(a)) === crc32c(concat(a, b))`).
 */
export function crc32c(buf: Uint8Array, initial?: number): number {
  return nativeCrc32c(buf, initial) >>> 0;
}
