// CPU profile of Fjord under workload 1 (1 KiB records, 1 partition, acks=1, unthrottled) or
// workload 4 (reading them back): starts the broker with `node --cpu-prof bin/fjord.js broker ...`
// (the harness' command line plus the profiler flags), drives it with ProducerPerformance or
// BenchConsume, stops it (the profile is written on exit) and summarises the .cpuprofile: top
// functions by self time, and self time by category and by file. For the consume workload the
// records are written by an unprofiled broker first, so the profile holds only the reads.
// Writes bench/results/profile.json or profile-consume.json (+ the raw profile) and the report.
//
//   node dist/bench/profile.js [--workload produce|consume] [--records N] [--partitions N]
//        [--passes 3] [--analyze file.cpuprofile] [--no-report] [--env K=V ...]
//        [--suffix -name]   (variants: results/profile-name.json, not in the report)
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import kafkajs from 'kafkajs';
import { spawn, type ChildProcess } from 'node:child_process';
import { apiVersionsProbe, freePort } from '../test/harness/broker.js';
import { ensureTools, fjordCommand, repoRoot, runTool } from '../test/harness/tools.js';
import { runBenchJava } from './lib/java.js';
import { median, parseBenchConsume, parseProducerPerf } from './lib/parse.js';
import { cpuSeconds, loadAverage1 } from './lib/proc.js';
import type { ProfileFunction, ProfileResults } from './lib/types.js';
import { writeReport } from './report.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const argValue = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

function shortUrl(url: string): string {
  if (url === '') return '';
  const root = repoRoot();
  const path = url.startsWith('file://') ? url.slice('file://'.length) : url;
  if (path.startsWith(root)) return relative(root, path).replace(/^dist\//, '');
  return path;
}

function category(cf: CallFrame): string {
  const f = cf.functionName;
  if (f === '(idle)' || f === '(program)' || f === '(garbage collector)' || f === '(root)') return f;
  if (cf.url === '') return 'native / V8 builtins (no script)';
  if (cf.url.startsWith('node:')) return 'Node.js internals (node:*)';
  if (cf.url.includes('/node_modules/')) return 'node_modules';
  if (cf.url.includes('/broker/src/')) return 'Fjord (broker/src)';
  return 'other';
}

export function summarizeProfile(
  profile: CpuProfile,
): Omit<ProfileResults, 'kind' | 'date' | 'command' | 'workload' | 'producer' | 'profileFile' | 'load1'> {
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Self time per node: each sample lasts until the next one.
  const self = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = (timeDeltas[i + 1] ?? 0) / 1000;
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + dt);
  }
  const key = (cf: CallFrame) => `${cf.functionName || '(anonymous)'}\u0000${shortUrl(cf.url)}:${cf.lineNumber + 1}`;
  // Inclusive time per function key, counting each sample once per key even under recursion.
  const selfByKey = new Map<string, number>();
  const totalByKey = new Map<string, number>();
  const categoryMs = new Map<string, number>();
  const fileMs = new Map<string, number>();
  const callerMs = new Map<string, Map<string, number>>();
  let sampledMs = 0;
  let idleMs = 0;
  for (const [id, ms] of self) {
    const node = byId.get(id);
    if (node === undefined) continue;
    sampledMs += ms;
    const cf = node.callFrame;
    if (cf.functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    selfByKey.set(key(cf), (selfByKey.get(key(cf)) ?? 0) + ms);
    const cat = category(cf);
    categoryMs.set(cat, (categoryMs.get(cat) ?? 0) + ms);
    const file = cf.url === '' ? `(${cf.functionName.startsWith('(') ? cf.functionName.slice(1, -1) : 'native'})` : shortUrl(cf.url);
    fileMs.set(file, (fileMs.get(file) ?? 0) + ms);
    const parentId = parent.get(id);
    if (parentId !== undefined) {
      const pk = key(byId.get(parentId)!.callFrame);
      let m = callerMs.get(key(cf));
      if (m === undefined) callerMs.set(key(cf), (m = new Map()));
      m.set(pk, (m.get(pk) ?? 0) + ms);
    }
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      totalByKey.set(k, (totalByKey.get(k) ?? 0) + ms);
    }
  }
  const busy = sampledMs - idleMs;
  const pct = (ms: number) => (busy > 0 ? (100 * ms) / busy : 0);
  const top: ProfileFunction[] = [...selfByKey.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([k, ms]) => {
      const [functionName, location] = k.split('\u0000') as [string, string];
      const total = totalByKey.get(k) ?? ms;
      const callers = [...(callerMs.get(k) ?? new Map<string, number>()).entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([ck, cms]) => {
          const [cn, cl] = ck.split('\u0000') as [string, string];
          return `${cn} (${cl.startsWith(':') ? 'native' : cl}) ${((100 * cms) / ms).toFixed(0)}%`;
        });
      return {
        functionName,
        location: location.startsWith(':') ? '(native)' : location,
        selfMs: ms,
        selfPct: pct(ms),
        totalMs: total,
        totalPct: pct(total),
        callers,
      };
    });
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, ms }));
  return {
    durationMs: (profile.endTime - profile.startTime) / 1000,
    sampledMs,
    idleMs,
    top,
    byCategory: sorted(categoryMs).map(({ name, ms }) => ({ category: name, selfMs: ms, selfPct: pct(ms) })),
    byFile: sorted(fileMs).map(({ name, ms }) => ({ file: name, selfMs: ms, selfPct: pct(ms) })),
  };
}

