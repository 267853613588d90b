import {
  decodeDescribeTopicPartitionsRequest,
  type DescribeTopicPartitionsRequest,
} from '../protocol/generated/describe-topic-partitions-request.js';
import {
  encodeDescribeTopicPartitionsResponse,
  type DescribeTopicPartitionsResponseInput,
} from '../protocol/generated/describe-topic-partitions-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { validateTopicName } from '../topics/topic-registry.js';
import { partitionState } from './partition-state.js';
import { registerHandler } from './registry.js';

type TopicResult = NonNullable<DescribeTopicPartitionsResponseInput['topics']>[number];

const ZERO_UUID = '00000000000000000000000000000000';
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
/** Kafka's max.request.partition.size.limit default. */
const RESPONSE_PARTITION_LIMIT_MAX = 2000;

/**
 * DescribeTopicPartitions (75), v0 (KIP-966; the Java Admin's describeTopics, e.g.
 * kafka-topics.sh --describe). Topics are answered in name order from the cursor on, at most
 * min(ResponsePartitionLimit, 2000) partitions per response; NextCursor points at the first
 * partition left out (Kafka's KRaftMetadataCache.describeTopicResponse). An empty topic list
 * means every topic; named topics that don't exist come back with UNKNOWN_TOPIC_OR_PARTITION
 * (or INVALID_TOPIC_EXCEPTION for an illegal name).
 */
registerHandler<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponseInput>({
  apiKey: 75,
  name: 'DescribeTopicPartitions',
  minVersion: 0,
  maxVersion: 0,
  decodeRequest: decodeDescribeTopicPartitionsRequest,
  encodeResponse: encodeDescribeTopicPartitionsResponse,
  handle(request, _info, broker) {
    const cursor = request.cursor;
    const fetchAll = request.topics.length === 0;
    const requestedNames = request.topics.map((topic) => topic.name);
    // The response has no top-level error field: Kafka's error response (InvalidRequestException
    // "DescribeTopicPartitionsRequest cursor partition must be valid") marks every requested topic.
    const invalid = (): DescribeTopicPartitionsResponseInput => ({
      throttleTimeMs: 0,
      topics: requestedNames.map((name) => ({ errorCode: ErrorCode.INVALID_REQUEST, name, topicId: ZERO_UUID, partitions: [] })),
      nextCursor: null,
    });
    if (cursor !== null && cursor.partitionIndex < 0) {
      return invalid();
    }
    const cursorTopic = cursor?.topicName ?? '';
    const names = fetchAll ? broker.topics.list().map((topic) => topic.name) : [...new Set(requestedNames)];
    const sorted = names.filter((name) => name >= cursorTopic).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const limit = Math.max(0, Math.min(request.responsePartitionLimit, RESPONSE_PARTITION_LIMIT_MAX));
    let remaining = limit;
    const topics: TopicResult[] = [];
    let nextCursor: DescribeTopicPartitionsResponseInput['nextCursor'] = null;
    for (const name of sorted) {
      if (remaining === 0) {
        nextCursor = { topicName: name, partitionIndex: 0 };
        break;
      }
      const topic = broker.topics.get(name);
      if (!topic) {
        if (!fetchAll) {
          const errorCode = validateTopicName(name) ? ErrorCode.INVALID_TOPIC_EXCEPTION : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          topics.push({ errorCode, name, topicId: ZERO_UUID, isInternal: isInternal(name), partitions: [] });
        }
        continue;
      }
      const start = name === cursorTopic && cursor ? cursor.partitionIndex : 0;
      const partitions = topic.partitions.slice(start, start + remaining);
      topics.push({
        errorCode: ErrorCode.NONE,
        name,
        topicId: topic.topicId,
        isInternal: topic.isInternal,
        partitions: partitions.map((partition) => ({
          partitionIndex: partition.index,
          ...partitionState(broker, topic.topicId, partition.index),
        })),
        topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      });
      const next = start + partitions.length;
      if (next < topic.partitions.length) {
        nextCursor = { topicName: name, partitionIndex: next };
        break;
      }
      remaining -= partitions.length;
    }
    return { throttleTimeMs: 0, topics, nextCursor };
  },
});

function isInternal(name: string): boolean {
  return name === '__consumer_offsets' || name === '__transaction_state';
}
