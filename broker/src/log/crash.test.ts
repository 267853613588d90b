import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { baseOffsetOf, crcMatches, lastOffsetDeltaOf } from './batch-header.js';
import { DEFAULT_LOG_CONFIG, PartitionLog } from './partition-log.js';

const WRITER = fileURLToPath(new URL('./testdata/crash-writer.js', import.meta.url));

/** Runs the writer until it acknowledged something, kills it with SIGKILL, returns the last ack. */
function runAndKill(dir: string, killAfterMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acknowledged = -1;
    let buffered = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [word, value] = line.split(' ');
        acknowledged = Math.max(acknowledged, Number(value));
        if (word === 'ready') timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited without being killed (${signal})`));
      else resolve(acknowledged);
    });
  });
}

test('kill -9 at random moments loses no acknowledged batch and leaves a valid log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-crash-'));
  try {
    let previousEnd = 0;
    for (let round = 0; round < 8; round++) {
      const acknowledged = await runAndKill(dir, 20 + ((round * 37) % 90));
      // odd rounds: the next writer itself recovers from the kill
      if (round % 2 === 1) continue;
      const log = await PartitionLog.open(dir, { ...DEFAULT_LOG_CONFIG, segmentBytes: 64 * 1024, indexIntervalBytes: 512 });
      assert.ok(log.logEndOffset >= acknowledged, `round ${round}: end ${log.logEndOffset} < acknowledged ${acknowledged}`);
      assert.ok(log.logEndOffset >= previousEnd);
      let offset = 0;
      while (offset < log.highWatermark) {
        const read = await log.read(offset, 1 << 20);
        assert.equal(read.errorCode, 0);
        for (const batch of read.records) {
          assert.equal(baseOffsetOf(batch), offset);
          assert.ok(crcMatches(batch, 0, batch.length));
          offset += lastOffsetDeltaOf(batch) + 1;
        }
      }
      previousEnd = log.logEndOffset;
      await log.close();
    }
    assert.ok(previousEnd > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
