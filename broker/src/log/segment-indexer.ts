/**
 * Pure bookkeeping for one segment as batches are appended or recovered: size, next offset, the
 * sparse offset/time indexes and the max timestamp. The append path and recovery both feed it
 * through `onBatch`, so an index rebuilt by recovery equals the one built while appending.
 */
import { assert } from '../io/assert.js';
import { OFFSET_INDEX_ENTRY_BYTES, OffsetIndex } from './offset-index.js';
import { TIME_INDEX_ENTRY_BYTES, TimeIndex } from './time-index.js';

export const NO_TIMESTAMP = -1;

export function offsetIndexEntriesMax(segmentIndexBytes: number): number {
  return Math.max(1, Math.floor(segmentIndexBytes / OFFSET_INDEX_ENTRY_BYTES));
}

export function timeIndexEntriesMax(segmentIndexBytes: number): number {
  return Math.max(1, Math.floor(segmentIndexBytes / TIME_INDEX_ENTRY_BYTES));
}

export class SegmentIndexer {
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  /** Bytes of batches accounted for (position where the next batch starts). */
  sizeBytes = 0;
  /** Offset after the last batch (= baseOffset while empty). */
  nextOffset: number;
  bytesSinceLastIndexEntry = 0;
  maxTimestamp = NO_TIMESTAMP;
  /** Base offset of the first batch that reached `maxTimestamp` (-1 if none). */
  offsetOfMaxTimestamp = -1;
  firstBatchMaxTimestamp = NO_TIMESTAMP;

  constructor(
    readonly baseOffset: number,
    readonly indexIntervalBytes: number,
    segmentIndexBytes: number,
    loaded?: { offsetIndex: OffsetIndex; timeIndex: TimeIndex },
  ) {
    this.nextOffset = baseOffset;
    this.offsetIndex = loaded?.offsetIndex ?? new OffsetIndex(baseOffset, offsetIndexEntriesMax(segmentIndexBytes));
    this.timeIndex = loaded?.timeIndex ?? new TimeIndex(baseOffset, timeIndexEntriesMax(segmentIndexBytes));
  }

  /** Kafka's LogSegment.append bookkeeping for one batch at `position`. */
  onBatch(baseOffset: number, lastOffset: number, position: number, sizeBytes: number, maxTimestamp: number): void {
    assert(position === this.sizeBytes, 'batches must be contiguous');
    assert(baseOffset >= this.nextOffset && lastOffset >= baseOffset, 'batch offsets must increase');
    if (this.sizeBytes === 0) this.firstBatchMaxTimestamp = maxTimestamp;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = baseOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      if (!this.offsetIndex.isFull) this.offsetIndex.append(baseOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += sizeBytes;
    this.sizeBytes += sizeBytes;
    this.nextOffset = lastOffset + 1;
  }

  /** Final time index entry so the last entry carries the segment max (roll / clean close). */
  onBecomeInactive(): void {
    if (this.offsetOfMaxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, true);
  }

  get indexesFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }
}
