import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode } from './error-codes.js';
import { CompressionCodec } from './compression.js';
import { buildRecordBatch, decodeRecords } from './records.js';
import {
  BatchAttribute,
  computeBatchCrc,
  CRC_OFFSET,
  iterateBatches,
  readBatchHeader,
  readInt64Number,
  RECORD_BATCH_OVERHEAD,
  RecordBatchView,
  setLogAppendTime,
  stampBatch,
  validateProducedRecords,
  verifyBatchCrc,
  writeInt64Number,
} from './record-batch.js';

const LIMITS = { maxMessageBytes: 1_048_588 };

function sample(extra: Partial<Parameters<typeof buildRecordBatch>[0]> = {}): Buffer {
  return buildRecordBatch({
    records: [
      { key: 'k1', value: 'v1', timestamp: 1_700_000_000_000 },
      { key: null, value: 'v2', timestamp: 1_700_000_000_005, headers: [{ key: 'h', value: 'x' }] },
      { key: 'k3', value: null, timestamp: 1_699_999_999_990 },
    ],
    ...extra,
  });
}

/** Mutates a copy, then recomputes the CRC so only the intended check fails. */
function patched(batch: Buffer, mutate: (b: Buffer) => void, fixCrc = true): Buffer {
  const b = Buffer.from(batch);
  mutate(b);
  if (fixCrc) b.writeUInt32BE(computeBatchCrc(b), CRC_OFFSET);
  return b;
}

function expectError(records: Buffer, code: number, limits = LIMITS): void {
  const r = validateProducedRecords(records, limits);
  assert.equal(r.ok, false, 'expected a validation error');
  if (!r.ok) assert.equal(r.errorCode, code, r.message);
}

test('a built batch validates and reports its header facts', () => {
  const b = sample({ producerId: 42, producerEpoch: 3, baseSequence: 7, isTransactional: true });
  const r = validateProducedRecords(b, LIMITS);
  assert.ok(r.ok);
  assert.deepEqual(r.batch, {
    sizeBytes: b.length,
    recordsCount: 3,
    lastOffsetDelta: 2,
    compression: CompressionCodec.NONE,
    isTransactional: true,
    producerId: 42,
    producerEpoch: 3,
    baseSequence: 7,
    baseTimestamp: 1_700_000_000_000,
    maxTimestamp: 1_700_000_000_005,
  });
});

test('RecordBatchView reads header fields in place', () => {
  const b = sample({ compression: CompressionCodec.GZIP, producerId: 9, producerEpoch: 1, baseSequence: 0 });
  const v = new RecordBatchView(b);
  assert.equal(v.magic, 2);
  assert.equal(v.sizeBytes, b.length);
  assert.equal(v.compression, CompressionCodec.GZIP);
  assert.equal(v.recordsCount, 3);
  assert.equal(v.lastOffsetDelta, 2);
  assert.equal(v.producerId, 9);
  assert.equal(v.partitionLeaderEpoch, -1);
  assert.equal(v.baseOffset, 0);
  assert.equal(v.isControl, false);
  assert.equal(v.bytes.buffer, b.buffer, 'view, not copy');
});

test('int64 number helpers', () => {
  const b = Buffer.alloc(8);
  for (const n of [0, 1, -1, 2 ** 32, -(2 ** 32) - 5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1_700_000_000_123]) {
    writeInt64Number(b, n, 0);
    assert.equal(b.readBigInt64BE(0), BigInt(n));
    assert.equal(readInt64Number(b, 0), n);
  }
  b.writeBigInt64BE(2n ** 53n, 0);
  assert.ok(Number.isNaN(readInt64Number(b, 0)));
  b.writeBigInt64BE(-(2n ** 53n), 0);
  assert.ok(Number.isNaN(readInt64Number(b, 0)));
  b.writeBigInt64BE(-(2n ** 63n), 0);
  assert.ok(Number.isNaN(readInt64Number(b, 0)));
});

