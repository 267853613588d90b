/**
 * Runs a simulation over many seeds and, when one fails, names the one command that replays it.
 *
 *   FJORD_SIM_SEEDS=<n>   how many seeds to run (each suite has its own CI default)
 *   FJORD_SIM_SEED=<s>    run just seed s (the replay command sets it)
 *   FJORD_SIM_SEED_BASE   first seed of the range (default 1), to explore other ranges
 */

export interface SeedRunOptions {
  /** The compiled test file, for the replay command (e.g. dist/test/sim/raft.test.js). */
  testFile: string;
  /** Seeds to run when FJORD_SIM_SEEDS is not set. */
  defaultSeeds: number;
}

export function seedsToRun(options: SeedRunOptions): number[] {
  const only = process.env['FJORD_SIM_SEED'];
  if (only !== undefined && only !== '') return [parseSeed(only, 'FJORD_SIM_SEED')];
  const count = process.env['FJORD_SIM_SEEDS'] ? parseSeed(process.env['FJORD_SIM_SEEDS'], 'FJORD_SIM_SEEDS') : options.defaultSeeds;
  const base = process.env['FJORD_SIM_SEED_BASE'] ? parseSeed(process.env['FJORD_SIM_SEED_BASE'], 'FJORD_SIM_SEED_BASE') : 1;
  return Array.from({ length: count }, (_, i) => base + i);
}

export function replayCommand(testFile: string, seed: number): string {
  return `npm run build && FJORD_SIM_SEED=${seed} node --test ${testFile}`;
}

/** Runs `runSeed` for every seed; the first failure is rethrown with the seed and its replay
 * command, so the report says exactly how to reproduce it. */
export function runSeeds(options: SeedRunOptions, runSeed: (seed: number) => void): number {
  const seeds = seedsToRun(options);
  for (const seed of seeds) {
    try {
      runSeed(seed);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const wrapped = new Error(`seed ${seed} failed: ${message}\n  replay: ${replayCommand(options.testFile, seed)}`);
      if (err instanceof Error && err.stack) wrapped.stack = `${wrapped.message}\n${err.stack}`;
      throw wrapped;
    }
  }
  return seeds.length;
}

function parseSeed(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${text}'`);
  return n;
}
