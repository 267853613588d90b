// A clean shutdown of a broker with thousands of partitions finishes instead of being forced
// (closes run in parallel, two fsyncs each; the forced-exit deadline is fjord.shutdown.timeout.ms
// plus a few ms per partition), so the next start needs no recovery. Asserts the outcome (exit
// code 0, a clean-shutdown marker in every partition, a start without recovery), not a duration.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import kafkajs from 'kafkajs';
import { defaultTarget, startBroker, type BrokerHandle } from '../harness/broker.js';
import { waitFor } from '../harness/wait.js';

const { Kafka, logLevel } = kafkajs;

const TOPICS = 30;
const PARTITIONS_PER_TOPIC = 100;

let broker: BrokerHandle | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'fjord-shutdown-'));

after(async () => {
  await broker?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test(
  `clean shutdown with ${TOPICS * PARTITIONS_PER_TOPIC} written partitions is not forced; the next start recovers nothing`,
  { skip: defaultTarget() === 'kafka' ? "Fjord's shutdown and data directory" : false },
  async () => {
    broker = await startBroker({ dataDir });
    const kafka = new Kafka({
      clientId: 'storage-shutdown',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      requestTimeout: 120_000,
    });
    const admin = kafka.admin();
    await admin.connect();
    const topics = Array.from({ length: TOPICS }, (_, i) => `many-${i}`);
    assert.equal(
      await admin.createTopics({
        topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS_PER_TOPIC, replicationFactor: 1 })),
        timeout: 120_000,
      }),
      true,
    );
    // One record in every partition: each close then has data to fsync, indexes and a snapshot to write.
    const producer = kafka.producer();
    await producer.connect();
    await producer.sendBatch({
      acks: -1,
      topicMessages: topics.map((topic) => ({
        topic,
        messages: Array.from({ length: PARTITIONS_PER_TOPIC }, (_, partition) => ({ partition, value: `${topic}/${partition}` })),
      })),
    });
    await producer.disconnect();
    await admin.disconnect();

    const pid = broker.pid;
    // SIGTERM, then wait for the exit (the data stays: the test owns the directory).
    await broker.stop();
    const logs = broker.logs();
    assert.doesNotMatch(logs, /shutdown timed out/, 'the shutdown was forced');
    assert.match(logs, new RegExp(`broker process ${pid} exited: code=0 signal=null`), 'the broker did not exit cleanly');

    const partitionDirs = readdirSync(dataDir).filter((name) => /^many-\d+-\d+$/.test(name));
    assert.equal(partitionDirs.length, TOPICS * PARTITIONS_PER_TOPIC);
    const unclean = partitionDirs.filter((name) => !existsSync(join(dataDir, name, '.clean-shutdown')));
    assert.deepEqual(unclean.slice(0, 10), [], `${unclean.length} partitions were not closed cleanly`);

    broker = await startBroker({ dataDir });
    // The start-up line comes through stdout, readiness through the socket: wait for the line.
    const restarted = broker;
    const started = await waitFor('the start-up line', () => /Fjord broker started (\{.*\})/.exec(restarted.logs()), {
      diagnostics: () => restarted.logs().slice(-3000),
    });
    const fields = JSON.parse(started[1]!) as { partitions: number; partitionsRecovered: number };
    assert.equal(fields.partitions, TOPICS * PARTITIONS_PER_TOPIC + 50);
    assert.equal(fields.partitionsRecovered, 0, 'the start after a clean shutdown recovered partitions');
    const reader = new Kafka({ clientId: 'storage-shutdown-check', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await reader.connect();
    const offsets = await reader.fetchTopicOffsets('many-7');
    await reader.disconnect();
    assert.deepEqual(
      offsets.map((o) => o.high),
      Array.from({ length: PARTITIONS_PER_TOPIC }, () => '1'),
    );
  },
);
