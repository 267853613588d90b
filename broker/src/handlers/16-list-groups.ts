import { decodeListGroupsRequest, type ListGroupsRequest } from '../protocol/generated/list-groups-request.js';
import { encodeListGroupsResponse, type ListGroupsResponseInput } from '../protocol/generated/list-groups-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { registerHandler } from './registry.js';

/** ListGroups (16), v0-5: v4 adds the states filter and group state, v5 the types filter and group type. */
registerHandler<ListGroupsRequest, ListGroupsResponseInput>({
  apiKey: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeListGroupsRequest,
  encodeResponse: encodeListGroupsResponse,
  handle(request, info, broker) {
    const states = info.apiVersion >= 4 ? request.statesFilter : [];
    const types = info.apiVersion >= 5 ? request.typesFilter : [];
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: broker.groups.coordinator.listGroups(states, types) };
  },
});
