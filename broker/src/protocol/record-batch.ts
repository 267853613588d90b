/**
 * Record batch v2 (magic 2) header access, produce-side validation, in-place stamping and walking
 * of stored batches. PROTOCOL.md 3.1-3.6.
 *
 * Everything here reads the header in place from the Buffer the producer sent: no copy of the
 * batch and no per-record work (PERFORMANCE.md C2.2). The only O(size) work is the native CRC.
 *
 * Layout (offsets from the start of the batch):
 *   0 baseOffset int64 | 8 batchLength int32 | 12 partitionLeaderEpoch int32 | 16 magic int8 |
 *   17 crc uint32 (CRC-32C of [21, end)) | 21 attributes int16 | 23 lastOffsetDelta int32 |
 *   27 baseTimestamp int64 | 35 maxTimestamp int64 | 43 producerId int64 | 51 producerEpoch int16 |
 *   53 baseSequence int32 | 57 recordsCount int32 | 61 records
 */
import { crc32c } from './crc32c.js';
import { ErrorCode } from './error-codes.js';
import { assert } from '../io/assert.js';
import { CompressionCodec, COMPRESSION_CODEC_MASK, isCompressionCodec } from './compression.js';

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORDS_COUNT_OFFSET = 57;
export const RECORDS_OFFSET = 61;

/** Bytes before and including batchLength (baseOffset + batchLength): total size = batchLength + 12. */
export const LOG_OVERHEAD = 12;
/** Size of the v2 header; a batch is at least this big. */
export const RECORD_BATCH_OVERHEAD = 61;
/** Bytes needed to read the magic byte (Kafka's HEADER_SIZE_UP_TO_MAGIC). */
export const HEADER_SIZE_UP_TO_MAGIC = 17;
/** Kafka's LegacyRecord.RECORD_OVERHEAD_V0: smaller batchLength values are corrupt for any magic. */
export const MIN_BATCH_LENGTH_ANY_MAGIC = 14;
export const MAGIC_V2 = 2;
/** First byte covered by the CRC. */
export const CRC_START = ATTRIBUTES_OFFSET;

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;
export const NO_TIMESTAMP = -1;

export const BatchAttribute = {
  COMPRESSION_MASK: COMPRESSION_CODEC_MASK,
  /** 0 = CreateTime, 1 = LogAppendTime. */
  TIMESTAMP_TYPE: 0x08,
  TRANSACTIONAL: 0x10,
  CONTROL: 0x20,
  DELETE_HORIZON: 0x40,
} as const;

const TWO_32 = 4294967296;

/**
 * Reads a signed int64 as a number; NaN if it is not a safe integer. Cheaper than
 * `readBigInt64BE` + conversion.
 */
export function readInt64Number(buf: Buffer, offset: number): number {
  const hi = buf.readInt32BE(offset);
  const lo = buf.readUInt32BE(offset + 4);
  // |value| < 2^53 iff hi in [-2^21, 2^21) (the value -2^53 itself is excluded too).
  if (hi >= 0x200000 || hi < -0x200000 || (hi === -0x200000 && lo === 0)) return Number.NaN;
  return hi * TWO_32 + lo;
}

/** Writes a safe integer as int64. */
export function writeInt64Number(buf: Buffer, value: number, offset: number): void {
  assert(Number.isSafeInteger(value), `int64 value ${value} is not a safe integer`);
  const hi = Math.floor(value / TWO_32);
  const lo = value - hi * TWO_32;
  buf.writeInt32BE(hi, offset);
  buf.writeUInt32BE(lo, offset + 4);
}

/**
 * Reads header fields of the batch at `position` in place. The caller guarantees at least
 * RECORD_BATCH_OVERHEAD bytes are there (see `readBatchHeader` for untrusted data).
 * int64 fields are numbers (NaN if outside the safe-integer range).
 */
export class RecordBatchView {
  constructor(
    readonly buffer: Buffer,
    readonly position = 0,
  ) {}

