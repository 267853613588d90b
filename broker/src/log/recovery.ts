/**
 * Pure recovery core: given the bytes of a `.log` segment (or a window of it), find the longest
 * prefix of valid batches and feed each one to a `SegmentIndexer` (which rebuilds the indexes).
 * Kafka's `LogSegment.recover`: validate every batch, stop at the first invalid byte.
 *
 * A batch at position p is valid when
 *   - its 12-byte prefix and 61-byte header are present and `batchLength + 12` bytes are present,
 *   - `batchLength + 12 >= 61` (a header with zero records is the minimum),
 *   - magic == 2,
 *   - `lastOffsetDelta >= 0` and the batch's offsets fit the segment (relative offset <= int32),
 *   - `baseOffset` equals the previous batch's last offset + 1 (the segment base for the first):
 *     offsets are dense, which also catches corruption in baseOffset (the CRC does not cover
 *     it). In segments the log cleaner may have rewritten (`allowOffsetGaps`: base offset below
 *     `cleaner-offset-checkpoint`) removed batches leave gaps, so there `baseOffset` only has to
 *     be above the previous batch's last offset,
 *   - (when `verifyCrc`) CRC-32C of [attributes, end) equals the crc field.
 * Not detectable (same as Kafka): corruption of `partitionLeaderEpoch` (bytes 12..16), which is
 * outside the CRC and has no invariant here.
 *
 * No I/O here; `segment.ts` reads the file in windows and calls `scanBatches` for each.
 */
import {
  BATCH_HEADER_BYTES,
  LOG_OVERHEAD_BYTES,
  MAGIC_AT,
  MAGIC_V2,
  baseOffsetOf,
  batchSizeBytes,
  crcMatches,
  lastOffsetDeltaOf,
  maxTimestampOf,
} from './batch-header.js';
import { SegmentIndexer } from './segment-indexer.js';

const RELATIVE_OFFSET_MAX = 0x7fffffff;

export type ScanStop =
  /** Every byte was consumed by whole, valid batches. */
  | { kind: 'end' }
  /** The bytes end inside a batch; `neededBytes` would complete it (from the stop position). */
  | { kind: 'incomplete'; neededBytes: number }
  /** The batch at the stop position is invalid. */
  | { kind: 'corrupt'; reason: string };

export interface ScanResult {
  /** Bytes of `bytes` consumed by valid batches. */
  consumedBytes: number;
  stop: ScanStop;
}

/** Called for every valid batch: `bytes` holds it at `at`; `position` is its file position. */
export type OnBatch = (bytes: Buffer, at: number, position: number, sizeBytes: number) => void;

/**
 * Scans whole batches in `bytes`, which starts at file position `indexer.sizeBytes`, advancing
 * `indexer`. Stops at the end, at an incomplete batch, or at the first invalid one.
 */
export function scanBatches(
  bytes: Buffer,
  indexer: SegmentIndexer,
  verifyCrc: boolean,
  onBatch?: OnBatch,
  allowOffsetGaps = false,
): ScanResult {
  let at = 0;
  while (at < bytes.length) {
    const remaining = bytes.length - at;
    if (remaining < LOG_OVERHEAD_BYTES) return { consumedBytes: at, stop: { kind: 'incomplete', neededBytes: BATCH_HEADER_BYTES } };
    const sizeBytes = batchSizeBytes(bytes, at);
    if (sizeBytes < BATCH_HEADER_BYTES)
      return { consumedBytes: at, stop: { kind: 'corrupt', reason: `batch size ${sizeBytes} below header size` } };
    if (remaining < sizeBytes) return { consumedBytes: at, stop: { kind: 'incomplete', neededBytes: sizeBytes } };
    const invalid = validateBatch(bytes, at, sizeBytes, indexer, verifyCrc, allowOffsetGaps);
    if (invalid !== null) return { consumedBytes: at, stop: { kind: 'corrupt', reason: invalid } };
    const baseOffset = baseOffsetOf(bytes, at);
    const position = indexer.sizeBytes;
    indexer.onBatch(baseOffset, baseOffset + lastOffsetDeltaOf(bytes, at), position, sizeBytes, maxTimestampOf(bytes, at));
    if (onBatch !== undefined) onBatch(bytes, at, position, sizeBytes);
    at += sizeBytes;
  }
  return { consumedBytes: at, stop: { kind: 'end' } };
}

function validateBatch(
  bytes: Buffer,
  at: number,
  sizeBytes: number,
  indexer: SegmentIndexer,
  verifyCrc: boolean,
  allowOffsetGaps: boolean,
): string | null {
  const magic = bytes.readInt8(at + MAGIC_AT);
  if (magic !== MAGIC_V2) return `magic ${magic}`;
  const baseOffset = baseOffsetOf(bytes, at);
  if (baseOffset < indexer.nextOffset || (!allowOffsetGaps && baseOffset !== indexer.nextOffset)) {
    return `base offset ${baseOffset}, expected ${allowOffsetGaps ? 'at least ' : ''}${indexer.nextOffset}`;
  }
  const lastOffsetDelta = lastOffsetDeltaOf(bytes, at);
  if (lastOffsetDelta < 0) return `last offset delta ${lastOffsetDelta}`;
  if (baseOffset + lastOffsetDelta - indexer.baseOffset > RELATIVE_OFFSET_MAX) return 'offset beyond segment range';
  if (verifyCrc && !crcMatches(bytes, at, sizeBytes)) return 'crc mismatch';
  return null;
}

export interface RecoveredSegment {
  indexer: SegmentIndexer;
  /** Length of the valid prefix; the file is truncated here. */
  validBytes: number;
  /** Why the scan stopped before the end of `bytes`, or null if all bytes were valid. */
  truncatedBecause: string | null;
}

/** Whole-buffer recovery (the property tests' entry point; `segment.ts` uses windows). */
export function recoverSegmentBytes(
  bytes: Buffer,
  baseOffset: number,
  indexIntervalBytes: number,
  segmentIndexBytes: number,
  verifyCrc = true,
): RecoveredSegment {
  const indexer = new SegmentIndexer(baseOffset, indexIntervalBytes, segmentIndexBytes);
  const result = scanBatches(bytes, indexer, verifyCrc);
  let truncatedBecause: string | null = null;
  if (result.stop.kind === 'incomplete') truncatedBecause = 'incomplete batch at end of file';
  if (result.stop.kind === 'corrupt') truncatedBecause = result.stop.reason;
  return { indexer, validBytes: result.consumedBytes, truncatedBecause };
}
