/**
 * The cluster metadata image: what this node knows of the cluster at one metadata offset, built
 * only by applying metadata records in log order (Kafka's MetadataImage / MetadataDelta). The
 * single node's store (topics/metadata-store.ts) and, later, the Raft metadata log feed it the
 * same records; handlers query it; the log manager reacts to its deltas.
 *
 * Life of a change:
 *   image --delta()--> MetadataDelta --replay(record)*--> --apply(offset)--> next image
 * An image never changes once built (read-only types, frozen entries; a Map's freeze does not stop
 * `set`, so "never" is a rule the code keeps, not one the runtime enforces); a delta copies what it
 * touches. `toRecords()` writes the image as the records that rebuild it (what a snapshot holds):
 * `MetadataImage.EMPTY.apply(image.toRecords(), image.offset)` equals `image`.
 *
 * Replay follows Kafka's *Delta.replay: a PartitionChangeRecord field left at its default means
 * "unchanged" (null lists, leader -2, leaderRecoveryState -1), any leader change bumps the leader
 * epoch, every change bumps the partition epoch. A record that contradicts the image (a partition
 * of an unknown topic, a fence of an unknown broker or of another epoch) throws
 * MetadataImageError: the caller reports it and keeps the image it had (Kafka's metadata loader
 * fault handler).
 */
import { ZERO_UUID } from '../protocol/reader.js';
import type { BrokerRegistrationChangeRecord } from '../protocol/generated/broker-registration-change-record.js';
import type { PartitionChangeRecord } from '../protocol/generated/partition-change-record.js';
import type { PartitionRecord } from '../protocol/generated/partition-record.js';
import type {
  RegisterBrokerRecord,
  RegisterBrokerRecordBrokerEndpoint,
  RegisterBrokerRecordBrokerFeature,
} from '../protocol/generated/register-broker-record.js';
import type { MetadataRecord } from './metadata-record.js';

/** PartitionRecord/PartitionChangeRecord leader: no leader. */
export const NO_LEADER = -1;
/** PartitionChangeRecord leader: the leader did not change. */
export const NO_LEADER_CHANGE = -2;
/** PartitionChangeRecord leaderRecoveryState: unchanged. */
const LEADER_RECOVERY_STATE_NO_CHANGE = -1;
/** Kafka's DirectoryId.MIGRATING (the replica's directory is not known yet) and UNASSIGNED. */
export const DIRECTORY_MIGRATING = ZERO_UUID;
export const DIRECTORY_UNASSIGNED = '00000000000000000000000000000001';
/** The metadata offset of an image no record built. */
export const NO_OFFSET = -1;
/** No active controller known (set by the caller: the Raft leader). */
export const NO_CONTROLLER = -1;
/** ProducerIdsImage before any ProducerIdsRecord. */
export const NO_PRODUCER_ID = -1n;

/** ConfigRecord resourceType (Kafka's ConfigResource.Type ids). */
export const ConfigResourceType = { TOPIC: 2, BROKER: 4 } as const;
export type ConfigResourceTypeId = (typeof ConfigResourceType)[keyof typeof ConfigResourceType];
/** The BROKER resource name of the cluster-wide default. */
export const CLUSTER_DEFAULT_BROKER = '';

/** BrokerRegistrationChangeRecord fenced (Kafka's BrokerRegistrationFencingChange). */
const FENCING_CHANGE = { FENCE: 1, NONE: 0, UNFENCE: -1 } as const;
/** BrokerRegistrationChangeRecord inControlledShutdown. */
const CONTROLLED_SHUTDOWN_CHANGE = { NONE: 0, IN_CONTROLLED_SHUTDOWN: 1 } as const;

/** The record versions `toRecords()` writes (Kafka 4.4's latest). */
export const IMAGE_RECORD_VERSIONS = {
  RegisterBrokerRecord: 4,
  TopicRecord: 0,
  PartitionRecord: 2,
  ConfigRecord: 0,
  FeatureLevelRecord: 0,
  ProducerIdsRecord: 0,
} as const;