  get baseOffset(): number {
    return readInt64Number(this.buffer, this.position + BASE_OFFSET_OFFSET);
  }
  get batchLength(): number {
    return this.buffer.readInt32BE(this.position + BATCH_LENGTH_OFFSET);
  }
  /** Whole batch size in bytes (batchLength + 12). */
  get sizeBytes(): number {
    return this.batchLength + LOG_OVERHEAD;
  }
  get partitionLeaderEpoch(): number {
    return this.buffer.readInt32BE(this.position + PARTITION_LEADER_EPOCH_OFFSET);
  }
  get magic(): number {
    return this.buffer.readInt8(this.position + MAGIC_OFFSET);
  }
  get crc(): number {
    return this.buffer.readUInt32BE(this.position + CRC_OFFSET);
  }
  get attributes(): number {
    return this.buffer.readUInt16BE(this.position + ATTRIBUTES_OFFSET);
  }
  /** Codec id (0-7; 5-7 are invalid). */
  get compression(): number {
    return this.attributes & BatchAttribute.COMPRESSION_MASK;
  }
  get isLogAppendTime(): boolean {
    return (this.attributes & BatchAttribute.TIMESTAMP_TYPE) !== 0;
  }
  get isTransactional(): boolean {
    return (this.attributes & BatchAttribute.TRANSACTIONAL) !== 0;
  }
  get isControl(): boolean {
    return (this.attributes & BatchAttribute.CONTROL) !== 0;
  }
  get lastOffsetDelta(): number {
    return this.buffer.readInt32BE(this.position + LAST_OFFSET_DELTA_OFFSET);
  }
  get lastOffset(): number {
    return this.baseOffset + this.lastOffsetDelta;
  }
  get baseTimestamp(): number {
    return readInt64Number(this.buffer, this.position + BASE_TIMESTAMP_OFFSET);
  }
  get maxTimestamp(): number {
    return readInt64Number(this.buffer, this.position + MAX_TIMESTAMP_OFFSET);
  }
  get producerId(): number {
    return readInt64Number(this.buffer, this.position + PRODUCER_ID_OFFSET);
  }
  get producerEpoch(): number {
    return this.buffer.readInt16BE(this.position + PRODUCER_EPOCH_OFFSET);
  }
  get baseSequence(): number {
    return this.buffer.readInt32BE(this.position + BASE_SEQUENCE_OFFSET);
  }
  get recordsCount(): number {
    return this.buffer.readInt32BE(this.position + RECORDS_COUNT_OFFSET);
  }
  /** The records section (possibly compressed), as a view. */
  get recordsPayload(): Buffer {
    return this.buffer.subarray(this.position + RECORDS_OFFSET, this.position + this.sizeBytes);
  }
  /** The whole batch, as a view. */
  get bytes(): Buffer {
    return this.buffer.subarray(this.position, this.position + this.sizeBytes);
  }
}

