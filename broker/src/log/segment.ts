/**
 * One log segment: `<20-digit baseOffset>.log` plus its `.index` and `.timeindex` (Kafka's
 * `LogSegment`). Not safe for concurrent writers: `PartitionLog` serializes all writes.
 *
 * Sizes: `indexer.sizeBytes` counts every batch handed to the segment (including batches still
 * queued for the coalesced write); `writtenBytes` counts bytes known to be in the file.
 */
import { join } from 'node:path';
import { assert } from '../io/assert.js';
import { removeIfExists, writeFully, type Disk, type DiskFile } from '../io/disk.js';
import { readFileIfExists, writeFileAtomically } from './atomic-file.js';
import { LOG_OVERHEAD_BYTES, batchSizeBytes, maxTimestampOf } from './batch-header.js';
import { OffsetIndex } from './offset-index.js';
import type { BufferLease, ReadBufferPool } from './read-buffer-pool.js';
import { scanBatches, type OnBatch } from './recovery.js';
import { SegmentIndexer, offsetIndexEntriesMax, timeIndexEntriesMax } from './segment-indexer.js';
import { TimeIndex } from './time-index.js';

/** Read window for scans and fetches from disk; grown to fit one larger batch. */
export const READ_WINDOW_BYTES = 1024 * 1024;
/** Recovery reads the file in windows of this size. */
export const RECOVERY_WINDOW_BYTES = 8 * 1024 * 1024;

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const SNAPSHOT_SUFFIX = '.snapshot';

/** Kafka's file name: the offset as 20 zero-padded decimal digits. */
export function offsetFileName(offset: number, suffix: string): string {
  return String(offset).padStart(20, '0') + suffix;
}

export interface IndexSettings {
  indexIntervalBytes: number;
  segmentIndexBytes: number;
}

export class Segment {
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  indexer: SegmentIndexer;
  writtenBytes: number;
  /** segment.ms counts from here: broker time of the first append (or first batch timestamp after restart). */
  rollBaseMs = -1;
  /** File mtime stand-in for time retention of segments without timestamps. */
  lastModifiedMs: number;
  deleted = false;
  /**
   * Removed by the log cleaner: its records live on in the segment that replaced it, so a reader
   * that finds it deleted retries against the current segment list.
   */
  replaced = false;
  /**
   * The cleaner may have rewritten it (base offset below `cleaner-offset-checkpoint`): batches
   * may leave offset gaps, which recovery then accepts (see recovery.ts).
   */
  offsetGapsAllowed = false;
  private handle: DiskFile | null = null;
  private opening: Promise<DiskFile> | null = null;
  private refs = 0;
  private mustCreate: boolean;
  /**
   * Whether the `.log` file's name is known durable (its folder fsynced since it was created).
   * A new segment's first `sync` also fsyncs the folder (Kafka's LocalLog.flush does the same):
   * without it an fsynced segment can vanish at a power loss (found by the crash simulation).
   */
  private nameDurable: boolean;

  private constructor(
    readonly disk: Disk,
    readonly dir: string,
    readonly baseOffset: number,
    indexer: SegmentIndexer,
    writtenBytes: number,
    mustCreate: boolean,
    nowMs: number,
  ) {
    this.logPath = join(dir, offsetFileName(baseOffset, LOG_SUFFIX));
    this.indexPath = join(dir, offsetFileName(baseOffset, INDEX_SUFFIX));
    this.timeIndexPath = join(dir, offsetFileName(baseOffset, TIME_INDEX_SUFFIX));
    this.indexer = indexer;
    this.writtenBytes = writtenBytes;
    this.mustCreate = mustCreate;
    this.nameDurable = !mustCreate;
    this.lastModifiedMs = nowMs;
  }

  /** A new, empty segment; the file is created (truncating any leftover) on first use. */
  static create(disk: Disk, dir: string, baseOffset: number, settings: IndexSettings, nowMs: number): Segment {
    const indexer = new SegmentIndexer(baseOffset, settings.indexIntervalBytes, settings.segmentIndexBytes);
    return new Segment(disk, dir, baseOffset, indexer, 0, true, nowMs);
  }

