/**
 * Private helper: reads and stamps record batch v2 header fields in place (PROTOCOL.md §3.1).
 * The log treats a batch as opaque bytes and never walks records (PERFORMANCE.md C2). This is
 * a deliberate duplicate of the few header reads `protocol/record-batch.ts` also provides, so the
 * log has no dependency on the codec.
 */
import { crc32c } from '@node-rs/crc32';

/** Bytes before the CRC'd region and `batchLength` prefix: baseOffset int64 + batchLength int32. */
export const LOG_OVERHEAD_BYTES = 12;
/** `RECORD_BATCH_OVERHEAD`: a v2 batch header with zero records. */
export const BATCH_HEADER_BYTES = 61;
export const MAGIC_V2 = 2;

export const BASE_OFFSET_AT = 0;
export const BATCH_LENGTH_AT = 8;
export const PARTITION_LEADER_EPOCH_AT = 12;
export const MAGIC_AT = 16;
export const CRC_AT = 17;
export const ATTRIBUTES_AT = 21;
export const LAST_OFFSET_DELTA_AT = 23;
export const BASE_TIMESTAMP_AT = 27;
export const MAX_TIMESTAMP_AT = 35;
export const PRODUCER_ID_AT = 43;
export const PRODUCER_EPOCH_AT = 51;
export const BASE_SEQUENCE_AT = 53;
export const RECORDS_COUNT_AT = 57;

const TIMESTAMP_TYPE_LOG_APPEND_TIME = 0x08;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;
const TWO_POW_32 = 4294967296;

/** int64 as a JS number (exact for |v| <= 2^53; offsets and ms timestamps fit). */
export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * TWO_POW_32 + buf.readUInt32BE(at + 4);
}

export function writeInt64(buf: Buffer, at: number, value: number): void {
  const high = Math.floor(value / TWO_POW_32);
  buf.writeInt32BE(high, at);
  buf.writeUInt32BE(value - high * TWO_POW_32, at + 4);
}

/** Total bytes of the batch starting at `at` (batchLength + 12). Needs 12 readable bytes. */
export function batchSizeBytes(buf: Buffer, at = 0): number {
  return buf.readInt32BE(at + BATCH_LENGTH_AT) + LOG_OVERHEAD_BYTES;
}

export function baseOffsetOf(buf: Buffer, at = 0): number {
  return readInt64(buf, at + BASE_OFFSET_AT);
}

export function lastOffsetDeltaOf(buf: Buffer, at = 0): number {
  return buf.readInt32BE(at + LAST_OFFSET_DELTA_AT);
}

export function maxTimestampOf(buf: Buffer, at = 0): number {
  return readInt64(buf, at + MAX_TIMESTAMP_AT);
}

export function attributesOf(buf: Buffer, at = 0): number {
  return buf.readInt16BE(at + ATTRIBUTES_AT);
}

export function isLogAppendTime(buf: Buffer, at = 0): boolean {
  return (attributesOf(buf, at) & TIMESTAMP_TYPE_LOG_APPEND_TIME) !== 0;
}

export function isTransactional(buf: Buffer, at = 0): boolean {
  return (attributesOf(buf, at) & TRANSACTIONAL) !== 0;
}

export function isControl(buf: Buffer, at = 0): boolean {
  return (attributesOf(buf, at) & CONTROL) !== 0;
}

export function producerIdOf(buf: Buffer, at = 0): number {
  return readInt64(buf, at + PRODUCER_ID_AT);
}

export function producerEpochOf(buf: Buffer, at = 0): number {
  return buf.readInt16BE(at + PRODUCER_EPOCH_AT);
}

export function baseSequenceOf(buf: Buffer, at = 0): number {
  return buf.readInt32BE(at + BASE_SEQUENCE_AT);
}

/** CRC-32C over [attributes, end of batch) equals the stored crc field. */
export function crcMatches(buf: Buffer, at: number, sizeBytes: number): boolean {
  const computed = crc32c(buf.subarray(at + ATTRIBUTES_AT, at + sizeBytes));
  return computed >>> 0 === buf.readUInt32BE(at + CRC_AT);
}

/** Stamps the two broker-owned fields, both outside the CRC'd region (no CRC work). */
export function stampBatch(buf: Buffer, baseOffset: number, partitionLeaderEpoch: number): void {
  writeInt64(buf, BASE_OFFSET_AT, baseOffset);
  buf.writeInt32BE(partitionLeaderEpoch, PARTITION_LEADER_EPOCH_AT);
}
