import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CompressionCodec } from './compression.js';
import { ErrorCode } from './error-codes.js';
import { computeBatchCrc, CRC_OFFSET, MAX_TIMESTAMP_OFFSET, RECORD_BATCH_OVERHEAD, validateProducedRecords } from './record-batch.js';
import { validateBatchRecords, type RecordValidationOptions } from './record-validation.js';
import { buildRecordBatch } from './records.js';

const NOW = 1_700_000_000_000;
const lenient: RecordValidationOptions = { requireKeys: false, timestampBounds: null, maxDecompressedBytes: 1 << 24 };

function check(batch: Buffer, options: RecordValidationOptions = lenient) {
  const header = validateProducedRecords(batch, { maxMessageBytes: 1 << 24 });
  assert.ok(header.ok, 'header must be valid for these cases');
  return validateBatchRecords(batch, header.batch, options);
}

/** Re-seals the CRC after an edit, so only the record check can catch it. */
function resealed(batch: Buffer, edit: (bytes: Buffer) => void): Buffer {
  const copy = Buffer.from(batch);
  edit(copy);
  copy.writeUInt32BE(computeBatchCrc(copy), CRC_OFFSET);
  return copy;
}

const sample = (compression: CompressionCodec = CompressionCodec.NONE) =>
  buildRecordBatch({
    compression,
    timestamp: NOW,
    records: [
      { key: 'k1', value: 'v1', headers: [{ key: 'h', value: 'x' }] },
      { key: null, value: null },
      { key: 'k3', value: 'a longer value '.repeat(20), timestamp: NOW + 5 },
    ],
  });

test('well-formed batches pass, for every codec', () => {
  for (const codec of [
    CompressionCodec.NONE,
    CompressionCodec.GZIP,
    CompressionCodec.SNAPPY,
    CompressionCodec.LZ4,
    CompressionCodec.ZSTD,
  ]) {
    assert.deepEqual(check(sample(codec)), { ok: true }, `codec ${codec}`);
  }
});

test('a corrupt record length with a valid CRC is INVALID_RECORD', () => {
  const result = check(resealed(sample(), (bytes) => (bytes[RECORD_BATCH_OVERHEAD] = 0x7e)));
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.errorCode, ErrorCode.INVALID_RECORD);
});

test('a compression flag on plain records is CORRUPT_MESSAGE', () => {
  const result = check(resealed(sample(), (bytes) => bytes.writeInt16BE(CompressionCodec.GZIP, 21)));
  assert.equal(!result.ok && result.errorCode, ErrorCode.CORRUPT_MESSAGE);
});

test('keyless records are refused when keys are required (compacted topics)', () => {
  const result = check(sample(), { ...lenient, requireKeys: true });
  assert.deepEqual(result, {
    ok: false,
    errorCode: ErrorCode.INVALID_RECORD,
    message: 'Compacted topic cannot accept message without key',
    recordIndex: 1,
  });
  const keyed = buildRecordBatch({ timestamp: NOW, records: [{ key: 'a', value: '1' }] });
  assert.deepEqual(check(keyed, { ...lenient, requireKeys: true }), { ok: true });
});

test('a batch whose records decompress past the limit is INVALID_RECORD (not retriable) naming the limit', () => {
  const big = buildRecordBatch({ compression: CompressionCodec.GZIP, timestamp: NOW, records: [{ key: 'k', value: Buffer.alloc(4096) }] });
  const result = check(big, { ...lenient, maxDecompressedBytes: 1024 });
  assert.deepEqual(result, {
    ok: false,
    errorCode: ErrorCode.INVALID_RECORD,
    message:
      "The gzip records of this batch decompress to more than 1024 bytes, the broker's limit for one batch: send smaller batches (batch.size, linger.ms)",
  });
});

test('CreateTime bounds apply to every record, not just the batch header', () => {
  const bounds = { minMs: NOW - 1000, maxMs: NOW + 1 };
  assert.equal(check(sample(), { ...lenient, timestampBounds: bounds }).ok, false);
  const refused = check(sample(), { ...lenient, timestampBounds: bounds }) as { errorCode: number; recordIndex?: number };
  assert.equal(refused.errorCode, ErrorCode.INVALID_TIMESTAMP);
  assert.equal(refused.recordIndex, 2, 'the record out of bounds is named');
  assert.deepEqual(check(sample(), { ...lenient, timestampBounds: { minMs: NOW - 1000, maxMs: NOW + 5 } }), { ok: true });
});

test('a wrong header maxTimestamp is rewritten with the CRC, as Kafka does', () => {
  const batch = resealed(sample(), (bytes) => bytes.writeBigInt64BE(BigInt(NOW - 99), MAX_TIMESTAMP_OFFSET));
  assert.deepEqual(check(batch, { ...lenient, timestampBounds: { minMs: 0, maxMs: NOW * 2 } }), { ok: true });
  assert.equal(Number(batch.readBigInt64BE(MAX_TIMESTAMP_OFFSET)), NOW + 5);
  assert.equal(batch.readUInt32BE(CRC_OFFSET), computeBatchCrc(batch));
});

test('random corruption of the records never throws and never passes a changed structure silently', () => {
  const original = sample();
  fc.assert(
    fc.property(fc.integer({ min: RECORD_BATCH_OVERHEAD, max: original.length - 1 }), fc.integer({ min: 1, max: 255 }), (position, xor) => {
      const mutated = resealed(original, (bytes) => (bytes[position] ^= xor));
      const result = check(mutated);
      // Either the structure is still consistent (a changed key/value byte) or it is refused.
      if (!result.ok) assert.ok([ErrorCode.INVALID_RECORD, ErrorCode.CORRUPT_MESSAGE].includes(result.errorCode as 2 | 87));
    }),
    { numRuns: 500 },
  );
});
