import { decodeProduceRequest, type ProduceRequest } from '../protocol/generated/produce-request.js';
import { encodeProduceResponse, type ProduceResponseInput } from '../protocol/generated/produce-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { validateProducedRecords, setLogAppendTime } from '../protocol/record-batch.js';
import { CompressionCodec } from '../protocol/compression.js';
import { validateBatchRecords } from '../protocol/record-validation.js';
import type { BrokerContext } from '../broker-context.js';
import { AppendNotifier } from '../topics/append-notifier.js';
import { CloseConnection, registerHandler, NO_RESPONSE } from './registry.js';

const EMPTY = Buffer.alloc(0);
/** Upper bound on one batch's decompressed size while its records are validated. */
const DECOMPRESSED_BATCH_BYTES_MAX = 256 * 1024 * 1024;

type PartitionResponse = NonNullable<NonNullable<ProduceResponseInput['responses']>[number]['partitionResponses']>[number];

/**
 * Produce (0). Advertised from v0 (old librdkafka only compresses when the range includes 0,
 * KAFKA-18659) but v0-2 are refused, as Kafka 4 does; implemented 3-12 (v12's transaction-v2
 * semantics only matter for transactional producers, which we refuse for now).
 *
 * Each partition's batch is validated, header and CRC first (validateProducedRecords), then every
 * record, decompressing compressed batches as Kafka's LogValidator does (validateBatchRecords),
 * and appended; offsets are assigned synchronously in request order so pipelined requests from
 * one producer keep their order. acks=0 gets no response at all.
 */
registerHandler<ProduceRequest, ProduceResponseInput>({
  apiKey: 0,
  name: 'Produce',
  minVersion: 3,
  maxVersion: 12,
  advertisedMinVersion: 0,
  decodeRequest: decodeProduceRequest,
  encodeResponse: encodeProduceResponse,
  async handle(request, info, broker) {
    const acks = request.acks;
    const pending: Promise<void>[] = [];
    const responses = request.topicData.map((topicData) => {
      const partitionResponses: PartitionResponse[] = topicData.partitionData.map((partitionData) => {
        const response: PartitionResponse = { index: partitionData.index, errorCode: ErrorCode.NONE, baseOffset: -1n };
        const errorCode = acks !== -1 && acks !== 0 && acks !== 1 ? ErrorCode.INVALID_REQUIRED_ACKS : null;
        if (errorCode !== null) return { ...response, errorCode };
        const outcome = appendToPartition(
          broker,
          topicData.name,
          partitionData.index,
          partitionData.records,
          info.apiVersion,
          request.transactionalId,
        );
        if ('errorCode' in outcome) return { ...response, ...rejection(outcome) };
        pending.push(
          outcome.then((result) => {
            response.errorCode = result.errorCode;
            response.baseOffset = BigInt(result.baseOffset);
            response.logAppendTimeMs = BigInt(result.logAppendTimeMs);
            response.logStartOffset = BigInt(result.logStartOffset);
            if (result.errorMessage) response.errorMessage = result.errorMessage;
          }),
        );
        return response;
      });
      return { name: topicData.name, partitionResponses };
    });
    await Promise.all(pending);
    if (acks === 0) {
      // An acks=0 producer never reads responses; Kafka closes the connection on any error so the
      // producer notices (it refreshes metadata and reconnects).
      const failed = responses.some((topic) => topic.partitionResponses.some((partition) => partition.errorCode !== ErrorCode.NONE));
      return failed ? new CloseConnection('acks=0 produce failed') : NO_RESPONSE;
    }
    return { responses, throttleTimeMs: 0 };
  },
});

interface Rejection {
  errorCode: number;
  message: string;
  /** The record the rejection is about, when it is about one (v8+ record_errors). */
  recordIndex?: number;
}

/**
 * A refused batch's error fields (error_message and record_errors from v8; older versions drop
 * them). A record's failure is reported as Kafka's RecordValidationException does: the record in
 * record_errors, a summary in error_message.
 */
