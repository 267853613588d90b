// Consumer groups with librdkafka (kcat -G, the balanced consumer) and kafkajs 2.2.4: kcat reads a
// topic through a group and a second run resumes after the committed offsets; a kafkajs group
// consumer reads everything; two kafkajs consumers in one group split the partitions and see each
// message exactly once; when one leaves, the other takes over without re-reading anything.
// "Nothing more arrives" is checked with a marker record written to every partition after the
// data: once every marker has been consumed, anything delivered twice would have come before it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs, { type Admin, type Consumer, type Kafka as KafkaT, type Producer } from 'kafkajs';
import { startBroker, type BrokerHandle } from '../harness/broker.js';
import { kcat, ok } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

const { Kafka, logLevel } = kafkajs;
process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

let broker: BrokerHandle;
let kafka: KafkaT;
let admin: Admin;
let producer: Producer;

before(async () => {
  broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': '0' } });
  kafka = new Kafka({ clientId: 'groups-clients', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
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

async function createTopic(topic: string, partitions: number): Promise<void> {
  assert.equal(
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true }),
    true,
  );
}

// recent enough that retention (7 days by default) never applies
const BASE_TS = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const timestampOf = (value: string) => String(BASE_TS + Number(/(\d+)$/.exec(value)?.[1] ?? 0) * 1000);

/**
 * Produces `perPartition` records to each partition: key `key-<i>`, value `${prefix}-<p>-<i>`,
 * header `h` = the value reversed, timestamp BASE_TS + i s. Returns the values per partition in
 * offset order.
 */
async function produce(topic: string, partitions: number, perPartition: number, prefix: string, firstIndex = 0): Promise<string[][]> {
  const out: string[][] = Array.from({ length: partitions }, () => []);
  for (let p = 0; p < partitions; p++) {
    const values = Array.from({ length: perPartition }, (_, i) => `${prefix}-${p}-${firstIndex + i}`);
    await producer.send({
      topic,
      messages: values.map((v, i) => ({
        partition: p,
        key: `key-${i}`,
        value: v,
        headers: { h: [...v].reverse().join('') },
        timestamp: timestampOf(v),
      })),
    });
    out[p] = values;
  }
  return out;
}

async function committed(group: string, topic: string): Promise<number[]> {
  const res = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  const parts = res[0]?.partitions ?? [];
  return [...parts].sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
}

/** Writes one record `marker-<tag>` to each partition (after the data: see the file header). */
async function produceMarkers(topic: string, partitions: number, tag: string): Promise<void> {
  await producer.send({
    topic,
    messages: Array.from({ length: partitions }, (_, p) => ({ partition: p, value: `marker-${tag}` })),
  });
}

/** Waits until `sink` holds the marker `tag` of every partition. */
async function markersConsumed(sink: Received[], partitions: number, tag: string): Promise<void> {
  const marked = () => new Set(sink.filter((r) => r.value === `marker-${tag}`).map((r) => r.partition));
  await waitFor(`the marker ${tag} of all ${partitions} partitions`, () => marked().size === partitions, {
    diagnostics: () => `markers seen on partitions ${[...marked()].join(',')}; ${sink.length} records received`,
  });
}

const isMarker = (r: Received) => r.value?.startsWith('marker-') === true;

// ---- kcat -G -------------------------------------------------------------------------------------

/** One kcat balanced-consumer run until every assigned partition is at its end (-e). */
async function kcatGroup(topic: string, group: string): Promise<string[][]> {
  const r = ok(
    await kcat(
      [
        '-b',
        broker.bootstrap,
        '-G',
        group,
        '-X',
        'auto.offset.reset=earliest',
        '-X',
        'session.timeout.ms=6000',
        '-e',
        '-q',
        '-f',
        '%p %o %s\\n',
        topic,
      ],
      { timeoutMs: 60_000 },
    ),
    `kcat -G ${group}`,
  );
  const got: string[][] = [];
  for (const l of r.stdout.split('\n').filter((x) => x.length > 0)) {
    const m = /^(\d+) (\d+) (.*)$/.exec(l);
    assert.ok(m !== null, `kcat line: ${l}`);
    const p = Number(m[1]);
    (got[p] ??= []).push(`${m[2]} ${m[3]}`);
  }
  return got;
}

const withOffsets = (values: string[], first = 0) => values.map((v, i) => `${first + i} ${v}`);

test(
  'kcat -G (librdkafka balanced consumer): reads every partition, a second run resumes after the committed offsets',
  { timeout: 120_000 },
  async () => {
    const topic = 'kcat-group-topic';
    const group = 'kcat-group';
    await createTopic(topic, 3);
    const sent = await produce(topic, 3, 100, 'kc');

    const first = await kcatGroup(topic, group);
    for (let p = 0; p < 3; p++) assert.deepEqual(first[p], withOffsets(sent[p] ?? []), `first run, partition ${p}`);
    assert.equal(first.length, 3);
    assert.deepEqual(await committed(group, topic), [100, 100, 100], 'committed offsets after the first run');

    const more = await produce(topic, 3, 7, 'kc', 100);
    const second = await kcatGroup(topic, group);
    for (let p = 0; p < 3; p++) assert.deepEqual(second[p], withOffsets(more[p] ?? [], 100), `second run, partition ${p}`);
    assert.deepEqual(await committed(group, topic), [107, 107, 107], 'committed offsets after the second run');
  },
);

// ---- kafkajs -------------------------------------------------------------------------------------

interface Received {
  consumer: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  header: string | null;
  timestamp: string;
}

function groupConsumer(groupId: string): { consumer: Consumer; joins: Array<Record<string, number[]>> } {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    rebalanceTimeout: 20_000,
    maxWaitTimeInMs: 200,
  });
  const joins: Array<Record<string, number[]>> = [];
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    joins.push(e.payload.memberAssignment);
  });
  return { consumer, joins };
}

