import type { RequestSpec } from './kafka-connection.js';
import { decodeFetchResponse, type FetchResponse } from '../protocol/generated/fetch-response.js';
import { encodeFetchRequest } from '../protocol/generated/fetch-request.js';

/**
 * A sessionless Fetch v12 (topic by name) of one partition from `offset`, answered at once
 * (MaxWaitMs 0, MinBytes 0): for tests that look at exactly what the broker returns.
 */
export function fetchPartitionRequest(
  topic: string,
  partition: number,
  offset: number,
  partitionMaxBytes = 1 << 20,
): RequestSpec<FetchResponse> {
  return {
    apiKey: 1,
    apiVersion: 12,
    encode: (writer, version) =>
      encodeFetchRequest(writer, version, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition, fetchOffset: BigInt(offset), partitionMaxBytes, logStartOffset: -1n }] }],
      }),
    decode: decodeFetchResponse,
  };
}
