/**
 * The time port: pure modules (handlers, coordinators, the log) read the clock and arm timers
 * through it, so a simulator can drive them; `systemScheduler` is the one adapter onto Node's
 * timers.
 */
export interface Scheduler {
  nowMs(): number;
  /** Runs `callback` once after `delayMs`; the returned function cancels it (idempotent). */
  after(delayMs: number, callback: () => void): () => void;
  /**
   * Runs `callback` on a later turn, after the I/O callbacks of this one (setImmediate): the log
   * gathers everything appended in one turn into one write this way.
   */
  defer(callback: () => void): void;
}

export const systemScheduler: Scheduler = {
  nowMs: () => Date.now(),
  after(delayMs, callback) {
    const timer = setTimeout(callback, delayMs);
    return () => clearTimeout(timer);
  },
  defer(callback) {
    setImmediate(callback);
  },
};
