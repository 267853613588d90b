/**
 * The metadata image over random, valid record sequences (seeded): a snapshot (the image written
 * as records, through Kafka's framing) rebuilds an identical image at every step, an image never
 * changes once a later one is built, applying records one delta at a time equals applying them
 * at once, and partition invariants hold (a directory per replica, epochs only grow).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConfigResourceType,
  MetadataImage,
  NO_LEADER,
  NO_LEADER_CHANGE,
  NO_PARTITION_CHANGE,
} from '../../broker/src/metadata/metadata-image.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from '../../broker/src/metadata/metadata-record.js';
import { formatStoredMetadata, RecordEncodingCache } from '../../broker/src/topics/metadata-store.js';
import { SeededRandom } from './random.js';
import { runSeeds } from './seeds.js';

const STEPS = 60;
const BROKER_IDS = [1, 2, 3, 4, 5];
const TOPIC_NAMES = ['a', 'b', 'c', 'd'];
const CONFIG_NAMES = ['retention.ms', 'segment.bytes', 'cleanup.policy'];
const DIRECTORY = 'dddddddddddddddddddddddddddddddd';

function uuid(random: SeededRandom): string {
  return Array.from({ length: 4 }, () => random.nextUint32().toString(16).padStart(8, '0')).join('');
}

function brokers(random: SeededRandom, count: number): number[] {
  return random.shuffled(BROKER_IDS).slice(0, count);
}

/** A record that the image accepts. */
function nextRecord(random: SeededRandom, image: MetadataImage): MetadataRecord {
  const topics = [...image.topicsByName.values()];
  const registered = [...image.brokers.values()];
  for (;;) {
    switch (random.int(10)) {
      case 0: {
        const brokerId = random.pick(BROKER_IDS);
        const previous = image.brokers.get(brokerId)?.epoch ?? 0n;
        return {
          type: 'RegisterBrokerRecord',
          version: 4,
          data: {
            brokerId,
            isMigratingZkBroker: false,
            incarnationId: uuid(random),
            brokerEpoch: previous + 1n + BigInt(random.int(3)),
            endPoints: [{ name: 'PLAINTEXT', host: `b${brokerId}`, port: 9092 + random.int(3), securityProtocol: 0 }],
            features: [],
            rack: random.chance(0.5) ? `rack-${random.int(2)}` : null,
            fenced: random.chance(0.5),
            inControlledShutdown: false,
            logDirs: random.chance(0.5) ? [DIRECTORY] : [],
            cordonedLogDirs: null,
          },
        };
      }
      case 1: {
        if (registered.length === 0) continue;
        const broker = random.pick(registered);
        return random.chance(0.5)
          ? { type: 'FenceBrokerRecord', version: 0, data: { id: broker.id, epoch: broker.epoch } }
          : { type: 'UnfenceBrokerRecord', version: 0, data: { id: broker.id, epoch: broker.epoch } };
      }
      case 2: {
        const free = TOPIC_NAMES.filter((name) => !image.topicsByName.has(name));
        if (free.length === 0) continue;
        return { type: 'TopicRecord', version: 0, data: { name: random.pick(free), topicId: uuid(random) } };
      }
      case 3: {
        if (topics.length === 0) continue;
        return { type: 'RemoveTopicRecord', version: 0, data: { topicId: random.pick(topics).id } };
      }
      case 4:
      case 5: {
        if (topics.length === 0) continue;
        const topic = random.pick(topics);
        const replicas = brokers(random, 1 + random.int(3));
        return {
          type: 'PartitionRecord',
          version: 2,
          data: {
            partitionId: topic.partitions.size,
            topicId: topic.id,
            replicas,
            isr: replicas.slice(0, 1 + random.int(replicas.length)),
            removingReplicas: [],
            addingReplicas: [],
            leader: replicas[0]!,
            leaderRecoveryState: 0,
            leaderEpoch: random.int(3),
            partitionEpoch: random.int(3),
            directories: random.chance(0.5) ? replicas.map(() => DIRECTORY) : [],
            eligibleLeaderReplicas: random.chance(0.2) ? [replicas[0]!] : null,
            lastKnownElr: null,
          },
        };
      }
      case 6: {
        const withPartitions = topics.filter((topic) => topic.partitions.size > 0);
        if (withPartitions.length === 0) continue;
        const topic = random.pick(withPartitions);
        const replicas = random.chance(0.3) ? brokers(random, 1 + random.int(3)) : null;
        return {
          type: 'PartitionChangeRecord',
          version: 2,
          data: {
            ...NO_PARTITION_CHANGE,
            topicId: topic.id,
            partitionId: random.int(topic.partitions.size),
            replicas,
            isr: random.chance(0.5) ? brokers(random, 1 + random.int(2)) : null,
            leader: random.pick([NO_LEADER_CHANGE, NO_LEADER_CHANGE, NO_LEADER, ...BROKER_IDS]),
            leaderRecoveryState: random.pick([-1, -1, 0, 1]),
            directories: replicas !== null && random.chance(0.5) ? replicas.map(() => DIRECTORY) : null,
            eligibleLeaderReplicas: random.chance(0.2) ? brokers(random, 1) : null,
            lastKnownElr: random.chance(0.2) ? brokers(random, 1) : null,
          },
        };
      }
      case 7: {
        const topic = random.chance(0.7) && topics.length > 0;
        return {
          type: 'ConfigRecord',
          version: 0,
          data: {
            resourceType: topic ? ConfigResourceType.TOPIC : ConfigResourceType.BROKER,
            resourceName: topic ? random.pick(topics).name : random.pick(['', '1', '2']),
            name: random.pick(CONFIG_NAMES),
            value: random.chance(0.3) ? null : `${random.int(1000)}`,
          },
        };
      }
      case 8:
        return random.chance(0.5)
          ? {
              type: 'FeatureLevelRecord',
              version: 0,
              data: { name: random.pick(['metadata.version', 'kraft.version']), featureLevel: random.int(3) },
            }
          : {
              type: 'ProducerIdsRecord',
              version: 0,
              data: { brokerId: 1, brokerEpoch: 1n, nextProducerId: BigInt(random.int(1_000_000)) },
            };
      default:
        if (topics.length === 0 || random.chance(0.5)) return { type: 'NoOpRecord', version: 0, data: {} };
        return { type: 'ClearElrRecord', version: 0, data: { topicName: random.chance(0.5) ? '' : random.pick(topics).name } };
    }
  }
}

