// Writes docs/benchmarks.md and docs/benchmarks-ratios.svg from bench/results/{macro,micro,profile}.json
// and the hand-written bench/analysis.md. Run on its own to regenerate: node dist/bench/report.js
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../test/harness/tools.js';
import { median } from './lib/parse.js';
import type { MacroResults, MicroResults, MicroRow, ProfileResults, StepRecord, Target } from './lib/types.js';

type Better = 'higher' | 'lower';

interface Row {
  section: string;
  label: string;
  unit: string;
  better: Better;
  /** Per-round values per target. */
  values: Record<Target, number[]>;
  /** Issue 4 target for Fjord/Kafka, e.g. '>= 1.0'. */
  goal?: { ratio: number; text: string };
  note?: string;
  /** Shown in the chart. */
  chart?: string;
}

function stepValues(r: MacroResults, step: string, pick: (s: StepRecord) => number): Record<Target, number[]> {
  const out: Record<Target, number[]> = { kafka: [], fjord: [] };
  for (const s of r.steps) if (s.step === step && s.ok && s.skipped === undefined) out[s.target].push(pick(s));
  return out;
}

function skippedNote(r: MacroResults, step: string): string | undefined {
  const s = r.steps.find((x) => x.step === step && x.skipped !== undefined);
  return s === undefined ? undefined : `${s.target}: n/a (${s.skipped})`;
}

function failedNote(r: MacroResults, step: string): string | undefined {
  const f = r.steps.filter((x) => x.step === step && !x.ok);
  if (f.length === 0) return undefined;
  return f.map((x) => `${x.target} round ${x.round} failed`).join('; ');
}

const metric = (name: string) => (s: StepRecord) => s.metrics[name] ?? Number.NaN;
const cpuPerGb = (s: StepRecord) => (s.bytes > 0 ? s.brokerCpuSec / (s.bytes / 1e9) : Number.NaN);

