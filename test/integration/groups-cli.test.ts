// kafka-consumer-groups.sh (Apache Kafka's own tool) against a live and then an inactive classic
// consumer group: --list (with --state), --describe (offsets, log end offsets, lag per partition,
// consumer id / host / client id of the live member), --describe --members (--verbose), --describe
// --state, --reset-offsets (dry run, --to-earliest, --to-latest, --to-datetime, --shift-by, with
// clamping) --execute, and --delete. The live member is test/java/GroupConsumer.java, paused after
// committing so that the lag stays put while the tool looks at it. Every figure is asserted exactly.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs, { type Admin, type Producer } from 'kafkajs';
import { startBroker, type BrokerHandle } from '../harness/broker.js';
import { JavaConsumer } from '../harness/java-consumer.js';
import { ok, runTool, type RunResult } from '../harness/tools.js';

const { Kafka, logLevel } = kafkajs;
process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

let broker: BrokerHandle;
let admin: Admin;
let producer: Producer;

before(async () => {
  broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': '0' } });
  const kafka = new Kafka({ clientId: 'groups-cli', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
});

after(async () => {
  for (const c of JavaConsumer.all) c.kill();
  await producer?.disconnect().catch(() => undefined);
  await admin?.disconnect().catch(() => undefined);
  await broker?.stop();
});

// ---- the tool ----------------------------------------------------------------------------------

const TOPIC = 'cli-topic';
const GROUP = 'cli-group';
const OFFSETS_ONLY_GROUP = 'cli-offsets-only';
const lines = (s: string): string[] => s.split('\n').filter((l) => l.trim().length > 0);
const cols = (l: string): string[] => l.trim().split(/\s+/);

async function groups(args: readonly string[]): Promise<RunResult> {
  return ok(
    await runTool('kafka-consumer-groups.sh', ['--bootstrap-server', broker.bootstrap, ...args], { timeoutMs: 60_000 }),
    `kafka-consumer-groups.sh ${args.join(' ')}`,
  );
}

/** Table rows (split on whitespace) after the header line that starts with GROUP, sorted. */
function table(out: string, header: string[]): string[][] {
  const ls = lines(out);
  const h = ls.findIndex((l) => cols(l)[0] === 'GROUP');
  assert.ok(h >= 0, `no header in:\n${out}`);
  assert.deepEqual(cols(ls[h] ?? ''), header, `header of:\n${out}`);
  return ls
    .slice(h + 1)
    .map(cols)
    .sort((a, b) => a.join(' ').localeCompare(b.join(' ')));
}

const DESCRIBE_HEADER = ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'];
const RESET_HEADER = ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'];

async function describe(): Promise<{ rows: string[][]; stderr: string }> {
  const r = await groups(['--describe', '--group', GROUP]);
  return { rows: table(r.stdout, DESCRIBE_HEADER), stderr: r.stderr };
}

/** --reset-offsets ... --execute; asserts the printed NEW-OFFSET table and the committed offsets. */
async function reset(args: string[], expected: number[], execute = true): Promise<RunResult> {
  const before = await committed(GROUP);
  const r = await groups(['--reset-offsets', '--group', GROUP, ...args, ...(execute ? ['--execute'] : [])]);
  const touched = args.includes(`${TOPIC}:1`) ? [1] : [0, 1, 2];
  assert.deepEqual(
    table(r.stdout, RESET_HEADER),
    touched.map((p) => [GROUP, TOPIC, String(p), String(expected[p])]),
    `reset-offsets ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`,
  );
  assert.deepEqual(await committed(GROUP), execute ? expected : before, `committed offsets after reset-offsets ${args.join(' ')}`);
  return r;
}

async function committed(group: string): Promise<number[]> {
  const res = await admin.fetchOffsets({ groupId: group, topics: [TOPIC] });
  return [...(res[0]?.partitions ?? [])].sort((a, b) => a.partition - b.partition).map((x) => Number(x.offset));
}

// ---- the data ----------------------------------------------------------------------------------
// 30 records per partition with timestamps T0 + i*1000 + p*100, then (after the live consumer
// paused) 5 more on partition 0 and 7 on partition 1: log end offsets 35, 37, 30.

const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const END = [35, 37, 30];
const value = (p: number, i: number) => `cli-${p}-${i}`;
let member: JavaConsumer | undefined;

test(
  'kafka-consumer-groups.sh on a live group: --list, --describe with lag, --members, --state; reset and delete refused (needs group coordinator)',
  { timeout: 150_000 },
  async () => {
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    for (let p = 0; p < 3; p++) {
      await producer.send({
        topic: TOPIC,
        messages: Array.from({ length: 30 }, (_, i) => ({ partition: p, value: value(p, i), timestamp: String(T0 + i * 1000 + p * 100) })),
      });
    }
    // a second group that only has committed offsets (no member ever joined)
    await admin.setOffsets({ groupId: OFFSETS_ONLY_GROUP, topic: TOPIC, partitions: [{ partition: 0, offset: '3' }] });

    const c = await JavaConsumer.launch(broker.bootstrap, 'cli-client', TOPIC, GROUP, 'range');
    member = c;
    c.send('start');
    await c.waitFor('commits of all 90 records', () => {
      const co = c.committed();
      return [0, 1, 2].every((p) => co.get(p) === 30) ? true : undefined;
    });
    c.send('pause');
    await c.waitFor('PAUSED', () => (c.lines.includes('PAUSED') ? true : undefined));
    for (let p = 0; p < 3; p++) {
      const n = (END[p] ?? 0) - 30;
      if (n === 0) continue;
      await producer.send({ topic: TOPIC, messages: Array.from({ length: n }, (_, i) => ({ partition: p, value: value(p, 30 + i) })) });
    }
    const memberId = c.assignment()?.member ?? '';
    assert.match(memberId, /^cli-client-/);

    assert.deepEqual(lines((await groups(['--list'])).stdout).sort(), [GROUP, OFFSETS_ONLY_GROUP]);
    const listState = await groups(['--list', '--state']);
    assert.deepEqual(table(listState.stdout, ['GROUP', 'STATE']), [
      [GROUP, 'Stable'],
      [OFFSETS_ONLY_GROUP, 'Empty'],
    ]);

    const d = await describe();
    assert.deepEqual(d.rows, [
      [GROUP, TOPIC, '0', '30', '35', '5', memberId, '/127.0.0.1', 'cli-client'],
      [GROUP, TOPIC, '1', '30', '37', '7', memberId, '/127.0.0.1', 'cli-client'],
      [GROUP, TOPIC, '2', '30', '30', '0', memberId, '/127.0.0.1', 'cli-client'],
    ]);

    const members = await groups(['--describe', '--group', GROUP, '--members']);
    assert.deepEqual(table(members.stdout, ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS']), [
      [GROUP, memberId, '/127.0.0.1', 'cli-client', '3'],
    ]);
    const verbose = await groups(['--describe', '--group', GROUP, '--members', '--verbose']);
    const vrows = table(verbose.stdout, [
      'GROUP',
      'CONSUMER-ID',
      'HOST',
      'CLIENT-ID',
      '#PARTITIONS',
      'CURRENT-EPOCH',
      'CURRENT-ASSIGNMENT',
      'TARGET-EPOCH',
      'TARGET-ASSIGNMENT',
    ]);
    assert.deepEqual(vrows, [[GROUP, memberId, '/127.0.0.1', 'cli-client', '3', '-', `${TOPIC}:0,1,2`, '-', '-']]);

    const state = await groups(['--describe', '--group', GROUP, '--state']);
    const stateLines = lines(state.stdout);
    assert.deepEqual(cols(stateLines[0] ?? ''), ['GROUP', 'COORDINATOR', '(ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS']);
    assert.deepEqual(cols(stateLines[1] ?? ''), [GROUP, `${broker.bootstrap}`, '(1)', 'range', 'Stable', '1']);
    assert.equal(stateLines.length, 2);

    // an active group cannot be reset or deleted (the tool says so; it still exits 0)
    const refused = await groups(['--reset-offsets', '--group', GROUP, '--topic', TOPIC, '--to-earliest', '--execute']);
    assert.match(
      refused.stdout,
      new RegExp(`Assignments can only be reset if the group '${GROUP}' is inactive, but the current state is Stable\\.`),
    );
    assert.deepEqual(await committed(GROUP), [30, 30, 30]);
    const notDeleted = await groups(['--delete', '--group', GROUP]);
    assert.match(notDeleted.stdout, new RegExp(`Group '${GROUP}' could not be deleted due to: .*GroupNotEmptyException`));
    assert.deepEqual(lines((await groups(['--list'])).stdout).sort(), [GROUP, OFFSETS_ONLY_GROUP]);
  },
);

test(
  'kafka-consumer-groups.sh on an inactive group: --describe, --reset-offsets to-earliest/to-latest/to-datetime/shift-by --execute, consuming resumes there (needs group coordinator)',
  { timeout: 150_000 },
  async () => {
    assert.ok(member !== undefined, 'depends on the previous test case');
    await member.stop(); // LeaveGroup: the group is Empty now

    let d = await describe();
    assert.deepEqual(d.rows, [
      [GROUP, TOPIC, '0', '30', '35', '5', '-', '-', '-'],
      [GROUP, TOPIC, '1', '30', '37', '7', '-', '-', '-'],
      [GROUP, TOPIC, '2', '30', '30', '0', '-', '-', '-'],
    ]);
    assert.match(d.stderr, new RegExp(`Consumer group '${GROUP}' has no active members\\.`));
    const state = await groups(['--describe', '--group', GROUP, '--state']);
    assert.deepEqual(cols(lines(state.stdout)[1] ?? ''), [GROUP, `${broker.bootstrap}`, '(1)', '-', 'Empty', '0']);

    // without --execute: a dry run that changes nothing
    const dry = await reset(['--topic', TOPIC, '--to-earliest'], [0, 0, 0], false);
    assert.match(dry.stderr, /No action will be performed as the --execute option is missing/);

    await reset(['--topic', TOPIC, '--to-earliest'], [0, 0, 0]);
    await reset(['--all-topics', '--to-latest'], END);
    // the first record at or after T0 + 10150 ms: offset 11 on partitions 0 and 1, 10 on partition 2
    await reset(['--topic', TOPIC, '--to-datetime', new Date(T0 + 10_150).toISOString()], [11, 11, 10]);
    d = await describe();
    assert.deepEqual(d.rows, [
      [GROUP, TOPIC, '0', '11', '35', '24', '-', '-', '-'],
      [GROUP, TOPIC, '1', '11', '37', '26', '-', '-', '-'],
      [GROUP, TOPIC, '2', '10', '30', '20', '-', '-', '-'],
    ]);
    await reset(['--topic', TOPIC, '--shift-by', '-3'], [8, 8, 7]);

    // a member of the group starts exactly there
    const c = await JavaConsumer.launch(broker.bootstrap, 'cli-client-2', TOPIC, GROUP, 'range');
    c.send('start');
    await c.waitFor('commits up to the log end', () => {
      const co = c.committed();
      return [0, 1, 2].every((p) => co.get(p) === END[p]) ? true : undefined;
    });
    await c.stop();
    const got: string[][] = [[], [], []];
    for (const r of c.records()) got[r.p]?.push(`${r.o} ${r.value}`);
    const from = [8, 8, 7];
    assert.deepEqual(
      got,
      [0, 1, 2].map((p) =>
        Array.from({ length: (END[p] ?? 0) - (from[p] ?? 0) }, (_, j) => `${(from[p] ?? 0) + j} ${value(p, (from[p] ?? 0) + j)}`),
      ),
    );
    assert.deepEqual(await committed(GROUP), END);

    // shift-by is clamped to the log start and end offsets; a single partition can be named
    await reset(['--topic', `${TOPIC}:1`, '--shift-by', '-100'], [35, 0, 30]);
    await reset(['--topic', TOPIC, '--shift-by', '1000'], END);
  },
);

test(
  'kafka-consumer-groups.sh --delete: the group disappears; deleting an unknown group fails (needs group coordinator)',
  { timeout: 120_000 },
  async () => {
    const del = await groups(['--delete', '--group', GROUP]);
    assert.equal(del.stdout.trim(), `Deletion of requested consumer groups ('${GROUP}') was successful.`);
    assert.deepEqual(lines((await groups(['--list'])).stdout), [OFFSETS_ONLY_GROUP]);
    assert.deepEqual(await committed(GROUP), [-1, -1, -1], 'no committed offsets left');
    const gone = await runTool('kafka-consumer-groups.sh', ['--bootstrap-server', broker.bootstrap, '--describe', '--group', GROUP], {
      timeoutMs: 60_000,
    });
    assert.match(gone.stdout + gone.stderr, new RegExp(`GroupIdNotFoundException: Group ${GROUP} not found`));
    const unknown = await groups(['--delete', '--group', 'no-such-group']);
    assert.match(unknown.stdout, /Group 'no-such-group' could not be deleted due to: .*GroupIdNotFoundException/);
  },
);
