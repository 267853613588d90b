// Log retention against a real broker: topics with 1 MiB segments (Kafka 4's minimum for
// segment.bytes), a broker that checks retention every 500 ms, and
//   - retention.bytes set at creation: the oldest segment files disappear from the data dir
//     (<dataDir>/<topic>-<p>/<20-digit base offset>.log), exactly as far as Kafka's size rule
//     allows; the log start offset moves to the first kept segment (kafkajs ListOffsets and
//     kcat -Q); a raw Fetch below it gets OFFSET_OUT_OF_RANGE with the new log start offset; a
//     kcat consumer at offset 0 with auto.offset.reset=earliest resets and reads the rest;
//   - retention.ms altered on a live topic with kafka-configs.sh: segments whose newest record is
//     older go, the one holding the first new record stays; then a tiny retention.ms deletes
//     every segment (the broker rolls a new empty one at the log end) and appends go on.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import kafkajs, { type Admin, type Producer } from 'kafkajs';
import { KafkaConnection } from '../../broker/src/client/kafka-connection.js';
import { fetchPartitionRequest } from '../../broker/src/client/fetch-request.js';
import type { FetchResponsePartitionData } from '../../broker/src/protocol/generated/fetch-response.js';
import { defaultTarget, startBroker, type BrokerHandle } from '../harness/broker.js';
import { kcat, ok, runTool } from '../harness/tools.js';
import { waitFor as waitUntil } from '../harness/wait.js';

const { Kafka, logLevel } = kafkajs;
process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

const SEGMENT_BYTES = 1024 * 1024; // Kafka 4 rejects segment.bytes below 1 MiB
const RECORDS = 600;
const RECORDS_PER_BATCH = 10;
const VALUE_BYTES = 10_000;
const OFFSET_OUT_OF_RANGE = 1;

/** Set by the retention.bytes case: the log start offset its topic ended with. */
let bytesTopicLogStart: number | undefined;

let broker: BrokerHandle;
let admin: Admin;
let producer: Producer;

before(async () => {
  broker = await startBroker({
    config: {
      'log.retention.check.interval.ms': '500',
      'log.segment.delete.delay.ms': '0',
      // Kafka only: its first retention pass is delayed by this internal setting (default 30 s).
      ...(defaultTarget() === 'kafka' ? { 'log.initial.task.delay.ms': '0' } : {}),
    },
  });
  const kafka = new Kafka({ clientId: 'retention-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
});

after(async () => {
  await producer?.disconnect().catch(() => undefined);
  await admin?.disconnect().catch(() => undefined);
  await broker?.stop();
});

/** Record i's value: "rec-<i>-" then filler, VALUE_BYTES long. */
function value(i: number): Buffer {
  const b = Buffer.alloc(VALUE_BYTES, 97 + (i % 26));
  b.write(`rec-${i}-`, 0, 'latin1');
  return b;
}

async function createTopic(topic: string, configs: Record<string, string>): Promise<void> {
  const created = await admin.createTopics({
    topics: [
      {
        topic,
        numPartitions: 1,
        replicationFactor: 1,
        configEntries: Object.entries(configs).map(([name, v]) => ({ name, value: v })),
      },
    ],
    waitForLeaders: true,
  });
  assert.equal(created, true, `topic ${topic} not created`);
}

/** Produces RECORDS records, RECORDS_PER_BATCH per request (one batch each), acks=all. */
async function produceAll(topic: string, timestampOf: (i: number) => number): Promise<void> {
  for (let start = 0; start < RECORDS; start += RECORDS_PER_BATCH) {
    const messages = [];
    for (let i = start; i < start + RECORDS_PER_BATCH; i++) messages.push({ value: value(i), timestamp: String(timestampOf(i)) });
    const res = await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ ...m, partition: 0 })) });
    assert.equal(res[0]?.errorCode, 0);
    assert.equal(res[0]?.baseOffset, String(start));
  }
}

interface SegmentFile {
  base: number;
  size: number;
}

/** The partition's segment files (<20-digit base offset>.log) in the data dir. */
function segments(topic: string): SegmentFile[] {
  const dir = join(broker.dataDir, `${topic}-0`);
  assert.ok(existsSync(dir), `partition dir ${dir}`);
  return readdirSync(dir)
    .filter((f) => /^\d{20}\.log$/.test(f))
    .sort()
    .map((f) => ({ base: Number(f.slice(0, 20)), size: statSync(join(dir, f)).size }));
}

async function offsets(topic: string): Promise<{ low: number; high: number }> {
  const o = await admin.fetchTopicOffsets(topic);
  assert.equal(o.length, 1);
  return { low: Number(o[0]!.low), high: Number(o[0]!.high) };
}

