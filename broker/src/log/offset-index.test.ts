import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';

/** Strictly increasing (offset, position) entries above `base`. */
const entriesArbitrary = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 100_000 })), { maxLength: 200 })
  .map((steps) => {
    let offset = 0;
    let position = 0;
    return steps.map(([offsetStep, positionStep]) => {
      offset += offsetStep;
      position += positionStep;
      return { offset, position };
    });
  });

test('property: lookup equals a naive scan for the floor entry', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 1_000_000 }),
      entriesArbitrary,
      fc.array(fc.integer({ min: -10, max: 250_000 }), { maxLength: 50 }),
      (base, entries, targets) => {
        const index = new OffsetIndex(base, 10_000);
        for (const entry of entries) index.append(base + entry.offset, entry.position);
        for (const target of targets) {
          let expected = 0;
          for (const entry of entries) if (base + entry.offset <= base + target) expected = entry.position;
          assert.equal(index.lookup(base + target), expected);
        }
      },
    ),
  );
});

test('property: encode/decode round-trips; malformed files are rejected', () => {
  fc.assert(
    fc.property(entriesArbitrary, (entries) => {
      const index = new OffsetIndex(77, 10_000);
      for (const entry of entries) index.append(77 + entry.offset, entry.position);
      const encoded = index.encode();
      const logSize = (entries[entries.length - 1]?.position ?? 0) + 1;
      const decoded = OffsetIndex.decode(encoded, 77, 10_000, logSize);
      assert.ok(decoded !== null);
      assert.deepEqual(decoded.encode(), encoded);
      assert.equal(OffsetIndex.decode(Buffer.concat([encoded, Buffer.alloc(3)]), 77, 10_000, logSize), null);
      if (entries.length > 0) assert.equal(OffsetIndex.decode(encoded, 77, 10_000, logSize - 1), null);
      if (entries.length > 1) {
        const swapped = Buffer.from(encoded);
        encoded.copy(swapped, 0, 8, 16);
        encoded.copy(swapped, 8, 0, 8);
        assert.equal(OffsetIndex.decode(swapped, 77, 10_000, logSize), null);
      }
    }),
  );
});

test('offset index: full, truncate', () => {
  const index = new OffsetIndex(0, 2);
  index.append(10, 100);
  index.append(20, 200);
  assert.ok(index.isFull);
  assert.throws(() => index.append(30, 300));
  index.truncateToPosition(200);
  assert.equal(index.entries, 1);
  assert.equal(index.lookup(25), 100);
});

test('time index: strictly-less lookup, monotonic entries, round trip', () => {
  const index = new TimeIndex(100, 10);
  index.maybeAppend(1000, 100);
  index.maybeAppend(900, 105); // not above the last timestamp: ignored
  index.maybeAppend(2000, 110);
  index.maybeAppend(3000, 120);
  assert.equal(index.entries, 3);
  assert.equal(index.lookup(500), 100);
  assert.equal(index.lookup(1000), 100);
  assert.equal(index.lookup(1001), 100);
  assert.equal(index.lookup(2000), 100);
  assert.equal(index.lookup(2001), 110);
  assert.equal(index.lookup(99999), 120);
  const decoded = TimeIndex.decode(index.encode(), 100, 10, 121);
  assert.ok(decoded !== null);
  assert.deepEqual(decoded.encode(), index.encode());
  assert.equal(TimeIndex.decode(index.encode(), 100, 10, 120), null);
  index.truncateToOffset(110);
  assert.deepEqual(index.lastEntry(), { timestamp: 1000, offset: 100 });
});
