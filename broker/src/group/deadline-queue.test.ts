import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DeadlineQueue, type Deadline } from './deadline-queue.js';

type Command =
  { kind: 'schedule'; timer: number; atMs: number } | { kind: 'cancel'; timer: number } | { kind: 'pop'; nowMs: number } | { kind: 'next' };

const TIMERS = 8;

const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('schedule' as const),
      timer: fc.integer({ min: 0, max: TIMERS - 1 }),
      // A small range, so equal deadlines (the tie-break) are common.
      atMs: fc.integer({ min: 0, max: 12 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), timer: fc.integer({ min: 0, max: TIMERS - 1 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('pop' as const), nowMs: fc.integer({ min: 0, max: 14 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('next' as const) }) },
);

describe('DeadlineQueue', () => {
  it('behaves like a list of (deadline, order set) kept sorted, with one slot per timer', () => {
    fc.assert(
      fc.property(fc.array(commandArbitrary, { maxLength: 300, size: 'max' }), (commands) => {
        const queue = new DeadlineQueue<number>();
        const timers = Array.from({ length: TIMERS }, (_, i) => queue.create(i));
        // The model: timer -> [deadline, when it was set]; the earliest pair is due first.
        const model = new Map<number, [number, number]>();
        let clock = 0;
        const earliest = () => [...model].sort(([, a], [, b]) => a[0] - b[0] || a[1] - b[1])[0];
        for (const command of commands) {
          switch (command.kind) {
            case 'schedule':
              queue.schedule(timers[command.timer]!, command.atMs);
              model.set(command.timer, [command.atMs, clock++]);
              break;
            case 'cancel':
              queue.cancel(timers[command.timer]!);
              model.delete(command.timer);
              break;
            case 'pop': {
              const expected = earliest();
              const due = expected !== undefined && expected[1][0] <= command.nowMs ? expected : undefined;
              const popped = queue.popDue(command.nowMs);
              assert.equal(popped?.value, due?.[0], `popDue(${command.nowMs})`);
              if (due !== undefined) {
                assert.equal(popped!.atMs, due[1][0]);
                model.delete(due[0]);
              }
              break;
            }
            case 'next':
              assert.equal(queue.nextMs(), earliest()?.[1][0] ?? null);
              break;
          }
          assert.equal(queue.size, model.size, 'one slot per scheduled timer');
          for (const [i, timer] of timers.entries()) {
            assert.equal(timer.scheduled, model.has(i));
            if (timer.scheduled) assert.equal(timer.atMs, model.get(i)![0]);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('holds one entry per timer however often timers move later (heartbeats)', () => {
    const queue = new DeadlineQueue<number>();
    const timers = Array.from({ length: 100 }, (_, i) => queue.create(i));
    let nowMs = 0;
    for (let i = 0; i < 100_000; i++) {
      nowMs++;
      queue.schedule(timers[i % timers.length]!, nowMs + 10_000);
      assert.equal(queue.popDue(nowMs), null);
      assert.ok(queue.size <= timers.length);
    }
    assert.equal(queue.size, timers.length);
    // They still come out in deadline order, at their deadlines.
    const fired: Deadline<number>[] = [];
    for (let t = nowMs; t <= nowMs + 10_000; t++) {
      for (let d = queue.popDue(t); d !== null; d = queue.popDue(t)) {
        assert.equal(d.atMs, t);
        fired.push(d);
      }
    }
    assert.deepEqual(
      fired.map((d) => d.value),
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.equal(queue.size, 0);
  });

  it('refuses a deadline of another queue', () => {
    const a = new DeadlineQueue<string>();
    const b = new DeadlineQueue<string>();
    assert.throws(() => b.schedule(a.create('x'), 1), /another queue/);
  });
});
