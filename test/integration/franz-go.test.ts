// franz-go (github.com/twmb/franz-go: kgo 1.22.3, kadm 1.20.0) against the broker, through the Go
// program in test/franz-go/ (fjord-franz-check), which prints one JSON document per run:
// kadm topic admin (create/list/describe/alter/delete), the default kgo producer (idempotent,
// acks=all) with every compression codec read back by a direct consumer, a consumer group of two
// kgo clients (classic protocol, cooperative-sticky by default), kadm ListOffsets and
// DeleteRecords, and producing to a topic that does not exist, with and without auto-creation.
// franz-go uses fetch sessions (a broker answering SessionId 0 turns them off) and separate
// connections per broker for produce, fetch and everything else.
//
// The program is built once per source content (and Go version) into
// <cache>/franz-go/<hash>/fjord-franz-check, with GOFLAGS=-mod=readonly and the default module
// cache, so go.mod/go.sum pin every module.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startBroker, type BrokerHandle } from '../harness/broker.js';
import { cacheDir, ok, repoRoot, run } from '../harness/tools.js';

let broker: BrokerHandle;
let bin: string;

/** Builds test/franz-go once per content of its sources and the Go version; returns the binary. */
async function franzCheckBinary(): Promise<string> {
  const src = join(repoRoot(), 'test', 'franz-go');
  const goVersion = ok(
    await run('go', ['version'], { timeoutMs: 60_000 }),
    'go version (Go is needed for the franz-go suite)',
  ).stdout.trim();
  const files = readdirSync(src)
    .filter((f) => f === 'go.mod' || f === 'go.sum' || f.endsWith('.go'))
    .sort();
  const hash = createHash('sha256');
  hash.update(goVersion);
  for (const f of files) {
    hash.update(`\0${f}\0`);
    hash.update(readFileSync(join(src, f)));
  }
  const dir = join(cacheDir(), 'franz-go', hash.digest('hex').slice(0, 16));
  const exe = join(dir, 'fjord-franz-check');
  if (existsSync(exe)) return exe;
  const tmp = `${dir}.tmp${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const env = {
    GOFLAGS: '-mod=readonly -buildvcs=false',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
  };
  const started = Date.now();
  ok(
    await run('go', ['build', '-trimpath', '-o', join(tmp, 'fjord-franz-check'), '.'], { cwd: src, env, timeoutMs: 15 * 60_000 }),
    'go build test/franz-go',
  );
  console.log(`built fjord-franz-check in ${Date.now() - started} ms (${goVersion}) into ${dir}`);
  try {
    renameSync(tmp, dir);
  } catch (e) {
    // another run built the same sources meanwhile
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(exe)) throw e;
  }
  return exe;
}

/** Runs one subcommand against the broker and returns its JSON document. */
async function franz<T>(sub: string, args: string[], timeoutMs = 120_000): Promise<T> {
  const r = ok(
    await run(bin, [sub, '-brokers', broker.bootstrap, '-timeout', `${Math.floor(timeoutMs / 1000) - 10}s`, ...args], { timeoutMs }),
    `fjord-franz-check ${sub} ${args.join(' ')}`,
  );
  if (r.stderr.trim() !== '') console.log(`fjord-franz-check ${sub} stderr:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

before(async () => {
  bin = await franzCheckBinary();
  broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': '0' } });
});

after(async () => {
  await broker?.stop();
});

// ---- kadm topic admin ----------------------------------------------------------------------

test('franz-go kadm: create topic (3 partitions), list, describe configs, alter configs, delete', async () => {
  const topic = 'franz-admin';
  const out = await franz<Record<string, unknown>>('admin', ['-topic', topic]);
  const cfg = (value: string, source: string) => ({ value, source });
  const defaults = {
    'cleanup.policy': cfg('delete', 'DEFAULT_CONFIG'),
    'max.message.bytes': cfg('1048588', 'DEFAULT_CONFIG'),
    'retention.ms': cfg('604800000', 'DEFAULT_CONFIG'),
    'segment.bytes': cfg('1073741824', 'DEFAULT_CONFIG'),
  };
  const partition = (p: number) => ({ partition: p, leader: 1, replicas: [1], isr: [1], err: '' });
  const afterState = {
    ...defaults,
    'cleanup.policy': cfg('compact', 'DYNAMIC_TOPIC_CONFIG'),
    'max.message.bytes': cfg('200000', 'DYNAMIC_TOPIC_CONFIG'),
  };
  assert.deepEqual(out, {
    create: { topic, err: '', numPartitions: 3, replicationFactor: 1, hasTopicId: true },
    createAgain: 'TOPIC_ALREADY_EXISTS',
    list: { listed: true, internal: false, sameTopicId: true, partitions: [0, 1, 2].map(partition), err: '' },
    // retention.ms was given at creation
    describeCreated: { ...defaults, 'retention.ms': cfg('3600000', 'DYNAMIC_TOPIC_CONFIG') },
    // IncrementalAlterConfigs: SET segment.bytes, DELETE retention.ms
    alterIncremental: [`${topic}:`],
    describeIncremental: { ...defaults, 'segment.bytes': cfg('1048576', 'DYNAMIC_TOPIC_CONFIG') },
    // AlterConfigs: the new set replaces all dynamic configs, so segment.bytes is back to its default
    alterState: [`${topic}:`],
    describeState: afterState,
    alterInvalid: [`${topic}:INVALID_CONFIG`],
    describeAfterInvalid: afterState,
    delete: '',
    goneAfterDelete: true,
    listAfterDelete: 'UNKNOWN_TOPIC_OR_PARTITION',
    deleteAgain: 'UNKNOWN_TOPIC_OR_PARTITION',
  });
});

// ---- kgo producer defaults, every codec, direct consumer -----------------------------------

interface ProduceOut {
  acked: number;
  errors: string[];
  partitions: number[][];
  problems: string[];
  apiKeys: number[];
  seconds: number;
}
interface ConsumeOut {
  records: number;
  partitions: number[][];
  problems: string[];
  codecs: number[];
  timestampTypes: number[];
  fetchErrors: string[];
  connections: number;
  apiKeys: number[];
  seconds: number;
}

const N = 20_000;
// franz-go's default partitioner hashes keys with murmur2 like Java's; key-00000 … key-19999 fall
// on partitions 0, 1, 2 this many times (checked against Apache Kafka)
const PER_PARTITION = [6728, 6598, 6674];
const CODEC_ID = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
  test(`franz-go kgo: default producer (idempotent, acks=all), ${N} records with keys and headers, compression ${codec}, read back by a direct consumer`, async (t) => {
    const topic = `franz-codec-${codec}`;
    const p = await franz<ProduceOut>('produce', ['-topic', topic, '-codec', codec, '-n', String(N), '-partitions', '3']);
    assert.deepEqual(p.errors, []);
    assert.deepEqual(p.problems, []);
    assert.equal(p.acked, N);
    // Produce, Metadata, ApiVersions, CreateTopics and InitProducerId: idempotent by default
    assert.deepEqual(p.apiKeys, [0, 3, 18, 19, 22]);
    assert.deepEqual(
      p.partitions.map((l) => l.length),
      PER_PARTITION,
    );
    // offsets are dense from 0 in every partition (checked by the program) and follow send order
    for (const [i, list] of p.partitions.entries()) {
      assert.ok(
        list.every((v, k) => k === 0 || v > list[k - 1]!),
        `partition ${i}: acked offsets do not follow the produce order`,
      );
    }
    assert.deepEqual(
      p.partitions.flat().sort((a, b) => a - b),
      Array.from({ length: N }, (_, i) => i),
    );

    const c = await franz<ConsumeOut>('consume', ['-topic', topic, '-codec', codec, '-n', String(N)]);
    t.diagnostic(`produce ${p.seconds.toFixed(2)} s, consume ${c.seconds.toFixed(2)} s`);
    // every key, value and header byte is checked by the program against record index
    assert.deepEqual(c.problems, []);
    assert.deepEqual(c.fetchErrors, []);
    assert.equal(c.records, N);
    // same records at the same offsets of the same partitions (and nothing more within 1.5 s)
    assert.deepEqual(c.partitions, p.partitions);
    assert.deepEqual(c.codecs, [CODEC_ID[codec]]);
    assert.deepEqual(c.timestampTypes, [0]);
    // ApiVersions, Metadata, ListOffsets (start offsets) and Fetch; nothing else
    assert.deepEqual(c.apiKeys, [1, 2, 3, 18]);
    // the seed connection, broker 1's connection for metadata and offsets, and a fetch connection
    assert.equal(c.connections, 3);
  });
}

