import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Broker } from '../broker.js';
import { loadBrokerConfig } from '../config/broker-config.js';
import { TOPIC_CONFIGS } from '../config/topic-config.js';
import { createLogger } from '../io/logger.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { ErrorCode } from '../protocol/error-codes.js';
import * as codec from '../protocol/generated/index.js';
import { handlerFor, type RequestInfo } from './registry.js';

/**
 * Admin APIs end to end: an in-process broker driven by kafkajs 2.2.4 (its admin sends
 * CreateTopics v3, DeleteTopics v1, CreatePartitions v1, DescribeConfigs v2, AlterConfigs v1,
 * DeleteRecords v1), plus codec round trips through the registered handlers for the versions and
 * APIs kafkajs does not send (flexible versions, topic ids, IncrementalAlterConfigs,
 * OffsetForLeaderEpoch, DescribeCluster, DescribeTopicPartitions).
 */

let broker: Broker;
let admin: Admin;
let kafka: Kafka;
let dataDir: string;

type Encode<I> = (w: Writer, v: number, m: I) => void;
type Decode<O> = (r: Reader, v: number) => O;

/** Request encoded with the generated codec, decoded and handled by the registered handler, response decoded back. */
async function call<I, O>(apiKey: number, version: number, encode: Encode<I>, input: I, decode: Decode<O>): Promise<O> {
  const handler = handlerFor(apiKey);
  assert.ok(handler, `no handler for API key ${apiKey}`);
  assert.ok(
    version >= handler.minVersion && version <= handler.maxVersion,
    `v${version} outside ${handler.minVersion}-${handler.maxVersion}`,
  );
  const request = new Writer();
  encode(request, version, input);
  const decoded = handler.decodeRequest(new Reader(request.toBuffer()), version);
  const info: RequestInfo = { apiKey, apiVersion: version, correlationId: 1, clientId: 'test', connectionId: 1, clientHost: '127.0.0.1' };
  const response = await handler.handle(decoded, info, broker.context);
  const out = new Writer();
  handler.encodeResponse(out, version, response);
  const reader = new Reader(out.toBuffer());
  return decode(reader, version);
}

async function expectRejects(promise: Promise<unknown>, type: string): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    type Rejection = {
      type?: string;
      errors?: Array<{ type?: string }>;
      partitions?: Array<{ error?: { type?: string } }>;
      originalError?: Rejection;
    };
    const outer = error as Rejection;
    // kafkajs wraps retried errors in KafkaJSNumberOfRetriesExceeded.originalError.
    const e = outer.originalError ?? outer;
    const types = [
      outer.type,
      e.type,
      ...(e.errors ?? []).map((inner) => inner.type),
      ...(e.partitions ?? []).map((inner) => inner.error?.type),
    ];
    assert.ok(types.includes(type), `expected ${type}, got ${String(error)} (${types.join(',')})`);
    return error;
  }
  assert.fail(`expected rejection with ${type}`);
}

