/**
 * Config changes for the controller (Kafka's ConfigurationControlManager with the checks of
 * ControllerConfigurationValidator and the broker's ConfigAdminManager): apply IncrementalAlterConfigs
 * operations or an AlterConfigs replacement to a resource's current entries, validate the result,
 * and produce the ConfigRecords that turn the old entries into the new ones. Pure functions over
 * maps; the controller owns the state and replays the records.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { ConfigRecord } from '../protocol/generated/config-record.js';
import { ConfigError } from '../config/config-types.js';
import { TOPIC_CONFIGS, TOPIC_CONFIG_BY_NAME, validateTopicConfig } from '../config/topic-config.js';

/** ConfigResource.Type ids. */
export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;

/** IncrementalAlterConfigs operation ids (AlterConfigOp.OpType). */
export const OP_SET = 0;
export const OP_DELETE = 1;
export const OP_APPEND = 2;
export const OP_SUBTRACT = 3;

/**
 * Broker properties Kafka lets one change at run time, per broker or as the cluster default ""
 * (DynamicBrokerConfig.AllDynamicConfigs in core/src/main/scala/kafka/server/DynamicBrokerConfig.scala:
 * DynamicLogConfig.ReconfigurableConfigs = the primary broker synonym of every topic config,
 * DynamicThreadPool, LogCleaner, SocketServer and DynamicListenerConfig's reconfigurable
 * configs, DynamicProducerStateManagerConfig, DynamicMetricsReporters). Security configs
 * (ssl.*, sasl.*), which Kafka accepts only with a listener prefix, are not listed: Fjord
 * refuses them.
 */
export const DYNAMIC_BROKER_CONFIGS: ReadonlySet<string> = new Set([
  ...TOPIC_CONFIGS.flatMap((definition) => definition.brokerSynonyms.slice(0, 1)),
  // DynamicThreadPool.ReconfigurableConfigs
  'num.io.threads',
  'num.network.threads',
  'num.replica.fetchers',
  'num.recovery.threads.per.data.dir',
  'background.threads',
  // LogCleaner.ReconfigurableConfigs
  'log.cleaner.threads',
  'log.cleaner.dedupe.buffer.size',
  'log.cleaner.io.buffer.size',
  'log.cleaner.io.buffer.load.factor',
  'log.cleaner.io.max.bytes.per.second',
  'log.cleaner.backoff.ms',
  // SocketServer.ReconfigurableConfigs
  'max.connections',
  'max.connections.per.ip',
  'max.connections.per.ip.overrides',
  'max.connection.creation.rate',
  // DynamicListenerConfig.ReconfigurableConfigs
  'listeners',
  'advertised.listeners',
  'listener.security.protocol.map',
  // DynamicProducerStateManagerConfig
  'producer.id.expiration.ms',
  'transaction.partition.verification.enable',
  // DynamicMetricsReporters
  'metric.reporters',
]);

/** DynamicBrokerConfig.PerBrokerConfigs (less the security configs): never at the cluster default "". */
export const PER_BROKER_CONFIGS: ReadonlySet<string> = new Set(['listeners', 'advertised.listeners', 'listener.security.protocol.map']);

export interface ConfigFailure {
  errorCode: number;
  errorMessage: string;
}

export interface ConfigOperation {
  name: string;
  operation: number;
  value: string | null;
}

/** Scala's Set.toString, which Kafka's messages print. */
const scalaSet = (names: string[]) => `Set(${names.join(', ')})`;

function isListConfig(resourceType: number, name: string): boolean {
  if (resourceType === RESOURCE_TOPIC) return TOPIC_CONFIG_BY_NAME.get(name)?.type === 'list';
  return ['listeners', 'advertised.listeners', 'listener.security.protocol.map', 'metric.reporters', 'log.cleanup.policy'].includes(name);
}

function defaultValue(resourceType: number, name: string): string {
  return resourceType === RESOURCE_TOPIC ? (TOPIC_CONFIG_BY_NAME.get(name)?.defaultValue ?? '') : '';
}

const splitList = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

