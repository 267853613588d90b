import { decodeDescribeAclsRequest, type DescribeAclsRequest } from '../protocol/generated/describe-acls-request.js';
import { encodeDescribeAclsResponse, type DescribeAclsResponseInput } from '../protocol/generated/describe-acls-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { registerHandler } from './registry.js';

/**
 * DescribeAcls (29), v1-3. Fjord has no authorizer (every client may do everything), so it answers
 * as Kafka does without `authorizer.class.name`: SECURITY_DISABLED with Kafka's message, which
 * `kafka-acls.sh --list` prints as "SecurityDisabledException: No Authorizer is configured on the
 * broker". Answering instead of closing the connection is what the tools expect.
 */
registerHandler<DescribeAclsRequest, DescribeAclsResponseInput>({
  apiKey: 29,
  name: 'DescribeAcls',
  minVersion: 1,
  maxVersion: 3,
  decodeRequest: decodeDescribeAclsRequest,
  encodeResponse: encodeDescribeAclsResponse,
  handle() {
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.SECURITY_DISABLED,
      errorMessage: 'No Authorizer is configured on the broker',
      resources: [],
    };
  },
});
