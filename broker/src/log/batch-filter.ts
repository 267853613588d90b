/**
 * Pure record-level work of the log cleaner on one stored v2 batch (Kafka's
 * `MemoryRecords.filterTo` with `LogCleaner`'s record filter, and
 * `DefaultRecordBatch.writeEmptyHeader`). No I/O.
 *
 * The rest of the log treats batches as opaque; only the cleaner looks inside them. Records are
 * parsed in place (after decompression) and kept as raw byte ranges, so a surviving record is
 * written back byte for byte: only its length prefix and timestamp delta are re-encoded, and only
 * when the batch's base timestamp changes (delete horizon set or cleared).
 *
 * A rewritten batch keeps the original header facts Kafka keeps: baseOffset, lastOffsetDelta
 * (so offsets and the producer's sequence range are unchanged), partitionLeaderEpoch, producer
 * id / epoch / base sequence, timestamp type, transactional and control bits, and the codec
 * (the kept records are recompressed with it). recordsCount, maxTimestamp (CreateTime: the max of
 * the kept records; LogAppendTime: unchanged) and the CRC are recomputed.
 *
 * Tombstones (KIP-534): the first time a batch holding a surviving tombstone is cleaned, its
 * DELETE_HORIZON attribute bit (0x40) is set and baseTimestamp becomes
 * `now + delete.retention.ms` (record timestamps stay exact: their deltas are re-encoded against
 * the new base). A later clean at or after that horizon drops the tombstones; when a rewritten
 * batch no longer holds a tombstone, the bit is cleared and baseTimestamp is the first kept
 * record's timestamp again. So the bit is set exactly on batches that hold tombstones.
 */
import { crc32c } from '@node-rs/crc32';
import { assert } from '../io/assert.js';
import { RecordCursor } from '../protocol/records.js';
import { compress, decompress, isCompressionCodec, type CompressionCodec } from '../protocol/compression.js';
import {
  ATTRIBUTES_AT,
  BASE_TIMESTAMP_AT,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_AT,
  CRC_AT,
  LOG_OVERHEAD_BYTES,
  MAX_TIMESTAMP_AT,
  RECORDS_COUNT_AT,
  attributesOf,
  baseOffsetOf,
  batchSizeBytes,
  maxTimestampOf,
  readInt64,
  writeInt64,
} from './batch-header.js';

export const DELETE_HORIZON_FLAG = 0x40;
const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_LOG_APPEND_TIME = 0x08;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

/** A stored batch the cleaner cannot parse (operating error: the cleaning of this log stops). */
export class CorruptBatchError extends Error {
  override name = 'CorruptBatchError';
}

export interface StoredRecord {
  offset: number;
  /** Absolute timestamp (base timestamp + delta; for LogAppendTime batches the stored delta's). */
  timestampMs: number;
  key: Buffer | null;
  /** False for a tombstone (null value). */
  hasValue: boolean;
  /** The record after its length varint: attributes, timestampDelta, offsetDelta, key, value, headers. */
  body: Buffer;
  /** Bytes of `body` after attributes + timestampDelta (offsetDelta onwards), copied verbatim. */
  tailAt: number;
}

export function hasDeleteHorizon(batch: Buffer): boolean {
  return (attributesOf(batch) & DELETE_HORIZON_FLAG) !== 0;
}

/** The batch's delete horizon (ms), or -1 when the DELETE_HORIZON bit is not set. */
export function deleteHorizonOf(batch: Buffer, at = 0): number {
  return (attributesOf(batch, at) & DELETE_HORIZON_FLAG) !== 0 ? readInt64(batch, at + BASE_TIMESTAMP_AT) : -1;
}

export function isControlBatch(batch: Buffer): boolean {
  return (attributesOf(batch) & CONTROL) !== 0;
}

