/**
 * Runs a folder of golden interaction scripts (broker/src/group/script-runner.ts's format: `>`
 * commands, each followed by its expected output) as one node:test suite, one test per file.
 * `FJORD_REWRITE=1 node --test ...` rewrites the expected output in place; review the diff.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { formatScript, parseScript, scriptComments } from '../../broker/src/group/script-runner.js';

export interface ScriptRunnerLike {
  run(command: string): string;
}

/**
 * @param testdata the scripts' folder relative to the repository (e.g. broker/src/group/testdata),
 *   found by walking up from the compiled test so it runs from dist/ as from the source tree.
 * @param compiledTestUrl the calling test's import.meta.url.
 */
export function describeGoldenScripts(suite: string, testdata: string, compiledTestUrl: string, newRunner: () => ScriptRunnerLike): void {
  const dir = findUp(testdata, compiledTestUrl);
  const rewrite = process.env['FJORD_REWRITE'] === '1';
  describe(suite, () => {
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.txt'))
      .sort()) {
      it(file, () => {
        const path = join(dir, file);
        const text = readFileSync(path, 'utf8');
        const runner = newRunner();
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
}

function findUp(relative: string, fromUrl: string): string {
  let dir = dirname(new URL(fromUrl).pathname);
  for (;;) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    assert.notEqual(parent, dir, `${relative} not found above the compiled test`);
    dir = parent;
  }
}
