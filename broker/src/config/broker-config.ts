import { ConfigError, parseTypedValue, parseProperties, type ConfigType } from './config-types.js';
import { TOPIC_CONFIGS } from './topic-config.js';
import { buildQuorumConfig, type QuorumConfig } from './quorum-config.js';

/**
 * Broker properties, Kafka names and defaults (KafkaConfig / ServerLogConfigs). Parsed and
 * validated once at start-up; nothing else in the broker reads process.env or property text.
 */
interface BrokerPropertyDefinition {
  name: string;
  type: ConfigType;
  /** null = no default (Kafka's "null"). */
  defaultValue: string | null;
  minValue?: number;
  validValues?: readonly string[];
}

const p = (name: string, type: ConfigType, defaultValue: string | null, extra: Partial<BrokerPropertyDefinition> = {}) => ({
  name,
  type,
  defaultValue,
  ...extra,
});

const BROKER_PROPERTIES: readonly BrokerPropertyDefinition[] = [
  p('node.id', 'int', '1', { minValue: 0 }),
  p('broker.id', 'int', null),
  p('process.roles', 'list', 'broker,controller'),
  p('cluster.id', 'string', null),
  p('listeners', 'list', 'PLAINTEXT://:9092'),
  p('advertised.listeners', 'list', null),
  p('log.dirs', 'list', null),
  p('log.dir', 'list', '/tmp/kafka-logs'),
  p('num.partitions', 'int', '1', { minValue: 1 }),
  p('default.replication.factor', 'short', '1', { minValue: 1 }),
  p('auto.create.topics.enable', 'boolean', 'true'),
  p('delete.topic.enable', 'boolean', 'true'),
  p('message.max.bytes', 'int', '1048588', { minValue: 0 }),
  p('socket.request.max.bytes', 'int', '104857600', { minValue: 1 }),
  p('socket.send.buffer.bytes', 'int', '102400'),
  p('socket.receive.buffer.bytes', 'int', '102400'),
  p('max.connections', 'int', '2147483647', { minValue: 0 }),
  p('queued.max.requests', 'int', '500', { minValue: 1 }),
  p('connections.max.idle.ms', 'long', '600000'),
  p('log.segment.bytes', 'int', '1073741824', { minValue: 1048576 }),
  p('log.roll.ms', 'long', null, { minValue: 1 }),
  p('log.roll.hours', 'int', '168', { minValue: 1 }),
  p('log.roll.jitter.ms', 'long', null),
  p('log.roll.jitter.hours', 'int', '0'),
  p('log.retention.ms', 'long', null),
  p('log.retention.minutes', 'int', null),
  p('log.retention.hours', 'int', '168'),
  p('log.retention.bytes', 'long', '-1'),
  p('log.retention.check.interval.ms', 'long', '300000', { minValue: 1 }),
  p('log.index.interval.bytes', 'int', '4096', { minValue: 0 }),
  p('log.index.size.max.bytes', 'int', '10485760', { minValue: 4 }),
  p('log.flush.interval.messages', 'long', '9223372036854775807', { minValue: 1 }),
  p('log.flush.interval.ms', 'long', null),
  p('log.segment.delete.delay.ms', 'long', '60000', { minValue: 0 }),
  p('log.cleanup.policy', 'list', 'delete'),
  p('log.message.timestamp.type', 'string', 'CreateTime', { validValues: ['CreateTime', 'LogAppendTime'] }),
  p('log.message.timestamp.before.max.ms', 'long', '9223372036854775807'),
  p('log.message.timestamp.after.max.ms', 'long', '3600000'),
  p('log.preallocate', 'boolean', 'false'),
  p('log.cleaner.enable', 'boolean', 'true'),
  p('log.cleaner.backoff.ms', 'long', '15000', { minValue: 0 }),
  p('log.cleaner.delete.retention.ms', 'long', '86400000'),
  p('log.cleaner.min.compaction.lag.ms', 'long', '0'),
  p('log.cleaner.max.compaction.lag.ms', 'long', '9223372036854775807'),
  p('log.cleaner.min.cleanable.ratio', 'double', '0.5'),
  p('log.local.retention.ms', 'long', '-2'),
  p('log.local.retention.bytes', 'long', '-2'),
  p('compression.type', 'string', 'producer'),
  p('compression.gzip.level', 'int', '-1'),
  p('compression.lz4.level', 'int', '9'),
  p('compression.zstd.level', 'int', '3'),
  p('min.insync.replicas', 'int', '1', { minValue: 1 }),
  p('unclean.leader.election.enable', 'boolean', 'false'),
  p('producer.id.expiration.ms', 'int', '86400000', { minValue: 1 }),
  p('transaction.max.timeout.ms', 'int', '900000', { minValue: 1 }),
  p('offsets.topic.num.partitions', 'int', '50', { minValue: 1 }),
  p('offsets.topic.replication.factor', 'short', '3', { minValue: 1 }),
  p('transaction.state.log.replication.factor', 'short', '3', { minValue: 1 }),
  p('transaction.state.log.min.isr', 'int', '2', { minValue: 1 }),
  p('group.initial.rebalance.delay.ms', 'int', '3000', { minValue: 0 }),
  p('group.min.session.timeout.ms', 'int', '6000', { minValue: 0 }),
  p('group.max.session.timeout.ms', 'int', '1800000', { minValue: 0 }),
  p('group.max.size', 'int', '2147483647', { minValue: 1 }),
  p('offsets.retention.minutes', 'int', '10080', { minValue: 1 }),
  p('offsets.retention.check.interval.ms', 'long', '600000', { minValue: 1 }),
  p('fetch.max.bytes', 'int', '57671680', { minValue: 1024 }),
  // KRaft: the controller quorum and broker lifecycle (quorum-config.ts validates them together).
  p('controller.quorum.voters', 'list', ''),
  p('controller.quorum.bootstrap.servers', 'list', ''),
  p('controller.listener.names', 'list', ''),
  p('inter.broker.listener.name', 'string', null),
  p('listener.security.protocol.map', 'list', 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT'),
  p('metadata.log.dir', 'string', null),
  p('broker.rack', 'string', null),
  p('controller.quorum.election.timeout.ms', 'int', '1000', { minValue: 1 }),
  p('controller.quorum.fetch.timeout.ms', 'int', '2000', { minValue: 1 }),
  p('controller.quorum.election.backoff.max.ms', 'int', '1000', { minValue: 1 }),
  p('controller.quorum.request.timeout.ms', 'int', '2000', { minValue: 1 }),
  p('controller.quorum.retry.backoff.ms', 'int', '20', { minValue: 0 }),
  p('controller.quorum.append.linger.ms', 'int', '25', { minValue: 0 }),
  p('broker.session.timeout.ms', 'int', '9000', { minValue: 1 }),
  p('broker.heartbeat.interval.ms', 'int', '2000', { minValue: 1 }),
  p('initial.broker.registration.timeout.ms', 'int', '60000', { minValue: 1 }),
  p('metadata.log.segment.bytes', 'int', '1073741824', { minValue: 8388608 }),
  p('metadata.max.retention.bytes', 'long', '104857600'),
  p('metadata.max.retention.ms', 'long', '604800000'),
  p('metadata.log.max.snapshot.interval.ms', 'long', '3600000', { minValue: 0 }),
  p('metadata.log.max.record.bytes.between.snapshots', 'long', '20971520', { minValue: 1 }),
  // Fjord-specific limits (documented in README "Configuration").
  p('fjord.connection.inflight.requests.max', 'int', '100', { minValue: 1 }),
  p('fjord.fetch.wait.ms.max', 'int', '30000', { minValue: 0 }),
  p('fjord.log.tail.cache.bytes', 'int', '4194304', { minValue: 0 }),
  // Idle 1 MiB buffers kept for Fetch's disk reads (0: allocate every read).
  p('fjord.fetch.read.buffers.max', 'int', '8', { minValue: 0 }),
  p('fjord.shutdown.timeout.ms', 'int', '10000', { minValue: 0 }),
  // The HTTP port for /healthz, /readyz and /metrics; -1 (the default) turns it off.
  p('fjord.http.port', 'int', '-1', { minValue: -1 }),
  p('fjord.http.host', 'string', ''),
];

const DEFINITION_BY_NAME = new Map(BROKER_PROPERTIES.map((definition) => [definition.name, definition]));

export interface Listener {
  name: string;
  host: string;
  port: number;
}

export interface BrokerConfig {
  nodeId: number;
  clusterId: string | null;
  listeners: Listener[];
  advertisedListeners: Listener[];
  logDirs: string[];
  numPartitions: number;
  defaultReplicationFactor: number;
  autoCreateTopicsEnable: boolean;
  deleteTopicEnable: boolean;
  messageMaxBytes: number;
  socketRequestMaxBytes: number;
  maxConnections: number;
  queuedMaxRequests: number;
  connectionsMaxIdleMs: number;
  logRetentionCheckIntervalMs: number;
  logCleanerEnable: boolean;
  logCleanerBackoffMs: number;
  producerIdExpirationMs: number;
  transactionMaxTimeoutMs: number;
  fetchMaxBytes: number;
  inflightRequestsPerConnectionMax: number;
  fetchWaitMsMax: number;
  logTailCacheBytes: number;
  fetchReadBuffersMax: number;
  shutdownTimeoutMs: number;
  /** -1 = no HTTP port. */
  httpPort: number;
  httpHost: string;
  /** Consumer groups (group coordinator). */
  offsetsTopicNumPartitions: number;
  groupInitialRebalanceDelayMs: number;
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  groupMaxSize: number;
  /** offsets.retention.minutes in ms. */
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  /** Roles, controller quorum, metadata log (KRaft). */
  quorum: QuorumConfig;
  /** Every property as given (file + overrides), for topic defaults and DescribeConfigs. */
  properties: ReadonlyMap<string, string>;
  /** Effective broker-level default for each topic config name (resolved through synonyms). */
  topicDefaults: ReadonlyMap<string, { value: string; source: 'default' | 'static-broker'; synonym: string | null }>;
  warnings: string[];
}

export function loadBrokerConfig(fileText: string | null, overrides: ReadonlyMap<string, string>): BrokerConfig {
  const given = new Map<string, string>(fileText === null ? [] : parseProperties(fileText));
  for (const [key, value] of overrides) given.set(key, value);
  return buildBrokerConfig(given);
}

function buildBrokerConfig(given: Map<string, string>): BrokerConfig {
  const warnings: string[] = [];
  const value = (name: string): number | boolean | string | string[] | null => {
    const definition = DEFINITION_BY_NAME.get(name);
    if (!definition) throw new Error(`programmer error: ${name} is not a broker property`);
    const raw = given.get(name) ?? definition.defaultValue;
    if (raw === null) return null;
    const parsed = parseTypedValue(name, definition.type, raw);
    if (definition.minValue !== undefined && typeof parsed === 'number' && parsed < definition.minValue) {
      throw new ConfigError(name, `${raw} is below the minimum ${definition.minValue}`);
    }
    if (definition.validValues && !definition.validValues.includes(String(parsed))) {
      throw new ConfigError(name, `'${raw}' is not one of ${definition.validValues.join(', ')}`);
    }
    return parsed;
  };
  // Validate every known property that was given, and warn (like Kafka) about unknown ones.
  for (const name of given.keys()) {
    if (DEFINITION_BY_NAME.has(name)) value(name);
    else warnings.push(`The configuration '${name}' was supplied but isn't a known config.`);
  }
  const num = (name: string) => value(name) as number;
  const brokerId = value('broker.id') as number | null;
  const nodeId = given.has('node.id') || brokerId === null ? num('node.id') : brokerId;
  if (brokerId !== null && given.has('node.id') && brokerId !== nodeId) {
    throw new ConfigError('broker.id', `${brokerId} does not match node.id ${nodeId}`);
  }
  const listeners = parseListeners('listeners', value('listeners') as string[]);
  if (listeners.length === 0) throw new ConfigError('listeners', 'at least one listener is required');
  checkSecurityProtocols(value('listener.security.protocol.map') as string[], listeners);
  const advertisedRaw = value('advertised.listeners') as string[] | null;
  const advertisedListeners = advertisedRaw ? parseListeners('advertised.listeners', advertisedRaw) : listeners.map(defaultAdvertised);
  const logDirs = (value('log.dirs') as string[] | null) ?? (value('log.dir') as string[]);
  if (logDirs.length === 0) throw new ConfigError('log.dirs', 'at least one directory is required');
  if (logDirs.length > 1) throw new ConfigError('log.dirs', 'Fjord supports one log directory per broker for now');
  const messageMaxBytes = num('message.max.bytes');
  const socketRequestMaxBytes = num('socket.request.max.bytes');
  if (messageMaxBytes > socketRequestMaxBytes) {
    throw new ConfigError('message.max.bytes', `${messageMaxBytes} exceeds socket.request.max.bytes ${socketRequestMaxBytes}`);
  }
  const quorum = buildQuorumConfig({
    nodeId,
    processRoles: value('process.roles') as string[],
    voters: value('controller.quorum.voters') as string[],
    bootstrapServers: value('controller.quorum.bootstrap.servers') as string[],
    controllerListenerNames: value('controller.listener.names') as string[],
    interBrokerListenerName: value('inter.broker.listener.name') as string | null,
    metadataLogDir: value('metadata.log.dir') as string | null,
    brokerRack: value('broker.rack') as string | null,
    listeners,
    logDirs,
    electionTimeoutMs: num('controller.quorum.election.timeout.ms'),
    fetchTimeoutMs: num('controller.quorum.fetch.timeout.ms'),
    electionBackoffMaxMs: num('controller.quorum.election.backoff.max.ms'),
    requestTimeoutMs: num('controller.quorum.request.timeout.ms'),
    retryBackoffMs: num('controller.quorum.retry.backoff.ms'),
    appendLingerMs: num('controller.quorum.append.linger.ms'),
    brokerSessionTimeoutMs: num('broker.session.timeout.ms'),
    brokerHeartbeatIntervalMs: num('broker.heartbeat.interval.ms'),
    initialBrokerRegistrationTimeoutMs: num('initial.broker.registration.timeout.ms'),
    metadataLogSegmentBytes: num('metadata.log.segment.bytes'),
    metadataMaxRetentionBytes: num('metadata.max.retention.bytes'),
    metadataMaxRetentionMs: num('metadata.max.retention.ms'),
    metadataSnapshotMaxIntervalMs: num('metadata.log.max.snapshot.interval.ms'),
    metadataSnapshotMaxNewRecordBytes: num('metadata.log.max.record.bytes.between.snapshots'),
  });
  return {
    nodeId,
    quorum,
    clusterId: value('cluster.id') as string | null,
    listeners,
    advertisedListeners,
    logDirs,
    numPartitions: num('num.partitions'),
    defaultReplicationFactor: num('default.replication.factor'),
    autoCreateTopicsEnable: value('auto.create.topics.enable') as boolean,
    deleteTopicEnable: value('delete.topic.enable') as boolean,
    messageMaxBytes,
    socketRequestMaxBytes,
    maxConnections: num('max.connections'),
    queuedMaxRequests: num('queued.max.requests'),
    connectionsMaxIdleMs: num('connections.max.idle.ms'),
    logRetentionCheckIntervalMs: num('log.retention.check.interval.ms'),
    logCleanerEnable: value('log.cleaner.enable') as boolean,
    logCleanerBackoffMs: num('log.cleaner.backoff.ms'),
    producerIdExpirationMs: num('producer.id.expiration.ms'),
    transactionMaxTimeoutMs: num('transaction.max.timeout.ms'),
    fetchMaxBytes: num('fetch.max.bytes'),
    inflightRequestsPerConnectionMax: num('fjord.connection.inflight.requests.max'),
    fetchWaitMsMax: num('fjord.fetch.wait.ms.max'),
    logTailCacheBytes: num('fjord.log.tail.cache.bytes'),
    fetchReadBuffersMax: num('fjord.fetch.read.buffers.max'),
    shutdownTimeoutMs: num('fjord.shutdown.timeout.ms'),
    httpPort: num('fjord.http.port'),
    httpHost: value('fjord.http.host') as string,
    offsetsTopicNumPartitions: num('offsets.topic.num.partitions'),
    groupInitialRebalanceDelayMs: num('group.initial.rebalance.delay.ms'),
    groupMinSessionTimeoutMs: num('group.min.session.timeout.ms'),
    groupMaxSessionTimeoutMs: num('group.max.session.timeout.ms'),
    groupMaxSize: num('group.max.size'),
    offsetsRetentionMs: num('offsets.retention.minutes') * 60_000,
    offsetsRetentionCheckIntervalMs: num('offsets.retention.check.interval.ms'),
    properties: given,
    topicDefaults: resolveTopicDefaults(given),
    warnings,
  };
}

/** Kafka resolves e.g. retention.ms from log.retention.ms, else minutes, else hours (x unit). */
function resolveTopicDefaults(given: Map<string, string>): BrokerConfig['topicDefaults'] {
  const unitMs: Record<string, number> = {
    'log.retention.minutes': 60_000,
    'log.retention.hours': 3_600_000,
    'log.roll.hours': 3_600_000,
    'log.roll.jitter.hours': 3_600_000,
  };
  const defaults = new Map<string, { value: string; source: 'default' | 'static-broker'; synonym: string | null }>();
  for (const topicConfig of TOPIC_CONFIGS) {
    let resolved: { value: string; source: 'default' | 'static-broker'; synonym: string | null } | null = null;
    for (const synonym of topicConfig.brokerSynonyms) {
      const raw = given.get(synonym);
      if (raw === undefined) continue;
      const unit = unitMs[synonym];
      const text = unit === undefined ? raw.trim() : String(Number(raw.trim()) * unit);
      resolved = { value: text, source: 'static-broker', synonym };
      break;
    }
    defaults.set(topicConfig.name, resolved ?? { value: topicConfig.defaultValue, source: 'default', synonym: null });
  }
  return defaults;
}

function parseListeners(property: string, items: string[]): Listener[] {
  return items.map((item) => {
    const match = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(item);
    if (!match) throw new ConfigError(property, `'${item}' is not of the form NAME://host:port`);
    const port = Number(match[3]);
    if (port > 65535) throw new ConfigError(property, `port ${port} is out of range`);
    return { name: match[1]!, host: match[2]!.replace(/^\[|\]$/g, ''), port };
  });
}

/** Fjord speaks PLAINTEXT only (no TLS or SASL yet): a listener mapped to anything else is refused
 * rather than silently served in the clear. Unmapped listener names count as PLAINTEXT, as
 * Kafka does for controller listeners in KRaft. */
function checkSecurityProtocols(entries: string[], listeners: readonly Listener[]): void {
  const protocolByName = new Map<string, string>();
  for (const entry of entries) {
    const match = /^([A-Za-z0-9_]+):([A-Za-z_]+)$/.exec(entry);
    if (!match) throw new ConfigError('listener.security.protocol.map', `'${entry}' is not of the form NAME:PROTOCOL`);
    protocolByName.set(match[1]!, match[2]!.toUpperCase());
  }
  for (const listener of listeners) {
    const protocol = protocolByName.get(listener.name) ?? 'PLAINTEXT';
    if (protocol !== 'PLAINTEXT') {
      throw new ConfigError(
        'listener.security.protocol.map',
        `listener ${listener.name} maps to ${protocol}; Fjord serves PLAINTEXT only for now`,
      );
    }
  }
}

function defaultAdvertised(listener: Listener): Listener {
  // Kafka advertises the canonical host name when the listener host is empty; for a local
  // broker that clients reach on loopback, localhost is the useful answer.
  const host = listener.host === '' || listener.host === '0.0.0.0' || listener.host === '::' ? 'localhost' : listener.host;
  return { ...listener, host };
}

export function isKnownBrokerProperty(name: string): boolean {
  return DEFINITION_BY_NAME.has(name);
}