async function describeTopic(name: string, includeSynonyms = false, configNames?: string[]) {
  const result = await admin.describeConfigs({ includeSynonyms, resources: [{ type: 2, name, ...(configNames ? { configNames } : {}) }] });
  assert.equal(result.resources.length, 1);
  return new Map(result.resources[0]!.configEntries.map((entry) => [entry.configName, entry]));
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'fjord-admin-'));
  const config = loadBrokerConfig(
    null,
    new Map([
      ['listeners', 'PLAINTEXT://127.0.0.1:0'],
      ['log.dirs', dataDir],
    ]),
  );
  broker = new Broker(config, createLogger('warn'));
  await broker.start();
  kafka = new Kafka({
    clientId: 'admin-test',
    brokers: [`127.0.0.1:${broker.boundPorts[0]}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
  admin = kafka.admin();
  await admin.connect();
});

after(async () => {
  await admin?.disconnect();
  await broker?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('registered version ranges (Kafka 4.0.1)', () => {
  it('matches the advertised ranges', () => {
    const expected: Array<[number, number, number]> = [
      [19, 2, 7],
      [20, 1, 6],
      [21, 0, 2],
      [23, 2, 4],
      [32, 1, 4],
      [33, 0, 2],
      [37, 0, 3],
      [44, 0, 1],
      [60, 0, 2],
      [75, 0, 0],
    ];
    for (const [key, min, max] of expected) {
      const handler = handlerFor(key);
      assert.ok(handler, `API key ${key}`);
      assert.deepEqual([handler.minVersion, handler.maxVersion], [min, max], `API key ${key}`);
    }
  });
});

describe('CreateTopics', () => {
  it('creates topics with explicit and default partition counts', async () => {
    assert.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }, { topic: 'defaults' }] }), true);
    const { topics } = await admin.fetchTopicMetadata({ topics: ['orders', 'defaults'] });
    const orders = topics.find((topic) => topic.name === 'orders')!;
    assert.deepEqual(orders.partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr]).sort(), [
      [0, 1, [1], [1]],
      [1, 1, [1], [1]],
      [2, 1, [1], [1]],
    ]);
    assert.equal(topics.find((topic) => topic.name === 'defaults')!.partitions.length, 1);
  });

  it('answers TOPIC_ALREADY_EXISTS for an existing topic (kafkajs returns false)', async () => {
    assert.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 1 }] }), false);
    assert.equal(broker.context.topics.get('orders')!.partitions.length, 3);
  });

  it('validateOnly creates nothing', async () => {
    assert.equal(
      await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'ghost', numPartitions: 2 }] }),
      true,
    );
    assert.ok(!(await admin.listTopics()).includes('ghost'));
    assert.equal(broker.context.topics.get('ghost'), undefined);
  });

  it('rejects bad configs, replication factors and assignments', async () => {
    await expectRejects(
      admin.createTopics({ topics: [{ topic: 'bad1', configEntries: [{ name: 'retention.ms', value: 'abc' }] }] }),
      'INVALID_CONFIG',
    );
    await expectRejects(
      admin.createTopics({ topics: [{ topic: 'bad2', configEntries: [{ name: 'no.such.config', value: '1' }] }] }),
      'INVALID_CONFIG',
    );
    await expectRejects(admin.createTopics({ topics: [{ topic: 'bad3', replicationFactor: 3 }] }), 'INVALID_REPLICATION_FACTOR');
    await expectRejects(
      admin.createTopics({ topics: [{ topic: 'bad4', replicaAssignment: [{ partition: 0, replicas: [2] }] }] }),
      'INVALID_REPLICA_ASSIGNMENT',
    );
    await expectRejects(admin.createTopics({ topics: [{ topic: 'bad name!' }] }), 'INVALID_TOPIC_EXCEPTION');
    for (const name of ['bad1', 'bad2', 'bad3', 'bad4']) assert.equal(broker.context.topics.get(name), undefined);
  });

  it('v7 answers partitions, replication factor, every config and the topic id; errors carry Kafka messages', async () => {
    const response = await call(
      19,
      7,
      codec.encodeCreateTopicsRequest,
      {
        topics: [
          {
            name: 'v7-topic',
            numPartitions: -1,
            replicationFactor: -1,
            assignments: [],
            configs: [{ name: 'retention.ms', value: '12345' }],
          },
          { name: 'v7-rf', numPartitions: 1, replicationFactor: 2, assignments: [], configs: [] },
          { name: 'v7-parts', numPartitions: 0, replicationFactor: 1, assignments: [], configs: [] },
          {
            name: 'v7-assigned',
            numPartitions: -1,
            replicationFactor: -1,
            assignments: [
              { partitionIndex: 0, brokerIds: [1] },
              { partitionIndex: 1, brokerIds: [1] },
            ],
            configs: [],
          },
          { name: 'v7-null', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: null }] },
          { name: 'dup', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
          { name: 'dup', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        ],
        timeoutMs: 1000,
        validateOnly: false,
      },
      codec.decodeCreateTopicsResponse,
    );
    const byName = new Map(response.topics.map((topic) => [topic.name, topic]));
    const created = byName.get('v7-topic')!;
    assert.equal(created.errorCode, ErrorCode.NONE);
    assert.equal(created.numPartitions, 1);
    assert.equal(created.replicationFactor, 1);
    assert.equal(created.topicId, broker.context.topics.get('v7-topic')!.topicId);
    assert.notEqual(created.topicId, '00000000000000000000000000000000');
    assert.deepEqual(
      created.configs!.map((config) => config.name),
      TOPIC_CONFIGS.map((config) => config.name),
    );
    const retention = created.configs!.find((config) => config.name === 'retention.ms')!;
    assert.deepEqual({ ...retention }, { name: 'retention.ms', value: '12345', readOnly: false, configSource: 1, isSensitive: false });
    const segment = created.configs!.find((config) => config.name === 'segment.bytes')!;
    assert.equal(segment.value, '1073741824');
    assert.equal(segment.configSource, 5);

    const rf = byName.get('v7-rf')!;
    assert.equal(rf.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
    assert.equal(
      rf.errorMessage,
      'Unable to replicate the partition 2 time(s): The target replication factor of 2 cannot be reached because only 1 broker(s) are registered.',
    );
    assert.equal(rf.numPartitions, -1);
    assert.equal(rf.replicationFactor, -1);
    assert.equal(byName.get('v7-parts')!.errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.equal(byName.get('v7-parts')!.errorMessage, 'Number of partitions was set to an invalid non-positive value.');
    assert.equal(byName.get('v7-assigned')!.errorCode, ErrorCode.NONE);
    assert.equal(byName.get('v7-assigned')!.numPartitions, 2);
    assert.equal(broker.context.topics.get('v7-assigned')!.partitions.length, 2);
    assert.equal(byName.get('v7-null')!.errorCode, ErrorCode.INVALID_CONFIG);
    assert.equal(byName.get('v7-null')!.errorMessage, 'Null value not supported for topic configs: retention.ms');
    assert.equal(byName.get('dup')!.errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(byName.get('dup')!.errorMessage, 'Duplicate topic name.');
    assert.equal(broker.context.topics.get('dup'), undefined);
  });

  it('v2 (non-flexible) round-trips and validateOnly at v5 reports without creating', async () => {
    const v2 = await call(
      19,
      2,
      codec.encodeCreateTopicsRequest,
      {
        topics: [{ name: 'v2-topic', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 1000,
        validateOnly: false,
      },
      codec.decodeCreateTopicsResponse,
    );
    assert.deepEqual(
      v2.topics.map((t) => [t.name, t.errorCode, t.errorMessage]),
      [['v2-topic', 0, null]],
    );
    assert.equal(broker.context.topics.get('v2-topic')!.partitions.length, 2);
    const v5 = await call(
      19,
      5,
      codec.encodeCreateTopicsRequest,
      {
        topics: [
          {
            name: 'v5-dry',
            numPartitions: 4,
            replicationFactor: -1,
            assignments: [],
            configs: [{ name: 'cleanup.policy', value: 'compact' }],
          },
        ],
        timeoutMs: 1000,
        validateOnly: true,
      },
      codec.decodeCreateTopicsResponse,
    );
    assert.equal(v5.topics[0]!.errorCode, 0);
    assert.equal(v5.topics[0]!.numPartitions, 4);
    assert.equal(v5.topics[0]!.configs!.find((c) => c.name === 'cleanup.policy')!.value, 'compact');
    assert.equal(broker.context.topics.get('v5-dry'), undefined);
  });
});

describe('CreatePartitions', () => {
  it('adds partitions, and rejects a non-increase with INVALID_PARTITIONS', async () => {
    await admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 5 }] });
    const { topics } = await admin.fetchTopicMetadata({ topics: ['orders'] });
    assert.deepEqual(topics[0]!.partitions.map((p) => p.partitionId).sort(), [0, 1, 2, 3, 4]);
    await expectRejects(admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 5 }] }), 'INVALID_PARTITIONS');
    await admin.createPartitions({ validateOnly: true, topicPartitions: [{ topic: 'orders', count: 8 }] });
    assert.equal(broker.context.topics.get('orders')!.partitions.length, 5);
  });

  it('returns one result per topic with Kafka messages (v3)', async () => {
    const response = await call(
      37,
      3,
      codec.encodeCreatePartitionsRequest,
      {
        topics: [
          { name: 'orders', count: 4, assignments: null },
          { name: 'orders-missing', count: 2, assignments: null },
          { name: 'defaults', count: 3, assignments: [{ brokerIds: [1] }] },
          { name: 'v2-topic', count: 3, assignments: [{ brokerIds: [7] }] },
        ],
        timeoutMs: 1000,
        validateOnly: false,
      },
      codec.decodeCreatePartitionsResponse,
    );
    assert.deepEqual(
      response.results.map((r) => [r.name, r.errorCode, r.errorMessage]),
      [
        ['orders', ErrorCode.INVALID_PARTITIONS, 'The topic orders currently has 5 partition(s); 4 would not be an increase.'],
        ['orders-missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.'],
        [
          'defaults',
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          'Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.',
        ],
        [
          'v2-topic',
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          'The manual partition assignment includes broker 7, but no such broker is registered.',
        ],
      ],
    );
    const v0 = await call(
      37,
      0,
      codec.encodeCreatePartitionsRequest,
      {
        topics: [{ name: 'defaults', count: 1, assignments: null }],
        timeoutMs: 1000,
        validateOnly: false,
      },
      codec.decodeCreatePartitionsResponse,
    );
    assert.deepEqual(
      v0.results.map((r) => [r.name, r.errorCode, r.errorMessage]),
      [['defaults', ErrorCode.INVALID_PARTITIONS, 'Topic already has 1 partition(s).']],
    );
  });
});

describe('DescribeConfigs / AlterConfigs / IncrementalAlterConfigs', () => {
  before(async () => {
    await admin.createTopics({
      topics: [
        {
          topic: 'configured',
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'retention.ms', value: '1000' },
          ],
        },
      ],
    });
  });

  it('lists every topic config, overrides with TOPIC_CONFIG source', async () => {
    const entries = await describeTopic('configured');
    assert.deepEqual([...entries.keys()].sort(), TOPIC_CONFIGS.map((c) => c.name).sort());
    assert.deepEqual(pick(entries.get('cleanup.policy')!), {
      configName: 'cleanup.policy',
      configValue: 'compact',
      readOnly: false,
      isSensitive: false,
      configSource: 1,
    });
    assert.equal(entries.get('retention.ms')!.configValue, '1000');
    assert.equal(entries.get('retention.ms')!.configSource, 1);
    assert.deepEqual(pick(entries.get('segment.bytes')!), {
      configName: 'segment.bytes',
      configValue: '1073741824',
      readOnly: false,
      isSensitive: false,
      configSource: 5,
    });
    assert.equal(entries.get('max.message.bytes')!.configValue, '1048588');
    assert.equal(entries.get('message.timestamp.type')!.configValue, 'CreateTime');
  });

  it('includes synonyms like Kafka and filters by config names', async () => {
    const entries = await describeTopic('configured', true);
    assert.deepEqual(entries.get('retention.ms')!.configSynonyms, [{ configName: 'retention.ms', configValue: '1000', configSource: 1 }]);
    assert.deepEqual(entries.get('segment.bytes')!.configSynonyms, [
      { configName: 'log.segment.bytes', configValue: '1073741824', configSource: 5 },
    ]);
    assert.deepEqual(entries.get('cleanup.policy')!.configSynonyms, [
      { configName: 'cleanup.policy', configValue: 'compact', configSource: 1 },
      { configName: 'log.cleanup.policy', configValue: 'delete', configSource: 5 },
    ]);
    const filtered = await describeTopic('configured', false, ['cleanup.policy', 'segment.ms']);
    assert.deepEqual([...filtered.keys()].sort(), ['cleanup.policy', 'segment.ms']);
  });

  it('v4 carries config types and documentation; unknown topic and resource types are errors', async () => {
    const response = await call(
      32,
      4,
      codec.encodeDescribeConfigsRequest,
      {
        resources: [
          {
            resourceType: 2,
            resourceName: 'configured',
            configurationKeys: ['retention.ms', 'cleanup.policy', 'preallocate', 'min.cleanable.dirty.ratio'],
          },
          { resourceType: 2, resourceName: 'nope', configurationKeys: null },
          { resourceType: 8, resourceName: '1', configurationKeys: null },
          { resourceType: 4, resourceName: '2', configurationKeys: null },
        ],
        includeSynonyms: true,
        includeDocumentation: true,
      },
      codec.decodeDescribeConfigsResponse,
    );
    const [topic, missing, logger, otherBroker] = response.results;
    assert.equal(topic!.errorCode, 0);
    assert.deepEqual(Object.fromEntries(topic!.configs.map((c) => [c.name, c.configType])), {
      'cleanup.policy': 7,
      'min.cleanable.dirty.ratio': 6,
      preallocate: 1,
      'retention.ms': 5,
    });
    assert.ok(topic!.configs.every((c) => typeof c.documentation === 'string' && c.documentation.length > 0));
    assert.deepEqual(
      [missing!.errorCode, missing!.errorMessage, missing!.configs.length],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The topic 'nope' does not exist.", 0],
    );
    assert.deepEqual([logger!.errorCode, logger!.errorMessage], [ErrorCode.INVALID_REQUEST, 'Unsupported resource type: BROKER_LOGGER']);
    assert.deepEqual(
      [otherBroker!.errorCode, otherBroker!.errorMessage],
      [ErrorCode.INVALID_REQUEST, 'Unexpected broker id, expected 1 or empty string, but received 2'],
    );
  });

  it('describes the broker resource, read-only', async () => {
    const result = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 4, name: '1' }] });
    const entries = new Map(result.resources[0]!.configEntries.map((entry) => [entry.configName, entry]));
    assert.deepEqual(pick(entries.get('num.partitions')!), {
      configName: 'num.partitions',
      configValue: '1',
      readOnly: true,
      isSensitive: false,
      configSource: 5,
    });
    assert.deepEqual(pick(entries.get('log.dirs')!), {
      configName: 'log.dirs',
      configValue: dataDir,
      readOnly: true,
      isSensitive: false,
      configSource: 4,
    });
    assert.equal(entries.get('log.retention.hours')!.configValue, '168');
    assert.equal(entries.get('log.retention.ms')!.configValue, null);
    assert.equal(entries.get('log.segment.bytes')!.configValue, '1073741824');
    assert.equal(entries.get('default.replication.factor')!.configValue, '1');
  });

  it('AlterConfigs replaces the whole override set; validateOnly and bad values change nothing', async () => {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: 'configured', configEntries: [{ name: 'retention.ms', value: '5000' }] }],
    });
    let entries = await describeTopic('configured');
    assert.deepEqual([entries.get('retention.ms')!.configValue, entries.get('retention.ms')!.configSource], ['5000', 1]);
    assert.deepEqual([entries.get('cleanup.policy')!.configValue, entries.get('cleanup.policy')!.configSource], ['delete', 5]);
    await admin.alterConfigs({
      validateOnly: true,
      resources: [{ type: 2, name: 'configured', configEntries: [{ name: 'retention.ms', value: '7' }] }],
    });
    await expectRejects(
      admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: 2, name: 'configured', configEntries: [{ name: 'retention.ms', value: 'soon' }] }],
      }),
      'INVALID_CONFIG',
    );
    await expectRejects(
      admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'nope', configEntries: [] }] }),
      'UNKNOWN_TOPIC_OR_PARTITION',
    );
    entries = await describeTopic('configured');
    assert.equal(entries.get('retention.ms')!.configValue, '5000');
    assert.deepEqual(broker.context.topics.get('configured')!.configs, { 'retention.ms': '5000' });
  });

  it('rejects dynamic broker configs cleanly', async () => {
    await expectRejects(
      admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: 4, name: '1', configEntries: [{ name: 'log.retention.ms', value: '1000' }] }],
      }),
      'INVALID_REQUEST',
    );
    const response = await call(
      44,
      1,
      codec.encodeIncrementalAlterConfigsRequest,
      {
        resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '1000' }] }],
        validateOnly: false,
      },
      codec.decodeIncrementalAlterConfigsResponse,
    );
    assert.equal(response.responses[0]!.errorCode, ErrorCode.INVALID_REQUEST);
    assert.match(response.responses[0]!.errorMessage!, /Dynamic broker configs are not supported/);
  });

  it('IncrementalAlterConfigs SET / DELETE / APPEND / SUBTRACT, v0 and v1', async () => {
    const alter = (
      version: number,
      configs: Array<{ name: string; configOperation: number; value: string | null }>,
      validateOnly = false,
    ) =>
      call(
        44,
        version,
        codec.encodeIncrementalAlterConfigsRequest,
        {
          resources: [{ resourceType: 2, resourceName: 'configured', configs }],
          validateOnly,
        },
        codec.decodeIncrementalAlterConfigsResponse,
      );
    let response = await alter(0, [
      { name: 'cleanup.policy', configOperation: 2, value: 'compact' },
      { name: 'segment.ms', configOperation: 0, value: '60000' },
    ]);
    assert.equal(response.responses[0]!.errorCode, 0);
    assert.deepEqual(broker.context.topics.get('configured')!.configs, {
      'retention.ms': '5000',
      'cleanup.policy': 'delete,compact',
      'segment.ms': '60000',
    });
    response = await alter(1, [
      { name: 'cleanup.policy', configOperation: 3, value: 'delete' },
      { name: 'retention.ms', configOperation: 1, value: null },
    ]);
    assert.equal(response.responses[0]!.errorCode, 0);
    assert.deepEqual(broker.context.topics.get('configured')!.configs, { 'cleanup.policy': 'compact', 'segment.ms': '60000' });
    response = await alter(1, [{ name: 'segment.ms', configOperation: 0, value: '1' }], true);
    assert.equal(response.responses[0]!.errorCode, 0);
    assert.equal(broker.context.topics.get('configured')!.configs['segment.ms'], '60000');
    response = await alter(1, [{ name: 'retention.ms', configOperation: 2, value: '5' }]);
    assert.deepEqual(
      [response.responses[0]!.errorCode, response.responses[0]!.errorMessage],
      [ErrorCode.INVALID_CONFIG, "Can't APPEND to key retention.ms because its type is not LIST."],
    );
    response = await alter(1, [{ name: 'cleanup.policy', configOperation: 2, value: 'bogus' }]);
    assert.equal(response.responses[0]!.errorCode, ErrorCode.INVALID_CONFIG);
    response = await alter(1, [{ name: 'made.up', configOperation: 0, value: '1' }]);
    assert.deepEqual(
      [response.responses[0]!.errorCode, response.responses[0]!.errorMessage],
      [ErrorCode.INVALID_CONFIG, 'Unknown topic config name: made.up'],
    );
    assert.deepEqual(broker.context.topics.get('configured')!.configs, { 'cleanup.policy': 'compact', 'segment.ms': '60000' });
  });
});

describe('DeleteRecords and OffsetForLeaderEpoch', () => {
  before(async () => {
    await admin.createTopics({ topics: [{ topic: 'records', numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'records', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, partition: 0 })) });
    await producer.disconnect();
  });

  it('moves the low watermark (kafkajs v1)', async () => {
    // kafkajs looks the leader up in its cached metadata, which only covers topics it was asked about.
    await admin.fetchTopicMetadata({ topics: ['records'] });
    await admin.deleteTopicRecords({ topic: 'records', partitions: [{ partition: 0, offset: '4' }] });
    let offsets = await admin.fetchTopicOffsets('records');
    assert.deepEqual(
      offsets.map((o) => [o.partition, o.low, o.high]),
      [[0, '4', '10']],
    );
    // kafkajs's retrier rewraps the per-partition error (OFFSET_OUT_OF_RANGE, checked at v2 below) and drops its type.
    await assert.rejects(
      admin.deleteTopicRecords({ topic: 'records', partitions: [{ partition: 0, offset: '20' }] }),
      /Error while deleting records/,
    );
    offsets = await admin.fetchTopicOffsets('records');
    assert.deepEqual(
      offsets.map((o) => [o.low, o.high]),
      [['4', '10']],
    );
  });

  it('returns the new low watermark; -1 means the high watermark (v2)', async () => {
    const deleteRecords = (partitions: Array<{ partitionIndex: number; offset: bigint }>, name = 'records') =>
      call(21, 2, codec.encodeDeleteRecordsRequest, { topics: [{ name, partitions }], timeoutMs: 1000 }, codec.decodeDeleteRecordsResponse);
    let response = await deleteRecords([
      { partitionIndex: 0, offset: 6n },
      { partitionIndex: 1, offset: 0n },
    ]);
    assert.deepEqual(
      response.topics[0]!.partitions.map((p) => [p.partitionIndex, p.errorCode, p.lowWatermark]),
      [
        [0, 0, 6n],
        [1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n],
      ],
    );
    response = await deleteRecords([{ partitionIndex: 0, offset: 2n }]);
    assert.deepEqual(
      response.topics[0]!.partitions.map((p) => [p.errorCode, p.lowWatermark]),
      [[0, 6n]],
    );
    response = await deleteRecords([{ partitionIndex: 0, offset: -7n }]);
    assert.deepEqual(
      response.topics[0]!.partitions.map((p) => [p.errorCode, p.lowWatermark]),
      [[ErrorCode.OFFSET_OUT_OF_RANGE, -1n]],
    );
    response = await deleteRecords([{ partitionIndex: 0, offset: 11n }]);
    assert.deepEqual(
      response.topics[0]!.partitions.map((p) => [p.errorCode, p.lowWatermark]),
      [[ErrorCode.OFFSET_OUT_OF_RANGE, -1n]],
    );
    response = await deleteRecords([{ partitionIndex: 0, offset: -1n }]);
    assert.deepEqual(
      response.topics[0]!.partitions.map((p) => [p.errorCode, p.lowWatermark]),
      [[0, 10n]],
    );
    // cleanup.policy=compact only: Kafka refuses with POLICY_VIOLATION.
    response = await deleteRecords([{ partitionIndex: 0, offset: 0n }], 'configured');
    assert.deepEqual(
      response.topics[0]!.partitions.map((p) => [p.errorCode, p.lowWatermark]),
      [[ErrorCode.POLICY_VIOLATION, -1n]],
    );
    const v0 = await call(
      21,
      0,
      codec.encodeDeleteRecordsRequest,
      { topics: [{ name: 'records', partitions: [{ partitionIndex: 0, offset: 3n }] }], timeoutMs: 1000 },
      codec.decodeDeleteRecordsResponse,
    );
    assert.deepEqual(
      v0.topics[0]!.partitions.map((p) => [p.errorCode, p.lowWatermark]),
      [[0, 10n]],
    );
  });

  it('answers epoch end offsets like LeaderEpochFileCache.endOffsetFor', async () => {
    for (const version of [2, 3, 4]) {
      const response = await call(
        23,
        version,
        codec.encodeOffsetForLeaderEpochRequest,
        {
          replicaId: -1,
          topics: [
            {
              topic: 'records',
              partitions: [
                { partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 },
                { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 3 },
                { partition: 0, currentLeaderEpoch: -1, leaderEpoch: -1 },
                { partition: 0, currentLeaderEpoch: 2, leaderEpoch: 0 },
                { partition: 5, currentLeaderEpoch: -1, leaderEpoch: 0 },
              ],
            },
            { topic: 'missing', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] },
          ],
        },
        codec.decodeOffsetForLeaderEpochResponse,
      );
      const rows = response.topics.flatMap((t) => t.partitions.map((p) => [t.topic, p.partition, p.errorCode, p.leaderEpoch, p.endOffset]));
      assert.deepEqual(
        rows,
        [
          ['records', 0, 0, 0, 10n],
          ['records', 0, 0, -1, -1n],
          ['records', 0, 0, -1, -1n],
          ['records', 0, ErrorCode.UNKNOWN_LEADER_EPOCH, -1, -1n],
          ['records', 5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1n],
          ['missing', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1n],
        ],
        `v${version}`,
      );
    }
  });
});

describe('DescribeCluster', () => {
  it('describes this node at v0, v1 and v2', async () => {
    for (const version of [0, 1, 2]) {
      const response = await call(
        60,
        version,
        codec.encodeDescribeClusterRequest,
        {
          includeClusterAuthorizedOperations: version === 2,
          endpointType: 1,
          includeFencedBrokers: false,
        },
        codec.decodeDescribeClusterResponse,
      );
      assert.equal(response.errorCode, 0);
      assert.equal(response.clusterId, broker.context.clusterId);
      assert.equal(response.controllerId, 1);
      assert.deepEqual(
        response.brokers.map((b) => [b.brokerId, b.host, b.port, b.rack]),
        [[1, '127.0.0.1', broker.boundPorts[0], null]],
      );
      assert.equal(response.clusterAuthorizedOperations, version === 2 ? 8096 : -2147483648);
    }
    const controller = await call(
      60,
      1,
      codec.encodeDescribeClusterRequest,
      { includeClusterAuthorizedOperations: false, endpointType: 2 },
      codec.decodeDescribeClusterResponse,
    );
    assert.equal(controller.errorCode, 114);
    const cluster = await admin.describeCluster();
    assert.equal(cluster.controller, 1);
    assert.equal(cluster.clusterId, broker.context.clusterId);
  });
});

describe('DescribeTopicPartitions', () => {
  it('pages through partitions with a cursor', async () => {
    await admin.createTopics({
      topics: [
        { topic: 'page-a', numPartitions: 3 },
        { topic: 'page-b', numPartitions: 2 },
      ],
    });
    const describeTopics = (names: string[], limit: number, cursor: { topicName: string; partitionIndex: number } | null) =>
      call(
        75,
        0,
        codec.encodeDescribeTopicPartitionsRequest,
        { topics: names.map((name) => ({ name })), responsePartitionLimit: limit, cursor },
        codec.decodeDescribeTopicPartitionsResponse,
      );
    const shape = (response: codec.DescribeTopicPartitionsResponse) => ({
      topics: response.topics.map((t) => [t.name, t.errorCode, t.partitions.map((p) => p.partitionIndex)]),
      next: response.nextCursor && [response.nextCursor.topicName, response.nextCursor.partitionIndex],
    });
    let response = await describeTopics(['page-b', 'page-a', 'page-zz'], 2, null);
    assert.deepEqual(shape(response), { topics: [['page-a', 0, [0, 1]]], next: ['page-a', 2] });
    assert.equal(response.topics[0]!.topicId, broker.context.topics.get('page-a')!.topicId);
    assert.deepEqual(response.topics[0]!.partitions[0]!.replicaNodes, [1]);
    response = await describeTopics(['page-b', 'page-a', 'page-zz'], 2, response.nextCursor);
    assert.deepEqual(shape(response), {
      topics: [
        ['page-a', 0, [2]],
        ['page-b', 0, [0]],
      ],
      next: ['page-b', 1],
    });
    response = await describeTopics(['page-b', 'page-a', 'page-zz'], 2, response.nextCursor);
    assert.deepEqual(shape(response), {
      topics: [
        ['page-b', 0, [1]],
        ['page-zz', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []],
      ],
      next: null,
    });
    response = await describeTopics(['page-a'], 3, null);
    assert.deepEqual(shape(response), { topics: [['page-a', 0, [0, 1, 2]]], next: null });
    response = await describeTopics([], 2000, null);
    assert.deepEqual(
      response.topics.map((t) => t.name),
      broker.context.topics
        .list()
        .map((t) => t.name)
        .sort(),
    );
  });
});

describe('DeleteTopics', () => {
  it('deletes by name (kafkajs v1) and reports unknown topics', async () => {
    await admin.deleteTopics({ topics: ['defaults'] });
    assert.ok(!(await admin.listTopics()).includes('defaults'));
    assert.equal(broker.context.topics.get('defaults'), undefined);
    // UNKNOWN_TOPIC_OR_PARTITION is retriable for kafkajs, so it surfaces as KafkaJSNumberOfRetriesExceeded with the error's text.
    await assert.rejects(admin.deleteTopics({ topics: ['never-existed'] }), /This server does not host this topic-partition/);
  });

  it('deletes by topic id at v6', async () => {
    const topicId = broker.context.topics.get('v2-topic')!.topicId;
    const v7TopicId = broker.context.topics.get('v7-topic')!.topicId;
    const response = await call(
      20,
      6,
      codec.encodeDeleteTopicsRequest,
      {
        topics: [
          { name: null, topicId },
          { name: null, topicId: 'ffffffffffffffffffffffffffffffff' },
          { name: 'v7-topic', topicId: '00000000000000000000000000000000' },
          { name: 'v7-assigned', topicId: broker.context.topics.get('v7-assigned')!.topicId },
        ],
        timeoutMs: 1000,
      },
      codec.decodeDeleteTopicsResponse,
    );
    assert.deepEqual(
      response.responses.map((r) => [r.name, r.topicId, r.errorCode, r.errorMessage]),
      [
        [
          'v7-assigned',
          broker.context.topics.get('v7-assigned')!.topicId,
          ErrorCode.INVALID_REQUEST,
          'You may not specify both topic name and topic id.',
        ],
        [null, 'ffffffffffffffffffffffffffffffff', ErrorCode.UNKNOWN_TOPIC_ID, 'This server does not host this topic ID.'],
        ['v2-topic', topicId, 0, null],
        ['v7-topic', v7TopicId, 0, null],
      ],
    );
    assert.equal(broker.context.topics.get('v2-topic'), undefined);
    assert.equal(broker.context.topics.get('v7-topic'), undefined);
    const v1 = await call(
      20,
      1,
      codec.encodeDeleteTopicsRequest,
      { topicNames: ['v2-topic', 'page-a'], timeoutMs: 1000 },
      codec.decodeDeleteTopicsResponse,
    );
    assert.deepEqual(
      v1.responses.map((r) => [r.name, r.errorCode]),
      [
        ['v2-topic', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ['page-a', 0],
      ],
    );
  });
});

function pick(entry: { configName: string; configValue: string | null; readOnly: boolean; isSensitive: boolean; configSource: number }) {
  const { configName, configValue, readOnly, isSensitive, configSource } = entry;
  return { configName, configValue, readOnly, isSensitive, configSource };
}