/** Earliest offset as reported by librdkafka (ListOffsets with timestamp -2). */
async function kcatEarliest(topic: string): Promise<number> {
  const r = ok(await kcat(['-b', broker.bootstrap, '-Q', '-t', `${topic}:0:-2`], { timeoutMs: 30_000 }), 'kcat -Q');
  const m = new RegExp(`^${topic} \\[0\\] offset (\\d+)$`, 'm').exec(r.stdout);
  assert.ok(m !== null, `kcat -Q output: ${r.stdout}`);
  return Number(m[1]);
}

/** Waits until `done(probe())`, reporting the last value probed and the broker's log tail on timeout. */
async function waitFor<T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  let last: T | undefined;
  const got = await waitUntil(
    what,
    async () => {
      last = await probe();
      return done(last) ? { value: last } : undefined;
    },
    { intervalMs: 200, diagnostics: () => `last: ${JSON.stringify(last)}\n--- broker logs (tail) ---\n${broker.logs().slice(-3000)}` },
  );
  return got.value;
}

/**
 * Waits until a whole retention pass over every log has run after this call, seen on a canary
 * topic whose records are always past its retention.ms: a pass deletes the canary record appended
 * before it looked at the canary, and looks at it once. Deletion 1 may be the work of a pass that
 * began before the call; the pass of deletion 2 began after that one ended, so after the call; the
 * pass of deletion 3 began after that one ended, so it was whole.
 */
async function retentionPassesRun(): Promise<void> {
  const canary = 'retention-canary';
  if (!(await admin.listTopics()).includes(canary)) await createTopic(canary, { 'retention.ms': '1000' });
  const longAgo = Date.now() - 3_600_000;
  for (let pass = 1; pass <= 3; pass++) {
    const res = await producer.send({ topic: canary, acks: -1, messages: [{ partition: 0, value: 'canary', timestamp: String(longAgo) }] });
    const appended = Number(res[0]?.baseOffset);
    await waitFor(
      `retention pass ${pass} to delete the canary record at ${appended}`,
      () => offsets(canary),
      (o) => o.low > appended,
    );
  }
}

/** One raw Fetch v12 (topic by name) of partition 0 at `offset`, with our own client. */
async function rawFetch(topic: string, offset: number): Promise<FetchResponsePartitionData> {
  const conn = await KafkaConnection.open(broker.host, broker.port, 'retention-test-raw');
  try {
    const res = await conn.send(fetchPartitionRequest(topic, 0, offset));
    assert.equal(res.errorCode, 0);
    assert.equal(res.responses.length, 1);
    assert.equal(res.responses[0]!.topic, topic);
    assert.equal(res.responses[0]!.partitions.length, 1);
    return res.responses[0]!.partitions[0]!;
  } finally {
    conn.close();
  }
}

/** kcat from offset `from` to the end of partition 0: [offset, value prefix] per record. */
async function kcatRead(topic: string, from: string, extra: string[] = []): Promise<string[]> {
  const r = ok(
    await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-p', '0', '-o', from, '-e', '-q', ...extra, '-f', '%o %s\n'], {
      timeoutMs: 60_000,
    }),
    'kcat consume',
  );
  return r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [o, v] = l.split(' ');
      return `${o} ${v!.slice(0, v!.indexOf('-', 4) + 1)}`;
    });
}

const expectedFrom = (from: number, to = RECORDS) => Array.from({ length: to - from }, (_, k) => `${from + k} rec-${from + k}-`);

