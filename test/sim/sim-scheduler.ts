/**
 * Simulated time: implements the Scheduler port (broker/src/io/scheduler.ts) over a virtual clock.
 * Nothing runs by itself: the simulation loop calls `runNext()` / `runUntil()`, which jumps the
 * clock to the next due event and runs it. Events due at the same time run in the order they were
 * scheduled (a sequence number breaks ties), so a run is a pure function of the seed.
 */
import type { Scheduler } from '../../broker/src/io/scheduler.js';

interface SimEvent {
  dueMs: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

export class SimScheduler implements Scheduler {
  private clockMs: number;
  private seq = 0;
  private readonly heap: SimEvent[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.clockMs = startMs;
  }

  nowMs(): number {
    return this.clockMs;
  }

  after(delayMs: number, callback: () => void): () => void {
    const event: SimEvent = { dueMs: this.clockMs + Math.max(0, delayMs), seq: this.seq++, callback, cancelled: false };
    this.push(event);
    return () => {
      event.cancelled = true;
    };
  }

  /** A later turn is the next event at the current time, after those already due now. */
  defer(callback: () => void): void {
    this.after(0, callback);
  }

  /** Events still pending (cancelled ones excluded). */
  pendingCount(): number {
    return this.heap.filter((e) => !e.cancelled).length;
  }

  /** Due time of the next live event, or undefined when nothing is pending. */
  nextDueMs(): number | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.dueMs;
  }

  /** Runs the next event (advancing the clock to it). False when nothing is pending. */
  runNext(): boolean {
    this.dropCancelledTop();
    const event = this.pop();
    if (event === undefined) return false;
    this.clockMs = Math.max(this.clockMs, event.dueMs);
    event.callback();
    return true;
  }

  /** Runs events until `done()` holds, the clock passes `untilMs`, or nothing is pending.
   * Returns whether `done()` held. */
  runUntil(done: () => boolean, untilMs: number): boolean {
    while (!done()) {
      const next = this.nextDueMs();
      if (next === undefined || next > untilMs) {
        this.clockMs = Math.max(this.clockMs, Math.min(untilMs, next ?? untilMs));
        return done();
      }
      this.runNext();
    }
    return true;
  }

  /** Runs every event due within the next `ms` and leaves the clock `ms` later. */
  advance(ms: number): void {
    const untilMs = this.clockMs + ms;
    this.runUntil(() => false, untilMs);
    this.clockMs = untilMs;
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
  }

  private before(a: SimEvent, b: SimEvent): boolean {
    return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.seq < b.seq);
  }

  private push(event: SimEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): SimEvent | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && this.before(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && this.before(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top;
  }
}

/** One turn of the real event loop: lets the promises a simulated event released run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Drives async code that runs on simulated time (a simulated disk, the log): runs simulated
 * events, one per real turn, until `promise` settles; fails when nothing is scheduled and it
 * still has not (it would never settle).
 */
export async function settle<T>(scheduler: SimScheduler, promise: Promise<T>): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => (done = true));
  tracked.catch(() => undefined);
  for (;;) {
    await nextTurn();
    if (done) return tracked;
    if (!scheduler.runNext()) {
      await nextTurn();
      if (done) return tracked;
      throw new Error('nothing scheduled and the operation did not settle');
    }
  }
}
