import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  appendFileSync,
  truncateSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import fc from 'fast-check';
import { baseOffsetOf, lastOffsetDeltaOf } from './batch-header.js';
import { makeBatch, type BatchSpec } from './batch-fixture.js';
import { DEFAULT_LOG_CONFIG, PartitionLog, logConfigProblem, type LogConfig, type RecoveryTruncation } from './partition-log.js';
import { ReadBufferPool } from './read-buffer-pool.js';
import { READ_WINDOW_BYTES } from './segment.js';
import { TailCacheBudget } from './tail-cache.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-log-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

class ManualClock {
  constructor(public now = 1_700_000_000_000) {}
  nowMs(): number {
    return this.now;
  }
}

function config(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, ...overrides };
}

/**
 * Simulates kill -9: a copy of the directory as it is now, without close(). Writes in flight run
 * on libuv's threads while the copy runs, so a temp file listed may be renamed away before it is
 * copied: it is left out, as a crash just after the rename would have it.
 */
function crashCopy(dir: string): string {
  const copy = tempDir();
  for (const name of readdirSync(dir)) {
    try {
      copyFileSync(join(dir, name), join(copy, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return copy;
}

function offsetsOf(records: Buffer[]): number[] {
  return records.map((batch) => baseOffsetOf(batch));
}

function segmentFiles(dir: string, suffix: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(suffix))
    .sort();
}

test('append assigns dense offsets, stamps the batch, and read returns it', async () => {
  const log = await PartitionLog.open(tempDir(), config());
  assert.equal(log.logStartOffset, 0);
  assert.equal(log.logEndOffset, 0);
  const counts = [1, 3, 5, 2, 1];
  const results = await Promise.all(counts.map((records) => log.append(makeBatch({ records }), 7)));
  assert.deepEqual(
    results.map((result) => result.baseOffset),
    [0, 1, 4, 9, 11],
  );
  assert.ok(results.every((result) => result.errorCode === 0 && result.logAppendTimeMs === -1 && result.logStartOffset === 0));
  assert.equal(log.logEndOffset, 12);
  assert.equal(log.highWatermark, 12);
  const read = await log.read(0, 1 << 20);
  assert.equal(read.errorCode, 0);
  assert.deepEqual(offsetsOf(read.records), [0, 1, 4, 9, 11]);
  assert.equal(read.records[2]!.readInt32BE(12), 7); // partitionLeaderEpoch stamped
  assert.equal(
    read.sizeBytes,
    read.records.reduce((n, b) => n + b.length, 0),
  );
  await log.close();
});

test('reads: middle of a batch, KIP-74, OFFSET_OUT_OF_RANGE, empty at the high watermark', async () => {
  const log = await PartitionLog.open(tempDir(), config());
  await Promise.all([
    log.append(makeBatch({ records: 5, payloadBytes: 200 }), 0),
    log.append(makeBatch({ records: 5, payloadBytes: 200 }), 0),
  ]);
  assert.deepEqual(offsetsOf((await log.read(3, 1 << 20)).records), [0, 5]);
  assert.deepEqual(offsetsOf((await log.read(7, 1 << 20)).records), [5]);
  const tiny = await log.read(0, 1);
  assert.equal(tiny.errorCode, 0);
  assert.deepEqual(offsetsOf(tiny.records), [0]);
  assert.deepEqual(await log.read(10, 100), { errorCode: 0, records: [], sizeBytes: 0 });
  assert.equal((await log.read(11, 100)).errorCode, 1);
  assert.equal((await log.read(-1, 100)).errorCode, 1);
  await log.close();
  // the same from disk (fresh tail cache)
  const reopened = await PartitionLog.open(log.dir, config());
  assert.deepEqual(offsetsOf((await reopened.read(3, 1 << 20)).records), [0, 5]);
  assert.deepEqual(offsetsOf((await reopened.read(7, 1)).records), [5]);
  assert.deepEqual(offsetsOf((await reopened.read(0, 1)).records), [0]);
  assert.equal((await reopened.read(11, 100)).errorCode, 1);
  await reopened.close();
});

test('appends in one event-loop turn are coalesced into one write', async () => {
  const log = await PartitionLog.open(tempDir(), config());
  const before = { ...log.stats };
  const moves: number[] = [];
  log.onHighWatermark((highWatermark) => moves.push(highWatermark));
  const pending = Array.from({ length: 200 }, () => log.append(makeBatch({ records: 2 }), 0));
  assert.equal(log.logEndOffset, 400); // offsets assigned synchronously
  assert.equal(log.highWatermark, 0); // nothing written yet
  assert.deepEqual(offsetsOf((await log.read(0, 1 << 20)).records), []);
  await Promise.all(pending);
  assert.equal(log.stats.writeCycles - before.writeCycles, 1);
  assert.equal(log.stats.segmentWrites - before.segmentWrites, 1);
  assert.equal(log.highWatermark, 400);
  assert.deepEqual(moves, [400]);
  await log.close();
});

test('a batch larger than segment.bytes is refused', async () => {
  const log = await PartitionLog.open(tempDir(), config({ segmentBytes: 200 }));
  const result = await log.append(makeBatch({ payloadBytes: 300 }), 0);
  assert.equal(result.errorCode, 18);
  assert.equal(log.logEndOffset, 0);
  await log.close();
});

test('rolls by size, keeps every batch readable across segments and restarts', async () => {
  const dir = tempDir();
  const log = await PartitionLog.open(dir, config({ segmentBytes: 1000, indexIntervalBytes: 100 }));
  for (let i = 0; i < 10; i++)
    await Promise.all(Array.from({ length: 5 }, () => log.append(makeBatch({ records: 2, payloadBytes: 39 }), 0)));
  // 100-byte batches, 10 per segment
  assert.deepEqual(log.segmentBaseOffsets, [0, 20, 40, 60, 80]);
  assert.equal(log.sizeBytes, 5000);
  await log.close();
  assert.deepEqual(segmentFiles(dir, '.log').length, 5);
  assert.deepEqual(segmentFiles(dir, '.index').length, 5);
  assert.ok(statSync(join(dir, '00000000000000000020.index')).size > 0);
  const reopened = await PartitionLog.open(dir, config({ segmentBytes: 1000, indexIntervalBytes: 100 }));
  assert.equal(reopened.logEndOffset, 100);
  for (let offset = 0; offset < 100; offset++) {
    const read = await reopened.read(offset, 250);
    const lastInSegment = offset % 20 >= 18; // reads stay within one segment
    assert.equal(read.records.length, lastInSegment ? 1 : 2, `offset ${offset}`);
    assert.equal(baseOffsetOf(read.records[0]!), offset - (offset % 2));
  }
  // a read at the end of a segment continues in the next one
  assert.deepEqual(offsetsOf((await reopened.read(38, 1 << 20)).records).slice(0, 2), [38]);
  await reopened.close();
});

test('rolls by time (segment.ms), on append and via maybeRoll', async () => {
  const clock = new ManualClock();
  const log = await PartitionLog.open(tempDir(), config({ segmentMs: 1000 }), clock);
  await log.append(makeBatch(), 0);
  clock.now += 500;
  await log.append(makeBatch(), 0);
  assert.equal(log.segmentCount, 1);
  clock.now += 600;
  await log.append(makeBatch(), 0);
  assert.deepEqual(log.segmentBaseOffsets, [0, 2]);
  log.maybeRoll(clock.now + 500);
  assert.deepEqual(log.segmentBaseOffsets, [0, 2]);
  log.maybeRoll(clock.now + 1001);
  assert.deepEqual(log.segmentBaseOffsets, [0, 2, 3]);
  log.maybeRoll(clock.now + 5000); // empty active segment: no roll
  assert.equal(log.segmentCount, 3);
  await log.close();
});

test('rolls when the offset index is full', async () => {
  const log = await PartitionLog.open(tempDir(), config({ indexIntervalBytes: 0, segmentIndexBytes: 24 }));
  for (let i = 0; i < 10; i++) await log.append(makeBatch(), 0);
  assert.ok(log.segmentCount >= 3);
  assert.equal((await log.read(9, 1)).records.length, 1);
  await log.close();
});

test('property: reads match a naive model, from the tail cache and from disk', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ records: fc.integer({ min: 1, max: 8 }), payloadBytes: fc.integer({ min: 0, max: 400 }) }), {
        minLength: 1,
        maxLength: 60,
      }),
      fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 3000 })), { minLength: 1, maxLength: 20 }),
      fc.integer({ min: 300, max: 3000 }),
      async (specs: BatchSpec[], reads, segmentBytes) => {
        const dir = tempDir();
        const settings = config({ segmentBytes: Math.max(segmentBytes, 500), indexIntervalBytes: 128 });
        const log = await PartitionLog.open(dir, settings);
        const model: { base: number; next: number; size: number }[] = [];
        for (const spec of specs) {
          const batch = makeBatch(spec);
          const result = await log.append(batch, 0);
          model.push({ base: result.baseOffset, next: result.baseOffset + (spec.records ?? 1), size: batch.length });
        }
        const check = async (target: PartitionLog, withinOneSegment: boolean): Promise<void> => {
          for (const [fraction, maxBytes] of reads) {
            const offset = Math.min(target.highWatermark - 1, Math.floor(fraction * target.highWatermark));
            const read = await target.read(offset, maxBytes);
            const first = model.findIndex((entry) => entry.next > offset);
            const expected: number[] = [];
            let size = 0;
            for (let i = first; i < model.length; i++) {
              if (expected.length > 0 && size + model[i]!.size > maxBytes) break;
              // disk reads stay within one segment; tail-cache reads need not
              if (withinOneSegment && expected.length > 0 && target.segmentBaseOffsets.includes(model[i]!.base)) break;
              expected.push(model[i]!.base);
              size += model[i]!.size;
              if (size >= maxBytes) break;
            }
            const got = offsetsOf(read.records);
            assert.ok(got.length >= 1);
            assert.deepEqual(got, expected.slice(0, got.length), `offset ${offset} maxBytes ${maxBytes}`);
            assert.ok(read.sizeBytes <= maxBytes || got.length === 1);
          }
        };
        try {
          await check(log, false); // all in the tail cache (< 4 MiB)
        } finally {
          await log.close();
        }
        const reopened = await PartitionLog.open(dir, settings);
        try {
          await check(reopened, true); // disk only
        } finally {
          await reopened.close();
        }
      },
    ),
    { numRuns: 25 },
  );
});