test(
  'retention.bytes: oldest segments deleted exactly as far as the size rule allows, log start offset moves, OFFSET_OUT_OF_RANGE below it',
  { timeout: 120_000 },
  async () => {
    const topic = 'retention-bytes';
    const retentionBytes = 2 * SEGMENT_BYTES;
    await createTopic(topic, { 'segment.bytes': String(SEGMENT_BYTES), 'retention.bytes': String(retentionBytes) });
    await produceAll(topic, () => Date.now());

    // Kafka's size rule (UnifiedLog.deleteRetentionSizeBreachedSegments): delete the oldest segment
    // while the log without it is still >= retention.bytes. So once retention has run after the
    // last append, the kept segments total >= retention.bytes and dropping the first would not be.
    const kept = await waitFor(
      'size retention to settle',
      async () => segments(topic),
      (segs) => {
        const total = segs.reduce((s, x) => s + x.size, 0);
        return segs.length > 0 && segs[0]!.base > 0 && total - segs[0]!.size < retentionBytes;
      },
    );
    const total = kept.reduce((s, x) => s + x.size, 0);
    assert.ok(total >= retentionBytes, `kept ${total} bytes in ${JSON.stringify(kept)}, below retention.bytes`);
    assert.ok(kept.length >= 2, `kept segments ${JSON.stringify(kept)}`);
    for (const s of kept.slice(0, -1)) assert.ok(s.size <= SEGMENT_BYTES, `segment ${s.base} has ${s.size} bytes > segment.bytes`);
    // about 6 MB were written in ~1 MB segments and at most ~3 MB can stay
    const logStart = kept[0]!.base;
    assert.ok(logStart >= 200 && logStart < RECORDS, `log start ${logStart}`);
    assert.equal(logStart % RECORDS_PER_BATCH, 0, 'segments start at batch boundaries');

    // ListOffsets (kafkajs) and librdkafka's earliest agree with the data dir.
    assert.deepEqual(await offsets(topic), { low: logStart, high: RECORDS });
    assert.equal(await kcatEarliest(topic), logStart);

    // A raw Fetch below the log start offset: OFFSET_OUT_OF_RANGE and no records (the other
    // fields of such a partition are checked in their own case below).
    for (const at of [0, logStart - 1]) {
      const p = await rawFetch(topic, at);
      assert.equal(p.errorCode, OFFSET_OUT_OF_RANGE, `fetch at ${at}`);
      assert.ok(p.records === null || p.records.length === 0, `fetch at ${at}: records must be empty`);
    }
    bytesTopicLogStart = logStart;
    // ... and at the log start offset: data, starting with the batch at logStart.
    const first = await rawFetch(topic, logStart);
    assert.equal(first.errorCode, 0);
    assert.equal(first.logStartOffset, BigInt(logStart));
    assert.ok(first.records !== null && first.records.length > 61, 'records at the log start offset');
    assert.equal(first.records.readBigInt64BE(0), BigInt(logStart), 'first batch base offset');
    // past the end is out of range too
    assert.equal((await rawFetch(topic, RECORDS + 1)).errorCode, OFFSET_OUT_OF_RANGE, 'fetch past the log end');

    // A consumer positioned at a deleted offset resets to the earliest one and reads the rest.
    assert.deepEqual(await kcatRead(topic, '0', ['-X', 'auto.offset.reset=earliest']), expectedFrom(logStart));
    assert.deepEqual(await kcatRead(topic, 'beginning'), expectedFrom(logStart));

    // Retention is durable: after a restart nothing comes back.
    await broker.restart();
    assert.deepEqual(
      segments(topic).map((s) => s.base),
      kept.map((s) => s.base),
    );
    assert.deepEqual(await offsets(topic), { low: logStart, high: RECORDS });
    assert.equal((await rawFetch(topic, 0)).errorCode, OFFSET_OUT_OF_RANGE, 'fetch at 0 after restart');
  },
);

