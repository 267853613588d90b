// Apache Kafka's own command-line tools (the JVM ones, from Maven Central) against the broker:
// kafka-topics.sh, kafka-configs.sh, kafka-get-offsets.sh, kafka-console-producer.sh,
// kafka-console-consumer.sh (group-less reads; groups are in groups-*.test.ts). Exact output.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBroker, type BrokerHandle } from '../harness/broker.js';
import { ok, runTool, type RunOptions, type RunResult } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

let broker: BrokerHandle;

before(async () => {
  broker = await startBroker();
});

after(async () => {
  await broker?.stop();
});

function tool(name: string, args: readonly string[], opts?: RunOptions): Promise<RunResult> {
  return runTool(name, ['--bootstrap-server', broker.bootstrap, ...args], { timeoutMs: 60_000, ...opts });
}

async function okTool(name: string, args: readonly string[], opts?: RunOptions): Promise<RunResult> {
  return ok(await tool(name, args, opts), `${name} ${args.join(' ')}`);
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l.length > 0);

interface Described {
  header: Record<string, string>;
  partitions: Array<Record<string, string>>;
}

/** Parses kafka-topics.sh --describe output for one topic ("Key: value" fields, tab-separated). */
function parseDescribe(out: string, topic: string): Described {
  const fields = (line: string): Record<string, string> => {
    const rec: Record<string, string> = {};
    for (const part of line.trim().split('\t')) {
      const i = part.indexOf(':');
      if (i > 0) rec[part.slice(0, i).trim()] = part.slice(i + 1).trim();
    }
    return rec;
  };
  const ls = lines(out);
  const headerLine = ls.find((l) => l.startsWith(`Topic: ${topic}\t`));
  assert.ok(headerLine !== undefined, `no topic header line in:\n${out}`);
  const partitions = ls.filter((l) => l.startsWith('\t') || l.startsWith(' ')).map(fields);
  return { header: fields(headerLine), partitions };
}

async function topicList(): Promise<string[]> {
  return lines((await okTool('kafka-topics.sh', ['--list'])).stdout).sort();
}

async function describe(topic: string): Promise<Described> {
  return parseDescribe((await okTool('kafka-topics.sh', ['--describe', '--topic', topic])).stdout, topic);
}

function assertPartitions(d: Described, topic: string, count: number): void {
  assert.equal(d.header['Topic'], topic);
  assert.equal(d.header['PartitionCount'], String(count));
  assert.equal(d.header['ReplicationFactor'], '1');
  assert.match(d.header['TopicId'] ?? '', /^[A-Za-z0-9_-]{22}$/);
  assert.deepEqual(
    d.partitions.map((p) => p['Partition']),
    Array.from({ length: count }, (_, i) => String(i)),
  );
  for (const p of d.partitions) {
    assert.equal(p['Topic'], topic);
    assert.equal(p['Leader'], '1', `leader of partition ${String(p['Partition'])}`);
    assert.equal(p['Replicas'], '1');
    assert.equal(p['Isr'], '1');
  }
}

/** kafka-get-offsets.sh output "topic:partition:offset" lines -> offsets by partition. */
async function offsets(topic: string, time: 'latest' | 'earliest' = 'latest'): Promise<number[]> {
  const out = (await okTool('kafka-get-offsets.sh', ['--topic', topic, '--time', time === 'latest' ? '-1' : '-2'])).stdout;
  const res: number[] = [];
  for (const l of lines(out)) {
    const m = /^(.+):(\d+):(-?\d+)$/.exec(l);
    assert.ok(m !== null, `unexpected kafka-get-offsets.sh line: ${l}`);
    assert.equal(m[1], topic);
    res[Number(m[2])] = Number(m[3]);
  }
  return res;
}

test('kafka-topics.sh: create, list, describe, alter partitions, delete', async () => {
  const topic = 'my-first-topic';
  const created = await okTool('kafka-topics.sh', ['--create', '--topic', topic, '--partitions', '3', '--replication-factor', '1']);
  assert.equal(created.stdout.trim(), `Created topic ${topic}.`);

  assert.ok((await topicList()).includes(topic));

  const d1 = await describe(topic);
  assertPartitions(d1, topic, 3);
  const topicId = d1.header['TopicId'];

  // creating it again fails with a clear error
  const again = await tool('kafka-topics.sh', ['--create', '--topic', topic, '--partitions', '3', '--replication-factor', '1']);
  assert.notEqual(again.code, 0);
  assert.match(again.stdout + again.stderr, /already exists/);

  await okTool('kafka-topics.sh', ['--alter', '--topic', topic, '--partitions', '6']);
  const d2 = await describe(topic);
  assertPartitions(d2, topic, 6);
  assert.equal(d2.header['TopicId'], topicId, 'topic id must not change on alter');

  // fewer partitions is refused
  const shrink = await tool('kafka-topics.sh', ['--alter', '--topic', topic, '--partitions', '2']);
  assert.notEqual(shrink.code, 0);
  assert.equal((await describe(topic)).header['PartitionCount'], '6');

  await okTool('kafka-topics.sh', ['--delete', '--topic', topic]);
  await waitFor(`${topic} to leave kafka-topics.sh --list after --delete`, async () => !(await topicList()).includes(topic), {
    intervalMs: 500,
  });
  const gone = await tool('kafka-topics.sh', ['--describe', '--topic', topic]);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stdout + gone.stderr, /does not exist/);
});

