import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from './metadata-record.js';
import {
  ConfigResourceType,
  DIRECTORY_MIGRATING,
  DIRECTORY_UNASSIGNED,
  MetadataImage,
  MetadataImageError,
  NO_LEADER,
  NO_PARTITION_CHANGE,
  type PartitionRegistration,
} from './metadata-image.js';

const ORDERS = '0000000000000000000000000000000a';
const PAYMENTS = '0000000000000000000000000000000b';
const DIR_1 = '11111111111111111111111111111111';
const DIR_2 = '22222222222222222222222222222222';
const DIR_3 = '33333333333333333333333333333333';

function topic(name: string, topicId: string): MetadataRecord {
  return { type: 'TopicRecord', version: 0, data: { name, topicId } };
}

function partition(topicId: string, partitionId: number, replicas: number[], leader = replicas[0]!): MetadataRecord {
  return {
    type: 'PartitionRecord',
    version: 2,
    data: {
      partitionId,
      topicId,
      replicas,
      isr: replicas,
      removingReplicas: [],
      addingReplicas: [],
      leader,
      leaderRecoveryState: 0,
      leaderEpoch: 0,
      partitionEpoch: 0,
      directories: [],
      eligibleLeaderReplicas: null,
      lastKnownElr: null,
    },
  };
}

function change(topicId: string, partitionId: number, fields: Partial<typeof NO_PARTITION_CHANGE>): MetadataRecord {
  return { type: 'PartitionChangeRecord', version: 2, data: { ...NO_PARTITION_CHANGE, topicId, partitionId, ...fields } };
}

function config(resourceType: number, resourceName: string, name: string, value: string | null): MetadataRecord {
  return { type: 'ConfigRecord', version: 0, data: { resourceType, resourceName, name, value } };
}

function register(brokerId: number, brokerEpoch: bigint, fenced = true): MetadataRecord {
  return {
    type: 'RegisterBrokerRecord',
    version: 4,
    data: {
      brokerId,
      isMigratingZkBroker: false,
      incarnationId: `${brokerId}`.padStart(32, '0'),
      brokerEpoch,
      endPoints: [{ name: 'PLAINTEXT', host: `broker-${brokerId}`, port: 9092, securityProtocol: 0 }],
      features: [{ name: 'metadata.version', minSupportedVersion: 7, maxSupportedVersion: 27 }],
      rack: brokerId === 1 ? 'rack-a' : null,
      fenced,
      inControlledShutdown: false,
      logDirs: [DIR_1],
      cordonedLogDirs: null,
    },
  };
}

/** Two topics over three brokers, configs of every kind, a feature and producer ids. */
function cluster(): MetadataRecord[] {
  return [
    { type: 'FeatureLevelRecord', version: 0, data: { name: 'metadata.version', featureLevel: 27 } },
    register(1, 10n),
    register(2, 20n),
    register(3, 30n),
    { type: 'UnfenceBrokerRecord', version: 0, data: { id: 1, epoch: 10n } },
    { type: 'UnfenceBrokerRecord', version: 0, data: { id: 2, epoch: 20n } },
    topic('orders', ORDERS),
    partition(ORDERS, 0, [1, 2, 3]),
    partition(ORDERS, 1, [2, 3, 1]),
    topic('payments', PAYMENTS),
    partition(PAYMENTS, 0, [3, 1, 2]),
    config(ConfigResourceType.TOPIC, 'orders', 'retention.ms', '1000'),
    config(ConfigResourceType.BROKER, '1', 'log.retention.ms', '5000'),
    config(ConfigResourceType.BROKER, '', 'num.io.threads', '16'),
    { type: 'ProducerIdsRecord', version: 0, data: { brokerId: 1, brokerEpoch: 10n, nextProducerId: 2000n } },
  ];
}

function partitionOf(image: MetadataImage, name: string, index: number): PartitionRegistration {
  const found = image.partition(name, index);
  assert.ok(found !== undefined, `no ${name}-${index}`);
  return found;
}

