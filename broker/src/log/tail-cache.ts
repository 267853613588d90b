/**
 * The most recently appended batches, kept in memory so tail fetches (the common case: consumers
 * keeping up with producers) never touch the disk. Each partition has a TailCache holding
 * references to its appended Buffers (no copy) over a contiguous offset range ending at the log
 * end offset; all of them share one TailCacheBudget, which evicts the batches appended longest
 * ago, whichever partition they belong to. So a broker with many partitions holds at most
 * `fjord.log.tail.cache.bytes` in total, and the budget goes to the partitions being written.
 */
import { assert } from '../io/assert.js';

interface CachedBatch {
  baseOffset: number;
  nextOffset: number;
  /** Null once evicted or cleared (the budget's queue may still hold the entry). */
  batch: Buffer | null;
  sizeBytes: number;
  owner: TailCache;
}

const COMPACT_AFTER_ENTRIES = 1024;

/** A FIFO of entries with an advancing head (amortised O(1) shift). */
class EntryQueue {
  entries: CachedBatch[] = [];
  head = 0;

  get length(): number {
    return this.entries.length - this.head;
  }

  push(entry: CachedBatch): void {
    this.entries.push(entry);
  }

  peek(): CachedBatch | undefined {
    return this.entries[this.head];
  }

  shift(): CachedBatch | undefined {
    const entry = this.entries[this.head];
    if (entry === undefined) return undefined;
    this.entries[this.head] = undefined as unknown as CachedBatch;
    this.head++;
    if (this.head >= COMPACT_AFTER_ENTRIES && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    return entry;
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
  }
}

/** The byte budget shared by the tail caches of a broker. */
export class TailCacheBudget {
  private readonly order = new EntryQueue();
  private bytes = 0;

  constructor(readonly bytesMax: number) {
    assert(Number.isInteger(bytesMax) && bytesMax >= 0, 'tail cache budget must be a non-negative integer');
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** @internal TailCache.push */
  admit(entry: CachedBatch): void {
    this.order.push(entry);
    this.bytes += entry.sizeBytes;
    while (this.bytes > this.bytesMax) {
      const oldest = this.order.shift();
      if (oldest === undefined) break;
      // Entries already cleared by their cache were subtracted then.
      if (oldest.batch !== null) oldest.owner.evictOldest(oldest);
    }
    // Cleared entries at the head would otherwise linger until the next eviction.
    while (this.order.length > 0 && this.order.peek()!.batch === null) this.order.shift();
  }

  /** @internal TailCache */
  released(bytes: number): void {
    this.bytes -= bytes;
    assert(this.bytes >= 0, 'tail cache budget below zero');
  }
}

export class TailCache {
  private readonly entries = new EntryQueue();
  private bytes = 0;

  constructor(private readonly budget: TailCacheBudget) {}

  get sizeBytes(): number {
    return this.bytes;
  }

  /** Offset of the first cached batch, or undefined if empty. */
  get firstOffset(): number | undefined {
    return this.entries.peek()?.baseOffset;
  }

  push(baseOffset: number, nextOffset: number, batch: Buffer): void {
    const entries = this.entries.entries;
    const last = entries[entries.length - 1];
    assert(this.entries.length === 0 || last === undefined || last.nextOffset === baseOffset, 'tail cache must stay contiguous');
    if (batch.length > this.budget.bytesMax) {
      // Would evict itself at once; a gap-free cache must then start after it.
      this.clear();
      return;
    }
    const entry: CachedBatch = { baseOffset, nextOffset, batch: ownedCopy(batch), sizeBytes: batch.length, owner: this };
    this.entries.push(entry);
    this.bytes += entry.sizeBytes;
    this.budget.admit(entry);
  }

  /** @internal TailCacheBudget: `entry` is this cache's oldest (appends are globally ordered). */
  evictOldest(entry: CachedBatch): void {
    const oldest = this.entries.shift();
    assert(oldest === entry, 'tail cache evictions follow append order');
    this.drop(entry);
  }

  /**
   * Whole batches from the one containing `offset`, up to `maxBytes` (at least one), only batches
   * starting below `endOffset`. Null when `offset` is not covered by the cache.
   */
  read(offset: number, maxBytes: number, endOffset: number): { records: Buffer[]; sizeBytes: number } | null {
    const { entries, head } = this.entries;
    if (head >= entries.length || offset < entries[head]!.baseOffset) return null;
    let low = head;
    let high = entries.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (entries[mid]!.baseOffset <= offset) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    if (found < 0 || entries[found]!.nextOffset <= offset) return null;
    const records: Buffer[] = [];
    let sizeBytes = 0;
    for (let i = found; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.baseOffset >= endOffset) break;
      if (records.length > 0 && sizeBytes + entry.sizeBytes > maxBytes) break;
      records.push(entry.batch!);
      sizeBytes += entry.sizeBytes;
      if (sizeBytes >= maxBytes) break;
    }
    return { records, sizeBytes };
  }

  clear(): void {
    const { entries, head } = this.entries;
    for (let i = head; i < entries.length; i++) this.drop(entries[i]!);
    this.entries.clear();
  }

  private drop(entry: CachedBatch): void {
    entry.batch = null;
    this.bytes -= entry.sizeBytes;
    this.budget.released(entry.sizeBytes);
  }
}

/**
 * The cache keeps its own copy of a batch that is a view into a larger buffer: a produced batch is
 * usually a slice of a 64 KiB socket chunk or of a whole request, and holding the slice would pin
 * all of it (measured: 8 MiB of cached batches held ~45 MiB resident). The copy costs a memcpy on
 * append (about 0.1 CPU s per GB) and makes the budget the memory actually held.
 */
function ownedCopy(batch: Buffer): Buffer {
  if (batch.byteOffset === 0 && batch.length === batch.buffer.byteLength) return batch;
  const copy = Buffer.allocUnsafeSlow(batch.length);
  batch.copy(copy);
  return copy;
}
