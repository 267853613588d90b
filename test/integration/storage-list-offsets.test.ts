// ListOffsets after DeleteRecords: records below the log start offset are never an answer.
// One batch of 10 records, `kafka-delete-records.sh` to offset 5, then the offset-for-time
// queries librdkafka (`kcat -Q`) and the Java admin tools send. Kafka searches from the log start
// offset, so a timestamp older than every record answers 5 (not a deleted offset, whose Fetch
// would fail with OFFSET_OUT_OF_RANGE). Runs against Apache Kafka too (FJORD_TEST_TARGET=kafka).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import kafkajs, { type Admin, type Producer } from 'kafkajs';
import { startBroker, type BrokerHandle } from '../harness/broker.js';
import { kcat, ok, runTool } from '../harness/tools.js';

const { Kafka, logLevel } = kafkajs;

let broker: BrokerHandle;
let admin: Admin;
let producer: Producer;
let workDir: string;

before(async () => {
  broker = await startBroker();
  const kafka = new Kafka({ clientId: 'storage-list-offsets', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer();
  await producer.connect();
  workDir = mkdtempSync(join(tmpdir(), 'fjord-list-offsets-'));
});

after(async () => {
  await producer?.disconnect().catch(() => undefined);
  await admin?.disconnect().catch(() => undefined);
  await broker?.stop();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

const BASE_TIMESTAMP = 1_700_000_000_000;

/**
 * A topic with one partition holding one batch of 10 records with the given timestamps. The
 * timestamps are years old, so the topic keeps its records forever: with the default 7-day
 * retention, a retention check (every 5 min) between the produce and the DeleteRecords would
 * delete the whole batch first (it did, in a loaded run: low_watermark 10), on Kafka as on Fjord.
 */
async function topicWithOneBatch(topic: string, timestamps: number[]): Promise<void> {
  const topicSpec = { topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '-1' }] };
  assert.equal(await admin.createTopics({ topics: [topicSpec], waitForLeaders: true }), true);
  const [result] = await producer.send({
    topic,
    acks: -1,
    messages: timestamps.map((timestamp, i) => ({ partition: 0, value: `v${i}`, timestamp: String(timestamp) })),
  });
  assert.equal(result?.baseOffset, '0');
}

async function deleteRecordsBefore(topic: string, offset: number): Promise<void> {
  const file = join(workDir, `${topic}.json`);
  writeFileSync(file, JSON.stringify({ version: 1, partitions: [{ topic, partition: 0, offset }] }));
  const r = await runTool('kafka-delete-records.sh', ['--bootstrap-server', broker.bootstrap, '--offset-json-file', file], {
    timeoutMs: 120_000,
  });
  ok(r, 'kafka-delete-records.sh');
  assert.match(r.stdout, new RegExp(`partition: ${topic}-0\\s+low_watermark: ${offset}`), r.stdout);
}

/** `kcat -Q -t topic:0:timestamp`: the answered offset. */
async function kcatOffsetForTime(topic: string, timestamp: number): Promise<number> {
  const r = ok(await kcat(['-b', broker.bootstrap, '-Q', '-t', `${topic}:0:${timestamp}`], { timeoutMs: 60_000 }), 'kcat -Q');
  const m = new RegExp(`^${topic} \\[0\\] offset (-?\\d+)$`, 'm').exec(r.stdout);
  assert.ok(m !== null, `unexpected kcat -Q output: ${r.stdout}`);
  return Number(m[1]);
}

/** `kafka-get-offsets.sh --time`: "topic:0:offset" as the Java admin client gets it. */
async function javaOffsetForTime(topic: string, time: number): Promise<number> {
  const r = ok(
    await runTool('kafka-get-offsets.sh', ['--bootstrap-server', broker.bootstrap, '--topic', topic, '--time', String(time)], {
      timeoutMs: 120_000,
    }),
    'kafka-get-offsets.sh',
  );
  const m = new RegExp(`^${topic}:0:(-?\\d*)$`, 'm').exec(r.stdout);
  assert.ok(m !== null, `unexpected kafka-get-offsets.sh output: ${r.stdout}`);
  return m[1] === '' ? -1 : Number(m[1]);
}

test('ListOffsets by timestamp after DeleteRecords answers the log start offset, never a deleted one', async () => {
  const topic = 'list-offsets-after-delete';
  await topicWithOneBatch(
    topic,
    Array.from({ length: 10 }, (_, i) => BASE_TIMESTAMP + i),
  );
  await deleteRecordsBefore(topic, 5);
  // Older than every record: the first record at or after the log start offset.
  assert.equal(await kcatOffsetForTime(topic, 0), 5);
  assert.equal(await kcatOffsetForTime(topic, BASE_TIMESTAMP + 2), 5);
  assert.equal(await javaOffsetForTime(topic, BASE_TIMESTAMP + 2), 5);
  // At and above the log start offset the answer is the record's own offset.
  assert.equal(await kcatOffsetForTime(topic, BASE_TIMESTAMP + 5), 5);
  assert.equal(await kcatOffsetForTime(topic, BASE_TIMESTAMP + 7), 7);
  assert.equal(await kcatOffsetForTime(topic, BASE_TIMESTAMP + 10), -1);
  // Max timestamp (-3): the last record holds it.
  assert.equal(await javaOffsetForTime(topic, -3), 9);
  // Earliest (-2) is the log start offset.
  assert.equal(await kcatOffsetForTime(topic, -2), 5);
});

test('ListOffsets by timestamp skips a deleted record that is the only one at or after the time in its batch', async () => {
  const topic = 'list-offsets-deleted-peak';
  // Offset 2 has the newest timestamp; after deleting below 5 no remaining record reaches it.
  const timestamps = Array.from({ length: 10 }, (_, i) => BASE_TIMESTAMP + i);
  timestamps[2] = BASE_TIMESTAMP + 100;
  await topicWithOneBatch(topic, timestamps);
  await deleteRecordsBefore(topic, 5);
  assert.equal(await kcatOffsetForTime(topic, BASE_TIMESTAMP + 50), -1);
  assert.equal(await kcatOffsetForTime(topic, BASE_TIMESTAMP + 6), 6);
  // Max timestamp (-3) names the record that holds it even below the log start offset: that is
  // Kafka's answer (UnifiedLog looks the record up without the log start offset).
  assert.equal(await javaOffsetForTime(topic, -3), 2);
});