test('validation failures return the Kafka error codes', () => {
  const good = sample({ producerId: 5, producerEpoch: 0, baseSequence: 0 });
  // no batch at all / truncated batch: INVALID_RECORD (Kafka sees zero batches)
  expectError(Buffer.alloc(0), ErrorCode.INVALID_RECORD);
  expectError(good.subarray(0, 11), ErrorCode.INVALID_RECORD);
  expectError(good.subarray(0, 16), ErrorCode.INVALID_RECORD);
  expectError(good.subarray(0, 60), ErrorCode.INVALID_RECORD);
  expectError(good.subarray(0, good.length - 1), ErrorCode.INVALID_RECORD);
  // batchLength below any record overhead: CORRUPT_MESSAGE
  expectError(
    patched(good, (b) => b.writeInt32BE(13, 8), false),
    ErrorCode.CORRUPT_MESSAGE,
  );
  expectError(
    patched(good, (b) => b.writeInt32BE(-5, 8), false),
    ErrorCode.CORRUPT_MESSAGE,
  );
  // invalid magic: CORRUPT_MESSAGE; legacy magic: INVALID_RECORD
  expectError(
    patched(good, (b) => b.writeInt8(3, 16), false),
    ErrorCode.CORRUPT_MESSAGE,
  );
  expectError(
    patched(good, (b) => b.writeInt8(-1, 16), false),
    ErrorCode.CORRUPT_MESSAGE,
  );
  expectError(
    patched(good, (b) => b.writeInt8(1, 16), false),
    ErrorCode.INVALID_RECORD,
  );
  expectError(
    patched(good, (b) => b.writeInt8(0, 16), false),
    ErrorCode.INVALID_RECORD,
  );
  // magic 2 but shorter than the v2 header
  const short = patched(good, (b) => b.writeInt32BE(40, 8), false).subarray(0, 52);
  expectError(short, ErrorCode.CORRUPT_MESSAGE);
  // more than one batch / trailing bytes
  expectError(Buffer.concat([good, good]), ErrorCode.INVALID_RECORD);
  // a trailing partial batch is ignored, as Kafka's batch iterator does
  const trailing = validateProducedRecords(Buffer.concat([good, Buffer.alloc(3)]), { maxMessageBytes: 1 << 20 });
  assert.ok(trailing.ok && trailing.batch.sizeBytes === good.length);
  // producer must send baseOffset 0
  expectError(
    patched(good, (b) => writeInt64Number(b, 10, 0), false),
    ErrorCode.INVALID_RECORD,
  );
  // size
  expectError(good, ErrorCode.MESSAGE_TOO_LARGE, { maxMessageBytes: good.length - 1 });
  assert.ok(validateProducedRecords(good, { maxMessageBytes: good.length }).ok);
  // CRC: any flipped byte in [21, end)
  expectError(
    patched(good, (b) => (b[good.length - 1] ^= 1), false),
    ErrorCode.CORRUPT_MESSAGE,
  );
  expectError(
    patched(good, (b) => (b[21] ^= 0x80), false),
    ErrorCode.CORRUPT_MESSAGE,
  );
  expectError(
    patched(good, (b) => (b[17] ^= 1), false),
    ErrorCode.CORRUPT_MESSAGE,
  );
  // counts
  expectError(
    patched(good, (b) => b.writeInt32BE(-1, 23)),
    ErrorCode.INVALID_RECORD,
  );
  expectError(
    patched(good, (b) => b.writeInt32BE(0, 57)),
    ErrorCode.INVALID_RECORD,
  );
  expectError(
    patched(good, (b) => b.writeInt32BE(-3, 57)),
    ErrorCode.INVALID_RECORD,
  );
  expectError(
    patched(good, (b) => b.writeInt32BE(4, 57)),
    ErrorCode.INVALID_RECORD,
  );
  expectError(
    patched(good, (b) => b.writeInt32BE(5, 23)),
    ErrorCode.INVALID_RECORD,
  );
  // control batches from clients
  expectError(
    patched(good, (b) => b.writeUInt16BE(b.readUInt16BE(21) | BatchAttribute.CONTROL, 21)),
    ErrorCode.INVALID_RECORD,
  );
  // unknown codec 5..7
  expectError(
    patched(good, (b) => b.writeUInt16BE(b.readUInt16BE(21) | 5, 21)),
    ErrorCode.INVALID_RECORD,
  );
  // producer id without a sequence
  expectError(
    patched(good, (b) => b.writeInt32BE(-1, 53)),
    ErrorCode.INVALID_RECORD,
  );
  // LogAppendTime bit set by the producer
  expectError(
    patched(good, (b) => b.writeUInt16BE(b.readUInt16BE(21) | BatchAttribute.TIMESTAMP_TYPE, 21)),
    ErrorCode.INVALID_RECORD,
  );
  // producer id / timestamps outside the safe integer range
  expectError(
    patched(good, (b) => b.writeBigInt64BE(2n ** 60n, 43)),
    ErrorCode.INVALID_RECORD,
  );
  expectError(
    patched(good, (b) => b.writeBigInt64BE(2n ** 62n, 35)),
    ErrorCode.INVALID_TIMESTAMP,
  );
  expectError(
    patched(good, (b) => b.writeBigInt64BE(-(2n ** 62n), 27)),
    ErrorCode.INVALID_TIMESTAMP,
  );
});