  /**
   * A segment for a file written elsewhere (the cleaner's output, now at `<baseOffset>.log`),
   * with the indexes built while writing it. The file handle opens on first use.
   */
  static adopt(disk: Disk, dir: string, baseOffset: number, indexer: SegmentIndexer, nowMs: number): Segment {
    const segment = new Segment(disk, dir, baseOffset, indexer, indexer.sizeBytes, false, nowMs);
    segment.offsetGapsAllowed = true;
    return segment;
  }

  /**
   * Opens an existing segment. `trusted` segments (cleanly closed, or below the recovery point)
   * load their index files when well formed; all others are scanned, CRC-checked when
   * `verifyCrc`, and truncated at the first invalid batch. `onBatch` sees every batch scanned.
   */
  static async load(
    disk: Disk,
    dir: string,
    baseOffset: number,
    settings: IndexSettings,
    options: {
      trustIndexFiles: boolean;
      verifyCrc: boolean;
      nowMs: number;
      onTruncate?: OnTruncate;
      /** See `offsetGapsAllowed`. */
      offsetGapsAllowed?: boolean;
    },
  ): Promise<Segment> {
    const logPath = join(dir, offsetFileName(baseOffset, LOG_SUFFIX));
    const info = await disk.stat(logPath);
    const segment = new Segment(
      disk,
      dir,
      baseOffset,
      new SegmentIndexer(baseOffset, settings.indexIntervalBytes, settings.segmentIndexBytes),
      0,
      false,
      info.modifiedMs,
    );
    segment.offsetGapsAllowed = options.offsetGapsAllowed ?? false;
    if (options.trustIndexFiles && (await segment.loadIndexFiles(settings, info.sizeBytes))) return segment;
    await segment.recover(settings, info.sizeBytes, options.verifyCrc, options.onTruncate);
    return segment;
  }

  get sizeBytes(): number {
    return this.indexer.sizeBytes;
  }

  get nextOffset(): number {
    return this.indexer.nextOffset;
  }

  get isOpen(): boolean {
    return this.handle !== null || this.opening !== null;
  }

  get inUse(): boolean {
    return this.refs > 0;
  }

  /** Takes a reference on the open file handle (opening it if needed); pair with `release`. */
  async acquire(): Promise<DiskFile> {
    if (this.deleted) throw new SegmentDeletedError(this.logPath);
    this.refs++;
    try {
      return await this.fileHandle();
    } catch (error) {
      this.refs--;
      throw error;
    }
  }

  release(): void {
    assert(this.refs > 0, 'segment release without acquire');
    this.refs--;
    if (this.refs === 0 && this.deleted) void this.closeHandle();
  }

  /** Writes `buffers` at `writtenBytes` with as few writev calls as possible. */
  async writeBuffers(buffers: Buffer[]): Promise<void> {
    const handle = await this.acquire();
    try {
      this.writtenBytes = await writeFully(handle, buffers, this.writtenBytes);
    } finally {
      this.release();
    }
  }

  async sync(): Promise<void> {
    const handle = await this.acquire();
    try {
      await handle.sync();
    } finally {
      this.release();
    }
    if (!this.nameDurable) {
      await this.disk.syncDirectory(this.dir);
      this.nameDurable = true;
    }
  }

  /**
   * Reads `[position, min(position + length, writtenBytes))`. With `pooled`, into a buffer of
   * `pooled.pool` whose lease is pushed to `pooled.leases` (the caller releases it).
   */
  async readAt(position: number, length: number, pooled?: PooledReads): Promise<Buffer> {
    const end = Math.min(position + length, this.writtenBytes);
    if (end <= position) return Buffer.alloc(0);
    const handle = await this.acquire();
    try {
      if (pooled === undefined) return await readFully(handle, Buffer.allocUnsafe(end - position), position);
      const lease = pooled.pool.acquire(end - position, pooled.nowMs);
      pooled.leases.push(lease);
      return await readFully(handle, lease.buffer, position);
    } finally {
      this.release();
    }
  }

