/**
 * The Raft store (broker/src/raft/raft-store.ts) on the simulated disk: Kafka's quorum-state
 * format, reload, truncation inside a batch, a torn or corrupt tail cut at load, and over seeded
 * power losses: everything an awaited call made durable survives, and what comes back is always a
 * prefix of what was appended.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { RaftStore, QUORUM_STATE_FILE, quorumStateFromJson, segmentFileName } from '../../broker/src/raft/raft-store.js';
import type { RaftEntry } from '../../broker/src/raft/raft-messages.js';
import { SimDisk } from './disk.js';
import { SeededRandom } from './random.js';
import { nextTurn, settle, SimScheduler } from './sim-scheduler.js';
import { replayCommand, seedsToRun } from './seeds.js';

const DIR = '/meta';
const LOG_DIR = `${DIR}/__cluster_metadata-0`;

function entries(from: number, count: number, epoch: number): RaftEntry[] {
  return Array.from({ length: count }, (_, i) => ({ offset: from + i, epoch, payload: Buffer.from(`record-${from + i}`) }));
}

function newStore(disk: SimDisk, segmentBytes = 1 << 20): RaftStore {
  return new RaftStore({ disk, metadataLogDir: DIR, segmentBytes, nowMs: () => 0 });
}

function setup(seed = 1) {
  const scheduler = new SimScheduler();
  const disk = new SimDisk(scheduler, new SeededRandom(seed));
  const run = <T>(p: Promise<T>) => settle(scheduler, p);
  return { scheduler, disk, run };
}

test('quorum-state is Kafka QuorumStateData v1 JSON with data_version; v0 files read too', async () => {
  const { disk, run } = setup();
  const store = newStore(disk);
  await run(store.load());
  await run(store.persistQuorumState({ leaderEpoch: 5, leaderId: 2, votedId: 2 }));
  const json = JSON.parse(disk.peek(`${LOG_DIR}/${QUORUM_STATE_FILE}`)!.toString('utf8')) as Record<string, unknown>;
  assert.deepEqual(json, { leaderId: 2, leaderEpoch: 5, votedId: 2, votedDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA', data_version: 1 });
  const kafka3 =
    '{"clusterId":"","leaderId":1,"leaderEpoch":3,"votedId":-1,"appliedOffset":0,"currentVoters":[{"voterId":1}],"data_version":0}';
  assert.deepEqual(quorumStateFromJson(kafka3, 'quorum-state'), { leaderId: 1, leaderEpoch: 3, votedId: -1 });
  const again = await run(newStore(disk).load());
  assert.deepEqual(again.quorumState, { leaderEpoch: 5, leaderId: 2, votedId: 2 });
});

test('appends reload in order across segments; a truncation inside a batch keeps the entries below it', async () => {
  const { disk, run } = setup();
  const store = newStore(disk, 200);
  await run(store.load());
  const all = [...entries(0, 3, 1), ...entries(3, 4, 2), ...entries(7, 2, 3), ...entries(9, 5, 3)];
  await run(store.append(all.slice(0, 3)));
  await run(store.append(all.slice(3, 7)));
  await run(store.append(all.slice(7, 9)));
  await run(store.append(all.slice(9)));
  assert.ok(disk.entries(LOG_DIR).durable.filter((n) => n.endsWith('.log')).length > 1, 'rolled to several segments');
  assert.deepEqual((await run(newStore(disk, 200).load())).entries, all);
  await run(store.truncate(5));
  assert.deepEqual((await run(newStore(disk, 200).load())).entries, all.slice(0, 5));
  await run(store.append(entries(5, 2, 4)));
  assert.deepEqual((await run(newStore(disk, 200).load())).entries, [...all.slice(0, 5), ...entries(5, 2, 4)]);
});

test('load cuts a torn tail and a corrupt batch (bad CRC), and later segments', async () => {
  const { disk, run } = setup();
  const store = newStore(disk);
  await run(store.load());
  await run(store.append(entries(0, 2, 1)));
  await run(store.append(entries(2, 2, 1)));
  const path = `${LOG_DIR}/${segmentFileName(0)}`;
  const size = disk.peek(path)!.length;
  // A torn write: half a batch header at the end.
  disk.corrupt(path, size, Buffer.alloc(30, 0x7f));
  const torn = await run(newStore(disk).load());
  assert.deepEqual(torn.entries, entries(0, 4, 1));
  assert.equal(disk.peek(path)!.length, size, 'the torn tail is truncated away');
  // A flipped byte inside the second batch: its CRC fails, the log ends before it.
  const firstBatchBytes = (() => {
    const bytes = disk.peek(path)!;
    return bytes.readInt32BE(8) + 12;
  })();
  disk.corrupt(path, firstBatchBytes + 70, Buffer.from([0xff]));
  const corrupt = await run(newStore(disk).load());
  assert.deepEqual(corrupt.entries, entries(0, 2, 1));
  assert.equal(disk.peek(path)!.length, firstBatchBytes);
});

test('over seeded power losses, every awaited append and quorum state survives, and the log is a prefix', async () => {
  const failures: string[] = [];
  const testFile = 'dist/test/sim/raft-store.test.js';
  for (const seed of seedsToRun({ testFile, defaultSeeds: 40 })) {
    const { disk, run, scheduler } = setup(seed);
    const random = new SeededRandom(seed * 7 + 1);
    const store = newStore(disk, 256);
    await run(store.load());
    const appended: RaftEntry[] = [];
    let durable = 0;
    let state = { leaderEpoch: 0, leaderId: -1, votedId: -1 };
    const steps = 3 + random.int(8);
    for (let i = 0; i < steps; i++) {
      const next = entries(appended.length, 1 + random.int(4), 1 + Math.floor(appended.length / 5));
      appended.push(...next);
      await run(store.append(next));
      durable = appended.length;
      state = { leaderEpoch: state.leaderEpoch + 1, leaderId: 1, votedId: 1 };
      await run(store.persistQuorumState(state));
    }
    // One more append in flight when the power goes.
    const inFlight = entries(appended.length, 3, 9);
    void store.append(inFlight).catch(() => undefined);
    for (let i = random.int(4); i > 0 && scheduler.runNext(); i--) await nextTurn();
    const crashed = disk.crash(random);
    const loaded = await settle(crashed.scheduler, newStore(crashed, 256).load());
    const all = [...appended, ...inFlight];
    if (loaded.entries.length < durable) failures.push(`seed ${seed}: ${loaded.entries.length} entries < ${durable} durable`);
    if (!isDeepStrictEqual(loaded.entries, all.slice(0, loaded.entries.length))) failures.push(`seed ${seed}: not a prefix`);
    if (!isDeepStrictEqual(loaded.quorumState, state)) failures.push(`seed ${seed}: quorum state ${JSON.stringify(loaded.quorumState)}`);
  }
  assert.deepEqual(
    failures,
    [],
    failures.length > 0 ? `replay: ${replayCommand(testFile, Number(/seed (\d+)/.exec(failures[0]!)![1]))}` : '',
  );
});
