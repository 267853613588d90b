import { mkdir, statfs } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BrokerConfig } from './config/broker-config.js';
import type { BrokerContext } from './broker-context.js';
import type { Logger } from './io/logger.js';
import { ErrorCode } from './protocol/error-codes.js';
import { TcpServer } from './server/tcp-server.js';
import { RequestDispatcher } from './handlers/dispatcher.js';
import './handlers/index.js';
import { TopicError, TopicRegistry } from './topics/topic-registry.js';
import { DataDirLock } from './log/data-dir-lock.js';
import {
  META_PROPERTIES_FILE,
  ensureMetaProperties,
  randomKafkaUuid,
  readMetaProperties,
  writeMetaProperties,
} from './log/meta-properties.js';
import { StorageError } from './log/storage-error.js';
import { ProducerIdAllocator } from './topics/producer-id-allocator.js';
import { AppendNotifier } from './topics/append-notifier.js';
import { AdminHttpServer, type MetricSample } from './http/admin-http.js';
import { handlerFor } from './handlers/registry.js';
import { GroupService } from './group/group-service.js';
import { ReadBufferPool } from './log/read-buffer-pool.js';
import { READ_WINDOW_BYTES } from './log/segment.js';
import { NODE_LOG_IO } from './log/partition-log.js';
import { systemScheduler } from './io/scheduler.js';
import { selfClusterView } from './metadata/cluster-view.js';
import { startQuorum, type QuorumWiring } from './quorum/quorum-wiring.js';

/** Bounds on how often log maintenance (roll, retention, cleaning) wakes up. */
const MAINTENANCE_INTERVAL_MS_MIN = 100;
const MAINTENANCE_INTERVAL_MS_MAX = 60_000;
/** Socket write buffer above which a connection stops reading requests. */
const WRITE_BUFFER_BYTES_MAX = 64 * 1024 * 1024;
/**
 * Pooled Fetch read buffers fit a 1 MiB partition fetch (every client's default
 * max.partition.fetch.bytes) plus the index interval it may start before the fetch offset.
 */
const FETCH_READ_BUFFER_BYTES = READ_WINDOW_BYTES + 64 * 1024;
/**
 * A clean shutdown closes every partition (an fsync or two each, PARTITION_OPEN_CLOSE_CONCURRENCY
 * at once): the forced-exit deadline grows by this much per partition on top of
 * fjord.shutdown.timeout.ms, so many partitions on a busy disk still close cleanly.
 */
export const SHUTDOWN_MS_PER_PARTITION = 5;
/** Idle pooled read buffers are dropped after this long without a disk fetch. */
const FETCH_READ_BUFFERS_IDLE_MS = 60_000;

/**
 * Wiring of one broker process: data directory, topics, the Kafka listener and the periodic
 * log maintenance (retention, time-based roll). Everything with I/O starts and stops here.
 */
export class Broker {
  private servers: TcpServer[] = [];
  private http: AdminHttpServer | null = null;
  private dispatcher: RequestDispatcher | null = null;
  /** Serves the CONTROLLER listener of a quorum member (null on a standalone node). */
  private controllerDispatcher: RequestDispatcher | null = null;
  private ready = false;
  httpPort: number | null = null;
  private maintenanceTimer: NodeJS.Timeout | null = null;
  private readonly creating = new Map<string, Promise<number>>();
  context!: BrokerContext;
  boundPorts: number[] = [];
  private lock: DataDirLock | null = null;
  /** The Raft voter of a real quorum (controller role, not standalone); null otherwise. */
  quorum: QuorumWiring | null = null;
  /** What stop() is doing (a forced shutdown reports it). */
  private stopStage: 'running' | 'listeners' | 'groups' | 'partitions' | 'http' | 'stopped' = 'running';

  constructor(
    private readonly config: BrokerConfig,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const logDir = resolve(this.config.logDirs[0]!);
    await mkdir(logDir, { recursive: true });
    // Before anything reads or writes the directory: a second broker on it must not start.
    this.lock = await DataDirLock.acquire(logDir);
    try {
      await this.startWithLock(logDir);
    } catch (error) {
      await this.lock.release();
      throw error;
    }
  }

