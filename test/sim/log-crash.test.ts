/**
 * Crash simulation of the partition log on the simulated disk (disk.ts): seeded runs append
 * batches, flush, roll segments, apply retention, compact (a quarter of the seeds) and close, crash at a random moment (unsynced
 * bytes and folder entries lost, the last write maybe torn), reopen the log on what survived,
 * sometimes crash again in the middle of that recovery, and check after every recovery:
 *
 * - every batch acknowledged as durable (covered by a flush() that resolved after its append, or
 *   appended before a close() that resolved) is present, byte for byte, unless retention removed
 *   it (below the log start offset);
 * - everything the log holds is a batch that was appended at that offset (no corrupt or
 *   foreign batch is accepted), and offsets are contiguous from the log start to the end;
 * - the offset index finds the right batch: a read at any offset returns the batch holding it,
 *   straight from the segment files (the tail cache is off);
 * - recovery is idempotent: a power loss right after a recovery, and a second recovery, give the
 *   same log.
 *
 *   FJORD_SIM_SEEDS=<n> node --test dist/test/sim/log-crash.test.js    more seeds
 *   FJORD_SIM_SEED=<s>  node --test dist/test/sim/log-crash.test.js    replay one
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseOffsetOf, crcMatches, lastOffsetDeltaOf } from '../../broker/src/log/batch-header.js';
import { makeBatch } from '../../broker/src/log/batch-fixture.js';
import {
  DEFAULT_LOG_CONFIG,
  PartitionLog,
  type LogConfig,
  type LogIo,
  type PartitionLogEvents,
} from '../../broker/src/log/partition-log.js';
import { TailCacheBudget } from '../../broker/src/log/tail-cache.js';
import { buildRecordBatch } from '../../broker/src/protocol/records.js';
import { SimDisk, type SimDiskFlaw } from './disk.js';
import { SeededRandom } from './random.js';
import { replayCommand, seedsToRun } from './seeds.js';
import { nextTurn, SimScheduler } from './sim-scheduler.js';

const TEST_FILE = 'dist/test/sim/log-crash.test.js';
const DIR = '/data/topic-0';
/** Lives (open, work, crash) per seed. */
const LIVES_PER_SEED = 4;
/** Workload steps per life, at most (the crash may come earlier). */
const STEPS_PER_LIFE_MAX = 60;
/** Simulated events a step lets run, at most (disk operations complete as events). */
const EVENTS_PER_STEP_MAX = 12;
/** A recovery or close that needs more events than this is stuck (a bug in itself). */
const EVENTS_TO_SETTLE_MAX = 200_000;
const LEADER_EPOCH = 3;
const TRACE = process.env['FJORD_SIM_TRACE'] === '1';
function trace(...parts: unknown[]): void {
  if (TRACE) console.log(...parts);
}
/** Seeds run by default (CI); FJORD_SIM_SEEDS overrides. */
const DEFAULT_SEEDS = 500;
/** A byte of a fixture batch's payload (after the 61-byte header). */
const BATCH_FILL_AT = 70;

/** Lets the microtasks queued by the last event (promise continuations) run. */

class World {
  readonly scheduler = new SimScheduler();
  disk: SimDisk;

  constructor(
    readonly random: SeededRandom,
    flaw: SimDiskFlaw | undefined,
  ) {
    this.disk = new SimDisk(this.scheduler, random.fork(), { latencyMaxMs: 2, ...(flaw === undefined ? {} : { flaw }) });
  }

  get io(): LogIo {
    return { disk: this.disk, scheduler: this.scheduler };
  }

  /** Runs up to `events` simulated events, each followed by the microtasks it released. */
  async run(events: number): Promise<void> {
    for (let i = 0; i < events; i++) {
      await nextTurn();
      if (!this.scheduler.runNext()) break;
    }
    await nextTurn();
  }

