import { decodeApiVersionsRequest, type ApiVersionsRequest } from '../protocol/generated/api-versions-request.js';
import { encodeApiVersionsResponse, type ApiVersionsResponseInput } from '../protocol/generated/api-versions-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { registerHandler, registeredHandlers } from './registry.js';

/**
 * ApiVersions (18), v0-4. The key list is computed from the handler registry. Versions above 4
 * are answered by the dispatcher with a v0 body and UNSUPPORTED_VERSION (KIP-511). The response
 * header is always v0, even for flexible v3+ bodies.
 */
export const API_VERSIONS_KEY = 18;
const MAX_VERSION = 4;
const SOFTWARE_NAME_PATTERN = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export function maxApiVersionsVersion(): number {
  return MAX_VERSION;
}

export function advertisedApiKeys(): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return registeredHandlers().map((handler) => ({
    apiKey: handler.apiKey,
    minVersion: handler.advertisedMinVersion ?? handler.minVersion,
    maxVersion: handler.maxVersion,
  }));
}

registerHandler<ApiVersionsRequest, ApiVersionsResponseInput>({
  apiKey: API_VERSIONS_KEY,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: MAX_VERSION,
  decodeRequest: decodeApiVersionsRequest,
  encodeResponse: encodeApiVersionsResponse,
  handle(request, info) {
    const apiKeys = advertisedApiKeys();
    if (
      info.apiVersion >= 3 &&
      (!SOFTWARE_NAME_PATTERN.test(request.clientSoftwareName) || !SOFTWARE_NAME_PATTERN.test(request.clientSoftwareVersion))
    ) {
      return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys, throttleTimeMs: 0 };
    }
    return { errorCode: ErrorCode.NONE, apiKeys, throttleTimeMs: 0 };
  },
});
