/**
 * The active controller's settings and named limits (Kafka: QuorumController.Builder,
 * KRaftConfigs, ServerConfigs). Everything the controller's state can grow by has a limit here,
 * checked when a request would pass it; `validateControllerConfig` rejects a nonsensical config at
 * construction, before any record is generated.
 */
import { assert } from '../io/assert.js';

/** A feature's version range (Kafka's `SupportedVersionRange`), inclusive. */
export interface FeatureRange {
  name: string;
  minVersion: number;
  maxVersion: number;
}

export const METADATA_VERSION = 'metadata.version';
export const KRAFT_VERSION = 'kraft.version';
export const GROUP_VERSION = 'group.version';

/** MetadataVersion.IBP_3_3_IV3, the lowest level a KRaft cluster of Kafka 4 accepts. */
export const MINIMUM_METADATA_VERSION = 7;
/**
 * MetadataVersion.IBP_3_6_IV0: below it an ISR shrink also bumps the leader epoch
 * (`isLeaderEpochBumpRequiredOnIsrShrink`, the KAFKA-15021 workaround).
 */
export const METADATA_VERSION_3_6_IV0 = 12;

/**
 * The levels Fjord supports, kept equal to `FEATURES` in handlers/18-api-versions.ts (a test
 * checks it): metadata.version 7 only; every other feature at 0 (no dynamic voters, KIP-848
 * groups, transactions v2, share or streams groups, ELR).
 */
export const FJORD_SUPPORTED_FEATURES: readonly FeatureRange[] = [
  { name: METADATA_VERSION, minVersion: 7, maxVersion: 7 },
  { name: KRAFT_VERSION, minVersion: 0, maxVersion: 0 },
  { name: GROUP_VERSION, minVersion: 0, maxVersion: 0 },
  { name: 'transaction.version', minVersion: 0, maxVersion: 0 },
  { name: 'share.version', minVersion: 0, maxVersion: 0 },
  { name: 'streams.version', minVersion: 0, maxVersion: 0 },
  { name: 'eligible.leader.replicas.version', minVersion: 0, maxVersion: 0 },
];

export interface ControllerLimits {
  /** Registered brokers. Kafka has no such limit. */
  maxBrokers: number;
  /** Topics in the cluster. */
  maxTopics: number;
  /** Partitions in the cluster (every election scans them: the bound on its cost). */
  maxPartitionsPerCluster: number;
  /** Partitions one CreateTopics/CreatePartitions may add: Kafka's MAX_PARTITIONS_PER_BATCH (10000). */
  maxPartitionsPerRequest: number;
  /** Replicas of one partition (Kafka: an int16 replication factor). */
  maxReplicationFactor: number;
  /** Config entries of one resource (topic, broker, cluster default). */
  maxConfigsPerResource: number;
  /** Config resources with at least one entry. */
  maxConfigResources: number;
  /** Bytes of one config value. */
  maxConfigValueBytes: number;
}

export interface ControllerConfig {
  /** This controller's node.id. */
  nodeId: number;
  /** The cluster id every broker must register with. */
  clusterId: string;
  /** broker.session.timeout.ms */
  brokerSessionTimeoutMs: number;
  /** broker.heartbeat.interval.ms (what brokers are told to use; the session is what fences). */
  brokerHeartbeatIntervalMs: number;
  /** num.partitions */
  defaultNumPartitions: number;
  /** default.replication.factor */
  defaultReplicationFactor: number;
  /** unclean.leader.election.enable in the controller's own (static) configuration. */
  uncleanLeaderElectionEnable: boolean;
  /** The feature ranges this controller supports (Kafka's QuorumFeatures). */
  supportedFeatures: readonly FeatureRange[];
  /**
   * The feature levels an empty log starts with (what `kafka-storage format --release-version`
   * puts in the bootstrap snapshot); null = the highest level of every supported feature.
   * kraft.version is Raft's (KRaftVersionRecord) and never bootstrapped here.
   */
  bootstrapFeatureLevels: readonly { name: string; level: number }[] | null;
  limits: ControllerLimits;
}

