// kafkajs 2.2.4 against the broker: admin (create/list/offsets/offsets-by-time/delete topics),
// producer (several batches, with and without gzip, keys, headers, explicit timestamps), reading
// partitions back without a consumer group (kafkajs' own Fetch request through its cluster
// object). Group-based consumers are covered by groups-librdkafka-kafkajs.test.ts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs, { type Admin, type Kafka as KafkaT, type Producer } from 'kafkajs';
import { rawCluster } from '../harness/kafkajs-raw.js';
import { startBroker, type BrokerHandle } from '../harness/broker.js';
import { waitFor } from '../harness/wait.js';

const { Kafka, logLevel, CompressionTypes } = kafkajs;
process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

let broker: BrokerHandle;
let kafka: KafkaT;
let admin: Admin;
let producer: Producer;

before(async () => {
  broker = await startBroker();
  kafka = new Kafka({ clientId: 'kafkajs-test', brokers: [broker.bootstrap], logLevel: logLevel.ERROR });
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

interface Expected {
  partition: number;
  key: string;
  value: string;
  headers: Record<string, string>;
  timestamp?: string;
}

interface Got {
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  timestamp: string;
}

function headersToStrings(h: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) out[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  return out;
}

// ---- reading without a consumer group ---------------------------------------------------------

/** Reads one partition from offset 0 to its high watermark with plain Fetch requests. */
async function readPartition(topic: string, partition: number): Promise<Got[]> {
  const cluster = rawCluster(kafka);
  await cluster.connect();
  try {
    await cluster.addTargetTopic(topic);
    const meta = cluster.findTopicPartitionMetadata(topic).find((p) => p.partitionId === partition);
    assert.ok(meta !== undefined, `no metadata for ${topic}/${partition}`);
    const leader = await cluster.findBroker({ nodeId: meta.leader });
    const out: Got[] = [];
    let next = 0n;
    for (let round = 0; round < 10_000; round++) {
      const res = await leader.fetch({
        replicaId: -1,
        isolationLevel: 1,
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: 1 << 20,
        topics: [{ topic, partitions: [{ partition, fetchOffset: next.toString(), maxBytes: 256 * 1024 }] }],
      });
      const p = res.responses.find((r) => r.topicName === topic)?.partitions.find((x) => x.partition === partition);
      assert.ok(p !== undefined, 'partition missing from fetch response');
      assert.equal(p.errorCode, 0);
      for (const m of p.messages) {
        if (m.isControlRecord === true || BigInt(m.offset) < next) continue; // whole batches come back
        out.push({
          offset: m.offset,
          key: m.key === null ? null : m.key.toString('utf8'),
          value: m.value === null ? null : m.value.toString('utf8'),
          headers: headersToStrings(m.headers),
          timestamp: m.timestamp,
        });
        next = BigInt(m.offset) + 1n;
      }
      if (next >= BigInt(p.highWatermark)) break;
      assert.ok(p.messages.length > 0, `fetch at ${next} below high watermark ${p.highWatermark} returned nothing`);
    }
    return out;
  } finally {
    await cluster.disconnect();
  }
}

function assertPartitionContent(got: Got[], expected: Expected[], what: string): void {
  assert.equal(got.length, expected.length, `${what}: record count`);
  got.forEach((g, i) => {
    const e = expected[i]!;
    assert.equal(g.offset, String(i), `${what}: offset at ${i}`);
    assert.equal(g.key, e.key, `${what}: key at offset ${i}`);
    assert.equal(g.value, e.value, `${what}: value at offset ${i}`);
    assert.deepEqual(g.headers, e.headers, `${what}: headers at offset ${i}`);
    if (e.timestamp !== undefined) assert.equal(g.timestamp, e.timestamp, `${what}: timestamp at offset ${i}`);
  });
}

// ---- tests ------------------------------------------------------------------------------------

const TOPIC = 'kafkajs-main';
const PARTITIONS = 3;
const BASE_TS = Date.now() - 10 * 60_000; // explicit CreateTimes, 10 minutes ago, 1 s apart per batch
const sent: Expected[] = [];

test('kafkajs admin: createTopics, listTopics, fetchTopicMetadata', async () => {
  assert.equal(
    await admin.createTopics({
      topics: [
        { topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 },
        { topic: 'kafkajs-other', numPartitions: 1, replicationFactor: 1 },
      ],
      waitForLeaders: true,
    }),
    true,
  );
  // creating an existing topic: kafkajs reports false (TOPIC_ALREADY_EXISTS)
  assert.equal(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true }), false);

  const topics = await admin.listTopics();
  assert.ok(topics.includes(TOPIC), `listTopics: ${topics.join(',')}`);
  assert.ok(topics.includes('kafkajs-other'));

  const md = await admin.fetchTopicMetadata({ topics: [TOPIC] });
  assert.equal(md.topics.length, 1);
  const parts = [...md.topics[0]!.partitions].sort((a, b) => a.partitionId - b.partitionId);
  assert.deepEqual(
    parts.map((p) => ({ partitionId: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr, errorCode: p.partitionErrorCode })),
    Array.from({ length: PARTITIONS }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1], errorCode: 0 })),
  );

  const offsets = await admin.fetchTopicOffsets(TOPIC);
  assert.deepEqual(
    offsets.map((o) => ({ partition: o.partition, offset: o.offset, high: o.high, low: o.low })).sort((a, b) => a.partition - b.partition),
    Array.from({ length: PARTITIONS }, (_, i) => ({ partition: i, offset: '0', high: '0', low: '0' })),
  );
});