/** Parses the records of the batch at the start of `batch` (decompressing them if needed). */
export function readStoredRecords(batch: Buffer): StoredRecord[] {
  const sizeBytes = batchSizeBytes(batch);
  if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > batch.length) throw new CorruptBatchError(`bad batch size ${sizeBytes}`);
  const codec = attributesOf(batch) & COMPRESSION_MASK;
  if (!isCompressionCodec(codec)) throw new CorruptBatchError(`unknown compression codec ${codec}`);
  const count = batch.readInt32BE(RECORDS_COUNT_AT);
  const raw = batch.subarray(BATCH_HEADER_BYTES, sizeBytes);
  let payload: Buffer;
  try {
    payload = codec === 0 ? raw : decompress(codec, raw);
  } catch (error) {
    throw new CorruptBatchError(`cannot decompress batch: ${String(error)}`);
  }
  if (count < 0 || count > payload.length) throw new CorruptBatchError(`bad record count ${count}`);
  const baseOffset = baseOffsetOf(batch);
  const baseTimestamp = readInt64(batch, BASE_TIMESTAMP_AT);
  const records: StoredRecord[] = [];
  const cursor = new RecordCursor(payload, 0, payload.length, corruptBatch);
  for (let i = 0; i < count; i++) {
    const length = cursor.varint();
    if (length < 0 || length > cursor.end - cursor.pos) cursor.fail(`bad record length ${length}`);
    const body = payload.subarray(cursor.pos, cursor.pos + length);
    const record = new RecordCursor(body, 0, body.length, corruptBatch);
    record.int8();
    const timestampDelta = record.varlong();
    const tailAt = record.pos;
    const offsetDelta = record.varint();
    const key = record.bytes();
    const value = record.bytes();
    records.push({
      offset: baseOffset + offsetDelta,
      timestampMs: baseTimestamp + timestampDelta,
      key,
      hasValue: value !== null,
      body,
      tailAt,
    });
    cursor.pos += length;
  }
  if (cursor.pos !== payload.length) cursor.fail('bytes after the last declared record');
  return records;
}

export interface RecordFilter {
  nowMs: number;
  deleteRetentionMs: number;
  /** True when no record with `key` at an offset above `offset` is in the offset map. */
  isLatest(key: Buffer, offset: number): boolean;
  /** Keep the header (as an empty batch) even if every record goes. */
  retainEmpty: boolean;
}

export type FilteredBatch =
  /** Store the input bytes as they are. */
  | { kind: 'unchanged'; deleteHorizonMs: number }
  | { kind: 'rewritten'; batch: Buffer; deleteHorizonMs: number; recordsRemoved: number }
  | { kind: 'removed'; recordsRemoved: number };

/**
 * Kafka's cleaner decision for one batch. A record survives when it has a key, no later record
 * with the same key is in the offset map, and it is not a tombstone past its batch's delete
 * horizon. Control batches are kept as they are (Fjord has no transactions yet).
 * `deleteHorizonMs` of the result is the output batch's horizon, -1 if it holds no tombstone.
 */
export function filterBatch(batch: Buffer, filter: RecordFilter): FilteredBatch {
  if (isControlBatch(batch)) return { kind: 'unchanged', deleteHorizonMs: -1 };
  const records = readStoredRecords(batch);
  const horizon = deleteHorizonOf(batch);
  const kept = records.filter(
    (record) =>
      record.key !== null && filter.isLatest(record.key, record.offset) && (record.hasValue || horizon < 0 || filter.nowMs < horizon),
  );
  const keptTombstones = kept.some((record) => !record.hasValue);
  const recordsRemoved = records.length - kept.length;
  if (recordsRemoved === 0 && keptTombstones === horizon >= 0) return { kind: 'unchanged', deleteHorizonMs: horizon };
  if (kept.length === 0) {
    if (!filter.retainEmpty) return { kind: 'removed', recordsRemoved };
    return { kind: 'rewritten', batch: emptyBatchLike(batch), deleteHorizonMs: -1, recordsRemoved };
  }
  let newHorizon = -1;
  if (keptTombstones) newHorizon = horizon >= 0 ? horizon : Math.min(filter.nowMs + filter.deleteRetentionMs, Number.MAX_SAFE_INTEGER);
  return { kind: 'rewritten', batch: rebuildBatch(batch, kept, newHorizon), deleteHorizonMs: newHorizon, recordsRemoved };
}

/**
 * The batch with `kept` records (a non-empty subset of its records, in order). `deleteHorizonMs`
 * >= 0 sets the DELETE_HORIZON bit and uses it as base timestamp.
 */
