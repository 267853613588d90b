import { decodeOffsetFetchRequest, type OffsetFetchRequest } from '../protocol/generated/offset-fetch-request.js';
import { encodeOffsetFetchResponse, type OffsetFetchResponseInput } from '../protocol/generated/offset-fetch-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { BrokerContext } from '../broker-context.js';
import { registerHandler } from './registry.js';

/**
 * OffsetFetch (9), v1-9 (v10 uses topic ids; not advertised). v1-7 ask for one group (v2+:
 * null topics = every committed offset), v8+ for several groups. Unknown offsets come back as
 * -1 with leader epoch -1 and metadata "" (never null).
 */
registerHandler<OffsetFetchRequest, OffsetFetchResponseInput>({
  apiKey: 9,
  name: 'OffsetFetch',
  minVersion: 1,
  maxVersion: 9,
  decodeRequest: decodeOffsetFetchRequest,
  encodeResponse: encodeOffsetFetchResponse,
  handle(request, info, broker) {
    if (info.apiVersion >= 8) {
      return {
        throttleTimeMs: 0,
        groups: request.groups.map((group) => {
          const fetched = fetchGroup(
            broker,
            group.groupId,
            group.topics?.map((t) => ({ name: t.name, partitionIndexes: t.partitionIndexes })) ?? null,
          );
          return { groupId: group.groupId, errorCode: fetched.errorCode, topics: fetched.topics };
        }),
      };
    }
    const fetched = fetchGroup(broker, request.groupId, request.topics);
    if (info.apiVersion < 2 && fetched.errorCode !== ErrorCode.NONE) {
      // v1 has no top-level error code: Kafka puts it on every requested partition.
      const topics = (request.topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({
          partitionIndex,
          committedOffset: -1n,
          committedLeaderEpoch: -1,
          metadata: '',
          errorCode: fetched.errorCode,
        })),
      }));
      return { throttleTimeMs: 0, errorCode: fetched.errorCode, topics };
    }
    return { throttleTimeMs: 0, errorCode: fetched.errorCode, topics: fetched.topics };
  },
});

function fetchGroup(broker: BrokerContext, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null) {
  if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
  return { errorCode: ErrorCode.NONE, topics: broker.groups.coordinator.fetchOffsets(groupId, topics) };
}
