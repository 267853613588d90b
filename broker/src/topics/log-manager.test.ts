import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { loadBrokerConfig } from '../config/broker-config.js';
import { createLogger } from '../io/logger.js';
import { MetadataImage, NO_PARTITION_CHANGE } from '../metadata/metadata-image.js';
import type { MetadataRecord } from '../metadata/metadata-record.js';
import { LogManager } from './log-manager.js';
import { singleNodePartitionRecord } from './metadata-store.js';
import { logConfigOf } from './topic-registry.js';

const TOPIC_ID = '0000000000000000000000000000000a';
const dirs: string[] = [];
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function manager(nodeId: number, lines: string[]): { logs: LogManager; logDir: string } {
  const logDir = mkdtempSync(join(tmpdir(), 'fjord-log-manager-'));
  dirs.push(logDir);
  const config = loadBrokerConfig(null, new Map([['log.dirs', logDir]]));
  const logConfig = logConfigOf(config, {});
  const logs = new LogManager({
    logDir,
    nodeId,
    tailCacheBytes: config.logTailCacheBytes,
    logger: createLogger('info', (line) => lines.push(line)),
    logConfigFor: () => logConfig,
  });
  return { logs, logDir };
}

function partitionOn(partitionId: number, replicas: number[]): MetadataRecord {
  const record = singleNodePartitionRecord(TOPIC_ID, partitionId, replicas[0]!);
  assert.equal(record.type, 'PartitionRecord');
  return { ...record, data: { ...record.data, replicas, isr: replicas } } as MetadataRecord;
}

function moveReplicas(partitionId: number, replicas: number[]): MetadataRecord {
  return {
    type: 'PartitionChangeRecord',
    version: 2,
    data: { ...NO_PARTITION_CHANGE, topicId: TOPIC_ID, partitionId, replicas, isr: replicas },
  };
}

test('hosts exactly the partitions whose replicas include this broker, and follows reassignments', async () => {
  const lines: string[] = [];
  const { logs, logDir } = manager(1, lines);
  const image = MetadataImage.EMPTY.apply(
    [{ type: 'TopicRecord', version: 0, data: { name: 't', topicId: TOPIC_ID } }, partitionOn(0, [1, 2]), partitionOn(1, [2, 3])],
    2,
  );
  // A directory of a partition this broker is not a replica of: kept aside, not opened.
  mkdirSync(join(logDir, 't-1'));
  await logs.openAll(image);
  assert.ok(logs.log(TOPIC_ID, 0) !== undefined);
  assert.equal(logs.log(TOPIC_ID, 1), undefined);
  assert.ok(!existsSync(join(logDir, 't-1')));
  assert.equal(logs.storageStats.strayDirectories, 1);
  assert.ok(lines.some((line) => line.includes('broker 1 is not a replica of partition 1')));

  // Partition 0 moves away (its log is deleted), partition 1 moves here (a log is opened).
  const delta = image.delta();
  delta.replay(moveReplicas(0, [2, 3]));
  delta.replay(moveReplicas(1, [3, 1]));
  const next = delta.apply(4);
  await logs.applyDelta(next, delta.changes());
  assert.equal(logs.log(TOPIC_ID, 0), undefined);
  assert.ok(!existsSync(join(logDir, 't-0')), 'the log of a partition moved away was kept');
  assert.ok(logs.log(TOPIC_ID, 1) !== undefined);
  assert.ok(existsSync(join(logDir, 't-1')));

  // The topic is removed: its logs go with it.
  const removal = next.delta();
  removal.replay({ type: 'RemoveTopicRecord', version: 0, data: { topicId: TOPIC_ID } });
  await logs.applyDelta(removal.apply(5), removal.changes());
  assert.equal(logs.log(TOPIC_ID, 1), undefined);
  assert.deepEqual(
    readdirSync(logDir).filter((name) => name.startsWith('t-') && !name.endsWith('-stray')),
    [],
  );
  await logs.close();
});
