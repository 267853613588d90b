import { decodeCreateTopicsRequest, type CreateTopicsRequest } from '../protocol/generated/create-topics-request.js';
import { encodeCreateTopicsResponse, type CreateTopicsResponseInput } from '../protocol/generated/create-topics-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { BrokerContext } from '../broker-context.js';
import { TopicError } from '../topics/topic-registry.js';
import { checkManualAssignment, describeTopicConfigs, prospectiveTopic, ResourceError, validateTopicOverrides } from './admin-configs.js';
import { registerHandler } from './registry.js';

type TopicResult = NonNullable<CreateTopicsResponseInput['topics']>[number];
type CreatableTopic = CreateTopicsRequest['topics'][number];

const ZERO_UUID = '00000000000000000000000000000000';

/**
 * CreateTopics (19), v2-7, as Kafka's controller (ControllerApis + ReplicationControlManager):
 * duplicate names, name/existence checks, configs, then partitions and replication factor
 * (-1 = broker default). One broker, so a replication factor above 1 cannot be placed, and a
 * manual assignment may only name this node. v5+ answers with the resolved partition count,
 * replication factor and every config of the topic; v7 adds the topic id.
 */
registerHandler<CreateTopicsRequest, CreateTopicsResponseInput>({
  apiKey: 19,
  name: 'CreateTopics',
  minVersion: 2,
  maxVersion: 7,
  decodeRequest: decodeCreateTopicsRequest,
  encodeResponse: encodeCreateTopicsResponse,
  async handle(request, _info, broker) {
    const counts = new Map<string, number>();
    for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1);
    const topics: TopicResult[] = [];
    for (const topic of request.topics) {
      if (counts.get(topic.name)! > 1) continue;
      topics.push(await createOne(broker, topic, request.validateOnly));
    }
    for (const [name, count] of counts) {
      if (count > 1) topics.push(failure(name, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'));
    }
    return { throttleTimeMs: 0, topics };
  },
});

function failure(name: string, errorCode: number, errorMessage: string | null): TopicResult {
  return { name, topicId: ZERO_UUID, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: [] };
}

async function createOne(broker: BrokerContext, topic: CreatableTopic, validateOnly: boolean): Promise<TopicResult> {
  try {
    // Name, existence and collision checks (partition count checked below with Kafka's wording).
    broker.topics.validateCreate(topic.name, 1, {});
    const configs = validateTopicOverrides(broker.topics, topic.configs);
    const partitionCount = checkPlacement(broker, topic);
    broker.topics.validateCreate(topic.name, partitionCount, configs);
    const created = validateOnly ? prospectiveTopic(topic.name, configs) : await broker.topics.create(topic.name, partitionCount, configs);
    if (!validateOnly) broker.logger.info('created topic', { topic: topic.name, partitions: partitionCount, configs });
    const described = describeTopicConfigs(broker.topics, broker.config, created, {
      includeSynonyms: false,
      includeDocumentation: false,
      keys: null,
    });
    return {
      name: topic.name,
      topicId: validateOnly ? ZERO_UUID : created.topicId,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      numPartitions: partitionCount,
      replicationFactor: 1,
      configs: described.map((config) => ({
        name: config.name,
        value: config.value,
        readOnly: config.readOnly,
        configSource: config.configSource,
        isSensitive: config.isSensitive,
      })),
    };
  } catch (error) {
    if (error instanceof TopicError || error instanceof ResourceError) return failure(topic.name, error.errorCode, error.message);
    broker.logger.error('CreateTopics failed', { topic: topic.name, error: String(error) });
    return failure(topic.name, ErrorCode.UNKNOWN_SERVER_ERROR, String((error as Error).message ?? error));
  }
}

/** Kafka's checks on NumPartitions / ReplicationFactor / Assignments; returns the partition count. */
function checkPlacement(broker: BrokerContext, topic: CreatableTopic): number {
  if (topic.assignments.length > 0) {
    if (topic.replicationFactor !== -1) {
      throw new ResourceError(
        ErrorCode.INVALID_REQUEST,
        'A manual partition assignment was specified, but replication factor was not set to -1.',
      );
    }
    if (topic.numPartitions !== -1) {
      throw new ResourceError(
        ErrorCode.INVALID_REQUEST,
        'A manual partition assignment was specified, but numPartitions was not set to -1.',
      );
    }
    const seen = new Set<number>();
    let replicationFactor: number | null = null;
    for (const assignment of topic.assignments) {
      if (seen.has(assignment.partitionIndex)) {
        throw new ResourceError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Found multiple manual partition assignments for partition ${assignment.partitionIndex}`,
        );
      }
      seen.add(assignment.partitionIndex);
      checkManualAssignment(broker.nodeId, assignment.brokerIds, replicationFactor);
      replicationFactor = assignment.brokerIds.length;
    }
    for (let index = 0; index < seen.size; index++) {
      if (!seen.has(index)) {
        throw new ResourceError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence');
      }
    }
    return seen.size;
  }
  if (topic.replicationFactor < -1 || topic.replicationFactor === 0) {
    throw new ResourceError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      'Replication factor must be larger than 0, or -1 to use the default value.',
    );
  }
  if (topic.numPartitions < -1 || topic.numPartitions === 0) {
    throw new ResourceError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
  }
  const replicationFactor = topic.replicationFactor === -1 ? broker.config.defaultReplicationFactor : topic.replicationFactor;
  if (replicationFactor > 1) {
    throw new ResourceError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only 1 broker(s) are registered.`,
    );
  }
  return topic.numPartitions === -1 ? broker.config.numPartitions : topic.numPartitions;
}
