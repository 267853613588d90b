import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import fc from 'fast-check';
import { CompressionCodec } from '../protocol/compression.js';
import { buildRecordBatch, decodeRecords } from '../protocol/records.js';
import { baseOffsetOf, crcMatches, lastOffsetDeltaOf } from './batch-header.js';
import { CLEANER_OFFSET_CHECKPOINT, type SwapStep } from './cleaner.js';
import { DEFAULT_LOG_CONFIG, PartitionLog, type LogConfig } from './partition-log.js';
import { offsetFileName } from './segment.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-clean-'));
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

function compactConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, cleanupPolicy: ['compact'], segmentBytes: 1024, indexIntervalBytes: 128, ...overrides };
}

/**
 * Simulates kill -9: a copy of the directory as it is now. Background work (index files,
 * snapshots, checkpoints: temp file + rename on libuv threads) may run during the copy; a file
 * renamed away between the listing and its copy is skipped, like a crash before it existed.
 */
function copyDir(dir: string): string {
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

interface RecordSpec {
  key: string | null;
  value: string | null;
  header?: string;
}

interface BatchParams {
  records: RecordSpec[];
  timestampMs: number;
  codec?: CompressionCodec;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
}

function batchOf(params: BatchParams): Buffer {
  return buildRecordBatch({
    records: params.records.map((record, i) => ({
      key: record.key,
      value: record.value,
      timestamp: params.timestampMs + i,
      headers: record.header === undefined ? [] : [{ key: 'h', value: record.header }],
    })),
    timestamp: params.timestampMs,
    compression: params.codec ?? CompressionCodec.NONE,
    producerId: params.producerId ?? -1,
    producerEpoch: params.producerEpoch ?? -1,
    baseSequence: params.baseSequence ?? -1,
  });
}

/** One stored record, as a comparable string: offset|key|value|timestamp|header. */
type RecordLine = string;

function line(offset: number, key: string | null, value: string | null, timestampMs: number, header: string | null): RecordLine {
  return `${offset}|${key}|${value}|${timestampMs}|${header}`;
}

/**
 * Reads the whole log, checking what every reader relies on: whole batches with valid CRCs,
 * offsets strictly increasing, record offsets inside their batch's range.
 */
async function readAll(log: PartitionLog): Promise<RecordLine[]> {
  const lines: RecordLine[] = [];
  let offset = log.logStartOffset;
  let previousLast = -1;
  while (offset < log.highWatermark) {
    const read = await log.read(offset, 64 * 1024);
    assert.equal(read.errorCode, 0, `read at ${offset}`);
    if (read.records.length === 0) break;
    for (const batch of read.records) {
      assert.ok(crcMatches(batch, 0, batch.length), 'batch CRC');
      const base = baseOffsetOf(batch);
      const last = base + lastOffsetDeltaOf(batch);
      assert.ok(base > previousLast, `batch ${base} after ${previousLast}`);
      for (const record of decodeRecords(batch)) {
        assert.ok(record.offset >= base && record.offset <= last, 'record inside its batch');
        const header = record.headers[0]?.value?.toString() ?? null;
        if (record.offset >= offset)
          lines.push(line(record.offset, record.key?.toString() ?? null, record.value?.toString() ?? null, record.timestamp, header));
      }
      previousLast = last;
      offset = Math.max(offset, last + 1);
    }
  }
  for (let i = 1; i < lines.length; i++)
    assert.ok(Number(lines[i]!.split('|')[0]) > Number(lines[i - 1]!.split('|')[0]), 'record offsets increase');
  return lines;
}

function assertSubset(small: readonly string[], large: readonly string[], what: string): void {
  const set = new Set(large);
  for (const item of small) assert.ok(set.has(item), `${what}: ${item} missing`);
}

// ---- naive model --------------------------------------------------------------------------

interface ModelRecord {
  offset: number;
  key: string;
  value: string | null;
  timestampMs: number;
  header: string | null;
}

/** Every record ever appended plus the completed cleaning rounds (time, checkpoint after). */
class Model {
  records: ModelRecord[] = [];
  rounds: { nowMs: number; checkpoint: number }[] = [];

  constructor(readonly deleteRetentionMs: number) {}

  get checkpoint(): number {
    return this.rounds[this.rounds.length - 1]?.checkpoint ?? 0;
  }

  /**
   * What the log must hold: everything at or above the checkpoint; below it, a record survives
   * when no later record with its key lies below the checkpoint, and a tombstone also needs no
   * round at or after (first round covering it + delete.retention.ms).
   */
  expected(): RecordLine[] {
    const checkpoint = this.checkpoint;
    const latestBelow = new Map<string, number>();
    for (const record of this.records) if (record.offset < checkpoint) latestBelow.set(record.key, record.offset);
    return this.records
      .filter((record) => {
        if (record.offset >= checkpoint) return true;
        if (latestBelow.get(record.key) !== record.offset) return false;
        if (record.value !== null) return true;
        const first = this.rounds.findIndex((round) => round.checkpoint > record.offset);
        const horizon = this.rounds[first]!.nowMs + this.deleteRetentionMs;
        return !this.rounds.slice(first + 1).some((round) => round.nowMs >= horizon);
      })
      .map((record) => line(record.offset, record.key, record.value, record.timestampMs, record.header));
  }
}

interface Producer {
  producerId: number;
  nextSequence: number;
  last: { params: BatchParams; baseOffset: number } | null;
}

/** The producer's last batch, sent again, must be answered as a duplicate with its offsets. */
async function assertDuplicatesDetected(
  log: PartitionLog,
  producers: readonly Producer[],
  skipFrom = Number.POSITIVE_INFINITY,
): Promise<void> {
  for (const producer of producers) {
    if (producer.last === null || producer.last.baseOffset >= skipFrom) continue;
    const result = await log.append(batchOf(producer.last.params), 0);
    assert.equal(result.errorCode, 0);
    assert.equal(result.duplicate, true, `producer ${producer.producerId} duplicate`);
    assert.equal(result.baseOffset, producer.last.baseOffset);
  }
}

// ---- focused tests ------------------------------------------------------------------------

async function appendKeyed(
  log: PartitionLog,
  clock: ManualClock,
  records: RecordSpec[],
  codec: CompressionCodec = CompressionCodec.NONE,
): Promise<number> {
  const result = await log.append(batchOf({ records, timestampMs: clock.now, codec }), 1);
  assert.equal(result.errorCode, 0);
  return result.baseOffset;
}

test('a clean keeps the latest value of each key at its offset and leaves the active segment alone', async () => {
  const clock = new ManualClock();
  const dir = tempDir();
  const log = await PartitionLog.open(dir, compactConfig({ segmentBytes: 400 }), clock);
  for (let i = 0; i < 30; i++) await appendKeyed(log, clock, [{ key: `k${i % 3}`, value: `v${i}` }]);
  await log.flush();
  const before = await readAll(log);
  const activeBase = log.segmentBaseOffsets.at(-1)!;
  const segmentsBefore = log.segmentCount;
  const result = await log.maybeClean(clock.now);
  assert.equal(result.reason, 'dirty-ratio');
  assert.equal(log.cleanerCheckpointOffset, activeBase);
  assert.equal(log.segmentCount, segmentsBefore, 'full segments are not merged');
  // The next round groups the now small cleaned segments into one (Kafka's groupSegmentsBySize).
  assert.equal((await log.maybeClean(clock.now, { force: true })).reason, 'forced');
  assert.ok(log.segmentCount < segmentsBefore, 'small cleaned segments are merged');
  const after = await readAll(log);
  const cleaned = after.filter((entry) => Number(entry.split('|')[0]) < activeBase);
  assert.equal(new Set(cleaned.map((entry) => entry.split('|')[1])).size, cleaned.length, 'one record per key below the active segment');
  assertSubset(after, before, 'nothing new');
  assertSubset(
    before.filter((entry) => Number(entry.split('|')[0]) >= activeBase),
    after,
    'active segment untouched',
  );
  assert.equal(log.logStartOffset, 0);
  // Nothing dirty left below the active segment: no round is due.
  assert.equal((await log.maybeClean(clock.now)).reason, null);
  await log.close();
  const reopened = await PartitionLog.open(dir, compactConfig({ segmentBytes: 400 }), clock);
  assert.deepEqual(await readAll(reopened), after);
  assert.equal(reopened.cleanerCheckpointOffset, activeBase);
  await reopened.close();
});

test('logs without cleanup.policy compact are never cleaned', async () => {
  const clock = new ManualClock();
  const log = await PartitionLog.open(tempDir(), compactConfig({ cleanupPolicy: ['delete'], segmentBytes: 300 }), clock);
  for (let i = 0; i < 20; i++) await appendKeyed(log, clock, [{ key: 'same', value: `v${i}` }]);
  const result = await log.maybeClean(clock.now, { force: true });
  assert.equal(result.reason, null);
  assert.equal((await readAll(log)).length, 20);
  await log.close();
});

test('retention by time and size applies only with cleanup.policy delete', async () => {
  for (const cleanupPolicy of [['compact'], ['compact', 'delete']] as const) {
    const clock = new ManualClock();
    const log = await PartitionLog.open(
      tempDir(),
      compactConfig({ cleanupPolicy, segmentBytes: 300, retentionMs: 1000, retentionBytes: 100 }),
      clock,
    );
    for (let i = 0; i < 20; i++) await appendKeyed(log, clock, [{ key: `k${i}`, value: `v${i}` }]);
    clock.now += 10_000;
    const { deletedSegments } = await log.applyRetention(clock.now);
    if (cleanupPolicy.length === 1) {
      assert.equal(deletedSegments, 0);
      assert.equal((await readAll(log)).length, 20);
    } else {
      assert.ok(deletedSegments > 0);
    }
    await log.close();
  }
});

test('tombstones get a delete horizon on their first clean and go at a clean after it', async () => {
  const clock = new ManualClock();
  const log = await PartitionLog.open(tempDir(), compactConfig({ segmentBytes: 300, deleteRetentionMs: 5000 }), clock);
  await appendKeyed(log, clock, [
    { key: 'a', value: 'a0' },
    { key: 'b', value: 'b0' },
  ]);
  await appendKeyed(log, clock, [{ key: 'a', value: null }], CompressionCodec.LZ4);
  for (let i = 0; i < 8; i++) await appendKeyed(log, clock, [{ key: `filler${i}`, value: 'x'.repeat(40) }]);
  await log.flush();
  clock.now += 1000;
  await log.maybeClean(clock.now, { force: true });
  let lines = await readAll(log);
  assert.ok(
    lines.some((entry) => entry.startsWith('2|a|null|')),
    'tombstone kept before its horizon',
  );
  assert.ok(!lines.some((entry) => entry.startsWith('0|a|')), 'the value it deletes is gone');
  clock.now += 4999;
  assert.equal((await log.maybeClean(clock.now)).reason, null, 'horizon not reached');
  await log.maybeClean(clock.now, { force: true });
  assert.ok(
    (await readAll(log)).some((entry) => entry.startsWith('2|a|null|')),
    'still before the horizon',
  );
  clock.now += 1;
  const result = await log.maybeClean(clock.now);
  assert.equal(result.reason, 'delete-horizon');
  lines = await readAll(log);
  assert.ok(!lines.some((entry) => entry.includes('|a|')), 'tombstone removed after delete.retention.ms');
  assert.ok(
    lines.some((entry) => entry.startsWith('1|b|b0|')),
    'other keys stay, timestamps exact',
  );
  await log.close();
});

test('the last batch of an active producer survives as an empty batch; duplicates still detected after reopen', async () => {
  const clock = new ManualClock();
  const dir = tempDir();
  const config = compactConfig({ segmentBytes: 300 });
  const log = await PartitionLog.open(dir, config, clock);
  const producerBatch: BatchParams = {
    records: [{ key: 'p', value: 'old' }],
    timestampMs: clock.now,
    producerId: 42,
    producerEpoch: 1,
    baseSequence: 0,
  };
  const first = await log.append(batchOf(producerBatch), 0);
  for (let i = 0; i < 10; i++) await appendKeyed(log, clock, [{ key: 'p', value: `new${i}` }]);
  await log.flush();
  await log.maybeClean(clock.now, { force: true });
  const read = await log.read(0, 1 << 20);
  assert.equal(baseOffsetOf(read.records[0]!), first.baseOffset, 'the producer batch header is kept');
  assert.equal(decodeRecords(read.records[0]!).length, 0, 'with no records');
  await log.close();
  for (const name of readdirSync(dir)) if (name.endsWith('.snapshot')) rmSync(join(dir, name));
  const reopened = await PartitionLog.open(dir, config, clock);
  await assertDuplicatesDetected(reopened, [
    { producerId: 42, nextSequence: 1, last: { params: producerBatch, baseOffset: first.baseOffset } },
  ]);
  await reopened.close();
});

test('every codec is rewritten with its own codec and stays readable', async () => {
  const clock = new ManualClock();
  const log = await PartitionLog.open(tempDir(), compactConfig({ segmentBytes: 2000 }), clock);
  const codecs = [CompressionCodec.NONE, CompressionCodec.GZIP, CompressionCodec.SNAPPY, CompressionCodec.LZ4, CompressionCodec.ZSTD];
  for (let round = 0; round < 3; round++) {
    for (const codec of codecs) {
      await appendKeyed(
        log,
        clock,
        [
          { key: `c${codec}-a`, value: `${round}`, header: `h${round}` },
          { key: `c${codec}-b`, value: `${round}` },
        ],
        codec,
      );
    }
  }
  log.maybeRoll(clock.now + DEFAULT_LOG_CONFIG.segmentMs + 1);
  await log.flush();
  await log.maybeClean(clock.now, { force: true });
  const read = await log.read(0, 1 << 20);
  const codecsSeen = new Set(read.records.filter((batch) => decodeRecords(batch).length > 0).map((batch) => batch.readInt16BE(21) & 7));
  assert.deepEqual([...codecsSeen].sort(), [...codecs].sort());
  const lines = await readAll(log);
  assert.equal(lines.length, 10);
  assert.ok(lines.every((entry) => entry.split('|')[2] === '2'));
  await log.close();
});

test('min.compaction.lag.ms keeps young segments dirty; max.compaction.lag.ms forces a clean', async () => {
  const clock = new ManualClock();
  const log = await PartitionLog.open(
    tempDir(),
    compactConfig({ segmentBytes: 300, minCompactionLagMs: 10_000, minCleanableDirtyRatio: 0.99 }),
    clock,
  );
  for (let i = 0; i < 12; i++) await appendKeyed(log, clock, [{ key: 'k', value: `v${i}` }]);
  await log.flush();
  assert.equal((await log.maybeClean(clock.now, { force: true })).reason, null, 'all segments too young');
  clock.now += 10_001;
  // Ratio 1.0 > 0.99 once the lag passed.
  assert.equal((await log.maybeClean(clock.now)).reason, 'dirty-ratio');
  for (let i = 0; i < 12; i++) await appendKeyed(log, clock, [{ key: 'k', value: `w${i}` }]);
  await log.flush();
  clock.now += 10_001;
  log.updateConfig(compactConfig({ segmentBytes: 300, minCleanableDirtyRatio: 1, maxCompactionLagMs: 5000 }));
  assert.equal((await log.maybeClean(clock.now)).reason, 'max-compaction-lag');
  await log.close();
});

test('reads running during a clean see old or new segments, never missing or partial data', async () => {
  const clock = new ManualClock();
  const log = await PartitionLog.open(tempDir(), compactConfig({ segmentBytes: 600, indexIntervalBytes: 0 }), clock);
  for (let i = 0; i < 200; i++) await appendKeyed(log, clock, [{ key: `k${i % 7}`, value: `v${i}`.padEnd(30, '.') }]);
  await log.flush();
  const before = await readAll(log);
  const cleaning = log.maybeClean(clock.now, { force: true });
  const during: Promise<RecordLine[]>[] = [];
  for (let i = 0; i < 20; i++) {
    during.push(readAll(log));
    await new Promise((resolve) => setImmediate(resolve));
  }
  await cleaning;
  const after = await readAll(log);
  for (const lines of await Promise.all(during)) {
    assertSubset(after, lines, 'a concurrent read holds every surviving record');
    assertSubset(lines, before, 'a concurrent read holds nothing unknown');
  }
  await log.close();
});

// ---- swap recovery ------------------------------------------------------------------------

const STEPS: SwapStep[] = ['written', 'committed', 'checkpointed', 'old-indexes-removed', 'old-logs-removed', 'in-place', 'indexed'];

test('a crash at any step of a swap recovers to the old or the new segments', async () => {
  for (const crashStep of STEPS) {
    const clock = new ManualClock();
    const dir = tempDir();
    const config = compactConfig({ segmentBytes: 400 });
    const log = await PartitionLog.open(dir, config, clock);
    for (let i = 0; i < 40; i++) await appendKeyed(log, clock, [{ key: `k${i % 4}`, value: `v${i}` }]);
    await log.flush();
    const before = await readAll(log);
    let copy: string | null = null;
    log.onCleanerStep = (step) => {
      if (step === crashStep && copy === null) copy = copyDir(dir);
    };
    await log.maybeClean(clock.now, { force: true });
    const after = await readAll(log);
    await log.close();
    assert.ok(copy !== null);
    const files = readdirSync(copy);
    const recovered = await PartitionLog.open(copy, config, clock);
    const lines = await readAll(recovered);
    assertSubset(after, lines, `${crashStep}: surviving records`);
    assertSubset(lines, before, `${crashStep}: nothing unknown`);
    const committed = crashStep !== 'written';
    if (committed) assert.ok(recovered.cleanerCheckpointOffset > 0, `${crashStep}: checkpoint raised by the finished swap`);
    const names = readdirSync(copy);
    assert.ok(
      !names.some((name) => name.endsWith('.cleaned') || name.endsWith('.swap')),
      `${crashStep}: no leftovers (${files.join(',')})`,
    );
    // The recovered log keeps working: append and clean again.
    await appendKeyed(recovered, clock, [{ key: 'k0', value: 'last' }]);
    await recovered.maybeClean(clock.now, { force: true });
    assert.ok((await readAll(recovered)).some((entry) => entry.includes('|k0|last|')));
    await recovered.close();
  }
});

test('an uncommitted .cleaned file is dropped and a damaged one never replaces segments', async () => {
  const clock = new ManualClock();
  const dir = tempDir();
  const config = compactConfig({ segmentBytes: 400 });
  const log = await PartitionLog.open(dir, config, clock);
  for (let i = 0; i < 30; i++) await appendKeyed(log, clock, [{ key: `k${i % 4}`, value: `v${i}` }]);
  const before = await readAll(log);
  await log.close();
  const bogus = join(dir, offsetFileName(0, '.log') + '.cleaned');
  writeFileSync(bogus, Buffer.alloc(100, 7));
  const reopened = await PartitionLog.open(dir, config, clock);
  assert.ok(!existsSync(bogus));
  assert.deepEqual(await readAll(reopened), before);
  await reopened.close();
});

test('a checkpoint persisted by cleaning lets recovery accept offset gaps after an unclean stop', async () => {
  const clock = new ManualClock();
  const dir = tempDir();
  const config = compactConfig({ segmentBytes: 400 });
  const log = await PartitionLog.open(dir, config, clock);
  for (let i = 0; i < 40; i++) await appendKeyed(log, clock, [{ key: `k${i % 2}`, value: `v${i}` }]);
  await log.flush();
  await log.maybeClean(clock.now, { force: true });
  const after = await readAll(log);
  const crashed = copyDir(dir);
  // Worst case for recovery: no recovery point, so every segment is CRC-scanned.
  rmSync(join(crashed, 'recovery-point-offset-checkpoint'), { force: true });
  for (const name of readdirSync(crashed)) if (name.endsWith('.index') || name.endsWith('.timeindex')) rmSync(join(crashed, name));
  const recovered = await PartitionLog.open(crashed, config, clock);
  assert.deepEqual(await readAll(recovered), after);
  await recovered.close();
  // Without the checkpoint the gaps would read as corruption: the file is what makes them legal.
  assert.ok(existsSync(join(crashed, CLEANER_OFFSET_CHECKPOINT)));
  await log.close();
});

// ---- property test against the naive model ------------------------------------------------

type Command =
  | { kind: 'append'; producer: number; codec: CompressionCodec; records: { key: number; tombstone: boolean; header: boolean }[] }
  | { kind: 'advance'; ms: number }
  | { kind: 'roll' }
  | { kind: 'clean'; force: boolean; crashAtCall: number | null; concurrentRead: boolean }
  | { kind: 'retention' }
  | { kind: 'reopen' }
  | { kind: 'crash'; tearFraction: number | null; dropSnapshots: boolean };

const codecArbitrary = fc.constantFrom(
  CompressionCodec.NONE,
  CompressionCodec.GZIP,
  CompressionCodec.SNAPPY,
  CompressionCodec.LZ4,
  CompressionCodec.ZSTD,
);
const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      producer: fc.integer({ min: -1, max: 2 }),
      codec: codecArbitrary,
      records: fc.array(fc.record({ key: fc.integer({ min: 0, max: 6 }), tombstone: fc.boolean(), header: fc.boolean() }), {
        minLength: 1,
        maxLength: 4,
      }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('roll' as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('clean' as const),
      force: fc.boolean(),
      crashAtCall: fc.option(fc.integer({ min: 0, max: 20 }), { nil: null }),
      concurrentRead: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retention' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('crash' as const),
      tearFraction: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
      dropSnapshots: fc.boolean(),
    }),
  },
);

