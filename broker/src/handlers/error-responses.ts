import type { ProduceRequest } from '../protocol/generated/produce-request.js';
import type { FetchRequest } from '../protocol/generated/fetch-request.js';
import type { ListOffsetsRequest } from '../protocol/generated/list-offsets-request.js';
import type { MetadataRequest } from '../protocol/generated/metadata-request.js';
import type { OffsetCommitRequest } from '../protocol/generated/offset-commit-request.js';
import type { OffsetFetchRequest } from '../protocol/generated/offset-fetch-request.js';
import type { FindCoordinatorRequest } from '../protocol/generated/find-coordinator-request.js';
import type { DescribeGroupsRequest } from '../protocol/generated/describe-groups-request.js';
import type { CreateTopicsRequest } from '../protocol/generated/create-topics-request.js';
import type { DeleteTopicsRequest } from '../protocol/generated/delete-topics-request.js';
import type { DeleteRecordsRequest } from '../protocol/generated/delete-records-request.js';
import type { OffsetForLeaderEpochRequest } from '../protocol/generated/offset-for-leader-epoch-request.js';
import type { DescribeConfigsRequest } from '../protocol/generated/describe-configs-request.js';
import type { AlterConfigsRequest } from '../protocol/generated/alter-configs-request.js';
import type { CreatePartitionsRequest } from '../protocol/generated/create-partitions-request.js';
import type { DeleteGroupsRequest } from '../protocol/generated/delete-groups-request.js';
import type { IncrementalAlterConfigsRequest } from '../protocol/generated/incremental-alter-configs-request.js';
import type { OffsetDeleteRequest } from '../protocol/generated/offset-delete-request.js';
import type { DescribeTopicPartitionsRequest } from '../protocol/generated/describe-topic-partitions-request.js';
import type { CreateAclsRequest } from '../protocol/generated/create-acls-request.js';
import type { DeleteAclsRequest } from '../protocol/generated/delete-acls-request.js';
import { CloseConnection } from './registry.js';

/**
 * The answer to a request whose handler failed unexpectedly: a well-formed response of the same
 * API carrying `errorCode` wherever the response has an error code, as Kafka's
 * `AbstractRequest.getErrorResponse` builds it (one entry per requested topic, partition, group
 * or resource; watermarks and ids unknown). Kafka sends no error message with
 * UNKNOWN_SERVER_ERROR (`ApiError.fromThrowable`: nothing internal leaks to clients); the stack
 * goes to the broker's log instead.
 *
 * A Produce with acks=0 has no response to carry the error: the connection is closed, as Kafka
 * does when `getErrorResponse` returns null.
 */
const builders = new Map<number, (request: unknown, version: number, errorCode: number) => unknown>();

function define<Request>(apiKey: number, build: (request: Request, version: number, errorCode: number) => unknown): void {
  builders.set(apiKey, build as (request: unknown, version: number, errorCode: number) => unknown);
}

/** The error response builder for an API key, or undefined when none is defined. */
export function errorResponseBuilder(apiKey: number): ((request: unknown, version: number, errorCode: number) => unknown) | undefined {
  return builders.get(apiKey);
}

/** API keys with a builder (tests check that every registered handler has one). */
export function errorResponseApiKeys(): number[] {
  return [...builders.keys()].sort((a, b) => a - b);
}

const NO_OFFSET = -1n;

define<ProduceRequest>(0, (request, _version, errorCode) => {
  if (request.acks === 0) return new CloseConnection(`Produce with acks=0 failed (error ${errorCode})`);
  return {
    throttleTimeMs: 0,
    responses: request.topicData.map((topic) => ({
      name: topic.name,
      topicId: topic.topicId,
      partitionResponses: topic.partitionData.map((partition) => ({
        index: partition.index,
        errorCode,
        baseOffset: NO_OFFSET,
        logAppendTimeMs: NO_OFFSET,
        logStartOffset: NO_OFFSET,
      })),
    })),
  };
});

