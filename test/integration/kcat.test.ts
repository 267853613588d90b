// kcat (librdkafka) against the broker: produce and consume with every compression codec,
// keys and headers, offsets-for-times queries (-Q), and metadata as JSON (-L -J).
// Topics are created with kafkajs' admin client (kcat cannot create topics).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs, { type Admin } from 'kafkajs';
import { startBroker, type BrokerHandle } from '../harness/broker.js';
import { kcat, ok, type RunOptions } from '../harness/tools.js';
import { letTimePass } from '../harness/wait.js';

const { Kafka, logLevel } = kafkajs;

let broker: BrokerHandle;
let admin: Admin;

before(async () => {
  broker = await startBroker();
  admin = new Kafka({ clientId: 'kcat-test-admin', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
});

after(async () => {
  await admin?.disconnect().catch(() => undefined);
  await broker?.stop();
});

async function createTopic(topic: string, numPartitions: number): Promise<void> {
  const created = await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1 }], waitForLeaders: true });
  assert.equal(created, true, `topic ${topic} not created`);
}

async function kc(args: string[], opts: RunOptions = {}) {
  return ok(await kcat(['-b', broker.bootstrap, ...args], { timeoutMs: 60_000, ...opts }), `kcat ${args.join(' ')}`);
}

/** Consumes partition(s) from the beginning to the end (-e) with a format; returns output lines. */
async function consume(topic: string, format: string, partition?: number): Promise<string[]> {
  const args = ['-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', format];
  if (partition !== undefined) args.push('-p', String(partition));
  const r = await kc(args);
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
  test(`kcat: produce and consume keyed messages, compression ${codec}`, async () => {
    const topic = `kcat-${codec}`;
    await createTopic(topic, 1);
    const messages = Array.from({ length: 500 }, (_, i) => ({
      key: `k${i}`,
      // compressible and not: repeated text plus a unique part
      value: `value ${i} ${'abcdefgh'.repeat(1 + (i % 20))} ${(i * 7919) % 10007} äö✓`,
    }));
    const input = messages.map((m) => `${m.key}:${m.value}`).join('\n') + '\n';
    const produceArgs = ['-P', '-t', topic, '-p', '0', '-K', ':', '-H', 'origin=kcat', '-H', `codec=${codec}`];
    if (codec !== 'none') produceArgs.push('-z', codec);
    await kc(produceArgs, { input });

    const got = await consume(topic, '%p|%o|%k|%s|%h\n', 0);
    assert.deepEqual(
      got,
      messages.map((m, i) => `0|${i}|${m.key}|${m.value}|origin=kcat,codec=${codec}`),
    );
  });
}

test('kcat: messages spread over 3 partitions by key, read back per partition and as a whole', async () => {
  const topic = 'kcat-spread';
  await createTopic(topic, 3);
  const messages = Array.from({ length: 300 }, (_, i) => `key-${i}:v-${i}`);
  await kc(['-P', '-t', topic, '-K', ':', '-z', 'lz4'], { input: messages.join('\n') + '\n' });

  const all = await consume(topic, '%p %o %k:%s\n');
  assert.equal(all.length, messages.length);
  const byPartition = new Map<number, string[]>();
  for (const l of all) {
    const [p, o, kv] = l.split(' ');
    const list = byPartition.get(Number(p)) ?? [];
    assert.equal(Number(o), list.length, `offsets of partition ${String(p)} must be dense from 0`);
    list.push(kv ?? '');
    byPartition.set(Number(p), list);
  }
  // the same key always lands on the same partition, in send order
  for (const [p, list] of byPartition) {
    const idx = list.map((kv) => messages.indexOf(kv));
    assert.ok(!idx.includes(-1));
    assert.deepEqual(
      idx,
      [...idx].sort((a, b) => a - b),
      `partition ${p} out of order`,
    );
    assert.deepEqual(await consume(topic, '%k:%s\n', p), list);
  }
  assert.deepEqual(all.map((l) => l.split(' ')[2]).sort(), [...messages].sort());
  assert.ok(byPartition.size >= 2, 'keys should hash to more than one partition');
});

