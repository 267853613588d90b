// Time from process start to the first acknowledged produce (issue 4, item 7).
//
// The test harness' startBroker() polls readiness every 200 ms, too coarse for a broker that
// starts in ~100 ms, so this spawns the broker itself with the same command line and settings as
// test/harness/broker.ts (keep the two in sync), then hammers it from the moment of spawn:
// connect (retry every 2 ms), Metadata v12 for a new topic with allowAutoTopicCreation, and a
// one-record Produce v9 acks=1 until it is acknowledged with error 0. Kafka's storage format
// (kafka-storage.sh, a separate JVM) runs before the clock starts.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { KafkaConnection } from '../../broker/src/client/kafka-connection.js';
import {
  decodeMetadataResponse,
  decodeProduceResponse,
  encodeMetadataRequest,
  encodeProduceRequest,
} from '../../broker/src/protocol/generated/index.js';
import { buildRecordBatch } from '../../broker/src/protocol/records.js';
import { freePort, kafkaSingleNodeProps, type Target } from '../../test/harness/broker.js';
import { fjordCommand, kafkaBin, run } from '../../test/harness/tools.js';

export interface StartupResult {
  /** Spawn to first TCP connect accepted. */
  listenMs: number;
  /** Spawn to first Produce acknowledged with error 0. */
  firstProduceMs: number;
  /** VmHWM of the broker right after the first produce. */
  pid: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function tryProduce(conn: KafkaConnection, topic: string): Promise<boolean> {
  const metadata = await conn.send({
    apiKey: 3,
    apiVersion: 12,
    encode: (w, v) => encodeMetadataRequest(w, v, { topics: [{ name: topic }], allowAutoTopicCreation: true }),
    decode: decodeMetadataResponse,
  });
  const t = metadata.topics.find((x) => x.name === topic);
  const p0 = t?.partitions.find((p) => p.partitionIndex === 0);
  if (t === undefined || t.errorCode !== 0 || p0 === undefined || p0.errorCode !== 0 || p0.leaderId < 0) return false;
  const batch = buildRecordBatch({ records: [{ value: 'first' }] });
  const response = await conn.send({
    apiKey: 0,
    apiVersion: 9,
    encode: (w, v) =>
      encodeProduceRequest(w, v, { acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] }),
    decode: decodeProduceResponse,
  });
  return response.responses[0]?.partitionResponses[0]?.errorCode === 0;
}

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Starts a fresh broker, measures, stops it (only the process started here) and removes its dirs. */
export async function measureStartup(target: Target, timeoutMs = 120_000): Promise<StartupResult> {
  const host = '127.0.0.1';
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `fjord-bench-startup-${target}-`));
  const dirs = [dataDir];
  let cmd: string;
  let args: string[];
  if (target === 'kafka') {
    const controllerPort = await freePort();
    const confDir = mkdtempSync(join(tmpdir(), 'fjord-bench-kafka-conf-'));
    dirs.push(confDir);
    const propsFile = join(confDir, 'server.properties');
    writeFileSync(
      propsFile,
      Object.entries(kafkaSingleNodeProps(host, port, controllerPort, dataDir))
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
    );
    const fmt = await run(kafkaBin('kafka-storage.sh'), ['format', '-t', randomBytes(16).toString('base64url'), '-c', propsFile], {
      timeoutMs: 120_000,
    });
    if (fmt.code !== 0) throw new Error(`kafka-storage.sh format failed:\n${fmt.stdout}\n${fmt.stderr}`);
    cmd = kafkaBin('kafka-server-start.sh');
    args = [propsFile];
  } else {
    [cmd, args] = fjordCommand([
      'broker',
      '--override',
      `listeners=PLAINTEXT://${host}:${port}`,
      '--override',
      `log.dirs=${dataDir}`,
      '--override',
      'node.id=1',
    ]);
  }
  let output = '';
  const t0 = performance.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-20_000)));
  child.stderr?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-20_000)));
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  let listenMs = Number.NaN;
  let conn: KafkaConnection | undefined;
  const topic = `startup-${randomBytes(4).toString('hex')}`;
  try {
    for (;;) {
      if (performance.now() - t0 > timeoutMs) throw new Error(`${target}: no acknowledged produce after ${timeoutMs} ms\n${output}`);
      if (child.exitCode !== null) throw new Error(`${target} exited during startup (code ${String(child.exitCode)})\n${output}`);
      if (conn === undefined || conn.closed) {
        try {
          conn = await KafkaConnection.open(host, port, 'bench-startup', 1000);
          if (Number.isNaN(listenMs)) listenMs = performance.now() - t0;
        } catch {
          conn = undefined;
          await sleep(2);
          continue;
        }
      }
      try {
        if (await tryProduce(conn, topic)) break;
      } catch {
        conn.close();
        conn = undefined;
      }
      await sleep(5);
    }
    const firstProduceMs = performance.now() - t0;
    return { listenMs, firstProduceMs, pid: child.pid ?? -1 };
  } finally {
    conn?.close();
    child.kill('SIGTERM');
    await waitExit(child, 30_000);
    process.off('exit', onExit);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
