/**
 * Records inside a v2 batch (PROTOCOL.md 3.3): decoding (decompressing when needed), building
 * whole batches (our client, tests, benchmarks, control markers), and timestamp lookup for
 * ListOffsets. None of this is on the produce hot path.
 *
 * Record:
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value |
 *   headersCount varint | [headerKeyLength varint | key utf8 | headerValueLength varint | value]
 */
import { assert } from '../io/assert.js';
import { crc32c } from './crc32c.js';
import { compress, CompressionCodec, decompress, isCompressionCodec, MAX_DECOMPRESSED_BYTES } from './compression.js';
import {
  BatchAttribute,
  CRC_OFFSET,
  CRC_START,
  LOG_OVERHEAD,
  MAGIC_V2,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  RECORD_BATCH_OVERHEAD,
  RECORDS_OFFSET,
  RecordBatchView,
  writeInt64Number,
} from './record-batch.js';

export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

export interface DecodedRecord {
  readonly attributes: number;
  readonly offsetDelta: number;
  readonly timestampDelta: number;
  /** baseOffset + offsetDelta. */
  readonly offset: number;
  /** baseTimestamp + timestampDelta, or the batch maxTimestamp for LogAppendTime batches. */
  readonly timestamp: number;
  /** Views into the batch (or into its decompressed payload). */
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

/** The records of a batch are malformed. */
export class RecordsDecodeError extends Error {
  override name = 'RecordsDecodeError';
}

// ---------------------------------------------------------------------------------------------
// varints

/** Bytes of a zig-zag varint (int32). */
function sizeOfVarint(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let n = 1;
  while (v >= 0x80) {
    v >>>= 7;
    n++;
  }
  return n;
}

function zigzag64(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** Bytes of a zig-zag varlong (safe-integer number). */
function sizeOfVarlong(value: number): number {
  let v = zigzag64(value);
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function writeVarint(buf: Buffer, value: number, pos: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

function writeVarlong(buf: Buffer, value: number, pos: number): number {
  let v = zigzag64(value);
  while (v >= 0x80) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/**
 * Bounds-checked reader over a record payload (zig-zag varints, length-prefixed bytes). Shared
 * by the record decoder, the produce-side record validation and the log cleaner; each passes the
 * error type it throws.
 */
export class RecordCursor {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
    private readonly makeError: (message: string) => Error = (message) => new RecordsDecodeError(message),
  ) {
    this.pos = start;
  }

  fail(what: string): never {
    throw this.makeError(`malformed record: ${what} at byte ${this.pos}`);
  }

  skip(count: number): void {
    if (count < 0 || count > this.end - this.pos) this.fail(`bad length ${count}`);
    this.pos += count;
  }

  int8(): number {
    if (this.pos >= this.end) this.fail('truncated int8');
    return this.buf.readInt8(this.pos++);
  }

  varint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (result >>> 1) ^ -(result & 1);
    }
    return this.fail('varint too long');
  }

  varlong(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varlong');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) {
        if (result > Number.MAX_SAFE_INTEGER * 2) this.fail('varlong outside the safe integer range');
        return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      }
    }
    return this.fail('varlong too long');
  }

