// Log compaction (cleanup.policy=compact) end to end: keyed values written across several
// segments; once the cleaner has run, every key keeps only its latest value, at its original
// offset, and a tombstoned key disappears after delete.retention.ms. Runs against Kafka too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs, { type Admin } from 'kafkajs';
import { startBroker, type BrokerHandle } from '../harness/broker.js';
import { kcat, ok } from '../harness/tools.js';
import { letTimePass, waitFor } from '../harness/wait.js';

const { Kafka, logLevel } = kafkajs;
/** The topic's segment.ms: a segment rolls on the first append this long after its first record. */
const SEGMENT_MS = 100;
/** The topic's delete.retention.ms: how long a cleaned tombstone stays. */
const DELETE_RETENTION_MS = 1000;

let broker: BrokerHandle;
let admin: Admin;

before(async () => {
  broker = await startBroker({
    config: {
      'log.cleaner.backoff.ms': '200',
      'log.retention.check.interval.ms': '200',
      'log.segment.delete.delay.ms': '0',
      // Kafka only starts its cleaner tasks after this delay (default 30 s); Fjord ignores it.
      ...(process.env['FJORD_TEST_TARGET'] === 'kafka' ? { 'log.initial.task.delay.ms': '0' } : {}),
    },
  });
  admin = new Kafka({ clientId: 'compaction-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
});

after(async () => {
  await admin?.disconnect();
  await broker?.stop();
});

async function produce(topic: string, lines: string[]): Promise<void> {
  ok(
    await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-p', '0', '-K', ':', '-Z'], {
      input: lines.join('\n') + '\n',
      timeoutMs: 60_000,
    }),
    'kcat -P',
  );
}

async function consume(topic: string): Promise<string[]> {
  const result = ok(
    await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-Z', '-f', '%o %k=%s\n'], {
      timeoutMs: 60_000,
    }),
    'kcat -C',
  );
  return result.stdout.split('\n').filter((line) => line.length > 0);
}

async function waitForContent(topic: string, what: string, done: (seen: string[]) => boolean): Promise<string[]> {
  let last: string[] = [];
  return waitFor(
    what,
    async () => {
      last = await consume(topic);
      return done(last) ? last : undefined;
    },
    {
      timeoutMs: 120_000,
      intervalMs: 500,
      diagnostics: () => `last read:\n${last.join('\n')}\n--- broker logs (tail) ---\n${broker.logs().slice(-3000)}`,
    },
  );
}

/** After an append, so that the next one rolls the segment (segment.ms is measured on the wall clock). */
const segmentMsPasses = () => letTimePass(3 * SEGMENT_MS, 'segment.ms must pass for the next append to roll the segment');

test(
  'compaction keeps the latest value per key at its original offset; tombstones go after delete.retention.ms',
  { timeout: 180_000 },
  async () => {
    const topic = 'compacted-topic';
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.ms', value: String(SEGMENT_MS) },
            { name: 'min.cleanable.dirty.ratio', value: '0.01' },
            { name: 'delete.retention.ms', value: String(DELETE_RETENTION_MS) },
          ],
        },
      ],
    });
    // Three rounds of the same 10 keys, each in its own segment (segment.ms rolls on the next append).
    for (let round = 1; round <= 3; round++) {
      await produce(
        topic,
        Array.from({ length: 10 }, (_, key) => `k${key}:v${round}`),
      );
      await segmentMsPasses();
    }
    // A tombstone for k0 (kcat -Z: an empty value is a null value), then a tail record that rolls
    // the segment so that everything before it can be cleaned.
    await produce(topic, ['k0:']);
    await segmentMsPasses();
    await produce(topic, ['tail:x']);

    // Offsets: round r, key k is at 10*(r-1)+k; the tombstone at 30; the tail at 31. First clean:
    // only round 3 is left (the tombstone may still be there: it lives at least delete.retention.ms).
    const round3 = Array.from({ length: 9 }, (_, index) => `${21 + index} k${index + 1}=v3`);
    await waitForContent(topic, 'the first cleaning: only round 3, the tombstone and the tail', (seen) => {
      const withoutTombstone = seen.filter((line) => line !== '30 k0=NULL');
      return JSON.stringify(withoutTombstone) === JSON.stringify([...round3, '31 tail=x']) && !seen.some((line) => line.startsWith('20 '));
    });

    // After the delete horizon, new dirty data makes the cleaner run again: the tombstone goes and
    // superseded values with it. (Kafka removes a tombstone only in a cleaning pass after its horizon,
    // which starts when the cleaning seen above ran: so the horizon has passed this long after it.)
    await letTimePass(DELETE_RETENTION_MS + 500, "the tombstone's delete horizon must pass before the next cleaning");
    await produce(
      topic,
      Array.from({ length: 9 }, (_, index) => `k${index + 1}:v4`),
    );
    await segmentMsPasses();
    await produce(topic, ['tail:y']);
    const round4 = Array.from({ length: 9 }, (_, index) => `${32 + index} k${index + 1}=v4`);
    // "31 tail=x" may stay: its newer value is in the active segment, which Kafka's offset map
    // does not cover (Fjord's does). Either way every key's latest value is there exactly once.
    const settled = (seen: string[]) => seen.filter((line) => line !== '31 tail=x');
    const final = await waitForContent(
      topic,
      'the second cleaning: round 4 and the tail, the tombstone gone',
      (seen) => JSON.stringify(settled(seen)) === JSON.stringify([...round4, '41 tail=y']),
    );
    assert.deepEqual(settled(final), [...round4, '41 tail=y']);
    assert.ok(!final.some((line) => / k0=/.test(line)), 'the tombstoned key is gone');
    // Compaction never moves the log start offset; the end offset is 42.
    const offsets = await admin.fetchTopicOffsets(topic);
    assert.deepEqual(
      offsets.map((o) => [o.low, o.high]),
      [['0', '42']],
    );
  },
);
