import { decodeListOffsetsRequest, type ListOffsetsRequest } from '../protocol/generated/list-offsets-request.js';
import { encodeListOffsetsResponse, type ListOffsetsResponseInput } from '../protocol/generated/list-offsets-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { RecordBatchView } from '../protocol/record-batch.js';
import { decodeRecords } from '../protocol/records.js';
import type { Partition } from '../topics/topic-registry.js';
import { checkLeaderEpoch } from './01-fetch.js';
import { registerHandler } from './registry.js';

type PartitionResponse = NonNullable<NonNullable<ListOffsetsResponseInput['topics']>[number]['partitions']>[number];

/** Special timestamps (ListOffsetsRequest.java). */
const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const LATEST_TIERED = -5n;

/**
 * ListOffsets (2), v1-10: earliest, latest, max timestamp, earliest-local (= earliest: no tiered
 * storage), latest-tiered (none: -1), and the first offset whose timestamp is >= a given time.
 */
registerHandler<ListOffsetsRequest, ListOffsetsResponseInput>({
  apiKey: 2,
  name: 'ListOffsets',
  minVersion: 1,
  maxVersion: 10,
  decodeRequest: decodeListOffsetsRequest,
  encodeResponse: encodeListOffsetsResponse,
  async handle(request, info, broker) {
    const topics = [];
    for (const topic of request.topics) {
      const partitions: PartitionResponse[] = [];
      for (const requested of topic.partitions) {
        const partition = broker.topics.partition(topic.name, requested.partitionIndex);
        if (!partition) {
          partitions.push({ partitionIndex: requested.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
          continue;
        }
        const epochError = checkLeaderEpoch(requested.currentLeaderEpoch, partition.leaderEpoch);
        if (epochError !== ErrorCode.NONE) {
          partitions.push({ partitionIndex: requested.partitionIndex, errorCode: epochError });
          continue;
        }
        const found = await lookUp(partition, requested.timestamp);
        partitions.push({
          partitionIndex: requested.partitionIndex,
          errorCode: ErrorCode.NONE,
          timestamp: found.timestamp,
          offset: found.offset,
          // LeaderEpoch is v4+ and not ignorable; Kafka sets it only from v4 (ReplicaManager)
          leaderEpoch: info.apiVersion >= 4 ? found.leaderEpoch : -1,
        });
      }
      topics.push({ name: topic.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
});

async function lookUp(partition: Partition, timestamp: bigint): Promise<{ timestamp: bigint; offset: bigint; leaderEpoch: number }> {
  const log = partition.log;
  const epoch = partition.leaderEpoch;
  const none = { timestamp: -1n, offset: -1n, leaderEpoch: -1 };
  switch (timestamp) {
    case LATEST:
      return { timestamp: -1n, offset: BigInt(log.highWatermark), leaderEpoch: epoch };
    case EARLIEST:
    case EARLIEST_LOCAL:
      return { timestamp: -1n, offset: BigInt(log.logStartOffset), leaderEpoch: epoch };
    case LATEST_TIERED:
      return none;
    case MAX_TIMESTAMP: {
      const max = log.maxTimestampAndOffset;
      if (max.offset < 0) return none;
      // The log tracks the batch holding the max timestamp; the exact record is inside it. As in
      // Kafka, the answer is that record even when DeleteRecords moved the log start past it.
      const found = await log.findBatchByTimestamp(max.timestamp, max.offset);
      const exact = found ? firstRecordAtOrAfter(found.batch, max.timestamp, max.offset) : null;
      return { timestamp: BigInt(max.timestamp), offset: BigInt(exact?.offset ?? max.offset), leaderEpoch: epoch };
    }
    default: {
      if (timestamp < 0n) return none;
      const target = Number(timestamp);
      // Kafka searches from the log start offset: a batch that straddles it may hold its only
      // record at or after the time below it, and then the search goes on after that batch.
      let fromOffset = log.logStartOffset;
      for (;;) {
        const found = await log.findBatchByTimestamp(target, fromOffset);
        if (!found) return none;
        const exact = firstRecordAtOrAfter(found.batch, target, fromOffset);
        if (exact) return { timestamp: BigInt(exact.timestamp), offset: BigInt(exact.offset), leaderEpoch: found.batch.readInt32BE(12) };
        fromOffset = found.lastOffset + 1;
      }
    }
  }
}

/**
 * The first record of `batch` with offset >= `minOffset` and timestamp >= `timestampMs` (Kafka's
 * FileRecords.searchForTimestamp). In a LogAppendTime batch every record has the batch's time.
 */
function firstRecordAtOrAfter(batch: Buffer, timestampMs: number, minOffset: number): { offset: number; timestamp: number } | null {
  const view = new RecordBatchView(batch, 0);
  if (!(view.maxTimestamp >= timestampMs) || view.lastOffset < minOffset) return null;
  if (view.isLogAppendTime) return { offset: Math.max(view.baseOffset, minOffset), timestamp: view.maxTimestamp };
  for (const record of decodeRecords(batch)) {
    if (record.offset >= minOffset && record.timestamp >= timestampMs) return { offset: record.offset, timestamp: record.timestamp };
  }
  return null;
}