  private async startWithLock(logDir: string): Promise<void> {
    const { clusterId } = await ensureMetaProperties(logDir, { nodeId: this.config.nodeId, clusterId: this.config.clusterId });
    const topics = await TopicRegistry.open(logDir, this.config, this.logger, NODE_LOG_IO);
    const producerIds = await ProducerIdAllocator.open(logDir);
    const groups = await GroupService.open(topics, this.config, this.logger, () => Date.now());
    const advertised = this.config.advertisedListeners[0]!;
    this.context = {
      config: this.config,
      clusterId,
      nodeId: this.config.nodeId,
      advertisedHost: advertised.host,
      advertisedPort: advertised.port,
      // A standalone node is its own cluster of one; a quorum member will read its image.
      cluster: selfClusterView(() => ({
        nodeId: this.config.nodeId,
        host: this.context.advertisedHost,
        port: this.context.advertisedPort,
        rack: this.config.quorum.brokerRack,
        fenced: false,
      })),
      topics,
      producerIds,
      appendNotifier: new AppendNotifier(),
      logDir,
      logDirVolume: () => volumeOf(logDir),
      readBufferPool: new ReadBufferPool(FETCH_READ_BUFFER_BYTES, this.config.fetchReadBuffersMax),
      groups,
      logger: this.logger,
      nowMs: () => Date.now(),
      scheduler: systemScheduler,
      autoCreateTopic: (name) => this.autoCreateTopic(name),
      failStop: (what, error) => failStop(this.logger, what, error),
    };
    // Only a voter of a real quorum gets Raft and the CONTROLLER listener's own handler set; a
    // standalone node (make run, every single-node test) serves every listener as before.
    const quorum = this.config.quorum;
    if (!quorum.standalone && quorum.processRoles.has('controller') && quorum.controllerListener !== null) {
      this.quorum = await startQuorum({
        config: this.config,
        clusterId,
        logger: this.logger,
        failStop: (what, error) => failStop(this.logger, what, error),
      });
    }
    const dispatcher = new RequestDispatcher(this.context, this.quorum?.brokerHandlers);
    this.dispatcher = dispatcher;
    const controllerDispatcher = this.quorum === null ? null : new RequestDispatcher(this.context, this.quorum.controllerHandlers);
    this.controllerDispatcher = controllerDispatcher;
    for (const listener of this.config.listeners) {
      const isController = controllerDispatcher !== null && listener.name === quorum.controllerListener?.name;
      const server = new TcpServer(
        isController ? controllerDispatcher : dispatcher,
        {
          requestSizeBytesMax: this.config.socketRequestMaxBytes,
          inflightRequestsMax: this.config.inflightRequestsPerConnectionMax,
          writeBufferBytesMax: WRITE_BUFFER_BYTES_MAX,
          idleMsMax: this.config.connectionsMaxIdleMs,
          connectionsMax: this.config.maxConnections,
        },
        this.logger,
      );
      const bound = await server.listen(listener.host, listener.port);
      this.servers.push(server);
      this.boundPorts.push(bound.port);
      // A listener on port 0 gets a kernel-chosen port; advertise the real one.
      if (listener === this.config.listeners[0] && advertised.port === 0) this.context.advertisedPort = bound.port;
    }
    this.ready = true;
    if (this.config.httpPort >= 0) {
      this.http = new AdminHttpServer({ ready: () => this.ready, metrics: () => this.metrics() });
      this.httpPort = await this.http.listen(this.config.httpHost, this.config.httpPort);
    }
    const maintenanceIntervalMs = Math.max(
      MAINTENANCE_INTERVAL_MS_MIN,
      Math.min(this.config.logRetentionCheckIntervalMs, this.config.logCleanerBackoffMs, MAINTENANCE_INTERVAL_MS_MAX),
    );
    this.maintenanceTimer = setInterval(() => void this.runMaintenance(), maintenanceIntervalMs);
    this.maintenanceTimer.unref();
    groups.startTimers(systemScheduler);
    this.logger.info('Fjord broker started', {
      nodeId: this.config.nodeId,
      clusterId,
      listeners: this.config.listeners.map((l, i) => `${l.name}://${l.host}:${this.boundPorts[i]}`),
      logDir,
      topics: topics.list().length,
      partitions: topics.list().reduce((sum, topic) => sum + topic.partitions.length, 0),
      // Partitions without the clean-shutdown marker, which recovery checked.
      partitionsRecovered: topics.storageStats.partitionsRecovered,
      recoveryTruncations: topics.storageStats.recoveryTruncations,
      strayDirectories: topics.storageStats.strayDirectories,
    });
  }

  async stop(): Promise<void> {
    this.ready = false;
    if (this.maintenanceTimer) clearInterval(this.maintenanceTimer);
    this.stopStage = 'listeners';
    // The leader resigns first (EndQuorumEpoch) so the others elect without waiting a timeout.
    await this.quorum?.close();
    await Promise.all(this.servers.map((server) => server.close()));
    this.stopStage = 'groups';
    await this.context.groups.close();
    this.stopStage = 'partitions';
    await this.context.topics.close();
    this.stopStage = 'http';
    await this.http?.close();
    await this.lock?.release();
    this.stopStage = 'stopped';
    this.logger.info('Fjord broker stopped');
  }

  /** How long stop() may take before the process exits anyway (see SHUTDOWN_MS_PER_PARTITION). */
  shutdownBudgetMs(): number {
    const partitions = this.context?.topics.list().reduce((sum, topic) => sum + topic.partitions.length, 0) ?? 0;
    return this.config.shutdownTimeoutMs + partitions * SHUTDOWN_MS_PER_PARTITION;
  }