  /** Runs events until `promise` settles; its value (or its error, rethrown). */
  async settle<T>(promise: Promise<T>, what: string): Promise<T> {
    let state: { done: false } | { done: true; ok: true; value: T } | { done: true; ok: false; error: unknown } = { done: false };
    promise.then(
      (value) => (state = { done: true, ok: true, value }),
      (error: unknown) => (state = { done: true, ok: false, error }),
    );
    for (let events = 0; ; events++) {
      await nextTurn();
      if (state.done) break;
      if (events > EVENTS_TO_SETTLE_MAX || !this.scheduler.runNext()) {
        await nextTurn();
        if (state.done) break;
        throw new Error(`${what} did not settle (${events} events run, ${this.scheduler.pendingCount()} pending)`);
      }
    }
    const settled = state as { done: true; ok: true; value: T } | { done: true; ok: false; error: unknown };
    if (!settled.ok) throw settled.error;
    return settled.value;
  }

  /** Power loss: the disk as it comes back. */
  crash(): void {
    if (TRACE) {
      const { current, durable } = this.disk.entries(DIR);
      trace('  current', current.join(' '));
      trace('  durable', durable.join(' '));
    }
    this.disk = this.disk.crash(this.random.fork());
  }
}

/** What the test knows about the log across lives. */
class Model {
  /** Batches acknowledged (errorCode 0), by base offset, as stamped by the log. */
  readonly acked = new Map<number, Buffer>();
  /** Every batch handed to append at an offset (a failed or unacknowledged one may survive too). */
  readonly appended = new Map<number, Buffer[]>();
  /** Batches below this offset were acknowledged as durable. */
  durableEnd = 0;
  /** The log reported a storage failure (and no recovery since): a close then promises nothing. */
  failed = false;
  /** The highest log start offset the log reported (retention may have moved it). */
  logStartMax = 0;

  /**
   * After a checked recovery, what the log holds is the truth: the batches not recovered were not
   * durable, and where an unsynced truncation was undone by the crash (the storage retry after a
   * full disk truncates to the high watermark), the recovered batch may be another one appended
   * at that offset than the one acknowledged last (see docs/storage.md, "Crash simulation").
   */
  adopt(recovered: readonly Buffer[]): void {
    this.acked.clear();
    this.appended.clear();
    for (const batch of recovered) {
      this.acked.set(baseOffsetOf(batch), batch);
      this.appended.set(baseOffsetOf(batch), [batch]);
    }
  }
}

function logConfig(random: SeededRandom): LogConfig {
  return {
    ...DEFAULT_LOG_CONFIG,
    segmentBytes: random.between(300, 3000),
    indexIntervalBytes: random.pick([0, 64, 200, 1000]),
    flushMessages: random.pick([1, 4, Number.MAX_SAFE_INTEGER]),
    retentionBytes: random.chance(0.3) ? random.between(1000, 6000) : -1,
    // A quarter of the seeds compact (keyed records, a small key space); some also delete.
    cleanupPolicy: random.chance(0.25) ? random.pick([['compact'], ['compact', 'delete']] as const).slice() : ['delete'],
    minCleanableDirtyRatio: 0.1,
  };
}

async function openLog(world: World, config: LogConfig, model: Model): Promise<PartitionLog> {
  const events: PartitionLogEvents = {
    recoveryTruncated: (event) => trace('recovery cut', JSON.stringify(event)),
    storageFailed: (failure) => {
      trace('storage failed', failure.operation, failure.error.message);
      model.failed = true;
    },
    storageRecovered: () => {
      trace('storage recovered');
      model.failed = false;
    },
  };
  model.failed = false;
  const log = await world.settle(PartitionLog.open(DIR, config, world.scheduler, new TailCacheBudget(0), events, world.io), 'open');
  trace('opened', log.logStartOffset, log.logEndOffset, log.segmentBaseOffsets.join(','));
  return log;
}

