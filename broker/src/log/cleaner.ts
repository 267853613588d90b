/**
 * Log compaction I/O (Kafka's LogCleaner.Cleaner): the offset map, rewriting a group of segments
 * into one `.cleaned` file, the crash-safe swap and its recovery. `PartitionLog.maybeClean`
 * drives it (planning is pure, in cleaner-plan.ts; record filtering in batch-filter.ts).
 *
 * Files (in the partition directory; `<base>` = 20-digit base offset of the group's first segment):
 *
 *   <base>.log.cleaned          the cleaner's output while it is being written (not committed)
 *   <base>.log.swap             the fsynced output, committed, not yet in place
 *   cleaner-offset-checkpoint   "0\n<firstDirtyOffset>\n": everything below was cleaned
 *                               (each key at most once there); segments with a base offset
 *                               below it may have offset gaps (recovery accepts them)
 *
 * Swap of one group (segments S1..Sn merged into one):
 *   1. write `<base>.log.cleaned`, fsync, close;
 *   2. rename it to `<base>.log.swap`                          <- commit point
 *   3. raise `cleaner-offset-checkpoint` to the group end
 *   4. delete the old segments' `.index`/`.timeindex`, then their `.log` files
 *   5. rename `<base>.log.swap` to `<base>.log`; the new index files are written afterwards.
 * Recovery (`recoverInterruptedSwaps`, the first thing `PartitionLog.open` does):
 *   - `*.cleaned`: never committed: deleted (the old segments are intact);
 *   - `*.swap`: committed: scanned (CRC) for its end offset E; every `.log`/`.index`/`.timeindex`
 *     with a base in [base, E) is deleted, the swap renamed into place and the checkpoint raised
 *     to E (the caller does that).
 * [base, E) is exactly the old group because the cleaner always keeps the last batch of a group
 * (as an empty batch if all its records go): a cleaned segment ends where its group ended, so
 * segments stay contiguous (segment N+1 starts at segment N's last offset + 1).
 */
import { join } from 'node:path';
import { removeIfExists, writeFully, type Disk, type DiskFile } from '../io/disk.js';
import { BATCH_HEADER_BYTES, LOG_OVERHEAD_BYTES, baseOffsetOf, batchSizeBytes, lastOffsetDeltaOf, producerIdOf } from './batch-header.js';
import { deleteHorizonOf, filterBatch, isControlBatch, readStoredRecords } from './batch-filter.js';
import { scanBatches } from './recovery.js';
import { LOG_SUFFIX, READ_WINDOW_BYTES, RECOVERY_WINDOW_BYTES, offsetFileName, type IndexSettings, type Segment } from './segment.js';
import { SegmentIndexer } from './segment-indexer.js';

export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';
export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';
/** Bound of the offset map of one round (Kafka's log.cleaner.dedupe.buffer.size). */
export const OFFSET_MAP_BYTES_MAX = 64 * 1024 * 1024;
/** Accounted per map entry on top of the key bytes (Map slot, string header, number). */
const OFFSET_MAP_ENTRY_OVERHEAD_BYTES = 64;
/** The cleaned file is written in chunks of about this size. */
const WRITE_CHUNK_BYTES = 1024 * 1024;
const SWAP_FILE = /^(\d{20})\.log\.swap$/;
const SEGMENT_FILE_ANY = /^(\d{20})\.(log|index|timeindex)$/;

/** Operating error: the cleaner met bytes it cannot parse. The log stays usable; cleaning stops. */
export class CleanerError extends Error {
  override name = 'CleanerError';
}

/** key -> offset of its latest record in the dirty section. Keys are compared byte for byte. */
export class OffsetMap {
  private readonly latest = new Map<string, number>();
  sizeBytes = 0;

  get size(): number {
    return this.latest.size;
  }

  put(key: Buffer, offset: number): void {
    const name = key.toString('latin1');
    if (!this.latest.has(name)) this.sizeBytes += key.length + OFFSET_MAP_ENTRY_OVERHEAD_BYTES;
    this.latest.set(name, offset);
  }