function snapshotOf(image: MetadataImage): MetadataImage {
  const records = image.toRecords().map((record) => decodeMetadataRecord(encodeMetadataRecord(record)));
  return MetadataImage.EMPTY.apply(records, image.offset);
}

test('metadata image: snapshots, immutability, deltas and partition invariants over random record sequences', () => {
  runSeeds({ testFile: 'dist/test/sim/metadata-image.test.js', defaultSeeds: 100 }, (seed) => {
    const random = new SeededRandom(seed);
    const encodings = new RecordEncodingCache();
    let image = MetadataImage.EMPTY;
    const all: MetadataRecord[] = [];
    for (let step = 0; step < STEPS; step++) {
      const records = Array.from({ length: 1 + random.int(4) }, () => nextRecord(random, image));
      const before = image.toRecords();
      const previous = image;
      // Records are drawn against the image before the delta; one may no longer apply after an
      // earlier one of the same delta (a removed topic): then the delta is refused as a whole.
      let next: MetadataImage;
      try {
        next = image.apply(records, image.offset + records.length);
      } catch {
        assert.deepEqual(image.toRecords(), before, 'a refused delta changed the image');
        continue;
      }
      all.push(...records);
      assert.deepEqual(previous.toRecords(), before, 'building the next image changed the previous one');
      for (const topic of next.topicsByName.values()) {
        for (const [partitionId, partition] of topic.partitions) {
          assert.equal(partition.directories.length, partition.replicas.length, `${topic.name}-${partitionId}: directories`);
          const earlier = previous.topicById(topic.id)?.partitions.get(partitionId);
          if (earlier !== undefined) {
            assert.ok(partition.leaderEpoch >= earlier.leaderEpoch, `${topic.name}-${partitionId}: leader epoch went back`);
            assert.ok(partition.partitionEpoch >= earlier.partitionEpoch, `${topic.name}-${partitionId}: partition epoch went back`);
          }
        }
      }
      image = next;
      assert.deepEqual(snapshotOf(image), image, `step ${step}: the snapshot differs`);
      assert.equal(formatStoredMetadata(image, encodings), formatStoredMetadata(image), `step ${step}: reused encodings differ`);
    }
    assert.deepEqual(MetadataImage.EMPTY.apply(all, image.offset), image, 'one delta for every record differs from step by step');
  });
});
