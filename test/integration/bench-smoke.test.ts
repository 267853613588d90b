// Runs the benchmark harness (bench/run.ts) in smoke mode so it cannot rot: Fjord only, a few
// thousand records through each of Kafka's perf tools and the bench Java clients; the harness
// exits non-zero if any step fails. Writes nothing under docs/.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run } from '../harness/tools.js';

// The deadline bounds a hang, it times nothing: on a quiet machine the run takes about a minute,
// on a loaded one (load 20) its seven steps took 20 s each and passed a 3-minute bound. It stays
// below node:test's 10-minute cap (.ci/test-all.sh) so a hang reports the harness's output.
const SMOKE_DEADLINE_MS = 540_000;

test('bench harness smoke run (bench/run.ts --smoke)', async () => {
  const script = fileURLToPath(new URL('../../bench/run.js', import.meta.url));
  const r = await run(process.execPath, [script, '--smoke'], { timeoutMs: SMOKE_DEADLINE_MS });
  assert.equal(r.code, 0, `bench --smoke failed (code ${String(r.code)}, timedOut ${String(r.timedOut)}):\n${r.stdout}\n${r.stderr}`);
});
