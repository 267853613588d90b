import { ErrorCode } from './error-codes.js';
import { CompressionCodec, CompressionError, decompress } from './compression.js';
import { computeBatchCrc, CRC_OFFSET, MAX_TIMESTAMP_OFFSET, RECORD_BATCH_OVERHEAD, writeInt64Number } from './record-batch.js';

/**
 * Checks the records inside a produced batch, as Kafka's LogValidator does: every record's length
 * matches its fields, offset deltas are 0..n-1, the count matches, keys are present on compacted
 * topics, and CreateTime timestamps are within the topic's bounds. Compressed batches are
 * decompressed for this (Kafka does the same); nothing is copied for uncompressed ones and no
 * objects are allocated per record. A CRC-valid batch with corrupt records would otherwise be
 * stored and stall every consumer that reaches it.
 *
 * If the header's maxTimestamp differs from the records' true maximum it is rewritten (and the
 * CRC recomputed), as Kafka does.
 */
export interface RecordValidationOptions {
  requireKeys: boolean;
  /** CreateTime bounds in ms since the epoch; null for LogAppendTime topics (no check). */
  timestampBounds: { minMs: number; maxMs: number } | null;
  maxDecompressedBytes: number;
}

export type RecordValidationResult = { ok: true } | { ok: false; errorCode: number; message: string };

interface Cursor {
  bytes: Buffer;
  position: number;
  end: number;
}

class MalformedRecord extends Error {}

export function validateBatchRecords(
  batch: Buffer,
  header: { sizeBytes: number; recordsCount: number; compression: number; baseTimestamp: number; maxTimestamp: number },
  options: RecordValidationOptions,
): RecordValidationResult {
  let payload = batch.subarray(RECORD_BATCH_OVERHEAD, header.sizeBytes);
  if (header.compression !== CompressionCodec.NONE) {
    try {
      payload = decompress(header.compression as CompressionCodec, payload, options.maxDecompressedBytes);
    } catch (error) {
      if (error instanceof CompressionError) {
        return { ok: false, errorCode: ErrorCode.CORRUPT_MESSAGE, message: `Compressed records could not be read: ${error.message}` };
      }
      throw error;
    }
  }
  const cursor: Cursor = { bytes: payload, position: 0, end: payload.length };
  let maxTimestamp = -1;
  try {
    for (let index = 0; index < header.recordsCount; index++) {
      const length = readVarint(cursor);
      if (length < 0 || cursor.position + length > cursor.end) throw new MalformedRecord(`record ${index} has an invalid length ${length}`);
      const recordEnd = cursor.position + length;
      const recordCursor: Cursor = { bytes: payload, position: cursor.position, end: recordEnd };
      recordCursor.position += 1; // attributes
      const timestamp = header.baseTimestamp + readVarlong(recordCursor);
      const offsetDelta = readVarint(recordCursor);
      if (offsetDelta !== index) throw new MalformedRecord(`record ${index} has offset delta ${offsetDelta}`);
      const keyLength = readVarint(recordCursor);
      if (keyLength < -1) throw new MalformedRecord(`record ${index} has an invalid key length ${keyLength}`);
      if (keyLength === -1 && options.requireKeys) {
        return { ok: false, errorCode: ErrorCode.INVALID_RECORD, message: 'Compacted topic cannot accept message without key' };
      }
      skip(recordCursor, Math.max(keyLength, 0));
      const valueLength = readVarint(recordCursor);
      if (valueLength < -1) throw new MalformedRecord(`record ${index} has an invalid value length ${valueLength}`);
      skip(recordCursor, Math.max(valueLength, 0));
      const headerCount = readVarint(recordCursor);
      if (headerCount < 0) throw new MalformedRecord(`record ${index} has an invalid header count ${headerCount}`);
      for (let headerIndex = 0; headerIndex < headerCount; headerIndex++) {
        const headerKeyLength = readVarint(recordCursor);
        if (headerKeyLength < 0) throw new MalformedRecord(`record ${index} has a header with a null key`);
        skip(recordCursor, headerKeyLength);
        const headerValueLength = readVarint(recordCursor);
        if (headerValueLength < -1) throw new MalformedRecord(`record ${index} has an invalid header value length`);
        skip(recordCursor, Math.max(headerValueLength, 0));
      }
      if (recordCursor.position !== recordEnd) {
        throw new MalformedRecord(`record ${index}: expected to read ${length} bytes, read ${recordCursor.position - (recordEnd - length)}`);
      }
      cursor.position = recordEnd;
      const bounds = options.timestampBounds;
      if (bounds && (timestamp < bounds.minMs || timestamp > bounds.maxMs)) {
        return {
          ok: false,
          errorCode: ErrorCode.INVALID_TIMESTAMP,
          message: `Timestamp ${timestamp} of message with offset delta ${index} is out of range`,
        };
      }
      if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    }
    if (cursor.position !== cursor.end) throw new MalformedRecord(`${cursor.end - cursor.position} bytes follow the last record`);
  } catch (error) {
    if (error instanceof MalformedRecord) return { ok: false, errorCode: ErrorCode.INVALID_RECORD, message: `Invalid record: ${error.message}` };
    throw error;
  }
  if (options.timestampBounds && maxTimestamp !== header.maxTimestamp) {
    writeInt64Number(batch, maxTimestamp, MAX_TIMESTAMP_OFFSET);
    batch.writeUInt32BE(computeBatchCrc(batch), CRC_OFFSET);
  }
  return { ok: true };
}

function skip(cursor: Cursor, count: number): void {
  if (cursor.position + count > cursor.end) throw new MalformedRecord('a field runs past the end of its record');
  cursor.position += count;
}

/** Zig-zag varint (int32), as in protobuf; at most 5 bytes. */
function readVarint(cursor: Cursor): number {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (cursor.position >= cursor.end) throw new MalformedRecord('a varint runs past the end of its record');
    const byte = cursor.bytes[cursor.position++]!;
    value |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
    if (shift > 28) throw new MalformedRecord('a varint is longer than 5 bytes');
  }
  return (value >>> 1) ^ -(value & 1);
}

/**
 * Zig-zag varlong as a number, at most 10 bytes. Timestamp deltas are small in practice; values
 * beyond 2^53 lose precision, which only matters for absurd timestamps that then fail the bounds.
 */
function readVarlong(cursor: Cursor): number {
  let value = 0;
  let scale = 1;
  for (let count = 0; ; count++) {
    if (cursor.position >= cursor.end) throw new MalformedRecord('a varlong runs past the end of its record');
    if (count === 10) throw new MalformedRecord('a varlong is longer than 10 bytes');
    const byte = cursor.bytes[cursor.position++]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) break;
    scale *= 128;
  }
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}
