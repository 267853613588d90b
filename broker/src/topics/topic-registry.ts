import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/config-types.js';
import { TOPIC_CONFIGS, TOPIC_CONFIG_BY_NAME, validateTopicConfig } from '../config/topic-config.js';
import { assert } from '../io/assert.js';
import type { Logger } from '../io/logger.js';
import {
  listPartitionDirs,
  listStrayDirs,
  moveAside,
  partitionDirName,
  readPartitionMetadata,
  writePartitionMetadata,
} from '../log/partition-dir.js';
import {
  parseCleanupPolicy,
  NODE_LOG_IO,
  PartitionLog,
  STORAGE_RETRY_BACKOFF_MS,
  type LogConfig,
  type LogIo,
  type PartitionLogEvents,
} from '../log/partition-log.js';
import { errorCode, StorageError } from '../log/storage-error.js';
import { TailCacheBudget } from '../log/tail-cache.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { METADATA_FILE, TopicMetadataStore, type TopicMetadataRecord } from './metadata-store.js';
import { runBounded } from './run-bounded.js';

/**
 * Topics, their partitions and config overrides for this broker. Until the Raft metadata log
 * lands, the registry persists itself as one JSON file in the log directory (metadata-store.ts).
 * Partition data lives in `<logDir>/<topic>-<partition>/` as in Kafka (log/partition-dir.ts).
 *
 * Every change (create, delete, add partitions, configs) runs one at a time and is applied to
 * memory only once the metadata file holds it: a failed write fails that change alone
 * (KAFKA_STORAGE_ERROR) and leaves memory as the file is. Partition directories of a failed
 * create are removed again.
 *
 * At open, a partition directory the metadata does not know (unknown topic, partition beyond the
 * count, another topic id) is moved aside as `-stray`, never deleted or reused.
 */
export type { TopicMetadataRecord } from './metadata-store.js';

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

const TOPIC_NAME_LENGTH_MAX = 249;
const PARTITIONS_PER_TOPIC_MAX = 100_000;
/**
 * Partition logs opened or closed at once (start-up, CreateTopics, shutdown). Closing is mostly
 * fsyncs, which the file system commits together: with thousands of partitions one at a time
 * would take minutes; a bounded number keeps file handles and memory in check.
 */
