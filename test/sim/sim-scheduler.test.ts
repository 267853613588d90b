import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from './random.js';
import { SimScheduler } from './sim-scheduler.js';
import { seedsToRun } from './seeds.js';

describe('SeededRandom', () => {
  it('replays the same sequence for the same seed and differs across seeds', () => {
    const draw = (seed: number) => {
      const r = new SeededRandom(seed);
      return Array.from({ length: 8 }, () => r.nextUint32());
    };
    assert.deepEqual(draw(42), draw(42));
    assert.notDeepEqual(draw(42), draw(43));
  });

  it('int() stays in range and covers it', () => {
    const r = new SeededRandom(7);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const n = r.int(5);
      assert.ok(n >= 0 && n < 5);
      seen.add(n);
    }
    assert.equal(seen.size, 5);
  });
});

describe('SimScheduler', () => {
  it('runs events in due order, ties in scheduling order, and skips cancelled ones', () => {
    const s = new SimScheduler(0);
    const ran: string[] = [];
    s.after(10, () => ran.push('b'));
    s.after(5, () => ran.push('a'));
    s.after(10, () => ran.push('c'));
    const cancel = s.after(7, () => ran.push('cancelled'));
    cancel();
    while (s.runNext());
    assert.deepEqual(ran, ['a', 'b', 'c']);
    assert.equal(s.nowMs(), 10);
  });

  it('runUntil stops at the deadline with the clock there', () => {
    const s = new SimScheduler(0);
    let fired = false;
    s.after(100, () => (fired = true));
    assert.equal(
      s.runUntil(() => fired, 50),
      false,
    );
    assert.equal(s.nowMs(), 50);
    assert.equal(
      s.runUntil(() => fired, 200),
      true,
    );
    assert.equal(s.nowMs(), 100);
  });
});

describe('seedsToRun', () => {
  it('defaults to 1..n and honours FJORD_SIM_SEED', () => {
    const saved = { one: process.env['FJORD_SIM_SEED'], many: process.env['FJORD_SIM_SEEDS'] };
    try {
      delete process.env['FJORD_SIM_SEED'];
      delete process.env['FJORD_SIM_SEEDS'];
      assert.deepEqual(seedsToRun({ testFile: 'x', defaultSeeds: 3 }), [1, 2, 3]);
      process.env['FJORD_SIM_SEED'] = '99';
      assert.deepEqual(seedsToRun({ testFile: 'x', defaultSeeds: 3 }), [99]);
    } finally {
      if (saved.one === undefined) delete process.env['FJORD_SIM_SEED'];
      else process.env['FJORD_SIM_SEED'] = saved.one;
      if (saved.many === undefined) delete process.env['FJORD_SIM_SEEDS'];
      else process.env['FJORD_SIM_SEEDS'] = saved.many;
    }
  });
});
