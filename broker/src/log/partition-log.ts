/**
 * The persistent log of one partition: a directory of segments (Kafka's UnifiedLog + LocalLog +
 * LogLoader). See README.md in this folder for the on-disk format.
 *
 * Offsets (all plain numbers, safe integers):
 *   logStartOffset <= highWatermark <= logEndOffset
 *   - logStartOffset: first readable offset (segments below are deleted; DeleteRecords may move it
 *     inside a segment; persisted in `log-start-offset-checkpoint`);
 *   - highWatermark: end of the batches whose bytes are in the file (single node); reads stop here;
 *   - logEndOffset: next offset to assign, including batches still queued for the write.
 *
 * Write path (PERFORMANCE.md C2): `append` does everything synchronously (producer-state check,
 * offset assignment, stamping baseOffset and partitionLeaderEpoch in place, index update) and
 * queues the Buffer. One writer per partition drains the queue: everything queued in an
 * event-loop turn goes out in one writev per segment (`Scheduler.defer`, setImmediate); appends arriving while a
 * write is in flight go out together in the next one (group commit). fsync follows
 * flush.messages / flush.ms (checked when a write completes). No per-record work: batches are
 * opaque.
 *
 * Compaction (cleanup.policy compact, `maybeClean`): rewrites finished segments below the first
 * uncleanable offset keeping the latest record per key (cleaner.ts, cleaner-plan.ts,
 * batch-filter.ts); offsets and logStartOffset never change, but segments based below
 * `cleaner-offset-checkpoint` may have offset gaps.
 *
 * State machine: open -> (closing -> closed | deleted). While `truncateTo` runs, and after
 * close/delete, appends answer NOT_LEADER_OR_FOLLOWER. After a write or fsync failure the log is
 * failed: appends answer KAFKA_STORAGE_ERROR, reads still serve data below the high watermark;
 * after a full disk it retries by itself (README.md, "Storage failures").
 */
import { join } from 'node:path';
import { assert } from '../io/assert.js';
import { removeIfExists, type Disk } from '../io/disk.js';
import { nodeDisk } from '../io/node-disk.js';
import { systemScheduler, type Scheduler } from '../io/scheduler.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ProducerStateManager, type ProducerBatchInfo } from '../producer-state/producer-state.js';
import { decodeProducerSnapshot, encodeProducerSnapshot } from '../producer-state/snapshot.js';
import {
  baseOffsetOf,
  baseSequenceOf,
  batchSizeBytes,
  isLogAppendTime,
  lastOffsetDeltaOf,
  maxTimestampOf,
  producerEpochOf,
  producerIdOf,
  stampBatch,
} from './batch-header.js';
import {
  CLEAN_SHUTDOWN_MARKER,
  LOG_START_OFFSET_CHECKPOINT,
  RECOVERY_POINT_CHECKPOINT,
  readCheckpoint,
  writeCheckpoint,
} from './checkpoint.js';
import { planRetention } from './retention.js';
import { createMarkerFile, writeFileAtomically, type AtomicWriteOptions } from './atomic-file.js';
import { isOutOfSpace } from './storage-error.js';
import {
  CLEANER_OFFSET_CHECKPOINT,
  OffsetMap,
  buildOffsetMap,
  earliestDeleteHorizon,
  recoverInterruptedSwaps,
  swapCleanedGroup,
  writeCleanedGroup,
  type SwapStep,
} from './cleaner.js';
import {
  groupSegmentsForCleaning,
  planCleaning,
  type CleanerSegmentSummary,
  type CleaningPlan,
  type CleaningReason,
} from './cleaner-plan.js';
import { offsetIndexEntriesMax, timeIndexEntriesMax } from './segment-indexer.js';
import {
  INDEX_SUFFIX,
  LOG_SUFFIX,
  READ_WINDOW_BYTES,
  SNAPSHOT_SUFFIX,
  Segment,
  SegmentDeletedError,
  TIME_INDEX_SUFFIX,
  offsetFileName,
  type IndexSettings,
} from './segment.js';
import { TailCache, TailCacheBudget } from './tail-cache.js';
import type { BufferLease, ReadBufferPool } from './read-buffer-pool.js';

export interface LogConfig {
  /** segment.bytes (default 1073741824). */
  segmentBytes: number;
  /** segment.ms (default 604800000). */
  segmentMs: number;
  /** retention.bytes (-1 = unlimited). */
  retentionBytes: number;
  /** retention.ms (default 604800000; -1 = unlimited). */
  retentionMs: number;
  /** index.interval.bytes (4096). */
  indexIntervalBytes: number;
  /** segment.index.bytes (10485760): max index size; the segment rolls when an index is full. */
  segmentIndexBytes: number;
  /** file.delete.delay.ms (60000). Fjord deletes immediately (no mmap readers to protect). */
  fileDeleteDelayMs: number;
  /** flush.messages (Kafka Long.MAX -> Number.MAX_SAFE_INTEGER): fsync after this many records. */
  flushMessages: number;
  /** flush.ms: fsync when this long since the last one (checked when a write completes). */
  flushMs: number;
  /** producer.id.expiration.ms (86400000). */
  producerIdExpirationMs: number;
  /**
   * cleanup.policy (['delete']): 'delete' = retention.ms / retention.bytes apply; 'compact' = the
   * log cleaner runs (`maybeClean`). Without 'delete' nothing is deleted by time or size.
   */
  cleanupPolicy: readonly CleanupPolicy[];
  /** min.cleanable.dirty.ratio (0.5): clean when dirty bytes / (clean + dirty bytes) exceeds it. */
  minCleanableDirtyRatio: number;
  /** min.compaction.lag.ms (0): segments with a record younger than this stay uncleaned. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms (Long.MAX -> Number.MAX_SAFE_INTEGER): force a clean after this. */
  maxCompactionLagMs: number;
  /** delete.retention.ms (86400000): tombstones survive this long after their first clean. */
  deleteRetentionMs: number;
}

export type CleanupPolicy = 'delete' | 'compact';

/** Kafka's list value of cleanup.policy ("compact,delete") as LogConfig.cleanupPolicy. */
export function parseCleanupPolicy(value: string): CleanupPolicy[] {
  const policy: CleanupPolicy[] = [];
  for (const item of value.split(',')) {
    const name = item.trim();
    if ((name === 'delete' || name === 'compact') && !policy.includes(name)) policy.push(name);
  }
  return policy;
}

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = {
  segmentBytes: 1073741824,
  segmentMs: 604800000,
  retentionBytes: -1,
  retentionMs: 604800000,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10485760,
  fileDeleteDelayMs: 60000,
  flushMessages: Number.MAX_SAFE_INTEGER,
  flushMs: Number.MAX_SAFE_INTEGER,
  producerIdExpirationMs: 86400000,
  cleanupPolicy: ['delete'],
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  deleteRetentionMs: 86400000,
};

export interface AppendResult {
  /** 0 = ok. */
  errorCode: number;
  baseOffset: number;
  /** Batch maxTimestamp for LogAppendTime batches, -1 for CreateTime. */
  logAppendTimeMs: number;
  logStartOffset: number;
  /** The batch repeated one of the producer's last 5 batches; nothing was appended. */
  duplicate?: boolean;
  errorMessage?: string;
}

/** What one `maybeClean` call did. */
export interface CleanResult {
  /** Why a round ran, or null if none was due (or the log is not compacted). */
  reason: CleaningReason | null;
  /** Dirty ratio before the round (see cleaner-plan.ts). */
  dirtyRatio: number;
  /** cleaner-offset-checkpoint after the call: everything below is cleaned. */
  firstDirtyOffset: number;
  /** Input segments rewritten, and the segments they became. */
  segmentsCleaned: number;
  segmentsWritten: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
}

export interface ReadResult {
  errorCode: number;
  records: Buffer[];
  sizeBytes: number;
  /**
   * Present when `records` are views of pooled buffers (read with a pool): call it once they
   * are written out or dropped. Absent for reads served from memory or without a pool.
   */
  release?: () => void;
}

export interface Clock {
  nowMs(): number;
}

/**
 * The log's I/O ports: every file operation goes through `disk`, and the coalesced write of a
 * turn's appends is deferred with `scheduler.defer`. The broker passes `NODE_LOG_IO`; the crash
 * simulation passes a simulated disk (test/sim/disk.ts).
 */
export interface LogIo {
  disk: Disk;
  scheduler: Pick<Scheduler, 'defer'>;
}

/** The default (and the broker's): node:fs and Node's event loop. */
export const NODE_LOG_IO: LogIo = { disk: nodeDisk, scheduler: systemScheduler };

/** Recovery removed data: a segment cut at its first invalid batch, or segments after a gap. */
export interface RecoveryTruncation {
  /** The `.log` file that was cut (or the last one kept, when only later ones were removed). */
  segmentPath: string;
  /** First offset no longer in the log. */
  offset: number;
  /** File position of the cut, and how many bytes went. */
  position: number;
  bytesRemoved: number;
  reason: string;
  /** Later segment files deleted because the data after the cut cannot be trusted. */
  segmentsRemoved: string[];
}

