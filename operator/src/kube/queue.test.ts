import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from './log.js';
import { WorkQueue } from './queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('coalesces adds of a waiting key and never runs one key concurrently', async () => {
    const runs: string[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const queue = new WorkQueue(
      't',
      async (key) => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        runs.push(key);
        await sleep(30);
        concurrent--;
      },
      createLogger('silent'),
      { workers: 4 },
    );
    queue.add('a');
    queue.add('a');
    queue.add('a');
    queue.start();
    await sleep(5);
    queue.add('a'); // while running: marked dirty, runs once more afterwards
    queue.add('a');
    await sleep(120);
    await queue.stop();
    assert.deepEqual(runs, ['a', 'a']);
    assert.equal(maxConcurrent, 1);
  });

  it('retries failures with exponential back-off and resets after success', async () => {
    const times: number[] = [];
    const queue = new WorkQueue(
      't',
      async () => {
        times.push(Date.now());
        if (times.length < 4) throw new Error('boom');
      },
      createLogger('silent'),
      { baseDelayMs: 20, maxDelayMs: 1000 },
    );
    queue.start();
    queue.add('k');
    await sleep(400);
    await queue.stop();
    assert.equal(times.length, 4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    assert.ok(gaps[0]! >= 15 && gaps[1]! >= 35 && gaps[2]! >= 75, `gaps ${gaps.join(',')}`);
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
    await sleep(20);
    assert.deepEqual(runs, []);
    queue.start();
    await sleep(20);
    await queue.stop();
    assert.deepEqual(runs, ['early']);
    queue.add('late');
    assert.equal(queue.length, 0, 'a stopped queue takes no work');
  });

  it('keeps the earliest of several delayed adds', async () => {
    const runs: number[] = [];
    const queue = new WorkQueue(
      't',
      async () => {
        runs.push(Date.now());
      },
      createLogger('silent'),
    );
    queue.start();
    const start = Date.now();
    queue.addAfter('k', 300);
    queue.addAfter('k', 30);
    queue.addAfter('k', 200);
    await sleep(120);
    assert.equal(runs.length, 1);
    assert.ok(runs[0]! - start < 100);
    await queue.stop();
  });
});
