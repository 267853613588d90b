import { ErrorCode } from './error-codes.js';
import { codecName, CompressionCodec, CompressionError, decompress, DecompressionLimitError } from './compression.js';
import { RecordCursor } from './records.js';
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
 *
 * A failure that belongs to one record (a missing key, a timestamp out of bounds) names it in
 * `recordIndex`, which the Produce response reports as a record error (Kafka's RecordError).
 * A batch whose records decompress to more than `maxDecompressedBytes` (a decompression bomb;
 * Kafka has no such limit) is INVALID_RECORD, not retriable, with a message naming the limit:
 * a retriable code would have the producer resend it until its delivery timeout.
 */
export interface RecordValidationOptions {
  requireKeys: boolean;
  /** CreateTime bounds in ms since the epoch; null for LogAppendTime topics (no check). */
  timestampBounds: { minMs: number; maxMs: number } | null;
  maxDecompressedBytes: number;
}

export type RecordValidationResult = { ok: true } | { ok: false; errorCode: number; message: string; recordIndex?: number };

class MalformedRecord extends Error {}

const malformed = (message: string): Error => new MalformedRecord(message);

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
      if (error instanceof DecompressionLimitError) {
        return {
          ok: false,
          errorCode: ErrorCode.INVALID_RECORD,
          message:
            `The ${codecName(header.compression)} records of this batch decompress to more than ${error.limit} bytes, ` +
            `the broker's limit for one batch: send smaller batches (batch.size, linger.ms)`,
        };
      }
      if (error instanceof CompressionError) {
        return { ok: false, errorCode: ErrorCode.CORRUPT_MESSAGE, message: `Compressed records could not be read: ${error.message}` };
      }
      throw error;
    }
  }
  const cursor = new RecordCursor(payload, 0, payload.length, malformed);
  let maxTimestamp = -1;
  try {
    for (let index = 0; index < header.recordsCount; index++) {
      const length = cursor.varint();
      if (length < 0 || length > cursor.end - cursor.pos) throw new MalformedRecord(`record ${index} has an invalid length ${length}`);
      const recordStart = cursor.pos;
      const record = new RecordCursor(payload, recordStart, recordStart + length, malformed);
      record.skip(1); // attributes
      const timestamp = header.baseTimestamp + record.varlong();
      const offsetDelta = record.varint();
      if (offsetDelta !== index) throw new MalformedRecord(`record ${index} has offset delta ${offsetDelta}`);
      const keyLength = record.varint();
      if (keyLength < -1) throw new MalformedRecord(`record ${index} has an invalid key length ${keyLength}`);
      if (keyLength === -1 && options.requireKeys) {
        return {
          ok: false,
          errorCode: ErrorCode.INVALID_RECORD,
          message: 'Compacted topic cannot accept message without key',
          recordIndex: index,
        };
      }
      record.skip(Math.max(keyLength, 0));
      const valueLength = record.varint();
      if (valueLength < -1) throw new MalformedRecord(`record ${index} has an invalid value length ${valueLength}`);
      record.skip(Math.max(valueLength, 0));
      const headerCount = record.varint();
      if (headerCount < 0) throw new MalformedRecord(`record ${index} has an invalid header count ${headerCount}`);
      for (let headerIndex = 0; headerIndex < headerCount; headerIndex++) {
        const headerKeyLength = record.varint();
        if (headerKeyLength < 0) throw new MalformedRecord(`record ${index} has a header with a null key`);
        record.skip(headerKeyLength);
        const headerValueLength = record.varint();
        if (headerValueLength < -1) throw new MalformedRecord(`record ${index} has an invalid header value length`);
        record.skip(Math.max(headerValueLength, 0));
      }
      if (record.pos !== record.end) {
        throw new MalformedRecord(`record ${index}: expected to read ${length} bytes, read ${record.pos - recordStart}`);
      }
      cursor.pos = record.end;
      const bounds = options.timestampBounds;
      if (bounds && (timestamp < bounds.minMs || timestamp > bounds.maxMs)) {
        return {
          ok: false,
          errorCode: ErrorCode.INVALID_TIMESTAMP,
          message: `Timestamp ${timestamp} of message with offset delta ${index} is out of range`,
          recordIndex: index,
        };
      }
      if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    }
    if (cursor.pos !== cursor.end) throw new MalformedRecord(`${cursor.end - cursor.pos} bytes follow the last record`);
  } catch (error) {
    if (error instanceof MalformedRecord)
      return { ok: false, errorCode: ErrorCode.INVALID_RECORD, message: `Invalid record: ${error.message}` };
    throw error;
  }
  if (options.timestampBounds && maxTimestamp !== header.maxTimestamp) {
    writeInt64Number(batch, maxTimestamp, MAX_TIMESTAMP_OFFSET);
    batch.writeUInt32BE(computeBatchCrc(batch), CRC_OFFSET);
  }
  return { ok: true };
}
