import type { Logger } from '../io/logger.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { ConfigType } from '../config/config-types.js';
import { TOPIC_CONFIGS, TOPIC_CONFIG_BY_NAME } from '../config/topic-config.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { Topic, TopicError, type TopicRegistry } from '../topics/topic-registry.js';

/**
 * Shared by the config admin handlers (CreateTopics v5+, DescribeConfigs, AlterConfigs,
 * IncrementalAlterConfigs): how Kafka describes a config entry (source, synonyms, type) and how
 * it validates a requested set of topic overrides. Not a handler; index.ts does not import it.
 */

/** Kafka's ConfigResource.Type ids. */
export const ResourceType = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16, GROUP: 32 } as const;

/** DescribeConfigsResponse.ConfigSource ids. */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;

/** DescribeConfigsResponse.ConfigType ids. */
const CONFIG_TYPE_CODE: Record<ConfigType, number> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
};

export function configTypeCode(type: ConfigType | undefined): number {
  return type === undefined ? 0 : CONFIG_TYPE_CODE[type];
}

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: number;
}

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: ConfigSynonym[];
  configType: number;
  documentation: string | null;
}

/**
 * Kafka's static defaults (KafkaConfig) for the broker properties that are topic-config synonyms,
 * where they differ from the topic config's own default: the *.ms variants have no default (the
 * hours/minutes variant carries it), and log.flush.interval.ms defaults to null.
 */
const BROKER_SYNONYM_DEFAULT_OVERRIDES: ReadonlyMap<string, string | null> = new Map([
  ['log.retention.ms', null],
  ['log.retention.minutes', null],
  ['log.retention.hours', '168'],
  ['log.roll.ms', null],
  ['log.roll.hours', '168'],
  ['log.roll.jitter.ms', null],
  ['log.roll.jitter.hours', '0'],
  ['log.flush.interval.ms', null],
]);

/** Broker property name -> [the synonym group it belongs to, the topic config it backs]. */
const SYNONYM_GROUP = new Map<string, { group: readonly string[]; topicConfig: string }>();
for (const definition of TOPIC_CONFIGS) {
  for (const synonym of definition.brokerSynonyms)
    SYNONYM_GROUP.set(synonym, { group: definition.brokerSynonyms, topicConfig: definition.name });
}

function brokerSynonymDefault(name: string): string | null {
  if (BROKER_SYNONYM_DEFAULT_OVERRIDES.has(name)) return BROKER_SYNONYM_DEFAULT_OVERRIDES.get(name)!;
  const backing = SYNONYM_GROUP.get(name);
  return backing ? TOPIC_CONFIG_BY_NAME.get(backing.topicConfig)!.defaultValue : null;
}

/**
 * Kafka's ConfigHelper.configSynonyms: static broker values of the group, then static defaults of
 * the group, then everything before `name` dropped (so retention.ms, whose primary synonym
 * log.retention.ms has no default, reports no synonyms and DEFAULT_CONFIG unless log.retention.ms
 * itself is set, exactly as Kafka does).
 */
function brokerSynonymChain(config: BrokerConfig, name: string, group: readonly string[]): ConfigSynonym[] {
  const chain: ConfigSynonym[] = [];
  for (const synonym of group) {
    const value = config.properties.get(synonym);
    if (value !== undefined) chain.push({ name: synonym, value, source: ConfigSource.STATIC_BROKER_CONFIG });
  }
  for (const synonym of group) {
    const value = brokerSynonymDefault(synonym);
    if (value !== null) chain.push({ name: synonym, value, source: ConfigSource.DEFAULT_CONFIG });
  }
  const start = chain.findIndex((entry) => entry.name === name);
  return start < 0 ? [] : chain.slice(start);
}

export interface DescribeOptions {
  includeSynonyms: boolean;
  includeDocumentation: boolean;
  /** null or empty = every config. */
  keys: readonly string[] | null;
}

/** Every topic config (TOPIC_CONFIGS) of `topic`, with Kafka's sources and synonyms. */
export function describeTopicConfigs(
  registry: TopicRegistry,
  config: BrokerConfig,
  topic: Topic,
  options: DescribeOptions,
): DescribedConfig[] {
  const wanted = options.keys && options.keys.length > 0 ? new Set(options.keys) : null;
  const result: DescribedConfig[] = [];
  for (const entry of registry.effectiveConfig(topic)) {
    if (wanted && !wanted.has(entry.name)) continue;
    const definition = TOPIC_CONFIG_BY_NAME.get(entry.name)!;
    const primary = definition.brokerSynonyms[0];
    const synonyms = primary === undefined ? [] : brokerSynonymChain(config, primary, definition.brokerSynonyms);
    const override = topic.configs[entry.name];
    if (override !== undefined) synonyms.unshift({ name: entry.name, value: override, source: ConfigSource.TOPIC_CONFIG });
    const isSensitive = definition.type === 'password';
    result.push({
      name: entry.name,
      value: isSensitive ? null : entry.value,
      readOnly: false,
      configSource: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      isSensitive,
      synonyms: options.includeSynonyms ? synonyms : [],
      configType: configTypeCode(definition.type),
      documentation: options.includeDocumentation ? topicConfigDocumentation(entry.name) : null,
    });
  }
  return result;
}