/** Computes the CRC-32C the batch at `position` should carry (over [21, end)). */
export function computeBatchCrc(buffer: Buffer, position = 0): number {
  const size = buffer.readInt32BE(position + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
  return crc32c(buffer.subarray(position + CRC_START, position + size));
}

/**
 * True if the batch at `position` is complete inside `buffer`, is at least a v2 header long and
 * its stored CRC matches. Never throws.
 */
export function verifyBatchCrc(buffer: Buffer, position = 0): boolean {
  if (position < 0 || buffer.length - position < RECORD_BATCH_OVERHEAD) return false;
  const size = buffer.readInt32BE(position + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
  if (size < RECORD_BATCH_OVERHEAD || size > buffer.length - position) return false;
  return crc32c(buffer.subarray(position + CRC_START, position + size)) === buffer.readUInt32BE(position + CRC_OFFSET);
}

// ---------------------------------------------------------------------------------------------
// Produce-side validation

/** Header facts of a validated produced batch, for the log and producer-state checks. */
export interface ProducedBatchInfo {
  /** Whole batch size in bytes (batchLength + 12) == records.length. */
  readonly sizeBytes: number;
  readonly recordsCount: number;
  readonly lastOffsetDelta: number;
  readonly compression: CompressionCodec;
  readonly isTransactional: boolean;
  /** -1 when the batch is not idempotent (Kafka treats any negative id as "none"). */
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
}

export type ValidateProducedResult =
  { readonly ok: true; readonly batch: ProducedBatchInfo } | { readonly ok: false; readonly errorCode: number; readonly message: string };

export interface ProducedBatchLimits {
  /** Topic `max.message.bytes`: the largest batch (batchLength + 12) accepted. */
  readonly maxMessageBytes: number;
}

function reject(errorCode: number, message: string): ValidateProducedResult {
  return { ok: false, errorCode, message };
}

/** True if a whole batch (its batchLength says how long) starts at `position`. */
function holdsCompleteBatch(records: Buffer, position: number): boolean {
  const remaining = records.length - position;
  if (remaining < LOG_OVERHEAD) return false;
  return remaining >= records.readInt32BE(position + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
}

/**
 * Validates the `records` field of one Produce (v3+) partition: exactly one magic-2 batch
 * (trailing bytes that do not make a second whole batch are ignored, as Kafka's batch iterator
 * does), base offset 0, at most `maxMessageBytes`, CRC-32C, offset range and count, no control
 * bit, a known codec, a producer id/sequence pair that makes sense, the CreateTime timestamp type
 * and timestamps in the safe-integer range. Header and CRC only: it never walks or decompresses
 * the records. Never throws on any input.
 * Error codes follow Kafka (ByteBufferLogInputStream, ProduceRequest.validateRecords,
 * UnifiedLog.analyzeAndValidateRecords, LogValidator.validateBatch).
 * The caller still checks the records themselves (record-validation.ts `validateBatchRecords`),
 * that zstd comes with Produce v7+ (UNSUPPORTED_COMPRESSION_TYPE), transactional batches, and the
 * producer-state (sequence/epoch) rules.
 */
export function validateProducedRecords(records: Buffer, limits: ProducedBatchLimits): ValidateProducedResult {
  const length = records.length;
  // ByteBufferLogInputStream: fewer than 12 bytes = no batch at all.
  if (length < LOG_OVERHEAD) {
    return reject(ErrorCode.INVALID_RECORD, 'Produce requests must have exactly one record batch per partition');
  }
  const batchLength = records.readInt32BE(BATCH_LENGTH_OFFSET);
  if (batchLength < MIN_BATCH_LENGTH_ANY_MAGIC) {
    return reject(ErrorCode.CORRUPT_MESSAGE, `Record batch length ${batchLength} is less than the minimum record overhead`);
  }
  if (length < HEADER_SIZE_UP_TO_MAGIC) {
    return reject(ErrorCode.INVALID_RECORD, 'Produce requests must have exactly one record batch per partition (truncated batch)');
  }
  const magic = records.readInt8(MAGIC_OFFSET);
  if (magic < 0 || magic > MAGIC_V2) {
    return reject(ErrorCode.CORRUPT_MESSAGE, `Invalid magic found in record: ${magic}`);
  }
  const sizeBytes = batchLength + LOG_OVERHEAD;
  if (length < sizeBytes) {
    return reject(
      ErrorCode.INVALID_RECORD,
      `Produce requests must have exactly one record batch per partition (batch of ${sizeBytes} bytes truncated to ${length})`,
    );
  }
  if (magic !== MAGIC_V2) {
    return reject(ErrorCode.INVALID_RECORD, `Produce requests v3+ are only allowed to contain record batches with magic 2, not ${magic}`);
  }
  if (sizeBytes < RECORD_BATCH_OVERHEAD) {
    return reject(ErrorCode.CORRUPT_MESSAGE, `Record batch size ${sizeBytes} is smaller than the v2 header (${RECORD_BATCH_OVERHEAD})`);
  }
  if (length > sizeBytes && holdsCompleteBatch(records, sizeBytes)) {
    return reject(ErrorCode.INVALID_RECORD, 'Produce requests must have exactly one record batch per partition');
  }
  // Like Kafka's batch iterator, trailing bytes that don't form a whole batch are ignored: the
  // caller stores records.subarray(0, sizeBytes).
  const baseOffsetHi = records.readInt32BE(BASE_OFFSET_OFFSET);
  const baseOffsetLo = records.readInt32BE(BASE_OFFSET_OFFSET + 4);
  if (baseOffsetHi !== 0 || baseOffsetLo !== 0) {
    return reject(ErrorCode.INVALID_RECORD, `The baseOffset of the record batch should be 0, but it is ${records.readBigInt64BE(0)}`);
  }
  if (sizeBytes > limits.maxMessageBytes) {
    return reject(
      ErrorCode.MESSAGE_TOO_LARGE,
      `The record batch size ${sizeBytes} bytes exceeds the maximum allowed (max.message.bytes ${limits.maxMessageBytes})`,
    );
  }
  const storedCrc = records.readUInt32BE(CRC_OFFSET);
  const crc = crc32c(records.subarray(CRC_START, sizeBytes));
  if (crc !== storedCrc) {
    return reject(ErrorCode.CORRUPT_MESSAGE, `Record batch is corrupt (stored crc = ${storedCrc}, computed crc = ${crc})`);
  }
  const attributes = records.readUInt16BE(ATTRIBUTES_OFFSET);
  const lastOffsetDelta = records.readInt32BE(LAST_OFFSET_DELTA_OFFSET);
  const recordsCount = records.readInt32BE(RECORDS_COUNT_OFFSET);
  if (lastOffsetDelta < 0) {
    return reject(ErrorCode.INVALID_RECORD, `Batch has an invalid offset range: lastOffsetDelta ${lastOffsetDelta}`);
  }
  if (recordsCount <= 0) {
    return reject(ErrorCode.INVALID_RECORD, `Invalid reported count for record batch: ${recordsCount}`);
  }
  if (lastOffsetDelta + 1 !== recordsCount) {
    return reject(ErrorCode.INVALID_RECORD, `Inconsistent batch offset range [0, ${lastOffsetDelta}] and count of records ${recordsCount}`);
  }
  if ((attributes & BatchAttribute.CONTROL) !== 0) {
    return reject(ErrorCode.INVALID_RECORD, 'Clients are not allowed to write control records');
  }
  const compression = attributes & BatchAttribute.COMPRESSION_MASK;
  if (!isCompressionCodec(compression)) {
    return reject(ErrorCode.INVALID_RECORD, `Unknown compression type id ${compression}`);
  }
  let producerId = readInt64Number(records, PRODUCER_ID_OFFSET);
  if (Number.isNaN(producerId)) {
    if (records.readInt32BE(PRODUCER_ID_OFFSET) >= 0) {
      return reject(ErrorCode.INVALID_RECORD, `Producer id ${records.readBigInt64BE(PRODUCER_ID_OFFSET)} is out of range`);
    }
    producerId = NO_PRODUCER_ID;
  } else if (producerId < 0) {
    producerId = NO_PRODUCER_ID;
  }
  const baseSequence = records.readInt32BE(BASE_SEQUENCE_OFFSET);
  if (producerId >= 0 && baseSequence < 0) {
    return reject(ErrorCode.INVALID_RECORD, `Invalid sequence number ${baseSequence} in record batch with producerId ${producerId}`);
  }
  if ((attributes & BatchAttribute.TIMESTAMP_TYPE) !== 0) {
    return reject(ErrorCode.INVALID_RECORD, 'Producers must not set the LogAppendTime timestamp type');
  }
  const baseTimestamp = readInt64Number(records, BASE_TIMESTAMP_OFFSET);
  const maxTimestamp = readInt64Number(records, MAX_TIMESTAMP_OFFSET);
  if (Number.isNaN(baseTimestamp) || Number.isNaN(maxTimestamp)) {
    return reject(ErrorCode.INVALID_TIMESTAMP, 'Record batch timestamp is outside the supported range');
  }
  return {
    ok: true,
    batch: {
      sizeBytes,
      recordsCount,
      lastOffsetDelta,
      compression,
      isTransactional: (attributes & BatchAttribute.TRANSACTIONAL) !== 0,
      producerId,
      producerEpoch: records.readInt16BE(PRODUCER_EPOCH_OFFSET),
      baseSequence,
      baseTimestamp,
      maxTimestamp,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// In-place stamping (broker side)

/**
 * Writes `baseOffset` and `partitionLeaderEpoch` into the batch at the start of `batch`.
 * Both fields are outside the CRC: no CRC work.
 */
export function stampBatch(batch: Buffer, baseOffset: number, partitionLeaderEpoch: number): void {
  assert(batch.length >= RECORD_BATCH_OVERHEAD, 'stampBatch: buffer shorter than a batch header');
  assert(Number.isSafeInteger(baseOffset) && baseOffset >= 0, `stampBatch: bad base offset ${baseOffset}`);
  writeInt64Number(batch, baseOffset, BASE_OFFSET_OFFSET);
  batch.writeInt32BE(partitionLeaderEpoch, PARTITION_LEADER_EPOCH_OFFSET);
}

/**
 * For LogAppendTime topics: sets the timestamp-type bit and maxTimestamp = nowMs, then
 * recomputes the CRC (Kafka `setMaxTimestamp(LOG_APPEND_TIME, now)`). baseTimestamp is kept.
 */
export function setLogAppendTime(batch: Buffer, nowMs: number): void {
  assert(batch.length >= RECORD_BATCH_OVERHEAD, 'setLogAppendTime: buffer shorter than a batch header');
  const attributes = batch.readUInt16BE(ATTRIBUTES_OFFSET) | BatchAttribute.TIMESTAMP_TYPE;
  batch.writeUInt16BE(attributes, ATTRIBUTES_OFFSET);
  writeInt64Number(batch, nowMs, MAX_TIMESTAMP_OFFSET);
  batch.writeUInt32BE(computeBatchCrc(batch, 0), CRC_OFFSET);
}

// ---------------------------------------------------------------------------------------------
// Walking stored batches (log recovery, fetch)

/** Header facts of a stored batch. int64 fields are safe-integer numbers. */
export interface BatchHeader {
  /** Start of the batch in the buffer. */
  readonly position: number;
  /** batchLength + 12. */
  readonly sizeBytes: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly partitionLeaderEpoch: number;
  readonly magic: number;
  readonly crc: number;
  readonly attributes: number;
  readonly compression: number;
  readonly isLogAppendTime: boolean;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordsCount: number;
}

export type ReadBatchResult =
  /** A complete batch; `crcValid` is null unless verification was asked for. */
  | { readonly kind: 'batch'; readonly header: BatchHeader; readonly crcValid: boolean | null }
  /**
   * The buffer ends inside a batch (a torn tail, or a fetch cut short). `sizeBytes` is the
   * claimed size if the length field could be read, else null.
   */
  | { readonly kind: 'incomplete'; readonly position: number; readonly sizeBytes: number | null }
  /** Not a walkable v2 batch (bad length, magic or offsets): stop here. */
  | { readonly kind: 'invalid'; readonly position: number; readonly reason: string };

/**
 * Reads the header of the batch at `position`. Never throws. With `verifyCrc`, also checks the
 * CRC of a complete batch (crcValid). Walk with `position += header.sizeBytes`.
 */
export function readBatchHeader(buffer: Buffer, position: number, verifyCrc = false): ReadBatchResult {
  const available = buffer.length - position;
  if (position < 0 || available < 0) return { kind: 'invalid', position, reason: 'position outside the buffer' };
  if (available < LOG_OVERHEAD) return { kind: 'incomplete', position, sizeBytes: null };
  const batchLength = buffer.readInt32BE(position + BATCH_LENGTH_OFFSET);
  const sizeBytes = batchLength + LOG_OVERHEAD;
  if (sizeBytes < RECORD_BATCH_OVERHEAD) {
    return { kind: 'invalid', position, reason: `batch length ${batchLength} is smaller than a v2 header` };
  }
  if (available >= HEADER_SIZE_UP_TO_MAGIC) {
    const magic = buffer.readInt8(position + MAGIC_OFFSET);
    if (magic !== MAGIC_V2) return { kind: 'invalid', position, reason: `unsupported magic ${magic}` };
  }
  if (available < sizeBytes) return { kind: 'incomplete', position, sizeBytes };
  const view = new RecordBatchView(buffer, position);
  const baseOffset = view.baseOffset;
  const lastOffsetDelta = view.lastOffsetDelta;
  if (Number.isNaN(baseOffset) || baseOffset < 0 || lastOffsetDelta < 0) {
    return { kind: 'invalid', position, reason: 'base offset or last offset delta out of range' };
  }
  const attributes = view.attributes;
  const producerId = view.producerId;
  const header: BatchHeader = {
    position,
    sizeBytes,
    baseOffset,
    lastOffset: baseOffset + lastOffsetDelta,
    partitionLeaderEpoch: view.partitionLeaderEpoch,
    magic: MAGIC_V2,
    crc: view.crc,
    attributes,
    compression: attributes & BatchAttribute.COMPRESSION_MASK,
    isLogAppendTime: (attributes & BatchAttribute.TIMESTAMP_TYPE) !== 0,
    isTransactional: (attributes & BatchAttribute.TRANSACTIONAL) !== 0,
    isControl: (attributes & BatchAttribute.CONTROL) !== 0,
    lastOffsetDelta,
    baseTimestamp: view.baseTimestamp,
    maxTimestamp: view.maxTimestamp,
    producerId: Number.isNaN(producerId) || producerId < 0 ? NO_PRODUCER_ID : producerId,
    producerEpoch: view.producerEpoch,
    baseSequence: view.baseSequence,
    recordsCount: view.recordsCount,
  };
  const crcValid = verifyCrc ? crc32c(buffer.subarray(position + CRC_START, position + sizeBytes)) === header.crc : null;
  return { kind: 'batch', header, crcValid };
}

/**
 * Walks the batches of `buffer` from `start`. Yields every complete batch; if the walk ends
 * before the end of the buffer, the last item is the 'incomplete' or 'invalid' result that
 * stopped it. A batch with a bad CRC (when verifying) is yielded and the walk continues; the
 * caller decides (log recovery truncates there).
 */
export function* iterateBatches(buffer: Buffer, options: { start?: number; verifyCrc?: boolean } = {}): Generator<ReadBatchResult> {
  let position = options.start ?? 0;
  while (position < buffer.length) {
    const result = readBatchHeader(buffer, position, options.verifyCrc ?? false);
    yield result;
    if (result.kind !== 'batch') return;
    position += result.header.sizeBytes;
  }
}