test('retention.ms altered with kafka-configs.sh on a live topic: old segments go, then all of them', { timeout: 120_000 }, async () => {
  const topic = 'retention-ms';
  await createTopic(topic, { 'segment.bytes': String(SEGMENT_BYTES) });
  // records 0..299 an hour old, 300..599 new (CreateTime)
  const hourAgo = Date.now() - 3_600_000;
  await produceAll(topic, (i) => (i < RECORDS / 2 ? hourAgo + i : Date.now()));
  const before = segments(topic);
  assert.ok(before.length >= 5, `segments: ${JSON.stringify(before)}`);
  assert.equal(before[0]!.base, 0);
  // default retention (7 days) keeps everything through whole retention passes
  await retentionPassesRun();
  assert.deepEqual(
    segments(topic).map((s) => s.base),
    before.map((s) => s.base),
  );
  assert.deepEqual(await offsets(topic), { low: 0, high: RECORDS });

  // retention.ms = 10 minutes: a segment goes when its newest record is older; the first segment
  // holding a new record (offset 300) stays, and so does everything after it.
  const keepFrom = Math.max(...before.filter((s) => s.base <= RECORDS / 2).map((s) => s.base));
  assert.ok(keepFrom > 0, `segments: ${JSON.stringify(before)}`);
  ok(
    await runTool('kafka-configs.sh', [
      '--bootstrap-server',
      broker.bootstrap,
      '--alter',
      '--entity-type',
      'topics',
      '--entity-name',
      topic,
      '--add-config',
      'retention.ms=600000',
    ]),
    'kafka-configs.sh --alter retention.ms=600000',
  );
  const described = ok(
    await runTool('kafka-configs.sh', [
      '--bootstrap-server',
      broker.bootstrap,
      '--describe',
      '--entity-type',
      'topics',
      '--entity-name',
      topic,
    ]),
    'kafka-configs.sh --describe',
  );
  assert.match(described.stdout, /retention\.ms=600000/);
  await waitFor(
    'time retention (10 min)',
    () => offsets(topic),
    (o) => o.low === keepFrom,
  );
  const keptBases = before.filter((s) => s.base >= keepFrom).map((s) => s.base);
  const afterTen = await waitFor(
    'old segment files to go',
    async () => segments(topic),
    (segs) => segs.length === keptBases.length,
  );
  assert.deepEqual(
    afterTen.map((s) => s.base),
    keptBases,
  );
  assert.equal((await rawFetch(topic, keepFrom - 1)).errorCode, OFFSET_OUT_OF_RANGE);
  assert.deepEqual(await kcatRead(topic, 'beginning'), expectedFrom(keepFrom));

  // retention.ms = 1 s: every record is older now, so every segment goes; the log keeps its end
  // offset with a new empty segment there, and appends continue from it.
  ok(
    await runTool('kafka-configs.sh', [
      '--bootstrap-server',
      broker.bootstrap,
      '--alter',
      '--entity-type',
      'topics',
      '--entity-name',
      topic,
      '--add-config',
      'retention.ms=1000',
    ]),
    'kafka-configs.sh --alter retention.ms=1000',
  );
  await waitFor(
    'time retention (1 s)',
    () => offsets(topic),
    (o) => o.low === RECORDS,
  );
  assert.deepEqual(await offsets(topic), { low: RECORDS, high: RECORDS });
  // No segment file below the log end is left. (Kafka keeps an empty 00000000000000000600.log;
  // Fjord creates segment files at the first append, so it may have none.)
  // The log start offset moves before the files are unlinked (Kafka too deletes them
  // asynchronously), so wait for the data dir rather than sampling it once.
  const left = await waitFor(
    'segment files below the log end to go',
    async () => segments(topic),
    (segs) => segs.every((s) => s.base === RECORDS && s.size === 0),
  );
  assert.ok(left.length <= 1, `segment files left: ${JSON.stringify(left)}`);
  assert.equal((await rawFetch(topic, RECORDS - 1)).errorCode, OFFSET_OUT_OF_RANGE);
  assert.equal((await rawFetch(topic, 0)).errorCode, OFFSET_OUT_OF_RANGE);

  // An emptied log survives a kill -9: same offsets after recovery.
  await broker.kill9();
  await broker.restart();
  assert.deepEqual(await offsets(topic), { low: RECORDS, high: RECORDS }, 'offsets after kill -9 + restart');
  // back to the default (7 days), so the next record stays
  ok(
    await runTool('kafka-configs.sh', [
      '--bootstrap-server',
      broker.bootstrap,
      '--alter',
      '--entity-type',
      'topics',
      '--entity-name',
      topic,
      '--delete-config',
      'retention.ms',
    ]),
    'kafka-configs.sh --alter --delete-config retention.ms',
  );
  const res = await producer.send({ topic, acks: -1, messages: [{ partition: 0, value: 'after-retention' }] });
  assert.equal(res[0]?.baseOffset, String(RECORDS));
  const r = ok(
    await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %s\n'], {
      timeoutMs: 30_000,
    }),
    'kcat',
  );
  assert.equal(r.stdout, `${RECORDS} after-retention\n`);
});

test('Fetch below the log start offset: OFFSET_OUT_OF_RANGE partition carries -1 high watermark / last stable / log start offset, as Kafka', async () => {
  assert.ok(bytesTopicLogStart !== undefined, 'needs the retention.bytes case to have run');
  const p = await rawFetch('retention-bytes', 0);
  assert.deepEqual(
    {
      errorCode: p.errorCode,
      highWatermark: p.highWatermark,
      lastStableOffset: p.lastStableOffset,
      logStartOffset: p.logStartOffset,
      abortedTransactions: p.abortedTransactions,
      preferredReadReplica: p.preferredReadReplica,
      records: p.records === null ? 0 : p.records.length,
    },
    {
      errorCode: OFFSET_OUT_OF_RANGE,
      highWatermark: -1n,
      lastStableOffset: -1n,
      logStartOffset: -1n,
      abortedTransactions: null,
      preferredReadReplica: -1,
      records: 0,
    },
  );
});

test('segment.bytes below 1 MiB is rejected with INVALID_CONFIG (Kafka 4 minimum), 1 MiB is accepted', async () => {
  await assert.rejects(
    admin.createTopics({
      topics: [
        {
          topic: 'segment-too-small',
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'segment.bytes', value: String(SEGMENT_BYTES - 1) }],
        },
      ],
      waitForLeaders: true,
    }),
    (e: { name?: string; errors?: Array<{ type?: string }> }) => {
      assert.equal(e.name, 'KafkaJSAggregateError');
      assert.deepEqual(
        e.errors?.map((x) => x.type),
        ['INVALID_CONFIG'],
      );
      return true;
    },
  );
  assert.equal((await admin.listTopics()).includes('segment-too-small'), false);
  await createTopic('segment-1mib', { 'segment.bytes': String(SEGMENT_BYTES) });
});
