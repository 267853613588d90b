import { randomUUID } from 'node:crypto';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Logger } from '../io/logger.js';
import { assert } from '../io/assert.js';
import type { Scheduler } from '../io/scheduler.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { RecordBatchView } from '../protocol/record-batch.js';
import { buildRecordBatch, decodeRecords } from '../protocol/records.js';
import type { TopicRegistry, Topic } from '../topics/topic-registry.js';
import {
  GroupCoordinator,
  DEFAULT_COORDINATOR_CONFIG,
  type ClientInfo,
  type CommitInput,
  type CoordinatorConfig,
  type HeartbeatInput,
  type JoinInput,
  type LeaveInput,
  type Output,
  type Reply,
  type ReplyBody,
  type SyncInput,
} from './group-coordinator.js';
import {
  CONSUMER_OFFSETS_TOPIC,
  decodeOffsetsRecord,
  encodeOffsetsRecord,
  partitionForGroup,
  type OffsetsRecord,
} from './offsets-records.js';

type BodyOf<A extends ReplyBody['api']> = Extract<ReplyBody, { api: A }>['body'];

/** Bytes read per step while loading a `__consumer_offsets` partition. */
const LOAD_READ_BYTES = 1024 * 1024;
/** Kafka's offsets.topic.segment.bytes default. */
const OFFSETS_TOPIC_SEGMENT_BYTES = '104857600';
/**
 * The longest the coordinator's timer waits before looking again. Timers run on the monotonic
 * clock and deadlines on the wall clock: after a wall-clock step forward, due deadlines wait at
 * most this long. (It also keeps delays below setTimeout's 2^31-1 ms.)
 */
const TIMER_DELAY_MS_MAX = 10_000;

/**
 * The I/O shell around the pure GroupCoordinator: it allocates request ids for parked requests,
 * feeds inputs with the current time, appends the coordinator's records to
 * `__consumer_offsets` (one batch per partition per step) and completes requests — deferred
 * ones only once their records are appended. On start it creates the internal topic if needed
 * and replays it to rebuild groups and offsets.
 *
 * The topic is compacted by the log cleaner (cleanup.policy=compact), so it keeps the latest
 * commit per group/partition and group metadata per group; replay reads what is left.
 *
 * Timers (`startTimers`): one Scheduler timer, armed for the coordinator's next deadline, rather
 * than a fixed poll. A poll either fires deadlines late (100 ms: a session timeout or the end of a
 * join phase up to 100 ms after Kafka would) or wakes an idle broker often (this timer: every
 * TIMER_DELAY_MS_MAX at most); the coordinator's `nextDeadlineMs()` is amortized O(1), so asking
 * after every step costs nothing. The timer is re-armed
 * only when the next deadline moves earlier: a heartbeat moves its deadline later, so the armed
 * timer stays, fires early at worst, finds nothing due and re-arms for the real next deadline.
 */
export class GroupService {
  private nextRequestId = 1;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private readonly inflight = new Set<Promise<void>>();
  private scheduler: Scheduler | null = null;
  /** When the armed timer fires (this.nowMs() clock), null if none is armed. */
  private armedAtMs: number | null = null;
  private cancelArmed: (() => void) | null = null;

  private constructor(
    readonly coordinator: GroupCoordinator,
    private readonly offsetsTopic: Topic,
    private readonly logger: Logger,
    private readonly nowMs: () => number,
  ) {}

  static coordinatorConfig(config: BrokerConfig): CoordinatorConfig {
    return {
      ...DEFAULT_COORDINATOR_CONFIG,
      minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
      maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
      initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
      maxGroupSize: config.groupMaxSize,
      offsetsRetentionMs: config.offsetsRetentionMs,
      offsetsRetentionCheckIntervalMs: config.offsetsRetentionCheckIntervalMs,
    };
  }

