import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { ErrorCode } from './error-codes.js';
import { CompressionCodec, CompressionError } from './compression.js';
import { buildRecordBatch, decodeRecords, findOffsetForTimestamp, RecordsDecodeError, type RecordInput } from './records.js';
import { computeBatchCrc, CRC_OFFSET, RECORDS_OFFSET, setLogAppendTime, stampBatch, validateProducedRecords } from './record-batch.js';

const require = createRequire(import.meta.url);
const LIMITS = { maxMessageBytes: 10 * 1024 * 1024 };
const CODECS = [
  CompressionCodec.NONE,
  CompressionCodec.GZIP,
  CompressionCodec.SNAPPY,
  CompressionCodec.LZ4,
  CompressionCodec.ZSTD,
] as const;

const NOW = 1_700_000_000_000;
const bytesOrNull = fc.option(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  { nil: null },
);
const recordArb: fc.Arbitrary<RecordInput> = fc.record({
  key: bytesOrNull,
  value: bytesOrNull,
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 20 }), value: bytesOrNull }), { maxLength: 4 }),
  timestamp: fc.integer({ min: NOW - 10 ** 10, max: NOW + 10 ** 10 }),
});

function asBuf(v: Buffer | string | null | undefined): Buffer | null {
  return v === null || v === undefined ? null : Buffer.from(v);
}

test('build -> validate -> decode round trip for every codec (property)', () => {
  for (const compression of CODECS) {
    fc.assert(
      fc.property(
        fc.array(recordArb, { minLength: 1, maxLength: 40 }),
        fc.option(
          fc.record({
            producerId: fc.integer({ min: 0, max: 2 ** 40 }),
            producerEpoch: fc.integer({ min: 0, max: 32767 }),
            baseSequence: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          }),
          { nil: undefined },
        ),
        fc.boolean(),
        (records, idem, transactional) => {
          const batch = buildRecordBatch({ records, compression, ...idem, isTransactional: transactional });
          const r = validateProducedRecords(batch, LIMITS);
          assert.ok(r.ok, r.ok ? '' : r.message);
          assert.equal(r.batch.compression, compression);
          assert.equal(r.batch.recordsCount, records.length);
          assert.equal(r.batch.lastOffsetDelta, records.length - 1);
          assert.equal(r.batch.isTransactional, transactional);
          assert.equal(r.batch.producerId, idem?.producerId ?? -1);
          assert.equal(r.batch.baseSequence, idem?.baseSequence ?? -1);
          assert.equal(r.batch.baseTimestamp, records[0]!.timestamp);
          assert.equal(r.batch.maxTimestamp, Math.max(...records.map((x) => x.timestamp!)));

          stampBatch(batch, 1000, 3);
          const decoded = decodeRecords(batch);
          assert.equal(decoded.length, records.length);
          decoded.forEach((d, i) => {
            const src = records[i]!;
            assert.equal(d.offsetDelta, i);
            assert.equal(d.offset, 1000 + i);
            assert.equal(d.timestamp, src.timestamp);
            assert.equal(d.timestampDelta, src.timestamp! - records[0]!.timestamp!);
            assert.deepEqual(d.key, asBuf(src.key));
            assert.deepEqual(d.value, asBuf(src.value));
            assert.deepEqual(
              d.headers,
              (src.headers ?? []).map((h) => ({ key: h.key, value: asBuf(h.value) })),
            );
          });
        },
      ),
      { numRuns: 40 },
    );
  }
});

test('string keys/values, default timestamps, large timestamp deltas', () => {
  const b = buildRecordBatch({
    records: [
      { key: 'ä-key', value: 'v' },
      { value: 'w', timestamp: 5 },
      { value: 'x', timestamp: 2 ** 50 },
    ],
    timestamp: 1000,
  });
  const d = decodeRecords(b);
  assert.equal(d[0]!.key!.toString(), 'ä-key');
  assert.equal(d[1]!.key, null);
  assert.deepEqual(
    d.map((r) => r.timestamp),
    [1000, 5, 2 ** 50],
  );
  assert.ok(validateProducedRecords(b, LIMITS).ok);
});

test('decodeRecords rejects malformed records with RecordsDecodeError', () => {
  const good = buildRecordBatch({
    records: [
      { key: 'a', value: 'b' },
      { key: 'c', value: 'd' },
    ],
  });
  const fix = (b: Buffer): Buffer => {
    b.writeUInt32BE(computeBatchCrc(b), CRC_OFFSET);
    return b;
  };
  // count says 3 but only 2 records
  const more = fix(Buffer.from(good));
  more.writeInt32BE(3, 57);
  assert.throws(() => decodeRecords(more), RecordsDecodeError);
  // count says 1 but 2 records present: trailing bytes
  const fewer = Buffer.from(good);
  fewer.writeInt32BE(1, 57);
  assert.throws(() => decodeRecords(fewer), RecordsDecodeError);
  // record length larger than payload
  const long = Buffer.from(good);
  long[RECORDS_OFFSET] = 0x7e;
  assert.throws(() => decodeRecords(long), RecordsDecodeError);
  // truncated batch
  assert.throws(() => decodeRecords(good.subarray(0, good.length - 1)), RecordsDecodeError);
  // corrupt compressed payload
  const gz = buildRecordBatch({ records: [{ value: 'x'.repeat(100) }], compression: CompressionCodec.GZIP });
  gz.fill(0, RECORDS_OFFSET + 2, RECORDS_OFFSET + 12);
  assert.throws(() => decodeRecords(gz), CompressionError);
});