function buildRows(r: MacroResults): Row[] {
  const rows: Row[] = [];
  const add = (row: Row) => {
    const notes = [row.note, skippedNote(r, row.section), failedNote(r, row.section)].filter((x) => x !== undefined);
    rows.push({ ...row, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) });
  };
  const thr = { ratio: 1, text: '>= 1.0' };
  const lat = { ratio: 1, text: '<= 1.0' };
  add({
    section: 'w1',
    label: '1. Produce 1 KiB, 1 partition, acks=1',
    unit: 'records/s',
    better: 'higher',
    values: stepValues(r, 'w1', metric('recordsPerSec')),
    goal: thr,
    chart: '1. produce 1p acks=1',
  });
  add({ section: 'w1', label: '1. (same) MiB/s', unit: 'MiB/s', better: 'higher', values: stepValues(r, 'w1', metric('mibPerSec')) });
  add({
    section: 'w1',
    label: '1. (same) produce p99 (unthrottled, queueing)',
    unit: 'ms',
    better: 'lower',
    values: stepValues(r, 'w1', metric('p99Ms')),
  });
  add({
    section: 'w2',
    label: '2. Produce 1 KiB, 8 partitions, defaults (idempotent, acks=all)',
    unit: 'records/s',
    better: 'higher',
    values: stepValues(r, 'w2', metric('recordsPerSec')),
    goal: thr,
    chart: '2. produce 8p idempotent',
  });
  add({ section: 'w2', label: '2. (same) MiB/s', unit: 'MiB/s', better: 'higher', values: stepValues(r, 'w2', metric('mibPerSec')) });
  add({
    section: 'w3',
    label: '3. Produce 100 B, 1 partition, acks=all',
    unit: 'records/s',
    better: 'higher',
    values: stepValues(r, 'w3', metric('recordsPerSec')),
    goal: thr,
    chart: '3. produce 100 B acks=all',
  });
  add({ section: 'w3', label: '3. (same) MiB/s', unit: 'MiB/s', better: 'higher', values: stepValues(r, 'w3', metric('mibPerSec')) });
  add({
    section: 'w4-consume-w1',
    label: '4a. Consume run 1 (1 partition), assign()',
    unit: 'MiB/s',
    better: 'higher',
    values: stepValues(r, 'w4-consume-w1', metric('mibPerSec')),
    goal: thr,
    chart: '4a. consume 1p (assign)',
  });
  add({
    section: 'w4-consume-w2',
    label: '4b. Consume run 2 (8 partitions), assign()',
    unit: 'MiB/s',
    better: 'higher',
    values: stepValues(r, 'w4-consume-w2', metric('mibPerSec')),
    goal: thr,
    chart: '4b. consume 8p (assign)',
  });
  add({
    section: 'w4-cperf-w1',
    label: "4a'. ConsumerPerformance run 1 (group), fetch MiB/s",
    unit: 'MiB/s',
    better: 'higher',
    values: stepValues(r, 'w4-cperf-w1', metric('fetchMibPerSec')),
    goal: thr,
    chart: "4a'. ConsumerPerformance 1p",
  });
  add({
    section: 'w4-cperf-w2',
    label: "4b'. ConsumerPerformance run 2 (group), fetch MiB/s",
    unit: 'MiB/s',
    better: 'higher',
    values: stepValues(r, 'w4-cperf-w2', metric('fetchMibPerSec')),
    goal: thr,
    chart: "4b'. ConsumerPerformance 8p",
  });
  const rate = r.fixedRate;
  for (const [k, name] of [
    ['p50Ms', 'p50'],
    ['p99Ms', 'p99'],
    ['p999Ms', 'p99.9'],
  ] as const) {
    add({
      section: 'w5-fixed-rate',
      label: `5. Produce latency ${name} at ${rate.toLocaleString('en-US')} rec/s (1 KiB, acks=1)`,
      unit: 'ms',
      better: 'lower',
      values: stepValues(r, 'w5-fixed-rate', metric(k)),
      ...(k === 'p99Ms' ? { goal: lat, chart: '5. produce p99 @ fixed rate' } : {}),
      note: 'ProducerPerformance prints whole ms',
    });
  }
  add({
    section: 'w5-fixed-rate',
    label: '5. (same) achieved rate',
    unit: 'records/s',
    better: 'higher',
    values: stepValues(r, 'w5-fixed-rate', metric('recordsPerSec')),
  });
  for (const [k, name] of [
    ['p50Ms', 'p50'],
    ['p99Ms', 'p99'],
    ['p999Ms', 'p99.9'],
  ] as const) {
    add({
      section: 'w5-e2e',
      label: `5. End-to-end latency ${name} (BenchEndToEnd, assign, 1 KiB, acks=1)`,
      unit: 'ms',
      better: 'lower',
      values: stepValues(r, 'w5-e2e', metric(k)),
      ...(k === 'p99Ms' ? { goal: lat, chart: '5. end-to-end p99' } : {}),
    });
  }
  for (const [k, name] of [
    ['p50Ms', 'p50'],
    ['p99Ms', 'p99'],
    ['p999Ms', 'p99.9'],
  ] as const) {
    add({
      section: 'w5-e2e-real',
      label: `5'. EndToEndLatency ${name} (Kafka's tool, group)`,
      unit: 'ms',
      better: 'lower',
      values: stepValues(r, 'w5-e2e-real', metric(k)),
      note: 'whole ms',
    });
  }
  const blockValues = (pick: (b: MacroResults['blocks'][number]) => number | undefined): Record<Target, number[]> => {
    const out: Record<Target, number[]> = { kafka: [], fjord: [] };
    for (const b of r.blocks) {
      const v = pick(b);
      if (v !== undefined && Number.isFinite(v)) out[b.target].push(v);
    }
    return out;
  };
  const MiB = 2 ** 20;
  add({
    section: 'rss',
    label: '6. Broker peak RSS over a whole round (VmHWM)',
    unit: 'MiB',
    better: 'lower',
    values: blockValues((b) => b.peakRssBytes / MiB),
    goal: { ratio: 0.25, text: '<= 0.25' },
    chart: '6. peak RSS',
  });
  add({
    section: 'rss',
    label: '6. Broker RSS when idle after start',
    unit: 'MiB',
    better: 'lower',
    values: blockValues((b) => b.idleRssBytes / MiB),
  });
  for (const [stepName, label, chart] of [
    ['w1', 'run 1', '6. CPU s/GB, run 1'],
    ['w2', 'run 2', '6. CPU s/GB, run 2'],
    ['w3', 'run 3', ''],
    ['w4-consume-w1', 'run 4a', ''],
    ['w4-consume-w2', 'run 4b', '6. CPU s/GB, consume 8p'],
  ] as const) {
    add({
      section: stepName,
      label: `6. Broker CPU seconds per GB moved, ${label}`,
      unit: 'CPU s/GB',
      better: 'lower',
      values: stepValues(r, stepName, cpuPerGb),
      ...(chart !== '' ? { chart } : {}),
    });
  }
  add({
    section: 'startup',
    label: '7. Process start to first acknowledged produce',
    unit: 'ms',
    better: 'lower',
    values: blockValues((b) => b.startup?.firstProduceMs),
    goal: { ratio: 0.1, text: '<= 0.1' },
    chart: '7. start to first produce',
  });
  add({
    section: 'startup',
    label: '7. Process start to accepting TCP connections',
    unit: 'ms',
    better: 'lower',
    values: blockValues((b) => b.startup?.listenMs),
  });
  return rows;
}

