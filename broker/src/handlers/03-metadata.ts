import { decodeMetadataRequest, type MetadataRequest } from '../protocol/generated/metadata-request.js';
import { encodeMetadataResponse, type MetadataResponseInput } from '../protocol/generated/metadata-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { BrokerContext } from '../broker-context.js';
import type { Topic } from '../topics/topic-registry.js';
import { partitionState } from './partition-state.js';
import { registerHandler } from './registry.js';

type TopicInput = NonNullable<MetadataResponseInput['topics']>[number];

const NO_TOPIC_ID = '00000000000000000000000000000000';
/** Kafka's "authorized operations not requested" marker. */
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
/** With no authorizer every operation is allowed: READ..ALTER_CONFIGS etc. as a bit set (Kafka's AclOperation codes 3-12). */
const TOPIC_OPERATIONS_ALL = 0b1_1111_1111_1000;

/**
 * Metadata (3), v0-13. One broker that leads every partition. Topics named in the request that
 * don't exist are created when auto.create.topics.enable and the request allow it (v4+ carries
 * AllowAutoTopicCreation; before v4 Kafka always allowed it); the answer for a topic created by
 * this request carries LEADER_NOT_AVAILABLE-free data because creation here is synchronous.
 * Topics can also be asked for by id (v12+, see describeRequested).
 */
registerHandler<MetadataRequest, MetadataResponseInput>({
  apiKey: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 13,
  decodeRequest: decodeMetadataRequest,
  encodeResponse: encodeMetadataResponse,
  async handle(request, info, broker) {
    const version = info.apiVersion;
    // v0: an empty array means all topics; v1+: null means all, empty means none.
    const allTopics = request.topics === null || (version === 0 && request.topics.length === 0);
    const topics = allTopics
      ? broker.topics.list().map((topic) => describeTopic(broker, topic, request.includeTopicAuthorizedOperations))
      : await describeRequested(broker, request, version);
    return {
      throttleTimeMs: 0,
      brokers: broker.cluster
        .brokers()
        .filter((b) => !b.fenced)
        .map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
      clusterId: broker.clusterId,
      controllerId: broker.cluster.controllerId(),
      topics,
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      errorCode: ErrorCode.NONE,
    };
  },
});

/**
 * Named topics, or topics by id (v12+): as soon as one id is not the zero UUID the request is by
 * id and the names are ignored (Kafka 4.4's Admin sends `name: ""` with each id); unknown ids come
 * first with UNKNOWN_TOPIC_ID. A topic named or identified twice is answered once (Kafka keeps a
 * set). Before v12 a null name or a non-zero id is INVALID_REQUEST, as Kafka answers.
 */
async function describeRequested(broker: BrokerContext, request: MetadataRequest, version: number): Promise<TopicInput[]> {
  const requested = request.topics ?? [];
  const describe = (topic: Topic) => describeTopic(broker, topic, request.includeTopicAuthorizedOperations);
  if (version < 12 && requested.some((topic) => topic.name === null || topic.topicId !== NO_TOPIC_ID)) {
    return requested.map((topic) => ({
      errorCode: ErrorCode.INVALID_REQUEST,
      name: topic.name ?? '',
      topicId: topic.topicId,
      partitions: [],
    }));
  }
  const ids = unique(requested.map((topic) => topic.topicId).filter((id) => id !== NO_TOPIC_ID));
  if (ids.length > 0) {
    const known = ids.map((id) => broker.topics.getById(id));
    return [
      ...ids.flatMap((topicId, i) =>
        known[i] === undefined ? [{ errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId, isInternal: false, partitions: [] }] : [],
      ),
      ...known.flatMap((topic) => (topic === undefined ? [] : [describe(topic)])),
    ];
  }
  const topics: TopicInput[] = [];
  for (const name of unique(requested.map((topic) => topic.name))) {
    if (name === null) {
      topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: NO_TOPIC_ID, partitions: [] });
      continue;
    }
    let topic = broker.topics.get(name);
    if (!topic) {
      const mayCreate = version < 4 || request.allowAutoTopicCreation;
      if (!mayCreate || !broker.config.autoCreateTopicsEnable) {
        topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, partitions: [] });
        continue;
      }
      const errorCode = await broker.autoCreateTopic(name);
      topic = broker.topics.get(name);
      if (!topic) {
        topics.push({ errorCode, name, partitions: [] });
        continue;
      }
    }
    topics.push(describe(topic));
  }
  return topics;
}

/** The distinct values, in first-seen order. */
function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function describeTopic(broker: BrokerContext, topic: Topic, includeAuthorizedOperations: boolean): TopicInput {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: topic.isInternal,
    partitions: topic.partitions.map((partition) => {
      const state = partitionState(broker, topic.topicId, partition.index);
      return {
        errorCode: state.errorCode,
        partitionIndex: partition.index,
        leaderId: state.leaderId,
        leaderEpoch: state.leaderEpoch,
        replicaNodes: state.replicaNodes,
        isrNodes: state.isrNodes,
        offlineReplicas: state.offlineReplicas,
      };
    }),
    topicAuthorizedOperations: includeAuthorizedOperations ? TOPIC_OPERATIONS_ALL : AUTHORIZED_OPERATIONS_OMITTED,
  };
}