async function runInto(consumer: Consumer, name: string, topic: string, sink: Received[]): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      sink.push({
        consumer: name,
        partition,
        offset: Number(message.offset),
        key: message.key?.toString('utf8') ?? null,
        value: message.value?.toString('utf8') ?? null,
        header: message.headers?.['h']?.toString() ?? null,
        timestamp: message.timestamp,
      });
    },
  });
}

test('kafkajs consumer group: one consumer reads every record exactly once and commits the end offsets', { timeout: 120_000 }, async () => {
  const topic = 'kafkajs-group-one';
  const group = 'kafkajs-group-one';
  await createTopic(topic, 3);
  const sent = await produce(topic, 3, 200, 'one');
  const got: Received[] = [];
  const { consumer } = groupConsumer(group);
  try {
    await runInto(consumer, 'solo', topic, got);
    await produceMarkers(topic, 3, 'end');
    await markersConsumed(got, 3, 'end');
  } finally {
    await consumer.disconnect();
  }
  const data = got.filter((r) => !isMarker(r));
  assert.equal(data.length, 600);
  assert.equal(got.length, 603, 'each marker once');
  for (let p = 0; p < 3; p++) {
    assert.deepEqual(
      data.filter((r) => r.partition === p).map((r) => [r.offset, r.key, r.value, r.header, r.timestamp]),
      (sent[p] ?? []).map((v, i) => [i, `key-${i}`, v, [...v].reverse().join(''), timestampOf(v)]),
      `partition ${p}`,
    );
  }
  assert.deepEqual(await committed(group, topic), [201, 201, 201]);
});

test(
  'two kafkajs consumers in one group: partitions split between them, each message exactly once; one leaves, the other takes over',
  { timeout: 150_000 },
  async () => {
    const topic = 'kafkajs-group-two';
    const group = 'kafkajs-group-two';
    const P = 4;
    await createTopic(topic, P);
    const got: Received[] = [];
    const a = groupConsumer(group);
    const b = groupConsumer(group);
    const latest = (j: Array<Record<string, number[]>>) => [...(j.at(-1)?.[topic] ?? [])].sort((x, y) => x - y);
    try {
      await runInto(a.consumer, 'a', topic, got);
      await waitFor('a to join', () => latest(a.joins).length === P);
      await runInto(b.consumer, 'b', topic, got);
      // settled: the latest assignments are disjoint, cover the topic, two partitions each
      const [pa, pb] = await waitFor(
        'the group to settle on two members',
        () => {
          const x = latest(a.joins);
          const y = latest(b.joins);
          if (x.length !== 2 || y.length !== 2) return undefined;
          if ([...x, ...y].sort((m, n) => m - n).join(',') !== '0,1,2,3') return undefined;
          return [x, y] as const;
        },
        { diagnostics: () => `a joins: ${JSON.stringify(a.joins)}\nb joins: ${JSON.stringify(b.joins)}` },
      );

      // offsets: the data at 0..49, marker "first" at 50
      const sent = await produce(topic, P, 50, 'two');
      await produceMarkers(topic, P, 'first');
      await markersConsumed(got, P, 'first');
      assert.equal(got.length, P * 51, 'each message exactly once');
      for (let p = 0; p < P; p++) {
        const owner = pa.includes(p) ? 'a' : 'b';
        const recs = got.filter((r) => r.partition === p && !isMarker(r));
        assert.deepEqual(
          recs.map((r) => [r.consumer, r.offset, r.value]),
          (sent[p] ?? []).map((v, i) => [owner, i, v]),
          `partition ${p} (assigned to ${owner}; a has ${pa.join(',')}, b has ${pb.join(',')})`,
        );
      }
      let lastCommitted: number[] = [];
      await waitFor(
        'the group to commit offset 51 on every partition',
        async () => {
          lastCommitted = await committed(group, topic);
          return lastCommitted.join(',') === '51,51,51,51';
        },
        { intervalMs: 200, diagnostics: () => `committed offsets: ${lastCommitted.join(',')}` },
      );

      // b leaves (LeaveGroup); a gets every partition and continues after the committed offsets
      await b.consumer.disconnect();
      await waitFor('a to own all partitions', () => latest(a.joins).length === P, { diagnostics: () => JSON.stringify(a.joins) });
      // offsets: the data at 51..60, marker "second" at 61
      const more = await produce(topic, P, 10, 'two', 50);
      await produceMarkers(topic, P, 'second');
      await markersConsumed(got, P, 'second');
      assert.equal(got.length, P * 62, 'nothing re-read after the rebalance');
      for (let p = 0; p < P; p++) {
        assert.deepEqual(
          got.filter((r) => r.partition === p && r.offset >= 51 && !isMarker(r)).map((r) => [r.consumer, r.offset, r.value]),
          (more[p] ?? []).map((v, i) => ['a', 51 + i, v]),
          `partition ${p} after b left`,
        );
      }
    } finally {
      await a.consumer.disconnect().catch(() => undefined);
      await b.consumer.disconnect().catch(() => undefined);
    }
    assert.deepEqual(await committed(group, topic), [62, 62, 62, 62]);
  },
);