export class MetadataImageError extends Error {}

export interface BrokerRegistration {
  readonly id: number;
  readonly epoch: bigint;
  readonly incarnationId: string;
  readonly endpoints: readonly Readonly<RegisterBrokerRecordBrokerEndpoint>[];
  readonly features: readonly Readonly<RegisterBrokerRecordBrokerFeature>[];
  readonly rack: string | null;
  readonly fenced: boolean;
  readonly inControlledShutdown: boolean;
  readonly isMigratingZkBroker: boolean;
  readonly logDirs: readonly string[];
  readonly cordonedLogDirs: readonly string[] | null;
}

export interface PartitionRegistration {
  readonly replicas: readonly number[];
  /** One log directory id per replica (DIRECTORY_MIGRATING when not known). */
  readonly directories: readonly string[];
  readonly isr: readonly number[];
  readonly removingReplicas: readonly number[];
  readonly addingReplicas: readonly number[];
  /** A broker id, or NO_LEADER. */
  readonly leader: number;
  /** 0 recovered, 1 recovering (after an unclean election). */
  readonly leaderRecoveryState: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  /** Eligible leader replicas (KIP-966); empty when none. */
  readonly elr: readonly number[];
  readonly lastKnownElr: readonly number[];
}

export interface TopicImage {
  readonly name: string;
  readonly id: string;
  /** By partition id: 0..n-1 once the topic's records are all applied. */
  readonly partitions: ReadonlyMap<number, PartitionRegistration>;
}

/** What one delta changed, for those who react to it (the log manager, waiting requests). */
export interface MetadataChanges {
  /** Topics that did not exist before the delta (by id). */
  readonly createdTopicIds: ReadonlySet<string>;
  /** Topics the delta removed, as they were in the image before it. */
  readonly removedTopics: readonly TopicImage[];
  /** Partitions created or changed, by topic id (topics removed again in the same delta excluded). */
  readonly changedPartitions: ReadonlyMap<string, ReadonlySet<number>>;
  /** Config resources changed (see configKey). */
  readonly changedConfigs: ReadonlySet<string>;
  readonly brokersChanged: boolean;
}

const EMPTY_MAP: ReadonlyMap<never, never> = new Map<never, never>();

export function configKey(type: ConfigResourceTypeId, name: string): string {
  return `${type}:${name}`;
}

export class MetadataImage {
  static readonly EMPTY = new MetadataImage(
    NO_OFFSET,
    NO_CONTROLLER,
    EMPTY_MAP,
    EMPTY_MAP,
    EMPTY_MAP,
    EMPTY_MAP,
    EMPTY_MAP,
    NO_PRODUCER_ID,
  );

  /** Built by a MetadataDelta (or `withController`); use EMPTY and apply records. */
  constructor(
    /** The offset of the last metadata record this image reflects. */
    readonly offset: number,
    readonly controllerId: number,
    readonly brokers: ReadonlyMap<number, BrokerRegistration>,
    readonly topicsById: ReadonlyMap<string, TopicImage>,
    readonly topicsByName: ReadonlyMap<string, TopicImage>,
    /** By configKey(type, name); a resource without overrides has no entry. */
    readonly configs: ReadonlyMap<string, ReadonlyMap<string, string>>,
    /** Finalized feature levels (metadata.version among them); level 0 is never stored. */
    readonly features: ReadonlyMap<string, number>,
    /** The first producer id not yet handed out (ProducerIdsRecord), NO_PRODUCER_ID before any. */
    readonly nextProducerId: bigint,
  ) {
    Object.freeze(this);
  }

  delta(): MetadataDelta {
    return new MetadataDelta(this);
  }

  /** The image after `records`, which end at metadata offset `offset`. */
  apply(records: Iterable<MetadataRecord>, offset: number): MetadataImage {
    const delta = this.delta();
    for (const record of records) delta.replay(record);
    return delta.apply(offset);
  }

