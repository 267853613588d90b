/**
 * The partition logs this broker hosts (Kafka's LogManager, for the lifecycle part): it opens a
 * log for every partition of the metadata image whose replicas include this broker, closes and
 * deletes the logs of partitions the image no longer gives it (a removed topic, a replica moved
 * away), and hands every log its topic's config. Partition data lives in
 * `<logDir>/<topic>-<partition>/` as in Kafka (log/partition-dir.ts).
 *
 * At start (`openAll`), a partition directory the image does not give this broker (unknown
 * topic, partition beyond the count, another topic id, not a replica here) is moved aside as
 * `-stray`, never deleted or reused. On a change, `openNew` opens the new partitions' logs before
 * the change is stored (so a failed directory fails the change and leaves nothing behind) and
 * `attach`/`removeDeleted` follow the stored image; `applyDelta` does all three for a delta that
 * is already committed (the Raft path).
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
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
  NODE_LOG_IO,
  PartitionLog,
  STORAGE_RETRY_BACKOFF_MS,
  type LogConfig,
  type LogIo,
  type PartitionLogEvents,
} from '../log/partition-log.js';
import { errorCode, StorageError } from '../log/storage-error.js';
import { TailCacheBudget } from '../log/tail-cache.js';
import { ConfigResourceType, configKey, type MetadataChanges, type MetadataImage, type TopicImage } from '../metadata/metadata-image.js';
import { METADATA_FILE } from './metadata-store.js';
import { runBounded } from './run-bounded.js';

/**
 * Partition logs opened or closed at once (start-up, CreateTopics, shutdown). Closing is mostly
 * fsyncs, which the file system commits together: with thousands of partitions one at a time
 * would take minutes; a bounded number keeps file handles and memory in check.
 */
export const PARTITION_OPEN_CLOSE_CONCURRENCY = 32;
/** Names listed in one log line (stray directories, partitions a forced shutdown skipped). */
const LOGGED_NAMES_MAX = 20;

export interface HostedLog {
  readonly topicId: string;
  readonly topicName: string;
  readonly partition: number;
  readonly log: PartitionLog;
}

/** Logs `openNew` opened for a change not stored yet: `attach` them, or `discard` them. */
export interface OpenedLogs {
  readonly logs: readonly HostedLog[];
}

export interface LogManagerOptions {
  logDir: string;
  /** This broker's id: it hosts the partitions whose replicas include it. */
  nodeId: number;
  tailCacheBytes: number;
  logger: Logger;
  /**
   * Partition-named folders that are not partition logs and must never be set aside as stray:
   * the KRaft metadata log (`__cluster_metadata-0`) when this node is a voter of a real quorum.
   */
  reservedDirs?: readonly string[];
  /** The log config of a topic of `image` (its overrides over the broker's defaults). */
  logConfigFor: (image: MetadataImage, topicName: string) => LogConfig;
  /** The partition logs' disk and scheduler ports (broker.ts passes the node adapters). */
  logIo?: LogIo;
}

export class LogManager {
  private readonly logs = new Map<string, HostedLog>();
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
  private readonly logDir: string;
  private readonly nodeId: number;
  private readonly logger: Logger;
  private readonly logConfigFor: LogManagerOptions['logConfigFor'];
  private readonly logIo: LogIo;
  private readonly reservedDirs: ReadonlySet<string>;

  constructor(options: LogManagerOptions) {
    this.reservedDirs = new Set(options.reservedDirs ?? []);
    this.logIo = options.logIo ?? NODE_LOG_IO;
    this.logDir = options.logDir;
    this.nodeId = options.nodeId;
    this.logger = options.logger;
    this.logConfigFor = options.logConfigFor;
    this.tailCacheBudget = new TailCacheBudget(options.tailCacheBytes);
  }

  /** The log of a partition this broker hosts. */
  log(topicId: string, partition: number): PartitionLog | undefined {
    return this.logs.get(logKey(topicId, partition))?.log;
  }

  /** Whether `image` gives this broker a replica of the partition. */
  hosts(topic: TopicImage, partition: number): boolean {
    return topic.partitions.get(partition)?.replicas.includes(this.nodeId) ?? false;
  }

