// Compiles bench/java/*.java against the cached Kafka jars (once per source content) and runs them.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cacheDir,
  kafkaHome,
  kafkaLibsClasspath,
  kafkaVersion,
  repoRoot,
  run,
  type RunOptions,
  type RunResult,
} from '../../test/harness/tools.js';

let classesDir: string | undefined;

export function benchClasses(): string {
  if (classesDir !== undefined) return classesDir;
  const srcDir = join(repoRoot(), 'bench', 'java');
  const sources = readdirSync(srcDir)
    .filter((f) => f.endsWith('.java'))
    .sort();
  const hash = createHash('sha256');
  hash.update(kafkaVersion());
  for (const f of sources) {
    hash.update(f);
    hash.update(readFileSync(join(srcDir, f)));
  }
  const dir = join(cacheDir(), 'bench-classes', hash.digest('hex').slice(0, 16));
  if (!existsSync(join(dir, '.complete'))) {
    const tmp = `${dir}.tmp${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const r = spawnSync(
      'javac',
      ['-nowarn', '--release', '17', '-cp', kafkaLibsClasspath(), '-d', tmp, ...sources.map((f) => join(srcDir, f))],
      {
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`javac failed:\n${r.stdout}\n${r.stderr}`);
    writeFileSync(join(tmp, '.complete'), '');
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  }
  classesDir = dir;
  return dir;
}

/** The java command line for a bench program (also shown in docs/benchmarks.md). */
export function benchJavaArgs(program: string, args: readonly string[]): string[] {
  const log4j = join(kafkaHome(), 'config', 'tools-log4j2.properties');
  return ['-Xmx512m', `-Dlog4j2.configurationFile=${log4j}`, '-cp', `${benchClasses()}:${kafkaLibsClasspath()}`, program, ...args];
}

export function runBenchJava(program: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('java', benchJavaArgs(program, args), opts);
}

/** Runs a class from Kafka's jars directly (for tools without a wrapper, e.g. EndToEndLatency). */
export function runKafkaClass(mainClass: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const log4j = join(kafkaHome(), 'config', 'tools-log4j2.properties');
  return run('java', ['-Xmx512m', `-Dlog4j2.configurationFile=${log4j}`, '-cp', kafkaLibsClasspath(), mainClass, ...args], opts);
}