// ---- consumer group ------------------------------------------------------------------------

interface MemberOut {
  clientId: string;
  owned: number[];
  consumedFrom: number[];
  consumed: number;
  events: string[];
  fetchErrors: string[];
  commitErr: string;
  described: number[];
}
interface GroupOut {
  members: MemberOut[];
  produced: number;
  endOffsets: number[];
  consumed: number;
  distinct: number;
  duplicates: string[];
  missing: number;
  orderProblems: string[];
  committed: number[];
  committedErrs: string[];
  groupState: string;
  protocolType: string;
  protocol: string;
  describedMembers: number;
  afterClose: Record<string, unknown>;
  timings: Record<string, number>;
}

test('franz-go consumer group: two kgo members share a 4-partition topic, every record once, commits visible to kadm', async (t) => {
  const n = 4000;
  const g = await franz<GroupOut>('group', ['-topic', 'franz-group', '-group', 'franz-group-1', '-n', String(n)]);
  t.diagnostic(`timings ${JSON.stringify(g.timings)}`);
  const [m0, m1] = g.members;
  assert.ok(m0 !== undefined && m1 !== undefined && g.members.length === 2);
  // member 0 joined alone and got everything; when member 1 joined, member 0 gave up two
  // partitions (cooperative-sticky: revoke first, then they are assigned in a second rebalance)
  assert.equal(m0.events.length, 2, `member 0 events: ${JSON.stringify(m0.events)}`);
  assert.equal(m0.events[0], 'assigned [0 1 2 3]');
  const moved = m1.owned;
  assert.equal(moved.length, 2);
  assert.deepEqual(m0.events[1], `revoked [${moved.join(' ')}]`);
  assert.deepEqual(m1.events, [`assigned [${moved.join(' ')}]`]);
  assert.deepEqual(
    m0.owned,
    [0, 1, 2, 3].filter((p) => !moved.includes(p)),
  );
  for (const m of g.members) {
    assert.deepEqual(m.fetchErrors, [], m.clientId);
    assert.equal(m.commitErr, '', m.clientId);
    // each member read from exactly the partitions it owns, 1000 records each, in offset order
    assert.deepEqual(m.consumedFrom, m.owned, m.clientId);
    assert.equal(m.consumed, 2000, m.clientId);
    // DescribeGroups shows the same assignment
    assert.deepEqual(m.described, m.owned, m.clientId);
  }
  assert.deepEqual(g.orderProblems, []);
  assert.equal(g.produced, n);
  assert.deepEqual(g.endOffsets, [1000, 1000, 1000, 1000]);
  // exactly once: n records consumed, n distinct, none missing
  assert.equal(g.consumed, n);
  assert.equal(g.distinct, n);
  assert.deepEqual(g.duplicates, []);
  assert.equal(g.missing, 0);
  // commits (CommitUncommittedOffsets of both members) read back with kadm FetchOffsets
  assert.deepEqual(g.committed, [1000, 1000, 1000, 1000]);
  assert.deepEqual(g.committedErrs, []);
  assert.equal(g.groupState, 'Stable');
  assert.equal(g.protocolType, 'consumer');
  assert.equal(g.protocol, 'cooperative-sticky');
  assert.equal(g.describedMembers, 2);
  // both members closed (LeaveGroup): the group is empty, the commits stay, no lag
  assert.deepEqual(g.afterClose, { state: 'Empty', members: 0, committed: [1000, 1000, 1000, 1000], committedErrs: [], totalLag: 0 });
});

