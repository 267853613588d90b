// Shapes of the JSON result files in bench/results/ (inputs of bench/report.ts).
import type { MachineInfo } from './proc.js';

export type Target = 'kafka' | 'fjord';

/** One tool run against one broker. */
export interface StepRecord {
  round: number;
  target: Target;
  /** Stable id, e.g. 'w1-produce-1p-acks1'. */
  step: string;
  ok: boolean;
  /** 'n/a' steps were skipped on purpose (e.g. a tool needs consumer groups the broker lacks). */
  skipped?: string;
  error?: string;
  /** Parsed tool figures (recordsPerSec, mibPerSec, p99Ms, ...). */
  metrics: Record<string, number>;
  /** Payload bytes moved (records x size for producers, key+value bytes for consumers). */
  bytes: number;
  /** Broker utime+stime during the step. */
  brokerCpuSec: number;
  /** Max sampled broker VmRSS during the step. */
  brokerRssMaxBytes: number;
  durationMs: number;
  /** 1-minute load average when the step started. */
  load1: number;
  command: string;
}

export interface BlockRecord {
  round: number;
  target: Target;
  /** VmRSS right after startBroker() returned. */
  idleRssBytes: number;
  /** VmHWM (kernel-tracked peak) at the end of the block. */
  peakRssBytes: number;
  startup?: { listenMs: number; firstProduceMs: number };
  startupError?: string;
}

export interface MacroResults {
  kind: 'macro';
  date: string;
  finishedAt: string;
  machine: MachineInfo;
  kafkaVersion: string;
  fjordCommit: string;
  /** Tracked files differed from the commit when the run started (absent in older results). */
  fjordTreeDirty?: boolean;
  rounds: number;
  smoke: boolean;
  /** ProducerPerformance --throughput of workload 5 (records/s). */
  fixedRate: number;
  counts: Record<string, number>;
  waitedForQuietSec: number;
  /** Extra environment given to Fjord (experiments only; empty for the published comparison). */
  fjordEnv?: Record<string, string>;
  loadAtStart: number;
  steps: StepRecord[];
  blocks: BlockRecord[];
  commands: string[];
}

export interface MicroRow {
  group: string;
  name: string;
  /** Bytes processed per operation (for MB/s), 0 if not meaningful. */
  bytesPerOp: number;
  meanUs: number;
  p50Us: number;
  p99Us: number;
  opsPerSec: number;
  /** MB/s (10^6) = bytesPerOp / mean. */
  mbPerSec: number;
  samples: number;
  rme: number;
}

export interface MicroResults {
  kind: 'micro';
  date: string;
  machine: MachineInfo;
  load1: number;
  rows: MicroRow[];
  /** Groups measured again on their own (`--only <group>`) after the full run. */
  partialRuns?: { group: string; date: string; machine: MachineInfo; load1: number }[];
  /** Rows kept for comparison (`--baseline <label>`), e.g. measured before a change. */
  baselines?: { label: string; date: string; machine: MachineInfo; load1: number; rows: MicroRow[] }[];
}

export interface ProfileFunction {
  functionName: string;
  location: string;
  selfMs: number;
  selfPct: number;
  totalMs: number;
  totalPct: number;
  /** Top direct callers with the share of this function's self time spent under each. */
  callers: string[];
}

export interface ProfileResults {
  kind: 'profile';
  date: string;
  command: string;
  workload: string;
  producer: string;
  durationMs: number;
  sampledMs: number;
  idleMs: number;
  top: ProfileFunction[];
  byCategory: { category: string; selfMs: number; selfPct: number }[];
  byFile: { file: string; selfMs: number; selfPct: number }[];
  profileFile: string;
  load1: number;
  /** Producer figures and broker CPU during the profiled run (absent with --analyze). */
  producerStats?: { recordsPerSec: number; mibPerSec: number; brokerCpuSec: number; cpuSecPerGb: number; env: Record<string, string> };
  /** Consumer figures and broker CPU over all passes of the consume workload. */
  consumerStats?: {
    passes: number;
    mibPerSec: number[];
    medianMibPerSec: number;
    brokerCpuSec: number;
    cpuSecPerGb: number;
    env: Record<string, string>;
  };
}
