import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { writeFileAtomically } from '../log/atomic-file.js';
import { join } from 'node:path';
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/config-types.js';
import { TOPIC_CONFIGS, TOPIC_CONFIG_BY_NAME, validateTopicConfig } from '../config/topic-config.js';
import { assert } from '../io/assert.js';
import { parseCleanupPolicy, PartitionLog, type LogConfig } from '../log/partition-log.js';
import { TailCacheBudget } from '../log/tail-cache.js';
import { ErrorCode } from '../protocol/error-codes.js';

/**
 * Topics, their partitions and config overrides for this broker. Until the Raft metadata log
 * lands, the registry persists itself as one JSON file in the log directory, replaced atomically
 * (write, fsync, rename) on every change. Partition data lives in `<logDir>/<topic>-<partition>/`
 * as in Kafka.
 */
export interface TopicMetadataRecord {
  name: string;
  topicId: string;
  partitionCount: number;
  /** Leader epoch per partition; bumped when leadership changes (always 0 on one node for now). */
  leaderEpochs: number[];
  configs: Record<string, string>;
}

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

export class TopicError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface EffectiveConfigEntry {
  name: string;
  value: string;
  source: 'topic' | 'static-broker' | 'default';
  synonym: string | null;
}

const METADATA_FILE = 'fjord-topics.json';
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
  private readonly topics = new Map<string, Topic>();
  private readonly topicsById = new Map<string, Topic>();
  private persistChain: Promise<void> = Promise.resolve();
  /** One budget for the tail caches of every partition (fjord.log.tail.cache.bytes). */
  readonly tailCacheBudget: TailCacheBudget;

  private constructor(
    readonly logDir: string,
    private readonly config: BrokerConfig,
  ) {
    this.tailCacheBudget = new TailCacheBudget(config.logTailCacheBytes);
  }

  static async open(logDir: string, config: BrokerConfig): Promise<TopicRegistry> {
    const registry = new TopicRegistry(logDir, config);
    await mkdir(logDir, { recursive: true });
    let records: TopicMetadataRecord[] = [];
    try {
      records = JSON.parse(await readFile(join(logDir, METADATA_FILE), 'utf8')) as TopicMetadataRecord[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const record of records) {
      const topic = new Topic(record.name, record.topicId, record.configs);
      for (let index = 0; index < record.partitionCount; index++) {
        const log = await PartitionLog.open(
          join(logDir, `${record.name}-${index}`),
          registry.logConfigFor(topic),
          undefined,
          registry.tailCacheBudget,
        );
        topic.partitions.push(new Partition(topic, index, record.leaderEpochs[index] ?? 0, log));
      }
      registry.topics.set(topic.name, topic);
      registry.topicsById.set(topic.topicId, topic);
    }
    return registry;
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
    this.validateCreate(name, partitionCount, configs);
    const topic = new Topic(name, randomBytes(16).toString('hex'), { ...configs });
    this.topics.set(name, topic);
    this.topicsById.set(topic.topicId, topic);
    try {
      await this.openPartitions(topic, partitionCount);
      await this.persist();
    } catch (error) {
      this.topics.delete(name);
      this.topicsById.delete(topic.topicId);
      throw error;
    }
    return topic;
  }

  async delete(name: string): Promise<void> {
    const topic = this.topics.get(name);
    if (!topic) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    if (!this.config.deleteTopicEnable) throw new TopicError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
    this.topics.delete(name);
    this.topicsById.delete(topic.topicId);
    await this.persist();
    for (const partition of topic.partitions) await partition.log.delete();
  }

  async addPartitions(name: string, totalCount: number): Promise<void> {
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
    await this.openPartitions(topic, totalCount);
    await this.persist();
  }

  /** Replaces the topic's overrides (AlterConfigs) or applies them (IncrementalAlterConfigs computes the map). */
  async setConfigs(name: string, configs: Record<string, string>): Promise<void> {
    const topic = this.topics.get(name);
    if (!topic) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    for (const [key, value] of Object.entries(configs)) this.validateConfig(key, value);
    topic.configs = { ...configs };
    const logConfig = this.logConfigFor(topic);
    for (const partition of topic.partitions) partition.log.updateConfig(logConfig);
    await this.persist();
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
    assert(TOPIC_CONFIG_BY_NAME.has(name), `unknown topic config ${name}`);
    return topic.configs[name] ?? this.config.topicDefaults.get(name)!.value;
  }

  logConfigFor(topic: Topic): LogConfig {
    const long = (name: string) => {
      const value = Number(this.effectiveValue(topic, name));
      return Number.isFinite(value) ? Math.min(value, Number.MAX_SAFE_INTEGER) : Number.MAX_SAFE_INTEGER;
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
      producerIdExpirationMs: this.config.producerIdExpirationMs,
      cleanupPolicy: parseCleanupPolicy(this.effectiveValue(topic, 'cleanup.policy')),
      minCleanableDirtyRatio: Number(this.effectiveValue(topic, 'min.cleanable.dirty.ratio')),
      minCompactionLagMs: long('min.compaction.lag.ms'),
      maxCompactionLagMs: long('max.compaction.lag.ms'),
      deleteRetentionMs: long('delete.retention.ms'),
    };
  }

  async close(): Promise<void> {
    await this.persistChain;
    for (const topic of this.topics.values()) {
      for (const partition of topic.partitions) await partition.log.close();
    }
  }

  private async openPartitions(topic: Topic, totalCount: number): Promise<void> {
    const logConfig = this.logConfigFor(topic);
    for (let index = topic.partitions.length; index < totalCount; index++) {
      const dir = join(this.logDir, `${topic.name}-${index}`);
      // A leftover directory from a topic deleted while the broker was down must not leak old data.
      await rm(dir, { recursive: true, force: true });
      const log = await PartitionLog.open(dir, logConfig, undefined, this.tailCacheBudget);
      topic.partitions.push(new Partition(topic, index, 0, log));
    }
  }

  /** Serialized so two concurrent admin requests can never interleave their file writes. */
  private persist(): Promise<void> {
    const records: TopicMetadataRecord[] = this.list().map((topic) => ({
      name: topic.name,
      topicId: topic.topicId,
      partitionCount: topic.partitions.length,
      leaderEpochs: topic.partitions.map((partition) => partition.leaderEpoch),
      configs: topic.configs,
    }));
    const text = JSON.stringify(records, null, 1);
    this.persistChain = this.persistChain.then(() => writeFileAtomically(join(this.logDir, METADATA_FILE), text));
    return this.persistChain;
  }
}