// Both the top-level code (v7+) and every partition, as Kafka does for clients without the former.
define<FetchRequest>(1, (request, _version, errorCode) => ({
  throttleTimeMs: 0,
  errorCode,
  sessionId: 0,
  responses: request.topics.map((topic) => ({
    topic: topic.topic,
    topicId: topic.topicId,
    partitions: topic.partitions.map((partition) => ({
      partitionIndex: partition.partition,
      errorCode,
      highWatermark: NO_OFFSET,
      lastStableOffset: NO_OFFSET,
      logStartOffset: NO_OFFSET,
      abortedTransactions: null,
      preferredReadReplica: -1,
      records: null,
    })),
  })),
}));

define<ListOffsetsRequest>(2, (request, _version, errorCode) => ({
  throttleTimeMs: 0,
  topics: request.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((partition) => ({
      partitionIndex: partition.partitionIndex,
      errorCode,
      timestamp: NO_OFFSET,
      offset: NO_OFFSET,
      leaderEpoch: -1,
      oldStyleOffsets: [],
    })),
  })),
}));

define<MetadataRequest>(3, (request, _version, errorCode) => ({
  throttleTimeMs: 0,
  brokers: [],
  clusterId: null,
  controllerId: -1,
  topics: (request.topics ?? []).map((topic) => ({
    errorCode,
    // The response does not allow a null name (Kafka sends "").
    name: topic.name ?? '',
    topicId: topic.topicId,
    isInternal: false,
    partitions: [],
  })),
  errorCode,
}));

define<OffsetCommitRequest>(8, (request, _version, errorCode) => ({
  throttleTimeMs: 0,
  topics: request.topics.map((topic) => ({
    name: topic.name,
    topicId: topic.topicId,
    partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode })),
  })),
}));

define<OffsetFetchRequest>(9, (request, version, errorCode) => {
  const partition = (partitionIndex: number) => ({
    partitionIndex,
    committedOffset: NO_OFFSET,
    committedLeaderEpoch: -1,
    metadata: '',
    errorCode,
  });
  if (version >= 8) {
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((group) => ({
        groupId: group.groupId,
        errorCode,
        topics: (group.topics ?? []).map((topic) => ({
          name: topic.name,
          topicId: topic.topicId,
          partitions: topic.partitionIndexes.map(partition),
        })),
      })),
    };
  }
  return {
    throttleTimeMs: 0,
    errorCode,
    topics: (request.topics ?? []).map((topic) => ({ name: topic.name, partitions: topic.partitionIndexes.map(partition) })),
  };
});

define<FindCoordinatorRequest>(10, (request, version, errorCode) => {
  const unknown = { nodeId: -1, host: '', port: -1, errorCode, errorMessage: null };
  if (version >= 4) return { throttleTimeMs: 0, coordinators: request.coordinatorKeys.map((key) => ({ key, ...unknown })) };
  return { throttleTimeMs: 0, ...unknown };
});

define(11, (_request, _version, errorCode) => ({
  throttleTimeMs: 0,
  errorCode,
  generationId: -1,
  protocolType: null,
  protocolName: null,
  leader: '',
  memberId: '',
  members: [],
}));

define(12, (_request, _version, errorCode) => ({ throttleTimeMs: 0, errorCode }));

define(13, (_request, _version, errorCode) => ({ throttleTimeMs: 0, errorCode, members: [] }));

define(14, (_request, _version, errorCode) => ({
  throttleTimeMs: 0,
  errorCode,
  protocolType: null,
  protocolName: null,
  assignment: Buffer.alloc(0),
}));

define<DescribeGroupsRequest>(15, (request, _version, errorCode) => ({
  throttleTimeMs: 0,
  groups: request.groups.map((groupId) => ({ groupId, errorCode, groupState: '', protocolType: '', protocolData: '', members: [] })),
}));

define(16, (_request, _version, errorCode) => ({ throttleTimeMs: 0, errorCode, groups: [] }));

define(18, (_request, _version, errorCode) => ({ errorCode, apiKeys: [], throttleTimeMs: 0 }));

