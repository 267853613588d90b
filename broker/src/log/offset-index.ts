/**
 * Sparse offset index of one segment, `<baseOffset>.index` (Kafka's `OffsetIndex`).
 *
 * File format: a flat array of 8-byte big-endian entries, no header, no checksum:
 *
 *     int32 relativeOffset   (batch baseOffset - segment baseOffset)
 *     int32 position         (byte position of that batch in the `.log` file)
 *
 * Entries are strictly increasing in both fields. One entry is added for the first batch that
 * starts after at least `index.interval.bytes` have been appended since the previous entry, so a
 * lookup reads at most about that many bytes past the entry. Unlike Kafka (which records the
 * batch's *last* offset) we record the batch's *base* offset, so a floor lookup lands exactly on
 * a batch boundary. The index lives in memory (typed arrays) and is written to disk only when the
 * segment becomes inactive (roll) and at clean shutdown; it is never authoritative: recovery
 * validates it and rebuilds it from the `.log` when in doubt.
 */
import { assert } from '../io/assert.js';

export const OFFSET_INDEX_ENTRY_BYTES = 8;
const INITIAL_CAPACITY_ENTRIES = 64;

export class OffsetIndex {
  private relativeOffsets = new Int32Array(INITIAL_CAPACITY_ENTRIES);
  private positions = new Int32Array(INITIAL_CAPACITY_ENTRIES);
  private count = 0;

  /** @param entriesMax `segment.index.bytes / 8`; the segment rolls when the index is full. */
  constructor(
    readonly baseOffset: number,
    readonly entriesMax: number,
  ) {
    assert(entriesMax >= 1, 'offset index needs room for one entry');
  }

  get entries(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.entriesMax;
  }

  /** Last entry as absolute offset, or undefined if empty. */
  lastEntry(): { offset: number; position: number } | undefined {
    if (this.count === 0) return undefined;
    return {
      offset: this.baseOffset + this.relativeOffsets[this.count - 1]!,
      position: this.positions[this.count - 1]!,
    };
  }

  entryAt(index: number): { offset: number; position: number } {
    assert(index >= 0 && index < this.count, 'offset index entry out of range');
    return { offset: this.baseOffset + this.relativeOffsets[index]!, position: this.positions[index]! };
  }

  append(offset: number, position: number): void {
    const relativeOffset = offset - this.baseOffset;
    assert(!this.isFull, 'offset index full');
    assert(relativeOffset >= 0 && relativeOffset <= 0x7fffffff, 'relative offset out of int32 range');
    assert(position >= 0 && position <= 0x7fffffff, 'position out of int32 range');
    if (this.count > 0) {
      assert(relativeOffset > this.relativeOffsets[this.count - 1]!, 'offset index offsets must increase');
      assert(position > this.positions[this.count - 1]!, 'offset index positions must increase');
    }
    if (this.count === this.relativeOffsets.length) this.grow();
    this.relativeOffsets[this.count] = relativeOffset;
    this.positions[this.count] = position;
    this.count++;
  }

  /**
   * Position of the last indexed batch whose base offset is <= `offset`, or 0 (segment start) if
   * none: reading forward from there reaches the batch containing `offset`.
   */
  lookup(offset: number): number {
    const relative = offset - this.baseOffset;
    let low = 0;
    let high = this.count - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (this.relativeOffsets[mid]! <= relative) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found < 0 ? 0 : this.positions[found]!;
  }

  /** Drops entries at or beyond `position` (after the `.log` was truncated there). */
  truncateToPosition(position: number): void {
    while (this.count > 0 && this.positions[this.count - 1]! >= position) this.count--;
  }

  encode(): Buffer {
    const buf = Buffer.allocUnsafe(this.count * OFFSET_INDEX_ENTRY_BYTES);
    for (let i = 0; i < this.count; i++) {
      buf.writeInt32BE(this.relativeOffsets[i]!, i * OFFSET_INDEX_ENTRY_BYTES);
      buf.writeInt32BE(this.positions[i]!, i * OFFSET_INDEX_ENTRY_BYTES + 4);
    }
    return buf;
  }

  /**
   * Parses an index file; returns null unless it is well formed for a `.log` of `logSizeBytes`
   * (whole entries, strictly increasing, positions inside the log, within `entriesMax`).
   */
  static decode(buf: Buffer, baseOffset: number, entriesMax: number, logSizeBytes: number): OffsetIndex | null {
    if (buf.length % OFFSET_INDEX_ENTRY_BYTES !== 0) return null;
    const count = buf.length / OFFSET_INDEX_ENTRY_BYTES;
    if (count > entriesMax) return null;
    const index = new OffsetIndex(baseOffset, entriesMax);
    let previousRelative = -1;
    let previousPosition = -1;
    for (let i = 0; i < count; i++) {
      const relative = buf.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES);
      const position = buf.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES + 4);
      if (relative <= previousRelative || position <= previousPosition || position >= logSizeBytes) return null;
      index.append(baseOffset + relative, position);
      previousRelative = relative;
      previousPosition = position;
    }
    return index;
  }

  private grow(): void {
    const capacity = Math.min(this.relativeOffsets.length * 2, Math.max(this.entriesMax, 1));
    const relativeOffsets = new Int32Array(capacity);
    const positions = new Int32Array(capacity);
    relativeOffsets.set(this.relativeOffsets);
    positions.set(this.positions);
    this.relativeOffsets = relativeOffsets;
    this.positions = positions;
  }
}
