import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BrokerConfig } from './config/broker-config.js';
import type { BrokerContext } from './broker-context.js';
import type { Logger } from './io/logger.js';
import { ErrorCode } from './protocol/error-codes.js';
import { TcpServer } from './server/tcp-server.js';
import { RequestDispatcher } from './handlers/dispatcher.js';
import './handlers/index.js';
import { TopicError, TopicRegistry } from './topics/topic-registry.js';
import { writeFileAtomically } from './log/atomic-file.js';
import { ProducerIdAllocator } from './topics/producer-id-allocator.js';
import { AppendNotifier } from './topics/append-notifier.js';
import { AdminHttpServer, type MetricSample } from './http/admin-http.js';
import { handlerFor } from './handlers/registry.js';
import { GroupService } from './group/group-service.js';
import { ReadBufferPool } from './log/read-buffer-pool.js';
import { READ_WINDOW_BYTES } from './log/segment.js';
import { systemScheduler } from './io/scheduler.js';

/** How often the group coordinator's timers (session/rebalance timeouts, retention) are checked. */
const GROUP_TICK_MS = 100;
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
  private ready = false;
  httpPort: number | null = null;
  private maintenanceTimer: NodeJS.Timeout | null = null;
  private groupTimer: NodeJS.Timeout | null = null;
  private readonly creating = new Map<string, Promise<number>>();
  context!: BrokerContext;
  boundPorts: number[] = [];

  constructor(
    private readonly config: BrokerConfig,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const logDir = resolve(this.config.logDirs[0]!);
    await mkdir(logDir, { recursive: true });
    const clusterId = await loadOrCreateMetaProperties(logDir, this.config);
    const topics = await TopicRegistry.open(logDir, this.config);
    const producerIds = await ProducerIdAllocator.open(logDir);
    const groups = await GroupService.open(topics, this.config, this.logger, () => Date.now());
    const advertised = this.config.advertisedListeners[0]!;
    this.context = {
      config: this.config,
      clusterId,
      nodeId: this.config.nodeId,
      advertisedHost: advertised.host,
      advertisedPort: advertised.port,
      topics,
      producerIds,
      appendNotifier: new AppendNotifier(),
      readBufferPool: new ReadBufferPool(FETCH_READ_BUFFER_BYTES, this.config.fetchReadBuffersMax),
      groups,
      logger: this.logger,
      nowMs: () => Date.now(),
      scheduler: systemScheduler,
      autoCreateTopic: (name) => this.autoCreateTopic(name),
    };
    const dispatcher = new RequestDispatcher(this.context);
    this.dispatcher = dispatcher;
    for (const listener of this.config.listeners) {
      const server = new TcpServer(
        dispatcher,
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
    this.groupTimer = setInterval(() => groups.tick(), GROUP_TICK_MS);
    this.groupTimer.unref();
    this.logger.info('Fjord broker started', {
      nodeId: this.config.nodeId,
      clusterId,
      listeners: this.config.listeners.map((l, i) => `${l.name}://${l.host}:${this.boundPorts[i]}`),
      logDir,
      topics: topics.list().length,
    });
  }

  async stop(): Promise<void> {
    this.ready = false;
    if (this.maintenanceTimer) clearInterval(this.maintenanceTimer);
    if (this.groupTimer) clearInterval(this.groupTimer);
    await Promise.all(this.servers.map((server) => server.close()));
    await this.context.groups.close();
    await this.context.topics.close();
    await this.http?.close();
    this.logger.info('Fjord broker stopped');
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
        name: 'fjord_requests_total',
        help: 'Kafka requests received, by API.',
        type: 'counter',
        values: [...(this.dispatcher?.requestCounts ?? new Map<number, number>())].map(([apiKey, count]) => ({
          labels: { api: handlerFor(apiKey)?.name ?? String(apiKey) },
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

/** Kafka's meta.properties: the cluster id and node id this log directory belongs to. */
async function loadOrCreateMetaProperties(logDir: string, config: BrokerConfig): Promise<string> {
  const path = join(logDir, 'meta.properties');
  let text: string | null = null;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== null) {
    const properties = new Map(
      text
        .split('\n')
        .filter((line) => line.includes('=') && !line.startsWith('#'))
        .map((line) => {
          const index = line.indexOf('=');
          return [line.slice(0, index).trim(), line.slice(index + 1).trim()] as const;
        }),
    );
    const storedNodeId = Number(properties.get('node.id'));
    if (storedNodeId !== config.nodeId) {
      throw new Error(`log directory ${logDir} belongs to node.id ${storedNodeId}, but this broker has node.id ${config.nodeId}`);
    }
    const storedClusterId = properties.get('cluster.id')!;
    if (config.clusterId !== null && config.clusterId !== storedClusterId) {
      throw new Error(`log directory ${logDir} belongs to cluster ${storedClusterId}, not cluster.id ${config.clusterId}`);
    }
    return storedClusterId;
  }
  const clusterId = config.clusterId ?? randomBytes(16).toString('base64url');
  await writeFileAtomically(path, `#\n#Written by Fjord\nversion=1\ncluster.id=${clusterId}\nnode.id=${config.nodeId}\n`);
  return clusterId;
}
