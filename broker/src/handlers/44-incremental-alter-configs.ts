import {
  decodeIncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsRequest,
} from '../protocol/generated/incremental-alter-configs-request.js';
import {
  encodeIncrementalAlterConfigsResponse,
  type IncrementalAlterConfigsResponseInput,
} from '../protocol/generated/incremental-alter-configs-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { TOPIC_CONFIG_BY_NAME } from '../config/topic-config.js';
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

type Result = NonNullable<IncrementalAlterConfigsResponseInput['responses']>[number];
type AlterableConfig = IncrementalAlterConfigsRequest['resources'][number]['configs'][number];

/** AlterConfigOp.OpType ids. */
const OpType = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
const OP_NAMES = ['SET', 'DELETE', 'APPEND', 'SUBTRACT'];

/**
 * IncrementalAlterConfigs (44), v0-1: SET / DELETE any topic config, APPEND / SUBTRACT list
 * items of LIST configs (cleanup.policy), applied in request order on top of the current
 * overrides; the result is validated as a whole (Kafka's ConfigurationControlManager).
 * validateOnly checks without applying. BROKER resources: not supported yet (INVALID_REQUEST).
 */
registerHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponseInput>({
  apiKey: 44,
  name: 'IncrementalAlterConfigs',
  minVersion: 0,
  maxVersion: 1,
  decodeRequest: decodeIncrementalAlterConfigsRequest,
  encodeResponse: encodeIncrementalAlterConfigsResponse,
  async handle(request, _info, broker) {
    const duplicates = duplicateResources(request.resources);
    const responses: Result[] = [];
    for (const [index, resource] of request.resources.entries()) {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      try {
        if (duplicates.has(index)) throw new ResourceError(ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.');
        const nulls = resource.configs
          .filter((config) => config.configOperation !== OpType.DELETE && config.value === null)
          .map((config) => config.name);
        if (nulls.length > 0) throw new ResourceError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nulls.join(', ')}`);
        const names = new Set<string>();
        for (const config of resource.configs) {
          if (names.has(config.name)) throw new ResourceError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys');
          names.add(config.name);
          if (config.configOperation < OpType.SET || config.configOperation > OpType.SUBTRACT) {
            throw new ResourceError(
              ErrorCode.INVALID_REQUEST,
              `Unknown operation type ${config.configOperation} for config ${config.name}`,
            );
          }
        }
        switch (resource.resourceType) {
          case ResourceType.TOPIC: {
            const problem = validateTopicName(resource.resourceName);
            if (problem) throw new ResourceError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
            const topic = broker.topics.get(resource.resourceName);
            if (!topic)
              throw new ResourceError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${resource.resourceName}' does not exist.`);
            const overrides = applyOperations(topic.configs, resource.configs);
            const validated = validateTopicOverrides(
              broker.topics,
              Object.entries(overrides).map(([name, value]) => ({ name, value })),
            );
            if (!request.validateOnly) {
              await broker.topics.setConfigs(resource.resourceName, validated);
              broker.logger.info('altered topic configs', { topic: resource.resourceName, configs: validated });
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
        responses.push({ ...base, ...resourceFailure(error, 'IncrementalAlterConfigs', resource.resourceName, broker.logger) });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
});

/** The new override map after the operations; throws ResourceError for unknown names / bad list ops. */
function applyOperations(current: Readonly<Record<string, string>>, operations: readonly AlterableConfig[]): Record<string, string> {
  const result: Record<string, string> = { ...current };
  for (const { name, configOperation, value } of operations) {
    const definition = TOPIC_CONFIG_BY_NAME.get(name);
    if (!definition) throw new ResourceError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
    switch (configOperation) {
      case OpType.SET:
        result[name] = value!;
        break;
      case OpType.DELETE:
        delete result[name];
        break;
      case OpType.APPEND:
      case OpType.SUBTRACT: {
        if (definition.type !== 'list') {
          throw new ResourceError(
            ErrorCode.INVALID_CONFIG,
            `Can't ${OP_NAMES[configOperation]} to key ${name} because its type is not LIST.`,
          );
        }
        // Kafka starts from the override, else the config's own default.
        const base = result[name] ?? definition.defaultValue;
        const items = splitList(base);
        for (const item of splitList(value!)) {
          if (configOperation === OpType.APPEND) {
            if (!items.includes(item)) items.push(item);
          } else {
            const at = items.indexOf(item);
            if (at >= 0) items.splice(at, 1);
          }
        }
        result[name] = items.join(',');
        break;
      }
    }
  }
  return result;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
