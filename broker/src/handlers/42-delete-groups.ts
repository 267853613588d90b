import { decodeDeleteGroupsRequest, type DeleteGroupsRequest } from '../protocol/generated/delete-groups-request.js';
import { encodeDeleteGroupsResponse, type DeleteGroupsResponseInput } from '../protocol/generated/delete-groups-response.js';
import { registerHandler } from './registry.js';

/**
 * DeleteGroups (42), v0-2: only Empty groups (else NON_EMPTY_GROUP); writes tombstones for the
 * group's offsets and metadata and answers once they are appended.
 */
registerHandler<DeleteGroupsRequest, DeleteGroupsResponseInput>({
  apiKey: 42,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  decodeRequest: decodeDeleteGroupsRequest,
  encodeResponse: encodeDeleteGroupsResponse,
  async handle(request, _info, broker) {
    const response = await broker.groups.deleteGroups(request.groupsNames);
    return { throttleTimeMs: 0, results: response.results ?? [] };
  },
});
