import { decodeDescribeLogDirsRequest, type DescribeLogDirsRequest } from '../protocol/generated/describe-log-dirs-request.js';
import { encodeDescribeLogDirsResponse, type DescribeLogDirsResponseInput } from '../protocol/generated/describe-log-dirs-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { BrokerContext } from '../broker-context.js';
import type { Topic } from '../topics/topic-registry.js';
import { registerHandler } from './registry.js';

type TopicResult = NonNullable<NonNullable<DescribeLogDirsResponseInput['results']>[number]['topics']>[number];

/**
 * DescribeLogDirs (35), v1-5 (Kafka 4.4's range; `kafka-log-dirs.sh --describe`, the usual
 * disk-usage tool). One result for the one log directory: every partition's size on disk (all
 * segments, as Kafka's `UnifiedLog.size`), its offset lag (log end minus high watermark: batches
 * appended but not yet written), never a future replica (no AlterReplicaLogDirs); v4+ the volume's
 * total and usable bytes, v5 never cordoned. Null topics = every partition (internal ones too, as
 * Kafka); named partitions that don't exist are left out, as Kafka does. If the volume cannot be
 * read the directory is answered with KAFKA_STORAGE_ERROR, as Kafka does for an IOException.
 */
registerHandler<DescribeLogDirsRequest, DescribeLogDirsResponseInput>({
  apiKey: 35,
  name: 'DescribeLogDirs',
  minVersion: 1,
  maxVersion: 5,
  decodeRequest: decodeDescribeLogDirsRequest,
  encodeResponse: encodeDescribeLogDirsResponse,
  async handle(request, _info, broker) {
    const topics = describedTopics(broker, request);
    let volume;
    try {
      volume = await broker.logDirVolume();
    } catch (error) {
      broker.logger.error('DescribeLogDirs: cannot read the log directory volume', { error: (error as Error).message });
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        results: [{ errorCode: ErrorCode.KAFKA_STORAGE_ERROR, logDir: broker.logDir, topics: [], totalBytes: -1n, usableBytes: -1n }],
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      results: [
        {
          errorCode: ErrorCode.NONE,
          logDir: broker.logDir,
          topics,
          totalBytes: BigInt(volume.totalBytes),
          usableBytes: BigInt(volume.usableBytes),
          isCordoned: false,
        },
      ],
    };
  },
});

function describedTopics(broker: BrokerContext, request: DescribeLogDirsRequest): TopicResult[] {
  if (request.topics === null) return broker.topics.list().map((topic) => describeTopic(topic, null));
  const results: TopicResult[] = [];
  // A topic may be named more than once; its partitions are merged, each listed once.
  const wanted = new Map<string, Set<number>>();
  for (const requested of request.topics) {
    const partitions = wanted.get(requested.topic) ?? new Set<number>();
    for (const index of requested.partitions) partitions.add(index);
    wanted.set(requested.topic, partitions);
  }
  for (const [name, partitions] of wanted) {
    const topic = broker.topics.get(name);
    if (topic === undefined) continue;
    const described = describeTopic(topic, partitions);
    if (described.partitions!.length > 0) results.push(described);
  }
  return results;
}

function describeTopic(topic: Topic, only: ReadonlySet<number> | null): TopicResult {
  return {
    name: topic.name,
    partitions: topic.partitions
      .filter((partition) => only === null || only.has(partition.index))
      .map((partition) => ({
        partitionIndex: partition.index,
        partitionSize: BigInt(partition.log.sizeBytes),
        offsetLag: BigInt(Math.max(0, partition.log.logEndOffset - partition.log.highWatermark)),
        isFutureKey: false,
      })),
  };
}
