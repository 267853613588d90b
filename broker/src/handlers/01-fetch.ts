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
/** A disk read may start up to one index interval (index.interval.bytes) before the fetch offset. */
const READ_START_SLACK_BYTES = 64 * 1024;

/** A partition that passed the checks and is to be read, in request order. */
interface Candidate {
  entry: PartitionResponse;
  partition: Partition;
  fetchOffset: number;
  partitionMaxBytes: number;
}

interface InflightRead {
  candidate: Candidate;
  /** What the read may return (whole batches; the first may be larger, KIP-74). */
  limitBytes: number;
  /** Memory the read is assumed to pin until it is accepted (see readHoldBytes). */
  holdBytes: number;
  result: Promise<ReadResult>;
}

const EMPTY_RECORDS = Buffer.alloc(0);

/**
 * Fetch (1), v4-17. Sessionless (we always answer SessionId 0, so clients send full requests;
 * librdkafka never uses sessions). Long poll: if fewer than MinBytes are available and no
 * partition has an error, wait until an append to a requested partition or MaxWaitMs (capped by
 * fjord.fetch.wait.ms.max), then read again. Whole stored batches are returned from the one
 * containing the fetch offset; the first batch is returned even if larger than the limits (KIP-74).
 * The response's byte budget is applied while reading (readWithinBudget), so a fetch of many
 * partitions holds about its MaxBytes. Without transactions the last stable offset equals the
 * high watermark.
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
  let hasError = false;
  const keys: string[] = [];
  const responseMaxBytes = Math.min(request.maxBytes, broker.config.fetchMaxBytes);
  const responses: TopicResponse[] = [];
  const candidates: Candidate[] = [];
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
      const entry: PartitionResponse = { ...base, ...watermarks, errorCode: ErrorCode.NONE };
      partitions.push(entry);
      // At least one byte: a read of 0 would still return a batch (KIP-74).
      const partitionMaxBytes = Math.max(fetchPartition.partitionMaxBytes, 1);
      candidates.push({ entry, partition, fetchOffset: Number(fetchPartition.fetchOffset), partitionMaxBytes });
    }
    responses.push({ topic: fetchTopic.topic, topicId: fetchTopic.topicId, partitions });
  }
  const read = await readWithinBudget(broker, candidates, responseMaxBytes);
  return { responses, bytes: read.bytes, hasError: hasError || read.hasError, keys, releases: read.releases };
}

/**
 * Reads the candidates' records into their entries, with Kafka's budget (ReplicaManager.readFromLog):
 * in request order, each partition gets at most min(its PartitionMaxBytes, what is left of the
 * response's MaxBytes); the first partition with data gets at least one batch (KIP-74); once the
 * budget is spent the rest answer with no records (but their offsets and errors).
 *
 * Reads run concurrently only while that cannot change the answer or the memory held: a read
 * starts early with its whole PartitionMaxBytes when the reads in flight could return their
 * whole limits and it would still fit, and when the memory they pin (readHoldBytes) stays within
 * the response's MaxBytes; otherwise it waits until the reads before it are accepted. So a fetch
 * holds about its response size, not one read buffer per requested partition (1,000 partitions
 * used to pin ~1 GiB of pooled buffers for a 55 MiB response).
 */