  /**
   * Visits whole written batches from `position` (a batch boundary) until `visit` returns false
   * or the written end. Each batch is handed as (window, at, position, size). With `pooled`, the
   * windows are pooled buffers (see readAt) that stay valid until the caller releases them.
   */
  async walkBatches(
    position: number,
    windowBytes: number,
    visit: OnBatchContinue,
    pooled?: PooledReads,
    readMore?: ReadMore,
    /** The first window, already read from `position` (a read-ahead). */
    prefetched?: Buffer,
  ): Promise<void> {
    let windowStart = position;
    let size = windowBytes;
    let nextBatchBytes: number | null = null;
    while (windowStart < this.writtenBytes) {
      if (windowStart !== position && readMore !== undefined && !readMore(nextBatchBytes)) return;
      const window = windowStart === position && prefetched !== undefined ? prefetched : await this.readAt(windowStart, size, pooled);
      let at = 0;
      let needed = 0;
      while (at + LOG_OVERHEAD_BYTES <= window.length) {
        const batchBytes = batchSizeBytes(window, at);
        if (batchBytes <= LOG_OVERHEAD_BYTES) throw new Error(`bad batch size ${batchBytes} at ${windowStart + at} in ${this.logPath}`);
        if (at + batchBytes > window.length) {
          needed = batchBytes;
          break;
        }
        if (!visit(window, at, windowStart + at, batchBytes)) return;
        at += batchBytes;
      }
      if (at === 0 && needed === 0) {
        if (window.length !== 0 && windowStart + window.length < this.writtenBytes) throw new Error(`torn batch inside ${this.logPath}`);
        return;
      }
      if (at === 0 && windowStart + needed > this.writtenBytes) throw new Error(`batch beyond written end in ${this.logPath}`);
      windowStart += at;
      size = Math.max(windowBytes, needed);
      nextBatchBytes = needed > 0 ? needed : null;
    }
  }

  /**
   * Truncates the file to `[0, position)` (a batch boundary inside written data) and rebuilds
   * the in-memory indexes from what remains.
   */
  async truncateTo(position: number, settings: IndexSettings): Promise<void> {
    assert(position <= this.writtenBytes, 'truncate beyond written data');
    const handle = await this.acquire();
    try {
      await handle.truncate(position);
    } finally {
      this.release();
    }
    await this.recover(settings, position, false);
  }

  /**
   * Writes `.index` and `.timeindex` (temp file + rename, so a file is either whole or absent).
   * `syncDirectory: false` leaves the folder's fsync to the caller (close writes more files).
   */
  async writeIndexFiles(options: { syncDirectory?: boolean } = {}): Promise<void> {
    if (this.deleted) return;
    await writeFileAtomically(this.disk, this.indexPath, this.indexer.offsetIndex.encode(), { syncDirectory: false });
    await writeFileAtomically(this.disk, this.timeIndexPath, this.indexer.timeIndex.encode(), options);
  }

  async removeIndexFiles(): Promise<void> {
    await removeIfExists(this.disk, this.indexPath);
    await removeIfExists(this.disk, this.timeIndexPath);
  }

  /**
   * The cleaner swapped this segment out (its files are already gone or renamed over): no new
   * reads; the handle closes once in-flight reads release it.
   */
  markReplaced(): void {
    this.deleted = true;
    this.replaced = true;
    if (this.refs === 0) void this.closeHandle();
  }

  async closeIfIdle(): Promise<void> {
    if (this.refs === 0) await this.closeHandle();
  }

  async closeHandle(): Promise<void> {
    const opening = this.opening;
    this.handle = null;
    this.opening = null;
    if (opening !== null) {
      const handle = await opening.catch(() => null);
      if (handle !== null) await handle.close();
    }
  }

  /**
   * Marks the segment deleted and removes its files. Open handles close once in-flight reads
   * release them (the unlinked inode stays readable until then). Deletes immediately: Kafka's
   * `file.delete.delay.ms` grace period exists for mmap readers on other threads, which Fjord
   * does not have.
   */
  async deleteFiles(): Promise<void> {
    this.deleted = true;
    if (this.refs === 0) await this.closeHandle();
    await removeIfExists(this.disk, this.logPath);
    await this.removeIndexFiles();
  }