  /** The same image with another active controller (Raft tells it; no record carries it). */
  withController(controllerId: number): MetadataImage {
    return new MetadataImage(
      this.offset,
      controllerId,
      this.brokers,
      this.topicsById,
      this.topicsByName,
      this.configs,
      this.features,
      this.nextProducerId,
    );
  }

  topic(name: string): TopicImage | undefined {
    return this.topicsByName.get(name);
  }

  topicById(topicId: string): TopicImage | undefined {
    return this.topicsById.get(topicId);
  }

  partition(topicName: string, partitionId: number): PartitionRegistration | undefined {
    return this.topicsByName.get(topicName)?.partitions.get(partitionId);
  }

  /** The partition's leader, or null when the partition is unknown or has no leader. */
  leaderOf(topicName: string, partitionId: number): number | null {
    const leader = this.partition(topicName, partitionId)?.leader;
    return leader === undefined || leader === NO_LEADER ? null : leader;
  }

  /** Registered brokers that are not fenced (Kafka's "alive"), by id. */
  liveBrokers(): BrokerRegistration[] {
    return [...this.brokers.values()].filter((broker) => !broker.fenced).sort((a, b) => a.id - b.id);
  }

  /** The overrides of a config resource (empty when none). */
  configOf(type: ConfigResourceTypeId, name: string): ReadonlyMap<string, string> {
    return this.configs.get(configKey(type, name)) ?? EMPTY_MAP;
  }

  topicConfigs(topicName: string): Record<string, string> {
    return Object.fromEntries(this.configOf(ConfigResourceType.TOPIC, topicName));
  }

  /**
   * The records that rebuild this image from EMPTY, in an order that replays: features first
   * (metadata.version gates the rest in Kafka), brokers, topics each followed by its partitions,
   * configs, producer ids. The image's offset goes with them (the snapshot's end offset).
   */
  toRecords(): MetadataRecord[] {
    const records: MetadataRecord[] = [];
    this.writeRecords((_source, make) => records.push(...make()));
    return records;
  }

  /**
   * toRecords in groups: each group is made from one image entry `source` (a broker's or a
   * partition's registration, a resource's configs; null for cheap groups). Entries are shared,
   * unchanged, by every later image that did not change them, so a writer may reuse a group's
   * encoding for the same source (metadata-store.ts does).
   */
  writeRecords(visit: (source: object | null, make: () => MetadataRecord[]) => void): void {
    for (const [name, featureLevel] of sorted(this.features)) {
      visit(null, () => [{ type: 'FeatureLevelRecord', version: IMAGE_RECORD_VERSIONS.FeatureLevelRecord, data: { name, featureLevel } }]);
    }
    for (const [, broker] of sorted(this.brokers)) {
      visit(broker, () => [
        { type: 'RegisterBrokerRecord', version: IMAGE_RECORD_VERSIONS.RegisterBrokerRecord, data: registerRecordOf(broker) },
      ]);
    }
    for (const [, topic] of sorted(this.topicsByName)) {
      visit(null, () => [
        { type: 'TopicRecord', version: IMAGE_RECORD_VERSIONS.TopicRecord, data: { name: topic.name, topicId: topic.id } },
      ]);
      for (const [partitionId, partition] of sorted(topic.partitions)) {
        visit(partition, () => [
          {
            type: 'PartitionRecord',
            version: IMAGE_RECORD_VERSIONS.PartitionRecord,
            data: partitionRecordOf(topic.id, partitionId, partition),
          },
        ]);
      }
    }
    for (const [key, entries] of sorted(this.configs)) {
      const separator = key.indexOf(':');
      const resourceType = Number(key.slice(0, separator));
      const resourceName = key.slice(separator + 1);
      visit(entries, () =>
        sorted(entries).map(([name, value]) => ({
          type: 'ConfigRecord',
          version: IMAGE_RECORD_VERSIONS.ConfigRecord,
          data: { resourceType, resourceName, name, value },
        })),
      );
    }
    if (this.nextProducerId !== NO_PRODUCER_ID) {
      // Kafka's ProducerIdsImage keeps only the next id: broker id and epoch are not part of the image.
      const nextProducerId = this.nextProducerId;
      visit(null, () => [
        {
          type: 'ProducerIdsRecord',
          version: IMAGE_RECORD_VERSIONS.ProducerIdsRecord,
          data: { brokerId: -1, brokerEpoch: -1n, nextProducerId },
        },
      ]);
    }
  }
}

