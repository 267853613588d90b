/**
 * Pure retention planning (Kafka's UnifiedLog.deleteOldSegments). Three passes, in Kafka's order,
 * each deleting a prefix of the segments:
 *   1. retention.ms: the segment's largest timestamp (or its mtime if it has no timestamps) is
 *      more than retention.ms before now;
 *   2. retention.bytes: while the log minus this segment is still >= retention.bytes;
 *   3. log start offset: the next segment starts at or below logStartOffset (DeleteRecords).
 * A segment is only deletable when all of it is below the high watermark, and never when it is
 * the last segment and empty. If every segment is to go, the caller rolls first so a new empty
 * active segment remains (Kafka does the same); logStartOffset then moves to the first kept
 * segment's base offset.
 */

export interface SegmentSummary {
  baseOffset: number;
  sizeBytes: number;
  /** Max batch timestamp in the segment, or its last-modified time if it has none (ms). */
  largestTimestampMs: number;
}

export interface RetentionInput {
  segments: readonly SegmentSummary[];
  logEndOffset: number;
  highWatermark: number;
  logStartOffset: number;
  retentionMs: number;
  retentionBytes: number;
  nowMs: number;
}

export interface RetentionPlan {
  /** Delete `segments[0 .. deleteCount)`. */
  deleteCount: number;
  /** `deleteCount === segments.length`: roll a new active segment before deleting. */
  rollFirst: boolean;
  reasons: { retentionMs: number; retentionBytes: number; logStartOffset: number };
}

type Predicate = (segment: SegmentSummary, next: SegmentSummary | undefined) => boolean;

function deletablePrefix(segments: readonly SegmentSummary[], input: RetentionInput, predicate: Predicate): number {
  let count = 0;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const next = segments[i + 1];
    const isLastAndEmpty = next === undefined && segment.sizeBytes === 0;
    const upperBoundOffset = next === undefined ? input.logEndOffset : next.baseOffset;
    if (isLastAndEmpty || input.highWatermark < upperBoundOffset || !predicate(segment, next)) break;
    count++;
  }
  return count;
}

export function planRetention(input: RetentionInput): RetentionPlan {
  let remaining = input.segments;
  let byTime = 0;
  if (input.retentionMs >= 0) {
    byTime = deletablePrefix(remaining, input, (segment) => input.nowMs - segment.largestTimestampMs > input.retentionMs);
    remaining = remaining.slice(byTime);
  }
  let bySize = 0;
  if (input.retentionBytes >= 0) {
    let excessBytes = remaining.reduce((sum, segment) => sum + segment.sizeBytes, 0) - input.retentionBytes;
    bySize = deletablePrefix(remaining, input, (segment) => {
      if (excessBytes - segment.sizeBytes < 0) return false;
      excessBytes -= segment.sizeBytes;
      return true;
    });
    remaining = remaining.slice(bySize);
  }
  const byStart = deletablePrefix(remaining, input, (_segment, next) => next !== undefined && next.baseOffset <= input.logStartOffset);
  const deleteCount = byTime + bySize + byStart;
  return {
    deleteCount,
    rollFirst: deleteCount > 0 && deleteCount === input.segments.length,
    reasons: { retentionMs: byTime, retentionBytes: bySize, logStartOffset: byStart },
  };
}