function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return '–';
  return r !== 0 && r < 0.095 ? r.toPrecision(2) : r.toFixed(2);
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

interface Summary {
  k: number;
  f: number;
  ratio: number;
  /** > 1 means Fjord is better. */
  advantage: number;
}

function summarize(row: Row): Summary {
  const k = median(row.values.kafka);
  const f = median(row.values.fjord);
  const ratio = f / k;
  const advantage = row.better === 'higher' ? ratio : 1 / ratio;
  return { k, f, ratio, advantage };
}

function goalMet(row: Row, s: Summary): string {
  if (row.goal === undefined) return '';
  if (!Number.isFinite(s.ratio)) return `${row.goal.text}: –`;
  const met = row.better === 'higher' ? s.ratio >= row.goal.ratio : s.ratio <= row.goal.ratio;
  return `${row.goal.text}: ${met ? 'met' : 'NOT met'}`;
}

// ---- chart -----------------------------------------------------------------------------------

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&#39;');
}

export function ratiosSvg(rows: Row[], title: string): string {
  const items = rows
    .filter((r) => r.chart !== undefined)
    .map((r) => ({ row: r, s: summarize(r) }))
    .filter((x) => Number.isFinite(x.s.advantage) && x.s.advantage > 0);
  const labelW = 250;
  const plotW = 520;
  const rowH = 26;
  const top = 58;
  const width = labelW + plotW + 150;
  const height = top + items.length * rowH + 50;
  const maxLog = 4; // 1/16 .. 16
  const x = (adv: number) => labelW + plotW / 2 + (Math.max(-maxLog, Math.min(maxLog, Math.log2(adv))) / maxLog) * (plotW / 2);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  parts.push(
    `<text x="${width / 2}" y="38" text-anchor="middle" fill="#555">Fjord relative to Kafka, log scale: right of 1× = Fjord better (throughput F/K; latency, memory, CPU, start time K/F)</text>`,
  );
  for (let e = -maxLog; e <= maxLog; e++) {
    const gx = x(2 ** e);
    parts.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${top + items.length * rowH}" stroke="${e === 0 ? '#000' : '#ddd'}"/>`);
    parts.push(
      `<text x="${gx}" y="${top + items.length * rowH + 16}" text-anchor="middle" fill="#555">${e >= 0 ? `${2 ** e}×` : `1/${2 ** -e}`}</text>`,
    );
  }
  items.forEach(({ row, s }, i) => {
    const y = top + i * rowH;
    const x0 = x(1);
    const x1 = x(s.advantage);
    const color = s.advantage >= 1 ? '#2e7d32' : '#c62828';
    parts.push(`<text x="${labelW - 8}" y="${y + 17}" text-anchor="end">${esc(row.chart!)}</text>`);
    parts.push(
      `<rect x="${Math.min(x0, x1)}" y="${y + 5}" width="${Math.max(1, Math.abs(x1 - x0))}" height="${rowH - 10}" fill="${color}"/>`,
    );
    const rawText = `F/K = ${fmtRatio(s.ratio)}`;
    parts.push(`<text x="${labelW + plotW + 8}" y="${y + 17}">${esc(rawText)}</text>`);
  });
  parts.push(
    `<text x="${width / 2}" y="${height - 10}" text-anchor="middle" fill="#555">median of each side's rounds; generated by bench/report.ts</text>`,
  );
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

// ---- markdown --------------------------------------------------------------------------------

function readJson<T>(path: string): T | null {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : null;
}

function macroSection(r: MacroResults, rows: Row[]): string[] {
  const out: string[] = [];
  const m = r.machine;
  const loads = r.steps.map((s) => s.load1).filter(Number.isFinite);
  out.push('## Machine and versions', '');
  out.push(
    `- Run started ${r.date}, finished ${r.finishedAt}; Fjord commit \`${r.fjordCommit}\`${r.fjordTreeDirty === false ? '' : ' (plus uncommitted work in the tree at the time)'}.`,
  );
  out.push(
    `- ${m.nproc} vCPU (${m.cpuModel}), ${m.memTotalGiB} GiB RAM, Linux ${m.kernel}; Node ${m.node}; ${m.java}; Apache Kafka ${r.kafkaVersion} (KRaft combined mode, single node).`,
  );
  out.push(
    `- Load: the machine is shared. 1-minute load average at the start of each step: min ${fmt(Math.min(...loads))}, median ${fmt(median(loads))}, max ${fmt(Math.max(...loads))} (waited ${r.waitedForQuietSec} s for load < 1.2 before starting; load at start ${r.loadAtStart}).`,
  );
  out.push(
    `- ${r.rounds} rounds; each round runs Kafka then Fjord, each a fresh broker process with a fresh log dir under \`os.tmpdir()\` (same disk).`,
  );
  out.push('');
  out.push('## Results (medians of the rounds)', '');
  out.push('Ratio = Fjord / Kafka of the medians. "Better" tells which side wins that row.', '');
  out.push('| Measurement | Unit | Kafka | Fjord | Fjord/Kafka | Better | Issue 4 target | Notes |');
  out.push('|---|---|---:|---:|---:|---|---|---|');
  for (const row of rows) {
    const s = summarize(row);
    const better = Number.isNaN(s.advantage) ? '–' : Math.abs(s.advantage - 1) < 0.02 ? 'tie' : s.advantage > 1 ? 'Fjord' : 'Kafka';
    out.push(
      `| ${row.label} | ${row.unit} | ${fmt(s.k)} | ${fmt(s.f)} | ${fmtRatio(s.ratio)} | ${better} | ${goalMet(row, s)} | ${row.note ?? ''} |`,
    );
  }
  out.push('', '![Fjord/Kafka ratios](benchmarks-ratios.svg)', '');
  out.push('<details><summary>Every round</summary>', '');
  out.push('| Measurement | Kafka (rounds) | Fjord (rounds) |', '|---|---|---|');
  for (const row of rows)
    out.push(`| ${row.label} (${row.unit}) | ${row.values.kafka.map(fmt).join(', ')} | ${row.values.fjord.map(fmt).join(', ')} |`);
  out.push('', '| Round | Target | Step | Load | Duration s | Broker CPU s | Max RSS MiB |', '|---|---|---|---:|---:|---:|---:|');
  for (const s of r.steps) {
    out.push(
      `| ${s.round} | ${s.target} | ${s.step}${s.ok ? '' : ' (FAILED)'}${s.skipped !== undefined ? ' (n/a)' : ''} | ${s.load1} | ${(s.durationMs / 1000).toFixed(1)} | ${s.brokerCpuSec.toFixed(2)} | ${fmt(s.brokerRssMaxBytes / 2 ** 20)} |`,
    );
  }
  out.push('', '</details>', '');
  out.push('## Exact commands', '');
  out.push(
    'Run with `make bench` (= `node dist/bench/run.js --rounds 3`); `$BOOTSTRAP` is the broker under test, `$TOPIC` a fresh topic created per run',
  );
  out.push(
    '(kafkajs admin, replication factor 1). Kafka tools are the wrappers from `test/tools/install.sh` (`java -Xmx512m -cp "<kafka-libs>/*" <MainClass>`).',
  );
  out.push(
    'Record counts: ' +
      Object.entries(r.counts)
        .map(([k, v]) => `${k}=${v.toLocaleString('en-US')}`)
        .join(', ') +
      '.',
    '',
  );
  out.push('```');
  for (const c of r.commands) out.push(c);
  out.push('```', '');
  out.push(
    'Brokers: Kafka = `kafka-server-start.sh server.properties` (`java -Xmx1g -Xms256m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 kafka.Kafka`) with the',
  );
  out.push(
    'single-node KRaft settings of `test/harness/broker.ts` and otherwise stock defaults; Fjord = `bin/fjord.js broker --override listeners=... --override log.dirs=... --override node.id=1` (node with the V8 flags of its shebang line, `--max-semi-space-size=4`).',
  );
  out.push(
    'Broker CPU = utime+stime from `/proc/<pid>/stat` over the step; RSS = `VmRSS` sampled every 100 ms and `VmHWM` from `/proc/<pid>/status`.',
  );
  out.push(
    "Start to first produce: `bench/lib/startup.ts` spawns the broker (same command line) and, from the moment of spawn, retries connect + Metadata (auto-create) + a one-record Produce acks=1 until acknowledged; Kafka's `kafka-storage.sh format` runs before the clock starts.",
  );
  out.push('');
  return out;
}

function microSection(m: MicroResults): string[] {
  const out: string[] = ['## Micro-benchmarks (tinybench, `node dist/bench/micro/run.js`)', ''];
  out.push(`Run ${m.date}, load ${m.load1}. Mean and p99 per operation; MB/s = 10^6 bytes of the operation's input per second.`, '');
  for (const r of m.partialRuns ?? [])
    out.push(`The rows of "${r.group}" are from \`--only '${r.group}'\` run ${r.date}, load ${r.load1}.`, '');
  out.push(...microTable(m.rows));
  for (const b of m.baselines ?? []) {
    out.push(`Baseline "${b.label}" (\`--baseline\`), run ${b.date}, load ${b.load1}:`, '', ...microTable(b.rows));
  }
  return out;
}

function microTable(rows: MicroRow[]): string[] {
  const out = ['| Group | Operation | Mean µs | p50 µs | p99 µs | ops/s | MB/s | ±% |', '|---|---|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    out.push(
      `| ${r.group} | ${r.name} | ${fmt(r.meanUs)} | ${fmt(r.p50Us)} | ${fmt(r.p99Us)} | ${fmt(r.opsPerSec)} | ${r.bytesPerOp > 0 ? fmt(r.mbPerSec) : ''} | ${r.rme.toFixed(1)} |`,
    );
  }
  out.push('');
  return out;
}