define<CreateTopicsRequest>(19, (request, _version, errorCode) => ({
  throttleTimeMs: 0,
  topics: request.topics.map((topic) => ({
    name: topic.name,
    errorCode,
    errorMessage: null,
    numPartitions: -1,
    replicationFactor: -1,
    configs: [],
  })),
}));

define<DeleteTopicsRequest>(20, (request, version, errorCode) => ({
  throttleTimeMs: 0,
  responses:
    version >= 6
      ? request.topics.map((topic) => ({ name: topic.name, topicId: topic.topicId, errorCode, errorMessage: null }))
      : request.topicNames.map((name) => ({ name, errorCode, errorMessage: null })),
}));

define<DeleteRecordsRequest>(21, (request, _version, errorCode) => ({
  throttleTimeMs: 0,
  topics: request.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, lowWatermark: NO_OFFSET, errorCode })),
  })),
}));

define(22, (_request, _version, errorCode) => ({ throttleTimeMs: 0, errorCode, producerId: NO_OFFSET, producerEpoch: -1 }));

define<OffsetForLeaderEpochRequest>(23, (request, _version, errorCode) => ({
  throttleTimeMs: 0,
  topics: request.topics.map((topic) => ({
    topic: topic.topic,
    partitions: topic.partitions.map((partition) => ({ errorCode, partition: partition.partition, leaderEpoch: -1, endOffset: NO_OFFSET })),
  })),
}));

define(29, (_request, _version, errorCode) => ({ throttleTimeMs: 0, errorCode, errorMessage: null, resources: [] }));

define<CreateAclsRequest>(30, (request, _version, errorCode) => ({
  throttleTimeMs: 0,
  results: request.creations.map(() => ({ errorCode, errorMessage: null })),
}));

define<DeleteAclsRequest>(31, (request, _version, errorCode) => ({
  throttleTimeMs: 0,
  filterResults: request.filters.map(() => ({ errorCode, errorMessage: null, matchingAcls: [] })),
}));

define<DescribeConfigsRequest>(32, (request, _version, errorCode) => ({
  throttleTimeMs: 0,
  results: request.resources.map((resource) => ({
    errorCode,
    errorMessage: null,
    resourceType: resource.resourceType,
    resourceName: resource.resourceName,
    configs: [],
  })),
}));

define<AlterConfigsRequest>(33, (request, _version, errorCode) => ({
  throttleTimeMs: 0,
  responses: request.resources.map((resource) => ({
    errorCode,
    errorMessage: null,
    resourceType: resource.resourceType,
    resourceName: resource.resourceName,
  })),
}));

// DescribeLogDirs has a top-level error code from v3; before it Kafka answers no log dirs.
define(35, (_request, _version, errorCode) => ({ throttleTimeMs: 0, errorCode, results: [] }));

define<CreatePartitionsRequest>(37, (request, _version, errorCode) => ({
  throttleTimeMs: 0,
  results: request.topics.map((topic) => ({ name: topic.name, errorCode, errorMessage: null })),
}));

define<DeleteGroupsRequest>(42, (request, _version, errorCode) => ({
  throttleTimeMs: 0,
  results: request.groupsNames.map((groupId) => ({ groupId, errorCode })),
}));

define<IncrementalAlterConfigsRequest>(44, (request, _version, errorCode) => ({
  throttleTimeMs: 0,
  responses: request.resources.map((resource) => ({
    errorCode,
    errorMessage: null,
    resourceType: resource.resourceType,
    resourceName: resource.resourceName,
  })),
}));

define<OffsetDeleteRequest>(47, (_request, _version, errorCode) => ({ errorCode, throttleTimeMs: 0, topics: [] }));

define(60, (_request, _version, errorCode) => ({
  throttleTimeMs: 0,
  errorCode,
  errorMessage: null,
  clusterId: '',
  controllerId: -1,
  brokers: [],
}));

define<DescribeTopicPartitionsRequest>(75, (request, _version, errorCode) => ({
  throttleTimeMs: 0,
  topics: request.topics.map((topic) => ({
    errorCode,
    name: topic.name,
    topicId: '00000000000000000000000000000000',
    isInternal: false,
    partitions: [],
  })),
  nextCursor: null,
}));
