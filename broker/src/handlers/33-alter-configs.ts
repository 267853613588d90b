import { decodeAlterConfigsRequest, type AlterConfigsRequest } from '../protocol/generated/alter-configs-request.js';
import { encodeAlterConfigsResponse, type AlterConfigsResponseInput } from '../protocol/generated/alter-configs-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { validateTopicName } from '../topics/topic-registry.js';
import {
  brokerAlterUnsupported,
  duplicateResources,
  ResourceError,
  resourceFailure,
  resourceTypeName,
  ResourceType,
  validateTopicOverrides,
} from './admin-configs.js';
import { registerHandler } from './registry.js';

type Result = NonNullable<AlterConfigsResponseInput['responses']>[number];

/**
 * AlterConfigs (33), v0-2, the legacy non-incremental form: the given configs become the topic's
 * complete override set (anything not named returns to its default). validateOnly checks without
 * applying. Dynamic broker configs are not supported yet: BROKER resources get INVALID_REQUEST
 * with a message saying so.
 */
registerHandler<AlterConfigsRequest, AlterConfigsResponseInput>({
  apiKey: 33,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 2,
  decodeRequest: decodeAlterConfigsRequest,
  encodeResponse: encodeAlterConfigsResponse,
  async handle(request, _info, broker) {
    const duplicates = duplicateResources(request.resources);
    const responses: Result[] = [];
    for (const [index, resource] of request.resources.entries()) {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      try {
        if (duplicates.has(index)) throw new ResourceError(ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.');
        const nulls = resource.configs.filter((config) => config.value === null).map((config) => config.name);
        if (nulls.length > 0) throw new ResourceError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nulls.join(', ')}`);
        switch (resource.resourceType) {
          case ResourceType.TOPIC: {
            const problem = validateTopicName(resource.resourceName);
            if (problem) throw new ResourceError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
            if (!broker.topics.get(resource.resourceName)) {
              throw new ResourceError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${resource.resourceName}' does not exist.`);
            }
            const names = new Set<string>();
            for (const config of resource.configs) {
              if (names.has(config.name)) throw new ResourceError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys');
              names.add(config.name);
            }
            const overrides = validateTopicOverrides(broker.topics, resource.configs);
            if (!request.validateOnly) {
              await broker.topics.setConfigs(resource.resourceName, overrides);
              broker.logger.info('altered topic configs', { topic: resource.resourceName, configs: overrides });
            }
            break;
          }
          case ResourceType.BROKER:
            throw brokerAlterUnsupported(
              resource.resourceName,
              broker.nodeId,
              resource.configs.map((config) => config.name),
            );
          default:
            throw new ResourceError(ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${resourceTypeName(resource.resourceType)}`);
        }
        responses.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (error) {
        responses.push({ ...base, ...resourceFailure(error, 'AlterConfigs', resource.resourceName, broker.logger) });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
});