/** What failed when a log stopped taking writes. */
export type StorageOperation = 'write' | 'fsync' | 'index' | 'snapshot' | 'checkpoint' | 'cleaner-swap';

export interface StorageFailure {
  operation: StorageOperation;
  path: string;
  error: Error;
  /**
   * True for a write that found the disk (or quota) full: the log then retries by itself every
   * `STORAGE_RETRY_BACKOFF_MS` (on an append or a maintenance pass). Other failures (fsync, I/O
   * errors) keep the log failed until the broker restarts and recovery checks it.
   */
  retriedAutomatically: boolean;
}

/** Observers of a log's storage (the broker logs them and counts them in /metrics). */
export interface PartitionLogEvents {
  recoveryTruncated?(event: RecoveryTruncation): void;
  /** The first failure of an outage (later failures until the log is writable again are not reported). */
  storageFailed?(failure: StorageFailure): void;
  /** A write succeeded again after an outage that began at `sinceMs` and failed `failedAttempts` writes. */
  storageRecovered?(event: { sinceMs: number; failedAttempts: number }): void;
}

/** Tags an I/O error with what was being done and to which file. */
class StorageOperationError extends Error {
  constructor(
    readonly operation: StorageOperation,
    readonly path: string,
    override readonly cause: unknown,
  ) {
    super(`${operation} of ${path} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

async function tagged<T>(operation: StorageOperation, path: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new StorageOperationError(operation, path, error);
  }
}

/** A log failed by a full disk retries this long after its last attempt. */
export const STORAGE_RETRY_BACKOFF_MS = 1_000;

const systemClock: Clock = { nowMs: () => Date.now() };

/**
 * Bound of the in-memory cache of recently appended batches of a log opened without a shared
 * budget (a broker passes one budget for all its logs: fjord.log.tail.cache.bytes).
 */
export const TAIL_CACHE_BYTES_MAX = 4 * 1024 * 1024;
/** Per-partition bound of open file handles of inactive segments (the active one stays open). */
export const INACTIVE_SEGMENT_HANDLES_MAX = 4;
/** A read-ahead nobody read within this long gives its buffer back. */
const READ_AHEAD_IDLE_MS = 5_000;

interface ReadAhead {
  segment: Segment;
  /** File position of the batch holding `offset`. */
  position: number;
  offset: number;
  layoutVersion: number;
  /** Filled by the read; released by the reader that uses the window, or once the read settles. */
  leases: BufferLease[];
  window: Promise<Buffer | null>;
  startedMs: number;
}

/** Releases only after the read settled: the buffer is being written into until then. */
function discardReadAhead(ahead: ReadAhead): void {
  void ahead.window.then(() => {
    for (const lease of ahead.leases) lease.release();
  });
}

/** Smallest disk read for a fetch (the index interval is added on top). */
const FETCH_READ_BYTES_MIN = 64 * 1024;
const RELATIVE_OFFSET_MAX = 0x7fffffff;
const SEGMENT_FILE = /^(\d{20})\.log$/;
const INDEX_FILE = /^(\d{20})\.(index|timeindex)$/;
const SNAPSHOT_FILE = /^(\d{20})\.snapshot$/;

type QueueItem =
  | {
      kind: 'append';
      segment: Segment;
      batch: Buffer;
      nextOffset: number;
      records: number;
      result: AppendResult;
      resolve: (result: AppendResult) => void;
    }
  | { kind: 'barrier'; result: AppendResult; resolve: (result: AppendResult) => void }
  | { kind: 'rolled'; segment: Segment; snapshot: Buffer; nextBaseOffset: number };

type LogState = 'open' | 'truncating' | 'closing' | 'closed';

/**
 * Why `config` cannot run a log, or null if it can. Topic-config validation can use it to answer
 * INVALID_CONFIG; `open`/`updateConfig` assert it (a bad config there is a programmer error).
 */
export function logConfigProblem(config: LogConfig): string | null {
  if (!Number.isSafeInteger(config.segmentBytes) || config.segmentBytes < 61 || config.segmentBytes > 0x7fffffff)
    return 'segment.bytes must be in [61, 2147483647]';
  if (!(config.segmentMs >= 1)) return 'segment.ms must be >= 1';
  if (!(config.indexIntervalBytes >= 0)) return 'index.interval.bytes must be >= 0';
  if (!(config.segmentIndexBytes >= 12)) return 'segment.index.bytes must be >= 12';
  if (!(config.flushMessages >= 1)) return 'flush.messages must be >= 1';
  if (!(config.flushMs >= 0)) return 'flush.ms must be >= 0';
  if (!(config.producerIdExpirationMs >= 1)) return 'producer.id.expiration.ms must be >= 1';
  if (Number.isNaN(config.retentionBytes) || Number.isNaN(config.retentionMs)) return 'retention.bytes / retention.ms must be numbers';
  if (!Array.isArray(config.cleanupPolicy) || !config.cleanupPolicy.every((policy) => policy === 'delete' || policy === 'compact')) {
    return 'cleanup.policy must be a list of delete and/or compact';
  }
  if (!(config.minCleanableDirtyRatio >= 0 && config.minCleanableDirtyRatio <= 1)) return 'min.cleanable.dirty.ratio must be in [0, 1]';
  if (!(config.minCompactionLagMs >= 0)) return 'min.compaction.lag.ms must be >= 0';
  if (!(config.maxCompactionLagMs >= 1)) return 'max.compaction.lag.ms must be >= 1';
  if (!(config.deleteRetentionMs >= 0)) return 'delete.retention.ms must be >= 0';
  return null;
}

function validateLogConfig(config: LogConfig): void {
  const problem = logConfigProblem(config);
  assert(problem === null, problem ?? '');
}

export class PartitionLog {
  private segments: Segment[];
  private logStart: number;
  private logEnd: number;
  private highWater: number;
  private maxTimestamp = { timestamp: -1, offset: -1 };
  private readonly producerState: ProducerStateManager;
  private readonly tailCache: TailCache;
  /** The next window of a sequential reader, read before it asks (see read). */
  private readAhead: ReadAhead | null = null;
  /** Where the last disk read ended: a read starting there is sequential. */
  private sequentialEndOffset = -1;
  /** Bumped whenever file contents below the write position may change (truncation, deletion, cleaning). */
  private layoutVersion = 0;
  private queue: QueueItem[] = [];
  private writeScheduled = false;
  private writing = false;
  private idleWaiters: (() => void)[] = [];
  private readonly background = new Set<Promise<void>>();
  private finalizing: Promise<void> = Promise.resolve();
  /** Checkpoint files are written one at a time, in order (monotonic on disk too). */
  private checkpointWrites: Promise<unknown> = Promise.resolve();
  private maintenance: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;
  /** See StorageFailure.retriedAutomatically. */
  private failureRetried = false;
  private lastStorageAttemptMs = 0;
  private retryingStorage = false;
  /** From the first failed write until one succeeds again (one report per outage). */
  private outage: { sinceMs: number; failedAttempts: number } | null = null;
  private state: LogState = 'open';
  private unflushedRecords = 0;
  private lastFlushMs: number;
  private recoveryPoint: number;
  /** Inactive segments with an open file handle, least recently used first. */
  private openInactive: Segment[] = [];
  /** Rolled segments whose finalization (fsync, index files) has not finished: never cleaned. */
  private readonly pendingFinalization = new Set<Segment>();
  /** Segments whose finalization is queued or running. */
  private readonly finalizingNow = new Set<Segment>();
  /** cleaner-offset-checkpoint: first dirty offset; segments based below it may have offset gaps. */
  private cleanerCheckpoint: number;
  /** Earliest delete horizon of a stored tombstone batch (-1 none; null = not scanned since open). */
  private earliestDeleteHorizonMs: number | null = null;
  /** Set by close/delete so a long cleaning round stops between groups. */
  private cleaningStopped = false;
  private readonly highWatermarkListeners = new Set<(highWatermark: number) => void>();
  /** Test-only: called synchronously at each step of a cleaner swap (crash simulation). */
  onCleanerStep: ((step: SwapStep) => void) | null = null;
  /** Whether open() found the clean-shutdown marker (and so recovered nothing). */
  openedAfterCleanShutdown = false;
  /** Whether anything since open changed the files (a clean close of an unchanged log only writes the marker). */
  private changedSinceOpen = false;
  /** Counters for metrics and tests: write cycles (one writev per segment each) and fsyncs. */
  readonly stats = { writeCycles: 0, segmentWrites: 0, fsyncs: 0 };

  private constructor(
    readonly dir: string,
    private config: LogConfig,
    private readonly clock: Clock,
    segments: Segment[],
    logStartOffset: number,
    recoveryPoint: number,
    cleanerCheckpoint: number,
    tailCacheBudget: TailCacheBudget,
    private readonly events: PartitionLogEvents,
    private readonly io: LogIo,
  ) {
    assert(segments.length > 0, 'a log has at least one segment');
    this.tailCache = new TailCache(tailCacheBudget);
    this.segments = segments;
    this.logEnd = segments[segments.length - 1]!.nextOffset;
    this.highWater = this.logEnd;
    this.logStart = Math.min(logStartOffset, this.logEnd);
    this.recoveryPoint = recoveryPoint;
    this.cleanerCheckpoint = cleanerCheckpoint;
    this.producerState = new ProducerStateManager(config.producerIdExpirationMs);
    this.lastFlushMs = clock.nowMs();
    this.recomputeMaxTimestamp();
  }

  /** Creates `dir` if needed and recovers the partition (see README.md, "Recovery"). */
  static async open(
    dir: string,
    config: LogConfig,
    clock: Clock = systemClock,
    tailCacheBudget: TailCacheBudget = new TailCacheBudget(TAIL_CACHE_BYTES_MAX),
    events: PartitionLogEvents = {},
    io: LogIo = NODE_LOG_IO,
  ): Promise<PartitionLog> {
    validateLogConfig(config);
    const disk = io.disk;
    await disk.mkdir(dir);
    const settings: IndexSettings = { indexIntervalBytes: config.indexIntervalBytes, segmentIndexBytes: config.segmentIndexBytes };
    // A crash during a cleaner swap: finish it (committed) or drop the output (see cleaner.ts).
    const swappedEnd = await recoverInterruptedSwaps(disk, dir, settings);
    let cleanerCheckpoint = (await readCheckpoint(disk, dir, CLEANER_OFFSET_CHECKPOINT)) ?? 0;
    if (swappedEnd > cleanerCheckpoint) {
      cleanerCheckpoint = swappedEnd;
      await writeCheckpoint(disk, dir, CLEANER_OFFSET_CHECKPOINT, swappedEnd);
    }
    const names = await disk.list(dir);
    for (const name of names) {
      if (name.endsWith('.tmp') || name.endsWith('.deleted')) await removeIfExists(disk, join(dir, name));
    }
    const clean = names.includes(CLEAN_SHUTDOWN_MARKER);
    const logStartCheckpoint = (await readCheckpoint(disk, dir, LOG_START_OFFSET_CHECKPOINT)) ?? 0;
    const recoveryPoint = (await readCheckpoint(disk, dir, RECOVERY_POINT_CHECKPOINT)) ?? 0;
    const bases = names
      .map((name) => SEGMENT_FILE.exec(name))
      .filter((match) => match !== null)
      .map((match) => Number(match[1]))
      .sort((a, b) => a - b);
    // Segments wholly below the log start offset (a later segment starts at or below it) go
    // first, unread: retention removed them from the log, and a crash (or a failed checkpoint
    // write) may have left some of their files behind while later ones are gone, which the
    // contiguity check below would take for a gap and cut every later segment at (found by the
    // crash simulation).
    let firstKept = 0;
    while (firstKept + 1 < bases.length && bases[firstKept + 1]! <= logStartCheckpoint) firstKept++;
    for (const base of bases.splice(0, firstKept)) await removeSegmentFiles(disk, dir, base);
    const baseSet = new Set(bases);
    for (const name of names) {
      const match = INDEX_FILE.exec(name);
      if (match !== null && !baseSet.has(Number(match[1]))) await removeIfExists(disk, join(dir, name));
    }
    const nowMs = clock.nowMs();
    // Segments from the one holding the recovery point on may hold unsynced bytes: CRC scan.
    let recoverFrom = bases[0] ?? 0;
    for (const base of bases) if (base <= recoveryPoint) recoverFrom = base;
    const segments: Segment[] = [];
    let removedAfterCut = false;
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i]!;
      const previous = segments[segments.length - 1];
      if (previous !== undefined && base !== previous.nextOffset) {
        // A gap or overlap (an earlier segment lost its tail): later data cannot be trusted.
        const later = bases.slice(i);
        for (const laterBase of later) await removeSegmentFiles(disk, dir, laterBase);
        removedAfterCut ||= later.length > 0;
        events.recoveryTruncated?.({
          segmentPath: previous.logPath,
          offset: previous.nextOffset,
          position: previous.sizeBytes,
          bytesRemoved: 0,
          reason: `segment ${offsetFileName(base, LOG_SUFFIX)} does not start at the previous segment's end offset ${previous.nextOffset}`,
          segmentsRemoved: later.map((laterBase) => offsetFileName(laterBase, LOG_SUFFIX)),
        });
        break;
      }
      const needsScan = !clean && base >= recoverFrom;
      let cut: { reason: string; atBytes: number; fileBytes: number } | null = null;
      const segment = await Segment.load(disk, dir, base, settings, {
        trustIndexFiles: !needsScan,
        verifyCrc: needsScan,
        nowMs,
        offsetGapsAllowed: base < cleanerCheckpoint,
        onTruncate: (reason, atBytes, fileBytes) => {
          cut = { reason, atBytes, fileBytes };
        },
      });
      segments.push(segment);
      if (cut !== null) {
        const { reason, atBytes, fileBytes } = cut;
        const later = bases.slice(i + 1);
        for (const laterBase of later) await removeSegmentFiles(disk, dir, laterBase);
        removedAfterCut ||= later.length > 0;
        events.recoveryTruncated?.({
          segmentPath: segment.logPath,
          offset: segment.nextOffset,
          position: atBytes,
          bytesRemoved: fileBytes - atBytes,
          reason,
          segmentsRemoved: later.map((laterBase) => offsetFileName(laterBase, LOG_SUFFIX)),
        });
        break;
      }
    }
    if (segments.length === 0) segments.push(Segment.create(disk, dir, logStartCheckpoint, settings, nowMs));
    const active = segments[segments.length - 1]!;
    if (active.sizeBytes > 0) {
      const first = active.indexer.firstBatchMaxTimestamp;
      active.rollBaseMs = first >= 0 && first <= nowMs ? first : nowMs;
    }
    const log = new PartitionLog(
      dir,
      config,
      clock,
      segments,
      Math.max(logStartCheckpoint, segments[0]!.baseOffset),
      recoveryPoint,
      cleanerCheckpoint,
      tailCacheBudget,
      events,
      io,
    );
    log.openedAfterCleanShutdown = clean;
    // Segments removed after a cut must stay removed before new batches reuse their offsets
    // (found by the crash simulation: an unsynced removal came back after the next power loss,
    // and with it batches under offsets the log had handed out again).
    if (removedAfterCut) await disk.syncDirectory(dir);
    await log.deleteSegmentsBelowLogStart();
    await log.loadProducerState(log.logEnd);
    if (clean) await removeIfExists(disk, join(dir, CLEAN_SHUTDOWN_MARKER));
    return log;
  }

  get logStartOffset(): number {
    return this.logStart;
  }

  get logEndOffset(): number {
    return this.logEnd;
  }

  get highWatermark(): number {
    return this.highWater;
  }

  /** Bytes of all segments, including batches still queued for the write. */
  get sizeBytes(): number {
    let total = 0;
    for (const segment of this.segments) total += segment.sizeBytes;
    return total;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first (for tests and admin tools). */
  get segmentBaseOffsets(): number[] {
    return this.segments.map((segment) => segment.baseOffset);
  }

  /**
   * For ListOffsets -3 (MAX_TIMESTAMP): the largest batch maxTimestamp and the BASE offset of the
   * first batch that has it ({-1, -1} when empty). Refine to the record with
   * `findBatchByTimestamp(timestamp)`.
   */
  get maxTimestampAndOffset(): { timestamp: number; offset: number } {
    return { ...this.maxTimestamp };
  }

  /** Called after every high watermark move (e.g. to wake long-polling fetches). */
  onHighWatermark(listener: (highWatermark: number) => void): () => void {
    this.highWatermarkListeners.add(listener);
    return () => this.highWatermarkListeners.delete(listener);
  }

  updateConfig(config: LogConfig): void {
    validateLogConfig(config);
    this.config = config;
    this.producerState.updateConfig(config.producerIdExpirationMs);
  }

  /**
   * Appends one already-validated batch. The log keeps a reference to `batch` (write queue and
   * tail cache) and stamps it in place: the caller must not reuse or change it afterwards.
   */
  append(batch: Buffer, leaderEpoch: number): Promise<AppendResult> {
    const refused = this.refuseAppend();
    if (refused !== null) return Promise.resolve(refused);
    const sizeBytes = batch.length;
    assert(sizeBytes >= 61 && sizeBytes === batchSizeBytes(batch), 'append needs exactly one whole batch');
    if (sizeBytes > this.config.segmentBytes) {
      return Promise.resolve(this.errorResult(ErrorCode.RECORD_LIST_TOO_LARGE, `batch of ${sizeBytes} bytes exceeds segment.bytes`));
    }
    const lastOffsetDelta = lastOffsetDeltaOf(batch);
    const maxTimestamp = maxTimestampOf(batch);
    const producerId = producerIdOf(batch);
    let producerBatch: ProducerBatchInfo | null = null;
    if (producerId >= 0) {
      producerBatch = {
        producerId,
        producerEpoch: producerEpochOf(batch),
        baseSequence: baseSequenceOf(batch),
        lastOffsetDelta,
        maxTimestampMs: maxTimestamp,
      };
      const check = this.producerState.check(producerBatch);
      if (check.kind === 'error') return Promise.resolve(this.errorResult(check.errorCode, check.errorMessage));
      if (check.kind === 'duplicate') {
        const result: AppendResult = {
          errorCode: ErrorCode.NONE,
          baseOffset: check.baseOffset,
          logAppendTimeMs: isLogAppendTime(batch) ? check.timestampMs : -1,
          logStartOffset: this.logStart,
          duplicate: true,
        };
        if (check.lastOffset < this.highWater) return Promise.resolve(result);
        // The original is still being written: answer once it is.
        return new Promise((resolve) => this.enqueue({ kind: 'barrier', result, resolve }));
      }
    }
    const nowMs = this.clock.nowMs();
    this.changedSinceOpen = true;
    this.maybeRollForAppend(sizeBytes, lastOffsetDelta, nowMs);
    const baseOffset = this.logEnd;
    if (producerBatch !== null) this.producerState.update(producerBatch, baseOffset);
    stampBatch(batch, baseOffset, leaderEpoch);
    const segment = this.activeSegment;
    segment.indexer.onBatch(baseOffset, baseOffset + lastOffsetDelta, segment.sizeBytes, sizeBytes, maxTimestamp);
    if (segment.rollBaseMs < 0) segment.rollBaseMs = nowMs;
    this.logEnd = baseOffset + lastOffsetDelta + 1;
    if (maxTimestamp > this.maxTimestamp.timestamp) this.maxTimestamp = { timestamp: maxTimestamp, offset: baseOffset };
    this.tailCache.push(baseOffset, this.logEnd, batch);
    const result: AppendResult = {
      errorCode: ErrorCode.NONE,
      baseOffset,
      logAppendTimeMs: isLogAppendTime(batch) ? maxTimestamp : -1,
      logStartOffset: this.logStart,
    };
    return new Promise((resolve) => {
      this.enqueue({ kind: 'append', segment, batch, nextOffset: this.logEnd, records: lastOffsetDelta + 1, result, resolve });
    });
  }

  /**
   * Whole batches from the one containing `offset`, at most `maxBytes` except that the first
   * batch is always returned (KIP-74). Reads one segment at most; never past the high watermark.
   */
  async read(offset: number, maxBytes: number, pool?: ReadBufferPool): Promise<ReadResult> {
    if (this.state === 'closed') return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, records: [], sizeBytes: 0 };
    if (offset < this.logStart || offset > this.highWater) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: [], sizeBytes: 0 };
    if (offset === this.highWater) return { errorCode: ErrorCode.NONE, records: [], sizeBytes: 0 };
    const highWatermark = this.highWater;
    const cached = this.tailCache.read(offset, maxBytes, highWatermark);
    if (cached !== null) return { errorCode: ErrorCode.NONE, ...cached };
    let index = this.segmentIndexFor(offset);
    while (index < this.segments.length - 1 && offset >= this.segments[index]!.nextOffset) index++;
    const segment = this.segments[index]!;
    const records: Buffer[] = [];
    let sizeBytes = 0;
    let endPosition = -1;
    let endOffset = -1;
    const windowBytes = Math.min(Math.max(maxBytes, FETCH_READ_BYTES_MIN) + this.config.indexIntervalBytes, READ_WINDOW_BYTES * 8);
    const pooled = pool === undefined ? undefined : { pool, leases: [] as BufferLease[], nowMs: this.clock.nowMs() };
    const releaseAll =
      pooled === undefined
        ? undefined
        : () => {
            for (const lease of pooled.leases) lease.release();
          };
    let startPosition = segment.indexer.offsetIndex.lookup(offset);
    let prefetched: Buffer | undefined;
    const ahead = pooled === undefined ? null : this.takeReadAhead(offset, segment);
    if (ahead !== null) {
      const window = await ahead.window;
      if (window !== null && ahead.layoutVersion === this.layoutVersion && !segment.deleted) {
        pooled!.leases.push(...ahead.leases);
        startPosition = ahead.position;
        prefetched = window;
      } else {
        for (const lease of ahead.leases) lease.release();
      }
    }
    try {
      await segment.walkBatches(
        startPosition,
        windowBytes,
        (window, at, position, batchBytes) => {
          const baseOffset = baseOffsetOf(window, at);
          if (baseOffset >= highWatermark) return false;
          if (baseOffset + lastOffsetDeltaOf(window, at) < offset) return true;
          if (records.length > 0 && sizeBytes + batchBytes > maxBytes) return false;
          records.push(window.subarray(at, at + batchBytes));
          sizeBytes += batchBytes;
          endPosition = position + batchBytes;
          endOffset = baseOffset + lastOffsetDeltaOf(window, at) + 1;
          return sizeBytes < maxBytes;
        },
        pooled,
        // The window is maxBytes plus the index interval, so a second read mostly finds a batch
        // that would not fit anyway: skip it when that is known.
        (nextBatchBytes) =>
          records.length === 0 || (sizeBytes < maxBytes && (nextBatchBytes === null || sizeBytes + nextBatchBytes <= maxBytes)),
        prefetched,
      );
    } catch (error) {
      releaseAll?.();
      // The cleaner swapped the segment out mid-read: its records are in the replacement.
      if (segment.replaced) return this.read(offset, maxBytes, pool);
      if (error instanceof SegmentDeletedError || segment.deleted)
        return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: [], sizeBytes: 0 };
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, records: [], sizeBytes: 0 };
    } finally {
      this.touchInactive(segment);
    }
    if (releaseAll === undefined) return { errorCode: ErrorCode.NONE, records, sizeBytes };
    if (records.length === 0) {
      releaseAll();
      return { errorCode: ErrorCode.NONE, records, sizeBytes };
    }
    // A consumer reading on from where its last disk read ended gets the next window read
    // while it processes this one.
    const sequential = offset === this.sequentialEndOffset;
    this.sequentialEndOffset = endOffset;
    if (sequential && endPosition < segment.writtenBytes && endOffset < this.highWater)
      this.startReadAhead(segment, endPosition, endOffset, windowBytes, pool!);
    return { errorCode: ErrorCode.NONE, records, sizeBytes, release: releaseAll };
  }

  /** The pending read-ahead if it starts at `offset` in `segment`; any other one is dropped. */
  private takeReadAhead(offset: number, segment: Segment): ReadAhead | null {
    const ahead = this.readAhead;
    if (ahead === null) return null;
    this.readAhead = null;
    if (ahead.offset === offset && ahead.segment === segment) return ahead;
    discardReadAhead(ahead);
    return null;
  }

  private startReadAhead(segment: Segment, position: number, offset: number, windowBytes: number, pool: ReadBufferPool): void {
    if (this.readAhead !== null) discardReadAhead(this.readAhead);
    this.readAhead = null;
    // Read-ahead only borrows what the pool keeps anyway: when fetches already hold every pooled
    // buffer (many partitions at once), it would allocate beyond the pool, so it waits.
    if (!pool.hasSpare()) return;
    const nowMs = this.clock.nowMs();
    const leases: BufferLease[] = [];
    const window = segment.readAt(position, windowBytes, { pool, leases, nowMs }).then(
      (buffer) => (buffer.length > 0 ? buffer : null),
      () => null,
    );
    this.readAhead = { segment, position, offset, layoutVersion: this.layoutVersion, leases, window, startedMs: nowMs };
  }

  /** Drops a read-ahead nobody came for (its buffer goes back to the pool). */
  private expireReadAhead(nowMs: number): void {
    if (this.readAhead !== null && nowMs - this.readAhead.startedMs >= READ_AHEAD_IDLE_MS) {
      discardReadAhead(this.readAhead);
      this.readAhead = null;
    }
  }

  /**
   * The first batch (below the high watermark, ending at or after `fromOffset`) whose
   * maxTimestamp >= `timestampMs`, or null. `fromOffset` defaults to logStartOffset: Kafka's
   * search starts there, so records below it are never an answer. The batch may start below
   * `fromOffset` (its maxTimestamp covers all its records): the caller refines to the exact record
   * at or after `fromOffset` and, if the batch has none, searches again after it.
   */
  async findBatchByTimestamp(
    timestampMs: number,
    fromOffset: number = this.logStart,
  ): Promise<{ baseOffset: number; lastOffset: number; batch: Buffer } | null> {
    const highWatermark = this.highWater;
    for (const segment of [...this.segments]) {
      if (segment.indexer.maxTimestamp < timestampMs || segment.nextOffset <= fromOffset) continue;
      if (segment.baseOffset >= highWatermark) return null;
      const startOffset = Math.max(segment.indexer.timeIndex.lookup(timestampMs), fromOffset, segment.baseOffset);
      let found: { baseOffset: number; lastOffset: number; batch: Buffer } | null = null;
      let passedHighWatermark = false;
      try {
        await segment.walkBatches(
          segment.indexer.offsetIndex.lookup(startOffset),
          READ_WINDOW_BYTES,
          (window, at, _position, batchBytes) => {
            const baseOffset = baseOffsetOf(window, at);
            if (baseOffset >= highWatermark) {
              passedHighWatermark = true;
              return false;
            }
            const lastOffset = baseOffset + lastOffsetDeltaOf(window, at);
            if (lastOffset < fromOffset || maxTimestampOf(window, at) < timestampMs) return true;
            found = { baseOffset, lastOffset, batch: Buffer.from(window.subarray(at, at + batchBytes)) };
            return false;
          },
        );
      } catch (error) {
        if (segment.replaced) return this.findBatchByTimestamp(timestampMs, fromOffset);
        if (error instanceof SegmentDeletedError) continue;
        throw error;
      } finally {
        this.touchInactive(segment);
      }
      if (found !== null || passedHighWatermark) return found;
    }
    return null;
  }

  /** segment.ms check (also done on every append). */
  maybeRoll(nowMs: number): void {
    this.expireReadAhead(nowMs);
    if (this.failure !== null) this.maybeRetryStorage();
    if (this.state !== 'open' || this.failure !== null) return;
    const active = this.activeSegment;
    if (active.sizeBytes > 0 && nowMs - active.rollBaseMs > this.config.segmentMs) this.roll(nowMs);
  }

  /**
   * DeleteRecords: raises logStartOffset to `offset` (clamped to the high watermark; the caller
   * answers OFFSET_OUT_OF_RANGE for offsets above it), persists it, deletes whole segments below.
   */
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.serialize(async () => {
      const target = Math.min(offset, this.highWater);
      if (target <= this.logStart) return this.logStart;
      this.changedSinceOpen = true;
      this.logStart = target;
      await this.writeCheckpointInOrder(LOG_START_OFFSET_CHECKPOINT, target);
      await this.deleteSegmentsBelowLogStart();
      return this.logStart;
    });
  }

  /**
   * Time and size retention (only with cleanup.policy delete) and segments below logStartOffset;
   * expires idle producers.
   */
  applyRetention(nowMs: number): Promise<{ deletedSegments: number }> {
    return this.serialize(async () => {
      this.producerState.removeExpired(nowMs);
      if (this.state !== 'open') return { deletedSegments: 0 };
      const plan = planRetention({
        segments: this.segments.map((segment) => ({
          baseOffset: segment.baseOffset,
          sizeBytes: segment.sizeBytes,
          largestTimestampMs: segment.indexer.maxTimestamp >= 0 ? segment.indexer.maxTimestamp : segment.lastModifiedMs,
        })),
        logEndOffset: this.logEnd,
        highWatermark: this.highWater,
        logStartOffset: this.logStart,
        // Kafka: without cleanup.policy=delete only the log start offset deletes segments.
        retentionMs: this.config.cleanupPolicy.includes('delete') ? this.config.retentionMs : -1,
        retentionBytes: this.config.cleanupPolicy.includes('delete') ? this.config.retentionBytes : -1,
        nowMs,
      });
      if (plan.deleteCount === 0) return { deletedSegments: 0 };
      if (plan.rollFirst) this.roll(nowMs);
      await this.deleteOldestSegments(plan.deleteCount);
      return { deletedSegments: plan.deleteCount };
    });
  }

  /**
   * Log compaction (Kafka's log cleaner; only with cleanup.policy compact): when a round is due
   * (cleaner-plan.ts: dirty ratio above min.cleanable.dirty.ratio, max.compaction.lag.ms, or an
   * expired tombstone horizon; `force` runs one regardless), rewrites every finished segment below
   * the first uncleanable offset keeping, per key, only the record with the latest offset (see
   * batch-filter.ts for tombstones and batch headers). Offsets, logStartOffset and the active
   * segment are untouched. Call it periodically, after `applyRetention`.
   *
   * Concurrency: runs serialized with retention, DeleteRecords, truncation, flush and close.
   * Appends continue meanwhile (they only touch the active segment, which is never cleaned). A
   * group's old segments keep an open file handle until the in-memory switch, which is
   * synchronous: a read sees either the old segments or the new one. A read that meets a
   * replaced segment (deleted between two windows) restarts against the current segments.
   */
  maybeClean(nowMs: number, options: { force?: boolean } = {}): Promise<CleanResult> {
    return this.serialize(async () => {
      const result: CleanResult = {
        reason: null,
        dirtyRatio: 0,
        firstDirtyOffset: this.cleanerCheckpoint,
        segmentsCleaned: 0,
        segmentsWritten: 0,
        bytesBefore: 0,
        bytesAfter: 0,
        recordsRemoved: 0,
      };
      if (!this.config.cleanupPolicy.includes('compact') || this.state !== 'open' || this.failure !== null) return result;
      // Segments rolled before this call are cleanable once finalized (fsync, index files).
      await this.finalizing;
      const finished = this.finishedSegments();
      if (this.earliestDeleteHorizonMs === null) {
        this.earliestDeleteHorizonMs = await earliestDeleteHorizon(
          finished.filter((segment) => segment.baseOffset < this.cleanerCheckpoint),
        );
      }
      const plan = planCleaning({
        segments: finished.map((segment) => this.cleanerSummary(segment)),
        logStartOffset: this.logStart,
        logEndOffset: this.logEnd,
        cleanerCheckpoint: this.cleanerCheckpoint,
        nowMs,
        minCleanableDirtyRatio: this.config.minCleanableDirtyRatio,
        minCompactionLagMs: this.config.minCompactionLagMs,
        maxCompactionLagMs: this.config.maxCompactionLagMs,
        earliestDeleteHorizonMs: this.earliestDeleteHorizonMs,
      });
      result.dirtyRatio = plan.dirtyRatio;
      const reason = plan.reason ?? (options.force === true && plan.cleanableCount > 0 ? 'forced' : null);
      if (reason === null) return result;
      result.reason = reason;
      await this.cleanRound(finished.slice(0, plan.cleanableCount), plan, nowMs, result);
      result.firstDirtyOffset = this.cleanerCheckpoint;
      return result;
    });
  }

  /** cleaner-offset-checkpoint (first dirty offset), for tests and admin tools. */
  get cleanerCheckpointOffset(): number {
    return this.cleanerCheckpoint;
  }

  /**
   * Removes every batch at or after `offset` (the whole batch containing `offset`, like Kafka),
   * for replication. Appends are refused (NOT_LEADER_OR_FOLLOWER) while it runs.
   */
  truncateTo(offset: number): Promise<void> {
    return this.serialize(async () => {
      if (this.state !== 'open') return;
      this.state = 'truncating';
      try {
        await this.waitIdle();
        await this.settleBackground();
        if (offset >= this.logEnd) return;
        await this.truncateIdle(offset);
      } finally {
        if (this.state === 'truncating') this.state = 'open';
      }
    });
  }

  /**
   * Waits for queued writes, fsyncs every segment that may hold unsynced bytes below the high
   * watermark (the active one, and those rolled since whose finalization has not finished: their
   * fsync runs in the background) and records the recovery point. Rejects on a failed log.
   */
  flush(): Promise<void> {
    return this.serialize(async () => {
      await this.waitIdle();
      if (this.state === 'closed') return;
      // A failed log flushes nothing: saying so (Kafka throws KafkaStorageException) rather than
      // resolving, which a caller would take for durability (found by the crash simulation).
      if (this.failure !== null) throw this.failure;
      const endOffset = this.highWater;
      const active = this.activeSegment;
      // Found by the crash simulation (test/sim/log-crash.test.ts, seed 10): syncing only the
      // active segment let a flush report offsets durable whose segment had just rolled.
      const rolled = [...this.finalizingNow].filter((segment) => !segment.deleted && segment !== active);
      try {
        for (const segment of rolled) await tagged('fsync', segment.logPath, () => segment.sync());
        await tagged('fsync', active.logPath, () => active.sync());
        this.unflushedRecords = 0;
        this.lastFlushMs = this.clock.nowMs();
        await tagged('checkpoint', join(this.dir, RECOVERY_POINT_CHECKPOINT), () => this.advanceRecoveryPoint(endOffset));
      } catch (error) {
        this.markFailed(error);
        throw error;
      }
    });
  }

  /** Clean shutdown: writes indexes, a producer snapshot, the recovery point and the marker. */
  close(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return this.maintenance.then(() => undefined);
    this.cleaningStopped = true;
    return this.serialize(async () => {
      this.state = 'closing';
      await this.waitIdle();
      await this.settleBackground();
      if (this.failure === null) {
        if (!this.changedSinceOpen && (this.openedAfterCleanShutdown || this.sizeBytes === 0)) {
          // The files are as the last clean close left them (or there are none): only the marker.
          await createMarkerFile(this.io.disk, join(this.dir, CLEAN_SHUTDOWN_MARKER));
        } else {
          // Two fsyncs per partition (a broker may close thousands within its shutdown timeout):
          // the active segment's data, then the folder holding the new marker. Index files and
          // the snapshot are checked when read (a torn or lost one is rebuilt, or an older
          // snapshot replayed), so they need no fsync of their own. The recovery point only
          // matters below the active segment (recovery scans the segment holding it whole), and
          // the finalization of the last roll already put it there.
          const active = this.activeSegment;
          active.indexer.onBecomeInactive();
          await active.sync();
          const unsynced = { syncFile: false, syncDirectory: false };
          await active.writeIndexFiles(unsynced);
          await this.writeSnapshot(this.logEnd, encodeProducerSnapshot(this.producerState.entries()), unsynced);
          if (this.recoveryPoint < active.baseOffset) await this.advanceRecoveryPoint(this.logEnd, { syncDirectory: false });
          await createMarkerFile(this.io.disk, join(this.dir, CLEAN_SHUTDOWN_MARKER));
        }
      }
      await this.closeAllHandles();
      this.tailCache.clear();
      this.expireReadAhead(Number.POSITIVE_INFINITY);
      this.state = 'closed';
    });
  }

  /** Closes and removes the whole partition directory. */
  delete(): Promise<void> {
    this.cleaningStopped = true;
    return this.serialize(async () => {
      this.state = 'closing';
      await this.waitIdle();
      await this.settleBackground();
      await this.closeAllHandles();
      // The shared budget goes back to the live partitions.
      this.tailCache.clear();
      this.expireReadAhead(Number.POSITIVE_INFINITY);
      this.state = 'closed';
      await this.io.disk.removeTree(this.dir);
    });
  }

  // ---- write path -------------------------------------------------------------------------

  private get activeSegment(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  private refuseAppend(): AppendResult | null {
    if (this.state !== 'open') return this.errorResult(ErrorCode.NOT_LEADER_OR_FOLLOWER, `log is ${this.state}`);
    if (this.failure !== null) {
      this.maybeRetryStorage();
      return this.errorResult(ErrorCode.KAFKA_STORAGE_ERROR, this.failure.message);
    }
    return null;
  }

  private errorResult(errorCode: number, errorMessage: string): AppendResult {
    return { errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: this.logStart, errorMessage };
  }

  private maybeRollForAppend(sizeBytes: number, lastOffsetDelta: number, nowMs: number): void {
    const active = this.activeSegment;
    if (active.sizeBytes === 0) return;
    if (
      active.sizeBytes + sizeBytes > this.config.segmentBytes ||
      nowMs - active.rollBaseMs > this.config.segmentMs ||
      active.indexer.indexesFull ||
      this.logEnd + lastOffsetDelta - active.baseOffset > RELATIVE_OFFSET_MAX
    ) {
      this.roll(nowMs);
    }
  }

  /** New active segment at logEndOffset; the old one is finalized once its bytes are written. */
  private roll(nowMs: number): void {
    const previous = this.activeSegment;
    if (previous.sizeBytes === 0) return;
    this.changedSinceOpen = true;
    previous.indexer.onBecomeInactive();
    const settings = { indexIntervalBytes: this.config.indexIntervalBytes, segmentIndexBytes: this.config.segmentIndexBytes };
    this.segments.push(Segment.create(this.io.disk, this.dir, this.logEnd, settings, nowMs));
    this.openInactive.push(previous);
    this.pendingFinalization.add(previous);
    const snapshot = encodeProducerSnapshot(this.producerState.entries());
    this.enqueue({ kind: 'rolled', segment: previous, snapshot, nextBaseOffset: this.logEnd });
  }

  private enqueue(item: QueueItem): void {
    this.queue.push(item);
    if (!this.writeScheduled && !this.writing) {
      this.writeScheduled = true;
      this.io.scheduler.defer(() => void this.drain());
    }
  }

  private async drain(): Promise<void> {
    this.writeScheduled = false;
    this.writing = true;
    while (this.queue.length > 0) {
      const items = this.queue;
      this.queue = [];
      if (this.failure === null) {
        try {
          await this.writeItems(items);
          // Not while failed: a background finalization may have failed during this write
          // (the crash simulation saw "recovered" reported for a log still failed).
          if (this.outage !== null && this.failure === null && items.some((item) => item.kind === 'append')) this.endOutage();
        } catch (error) {
          this.markFailed(error);
        }
      }
      this.completeItems(items);
    }
    this.writing = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** One writev per run of consecutive appends to the same segment, then fsync if due. */
  private async writeItems(items: QueueItem[]): Promise<void> {
    const written: Segment[] = [];
    this.stats.writeCycles++;
    let records = 0;
    let i = 0;
    while (i < items.length) {
      const item = items[i]!;
      if (item.kind === 'rolled') {
        this.scheduleFinalization(item.segment, item.snapshot, item.nextBaseOffset);
        i++;
        continue;
      }
      if (item.kind === 'barrier') {
        i++;
        continue;
      }
      const segment = item.segment;
      const buffers: Buffer[] = [];
      let end = i;
      while (end < items.length) {
        const next = items[end]!;
        if (next.kind !== 'append' || next.segment !== segment) break;
        buffers.push(next.batch);
        records += next.records;
        end++;
      }
      await tagged('write', segment.logPath, () => segment.writeBuffers(buffers));
      this.stats.segmentWrites++;
      segment.lastModifiedMs = this.clock.nowMs();
      if (!written.includes(segment)) written.push(segment);
      i = end;
    }
    this.unflushedRecords += records;
    const nowMs = this.clock.nowMs();
    if (written.length > 0 && (this.unflushedRecords >= this.config.flushMessages || nowMs - this.lastFlushMs >= this.config.flushMs)) {
      for (const segment of written) await tagged('fsync', segment.logPath, () => segment.sync());
      this.stats.fsyncs += written.length;
      this.unflushedRecords = 0;
      this.lastFlushMs = nowMs;
    }
  }

  private completeItems(items: QueueItem[]): void {
    const failure = this.failure;
    let highWatermark = this.highWater;
    for (const item of items) {
      if (item.kind === 'append' && failure === null) highWatermark = Math.max(highWatermark, item.nextOffset);
    }
    if (highWatermark !== this.highWater) {
      this.highWater = highWatermark;
      for (const listener of this.highWatermarkListeners) listener(highWatermark);
    }
    for (const item of items) {
      if (item.kind === 'rolled') continue;
      if (failure !== null) {
        item.resolve({ ...item.result, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: failure.message });
      } else {
        item.resolve({ ...item.result, logStartOffset: this.logStart });
      }
    }
  }

  /** Finalizations run one after another, in roll order. */
  private scheduleFinalization(segment: Segment, snapshot: Buffer | null, nextBaseOffset: number): void {
    this.finalizingNow.add(segment);
    this.finalizing = this.finalizing.then(() => this.finalizeRolled(segment, snapshot, nextBaseOffset));
    this.track(this.finalizing);
  }

  /** After a roll: fsync the old segment, write its indexes, a producer snapshot, the recovery point. */
  private async finalizeRolled(segment: Segment, snapshot: Buffer | null, nextBaseOffset: number): Promise<void> {
    try {
      await tagged('fsync', segment.logPath, () => segment.sync());
      await tagged('index', segment.indexPath, () => segment.writeIndexFiles());
      const snapshotPath = join(this.dir, offsetFileName(nextBaseOffset, SNAPSHOT_SUFFIX));
      if (snapshot !== null) await tagged('snapshot', snapshotPath, () => this.writeSnapshot(nextBaseOffset, snapshot));
      await tagged('checkpoint', join(this.dir, RECOVERY_POINT_CHECKPOINT), () => this.advanceRecoveryPoint(nextBaseOffset));
      this.closeIdleHandles();
    } catch (error) {
      if (segment.deleted || this.state === 'closed') return;
      this.markFailed(error);
    } finally {
      this.finalizingNow.delete(segment);
      // After a failure the segment stays pending: the storage retry finalizes it.
      if (this.failure === null) this.pendingFinalization.delete(segment);
    }
  }

  /**
   * Stops appends (KAFKA_STORAGE_ERROR) after a failed write, fsync or finalization. Reads go on
   * below the high watermark. Reported once per outage (see PartitionLogEvents).
   */
  private markFailed(error: unknown): void {
    if (this.failure !== null) return;
    const tagged = error instanceof StorageOperationError ? error : new StorageOperationError('write', this.dir, error);
    const cause = tagged.cause instanceof Error ? tagged.cause : tagged;
    this.failure = tagged;
    // Only a write that found the disk full is retried: after a failed fsync the kernel may have
    // dropped the unwritten pages ("fsyncgate"), and other errors need an operator.
    this.failureRetried = tagged.operation !== 'fsync' && tagged.operation !== 'cleaner-swap' && isOutOfSpace(cause);
    this.lastStorageAttemptMs = this.clock.nowMs();
    if (this.outage === null) {
      this.outage = { sinceMs: this.lastStorageAttemptMs, failedAttempts: 0 };
      this.events.storageFailed?.({
        operation: tagged.operation,
        path: tagged.path,
        error: cause,
        retriedAutomatically: this.failureRetried,
      });
    }
    this.outage.failedAttempts++;
  }

  private endOutage(): void {
    const outage = this.outage!;
    this.outage = null;
    this.events.storageRecovered?.(outage);
  }

  /**
   * After a full disk: once STORAGE_RETRY_BACKOFF_MS passed, go back to what is in the files
   * (truncate to the high watermark: the unwritten tail, its index entries and producer state
   * go) and take appends again. If the disk is still full the next write fails the log again.
   */
  private maybeRetryStorage(): void {
    if (this.failure === null || !this.failureRetried || this.retryingStorage || this.state !== 'open') return;
    const nowMs = this.clock.nowMs();
    if (nowMs - this.lastStorageAttemptMs < STORAGE_RETRY_BACKOFF_MS) return;
    this.lastStorageAttemptMs = nowMs;
    this.retryingStorage = true;
    void this.serialize(async () => {
      try {
        await this.waitIdle();
        await this.settleBackground();
        if (this.state !== 'open' || this.failure === null) return;
        await this.truncateIdle(this.highWater);
        // Segments rolled while the log was failed were never finalized (their queue item was
        // dropped): finish them now, without the producer snapshot (recovery replays instead).
        for (const segment of [...this.pendingFinalization]) {
          if (segment === this.activeSegment || !this.segments.includes(segment)) {
            this.pendingFinalization.delete(segment);
          } else if (!this.finalizingNow.has(segment)) {
            this.scheduleFinalization(segment, null, segment.nextOffset);
          }
        }
        this.failure = null;
      } catch {
        // Still failing (the truncation could not write a checkpoint): the next attempt follows.
      } finally {
        this.retryingStorage = false;
      }
    });
  }

  private track(task: Promise<void>): void {
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }

  private async settleBackground(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  private async waitIdle(): Promise<void> {
    while (this.queue.length > 0 || this.writing || this.writeScheduled) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  /** Runs maintenance operations (retention, DeleteRecords, truncation, flush, close) one at a time. */
  private serialize<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.maintenance.then(operation, operation);
    this.maintenance = run.catch(() => undefined);
    return run;
  }

  private async advanceRecoveryPoint(offset: number, options?: AtomicWriteOptions): Promise<void> {
    if (offset <= this.recoveryPoint) return;
    this.recoveryPoint = offset;
    await this.writeCheckpointInOrder(RECOVERY_POINT_CHECKPOINT, offset, options);
  }

  private writeCheckpointInOrder(name: string, offset: number, options?: AtomicWriteOptions): Promise<void> {
    const write = this.checkpointWrites.then(() => writeCheckpoint(this.io.disk, this.dir, name, offset, options));
    this.checkpointWrites = write.catch(() => undefined);
    return write;
  }

  private async writeSnapshot(offset: number, snapshot: Buffer, options?: AtomicWriteOptions): Promise<void> {
    await writeFileAtomically(this.io.disk, join(this.dir, offsetFileName(offset, SNAPSHOT_SUFFIX)), snapshot, options);
  }

  // ---- segments, retention, truncation ----------------------------------------------------

  /** Index of the last segment with baseOffset <= offset (0 if none). */
  private segmentIndexFor(offset: number): number {
    let low = 0;
    let high = this.segments.length - 1;
    let found = 0;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }

  private async deleteSegmentsBelowLogStart(): Promise<void> {
    let count = 0;
    while (count + 1 < this.segments.length && this.segments[count + 1]!.baseOffset <= this.logStart) count++;
    if (count > 0) await this.deleteOldestSegments(count);
  }

  /** Removes `segments[0 .. count)` (never the active one) and moves logStartOffset up. */
  private async deleteOldestSegments(count: number): Promise<void> {
    assert(count < this.segments.length, 'the active segment is never deleted');
    this.changedSinceOpen = true;
    this.layoutVersion++;
    const removed = this.segments.splice(0, count);
    this.openInactive = this.openInactive.filter((segment) => !removed.includes(segment));
    const firstBase = this.segments[0]!.baseOffset;
    this.recomputeMaxTimestamp();
    if (firstBase > this.logStart) {
      this.logStart = firstBase;
      await this.writeCheckpointInOrder(LOG_START_OFFSET_CHECKPOINT, firstBase);
    }
    for (const segment of removed) await segment.deleteFiles();
    await this.deleteSnapshots((offset, isLatest) => offset < firstBase && !isLatest);
  }

  private async truncateIdle(offset: number): Promise<void> {
    this.changedSinceOpen = true;
    this.layoutVersion++;
    const settings = { indexIntervalBytes: this.config.indexIntervalBytes, segmentIndexBytes: this.config.segmentIndexBytes };
    this.tailCache.clear();
    if (offset <= this.segments[0]!.baseOffset) {
      const removed = this.segments;
      this.segments = [Segment.create(this.io.disk, this.dir, offset, settings, this.clock.nowMs())];
      this.openInactive = [];
      for (const segment of removed) await segment.deleteFiles();
      this.logStart = offset;
      this.logEnd = offset;
      this.highWater = offset;
      await this.writeCheckpointInOrder(LOG_START_OFFSET_CHECKPOINT, offset);
    } else {
      const index = this.segmentIndexFor(offset);
      const removed = this.segments.splice(index + 1);
      this.openInactive = this.openInactive.filter((segment) => !removed.includes(segment));
      for (const segment of removed) await segment.deleteFiles();
      const segment = this.activeSegment;
      this.openInactive = this.openInactive.filter((candidate) => candidate !== segment);
      let position = segment.writtenBytes;
      await segment.walkBatches(segment.indexer.offsetIndex.lookup(offset), READ_WINDOW_BYTES, (window, at, batchPosition) => {
        if (baseOffsetOf(window, at) + lastOffsetDeltaOf(window, at) < offset) return true;
        position = batchPosition;
        return false;
      });
      await segment.truncateTo(position, settings);
      await segment.removeIndexFiles();
      // The cut is made durable before new batches take the offsets it freed: a power loss must
      // not bring back the removed batches (or segments) under offsets reassigned since.
      await segment.sync();
      await this.io.disk.syncDirectory(this.dir);
      segment.rollBaseMs = segment.sizeBytes > 0 ? this.clock.nowMs() : -1;
      this.logEnd = segment.nextOffset;
      this.highWater = Math.min(this.highWater, this.logEnd);
      this.logStart = Math.min(this.logStart, this.logEnd);
    }
    this.recomputeMaxTimestamp();
    if (this.cleanerCheckpoint > this.logEnd) {
      // Keeps "segments based below the checkpoint may have gaps" true and nothing above cleaned.
      this.cleanerCheckpoint = this.logEnd;
      await this.writeCheckpointInOrder(CLEANER_OFFSET_CHECKPOINT, this.logEnd);
    }
    if (this.recoveryPoint > this.logEnd) {
      this.recoveryPoint = this.logEnd;
      await this.writeCheckpointInOrder(RECOVERY_POINT_CHECKPOINT, this.logEnd);
    }
    await this.loadProducerState(this.logEnd);
  }

  // ---- compaction -------------------------------------------------------------------------

  /** The cleanable prefix: inactive, non-empty, fully written and finalized segments. */
  private finishedSegments(): Segment[] {
    const finished: Segment[] = [];
    for (const segment of this.segments) {
      if (segment === this.activeSegment || this.pendingFinalization.has(segment)) break;
      if (segment.sizeBytes === 0 || segment.writtenBytes !== segment.sizeBytes) break;
      finished.push(segment);
    }
    return finished;
  }

  private cleanerSummary(segment: Segment): CleanerSegmentSummary {
    return {
      baseOffset: segment.baseOffset,
      nextOffset: segment.nextOffset,
      sizeBytes: segment.sizeBytes,
      largestTimestampMs: segment.indexer.maxTimestamp >= 0 ? segment.indexer.maxTimestamp : segment.lastModifiedMs,
      firstBatchTimestampMs: segment.indexer.firstBatchMaxTimestamp,
      offsetIndexEntries: segment.indexer.offsetIndex.entries,
      timeIndexEntries: segment.indexer.timeIndex.entries,
    };
  }

  /** One round: offset map over the dirty section, then each group cleaned and swapped in order. */
  private async cleanRound(candidates: Segment[], plan: CleaningPlan, nowMs: number, result: CleanResult): Promise<void> {
    const map = new OffsetMap();
    let count = candidates.length;
    const firstDirtyIndex = candidates.findIndex((segment) => segment.nextOffset > plan.firstDirtyOffset);
    if (firstDirtyIndex >= 0) {
      count = firstDirtyIndex + (await buildOffsetMap(candidates.slice(firstDirtyIndex), plan.firstDirtyOffset, map));
    }
    const toClean = candidates.slice(0, count);
    const groups = groupSegmentsForCleaning(
      toClean.map((segment) => this.cleanerSummary(segment)),
      {
        segmentBytes: this.config.segmentBytes,
        offsetIndexEntriesMax: offsetIndexEntriesMax(this.config.segmentIndexBytes),
        timeIndexEntriesMax: timeIndexEntriesMax(this.config.segmentIndexBytes),
      },
    );
    let earliestHorizon = -1;
    for (const [start, end] of groups) {
      if (this.cleaningStopped || this.failure !== null) return;
      const group = toClean.slice(start, end);
      const cleaned = await this.cleanGroup(group, map, nowMs);
      result.segmentsCleaned += group.length;
      result.segmentsWritten++;
      result.bytesBefore += cleaned.bytesBefore;
      result.bytesAfter += cleaned.bytesAfter;
      result.recordsRemoved += cleaned.recordsRemoved;
      if (cleaned.earliestDeleteHorizonMs >= 0 && (earliestHorizon < 0 || cleaned.earliestDeleteHorizonMs < earliestHorizon)) {
        earliestHorizon = cleaned.earliestDeleteHorizonMs;
      }
    }
    // Every segment that can hold a tombstone horizon (below the checkpoint) was just rewritten.
    this.earliestDeleteHorizonMs = earliestHorizon;
  }

  /** Writes the cleaned version of `group`, swaps it in (cleaner.ts) and switches the segment list. */
  private async cleanGroup(
    group: Segment[],
    map: OffsetMap,
    nowMs: number,
  ): Promise<{ bytesBefore: number; bytesAfter: number; recordsRemoved: number; earliestDeleteHorizonMs: number }> {
    const settings: IndexSettings = {
      indexIntervalBytes: this.config.indexIntervalBytes,
      segmentIndexBytes: this.config.segmentIndexBytes,
    };
    // Hold every old file open: until the switch below, reads keep using the old inodes even
    // though their names are removed or renamed over.
    const held: Segment[] = [];
    try {
      for (const segment of group) {
        await segment.acquire();
        held.push(segment);
      }
      const cleaned = await writeCleanedGroup(this.io.disk, this.dir, group, map, {
        nowMs,
        deleteRetentionMs: this.config.deleteRetentionMs,
        settings,
        isProducersLastBatch: (producerId, lastOffset) => this.producerState.entry(producerId)?.batches.at(-1)?.lastOffset === lastOffset,
      });
      const groupEnd = group[group.length - 1]!.nextOffset;
      const onStep = this.onCleanerStep ?? undefined;
      const swap = await swapCleanedGroup(this.io.disk, this.dir, group, cleaned.path, () => this.raiseCleanerCheckpoint(groupEnd), onStep);
      if (swap.error !== null) {
        const error = swap.error instanceof Error ? swap.error : new Error(String(swap.error));
        // After the commit the files no longer match memory: fail the log; open() finishes the swap.
        if (swap.committed) this.markFailed(new StorageOperationError('cleaner-swap', cleaned.path, error));
        throw error;
      }
      this.changedSinceOpen = true;
      const replacement = Segment.adopt(this.io.disk, this.dir, group[0]!.baseOffset, cleaned.indexer, this.clock.nowMs());
      replacement.indexer.onBecomeInactive();
      const start = this.segments.indexOf(group[0]!);
      assert(start >= 0 && group.every((segment, i) => this.segments[start + i] === segment), 'cleaned segments are still in place');
      this.segments.splice(start, group.length, replacement);
      this.layoutVersion++;
      for (const segment of group) segment.markReplaced();
      this.openInactive = this.openInactive.filter((segment) => !group.includes(segment));
      const cachedFrom = this.tailCache.firstOffset;
      if (cachedFrom !== undefined && cachedFrom < groupEnd) this.tailCache.clear();
      this.recomputeMaxTimestamp();
      await replacement.writeIndexFiles();
      onStep?.('indexed');
      let bytesBefore = 0;
      for (const segment of group) bytesBefore += segment.sizeBytes;
      return {
        bytesBefore,
        bytesAfter: replacement.sizeBytes,
        recordsRemoved: cleaned.recordsRemoved,
        earliestDeleteHorizonMs: cleaned.earliestDeleteHorizonMs,
      };
    } finally {
      for (const segment of held) segment.release();
    }
  }

  private async raiseCleanerCheckpoint(offset: number): Promise<void> {
    if (offset <= this.cleanerCheckpoint) return;
    this.cleanerCheckpoint = offset;
    await this.writeCheckpointInOrder(CLEANER_OFFSET_CHECKPOINT, offset);
  }

  private recomputeMaxTimestamp(): void {
    let best = { timestamp: -1, offset: -1 };
    for (const segment of this.segments) {
      if (segment.indexer.maxTimestamp > best.timestamp)
        best = { timestamp: segment.indexer.maxTimestamp, offset: segment.indexer.offsetOfMaxTimestamp };
    }
    this.maxTimestamp = best;
  }

  private touchInactive(segment: Segment): void {
    if (segment === this.activeSegment || segment.deleted) return;
    this.openInactive = this.openInactive.filter((candidate) => candidate !== segment);
    this.openInactive.push(segment);
    this.closeIdleHandles();
  }

  private closeIdleHandles(): void {
    let excess = this.openInactive.filter((segment) => segment.isOpen).length - INACTIVE_SEGMENT_HANDLES_MAX;
    for (const segment of this.openInactive) {
      if (excess <= 0) break;
      if (segment === this.activeSegment || !segment.isOpen || segment.inUse) continue;
      void segment.closeHandle();
      excess--;
    }
    this.openInactive = this.openInactive.filter((segment) => segment.isOpen);
  }

  private async closeAllHandles(): Promise<void> {
    for (const segment of this.segments) await segment.closeHandle();
    this.openInactive = [];
  }

  // ---- producer state ---------------------------------------------------------------------

  /** Snapshot files as (offset, name), newest first. */
  private async listSnapshots(): Promise<{ offset: number; name: string }[]> {
    const names = await this.io.disk.list(this.dir);
    return names
      .map((name) => SNAPSHOT_FILE.exec(name))
      .filter((match) => match !== null)
      .map((match) => ({ offset: Number(match[1]), name: match[0] }))
      .sort((a, b) => b.offset - a.offset);
  }

  private async deleteSnapshots(predicate: (offset: number, isLatest: boolean) => boolean): Promise<void> {
    const snapshots = await this.listSnapshots();
    for (let i = 0; i < snapshots.length; i++) {
      const snapshot = snapshots[i]!;
      if (predicate(snapshot.offset, i === 0)) await removeIfExists(this.io.disk, join(this.dir, snapshot.name));
    }
  }

  /**
   * Rebuilds producer state as of `endOffset`: drops snapshots above it, loads the newest valid
   * snapshot at or below it, and replays batch headers from there (Kafka's loadProducerState).
   */
  private async loadProducerState(endOffset: number): Promise<void> {
    await this.deleteSnapshots((offset) => offset > endOffset);
    let startOffset = this.segments[0]!.baseOffset;
    this.producerState.clear();
    for (const snapshot of await this.listSnapshots()) {
      const entries = decodeProducerSnapshot(await this.io.disk.readFile(join(this.dir, snapshot.name)));
      if (entries === null) continue;
      this.producerState.load(entries);
      startOffset = Math.max(snapshot.offset, startOffset);
      break;
    }
    for (let i = this.segmentIndexFor(startOffset); i < this.segments.length; i++) {
      const segment = this.segments[i]!;
      if (segment.nextOffset <= startOffset) continue;
      const position = segment.indexer.offsetIndex.lookup(Math.max(startOffset, segment.baseOffset));
      await segment.walkBatches(position, READ_WINDOW_BYTES, (window, at) => {
        const baseOffset = baseOffsetOf(window, at);
        if (baseOffset >= endOffset) return false;
        const producerId = producerIdOf(window, at);
        if (baseOffset >= startOffset && producerId >= 0) {
          this.producerState.update(
            {
              producerId,
              producerEpoch: producerEpochOf(window, at),
              baseSequence: baseSequenceOf(window, at),
              lastOffsetDelta: lastOffsetDeltaOf(window, at),
              maxTimestampMs: maxTimestampOf(window, at),
            },
            baseOffset,
          );
        }
        return true;
      });
      if (segment !== this.activeSegment) await segment.closeIfIdle();
    }
    this.producerState.removeExpired(this.clock.nowMs());
  }
}

async function removeSegmentFiles(disk: Disk, dir: string, baseOffset: number): Promise<void> {
  for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
    await removeIfExists(disk, join(dir, offsetFileName(baseOffset, suffix)));
  }
}