test('kafka-configs.sh: describe, add, delete and reject topic configs', async () => {
  const topic = 'configs-topic';
  await okTool('kafka-topics.sh', ['--create', '--topic', topic, '--partitions', '1', '--replication-factor', '1']);
  const desc = async () =>
    lines((await okTool('kafka-configs.sh', ['--entity-type', 'topics', '--entity-name', topic, '--describe'])).stdout);

  assert.deepEqual(await desc(), [`Dynamic configs for topic ${topic} are:`]);

  const altered = await okTool('kafka-configs.sh', [
    '--entity-type',
    'topics',
    '--entity-name',
    topic,
    '--alter',
    '--add-config',
    'retention.ms=86400000,max.message.bytes=2000000',
  ]);
  assert.equal(altered.stdout.trim(), `Completed updating config for topic ${topic}.`);
  assert.deepEqual(await desc(), [
    `Dynamic configs for topic ${topic} are:`,
    '  max.message.bytes=2000000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:max.message.bytes=2000000, DEFAULT_CONFIG:message.max.bytes=1048588}',
    '  retention.ms=86400000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=86400000}',
  ]);

  // kafka-topics.sh --describe shows the topic's configs too
  const d = await describe(topic);
  const cfg = (d.header['Configs'] ?? '').split(',');
  assert.ok(cfg.includes('retention.ms=86400000'), `Configs: ${String(d.header['Configs'])}`);
  assert.ok(cfg.includes('max.message.bytes=2000000'), `Configs: ${String(d.header['Configs'])}`);

  await okTool('kafka-configs.sh', ['--entity-type', 'topics', '--entity-name', topic, '--alter', '--delete-config', 'max.message.bytes']);
  assert.deepEqual(await desc(), [
    `Dynamic configs for topic ${topic} are:`,
    '  retention.ms=86400000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=86400000}',
  ]);

  const bad = await tool('kafka-configs.sh', [
    '--entity-type',
    'topics',
    '--entity-name',
    topic,
    '--alter',
    '--add-config',
    'retention.ms=abc',
  ]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stdout + bad.stderr, /InvalidConfigurationException/);
  assert.equal((await desc()).length, 2, 'a rejected alter must change nothing');
});

const N_LINES = 200;
const keyedLines = Array.from({ length: N_LINES }, (_, i) => `key-${i}|line ${i}: ${'xyz'.repeat(i % 7)} ünïcödé ✓`);

test('console producer/consumer: keyed lines on one partition, read by --partition/--offset', async () => {
  const topic = 'console-lines';
  await okTool('kafka-topics.sh', ['--create', '--topic', topic, '--partitions', '1', '--replication-factor', '1']);
  // Kafka 4.4 deprecates --property (and prints so on stdout): --reader-property / --formatter-property
  await okTool(
    'kafka-console-producer.sh',
    ['--topic', topic, '--reader-property', 'parse.key=true', '--reader-property', 'key.separator=|'],
    {
      input: keyedLines.join('\n') + '\n',
    },
  );
  assert.deepEqual(await offsets(topic), [N_LINES]);
  assert.deepEqual(await offsets(topic, 'earliest'), [0]);

  const all = await okTool('kafka-console-consumer.sh', [
    '--topic',
    topic,
    '--partition',
    '0',
    '--offset',
    '0',
    '--max-messages',
    String(N_LINES),
    '--timeout-ms',
    '30000',
    '--formatter-property',
    'print.key=true',
    '--formatter-property',
    'key.separator=|',
  ]);
  assert.deepEqual(lines(all.stdout), keyedLines);

  const tail = await okTool('kafka-console-consumer.sh', [
    '--topic',
    topic,
    '--partition',
    '0',
    '--offset',
    '150',
    '--max-messages',
    '50',
    '--timeout-ms',
    '30000',
    '--formatter-property',
    'print.offset=true',
  ]);
  assert.deepEqual(
    lines(tail.stdout),
    keyedLines.slice(150).map((l, j) => `Offset:${150 + j}\t${l.slice(l.indexOf('|') + 1)}`),
  );
});

test('console producer/consumer: unkeyed lines over 3 partitions, each partition read back', async () => {
  const topic = 'console-spread';
  const input = Array.from({ length: 300 }, (_, i) => `spread-${i}`);
  await okTool('kafka-topics.sh', ['--create', '--topic', topic, '--partitions', '3', '--replication-factor', '1']);
  // small batches so the sticky partitioner moves between partitions
  await okTool('kafka-console-producer.sh', ['--topic', topic, '--batch-size', '10', '--producer-property', 'batch.size=200'], {
    input: input.join('\n') + '\n',
  });
  const ends = await offsets(topic);
  assert.equal(ends.length, 3);
  assert.equal(
    ends.reduce((a, b) => a + b, 0),
    input.length,
  );
  const seen: string[] = [];
  for (let p = 0; p < 3; p++) {
    const count = ends[p] ?? 0;
    if (count === 0) continue;
    const r = await okTool('kafka-console-consumer.sh', [
      '--topic',
      topic,
      '--partition',
      String(p),
      '--offset',
      '0',
      '--max-messages',
      String(count),
      '--timeout-ms',
      '30000',
    ]);
    const got = lines(r.stdout);
    assert.equal(got.length, count, `partition ${p}`);
    // per-partition order is send order
    const idx = got.map((l) => input.indexOf(l));
    assert.ok(!idx.includes(-1), `unknown line in partition ${p}: ${got.join(',')}`);
    assert.deepEqual(
      idx,
      [...idx].sort((a, b) => a - b),
      `partition ${p} out of order`,
    );
    seen.push(...got);
  }
  assert.deepEqual(seen.sort(), [...input].sort());
});
