import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { ok, runJava } from './tools.js';
import { waitFor, withDeadline } from './wait.js';

/**
 * A long-running classic-protocol group member (test/java/GroupConsumer.java) driven through
 * stdin ('start', 'pause', 'resume', 'stop') and observed through what it prints: records,
 * assignments (generation, member id, partitions), commits and rebalance callbacks.
 */
let classpath: { cp: string; log4j: string } | undefined;

/** Compiles test/java (through runJava) and returns the classpath the harness runs it with. */
export async function javaClasspath(): Promise<{ cp: string; log4j: string }> {
  if (classpath !== undefined) return classpath;
  const r = ok(await runJava('GroupConsumer', ['--classpath'], { timeoutMs: 120_000 }), 'GroupConsumer --classpath');
  const [cp, log4j] = r.stdout.split('\n');
  assert.ok(cp !== undefined && cp.length > 0 && log4j !== undefined, `unexpected --classpath output: ${r.stdout}`);
  classpath = { cp, log4j };
  return classpath;
}

export interface Assignment {
  gen: number;
  member: string;
  parts: number[];
}

export class JavaConsumer {
  static readonly all = new Set<JavaConsumer>();
  readonly lines: string[] = [];
  stderr = '';
  private partial = '';
  private readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly name: string,
    cp: { cp: string; log4j: string },
    args: string[],
  ) {
    this.child = spawn('java', ['-Xmx256m', `-Dlog4j2.configurationFile=${cp.log4j}`, '-cp', cp.cp, 'GroupConsumer', ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    JavaConsumer.all.add(this);
    this.child.stdout?.on('data', (b: Buffer) => {
      const text = this.partial + b.toString('utf8');
      const parts = text.split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    this.child.stderr?.on('data', (b: Buffer) => {
      this.stderr += b.toString('utf8');
    });
    this.child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        JavaConsumer.all.delete(this);
        resolve({ code, signal });
      });
    });
  }

  /** Starts the JVM; it subscribes only after start(). */
  static async launch(
    bootstrap: string,
    name: string,
    topic: string,
    group: string,
    assignor: string,
    extra: string[] = [],
  ): Promise<JavaConsumer> {
    return new JavaConsumer(name, await javaClasspath(), [bootstrap, topic, group, name, assignor, ...extra]);
  }

  send(command: string): void {
    this.child.stdin?.write(command + '\n');
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** stop: close() (LeaveGroup) and exit 0 with CLOSED as the last line. */
  async stop(): Promise<void> {
    this.send('stop');
    const { code, signal } = await withDeadline(this.exited, `${this.name} to exit after stop`);
    assert.equal(code, 0, `${this.name} exit code (signal ${String(signal)})\n${this.describe()}`);
    assert.equal(this.lines.at(-1), 'CLOSED', `${this.name} last line\n${this.describe()}`);
  }

  async kill9(): Promise<void> {
    this.kill();
    const { signal } = await withDeadline(this.exited, `${this.name} to die after SIGKILL`);
    assert.equal(signal, 'SIGKILL');
  }

  /** Waits until `probe` returns a value (not undefined/false/null), with this consumer's output as diagnostics. */
  async waitFor<T>(what: string, probe: () => T | undefined | false | null, timeoutMs?: number): Promise<T> {
    return waitFor(`${this.name}: ${what}`, probe, { timeoutMs, diagnostics: () => this.describe() });
  }

  assignment(): Assignment | undefined {
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const m = /^ASSIGNMENT gen=(-?\d+) member=(\S*) parts=(\S+)$/.exec(this.lines[i] ?? '');
      if (m !== null) return { gen: Number(m[1]), member: m[2] ?? '', parts: parseParts(m[3] ?? '-') };
    }
    return undefined;
  }

  /** Processed records in processing order. */
  records(): Array<{ p: number; o: number; value: string; line: number }> {
    const out: Array<{ p: number; o: number; value: string; line: number }> = [];
    this.lines.forEach((l, line) => {
      const m = /^R (\d+) (\d+) (.*)$/.exec(l);
      if (m !== null) out.push({ p: Number(m[1]), o: Number(m[2]), value: m[3] ?? '', line });
    });
    return out;
  }

  /**
   * Whether this consumer, after processing (p, o) at output line `line`, reported a commit past
   * o for p before it lost or gave up p.
   */
  committedAfter(line: number, p: number, o: number): boolean {
    for (let i = line + 1; i < this.lines.length; i++) {
      const l = this.lines[i] ?? '';
      const m = /^(COMMITTED|REVOKED|LOST) (\S+)$/.exec(l);
      if (m === null) continue;
      if (m[1] === 'COMMITTED') {
        for (const kv of (m[2] ?? '').split(',')) {
          const [cp, co] = kv.split(':').map(Number);
          if (cp === p && (co ?? 0) > o) return true;
        }
      } else if (parseParts(m[2] ?? '-').includes(p)) {
        return false;
      }
    }
    return false;
  }

  /** Highest committed (next) offset this consumer reported per partition. */
  committed(): Map<number, number> {
    const out = new Map<number, number>();
    for (const l of this.lines) {
      if (!l.startsWith('COMMITTED ')) continue;
      for (const kv of l.slice('COMMITTED '.length).split(',')) {
        const [p, o] = kv.split(':').map(Number);
        if (p !== undefined && o !== undefined) out.set(p, Math.max(out.get(p) ?? 0, o));
      }
    }
    return out;
  }

  describe(): string {
    const tailLines = this.lines.filter((l) => !l.startsWith('R ')).slice(-40);
    return `--- ${this.name} (non-record lines, last 40) ---\n${tailLines.join('\n')}\n--- ${this.name} stderr (tail) ---\n${this.stderr.slice(-3000)}`;
  }
}

export function parseParts(s: string): number[] {
  return s === '-' ? [] : s.split(',').map(Number);
}
