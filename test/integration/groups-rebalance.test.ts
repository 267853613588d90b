// Consumer-group rebalancing with the official Java client (kafka-clients, classic group
// protocol): four JVMs running test/java/GroupConsumer.java join one group on a 6-partition topic
// while a kafkajs producer keeps writing. The group goes through: c1 alone -> c2 and c3 join ->
// c2 is killed with SIGKILL (no LeaveGroup; evicted after session.timeout.ms) -> c1 leaves
// cleanly (LeaveGroup) -> c4 joins. After each step the group must settle with every partition
// owned by exactly one live member. c1's session timeout is longer than any wait of the test, so
// the rebalance after its LeaveGroup cannot be an eviction. Every produced record is processed at least once; a record
// is processed twice only if the killed consumer printed it without having committed it.
// Runs once with the eager RangeAssignor and once with the CooperativeStickyAssignor.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs, { type Admin, type Producer } from 'kafkajs';
import { startBroker, type BrokerHandle } from '../harness/broker.js';
import { JavaConsumer, type Assignment } from '../harness/java-consumer.js';
import { ok, runTool } from '../harness/tools.js';
import { letTimePass, waitFor, WAIT_MS_DEFAULT } from '../harness/wait.js';

const { Kafka, logLevel } = kafkajs;
process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

const PARTITIONS = 6;
const ALL = Array.from({ length: PARTITIONS }, (_, i) => i);
/**
 * c1's session.timeout.ms: longer than the wait for the group to settle after c1 leaves, so only
 * its LeaveGroup can end its membership in time (an eviction would come after the deadline).
 */
const C1_SESSION_TIMEOUT_MS = 4 * WAIT_MS_DEFAULT;

let broker: BrokerHandle;
let admin: Admin;
let producer: Producer;

