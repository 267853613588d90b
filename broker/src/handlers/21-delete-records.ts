import { decodeDeleteRecordsRequest, type DeleteRecordsRequest } from '../protocol/generated/delete-records-request.js';
import { encodeDeleteRecordsResponse, type DeleteRecordsResponseInput } from '../protocol/generated/delete-records-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { BrokerContext } from '../broker-context.js';
import type { Partition } from '../topics/topic-registry.js';
import { registerHandler } from './registry.js';

type PartitionResult = NonNullable<NonNullable<DeleteRecordsResponseInput['topics']>[number]['partitions']>[number];

/** DeleteRecordsRequest.HIGH_WATERMARK */
const HIGH_WATERMARK = -1n;

/**
 * DeleteRecords (21), v0-2: moves a partition's log start offset forward (Kafka's
 * ReplicaManager.deleteRecordsOnLocalLog + Partition.deleteRecordsOnLeader). Offset -1 means the
 * high watermark; a negative offset or one above the high watermark is OFFSET_OUT_OF_RANGE; a
 * topic without the delete cleanup policy is POLICY_VIOLATION; internal topics are refused.
 * The answer's low watermark is the new log start offset (-1 on error).
 */
registerHandler<DeleteRecordsRequest, DeleteRecordsResponseInput>({
  apiKey: 21,
  name: 'DeleteRecords',
  minVersion: 0,
  maxVersion: 2,
  decodeRequest: decodeDeleteRecordsRequest,
  encodeResponse: encodeDeleteRecordsResponse,
  async handle(request, _info, broker) {
    const topics = [];
    for (const topic of request.topics) {
      const partitions: PartitionResult[] = [];
      for (const requested of topic.partitions) {
        const partition = broker.topics.partition(topic.name, requested.partitionIndex);
        const errorCode = partition
          ? await deleteBefore(broker, partition, requested.offset)
          : { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, lowWatermark: -1n };
        partitions.push({ partitionIndex: requested.partitionIndex, ...errorCode });
      }
      topics.push({ name: topic.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
});

async function deleteBefore(
  broker: BrokerContext,
  partition: Partition,
  requestedOffset: bigint,
): Promise<{ errorCode: number; lowWatermark: bigint }> {
  const failed = (errorCode: number) => ({ errorCode, lowWatermark: -1n });
  if (partition.topic.isInternal) return failed(ErrorCode.INVALID_TOPIC_EXCEPTION);
  const log = partition.log;
  const offset = requestedOffset === HIGH_WATERMARK ? BigInt(log.highWatermark) : requestedOffset;
  if (offset < 0n) return failed(ErrorCode.OFFSET_OUT_OF_RANGE);
  const cleanupPolicy = broker.topics
    .effectiveValue(partition.topic, 'cleanup.policy')
    .split(',')
    .map((item) => item.trim());
  if (!cleanupPolicy.includes('delete')) return failed(ErrorCode.POLICY_VIOLATION);
  if (offset > BigInt(log.highWatermark)) return failed(ErrorCode.OFFSET_OUT_OF_RANGE);
  const logStartOffset = await log.deleteRecordsBefore(Number(offset));
  broker.logger.info('deleted records', {
    topic: partition.topic.name,
    partition: partition.index,
    before: Number(offset),
    logStartOffset,
  });
  return { errorCode: ErrorCode.NONE, lowWatermark: BigInt(logStartOffset) };
}