function topicConfigDocumentation(name: string): string {
  const definition = TOPIC_CONFIG_BY_NAME.get(name)!;
  const synonyms = definition.brokerSynonyms.length > 0 ? ` Broker default: ${definition.brokerSynonyms.join(', ')}.` : '';
  return `Topic-level ${definition.type} config '${name}' (default ${definition.defaultValue}).${synonyms}`;
}

/** Broker properties Fjord knows, with their parsed values (BrokerConfig fields). */
function brokerFieldValues(config: BrokerConfig): Array<[string, string | null, ConfigType]> {
  const listeners = (items: BrokerConfig['listeners']) =>
    items.map((l) => `${l.name}://${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`).join(',');
  return [
    ['node.id', String(config.nodeId), 'int'],
    ['broker.id', String(config.nodeId), 'int'],
    ['cluster.id', config.clusterId, 'string'],
    ['listeners', listeners(config.listeners), 'list'],
    ['advertised.listeners', listeners(config.advertisedListeners), 'list'],
    ['log.dirs', config.logDirs.join(','), 'list'],
    ['num.partitions', String(config.numPartitions), 'int'],
    ['default.replication.factor', String(config.defaultReplicationFactor), 'short'],
    ['auto.create.topics.enable', String(config.autoCreateTopicsEnable), 'boolean'],
    ['delete.topic.enable', String(config.deleteTopicEnable), 'boolean'],
    ['message.max.bytes', String(config.messageMaxBytes), 'int'],
    ['socket.request.max.bytes', String(config.socketRequestMaxBytes), 'int'],
    ['max.connections', String(config.maxConnections), 'int'],
    ['queued.max.requests', String(config.queuedMaxRequests), 'int'],
    ['connections.max.idle.ms', String(config.connectionsMaxIdleMs), 'long'],
    ['log.retention.check.interval.ms', String(config.logRetentionCheckIntervalMs), 'long'],
    ['producer.id.expiration.ms', String(config.producerIdExpirationMs), 'int'],
    ['transaction.max.timeout.ms', String(config.transactionMaxTimeoutMs), 'int'],
    ['fetch.max.bytes', String(config.fetchMaxBytes), 'int'],
  ];
}

/**
 * The broker resource (DescribeConfigs type 4, name = our node id): the properties Fjord parses,
 * everything given in the properties file, and every broker synonym of a topic config. None can
 * be changed at run time yet, so all are read-only; sources are STATIC_BROKER_CONFIG when given,
 * else DEFAULT_CONFIG.
 */
export function describeBrokerConfigs(config: BrokerConfig, options: DescribeOptions): DescribedConfig[] {
  const entries = new Map<string, { value: string | null; type: ConfigType | undefined }>();
  for (const [name, value, type] of brokerFieldValues(config)) entries.set(name, { value, type });
  for (const [name, synonym] of SYNONYM_GROUP) {
    const type = TOPIC_CONFIG_BY_NAME.get(synonym.topicConfig)!.type;
    entries.set(name, { value: config.properties.get(name) ?? brokerSynonymDefault(name), type });
  }
  for (const [name, value] of config.properties) if (!entries.has(name)) entries.set(name, { value, type: undefined });
  const wanted = options.keys && options.keys.length > 0 ? new Set(options.keys) : null;
  const result: DescribedConfig[] = [];
  for (const name of [...entries.keys()].sort()) {
    if (wanted && !wanted.has(name)) continue;
    const { value, type } = entries.get(name)!;
    const group = SYNONYM_GROUP.get(name)?.group ?? [name];
    let synonyms = brokerSynonymChain(config, name, group);
    if (!SYNONYM_GROUP.has(name)) {
      // Not a topic synonym: the value is either given (static) or Fjord's default.
      const given = config.properties.get(name);
      synonyms =
        given !== undefined
          ? [{ name, value: given, source: ConfigSource.STATIC_BROKER_CONFIG }]
          : value !== null
            ? [{ name, value, source: ConfigSource.DEFAULT_CONFIG }]
            : [];
    }
    const isSensitive = type === 'password';
    result.push({
      name,
      value: isSensitive ? null : value,
      readOnly: true,
      configSource: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      isSensitive,
      synonyms: options.includeSynonyms ? synonyms : [],
      configType: configTypeCode(type),
      documentation: null,
    });
  }
  return result;
}

