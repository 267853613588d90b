import { errorMessage, type Logger } from './log.js';

/**
 * A coalescing, rate-limited work queue keyed by `namespace/name` (client-go's workqueue shape).
 *
 * Invariants:
 * - a key waits in the queue at most once: adding it again while it waits is a no-op (coalescing);
 * - a key is never processed by two workers at once: adding it while it is processed marks it
 *   dirty, and it is queued again when the running reconcile finishes;
 * - a failed reconcile is retried after a per-key exponential back-off (baseDelayMs * 2^n, capped at
 *   maxDelayMs); a success resets the key's back-off;
 * - delayed adds (requeue after / periodic resync) keep only the earliest pending time per key.
 */

export interface ReconcileResult {
  /** Reconcile again after this long (periodic resync, or waiting for something to happen). */
  requeueAfterMs?: number;
}

export type Reconciler = (key: string) => Promise<ReconcileResult | void>;

export interface QueueOptions {
  workers?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export class WorkQueue {
  private readonly waiting: string[] = [];
  private readonly waitingSet = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly idle = new Set<() => void>();
  private active = 0;
  /** Keys added before start() wait in the queue (informers fill it while caches sync). */
  private started = false;
  private stopped = false;

  constructor(
    readonly name: string,
    private readonly reconcile: Reconciler,
    private readonly log: Logger,
    private readonly options: QueueOptions = {},
  ) {}

  start(): void {
    this.started = true;
    this.pump();
  }

  /** Stops taking work, cancels timers and waits for running reconciles to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    if (this.active === 0) return;
    await new Promise<void>((resolve) => this.idle.add(resolve));
  }

  get length(): number {
    return this.waiting.length;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.waitingSet.has(key)) return;
    this.waitingSet.add(key);
    this.waiting.push(key);
    this.pump();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  private backoffMs(key: string): number {
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    const base = this.options.baseDelayMs ?? 200;
    return Math.min(this.options.maxDelayMs ?? 60_000, base * 2 ** (failures - 1));
  }

  private pump(): void {
    const workers = this.options.workers ?? 2;
    while (this.started && !this.stopped && this.active < workers && this.waiting.length > 0) {
      const key = this.waiting.shift()!;
      this.waitingSet.delete(key);
      this.processing.add(key);
      this.active++;
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    let requeueAfterMs: number | undefined;
    try {
      const result = await this.reconcile(key);
      this.failures.delete(key);
      requeueAfterMs = result?.requeueAfterMs;
    } catch (error) {
      requeueAfterMs = this.backoffMs(key);
      this.log.warn('Reconcile failed, retrying after back-off', {
        queue: this.name,
        key,
        delayMs: requeueAfterMs,
        error: errorMessage(error),
      });
    } finally {
      this.processing.delete(key);
      this.active--;
    }
    if (this.dirty.delete(key)) this.add(key);
    if (requeueAfterMs !== undefined) this.addAfter(key, requeueAfterMs);
    if (this.active === 0 && this.stopped) {
      for (const resolve of this.idle) resolve();
      this.idle.clear();
    }
    this.pump();
  }
}
