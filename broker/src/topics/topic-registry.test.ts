import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { loadBrokerConfig } from '../config/broker-config.js';
import { createLogger } from '../io/logger.js';
import { makeBatch } from '../log/batch-fixture.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { METADATA_FILE, METADATA_FILE_FORMAT } from './metadata-store.js';
import { TopicError, TopicRegistry } from './topic-registry.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-registry-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function open(logDir: string, lines: string[] = []): Promise<TopicRegistry> {
  const config = loadBrokerConfig(null, new Map([['log.dirs', logDir]]));
  return TopicRegistry.open(
    logDir,
    config,
    createLogger('info', (line) => lines.push(line)),
  );
}

function storageError(error: unknown): boolean {
  assert.ok(error instanceof TopicError, String(error));
  assert.equal(error.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
  assert.match(error.message, new RegExp(`writing ${join(dirs.at(-1)!, METADATA_FILE)} failed`));
  return true;
}

test('a failed metadata write fails only its change, leaves memory as the file is, and later changes succeed', async () => {
  const dir = tempDir();
  const lines: string[] = [];
  const registry = await open(dir, lines);
  await registry.create('kept', 1, {});
  const imageBefore = registry.metadataImage;
  // A non-empty folder where the file goes: every rename onto it fails.
  const metadata = join(dir, METADATA_FILE);
  rmSync(metadata);
  mkdirSync(join(metadata, 'blocker'), { recursive: true });

  await assert.rejects(registry.create('lost', 2, {}), storageError);
  assert.equal(registry.get('lost'), undefined);
  assert.deepEqual(
    readdirSync(dir).filter((name) => name.startsWith('lost')),
    [],
    'the failed create left partition directories',
  );
  await assert.rejects(registry.setConfigs('kept', { 'retention.ms': '1000' }), storageError);
  assert.deepEqual(registry.get('kept')!.configs, {});
  await assert.rejects(registry.addPartitions('kept', 3), storageError);
  assert.equal(registry.get('kept')!.partitions.length, 1);
  assert.ok(!existsSync(join(dir, 'kept-1')));
  await assert.rejects(registry.delete('kept'), storageError);
  const kept = registry.get('kept');
  assert.ok(kept !== undefined, 'a failed delete removed the topic from memory');
  assert.equal((await kept.partitions[0]!.log.append(makeBatch(), 0)).errorCode, 0);
  assert.ok(lines.some((line) => line.includes('ERROR cannot create topic')));
  assert.equal(registry.metadataImage, imageBefore, 'a failed change replaced the metadata image');

  rmSync(metadata, { recursive: true });
  await registry.create('later', 1, {});
  await registry.setConfigs('kept', { 'retention.ms': '2000' });
  await registry.close();

  const reopened = await open(dir);
  assert.deepEqual(
    reopened
      .list()
      .map((topic) => topic.name)
      .sort(),
    ['kept', 'later'],
  );
  assert.deepEqual(reopened.get('kept')!.configs, { 'retention.ms': '2000' });
  assert.equal(reopened.get('kept')!.partitions[0]!.log.logEndOffset, 1);
  assert.equal(reopened.storageStats.strayDirectories, 0);
  await reopened.close();
});

test('changes run one at a time: concurrent creates of one name create it once', async () => {
  const dir = tempDir();
  const registry = await open(dir);
  const results = await Promise.allSettled([
    registry.create('same', 2, {}),
    registry.create('same', 2, {}),
    registry.create('other', 1, {}),
  ]);
  assert.deepEqual(
    results.map((result) => result.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  assert.equal(((results[1] as PromiseRejectedResult).reason as TopicError).errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
  await registry.close();
  const reopened = await open(dir);
  assert.equal(reopened.get('same')!.partitions.length, 2);
  await reopened.close();
});

test("a data directory in today's format opens (topics, epochs, configs, data) and is rewritten as records at the next change", async () => {
  const dir = tempDir();
  const metadata = join(dir, METADATA_FILE);
  const oldId = '0123456789abcdef0123456789abcdef';
  writeFileSync(
    metadata,
    JSON.stringify(
      [{ name: 'old', topicId: oldId, partitionCount: 2, leaderEpochs: [0, 4], configs: { 'retention.ms': '1000' } }],
      null,
      1,
    ),
  );
  const lines: string[] = [];
  let registry = await open(dir, lines);
  assert.ok(lines.some((line) => line.includes('INFO topic metadata in the format before metadata records')));
  assert.equal(registry.get('old')?.topicId, oldId);
  assert.deepEqual(registry.get('old')!.configs, { 'retention.ms': '1000' });
  assert.deepEqual(
    registry.get('old')!.partitions.map((partition) => partition.leaderEpoch),
    [0, 4],
  );
  assert.equal(registry.metadataImage.leaderOf('old', 1), 1, 'the single node (node.id 1 by default) leads');
  assert.equal((await registry.partition('old', 1)!.log.append(makeBatch(), 4)).errorCode, 0);
  await registry.close();
  assert.ok(Array.isArray(JSON.parse(readFileSync(metadata, 'utf8'))), 'opening alone rewrote the file');

  registry = await open(dir);
  assert.equal(registry.partition('old', 1)!.log.logEndOffset, 1);
  await registry.create('new', 1, {});
  await registry.close();
  assert.equal((JSON.parse(readFileSync(metadata, 'utf8')) as { format: string }).format, METADATA_FILE_FORMAT);

  registry = await open(dir);
  assert.deepEqual(
    registry
      .list()
      .map((topic) => [topic.name, topic.partitions.length])
      .sort(),
    [
      ['new', 1],
      ['old', 2],
    ],
  );
  assert.equal(registry.get('old')!.topicId, oldId);
  assert.deepEqual(registry.get('old')!.configs, { 'retention.ms': '1000' });
  assert.equal(registry.partition('old', 1)!.leaderEpoch, 4);
  assert.equal(registry.partition('old', 1)!.log.logEndOffset, 1);
  assert.equal(registry.storageStats.strayDirectories, 0);
  await registry.close();
});

test('configs: a removed override is deleted on disk too; an unchanged set stores nothing', async () => {
  const dir = tempDir();
  let registry = await open(dir);
  await registry.create('t', 1, { 'retention.ms': '1000', 'segment.ms': '60000' });
  await registry.setConfigs('t', { 'segment.ms': '60000' });
  assert.deepEqual(registry.get('t')!.configs, { 'segment.ms': '60000' });
  const offset = registry.metadataImage.offset;
  // With the file unwritable, a change that changes nothing still succeeds: it writes nothing.
  const metadata = join(dir, METADATA_FILE);
  const saved = readFileSync(metadata);
  rmSync(metadata);
  mkdirSync(join(metadata, 'blocker'), { recursive: true });
  await registry.setConfigs('t', { 'segment.ms': '60000' });
  assert.equal(registry.metadataImage.offset, offset);
  rmSync(metadata, { recursive: true });
  writeFileSync(metadata, saved);
  await registry.close();
  registry = await open(dir);
  assert.deepEqual(registry.get('t')!.configs, { 'segment.ms': '60000' });
  await registry.close();
});
