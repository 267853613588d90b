import { decodeDeleteAclsRequest, type DeleteAclsRequest } from '../protocol/generated/delete-acls-request.js';
import { encodeDeleteAclsResponse, type DeleteAclsResponseInput } from '../protocol/generated/delete-acls-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { registerHandler } from './registry.js';

/**
 * DeleteAcls (31), v1-3. No authorizer (see 29-describe-acls.ts): every filter gets
 * SECURITY_DISABLED with Kafka's message and no matching ACLs, as `kafka-acls.sh --remove` shows
 * against a Kafka broker without `authorizer.class.name`.
 */
registerHandler<DeleteAclsRequest, DeleteAclsResponseInput>({
  apiKey: 31,
  name: 'DeleteAcls',
  minVersion: 1,
  maxVersion: 3,
  decodeRequest: decodeDeleteAclsRequest,
  encodeResponse: encodeDeleteAclsResponse,
  handle(request) {
    return {
      throttleTimeMs: 0,
      filterResults: request.filters.map(() => ({
        errorCode: ErrorCode.SECURITY_DISABLED,
        errorMessage: 'No Authorizer is configured.',
        matchingAcls: [],
      })),
    };
  },
});