/**
 * Changes to an image, record by record. Maps are copied from the image the first time a record
 * touches them (so one delta costs O(topics + brokers) at most, however many records it holds).
 */
export class MetadataDelta {
  private brokers: Map<number, BrokerRegistration> | null = null;
  private topicsById: Map<string, TopicImage> | null = null;
  /** Name -> id of `topicsById` (copied with it). */
  private topicIdsByName: Map<string, string> | null = null;
  private configs: Map<string, ReadonlyMap<string, string>> | null = null;
  private features: Map<string, number> | null = null;
  private nextProducerId: bigint;
  /** Partition maps of topics this delta changed (copies, so the image's stay untouched). */
  private readonly workingPartitions = new Map<string, Map<number, PartitionRegistration>>();
  private readonly createdTopicIds = new Set<string>();
  private readonly removedTopics = new Map<string, TopicImage>();
  private readonly changedPartitions = new Map<string, Set<number>>();
  private readonly changedConfigs = new Set<string>();
  private brokersChanged = false;

  constructor(readonly image: MetadataImage) {
    this.nextProducerId = image.nextProducerId;
  }

  replay(record: MetadataRecord): void {
    switch (record.type) {
      case 'RegisterBrokerRecord':
        return this.registerBroker(record.data);
      case 'UnregisterBrokerRecord':
        this.brokerOrThrow(record.data.brokerId, record.data.brokerEpoch, 'unregister');
        this.mutableBrokers().delete(record.data.brokerId);
        this.brokersChanged = true;
        return;
      case 'FenceBrokerRecord':
        return this.changeBroker(record.data.id, record.data.epoch, 'fence', { fenced: true });
      case 'UnfenceBrokerRecord':
        return this.changeBroker(record.data.id, record.data.epoch, 'unfence', { fenced: false });
      case 'BrokerRegistrationChangeRecord':
        return this.changeBrokerRegistration(record.data);
      case 'TopicRecord':
        return this.createTopic(record.data.name, record.data.topicId);
      case 'PartitionRecord':
        return this.putPartition(record.data.topicId, record.data.partitionId, registrationOf(record.data));
      case 'PartitionChangeRecord':
        return this.changePartition(record.data);
      case 'RemoveTopicRecord':
        return this.removeTopic(record.data.topicId);
      case 'ConfigRecord':
        return this.setConfig(record.data.resourceType, record.data.resourceName, record.data.name, record.data.value);
      case 'FeatureLevelRecord':
        // Kafka's FeaturesDelta: level 0 removes the feature.
        if (record.data.featureLevel === 0) this.mutableFeatures().delete(record.data.name);
        else this.mutableFeatures().set(record.data.name, record.data.featureLevel);
        return;
      case 'ProducerIdsRecord':
        this.nextProducerId = record.data.nextProducerId;
        return;
      case 'ClearElrRecord':
        return this.clearElr(record.data.topicName);
      case 'NoOpRecord':
      case 'RegisterControllerRecord':
        // Controllers' registrations are the quorum's business; this image does not keep them (yet).
        return;
    }
  }

  /** What this delta changed so far. */
  changes(): MetadataChanges {
    return {
      createdTopicIds: this.createdTopicIds,
      removedTopics: [...this.removedTopics.values()],
      changedPartitions: this.changedPartitions,
      changedConfigs: this.changedConfigs,
      brokersChanged: this.brokersChanged,
    };
  }

