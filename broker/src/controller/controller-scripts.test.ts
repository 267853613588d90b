import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeededRandom } from '../../../test/sim/random.js';
import { formatScript, parseScript, ScriptRunner, scriptComments } from './script-runner.js';

/**
 * Golden scripts for the controller (see script-runner.ts for the commands).
 * `FJORD_REWRITE=1 node --test ...` rewrites the expected output in place; review the diff.
 */

function testdataDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'broker', 'src', 'controller', 'testdata');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    assert.notEqual(parent, dir, 'broker/src/controller/testdata not found above the compiled test');
    dir = parent;
  }
}

const dir = testdataDir();
const rewrite = process.env.FJORD_REWRITE === '1';

describe('controller scripts', () => {
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()) {
    it(file, () => {
      const path = join(dir, file);
      const text = readFileSync(path, 'utf8');
      const runner = new ScriptRunner((seed) => {
        const random = new SeededRandom(seed);
        return { nextInt: (bound) => random.int(bound) };
      });
      const results: { command: string; actual: string }[] = [];
      for (const block of parseScript(text)) {
        const actual = runner.run(block.command);
        results.push({ command: block.command, actual });
        if (!rewrite) assert.equal(actual, block.expected, `${file}:${block.line + 1}: ${block.command}`);
      }
      if (rewrite) writeFileSync(path, formatScript(results, scriptComments(text)));
    });
  }
});
