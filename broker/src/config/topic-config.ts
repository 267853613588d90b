import { ConfigError, parseTypedValue, type ConfigType } from './config-types.js';

/**
 * Topic-level configs with Kafka's names, types and broker synonyms (LogConfig.java /
 * ServerLogConfigs.java). A topic's effective value is its override, else the broker's synonym
 * value, else the default. DescribeConfigs lists every entry here.
 */
export interface TopicConfigDefinition {
  name: string;
  type: ConfigType;
  /** Broker properties that set this topic config's default, most specific first. */
  brokerSynonyms: string[];
  defaultValue: string;
  validValues?: readonly string[];
  minValue?: number;
}

const def = (
  name: string,
  type: ConfigType,
  defaultValue: string,
  brokerSynonyms: string[],
  extra: Partial<TopicConfigDefinition> = {},
): TopicConfigDefinition => ({ name, type, defaultValue, brokerSynonyms, ...extra });

export const TOPIC_CONFIGS: readonly TopicConfigDefinition[] = [
  def('cleanup.policy', 'list', 'delete', ['log.cleanup.policy'], { validValues: ['delete', 'compact'] }),
  def('compression.type', 'string', 'producer', ['compression.type'], {
    validValues: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'],
  }),
  def('compression.gzip.level', 'int', '-1', ['compression.gzip.level']),
  def('compression.lz4.level', 'int', '9', ['compression.lz4.level']),
  def('compression.zstd.level', 'int', '3', ['compression.zstd.level']),
  def('delete.retention.ms', 'long', '86400000', ['log.cleaner.delete.retention.ms'], { minValue: 0 }),
  def('file.delete.delay.ms', 'long', '60000', ['log.segment.delete.delay.ms'], { minValue: 0 }),
  def('flush.messages', 'long', '9223372036854775807', ['log.flush.interval.messages'], { minValue: 1 }),
  def('flush.ms', 'long', '9223372036854775807', ['log.flush.interval.ms'], { minValue: 0 }),
  def('index.interval.bytes', 'int', '4096', ['log.index.interval.bytes'], { minValue: 0 }),
  def('local.retention.bytes', 'long', '-2', ['log.local.retention.bytes'], { minValue: -2 }),
  def('local.retention.ms', 'long', '-2', ['log.local.retention.ms'], { minValue: -2 }),
  def('max.compaction.lag.ms', 'long', '9223372036854775807', ['log.cleaner.max.compaction.lag.ms'], { minValue: 1 }),
  def('max.message.bytes', 'int', '1048588', ['message.max.bytes'], { minValue: 0 }),
  def('message.timestamp.after.max.ms', 'long', '3600000', ['log.message.timestamp.after.max.ms'], { minValue: 0 }),
  def('message.timestamp.before.max.ms', 'long', '9223372036854775807', ['log.message.timestamp.before.max.ms'], {
    minValue: 0,
  }),
  def('message.timestamp.type', 'string', 'CreateTime', ['log.message.timestamp.type'], {
    validValues: ['CreateTime', 'LogAppendTime'],
  }),
  def('min.cleanable.dirty.ratio', 'double', '0.5', ['log.cleaner.min.cleanable.ratio']),
  def('min.compaction.lag.ms', 'long', '0', ['log.cleaner.min.compaction.lag.ms'], { minValue: 0 }),
  def('min.insync.replicas', 'int', '1', ['min.insync.replicas'], { minValue: 1 }),
  def('preallocate', 'boolean', 'false', ['log.preallocate']),
  def('remote.storage.enable', 'boolean', 'false', []),
  def('retention.bytes', 'long', '-1', ['log.retention.bytes']),
  def('retention.ms', 'long', '604800000', ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'], {
    minValue: -1,
  }),
  // Kafka 4 raised the minimum to 1 MiB (KIP-1030).
  def('segment.bytes', 'int', '1073741824', ['log.segment.bytes'], { minValue: 1048576 }),
  def('segment.index.bytes', 'int', '10485760', ['log.index.size.max.bytes'], { minValue: 4 }),
  def('segment.jitter.ms', 'long', '0', ['log.roll.jitter.ms', 'log.roll.jitter.hours'], { minValue: 0 }),
  def('segment.ms', 'long', '604800000', ['log.roll.ms', 'log.roll.hours'], { minValue: 1 }),
  def('unclean.leader.election.enable', 'boolean', 'false', ['unclean.leader.election.enable']),
];

export const TOPIC_CONFIG_BY_NAME: ReadonlyMap<string, TopicConfigDefinition> = new Map(
  TOPIC_CONFIGS.map((definition) => [definition.name, definition]),
);

/** Validates one topic config value; returns the canonical text or throws ConfigError. */
export function validateTopicConfig(name: string, value: string | null): string {
  const definition = TOPIC_CONFIG_BY_NAME.get(name);
  if (!definition) throw new ConfigError(name, `unknown topic config '${name}'`);
  if (value === null) throw new ConfigError(name, 'a value is required');
  const parsed = parseTypedValue(name, definition.type, value);
  if (definition.minValue !== undefined && typeof parsed === 'number' && parsed < definition.minValue) {
    throw new ConfigError(name, `${value} is below the minimum ${definition.minValue}`);
  }
  if (definition.validValues) {
    const items = Array.isArray(parsed) ? parsed : [String(parsed)];
    for (const item of items) {
      if (!definition.validValues.includes(item)) {
        throw new ConfigError(name, `'${item}' is not one of ${definition.validValues.join(', ')}`);
      }
    }
  }
  return value.trim();
}
