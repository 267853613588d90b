/**
 * A partition's leader, replicas, ISR and ELR as Metadata (3) and DescribeTopicPartitions (75)
 * answer them: from the broker's metadata image (the one node is every partition's only replica
 * until replication; the image already says so).
 */
import type { BrokerContext } from '../broker-context.js';
import { assert } from '../io/assert.js';
import { NO_LEADER } from '../metadata/metadata-image.js';
import { ErrorCode } from '../protocol/error-codes.js';

export interface PartitionState {
  errorCode: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  eligibleLeaderReplicas: number[];
  lastKnownElr: number[];
  offlineReplicas: number[];
}

export function partitionState(broker: BrokerContext, topicId: string, index: number): PartitionState {
  const registration = broker.topics.metadataImage.topicById(topicId)?.partitions.get(index);
  assert(registration, `partition ${index} of topic ${topicId} is not in the metadata image`);
  return {
    // Kafka's metadata cache: a partition without a leader answers LEADER_NOT_AVAILABLE, leader -1.
    errorCode: registration.leader === NO_LEADER ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
    leaderId: registration.leader,
    leaderEpoch: registration.leaderEpoch,
    replicaNodes: [...registration.replicas],
    isrNodes: [...registration.isr],
    eligibleLeaderReplicas: [...registration.elr],
    lastKnownElr: [...registration.lastKnownElr],
    offlineReplicas: [],
  };
}