function profileSection(p: ProfileResults, title: string): string[] {
  const out: string[] = [`## ${title}`, ''];
  out.push(
    `Profiled ${p.date} (load ${p.load1}), ${p.workload}: \`${p.command}\`, driven by ${p.producer.includes('`') ? p.producer : `\`${p.producer}\``}.`,
  );
  if (p.producerStats !== undefined) {
    const s = p.producerStats;
    out.push(
      `Under the profiler: ${fmt(s.recordsPerSec)} records/s (${fmt(s.mibPerSec)} MiB/s), broker CPU ${s.brokerCpuSec.toFixed(2)} s = ${s.cpuSecPerGb.toFixed(2)} CPU s/GB.`,
    );
  }
  if (p.consumerStats !== undefined) {
    const s = p.consumerStats;
    out.push(
      `Under the profiler: ${s.mibPerSec.map((v) => fmt(v)).join(', ')} MiB/s (median ${fmt(s.medianMibPerSec)}), broker CPU ${s.brokerCpuSec.toFixed(2)} s = ${s.cpuSecPerGb.toFixed(2)} CPU s/GB read.`,
    );
  }
  out.push(
    `${(p.durationMs / 1000).toFixed(1)} s of profile, ${(p.sampledMs / 1000).toFixed(1)} s of samples, of which ${(p.idleMs / 1000).toFixed(1)} s idle (event loop waiting: the socket, the disk and the kernel side are not in a JS profile).`,
    '',
  );
  out.push('Top 15 functions by self time (percent of non-idle samples):', '');
  out.push(
    '| # | Function | Location | Self ms | Self % | Total % | Called from (share of self time) |',
    '|---:|---|---|---:|---:|---:|---|',
  );
  p.top.forEach((f, i) =>
    out.push(
      `| ${i + 1} | \`${f.functionName}\` | ${f.location} | ${f.selfMs.toFixed(0)} | ${f.selfPct.toFixed(1)} | ${f.totalPct.toFixed(1)} | ${(f.callers ?? []).join('<br>')} |`,
    ),
  );
  out.push('', 'Self time by category:', '', '| Category | Self ms | % |', '|---|---:|---:|');
  for (const c of p.byCategory) out.push(`| ${c.category} | ${c.selfMs.toFixed(0)} | ${c.selfPct.toFixed(1)} |`);
  out.push('', 'Self time by file (top 12):', '', '| File | Self ms | % |', '|---|---:|---:|');
  for (const c of p.byFile.slice(0, 12)) out.push(`| ${c.file} | ${c.selfMs.toFixed(0)} | ${c.selfPct.toFixed(1)} |`);
  out.push('');
  return out;
}

