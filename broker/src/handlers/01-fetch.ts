import { decodeFetchRequest, type FetchRequest } from '../protocol/generated/fetch-request.js';
import { encodeFetchResponse, type FetchResponseInput } from '../protocol/generated/fetch-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { BrokerContext } from '../broker-context.js';
import { AppendNotifier } from '../topics/append-notifier.js';
import type { ReadResult } from '../log/partition-log.js';
import type { Partition } from '../topics/topic-registry.js';
import { registerHandler } from './registry.js';

type TopicResponse = NonNullable<FetchResponseInput['responses']>[number];
type PartitionResponse = NonNullable<TopicResponse['partitions']>[number];

const READ_COMMITTED = 1;
const STORAGE_ERROR_READ = { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, records: [] as Buffer[], sizeBytes: 0 };

interface PendingRead {
  entry: PartitionResponse;
  partition: Partition;
  partitionMaxBytes: number;
  result: Promise<ReadResult>;
}
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
      const { responses, bytes, hasError, keys, releases } = await readAll(broker, request, info.apiVersion);
      const remainingMs = deadline - broker.nowMs();
      if (bytes >= request.minBytes || hasError || remainingMs <= 0 || keys.length === 0) {
        // The records may be views of pooled read buffers: they go back once written.
        if (info.onResponseWritten !== undefined) for (const release of releases) info.onResponseWritten(release);
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses };
      }
      for (const release of releases) release();
      await new Promise<void>((resolve) => {
        const cancelTimer = broker.scheduler.after(remainingMs, () => {
          cancel();
          resolve();
        });
        const cancel = broker.appendNotifier.waitForAny(keys, () => {
          cancelTimer();
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
  const reads: PendingRead[] = [];
  const releases: Array<() => void> = [];
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
        partitions.push({
          ...base,
          errorCode: version >= 13 && !topic ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        });
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
        partitions.push({
          ...base,
          ...watermarks,
          errorCode: epochError,
          // CurrentLeader is tagged v12+ and not ignorable: the encoder refuses it below v12
          ...(version >= 12 ? { currentLeader: { leaderId: broker.nodeId, leaderEpoch: partition.leaderEpoch } } : {}),
        });
        continue;
      }
      keys.push(AppendNotifier.key(partition.topic.name, partition.index));
      // Reads of all partitions run concurrently; the response byte budget is applied below, in
      // request order, once they are done.
      const entry: PartitionResponse = { ...base, ...watermarks, errorCode: ErrorCode.NONE };
      partitions.push(entry);
      const limitBytes = Math.max(Math.min(fetchPartition.partitionMaxBytes, responseMaxBytes), 1);
      reads.push({
        entry,
        partition,
        partitionMaxBytes: fetchPartition.partitionMaxBytes,
        result: log.read(Number(fetchPartition.fetchOffset), limitBytes, broker.readBufferPool).catch(() => STORAGE_ERROR_READ),
      });
    }
    responses.push({ topic: fetchTopic.topic, topicId: fetchTopic.topicId, partitions });
  }
  for (const read of reads) {
    const result = await read.result;
    const entry = read.entry;
    if (result.errorCode !== ErrorCode.NONE) {
      // Kafka leaves the offsets unknown (-1) in an errored partition.
      hasError = true;
      Object.assign(entry, {
        errorCode: result.errorCode,
        highWatermark: -1n,
        lastStableOffset: -1n,
        logStartOffset: -1n,
        abortedTransactions: null,
      });
      continue;
    }
    // KIP-74: the first partition with data may exceed the limits by one batch; later ones must
    // fit in what is left of the response's budget, or wait for the next fetch.
    const budget = Math.min(read.partitionMaxBytes, responseMaxBytes - bytes);
    if (bytes > 0 && result.sizeBytes > budget) {
      result.release?.();
      continue;
    }
    if (result.release !== undefined) releases.push(result.release);
    bytes += result.sizeBytes;
    const highWatermark = BigInt(read.partition.log.highWatermark);
    entry.highWatermark = highWatermark;
    entry.lastStableOffset = highWatermark;
    // Kafka sends an empty (not null) record set when there is nothing new; librdkafka rejects -1.
    entry.records = result.records.length > 0 ? result.records : EMPTY_RECORDS;
  }
  return { responses, bytes, hasError, keys, releases };
}

/** Epoch-aware clients send the leader epoch they know (-1 = none). */
export function checkLeaderEpoch(requestEpoch: number, currentEpoch: number): number {
  if (requestEpoch < 0 || requestEpoch === currentEpoch) return ErrorCode.NONE;
  return requestEpoch < currentEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
}
