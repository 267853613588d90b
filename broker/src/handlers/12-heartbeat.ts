import { decodeHeartbeatRequest, type HeartbeatRequest } from '../protocol/generated/heartbeat-request.js';
import { encodeHeartbeatResponse, type HeartbeatResponseInput } from '../protocol/generated/heartbeat-response.js';
import { registerHandler } from './registry.js';

/** Heartbeat (12), v0-4: REBALANCE_IN_PROGRESS tells the member to rejoin. */
registerHandler<HeartbeatRequest, HeartbeatResponseInput>({
  apiKey: 12,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 4,
  decodeRequest: decodeHeartbeatRequest,
  encodeResponse: encodeHeartbeatResponse,
  handle(request, info, broker) {
    return broker.groups.heartbeat({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: info.apiVersion >= 3 ? request.groupInstanceId : null,
    });
  },
});