test('a segment file left below the log start is removed on open, not taken for a gap that cuts the log', async () => {
  // Retention removed segments 0..15 and wrote log-start 20; a crash (or a failed delete) left
  // the first segment's file behind. Recovery must not see 0..5 -> 20.. as a gap and cut at 5.
  const clock = new ManualClock();
  const dir = tempDir();
  const log = await PartitionLog.open(dir, config({ segmentBytes: 500, retentionBytes: 1000 }), clock);
  for (let i = 0; i < 30; i++) await log.append(makeBatch({ payloadBytes: 39 }), 0); // 100 bytes each
  const first = join(dir, '00000000000000000000.log');
  const leftover = readFileSync(first);
  await log.applyRetention(clock.now);
  assert.equal(log.logStartOffset, 20);
  await log.close();
  writeFileSync(first, leftover);
  const cuts: RecoveryTruncation[] = [];
  const reopened = await PartitionLog.open(dir, config({ segmentBytes: 500 }), clock, undefined, {
    recoveryTruncated: (cut) => cuts.push(cut),
  });
  assert.deepEqual(cuts, []);
  assert.equal(reopened.logStartOffset, 20);
  assert.equal(reopened.logEndOffset, 30);
  assert.ok(!readdirSync(dir).includes('00000000000000000000.log'));
  await reopened.close();
});

