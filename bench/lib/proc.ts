// Broker resource accounting from /proc (Linux only): CPU seconds (utime + stime of the whole
// process, all threads) and resident memory (VmRSS sampled, VmHWM = kernel-tracked peak).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of `pid` in seconds, or NaN if the process is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces: fields after the last ')' start at field 3 (state).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    return (utime + stime) / ticksPerSecond();
  } catch {
    return Number.NaN;
  }
}

/** VmRSS and VmHWM of `pid` in bytes (NaN if the process is gone). */
export function memory(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
      return m === null ? Number.NaN : Number(m[1]) * 1024;
    };
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: Number.NaN, hwm: Number.NaN };
  }
}

/** Samples VmRSS of one process every `intervalMs`; `take()` returns and resets the maximum. */
export class RssSampler {
  private max = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    const { rss } = memory(this.pid);
    if (rss > this.max) this.max = rss;
  }

  /** Max VmRSS since the last take() (sampled once more now). */
  take(): number {
    this.sample();
    const m = this.max;
    this.max = 0;
    this.sample();
    return m;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The 1-minute load average. */
export function loadAverage1(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

export interface MachineInfo {
  nproc: number;
  memTotalGiB: number;
  cpuModel: string;
  kernel: string;
  node: string;
  java: string;
}

export function machineInfo(): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? '?';
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1] !== undefined) cpuModel = m[1].trim();
  } catch {
    // keep os.cpus()
  }
  let java = '?';
  try {
    java = execFileSync('sh', ['-c', 'java -version 2>&1'], { encoding: 'utf8' }).split('\n')[0] ?? '?';
  } catch {
    // no java
  }
  return {
    nproc: cpus().length,
    memTotalGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    cpuModel,
    kernel: release(),
    node: process.version,
    java: java.trim(),
  };
}