test('decodeRecords on mutated batches throws only its own error types', () => {
  const good = buildRecordBatch({
    records: [
      { key: 'a', value: 'b', headers: [{ key: 'h', value: null }] },
      { key: null, value: 'dd' },
    ],
  });
  fc.assert(
    fc.property(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
      const b = Buffer.from(good);
      b[i] = b[i]! ^ x;
      try {
        decodeRecords(b);
      } catch (err) {
        assert.ok(err instanceof RecordsDecodeError || err instanceof CompressionError, String(err));
      }
    }),
    { numRuns: 1000 },
  );
});

test('findOffsetForTimestamp returns the first record at or after the target', () => {
  const b = buildRecordBatch({
    records: [{ timestamp: 100 }, { timestamp: 50 }, { timestamp: 200 }, { timestamp: 150 }],
    compression: CompressionCodec.LZ4,
  });
  stampBatch(b, 500, 0);
  assert.deepEqual(findOffsetForTimestamp(b, 0), { offset: 500, timestamp: 100 });
  assert.deepEqual(findOffsetForTimestamp(b, 100), { offset: 500, timestamp: 100 });
  assert.deepEqual(findOffsetForTimestamp(b, 101), { offset: 502, timestamp: 200 });
  assert.deepEqual(findOffsetForTimestamp(b, 200), { offset: 502, timestamp: 200 });
  assert.equal(findOffsetForTimestamp(b, 201), null);
  setLogAppendTime(b, 300);
  assert.deepEqual(findOffsetForTimestamp(b, 250), { offset: 500, timestamp: 300 });
  assert.equal(findOffsetForTimestamp(b, 301), null);
});

// ---------------------------------------------------------------------------------------------
// real-client bytes: kafkajs 2.2.4's own record batch encoder/decoder

interface KafkajsEncoder {
  buffer: Buffer;
}
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (opts: Record<string, unknown>) => Promise<KafkajsEncoder>;
};
const KRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (opts: Record<string, unknown>) => unknown;
const KDecoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => unknown;
const decodeKafkajsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (d: unknown) => Promise<{
  records: { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer>; offset: string; timestamp: string }[];
}>;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: number): unknown; fromNumber(v: number): unknown };

test('kafkajs-encoded batches (none, gzip) validate and decode identically', async () => {
  for (const compression of [CompressionCodec.NONE, CompressionCodec.GZIP]) {
    const messages = [
      { key: Buffer.from('k0'), value: Buffer.from('hello'), headers: { a: Buffer.from('1'), b: Buffer.from('2') } },
      { key: null, value: Buffer.from('x'.repeat(500)), headers: {} },
      { key: Buffer.from('k2'), value: null, headers: { only: Buffer.from('h') } },
    ];
    const ts = [NOW, NOW + 7, NOW + 3];
    const records = messages.map((m, i) =>
      KRecord({ offsetDelta: i, timestampDelta: ts[i]! - NOW, key: m.key, value: m.value, headers: m.headers }),
    );
    const enc = await RecordBatch({
      compression,
      records,
      firstTimestamp: NOW,
      maxTimestamp: NOW + 7,
      lastOffsetDelta: 2,
      producerId: Long.fromNumber(77),
      producerEpoch: 1,
      firstSequence: 10,
    });
    const bytes = enc.buffer;
    const r = validateProducedRecords(bytes, LIMITS);
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.equal(r.batch.compression, compression);
    assert.equal(r.batch.producerId, 77);
    assert.equal(r.batch.baseSequence, 10);
    assert.equal(r.batch.maxTimestamp, NOW + 7);
    const decoded = decodeRecords(bytes);
    assert.equal(decoded.length, 3);
    decoded.forEach((d, i) => {
      const m = messages[i]!;
      assert.deepEqual(d.key, m.key);
      assert.deepEqual(d.value, m.value);
      assert.equal(d.timestamp, ts[i]);
      assert.equal(d.offsetDelta, i);
      assert.deepEqual(
        d.headers,
        Object.entries(m.headers).map(([key, value]) => ({ key, value })),
      );
    });
  }
});

test('our batches decode with kafkajs (none, gzip)', async () => {
  for (const compression of [CompressionCodec.NONE, CompressionCodec.GZIP]) {
    const b = buildRecordBatch({
      records: [
        { key: 'k', value: 'v', headers: [{ key: 'h', value: 'hv' }], timestamp: NOW },
        { key: null, value: 'w', timestamp: NOW + 1 },
      ],
      compression,
    });
    stampBatch(b, 42, 0);
    const out = await decodeKafkajsBatch(new KDecoder(b));
    assert.equal(out.records.length, 2);
    assert.equal(out.records[0]!.key!.toString(), 'k');
    assert.equal(out.records[0]!.value!.toString(), 'v');
    assert.equal(out.records[0]!.headers['h']!.toString(), 'hv');
    assert.equal(out.records[0]!.offset, '42');
    assert.equal(out.records[1]!.key, null);
    assert.equal(out.records[1]!.offset, '43');
    assert.equal(out.records[1]!.timestamp, String(NOW + 1));
  }
});

test('ErrorCode constants used by validation exist', () => {
  assert.equal(ErrorCode.CORRUPT_MESSAGE, 2);
  assert.equal(ErrorCode.INVALID_RECORD, 87);
  assert.equal(ErrorCode.MESSAGE_TOO_LARGE, 10);
});
