import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TailCache, TailCacheBudget } from './tail-cache.js';

const batch = (bytes: number, fill = 1) => Buffer.alloc(bytes, fill);

test('partitions share one budget; the batches appended longest ago go first, whatever their partition', () => {
  const budget = new TailCacheBudget(300);
  const a = new TailCache(budget);
  const b = new TailCache(budget);
  a.push(0, 10, batch(100));
  b.push(0, 5, batch(100));
  a.push(10, 20, batch(100));
  assert.equal(budget.sizeBytes, 300);
  b.push(5, 6, batch(100)); // evicts a's first batch
  assert.equal(budget.sizeBytes, 300);
  assert.equal(a.read(0, 1000, 20), null);
  assert.equal(a.firstOffset, 10);
  assert.equal(a.read(12, 1000, 20)!.sizeBytes, 100);
  assert.equal(b.read(0, 1000, 6)!.records.length, 2);
  b.push(6, 7, batch(150)); // evicts b's 0..5 and a's 10..20
  assert.equal(a.firstOffset, undefined);
  assert.equal(a.sizeBytes, 0);
  assert.equal(b.firstOffset, 5);
  assert.equal(budget.sizeBytes, 250);
});

test('clear gives the bytes back to the budget; a batch bigger than the budget is not cached', () => {
  const budget = new TailCacheBudget(300);
  const a = new TailCache(budget);
  const b = new TailCache(budget);
  a.push(0, 1, batch(200));
  a.clear();
  assert.equal(budget.sizeBytes, 0);
  b.push(0, 1, batch(250));
  assert.equal(b.firstOffset, 0, 'the cleared bytes do not count against b');
  b.push(1, 2, batch(301));
  assert.equal(b.firstOffset, undefined);
  assert.equal(budget.sizeBytes, 0);
  assert.equal(b.read(1, 1000, 2), null);
  b.push(2, 3, batch(10));
  assert.equal(b.read(2, 1000, 3)!.sizeBytes, 10);
  const none = new TailCache(new TailCacheBudget(0));
  none.push(0, 1, batch(1));
  assert.equal(none.read(0, 10, 1), null);
});

test('property: over any appends and clears, the budget holds, each cache is a gap-free suffix, and nothing newer was evicted before something older', () => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('push' as const),
      cache: fc.integer({ min: 0, max: 3 }),
      bytes: fc.integer({ min: 1, max: 120 }),
      records: fc.integer({ min: 1, max: 5 }),
    }),
    fc.record({ kind: fc.constant('clear' as const), cache: fc.integer({ min: 0, max: 3 }) }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 400 }), fc.array(op, { maxLength: 200 }), (bytesMax, ops) => {
      const budget = new TailCacheBudget(bytesMax);
      const caches = [0, 1, 2, 3].map(() => new TailCache(budget));
      const ends = [0, 0, 0, 0];
      // every push in global order: cache, base, next, bytes, cleared-by-clear
      const pushes: Array<{ cache: number; base: number; next: number; bytes: number; cleared: boolean }> = [];
      for (const o of ops) {
        if (o.kind === 'push') {
          const base = ends[o.cache]!;
          ends[o.cache] = base + o.records;
          caches[o.cache]!.push(base, base + o.records, batch(o.bytes, o.cache));
          pushes.push({ cache: o.cache, base, next: base + o.records, bytes: o.bytes, cleared: false });
          // A batch larger than the whole budget empties its cache (it could not stay gap-free).
          if (o.bytes > bytesMax) for (const p of pushes) if (p.cache === o.cache) p.cleared = true;
        } else {
          caches[o.cache]!.clear();
          for (const p of pushes) if (p.cache === o.cache) p.cleared = true;
        }
      }
      const total = caches.reduce((sum, c) => sum + c.sizeBytes, 0);
      assert.equal(budget.sizeBytes, total);
      assert.ok(total <= bytesMax);
      const live = pushes.map((p) => !p.cleared && caches[p.cache]!.read(p.base, 1, p.next) !== null);
      // Once something live is seen (going back in time), everything older that was not cleared
      // may be evicted, but nothing newer may be: live pushes form a suffix of the uncleared ones.
      let seenEvicted = false;
      for (let i = pushes.length - 1; i >= 0; i--) {
        if (pushes[i]!.cleared) continue;
        if (!live[i]) seenEvicted = true;
        else assert.ok(!seenEvicted, `push ${i} is cached although a newer one was evicted`);
      }
      // Each cache serves a contiguous range ending at its end offset, and the bytes it reports.
      caches.forEach((cache, i) => {
        const first = cache.firstOffset;
        if (first === undefined) return;
        const all = cache.read(first, Number.MAX_SAFE_INTEGER, ends[i]!)!;
        assert.equal(all.sizeBytes, cache.sizeBytes);
        for (const r of all.records) assert.ok(r.every((x) => x === i));
      });
    }),
    { numRuns: 300 },
  );
});