  get(key: Buffer): number | undefined {
    return this.latest.get(key.toString('latin1'));
  }
}

/**
 * Visits the whole batches of `segment` from `position`, one read window at a time; `afterWindow`
 * runs (awaited) after each window's batches.
 */
async function forEachBatch(
  segment: Segment,
  position: number,
  visit: (batch: Buffer) => void,
  afterWindow?: () => Promise<void>,
): Promise<void> {
  let windowBytes = READ_WINDOW_BYTES;
  while (position < segment.writtenBytes) {
    const window = await segment.readAt(position, windowBytes);
    let at = 0;
    let needed = 0;
    while (at + LOG_OVERHEAD_BYTES <= window.length) {
      const size = batchSizeBytes(window, at);
      if (size < BATCH_HEADER_BYTES) throw new CleanerError(`bad batch size ${size} at ${position + at} in ${segment.logPath}`);
      if (at + size > window.length) {
        needed = size;
        break;
      }
      visit(window.subarray(at, at + size));
      at += size;
    }
    if (at === 0) {
      if (needed === 0 || position + needed > segment.writtenBytes)
        throw new CleanerError(`torn batch at ${position} in ${segment.logPath}`);
      windowBytes = Math.max(READ_WINDOW_BYTES, needed);
      continue;
    }
    position += at;
    windowBytes = Math.max(READ_WINDOW_BYTES, needed);
    if (afterWindow !== undefined) await afterWindow();
  }
}

/**
 * Adds every keyed record at or above `fromOffset` in `segments` (the dirty section, in order)
 * to `map`. Stops after the segment that brings the map to `bytesMax` (Kafka stops when its
 * dedupe buffer is full); returns how many segments were mapped (at least one if any).
 */
export async function buildOffsetMap(
  segments: readonly Segment[],
  fromOffset: number,
  map: OffsetMap,
  bytesMax = OFFSET_MAP_BYTES_MAX,
): Promise<number> {
  let mapped = 0;
  for (const segment of segments) {
    const start = segment.indexer.offsetIndex.lookup(Math.max(fromOffset, segment.baseOffset));
    await forEachBatch(segment, start, (batch) => {
      if (isControlBatch(batch) || baseOffsetOf(batch) + lastOffsetDeltaOf(batch) < fromOffset) return;
      for (const record of readStoredRecords(batch)) {
        if (record.key !== null && record.offset >= fromOffset) map.put(record.key, record.offset);
      }
    });
    await segment.closeIfIdle();
    mapped++;
    if (map.sizeBytes >= bytesMax) break;
  }
  return mapped;
}

export interface CleanGroupOptions {
  nowMs: number;
  deleteRetentionMs: number;
  settings: IndexSettings;
  /** Kafka keeps the batch holding an active producer's last sequence, even if empty. */
  isProducersLastBatch(producerId: number, lastOffset: number): boolean;
}

export interface CleanedGroup {
  /** `<base>.log.cleaned`, fsynced and closed. */
  path: string;
  /** Indexes and size of the cleaned file, built (and each batch CRC-checked) while writing. */
  indexer: SegmentIndexer;
  /** Earliest delete horizon among the output batches (-1 if none holds a tombstone). */
  earliestDeleteHorizonMs: number;
  recordsRemoved: number;
}

/**
 * Writes the cleaned version of `group` (consecutive segments, merged) to `<base>.log.cleaned`.
 * On failure the partial file is removed and the error rethrown; nothing else changed.
 */
