import { assert } from '../io/assert.js';

/**
 * A timer of a DeadlineQueue: created once per thing that times out (a member's session, a
 * group's join phase) and scheduled, moved and cancelled as often as needed. It occupies at most
 * one slot in its queue, so the queue holds exactly the scheduled deadlines however often they
 * move (a heartbeat moves one per request).
 */
export interface Deadline<T> {
  readonly value: T;
  /** True while it is in the queue. */
  readonly scheduled: boolean;
  /** When it is due (epoch ms); meaningful while scheduled. */
  readonly atMs: number;
}

class Entry<T> implements Deadline<T> {
  atMs = 0;
  /** Ties on atMs go to the deadline set first (Kafka's timer lists are FIFO too). */
  seq = 0;
  /**
   * The heap is ordered by (keyMs, keySeq), a lower bound of (atMs, seq): moving a deadline
   * later only updates atMs, and the heap catches up when the stale key reaches the top.
   */
  keyMs = 0;
  keySeq = 0;
  /** Position in the heap, -1 when not scheduled. */
  index = -1;

  constructor(
    readonly queue: DeadlineQueue<T>,
    readonly value: T,
  ) {}

  get scheduled(): boolean {
    return this.index >= 0;
  }
}

/**
 * A min-heap of deadlines with O(log n) schedule/cancel and O(1) "anything due?". Moving a
 * scheduled deadline later — what every heartbeat does — is O(1): the entry keeps its old heap
 * key until that key reaches the top, then sinks once to where its current deadline belongs.
 * Deadlines due at the same millisecond come out in the order they were set.
 */
export class DeadlineQueue<T> {
  private readonly heap: Entry<T>[] = [];
  private nextSeq = 0;

  /** A new, unscheduled deadline carrying `value`. */
  create(value: T): Deadline<T> {
    return new Entry(this, value);
  }

  /** How many deadlines are scheduled. */
  get size(): number {
    return this.heap.length;
  }

  /** Sets (or moves) the deadline to `atMs`. */
  schedule(deadline: Deadline<T>, atMs: number): void {
    const entry = this.own(deadline);
    entry.atMs = atMs;
    entry.seq = this.nextSeq++;
    if (entry.index < 0) {
      entry.keyMs = atMs;
      entry.keySeq = entry.seq;
      entry.index = this.heap.length;
      this.heap.push(entry);
      this.siftUp(entry.index);
    } else if (atMs < entry.keyMs) {
      // Earlier than its key: move it up now. (Later or equal: the new seq is larger, so the key
      // stays a lower bound and nothing moves.)
      entry.keyMs = atMs;
      entry.keySeq = entry.seq;
      this.siftUp(entry.index);
    }
  }

  /** Removes the deadline if scheduled. */
  cancel(deadline: Deadline<T>): void {
    const entry = this.own(deadline);
    if (entry.index >= 0) this.removeAt(entry.index);
  }

  /** The earliest scheduled deadline (epoch ms), or null if none. */
  nextMs(): number | null {
    const top = this.settledTop();
    return top === null ? null : top.atMs;
  }

  /** Removes and returns the earliest deadline if it is due at `nowMs`, else null. */
  popDue(nowMs: number): Deadline<T> | null {
    const first = this.heap[0];
    // Keys never exceed deadlines: a key in the future means nothing is due.
    if (first === undefined || first.keyMs > nowMs) return null;
    const top = this.settledTop()!;
    if (top.atMs > nowMs) return null;
    this.removeAt(0);
    return top;
  }

  /** The top entry once its key is its deadline: then it has the earliest deadline of all. */
  private settledTop(): Entry<T> | null {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined) return null;
      if (top.keyMs === top.atMs && top.keySeq === top.seq) return top;
      top.keyMs = top.atMs;
      top.keySeq = top.seq;
      this.siftDown(0);
    }
  }

  private own(deadline: Deadline<T>): Entry<T> {
    assert(deadline instanceof Entry && deadline.queue === this, 'deadline of another queue');
    return deadline as Entry<T>;
  }

  private removeAt(index: number): void {
    const entry = this.heap[index]!;
    const last = this.heap.pop()!;
    entry.index = -1;
    if (last === entry) return;
    this.heap[index] = last;
    last.index = index;
    this.siftDown(index);
    this.siftUp(last.index);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const entry = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!before(entry, parent)) break;
      heap[index] = parent;
      parent.index = index;
      index = parentIndex;
    }
    heap[index] = entry;
    entry.index = index;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const entry = heap[index]!;
    const length = heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && before(heap[right]!, heap[left]!) ? right : left;
      const childEntry = heap[child]!;
      if (!before(childEntry, entry)) break;
      heap[index] = childEntry;
      childEntry.index = index;
      index = child;
    }
    heap[index] = entry;
    entry.index = index;
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.keyMs < b.keyMs || (a.keyMs === b.keyMs && a.keySeq < b.keySeq);
}
