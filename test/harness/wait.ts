/**
 * The one way tests wait: for a condition, with a deadline, and a message naming what was awaited
 * (plus whatever diagnostics the caller can give) when the deadline passes. Never sleep and then
 * assert: on a loaded machine the sleep is too short, on an idle one it is wasted time. Deadlines
 * are generous (the machines are shared and slow at times); they bound a hang, they do not time
 * anything.
 */

/** Default deadline: long enough for a loaded 2-core machine, short enough to end a hung test. */
export const WAIT_MS_DEFAULT = 60_000;
const POLL_INTERVAL_MS = 50;

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Extra context for the failure message (broker logs, last values seen). */
  diagnostics?: () => string;
}

/**
 * Polls `check` until it returns a value other than false/null/undefined and returns that value.
 * Errors thrown by `check` count as "not yet" and the last one is reported on timeout.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | false | null | undefined | Promise<T | false | null | undefined>,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? WAIT_MS_DEFAULT;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await check();
      if (value !== false && value !== null && value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError === null ? '' : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      const extra = options.diagnostics ? `\n${options.diagnostics()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}${extra}`);
    }
    await delay(options.intervalMs ?? POLL_INTERVAL_MS);
  }
}

/** Resolves with `promise`, or rejects naming `what` once `timeoutMs` has passed. */
export async function withDeadline<T>(promise: Promise<T>, what: string, timeoutMs = WAIT_MS_DEFAULT): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Lets wall-clock time pass, for the few tests whose condition IS the passing of time (a
 * time-based segment roll, a retention horizon, timestamps that must differ) and for pacing a
 * background loop (a producer, a fake kubelet). `why` names the reason at the call site. Never a
 * way to wait for something to happen: that is waitFor.
 */
export function letTimePass(ms: number, why: string): Promise<void> {
  if (why.length === 0) throw new Error('letTimePass: say why time must pass');
  return delay(ms);
}

/** The pause between polls. Not for tests to call directly: wait for a condition instead. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
