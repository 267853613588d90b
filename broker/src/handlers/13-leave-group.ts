import { decodeLeaveGroupRequest, type LeaveGroupRequest } from '../protocol/generated/leave-group-request.js';
import { encodeLeaveGroupResponse, type LeaveGroupResponseInput } from '../protocol/generated/leave-group-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { registerHandler } from './registry.js';

/**
 * LeaveGroup (13), v0-5. v0-2 name one member at the top level and get one error code back (the
 * member's, as Kafka's LeaveGroupResponse does); v3+ remove a batch of members, by member id or
 * (admin) by group.instance.id alone.
 */
registerHandler<LeaveGroupRequest, LeaveGroupResponseInput>({
  apiKey: 13,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeLeaveGroupRequest,
  encodeResponse: encodeLeaveGroupResponse,
  async handle(request, info, broker) {
    const legacy = info.apiVersion <= 2;
    const members = legacy
      ? [{ memberId: request.memberId, groupInstanceId: null }]
      : request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId }));
    const response = await broker.groups.leave({ groupId: request.groupId, members });
    if (!legacy) return response;
    const memberError = (response.members ?? []).find((m) => m.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE;
    return { errorCode: response.errorCode !== ErrorCode.NONE ? response.errorCode : memberError, members: [] };
  },
});