  /** Creates `__consumer_offsets` if missing, then loads every partition of it. */
  static async open(topics: TopicRegistry, config: BrokerConfig, logger: Logger, nowMs: () => number): Promise<GroupService> {
    let topic = topics.get(CONSUMER_OFFSETS_TOPIC);
    if (topic === undefined) {
      topic = await topics.create(CONSUMER_OFFSETS_TOPIC, config.offsetsTopicNumPartitions, {
        'cleanup.policy': 'compact',
        'segment.bytes': OFFSETS_TOPIC_SEGMENT_BYTES,
      });
      logger.info('created internal topic', { topic: CONSUMER_OFFSETS_TOPIC, partitions: config.offsetsTopicNumPartitions });
    } else if (topic.partitions.length !== config.offsetsTopicNumPartitions) {
      logger.warn('offsets.topic.num.partitions differs from the existing topic; using the topic', {
        configured: config.offsetsTopicNumPartitions,
        actual: topic.partitions.length,
      });
    }
    const coordinator = new GroupCoordinator(GroupService.coordinatorConfig(config), randomUUID);
    const service = new GroupService(coordinator, topic, logger, nowMs);
    const started = Date.now();
    const loaded = await service.load();
    coordinator.loaded(nowMs());
    logger.info('loaded consumer groups', { records: loaded, groups: coordinator.groupIds().length, ms: Date.now() - started });
    return service;
  }