/** Checks every invariant of the header on a freshly recovered log; returns its batches. */
async function checkRecovered(world: World, log: PartitionLog, model: Model, label: string): Promise<Buffer[]> {
  const logStart = log.logStartOffset;
  const logEnd = log.logEndOffset;
  assert.ok(logEnd >= model.durableEnd, `${label}: log end ${logEnd} is below the durable end ${model.durableEnd}: durable data lost`);
  assert.ok(
    logStart <= Math.max(model.logStartMax, 0) || logStart <= logEnd,
    `${label}: log start ${logStart} beyond ${model.logStartMax}`,
  );
  assert.equal(log.highWatermark, logEnd, `${label}: high watermark after recovery`);
  const batches: Buffer[] = [];
  let offset = logStart;
  let first = true;
  while (offset < logEnd) {
    const read = await world.settle(log.read(offset, 1 << 20), `read ${offset}`);
    assert.equal(read.errorCode, 0, `${label}: read at ${offset}`);
    assert.ok(read.records.length > 0, `${label}: read at ${offset} below the end ${logEnd} returned nothing`);
    for (const batch of read.records) {
      const base = baseOffsetOf(batch);
      // The first read may start inside a batch only when the log start is (DeleteRecords).
      const cleanedGap = offset < log.cleanerCheckpointOffset && base >= offset;
      if (first) assert.ok(base <= offset || cleanedGap, `${label}: first batch ${base} after the log start ${offset}`);
      else if (cleanedGap) assert.ok(base >= offset, `${label}: offsets go back in a cleaned segment at ${base}`);
      else assert.equal(base, offset, `${label}: offsets not contiguous: expected ${offset}, found ${base}`);
      first = false;
      const candidates = model.appended.get(base) ?? [];
      // Below the cleaner checkpoint a batch may be a cleaned version of one appended there: the
      // same offsets (the cleaner keeps baseOffset and lastOffsetDelta), fewer records, a valid CRC.
      const cleaned =
        base < log.cleanerCheckpointOffset &&
        crcMatches(batch, 0, batch.length) &&
        candidates.some((candidate) => lastOffsetDeltaOf(candidate) === lastOffsetDeltaOf(batch));
      assert.ok(
        cleaned || candidates.some((candidate) => candidate.equals(batch)),
        `${label}: batch at ${base} is not one that was appended there (corrupt or foreign data accepted)`,
      );
      batches.push(Buffer.from(batch));
      offset = base + lastOffsetDeltaOf(batch) + 1;
    }
  }
  assert.equal(offset, logEnd, `${label}: batches end at ${offset}, the log at ${logEnd}`);
  for (const [base, batch] of model.acked) {
    const end = base + lastOffsetDeltaOf(batch) + 1;
    if (end > model.durableEnd || base < logStart) continue;
    const found = batches.find((b) => baseOffsetOf(b) === base);
    // The cleaner may drop a batch whose records all have later versions (or shrink it).
    if (base < log.cleanerCheckpointOffset) continue;
    assert.ok(found !== undefined, `${label}: durable batch at ${base} lost (log ${logStart}..${logEnd})`);
    assert.ok(found.equals(batch), `${label}: durable batch at ${base} changed`);
  }
  // Index lookups: a read at any offset inside a batch starts with that batch.
  for (let probe = 0; probe < 5 && batches.length > 0; probe++) {
    const target = batches[world.random.int(batches.length)]!;
    const base = baseOffsetOf(target);
    const inside = base + world.random.int(lastOffsetDeltaOf(target) + 1);
    if (inside < logStart) continue;
    const read = await world.settle(log.read(inside, 1), `probe ${inside}`);
    assert.equal(read.errorCode, 0);
    assert.ok(read.records.length > 0 && read.records[0]!.equals(target), `${label}: index lookup of ${inside} did not find batch ${base}`);
  }
  return batches;
}