  /** The image with this delta applied, reflecting metadata up to `offset`. */
  apply(offset: number): MetadataImage {
    if (offset < this.image.offset) throw new MetadataImageError(`metadata offset ${offset} is before the image's ${this.image.offset}`);
    let topicsById = this.image.topicsById;
    let topicsByName = this.image.topicsByName;
    if (this.topicsById !== null) {
      for (const [topicId, partitions] of this.workingPartitions) {
        const topic = this.topicsById.get(topicId);
        if (topic !== undefined) this.topicsById.set(topicId, freezeTopic(topic.name, topicId, partitions));
      }
      topicsById = Object.freeze(this.topicsById);
      topicsByName = Object.freeze(new Map([...this.topicsById.values()].map((topic) => [topic.name, topic])));
    }
    return new MetadataImage(
      offset,
      this.image.controllerId,
      this.brokers === null ? this.image.brokers : Object.freeze(this.brokers),
      topicsById,
      topicsByName,
      this.configs === null ? this.image.configs : Object.freeze(this.configs),
      this.features === null ? this.image.features : Object.freeze(this.features),
      this.nextProducerId,
    );
  }

  private registerBroker(data: RegisterBrokerRecord): void {
    // Kafka's ClusterDelta: a registration replaces the broker's earlier one, whatever its epoch.
    this.mutableBrokers().set(
      data.brokerId,
      Object.freeze({
        id: data.brokerId,
        epoch: data.brokerEpoch,
        incarnationId: data.incarnationId,
        endpoints: Object.freeze(data.endPoints.map((endpoint) => Object.freeze({ ...endpoint }))),
        features: Object.freeze(data.features.map((feature) => Object.freeze({ ...feature }))),
        rack: data.rack,
        fenced: data.fenced,
        inControlledShutdown: data.inControlledShutdown,
        isMigratingZkBroker: data.isMigratingZkBroker,
        logDirs: Object.freeze([...data.logDirs]),
        cordonedLogDirs: data.cordonedLogDirs === null ? null : Object.freeze([...data.cordonedLogDirs]),
      }),
    );
    this.brokersChanged = true;
  }

  private changeBrokerRegistration(data: BrokerRegistrationChangeRecord): void {
    const fenced = fencingOf(data.fenced);
    let inControlledShutdown: boolean | undefined;
    if (data.inControlledShutdown === CONTROLLED_SHUTDOWN_CHANGE.IN_CONTROLLED_SHUTDOWN) inControlledShutdown = true;
    else if (data.inControlledShutdown !== CONTROLLED_SHUTDOWN_CHANGE.NONE) {
      throw new MetadataImageError(`BrokerRegistrationChangeRecord: invalid inControlledShutdown ${data.inControlledShutdown}`);
    }
    const change: Partial<Mutable<BrokerRegistration>> = {};
    if (fenced !== undefined) change.fenced = fenced;
    if (inControlledShutdown !== undefined) change.inControlledShutdown = inControlledShutdown;
    // An empty list means "unchanged" (Kafka's ClusterDelta); cordonedLogDirs null too.
    if (data.logDirs.length > 0) change.logDirs = Object.freeze([...data.logDirs]);
    if (data.cordonedLogDirs !== null) change.cordonedLogDirs = Object.freeze([...data.cordonedLogDirs]);
    this.changeBroker(data.brokerId, data.brokerEpoch, 'change', change);
  }

  private changeBroker(id: number, epoch: bigint, what: string, change: Partial<BrokerRegistration>): void {
    const current = this.brokerOrThrow(id, epoch, what);
    this.mutableBrokers().set(id, Object.freeze({ ...current, ...change }));
    this.brokersChanged = true;
  }

  private brokerOrThrow(id: number, epoch: bigint, what: string): BrokerRegistration {
    const current = (this.brokers ?? this.image.brokers).get(id);
    if (current === undefined) throw new MetadataImageError(`cannot ${what} broker ${id}: it is not registered`);
    if (current.epoch !== epoch) {
      throw new MetadataImageError(`cannot ${what} broker ${id}: epoch ${epoch} is not its registration's ${current.epoch}`);
    }
    return current;
  }