async function checkCrashCopy(
  copy: string,
  config: LogConfig,
  clock: ManualClock,
  lower: RecordLine[],
  upper: RecordLine[],
  producers: Producer[],
  skipFrom: number,
): Promise<void> {
  const recovered = await PartitionLog.open(copy, config, clock);
  const lines = await readAll(recovered);
  assertSubset(lower, lines, 'crash copy keeps surviving records');
  assertSubset(lines, upper, 'crash copy holds nothing unknown');
  await assertDuplicatesDetected(recovered, producers, skipFrom);
  await recovered.close();
}

test('property: compaction matches a naive model through appends, rolls, cleans, reopens and crashes', async () => {
  // What the generated runs exercised, so a generator change cannot silently test nothing.
  const seen = {
    rounds: 0,
    recordsRemoved: 0,
    tombstonesExpired: 0,
    crashCopiesMidSwap: 0,
    concurrentReads: 0,
    reopens: 0,
    mergedGroups: 0,
  };
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        segmentBytes: fc.integer({ min: 250, max: 1500 }),
        indexIntervalBytes: fc.integer({ min: 0, max: 400 }),
        deleteRetentionMs: fc.integer({ min: 0, max: 4000 }),
        minCleanableDirtyRatio: fc.double({ min: 0, max: 0.9, noNaN: true }),
      }),
      fc.array(commandArbitrary, { minLength: 10, maxLength: 80 }),
      async (settings, commands) => {
        const clock = new ManualClock();
        const dir = tempDir();
        const config = compactConfig({ ...settings, segmentMs: 60_000, retentionMs: 1, retentionBytes: 1 });
        let log = await PartitionLog.open(dir, config, clock);
        const model = new Model(settings.deleteRetentionMs);
        const producers: Producer[] = [0, 1, 2].map((i) => ({ producerId: 7000 + i, nextSequence: 0, last: null }));
        let valueCounter = 0;
        try {
          for (const command of commands) {
            switch (command.kind) {
              case 'append': {
                const producer = command.producer >= 0 ? producers[command.producer]! : null;
                const params: BatchParams = {
                  records: command.records.map((record) => ({
                    key: `k${record.key}`,
                    value: record.tombstone ? null : `v${valueCounter++}`,
                    header: record.header ? `h${valueCounter}` : undefined,
                  })),
                  timestampMs: clock.now,
                  codec: command.codec,
                  producerId: producer?.producerId ?? -1,
                  producerEpoch: producer === null ? -1 : 0,
                  baseSequence: producer?.nextSequence ?? -1,
                };
                const result = await log.append(batchOf(params), 3);
                assert.equal(result.errorCode, 0, result.errorMessage);
                params.records.forEach((record, i) =>
                  model.records.push({
                    offset: result.baseOffset + i,
                    key: record.key!,
                    value: record.value,
                    timestampMs: clock.now + i,
                    header: record.header ?? null,
                  }),
                );
                if (producer !== null) {
                  producer.nextSequence += params.records.length;
                  producer.last = { params, baseOffset: result.baseOffset };
                }
                break;
              }
              case 'advance':
                clock.now += command.ms;
                break;
              case 'roll':
                clock.now += 60_001;
                log.maybeRoll(clock.now);
                break;
              case 'clean': {
                const before = await readAll(log);
                let calls = 0;
                let copy: string | null = null;
                log.onCleanerStep = () => {
                  if (command.crashAtCall === calls++) copy = copyDir(dir);
                };
                const cleaning = log.maybeClean(clock.now, { force: command.force });
                const during = command.concurrentRead ? readAll(log) : null;
                const result = await cleaning;
                log.onCleanerStep = null;
                if (result.reason !== null) {
                  model.rounds.push({ nowMs: clock.now, checkpoint: result.firstDirtyOffset });
                  seen.rounds++;
                  seen.recordsRemoved += result.recordsRemoved;
                  if (result.segmentsWritten < result.segmentsCleaned) seen.mergedGroups++;
                  const tombstonesBefore = before.filter((entry) => entry.split('|')[2] === 'null').length;
                  if (model.expected().filter((entry) => entry.split('|')[2] === 'null').length < tombstonesBefore)
                    seen.tombstonesExpired++;
                }
                assert.equal(log.cleanerCheckpointOffset, model.checkpoint);
                const after = await readAll(log);
                if (during !== null) {
                  const lines = await during;
                  seen.concurrentReads++;
                  assertSubset(after, lines, 'concurrent read keeps surviving records');
                  assertSubset(lines, before, 'concurrent read holds nothing unknown');
                }
                if (copy !== null) {
                  seen.crashCopiesMidSwap++;
                  await checkCrashCopy(copy, config, clock, after, before, producers, Number.POSITIVE_INFINITY);
                }
                break;
              }
              case 'retention':
                assert.equal((await log.applyRetention(clock.now)).deletedSegments, 0, 'compact-only: no time/size retention');
                break;
              case 'reopen':
                await log.close();
                log = await PartitionLog.open(dir, config, clock);
                seen.reopens++;
                break;
              case 'crash': {
                await log.flush();
                const now = await readAll(log);
                const activeBase = log.segmentBaseOffsets.at(-1)!;
                const copy = copyDir(dir);
                const activeFile = join(copy, offsetFileName(activeBase, '.log'));
                if (command.tearFraction !== null && existsSync(activeFile)) {
                  truncateSync(activeFile, Math.floor(statSync(activeFile).size * command.tearFraction));
                }
                if (command.dropSnapshots) for (const name of readdirSync(copy)) if (name.endsWith('.snapshot')) rmSync(join(copy, name));
                const torn = command.tearFraction !== null;
                const lower = torn ? now.filter((entry) => Number(entry.split('|')[0]) < activeBase) : now;
                await checkCrashCopy(copy, config, clock, lower, now, producers, torn ? activeBase : Number.POSITIVE_INFINITY);
                break;
              }
            }
            assert.deepEqual(await readAll(log), model.expected(), `after ${command.kind}`);
            await assertDuplicatesDetected(log, producers);
            assert.equal(log.logStartOffset, 0, 'compaction never moves the log start offset');
          }
        } finally {
          await log.close();
        }
      },
    ),
    { numRuns: 60, includeErrorInReport: true },
  );
  for (const [what, count] of Object.entries(seen)) assert.ok(count > 0, `the runs never exercised ${what}`);
});
