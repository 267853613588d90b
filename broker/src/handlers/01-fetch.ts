import {
  decodeFetchRequest,
  encodeFetchResponse,
  type FetchRequest,
  type FetchResponseInput,
} from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { BrokerContext } from '../broker-context.js';
import { AppendNotifier } from '../topics/append-notifier.js';
import type { Partition } from '../topics/topic-registry.js';
import { registerHandler } from './registry.js';

type TopicResponse = NonNullable<FetchResponseInput['responses']>[number];
type PartitionResponse = NonNullable<TopicResponse['partitions']>[number];

const READ_COMMITTED = 1;
const EMPTY_RECORDS = Buffer.alloc(0);

/**
 * Fetch (1), v4-17. Sessionless (we always answer SessionId 0, so clients send full requests;
 * librdkafka never uses sessions). Long poll: if fewer than MinBytes are available and no
 * partition has an error, wait until an append to a requested partition or MaxWaitMs (capped by
 * fjord.fetch.wait.ms.max), then read again. Whole stored batches are returned from the one
 * containing the fetch offset; the first batch is returned even if larger than the limits (KIP-74).
 * Without transactions the last stable offset equals the high watermark.
 */
registerHandler<FetchRequest, FetchResponseInput>({
  apiKey: 1,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 17,
  decodeRequest: decodeFetchRequest,
  encodeResponse: encodeFetchResponse,
  async handle(request, info, broker) {
    const waitMs = Math.min(Math.max(request.maxWaitMs, 0), broker.config.fetchWaitMsMax);
    const deadline = broker.nowMs() + waitMs;
    for (;;) {
      const { responses, bytes, hasError, keys } = await readAll(broker, request, info.apiVersion);
      const remainingMs = deadline - broker.nowMs();
      if (bytes >= request.minBytes || hasError || remainingMs <= 0 || keys.length === 0) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses };
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          cancel();
          resolve();
        }, remainingMs);
        const cancel = broker.appendNotifier.waitForAny(keys, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  },
});

async function readAll(broker: BrokerContext, request: FetchRequest, version: number) {
  let bytes = 0;
  let hasError = false;
  const keys: string[] = [];
  const responseMaxBytes = Math.min(request.maxBytes, broker.config.fetchMaxBytes);
  const responses: TopicResponse[] = [];
  for (const fetchTopic of request.topics) {
    const topic = version >= 13 ? broker.topics.getById(fetchTopic.topicId) : broker.topics.get(fetchTopic.topic);
    const partitions: PartitionResponse[] = [];
    for (const fetchPartition of fetchTopic.partitions) {
      const base: PartitionResponse = {
        partitionIndex: fetchPartition.partition,
        highWatermark: -1n,
        lastStableOffset: -1n,
        logStartOffset: -1n,
        abortedTransactions: null,
        preferredReadReplica: -1,
        records: EMPTY_RECORDS,
      };
      const partition: Partition | undefined = topic?.partitions[fetchPartition.partition];
      if (!partition) {
        hasError = true;
        partitions.push({ ...base, errorCode: version >= 13 && !topic ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
        continue;
      }
      const epochError = checkLeaderEpoch(fetchPartition.currentLeaderEpoch, partition.leaderEpoch);
      const log = partition.log;
      const watermarks = {
        highWatermark: BigInt(log.highWatermark),
        lastStableOffset: BigInt(log.highWatermark),
        logStartOffset: BigInt(log.logStartOffset),
        abortedTransactions: request.isolationLevel === READ_COMMITTED ? [] : null,
      };
      if (epochError !== ErrorCode.NONE) {
        hasError = true;
        partitions.push({ ...base, ...watermarks, errorCode: epochError, currentLeader: { leaderId: broker.nodeId, leaderEpoch: partition.leaderEpoch } });
        continue;
      }
      keys.push(AppendNotifier.key(partition.topic.name, partition.index));
      // KIP-74: the first non-empty partition may exceed the limits by one batch; later ones must fit.
      const budget = Math.min(fetchPartition.partitionMaxBytes, responseMaxBytes - bytes);
      if (budget <= 0 && bytes > 0) {
        partitions.push({ ...base, ...watermarks, errorCode: ErrorCode.NONE });
        continue;
      }
      const result = await log.read(Number(fetchPartition.fetchOffset), Math.max(budget, 1));
      if (result.errorCode !== ErrorCode.NONE) hasError = true;
      if (bytes > 0 && result.sizeBytes > budget) {
        // Only the first partition with data may exceed the limit (KIP-74); this one waits for the next fetch.
        result.records = [];
        result.sizeBytes = 0;
      }
      bytes += result.sizeBytes;
      if (result.errorCode !== ErrorCode.NONE) {
        // Kafka leaves the offsets unknown (-1) in an errored partition.
        partitions.push({ ...base, errorCode: result.errorCode });
        continue;
      }
      partitions.push({
        ...base,
        ...watermarks,
        highWatermark: BigInt(log.highWatermark),
        lastStableOffset: BigInt(log.highWatermark),
        errorCode: result.errorCode,
        // Kafka sends an empty (not null) record set when there is nothing new; librdkafka rejects -1.
        records: result.records.length > 0 ? result.records : EMPTY_RECORDS,
      });
    }
    responses.push({ topic: fetchTopic.topic, topicId: fetchTopic.topicId, partitions });
  }
  return { responses, bytes, hasError, keys };
}

/** Epoch-aware clients send the leader epoch they know (-1 = none). */
export function checkLeaderEpoch(requestEpoch: number, currentEpoch: number): number {
  if (requestEpoch < 0 || requestEpoch === currentEpoch) return ErrorCode.NONE;
  return requestEpoch < currentEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
}