/** One life: appends, flushes, retention, maybe a clean close; then the power goes. */
async function live(world: World, log: PartitionLog, model: Model, config: LogConfig, faults: boolean): Promise<void> {
  const random = world.random;
  const compacted = config.cleanupPolicy.includes('compact');
  const steps = random.between(1, STEPS_PER_LIFE_MAX);
  for (let step = 0; step < steps; step++) {
    const action = random.next();
    if (action < 0.6) {
      const count = random.between(1, 4);
      for (let i = 0; i < count; i++) {
        const batch = compacted
          ? buildRecordBatch({
              timestamp: world.scheduler.nowMs(),
              records: Array.from({ length: random.between(1, 5) }, () => ({
                key: `k${random.int(8)}`,
                value: random.chance(0.1) ? null : Buffer.alloc(random.between(1, 200), random.int(256)),
              })),
            })
          : makeBatch({
              records: random.between(1, 5),
              payloadBytes: random.between(1, 300),
              maxTimestamp: world.scheduler.nowMs(),
              fill: random.int(256),
            });
        const pending = log.append(batch, LEADER_EPOCH);
        // append stamps the base offset synchronously; keep what the file should then hold.
        const stamped = Buffer.from(batch);
        const base = baseOffsetOf(stamped);
        model.appended.set(base, [...(model.appended.get(base) ?? []), stamped]);
        void pending.then((result) => {
          if (result.errorCode !== 0) return;
          model.acked.set(base, stamped);
          // flush.messages=1: the write is fsynced before the append is acknowledged.
          if (config.flushMessages === 1) model.durableEnd = Math.max(model.durableEnd, base + lastOffsetDeltaOf(stamped) + 1);
        });
      }
    } else if (action < 0.72) {
      // Time passes (flush.ms, the storage retry backoff).
      world.scheduler.advance(random.between(1, 1500));
    } else if (action < 0.77) {
      const endAtCall = log.highWatermark;
      trace('flush called at', endAtCall, 'segments', log.segmentBaseOffsets.join(','));
      void log.flush().then(
        () => {
          trace('flush done', endAtCall);
          model.durableEnd = Math.max(model.durableEnd, endAtCall);
        },
        () => undefined,
      );
    } else if (action < 0.82 && config.retentionBytes > 0) {
      void log.applyRetention(world.scheduler.nowMs()).then(
        () => (model.logStartMax = Math.max(model.logStartMax, log.logStartOffset)),
        () => undefined,
      );
    } else if (action < 0.84 && compacted) {
      // (also below, after appends)
      void log.maybeClean(world.scheduler.nowMs(), { force: random.chance(0.5) }).then(
        (result) => trace('cleaned', JSON.stringify(result)),
        (error: unknown) => trace('clean failed', (error as Error).message),
      );
    } else if (action < 0.86 && faults) {
      // A fault on a coming operation: a full disk on a write (the log retries by itself) or an
      // I/O error on an fsync or a write (the log stays failed until it is reopened).
      const fault = random.pick([
        ['writev', 'ENOSPC'],
        ['writev', 'EIO'],
        ['sync', 'EIO'],
        ['syncDirectory', 'EIO'],
        ['rename', 'ENOSPC'],
      ] as const);
      trace('fault', fault.join(' '));
      world.disk.failNext(fault[0], fault[1], { count: random.between(1, 3) });
    } else if (action < 0.88) {
      // A clean close: everything appended before it is durable once it resolves.
      const endAtCall = log.logEndOffset;
      let closed = true;
      try {
        await world.settle(log.close(), 'close');
      } catch (error) {
        // A storage error during the close (an injected fault): it promises nothing then.
        trace('close failed', (error as Error).message);
        closed = false;
      }
      trace('closed', endAtCall, closed && !model.failed ? '' : '(failed)');
      if (closed && !model.failed) model.durableEnd = Math.max(model.durableEnd, endAtCall);
      model.logStartMax = Math.max(model.logStartMax, log.logStartOffset);
      return;
    }
    if (compacted && random.chance(0.15)) {
      void log.maybeClean(world.scheduler.nowMs(), { force: true }).then(
        (result) => trace('cleaned', JSON.stringify(result)),
        (error: unknown) => trace('clean failed', (error as Error).message),
      );
    }
    await world.run(random.int(EVENTS_PER_STEP_MAX + 1));
  }
}

async function runSeed(seed: number, flaw?: SimDiskFlaw): Promise<void> {
  const random = new SeededRandom(seed);
  const world = new World(random, flaw);
  const config = logConfig(random);
  const faults = random.chance(0.5);
  trace('config', JSON.stringify(config));
  const model = new Model();
  for (let life = 0; life < LIVES_PER_SEED; life++) {
    const label = `life ${life}`;
    let log = await openLog(world, config, model);
    const recovered = await checkRecovered(world, log, model, `${label}, recovery`);

    model.logStartMax = Math.max(model.logStartMax, log.logStartOffset);
    if (random.chance(0.3)) {
      // Idempotence: power loss right after the recovery, recover again: the same log.
      world.crash();
      log = await openLog(world, config, model);
      const again = await checkRecovered(world, log, model, `${label}, second recovery`);
      assert.equal(
        again.length,
        recovered.length,
        `${label}: a second recovery found ${again.length} batches, the first ${recovered.length}`,
      );
      again.forEach((batch, i) => assert.ok(batch.equals(recovered[i]!), `${label}: second recovery differs at batch ${i}`));
    }
    model.adopt(recovered);
    await live(world, log, model, config, faults);
    trace('crash', life, 'log end', log.logEndOffset, 'durable', model.durableEnd, 'segments', log.segmentBaseOffsets.join(','));
    world.crash();
    if (random.chance(0.4)) {
      trace('crash during recovery');
      // Power loss in the middle of the next recovery.
      void PartitionLog.open(DIR, config, world.scheduler, new TailCacheBudget(0), {}, world.io).catch(() => undefined);
      await world.run(random.int(60));
      world.crash();
    }
  }
  const log = await openLog(world, config, model);
  await checkRecovered(world, log, model, 'final recovery');
}