test('any negative producer id means "no producer" and needs no sequence', () => {
  const b = sample({ producerId: -1, baseSequence: -1 });
  const r = validateProducedRecords(b, LIMITS);
  assert.ok(r.ok && r.batch.producerId === -1);
  const neg = patched(b, (x) => x.writeBigInt64BE(-(2n ** 62n), 43));
  const r2 = validateProducedRecords(neg, LIMITS);
  assert.ok(r2.ok && r2.batch.producerId === -1);
});

test('validate never throws on random bytes, truncations or mutations', () => {
  const good = sample({ compression: CompressionCodec.LZ4 });
  const codes = new Set<number>([
    ErrorCode.CORRUPT_MESSAGE,
    ErrorCode.INVALID_RECORD,
    ErrorCode.MESSAGE_TOO_LARGE,
    ErrorCode.INVALID_TIMESTAMP,
  ]);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
        fc.nat({ max: good.length }).map((n) => good.subarray(0, n)),
        fc
          .tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.boolean())
          .map(([i, x, fix]) => patched(good, (b) => (b[i] ^= x), fix && i >= 21)),
        fc.uint8Array({ minLength: 61, maxLength: 200 }).map((a) => {
          const b = Buffer.from(a);
          b.writeInt32BE(b.length - 12, 8);
          b.writeInt8(2, 16);
          b.writeUInt32BE(computeBatchCrc(b), CRC_OFFSET);
          return b;
        }),
      ),
      (input) => {
        const r = validateProducedRecords(input, LIMITS);
        if (!r.ok) assert.ok(codes.has(r.errorCode), `unexpected code ${r.errorCode}`);
        else assert.equal(r.batch.sizeBytes, input.length);
        // the walkers must not throw either
        for (const item of iterateBatches(input, { verifyCrc: true })) assert.ok(item.kind);
        readBatchHeader(input, 0, true);
        verifyBatchCrc(input, 0);
      },
    ),
    { numRuns: 2000 },
  );
});

test('stampBatch writes base offset and leader epoch without touching the CRC', () => {
  const b = sample();
  const crc = b.readUInt32BE(CRC_OFFSET);
  stampBatch(b, 123_456_789_012, 7);
  const v = new RecordBatchView(b);
  assert.equal(v.baseOffset, 123_456_789_012);
  assert.equal(v.lastOffset, 123_456_789_014);
  assert.equal(v.partitionLeaderEpoch, 7);
  assert.equal(v.crc, crc);
  assert.ok(verifyBatchCrc(b));
  assert.deepEqual(
    decodeRecords(b).map((r) => r.offset),
    [123_456_789_012, 123_456_789_013, 123_456_789_014],
  );
});

