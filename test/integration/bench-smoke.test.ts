// Runs the benchmark harness (bench/run.ts) in smoke mode so it cannot rot: Fjord only, a few
// thousand records through each of Kafka's perf tools and the bench Java clients; the harness
// exits non-zero if any step fails. Writes nothing under docs/.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run } from '../harness/tools.js';

test('bench harness smoke run (bench/run.ts --smoke)', async () => {
  const script = fileURLToPath(new URL('../../bench/run.js', import.meta.url));
  const r = await run(process.execPath, [script, '--smoke'], { timeoutMs: 180_000 });
  assert.equal(r.code, 0, `bench --smoke failed (code ${String(r.code)}, timedOut ${String(r.timedOut)}):\n${r.stdout}\n${r.stderr}`);
});