type Workload = 'produce' | 'consume';

interface FjordProcess {
  child: ChildProcess;
  bootstrap: string;
}

/**
 * Starts `node [--cpu-prof] bin/fjord.js broker` on a free port with `dataDir` (--cpu-prof is not
 * allowed in NODE_OPTIONS, so this spawns the broker itself, with the command line of
 * test/harness/broker.ts plus the profiler flags).
 */
async function startFjord(dataDir: string, profDir: string | null, extraEnv: Record<string, string>): Promise<FjordProcess> {
  const port = await freePort();
  const bootstrap = `127.0.0.1:${port}`;
  const profFlags = profDir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
  const [cmd, args] = fjordCommand(
    ['broker', '--override', `listeners=PLAINTEXT://${bootstrap}`, '--override', `log.dirs=${dataDir}`, '--override', 'node.id=1'],
    profFlags,
  );
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...extraEnv } });
  const deadline = Date.now() + 60_000;
  while (!(await apiVersionsProbe('127.0.0.1', port, 1000))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('fjord did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, bootstrap };
}

/** SIGTERM: Fjord shuts down and exits normally, which writes the profile. */
async function stopFjord({ child }: FjordProcess): Promise<number | null> {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 30_000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  return child.exitCode;
}

async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const kafka = new kafkajs.Kafka({ clientId: 'bench-admin', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
}

function producerArgs(topic: string, records: number, bootstrap: string): string[] {
  return [
    '--topic',
    topic,
    '--num-records',
    String(records),
    '--record-size',
    '1024',
    '--throughput',
    '-1',
    '--producer-props',
    `bootstrap.servers=${bootstrap}`,
    'acks=1',
  ];
}

async function main(): Promise<void> {
  const workload = (argValue('--workload') ?? 'produce') as Workload;
  if (workload !== 'produce' && workload !== 'consume') throw new Error(`--workload must be produce or consume, not ${workload}`);
  const records = Number(argValue('--records') ?? (workload === 'produce' ? 2_000_000 : 1_000_000));
  const partitions = Number(argValue('--partitions') ?? 1);
  const passes = Number(argValue('--passes') ?? 3);
  // --env K=V (repeatable): extra environment for the broker, e.g. UV_USE_IO_URING=0.
  const extraEnv: Record<string, string> = {};
  args.forEach((a, i) => {
    const kv = a === '--env' ? args[i + 1] : undefined;
    if (kv !== undefined && kv.includes('=')) extraEnv[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
  });
  const envText = Object.entries(extraEnv)
    .map(([k, v]) => `${k}=${v} `)
    .join('');
  const suffix = argValue('--suffix') ?? (workload === 'consume' ? '-consume' : '');
  const out = join(repoRoot(), 'bench', 'results', `profile${suffix}.json`);
  const analyze = argValue('--analyze');
  const rawCopy = join(repoRoot(), 'bench', 'results', `fjord-${workload === 'produce' ? 'w1' : 'w4'}${suffix}.cpuprofile`);
  const producerCmd = `kafka-producer-perf-test.sh ${producerArgs('$TOPIC', records, '$BOOTSTRAP').join(' ')}`;
  const driver =
    workload === 'produce'
      ? producerCmd
      : `${producerCmd} against an unprofiled broker, then the profiled broker on the same log dir read ${passes} times by \`java BenchConsume $BOOTSTRAP $TOPIC ${records} 10000\``;
  // The node flags of bin/fjord.js's shebang (fjordCommand's args without the script path).
  const nodeFlags = fjordCommand([])[1].slice(0, -1);
  const command =
    envText +
    [
      'node',
      ...nodeFlags,
      '--cpu-prof',
      '--cpu-prof-dir=$DIR',
      'bin/fjord.js',
      'broker',
      '--override',
      'listeners=PLAINTEXT://127.0.0.1:$PORT',
      '--override',
      'log.dirs=$DATA',
      '--override',
      'node.id=1',
    ].join(' ');
  let profileFile: string;
  let load1 = loadAverage1();
  let producerStats: ProfileResults['producerStats'];
  let consumerStats: ProfileResults['consumerStats'];
  if (analyze !== undefined) {
    profileFile = analyze;
  } else {
    ensureTools();
    const profDir = mkdtempSync(join(tmpdir(), 'fjord-bench-prof-'));
    const dataDir = mkdtempSync(join(tmpdir(), 'fjord-bench-prof-data-'));
    const topic = `bench-profile-${Date.now()}`;
    const bytes = records * 1024;
    let profiled: FjordProcess | undefined;
    const kill = () => profiled?.child.kill('SIGKILL');
    process.once('exit', kill);
    try {
      if (workload === 'consume') {
        const writer = await startFjord(dataDir, null, extraEnv);
        try {
          await createTopic(writer.bootstrap, topic, partitions);
          const r = await runTool('kafka-producer-perf-test.sh', producerArgs(topic, records, writer.bootstrap), {
            timeoutMs: 15 * 60_000,
          });
          if (parseProducerPerf(r.stdout) === null) throw new Error(`producer failed:\n${r.stdout}\n${r.stderr}`);
        } finally {
          await stopFjord(writer);
        }
      }
      profiled = await startFjord(dataDir, profDir, extraEnv);
      const pid = profiled.child.pid ?? -1;
      if (workload === 'produce') {
        await createTopic(profiled.bootstrap, topic, partitions);
        load1 = loadAverage1();
        const cpu0 = cpuSeconds(pid);
        const r = await runTool('kafka-producer-perf-test.sh', producerArgs(topic, records, profiled.bootstrap), {
          timeoutMs: 15 * 60_000,
        });
        const p = parseProducerPerf(r.stdout);
        const brokerCpuSec = cpuSeconds(pid) - cpu0;
        if (p !== null)
          producerStats = {
            recordsPerSec: p.recordsPerSec,
            mibPerSec: p.mibPerSec,
            brokerCpuSec,
            cpuSecPerGb: brokerCpuSec / (bytes / 1e9),
            env: extraEnv,
          };
        process.stderr.write(`broker CPU ${brokerCpuSec.toFixed(2)} s = ${(brokerCpuSec / (bytes / 1e9)).toFixed(2)} s/GB\n`);
        process.stderr.write(
          `producer: ${p === null ? `FAILED\n${r.stdout}\n${r.stderr}` : `${p.recordsPerSec} records/s, ${p.mibPerSec} MiB/s`}\n`,
        );
      } else {
        load1 = loadAverage1();
        const mibPerSec: number[] = [];
        const cpu0 = cpuSeconds(pid);
        for (let pass = 0; pass < passes; pass++) {
          const r = await runBenchJava('BenchConsume', [profiled.bootstrap, topic, String(records), '10000'], { timeoutMs: 10 * 60_000 });
          const c = parseBenchConsume(r.stdout);
          if (c === null) throw new Error(`BenchConsume failed:\n${r.stdout}\n${r.stderr}`);
          mibPerSec.push(c.mibPerSec);
          process.stderr.write(`pass ${pass + 1}: ${c.mibPerSec.toFixed(1)} MiB/s\n`);
        }
        const brokerCpuSec = cpuSeconds(pid) - cpu0;
        const cpuSecPerGb = brokerCpuSec / ((bytes * passes) / 1e9);
        consumerStats = { passes, mibPerSec, medianMibPerSec: median(mibPerSec), brokerCpuSec, cpuSecPerGb, env: extraEnv };
        process.stderr.write(
          `broker CPU ${brokerCpuSec.toFixed(2)} s = ${cpuSecPerGb.toFixed(2)} s/GB; median ${median(mibPerSec).toFixed(1)} MiB/s\n`,
        );
      }
    } finally {
      const exitCode = profiled === undefined ? null : await stopFjord(profiled);
      process.off('exit', kill);
      rmSync(dataDir, { recursive: true, force: true });
      if (exitCode !== 0) rmSync(profDir, { recursive: true, force: true });
    }
    try {
      const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
      if (files.length === 0) throw new Error(`no .cpuprofile written in ${profDir}`);
      copyFileSync(join(profDir, files[0]!), rawCopy);
    } finally {
      rmSync(profDir, { recursive: true, force: true });
    }
    profileFile = rawCopy;
  }
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile;
  const summary = summarizeProfile(profile);
  const results: ProfileResults = {
    kind: 'profile',
    date: new Date().toISOString(),
    command,
    workload:
      workload === 'produce'
        ? `workload 1 (${records} x 1 KiB, ${partitions} partition(s), acks=1)`
        : `workload 4 (reading ${records} x 1 KiB from ${partitions} partition(s), ${passes} passes, assign())`,
    producer: driver,
    profileFile: relative(repoRoot(), profileFile),
    load1,
    ...(producerStats !== undefined ? { producerStats } : {}),
    ...(consumerStats !== undefined ? { consumerStats } : {}),
    ...summary,
  };
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  process.stderr.write(`busy ${(summary.sampledMs - summary.idleMs).toFixed(0)} ms of ${summary.sampledMs.toFixed(0)} ms sampled\n`);
  for (const f of summary.top)
    process.stderr.write(
      `${f.selfPct.toFixed(1).padStart(5)}% self ${f.totalPct.toFixed(1).padStart(5)}% total  ${f.functionName}  ${f.location}  <- ${f.callers.join('; ')}\n`,
    );
  for (const c of summary.byCategory) process.stderr.write(`${c.selfPct.toFixed(1).padStart(5)}%  ${c.category}\n`);
  const reported = suffix === '' || suffix === '-consume';
  if (!args.includes('--no-report') && reported) for (const p of writeReport()) process.stderr.write(`wrote ${p}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
