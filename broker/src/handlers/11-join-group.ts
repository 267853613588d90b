import { decodeJoinGroupRequest, type JoinGroupRequest } from '../protocol/generated/join-group-request.js';
import { encodeJoinGroupResponse, type JoinGroupResponseInput } from '../protocol/generated/join-group-response.js';
import { clientInfoOf } from '../group/client-info.js';
import { registerHandler } from './registry.js';

/**
 * JoinGroup (11), v0-9 (Kafka 4.0.1 restored v0/v1, KAFKA-19444). v0 has no rebalance timeout:
 * the session timeout stands in (JoinGroupRequest). v4+ dynamic members get MEMBER_ID_REQUIRED
 * first; v5+ may carry group.instance.id (static membership). The response may be parked until
 * the join phase completes (see group/group-coordinator.ts).
 */
registerHandler<JoinGroupRequest, JoinGroupResponseInput>({
  apiKey: 11,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 9,
  decodeRequest: decodeJoinGroupRequest,
  encodeResponse: encodeJoinGroupResponse,
  async handle(request, info, broker) {
    const response = await broker.groups.join(
      {
        groupId: request.groupId,
        sessionTimeoutMs: request.sessionTimeoutMs,
        rebalanceTimeoutMs: info.apiVersion === 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
        memberId: request.memberId,
        groupInstanceId: info.apiVersion >= 5 ? request.groupInstanceId : null,
        protocolType: request.protocolType,
        protocols: request.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      },
      clientInfoOf(info),
    );
    // SkipAssignment is v9+ and not ignorable (the encoder refuses it below): an older static
    // leader that rejoins gets the members and assigns again.
    return info.apiVersion >= 9 || response.skipAssignment !== true ? response : { ...response, skipAssignment: false };
  },
});