function rejection(outcome: Rejection): Pick<PartitionResponse, 'errorCode' | 'errorMessage' | 'recordErrors'> {
  if (outcome.recordIndex === undefined) return { errorCode: outcome.errorCode, errorMessage: outcome.message };
  const recordErrors = [{ batchIndex: outcome.recordIndex, batchIndexErrorMessage: outcome.message }];
  const errorMessage =
    outcome.errorCode === ErrorCode.INVALID_TIMESTAMP
      ? 'One or more records have been rejected due to invalid timestamp'
      : `One or more records have been rejected due to 1 record errors in total, and only showing the first three errors at most: ` +
        `[RecordError(batchIndex=${outcome.recordIndex}, message='${outcome.message}')]`;
  return { errorCode: outcome.errorCode, errorMessage, recordErrors };
}

interface AppendOutcome {
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  errorMessage?: string;
}

function appendToPartition(
  broker: BrokerContext,
  topicName: string,
  partitionIndex: number,
  records: Buffer | null,
  apiVersion: number,
  transactionalId: string | null,
): Promise<AppendOutcome> | Rejection {
  const partition = broker.topics.partition(topicName, partitionIndex);
  if (!partition) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `This server does not host this topic-partition.` };
  const topic = partition.topic;
  // Only the broker itself writes its internal topics (Kafka: "Cannot append to internal topic").
  if (topic.isInternal) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, message: `Cannot append to internal topic ${topicName}` };
  const maxMessageBytes = Number(broker.topics.effectiveValue(topic, 'max.message.bytes'));
  const validation = validateProducedRecords(records ?? EMPTY, { maxMessageBytes });
  if (!validation.ok) return { errorCode: validation.errorCode, message: validation.message };
  const batch = validation.batch;
  // Trailing bytes that don't form a whole batch are ignored, as Kafka's batch iterator does.
  const stored = records!.subarray(0, batch.sizeBytes);
  if (batch.compression === CompressionCodec.ZSTD && apiVersion < 7) {
    return { errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, message: 'zstd needs Produce v7 or later' };
  }
  if (batch.isTransactional || transactionalId !== null) {
    return { errorCode: ErrorCode.INVALID_TXN_STATE, message: 'Transactions are not supported by this broker yet' };
  }
  const now = broker.nowMs();
  const timestampType = broker.topics.effectiveValue(topic, 'message.timestamp.type');
  const logAppendTime = timestampType === 'LogAppendTime';
  const beforeMaxMs = Number(broker.topics.effectiveValue(topic, 'message.timestamp.before.max.ms'));
  const afterMaxMs = Number(broker.topics.effectiveValue(topic, 'message.timestamp.after.max.ms'));
  const recordCheck = validateBatchRecords(stored, batch, {
    requireKeys: broker.topics.effectiveValue(topic, 'cleanup.policy').split(',').includes('compact'),
    timestampBounds: logAppendTime ? null : { minMs: now - beforeMaxMs, maxMs: now + afterMaxMs },
    maxDecompressedBytes: DECOMPRESSED_BATCH_BYTES_MAX,
  });
  if (!recordCheck.ok) return recordCheck;
  let logAppendTimeMs = -1;
  if (logAppendTime) {
    setLogAppendTime(stored, now);
    logAppendTimeMs = now;
  }
  const key = AppendNotifier.key(topicName, partitionIndex);
  return partition.log.append(stored, partition.leaderEpoch).then((result) => {
    if (result.errorCode === ErrorCode.NONE && !result.duplicate) broker.appendNotifier.notify(key);
    return {
      errorCode: result.errorCode,
      baseOffset: result.errorCode === ErrorCode.NONE ? result.baseOffset : -1,
      logAppendTimeMs: result.errorCode === ErrorCode.NONE ? (logAppendTimeMs >= 0 ? logAppendTimeMs : result.logAppendTimeMs) : -1,
      logStartOffset: result.logStartOffset,
      errorMessage: result.errorMessage,
    };
  });
}