test('setLogAppendTime sets the timestamp type and max timestamp and keeps the CRC valid', () => {
  for (const compression of [CompressionCodec.NONE, CompressionCodec.ZSTD]) {
    const b = sample({ compression });
    setLogAppendTime(b, 1_800_000_000_000);
    const v = new RecordBatchView(b);
    assert.ok(v.isLogAppendTime);
    assert.equal(v.maxTimestamp, 1_800_000_000_000);
    assert.equal(v.baseTimestamp, 1_700_000_000_000);
    assert.equal(v.compression, compression);
    assert.ok(verifyBatchCrc(b));
    assert.deepEqual(
      decodeRecords(b).map((r) => r.timestamp),
      [1_800_000_000_000, 1_800_000_000_000, 1_800_000_000_000],
    );
  }
});

test('iterateBatches walks stored batches and reports the torn tail', () => {
  const a = sample();
  const b = sample({ compression: CompressionCodec.GZIP });
  const c = sample({ compression: CompressionCodec.SNAPPY });
  stampBatch(a, 0, 1);
  stampBatch(b, 3, 1);
  stampBatch(c, 6, 2);
  const log = Buffer.concat([a, b, c, c.subarray(0, 30)]);
  const items = [...iterateBatches(log, { verifyCrc: true })];
  assert.equal(items.length, 4);
  const offsets = items.flatMap((i) => (i.kind === 'batch' ? [[i.header.baseOffset, i.header.lastOffset, i.header.position]] : []));
  assert.deepEqual(offsets, [
    [0, 2, 0],
    [3, 5, a.length],
    [6, 8, a.length + b.length],
  ]);
  assert.ok(items.slice(0, 3).every((i) => i.kind === 'batch' && i.crcValid === true));
  assert.deepEqual(items[3], { kind: 'incomplete', position: a.length + b.length + c.length, sizeBytes: c.length });

  // header fields
  const first = items[1]!;
  assert.ok(first.kind === 'batch');
  assert.equal(first.header.compression, CompressionCodec.GZIP);
  assert.equal(first.header.recordsCount, 3);
  assert.equal(first.header.partitionLeaderEpoch, 1);
  assert.equal(first.crcValid, true);

  // without verification crcValid is null; a corrupt middle batch is reported and the walk goes on
  const bad = Buffer.from(log);
  bad[a.length + 70] ^= 0xff;
  const again = [...iterateBatches(bad, { verifyCrc: true })];
  assert.deepEqual(
    again.map((i) => (i.kind === 'batch' ? i.crcValid : i.kind)),
    [true, false, true, 'incomplete'],
  );
  assert.deepEqual(
    [...iterateBatches(log)].map((i) => (i.kind === 'batch' ? i.crcValid : i.kind)),
    [null, null, null, 'incomplete'],
  );
  // start in the middle
  const fromB = [...iterateBatches(log, { start: a.length })];
  assert.equal(fromB.length, 3);

  // garbage stops the walk
  const garbage = Buffer.concat([a, Buffer.alloc(100, 0)]);
  const g = [...iterateBatches(garbage)];
  assert.equal(g.length, 2);
  assert.equal(g[1]!.kind, 'invalid');
  // a short tail (< 12 bytes) is incomplete with unknown size
  const tail = [...iterateBatches(Buffer.concat([a, Buffer.alloc(5)]))];
  assert.deepEqual(tail[1], { kind: 'incomplete', position: a.length, sizeBytes: null });
});

test('readBatchHeader / verifyBatchCrc on partial buffers', () => {
  const a = sample();
  assert.equal(readBatchHeader(a, 0).kind, 'batch');
  assert.equal(readBatchHeader(a.subarray(0, RECORD_BATCH_OVERHEAD), 0).kind, 'incomplete');
  assert.equal(verifyBatchCrc(a.subarray(0, a.length - 1)), false);
  assert.equal(verifyBatchCrc(a), true);
  assert.equal(readBatchHeader(a, a.length + 5).kind, 'invalid');
});