export async function writeCleanedGroup(
  disk: Disk,
  dir: string,
  group: readonly Segment[],
  map: OffsetMap,
  options: CleanGroupOptions,
): Promise<CleanedGroup> {
  const baseOffset = group[0]!.baseOffset;
  const groupEnd = group[group.length - 1]!.nextOffset;
  const path = join(dir, offsetFileName(baseOffset, LOG_SUFFIX) + CLEANED_SUFFIX);
  const indexer = new SegmentIndexer(baseOffset, options.settings.indexIntervalBytes, options.settings.segmentIndexBytes);
  const handle = await disk.open(path, 'create');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let written = 0;
  let earliestDeleteHorizonMs = -1;
  let recordsRemoved = 0;
  const output = (batch: Buffer, deleteHorizonMs: number): void => {
    // Paired assertion: every batch we are about to store passes recovery's own checks.
    const scan = scanBatches(batch, indexer, true, undefined, true);
    if (scan.stop.kind !== 'end')
      throw new CleanerError(`cleaner produced an invalid batch at offset ${baseOffsetOf(batch)}: ${JSON.stringify(scan.stop)}`);
    pending.push(batch);
    pendingBytes += batch.length;
    if (deleteHorizonMs >= 0 && (earliestDeleteHorizonMs < 0 || deleteHorizonMs < earliestDeleteHorizonMs))
      earliestDeleteHorizonMs = deleteHorizonMs;
  };
  const flush = async (): Promise<void> => {
    if (pendingBytes === 0) return;
    const buffers = pending;
    pending = [];
    pendingBytes = 0;
    written = await writeFully(handle, buffers, written);
  };
  try {
    for (const segment of group) {
      await forEachBatch(
        segment,
        0,
        (batch) => {
          const lastOffset = baseOffsetOf(batch) + lastOffsetDeltaOf(batch);
          const producerId = producerIdOf(batch);
          const retainEmpty = lastOffset + 1 === groupEnd || (producerId >= 0 && options.isProducersLastBatch(producerId, lastOffset));
          const result = filterBatch(batch, {
            nowMs: options.nowMs,
            deleteRetentionMs: options.deleteRetentionMs,
            retainEmpty,
            isLatest: (key, offset) => {
              const latest = map.get(key);
              return latest === undefined || offset >= latest;
            },
          });
          if (result.kind === 'unchanged') output(batch, result.deleteHorizonMs);
          else if (result.kind === 'rewritten') output(result.batch, result.deleteHorizonMs);
          if (result.kind !== 'unchanged') recordsRemoved += result.recordsRemoved;
        },
        () => (pendingBytes >= WRITE_CHUNK_BYTES ? flush() : Promise.resolve()),
      );
    }
    await flush();
    if (indexer.nextOffset !== groupEnd) throw new CleanerError(`cleaned group ends at ${indexer.nextOffset}, not ${groupEnd}`);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await removeIfExists(disk, path);
    throw error;
  }
  await handle.close();
  return { path, indexer, earliestDeleteHorizonMs, recordsRemoved };
}

/** Moments of a swap, for crash tests (`PartitionLog.onCleanerStep`). */
export type SwapStep = 'written' | 'committed' | 'checkpointed' | 'old-indexes-removed' | 'old-logs-removed' | 'in-place' | 'indexed';

/**
 * Steps 2-5 of the swap. `onCommitted` runs right after the commit point (the caller raises the
 * cleaner checkpoint there). A failure before the commit removes the `.cleaned` file and leaves
 * the old segments in place; after it, the caller must treat the log as failed (recovery on the
 * next open finishes the swap).
 */
export async function swapCleanedGroup(
  disk: Disk,
  dir: string,
  group: readonly Segment[],
  cleanedPath: string,
  onCommitted: () => Promise<void>,
  onStep?: (step: SwapStep) => void,
): Promise<{ committed: boolean; error: unknown }> {
  const baseOffset = group[0]!.baseOffset;
  const swapPath = join(dir, offsetFileName(baseOffset, LOG_SUFFIX) + SWAP_SUFFIX);
  try {
    onStep?.('written');
    await disk.rename(cleanedPath, swapPath);
  } catch (error) {
    await removeIfExists(disk, cleanedPath);
    return { committed: false, error };
  }
  try {
    onStep?.('committed');
    await onCommitted();
    onStep?.('checkpointed');
    for (const segment of group) await segment.removeIndexFiles();
    onStep?.('old-indexes-removed');
    for (const segment of group) await removeIfExists(disk, segment.logPath);
    onStep?.('old-logs-removed');
    await disk.rename(swapPath, group[0]!.logPath);
    onStep?.('in-place');
  } catch (error) {
    return { committed: true, error };
  }
  return { committed: true, error: null };
}