  private createTopic(name: string, topicId: string): void {
    const topics = this.mutableTopics();
    const sameName = this.topicIdsByName!.get(name);
    if (sameName !== undefined)
      throw new MetadataImageError(`TopicRecord for '${name}' (${topicId}): the topic exists with id ${sameName}`);
    if (topics.has(topicId)) throw new MetadataImageError(`TopicRecord for '${name}': topic id ${topicId} is taken`);
    topics.set(topicId, freezeTopic(name, topicId, new Map()));
    this.topicIdsByName!.set(name, topicId);
    this.workingPartitions.set(topicId, new Map());
    this.createdTopicIds.add(topicId);
  }

  private removeTopic(topicId: string): void {
    const topics = this.mutableTopics();
    const topic = topics.get(topicId);
    if (topic === undefined) throw new MetadataImageError(`RemoveTopicRecord: no topic with id ${topicId}`);
    topics.delete(topicId);
    this.topicIdsByName!.delete(topic.name);
    this.workingPartitions.delete(topicId);
    this.changedPartitions.delete(topicId);
    if (this.createdTopicIds.has(topicId)) this.createdTopicIds.delete(topicId);
    else {
      const before = this.image.topicsById.get(topicId);
      if (before !== undefined) this.removedTopics.set(topicId, before);
    }
    // Kafka's MetadataDelta removes the topic's configs with it.
    const key = configKey(ConfigResourceType.TOPIC, topic.name);
    if ((this.configs ?? this.image.configs).has(key)) {
      this.mutableConfigs().delete(key);
      this.changedConfigs.add(key);
    }
  }

  private partitionsOf(topicId: string, what: string): Map<number, PartitionRegistration> {
    let partitions = this.workingPartitions.get(topicId);
    if (partitions === undefined) {
      const topic = this.mutableTopics().get(topicId);
      if (topic === undefined) throw new MetadataImageError(`${what}: no topic with id ${topicId}`);
      partitions = new Map(topic.partitions);
      this.workingPartitions.set(topicId, partitions);
    }
    return partitions;
  }

  private putPartition(topicId: string, partitionId: number, registration: PartitionRegistration): void {
    this.partitionsOf(topicId, `PartitionRecord ${partitionId}`).set(partitionId, registration);
    this.markChanged(topicId, partitionId);
  }

  private changePartition(data: PartitionChangeRecord): void {
    const partitions = this.partitionsOf(data.topicId, `PartitionChangeRecord ${data.partitionId}`);
    const current = partitions.get(data.partitionId);
    if (current === undefined)
      throw new MetadataImageError(`PartitionChangeRecord: no partition ${data.partitionId} in topic ${data.topicId}`);
    partitions.set(data.partitionId, mergePartitionChange(current, data));
    this.markChanged(data.topicId, data.partitionId);
  }

  /** Kafka's TopicsDelta.replay(ClearElrRecord): "" is every topic; only partitions with an ELR change. */
  private clearElr(topicName: string): void {
    const all = this.mutableTopics();
    const named = topicName === '' ? undefined : this.topicIdsByName!.get(topicName);
    const topics = topicName === '' ? [...all.values()] : named === undefined ? [] : [all.get(named)!];
    if (topicName !== '' && topics.length === 0) throw new MetadataImageError(`ClearElrRecord: no topic '${topicName}'`);
    for (const topic of topics) {
      const partitions = this.workingPartitions.get(topic.id) ?? topic.partitions;
      for (const [partitionId, partition] of partitions) {
        if (partition.elr.length === 0 && partition.lastKnownElr.length === 0) continue;
        const change = { ...NO_PARTITION_CHANGE, topicId: topic.id, partitionId, eligibleLeaderReplicas: [], lastKnownElr: [] };
        this.changePartition(change);
      }
    }
  }