async function readWithinBudget(broker: BrokerContext, candidates: readonly Candidate[], responseMaxBytes: number) {
  let bytes = 0;
  let heldBytes = 0;
  let hasError = false;
  const releases: Array<() => void> = [];
  const inflight: InflightRead[] = [];
  let inflightLimitBytes = 0;
  let inflightHoldBytes = 0;
  let next = 0;
  const poolBufferBytes = broker.readBufferPool.bufferBytes;
  const start = (candidate: Candidate, limitBytes: number) => {
    const holdBytes = readHoldBytes(limitBytes, poolBufferBytes);
    const log = candidate.partition.log;
    const result = log.read(candidate.fetchOffset, limitBytes, broker.readBufferPool).catch(() => STORAGE_ERROR_READ);
    inflight.push({ candidate, limitBytes, holdBytes, result });
    inflightLimitBytes += limitBytes;
    inflightHoldBytes += holdBytes;
  };
  for (;;) {
    // Start what may run alongside the reads in flight.
    while (next < candidates.length) {
      const candidate = candidates[next]!;
      const left = responseMaxBytes - bytes - inflightLimitBytes;
      if (inflight.length === 0) {
        // Nothing before it is pending: the limit is exactly Kafka's.
        if (responseMaxBytes - bytes <= 0) break;
        start(candidate, Math.min(candidate.partitionMaxBytes, responseMaxBytes - bytes));
      } else {
        const fits = candidate.partitionMaxBytes <= left;
        const holds = heldBytes + inflightHoldBytes + readHoldBytes(candidate.partitionMaxBytes, poolBufferBytes) <= responseMaxBytes;
        if (!fits || !holds) break;
        start(candidate, candidate.partitionMaxBytes);
      }
      next++;
    }
    const head = inflight.shift();
    if (head === undefined) break;
    inflightLimitBytes -= head.limitBytes;
    inflightHoldBytes -= head.holdBytes;
    const result = await head.result;
    const entry = head.candidate.entry;
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
    // A read started early assumed the reads before it would return no more than their limits;
    // the first with data may have returned more (KIP-74), so keep what fits in what is left.
    const accepted = bytes === 0 ? result : fitting(result, Math.min(head.candidate.partitionMaxBytes, responseMaxBytes - bytes));
    const kept = compact(accepted);
    if (kept.release !== undefined) releases.push(kept.release);
    bytes += kept.sizeBytes;
    heldBytes += kept.heldBytes;
    const highWatermark = BigInt(head.candidate.partition.log.highWatermark);
    entry.highWatermark = highWatermark;
    entry.lastStableOffset = highWatermark;
    // Kafka sends an empty (not null) record set when there is nothing new; librdkafka rejects -1.
    entry.records = kept.records.length > 0 ? kept.records : EMPTY_RECORDS;
  }
  // Past the budget: no read (Kafka reads with 0 bytes left), but an offset out of range is still
  // an error, as the log's own check would say.
  for (; next < candidates.length; next++) {
    const { entry, partition, fetchOffset } = candidates[next]!;
    if (fetchOffset < partition.log.logStartOffset || fetchOffset > partition.log.highWatermark) {
      hasError = true;
      Object.assign(entry, {
        errorCode: ErrorCode.OFFSET_OUT_OF_RANGE,
        highWatermark: -1n,
        lastStableOffset: -1n,
        logStartOffset: -1n,
        abortedTransactions: null,
      });
    }
  }
  return { bytes, hasError, releases };
}

/**
 * What a read of `limitBytes` may pin until it is accepted: a disk read fills a pooled buffer
 * (`poolBufferBytes`, whatever the read's length: the buffer is lent whole) or, when longer, a
 * buffer of its own a little over the limit (the index interval it may start before the offset).
 */
function readHoldBytes(limitBytes: number, poolBufferBytes: number): number {
  return Math.max(limitBytes + READ_START_SLACK_BYTES, poolBufferBytes);
}

/** The leading whole batches of `result` that fit in `budgetBytes` (each record is one batch). */
function fitting(result: ReadResult, budgetBytes: number): ReadResult {
  if (result.sizeBytes <= budgetBytes) return result;
  let sizeBytes = 0;
  let count = 0;
  while (count < result.records.length && sizeBytes + result.records[count]!.length <= budgetBytes)
    sizeBytes += result.records[count++]!.length;
  if (count === 0) {
    result.release?.();
    return { errorCode: ErrorCode.NONE, records: [], sizeBytes: 0 };
  }
  return { ...result, records: result.records.slice(0, count), sizeBytes };
}

/**
 * The records to send and the memory they pin until written. Records read from disk are views
 * of pooled buffers; when they fill less than half of what they pin (a few batches in a whole
 * pooled buffer), they are copied out and the buffers go back at once, so many small partitions
 * do not pin a pooled buffer each. Records from the tail cache pin nothing new.
 */
function compact(result: ReadResult): { records: Buffer[]; sizeBytes: number; heldBytes: number; release?: () => void } {
  if (result.release === undefined || result.records.length === 0) {
    result.release?.();
    return { records: result.records, sizeBytes: result.sizeBytes, heldBytes: 0 };
  }
  const pinned = new Set<ArrayBufferLike>(result.records.map((records) => records.buffer));
  let pinnedBytes = 0;
  for (const buffer of pinned) pinnedBytes += buffer.byteLength;
  if (pinnedBytes <= 2 * result.sizeBytes)
    return { records: result.records, sizeBytes: result.sizeBytes, heldBytes: pinnedBytes, release: result.release };
  const copy = Buffer.allocUnsafeSlow(result.sizeBytes);
  const records: Buffer[] = [];
  let at = 0;
  for (const batch of result.records) {
    batch.copy(copy, at);
    records.push(copy.subarray(at, at + batch.length));
    at += batch.length;
  }
  result.release();
  return { records, sizeBytes: result.sizeBytes, heldBytes: result.sizeBytes };
}

/** Epoch-aware clients send the leader epoch they know (-1 = none). */
export function checkLeaderEpoch(requestEpoch: number, currentEpoch: number): number {
  if (requestEpoch < 0 || requestEpoch === currentEpoch) return ErrorCode.NONE;
  return requestEpoch < currentEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
}
