/**
 * The simulator finds bugs: each deliberate protocol bug (RaftConfig.testFaults, one removed
 * safety check each), and a driver that breaks the durability contract, must make some seed fail
 * an invariant within a bounded number of seeds.
 * The failing seed is printed with the command that replays it:
 *   FJORD_SIM_BUG=<name> FJORD_SIM_SEED=<s> node --test dist/test/sim/raft-bugs.test.js
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runRaftSeed, type ClusterOptions } from './raft-cluster.js';

type Faults = Omit<ClusterOptions, 'seed' | 'nodeCount'>;

/** Protocol bugs in the state machine (RaftConfig.testFaults), and one driver bug. */
const BUGS: { name: string; faults: Faults; maxSeeds: number }[] = [
  { name: 'grantVoteWithoutLogCheck', faults: { testFaults: { grantVoteWithoutLogCheck: true } }, maxSeeds: 500 },
  { name: 'forgetVote', faults: { testFaults: { forgetVote: true } }, maxSeeds: 500 },
  { name: 'skipDivergenceCheck', faults: { testFaults: { skipDivergenceCheck: true } }, maxSeeds: 500 },
  // Found with three real processes first (followers of a dead leader never elected); the seeds
  // that heal with a minority gone for good catch it.
  { name: 'refollowNamedLeader', faults: { testFaults: { refollowNamedLeader: true } }, maxSeeds: 500 },
  { name: 'releaseBeforeDurable', faults: { releaseBeforeDurable: true }, maxSeeds: 2000 },
];

/** The first seed in `seeds` whose run fails, with the failure. */
function firstFailingSeed(faults: Faults, seeds: readonly number[]): { seed: number; message: string } | null {
  for (const seed of seeds) {
    try {
      runRaftSeed(seed, faults);
    } catch (err) {
      return { seed, message: err instanceof Error ? err.message : String(err) };
    }
  }
  return null;
}

for (const bug of BUGS) {
  const only = process.env['FJORD_SIM_BUG'];
  if (only !== undefined && only !== '' && only !== bug.name) continue;
  test(`the simulator catches the '${bug.name}' bug within ${bug.maxSeeds} seeds`, () => {
    const one = process.env['FJORD_SIM_SEED'];
    const seeds = one !== undefined && one !== '' ? [Number(one)] : Array.from({ length: bug.maxSeeds }, (_, i) => i + 1);
    const found = firstFailingSeed(bug.faults, seeds);
    assert.ok(found !== null, `no seed in ${seeds.length} caught ${bug.name}`);
    console.log(
      `${bug.name}: caught by seed ${found.seed}: ${found.message.split('\n')[0]}\n  replay: npm run build && FJORD_SIM_BUG=${bug.name} FJORD_SIM_SEED=${found.seed} node --test dist/test/sim/raft-bugs.test.js`,
    );
  });
}