export function rebuildBatch(original: Buffer, kept: readonly StoredRecord[], deleteHorizonMs: number): Buffer {
  assert(kept.length > 0, 'a rebuilt batch keeps at least one record');
  const attributes = attributesOf(original);
  const originalBase = readInt64(original, BASE_TIMESTAMP_AT);
  let baseTimestamp: number;
  if (deleteHorizonMs >= 0) baseTimestamp = deleteHorizonMs;
  else if ((attributes & DELETE_HORIZON_FLAG) !== 0) baseTimestamp = kept[0]!.timestampMs;
  else baseTimestamp = originalBase;
  const parts: Buffer[] = [];
  let maxTimestamp = -1;
  for (const record of kept) {
    maxTimestamp = Math.max(maxTimestamp, record.timestampMs);
    if (baseTimestamp === originalBase) {
      parts.push(varintBuffer(record.body.length), record.body);
      continue;
    }
    const head = Buffer.allocUnsafe(1 + 10);
    head[0] = record.body[0]!;
    const headBytes = writeVarlong(head, record.timestampMs - baseTimestamp, 1);
    const tail = record.body.subarray(record.tailAt);
    parts.push(varintBuffer(headBytes + tail.length), head.subarray(0, headBytes), tail);
  }
  const records = Buffer.concat(parts);
  const codec = attributes & COMPRESSION_MASK;
  assert(isCompressionCodec(codec), 'codec was checked when the records were read');
  const payload = codec === 0 ? records : compress(codec as CompressionCodec, records);
  const batch = Buffer.allocUnsafe(BATCH_HEADER_BYTES + payload.length);
  original.copy(batch, 0, 0, BATCH_HEADER_BYTES);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD_BYTES, BATCH_LENGTH_AT);
  const newAttributes = deleteHorizonMs >= 0 ? attributes | DELETE_HORIZON_FLAG : attributes & ~DELETE_HORIZON_FLAG;
  batch.writeInt16BE(newAttributes, ATTRIBUTES_AT);
  writeInt64(batch, BASE_TIMESTAMP_AT, baseTimestamp);
  const isLogAppendTime = (attributes & TIMESTAMP_TYPE_LOG_APPEND_TIME) !== 0;
  writeInt64(batch, MAX_TIMESTAMP_AT, isLogAppendTime ? maxTimestampOf(original) : maxTimestamp);
  batch.writeInt32BE(kept.length, RECORDS_COUNT_AT);
  payload.copy(batch, BATCH_HEADER_BYTES);
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_AT)) >>> 0, CRC_AT);
  return batch;
}

/**
 * Kafka's `writeEmptyHeader`: the header of `original` with no records (kept so the producer's
 * last sequence, or a cleaned group's last offset, survives). Codec none, no delete horizon,
 * base and max timestamp = the original max timestamp.
 */
export function emptyBatchLike(original: Buffer): Buffer {
  const batch = Buffer.allocUnsafe(BATCH_HEADER_BYTES);
  original.copy(batch, 0, 0, BATCH_HEADER_BYTES);
  batch.writeInt32BE(BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES, BATCH_LENGTH_AT);
  batch.writeInt16BE(attributesOf(original) & (TIMESTAMP_TYPE_LOG_APPEND_TIME | TRANSACTIONAL | CONTROL), ATTRIBUTES_AT);
  const maxTimestamp = maxTimestampOf(original);
  writeInt64(batch, BASE_TIMESTAMP_AT, maxTimestamp);
  writeInt64(batch, MAX_TIMESTAMP_AT, maxTimestamp);
  batch.writeInt32BE(0, RECORDS_COUNT_AT);
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_AT)) >>> 0, CRC_AT);
  return batch;
}

// ---- varints (zig-zag, as in records.ts) ----------------------------------------------------

function varintBuffer(value: number): Buffer {
  const buf = Buffer.allocUnsafe(5);
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let pos = 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return buf.subarray(0, pos);
}

function writeVarlong(buf: Buffer, value: number, start: number): number {
  assert(Number.isSafeInteger(value), `varlong ${value} is not a safe integer`);
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let pos = start;
  while (v >= 0x80) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

const corruptBatch = (message: string): Error => new CorruptBatchError(message);
