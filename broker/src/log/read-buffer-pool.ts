import assert from 'node:assert/strict';

/**
 * Buffers for the windows Fetch reads from segment files, reused instead of allocated per read.
 *
 * Why: a fresh 1 MiB buffer per fetched partition is external memory to V8, and at a few hundred
 * MiB/s its churn triggers a full mark-compact every few megabytes (44% of the broker's busy
 * time reading back a topic, bench/results/profile-consume.json). Reusing a handful of buffers
 * takes that away.
 *
 * The contract that keeps it safe: a lease's bytes may be referenced (sliced into a response)
 * until `release()` is called, and `release()` is called once the bytes are in the kernel (the
 * socket write completed) or will never be sent. A lease that is never released is not a leak:
 * its buffer is simply garbage collected and the pool allocates another.
 */
export interface BufferLease {
  /** `length` bytes, uninitialised. */
  readonly buffer: Buffer;
  release(): void;
}

export class ReadBufferPool {
  private readonly free: Buffer[] = [];
  private lastAcquireMs = 0;
  /** Leases handed out from pooled buffers and not released yet (for /metrics and tests). */
  outstanding = 0;

  /**
   * @param bufferBytes  capacity of each pooled buffer; longer reads get a buffer of their own
   * @param idleBuffersMax  buffers kept for reuse once released (the rest are left to the GC)
   */
  constructor(
    readonly bufferBytes: number,
    readonly idleBuffersMax: number,
  ) {
    assert(Number.isInteger(bufferBytes) && bufferBytes > 0, 'bufferBytes must be a positive integer');
    assert(Number.isInteger(idleBuffersMax) && idleBuffersMax >= 0, 'idleBuffersMax must be a non-negative integer');
  }

  /** A buffer of exactly `length` bytes: a view of a pooled buffer when it fits. */
  acquire(length: number, nowMs = 0): BufferLease {
    this.lastAcquireMs = nowMs;
    if (length > this.bufferBytes || this.idleBuffersMax === 0) return { buffer: Buffer.allocUnsafeSlow(length), release: noop };
    const whole = this.free.pop() ?? Buffer.allocUnsafeSlow(this.bufferBytes);
    this.outstanding++;
    let released = false;
    return {
      buffer: whole.subarray(0, length),
      release: () => {
        // Twice would put one buffer in the free list twice: two readers, one memory.
        if (released) return;
        released = true;
        this.outstanding--;
        if (this.free.length < this.idleBuffersMax) this.free.push(whole);
      },
    };
  }

  /** True while a pooled buffer can be lent without the pool growing past idleBuffersMax. */
  hasSpare(): boolean {
    return this.outstanding < this.idleBuffersMax;
  }

  get idleBuffers(): number {
    return this.free.length;
  }

  /** Drops the idle buffers when nothing was acquired for `idleMs` (memory back after a burst). */
  trim(nowMs: number, idleMs: number): void {
    if (nowMs - this.lastAcquireMs >= idleMs) this.free.length = 0;
  }
}

function noop(): void {}