/** Writes docs/benchmarks.md and the chart; returns the paths written. */
export function writeReport(): string[] {
  const root = repoRoot();
  const macro = readJson<MacroResults>(join(root, 'bench', 'results', 'macro.json'));
  const micro = readJson<MicroResults>(join(root, 'bench', 'results', 'micro.json'));
  const profile = readJson<ProfileResults>(join(root, 'bench', 'results', 'profile.json'));
  const consumeProfile = readJson<ProfileResults>(join(root, 'bench', 'results', 'profile-consume.json'));
  const analysisPath = join(root, 'bench', 'analysis.md');
  const out: string[] = ['# Benchmarks: Fjord vs Apache Kafka', ''];
  out.push('Generated by `bench/report.ts` from `bench/results/*.json` (see `bench/README.md`). Do not edit by hand;');
  out.push('the commentary comes from `bench/analysis.md`.', '');
  const written: string[] = [];
  let rows: Row[] = [];
  if (macro !== null) {
    rows = buildRows(macro);
    out.push(...macroSection(macro, rows));
    const svgPath = join(root, 'docs', 'benchmarks-ratios.svg');
    writeFileSync(
      svgPath,
      ratiosSvg(rows, `Fjord vs Apache Kafka ${macro.kafkaVersion} (${macro.machine.nproc} vCPU, ${macro.date.slice(0, 10)})`),
    );
    written.push(svgPath);
  } else {
    out.push('_No macro results yet: run `make bench`._', '');
  }
  if (existsSync(analysisPath)) out.push(readFileSync(analysisPath, 'utf8').trim(), '');
  if (micro !== null) out.push(...microSection(micro));
  if (profile !== null) out.push(...profileSection(profile, 'CPU profile of Fjord under workload 1'));
  if (consumeProfile !== null) out.push(...profileSection(consumeProfile, 'CPU profile of Fjord under workload 4 (reads)'));
  const mdPath = join(root, 'docs', 'benchmarks.md');
  writeFileSync(mdPath, out.join('\n'));
  written.unshift(mdPath);
  return written;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const p of writeReport()) process.stdout.write(`wrote ${p}\n`);
}
