// Micro-benchmarks of the produce/fetch hot paths with tinybench (issue 4):
//   frame decode (request header + Produce body via the generated codec), record batch
//   validation incl. CRC-32C (validateProducedRecords), PartitionLog.append, PartitionLog.read
//   (tail cache and disk/page cache); and the group coordinator's timers (issue 10,
//   group-coordinator.ts).
//
//   node dist/bench/micro/run.js [--time 1000] [--out bench/results/micro.json] [--no-report]
//                                [--only <group>] [--baseline <label>]
//
// --only runs the cases of one group (e.g. --only 'group coordinator') and replaces just that
// group's rows in the results file; --baseline stores the rows as a labelled baseline instead
// (e.g. measured at the commit before a change), shown beside the current rows in the report.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { DEFAULT_LOG_CONFIG, PartitionLog, TAIL_CACHE_BYTES_MAX } from '../../broker/src/log/partition-log.js';
import { crc32c } from '../../broker/src/protocol/crc32c.js';
import {
  decodeProduceRequest,
  decodeRequestHeader,
  encodeProduceRequest,
  encodeRequestHeader,
  requestHeaderVersion,
} from '../../broker/src/protocol/generated/index.js';
import { Reader } from '../../broker/src/protocol/reader.js';
import { validateProducedRecords } from '../../broker/src/protocol/record-batch.js';
import { buildRecordBatch } from '../../broker/src/protocol/records.js';
import { Writer } from '../../broker/src/protocol/writer.js';
import { repoRoot } from '../../test/harness/tools.js';
import { loadAverage1, machineInfo } from '../lib/proc.js';
import type { MicroResults, MicroRow } from '../lib/types.js';
import { writeReport } from '../report.js';
import type { Case } from './case.js';
import { GROUP_COORDINATOR_GROUP, groupCoordinatorCases } from './group-coordinator.js';

const args = process.argv.slice(2);
const argValue = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const timeMs = Number(argValue('--time') ?? 1000);
const out = argValue('--out') ?? join(repoRoot(), 'bench', 'results', 'micro.json');
const report = !args.includes('--no-report');
const only = argValue('--only');
const baselineLabel = argValue('--baseline');
const wanted = (group: string) => only === undefined || only === group;

function batchOf(records: number, valueBytes: number, producerId = -1): Buffer {
  const value = Buffer.alloc(valueBytes, 0x61);
  return buildRecordBatch({
    records: Array.from({ length: records }, () => ({ value })),
    producerId,
    producerEpoch: producerId >= 0 ? 0 : -1,
    baseSequence: producerId >= 0 ? 0 : -1,
  });
}

/** A Produce v9 request frame (without the 4-byte size prefix, as the dispatcher sees it). */
function produceFrame(partitions: number, batch: Buffer): Buffer {
  const w = new Writer();
  encodeRequestHeader(w, requestHeaderVersion(0, 9), { requestApiKey: 0, requestApiVersion: 9, correlationId: 7, clientId: 'producer-1' });
  encodeProduceRequest(w, 9, {
    acks: -1,
    timeoutMs: 30000,
    topicData: [{ name: 'bench-topic', partitionData: Array.from({ length: partitions }, (_, index) => ({ index, records: batch })) }],
  });
  return Buffer.from(w.toBuffer());
}

/**
 * The results file after this run. A full run replaces the rows (baselines are kept). A partial
 * run (--only) replaces the rows of the groups it measured, in place, and records its own date
 * for them. --baseline stores the rows as a labelled baseline and leaves the rows alone.
 */
function mergeResults(previous: MicroResults | null, rows: MicroRow[], ranGroups: Set<string>): MicroResults {
  const now = { date: new Date().toISOString(), machine: machineInfo(), load1: loadAverage1() };
  const baselines = previous?.baselines ?? [];
  if (baselineLabel !== undefined) {
    if (previous === null) throw new Error(`--baseline needs an existing ${out}`);
    return { ...previous, baselines: [...baselines.filter((b) => b.label !== baselineLabel), { label: baselineLabel, ...now, rows }] };
  }
  const kept = baselines.length > 0 ? { baselines } : {};
  if (only === undefined || previous === null) return { kind: 'micro', ...now, rows, ...kept };
  const merged: MicroRow[] = [];
  for (const row of previous.rows) {
    if (!ranGroups.has(row.group)) merged.push(row);
    else if (!merged.some((r) => r.group === row.group)) merged.push(...rows.filter((r) => r.group === row.group));
  }
  merged.push(...rows.filter((r) => !previous.rows.some((p) => p.group === r.group)));
  const partialRuns = [
    ...(previous.partialRuns ?? []).filter((r) => !ranGroups.has(r.group)),
    ...[...ranGroups].map((group) => ({ group, ...now })),
  ];
  return { ...previous, rows: merged, partialRuns, ...kept };
}

