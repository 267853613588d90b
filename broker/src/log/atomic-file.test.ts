import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, test } from 'node:test';
import { writeFileAtomically } from './atomic-file.js';
import { nodeDisk } from '../io/node-disk.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-atomic-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

test('writeFileAtomically replaces the file and leaves no temp file', async () => {
  const dir = tempDir();
  const path = join(dir, 'file');
  writeFileSync(path, 'old');
  await writeFileAtomically(nodeDisk, path, 'new');
  await writeFileAtomically(nodeDisk, join(dir, 'other'), Buffer.from([1, 2, 3]), { syncDirectory: false });
  assert.equal(readFileSync(path, 'utf8'), 'new');
  assert.deepEqual(readdirSync(dir).sort(), ['file', 'other']);
});

test('a failed writeFileAtomically leaves the old file and no temp file behind', async () => {
  const dir = tempDir();
  // rename() onto a non-empty folder fails after the temp file was written.
  mkdirSync(join(dir, 'target', 'child'), { recursive: true });
  await assert.rejects(writeFileAtomically(nodeDisk, join(dir, 'target'), 'data'));
  assert.deepEqual(readdirSync(dir), ['target']);
  assert.ok(statSync(join(dir, 'target')).isDirectory());
});

/** The repository root (the nearest folder above this file with the repo's package.json). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'broker', 'src'))) {
    const parent = dirname(dir);
    assert.notEqual(parent, dir, 'repository root not found');
    dir = parent;
  }
  return dir;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

test('the shipped tree has one atomic file writer (with the file and folder fsync)', () => {
  const root = repoRoot();
  const definitions = ['broker/src', 'operator/src']
    .flatMap((folder) => sourceFiles(join(root, folder)))
    .filter((path) => /export (async )?function writeFileAtomically\b/.test(readFileSync(path, 'utf8')))
    .map((path) => relative(root, path));
  assert.deepEqual(definitions, ['broker/src/log/atomic-file.ts']);
});
