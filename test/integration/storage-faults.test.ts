// Faults of the data directory, as an operator meets them: a second broker on the same
// log.dirs, a directory of another node or cluster, a damaged or deleted topic metadata file, a
// log that recovery must cut, and a full disk. Each must be refused or survived with a message
// that names the file and what to do, and must never lose acknowledged data.
// The lock test also runs against Apache Kafka (FJORD_TEST_TARGET=kafka); the others check
// Fjord's own files. The full-disk test mounts a small tmpfs and so needs root (it fails, not
// skips, without it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import kafkajs from 'kafkajs';
import { AdminClient } from '../../broker/src/client/admin-client.js';
import { ErrorCode } from '../../broker/src/protocol/error-codes.js';
import { defaultTarget, freePort, startBroker, type BrokerHandle, type StartOptions } from '../harness/broker.js';
import { fillUp, mountTmpfs } from '../harness/tmpfs.js';
import { fjordCommand, kcat, ok } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

const { Kafka, logLevel } = kafkajs;

const fjordOnly = { skip: defaultTarget() === 'kafka' ? "Fjord's data directory files" : false };
const brokers: BrokerHandle[] = [];
const dirs: string[] = [];

after(async () => {
  for (const broker of brokers) await broker.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-storage-faults-'));
  dirs.push(dir);
  return dir;
}

async function start(options: StartOptions): Promise<BrokerHandle> {
  const broker = await startBroker(options);
  brokers.push(broker);
  return broker;
}

/** Starts a broker that must refuse to start; returns what it printed (in the harness's error). */
async function startRefused(options: StartOptions): Promise<string> {
  try {
    const broker = await startBroker({ ...options, startTimeoutMs: 60_000 });
    brokers.push(broker);
  } catch (error) {
    const message = (error as Error).message;
    assert.match(message, /exited before it was ready/, message);
    return message;
  }
  assert.fail('the broker started');
}

function kafkaFor(broker: BrokerHandle, retries = 5) {
  return new Kafka({ clientId: 'storage-faults', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries } });
}

async function createTopic(broker: BrokerHandle, topic: string, partitions = 1): Promise<void> {
  const admin = kafkaFor(broker).admin();
  await admin.connect();
  try {
    assert.equal(
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true }),
      true,
    );
  } finally {
    await admin.disconnect();
  }
}

/** Produces `count` records `v<first>..` to partition 0, `perBatch` per request (one batch each), acks=all. */
async function produce(broker: BrokerHandle, topic: string, count: number, first = 0, perBatch = 100): Promise<void> {
  const producer = kafkaFor(broker).producer();
  await producer.connect();
  try {
    for (let start = 0; start < count; start += perBatch) {
      const n = Math.min(perBatch, count - start);
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: n }, (_, i) => ({ partition: 0, value: `v${first + start + i}` })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Every record of partition 0 as "offset value". */
async function consume(broker: BrokerHandle, topic: string): Promise<string[]> {
  const r = ok(
    await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %s\n'], {
      timeoutMs: 60_000,
    }),
    `kcat -C ${topic}`,
  );
  return r.stdout.split('\n').filter((line) => line.length > 0);
}

