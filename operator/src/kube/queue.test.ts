import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from './log.js';
import { WorkQueue } from './queue.js';
import { waitFor } from '../../../test/harness/wait.js';

/**
 * No sleeps: reconciles block on gates the test opens, and "nothing else ran" is checked against a
 * marker key whose delay is longer than the run that must not happen. Node fires timers in the
 * order they are due, so the marker runs after anything due before it, however slow the machine.
 */

function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('WorkQueue', () => {
  it('coalesces adds of a waiting key and never runs one key concurrently', async () => {
    const runs: string[] = [];
    const gates = [gate(), gate()];
    let finished = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const queue = new WorkQueue(
      't',
      async (key) => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        const g = gates[runs.length];
        runs.push(key);
        await g?.wait;
        concurrent--;
        finished++;
      },
      createLogger('silent'),
      { workers: 4 },
    );
    queue.add('a');
    queue.add('a');
    queue.add('a');
    queue.start();
    await waitFor('the first run of a', () => runs.length === 1);
    queue.add('a'); // while running: marked dirty, runs once more afterwards
    queue.add('a');
    gates[0]!.open();
    await waitFor('the second run of a', () => runs.length === 2);
    gates[1]!.open();
    // A third run would have started in the same turn the second one finished in.
    await waitFor('the second run to finish', () => finished === 2);
    await queue.stop();
    assert.deepEqual(runs, ['a', 'a']);
    assert.equal(maxConcurrent, 1);
  });

  it('retries failures with exponential back-off, stops after a success, and starts over after it', async () => {
    const runs: Array<{ key: string; at: number }> = [];
    let failuresLeft = 3;
    const queue: WorkQueue = new WorkQueue(
      't',
      async (key) => {
        runs.push({ key, at: Date.now() });
        if (key !== 'k') return;
        const attempt = runs.filter((r) => r.key === 'k').length;
        if (attempt === 4) {
          // A retry after this success would be due 160 ms later; the marker comes after that.
          queue.addAfter('after-success', 500);
        }
        if (attempt === 5) {
          // The back-off starts over at 20 ms, so the retry comes before this marker; had it not
          // been reset (five failures: 320 ms) it would come after.
          queue.addAfter('after-reset', 200);
        }
        if (failuresLeft-- > 0 || attempt === 5) throw new Error('boom');
      },
      createLogger('silent'),
      { baseDelayMs: 20, maxDelayMs: 1000 },
    );
    queue.start();
    queue.add('k');
    await waitFor('the marker after the success', () => runs.some((r) => r.key === 'after-success'));
    const attempts = runs.filter((r) => r.key === 'k');
    assert.equal(attempts.length, 4, 'three failures, one success, no retry after it');
    const gaps = attempts.slice(1).map((r, i) => r.at - attempts[i]!.at);
    assert.ok(gaps[0]! >= 15 && gaps[1]! >= 35 && gaps[2]! >= 75, `back-off gaps ${gaps.join(',')} ms (20, 40, 80 expected)`);

    queue.add('k'); // attempt 5 fails, attempt 6 succeeds
    await waitFor('attempt 6 and the marker after it', () => runs.some((r) => r.key === 'after-reset'));
    await queue.stop();
    assert.deepEqual(
      runs.slice(5).map((r) => r.key),
      ['k', 'k', 'after-reset'],
      'the retry after the next failure came at the base delay',
    );
  });

  it('keeps keys added before start() (informers fill the queue while caches sync)', async () => {
    const runs: string[] = [];
    const queue = new WorkQueue(
      't',
      async (key) => {
        runs.push(key);
      },
      createLogger('silent'),
    );
    queue.add('early');
    // A started queue would have called the reconciler within add() itself.
    assert.deepEqual(runs, []);
    assert.equal(queue.length, 1);
    queue.start();
    await waitFor('the early key to run', () => runs.length === 1);
    await queue.stop();
    assert.deepEqual(runs, ['early']);
    queue.add('late');
    assert.equal(queue.length, 0, 'a stopped queue takes no work');
  });

  it('keeps the earliest of several delayed adds', async () => {
    const runs: string[] = [];
    const queue = new WorkQueue(
      't',
      async (key) => {
        runs.push(key);
      },
      createLogger('silent'),
    );
    queue.start();
    queue.addAfter('k', 300);
    queue.addAfter('k', 30);
    queue.addAfter('k', 200);
    queue.addAfter('at-100', 100);
    queue.addAfter('at-400', 400);
    await waitFor('the marker at 400 ms', () => runs.includes('at-400'));
    await queue.stop();
    // k ran at 30 ms (before the marker at 100) and only then: the adds at 200 and 300 were dropped.
    assert.deepEqual(runs, ['k', 'at-100', 'at-400']);
  });
});
