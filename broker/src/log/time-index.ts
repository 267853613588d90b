/**
 * Sparse time index of one segment, `<baseOffset>.timeindex` (Kafka's `TimeIndex`).
 *
 * File format: a flat array of 12-byte big-endian entries, no header, no checksum:
 *
 *     int64 timestamp        (max batch timestamp seen in the segment so far, ms)
 *     int32 relativeOffset   (base offset of the batch that first reached that timestamp,
 *                             minus the segment base offset)
 *
 * Timestamps strictly increase; offsets never decrease. Entries are added together with offset
 * index entries (every `index.interval.bytes`) when the max timestamp grew, plus one final entry
 * when the segment becomes inactive and at clean shutdown, so the last entry always carries the
 * segment's max timestamp. Kept in memory, written at roll/close, never authoritative.
 *
 * Lookup for a target T uses the last entry with timestamp strictly < T: every batch before the
 * entry's batch has maxTimestamp <= entry.timestamp < T, so scanning forward from there finds the
 * first batch with maxTimestamp >= T.
 */
import { assert } from '../io/assert.js';

export const TIME_INDEX_ENTRY_BYTES = 12;
const INITIAL_CAPACITY_ENTRIES = 64;

export class TimeIndex {
  private timestamps = new Float64Array(INITIAL_CAPACITY_ENTRIES);
  private relativeOffsets = new Int32Array(INITIAL_CAPACITY_ENTRIES);
  private count = 0;

  constructor(
    readonly baseOffset: number,
    readonly entriesMax: number,
  ) {
    assert(entriesMax >= 1, 'time index needs room for one entry');
  }

  get entries(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.entriesMax;
  }

  lastEntry(): { timestamp: number; offset: number } | undefined {
    if (this.count === 0) return undefined;
    return {
      timestamp: this.timestamps[this.count - 1]!,
      offset: this.baseOffset + this.relativeOffsets[this.count - 1]!,
    };
  }

  /**
   * Appends if `timestamp` is above the last entry (otherwise the entry adds nothing). `final`
   * (segment becoming inactive) may use one slot beyond `entriesMax`, like Kafka's skipFullCheck.
   */
  maybeAppend(timestamp: number, offset: number, final = false): void {
    if (timestamp < 0) return;
    if (this.count > 0 && timestamp <= this.timestamps[this.count - 1]!) return;
    if (this.count >= this.entriesMax + (final ? 1 : 0)) return;
    const relativeOffset = offset - this.baseOffset;
    assert(relativeOffset >= 0 && relativeOffset <= 0x7fffffff, 'relative offset out of int32 range');
    assert(this.count === 0 || relativeOffset >= this.relativeOffsets[this.count - 1]!, 'time index offsets must not decrease');
    if (this.count === this.timestamps.length) this.grow();
    this.timestamps[this.count] = timestamp;
    this.relativeOffsets[this.count] = relativeOffset;
    this.count++;
  }

  /** Offset to start scanning from for target `timestamp` (segment base offset if none). */
  lookup(timestamp: number): number {
    let low = 0;
    let high = this.count - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (this.timestamps[mid]! < timestamp) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found < 0 ? this.baseOffset : this.baseOffset + this.relativeOffsets[found]!;
  }

  /** Drops entries pointing at offsets >= `offset`. */
  truncateToOffset(offset: number): void {
    while (this.count > 0 && this.baseOffset + this.relativeOffsets[this.count - 1]! >= offset) this.count--;
  }

  encode(): Buffer {
    const buf = Buffer.allocUnsafe(this.count * TIME_INDEX_ENTRY_BYTES);
    for (let i = 0; i < this.count; i++) {
      buf.writeBigInt64BE(BigInt(this.timestamps[i]!), i * TIME_INDEX_ENTRY_BYTES);
      buf.writeInt32BE(this.relativeOffsets[i]!, i * TIME_INDEX_ENTRY_BYTES + 8);
    }
    return buf;
  }

  /** Parses a time index file; null unless well formed and every offset is < `nextOffset`. */
  static decode(buf: Buffer, baseOffset: number, entriesMax: number, nextOffset: number): TimeIndex | null {
    if (buf.length % TIME_INDEX_ENTRY_BYTES !== 0) return null;
    const count = buf.length / TIME_INDEX_ENTRY_BYTES;
    if (count > entriesMax + 1) return null;
    const index = new TimeIndex(baseOffset, entriesMax);
    for (let i = 0; i < count; i++) {
      const timestamp = Number(buf.readBigInt64BE(i * TIME_INDEX_ENTRY_BYTES));
      const relative = buf.readInt32BE(i * TIME_INDEX_ENTRY_BYTES + 8);
      const last = index.lastEntry();
      if (relative < 0 || baseOffset + relative >= nextOffset) return null;
      if (last !== undefined && (timestamp <= last.timestamp || baseOffset + relative < last.offset)) return null;
      index.maybeAppend(timestamp, baseOffset + relative, true);
    }
    return index;
  }

  private grow(): void {
    const capacity = Math.min(this.timestamps.length * 2, this.entriesMax + 1);
    const timestamps = new Float64Array(capacity);
    const relativeOffsets = new Int32Array(capacity);
    timestamps.set(this.timestamps);
    relativeOffsets.set(this.relativeOffsets);
    this.timestamps = timestamps;
    this.relativeOffsets = relativeOffsets;
  }
}