  private fileHandle(): Promise<DiskFile> {
    if (this.opening === null) {
      const mode = this.mustCreate ? 'create' : 'readWrite';
      this.mustCreate = false;
      this.opening = this.disk.open(this.logPath, mode).then((handle) => {
        this.handle = handle;
        return handle;
      });
      this.opening.catch(() => {
        this.opening = null;
      });
    }
    return this.opening;
  }

  private async loadIndexFiles(settings: IndexSettings, logSizeBytes: number): Promise<boolean> {
    const offsetBytes = await readIndexFile(this.disk, this.indexPath);
    const timeBytes = await readIndexFile(this.disk, this.timeIndexPath);
    if (offsetBytes === null || timeBytes === null) return false;
    const offsetIndex = OffsetIndex.decode(offsetBytes, this.baseOffset, offsetIndexEntriesMax(settings.segmentIndexBytes), logSizeBytes);
    if (offsetIndex === null) return false;
    // Find the end: walk (without CRC) from the last index entry to the end of the file.
    const tail = offsetIndex.lastEntry();
    const tailIndexer = new SegmentIndexer(tail?.offset ?? this.baseOffset, settings.indexIntervalBytes, settings.segmentIndexBytes);
    this.writtenBytes = logSizeBytes;
    const tailStart = tail?.position ?? 0;
    let tailBytes = 0;
    let complete = true;
    let firstBatchMaxTimestamp = -1;
    await this.walkBatchesForLoad(tailStart, (window, at, _position, size) => {
      const result = scanBatches(window.subarray(at, at + size), tailIndexer, false, undefined, this.offsetGapsAllowed);
      if (result.stop.kind !== 'end') {
        complete = false;
        return false;
      }
      if (tailStart === 0 && tailBytes === 0) firstBatchMaxTimestamp = tailIndexer.firstBatchMaxTimestamp;
      tailBytes += size;
      return true;
    });
    await this.closeIfIdle();
    if (!complete || tailStart + tailBytes !== logSizeBytes) return false;
    const nextOffset = tailIndexer.nextOffset;
    const timeIndex = TimeIndex.decode(
      timeBytes,
      this.baseOffset,
      timeIndexEntriesMax(settings.segmentIndexBytes),
      Math.max(nextOffset, this.baseOffset + 1),
    );
    if (timeIndex === null) return false;
    const indexer = new SegmentIndexer(this.baseOffset, settings.indexIntervalBytes, settings.segmentIndexBytes, {
      offsetIndex,
      timeIndex,
    });
    indexer.sizeBytes = logSizeBytes;
    indexer.nextOffset = nextOffset;
    indexer.bytesSinceLastIndexEntry = tailBytes;
    const lastTime = timeIndex.lastEntry();
    if (lastTime !== undefined) {
      indexer.maxTimestamp = lastTime.timestamp;
      indexer.offsetOfMaxTimestamp = lastTime.offset;
    }
    if (tailIndexer.maxTimestamp > indexer.maxTimestamp) {
      indexer.maxTimestamp = tailIndexer.maxTimestamp;
      indexer.offsetOfMaxTimestamp = tailIndexer.offsetOfMaxTimestamp;
    }
    indexer.firstBatchMaxTimestamp = tailStart === 0 ? firstBatchMaxTimestamp : await this.readFirstBatchMaxTimestamp();
    this.indexer = indexer;
    return true;
  }

  private async readFirstBatchMaxTimestamp(): Promise<number> {
    let result = -1;
    await this.walkBatchesForLoad(0, (window, at) => {
      result = maxTimestampOf(window, at);
      return false;
    });
    await this.closeIfIdle();
    return result;
  }

