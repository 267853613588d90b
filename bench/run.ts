// Side-by-side benchmark of Fjord and Apache Kafka with Kafka's own tools (issue 4).
//
//   node dist/bench/run.js [--rounds 3] [--scale 1] [--smoke] [--targets kafka,fjord]
//                          [--wait-quiet-max-min 10] [--no-warmup] [--no-report]
//
// Each round starts a fresh Kafka, runs every workload against it, stops it, then does the same
// with a fresh Fjord (alternation Kafka, Fjord, Kafka, Fjord, ...); both with their defaults
// (Kafka: test/harness/broker.ts's single-node KRaft settings), both log dirs under os.tmpdir().
// Results go to bench/results/macro.json, then bench/report.ts writes docs/benchmarks.md.
// --smoke: Fjord only, a few thousand records, writes nothing under docs/, exits 1 on any failure.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import kafkajs from 'kafkajs';
import { KafkaConnection } from '../broker/src/client/kafka-connection.js';
import { decodeApiVersionsResponse, encodeApiVersionsRequest } from '../broker/src/protocol/generated/index.js';
import { startBroker, type BrokerHandle } from '../test/harness/broker.js';
import { ensureTools, kafkaVersion, repoRoot, runTool, type RunResult } from '../test/harness/tools.js';
import { benchClasses, runBenchJava, runKafkaClass } from './lib/java.js';
import { median, parseBenchConsume, parseConsumerPerf, parseEndToEnd, parseProducerPerf } from './lib/parse.js';
import { RssSampler, cpuSeconds, loadAverage1, machineInfo, memory } from './lib/proc.js';
import { measureStartup } from './lib/startup.js';
import type { BlockRecord, MacroResults, StepRecord, Target } from './lib/types.js';
import { writeReport } from './report.js';

const { Kafka, logLevel } = kafkajs;
process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

interface Options {
  rounds: number;
  scale: number;
  smoke: boolean;
  targets: Target[];
  waitQuietMaxMin: number;
  waitQuietLoad: number;
  warmup: boolean;
  report: boolean;
  out: string;
  /** Extra environment for Fjord only (experiments, e.g. UV_USE_IO_URING=0). */
  fjordEnv: Record<string, string>;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    rounds: 3,
    scale: 1,
    smoke: false,
    targets: ['kafka', 'fjord'],
    waitQuietMaxMin: 10,
    waitQuietLoad: 1.2,
    warmup: true,
    report: true,
    out: join(repoRoot(), 'bench', 'results', 'macro.json'),
    fjordEnv: {},
  };
  let targetsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--rounds') o.rounds = Number(next());
    else if (a === '--scale') o.scale = Number(next());
    else if (a === '--smoke') o.smoke = true;
    else if (a === '--targets') {
      o.targets = next().split(',') as Target[];
      targetsGiven = true;
    } else if (a === '--wait-quiet-max-min') o.waitQuietMaxMin = Number(next());
    else if (a === '--wait-quiet-load') o.waitQuietLoad = Number(next());
    else if (a === '--no-warmup') o.warmup = false;
    else if (a === '--no-report') o.report = false;
    else if (a === '--out') o.out = next();
    else if (a === '--fjord-env') {
      const kv = next();
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new Error('--fjord-env needs K=V');
      o.fjordEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (o.smoke) {
    if (!targetsGiven) o.targets = ['fjord'];
    o.rounds = 1;
    o.waitQuietMaxMin = 0;
    o.warmup = false;
    o.report = false;
    o.out = join(tmpdir(), `fjord-bench-smoke-${process.pid}.json`);
  }
  for (const t of o.targets) if (t !== 'kafka' && t !== 'fjord') throw new Error(`bad target ${t}`);
  if (!(o.rounds >= 1)) throw new Error('--rounds must be >= 1');
  return o;
}

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- workload sizes ---------------------------------------------------------------------------

