import { decodeOffsetCommitRequest, type OffsetCommitRequest } from '../protocol/generated/offset-commit-request.js';
import { encodeOffsetCommitResponse, type OffsetCommitResponseInput } from '../protocol/generated/offset-commit-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { CommitInput } from '../group/group-coordinator.js';
import { registerHandler } from './registry.js';

type TopicResult = NonNullable<OffsetCommitResponseInput['topics']>[number];

/**
 * OffsetCommit (8), v2-9 (v10 uses topic ids; not advertised). Partitions of unknown topics get
 * UNKNOWN_TOPIC_OR_PARTITION here (KafkaApis); the rest go to the coordinator, and the answer
 * waits until the commit records are appended to __consumer_offsets. An empty request just
 * succeeds. v2-4 RetentionTimeMs (-1 = broker default) is kept as an expire timestamp, as Kafka
 * 4 does (OffsetCommitValue v1).
 */
registerHandler<OffsetCommitRequest, OffsetCommitResponseInput>({
  apiKey: 8,
  name: 'OffsetCommit',
  minVersion: 2,
  maxVersion: 9,
  decodeRequest: decodeOffsetCommitRequest,
  encodeResponse: encodeOffsetCommitResponse,
  async handle(request, info, broker) {
    const rejected: TopicResult[] = [];
    const accepted: CommitInput['topics'] = [];
    for (const topic of request.topics) {
      const bad: { partitionIndex: number; errorCode: number }[] = [];
      const good: CommitInput['topics'][number]['partitions'] = [];
      for (const p of topic.partitions) {
        if (broker.topics.partition(topic.name, p.partitionIndex) === undefined) {
          bad.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
        } else {
          good.push({
            partitionIndex: p.partitionIndex,
            committedOffset: p.committedOffset,
            committedLeaderEpoch: info.apiVersion >= 6 ? p.committedLeaderEpoch : -1,
            committedMetadata: p.committedMetadata,
          });
        }
      }
      if (bad.length > 0) rejected.push({ name: topic.name, partitions: bad });
      if (good.length > 0) accepted.push({ name: topic.name, partitions: good });
    }
    if (accepted.length === 0) return { throttleTimeMs: 0, topics: rejected };
    const response = await broker.groups.commit(
      {
        groupId: request.groupId,
        generationId: request.generationIdOrMemberEpoch,
        memberId: request.memberId,
        groupInstanceId: info.apiVersion >= 7 ? request.groupInstanceId : null,
        retentionTimeMs: info.apiVersion <= 4 ? Number(request.retentionTimeMs) : -1,
        topics: accepted,
      },
      info.apiVersion,
    );
    return { throttleTimeMs: 0, topics: [...(response.topics ?? []), ...rejected] };
  },
});