/** Thrown for a bad request inside a resource; becomes that resource's error code and message. */
export class ResourceError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Validates a complete override set for a topic as Kafka's controller does (unknown names, null
 * values, bad values); returns the canonical map. Throws ResourceError.
 */
export function validateTopicOverrides(
  registry: TopicRegistry,
  configs: ReadonlyArray<{ name: string; value: string | null }>,
): Record<string, string> {
  const result: Record<string, string> = {};
  const nulls = configs.filter((entry) => entry.value === null).map((entry) => entry.name);
  if (nulls.length > 0) throw new ResourceError(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${nulls.join(',')}`);
  for (const { name, value } of configs) {
    if (!TOPIC_CONFIG_BY_NAME.has(name)) throw new ResourceError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
    try {
      registry.validateConfig(name, value!);
    } catch (error) {
      if (error instanceof TopicError) throw new ResourceError(error.errorCode, error.message);
      throw error;
    }
    result[name] = value!.trim();
  }
  return result;
}

/** A stand-in Topic for describing the configs of a topic that does not exist yet (CreateTopics). */
export function prospectiveTopic(name: string, configs: Record<string, string>): Topic {
  return new Topic(name, '00000000000000000000000000000000', configs);
}

/** Kafka's resourceNameToBrokerId check for BROKER resources; throws ResourceError. */
export function checkBrokerResourceName(name: string, nodeId: number): 'default' | 'node' {
  if (name === '') return 'default';
  if (!/^-?\d+$/.test(name)) throw new ResourceError(ErrorCode.INVALID_REQUEST, `Broker id must be an integer, but it is: ${name}`);
  if (Number(name) !== nodeId) {
    throw new ResourceError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${nodeId} or empty string, but received ${name}`);
  }
  return 'node';
}

/** Kafka's validateManualPartitionAssignment with one registered broker (this node). */
export function checkManualAssignment(nodeId: number, brokerIds: readonly number[], replicationFactor: number | null): void {
  if (brokerIds.length === 0) {
    throw new ResourceError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.');
  }
  const sorted = [...brokerIds].sort((a, b) => a - b);
  let previous: number | null = null;
  for (const brokerId of sorted) {
    if (brokerId !== nodeId) {
      throw new ResourceError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `The manual partition assignment includes broker ${brokerId}, but no such broker is registered.`,
      );
    }
    if (brokerId === previous) {
      throw new ResourceError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `The manual partition assignment includes the broker ${brokerId} more than once.`,
      );
    }
    previous = brokerId;
  }
  if (replicationFactor !== null && sorted.length !== replicationFactor) {
    throw new ResourceError(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `The manual partition assignment includes a partition with ${sorted.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`,
    );
  }
}

/** Duplicate (type, name) resources in one alter request: Kafka fails every copy. */
export function duplicateResources(resources: ReadonlyArray<{ resourceType: number; resourceName: string }>): Set<number> {
  const firstIndex = new Map<string, number>();
  const duplicates = new Set<number>();
  resources.forEach((resource, index) => {
    const key = `${resource.resourceType}:${resource.resourceName}`;
    const first = firstIndex.get(key);
    if (first === undefined) firstIndex.set(key, index);
    else {
      duplicates.add(first);
      duplicates.add(index);
    }
  });
  return duplicates;
}

/** The answer for any BROKER resource in AlterConfigs / IncrementalAlterConfigs. */
export function brokerAlterUnsupported(resourceName: string, nodeId: number, names: readonly string[]): ResourceError {
  checkBrokerResourceName(resourceName, nodeId);
  const what = names.length > 0 ? ` (${names.join(', ')})` : '';
  return new ResourceError(
    ErrorCode.INVALID_REQUEST,
    `Dynamic broker configs are not supported by this broker yet${what}: set them in the broker's properties file and restart it.`,
  );
}

export function resourceTypeName(type: number): string {
  const entry = Object.entries(ResourceType).find(([, code]) => code === type);
  return entry ? entry[0] : String(type);
}

/**
 * Maps a failure while altering one resource to that resource's error code and message: protocol
 * outcomes keep their code; anything else is logged and reported as UNKNOWN_SERVER_ERROR.
 */
export function resourceFailure(
  error: unknown,
  apiName: string,
  resourceName: string,
  logger: Logger,
): { errorCode: number; errorMessage: string } {
  if (error instanceof ResourceError || error instanceof TopicError) return { errorCode: error.errorCode, errorMessage: error.message };
  logger.error(`${apiName} failed`, { resource: resourceName, error: String(error) });
  return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: String((error as Error).message ?? error) };
}
