import { decodeFindCoordinatorRequest, type FindCoordinatorRequest } from '../protocol/generated/find-coordinator-request.js';
import { encodeFindCoordinatorResponse, type FindCoordinatorResponseInput } from '../protocol/generated/find-coordinator-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { BrokerContext } from '../broker-context.js';
import { registerHandler } from './registry.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

/**
 * FindCoordinator (10), v0-6: v0-3 one key (v1+ with a key type), v4+ a batch of keys. One node
 * leads every partition of __consumer_offsets, so the coordinator is always this broker.
 *
 * Key type 1 (transactional id): Fjord has no transaction coordinator yet. The answer is
 * INVALID_REQUEST with a message saying so, which clients do not retry: the Java producer's
 * initTransactions() fails at once with "...due to unexpected error: <message>". Kafka's
 * COORDINATOR_NOT_AVAILABLE would be retried until max.block.ms (a minute by default).
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
      return { throttleTimeMs: 0, coordinators: request.coordinatorKeys.map((key) => ({ key, ...lookup(broker, keyType, key) })) };
    }
    return { throttleTimeMs: 0, ...lookup(broker, keyType, request.key) };
  },
});

function lookup(broker: BrokerContext, keyType: number, key: string) {
  if (keyType === KEY_TYPE_GROUP) {
    // Every group's coordinator is this node until __consumer_offsets has leaders elsewhere.
    const self = broker.cluster.broker(broker.nodeId);
    if (self === undefined) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: null, nodeId: -1, host: '', port: -1 };
    return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: self.nodeId, host: self.host, port: self.port };
  }
  const [errorCode, errorMessage] =
    keyType === KEY_TYPE_TRANSACTION
      ? [
          ErrorCode.INVALID_REQUEST,
          `Transactions are not supported by this broker yet (Fjord): no transaction coordinator for transactional.id '${key}'`,
        ]
      : [ErrorCode.INVALID_REQUEST, `Unknown coordinator type ${keyType} in FindCoordinator request`];
  return { errorCode, errorMessage, nodeId: -1, host: '', port: -1 };
}
