import type { BrokerConfig } from './config/broker-config.js';
import type { Logger } from './io/logger.js';
import type { TopicRegistry } from './topics/topic-registry.js';
import type { ProducerIdAllocator } from './topics/producer-id-allocator.js';
import type { AppendNotifier } from './topics/append-notifier.js';
import type { ReadBufferPool } from './log/read-buffer-pool.js';
import type { GroupService } from './group/group-service.js';
import type { Scheduler } from './io/scheduler.js';
import type { ClusterView } from './metadata/cluster-view.js';

/** What handlers may reach: the broker's state and services, no sockets. */
export interface BrokerContext {
  config: BrokerConfig;
  clusterId: string;
  nodeId: number;
  advertisedHost: string;
  advertisedPort: number;
  /** The brokers and the controller that Metadata, DescribeCluster and FindCoordinator name. */
  cluster: ClusterView;
  topics: TopicRegistry;
  producerIds: ProducerIdAllocator;
  appendNotifier: AppendNotifier;
  /** Buffers Fetch reads segment data into, reused once a response is written. */
  readBufferPool: ReadBufferPool;
  /** The log directory (absolute path) all partitions live in. */
  logDir: string;
  /** Size of the volume the log directory is on; rejects when it cannot be read. */
  logDirVolume(): Promise<{ totalBytes: number; usableBytes: number }>;
  /** The group coordinator (consumer groups, committed offsets in __consumer_offsets). */
  groups: GroupService;
  logger: Logger;
  nowMs(): number;
  /** Timers for handlers (the Fetch long poll); the clock above is `scheduler.nowMs`. */
  scheduler: Scheduler;
  /** Creates a topic with broker defaults (auto.create.topics.enable); returns a Kafka error code. */
  autoCreateTopic(name: string): Promise<number>;
  /**
   * A broken invariant (an assertion failed while serving a request): the in-memory state can no
   * longer be trusted, so the broker logs it and the process exits non-zero without writing
   * anything more; the next start recovers from the files. Serving on could store wrong data.
   */
  failStop(what: string, error: Error): void;
}