before(async () => {
  broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': '0' } });
  const kafka = new Kafka({ clientId: 'groups-rebalance', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
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

// ---- the scenario ------------------------------------------------------------------------------

/**
 * Waits until the given live consumers report the same generation, each `sizes[i]` partitions,
 * disjoint, together all partitions. Returns their assignments.
 */
async function settled(consumers: JavaConsumer[], sizes: number[]): Promise<Assignment[]> {
  return waitFor(
    `group to settle on ${consumers.map((c, i) => `${c.name}:${sizes[i]}`).join(' ')}`,
    () => {
      const as = consumers.map((c) => c.assignment());
      if (as.some((a) => a === undefined)) return undefined;
      const got = as as Assignment[];
      if (new Set(got.map((a) => a.gen)).size !== 1 || (got[0]?.gen ?? -1) < 1) return undefined;
      if (got.some((a, i) => a.parts.length !== sizes[i])) return undefined;
      const union = got.flatMap((a) => a.parts).sort((a, b) => a - b);
      if (union.join(',') !== ALL.join(',')) return undefined;
      return got;
    },
    { diagnostics: () => consumers.map((c) => c.describe()).join('\n') },
  );
}

/** The RangeAssignor on one topic: members sorted by member id get contiguous ranges. */
function rangeExpectation(members: string[]): Map<string, number[]> {
  const sorted = [...members].sort();
  const per = Math.floor(PARTITIONS / sorted.length);
  const extra = PARTITIONS % sorted.length;
  const out = new Map<string, number[]>();
  let next = 0;
  sorted.forEach((m, i) => {
    const n = per + (i < extra ? 1 : 0);
    out.set(
      m,
      Array.from({ length: n }, (_, j) => next + j),
    );
    next += n;
  });
  return out;
}

function checkAssignor(assignor: string, step: string, consumers: JavaConsumer[], now: Assignment[], before?: Map<string, number[]>): void {
  if (assignor === 'range') {
    const exp = rangeExpectation(now.map((a) => a.member));
    now.forEach((a, i) => assert.deepEqual(a.parts, exp.get(a.member), `${step}: range assignment of ${consumers[i]?.name}`));
  } else if (before !== undefined) {
    // cooperative-sticky keeps what a surviving member owned as long as it stays balanced
    now.forEach((a, i) => {
      const name = consumers[i]?.name ?? '?';
      const had = before.get(name) ?? [];
      if (had.length <= a.parts.length) {
        assert.ok(
          had.every((p) => a.parts.includes(p)),
          `${step}: sticky assignment: ${name} had ${had.join(',')} and now has ${a.parts.join(',')}`,
        );
      }
    });
  }
}

const snapshot = (consumers: JavaConsumer[], as: Assignment[]) => new Map(consumers.map((c, i) => [c.name, as[i]?.parts ?? []]));

/** kafka-consumer-groups.sh --describe rows: [group, topic, partition, current, leo, lag, consumer-id, host, client-id]. */
async function describeGroup(group: string): Promise<string[][]> {
  const r = ok(
    await runTool('kafka-consumer-groups.sh', ['--bootstrap-server', broker.bootstrap, '--describe', '--group', group], {
      timeoutMs: 60_000,
    }),
    'kafka-consumer-groups.sh --describe',
  );
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((cols) => cols[0] === group);
}

for (const [assignor, label] of [
  ['range', 'RangeAssignor, eager'],
  ['cooperative-sticky', 'CooperativeStickyAssignor'],
] as const) {
  test(
    `group rebalance (${label}): join, SIGKILL, leave, join while producing; every record processed, one owner per partition`,
    { timeout: 420_000 },
    async () => {
      const topic = `rebalance-${assignor}`;
      const group = `rebalance-group-${assignor}`;
      await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });

      // JVMs start up front (in parallel) and wait for "start"
      const [c1, c2, c3, c4] = await Promise.all(
        ['c1', 'c2', 'c3', 'c4'].map((n) =>
          JavaConsumer.launch(
            broker.bootstrap,
            n,
            topic,
            group,
            assignor,
            n === 'c1' ? [`session.timeout.ms=${C1_SESSION_TIMEOUT_MS}`] : [],
          ),
        ),
      );
      assert.ok(c1 !== undefined && c2 !== undefined && c3 !== undefined && c4 !== undefined);
      for (const c of [c1, c2, c3, c4]) await c.waitFor('READY', () => (c.lines.includes('READY') ? true : undefined));

      // the producer: one record per partition every 30 ms, value r-<n>, acknowledged offsets kept
      const produced = new Map<string, string>(); // "p:o" -> value
      let producing = true;
      let producerError: unknown;
      let n = 0;
      const producerLoop = (async () => {
        while (producing) {
          const batch = ALL.map((p) => ({ partition: p, value: `r-${n + p}` }));
          try {
            const res = await producer.send({ topic, messages: batch.map((m) => ({ partition: m.partition, value: m.value })) });
            for (const r of res) {
              const m = batch.find((b) => b.partition === r.partition);
              assert.ok(m !== undefined && r.baseOffset !== undefined);
              produced.set(`${r.partition}:${r.baseOffset}`, m.value);
            }
          } catch (e) {
            producerError = e;
            return;
          }
          n += PARTITIONS;
          await letTimePass(30, 'paces the producer: about 200 records a second');
        }
      })();

      try {
        // 1. c1 alone owns everything
        c1.send('start');
        let as = await settled([c1], [6]);
        assert.deepEqual(as[0]?.parts, ALL);

        // 2. c2 and c3 join: three members with two partitions each
        c2.send('start');
        c3.send('start');
        as = await settled([c1, c2, c3], [2, 2, 2]);
        checkAssignor(assignor, 'c2+c3 joined', [c1, c2, c3], as, snapshot([c1], [{ gen: 0, member: '', parts: ALL }]));
        let owned = snapshot([c1, c2, c3], as);
        const genBeforeKill = as[0]?.gen ?? 0;
        // c2 processes and commits some records of its own partitions before it dies
        await c2.waitFor('a commit of records of its partitions', () => {
          const mine = owned.get('c2') ?? [];
          return [...c2.committed().keys()].some((p) => mine.includes(p)) && c2.records().some((r) => mine.includes(r.p));
        });

        // 3. c2 dies without LeaveGroup; after session.timeout.ms c1 and c3 take its partitions
        await c2.kill9();
        as = await settled([c1, c3], [3, 3]);
        assert.ok((as[0]?.gen ?? 0) > genBeforeKill, 'a new generation after the kill');
        checkAssignor(assignor, 'c2 killed', [c1, c3], as, owned);
        const c2Parts = owned.get('c2') ?? [];
        assert.ok(
          c2Parts.every((p) => as.some((a) => a.parts.includes(p))),
          'c2 partitions taken over',
        );
        owned = snapshot([c1, c3], as);

        // 4. c1 leaves cleanly: c3 gets everything, within a deadline shorter than c1's session
        //    timeout, so through the LeaveGroup and not an eviction
        await c1.stop();
        as = await settled([c3], [6]);
        owned = snapshot([c3], as);

        // 5. c4 joins: two members, three partitions each
        c4.send('start');
        as = await settled([c3, c4], [3, 3]);
        checkAssignor(assignor, 'c4 joined', [c3, c4], as, owned);
        const finalAssignment = as;

        // stop producing and drain
        producing = false;
        await producerLoop;
        assert.equal(producerError, undefined, `producer failed: ${String(producerError)}`);
        const consumers = [c1, c2, c3, c4];
        const seen = () => {
          const s = new Set<string>();
          for (const c of consumers) for (const r of c.records()) s.add(`${r.p}:${r.o}`);
          return s;
        };
        await waitFor(
          `all ${produced.size} records processed`,
          () => {
            const s = seen();
            for (const k of produced.keys()) if (!s.has(k)) return undefined;
            return true;
          },
          { diagnostics: () => `${seen().size} distinct of ${produced.size} seen\n${[c3, c4].map((c) => c.describe()).join('\n')}` },
        );
        // and the live consumers committed all of it
        const ends = new Map<number, number>();
        for (const k of produced.keys()) {
          const [p, o] = k.split(':').map(Number) as [number, number];
          ends.set(p, Math.max(ends.get(p) ?? 0, o + 1));
        }
        await waitFor(
          'the final commits',
          () => {
            const c3c = c3.committed();
            const c4c = c4.committed();
            for (const a of [
              { c: c3c, parts: finalAssignment[0]?.parts ?? [] },
              { c: c4c, parts: finalAssignment[1]?.parts ?? [] },
            ]) {
              for (const p of a.parts) if (a.c.get(p) !== ends.get(p)) return undefined;
            }
            return true;
          },
          { diagnostics: () => [c3, c4].map((c) => c.describe()).join('\n') },
        );

        // kafka-consumer-groups.sh sees the same owners the consumers report, and no lag
        const rows = await describeGroup(group);
        assert.deepEqual(
          rows.map((r) => r.slice(1, 3)).sort((a, b) => Number(a[1]) - Number(b[1])),
          ALL.map((p) => [topic, String(p)]),
          `describe rows:\n${rows.map((r) => r.join(' ')).join('\n')}`,
        );
        for (const r of rows) {
          const p = Number(r[2]);
          const owner = [c3, c4].findIndex((_, i) => finalAssignment[i]?.parts.includes(p));
          assert.ok(owner >= 0);
          assert.deepEqual(
            [r[3], r[4], r[5], r[6], r[7], r[8]],
            [String(ends.get(p)), String(ends.get(p)), '0', finalAssignment[owner]?.member, '/127.0.0.1', owner === 0 ? 'c3' : 'c4'],
            `describe row of partition ${p}`,
          );
        }

        await c3.stop();
        await c4.stop();

        // ---- what was processed ----
        const sightings = new Map<string, Array<{ name: string; covered: boolean }>>(); // "p:o" -> who processed it
        for (const c of consumers) {
          const mine = new Set<string>();
          for (const r of c.records()) {
            const k = `${r.p}:${r.o}`;
            assert.equal(r.value, produced.get(k), `${c.name} read ${k} = ${r.value}`);
            assert.ok(!mine.has(k), `${c.name} processed ${k} twice`);
            mine.add(k);
            sightings.set(k, [...(sightings.get(k) ?? []), { name: c.name, covered: c.committedAfter(r.line, r.p, r.o) }]);
          }
        }
        assert.equal(sightings.size, produced.size, 'records processed that were never produced');
        // Commits may be refused while the member is rebalancing (the cooperative protocol keeps
        // consuming during a rebalance); GroupConsumer keeps such offsets and commits them later.
        const commitFailures = consumers.flatMap((c) => c.lines.filter((l) => l.startsWith('COMMIT_FAILED')).map((l) => `${c.name}: ${l}`));
        for (const f of commitFailures) assert.match(f, /^c\d: COMMIT_FAILED RebalanceInProgressException: /);
        // A record is processed a second time only by a later owner of its partition, and only if
        // the earlier one (c2, killed, or a member whose commit was refused during a rebalance)
        // did not commit past it while it owned the partition: of the consumers that processed it,
        // at most one committed past it.
        const dups = [...sightings].filter(([, who]) => who.length > 1);
        for (const [k, who] of dups) {
          const names = who.map((w) => w.name).join(',');
          assert.equal(who.length, 2, `${k} processed by ${names}`);
          const covering = who.filter((w) => w.covered).map((w) => w.name);
          assert.ok(covering.length <= 1, `${k} was processed by ${names} although ${covering.join(' and ')} committed past it`);
          if (commitFailures.length === 0)
            assert.ok(names.includes('c2'), `${k} processed twice (${names}) without c2 or a refused commit`);
        }
        // the final committed offsets are the log end offsets
        const fetched = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        assert.deepEqual(
          (fetched[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]).sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0)),
          ALL.map((p) => [p, ends.get(p)]),
        );
        console.log(
          `${label}: ${produced.size} records, ${dups.length} processed twice, ${commitFailures.length} commits refused during rebalances`,
        );
      } finally {
        producing = false;
        await producerLoop;
        for (const c of [c1, c2, c3, c4]) c.kill();
      }
    },
  );
}