export const DEFAULT_CONTROLLER_LIMITS: Readonly<ControllerLimits> = {
  maxBrokers: 1000,
  maxTopics: 10_000,
  maxPartitionsPerCluster: 100_000,
  maxPartitionsPerRequest: 10_000,
  maxReplicationFactor: 32_767,
  maxConfigsPerResource: 1000,
  maxConfigResources: 20_000,
  maxConfigValueBytes: 1 << 20,
};

export const DEFAULT_CONTROLLER_CONFIG: Readonly<ControllerConfig> = {
  nodeId: 1,
  clusterId: 'fjord-cluster',
  brokerSessionTimeoutMs: 9000,
  brokerHeartbeatIntervalMs: 2000,
  defaultNumPartitions: 1,
  defaultReplicationFactor: 1,
  uncleanLeaderElectionEnable: false,
  supportedFeatures: FJORD_SUPPORTED_FEATURES,
  bootstrapFeatureLevels: null,
  limits: DEFAULT_CONTROLLER_LIMITS,
};

const isPositiveInt = (n: number) => Number.isSafeInteger(n) && n > 0;

/** Throws AssertionError on a config no controller should run with. */
export function validateControllerConfig(config: ControllerConfig): void {
  assert(Number.isSafeInteger(config.nodeId) && config.nodeId >= 0, `controller node id ${config.nodeId} must be >= 0`);
  assert(config.clusterId !== '', 'cluster id must not be empty');
  assert(isPositiveInt(config.brokerSessionTimeoutMs), 'broker.session.timeout.ms must be a positive integer');
  assert(isPositiveInt(config.brokerHeartbeatIntervalMs), 'broker.heartbeat.interval.ms must be a positive integer');
  // Kafka's KafkaConfig check: the heartbeat interval must be below the session timeout.
  assert(
    config.brokerHeartbeatIntervalMs < config.brokerSessionTimeoutMs,
    'broker.heartbeat.interval.ms must be less than broker.session.timeout.ms',
  );
  assert(isPositiveInt(config.defaultNumPartitions), 'num.partitions must be a positive integer');
  assert(isPositiveInt(config.defaultReplicationFactor), 'default.replication.factor must be a positive integer');
  for (const [name, value] of Object.entries(config.limits)) {
    assert(isPositiveInt(value), `controller limit ${name} must be a positive integer, got ${value}`);
  }
  const { limits } = config;
  assert(
    limits.maxPartitionsPerRequest <= limits.maxPartitionsPerCluster,
    'maxPartitionsPerRequest must not exceed maxPartitionsPerCluster',
  );
  assert(limits.maxReplicationFactor <= 32_767, 'the replication factor is an int16 in CreateTopics');
  assert(config.defaultNumPartitions <= limits.maxPartitionsPerRequest, 'num.partitions exceeds maxPartitionsPerRequest');
  const names = new Set<string>();
  for (const feature of config.supportedFeatures) {
    assert(!names.has(feature.name), `feature ${feature.name} listed twice`);
    names.add(feature.name);
    assert(
      Number.isInteger(feature.minVersion) &&
        feature.minVersion >= 0 &&
        feature.minVersion <= feature.maxVersion &&
        feature.maxVersion <= 32_767,
      `feature ${feature.name} has a bad range ${feature.minVersion}-${feature.maxVersion}`,
    );
  }
  const metadataVersion = config.supportedFeatures.find((f) => f.name === METADATA_VERSION);
  assert(metadataVersion !== undefined, 'the controller must support metadata.version');
  assert(metadataVersion.minVersion >= MINIMUM_METADATA_VERSION, `metadata.version below ${MINIMUM_METADATA_VERSION} is not KRaft`);
  for (const { name, level } of config.bootstrapFeatureLevels ?? []) {
    const range = config.supportedFeatures.find((f) => f.name === name);
    assert(name !== KRAFT_VERSION, 'kraft.version is bootstrapped by Raft, not by the controller');
    assert(
      range !== undefined && level >= range.minVersion && level <= range.maxVersion,
      `bootstrap level ${name}=${level} is not supported`,
    );
  }
}