export const PARTITION_OPEN_CLOSE_CONCURRENCY = 32;
/** Names listed in one log line (stray directories, partitions a forced shutdown skipped). */
const LOGGED_NAMES_MAX = 20;

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
  /** Metadata changes, one at a time (each settles on its own). */
  private mutations: Promise<unknown> = Promise.resolve();
  private readonly store: TopicMetadataStore;
  /** One budget for the tail caches of every partition (fjord.log.tail.cache.bytes). */
  readonly tailCacheBudget: TailCacheBudget;
  /** For /metrics and the start-up log. */
  readonly storageStats = {
    /** Segments recovery cut short (or removed after a gap) since start. */
    recoveryTruncations: 0,
    /** Partitions that opened without the clean-shutdown marker (and so ran recovery). */
    partitionsRecovered: 0,
    /** Stray partition directories in the data directory (found or moved aside at start). */
    strayDirectories: 0,
  };
  /** Partitions whose log is failed (appends answer KAFKA_STORAGE_ERROR). */
  private readonly failedPartitions = new Set<string>();
  /** Partitions not yet closed while close() runs (reported by a forced shutdown). */
  private readonly closing = new Set<string>();

  private constructor(
    readonly logDir: string,
    private readonly config: BrokerConfig,
    private readonly logger: Logger,
    /** The partition logs' disk and scheduler ports (broker.ts passes the node adapters). */
    private readonly logIo: LogIo,
  ) {
    this.tailCacheBudget = new TailCacheBudget(config.logTailCacheBytes);
    this.store = new TopicMetadataStore(logDir);
  }

  static async open(logDir: string, config: BrokerConfig, logger: Logger, logIo: LogIo = NODE_LOG_IO): Promise<TopicRegistry> {
    const registry = new TopicRegistry(logDir, config, logger, logIo);
    await mkdir(logDir, { recursive: true });
    await registry.removeTempFiles();
    const records = await registry.store.load();
    for (const record of records ?? []) {
      const problem = validateTopicName(record.name);
      if (problem !== null) {
        throw new StorageError(
          registry.store.path,
          `damaged topic metadata: ${problem}`,
          'Restore the file from a backup (see "Damaged files" in docs/storage.md).',
        );
      }
    }
    await registry.setAsideUnknownDirs(records ?? []);
    const partitions: { topic: Topic; index: number; epoch: number }[] = [];
    for (const record of records ?? []) {
      const topic = new Topic(record.name, record.topicId, record.configs);
      for (let index = 0; index < record.partitionCount; index++) partitions.push({ topic, index, epoch: record.leaderEpochs[index] ?? 0 });
      registry.topics.set(topic.name, topic);
      registry.topicsById.set(topic.topicId, topic);
    }
    const opened = new Map<Topic, Partition[]>();
    await runBounded(partitions, PARTITION_OPEN_CLOSE_CONCURRENCY, async ({ topic, index, epoch }) => {
      const partition = new Partition(topic, index, epoch, await registry.openExisting(topic, index));
      if (!partition.log.openedAfterCleanShutdown) registry.storageStats.partitionsRecovered++;
      let list = opened.get(topic);
      if (list === undefined) opened.set(topic, (list = []));
      list[index] = partition;
    });
    for (const [topic, list] of opened) topic.partitions.push(...list);
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
    return this.mutate(async () => {
      this.validateCreate(name, partitionCount, configs);
      const topic = new Topic(name, randomBytes(16).toString('hex'), { ...configs });
      const partitions = await this.openNewPartitions(topic, 0, partitionCount);
      topic.partitions.push(...partitions);
      await this.persistOrUndo(
        [...this.list(), topic].map((t) => recordOf(t)),
        `create topic '${name}'`,
        () => this.discardPartitions(partitions),
      );
      this.topics.set(name, topic);
      this.topicsById.set(topic.topicId, topic);
      return topic;
    });
  }

  async delete(name: string): Promise<void> {
    return this.mutate(async () => {
      const topic = this.topics.get(name);
      if (!topic) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
      if (!this.config.deleteTopicEnable) throw new TopicError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
      await this.persistOrUndo(
        this.list()
          .filter((other) => other !== topic)
          .map((other) => recordOf(other)),
        `delete topic '${name}'`,
      );
      this.topics.delete(name);
      this.topicsById.delete(topic.topicId);
      await this.discardPartitions(topic.partitions);
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
      const added = await this.openNewPartitions(topic, current, totalCount);
      await this.persistOrUndo(
        this.list().map((other) => recordOf(other, other === topic ? { partitionCount: totalCount } : {})),
        `add partitions to '${name}'`,
        () => this.discardPartitions(added),
      );
      topic.partitions.push(...added);
    });
  }

  /** Replaces the topic's overrides (AlterConfigs) or applies them (IncrementalAlterConfigs computes the map). */
  async setConfigs(name: string, configs: Record<string, string>): Promise<void> {
    return this.mutate(async () => {
      const topic = this.topics.get(name);
      if (!topic) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
      for (const [key, value] of Object.entries(configs)) this.validateConfig(key, value);
      await this.persistOrUndo(
        this.list().map((other) => recordOf(other, other === topic ? { configs: { ...configs } } : {})),
        `alter the configs of '${name}'`,
      );
      topic.configs = { ...configs };
      const logConfig = this.logConfigFor(topic);
      for (const partition of topic.partitions) partition.log.updateConfig(logConfig);
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

  /**
   * Closes every partition log (clean shutdown: each writes its indexes, snapshot and marker),
   * PARTITION_OPEN_CLOSE_CONCURRENCY at a time. A log that fails to close is logged and left to
   * recovery at the next start; the others still close.
   */
  async close(): Promise<void> {
    await this.mutations;
    await this.store.settled();
    const partitions = this.list().flatMap((topic) => topic.partitions);
    for (const partition of partitions) this.closing.add(partitionLabel(partition));
    await runBounded(partitions, PARTITION_OPEN_CLOSE_CONCURRENCY, async (partition) => {
      try {
        await partition.log.close();
      } catch (error) {
        this.logger.error('closing a partition log failed: the next start recovers it', {
          partition: partitionLabel(partition),
          dir: partition.log.dir,
          error: String(error),
        });
      } finally {
        this.closing.delete(partitionLabel(partition));
      }
    });
  }

  /** While close() runs: the partitions not closed yet (a forced shutdown reports them). */
  get partitionsNotClosed(): { count: number; names: string[] } {
    return { count: this.closing.size, names: [...this.closing].slice(0, LOGGED_NAMES_MAX) };
  }

  /** Partitions whose log is failed now (appends answer KAFKA_STORAGE_ERROR). */
  get failedPartitionCount(): number {
    return this.failedPartitions.size;
  }

  private mutate<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.mutations.then(operation);
    this.mutations = run.catch(() => undefined);
    return run;
  }

  /** Writes the metadata file; on failure runs `undo` and fails the change with KAFKA_STORAGE_ERROR. */
  private async persistOrUndo(records: TopicMetadataRecord[], change: string, undo?: () => Promise<void>): Promise<void> {
    try {
      await this.store.write(records);
    } catch (error) {
      await undo?.();
      throw this.storageFailure(`cannot ${change}: writing ${this.store.path} failed`, error);
    }
  }

  /** A file-system error as the change's KAFKA_STORAGE_ERROR (logged); anything else is a bug and is rethrown. */
  private storageFailure(what: string, error: unknown): unknown {
    if (!(error instanceof StorageError) && errorCode(error) === null) return error;
    const message = `${what}: ${(error as Error).message}`;
    this.logger.error(message);
    return new TopicError(ErrorCode.KAFKA_STORAGE_ERROR, message);
  }

  /**
   * New, empty partitions `from .. to-1` of `topic` (not yet attached to it). A directory already
   * there is moved aside as stray first. If any fails, every directory made here is removed again.
   */
  private async openNewPartitions(topic: Topic, from: number, to: number): Promise<Partition[]> {
    const logConfig = this.logConfigFor(topic);
    const opened: Partition[] = [];
    const made: string[] = [];
    const indexes = Array.from({ length: to - from }, (_, i) => from + i);
    try {
      await runBounded(indexes, PARTITION_OPEN_CLOSE_CONCURRENCY, async (index) => {
        const name = partitionDirName(topic.name, index);
        const dir = join(this.logDir, name);
        if (await exists(dir)) await this.setAside(name, 'a new partition was about to use this name');
        made.push(dir);
        await mkdir(dir);
        await writePartitionMetadata(dir, topic.topicId);
        const log = await PartitionLog.open(dir, logConfig, undefined, this.tailCacheBudget, this.eventsFor(name), this.logIo);
        opened.push(new Partition(topic, index, 0, log));
      });
    } catch (error) {
      await this.discardPartitions(opened);
      for (const dir of made) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw this.storageFailure(`cannot create partitions of '${topic.name}' in ${this.logDir}`, error);
    }
    return opened.sort((a, b) => a.index - b.index);
  }

  /** Closes and removes partition directories (a deleted topic, or an undone create). */
  private async discardPartitions(partitions: readonly Partition[]): Promise<void> {
    await runBounded(partitions, PARTITION_OPEN_CLOSE_CONCURRENCY, async (partition) => {
      try {
        await partition.log.delete();
      } catch (error) {
        this.logger.warn('could not remove a partition directory: the next start keeps it aside as stray', {
          dir: partition.log.dir,
          error: String(error),
        });
      }
    });
  }

  /** Opens partition `index` of a topic the metadata holds, adopting or re-creating its directory. */
  private async openExisting(topic: Topic, index: number): Promise<PartitionLog> {
    const name = partitionDirName(topic.name, index);
    const dir = join(this.logDir, name);
    try {
      if (!(await exists(dir))) {
        this.logger.warn('partition directory missing: the partition starts empty', { partition: name, dir });
        await mkdir(dir);
        await writePartitionMetadata(dir, topic.topicId);
      } else if ((await readPartitionMetadata(dir)) === null) {
        // Written before Fjord recorded topic ids in partition directories (or an operator's recovery).
        await writePartitionMetadata(dir, topic.topicId);
      }
      return await PartitionLog.open(dir, this.logConfigFor(topic), undefined, this.tailCacheBudget, this.eventsFor(name), this.logIo);
    } catch (error) {
      // A StorageError names the file (inside the partition's directory) already.
      if (error instanceof StorageError) throw error;
      throw new StorageError(
        dir,
        `cannot open partition ${name} (${(error as Error).message})`,
        'Fix the files of this directory or its disk (permissions, space, I/O errors) and start again.',
        { cause: error },
      );
    }
  }

  /**
   * Start-up: every `<topic>-<n>` directory the metadata does not know (unknown topic, partition
   * beyond the count, another topic id) is moved aside as stray, with a warning.
   */
  private async setAsideUnknownDirs(records: readonly TopicMetadataRecord[]): Promise<void> {
    const byName = new Map(records.map((record) => [record.name, record]));
    const dirs = await listPartitionDirs(this.logDir);
    const strays: string[] = [];
    for (const entry of dirs) {
      const record = byName.get(entry.topic);
      let reason: string | null = null;
      if (record === undefined) reason = `no topic '${entry.topic}' in ${METADATA_FILE}`;
      else if (entry.partition >= record.partitionCount) reason = `topic '${entry.topic}' has ${record.partitionCount} partition(s)`;
      else {
        const topicId = await readPartitionMetadata(join(this.logDir, entry.name));
        if (topicId !== null && topicId !== record.topicId) {
          reason = `its partition.metadata names topic id ${topicId}, but topic '${entry.topic}' has id ${record.topicId}`;
        }
      }
      if (reason !== null) strays.push(await this.setAside(entry.name, reason));
    }
    if (records.length === 0 && strays.length > 0) {
      this.logger.warn(`no topic metadata (${this.store.path}) but partition directories: every one was kept aside as stray`, {
        strayDirectories: strays.length,
        recovery: 'docs/storage.md, "Stray partition directories"',
      });
    }
    const allStrays = await listStrayDirs(this.logDir);
    this.storageStats.strayDirectories = allStrays.length;
    const earlier = allStrays.filter((name) => !strays.includes(name));
    if (earlier.length > 0) {
      this.logger.warn('stray partition directories from earlier starts are still in the data directory', {
        logDir: this.logDir,
        count: earlier.length,
        names: earlier.slice(0, LOGGED_NAMES_MAX),
        recovery: 'docs/storage.md, "Stray partition directories"',
      });
    }
  }

  private async setAside(name: string, reason: string): Promise<string> {
    const strayName = await moveAside(this.logDir, name);
    this.logger.warn('partition directory not in the topic metadata: kept aside as stray (not deleted, not reused)', {
      dir: join(this.logDir, name),
      movedTo: join(this.logDir, strayName),
      reason,
      recovery: 'docs/storage.md, "Stray partition directories"',
    });
    return strayName;
  }

  /** Leftovers of an atomic write a crash interrupted (`fjord-topics.json.<pid>-<n>.tmp`). */
  private async removeTempFiles(): Promise<void> {
    for (const entry of await readdir(this.logDir, { withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.tmp')) await rm(join(this.logDir, entry.name), { force: true });
    }
  }

  /** Logs and counts what a partition's storage reports. */
  private eventsFor(label: string): PartitionLogEvents {
    return {
      recoveryTruncated: (event) => {
        this.storageStats.recoveryTruncations++;
        this.logger.warn('recovery truncated a partition log: data after the first invalid batch was removed', {
          partition: label,
          segment: event.segmentPath,
          offset: event.offset,
          position: event.position,
          bytesRemoved: event.bytesRemoved,
          reason: event.reason,
          segmentsRemoved: event.segmentsRemoved,
        });
      },
      storageFailed: (failure) => {
        this.failedPartitions.add(label);
        this.logger.error('partition log failed: appends answer KAFKA_STORAGE_ERROR', {
          partition: label,
          operation: failure.operation,
          path: failure.path,
          error: failure.error.message,
          next: failure.retriedAutomatically
            ? `retried every ${STORAGE_RETRY_BACKOFF_MS} ms: appends resume once space is freed`
            : 'none until a restart: fix the disk, then restart the broker (recovery checks the log)',
        });
      },
      storageRecovered: (event) => {
        this.failedPartitions.delete(label);
        this.logger.info('partition log writable again', {
          partition: label,
          failedSinceMs: event.sinceMs,
          failedAttempts: event.failedAttempts,
        });
      },
    };
  }
}

/** What the metadata file stores for `topic`, with a pending change applied. */
function recordOf(topic: Topic, change: { partitionCount?: number; configs?: Record<string, string> } = {}): TopicMetadataRecord {
  const partitionCount = change.partitionCount ?? topic.partitions.length;
  return {
    name: topic.name,
    topicId: topic.topicId,
    partitionCount,
    leaderEpochs: Array.from({ length: partitionCount }, (_, index) => topic.partitions[index]?.leaderEpoch ?? 0),
    configs: change.configs ?? topic.configs,
  };
}

function partitionLabel(partition: Partition): string {
  return partitionDirName(partition.topic.name, partition.index);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}