  private markChanged(topicId: string, partitionId: number): void {
    let changed = this.changedPartitions.get(topicId);
    if (changed === undefined) this.changedPartitions.set(topicId, (changed = new Set()));
    changed.add(partitionId);
  }

  private setConfig(resourceType: number, resourceName: string, name: string, value: string | null): void {
    if (resourceType !== ConfigResourceType.TOPIC && resourceType !== ConfigResourceType.BROKER) {
      throw new MetadataImageError(`ConfigRecord: resource type ${resourceType} is not one this image keeps`);
    }
    const key = configKey(resourceType, resourceName);
    const configs = this.mutableConfigs();
    const entries = new Map(configs.get(key) ?? []);
    if (value === null) entries.delete(name);
    else entries.set(name, value);
    if (entries.size === 0) configs.delete(key);
    else configs.set(key, Object.freeze(entries));
    this.changedConfigs.add(key);
  }

  private mutableBrokers(): Map<number, BrokerRegistration> {
    return (this.brokers ??= new Map(this.image.brokers));
  }

  private mutableTopics(): Map<string, TopicImage> {
    if (this.topicsById === null) {
      this.topicsById = new Map(this.image.topicsById);
      this.topicIdsByName = new Map([...this.image.topicsByName].map(([name, topic]) => [name, topic.id]));
    }
    return this.topicsById;
  }

  private mutableConfigs(): Map<string, ReadonlyMap<string, string>> {
    return (this.configs ??= new Map(this.image.configs));
  }

