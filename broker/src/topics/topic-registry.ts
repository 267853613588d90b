/**
 * Topics, their partitions and config overrides for this broker: a facade over the metadata
 * image (metadata/metadata-image.ts: what the topics are), the log manager (log-manager.ts: the
 * partition logs this broker hosts) and the store (metadata-store.ts: the image on disk, until
 * the Raft metadata log replaces it). Handlers keep asking it for Topic and Partition objects,
 * which it keeps in step with the image.
 *
 * Every change (create, delete, add partitions, configs) runs one at a time as "make records ->
 * open the new partitions' logs -> store the image with the records applied -> make it the
 * image -> attach / re-configure / delete logs". A failed write fails that change alone
 * (KAFKA_STORAGE_ERROR) and leaves memory as the file is; the logs it opened are removed again.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/config-types.js';
import { TOPIC_CONFIGS, TOPIC_CONFIG_BY_NAME, validateTopicConfig } from '../config/topic-config.js';
import { assert } from '../io/assert.js';
import type { Logger } from '../io/logger.js';
import { NODE_LOG_IO, parseCleanupPolicy, type LogConfig, type LogIo, type PartitionLog } from '../log/partition-log.js';
import { errorCode, StorageError } from '../log/storage-error.js';
import type { TailCacheBudget } from '../log/tail-cache.js';
import { ConfigResourceType, configKey, MetadataImage, type MetadataChanges } from '../metadata/metadata-image.js';
import type { MetadataRecord } from '../metadata/metadata-record.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { LogManager } from './log-manager.js';
import { singleNodePartitionRecord, TopicMetadataStore } from './metadata-store.js';
import { TopicError } from './topic-error.js';

export { TopicError } from './topic-error.js';
export type { TopicMetadataRecord } from './metadata-store.js';
export { PARTITION_OPEN_CLOSE_CONCURRENCY } from './log-manager.js';

export class Partition {
  constructor(
    readonly topic: Topic,
    readonly index: number,
    public leaderEpoch: number,
    readonly log: PartitionLog,
  ) {}
}

export class Topic {
  readonly partitions: Partition[] = [];
  constructor(
    readonly name: string,
    readonly topicId: string,
    public configs: Record<string, string>,
  ) {}
  get isInternal(): boolean {
    return this.name === '__consumer_offsets' || this.name === '__transaction_state';
  }
}

export interface EffectiveConfigEntry {
  name: string;
  value: string;
  source: 'topic' | 'static-broker' | 'default';
  synonym: string | null;
}

const TOPIC_NAME_LENGTH_MAX = 249;
const PARTITIONS_PER_TOPIC_MAX = 100_000;

export function validateTopicName(name: string): string | null {
  if (name.length === 0) return "Topic name is illegal, it can't be empty";
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > TOPIC_NAME_LENGTH_MAX) return `Topic name is longer than ${TOPIC_NAME_LENGTH_MAX} characters`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

export class TopicRegistry {
  private image = MetadataImage.EMPTY;
  /** Views of the image's topics for the handlers, by id and by name. */
  private readonly topics = new Map<string, Topic>();
  private readonly topicsById = new Map<string, Topic>();
  /** Metadata changes, one at a time (each settles on its own). */
  private mutations: Promise<unknown> = Promise.resolve();
  private readonly store: TopicMetadataStore;
  private readonly logs: LogManager;

  private constructor(
    readonly logDir: string,
    private readonly config: BrokerConfig,
    private readonly logger: Logger,
    logIo: LogIo,
  ) {
    this.store = new TopicMetadataStore(logDir, config.nodeId);
    this.logs = new LogManager({
      logDir,
      nodeId: config.nodeId,
      tailCacheBytes: config.logTailCacheBytes,
      logger,
      logConfigFor: (image, topicName) => logConfigOf(config, image.topicConfigs(topicName)),
      logIo,
      // A voter of a real quorum keeps its Raft log here when metadata.log.dir is the data dir.
      reservedDirs: config.quorum.standalone ? [] : ['__cluster_metadata-0'],
    });
  }

  static async open(logDir: string, config: BrokerConfig, logger: Logger, logIo: LogIo = NODE_LOG_IO): Promise<TopicRegistry> {
    const registry = new TopicRegistry(logDir, config, logger, logIo);
    await mkdir(logDir, { recursive: true });
    await registry.removeTempFiles();
    const stored = await registry.store.load();
    const image = stored?.image ?? MetadataImage.EMPTY;
    for (const name of image.topicsByName.keys()) {
      const problem = validateTopicName(name);
      if (problem !== null) {
        throw new StorageError(
          registry.store.path,
          `damaged topic metadata: ${problem}`,
          'Restore the file from a backup (see "Damaged files" in docs/storage.md).',
        );
      }
    }
    if (stored?.legacy === true) {
      logger.info('topic metadata in the format before metadata records: read as records, rewritten so at the next topic change', {
        path: registry.store.path,
        topics: image.topicsByName.size,
      });
    }
    await registry.logs.openAll(image);
    registry.image = image;
    registry.syncViews(image, null);
    return registry;
  }

  /** The metadata image the broker answers from now. */
  get metadataImage(): MetadataImage {
    return this.image;
  }

  /** One budget for the tail caches of every partition (fjord.log.tail.cache.bytes). */
  get tailCacheBudget(): TailCacheBudget {
    return this.logs.tailCacheBudget;
  }

  /** For /metrics and the start-up log. */
  get storageStats(): LogManager['storageStats'] {
    return this.logs.storageStats;
  }

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  getById(topicId: string): Topic | undefined {
    return this.topicsById.get(topicId);
  }

  list(): Topic[] {
    return [...this.topics.values()];
  }

  partition(topicName: string, index: number): Partition | undefined {
    return this.topics.get(topicName)?.partitions[index];
  }

  /** Checks a CreateTopics entry without creating anything (validateOnly, and before create). */
  validateCreate(name: string, partitionCount: number, configs: Record<string, string>): void {
    const nameProblem = validateTopicName(name);
    if (nameProblem) throw new TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
    if (this.topics.has(name)) throw new TopicError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const collision = [...this.topics.keys()].find((other) => other.replace(/\./g, '_') === name.replace(/\./g, '_'));
    if (collision) {
      throw new TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${name}' collides with existing topic: ${collision}`);
    }
    if (partitionCount < 1 || partitionCount > PARTITIONS_PER_TOPIC_MAX) {
      throw new TopicError(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be between 1 and ${PARTITIONS_PER_TOPIC_MAX}.`);
    }
    for (const [key, value] of Object.entries(configs)) this.validateConfig(key, value);
  }

  async create(name: string, partitionCount: number, configs: Record<string, string>): Promise<Topic> {
    return this.mutate(async () => {
      this.validateCreate(name, partitionCount, configs);
      const topicId = randomBytes(16).toString('hex');
      const records: MetadataRecord[] = [{ type: 'TopicRecord', version: 0, data: { name, topicId } }];
      for (let index = 0; index < partitionCount; index++) records.push(singleNodePartitionRecord(topicId, index, this.config.nodeId));
      records.push(...configRecords(name, {}, configs));
      await this.change(records, `create topic '${name}'`, `cannot create partitions of '${name}' in ${this.logDir}`);
      const topic = this.topicsById.get(topicId);
      assert(topic, `topic ${name} not in the image after its records`);
      return topic;
    });
  }

  async delete(name: string): Promise<void> {
    return this.mutate(async () => {
      const topic = this.topics.get(name);
      if (!topic) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
      if (!this.config.deleteTopicEnable) throw new TopicError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
      await this.change([{ type: 'RemoveTopicRecord', version: 0, data: { topicId: topic.topicId } }], `delete topic '${name}'`);
    });
  }

  async addPartitions(name: string, totalCount: number): Promise<void> {
    return this.mutate(async () => {
      const topic = this.topics.get(name);
      if (!topic) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
      const current = topic.partitions.length;
      if (totalCount <= current) {
        throw new TopicError(
          ErrorCode.INVALID_PARTITIONS,
          totalCount === current
            ? `Topic already has ${current} partitions.`
            : `Topic currently has ${current} partitions, which is higher than the requested ${totalCount}.`,
        );
      }
      if (totalCount > PARTITIONS_PER_TOPIC_MAX) {
        throw new TopicError(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be at most ${PARTITIONS_PER_TOPIC_MAX}.`);
      }
      const records: MetadataRecord[] = [];
      for (let index = current; index < totalCount; index++)
        records.push(singleNodePartitionRecord(topic.topicId, index, this.config.nodeId));
      await this.change(records, `add partitions to '${name}'`, `cannot create partitions of '${name}' in ${this.logDir}`);
    });
  }

  /** Replaces the topic's overrides (AlterConfigs) or applies them (IncrementalAlterConfigs computes the map). */
  async setConfigs(name: string, configs: Record<string, string>): Promise<void> {
    return this.mutate(async () => {
      const topic = this.topics.get(name);
      if (!topic) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
      for (const [key, value] of Object.entries(configs)) this.validateConfig(key, value);
      const records = configRecords(name, this.image.topicConfigs(name), configs);
      // Nothing to change is nothing to store (Kafka's controller writes no record either).
      if (records.length > 0) await this.change(records, `alter the configs of '${name}'`);
    });
  }

  validateConfig(key: string, value: string): void {
    try {
      validateTopicConfig(key, value);
    } catch (error) {
      if (error instanceof ConfigError) throw new TopicError(ErrorCode.INVALID_CONFIG, error.message);
      throw error;
    }
  }

  effectiveConfig(topic: Topic): EffectiveConfigEntry[] {
    return TOPIC_CONFIGS.map((definition) => {
      const override = topic.configs[definition.name];
      if (override !== undefined) return { name: definition.name, value: override, source: 'topic', synonym: null };
      const brokerDefault = this.config.topicDefaults.get(definition.name);
      assert(brokerDefault, `no default for ${definition.name}`);
      return { name: definition.name, value: brokerDefault.value, source: brokerDefault.source, synonym: brokerDefault.synonym };
    });
  }

  effectiveValue(topic: Topic, name: string): string {
    return effectiveTopicConfigValue(this.config, topic.configs, name);
  }

  logConfigFor(topic: Topic): LogConfig {
    return logConfigOf(this.config, topic.configs);
  }

  /**
   * Closes every partition log (clean shutdown: each writes its indexes, snapshot and marker).
   * A log that fails to close is logged and left to recovery at the next start; the others still close.
   */
  async close(): Promise<void> {
    await this.mutations;
    await this.store.settled();
    await this.logs.close();
  }

  /** While close() runs: the partitions not closed yet (a forced shutdown reports them). */
  get partitionsNotClosed(): { count: number; names: string[] } {
    return this.logs.partitionsNotClosed;
  }

  /** Partitions whose log is failed now (appends answer KAFKA_STORAGE_ERROR). */
  get failedPartitionCount(): number {
    return this.logs.failedPartitionCount;
  }

  private mutate<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.mutations.then(operation);
    this.mutations = run.catch(() => undefined);
    return run;
  }

  /**
   * One change on a single node: the records applied to the image, the new partitions' logs
   * opened, the new image stored, then made current; the logs follow. A failed open or write
   * fails the change with KAFKA_STORAGE_ERROR and leaves the image, the logs and the file as they were.
   */
  private async change(records: MetadataRecord[], change: string, openFailure = `cannot ${change} in ${this.logDir}`): Promise<void> {
    const delta = this.image.delta();
    for (const record of records) delta.replay(record);
    const next = delta.apply(this.image.offset + records.length);
    const changes = delta.changes();
    let opened;
    try {
      opened = await this.logs.openNew(next, changes);
    } catch (error) {
      throw this.storageFailure(openFailure, error);
    }
    try {
      await this.store.write(next);
    } catch (error) {
      await this.logs.discard(opened);
      throw this.storageFailure(`cannot ${change}: writing ${this.store.path} failed`, error);
    }
    this.image = next;
    this.logs.attach(opened);
    this.logs.updateConfigs(next, changes);
    this.syncViews(next, changes);
    await this.logs.removeDeleted(next, changes);
  }

  /** Brings the Topic/Partition views in line with `image` (all of them when `changes` is null). */
  private syncViews(image: MetadataImage, changes: MetadataChanges | null): void {
    for (const removed of changes?.removedTopics ?? []) {
      this.topics.delete(removed.name);
      this.topicsById.delete(removed.id);
    }
    const touched =
      changes === null ? [...image.topicsById.keys()] : [...new Set([...changes.changedPartitions.keys(), ...changes.createdTopicIds])];
    for (const topicId of touched) {
      const topicImage = image.topicById(topicId);
      if (topicImage === undefined) continue;
      let topic = this.topicsById.get(topicId);
      if (topic === undefined) {
        topic = new Topic(topicImage.name, topicId, image.topicConfigs(topicImage.name));
        this.topics.set(topic.name, topic);
        this.topicsById.set(topicId, topic);
      }
      for (const [index, registration] of [...topicImage.partitions].sort(([a], [b]) => a - b)) {
        const existing = topic.partitions[index];
        if (existing !== undefined) {
          existing.leaderEpoch = registration.leaderEpoch;
          continue;
        }
        const log = this.logs.log(topicId, index);
        // Until replication, a partition this broker does not host has no view (one node hosts all).
        if (log === undefined) continue;
        assert(index === topic.partitions.length, `partition ${index} of ${topic.name} after ${topic.partitions.length}`);
        topic.partitions.push(new Partition(topic, index, registration.leaderEpoch, log));
      }
    }
    const topicConfigPrefix = configKey(ConfigResourceType.TOPIC, '');
    for (const key of changes?.changedConfigs ?? []) {
      if (!key.startsWith(topicConfigPrefix)) continue;
      const topic = this.topics.get(key.slice(topicConfigPrefix.length));
      if (topic !== undefined) topic.configs = image.topicConfigs(topic.name);
    }
  }

  /** A file-system error as the change's KAFKA_STORAGE_ERROR (logged); anything else is a bug and is rethrown. */
  private storageFailure(what: string, error: unknown): unknown {
    if (!(error instanceof StorageError) && errorCode(error) === null) return error;
    const message = `${what}: ${(error as Error).message}`;
    this.logger.error(message);
    return new TopicError(ErrorCode.KAFKA_STORAGE_ERROR, message);
  }

  /** Leftovers of an atomic write a crash interrupted (`fjord-topics.json.<pid>-<n>.tmp`). */
  private async removeTempFiles(): Promise<void> {
    for (const entry of await readdir(this.logDir, { withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.tmp')) await rm(join(this.logDir, entry.name), { force: true });
    }
  }
}

/** A topic config's value: the topic's override, else the broker's default. */
export function effectiveTopicConfigValue(config: BrokerConfig, overrides: Record<string, string>, name: string): string {
  assert(TOPIC_CONFIG_BY_NAME.has(name), `unknown topic config ${name}`);
  return overrides[name] ?? config.topicDefaults.get(name)!.value;
}

/** The log config of a topic with `overrides` on a broker with `config`. */
export function logConfigOf(config: BrokerConfig, overrides: Record<string, string>): LogConfig {
  const value = (name: string) => effectiveTopicConfigValue(config, overrides, name);
  const long = (name: string) => {
    const parsed = Number(value(name));
    return Number.isFinite(parsed) ? Math.min(parsed, Number.MAX_SAFE_INTEGER) : Number.MAX_SAFE_INTEGER;
  };
  return {
    segmentBytes: long('segment.bytes'),
    segmentMs: long('segment.ms'),
    retentionBytes: long('retention.bytes'),
    retentionMs: long('retention.ms'),
    indexIntervalBytes: long('index.interval.bytes'),
    segmentIndexBytes: long('segment.index.bytes'),
    fileDeleteDelayMs: long('file.delete.delay.ms'),
    flushMessages: long('flush.messages'),
    flushMs: long('flush.ms'),
    producerIdExpirationMs: config.producerIdExpirationMs,
    cleanupPolicy: parseCleanupPolicy(value('cleanup.policy')),
    minCleanableDirtyRatio: Number(value('min.cleanable.dirty.ratio')),
    minCompactionLagMs: long('min.compaction.lag.ms'),
    maxCompactionLagMs: long('max.compaction.lag.ms'),
    deleteRetentionMs: long('delete.retention.ms'),
  };
}

/** The ConfigRecords that turn a topic's overrides `from` into `to` (a removed key: a null value). */
function configRecords(topicName: string, from: Record<string, string>, to: Record<string, string>): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  const record = (name: string, value: string | null): MetadataRecord => ({
    type: 'ConfigRecord',
    version: 0,
    data: { resourceType: ConfigResourceType.TOPIC, resourceName: topicName, name, value },
  });
  for (const name of Object.keys(from).sort()) if (!Object.hasOwn(to, name)) records.push(record(name, null));
  for (const name of Object.keys(to).sort()) if (from[name] !== to[name]) records.push(record(name, to[name]!));
  return records;
}
