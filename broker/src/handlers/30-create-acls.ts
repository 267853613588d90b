import { decodeCreateAclsRequest, type CreateAclsRequest } from '../protocol/generated/create-acls-request.js';
import { encodeCreateAclsResponse, type CreateAclsResponseInput } from '../protocol/generated/create-acls-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { registerHandler } from './registry.js';

/**
 * CreateAcls (30), v1-3. No authorizer (see 29-describe-acls.ts): every creation gets
 * SECURITY_DISABLED with Kafka's message, as `kafka-acls.sh --add` shows against a Kafka broker
 * without `authorizer.class.name`.
 */
registerHandler<CreateAclsRequest, CreateAclsResponseInput>({
  apiKey: 30,
  name: 'CreateAcls',
  minVersion: 1,
  maxVersion: 3,
  decodeRequest: decodeCreateAclsRequest,
  encodeResponse: encodeCreateAclsResponse,
  handle(request) {
    return {
      throttleTimeMs: 0,
      results: request.creations.map(() => ({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.' })),
    };
  },
});