test('retention by bytes moves the log start offset', async () => {
  const clock = new ManualClock();
  const log = await PartitionLog.open(tempDir(), config({ segmentBytes: 500, retentionBytes: 1000 }), clock);
  for (let i = 0; i < 30; i++) await log.append(makeBatch({ payloadBytes: 39 }), 0); // 100 bytes each
  assert.equal(log.segmentCount, 6);
  const { deletedSegments } = await log.applyRetention(clock.now);
  assert.equal(deletedSegments, 4);
  assert.equal(log.logStartOffset, 20);
  assert.equal(log.sizeBytes, 1000);
  assert.equal((await log.read(19, 100)).errorCode, 1);
  assert.deepEqual(offsetsOf((await log.read(20, 1)).records), [20]);
  assert.equal(segmentFiles(log.dir, '.log').length, 2);
  await log.close();
  const reopened = await PartitionLog.open(log.dir, config());
  assert.equal(reopened.logStartOffset, 20);
  await reopened.close();
});

test('retention by time, including rolling and deleting the active segment', async () => {
  const clock = new ManualClock(10_000_000);
  const log = await PartitionLog.open(tempDir(), config({ segmentBytes: 300, retentionMs: 60_000 }), clock);
  for (let i = 0; i < 6; i++) await log.append(makeBatch({ payloadBytes: 39, maxTimestamp: 10_000_000 + i * 10_000 }), 0);
  assert.deepEqual(log.segmentBaseOffsets, [0, 3]);
  assert.equal((await log.applyRetention(10_000_000 + 60_000)).deletedSegments, 0);
  assert.equal((await log.applyRetention(10_000_000 + 20_000 + 60_001)).deletedSegments, 1);
  assert.equal(log.logStartOffset, 3);
  assert.equal((await log.applyRetention(10_000_000 + 50_000 + 60_001)).deletedSegments, 1);
  assert.equal(log.logStartOffset, 6);
  assert.equal(log.logEndOffset, 6);
  assert.deepEqual(log.segmentBaseOffsets, [6]);
  assert.equal(log.sizeBytes, 0);
  assert.equal((await log.append(makeBatch(), 0)).baseOffset, 6);
  await log.close();
});

