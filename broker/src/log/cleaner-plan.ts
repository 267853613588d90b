/**
 * Pure compaction planning (Kafka's LogCleanerManager.cleanableOffsets / LogToClean /
 * grabFilthiestCompactedLog and Cleaner.groupSegmentsBySize). No I/O.
 *
 * Sections of a compacted log, by offset:
 *
 *   logStart ... firstDirty ........ firstUncleanable ....... active segment base ... logEnd
 *   |  clean   |       dirty, cleanable      | dirty, too young |    not cleanable (active)
 *
 *   - clean: already cleaned (`cleaner-offset-checkpoint`); holds each key at most once;
 *   - firstDirty = the checkpoint, or logStart when the checkpoint is missing, below logStart or
 *     above logEnd (Kafka's rule);
 *   - firstUncleanable = the base of the first "finished" segment that is dirty and whose largest
 *     timestamp is within min.compaction.lag.ms of now, else the end of the finished segments.
 *     Finished = inactive, fully written and finalized (fsynced, indexes written): the active
 *     segment and just-rolled segments are never cleaned. (No transactions yet, so no last
 *     stable offset bound.)
 *
 * A round rewrites every segment below firstUncleanable (the clean section too: later keys and
 * expired tombstones remove records there). It runs when (Kafka's order):
 *   1. dirty ratio = cleanableBytes / (cleanBytes + cleanableBytes) > min.cleanable.dirty.ratio
 *      (strictly greater, as Kafka's grabFilthiestCompactedLog), or
 *   2. max.compaction.lag.ms: some dirty finished segment's first batch timestamp is more than
 *      max.compaction.lag.ms ago (and there are cleanable bytes), or
 *   3. a tombstone's delete horizon has passed (Kafka's logsWithTombstonesExpired).
 * Byte counts are whole segments: a segment is clean when its end is at or below firstDirty.
 */

export interface CleanerSegmentSummary {
  baseOffset: number;
  nextOffset: number;
  sizeBytes: number;
  /** Max batch timestamp, or the file's last-modified time without timestamps (ms). */
  largestTimestampMs: number;
  /** maxTimestamp of the segment's first batch (-1 if none). */
  firstBatchTimestampMs: number;
  offsetIndexEntries: number;
  timeIndexEntries: number;
}

export interface CleaningInput {
  /** The finished segments, oldest first (never the active one). */
  segments: readonly CleanerSegmentSummary[];
  logStartOffset: number;
  logEndOffset: number;
  /** `cleaner-offset-checkpoint`, 0 when the log was never cleaned. */
  cleanerCheckpoint: number;
  nowMs: number;
  minCleanableDirtyRatio: number;
  minCompactionLagMs: number;
  maxCompactionLagMs: number;
  /** Earliest delete horizon of a batch that still holds tombstones; -1 if none. */
  earliestDeleteHorizonMs: number;
}

export type CleaningReason = 'dirty-ratio' | 'max-compaction-lag' | 'delete-horizon' | 'forced';

export interface CleaningPlan {
  firstDirtyOffset: number;
  firstUncleanableOffset: number;
  /** `segments[0 .. cleanableCount)` lie below firstUncleanableOffset. */
  cleanableCount: number;
  cleanBytes: number;
  cleanableBytes: number;
  dirtyRatio: number;
  /** Why a round is due, or null. */
  reason: CleaningReason | null;
}

export function firstDirtyOffset(cleanerCheckpoint: number, logStartOffset: number, logEndOffset: number): number {
  if (cleanerCheckpoint < logStartOffset || cleanerCheckpoint > logEndOffset) return logStartOffset;
  return cleanerCheckpoint;
}

export function planCleaning(input: CleaningInput): CleaningPlan {
  const segments = input.segments;
  const firstDirty = firstDirtyOffset(input.cleanerCheckpoint, input.logStartOffset, input.logEndOffset);
  const minLagMs = Math.max(input.minCompactionLagMs, 0);
  let cleanableCount = 0;
  while (cleanableCount < segments.length) {
    const segment = segments[cleanableCount]!;
    const dirty = segment.nextOffset > firstDirty;
    if (dirty && minLagMs > 0 && segment.largestTimestampMs > input.nowMs - minLagMs) break;
    cleanableCount++;
  }
  const last = segments[segments.length - 1];
  const firstUncleanableOffset =
    cleanableCount < segments.length ? segments[cleanableCount]!.baseOffset : last === undefined ? firstDirty : last.nextOffset;
  let cleanBytes = 0;
  let cleanableBytes = 0;
  let earliestDirtyTimestampMs = Number.POSITIVE_INFINITY;
  segments.forEach((segment, i) => {
    if (segment.nextOffset <= firstDirty) {
      cleanBytes += segment.sizeBytes;
      return;
    }
    if (i < cleanableCount) cleanableBytes += segment.sizeBytes;
    if (segment.firstBatchTimestampMs > 0) earliestDirtyTimestampMs = Math.min(earliestDirtyTimestampMs, segment.firstBatchTimestampMs);
  });
  const totalBytes = cleanBytes + cleanableBytes;
  const dirtyRatio = totalBytes > 0 ? cleanableBytes / totalBytes : 0;
  let reason: CleaningReason | null = null;
  if (cleanableBytes > 0 && dirtyRatio > input.minCleanableDirtyRatio) {
    reason = 'dirty-ratio';
  } else if (cleanableBytes > 0 && earliestDirtyTimestampMs < input.nowMs - Math.max(input.maxCompactionLagMs, 0)) {
    reason = 'max-compaction-lag';
  } else if (cleanableCount > 0 && input.earliestDeleteHorizonMs >= 0 && input.earliestDeleteHorizonMs <= input.nowMs) {
    reason = 'delete-horizon';
  }
  return { firstDirtyOffset: firstDirty, firstUncleanableOffset, cleanableCount, cleanBytes, cleanableBytes, dirtyRatio, reason };
}

export interface GroupLimits {
  /** segment.bytes: a merged segment is never larger. */
  segmentBytes: number;
  offsetIndexEntriesMax: number;
  timeIndexEntriesMax: number;
}

const RELATIVE_OFFSET_MAX = 0x7fffffff;

/**
 * Kafka's groupSegmentsBySize: consecutive segments merged into one cleaned segment while the
 * sum of their sizes fits segment.bytes, their index entries fit the index limits, and the
 * offset range fits a relative int32. Returns [start, end) index ranges covering `segments`.
 */
export function groupSegmentsForCleaning(segments: readonly CleanerSegmentSummary[], limits: GroupLimits): [number, number][] {
  const groups: [number, number][] = [];
  let start = 0;
  while (start < segments.length) {
    const first = segments[start]!;
    let sizeBytes = first.sizeBytes;
    let offsetEntries = first.offsetIndexEntries;
    let timeEntries = first.timeIndexEntries;
    let end = start + 1;
    while (end < segments.length) {
      const next = segments[end]!;
      if (sizeBytes + next.sizeBytes > limits.segmentBytes) break;
      if (offsetEntries + next.offsetIndexEntries > limits.offsetIndexEntriesMax) break;
      if (timeEntries + next.timeIndexEntries > limits.timeIndexEntriesMax) break;
      if (next.nextOffset - 1 - first.baseOffset > RELATIVE_OFFSET_MAX) break;
      sizeBytes += next.sizeBytes;
      offsetEntries += next.offsetIndexEntries;
      timeEntries += next.timeIndexEntries;
      end++;
    }
    groups.push([start, end]);
    start = end;
  }
  return groups;
}