interface Counts {
  w1: number;
  w2: number;
  w3: number;
  warmup: number;
  /** Seconds of workload 5 at the fixed rate. */
  w5Seconds: number;
  e2e: number;
  e2eWarmup: number;
  /** Used when there is no Kafka run to take half of its peak from (smoke, Fjord only). */
  defaultRate: number;
}

function counts(o: Options): Counts {
  if (o.smoke) return { w1: 5000, w2: 5000, w3: 5000, warmup: 0, w5Seconds: 1, e2e: 100, e2eWarmup: 20, defaultRate: 2000 };
  const s = o.scale;
  return {
    w1: Math.round(3_000_000 * s),
    w2: Math.round(3_000_000 * s),
    w3: Math.round(10_000_000 * s),
    warmup: Math.round(300_000 * s),
    w5Seconds: Math.max(5, Math.round(10 * s)),
    e2e: Math.round(5000 * s),
    e2eWarmup: 500,
    defaultRate: 50_000,
  };
}

// ---- helpers ----------------------------------------------------------------------------------

async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-admin', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
      timeout: 30_000,
    });
    if (!created) throw new Error(`topic ${topic} already exists`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** True if the broker advertises FindCoordinator, JoinGroup and OffsetCommit (consumer groups). */
async function supportsGroups(broker: BrokerHandle): Promise<boolean> {
  const conn = await KafkaConnection.open(broker.host, broker.port, 'bench-probe');
  try {
    const r = await conn.send({
      apiKey: 18,
      apiVersion: 3,
      encode: (w, v) => encodeApiVersionsRequest(w, v, { clientSoftwareName: 'bench', clientSoftwareVersion: '1' }),
      decode: decodeApiVersionsResponse,
    });
    const keys = new Set(r.apiKeys.map((k) => k.apiKey));
    return keys.has(8) && keys.has(10) && keys.has(11);
  } finally {
    conn.close();
  }
}

function commandLine(tool: string, args: readonly string[]): string {
  return [tool, ...args].map((a) => (/[\s*]/.test(a) ? `'${a}'` : a)).join(' ');
}

function tail(s: string, n = 3000): string {
  return s.length <= n ? s : `...${s.slice(-n)}`;
}

function failure(r: RunResult, what: string): string | undefined {
  if (r.code === 0 && !r.timedOut) return undefined;
  return `${what}: code=${String(r.code)} timedOut=${String(r.timedOut)}\n${tail(r.stdout)}\n${tail(r.stderr)}`;
}

// ---- one block: a fresh broker, every workload --------------------------------------------

interface Ctx {
  o: Options;
  c: Counts;
  round: number;
  target: Target;
  broker: BrokerHandle;
  sampler: RssSampler;
  steps: StepRecord[];
  commands: Set<string>;
}

interface StepOutcome {
  ok: boolean;
  error?: string;
  skipped?: string;
  metrics: Record<string, number>;
  bytes: number;
  command: string;
}

type StepBody = () => Promise<StepOutcome>;

async function step(ctx: Ctx, name: string, body: StepBody): Promise<StepRecord> {
  const load1 = loadAverage1();
  const pid = ctx.broker.pid;
  ctx.sampler.take();
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  let rec: StepOutcome;
  try {
    rec = await body();
  } catch (error) {
    rec = { ok: false, error: (error as Error).stack ?? String(error), metrics: {}, bytes: 0, command: '' };
  }
  const durationMs = performance.now() - t0;
  const record: StepRecord = {
    round: ctx.round,
    target: ctx.target,
    step: name,
    ok: rec.ok,
    metrics: rec.metrics,
    bytes: rec.bytes,
    brokerCpuSec: cpuSeconds(pid) - cpu0,
    brokerRssMaxBytes: ctx.sampler.take(),
    durationMs,
    load1,
    command: rec.command,
  };
  if (rec.error !== undefined) record.error = rec.error;
  if (rec.skipped !== undefined) record.skipped = rec.skipped;
  ctx.steps.push(record);
  const m = Object.entries(rec.metrics)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(2)}`)
    .join(' ');
  log(
    `round ${ctx.round} ${ctx.target} ${name}: ${rec.skipped !== undefined ? `skipped (${rec.skipped})` : rec.ok ? 'ok' : 'FAILED'} ${m} cpu=${record.brokerCpuSec.toFixed(2)}s (${(durationMs / 1000).toFixed(1)} s, load ${load1})`,
  );
  if (!rec.ok && rec.error !== undefined) log(rec.error);
  return record;
}

function producerStep(ctx: Ctx, topic: string, records: number, size: number, props: string[], throughput = -1): StepBody {
  return async (): Promise<StepOutcome> => {
    const args = [
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--record-size',
      String(size),
      '--throughput',
      String(throughput),
      '--producer-props',
      `bootstrap.servers=${ctx.broker.bootstrap}`,
      ...props,
    ];
    const command = commandLine(
      'kafka-producer-perf-test.sh',
      args.map((a) => a.replace(ctx.broker.bootstrap, '$BOOTSTRAP').replace(topic, '$TOPIC')),
    );
    const r = await runTool('kafka-producer-perf-test.sh', args, { timeoutMs: ctx.o.smoke ? 60_000 : 15 * 60_000 });
    const error = failure(r, 'kafka-producer-perf-test.sh');
    const p = parseProducerPerf(r.stdout);
    if (error !== undefined || p === null)
      return { ok: false, error: error ?? `unparsable output:\n${tail(r.stdout)}\n${tail(r.stderr)}`, metrics: {}, bytes: 0, command };
    const ok = p.records === records;
    return {
      ok,
      ...(ok ? {} : { error: `sent ${p.records} of ${records}` }),
      metrics: {
        recordsPerSec: p.recordsPerSec,
        mibPerSec: p.mibPerSec,
        avgMs: p.avgLatencyMs,
        p50Ms: p.p50Ms,
        p99Ms: p.p99Ms,
        p999Ms: p.p999Ms,
        maxMs: p.maxLatencyMs,
      },
      bytes: records * size,
      command,
    };
  };
}

function benchConsumeStep(ctx: Ctx, topic: string, messages: number): StepBody {
  return async (): Promise<StepOutcome> => {
    const args = [ctx.broker.bootstrap, topic, String(messages), '10000'];
    const command = `java -cp <bench-classes>:<kafka-libs>/* BenchConsume $BOOTSTRAP $TOPIC ${messages} 10000`;
    const r = await runBenchJava('BenchConsume', args, { timeoutMs: ctx.o.smoke ? 60_000 : 10 * 60_000 });
    const p = parseBenchConsume(r.stdout);
    const error = failure(r, 'BenchConsume');
    if (error !== undefined || p === null)
      return { ok: false, error: error ?? `unparsable output:\n${tail(r.stdout)}`, metrics: {}, bytes: 0, command };
    return { ok: p.messages >= messages, metrics: { mibPerSec: p.mibPerSec, msgPerSec: p.msgPerSec }, bytes: p.mib * 2 ** 20, command };
  };
}

function consumerPerfStep(ctx: Ctx, topic: string, messages: number, groups: boolean): StepBody {
  return async (): Promise<StepOutcome> => {
    const args = [
      '--bootstrap-server',
      ctx.broker.bootstrap,
      '--topic',
      topic,
      '--messages',
      String(messages),
      '--timeout',
      '30000',
      '--group',
      `bench-${randomBytes(4).toString('hex')}`,
    ];
    const command = commandLine(
      'kafka-consumer-perf-test.sh',
      args.map((a) =>
        a
          .replace(ctx.broker.bootstrap, '$BOOTSTRAP')
          .replace(topic, '$TOPIC')
          .replace(/^bench-[0-9a-f]{8}$/, '$GROUP'),
      ),
    );
    if (!groups)
      return {
        ok: true,
        skipped: 'broker has no consumer groups (FindCoordinator/JoinGroup not advertised)',
        metrics: {},
        bytes: 0,
        command,
      };
    const r = await runTool('kafka-consumer-perf-test.sh', args, { timeoutMs: ctx.o.smoke ? 90_000 : 10 * 60_000 });
    const p = parseConsumerPerf(r.stdout);
    const error = failure(r, 'kafka-consumer-perf-test.sh');
    if (error !== undefined || p === null)
      return { ok: false, error: error ?? `unparsable output:\n${tail(r.stdout)}\n${tail(r.stderr)}`, metrics: {}, bytes: 0, command };
    return {
      ok: p.messages >= messages,
      metrics: { mibPerSec: p.mibPerSec, msgPerSec: p.msgPerSec, fetchMibPerSec: p.fetchMibPerSec, fetchMsgPerSec: p.fetchMsgPerSec },
      bytes: p.mib * 2 ** 20,
      command,
    };
  };
}

function e2eStep(ctx: Ctx, topic: string, real: boolean, groups: boolean): StepBody {
  return async (): Promise<StepOutcome> => {
    const n = ctx.c.e2e;
    if (real) {
      const args = [ctx.broker.bootstrap, topic, String(n), '1', '1024'];
      const command = `java -cp '<kafka-libs>/*' org.apache.kafka.tools.EndToEndLatency $BOOTSTRAP $TOPIC ${n} 1 1024`;
      if (!groups) return { ok: true, skipped: 'EndToEndLatency commits offsets: needs consumer groups', metrics: {}, bytes: 0, command };
      const r = await runKafkaClass('org.apache.kafka.tools.EndToEndLatency', args, { timeoutMs: 10 * 60_000 });
      const p = parseEndToEnd(r.stdout);
      const error = failure(r, 'EndToEndLatency');
      if (error !== undefined || p === null)
        return { ok: false, error: error ?? `unparsable output:\n${tail(r.stdout)}\n${tail(r.stderr)}`, metrics: {}, bytes: 0, command };
      return { ok: true, metrics: { ...p }, bytes: n * 1024, command };
    }
    const args = [ctx.broker.bootstrap, topic, String(n), '1', '1024', String(ctx.c.e2eWarmup)];
    const command = `java -cp <bench-classes>:<kafka-libs>/* BenchEndToEnd $BOOTSTRAP $TOPIC ${n} 1 1024 ${ctx.c.e2eWarmup}`;
    const r = await runBenchJava('BenchEndToEnd', args, { timeoutMs: ctx.o.smoke ? 60_000 : 10 * 60_000 });
    const p = parseEndToEnd(r.stdout);
    const error = failure(r, 'BenchEndToEnd');
    if (error !== undefined || p === null)
      return { ok: false, error: error ?? `unparsable output:\n${tail(r.stdout)}\n${tail(r.stderr)}`, metrics: {}, bytes: 0, command };
    return { ok: true, metrics: { ...p }, bytes: (n + ctx.c.e2eWarmup) * 1024, command };
  };
}

interface State {
  fixedRate: number;
}

/** Runs `fn` with extra variables in process.env (startBroker and spawn inherit it). */
async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(env)) {
    saved.set(k, process.env[k]);
    process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function runBlock(
  o: Options,
  c: Counts,
  round: number,
  target: Target,
  steps: StepRecord[],
  blocks: BlockRecord[],
  commands: Set<string>,
  state: State,
): Promise<void> {
  log(`round ${round}: starting ${target}`);
  const env = target === 'fjord' ? o.fjordEnv : {};
  const broker = await withEnv(env, () => startBroker({ target }));
  const block: BlockRecord = { round, target, idleRssBytes: memory(broker.pid).rss, peakRssBytes: Number.NaN };
  const sampler = new RssSampler(broker.pid, 100);
  const ctx: Ctx = { o, c, round, target, broker, sampler, steps, commands };
  const tag = `r${round}-${randomBytes(3).toString('hex')}`;
  try {
    const groups = await supportsGroups(broker);
    if (o.warmup && c.warmup > 0) {
      const t = `bench-warmup-${tag}`;
      await createTopic(broker.bootstrap, t, 1);
      await step(ctx, 'warmup', producerStep(ctx, t, c.warmup, 1024, ['acks=1']));
    }
    const t1 = `bench-w1-${tag}`;
    const t2 = `bench-w2-${tag}`;
    const t3 = `bench-w3-${tag}`;
    const t5 = `bench-w5-${tag}`;
    const te = `bench-e2e-${tag}`;
    const tr = `bench-e2e-real-${tag}`;
    await createTopic(broker.bootstrap, t1, 1);
    const w1 = await step(ctx, 'w1', producerStep(ctx, t1, c.w1, 1024, ['acks=1']));
    if (target === 'kafka' && round === 1 && w1.ok) state.fixedRate = Math.round(w1.metrics['recordsPerSec']! / 2);
    await createTopic(broker.bootstrap, t2, 8);
    const w2 = await step(ctx, 'w2', producerStep(ctx, t2, c.w2, 1024, []));
    await createTopic(broker.bootstrap, t3, 1);
    await step(ctx, 'w3', producerStep(ctx, t3, c.w3, 100, ['acks=all']));
    if (w1.ok) await step(ctx, 'w4-consume-w1', benchConsumeStep(ctx, t1, c.w1));
    if (w2.ok) await step(ctx, 'w4-consume-w2', benchConsumeStep(ctx, t2, c.w2));
    // Smoke mode keeps under 30 s: one group-based read-back only (each JVM start costs 1-3 s).
    if (w1.ok) await step(ctx, 'w4-cperf-w1', consumerPerfStep(ctx, t1, c.w1, groups));
    if (w2.ok && !o.smoke) await step(ctx, 'w4-cperf-w2', consumerPerfStep(ctx, t2, c.w2, groups));
    const rate = state.fixedRate > 0 ? state.fixedRate : c.defaultRate;
    await createTopic(broker.bootstrap, t5, 1);
    await step(ctx, 'w5-fixed-rate', producerStep(ctx, t5, Math.round(rate * c.w5Seconds), 1024, ['acks=1'], rate));
    await createTopic(broker.bootstrap, te, 1);
    await step(ctx, 'w5-e2e', e2eStep(ctx, te, false, groups));
    if (!o.smoke) {
      await createTopic(broker.bootstrap, tr, 1);
      await step(ctx, 'w5-e2e-real', e2eStep(ctx, tr, true, groups));
    }
    block.peakRssBytes = memory(broker.pid).hwm;
  } finally {
    sampler.stop();
    await broker.stop();
    blocks.push(block);
  }
  try {
    const s = await withEnv(env, () => measureStartup(target));
    block.startup = { listenMs: s.listenMs, firstProduceMs: s.firstProduceMs };
    log(
      `round ${round} ${target} startup: listening after ${s.listenMs.toFixed(0)} ms, first produce acknowledged after ${s.firstProduceMs.toFixed(0)} ms`,
    );
  } catch (error) {
    block.startupError = (error as Error).message;
    log(`round ${round} ${target} startup FAILED: ${block.startupError}`);
  }
}

async function waitForQuiet(o: Options): Promise<number> {
  if (o.waitQuietMaxMin <= 0) return 0;
  const start = Date.now();
  for (;;) {
    const load = loadAverage1();
    const waited = (Date.now() - start) / 1000;
    if (load < o.waitQuietLoad) {
      log(`load ${load} < ${o.waitQuietLoad}: starting`);
      return waited;
    }
    if (waited >= o.waitQuietMaxMin * 60) {
      log(`load still ${load} after ${o.waitQuietMaxMin} min: starting anyway`);
      return waited;
    }
    log(`load ${load} >= ${o.waitQuietLoad}: waiting (${Math.round(waited)} s so far)`);
    await sleep(30_000);
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const c = counts(o);
  const started = performance.now();
  ensureTools();
  benchClasses();
  const waited = await waitForQuiet(o);
  const steps: StepRecord[] = [];
  const blocks: BlockRecord[] = [];
  const commands = new Set<string>();
  const state: State = { fixedRate: 0 };
  const results: MacroResults = {
    kind: 'macro',
    date: new Date().toISOString(),
    finishedAt: '',
    machine: machineInfo(),
    kafkaVersion: kafkaVersion(),
    fjordCommit: git(['rev-parse', '--short', 'HEAD']) ?? '?',
    fjordTreeDirty: (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
    rounds: o.rounds,
    smoke: o.smoke,
    fixedRate: 0,
    counts: { ...c },
    waitedForQuietSec: Math.round(waited),
    fjordEnv: o.fjordEnv,
    loadAtStart: loadAverage1(),
    steps,
    blocks,
    commands: [],
  };
  const save = () => {
    results.fixedRate = state.fixedRate > 0 ? state.fixedRate : c.defaultRate;
    results.finishedAt = new Date().toISOString();
    results.commands = [...new Set(steps.map((s) => s.command).filter((x) => x !== ''))];
    mkdirSync(join(o.out, '..'), { recursive: true });
    writeFileSync(o.out, JSON.stringify(results, null, 2) + '\n');
  };
  for (let round = 1; round <= o.rounds; round++) {
    for (const target of o.targets) {
      try {
        await runBlock(o, c, round, target, steps, blocks, commands, state);
      } catch (error) {
        log(`round ${round} ${target} block FAILED: ${(error as Error).stack ?? String(error)}`);
        steps.push({
          round,
          target,
          step: 'block',
          ok: false,
          error: String(error),
          metrics: {},
          bytes: 0,
          brokerCpuSec: 0,
          brokerRssMaxBytes: 0,
          durationMs: 0,
          load1: loadAverage1(),
          command: '',
        });
      }
      save();
    }
  }
  save();
  log(`${o.smoke ? 'smoke run' : `results written to ${o.out}`} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  const failed = steps.filter((s) => !s.ok);
  const startupFailed = blocks.filter((b) => b.startupError !== undefined);
  if (o.smoke) {
    for (const s of steps) {
      const v = s.metrics['recordsPerSec'] ?? s.metrics['mibPerSec'] ?? s.metrics['p99Ms'];
      process.stdout.write(
        `${s.step.padEnd(16)} ${s.skipped !== undefined ? 'n/a ' : s.ok ? 'ok  ' : 'FAIL'} ${v === undefined ? '' : v.toFixed(2)}\n`,
      );
    }
    for (const b of blocks)
      process.stdout.write(
        `startup: first produce after ${b.startup?.firstProduceMs.toFixed(0) ?? 'FAILED'} ms; median records/s w1 ${median(steps.filter((s) => s.step === 'w1').map((s) => s.metrics['recordsPerSec'] ?? NaN)).toFixed(0)}\n`,
      );
  }
  if (o.smoke) rmSync(o.out, { force: true });
  if (o.report) {
    const paths = writeReport();
    log(`wrote ${paths.join(', ')}`);
  }
  if (failed.length > 0 || startupFailed.length > 0 || steps.length === 0) {
    log(`${failed.length} step(s) and ${startupFailed.length} startup measurement(s) failed`);
    process.exitCode = 1;
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    log(`FAILED: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);

/** A git command's trimmed output in this checkout, or null when git fails (no checkout). */
function git(args: string[]): string | null {
  try {
    return execFileSync('git', ['-C', repoRoot(), ...args], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}