test('kafkajs producer: several batches, with and without gzip, to explicit partitions', async () => {
  const perPartitionCount = [0, 0, 0];
  for (let batch = 0; batch < 6; batch++) {
    const gzip = batch % 2 === 1;
    const partition = batch % PARTITIONS;
    const timestamp = String(BASE_TS + batch * 1000);
    const messages = Array.from({ length: 50 + batch * 10 }, (_, i) => ({
      partition,
      key: `b${batch}-k${i}`,
      value: `batch ${batch} message ${i} ${'payload '.repeat(i % 9)}✓`,
      headers: { batch: String(batch), index: String(i), codec: gzip ? 'gzip' : 'none' },
      timestamp,
    }));
    const res = await producer.send({
      topic: TOPIC,
      acks: -1,
      compression: gzip ? CompressionTypes.GZIP : CompressionTypes.None,
      messages,
    });
    assert.equal(res.length, 1);
    assert.equal(res[0]!.topicName, TOPIC);
    assert.equal(res[0]!.partition, partition);
    assert.equal(res[0]!.errorCode, 0);
    assert.equal(res[0]!.baseOffset, String(perPartitionCount[partition]), `baseOffset of batch ${batch}`);
    perPartitionCount[partition]! += messages.length;
    sent.push(...messages);
  }

  // a sendBatch touching two topics and all partitions at once
  const multi = await producer.sendBatch({
    acks: -1,
    topicMessages: [
      {
        topic: TOPIC,
        messages: [0, 1, 2].map((p) => ({
          partition: p,
          key: `multi-${p}`,
          value: `multi value ${p}`,
          headers: { multi: 'yes' },
          timestamp: String(BASE_TS + 10_000),
        })),
      },
      { topic: 'kafkajs-other', messages: [{ key: 'o', value: 'other', headers: { multi: 'yes' }, timestamp: String(BASE_TS) }] },
    ],
  });
  assert.equal(multi.length, 4);
  for (const r of multi) assert.equal(r.errorCode, 0);
  for (const p of [0, 1, 2]) {
    sent.push({
      partition: p,
      key: `multi-${p}`,
      value: `multi value ${p}`,
      headers: { multi: 'yes' },
      timestamp: String(BASE_TS + 10_000),
    });
  }

  const offsets = await admin.fetchTopicOffsets(TOPIC);
  const byP = new Map(offsets.map((o) => [o.partition, o]));
  for (let p = 0; p < PARTITIONS; p++) {
    const n = sent.filter((m) => m.partition === p).length;
    assert.equal(byP.get(p)?.high, String(n), `high watermark of partition ${p}`);
    assert.equal(byP.get(p)?.offset, String(n));
    assert.equal(byP.get(p)?.low, '0');
  }
});

test('kafkajs: read every partition back from the beginning without a group (Fetch)', async () => {
  assert.ok(sent.length > 0, 'depends on the producer test');
  for (let p = 0; p < PARTITIONS; p++) {
    assertPartitionContent(
      await readPartition(TOPIC, p),
      sent.filter((m) => m.partition === p),
      `${TOPIC}/${p}`,
    );
  }
  const other = await readPartition('kafkajs-other', 0);
  assert.deepEqual(other, [{ offset: '0', key: 'o', value: 'other', headers: { multi: 'yes' }, timestamp: String(BASE_TS) }]);
});

test('kafkajs admin: fetchTopicOffsetsByTimestamp', async () => {
  assert.ok(sent.length > 0, 'depends on the producer test');
  // partition 0 holds batches 0 (ts BASE), 3 (BASE+3000) and the multi record (BASE+10000)
  const expectFor = (p: number, ts: number): string => {
    const msgs = sent.filter((m) => m.partition === p);
    const i = msgs.findIndex((m) => Number(m.timestamp) >= ts);
    return i === -1 ? String(msgs.length) : String(i); // kafkajs maps "none" (-1) to the high watermark
  };
  for (const ts of [
    BASE_TS - 1,
    BASE_TS,
    BASE_TS + 1,
    BASE_TS + 2500,
    BASE_TS + 3000,
    BASE_TS + 4500,
    BASE_TS + 10_000,
    BASE_TS + 10_001,
  ]) {
    const res = await admin.fetchTopicOffsetsByTimestamp(TOPIC, ts);
    const got = new Map(res.map((r) => [r.partition, r.offset]));
    for (let p = 0; p < PARTITIONS; p++) {
      assert.equal(got.get(p), expectFor(p, ts), `partition ${p}, timestamp BASE+${ts - BASE_TS}`);
    }
  }
});

test('kafkajs admin: deleteTopics', async () => {
  await admin.deleteTopics({ topics: ['kafkajs-other'], timeout: 30_000 });
  await waitFor('kafkajs-other to leave listTopics after deleteTopics', async () => !(await admin.listTopics()).includes('kafkajs-other'), {
    intervalMs: 300,
  });
  assert.ok((await admin.listTopics()).includes(TOPIC));
});
