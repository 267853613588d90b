import { decodeOffsetDeleteRequest, type OffsetDeleteRequest } from '../protocol/generated/offset-delete-request.js';
import { encodeOffsetDeleteResponse, type OffsetDeleteResponseInput } from '../protocol/generated/offset-delete-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { registerHandler } from './registry.js';

type TopicResult = NonNullable<OffsetDeleteResponseInput['topics']>[number];

/**
 * OffsetDelete (47), v0. Partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION (KafkaApis);
 * a group-level error (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP) replaces the whole answer, as
 * Kafka's OffsetDeleteResponse.Builder.merge does; subscribed topics get GROUP_SUBSCRIBED_TO_TOPIC.
 */
registerHandler<OffsetDeleteRequest, OffsetDeleteResponseInput>({
  apiKey: 47,
  name: 'OffsetDelete',
  minVersion: 0,
  maxVersion: 0,
  decodeRequest: decodeOffsetDeleteRequest,
  encodeResponse: encodeOffsetDeleteResponse,
  async handle(request, _info, broker) {
    const rejected: TopicResult[] = [];
    const accepted: { name: string; partitions: number[] }[] = [];
    for (const topic of request.topics) {
      const bad = topic.partitions.filter((p) => broker.topics.partition(topic.name, p.partitionIndex) === undefined);
      const good = topic.partitions.filter((p) => broker.topics.partition(topic.name, p.partitionIndex) !== undefined);
      if (bad.length > 0)
        rejected.push({
          name: topic.name,
          partitions: bad.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })),
        });
      if (good.length > 0) accepted.push({ name: topic.name, partitions: good.map((p) => p.partitionIndex) });
    }
    const response = await broker.groups.deleteOffsets(request.groupId, accepted);
    if ((response.errorCode ?? ErrorCode.NONE) !== ErrorCode.NONE) return { errorCode: response.errorCode, throttleTimeMs: 0, topics: [] };
    return { errorCode: ErrorCode.NONE, throttleTimeMs: 0, topics: [...(response.topics ?? []), ...rejected] };
  },
});