async function main(): Promise<void> {
  const cases: Case[] = [];

  // ---- frame decode
  const batch16k = batchOf(16, 1024); // what ProducerPerformance sends with batch.size=16384 and 1 KiB records
  const batch100b = batchOf(160, 100);
  const batch1m = batchOf(1000, 1024);
  for (const [label, partitions, batch] of [
    ['Produce v9, 1 partition x 16 KiB batch', 1, batch16k],
    ['Produce v9, 8 partitions x 16 KiB batch', 8, batch16k],
    ['Produce v9, 1 partition x 16 KiB batch of 100 B records', 1, batch100b],
  ] as const) {
    const frame = produceFrame(partitions, batch);
    cases.push({
      group: 'frame decode',
      name: label,
      bytesPerOp: frame.length,
      fn: () => {
        const r = new Reader(frame);
        decodeRequestHeader(r, 2);
        return decodeProduceRequest(r, 9);
      },
    });
  }

  // ---- validation + CRC
  for (const [label, batch] of [
    ['validateProducedRecords 16 KiB (16 x 1 KiB)', batch16k],
    ['validateProducedRecords 16 KiB (160 x 100 B)', batch100b],
    ['validateProducedRecords 1 MiB (1000 x 1 KiB)', batch1m],
  ] as const) {
    const limits = { maxMessageBytes: 16 * 1024 * 1024 };
    cases.push({
      group: 'batch validation',
      name: label,
      bytesPerOp: batch.length,
      fn: () => {
        const v = validateProducedRecords(batch, limits);
        if (!v.ok) throw new Error(v.message);
        return v;
      },
    });
  }
  // What validation hashes: the batch from byte 21 (CRC_START) on, an unaligned view.
  const crcRegion16k = batch16k.subarray(21);
  cases.push({
    group: 'batch validation',
    name: 'crc32c of a 16 KiB batch from byte 21 (as validation does)',
    bytesPerOp: crcRegion16k.length,
    fn: () => crc32c(crcRegion16k),
  });
  const crcRegion1m = batch1m.subarray(21);
  cases.push({
    group: 'batch validation',
    name: 'crc32c of a 1 MiB batch from byte 21 (as validation does)',
    bytesPerOp: crcRegion1m.length,
    fn: () => crc32c(crcRegion1m),
  });
  for (const size of [1024, 16 * 1024, 1024 * 1024]) {
    const buf = Buffer.alloc(size, 0x5a);
    cases.push({
      group: 'batch validation',
      name: `crc32c (@node-rs/crc32) ${size >= 1 << 20 ? `${size >> 20} MiB` : `${size >> 10} KiB`}`,
      bytesPerOp: size,
      fn: () => crc32c(buf),
    });
  }

  // ---- PartitionLog append / read
  const dir = mkdtempSync(join(tmpdir(), 'fjord-bench-micro-'));
  const logs: PartitionLog[] = [];
  try {
    if (wanted('log append') || wanted('fetch read')) {
      const appendLog = await PartitionLog.open(join(dir, 'append-0'), { ...DEFAULT_LOG_CONFIG });
      logs.push(appendLog);
      // The log keeps and stamps each batch: give it distinct buffers from a ring larger than the
      // tail cache, so a buffer is reused only after its write completed and it left the cache.
      const ring = Array.from({ length: Math.ceil((2 * TAIL_CACHE_BYTES_MAX) / batch16k.length) + 64 }, () => Buffer.from(batch16k));
      let next = 0;
      const take = () => {
        const b = ring[next]!;
        next = (next + 1) % ring.length;
        return b;
      };
      cases.push({
        group: 'log append',
        name: 'PartitionLog.append 16 KiB, await each (one write per batch)',
        bytesPerOp: batch16k.length,
        fn: async () => {
          const r = await appendLog.append(take(), 0);
          if (r.errorCode !== 0) throw new Error(`append error ${r.errorCode}`);
        },
      });
      cases.push({
        group: 'log append',
        name: 'PartitionLog.append 64 x 16 KiB in one turn, then await (coalesced)',
        bytesPerOp: batch16k.length * 64,
        fn: async () => {
          const pending: Promise<unknown>[] = [];
          for (let i = 0; i < 64; i++) pending.push(appendLog.append(take(), 0));
          await Promise.all(pending);
        },
      });
      const idemLog = await PartitionLog.open(join(dir, 'append-idem-0'), { ...DEFAULT_LOG_CONFIG });
      logs.push(idemLog);
      let seq = 0;
      const idemTemplate = batchOf(16, 1024, 1000);
      const idemRing = Array.from({ length: ring.length }, () => Buffer.from(idemTemplate));
      let idemNext = 0;
      cases.push({
        group: 'log append',
        name: 'PartitionLog.append 64 x 16 KiB idempotent (producer-state check), then await',
        bytesPerOp: batch16k.length * 64,
        fn: async () => {
          const pending: Promise<unknown>[] = [];
          for (let i = 0; i < 64; i++) {
            const b = idemRing[idemNext]!;
            idemNext = (idemNext + 1) % idemRing.length;
            b.writeInt32BE(seq & 0x7fffffff, 53); // baseSequence (the log does not re-check the CRC)
            seq += 16;
            pending.push(idemLog.append(b, 0));
          }
          await Promise.all(pending);
        },
      });

      // Read: a log of 64 MiB of 16 KiB batches; the tail cache holds the last 4 MiB.
      const readLog = await PartitionLog.open(join(dir, 'read-0'), { ...DEFAULT_LOG_CONFIG });
      logs.push(readLog);
      const batches = Math.ceil((64 * 1024 * 1024) / batch16k.length);
      for (let i = 0; i < batches; i += 256) {
        const pending: Promise<unknown>[] = [];
        for (let j = i; j < Math.min(batches, i + 256); j++) pending.push(readLog.append(Buffer.from(batch16k), 0));
        await Promise.all(pending);
      }
      const end = readLog.highWatermark;
      const cachedRecords = Math.floor((TAIL_CACHE_BYTES_MAX / batch16k.length) * 16) - 64;
      let k = 0;
      for (const maxBytes of [1024 * 1024, 64 * 1024]) {
        const label = maxBytes >= 1 << 20 ? '1 MiB' : '64 KiB';
        cases.push({
          group: 'fetch read',
          name: `PartitionLog.read maxBytes ${label}, tail cache hit`,
          bytesPerOp: maxBytes,
          fn: async () => {
            const offset = end - 1 - ((k++ * 997) % cachedRecords);
            const r = await readLog.read(offset, maxBytes);
            if (r.errorCode !== 0 || r.records.length === 0) throw new Error('read failed');
          },
        });
        cases.push({
          group: 'fetch read',
          name: `PartitionLog.read maxBytes ${label}, from file (page cache)`,
          bytesPerOp: maxBytes,
          fn: async () => {
            const offset = (k++ * 7919) % (end - cachedRecords - 2048);
            const r = await readLog.read(offset, maxBytes);
            if (r.errorCode !== 0 || r.records.length === 0) throw new Error('read failed');
          },
        });
      }
    }
    if (wanted(GROUP_COORDINATOR_GROUP)) cases.push(...groupCoordinatorCases());

    const selected = cases.filter((c) => wanted(c.group));
    if (selected.length === 0) throw new Error(`no micro-benchmark group ${only}`);
    const rows: MicroRow[] = [];
    for (const c of selected) {
      const bench = new Bench({ time: timeMs, warmupTime: Math.min(250, timeMs / 4) });
      bench.add(c.name, c.fn);
      await bench.run();
      const task = bench.tasks[0]!;
      const res = task.result;
      if (res.state !== 'completed') throw new Error(`${c.name}: ${res.state}${'error' in res ? `: ${String(res.error)}` : ''}`);
      const meanMs = res.latency.mean;
      const row: MicroRow = {
        group: c.group,
        name: c.name,
        bytesPerOp: c.bytesPerOp,
        meanUs: meanMs * 1000,
        p50Us: (res.latency.p50 ?? meanMs) * 1000,
        p99Us: (res.latency.p99 ?? meanMs) * 1000,
        opsPerSec: 1000 / meanMs,
        mbPerSec: c.bytesPerOp > 0 ? c.bytesPerOp / 1e6 / (meanMs / 1000) : 0,
        samples: res.latency.samplesCount,
        rme: res.latency.rme,
      };
      rows.push(row);
      process.stderr.write(
        `${c.group.padEnd(17)} ${c.name.padEnd(80)} mean ${row.meanUs.toFixed(2).padStart(10)} us  ${row.bytesPerOp > 0 ? `${row.mbPerSec.toFixed(0).padStart(7)} MB/s` : ''}\n`,
      );
    }
    const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as MicroResults) : null;
    const results = mergeResults(previous, rows, new Set(selected.map((c) => c.group)));
    writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
    process.stderr.write(`wrote ${out}\n`);
    if (report) for (const p of writeReport()) process.stderr.write(`wrote ${p}\n`);
  } finally {
    for (const l of logs) await l.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
