import { decodeDescribeGroupsRequest, type DescribeGroupsRequest } from '../protocol/generated/describe-groups-request.js';
import { encodeDescribeGroupsResponse, type DescribeGroupsResponseInput } from '../protocol/generated/describe-groups-response.js';
import { registerHandler } from './registry.js';

/** With no authorizer every group operation is allowed: READ(3), DELETE(6), DESCRIBE(8). */
const GROUP_OPERATIONS_ALL = (1 << 3) | (1 << 6) | (1 << 8);

/**
 * DescribeGroups (15), v0-6. Members carry their subscription and assignment bytes only in
 * Stable (as Kafka). An unknown group is "Dead" with no error before v6, GROUP_ID_NOT_FOUND from v6.
 */
registerHandler<DescribeGroupsRequest, DescribeGroupsResponseInput>({
  apiKey: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 6,
  decodeRequest: decodeDescribeGroupsRequest,
  encodeResponse: encodeDescribeGroupsResponse,
  handle(request, info, broker) {
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((groupId) => {
        const described = broker.groups.coordinator.describeGroup(groupId, info.apiVersion);
        if (request.includeAuthorizedOperations && described.errorCode === 0) described.authorizedOperations = GROUP_OPERATIONS_ALL;
        return described;
      }),
    };
  },
});