test('deleteRecordsBefore raises the log start offset, deletes segments, survives restart', async () => {
  const dir = tempDir();
  const log = await PartitionLog.open(dir, config({ segmentBytes: 500 }));
  for (let i = 0; i < 12; i++) await log.append(makeBatch({ records: 2, payloadBytes: 39 }), 0);
  assert.deepEqual(log.segmentBaseOffsets, [0, 10, 20]);
  assert.equal(await log.deleteRecordsBefore(13), 13);
  assert.deepEqual(log.segmentBaseOffsets, [10, 20]);
  assert.equal((await log.read(12, 100)).errorCode, 1);
  assert.deepEqual(offsetsOf((await log.read(13, 1)).records), [12]); // containing batch
  assert.equal(await log.deleteRecordsBefore(5), 13); // never moves back
  assert.equal(await log.deleteRecordsBefore(1000), 24); // clamped to the high watermark
  const crashed = crashCopy(dir);
  await log.close();
  for (const target of [dir, crashed]) {
    const reopened = await PartitionLog.open(target, config({ segmentBytes: 500 }));
    assert.equal(reopened.logStartOffset, 24);
    assert.equal(reopened.logEndOffset, 24);
    await reopened.close();
  }
});

test('reopen after close preserves data, offsets, timestamps', async () => {
  const dir = tempDir();
  const log = await PartitionLog.open(dir, config({ segmentBytes: 700, indexIntervalBytes: 64 }));
  const written: Buffer[] = [];
  for (let i = 0; i < 40; i++) {
    const batch = makeBatch({ records: 1 + (i % 3), payloadBytes: 20 + i, maxTimestamp: 5000 + ((i * 37) % 101), fill: i });
    await log.append(batch, 3);
    written.push(Buffer.from(batch));
  }
  const maxBefore = log.maxTimestampAndOffset;
  await log.close();
  assert.ok(readdirSync(dir).includes('.clean-shutdown'));
  const reopened = await PartitionLog.open(dir, config({ segmentBytes: 700, indexIntervalBytes: 64 }));
  assert.ok(!readdirSync(dir).includes('.clean-shutdown'));
  assert.equal(reopened.logEndOffset, log.logEndOffset);
  assert.deepEqual(reopened.segmentBaseOffsets, log.segmentBaseOffsets);
  assert.deepEqual(reopened.maxTimestampAndOffset, maxBefore);
  const all: Buffer[] = [];
  let offset = 0;
  while (offset < reopened.highWatermark) {
    const read = await reopened.read(offset, 1 << 20);
    all.push(...read.records);
    const last = read.records[read.records.length - 1]!;
    offset = baseOffsetOf(last) + lastOffsetDeltaOf(last) + 1;
  }
  assert.deepEqual(all, written);
  assert.equal((await reopened.append(makeBatch(), 3)).baseOffset, log.logEndOffset);
  await reopened.close();
});

