import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { INT32_MAX, ProducerStateManager, incrementSequence, type ProducerBatchInfo } from './producer-state.js';
import { decodeProducerSnapshot, encodeProducerSnapshot } from './snapshot.js';

function batch(baseSequence: number, records = 1, producerEpoch = 0, producerId = 1, maxTimestampMs = 1000): ProducerBatchInfo {
  return { producerId, producerEpoch, baseSequence, lastOffsetDelta: records - 1, maxTimestampMs };
}

test('sequences must continue; unknown producers may start anywhere', () => {
  const state = new ProducerStateManager(86_400_000);
  assert.deepEqual(state.checkAndUpdate(batch(17, 3), 0), { kind: 'append' });
  assert.equal(state.entry(1)?.batches[0]?.lastSeq, 19);
  assert.deepEqual(state.checkAndUpdate(batch(20, 2), 3), { kind: 'append' });
  const gap = state.checkAndUpdate(batch(23), 5);
  assert.equal(gap.kind, 'error');
  assert.equal(gap.kind === 'error' && gap.errorCode, 45);
  const behind = state.checkAndUpdate(batch(21), 5);
  assert.equal(behind.kind === 'error' && behind.errorCode, 45);
});

test('a retry of one of the last 5 batches is a duplicate with its original offsets', () => {
  const state = new ProducerStateManager(86_400_000);
  for (let i = 0; i < 7; i++) assert.equal(state.checkAndUpdate(batch(i * 2, 2, 0, 1, 500 + i), 100 + i * 2).kind, 'append');
  assert.equal(state.entry(1)?.batches.length, 5);
  for (let i = 2; i < 7; i++) {
    assert.deepEqual(state.checkAndUpdate(batch(i * 2, 2), 999), {
      kind: 'duplicate',
      baseOffset: 100 + i * 2,
      lastOffset: 101 + i * 2,
      timestampMs: 500 + i,
    });
  }
  // older than the window: out of order, not a duplicate
  assert.equal(state.checkAndUpdate(batch(2, 2), 999).kind, 'error');
  // same first sequence but different length: not a duplicate
  assert.equal(state.checkAndUpdate(batch(12, 1), 999).kind, 'error');
});

test('epochs: older is fenced (47), newer must restart at sequence 0 (45)', () => {
  const state = new ProducerStateManager(86_400_000);
  state.checkAndUpdate(batch(0, 1, 5), 0);
  const fenced = state.checkAndUpdate(batch(1, 1, 4), 1);
  assert.equal(fenced.kind === 'error' && fenced.errorCode, 47);
  const bumped = state.checkAndUpdate(batch(1, 1, 6), 1);
  assert.equal(bumped.kind === 'error' && bumped.errorCode, 45);
  assert.equal(state.checkAndUpdate(batch(0, 1, 6), 1).kind, 'append');
  assert.equal(state.entry(1)?.batches.length, 1); // a new epoch drops the old window
  // a duplicate from the old epoch is now fenced, not a duplicate
  const stale = state.checkAndUpdate(batch(0, 1, 5), 2);
  assert.equal(stale.kind === 'error' && stale.errorCode, 47);
});

test('sequence numbers wrap from Int32.MAX to 0', () => {
  assert.equal(incrementSequence(INT32_MAX, 1), 0);
  assert.equal(incrementSequence(INT32_MAX - 1, 3), 1);
  const state = new ProducerStateManager(86_400_000);
  state.checkAndUpdate(batch(INT32_MAX - 1, 2), 0);
  assert.equal(state.entry(1)?.batches[0]?.lastSeq, INT32_MAX);
  assert.equal(state.checkAndUpdate(batch(0, 3), 2).kind, 'append');
  state.checkAndUpdate(batch(INT32_MAX - 1, 4, 0, 2), 5); // MAX-1, MAX, 0, 1
  assert.equal(state.entry(2)?.batches[0]?.lastSeq, 1);
  assert.equal(state.checkAndUpdate(batch(3, 1, 0, 2), 9).kind, 'error');
  assert.equal(state.checkAndUpdate(batch(2, 1, 0, 2), 9).kind, 'append');
  assert.equal(state.checkAndUpdate(batch(INT32_MAX - 1, 4, 0, 2), 10).kind, 'duplicate');
});

test('idle producers expire; their next batch may use any sequence', () => {
  const state = new ProducerStateManager(1000);
  state.checkAndUpdate(batch(0, 1, 0, 1, 5000), 0);
  state.checkAndUpdate(batch(0, 1, 0, 2, 5500), 1);
  assert.equal(state.removeExpired(5999), 0);
  assert.equal(state.removeExpired(6000), 1);
  assert.equal(state.entry(1), undefined);
  assert.ok(state.entry(2) !== undefined);
  assert.equal(state.checkAndUpdate(batch(77, 1, 0, 1, 7000), 2).kind, 'append');
});

const entryArbitrary = fc.record({
  producerId: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  producerEpoch: fc.integer({ min: 0, max: 32767 }),
  coordinatorEpoch: fc.integer({ min: -1, max: 1000 }),
  currentTxnFirstOffset: fc.integer({ min: -1, max: 1e15 }),
  lastTimestampMs: fc.integer({ min: -1, max: 4e12 }),
  batches: fc.array(
    fc.record({
      firstSeq: fc.integer({ min: 0, max: INT32_MAX }),
      lastSeq: fc.integer({ min: 0, max: INT32_MAX }),
      lastOffset: fc.integer({ min: 0, max: 1e15 }),
      offsetDelta: fc.integer({ min: 0, max: INT32_MAX }),
      timestampMs: fc.integer({ min: -1, max: 4e12 }),
    }),
    { maxLength: 5 },
  ),
});

test('property: snapshots round-trip; any corruption is rejected', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(entryArbitrary, { selector: (entry) => entry.producerId, maxLength: 20 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (entries, where, xor) => {
        const encoded = encodeProducerSnapshot(entries);
        assert.deepEqual(decodeProducerSnapshot(encoded), JSON.parse(JSON.stringify(entries)));
        const corrupted = Buffer.from(encoded);
        const position = where % corrupted.length;
        corrupted[position] = corrupted[position]! ^ xor;
        assert.equal(decodeProducerSnapshot(corrupted), null);
        assert.equal(decodeProducerSnapshot(encoded.subarray(0, encoded.length - 1)), null);
      },
    ),
  );
});

test('property: snapshot + load reproduces decisions of the original state', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          producerId: fc.integer({ min: 0, max: 3 }),
          epoch: fc.integer({ min: 0, max: 2 }),
          sequence: fc.integer({ min: 0, max: 30 }),
          records: fc.integer({ min: 1, max: 4 }),
        }),
        { maxLength: 60 },
      ),
      (steps) => {
        const original = new ProducerStateManager(86_400_000);
        let offset = 0;
        const infos = steps.map((step) => batch(step.sequence, step.records, step.epoch, step.producerId));
        for (const info of infos) if (original.checkAndUpdate(info, offset).kind === 'append') offset += info.lastOffsetDelta + 1;
        const restored = new ProducerStateManager(86_400_000);
        const decoded = decodeProducerSnapshot(encodeProducerSnapshot(original.entries()));
        assert.ok(decoded !== null);
        restored.load(decoded);
        for (const info of infos) assert.deepEqual(restored.check(info), original.check(info));
      },
    ),
  );
});
