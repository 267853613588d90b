import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../test/harness/tools.js';
import { renderAll } from './generate.js';

// Drift test: crds/*.yaml and types.generated.ts must be exactly what schema.ts generates.
// Fix with: node <outDir>/operator/src/api/generate.js .
describe('generated CRDs and types', () => {
  for (const [path, text] of renderAll()) {
    it(`${path} is up to date with operator/src/api/schema.ts`, () => {
      const onDisk = readFileSync(join(repoRoot(), path), 'utf8');
      assert.equal(onDisk, text, `${path} is stale: run node .cache/dist-op/operator/src/api/generate.js . (after tsc)`);
    });
  }
});