  /** varint length + bytes; -1 = null. */
  bytes(): Buffer | null {
    const len = this.varint();
    if (len === -1) return null;
    if (len < 0 || len > this.end - this.pos) this.fail(`bad length ${len}`);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// decode

export interface DecodeRecordsOptions {
  /** Limit on the decompressed payload (default MAX_DECOMPRESSED_BYTES). */
  readonly maxDecompressedBytes?: number;
}

/**
 * Decodes the records of the batch at the start of `batch` (decompressing if needed).
 * Throws `RecordsDecodeError` on malformed records and `CompressionError` /
 * `DecompressionLimitError` (compression.ts) on bad compressed data. Does not check the CRC.
 */
export function decodeRecords(batch: Buffer, options: DecodeRecordsOptions = {}): DecodedRecord[] {
  if (batch.length < RECORD_BATCH_OVERHEAD) throw new RecordsDecodeError('buffer shorter than a batch header');
  const view = new RecordBatchView(batch, 0);
  if (view.magic !== MAGIC_V2) throw new RecordsDecodeError(`unsupported magic ${view.magic}`);
  const size = view.sizeBytes;
  if (size < RECORD_BATCH_OVERHEAD || size > batch.length) throw new RecordsDecodeError(`bad batch size ${size}`);
  const codec = view.compression;
  if (!isCompressionCodec(codec)) throw new RecordsDecodeError(`unknown compression codec ${codec}`);
  const count = view.recordsCount;
  const baseOffset = view.baseOffset;
  const baseTimestamp = view.baseTimestamp;
  const logAppendTime = view.isLogAppendTime ? view.maxTimestamp : null;
  if (Number.isNaN(baseOffset) || Number.isNaN(baseTimestamp) || Number.isNaN(view.maxTimestamp)) {
    throw new RecordsDecodeError('batch offset or timestamp outside the safe integer range');
  }
  const payload =
    codec === CompressionCodec.NONE
      ? batch.subarray(RECORDS_OFFSET, size)
      : decompress(codec, batch.subarray(RECORDS_OFFSET, size), options.maxDecompressedBytes ?? MAX_DECOMPRESSED_BYTES);
  // Every record takes at least 7 bytes: never trust the count for allocation.
  if (count < 0 || count > payload.length / 7) throw new RecordsDecodeError(`bad record count ${count}`);
  const records: DecodedRecord[] = [];
  const c = new RecordCursor(payload, 0, payload.length);
  for (let i = 0; i < count; i++) {
    const length = c.varint();
    if (length < 0 || length > c.end - c.pos) c.fail(`bad record length ${length}`);
    const recordEnd = c.pos + length;
    const rc = new RecordCursor(payload, c.pos, recordEnd);
    const attributes = rc.int8();
    const timestampDelta = rc.varlong();
    const offsetDelta = rc.varint();
    const key = rc.bytes();
    const value = rc.bytes();
    const headerCount = rc.varint();
    if (headerCount < 0 || headerCount > (rc.end - rc.pos) / 2) rc.fail(`bad header count ${headerCount}`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const hk = rc.bytes();
      if (hk === null) throw new RecordsDecodeError(`malformed record: null header key at byte ${rc.pos}`);
      headers.push({ key: hk.toString('utf8'), value: rc.bytes() });
    }
    if (rc.pos !== recordEnd) rc.fail('record length does not match its fields');
    c.pos = recordEnd;
    records.push({
      attributes,
      offsetDelta,
      timestampDelta,
      offset: baseOffset + offsetDelta,
      timestamp: logAppendTime ?? baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    });
  }
  if (c.pos !== payload.length) c.fail(`${payload.length - c.pos} bytes after the last declared record`);
  return records;
}

/** Alias of `decodeRecords`. */
export const decodeBatchRecords = decodeRecords;

/**
 * ListOffsets by time: the first record of the batch whose timestamp >= `targetTimestamp`,
 * or null if none. Skips decoding when the batch maxTimestamp is below the target; a
 * LogAppendTime batch answers with its first offset and maxTimestamp.
 */
export function findOffsetForTimestamp(
  batch: Buffer,
  targetTimestamp: number,
  options: DecodeRecordsOptions = {},
): { offset: number; timestamp: number } | null {
  const view = new RecordBatchView(batch, 0);
  const maxTimestamp = view.maxTimestamp;
  if (!(maxTimestamp >= targetTimestamp)) return null;
  if (view.isLogAppendTime) return { offset: view.baseOffset, timestamp: maxTimestamp };
  for (const record of decodeRecords(batch, options)) {
    if (record.timestamp >= targetTimestamp) return { offset: record.offset, timestamp: record.timestamp };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// build

export interface RecordInput {
  readonly key?: Buffer | string | null;
  readonly value?: Buffer | string | null;
  readonly headers?: readonly { readonly key: string; readonly value: Buffer | string | null }[];
  /** Epoch ms; defaults to the batch `timestamp` option. */
  readonly timestamp?: number;
}

export interface BuildRecordBatchOptions {
  readonly records: readonly RecordInput[];
  /** Default 0 (what producers send). */
  readonly baseOffset?: number;
  /** Default -1 (what producers send). */
  readonly partitionLeaderEpoch?: number;
  readonly compression?: CompressionCodec;
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly isTransactional?: boolean;
  readonly isControl?: boolean;
  /** Timestamp for records without one; default Date.now(). */
  readonly timestamp?: number;
}

const toBuf = (v: Buffer | string | null | undefined): Buffer | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? Buffer.from(v, 'utf8') : v;

/** Builds a complete v2 batch with a correct CRC (CreateTime). */
export function buildRecordBatch(options: BuildRecordBatchOptions): Buffer {
  const codec = options.compression ?? CompressionCodec.NONE;
  const now = options.timestamp ?? Date.now();
  const inputs = options.records;
  const timestamps = inputs.map((r) => r.timestamp ?? now);
  const baseTimestamp = timestamps.length > 0 ? timestamps[0]! : now;
  let maxTimestamp = timestamps.length > 0 ? timestamps[0]! : now;
  for (const t of timestamps) {
    assert(Number.isSafeInteger(t), `record timestamp ${t} is not a safe integer`);
    if (t > maxTimestamp) maxTimestamp = t;
  }

  // Size pass: encode keys/values/headers once, compute each record's length.
  const prepared = inputs.map((r, i) => {
    const key = toBuf(r.key);
    const value = toBuf(r.value);
    const headers = (r.headers ?? []).map((h) => ({ key: Buffer.from(h.key, 'utf8'), value: toBuf(h.value) }));
    const timestampDelta = timestamps[i]! - baseTimestamp;
    let bodySize =
      1 +
      sizeOfVarlong(timestampDelta) +
      sizeOfVarint(i) +
      (key === null ? 1 : sizeOfVarint(key.length) + key.length) +
      (value === null ? 1 : sizeOfVarint(value.length) + value.length) +
      sizeOfVarint(headers.length);
    for (const h of headers) {
      bodySize += sizeOfVarint(h.key.length) + h.key.length;
      bodySize += h.value === null ? 1 : sizeOfVarint(h.value.length) + h.value.length;
    }
    return { key, value, headers, timestampDelta, bodySize };
  });
  let recordsSize = 0;
  for (const p of prepared) recordsSize += sizeOfVarint(p.bodySize) + p.bodySize;

  const recordsBuf = Buffer.allocUnsafe(recordsSize);
  let pos = 0;
  prepared.forEach((p, i) => {
    pos = writeVarint(recordsBuf, p.bodySize, pos);
    recordsBuf[pos++] = 0; // attributes
    pos = writeVarlong(recordsBuf, p.timestampDelta, pos);
    pos = writeVarint(recordsBuf, i, pos);
    pos = writeBytes(recordsBuf, p.key, pos);
    pos = writeBytes(recordsBuf, p.value, pos);
    pos = writeVarint(recordsBuf, p.headers.length, pos);
    for (const h of p.headers) {
      pos = writeBytes(recordsBuf, h.key, pos);
      pos = writeBytes(recordsBuf, h.value, pos);
    }
  });
  assert(pos === recordsSize, 'record size computation mismatch');

  const payload = codec === CompressionCodec.NONE ? recordsBuf : compress(codec, recordsBuf);
  const size = RECORD_BATCH_OVERHEAD + payload.length;
  const batch = Buffer.allocUnsafe(size);
  writeInt64Number(batch, options.baseOffset ?? 0, 0);
  batch.writeInt32BE(size - LOG_OVERHEAD, 8);
  batch.writeInt32BE(options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, 12);
  batch.writeInt8(MAGIC_V2, 16);
  let attributes: number = codec;
  if (options.isTransactional) attributes |= BatchAttribute.TRANSACTIONAL;
  if (options.isControl) attributes |= BatchAttribute.CONTROL;
  batch.writeUInt16BE(attributes, 21);
  batch.writeInt32BE(inputs.length - 1, 23);
  writeInt64Number(batch, baseTimestamp, 27);
  writeInt64Number(batch, maxTimestamp, 35);
  writeInt64Number(batch, options.producerId ?? NO_PRODUCER_ID, 43);
  batch.writeInt16BE(options.producerEpoch ?? NO_PRODUCER_EPOCH, 51);
  batch.writeInt32BE(options.baseSequence ?? NO_SEQUENCE, 53);
  batch.writeInt32BE(inputs.length, 57);
  payload.copy(batch, RECORDS_OFFSET);
  batch.writeUInt32BE(crc32c(batch.subarray(CRC_START)), CRC_OFFSET);
  return batch;
}

function writeBytes(buf: Buffer, value: Buffer | null, pos: number): number {
  if (value === null) return writeVarint(buf, -1, pos);
  pos = writeVarint(buf, value.length, pos);
  value.copy(buf, pos);
  return pos + value.length;
}