  private mutableFeatures(): Map<string, number> {
    return (this.features ??= new Map(this.image.features));
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A PartitionChangeRecord that changes nothing (every field at its schema default). */
export const NO_PARTITION_CHANGE: PartitionChangeRecord = Object.freeze({
  partitionId: -1,
  topicId: ZERO_UUID,
  isr: null,
  leader: NO_LEADER_CHANGE,
  replicas: null,
  removingReplicas: null,
  addingReplicas: null,
  leaderRecoveryState: LEADER_RECOVERY_STATE_NO_CHANGE,
  directories: null,
  eligibleLeaderReplicas: null,
  lastKnownElr: null,
});

/** Kafka's PartitionRegistration(PartitionRecord). */
export function registrationOf(record: PartitionRecord): PartitionRegistration {
  if (record.directories.length > 0 && record.directories.length !== record.replicas.length) {
    throw new MetadataImageError(
      `PartitionRecord ${record.topicId}-${record.partitionId}: ${record.directories.length} directories for ${record.replicas.length} replicas`,
    );
  }
  return Object.freeze({
    replicas: Object.freeze([...record.replicas]),
    directories: Object.freeze(defaultToMigrating(record.directories, record.replicas.length)),
    isr: Object.freeze([...record.isr]),
    removingReplicas: Object.freeze([...record.removingReplicas]),
    addingReplicas: Object.freeze([...record.addingReplicas]),
    leader: record.leader,
    leaderRecoveryState: record.leaderRecoveryState,
    leaderEpoch: record.leaderEpoch,
    partitionEpoch: record.partitionEpoch,
    elr: Object.freeze([...(record.eligibleLeaderReplicas ?? [])]),
    lastKnownElr: Object.freeze([...(record.lastKnownElr ?? [])]),
  });
}

/** Kafka's PartitionRegistration.merge(PartitionChangeRecord). */
export function mergePartitionChange(current: PartitionRegistration, change: PartitionChangeRecord): PartitionRegistration {
  const replicas = change.replicas ?? current.replicas;
  let directories: readonly string[];
  if (change.directories !== null && change.directories.length > 0) {
    if (change.replicas !== null && change.directories.length !== change.replicas.length) {
      throw new MetadataImageError(
        `PartitionChangeRecord ${change.topicId}-${change.partitionId}: ${change.directories.length} directories for ${change.replicas.length} replicas`,
      );
    }
    directories = change.directories;
  } else if (change.replicas !== null) {
    // DirectoryId.createDirectoriesFrom: a replica kept keeps its directory, a new one has none yet.
    directories = change.replicas.map((replica) => {
      const index = current.replicas.indexOf(replica);
      return index < 0 ? DIRECTORY_UNASSIGNED : (current.directories[index] ?? DIRECTORY_MIGRATING);
    });
  } else directories = current.directories;
  const leaderChanged = change.leader !== NO_LEADER_CHANGE;
  return Object.freeze({
    replicas: Object.freeze([...replicas]),
    directories: Object.freeze(defaultToMigrating(directories, replicas.length)),
    isr: Object.freeze([...(change.isr ?? current.isr)]),
    removingReplicas: Object.freeze([...(change.removingReplicas ?? current.removingReplicas)]),
    addingReplicas: Object.freeze([...(change.addingReplicas ?? current.addingReplicas)]),
    leader: leaderChanged ? change.leader : current.leader,
    leaderRecoveryState:
      change.leaderRecoveryState === LEADER_RECOVERY_STATE_NO_CHANGE ? current.leaderRecoveryState : change.leaderRecoveryState,
    // Any leader in the record, even the same one, starts a new leader epoch (how the controller
    // fences a leader after an ISR shrink).
    leaderEpoch: leaderChanged ? current.leaderEpoch + 1 : current.leaderEpoch,
    partitionEpoch: current.partitionEpoch + 1,
    elr: Object.freeze([...(change.eligibleLeaderReplicas ?? current.elr)]),
    lastKnownElr: Object.freeze([...(change.lastKnownElr ?? current.lastKnownElr)]),
  });
}

export function partitionRecordOf(topicId: string, partitionId: number, partition: PartitionRegistration): PartitionRecord {
  return {
    partitionId,
    topicId,
    replicas: [...partition.replicas],
    isr: [...partition.isr],
    removingReplicas: [...partition.removingReplicas],
    addingReplicas: [...partition.addingReplicas],
    leader: partition.leader,
    leaderRecoveryState: partition.leaderRecoveryState,
    leaderEpoch: partition.leaderEpoch,
    partitionEpoch: partition.partitionEpoch,
    directories: [...partition.directories],
    // Tagged fields: written only when they hold something (as Kafka's toRecord does).
    eligibleLeaderReplicas: partition.elr.length > 0 ? [...partition.elr] : null,
    lastKnownElr: partition.lastKnownElr.length > 0 ? [...partition.lastKnownElr] : null,
  };
}

function registerRecordOf(broker: BrokerRegistration): RegisterBrokerRecord {
  return {
    brokerId: broker.id,
    isMigratingZkBroker: broker.isMigratingZkBroker,
    incarnationId: broker.incarnationId,
    brokerEpoch: broker.epoch,
    endPoints: broker.endpoints.map((endpoint) => ({ ...endpoint })),
    features: broker.features.map((feature) => ({ ...feature })),
    rack: broker.rack,
    fenced: broker.fenced,
    inControlledShutdown: broker.inControlledShutdown,
    logDirs: [...broker.logDirs],
    cordonedLogDirs: broker.cordonedLogDirs === null ? null : [...broker.cordonedLogDirs],
  };
}

function fencingOf(change: number): boolean | undefined {
  switch (change) {
    case FENCING_CHANGE.FENCE:
      return true;
    case FENCING_CHANGE.UNFENCE:
      return false;
    case FENCING_CHANGE.NONE:
      return undefined;
    default:
      throw new MetadataImageError(`BrokerRegistrationChangeRecord: invalid fenced ${change}`);
  }
}

function defaultToMigrating(directories: readonly string[], replicaCount: number): string[] {
  return directories.length === 0 ? Array.from({ length: replicaCount }, () => DIRECTORY_MIGRATING) : [...directories];
}

function freezeTopic(name: string, id: string, partitions: ReadonlyMap<number, PartitionRegistration>): TopicImage {
  return Object.freeze({ name, id, partitions: Object.freeze(new Map(partitions)) });
}

function sorted<K extends string | number, V>(map: ReadonlyMap<K, V>): [K, V][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
