import { decodeSyncGroupRequest, type SyncGroupRequest } from '../protocol/generated/sync-group-request.js';
import { encodeSyncGroupResponse, type SyncGroupResponseInput } from '../protocol/generated/sync-group-response.js';
import { registerHandler } from './registry.js';

/**
 * SyncGroup (14), v0-5. Followers are parked until the leader's SyncGroup; each member gets
 * exactly the bytes the leader sent for it (empty if none). v5 adds protocol type/name checks.
 */
registerHandler<SyncGroupRequest, SyncGroupResponseInput>({
  apiKey: 14,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeSyncGroupRequest,
  encodeResponse: encodeSyncGroupResponse,
  handle(request, info, broker) {
    return broker.groups.sync({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: info.apiVersion >= 3 ? request.groupInstanceId : null,
      protocolType: info.apiVersion >= 5 ? request.protocolType : null,
      protocolName: info.apiVersion >= 5 ? request.protocolName : null,
      // Copy: the request frame's buffer is not ours to keep.
      assignments: request.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
    });
  },
});
