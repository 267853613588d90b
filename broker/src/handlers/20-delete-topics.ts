import { decodeDeleteTopicsRequest, type DeleteTopicsRequest } from '../protocol/generated/delete-topics-request.js';
import { encodeDeleteTopicsResponse, type DeleteTopicsResponseInput } from '../protocol/generated/delete-topics-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { BrokerContext } from '../broker-context.js';
import { TopicError } from '../topics/topic-registry.js';
import { registerHandler } from './registry.js';

type TopicResult = NonNullable<DeleteTopicsResponseInput['responses']>[number];

const ZERO_UUID = '00000000000000000000000000000000';

/**
 * DeleteTopics (20), v1-6: by name (v1-5 TopicNames, v6 Topics[].Name) or by topic id (v6), as
 * Kafka's ControllerApis.deleteTopics: duplicates and name+id together are INVALID_REQUEST,
 * unknown names UNKNOWN_TOPIC_OR_PARTITION, unknown ids UNKNOWN_TOPIC_ID, and
 * delete.topic.enable=false TOPIC_DELETION_DISABLED for every topic.
 */
registerHandler<DeleteTopicsRequest, DeleteTopicsResponseInput>({
  apiKey: 20,
  name: 'DeleteTopics',
  minVersion: 1,
  maxVersion: 6,
  decodeRequest: decodeDeleteTopicsRequest,
  encodeResponse: encodeDeleteTopicsResponse,
  async handle(request, _info, broker) {
    const responses: TopicResult[] = [];
    const respond = (name: string | null, topicId: string, errorCode: number, errorMessage: string | null) =>
      responses.push({ name, topicId, errorCode, errorMessage });
    const names = new Set<string>();
    const duplicateNames = new Set<string>();
    const ids = new Set<string>();
    const duplicateIds = new Set<string>();
    const addName = (name: string) => {
      if (duplicateNames.has(name) || names.has(name)) {
        respond(name, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
        names.delete(name);
        duplicateNames.add(name);
      } else names.add(name);
    };
    const addId = (id: string) => {
      if (duplicateIds.has(id) || ids.has(id)) {
        respond(null, id, ErrorCode.INVALID_REQUEST, 'Duplicate topic ID.');
        ids.delete(id);
        duplicateIds.add(id);
      } else ids.add(id);
    };
    request.topicNames.forEach(addName);
    if (request.topicNames.length === 0) {
      for (const topic of request.topics) {
        if (topic.name === null) {
          if (topic.topicId === ZERO_UUID) respond(null, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Neither topic name nor id were specified.');
          else addId(topic.topicId);
        } else if (topic.topicId === ZERO_UUID) {
          addName(topic.name);
        } else {
          respond(topic.name, topic.topicId, ErrorCode.INVALID_REQUEST, 'You may not specify both topic name and topic id.');
        }
      }
    }
    const toDelete: Array<{ name: string; topicId: string; byId: boolean }> = [];
    for (const id of ids) {
      const topic = broker.topics.getById(id);
      if (!topic) respond(null, id, ErrorCode.UNKNOWN_TOPIC_ID, 'This server does not host this topic ID.');
      else toDelete.push({ name: topic.name, topicId: id, byId: true });
    }
    for (const name of names) {
      const topic = broker.topics.get(name);
      if (!topic) respond(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
      else if (!toDelete.some((entry) => entry.name === name)) toDelete.push({ name, topicId: topic.topicId, byId: false });
    }
    for (const entry of toDelete) {
      const result = await deleteOne(broker, entry.name);
      respond(entry.name, entry.topicId, result.errorCode, result.errorMessage);
    }
    return { throttleTimeMs: 0, responses };
  },
});

async function deleteOne(broker: BrokerContext, name: string): Promise<{ errorCode: number; errorMessage: string | null }> {
  try {
    if (broker.topics.get(name)?.isInternal) {
      return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: `Topic ${name} is an internal topic and cannot be deleted.` };
    }
    await broker.topics.delete(name);
    // Committed offsets of a deleted topic go with it, as in Kafka.
    broker.groups.topicDeleted(name);
    broker.logger.info('deleted topic', { topic: name });
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (error) {
    if (error instanceof TopicError) return { errorCode: error.errorCode, errorMessage: error.message };
    broker.logger.error('DeleteTopics failed', { topic: name, error: String(error) });
    return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: String((error as Error).message ?? error) };
  }
}
