// Committed offsets survive a broker crash: a group commits offsets, the broker is killed with
// SIGKILL (kill -9) and restarted on the same data directory, and the group resumes exactly after
// its last committed offsets: nothing committed is delivered again, nothing is skipped.
//   A. kafkajs commits chosen offsets (partition 0: 10, then 37; partition 1: 50; partition 2: none)
//      -> kill -9 -> restart
//   B. a Java consumer (test/java/GroupConsumer.java) of the group starts exactly at 37/50/0, reads
//      to the end and commits; 10 more records per partition; -> kill -9 -> restart
//   C. a Java consumer reads exactly the 10 new records per partition and commits; the broker is
//      killed and restarted while this consumer stays alive; it then reads exactly the records
//      produced after the restart.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs, { type Kafka as KafkaT } from 'kafkajs';
import { startBroker, type BrokerHandle } from '../harness/broker.js';
import { JavaConsumer } from '../harness/java-consumer.js';
import { waitFor } from '../harness/wait.js';

const { Kafka, logLevel } = kafkajs;
process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

let broker: BrokerHandle;

before(async () => {
  broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': '0' } });
});

after(async () => {
  for (const c of JavaConsumer.all) c.kill();
  await broker?.stop();
});

// ---- the scenario ------------------------------------------------------------------------------

const TOPIC = 'restart-topic';
const GROUP = 'restart-group';
const P = 3;

/** A fresh kafkajs client (connections of the previous one died with the broker). */
function client(): KafkaT {
  return new Kafka({ clientId: 'groups-restart', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10 } });
}

const value = (p: number, i: number) => `v-${p}-${i}`;

/** Produces records [from, to) to every partition. */
async function produce(from: number, to: number): Promise<void> {
  const producer = client().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let p = 0; p < P; p++) {
      const res = await producer.send({
        topic: TOPIC,
        messages: Array.from({ length: to - from }, (_, j) => ({ partition: p, value: value(p, from + j) })),
      });
      assert.equal(res[0]?.baseOffset, String(from), `base offset of the batch to partition ${p}`);
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * The group's committed offsets per partition (-1: none). Right after a restart the coordinator
 * may still be loading the group (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, ...): kafkajs'
 * admin does not retry those, so retry here as long as the error is retriable.
 */
async function committedOffsets(): Promise<number[]> {
  const admin = client().admin();
  await admin.connect();
  try {
    const got = await waitFor(`the committed offsets of ${GROUP} (the coordinator may still be loading)`, async () => {
      try {
        const res = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
        return { offsets: [...(res[0]?.partitions ?? [])].sort((a, b) => a.partition - b.partition).map((x) => Number(x.offset)) };
      } catch (e) {
        if ((e as { retriable?: unknown }).retriable === true) throw e; // not yet: waitFor retries and reports the last one
        return { error: e };
      }
    });
    if ('error' in got) throw got.error;
    return got.offsets;
  } finally {
    await admin.disconnect();
  }
}

async function crashAndRestart(): Promise<void> {
  const pid = broker.pid;
  await broker.kill9();
  assert.match(broker.logs(), new RegExp(`broker process ${pid} exited: code=null signal=SIGKILL`));
  await broker.restart();
  assert.notEqual(broker.pid, pid);
}

/** Records of a consumer per partition as "offset value" strings. */
function byPartition(c: JavaConsumer): string[][] {
  const out: string[][] = Array.from({ length: P }, () => []);
  for (const r of c.records()) out[r.p]?.push(`${r.o} ${r.value}`);
  return out;
}

const expectRange = (p: number, from: number, to: number) =>
  Array.from({ length: to - from }, (_, j) => `${from + j} ${value(p, from + j)}`);

test(
  'committed offsets survive kill -9 of the broker; the group resumes exactly after them (needs group coordinator)',
  { timeout: 240_000 },
  async () => {
    const admin = client().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: P, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();
    await produce(0, 100);

    // A. a kafkajs group member commits chosen offsets: partition 0 first 10 then 37, partition 1
    //    50, partition 2 nothing
    const kafka = client();
    const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 6000, heartbeatInterval: 500 });
    let seen = 0;
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async () => {
          seen++;
        },
      });
      await waitFor('the kafkajs consumer to see all 300 records', () => seen >= 300, { diagnostics: () => `${seen} of 300 seen` });
      await consumer.commitOffsets([{ topic: TOPIC, partition: 0, offset: '10' }]);
      await consumer.commitOffsets([
        { topic: TOPIC, partition: 0, offset: '37' },
        { topic: TOPIC, partition: 1, offset: '50' },
      ]);
    } finally {
      await consumer.disconnect();
    }
    assert.deepEqual(await committedOffsets(), [37, 50, -1], 'committed before the crash');

    await crashAndRestart();
    assert.deepEqual(await committedOffsets(), [37, 50, -1], 'committed after kill -9 and restart');

    // B. a Java member resumes exactly there (partition 2 without a commit: auto.offset.reset=earliest)
    const b = await JavaConsumer.launch(broker.bootstrap, 'java-b', TOPIC, GROUP, 'range');
    b.send('start');
    await b.waitFor('commits up to 100', () => {
      const c = b.committed();
      return [0, 1, 2].every((p) => c.get(p) === 100) ? true : undefined;
    });
    await b.stop();
    assert.deepEqual(byPartition(b), [expectRange(0, 37, 100), expectRange(1, 50, 100), expectRange(2, 0, 100)]);
    assert.deepEqual(await committedOffsets(), [100, 100, 100]);

    await produce(100, 110);
    await crashAndRestart();
    assert.deepEqual(await committedOffsets(), [100, 100, 100], 'committed after the second kill -9 and restart');

    // C. only the new records; then a crash while this member is alive
    const c = await JavaConsumer.launch(broker.bootstrap, 'java-c', TOPIC, GROUP, 'range');
    c.send('start');
    await c.waitFor('commits up to 110', () => {
      const co = c.committed();
      return [0, 1, 2].every((p) => co.get(p) === 110) ? true : undefined;
    });
    assert.deepEqual(byPartition(c), [expectRange(0, 100, 110), expectRange(1, 100, 110), expectRange(2, 100, 110)]);

    await crashAndRestart();
    await produce(110, 120);
    await c.waitFor(
      'commits up to 120 after the restart',
      () => {
        const co = c.committed();
        return [0, 1, 2].every((p) => co.get(p) === 120) ? true : undefined;
      },
      90_000,
    );
    await c.stop();
    assert.deepEqual(byPartition(c), [expectRange(0, 100, 120), expectRange(1, 100, 120), expectRange(2, 100, 120)]);
    assert.deepEqual(await committedOffsets(), [120, 120, 120]);
  },
);