test('findBatchByTimestamp and maxTimestampAndOffset', async () => {
  const log = await PartitionLog.open(tempDir(), config({ segmentBytes: 400, indexIntervalBytes: 50 }));
  const timestamps = [100, 300, 200, 500, 400, 700, 600, 900, 800, 1000];
  for (const ts of timestamps) await log.append(makeBatch({ records: 2, maxTimestamp: ts }), 0);
  assert.deepEqual(log.maxTimestampAndOffset, { timestamp: 1000, offset: 18 });
  for (const target of [0, 100, 101, 250, 300, 301, 650, 999, 1000]) {
    const expectedIndex = timestamps.findIndex((ts) => ts >= target);
    const found = await log.findBatchByTimestamp(target);
    assert.ok(found !== null);
    assert.equal(found.baseOffset, expectedIndex * 2, `target ${target}`);
    assert.equal(baseOffsetOf(found.batch), expectedIndex * 2);
  }
  assert.equal(await log.findBatchByTimestamp(1001), null);
  await log.close();
  const reopened = await PartitionLog.open(log.dir, config({ segmentBytes: 400, indexIntervalBytes: 50 }));
  assert.equal((await reopened.findBatchByTimestamp(650))?.baseOffset, 10);
  assert.deepEqual(reopened.maxTimestampAndOffset, { timestamp: 1000, offset: 18 });
  await reopened.close();
});

test('recovery: a torn tail is truncated, acknowledged batches survive', async () => {
  const dir = tempDir();
  const log = await PartitionLog.open(dir, config({ segmentBytes: 600 }));
  for (let i = 0; i < 15; i++) await log.append(makeBatch({ payloadBytes: 39 }), 0);
  const crashed = crashCopy(dir);
  await log.close();
  const last = join(crashed, segmentFiles(crashed, '.log').pop()!);
  const partial = makeBatch({ payloadBytes: 500 }).subarray(0, 200);
  appendFileSync(last, partial);
  const reopened = await PartitionLog.open(crashed, config({ segmentBytes: 600 }));
  assert.equal(reopened.logEndOffset, 15);
  assert.equal(statSync(last).size % 100, 0);
  assert.equal((await reopened.append(makeBatch(), 0)).baseOffset, 15);
  assert.deepEqual(offsetsOf((await reopened.read(14, 1 << 20)).records), [14, 15]);
  await reopened.close();
});

test('recovery: a corrupt byte truncates from its batch and drops later segments', async () => {
  const dir = tempDir();
  const settings = config({ segmentBytes: 1000 });
  const log = await PartitionLog.open(dir, settings);
  for (let i = 0; i < 25; i++) await log.append(makeBatch({ payloadBytes: 39, fill: i }), 0);
  await log.flush();
  assert.deepEqual(log.segmentBaseOffsets, [0, 10, 20]);
  const crashed = crashCopy(dir); // recovery point is 25 (the flush); corrupt below it on purpose
  await log.close();
  writeFileSync(join(crashed, 'recovery-point-offset-checkpoint'), '0\n10\n');
  const middle = join(crashed, '00000000000000000010.log');
  const bytes = readFileSync(middle);
  bytes[4 * 100 + 70] = bytes[4 * 100 + 70]! ^ 0xff; // payload of offset 14
  writeFileSync(middle, bytes);
  const reopened = await PartitionLog.open(crashed, settings);
  assert.equal(reopened.logEndOffset, 14);
  assert.deepEqual(reopened.segmentBaseOffsets, [0, 10]);
  assert.deepEqual(segmentFiles(crashed, '.log'), ['00000000000000000000.log', '00000000000000000010.log']);
  assert.deepEqual(offsetsOf((await reopened.read(13, 1)).records), [13]);
  await reopened.close();
});

test('recovery: an unclean copy taken at any moment opens with every acknowledged batch', async () => {
  const dir = tempDir();
  const settings = config({ segmentBytes: 800, indexIntervalBytes: 100 });
  const log = await PartitionLog.open(dir, settings);
  const copies: { dir: string; acknowledged: number }[] = [];
  for (let round = 0; round < 12; round++) {
    await Promise.all(Array.from({ length: 3 }, (_, i) => log.append(makeBatch({ records: 2, payloadBytes: 30 + i }), 0)));
    // a batch is in flight while copying: it may or may not be in the copy
    const inFlight = log.append(makeBatch({ records: 1 }), 0);
    copies.push({ dir: crashCopy(dir), acknowledged: log.highWatermark });
    await inFlight;
  }
  await log.close();
  for (const copy of copies) {
    const reopened = await PartitionLog.open(copy.dir, settings);
    assert.ok(reopened.logEndOffset >= copy.acknowledged);
    let offset = 0;
    while (offset < reopened.highWatermark) {
      const read = await reopened.read(offset, 1 << 20);
      assert.equal(read.errorCode, 0);
      assert.equal(baseOffsetOf(read.records[0]!), offset);
      const last = read.records[read.records.length - 1]!;
      offset = baseOffsetOf(last) + lastOffsetDeltaOf(last) + 1;
    }
    await reopened.close();
  }
});