// ---- kadm ListOffsets ----------------------------------------------------------------------

test('franz-go kadm ListOffsets: start, end, by timestamp, max timestamp, after DeleteRecords', async () => {
  // 10 records in each of 2 partitions, record i at base + i s (base = one hour ago); then
  // DeleteRecords moves partition 0's start to 3. Timestamps are relative to base (-1: none).
  const out = await franz<Record<string, unknown>>('offsets', ['-topic', 'franz-offsets']);
  const lo = (offset: number, timestamp = -1, err = '') => ({ offset, timestamp, leaderEpoch: 0, err });
  const both = (a: ReturnType<typeof lo>, b = a) => ({ '0': a, '1': b });
  assert.deepEqual(out, {
    start: both(lo(0)),
    end: both(lo(10)),
    deleteRecords: { lowWatermark: 3, err: '' },
    startAfterDelete: both(lo(3), lo(0)),
    after_before: both(lo(3, 3000), lo(0, 0)),
    after_atBase: both(lo(3, 3000), lo(0, 0)),
    after_between2and3: both(lo(3, 3000)),
    after_at7: both(lo(7, 7000)),
    after_atLast: both(lo(9, 9000)),
    // nothing at or after: kadm asks again for the end offsets
    after_afterLast: both(lo(10)),
    after_farFuture: both(lo(10)),
    maxTimestamp: both(lo(9, 9000)),
    missingTopic: { '-1': lo(0, -1, 'UNKNOWN_TOPIC_OR_PARTITION') },
  });
});

// ---- auto-creation -------------------------------------------------------------------------

test('franz-go: producing to a missing topic creates it with AllowAutoTopicCreation, and only then', async (t) => {
  const topic = 'franz-auto-created';
  const out = await franz<Record<string, unknown>>('autocreate', ['-topic', topic, '-missing', 'franz-never-created']);
  const seconds = out['missingSeconds'];
  assert.equal(typeof seconds, 'number');
  t.diagnostic(`the failing produce took ${String(seconds)} s`);
  delete out['missingSeconds'];
  const cfg = (value: string) => ({ value, source: 'DEFAULT_CONFIG' });
  assert.deepEqual(out, {
    // default client: Metadata asks without auto-creation, the record fails after retries
    missingProduceErr: 'UNKNOWN_TOPIC_OR_PARTITION',
    missingListed: 'UNKNOWN_TOPIC_OR_PARTITION',
    // AllowAutoTopicCreation: one partition (num.partitions) and default configs
    acked: ['0/0', '0/1', '0/2', '0/3', '0/4'],
    created: { err: '', partitions: 1 },
    configs: {
      'cleanup.policy': cfg('delete'),
      'max.message.bytes': cfg('1048588'),
      'retention.ms': cfg('604800000'),
      'segment.bytes': cfg('1073741824'),
    },
    consumed: ['0/0 a0=auto-0', '0/1 a1=auto-1', '0/2 a2=auto-2', '0/3 a3=auto-3', '0/4 a4=auto-4'],
  });
});
