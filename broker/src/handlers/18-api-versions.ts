import { decodeApiVersionsRequest, type ApiVersionsRequest } from '../protocol/generated/api-versions-request.js';
import { encodeApiVersionsResponse, type ApiVersionsResponseInput } from '../protocol/generated/api-versions-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { brokerHandlers, type ApiHandler, type HandlerRegistry } from './registry.js';

/**
 * ApiVersions (18), v0-4. The key list is computed from the handler registry. Versions above 4
 * are answered by the dispatcher with a v0 body and UNSUPPORTED_VERSION (KIP-511). The response
 * header is always v0, even for flexible v3+ bodies. v3+ carries the feature levels (KIP-584)
 * below, which `kafka-features.sh describe` prints and clients read (the Java producer caps
 * transactional Produce at v11 unless transaction.version >= 2).
 */
export const API_VERSIONS_KEY = 18;
const MAX_VERSION = 4;
const SOFTWARE_NAME_PATTERN = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

/**
 * The features Kafka 4.4 reports, each at the level Fjord implements, so no client or tool is
 * promised what is not there. Kafka lists a finalized level only when it is above 0.
 */
export const FEATURES: readonly { name: string; minVersion: number; maxVersion: number; finalizedLevel: number }[] = [
  // Level 7 = 3.3-IV3, the lowest Kafka 4.x accepts: Fjord keeps no KRaft metadata log, so it
  // claims none of the metadata features added since (clients do not read this level).
  { name: 'metadata.version', minVersion: 7, maxVersion: 7, finalizedLevel: 7 },
  // 1 = dynamic Raft voters (KIP-853): there is no Raft quorum at all yet.
  { name: 'kraft.version', minVersion: 0, maxVersion: 0, finalizedLevel: 0 },
  // 1 = the KIP-848 consumer protocol (ConsumerGroupHeartbeat): only classic groups exist.
  { name: 'group.version', minVersion: 0, maxVersion: 0, finalizedLevel: 0 },
  // 1-2 = transactions v2 (KIP-890): no transactions yet.
  { name: 'transaction.version', minVersion: 0, maxVersion: 0, finalizedLevel: 0 },
  // Share groups (KIP-932), streams groups (KIP-1071), eligible leader replicas (KIP-966): none.
  { name: 'share.version', minVersion: 0, maxVersion: 0, finalizedLevel: 0 },
  { name: 'streams.version', minVersion: 0, maxVersion: 0, finalizedLevel: 0 },
  { name: 'eligible.leader.replicas.version', minVersion: 0, maxVersion: 0, finalizedLevel: 0 },
];
/**
 * Kafka sends the metadata offset of the last feature change; the levels above never change, and
 * the Java client only takes finalized features from an epoch >= 0 (ApiVersions.update).
 */
const FINALIZED_FEATURES_EPOCH = 0n;

export function maxApiVersionsVersion(): number {
  return MAX_VERSION;
}

export function advertisedApiKeys(
  registry: HandlerRegistry = brokerHandlers,
): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return registry.registered().map((handler) => ({
    apiKey: handler.apiKey,
    minVersion: handler.advertisedMinVersion ?? handler.minVersion,
    maxVersion: handler.maxVersion,
  }));
}

/** The ApiVersions handler of `registry`: it advertises exactly the handlers of that registry. */
export function apiVersionsHandler(registry: HandlerRegistry): ApiHandler<ApiVersionsRequest, ApiVersionsResponseInput> {
  return {
    apiKey: API_VERSIONS_KEY,
    name: 'ApiVersions',
    minVersion: 0,
    maxVersion: MAX_VERSION,
    decodeRequest: decodeApiVersionsRequest,
    encodeResponse: encodeApiVersionsResponse,
    handle(request, info) {
      const apiKeys = advertisedApiKeys(registry);
      if (
        info.apiVersion >= 3 &&
        (!SOFTWARE_NAME_PATTERN.test(request.clientSoftwareName) || !SOFTWARE_NAME_PATTERN.test(request.clientSoftwareVersion))
      ) {
        return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys, throttleTimeMs: 0 };
      }
      return {
        errorCode: ErrorCode.NONE,
        apiKeys,
        throttleTimeMs: 0,
        supportedFeatures: FEATURES.map(({ name, minVersion, maxVersion }) => ({ name, minVersion, maxVersion })),
        finalizedFeaturesEpoch: FINALIZED_FEATURES_EPOCH,
        finalizedFeatures: FEATURES.filter((feature) => feature.finalizedLevel > 0).map(({ name, finalizedLevel }) => ({
          name,
          minVersionLevel: finalizedLevel,
          maxVersionLevel: finalizedLevel,
        })),
      };
    },
  };
}

brokerHandlers.register(apiVersionsHandler(brokerHandlers));
