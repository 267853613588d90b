import { decodeFindCoordinatorRequest, type FindCoordinatorRequest } from '../protocol/generated/find-coordinator-request.js';
import { encodeFindCoordinatorResponse, type FindCoordinatorResponseInput } from '../protocol/generated/find-coordinator-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { BrokerContext } from '../broker-context.js';
import { registerHandler } from './registry.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

/**
 * FindCoordinator (10), v0-6: v0-3 one key (v1+ with a key type), v4+ a batch of keys. One node
 * leads every partition of __consumer_offsets, so the coordinator is always this broker. Key type
 * 1 (transactional id) gets COORDINATOR_NOT_AVAILABLE: Fjord has no transaction coordinator yet.
 */
registerHandler<FindCoordinatorRequest, FindCoordinatorResponseInput>({
  apiKey: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 6,
  decodeRequest: decodeFindCoordinatorRequest,
  encodeResponse: encodeFindCoordinatorResponse,
  handle(request, info, broker) {
    const keyType = info.apiVersion >= 1 ? request.keyType : KEY_TYPE_GROUP;
    if (info.apiVersion >= 4) {
      return { throttleTimeMs: 0, coordinators: request.coordinatorKeys.map((key) => ({ key, ...lookup(broker, keyType) })) };
    }
    return { throttleTimeMs: 0, ...lookup(broker, keyType) };
  },
});

function lookup(broker: BrokerContext, keyType: number) {
  if (keyType === KEY_TYPE_GROUP) {
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      nodeId: broker.nodeId,
      host: broker.advertisedHost,
      port: broker.advertisedPort,
    };
  }
  const [errorCode, errorMessage] =
    keyType === KEY_TYPE_TRANSACTION
      ? [ErrorCode.COORDINATOR_NOT_AVAILABLE, 'Fjord does not implement transactions yet.']
      : [ErrorCode.INVALID_REQUEST, `Unknown coordinator type ${keyType} in FindCoordinator request`];
  return { errorCode, errorMessage, nodeId: -1, host: '', port: -1 };
}