test('the log keeps every durable batch through seeded power losses (simulated disk)', async () => {
  // runSeeds (seeds.ts) takes a synchronous run; the log is asynchronous, so the same loop here.
  for (const seed of seedsToRun({ testFile: TEST_FILE, defaultSeeds: DEFAULT_SEEDS })) {
    try {
      await runSeed(seed);
    } catch (error) {
      throw new Error(`seed ${seed} failed: ${(error as Error).message}\n  replay: ${replayCommand(TEST_FILE, seed)}`, { cause: error });
    }
  }
});

test('the simulation catches a disk that does not make folder entries durable', async () => {
  let caught: Error | null = null;
  for (let seed = 1; seed <= 20 && caught === null; seed++) {
    try {
      await runSeed(seed, 'ignore-directory-sync');
    } catch (error) {
      caught = error as Error;
    }
  }
  assert.ok(caught !== null, 'no seed noticed lost folder entries');
  assert.match(caught.message, /durable/);
});

test('the simulation catches a disk whose fsync does nothing', async () => {
  let caught: Error | null = null;
  for (let seed = 1; seed <= 20 && caught === null; seed++) {
    try {
      await runSeed(seed, 'ignore-file-sync');
    } catch (error) {
      caught = error as Error;
    }
  }
  assert.ok(caught !== null, 'no seed noticed lost unsynced bytes');
  // Either an invariant saw the loss, or recovery refused a checkpoint the lost bytes emptied.
  assert.match(caught.message, /durable|damaged checkpoint/);
});

test('segments removed behind a recovery cut do not come back after the next power loss', async () => {
  // Three segments; the second is damaged at its first batch, so recovery empties it and removes
  // the third. New batches (flush.messages=1: each fsynced before it is acknowledged) refill the
  // second segment to exactly where the third began. If the removal were not durable, the
  // third segment would come back after a power loss, contiguous, with its old batches under
  // offsets the log has handed out again.
  const random = new SeededRandom(1);
  const world = new World(random, undefined);
  const config: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 500, indexIntervalBytes: 0, flushMessages: 1 };
  const model = new Model();
  const batch = (fill: number) => makeBatch({ payloadBytes: 39, fill, maxTimestamp: world.scheduler.nowMs() }); // 100 bytes
  let log = await openLog(world, config, model);
  for (let i = 0; i < 12; i++) await world.settle(log.append(batch(1), LEADER_EPOCH), 'append');
  await world.settle(log.close(), 'close');
  assert.deepEqual(log.segmentBaseOffsets, [0, 5, 10]);
  world.disk.corrupt(`${DIR}/00000000000000000005.log`, 30, Buffer.from([0xff]));
  // As after a crash with nothing synced since the start: the whole log is scanned.
  for (const name of ['.clean-shutdown', 'recovery-point-offset-checkpoint'])
    await world.settle(world.disk.unlink(`${DIR}/${name}`), 'unlink');
  await world.settle(world.disk.syncDirectory(DIR), 'sync');
  log = await openLog(world, config, model);
  assert.equal(log.logEndOffset, 5);
  for (let i = 0; i < 5; i++) await world.settle(log.append(batch(2), LEADER_EPOCH), 'append');
  world.crash();
  log = await openLog(world, config, model);
  assert.equal(log.logEndOffset, 10, 'the removed third segment came back');
  const read = await world.settle(log.read(5, 1 << 20), 'read');
  assert.ok(read.records.every((record) => record[BATCH_FILL_AT] === 2));
});
