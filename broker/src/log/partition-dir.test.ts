import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import {
  PARTITION_METADATA_FILE,
  listPartitionDirs,
  listStrayDirs,
  moveAside,
  readPartitionMetadata,
  writePartitionMetadata,
} from './partition-dir.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-partition-dir-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

test('partition directories are <topic>-<n>; stray and deleted ones and other folders are not', async () => {
  const dir = tempDir();
  for (const name of ['orders-0', 'my-topic-12', 'a.b_c-3', 'orders-0.0123abcd-stray', 'x-1.ff-delete', 'lost+found', 'topic-01']) {
    mkdirSync(join(dir, name));
  }
  writeFileSync(join(dir, 'file-1'), '');
  assert.deepEqual(await listPartitionDirs(dir), [
    { name: 'a.b_c-3', topic: 'a.b_c', partition: 3 },
    { name: 'my-topic-12', topic: 'my-topic', partition: 12 },
    { name: 'orders-0', topic: 'orders', partition: 0 },
  ]);
  assert.deepEqual(await listStrayDirs(dir), ['orders-0.0123abcd-stray']);
});

test("moveAside renames to Kafka's stray name and keeps the contents", async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'orders-0'));
  writeFileSync(join(dir, 'orders-0', '00000000000000000000.log'), 'data');
  const stray = await moveAside(dir, 'orders-0');
  assert.match(stray, /^orders-0\.[0-9a-f]{32}-stray$/);
  assert.deepEqual(readdirSync(dir), [stray]);
  assert.equal(readFileSync(join(dir, stray, '00000000000000000000.log'), 'utf8'), 'data');
});

test("partition.metadata is Kafka's format; missing reads as null, damaged fails naming the file", async () => {
  const dir = tempDir();
  assert.equal(await readPartitionMetadata(dir), null);
  const topicId = '0123456789abcdef0123456789abcdef';
  await writePartitionMetadata(dir, topicId);
  assert.equal(readFileSync(join(dir, PARTITION_METADATA_FILE), 'utf8'), 'version: 0\ntopic_id: ASNFZ4mrze8BI0VniavN7w\n');
  assert.equal(await readPartitionMetadata(dir), topicId);
  writeFileSync(join(dir, PARTITION_METADATA_FILE), 'version: 0\n');
  await assert.rejects(readPartitionMetadata(dir), new RegExp(`${join(dir, PARTITION_METADATA_FILE)}: damaged partition metadata`));
});
