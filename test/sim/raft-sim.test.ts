/**
 * The Raft metadata quorum under chaos (issue 11, test 1): for each seed, 3 or 5 replicas on a
 * lossy, duplicating, reordering, partitioning network, with crashes that lose unflushed writes,
 * restarts, resignations and client appends; every invariant in raft-cluster.ts is checked as
 * the run goes, then the faults heal and a client append must commit within a bounded time.
 * FJORD_SIM_SEEDS / FJORD_SIM_SEED / FJORD_SIM_SEED_BASE select seeds (seeds.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSeeds } from './seeds.js';
import { LIVENESS_BOUND_MS, RaftCluster, runRaftSeed } from './raft-cluster.js';

test('raft quorum keeps its invariants and recovers, over many seeds', () => {
  let slowestRecoveryMs = 0;
  const ran = runSeeds({ testFile: 'dist/test/sim/raft-sim.test.js', defaultSeeds: 10_000 }, (seed) => {
    slowestRecoveryMs = Math.max(slowestRecoveryMs, runRaftSeed(seed));
  });
  console.log(
    `raft simulation: ${ran} seeds passed; slowest commit after healing ${slowestRecoveryMs} simulated ms (bound ${LIVENESS_BOUND_MS})`,
  );
});

test('a seed replays exactly: same messages, same elections, same committed history', () => {
  const fingerprint = (seed: number): string => {
    const cluster = new RaftCluster({ seed, nodeCount: 5 });
    cluster.startAll();
    cluster.runChaos(2_000);
    cluster.healAndCheckLiveness(LIVENESS_BOUND_MS);
    const history = cluster.invariants.committed.map((c) => `${c.epoch}:${c.payload.toString('hex')}`).join(',');
    return `${cluster.network.sent}/${cluster.network.delivered}/${cluster.nodes.map((n) => n.replica?.epoch).join('.')}/${history}`;
  };
  assert.equal(fingerprint(42), fingerprint(42));
  assert.notEqual(fingerprint(42), fingerprint(43));
});
