import { decodeDescribeConfigsRequest, type DescribeConfigsRequest } from '../protocol/generated/describe-configs-request.js';
import { encodeDescribeConfigsResponse, type DescribeConfigsResponseInput } from '../protocol/generated/describe-configs-response.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { validateTopicName } from '../topics/topic-registry.js';
import {
  checkBrokerResourceName,
  describeBrokerConfigs,
  describeTopicConfigs,
  ResourceError,
  resourceTypeName,
  ResourceType,
  type DescribedConfig,
  type DescribeOptions,
} from './admin-configs.js';
import { registerHandler } from './registry.js';

type Result = NonNullable<DescribeConfigsResponseInput['results']>[number];

/**
 * DescribeConfigs (32), v1-4. TOPIC resources list every topic config (TOPIC_CONFIGS) with its
 * effective value and Kafka's source (TOPIC_CONFIG / STATIC_BROKER_CONFIG / DEFAULT_CONFIG) and
 * synonyms; BROKER resources (name = our node id) list the broker's properties, all read-only
 * (no dynamic broker configs yet); the cluster-default broker resource ("") lists the dynamic
 * cluster defaults, which are always none, as on a Kafka cluster that never set any.
 */
registerHandler<DescribeConfigsRequest, DescribeConfigsResponseInput>({
  apiKey: 32,
  name: 'DescribeConfigs',
  minVersion: 1,
  maxVersion: 4,
  decodeRequest: decodeDescribeConfigsRequest,
  encodeResponse: encodeDescribeConfigsResponse,
  handle(request, info, broker) {
    const results: Result[] = request.resources.map((resource) => {
      const options: DescribeOptions = {
        includeSynonyms: request.includeSynonyms,
        includeDocumentation: info.apiVersion >= 3 && request.includeDocumentation,
        keys: resource.configurationKeys,
      };
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      try {
        let configs: DescribedConfig[];
        switch (resource.resourceType) {
          case ResourceType.TOPIC: {
            const problem = validateTopicName(resource.resourceName);
            if (problem) throw new ResourceError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
            const topic = broker.topics.get(resource.resourceName);
            if (!topic)
              throw new ResourceError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${resource.resourceName}' does not exist.`);
            configs = describeTopicConfigs(broker.topics, broker.config, topic, options);
            break;
          }
          case ResourceType.BROKER:
            configs =
              checkBrokerResourceName(resource.resourceName, broker.nodeId) === 'default'
                ? []
                : describeBrokerConfigs(broker.config, options);
            break;
          default:
            throw new ResourceError(ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${resourceTypeName(resource.resourceType)}`);
        }
        return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs };
      } catch (error) {
        if (!(error instanceof ResourceError)) throw error;
        return { ...base, errorCode: error.errorCode, errorMessage: error.message, configs: [] };
      }
    });
    return { throttleTimeMs: 0, results };
  },
});
