import { decodeCreatePartitionsRequest, type CreatePartitionsRequest } from '../protocol/generated/create-partitions-request.js';
import { encodeCreatePartitionsResponse, type CreatePartitionsResponseInput } from '../protocol/generated/create-partitions-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { BrokerContext } from '../broker-context.js';
import { TopicError } from '../topics/topic-registry.js';
import { checkManualAssignment, ResourceError } from './admin-configs.js';
import { registerHandler } from './registry.js';

type TopicResult = NonNullable<CreatePartitionsResponseInput['results']>[number];
type RequestTopic = CreatePartitionsRequest['topics'][number];

/**
 * CreatePartitions (37), v0-3: one result per requested topic (Kafka's
 * ReplicationControlManager.createPartitions wording), validateOnly, manual assignments only to
 * this node.
 */
registerHandler<CreatePartitionsRequest, CreatePartitionsResponseInput>({
  apiKey: 37,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  decodeRequest: decodeCreatePartitionsRequest,
  encodeResponse: encodeCreatePartitionsResponse,
  async handle(request, _info, broker) {
    const counts = new Map<string, number>();
    for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1);
    const results: TopicResult[] = [];
    for (const topic of request.topics) {
      if (counts.get(topic.name)! > 1) continue;
      results.push(await createPartitions(broker, topic, request.validateOnly));
    }
    for (const [name, count] of counts) {
      if (count > 1) results.push({ name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' });
    }
    return { throttleTimeMs: 0, results };
  },
});

async function createPartitions(broker: BrokerContext, requested: RequestTopic, validateOnly: boolean): Promise<TopicResult> {
  const name = requested.name;
  try {
    const topic = broker.topics.get(name);
    if (!topic) throw new ResourceError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    const current = topic.partitions.length;
    if (requested.count === current) throw new ResourceError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`);
    if (requested.count < current) {
      throw new ResourceError(
        ErrorCode.INVALID_PARTITIONS,
        `The topic ${name} currently has ${current} partition(s); ${requested.count} would not be an increase.`,
      );
    }
    const additional = requested.count - current;
    if (requested.assignments !== null) {
      if (requested.assignments.length !== additional) {
        throw new ResourceError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Attempted to add ${additional} additional partition(s), but only ${requested.assignments.length} assignment(s) were specified.`,
        );
      }
      // Every existing partition has one replica (this node).
      for (const assignment of requested.assignments) checkManualAssignment(broker.nodeId, assignment.brokerIds, 1);
    }
    if (!validateOnly) {
      await broker.topics.addPartitions(name, requested.count);
      broker.logger.info('added partitions', { topic: name, from: current, to: requested.count });
    }
    return { name, errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (error) {
    if (error instanceof TopicError || error instanceof ResourceError)
      return { name, errorCode: error.errorCode, errorMessage: error.message };
    broker.logger.error('CreatePartitions failed', { topic: name, error: String(error) });
    return { name, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: String((error as Error).message ?? error) };
  }
}
