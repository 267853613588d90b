/**
 * The Raft replica's in-memory view of the metadata log (KafkaMetadataLog's logic without the
 * files): entries {offset, epoch, payload} above a log start offset, and the latest snapshot
 * (KIP-630) that covers everything below the log start. The driver keeps the durable copy; this
 * class only answers the questions the protocol asks (end offset, last epoch, end offset for an
 * epoch, a read) and checks that appends and truncations keep the log well formed.
 */
import { assert } from '../io/assert.js';
import type { OffsetAndEpoch, RaftEntry } from './raft-messages.js';

export interface SnapshotId {
  endOffset: number;
  epoch: number;
}

/** A snapshot: everything below `endOffset` (the epoch of the entry at endOffset - 1); `data` is
 * opaque, produced by the state applier (the metadata image later). */
export interface RaftSnapshot extends SnapshotId {
  data: Buffer;
}

export class RaftLog {
  private entries: RaftEntry[] = [];
  private start = 0;
  private latestSnapshot: RaftSnapshot | null = null;

  /** Rebuilds the log from what the driver found on disk; entries below the snapshot are dropped. */
  static restore(snapshot: RaftSnapshot | null, entries: readonly RaftEntry[]): RaftLog {
    const log = new RaftLog();
    if (snapshot !== null) {
      log.latestSnapshot = snapshot;
      log.start = snapshot.endOffset;
    }
    for (const entry of entries) {
      if (entry.offset < log.start) continue;
      log.append(entry);
    }
    return log;
  }

  get startOffset(): number {
    return this.start;
  }

  get endOffset(): number {
    return this.start + this.entries.length;
  }

  get snapshot(): RaftSnapshot | null {
    return this.latestSnapshot;
  }

  /** Epoch of the last entry, or of the snapshot when the log above it is empty (0 when both are). */
  get lastEpoch(): number {
    const last = this.entries[this.entries.length - 1];
    if (last !== undefined) return last.epoch;
    return this.latestSnapshot?.epoch ?? 0;
  }

  get lastOffsetAndEpoch(): OffsetAndEpoch {
    return { offset: this.endOffset, epoch: this.lastEpoch };
  }

  entryAt(offset: number): RaftEntry | undefined {
    if (offset < this.start) return undefined;
    return this.entries[offset - this.start];
  }

  /** Epoch of the entry at `offset - 1` (the epoch an entry ending at `offset` carries). */
  epochBefore(offset: number): number {
    if (offset === this.start) return this.latestSnapshot?.epoch ?? 0;
    const entry = this.entryAt(offset - 1);
    assert(entry !== undefined, `no entry before offset ${offset}`);
    return entry.epoch;
  }

  append(entry: RaftEntry): void {
    assert(entry.offset === this.endOffset, `append at ${entry.offset}, log end is ${this.endOffset}`);
    assert(entry.epoch >= this.lastEpoch, `append epoch ${entry.epoch} below last epoch ${this.lastEpoch}`);
    this.entries.push(entry);
  }

  /** Removes every entry at or above `endOffset`. */
  truncateTo(endOffset: number): void {
    assert(endOffset >= this.start, `truncate to ${endOffset} below log start ${this.start}`);
    if (endOffset < this.endOffset) this.entries.length = endOffset - this.start;
  }

  /** The applier made a snapshot of the committed prefix: remember it, drop the log below it. */
  addSnapshot(snapshot: RaftSnapshot): void {
    assert(snapshot.endOffset <= this.endOffset, `snapshot at ${snapshot.endOffset} beyond log end ${this.endOffset}`);
    if (snapshot.endOffset <= this.start) return;
    assert(this.epochBefore(snapshot.endOffset) === snapshot.epoch, `snapshot epoch ${snapshot.epoch} does not match the log`);
    this.entries = this.entries.slice(snapshot.endOffset - this.start);
    this.start = snapshot.endOffset;
    this.latestSnapshot = snapshot;
  }

  /** A fetched snapshot replaces the whole log (KafkaRaftClient truncates fully, then loads it). */
  installSnapshot(snapshot: RaftSnapshot): void {
    this.entries = [];
    this.start = snapshot.endOffset;
    this.latestSnapshot = snapshot;
  }

  /**
   * The largest epoch ≤ `epoch` in the log and the offset where it ends (the start of the next
   * epoch, or the log end) — ReplicatedLog.endOffsetForEpoch. Epochs below the log start answer
   * with the snapshot's id.
   */
  endOffsetForEpoch(epoch: number): OffsetAndEpoch {
    let end = this.endOffset;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i]!;
      if (entry.epoch <= epoch) return { offset: end, epoch: entry.epoch };
      end = entry.offset;
    }
    if (this.latestSnapshot !== null && this.latestSnapshot.epoch <= epoch) {
      return { offset: this.start, epoch: this.latestSnapshot.epoch };
    }
    return { offset: this.start, epoch: 0 };
  }

  /** Up to `maxEntries` entries from `fromOffset`. */
  read(fromOffset: number, maxEntries: number): RaftEntry[] {
    assert(fromOffset >= this.start, `read from ${fromOffset} below log start ${this.start}`);
    const from = fromOffset - this.start;
    return this.entries.slice(from, from + maxEntries);
  }

  /** Entries in [fromOffset, toOffset). */
  range(fromOffset: number, toOffset: number): RaftEntry[] {
    assert(fromOffset >= this.start, `range from ${fromOffset} below log start ${this.start}`);
    return this.entries.slice(fromOffset - this.start, toOffset - this.start);
  }

  /** Every entry above the log start (for checks and tests). */
  allEntries(): readonly RaftEntry[] {
    return this.entries;
  }
}