test('kcat -Q: offsets for timestamps', async () => {
  const topic = 'kcat-times';
  await createTopic(topic, 1);
  // four separate produce runs, a little apart, so timestamps differ between groups
  for (let g = 0; g < 4; g++) {
    const input = Array.from({ length: 5 }, (_, i) => `g${g}-m${i}`).join('\n') + '\n';
    await kc(['-P', '-t', topic, '-p', '0'], { input });
    await letTimePass(30, 'the next produce run must get later CreateTimes (millisecond clock)');
  }
  const rows = (await consume(topic, '%o %T %s\n', 0)).map((l) => {
    const [o, t, s] = l.split(' ');
    return { offset: Number(o), ts: Number(t), value: s };
  });
  assert.equal(rows.length, 20);
  assert.deepEqual(
    rows.map((r) => r.offset),
    Array.from({ length: 20 }, (_, i) => i),
  );
  for (const r of rows) assert.ok(r.ts > 1_600_000_000_000, `CreateTime ${r.ts} of offset ${r.offset}`);
  for (const g of [1, 2, 3]) assert.ok(rows[g * 5]!.ts > rows[g * 5 - 1]!.ts, 'each produce run must have later timestamps');

  // expected answer: the first offset whose timestamp is >= the query, or -1 (end) when none
  const expectFor = (t: number): number => rows.find((r) => r.ts >= t)?.offset ?? -1;
  const query = async (t: number): Promise<number> => {
    const r = await kc(['-Q', '-t', `${topic}:0:${t}`]);
    const m = /^kcat-times \[0\] offset (-?\d+)$/m.exec(r.stdout);
    assert.ok(m !== null, `unexpected kcat -Q output: ${r.stdout}`);
    return Number(m[1]);
  };
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const probes = [
    0,
    first.ts - 1,
    first.ts,
    ...[5, 10, 15].map((o) => rows[o]!.ts),
    rows[12]!.ts + 1,
    last.ts,
    last.ts + 1,
    last.ts + 3_600_000,
  ];
  for (const t of probes) {
    assert.equal(await query(t), expectFor(t), `offset for timestamp ${t} (rows: ${JSON.stringify(rows.map((r) => r.ts))})`);
  }
});

test('kcat -L -J: metadata as JSON', async () => {
  await createTopic('kcat-meta-a', 1);
  await createTopic('kcat-meta-b', 4);
  const r = await kc(['-L', '-J']);
  interface Meta {
    originating_broker: { id: number; name: string };
    controllerid: number;
    brokers: Array<{ id: number; name: string }>;
    topics: Array<{
      topic: string;
      error?: string;
      partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }>; isrs: Array<{ id: number }> }>;
    }>;
  }
  const meta = JSON.parse(r.stdout) as Meta;
  assert.deepEqual(meta.brokers, [{ id: 1, name: broker.bootstrap }]);
  assert.equal(meta.originating_broker.id, 1);
  assert.equal(meta.controllerid, 1);
  const byName = new Map(meta.topics.map((t) => [t.topic, t]));
  for (const [name, count] of [
    ['kcat-meta-a', 1],
    ['kcat-meta-b', 4],
  ] as const) {
    const t = byName.get(name);
    assert.ok(t !== undefined, `${name} missing from ${r.stdout}`);
    assert.equal(t.error, undefined);
    assert.deepEqual(
      [...t.partitions].sort((a, b) => a.partition - b.partition),
      Array.from({ length: count }, (_, i) => ({ partition: i, leader: 1, replicas: [{ id: 1 }], isrs: [{ id: 1 }] })),
    );
  }
  // one topic only
  const one = JSON.parse((await kc(['-L', '-J', '-t', 'kcat-meta-b'])).stdout) as Meta;
  assert.deepEqual(
    one.topics.map((t) => t.topic),
    ['kcat-meta-b'],
  );
  assert.equal(one.topics[0]!.partitions.length, 4);
});
