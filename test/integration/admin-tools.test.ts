// Kafka's admin tools and client calls that a single node must answer as Kafka does:
// kafka-topics.sh --describe --topic-id, Metadata by id and with repeated topics,
// kafka-log-dirs.sh, kafka-acls.sh (no authorizer), kafka-features.sh, and a transactional
// producer's initTransactions() (Fjord has no transactions yet: it must fail at once, not hang).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs from 'kafkajs';
import { KafkaConnection } from '../../broker/src/client/kafka-connection.js';
import { decodeMetadataResponse, encodeMetadataRequest, type MetadataResponse } from '../../broker/src/protocol/generated/index.js';
import { startBroker, type BrokerHandle } from '../harness/broker.js';
import { ok, runJava, runTool, type RunResult } from '../harness/tools.js';

const { Kafka, logLevel } = kafkajs;

let broker: BrokerHandle;

before(async () => {
  broker = await startBroker();
});

after(async () => {
  await broker?.stop();
});

function tool(name: string, args: readonly string[]): Promise<RunResult> {
  return runTool(name, ['--bootstrap-server', broker.bootstrap, ...args], { timeoutMs: 90_000 });
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l.length > 0);

/** "Key: value" fields of a kafka-topics.sh --describe line (tab-separated). */
function fields(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of line.trim().split('\t')) {
    const i = part.indexOf(':');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

async function createTopic(topic: string, partitions: number): Promise<void> {
  ok(
    await tool('kafka-topics.sh', ['--create', '--topic', topic, '--partitions', String(partitions), '--replication-factor', '1']),
    `create ${topic}`,
  );
}

async function metadata(topics: Array<{ name: string | null; topicId?: string }>, version = 12): Promise<MetadataResponse> {
  const conn = await KafkaConnection.open(broker.host, broker.port, 'admin-tools-test');
  try {
    return await conn.send({
      apiKey: 3,
      apiVersion: version,
      // AllowAutoTopicCreation is v4+ (v1-3 never auto-create); the encoder refuses it below.
      encode: (w, v) => encodeMetadataRequest(w, v, { topics, ...(v >= 4 ? { allowAutoTopicCreation: false } : {}) }),
      decode: decodeMetadataResponse,
    });
  } finally {
    conn.close();
  }
}

const summary = (response: MetadataResponse) => response.topics.map((t) => [t.name, t.errorCode, t.topicId, t.partitions.length]);

test('kafka-topics.sh --describe --topic-id describes the topic with that id', async () => {
  const topic = 'described-by-id';
  await createTopic(topic, 2);
  const byName = lines(ok(await tool('kafka-topics.sh', ['--describe', '--topic', topic]), 'describe by name').stdout);
  const topicId = fields(byName[0]!)['TopicId']!;
  assert.match(topicId, /^[A-Za-z0-9_-]{22}$/);
  const byId = lines(ok(await tool('kafka-topics.sh', ['--describe', '--topic-id', topicId]), 'describe by id').stdout);
  const header = fields(byId[0]!);
  assert.equal(header['Topic'], topic);
  assert.equal(header['TopicId'], topicId);
  assert.equal(header['PartitionCount'], '2');
  assert.deepEqual(
    byId.slice(1).map((line) => [fields(line)['Partition'], fields(line)['Leader']]),
    [
      ['0', '1'],
      ['1', '1'],
    ],
  );
});

test('Metadata by topic id resolves the id whatever the name says; an unknown id is UNKNOWN_TOPIC_ID; each topic is answered once', async () => {
  const topic = 'metadata-by-id';
  await createTopic(topic, 3);
  const topicId = (await metadata([{ name: topic }])).topics[0]!.topicId;
  assert.notEqual(topicId, '0'.repeat(32));
  const unknownId = 'f'.repeat(32);
  // Kafka 4.4's Admin sends name "" with each id; a name next to an id is ignored.
  const byId = await metadata([
    { name: '', topicId },
    { name: 'not-this-one', topicId: unknownId },
    { name: '', topicId },
    { name: topic },
  ]);
  assert.deepEqual(summary(byId), [
    [null, 100, unknownId, 0],
    [topic, 0, topicId, 3],
  ]);
});

test('Metadata with the same topic named twice answers it once', async () => {
  const topic = 'metadata-twice';
  await createTopic(topic, 1);
  for (const version of [1, 9, 12]) {
    const response = await metadata([{ name: topic }, { name: topic }], version);
    assert.deepEqual(
      response.topics.map((t) => [t.name, t.errorCode]),
      [[topic, 0]],
      `Metadata v${version}`,
    );
  }
});

test('kafka-log-dirs.sh --describe lists the log directory and the size of every partition', async () => {
  const topic = 'log-dirs';
  await createTopic(topic, 2);
  const kafka = new Kafka({ clientId: 'admin-tools-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `record-${i}` })) });
  await producer.disconnect();
  const result = ok(await tool('kafka-log-dirs.sh', ['--describe', '--topic-list', topic]), 'kafka-log-dirs.sh --describe');
  const json = lines(result.stdout).find((line) => line.startsWith('{'));
  assert.ok(json !== undefined, `a JSON line in:\n${result.stdout}`);
  const described = JSON.parse(json) as {
    brokers: Array<{
      broker: number;
      logDirs: Array<{
        logDir: string;
        error: string | null;
        partitions: Array<{ partition: string; size: number; offsetLag: number; isFuture: boolean }>;
      }>;
    }>;
  };
  assert.equal(described.brokers.length, 1);
  assert.equal(described.brokers[0]!.broker, 1);
  const [logDir] = described.brokers[0]!.logDirs;
  assert.ok(logDir !== undefined && described.brokers[0]!.logDirs.length === 1, json);
  assert.equal(logDir.logDir, broker.dataDir);
  assert.equal(logDir.error, null);
  const partitions = new Map(logDir.partitions.map((p) => [p.partition, p]));
  assert.deepEqual([...partitions.keys()].sort(), [`${topic}-0`, `${topic}-1`]);
  assert.ok(partitions.get(`${topic}-0`)!.size > 0, `${topic}-0 holds the records: ${json}`);
  assert.equal(partitions.get(`${topic}-1`)!.size, 0);
  for (const partition of partitions.values()) {
    assert.equal(partition.offsetLag, 0);
    assert.equal(partition.isFuture, false);
  }
  const all = ok(await tool('kafka-log-dirs.sh', ['--describe']), 'kafka-log-dirs.sh --describe (every topic)');
  assert.match(all.stdout, new RegExp(`"partition":"${topic}-1"`));
});

test('kafka-acls.sh without an authorizer: SecurityDisabledException "No Authorizer is configured"', async () => {
  const list = await tool('kafka-acls.sh', ['--list']);
  assert.equal(list.code, 1, list.stdout + list.stderr);
  assert.match(list.stdout, /SecurityDisabledException: No Authorizer is configured on the broker/);
  const acl = ['--allow-principal', 'User:alice', '--operation', 'Read', '--topic', 'acl-topic'];
  const add = await tool('kafka-acls.sh', ['--add', ...acl]);
  assert.equal(add.code, 1, add.stdout + add.stderr);
  assert.match(add.stdout, /SecurityDisabledException: No Authorizer is configured/);
  const remove = await tool('kafka-acls.sh', ['--remove', '--force', ...acl]);
  assert.equal(remove.code, 1, remove.stdout + remove.stderr);
  assert.match(remove.stdout, /SecurityDisabledException: No Authorizer is configured\./);
});

test('kafka-features.sh describe lists the features with the levels the broker implements', async () => {
  const out = ok(await tool('kafka-features.sh', ['describe']), 'kafka-features.sh describe').stdout;
  const features = new Map(
    lines(out).map((line) => {
      const m =
        /^Feature: (\S+)\s+SupportedMinVersion: (\S+)\s+SupportedMaxVersion: (\S+)\s+FinalizedVersionLevel: (\S+)\s+Epoch: (\S+)/.exec(
          line,
        );
      assert.ok(m !== null, `unexpected kafka-features.sh line: ${line}`);
      return [m[1]!, m.slice(2, 5).join(' ')] as const;
    }),
  );
  // Kafka 4.x always lists these four.
  for (const name of ['metadata.version', 'kraft.version', 'group.version', 'transaction.version'])
    assert.ok(features.has(name), `${name} in:\n${out}`);
  if (broker.target === 'fjord') {
    // docs/compatibility.md: no KIP-848 groups, transactions, Raft quorum, share or streams groups.
    assert.deepEqual(Object.fromEntries(features), {
      'eligible.leader.replicas.version': '0 0 0',
      'group.version': '0 0 0',
      'kraft.version': '0 0 0',
      'metadata.version': '3.3-IV3 3.3-IV3 3.3-IV3',
      'share.version': '0 0 0',
      'streams.version': '0 0 0',
      'transaction.version': '0 0 0',
    });
  }
});

test('initTransactions() on a broker without transactions fails at once with a message saying so', async () => {
  const result = ok(
    await runJava('TransactionalInit', [broker.bootstrap, 'admin-tools-txn', '60000'], { timeoutMs: 180_000 }),
    'TransactionalInit',
  );
  const outcome = lines(result.stdout).at(-1) ?? '';
  if (broker.target === 'kafka') {
    assert.equal(outcome, 'INITIALIZED');
    return;
  }
  // Before the fix the producer retried COORDINATOR_NOT_AVAILABLE until max.block.ms and then
  // threw a TimeoutException ("Timeout expired after 60000ms while awaiting InitProducerId").
  assert.match(
    outcome,
    /^FAILED org\.apache\.kafka\.common\.KafkaException: .*Transactions are not supported by this broker yet/,
    result.stdout,
  );
});
