import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { LOG_START_OFFSET_CHECKPOINT, RECOVERY_POINT_CHECKPOINT, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { DEFAULT_LOG_CONFIG, PartitionLog } from './partition-log.js';
import { StorageError } from './storage-error.js';
import { nodeDisk } from '../io/node-disk.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-checkpoint-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

test('a missing checkpoint reads as absent; a written one reads back', async () => {
  const dir = tempDir();
  assert.equal(await readCheckpoint(nodeDisk, dir, RECOVERY_POINT_CHECKPOINT), null);
  await writeCheckpoint(nodeDisk, dir, RECOVERY_POINT_CHECKPOINT, 12345);
  assert.equal(await readCheckpoint(nodeDisk, dir, RECOVERY_POINT_CHECKPOINT), 12345);
});

test('a checkpoint that cannot be read fails loudly, naming the file (not "absent")', async () => {
  const dir = tempDir();
  // EISDIR: a read error other than ENOENT, which root cannot bypass (unlike EACCES).
  mkdirSync(join(dir, LOG_START_OFFSET_CHECKPOINT));
  await assert.rejects(readCheckpoint(nodeDisk, dir, LOG_START_OFFSET_CHECKPOINT), (error: unknown) => {
    assert.ok(error instanceof StorageError, String(error));
    assert.equal(error.path, join(dir, LOG_START_OFFSET_CHECKPOINT));
    assert.match(error.message, /cannot read checkpoint .*EISDIR/);
    return true;
  });
});

test('a damaged checkpoint fails loudly with what was found', async () => {
  const dir = tempDir();
  for (const text of ['', '0\n', '1\n5\n', '0\n-3\n', '0\n99999999999999999\n', 'garbage']) {
    writeFileSync(join(dir, RECOVERY_POINT_CHECKPOINT), text);
    await assert.rejects(
      readCheckpoint(nodeDisk, dir, RECOVERY_POINT_CHECKPOINT),
      /damaged checkpoint: expected "0\\n<offset>\\n"/,
      JSON.stringify(text),
    );
  }
});

test('a partition whose log start checkpoint cannot be read does not open (it would resurrect deleted records)', async () => {
  const dir = tempDir();
  const log = await PartitionLog.open(dir, DEFAULT_LOG_CONFIG);
  await log.close();
  rmSync(join(dir, LOG_START_OFFSET_CHECKPOINT), { force: true });
  mkdirSync(join(dir, LOG_START_OFFSET_CHECKPOINT));
  await assert.rejects(PartitionLog.open(dir, DEFAULT_LOG_CONFIG), new RegExp(`${LOG_START_OFFSET_CHECKPOINT}: cannot read checkpoint`));
});