  /** For a forced shutdown's log line: where stop() got to and which partitions it did not close. */
  shutdownProgress(): Record<string, unknown> {
    const notClosed = this.stopStage === 'partitions' ? this.context.topics.partitionsNotClosed : null;
    return {
      stage: this.stopStage,
      ...(notClosed === null
        ? {}
        : {
            partitionsNotClosed: notClosed.count,
            notClosed: notClosed.names,
            next: 'the next start recovers the partitions not closed (their tail is checked; nothing acknowledged is lost)',
          }),
    };
  }

  private metrics(): MetricSample[] {
    const topics = this.context.topics.list();
    const partitions = topics.flatMap((topic) => topic.partitions);
    const memory = process.memoryUsage();
    const pool = this.context.readBufferPool;
    return [
      {
        name: 'fjord_up',
        help: 'Whether the broker is serving (1) or starting or stopping (0).',
        type: 'gauge',
        values: [{ value: this.ready ? 1 : 0 }],
      },
      {
        name: 'fjord_connections',
        help: 'Open client connections.',
        type: 'gauge',
        values: [{ value: this.servers.reduce((sum, server) => sum + server.connectionCount, 0) }],
      },
      { name: 'fjord_topics', help: 'Topics, internal ones included.', type: 'gauge', values: [{ value: topics.length }] },
      { name: 'fjord_partitions', help: 'Partitions led by this broker.', type: 'gauge', values: [{ value: partitions.length }] },
      {
        name: 'fjord_log_size_bytes',
        help: 'Bytes in all partition logs.',
        type: 'gauge',
        values: [{ value: partitions.reduce((sum, partition) => sum + partition.log.sizeBytes, 0) }],
      },
      {
        name: 'process_resident_memory_bytes',
        help: 'Resident memory of the broker process.',
        type: 'gauge',
        values: [{ value: memory.rss }],
      },
      {
        name: 'nodejs_memory_bytes',
        help: 'V8 heap (used, total) and memory outside it (external, of which array buffers).',
        type: 'gauge',
        values: [
          { labels: { kind: 'heap_used' }, value: memory.heapUsed },
          { labels: { kind: 'heap_total' }, value: memory.heapTotal },
          { labels: { kind: 'external' }, value: memory.external },
          { labels: { kind: 'array_buffers' }, value: memory.arrayBuffers },
        ],
      },
      {
        name: 'fjord_log_tail_cache_bytes',
        help: 'Recently appended batches held in memory for tail fetches (all partitions).',
        type: 'gauge',
        values: [{ value: this.context.topics.tailCacheBudget.sizeBytes }],
      },
      {
        name: 'fjord_fetch_read_buffers',
        help: 'Pooled buffers of Fetch disk reads, in use or idle.',
        type: 'gauge',
        values: [
          { labels: { state: 'in_use' }, value: pool.outstanding },
          { labels: { state: 'idle' }, value: pool.idleBuffers },
        ],
      },
      {
        name: 'fjord_log_recovery_truncations_total',
        help: 'Segments that start-up recovery cut at an invalid batch (or removed after a gap); each is logged at WARN.',
        type: 'counter',
        values: [{ value: this.context.topics.storageStats.recoveryTruncations }],
      },
      {
        name: 'fjord_log_partitions_failed',
        help: 'Partitions whose log failed a write or fsync (appends answer KAFKA_STORAGE_ERROR).',
        type: 'gauge',
        values: [{ value: this.context.topics.failedPartitionCount }],
      },
      {
        name: 'fjord_log_stray_directories',
        help: 'Partition directories the topic metadata does not know, kept aside as -stray (see docs/storage.md).',
        type: 'gauge',
        values: [{ value: this.context.topics.storageStats.strayDirectories }],
      },
      {
        name: 'fjord_requests_total',
        help: 'Kafka requests received, by API.',
        type: 'counter',
        values: [...(this.dispatcher?.requestCounts ?? new Map<number, number>())].map(([apiKey, count]) => ({
          labels: { api: handlerFor(apiKey)?.name ?? String(apiKey) },
          value: count,
        })),
      },
      {
        name: 'fjord_controller_requests_total',
        help: 'Requests received on the CONTROLLER listener (Raft and controller APIs), by API.',
        type: 'counter',
        values: [...(this.controllerDispatcher?.requestCounts ?? new Map<number, number>())].map(([apiKey, count]) => ({
          labels: { api: this.quorum?.controllerHandlers.handlerFor(apiKey)?.name ?? String(apiKey) },
          value: count,
        })),
      },
    ];
  }

  private lastRetentionCheckMs = 0;

  private lastCleanMs = 0;
  private maintenanceRunning = false;