function expectedRecords(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${i} v${i}`);
}

/** `fjord <args>` to completion. */
function fjord(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const [command, commandArgs] = fjordCommand(args);
  const r = spawnSync(command, commandArgs, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The JSON fields of the last broker log line containing `message`, or null. */
function logFields(logs: string, level: string, message: string): Record<string, unknown> | null {
  const lines = logs.split('\n').filter((line) => line.includes(` ${level} ${message}`));
  const last = lines.at(-1);
  if (last === undefined) return null;
  const at = last.indexOf(' {');
  return at < 0 ? {} : (JSON.parse(last.slice(at + 1)) as Record<string, unknown>);
}

/**
 * Waits for a broker log line: it comes through the broker's stdout while the outcome that caused
 * it (a response, readiness) comes through a socket, and the two channels keep no order.
 */
function logLine(broker: BrokerHandle, level: string, message: string): Promise<Record<string, unknown>> {
  return waitFor(`the broker to log ${level} '${message}'`, () => logFields(broker.logs(), level, message), {
    diagnostics: () => broker.logs().slice(-3000),
  });
}

test('a second broker on the same data directory refuses to start; after kill -9 the next start takes the lock', async () => {
  const dataDir = newDataDir();
  const first = await start({ dataDir });
  await createTopic(first, 'locked');
  await produce(first, 'locked', 100);
  const refusal = await startRefused({ dataDir });
  if (first.target === 'kafka') {
    assert.match(refusal, /Failed to acquire lock on file \.lock/);
  } else {
    assert.match(refusal, new RegExp(`${dataDir}/\\.lock: the data directory is in use by another broker \\(pid ${first.pid} `));
    assert.match(refusal, /Stop that broker first, or give this one another log\.dirs/);
  }
  assert.deepEqual(await consume(first, 'locked'), expectedRecords(100));
  // A crash leaves the lock file behind: the next start must not be blocked by it.
  await first.kill9();
  if (first.target === 'fjord') assert.ok(existsSync(join(dataDir, '.lock')), 'kill -9 left no .lock to take over');
  await first.restart();
  assert.deepEqual(await consume(first, 'locked'), expectedRecords(100));
});

test('meta.properties: another node or cluster is refused; data without meta.properties waits for fjord format', fjordOnly, async () => {
  const dataDir = newDataDir();
  const broker = await start({ dataDir });
  await createTopic(broker, 'formatted');
  await produce(broker, 'formatted', 10);
  await broker.stop();
  const metaPath = join(dataDir, 'meta.properties');
  const meta = readFileSync(metaPath, 'utf8');
  const clusterId = /^cluster\.id=(.+)$/m.exec(meta)?.[1];
  assert.ok(clusterId !== undefined, meta);

  assert.match(
    await startRefused({ dataDir, config: { 'node.id': '2' } }),
    new RegExp(`${metaPath}: the data directory belongs to node\\.id 1, but this broker has node\\.id 2`),
  );
  assert.match(
    await startRefused({ dataDir, config: { 'cluster.id': 'AnotherClusterIdAAAAAA' } }),
    new RegExp(`${metaPath}: the data directory belongs to cluster ${clusterId}, but this broker has cluster\\.id AnotherClusterIdAAAAAA`),
  );

  rmSync(metaPath);
  const missing = await startRefused({ dataDir });
  assert.match(missing, new RegExp(`${metaPath}: missing, but the data directory holds broker data`));
  assert.match(missing, /fjord format --config <server\.properties> --cluster-id <id>/);
  assert.ok(!existsSync(metaPath), 'a refused start wrote meta.properties');

  const formatArgs = ['format', '--override', `log.dirs=${dataDir}`, '--override', 'node.id=1', '--cluster-id', clusterId];
  const formatted = fjord(formatArgs);
  assert.equal(formatted.code, 0, formatted.stderr);
  assert.match(formatted.stdout, new RegExp(`Formatting ${dataDir} with cluster\\.id ${clusterId} and node\\.id 1`));
  const again = fjord(formatArgs);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /is already formatted .*--ignore-formatted/);
  assert.equal(fjord([...formatArgs, '--ignore-formatted']).code, 0);

  const restarted = await start({ dataDir });
  await waitFor(`the start-up line to name cluster id ${clusterId}`, () => restarted.logs().includes(`"clusterId":"${clusterId}"`), {
    diagnostics: () => restarted.logs().slice(-3000),
  });
  assert.deepEqual(await consume(restarted, 'formatted'), expectedRecords(10));
  // Never under a running broker.
  const underBroker = fjord([...formatArgs, '--ignore-formatted']);
  assert.equal(underBroker.code, 1);
  assert.match(underBroker.stderr, /\.lock: the data directory is in use by another broker/);
});

test('a damaged fjord-topics.json stops the start, naming the file and what to do', fjordOnly, async () => {
  const dataDir = newDataDir();
  const broker = await start({ dataDir });
  await createTopic(broker, 'damaged');
  await produce(broker, 'damaged', 10);
  await broker.stop();
  const path = join(dataDir, 'fjord-topics.json');
  const original = readFileSync(path);
  writeFileSync(path, original.subarray(0, Math.floor(original.length / 2)));
  const refusal = await startRefused({ dataDir });
  assert.match(refusal, new RegExp(`${path}: damaged topic metadata: not JSON`));
  assert.match(refusal, /Restore it from a backup, or move it away/);
  writeFileSync(path, original);
  const restored = await start({ dataDir });
  assert.deepEqual(await consume(restored, 'damaged'), expectedRecords(10));
});

test(
  'deleting fjord-topics.json loses nothing: partitions are kept aside as -stray and the documented recovery brings them back',
  fjordOnly,
  async () => {
    const dataDir = newDataDir();
    const topic = 'precious';
    let broker = await start({ dataDir });
    await createTopic(broker, topic);
    await produce(broker, topic, 1000);
    const kafka = kafkaFor(broker);
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({ groupId: 'readers', topic, partitions: [{ partition: 0, offset: '700' }] });
    await admin.disconnect();
    await broker.stop();
    const segment = join(dataDir, `${topic}-0`, '00000000000000000000.log');
    const segmentBytes = statSync(segment).size;

    rmSync(join(dataDir, 'fjord-topics.json'));
    broker = await start({ dataDir });
    const summary = await logLine(broker, 'WARN', 'no topic metadata');
    assert.equal(summary['strayDirectories'], 51);
    assert.match(
      broker.logs(),
      new RegExp(`WARN partition directory not in the topic metadata: kept aside as stray .*"dir":"${dataDir}/${topic}-0"`),
    );
    const strays = readdirSync(dataDir).filter((name) => name.endsWith('-stray'));
    const topicStray = strays.find((name) => name.startsWith(`${topic}-0.`));
    assert.ok(topicStray !== undefined, `no stray directory of ${topic}-0 in ${strays.join(', ')}`);
    assert.equal(strays.filter((name) => name.startsWith('__consumer_offsets-')).length, 50);
    // The next produce creates a new, empty partition: the old log is untouched beside it.
    await produce(broker, topic, 1, 5000);
    assert.deepEqual(await consume(broker, topic), ['0 v5000']);
    assert.equal(statSync(join(dataDir, topicStray, '00000000000000000000.log')).size, segmentBytes);
    await broker.stop();

    // docs/storage.md, "Stray partition directories": the topic exists again (here: auto-created
    // with 1 partition, like the original); with the broker stopped, each stray directory replaces
    // the new one and loses its partition.metadata (the topic id changed), then the broker starts.
    for (const stray of strays) {
      const live = stray.slice(0, stray.lastIndexOf('.'));
      rmSync(join(dataDir, live), { recursive: true, force: true });
      renameSync(join(dataDir, stray), join(dataDir, live));
      rmSync(join(dataDir, live, 'partition.metadata'));
    }
    broker = await start({ dataDir });
    assert.deepEqual(await consume(broker, topic), expectedRecords(1000));
    const reader = kafkaFor(broker).admin();
    await reader.connect();
    const committed = await reader.fetchOffsets({ groupId: 'readers', topics: [topic] });
    await reader.disconnect();
    assert.deepEqual(
      committed.flatMap((t) => t.partitions.map((p) => [t.topic, p.partition, p.offset])),
      [[topic, 0, '700']],
    );
  },
);

test('recovery that cuts a log warns with partition, offset and reason, and counts it in /metrics', fjordOnly, async () => {
  const dataDir = newDataDir();
  const httpPort = await freePort();
  const broker = await start({ dataDir, config: { 'fjord.http.port': String(httpPort), 'fjord.http.host': '127.0.0.1' } });
  const topic = 'cut';
  await createTopic(broker, topic);
  await produce(broker, topic, 20, 0, 10);
  await broker.kill9();
  // The last byte belongs to the second batch (offsets 10-19): its CRC no longer matches.
  const segment = join(dataDir, `${topic}-0`, '00000000000000000000.log');
  const bytes = readFileSync(segment);
  bytes[bytes.length - 1] ^= 0xff;
  writeFileSync(segment, bytes);
  await broker.restart();
  const warning = await logLine(broker, 'WARN', 'recovery truncated a partition log');
  assert.equal(warning['partition'], `${topic}-0`);
  assert.equal(warning['segment'], segment);
  assert.equal(warning['offset'], 10);
  assert.equal(warning['reason'], 'crc mismatch');
  const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  assert.match(metrics, /^fjord_log_recovery_truncations_total 1$/m);
  assert.deepEqual(await consume(broker, topic), expectedRecords(10));
});

/** Whether `error` (or what it wraps) is Kafka's KAFKA_STORAGE_ERROR. */
function isStorageError(error: unknown): boolean {
  for (let e = error as { type?: unknown; cause?: unknown; message?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.type === 'KAFKA_STORAGE_ERROR') return true;
  }
  return false;
}

test(
  'full disk: KAFKA_STORAGE_ERROR, logged with partition and file; writable again once space is freed; CreateTopics leaves nothing behind',
  fjordOnly,
  async () => {
    const tmpfs = mountTmpfs(4 * 1024 * 1024);
    try {
      const dataDir = join(tmpfs.dir, 'data');
      const broker = await start({ dataDir, config: { 'offsets.topic.num.partitions': '1' } });
      const topic = 'full';
      await createTopic(broker, topic);
      await produce(broker, topic, 10);
      const ballast = join(tmpfs.dir, 'ballast');
      fillUp(ballast);

      // Larger than a page: it cannot fit in the partly used last page of the segment.
      const big = { partition: 0, value: Buffer.alloc(64 * 1024, 1) };
      const producer = kafkaFor(broker, 0).producer();
      await producer.connect();
      await assert.rejects(producer.send({ topic, acks: -1, messages: [big] }), (error: unknown) => {
        assert.ok(isStorageError(error), String(error));
        return true;
      });
      await producer.disconnect();
      const failed = await logLine(broker, 'ERROR', 'partition log failed');
      assert.equal(failed['partition'], `${topic}-0`);
      assert.equal(failed['path'], join(dataDir, `${topic}-0`, '00000000000000000000.log'));
      assert.match(String(failed['error']), /ENOSPC/);

      const client = await AdminClient.connect(broker.bootstrap);
      try {
        const created = await client.createTopic({ name: 'more', partitions: 3 });
        assert.equal(created.errorCode, ErrorCode.KAFKA_STORAGE_ERROR, JSON.stringify(created));
        assert.match(created.errorMessage ?? '', /ENOSPC/);
      } finally {
        client.close();
      }
      assert.deepEqual(
        readdirSync(dataDir).filter((name) => name.startsWith('more')),
        [],
      );

      rmSync(ballast);
      await waitFor(
        'a produce to succeed once space is freed (no restart)',
        async () => {
          const retrying = kafkaFor(broker, 0).producer();
          await retrying.connect();
          try {
            const [result] = await retrying.send({ topic, acks: -1, messages: [{ partition: 0, value: 'v10' }] });
            return result;
          } finally {
            await retrying.disconnect();
          }
        },
        { diagnostics: () => broker.logs().slice(-3000) },
      );
      await logLine(broker, 'INFO', 'partition log writable again');
      assert.deepEqual(await consume(broker, topic), expectedRecords(11));

      await broker.restart();
      assert.deepEqual(
        readdirSync(dataDir).filter((name) => name.startsWith('more') || name.endsWith('-stray')),
        [],
      );
      assert.deepEqual(await consume(broker, topic), expectedRecords(11));
      await broker.stop();
    } finally {
      tmpfs.unmount();
    }
  },
);