  /** Like walkBatches but tolerant of a torn tail (stops there). */
  private async walkBatchesForLoad(position: number, visit: OnBatchContinue): Promise<void> {
    let windowStart = position;
    let size = READ_WINDOW_BYTES;
    while (windowStart < this.writtenBytes) {
      const window = await this.readAt(windowStart, size);
      let at = 0;
      let needed = 0;
      while (at + LOG_OVERHEAD_BYTES <= window.length) {
        const batchBytes = batchSizeBytes(window, at);
        if (batchBytes <= LOG_OVERHEAD_BYTES) return;
        if (at + batchBytes > window.length) {
          needed = batchBytes;
          break;
        }
        if (!visit(window, at, windowStart + at, batchBytes)) return;
        at += batchBytes;
      }
      if (at === 0 && (needed === 0 || windowStart + needed > this.writtenBytes)) return;
      windowStart += at;
      size = Math.max(READ_WINDOW_BYTES, needed);
    }
  }

  /** Window-by-window `scanBatches`; truncates the file at the first invalid batch. */
  private async recover(
    settings: IndexSettings,
    fileSizeBytes: number,
    verifyCrc: boolean,
    onTruncate?: OnTruncate,
    onBatch?: OnBatch,
  ): Promise<void> {
    this.indexer = new SegmentIndexer(this.baseOffset, settings.indexIntervalBytes, settings.segmentIndexBytes);
    this.writtenBytes = fileSizeBytes;
    let reason: string | null = null;
    let size = RECOVERY_WINDOW_BYTES;
    while (this.indexer.sizeBytes < fileSizeBytes) {
      const window = await this.readAt(this.indexer.sizeBytes, size);
      const result = scanBatches(window, this.indexer, verifyCrc, onBatch, this.offsetGapsAllowed);
      if (result.stop.kind === 'end') {
        size = RECOVERY_WINDOW_BYTES;
        continue;
      }
      if (result.stop.kind === 'corrupt') {
        reason = result.stop.reason;
        break;
      }
      const needed = result.stop.neededBytes;
      if (this.indexer.sizeBytes + needed > fileSizeBytes) {
        reason = 'incomplete batch at end of file';
        break;
      }
      size = Math.max(RECOVERY_WINDOW_BYTES, needed);
    }
    if (this.indexer.sizeBytes < fileSizeBytes) {
      onTruncate?.(reason ?? 'invalid bytes', this.indexer.sizeBytes, fileSizeBytes);
      const handle = await this.acquire();
      try {
        await handle.truncate(this.indexer.sizeBytes);
        await handle.sync();
      } finally {
        this.release();
      }
    }
    this.writtenBytes = this.indexer.sizeBytes;
    await this.closeIfIdle();
  }
}

/** Recovery cut the file at `atBytes` (of `fileBytes`) because of `reason`. */
export type OnTruncate = (reason: string, atBytes: number, fileBytes: number) => void;

/** Operating error: the segment was deleted (retention) while a reader wanted it. */
export class SegmentDeletedError extends Error {
  override name = 'SegmentDeletedError';
  constructor(path: string) {
    super(`segment deleted: ${path}`);
  }
}

/**
 * Asked before walkBatches reads another window: the size of the batch cut off at the end of the
 * last one (null when the window ended on a batch boundary). False stops the walk, sparing a read
 * whose batches the caller would not take.
 */
export type ReadMore = (nextBatchBytes: number | null) => boolean;

/** Where pooled reads take their buffers from, and where their leases go. */
export interface PooledReads {
  pool: ReadBufferPool;
  leases: BufferLease[];
  nowMs: number;
}

export type OnBatchContinue = (window: Buffer, at: number, position: number, sizeBytes: number) => boolean;

/** Fills `buf` from `position`; shorter (a view) only at the end of the file. */
async function readFully(handle: DiskFile, buf: Buffer, position: number): Promise<Buffer> {
  const length = buf.length;
  let done = 0;
  while (done < length) {
    const bytesRead = await handle.read(buf, done, length - done, position + done);
    if (bytesRead === 0) return buf.subarray(0, done);
    done += bytesRead;
  }
  return buf;
}

/**
 * An index file's bytes, or null when it does not exist (it is then rebuilt from the `.log`).
 * Any other error is not "absent": it fails the open, naming the file.
 */
function readIndexFile(disk: Disk, path: string): Promise<Buffer | null> {
  return readFileIfExists(
    disk,
    path,
    'index file',
    'Fix the file or its disk and start again, or delete the file: it is rebuilt from the .log file.',
  );
}