  /** Start-up: sets unknown directories aside, then opens every hosted partition's log. */
  async openAll(image: MetadataImage): Promise<void> {
    await this.setAsideUnknownDirs(image);
    const hosted: { topic: TopicImage; partition: number }[] = [];
    for (const topic of image.topicsByName.values()) {
      for (const partition of topic.partitions.keys()) if (this.hosts(topic, partition)) hosted.push({ topic, partition });
    }
    await runBounded(hosted, PARTITION_OPEN_CLOSE_CONCURRENCY, async ({ topic, partition }) => {
      const log = await this.openExisting(image, topic, partition);
      if (!log.openedAfterCleanShutdown) this.storageStats.partitionsRecovered++;
      this.logs.set(logKey(topic.id, partition), { topicId: topic.id, topicName: topic.name, partition, log });
    });
  }

  /**
   * New, empty logs for the partitions `changes` gives this broker that have none yet (not
   * attached). A directory already there is moved aside as stray first. If one fails, every log
   * and directory made here is removed again and the error is thrown.
   */
  async openNew(next: MetadataImage, changes: MetadataChanges): Promise<OpenedLogs> {
    const wanted: { topic: TopicImage; partition: number }[] = [];
    for (const [topicId, partitions] of changes.changedPartitions) {
      const topic = next.topicById(topicId);
      if (topic === undefined) continue;
      for (const partition of [...partitions].sort((a, b) => a - b)) {
        if (this.hosts(topic, partition) && !this.logs.has(logKey(topicId, partition))) wanted.push({ topic, partition });
      }
    }
    const opened: HostedLog[] = [];
    const made: string[] = [];
    try {
      await runBounded(wanted, PARTITION_OPEN_CLOSE_CONCURRENCY, async ({ topic, partition }) => {
        const name = partitionDirName(topic.name, partition);
        const dir = join(this.logDir, name);
        if (await exists(dir)) await this.setAside(name, 'a new partition was about to use this name');
        made.push(dir);
        await mkdir(dir);
        await writePartitionMetadata(dir, topic.id);
        const log = await PartitionLog.open(
          dir,
          this.logConfigFor(next, topic.name),
          undefined,
          this.tailCacheBudget,
          this.eventsFor(name),
          this.logIo,
        );
        opened.push({ topicId: topic.id, topicName: topic.name, partition, log });
      });
    } catch (error) {
      await this.discard({ logs: opened });
      for (const dir of made) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw error;
    }
    return { logs: opened.sort((a, b) => a.partition - b.partition) };
  }

  /** Logs of a change that was not stored: closed and removed. */
  async discard(opened: OpenedLogs): Promise<void> {
    await this.deleteLogs(opened.logs);
  }

  /** The stored change's new logs become the broker's. */
  attach(opened: OpenedLogs): void {
    for (const hosted of opened.logs) this.logs.set(logKey(hosted.topicId, hosted.partition), hosted);
  }

  /** Hands the logs of topics whose configs changed their new config. */
  updateConfigs(next: MetadataImage, changes: MetadataChanges): void {
    for (const topic of next.topicsByName.values()) {
      if (!changes.changedConfigs.has(configKey(ConfigResourceType.TOPIC, topic.name))) continue;
      const logConfig = this.logConfigFor(next, topic.name);
      for (const partition of topic.partitions.keys()) this.log(topic.id, partition)?.updateConfig(logConfig);
    }
  }

  /** Closes and deletes the logs of removed topics and of partitions `next` no longer gives this broker. */
  async removeDeleted(next: MetadataImage, changes: MetadataChanges): Promise<void> {
    const doomed: HostedLog[] = [];
    const take = (topicId: string, partition: number) => {
      const key = logKey(topicId, partition);
      const hosted = this.logs.get(key);
      if (hosted === undefined) return;
      this.logs.delete(key);
      doomed.push(hosted);
    };
    for (const topic of changes.removedTopics) for (const partition of topic.partitions.keys()) take(topic.id, partition);
    for (const [topicId, partitions] of changes.changedPartitions) {
      const topic = next.topicById(topicId);
      if (topic === undefined) continue;
      for (const partition of partitions) if (!this.hosts(topic, partition)) take(topicId, partition);
    }
    await this.deleteLogs(doomed);
  }