/**
 * Finishes or rolls back swaps interrupted by a crash (see the header). Returns the largest end
 * offset of a finished swap (the cleaner checkpoint must be at least that), or -1.
 */
export async function recoverInterruptedSwaps(disk: Disk, dir: string, settings: IndexSettings): Promise<number> {
  const names = await disk.list(dir);
  for (const name of names) {
    if (name.endsWith(CLEANED_SUFFIX)) await removeIfExists(disk, join(dir, name));
  }
  const swaps = names
    .map((name) => SWAP_FILE.exec(name))
    .filter((match) => match !== null)
    .map((match) => ({ baseOffset: Number(match[1]), name: match[0] }))
    .sort((a, b) => a.baseOffset - b.baseOffset);
  let completedEnd = -1;
  for (const swap of swaps) {
    const endOffset = await scanCommittedFile(disk, join(dir, swap.name), swap.baseOffset, settings);
    for (const name of names) {
      const match = SEGMENT_FILE_ANY.exec(name);
      if (match === null) continue;
      const base = Number(match[1]);
      if (base >= swap.baseOffset && base < endOffset) await removeIfExists(disk, join(dir, name));
    }
    await disk.rename(join(dir, swap.name), join(dir, offsetFileName(swap.baseOffset, LOG_SUFFIX)));
    completedEnd = Math.max(completedEnd, endOffset);
  }
  return completedEnd;
}

/** Next offset of a committed cleaned file; it was fsynced before the commit, so it must be whole. */
async function scanCommittedFile(disk: Disk, path: string, baseOffset: number, settings: IndexSettings): Promise<number> {
  const handle = await disk.open(path, 'read');
  try {
    const size = await handle.sizeBytes();
    const indexer = new SegmentIndexer(baseOffset, settings.indexIntervalBytes, settings.segmentIndexBytes);
    let windowBytes = RECOVERY_WINDOW_BYTES;
    while (indexer.sizeBytes < size) {
      const window = Buffer.allocUnsafe(Math.min(windowBytes, size - indexer.sizeBytes));
      await readFullyAt(handle, window, indexer.sizeBytes);
      const result = scanBatches(window, indexer, true, undefined, true);
      if (result.stop.kind === 'corrupt' || (result.stop.kind === 'incomplete' && indexer.sizeBytes + result.stop.neededBytes > size)) {
        throw new CleanerError(`committed cleaned segment ${path} is damaged at byte ${indexer.sizeBytes}; cannot finish the swap`);
      }
      if (result.stop.kind === 'incomplete') windowBytes = Math.max(RECOVERY_WINDOW_BYTES, result.stop.neededBytes);
    }
    return indexer.nextOffset;
  } finally {
    await handle.close();
  }
}

/** Earliest delete horizon of the batches of `segments` (headers only), -1 if none is set. */
export async function earliestDeleteHorizon(segments: readonly Segment[]): Promise<number> {
  let earliest = -1;
  for (const segment of segments) {
    await segment.walkBatches(0, READ_WINDOW_BYTES, (window, at) => {
      const horizon = deleteHorizonOf(window, at);
      if (horizon >= 0 && (earliest < 0 || horizon < earliest)) earliest = horizon;
      return true;
    });
    await segment.closeIfIdle();
  }
  return earliest;
}

async function readFullyAt(handle: DiskFile, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const bytesRead = await handle.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) throw new CleanerError('file shorter than its size');
    done += bytesRead;
  }
}
