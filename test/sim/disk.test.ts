/**
 * The simulated disk's crash semantics (disk.ts): what survives a power loss, torn writes,
 * folder entries, injected faults, and that a crashed disk stops.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeFully } from '../../broker/src/io/disk.js';
import { SimDisk } from './disk.js';
import { SeededRandom } from './random.js';
import { nextTurn, settle, SimScheduler } from './sim-scheduler.js';

function newDisk(seed = 1): { disk: SimDisk; scheduler: SimScheduler } {
  const scheduler = new SimScheduler();
  return { disk: new SimDisk(scheduler, new SeededRandom(seed)), scheduler };
}

async function writeFile(disk: SimDisk, scheduler: SimScheduler, path: string, text: string, sync: boolean): Promise<void> {
  const file = await settle(scheduler, disk.open(path, 'create'));
  await settle(scheduler, writeFully(file, [Buffer.from(text)], 0));
  if (sync) await settle(scheduler, file.sync());
  await settle(scheduler, file.close());
}

test('fsynced bytes and fsynced folder entries survive a crash; the rest does not', async () => {
  const { disk, scheduler } = newDisk();
  await settle(scheduler, disk.mkdir('/d'));
  await writeFile(disk, scheduler, '/d/synced', 'kept', true);
  await writeFile(disk, scheduler, '/d/unsynced-data', 'maybe', false);
  await settle(scheduler, disk.syncDirectory('/d'));
  await writeFile(disk, scheduler, '/d/unsynced-name', 'lost', true);
  const after = disk.crash(new SeededRandom(7));
  assert.deepEqual(await settle(scheduler, after.list('/d')), ['synced', 'unsynced-data']);
  assert.equal((await settle(scheduler, after.readFile('/d/synced'))).toString(), 'kept');
  // An unsynced write may survive whole, torn (a prefix) or not at all.
  const survived = (await settle(scheduler, after.readFile('/d/unsynced-data'))).toString();
  assert.ok('maybe'.startsWith(survived), `'${survived}' is not a prefix of the write`);
});

test('a rename is durable only after the folder fsync', async () => {
  const { disk, scheduler } = newDisk();
  await settle(scheduler, disk.mkdir('/d'));
  await writeFile(disk, scheduler, '/d/a.tmp', 'new', true);
  await settle(scheduler, disk.syncDirectory('/d'));
  await settle(scheduler, disk.rename('/d/a.tmp', '/d/a'));
  const lost = disk.crash(new SeededRandom(1));
  assert.deepEqual(await settle(scheduler, lost.list('/d')), ['a.tmp']);
  await settle(scheduler, lost.rename('/d/a.tmp', '/d/a'));
  await settle(scheduler, lost.syncDirectory('/d'));
  const kept = lost.crash(new SeededRandom(1));
  assert.deepEqual(await settle(scheduler, kept.list('/d')), ['a']);
});

test('torn writes: over seeds, a crash keeps none, part or all of the unsynced write', async () => {
  const lengths = new Set<number>();
  for (let seed = 1; seed <= 40; seed++) {
    const { disk, scheduler } = newDisk(seed);
    await settle(scheduler, disk.mkdir('/d'));
    await writeFile(disk, scheduler, '/d/f', '', true);
    await settle(scheduler, disk.syncDirectory('/d'));
    const file = await settle(scheduler, disk.open('/d/f', 'readWrite'));
    await settle(scheduler, writeFully(file, [Buffer.alloc(100, 1)], 0));
    lengths.add((await settle(scheduler, disk.crash(new SeededRandom(seed)).readFile('/d/f'))).length);
  }
  assert.ok(lengths.has(0) && lengths.has(100) && [...lengths].some((n) => n > 0 && n < 100), [...lengths].join(','));
});

test('injected faults carry Node error codes and have no effect; a crashed disk stops', async () => {
  const { disk, scheduler } = newDisk();
  await settle(scheduler, disk.mkdir('/d'));
  disk.failNext('open', 'ENOSPC');
  await assert.rejects(settle(scheduler, disk.open('/d/f', 'create')), { code: 'ENOSPC' });
  assert.deepEqual(await settle(scheduler, disk.list('/d')), []);
  await assert.rejects(settle(scheduler, disk.readFile('/d/missing')), { code: 'ENOENT' });
  disk.failNext('syncDirectory', 'EIO', { path: /^\/d$/ });
  await assert.rejects(settle(scheduler, disk.syncDirectory('/d')), { code: 'EIO' });
  disk.crash(new SeededRandom(1));
  let settled = false;
  void disk.list('/d').finally(() => (settled = true));
  while (scheduler.runNext()) await nextTurn();
  await nextTurn();
  assert.equal(settled, false, 'an operation on a crashed disk completed');
});