  /**
   * A committed delta (the Raft path): opens what it gives this broker, re-configures, deletes
   * what it takes away. A log that fails to open is logged and left out (its partition answers
   * as not hosted) rather than failing the delta, which is already the cluster's.
   */
  async applyDelta(next: MetadataImage, changes: MetadataChanges): Promise<void> {
    try {
      this.attach(await this.openNew(next, changes));
    } catch (error) {
      this.logger.error('opening the logs of new partitions failed', { error: String(error) });
    }
    this.updateConfigs(next, changes);
    await this.removeDeleted(next, changes);
  }

  /**
   * Closes every partition log (clean shutdown: each writes its indexes, snapshot and marker),
   * PARTITION_OPEN_CLOSE_CONCURRENCY at a time. A log that fails to close is logged and left to
   * recovery at the next start; the others still close.
   */
  async close(): Promise<void> {
    const hosted = [...this.logs.values()];
    for (const entry of hosted) this.closing.add(labelOf(entry));
    await runBounded(hosted, PARTITION_OPEN_CLOSE_CONCURRENCY, async (entry) => {
      try {
        await entry.log.close();
      } catch (error) {
        this.logger.error('closing a partition log failed: the next start recovers it', {
          partition: labelOf(entry),
          dir: entry.log.dir,
          error: String(error),
        });
      } finally {
        this.closing.delete(labelOf(entry));
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

  /** Closes and removes partition directories (a deleted topic, or an undone create). */
  private async deleteLogs(logs: readonly HostedLog[]): Promise<void> {
    await runBounded(logs, PARTITION_OPEN_CLOSE_CONCURRENCY, async (hosted) => {
      try {
        await hosted.log.delete();
      } catch (error) {
        this.logger.warn('could not remove a partition directory: the next start keeps it aside as stray', {
          dir: hosted.log.dir,
          error: String(error),
        });
      }
    });
  }

  /** Opens partition `index` of a topic the image holds, adopting or re-creating its directory. */
  private async openExisting(image: MetadataImage, topic: TopicImage, index: number): Promise<PartitionLog> {
    const name = partitionDirName(topic.name, index);
    const dir = join(this.logDir, name);
    try {
      if (!(await exists(dir))) {
        this.logger.warn('partition directory missing: the partition starts empty', { partition: name, dir });
        await mkdir(dir);
        await writePartitionMetadata(dir, topic.id);
      } else if ((await readPartitionMetadata(dir)) === null) {
        // Written before Fjord recorded topic ids in partition directories (or an operator's recovery).
        await writePartitionMetadata(dir, topic.id);
      }
      return await PartitionLog.open(
        dir,
        this.logConfigFor(image, topic.name),
        undefined,
        this.tailCacheBudget,
        this.eventsFor(name),
        this.logIo,
      );
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
   * Start-up: every `<topic>-<n>` directory the image does not give this broker (unknown topic,
   * partition beyond the count, another topic id, a replica elsewhere) is moved aside as stray,
   * with a warning.
   */
  private async setAsideUnknownDirs(image: MetadataImage): Promise<void> {
    const dirs = await listPartitionDirs(this.logDir);
    const strays: string[] = [];
    for (const entry of dirs) {
      if (this.reservedDirs.has(entry.name)) continue;
      const topic = image.topic(entry.topic);
      let reason: string | null = null;
      if (topic === undefined) reason = `no topic '${entry.topic}' in ${METADATA_FILE}`;
      else if (!topic.partitions.has(entry.partition)) reason = `topic '${entry.topic}' has ${topic.partitions.size} partition(s)`;
      else if (!this.hosts(topic, entry.partition)) reason = `broker ${this.nodeId} is not a replica of partition ${entry.partition}`;
      else {
        const topicId = await readPartitionMetadata(join(this.logDir, entry.name));
        if (topicId !== null && topicId !== topic.id) {
          reason = `its partition.metadata names topic id ${topicId}, but topic '${entry.topic}' has id ${topic.id}`;
        }
      }
      if (reason !== null) strays.push(await this.setAside(entry.name, reason));
    }
    if (image.topicsByName.size === 0 && strays.length > 0) {
      this.logger.warn(
        `no topic metadata (${join(this.logDir, METADATA_FILE)}) but partition directories: every one was kept aside as stray`,
        { strayDirectories: strays.length, recovery: 'docs/storage.md, "Stray partition directories"' },
      );
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

function logKey(topicId: string, partition: number): string {
  return `${topicId}:${partition}`;
}

function labelOf(hosted: HostedLog): string {
  return partitionDirName(hosted.topicName, hosted.partition);
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
