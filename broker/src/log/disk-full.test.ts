// A partition on a real full disk (a 1 MiB tmpfs; mounting needs root, see test/harness/tmpfs.ts):
// appends fail with KAFKA_STORAGE_ERROR and the failure is reported once, with the file; once
// space is freed the log goes back to what its files hold and takes appends again, without a
// restart, and nothing acknowledged is lost.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fillUp, mountTmpfs } from '../../../test/harness/tmpfs.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { baseOffsetOf, crcMatches, lastOffsetDeltaOf } from './batch-header.js';
import { makeBatch } from './batch-fixture.js';
import {
  DEFAULT_LOG_CONFIG,
  PartitionLog,
  STORAGE_RETRY_BACKOFF_MS,
  type PartitionLogEvents,
  type RecoveryTruncation,
  type StorageFailure,
} from './partition-log.js';
import { TailCacheBudget } from './tail-cache.js';

const tmpfs = mountTmpfs(1024 * 1024);
after(() => tmpfs.unmount());

class ManualClock {
  now = 1_700_000_000_000;
  nowMs(): number {
    return this.now;
  }
}

/** Waits for the log's queued maintenance (the storage retry runs there): retention is a no-op here. */
async function settled(log: PartitionLog): Promise<void> {
  await log.applyRetention(0);
}

async function readAll(log: PartitionLog): Promise<number> {
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const read = await log.read(offset, 1 << 20);
    assert.equal(read.errorCode, 0);
    for (const batch of read.records) {
      assert.equal(baseOffsetOf(batch), offset);
      assert.ok(crcMatches(batch, 0, batch.length));
      offset += lastOffsetDeltaOf(batch) + 1;
    }
  }
  return offset;
}

test('disk full: KAFKA_STORAGE_ERROR, reported once with the file; writable again once space is freed', async () => {
  const dir = join(tmpfs.dir, 'topic-0');
  const clock = new ManualClock();
  const failures: StorageFailure[] = [];
  const recoveries: { sinceMs: number; failedAttempts: number }[] = [];
  const truncations: RecoveryTruncation[] = [];
  const events: PartitionLogEvents = {
    storageFailed: (failure) => failures.push(failure),
    storageRecovered: (event) => recoveries.push(event),
    recoveryTruncated: (event) => truncations.push(event),
  };
  const config = { ...DEFAULT_LOG_CONFIG, segmentBytes: 256 * 1024 };
  const log = await PartitionLog.open(dir, config, clock, new TailCacheBudget(1 << 20), events);
  for (let i = 0; i < 10; i++) assert.equal((await log.append(makeBatch({ records: 2, payloadBytes: 100 }), 0)).errorCode, 0);
  assert.equal(log.highWatermark, 20);

  const ballast = join(tmpfs.dir, 'ballast');
  fillUp(ballast);
  // Larger than a page: it cannot fit in the partly used last page of the segment.
  const refused = await log.append(makeBatch({ records: 5, payloadBytes: 20_000 }), 0);
  assert.equal(refused.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
  assert.match(refused.errorMessage ?? '', /ENOSPC/);
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.operation, 'write');
  assert.equal(failures[0]!.path, join(dir, '00000000000000000000.log'));
  assert.equal(failures[0]!.retriedAutomatically, true);
  // Still failed within the back-off; not reported again.
  assert.equal((await log.append(makeBatch({ records: 1 }), 0)).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
  assert.equal(failures.length, 1);
  assert.equal(log.highWatermark, 20);

  // Still full after the back-off: the retry runs, the next write fails again, still one report.
  clock.now += STORAGE_RETRY_BACKOFF_MS;
  log.maybeRoll(clock.now);
  await settled(log);
  assert.equal((await log.append(makeBatch({ records: 5, payloadBytes: 20_000 }), 0)).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
  assert.equal(failures.length, 1);
  assert.equal(recoveries.length, 0);

  rmSync(ballast);
  clock.now += STORAGE_RETRY_BACKOFF_MS;
  log.maybeRoll(clock.now);
  await settled(log);
  const accepted = await log.append(makeBatch({ records: 5, payloadBytes: 20_000 }), 0);
  assert.equal(accepted.errorCode, 0);
  // The refused batches never got offsets that stay: the log goes on from its high watermark.
  assert.equal(accepted.baseOffset, 20);
  assert.equal(log.highWatermark, 25);
  assert.equal(recoveries.length, 1);
  assert.ok(recoveries[0]!.failedAttempts >= 2, JSON.stringify(recoveries));
  assert.equal(await readAll(log), 25);
  await log.close();

  const reopened = await PartitionLog.open(dir, config, clock, new TailCacheBudget(1 << 20), events);
  assert.equal(reopened.logEndOffset, 25);
  assert.equal(await readAll(reopened), 25);
  assert.deepEqual(truncations, []);
  await reopened.close();
});
