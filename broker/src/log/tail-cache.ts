/**
 * The most recently appended batches of one partition, kept in memory so tail fetches (the common
 * case: consumers keeping up with producers) never touch the disk. Holds references to the
 * appended Buffers (no copy), oldest evicted first once `bytesMax` is exceeded; covers a
 * contiguous offset range ending at the log end offset.
 */
import { assert } from '../io/assert.js';

interface CachedBatch {
  baseOffset: number;
  nextOffset: number;
  batch: Buffer;
}

const COMPACT_AFTER_ENTRIES = 1024;

export class TailCache {
  private entries: CachedBatch[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly bytesMax: number) {}

  get sizeBytes(): number {
    return this.bytes;
  }

  /** Offset of the first cached batch, or undefined if empty. */
  get firstOffset(): number | undefined {
    return this.head < this.entries.length ? this.entries[this.head]!.baseOffset : undefined;
  }

  push(baseOffset: number, nextOffset: number, batch: Buffer): void {
    const last = this.entries[this.entries.length - 1];
    assert(this.head === this.entries.length || last === undefined || last.nextOffset === baseOffset, 'tail cache must stay contiguous');
    this.entries.push({ baseOffset, nextOffset, batch });
    this.bytes += batch.length;
    while (this.bytes > this.bytesMax && this.head < this.entries.length) {
      this.bytes -= this.entries[this.head]!.batch.length;
      this.entries[this.head] = undefined as unknown as CachedBatch;
      this.head++;
    }
    if (this.head >= COMPACT_AFTER_ENTRIES && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Whole batches from the one containing `offset`, up to `maxBytes` (at least one), only batches
   * starting below `endOffset`. Null when `offset` is not covered by the cache.
   */
  read(offset: number, maxBytes: number, endOffset: number): { records: Buffer[]; sizeBytes: number } | null {
    if (this.head >= this.entries.length || offset < this.entries[this.head]!.baseOffset) return null;
    let low = this.head;
    let high = this.entries.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (this.entries[mid]!.baseOffset <= offset) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    if (found < 0 || this.entries[found]!.nextOffset <= offset) return null;
    const records: Buffer[] = [];
    let sizeBytes = 0;
    for (let i = found; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      if (entry.baseOffset >= endOffset) break;
      if (records.length > 0 && sizeBytes + entry.batch.length > maxBytes) break;
      records.push(entry.batch);
      sizeBytes += entry.batch.length;
      if (sizeBytes >= maxBytes) break;
    }
    return { records, sizeBytes };
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.bytes = 0;
  }
}