/** Applies IncrementalAlterConfigs operations (ConfigurationControlManager.incrementalAlterConfigResource). */
export function applyIncrementalOperations(
  resourceType: number,
  current: ReadonlyMap<string, string>,
  operations: readonly ConfigOperation[],
): ConfigFailure | Map<string, string> {
  const seen = new Set<string>();
  for (const op of operations) {
    if (seen.has(op.name)) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Error due to duplicate config keys' };
    seen.add(op.name);
  }
  const next = new Map(current);
  for (const op of operations) {
    switch (op.operation) {
      case OP_SET:
        if (op.value === null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Null value not supported for : ${op.name}` };
        next.set(op.name, op.value);
        break;
      case OP_DELETE:
        next.delete(op.name);
        break;
      case OP_APPEND:
      case OP_SUBTRACT: {
        const verb = op.operation === OP_APPEND ? 'APPEND' : 'SUBTRACT';
        if (!isListConfig(resourceType, op.name)) {
          return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Can't ${verb} to key ${op.name} because its type is not LIST.` };
        }
        if (op.value === null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Null value not supported for : ${op.name}` };
        const items = splitList(next.get(op.name) ?? defaultValue(resourceType, op.name));
        const operand = splitList(op.value);
        const result =
          op.operation === OP_APPEND
            ? [...items, ...operand.filter((item) => !items.includes(item))]
            : items.filter((item) => !operand.includes(item));
        next.set(op.name, result.join(','));
        break;
      }
      default:
        return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown operation type ${op.operation} for ${op.name}` };
    }
  }
  return next;
}

/**
 * Validates the entries a resource would have. `changed` are the names the request set (only
 * those are checked for being dynamic, as Kafka checks the request's properties).
 */
export function validateConfigs(
  resourceType: number,
  resourceName: string,
  next: ReadonlyMap<string, string>,
  changed: readonly string[],
  maxValueBytes: number,
): ConfigFailure | null {
  for (const name of changed) {
    const value = next.get(name);
    if (value !== undefined && Buffer.byteLength(value) > maxValueBytes) {
      return { errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: `The value of ${name} is longer than ${maxValueBytes} bytes.` };
    }
  }
  if (resourceType === RESOURCE_TOPIC) {
    for (const [name, value] of next) {
      if (!TOPIC_CONFIG_BY_NAME.has(name))
        return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Unknown topic config name: ${name}` };
      try {
        validateTopicConfig(name, value);
      } catch (error) {
        if (error instanceof ConfigError) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: error.message };
        throw error;
      }
    }
    return null;
  }
  const present = changed.filter((name) => next.has(name));
  // KAFKA-13609: Kafka answers INVALID_REQUEST (not INVALID_CONFIG) with the ConfigException's message.
  const notDynamic = present.filter((name) => !DYNAMIC_BROKER_CONFIGS.has(name));
  if (notDynamic.length > 0) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Cannot update these configs dynamically: ${scalaSet(notDynamic)}` };
  }
  const perBroker = present.filter((name) => PER_BROKER_CONFIGS.has(name));
  if (resourceName === '' && perBroker.length > 0) {
    return {
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: `Cannot update these configs at default cluster level, broker id must be specified: ${scalaSet(perBroker)}`,
    };
  }
  for (const name of present) {
    const synonymOf = TOPIC_CONFIGS.find((definition) => definition.brokerSynonyms[0] === name);
    if (synonymOf === undefined) continue;
    try {
      validateTopicConfig(synonymOf.name, next.get(name)!);
    } catch (error) {
      if (error instanceof ConfigError)
        return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Invalid value for ${name}: ${error.message}` };
      throw error;
    }
  }
  return null;
}

/** The resource name checks of ControllerConfigurationValidator. */
export function validateResourceName(resourceType: number, resourceName: string): ConfigFailure | null {
  if (resourceType === RESOURCE_TOPIC) {
    if (resourceName === '') return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Default topic resources are not allowed.' };
    return null;
  }
  if (resourceType === RESOURCE_BROKER) {
    if (resourceName !== '' && !/^\d+$/.test(resourceName)) {
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Unable to parse broker name as a base 10 number.' };
    }
    return null;
  }
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${resourceType}.` };
}

/** The ConfigRecords that turn `current` into `next`, in name order (a set per change, a null value per removal). */
export function configChangeRecords(
  resourceType: number,
  resourceName: string,
  current: ReadonlyMap<string, string>,
  next: ReadonlyMap<string, string>,
): ConfigRecord[] {
  const names = [...new Set([...current.keys(), ...next.keys()])].sort();
  const records: ConfigRecord[] = [];
  for (const name of names) {
    const before = current.get(name);
    const after = next.get(name);
    if (before === after) continue;
    records.push({ resourceType, resourceName, name, value: after ?? null });
  }
  return records;
}
