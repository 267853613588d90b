import {
  decodeOffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochRequest,
} from '../protocol/generated/offset-for-leader-epoch-request.js';
import {
  encodeOffsetForLeaderEpochResponse,
  type OffsetForLeaderEpochResponseInput,
} from '../protocol/generated/offset-for-leader-epoch-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { Partition } from '../topics/topic-registry.js';
import { checkLeaderEpoch } from './01-fetch.js';
import { registerHandler } from './registry.js';

type EpochEndOffset = NonNullable<NonNullable<OffsetForLeaderEpochResponseInput['topics']>[number]['partitions']>[number];

const UNDEFINED_EPOCH = -1;
const UNDEFINED_EPOCH_OFFSET = -1n;

/**
 * OffsetForLeaderEpoch (23), v2-4: the end offset of a leader epoch, for consumers validating
 * their position after a leader change (KIP-320) and for followers (v3+ ReplicaId).
 *
 * Kafka answers from its leader-epoch cache (LeaderEpochFileCache.endOffsetFor). On this node a
 * partition has had one leader epoch (partition.leaderEpoch) since it was created, so the cache
 * is the single entry {leaderEpoch -> logStartOffset}, and endOffsetFor gives:
 *   requested == UNDEFINED (-1)       -> (-1, -1)
 *   requested == current epoch        -> (current, log end offset)
 *   requested  > current epoch        -> (-1, -1)   (no higher entry)
 *   requested  < current epoch        -> (requested, start offset of the current epoch)
 * with error NONE in all four cases. CurrentLeaderEpoch is checked like Fetch
 * (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH).
 */
registerHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponseInput>({
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  minVersion: 2,
  maxVersion: 4,
  decodeRequest: decodeOffsetForLeaderEpochRequest,
  encodeResponse: encodeOffsetForLeaderEpochResponse,
  handle(request, _info, broker) {
    const topics = request.topics.map((topic) => ({
      topic: topic.topic,
      partitions: topic.partitions.map((requested): EpochEndOffset => {
        const partition = broker.topics.partition(topic.topic, requested.partition);
        const none = { partition: requested.partition, leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
        if (!partition) return { ...none, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        const epochError = checkLeaderEpoch(requested.currentLeaderEpoch, partition.leaderEpoch);
        if (epochError !== ErrorCode.NONE) return { ...none, errorCode: epochError };
        return { partition: requested.partition, errorCode: ErrorCode.NONE, ...endOffsetFor(partition, requested.leaderEpoch) };
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
});

export function endOffsetFor(partition: Partition, requestedEpoch: number): { leaderEpoch: number; endOffset: bigint } {
  const current = partition.leaderEpoch;
  const log = partition.log;
  if (requestedEpoch === UNDEFINED_EPOCH || requestedEpoch > current)
    return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
  if (requestedEpoch === current) return { leaderEpoch: current, endOffset: BigInt(log.logEndOffset) };
  return { leaderEpoch: requestedEpoch, endOffset: BigInt(log.logStartOffset) };
}
