// Parsers for the output of Kafka's perf tools and of the assign-based Java clients in bench/java.

export interface ProducerPerfResult {
  records: number;
  recordsPerSec: number;
  /** MiB/s, as the tool prints it ("MB/sec" = bytes / 1024^2). */
  mibPerSec: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
}

const PRODUCER_FINAL =
  /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/g;

/** The final summary line of ProducerPerformance (the one with percentiles). */
export function parseProducerPerf(stdout: string): ProducerPerfResult | null {
  let last: RegExpExecArray | null = null;
  for (const m of stdout.matchAll(PRODUCER_FINAL)) last = m as RegExpExecArray;
  if (last === null) return null;
  const n = (i: number) => Number(last![i]);
  return {
    records: n(1),
    recordsPerSec: n(2),
    mibPerSec: n(3),
    avgLatencyMs: n(4),
    maxLatencyMs: n(5),
    p50Ms: n(6),
    p95Ms: n(7),
    p99Ms: n(8),
    p999Ms: n(9),
  };
}

export interface ConsumerPerfResult {
  messages: number;
  mib: number;
  /** Whole run, including group join for ConsumerPerformance. */
  mibPerSec: number;
  msgPerSec: number;
  /** Excluding the group join (ConsumerPerformance's fetch.* columns); equals mibPerSec for BenchConsume. */
  fetchMibPerSec: number;
  fetchMsgPerSec: number;
}

/**
 * ConsumerPerformance's summary row: start.time, end.time, data.consumed.in.MB, MB.sec,
 * data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec.
 */
export function parseConsumerPerf(stdout: string): ConsumerPerfResult | null {
  for (const line of stdout.split('\n').reverse()) {
    const cols = line.split(',').map((c) => c.trim());
    if (cols.length < 10) continue;
    const nums = cols.slice(2, 10).map(Number);
    if (nums.some((x) => Number.isNaN(x))) continue;
    return {
      mib: nums[0]!,
      mibPerSec: nums[1]!,
      messages: nums[2]!,
      msgPerSec: nums[3]!,
      fetchMibPerSec: nums[6]!,
      fetchMsgPerSec: nums[7]!,
    };
  }
  return null;
}

/** BenchConsume's line: `consumed nMsg=.. MB=.. elapsedMs=.. MB.sec=.. nMsg.sec=..`. */
export function parseBenchConsume(stdout: string): ConsumerPerfResult | null {
  const m = /consumed nMsg=(\d+) MB=([\d.]+) elapsedMs=(\d+) MB\.sec=([\d.]+) nMsg\.sec=([\d.]+)/.exec(stdout);
  if (m === null) return null;
  const mibPerSec = Number(m[4]);
  const msgPerSec = Number(m[5]);
  return { messages: Number(m[1]), mib: Number(m[2]), mibPerSec, msgPerSec, fetchMibPerSec: mibPerSec, fetchMsgPerSec: msgPerSec };
}

export interface EndToEndResult {
  avgMs: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
}

/**
 * EndToEndLatency prints `Avg latency: 1.2345 ms` and `Percentiles: 50th = 1, 99th = 3, 99.9th = 7`
 * (whole milliseconds). BenchEndToEnd prints the same lines plus
 * `Percentiles (us): 50th = .., 99th = .., 99.9th = ..`, preferred when present.
 */
export function parseEndToEnd(stdout: string): EndToEndResult | null {
  const avg = /Avg latency: ([\d.]+) ms/.exec(stdout);
  const us = /Percentiles \(us\): 50th = (\d+), 99th = (\d+), 99\.9th = (\d+)/.exec(stdout);
  if (avg === null) return null;
  if (us !== null) return { avgMs: Number(avg[1]), p50Ms: Number(us[1]) / 1000, p99Ms: Number(us[2]) / 1000, p999Ms: Number(us[3]) / 1000 };
  const ms = /Percentiles: 50th = (\d+), 99th = (\d+), 99\.9th = (\d+)/.exec(stdout);
  if (ms === null) return null;
  return { avgMs: Number(avg[1]), p50Ms: Number(ms[1]), p99Ms: Number(ms[2]), p999Ms: Number(ms[3]) };
}

export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}