  /** The `__consumer_offsets` partition (= coordinator) of a group. */
  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.offsetsTopic.partitions.length);
  }

  join(input: JoinInput, client: ClientInfo): Promise<BodyOf<'JoinGroup'>> {
    return this.submit('JoinGroup', (id) => this.coordinator.joinGroup(id, input, client, this.nowMs()));
  }

  sync(input: SyncInput): Promise<BodyOf<'SyncGroup'>> {
    return this.submit('SyncGroup', (id) => this.coordinator.syncGroup(id, input, this.nowMs()));
  }

  heartbeat(input: HeartbeatInput): Promise<BodyOf<'Heartbeat'>> {
    return this.submit('Heartbeat', (id) => this.coordinator.heartbeat(id, input, this.nowMs()));
  }

  leave(input: LeaveInput): Promise<BodyOf<'LeaveGroup'>> {
    return this.submit('LeaveGroup', (id) => this.coordinator.leaveGroup(id, input, this.nowMs()));
  }

  commit(input: CommitInput, apiVersion: number): Promise<BodyOf<'OffsetCommit'>> {
    return this.submit('OffsetCommit', (id) => this.coordinator.commitOffsets(id, input, apiVersion, this.nowMs()));
  }

  deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[]): Promise<BodyOf<'OffsetDelete'>> {
    return this.submit('OffsetDelete', (id) => this.coordinator.deleteOffsets(id, groupId, topics, this.nowMs()));
  }

  deleteGroups(groupIds: string[]): Promise<BodyOf<'DeleteGroups'>> {
    return this.submit('DeleteGroups', (id) => this.coordinator.deleteGroups(id, groupIds, this.nowMs()));
  }

  /** Drops the committed offsets of a deleted topic (to be called by DeleteTopics). */
  topicDeleted(topic: string): void {
    this.apply(this.coordinator.topicDeleted(topic, this.nowMs()));
  }

  /** Fires due timers (session/rebalance timeouts, initial delay, offsets retention). */
  tick(): void {
    this.apply(this.coordinator.tick(this.nowMs()));
  }

  /** From now on the coordinator's timers fire on their own, through `scheduler` (see the class comment). */
  startTimers(scheduler: Scheduler): void {
    assert(this.scheduler === null, 'group timers already started');
    this.scheduler = scheduler;
    this.armTimer();
  }

  /** Stops the timers, then waits for appends in flight (commits acknowledged only after them). */
  async close(): Promise<void> {
    this.cancelArmed?.();
    this.cancelArmed = null;
    this.armedAtMs = null;
    this.scheduler = null;
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  private armTimer(): void {
    const scheduler = this.scheduler;
    const nextMs = this.coordinator.nextDeadlineMs();
    if (scheduler === null || nextMs === null) return;
    if (this.armedAtMs !== null && this.armedAtMs <= nextMs) return;
    this.cancelArmed?.();
    const nowMs = this.nowMs();
    const delayMs = Math.min(Math.max(nextMs - nowMs, 0), TIMER_DELAY_MS_MAX);
    this.armedAtMs = nowMs + delayMs;
    this.cancelArmed = scheduler.after(delayMs, () => {
      this.armedAtMs = null;
      this.cancelArmed = null;
      this.tick();
    });
  }

  private submit<A extends ReplyBody['api']>(api: A, step: (requestId: number) => Output): Promise<BodyOf<A>> {
    const requestId = this.nextRequestId++;
    const promise = new Promise<BodyOf<A>>((resolve) => {
      this.pending.set(requestId, (reply) => {
        assert(reply.api === api, `request ${requestId} (${api}) answered as ${reply.api}`);
        resolve(reply.body as BodyOf<A>);
      });
    });
    this.apply(step(requestId));
    return promise;
  }

  private complete(reply: Reply): void {
    const resolve = this.pending.get(reply.requestId);
    assert(resolve !== undefined, `no pending request ${reply.requestId}`);
    this.pending.delete(reply.requestId);
    resolve(reply);
  }

  private apply(output: Output): void {
    // Every step may have set an earlier deadline (a join phase, a new member's session).
    this.armTimer();
    for (const reply of output.replies) this.complete(reply);
    if (output.records.length === 0) {
      for (const reply of output.deferred) this.complete(reply);
      return;
    }
    const byPartition = new Map<number, OffsetsRecord[]>();
    for (const record of output.records) {
      const partition = this.partitionFor(record.groupId);
      let list = byPartition.get(partition);
      if (list === undefined) byPartition.set(partition, (list = []));
      list.push(record);
    }
    // Offsets are assigned synchronously inside append(), so log order = coordinator order.
    const appends = [...byPartition].map(([partition, records]) => this.append(partition, records));
    const done = Promise.all(appends).then((errors) => {
      const errorCode = errors.find((code) => code !== ErrorCode.NONE) ?? ErrorCode.NONE;
      for (const reply of output.deferred) this.complete(errorCode === ErrorCode.NONE ? reply : failedReply(reply));
    });
    this.inflight.add(done);
    void done.finally(() => this.inflight.delete(done));
  }

  private async append(partitionIndex: number, records: OffsetsRecord[]): Promise<number> {
    const partition = this.offsetsTopic.partitions[partitionIndex]!;
    try {
      const batch = buildRecordBatch({ records: records.map(encodeOffsetsRecord), timestamp: this.nowMs() });
      const result = await partition.log.append(batch, partition.leaderEpoch);
      if (result.errorCode !== ErrorCode.NONE) {
        this.logger.error('append to __consumer_offsets failed', {
          partition: partitionIndex,
          errorCode: result.errorCode,
          message: result.errorMessage,
        });
      }
      return result.errorCode;
    } catch (error) {
      this.logger.error('append to __consumer_offsets failed', { partition: partitionIndex, error: String(error) });
      return ErrorCode.KAFKA_STORAGE_ERROR;
    }
  }

  /** Replays every partition of `__consumer_offsets` into the coordinator; returns the record count. */
  private async load(): Promise<number> {
    let count = 0;
    for (const partition of this.offsetsTopic.partitions) {
      const log = partition.log;
      let offset = log.logStartOffset;
      while (offset < log.highWatermark) {
        const read = await log.read(offset, LOAD_READ_BYTES);
        if (read.errorCode !== ErrorCode.NONE)
          throw new Error(`cannot load ${CONSUMER_OFFSETS_TOPIC}-${partition.index} at ${offset}: error ${read.errorCode}`);
        if (read.records.length === 0) break;
        for (const batch of read.records) {
          const view = new RecordBatchView(batch);
          const next = view.baseOffset + view.lastOffsetDelta + 1;
          if (!view.isControl) {
            for (const record of decodeRecords(batch)) {
              if (record.offset < offset || record.key === null) continue;
              try {
                const decoded = decodeOffsetsRecord(record.key, record.value);
                if (decoded !== null) {
                  this.coordinator.replay(decoded);
                  count++;
                }
              } catch (error) {
                this.logger.warn('skipping undecodable __consumer_offsets record', {
                  partition: partition.index,
                  offset: record.offset,
                  error: String(error),
                });
              }
            }
          }
          offset = Math.max(offset, next);
        }
      }
    }
    return count;
  }
}

/** The answer when the records a reply depends on could not be appended. */
function failedReply(reply: Reply): Reply {
  switch (reply.api) {
    case 'OffsetCommit':
      return {
        ...reply,
        body: {
          ...reply.body,
          topics: (reply.body.topics ?? []).map((topic) => ({
            ...topic,
            partitions: (topic.partitions ?? []).map((p) => ({
              ...p,
              errorCode: p.errorCode === ErrorCode.NONE ? ErrorCode.COORDINATOR_NOT_AVAILABLE : p.errorCode,
            })),
          })),
        },
      };
    case 'SyncGroup':
      return { ...reply, body: { ...reply.body, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, assignment: Buffer.alloc(0) } };
    default:
      return reply;
  }
}