test('recovery: index files are rebuilt when missing or garbage', async () => {
  const dir = tempDir();
  const settings = config({ segmentBytes: 1000, indexIntervalBytes: 50 });
  const log = await PartitionLog.open(dir, settings);
  for (let i = 0; i < 25; i++) await log.append(makeBatch({ payloadBytes: 39 }), 0);
  await log.close();
  rmSync(join(dir, '00000000000000000000.index'));
  writeFileSync(join(dir, '00000000000000000010.index'), Buffer.from('garbage!garbage!'));
  truncateSync(join(dir, '00000000000000000020.timeindex'), 5);
  const reopened = await PartitionLog.open(dir, settings);
  assert.equal(reopened.logEndOffset, 25);
  for (let offset = 0; offset < 25; offset++) assert.deepEqual(offsetsOf((await reopened.read(offset, 1)).records), [offset]);
  await reopened.close();
});

test('idempotent producer: duplicates, sequence gaps, fencing', async () => {
  const log = await PartitionLog.open(tempDir(), config());
  const batch = (baseSequence: number, records = 2, producerEpoch = 0): Buffer =>
    makeBatch({ producerId: 42, producerEpoch, baseSequence, records });
  assert.equal((await log.append(batch(0), 0)).baseOffset, 0);
  assert.equal((await log.append(batch(2), 0)).baseOffset, 2);
  const duplicate = await log.append(batch(0), 0);
  assert.deepEqual(duplicate, { errorCode: 0, baseOffset: 0, logAppendTimeMs: -1, logStartOffset: 0, duplicate: true });
  assert.equal(log.logEndOffset, 4);
  assert.equal((await log.append(batch(7), 0)).errorCode, 45);
  assert.equal((await log.append(batch(4, 2, 1), 0)).errorCode, 45); // new epoch must start at 0
  assert.equal((await log.append(batch(0, 2, 1), 0)).baseOffset, 4);
  assert.equal((await log.append(batch(2, 2, 0), 0)).errorCode, 47);
  // duplicate of a batch still being written resolves after it is written
  const first = log.append(batch(2, 2, 1), 0);
  const retry = log.append(batch(2, 2, 1), 0);
  const [a, b] = await Promise.all([first, retry]);
  assert.equal(a.baseOffset, 6);
  assert.equal(b.baseOffset, 6);
  assert.equal(b.duplicate, true);
  // non-idempotent batches skip all checks
  assert.equal((await log.append(makeBatch(), 0)).baseOffset, 8);
  await log.close();
});

test('idempotent producer state survives clean and unclean restarts', async () => {
  const dir = tempDir();
  const settings = config({ segmentBytes: 400 });
  const log = await PartitionLog.open(dir, settings);
  const batch = (producerId: number, baseSequence: number): Buffer =>
    makeBatch({ producerId, producerEpoch: 3, baseSequence, records: 1, payloadBytes: 39 });
  let sequence = 0;
  for (let i = 0; i < 10; i++) {
    await log.append(batch(1, sequence), 0);
    await log.append(batch(2, sequence), 0);
    sequence++;
  }
  const crashed = crashCopy(dir); // snapshots only at rolls; the rest is replayed
  await log.close();
  for (const target of [dir, crashed]) {
    const reopened = await PartitionLog.open(target, settings);
    const retry = await reopened.append(batch(2, 9), 0);
    assert.equal(retry.duplicate, true, target);
    assert.equal(retry.baseOffset, 19);
    assert.equal((await reopened.append(batch(1, 5), 0)).baseOffset, 10); // within the last 5
    assert.equal((await reopened.append(batch(1, 4), 0)).errorCode, 45); // older than the window
    assert.equal((await reopened.append(batch(1, 10), 0)).baseOffset, 20);
    await reopened.close();
  }
});

