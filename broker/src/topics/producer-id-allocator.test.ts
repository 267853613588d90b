import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { ProducerIdAllocator } from './producer-id-allocator.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-producer-ids-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

test('producer ids continue after the saved block across a reopen', async () => {
  const dir = tempDir();
  const first = await ProducerIdAllocator.open(dir);
  assert.equal(await first.allocate(), 0);
  const second = await ProducerIdAllocator.open(dir);
  assert.equal(await second.allocate(), 1000);
});

test('a damaged producer id file stops the start, naming the file and what to do', async () => {
  const dir = tempDir();
  const path = join(dir, 'fjord-producer-ids.json');
  for (const text of ['{"nextBlockStart": 10', '{}', '{"nextBlockStart": -1}']) {
    writeFileSync(path, text);
    await assert.rejects(
      ProducerIdAllocator.open(dir),
      new RegExp(`${path}: damaged producer id block: .*do not delete it \\(ids would be reused\\)`),
      text,
    );
  }
});
