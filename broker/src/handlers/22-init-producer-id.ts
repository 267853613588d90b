import { decodeInitProducerIdRequest, type InitProducerIdRequest } from '../protocol/generated/init-producer-id-request.js';
import { encodeInitProducerIdResponse, type InitProducerIdResponseInput } from '../protocol/generated/init-producer-id-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { registerHandler } from './registry.js';

/**
 * InitProducerId (22), v0-5. Idempotent (non-transactional) producers get a fresh producer id
 * with epoch 0, as Kafka's coordinator does for a null transactional id. Transactional ids are
 * refused until transactions are implemented.
 */
registerHandler<InitProducerIdRequest, InitProducerIdResponseInput>({
  apiKey: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeInitProducerIdRequest,
  encodeResponse: encodeInitProducerIdResponse,
  async handle(request, info, broker) {
    if (request.transactionalId !== null) {
      // Empty string is INVALID_REQUEST in Kafka too; a real id needs the transaction coordinator.
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, producerId: -1n, producerEpoch: -1 };
    }
    const producerId = await broker.producerIds.allocate();
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: BigInt(producerId), producerEpoch: 0 };
  },
});