test('producers idle longer than producer.id.expiration.ms are forgotten', async () => {
  const clock = new ManualClock(1_000_000);
  const log = await PartitionLog.open(tempDir(), config({ producerIdExpirationMs: 1000 }), clock);
  await log.append(makeBatch({ producerId: 5, producerEpoch: 0, baseSequence: 0, maxTimestamp: 1_000_000 }), 0);
  assert.equal(
    (await log.append(makeBatch({ producerId: 5, producerEpoch: 0, baseSequence: 9, maxTimestamp: 1_000_000 }), 0)).errorCode,
    45,
  );
  await log.applyRetention(1_000_999);
  assert.equal(
    (await log.append(makeBatch({ producerId: 5, producerEpoch: 0, baseSequence: 9, maxTimestamp: 1_000_000 }), 0)).errorCode,
    45,
  );
  await log.applyRetention(1_001_000);
  assert.equal(
    (await log.append(makeBatch({ producerId: 5, producerEpoch: 0, baseSequence: 9, maxTimestamp: 1_000_000 }), 0)).errorCode,
    0,
  );
  await log.close();
});

test('LogAppendTime batches report their timestamp', async () => {
  const log = await PartitionLog.open(tempDir(), config());
  const result = await log.append(makeBatch({ logAppendTime: true, maxTimestamp: 123456 }), 0);
  assert.equal(result.logAppendTimeMs, 123456);
  await log.close();
});

test('flush.messages=1 fsyncs every write; default never fsyncs on append', async () => {
  const synced = await PartitionLog.open(tempDir(), config({ flushMessages: 1 }));
  await synced.append(makeBatch(), 0);
  await synced.append(makeBatch(), 0);
  assert.equal(synced.stats.fsyncs, 2);
  await synced.close();
  const lazy = await PartitionLog.open(tempDir(), config());
  await lazy.append(makeBatch(), 0);
  assert.equal(lazy.stats.fsyncs, 0);
  await lazy.close();
});

test('truncateTo removes the containing batch and everything after', async () => {
  const dir = tempDir();
  const settings = config({ segmentBytes: 500 });
  const log = await PartitionLog.open(dir, settings);
  for (let i = 0; i < 12; i++)
    await log.append(makeBatch({ records: 2, payloadBytes: 39, producerId: 9, producerEpoch: 0, baseSequence: i * 2 }), 0);
  assert.deepEqual(log.segmentBaseOffsets, [0, 10, 20]);
  await log.truncateTo(13);
  assert.equal(log.logEndOffset, 12);
  assert.equal(log.highWatermark, 12);
  assert.deepEqual(log.segmentBaseOffsets, [0, 10]);
  assert.equal((await log.read(13, 100)).errorCode, 1);
  // producer state rolled back: sequence 12 is next again, not a duplicate
  const again = await log.append(makeBatch({ records: 2, producerId: 9, producerEpoch: 0, baseSequence: 12 }), 0);
  assert.deepEqual([again.errorCode, again.baseOffset, again.duplicate], [0, 12, undefined]);
  await log.truncateTo(0);
  assert.deepEqual([log.logStartOffset, log.logEndOffset, log.segmentBaseOffsets], [0, 0, [0]]);
  await log.close();
  const reopened = await PartitionLog.open(dir, settings);
  assert.equal(reopened.logEndOffset, 0);
  await reopened.close();
});

test('delete removes the directory; closed logs refuse appends', async () => {
  const dir = tempDir();
  const log = await PartitionLog.open(dir, config());
  await log.append(makeBatch(), 0);
  await log.delete();
  assert.throws(() => statSync(dir));
  assert.equal((await log.append(makeBatch(), 0)).errorCode, 6);
});

test('logConfigProblem rejects configurations the log cannot run with', () => {
  assert.equal(logConfigProblem(DEFAULT_LOG_CONFIG), null);
  assert.match(logConfigProblem(config({ segmentBytes: 14 })) ?? '', /segment.bytes/);
  assert.match(logConfigProblem(config({ segmentIndexBytes: 4 })) ?? '', /segment.index.bytes/);
});