  /**
   * Time-based roll every pass; retention every log.retention.check.interval.ms; compaction of
   * `compact` topics every log.cleaner.backoff.ms (Kafka's cleaner polls at that pace too).
   */
  private async runMaintenance(): Promise<void> {
    if (this.maintenanceRunning) return;
    this.maintenanceRunning = true;
    try {
      await this.maintainLogs();
    } finally {
      this.maintenanceRunning = false;
    }
  }

  private async maintainLogs(): Promise<void> {
    const now = Date.now();
    this.context.readBufferPool.trim(now, FETCH_READ_BUFFERS_IDLE_MS);
    const retentionDue = now - this.lastRetentionCheckMs >= this.config.logRetentionCheckIntervalMs;
    if (retentionDue) this.lastRetentionCheckMs = now;
    const cleanDue = this.config.logCleanerEnable && now - this.lastCleanMs >= this.config.logCleanerBackoffMs;
    if (cleanDue) this.lastCleanMs = now;
    for (const topic of this.context.topics.list()) {
      for (const partition of topic.partitions) {
        try {
          partition.log.maybeRoll(now);
          if (retentionDue) await partition.log.applyRetention(now);
          if (cleanDue) {
            const result = await partition.log.maybeClean(now);
            if (result.reason !== null) {
              this.logger.info('cleaned log', {
                topic: topic.name,
                partition: partition.index,
                reason: result.reason,
                recordsRemoved: result.recordsRemoved,
              });
            }
          }
        } catch (error) {
          this.logger.error('log maintenance failed', { topic: topic.name, partition: partition.index, error: String(error) });
        }
      }
    }
  }

  private autoCreateTopic(name: string): Promise<number> {
    let pending = this.creating.get(name);
    if (!pending) {
      pending = this.context.topics
        .create(name, this.config.numPartitions, {})
        .then(
          () => {
            this.logger.info('auto-created topic', { topic: name, partitions: this.config.numPartitions });
            return ErrorCode.NONE;
          },
          (error) => {
            if (error instanceof TopicError) return error.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS ? ErrorCode.NONE : error.errorCode;
            throw error;
          },
        )
        .finally(() => this.creating.delete(name));
      this.creating.set(name, pending);
    }
    return pending;
  }
}

/**
 * `fjord format` (Kafka's `kafka-storage.sh format`): writes meta.properties into the data
 * directory, taking its lock (never under a running broker). Returns the line to print.
 */
export async function formatDataDirectory(config: BrokerConfig, clusterIdOption: string | null, ignoreFormatted: boolean): Promise<string> {
  const logDir = resolve(config.logDirs[0]!);
  if (clusterIdOption !== null && config.clusterId !== null && clusterIdOption !== config.clusterId) {
    throw new Error(`--cluster-id ${clusterIdOption} differs from the cluster.id property ${config.clusterId}`);
  }
  const clusterId = clusterIdOption ?? config.clusterId ?? randomKafkaUuid();
  if (!/^[A-Za-z0-9_-]+$/.test(clusterId)) throw new Error(`cluster id '${clusterId}' may only hold letters, digits, '-' and '_'`);
  await mkdir(logDir, { recursive: true });
  const lock = await DataDirLock.acquire(logDir);
  try {
    const existing = await readMetaProperties(logDir);
    if (existing !== null) {
      const what = `cluster.id ${existing.clusterId}, node.id ${existing.nodeId}`;
      if (ignoreFormatted) return `Log directory ${logDir} is already formatted (${what}); left as it is.`;
      throw new StorageError(
        join(logDir, META_PROPERTIES_FILE),
        `log directory ${logDir} is already formatted (${what})`,
        'Use --ignore-formatted to leave it as it is.',
      );
    }
    await writeMetaProperties(logDir, { clusterId, nodeId: config.nodeId, directoryId: randomKafkaUuid() });
    return `Formatting ${logDir} with cluster.id ${clusterId} and node.id ${config.nodeId}.`;
  } finally {
    await lock.release();
  }
}

/** Exit status of a fail-stop (cli.ts: 1 = runtime failure). */
const FAIL_STOP_EXIT_CODE = 1;

/** See BrokerContext.failStop: log, then exit at once (no shutdown: it would write more state). */
function failStop(logger: Logger, what: string, error: Error): never {
  logger.error(`fail-stop: ${what}; exiting so that the next start recovers from disk`, { error: error.stack ?? error.message });
  process.exit(FAIL_STOP_EXIT_CODE);
}

/** Total and usable bytes of the volume holding `path` (Java's FileStore total and usable space). */
async function volumeOf(path: string): Promise<{ totalBytes: number; usableBytes: number }> {
  const stats = await statfs(path);
  return { totalBytes: stats.blocks * stats.bsize, usableBytes: stats.bavail * stats.bsize };
}