describe('metadata image', () => {
  it('applies a sequence of records and answers the queries handlers make', () => {
    const image = MetadataImage.EMPTY.apply(cluster(), 14);
    assert.equal(image.offset, 14);
    assert.equal(image.topic('orders')?.id, ORDERS);
    assert.equal(image.topicById(PAYMENTS)?.name, 'payments');
    assert.equal(image.topic('orders')?.partitions.size, 2);
    assert.equal(image.leaderOf('orders', 1), 2);
    assert.equal(image.leaderOf('orders', 7), null);
    assert.deepEqual(
      image.liveBrokers().map((broker) => broker.id),
      [1, 2],
    );
    assert.equal(image.brokers.get(1)?.rack, 'rack-a');
    assert.equal(image.brokers.get(3)?.fenced, true);
    assert.deepEqual(image.topicConfigs('orders'), { 'retention.ms': '1000' });
    assert.equal(image.configOf(ConfigResourceType.BROKER, '').get('num.io.threads'), '16');
    assert.equal(image.configOf(ConfigResourceType.BROKER, '1').get('log.retention.ms'), '5000');
    assert.equal(image.features.get('metadata.version'), 27);
    assert.equal(image.nextProducerId, 2000n);
    assert.deepEqual(partitionOf(image, 'orders', 0).directories, [DIRECTORY_MIGRATING, DIRECTORY_MIGRATING, DIRECTORY_MIGRATING]);
    assert.equal(image.withController(2).controllerId, 2);
    assert.equal(image.controllerId, -1, 'withController changed the image it was called on');
  });

  it('leaves the image it started from untouched', () => {
    const before = MetadataImage.EMPTY.apply(cluster(), 14);
    const after = before.apply(
      [
        change(ORDERS, 0, { leader: 2, isr: [2, 3] }),
        { type: 'RemoveTopicRecord', version: 0, data: { topicId: PAYMENTS } },
        config(ConfigResourceType.TOPIC, 'orders', 'retention.ms', null),
        { type: 'FenceBrokerRecord', version: 0, data: { id: 1, epoch: 10n } },
      ],
      18,
    );
    assert.equal(before.leaderOf('orders', 0), 1);
    assert.ok(before.topic('payments'));
    assert.deepEqual(before.topicConfigs('orders'), { 'retention.ms': '1000' });
    assert.equal(before.brokers.get(1)?.fenced, false);
    assert.equal(after.leaderOf('orders', 0), 2);
    assert.equal(after.topic('payments'), undefined);
    assert.equal(after.brokers.get(1)?.fenced, true);
    assert.equal(after.topic('orders')!.partitions.get(1), before.topic('orders')!.partitions.get(1), 'an untouched partition is shared');
  });

  it('merges a PartitionChangeRecord as Kafka does: defaults mean unchanged, a leader bumps the leader epoch', () => {
    const image = MetadataImage.EMPTY.apply(cluster(), 14);
    const start = partitionOf(image, 'orders', 0);

    const nothing = partitionOf(image.apply([change(ORDERS, 0, {})], 15), 'orders', 0);
    assert.deepEqual({ ...nothing, partitionEpoch: 0 }, start, 'an empty change changed more than the partition epoch');
    assert.equal(nothing.partitionEpoch, 1);

    const shrunk = partitionOf(image.apply([change(ORDERS, 0, { isr: [1, 2] })], 15), 'orders', 0);
    assert.deepEqual(shrunk.isr, [1, 2]);
    assert.equal(shrunk.leader, 1);
    assert.equal(shrunk.leaderEpoch, 0, 'an ISR change without a leader bumped the leader epoch');

    const sameLeader = partitionOf(image.apply([change(ORDERS, 0, { leader: 1 })], 15), 'orders', 0);
    assert.equal(sameLeader.leaderEpoch, 1, 'naming the same leader is a new leader epoch');

    const noLeader = partitionOf(image.apply([change(ORDERS, 0, { leader: NO_LEADER, isr: [] })], 15), 'orders', 0);
    assert.equal(noLeader.leader, NO_LEADER);
    assert.equal(noLeader.leaderEpoch, 1);
    assert.equal(image.apply([change(ORDERS, 0, { leader: NO_LEADER })], 15).leaderOf('orders', 0), null);

    const twice = partitionOf(
      image.apply([change(ORDERS, 0, { leader: 2 }), change(ORDERS, 0, { leader: 3, leaderRecoveryState: 1 })], 16),
      'orders',
      0,
    );
    assert.deepEqual([twice.leader, twice.leaderEpoch, twice.partitionEpoch, twice.leaderRecoveryState], [3, 2, 2, 1]);

    const elr = partitionOf(image.apply([change(ORDERS, 0, { eligibleLeaderReplicas: [2], lastKnownElr: [3] })], 15), 'orders', 0);
    assert.deepEqual([elr.elr, elr.lastKnownElr], [[2], [3]]);
    const cleared = image.apply(
      [
        change(ORDERS, 0, { eligibleLeaderReplicas: [2], lastKnownElr: [3] }),
        { type: 'ClearElrRecord', version: 0, data: { topicName: '' } },
      ],
      16,
    );
    assert.deepEqual(partitionOf(cleared, 'orders', 0).elr, []);
    assert.equal(partitionOf(cleared, 'orders', 0).partitionEpoch, 2);
    assert.equal(partitionOf(cleared, 'orders', 1).partitionEpoch, 0, 'ClearElrRecord changed a partition without an ELR');
  });

  it('moves directories with their replicas on a reassignment, as DirectoryId.createDirectoriesFrom', () => {
    const image = MetadataImage.EMPTY.apply([...cluster(), change(ORDERS, 0, { directories: [DIR_1, DIR_2, DIR_3] })], 15);
    assert.deepEqual(partitionOf(image, 'orders', 0).directories, [DIR_1, DIR_2, DIR_3]);
    const moved = partitionOf(image.apply([change(ORDERS, 0, { replicas: [3, 4, 1] })], 16), 'orders', 0);
    assert.deepEqual(moved.replicas, [3, 4, 1]);
    assert.deepEqual(moved.directories, [DIR_3, DIRECTORY_UNASSIGNED, DIR_1]);
    assert.throws(() => image.apply([change(ORDERS, 0, { replicas: [1, 2], directories: [DIR_1] })], 16), MetadataImageError);
  });

  it('removes a topic with its partitions and configs; a name can then be reused', () => {
    const image = MetadataImage.EMPTY.apply(cluster(), 14);
    const delta = image.delta();
    delta.replay({ type: 'RemoveTopicRecord', version: 0, data: { topicId: ORDERS } });
    const next = delta.apply(15);
    assert.equal(next.topic('orders'), undefined);
    assert.equal(next.topicById(ORDERS), undefined);
    assert.deepEqual(next.topicConfigs('orders'), {});
    const changes = delta.changes();
    assert.deepEqual(
      changes.removedTopics.map((removed) => [removed.name, removed.partitions.size]),
      [['orders', 2]],
    );
    assert.ok(changes.changedConfigs.has(`${ConfigResourceType.TOPIC}:orders`));
    const again = next.apply(
      [topic('orders', '0000000000000000000000000000000c'), partition('0000000000000000000000000000000c', 0, [1])],
      17,
    );
    assert.equal(again.topic('orders')?.id, '0000000000000000000000000000000c');
    assert.deepEqual(again.topicConfigs('orders'), {});
  });

  it('reports created topics and changed partitions; a topic created and removed in one delta is neither', () => {
    const delta = MetadataImage.EMPTY.apply(cluster(), 14).delta();
    delta.replay(topic('fresh', '0000000000000000000000000000000d'));
    delta.replay(partition('0000000000000000000000000000000d', 0, [1]));
    delta.replay(topic('brief', '0000000000000000000000000000000e'));
    delta.replay({ type: 'RemoveTopicRecord', version: 0, data: { topicId: '0000000000000000000000000000000e' } });
    delta.replay(change(PAYMENTS, 0, { isr: [3] }));
    const changes = delta.changes();
    assert.deepEqual([...changes.createdTopicIds], ['0000000000000000000000000000000d']);
    assert.deepEqual(changes.removedTopics, []);
    assert.deepEqual(
      [...changes.changedPartitions].map(([topicId, partitions]) => [topicId, [...partitions]]),
      [
        ['0000000000000000000000000000000d', [0]],
        [PAYMENTS, [0]],
      ],
    );
  });

  it('sets and deletes configs: a null value deletes, a resource without overrides disappears', () => {
    let image = MetadataImage.EMPTY.apply([topic('orders', ORDERS), config(ConfigResourceType.TOPIC, 'orders', 'a', '1')], 1);
    image = image.apply([config(ConfigResourceType.TOPIC, 'orders', 'b', '2'), config(ConfigResourceType.TOPIC, 'orders', 'a', '3')], 3);
    assert.deepEqual(image.topicConfigs('orders'), { a: '3', b: '2' });
    image = image.apply([config(ConfigResourceType.TOPIC, 'orders', 'a', null), config(ConfigResourceType.TOPIC, 'orders', 'b', null)], 5);
    assert.equal(image.configs.size, 0);
    assert.throws(() => image.apply([config(16, 'metrics', 'a', '1')], 6), MetadataImageError);
  });

  it('keeps broker registrations: fencing, registration changes, re-registration and unregistration check the epoch', () => {
    let image = MetadataImage.EMPTY.apply(cluster(), 14);
    image = image.apply(
      [
        {
          type: 'BrokerRegistrationChangeRecord',
          version: 3,
          data: { brokerId: 2, brokerEpoch: 20n, fenced: 1, inControlledShutdown: 1, logDirs: [], cordonedLogDirs: null },
        },
      ],
      15,
    );
    const changed = image.brokers.get(2)!;
    assert.deepEqual([changed.fenced, changed.inControlledShutdown, changed.logDirs], [true, true, [DIR_1]]);
    image = image.apply([register(2, 21n, false)], 16);
    assert.equal(image.brokers.get(2)?.epoch, 21n);
    assert.equal(image.brokers.get(2)?.inControlledShutdown, false);
    assert.throws(() => image.apply([{ type: 'FenceBrokerRecord', version: 0, data: { id: 2, epoch: 20n } }], 17), /epoch 20/);
    assert.throws(() => image.apply([{ type: 'UnfenceBrokerRecord', version: 0, data: { id: 9, epoch: 1n } }], 17), /not registered/);
    image = image.apply([{ type: 'UnregisterBrokerRecord', version: 0, data: { brokerId: 3, brokerEpoch: 30n } }], 17);
    assert.deepEqual([...image.brokers.keys()], [1, 2]);
    assert.deepEqual(
      image.apply([{ type: 'FeatureLevelRecord', version: 0, data: { name: 'metadata.version', featureLevel: 0 } }], 18).features.size,
      0,
    );
  });

  it('refuses records that contradict it and keeps the image it had', () => {
    const image = MetadataImage.EMPTY.apply(cluster(), 14);
    const cases: MetadataRecord[] = [
      partition('000000000000000000000000000000ff', 0, [1]),
      change(ORDERS, 9, { leader: 2 }),
      topic('orders', '000000000000000000000000000000ff'),
      topic('other', ORDERS),
      { type: 'RemoveTopicRecord', version: 0, data: { topicId: '000000000000000000000000000000ff' } },
    ];
    for (const record of cases) assert.throws(() => image.apply([record], 15), MetadataImageError, record.type);
    assert.throws(() => image.apply([], 13), /before the image's 14/);
    assert.equal(image.topic('orders')?.partitions.size, 2);
  });

  it('written as records (a snapshot) and read back, gives an identical image', () => {
    const image = MetadataImage.EMPTY.apply(
      [
        ...cluster(),
        change(ORDERS, 0, { leader: 2, isr: [2, 3], eligibleLeaderReplicas: [1], lastKnownElr: [1], directories: [DIR_1, DIR_2, DIR_3] }),
        change(PAYMENTS, 0, { replicas: [3, 1, 4], leaderRecoveryState: 1, leader: 4 }),
        { type: 'FenceBrokerRecord', version: 0, data: { id: 2, epoch: 20n } },
      ],
      17,
    );
    // Through Kafka's framing, as a snapshot file or the Raft log carries them.
    const records = image.toRecords().map((record) => decodeMetadataRecord(encodeMetadataRecord(record)));
    const rebuilt = MetadataImage.EMPTY.apply(records, image.offset);
    assert.deepEqual(rebuilt, image);
    assert.deepEqual(rebuilt.toRecords(), image.toRecords());
    assert.deepEqual(MetadataImage.EMPTY.toRecords(), []);
  });
});
