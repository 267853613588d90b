import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CompressionCodec } from '../protocol/compression.js';
import { buildRecordBatch, decodeRecords } from '../protocol/records.js';
import { RecordBatchView } from '../protocol/record-batch.js';
import { crcMatches } from './batch-header.js';
import { DELETE_HORIZON_FLAG, deleteHorizonOf, filterBatch, type RecordFilter } from './batch-filter.js';

const NOW = 1_700_000_000_000;

function batch(records: { key: string | null; value: string | null }[], codec: CompressionCodec = CompressionCodec.NONE): Buffer {
  const built = buildRecordBatch({
    records: records.map((record, i) => ({ ...record, timestamp: NOW - 1000 + i, headers: [{ key: 'h', value: `${i}` }] })),
    baseOffset: 100,
    partitionLeaderEpoch: 9,
    compression: codec,
    producerId: 77,
    producerEpoch: 2,
    baseSequence: 40,
  });
  return built;
}

function keepAll(overrides: Partial<RecordFilter> = {}): RecordFilter {
  return { nowMs: NOW, deleteRetentionMs: 1000, isLatest: () => true, retainEmpty: false, ...overrides };
}

test('a batch where every record survives is stored unchanged (same bytes)', () => {
  const input = batch([
    { key: 'a', value: '1' },
    { key: 'b', value: '2' },
  ]);
  assert.deepEqual(filterBatch(input, keepAll()), { kind: 'unchanged', deleteHorizonMs: -1 });
});

test('removed records leave the header facts Kafka keeps, offsets and timestamps exact', () => {
  for (const codec of [
    CompressionCodec.NONE,
    CompressionCodec.GZIP,
    CompressionCodec.SNAPPY,
    CompressionCodec.LZ4,
    CompressionCodec.ZSTD,
  ]) {
    const input = batch(
      [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
        { key: 'a', value: '3' },
      ],
      codec,
    );
    const result = filterBatch(input, keepAll({ isLatest: (key, offset) => !(key.toString() === 'a' && offset === 100) }));
    assert.equal(result.kind, 'rewritten');
    if (result.kind !== 'rewritten') return;
    const before = new RecordBatchView(input);
    const after = new RecordBatchView(result.batch);
    assert.ok(crcMatches(result.batch, 0, result.batch.length));
    for (const field of [
      'baseOffset',
      'lastOffsetDelta',
      'partitionLeaderEpoch',
      'producerId',
      'producerEpoch',
      'baseSequence',
      'compression',
      'baseTimestamp',
    ] as const) {
      assert.equal(after[field], before[field], field);
    }
    assert.equal(after.recordsCount, 2);
    const records = decodeRecords(result.batch);
    assert.deepEqual(
      records.map((record) => [
        record.offset,
        record.key?.toString(),
        record.value?.toString(),
        record.timestamp,
        record.headers[0]?.value?.toString(),
      ]),
      [
        [101, 'b', '2', NOW - 999, '1'],
        [102, 'a', '3', NOW - 998, '2'],
      ],
    );
    assert.equal(after.maxTimestamp, NOW - 998);
  }
});

test('records without a key are dropped; an emptied batch goes unless it must be retained', () => {
  const input = batch([{ key: null, value: '1' }]);
  assert.deepEqual(filterBatch(input, keepAll()), { kind: 'removed', recordsRemoved: 1 });
  const kept = filterBatch(input, keepAll({ retainEmpty: true }));
  assert.equal(kept.kind, 'rewritten');
  if (kept.kind !== 'rewritten') return;
  const view = new RecordBatchView(kept.batch);
  assert.equal(kept.batch.length, 61);
  assert.equal(view.recordsCount, 0);
  assert.equal(view.lastOffsetDelta, 0);
  assert.equal(view.baseSequence, 40);
  assert.equal(view.compression, 0);
  assert.ok(crcMatches(kept.batch, 0, kept.batch.length));
  assert.deepEqual(decodeRecords(kept.batch), []);
});

test('a surviving tombstone sets the delete horizon once; past it the tombstone goes and the bit clears', () => {
  const input = batch(
    [
      { key: 'a', value: null },
      { key: 'b', value: '2' },
    ],
    CompressionCodec.ZSTD,
  );
  const first = filterBatch(input, keepAll());
  assert.equal(first.kind, 'rewritten');
  if (first.kind !== 'rewritten') return;
  assert.equal(first.deleteHorizonMs, NOW + 1000);
  assert.equal(deleteHorizonOf(first.batch), NOW + 1000);
  assert.equal(first.batch.readInt16BE(21) & DELETE_HORIZON_FLAG, DELETE_HORIZON_FLAG);
  assert.deepEqual(
    decodeRecords(first.batch).map((record) => record.timestamp),
    [NOW - 1000, NOW - 999],
    'record timestamps survive the new base timestamp',
  );
  assert.deepEqual(filterBatch(first.batch, keepAll({ nowMs: NOW + 999 })), { kind: 'unchanged', deleteHorizonMs: NOW + 1000 });
  const second = filterBatch(first.batch, keepAll({ nowMs: NOW + 1000 }));
  assert.equal(second.kind, 'rewritten');
  if (second.kind !== 'rewritten') return;
  assert.equal(deleteHorizonOf(second.batch), -1);
  assert.deepEqual(
    decodeRecords(second.batch).map((record) => [record.offset, record.key?.toString(), record.timestamp]),
    [[101, 'b', NOW - 999]],
  );
});

test('property: filtering keeps exactly the chosen records, byte-exact, with a valid CRC', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          key: fc.option(fc.string({ maxLength: 4 }), { nil: null }),
          value: fc.option(fc.string({ maxLength: 6 }), { nil: null }),
          keep: fc.boolean(),
        }),
        {
          minLength: 1,
          maxLength: 8,
        },
      ),
      fc.constantFrom(CompressionCodec.NONE, CompressionCodec.GZIP, CompressionCodec.LZ4),
      fc.integer({ min: -1, max: 3000 }),
      (records, codec, horizonOffsetMs) => {
        const input = batch(records, codec);
        const result = filterBatch(
          input,
          keepAll({ nowMs: NOW + horizonOffsetMs, isLatest: (_key, offset) => records[offset - 100]!.keep }),
        );
        const expected = records
          .map((record, i) => ({ ...record, offset: 100 + i }))
          .filter((record) => record.key !== null && record.keep);
        const output = result.kind === 'unchanged' ? input : result.kind === 'rewritten' ? result.batch : null;
        if (output === null) {
          assert.equal(expected.length, 0);
          return;
        }
        assert.ok(crcMatches(output, 0, output.length));
        assert.deepEqual(
          decodeRecords(output).map((record) => [
            record.offset,
            record.key?.toString() ?? null,
            record.value?.toString() ?? null,
            record.timestamp,
          ]),
          expected.map((record) => [record.offset, record.key, record.value, NOW - 1000 + record.offset - 100]),
        );
        assert.equal(
          deleteHorizonOf(output) >= 0,
          expected.some((record) => record.value === null),
        );
      },
    ),
  );
});
