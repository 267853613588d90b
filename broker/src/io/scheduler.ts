/**
 * The time port: pure modules (handlers, coordinators) read the clock and arm timers through it,
 * so a simulator can drive them; `systemScheduler` is the one adapter onto Node's timers.
 */
export interface Scheduler {
  nowMs(): number;
  /** Runs `callback` once after `delayMs`; the returned function cancels it (idempotent). */
  after(delayMs: number, callback: () => void): () => void;
}

export const systemScheduler: Scheduler = {
  nowMs: () => Date.now(),
  after(delayMs, callback) {
    const timer = setTimeout(callback, delayMs);
    return () => clearTimeout(timer);
  },
};
