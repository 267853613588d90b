// Crash safety: the official Java producer (idempotent, acks=all; test/java/CrashProducer.java)
// writes sequence-numbered records to 3 partitions while the broker is killed with SIGKILL and
// restarted several times. Afterwards every acknowledged record must be in the log exactly once,
// at the offset it was acknowledged with, in send order per partition, with nothing else in the
// log (no duplicates from the producer's retries across restarts). A further kill -9 / restart
// with no writer, and a graceful restart, must recover the very same log, byte for byte.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import kafkajs, { type Admin } from 'kafkajs';
import { defaultTarget, startBroker, type BrokerHandle } from '../harness/broker.js';
import { kcat, ok, runJava, type RunResult } from '../harness/tools.js';
import { waitFor } from '../harness/wait.js';

const { Kafka, logLevel } = kafkajs;

const TOPIC = 'crash-acks';
const PARTITIONS = 3;
const KILLS = 3;
/** Acknowledgements to wait for after each (re)start before the next kill. */
const ACKS_PER_PHASE = 1500;

let broker: BrokerHandle;
let admin: Admin;
let workDir: string;

before(async () => {
  broker = await startBroker({
    // Kafka only: after a kill -9 the KRaft controller refuses the restarted broker's registration
    // until the old incarnation's session expires (broker.session.timeout.ms, default 9 s); a
    // short session keeps the restarts quick. Timing only, no effect on the log.
    config: defaultTarget() === 'kafka' ? { 'broker.session.timeout.ms': '1500', 'broker.heartbeat.interval.ms': '500' } : {},
  });
  admin = new Kafka({ clientId: 'crash-test-admin', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  workDir = mkdtempSync(join(tmpdir(), 'fjord-crash-test-'));
});

after(async () => {
  await admin?.disconnect().catch(() => undefined);
  await broker?.stop();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

interface Ack {
  partition: number;
  offset: number;
  value: string;
}

function readAcks(file: string): { acks: Ack[]; fails: string[] } {
  const acks: Ack[] = [];
  const fails: string[] = [];
  if (!existsSync(file)) return { acks, fails };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('ack ')) {
      const [, p, o, v] = line.split(' ');
      // the last line may be cut while the producer writes it; only whole lines count
      if (v === undefined || !/^seq-\d+$/.test(v)) continue;
      acks.push({ partition: Number(p), offset: Number(o), value: v });
    } else if (line.startsWith('fail ')) {
      fails.push(line);
    }
  }
  return { acks, fails };
}

/** Every record of a partition as "offset value" lines, read with kcat to the end. */
async function readPartition(partition: number): Promise<string[]> {
  const r = ok(
    await kcat(['-b', broker.bootstrap, '-C', '-t', TOPIC, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%o %s\n'], {
      timeoutMs: 60_000,
    }),
    `kcat read of ${TOPIC}/${partition}`,
  );
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

async function readAll(): Promise<string[][]> {
  const out: string[][] = [];
  for (let p = 0; p < PARTITIONS; p++) out.push(await readPartition(p));
  return out;
}

/** Sizes of the topic's segment files (.log), by "<partition dir>/<file>". */
function segmentFiles(): Record<string, number> {
  const out: Record<string, number> = {};
  for (let p = 0; p < PARTITIONS; p++) {
    const dir = join(broker.dataDir, `${TOPIC}-${p}`);
    for (const f of readdirSync(dir).sort()) {
      if (/^\d{20}\.log$/.test(f)) out[`${TOPIC}-${p}/${f}`] = statSync(join(dir, f)).size;
    }
  }
  return out;
}

test(
  `crash: idempotent acks=all Java producer survives ${KILLS} kill -9 + restarts; every acked record exactly once, in order`,
  { timeout: 240_000 },
  async (t) => {
    const created = await admin.createTopics({
      topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    assert.equal(created, true);
    await admin.disconnect();

    const ackFile = join(workDir, 'acks.txt');
    const stopFile = join(workDir, 'stop');
    let producerResult: RunResult | undefined;
    const producer = runJava('CrashProducer', [broker.bootstrap, TOPIC, String(PARTITIONS), ackFile, stopFile, '2000', '2000'], {
      timeoutMs: 220_000,
    }).then((r) => {
      producerResult = r;
      return r;
    });

    const describe = () =>
      `producer: ${producerResult === undefined ? 'running' : `code=${String(producerResult.code)}\n${producerResult.stdout}\n${producerResult.stderr.slice(-5000)}`}` +
      `\n--- broker logs (tail) ---\n${broker.logs().slice(-5000)}`;

    const waitForAcks = async (target: number, what: string) => {
      const seen = await waitFor(
        `${what} (${target} acks)`,
        () => {
          const n = readAcks(ackFile).acks.length;
          if (n >= target) return { n };
          return producerResult === undefined ? undefined : { exited: n };
        },
        { timeoutMs: 90_000, diagnostics: () => `${readAcks(ackFile).acks.length}/${target} acks\n${describe()}` },
      );
      if ('exited' in seen) assert.fail(`producer exited while waiting for ${what} (${seen.exited}/${target} acks)\n${describe()}`);
      return seen.n;
    };

    let acked = await waitForAcks(ACKS_PER_PHASE, 'the first acknowledgements');
    const pidsKilled: number[] = [];
    for (let k = 1; k <= KILLS; k++) {
      pidsKilled.push(broker.pid);
      await broker.kill9();
      // the producer retries against the dead port while the new broker process starts
      await broker.restart();
      acked = await waitForAcks(acked + ACKS_PER_PHASE, `acknowledgements after restart ${k}`);
    }
    assert.equal(new Set([...pidsKilled, broker.pid]).size, KILLS + 1, 'each restart is a new broker process');

    writeFileSync(stopFile, '');
    const r = await producer;
    assert.equal(r.code, 0, `CrashProducer failed\n${describe()}`);
    const done = /^DONE sent=(\d+) acked=(\d+) failed=(\d+)$/m.exec(r.stdout);
    assert.ok(done !== null, `no DONE line\n${describe()}`);
    const sent = Number(done[1]);
    t.diagnostic(r.stdout.trim());
    t.diagnostic(
      `producer retries logged: ${(r.stderr.match(/retrying/gi) ?? []).length}, disconnects logged: ${(r.stderr.match(/disconnected|could not be established/gi) ?? []).length}`,
    );
    const { acks, fails } = readAcks(ackFile);
    assert.deepEqual(fails, [], 'no record may fail (delivery.timeout.ms is 10 minutes)');
    assert.equal(Number(done[3]), 0);
    assert.equal(Number(done[2]), sent, 'every sent record acknowledged after flush()');
    assert.equal(acks.length, sent, 'one ack line per record');
    assert.ok(sent >= (KILLS + 1) * ACKS_PER_PHASE, `sent ${sent}`);

    // The acknowledgements themselves: every sequence number 0..sent-1 once, to partition seq % 3,
    // offsets per partition dense from 0 and increasing with the sequence number.
    const expected: string[][] = Array.from({ length: PARTITIONS }, () => []);
    const seenValues = new Set<string>();
    for (const a of acks) {
      assert.ok(!seenValues.has(a.value), `${a.value} acknowledged twice`);
      seenValues.add(a.value);
      const seq = Number(a.value.slice(4));
      assert.equal(a.partition, seq % PARTITIONS, `${a.value} acknowledged for partition ${a.partition}`);
      const list = expected[a.partition]!;
      assert.equal(list[a.offset], undefined, `two acks for ${TOPIC}/${a.partition} offset ${a.offset}`);
      list[a.offset] = `${a.offset} ${a.value}`;
    }
    assert.equal(seenValues.size, sent);
    for (let s = 0; s < sent; s++) assert.ok(seenValues.has(`seq-${s}`), `seq-${s} never acknowledged`);
    for (let p = 0; p < PARTITIONS; p++) {
      const list = expected[p]!;
      for (let o = 0; o < list.length; o++) assert.ok(list[o] !== undefined, `no ack for ${TOPIC}/${p} offset ${o} (offsets not dense)`);
      // sequence numbers increase with the offset: the log order is the send order
      for (let o = 1; o < list.length; o++) {
        const prev = Number(list[o - 1]!.split(' ')[1]!.slice(4));
        const cur = Number(list[o]!.split(' ')[1]!.slice(4));
        assert.ok(cur > prev, `${TOPIC}/${p}: offset ${o} holds seq ${cur} after seq ${prev}`);
      }
    }

    // The log holds exactly the acknowledged records at the acknowledged offsets: nothing lost,
    // nothing duplicated, nothing extra.
    const got = await readAll();
    for (let p = 0; p < PARTITIONS; p++) {
      assert.equal(got[p]!.length, expected[p]!.length, `${TOPIC}/${p}: record count in the log vs acks`);
      assert.deepEqual(got[p], expected[p], `${TOPIC}/${p}: log content vs acks`);
    }

    // Recovery is repeatable: another kill -9 with no writer, then a graceful restart, give the same
    // segment files (recovery truncates nothing that was acknowledged) and the same records.
    const filesBefore = segmentFiles();
    assert.ok(Object.keys(filesBefore).length >= PARTITIONS, `segment files: ${JSON.stringify(filesBefore)}`);
    for (let p = 0; p < PARTITIONS; p++)
      assert.ok(`${TOPIC}-${p}/00000000000000000000.log` in filesBefore, `first segment of partition ${p}`);
    await broker.kill9();
    await broker.restart();
    assert.deepEqual(segmentFiles(), filesBefore, 'segment files after kill -9 + restart');
    assert.deepEqual(await readAll(), expected, 'log content after kill -9 + restart');
    await broker.restart();
    assert.deepEqual(segmentFiles(), filesBefore, 'segment files after a graceful restart');
    assert.deepEqual(await readAll(), expected, 'log content after a graceful restart');
  },
);