test('pooled reads: a sequential reader gets the next window read ahead; truncation and re-append never serve stale bytes', async () => {
  const dir = tempDir();
  // A zero tail-cache budget: every read goes to the file.
  const log = await PartitionLog.open(dir, config(), undefined, new TailCacheBudget(0));
  const pool = new ReadBufferPool(READ_WINDOW_BYTES + 64 * 1024, 4);
  // 200 batches of ~20 KiB, each filled with a byte derived from its number
  for (let i = 0; i < 200; i++) await log.append(makeBatch({ records: 10, payloadBytes: 20_000, fill: 0x41 + (i % 26) }), 0);
  const read = async (offset: number, maxBytes = 200_000) => {
    const result = await log.read(offset, maxBytes, pool);
    assert.equal(result.errorCode, 0);
    const copy = result.records.map((batch) => Buffer.from(batch));
    result.release?.();
    return copy;
  };
  const fillOf = (batch: Buffer) => batch[batch.length - 1];
  let offset = 0;
  let batchesSeen = 0;
  for (let step = 0; step < 6; step++) {
    const records = await read(offset);
    assert.ok(records.length > 0);
    for (const batch of records) {
      assert.equal(baseOffsetOf(batch), batchesSeen * 10, 'batches in order, none skipped or repeated');
      assert.equal(fillOf(batch), 0x41 + (batchesSeen % 26));
      batchesSeen++;
    }
    offset = batchesSeen * 10;
    // From the second sequential read on, the next window is being read ahead (a pooled buffer out).
    if (step >= 1) assert.equal(pool.outstanding, 1, `read-ahead pending after step ${step}`);
  }
  // Truncate below the read-ahead position and write different bytes at the same offsets: the
  // prefetched window is stale and must not be served.
  await log.truncateTo(offset - 10);
  const cut = offset - 10;
  for (let i = 0; i < 20; i++) await log.append(makeBatch({ records: 10, payloadBytes: 20_000, fill: 0x30 }), 0);
  // `offset` is exactly where the read-ahead started, and the same file position again.
  const after = await read(offset);
  assert.equal(baseOffsetOf(after[0]!), offset);
  assert.ok(
    after.every((batch) => fillOf(batch) === 0x30),
    'new bytes after truncation',
  );
  const before = await read(cut);
  assert.equal(baseOffsetOf(before[0]!), cut);
  assert.ok(before.every((batch) => fillOf(batch) === 0x30));
  // A reader jumping elsewhere drops the read-ahead; nothing stays borrowed.
  await read(0);
  await log.close();
  assert.equal(pool.outstanding, 0, 'every pooled buffer back');
});

test('recovery reports what it cut: segment, offset, position, bytes and reason, and the later segments it removed', async () => {
  const dir = tempDir();
  const log = await PartitionLog.open(dir, config({ segmentBytes: 500 }));
  for (let i = 0; i < 12; i++) assert.equal((await log.append(makeBatch({ records: 2, payloadBytes: 39 }), 0)).errorCode, 0);
  assert.deepEqual(log.segmentBaseOffsets, [0, 10, 20]);
  const crashed = crashCopy(dir);
  await log.close();
  // Flip a payload byte of the third batch (offsets 4-5) of the first segment: CRC mismatch.
  const first = join(crashed, '00000000000000000000.log');
  const bytes = readFileSync(first);
  const batchBytes = makeBatch({ records: 2, payloadBytes: 39 }).length;
  bytes[2 * batchBytes + 70] ^= 0xff;
  writeFileSync(first, bytes);
  rmSync(join(crashed, 'recovery-point-offset-checkpoint'), { force: true });
  const truncations: RecoveryTruncation[] = [];
  const reopened = await PartitionLog.open(crashed, config({ segmentBytes: 500 }), undefined, undefined, {
    recoveryTruncated: (event) => truncations.push(event),
  });
  assert.deepEqual(truncations, [
    {
      segmentPath: first,
      offset: 4,
      position: 2 * batchBytes,
      bytesRemoved: bytes.length - 2 * batchBytes,
      reason: 'crc mismatch',
      segmentsRemoved: ['00000000000000000010.log', '00000000000000000020.log'],
    },
  ]);
  assert.equal(reopened.logEndOffset, 4);
  await reopened.close();
  // A clean reopen reports nothing.
  const again = await PartitionLog.open(crashed, config({ segmentBytes: 500 }), undefined, undefined, {
    recoveryTruncated: (event) => truncations.push(event),
  });
  assert.equal(truncations.length, 1);
  await again.close();
});
