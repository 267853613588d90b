// Helpers of the install tests (test/install/*.test.ts): helm (built by test/k8s/build-helm.sh),
// rendering the chart, and running a `fjord` entrypoint the way a kubelet would run the image's
// container: the container's args and env, its uid, files at the paths the pod mounts them
// (a private mount namespace with overlays, so nothing on the host changes), optionally its own
// network namespace (so the broker binds the very ports the pod uses).
//
// Missing tools FAIL the tests loudly: nothing here skips.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../harness/tools.js';
import type { KubeObject } from '../../operator/src/kube/types.js';

export const CHART = () => join(repoRoot(), 'charts', 'fjord-operator');

/** The helm binary of test/k8s/build-helm.sh (same cache rules as test/k8s/lib.sh). */
export function helmBinary(): string {
  const r = spawnSync(
    'bash',
    ['-c', 'source "$1/test/k8s/lib.sh"; echo "${HELM_HARNESS_BIN:-$K8S_CACHE/bin/helm-$HELM_VERSION}/helm"', 'x', repoRoot()],
    { encoding: 'utf8' },
  );
  const path = r.stdout.trim();
  if (r.status !== 0 || !existsSync(path))
    throw new Error(`helm is missing (${path}): run \`bash test/k8s/build-helm.sh\` first (the Makefile does)`);
  return path;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function helm(args: string[]): Run {
  const r = spawnSync(helmBinary(), args, {
    encoding: 'utf8',
    cwd: repoRoot(),
    env: { ...process.env, HELM_CACHE_HOME: join(tmpdir(), 'fjord-helm-cache'), HELM_CONFIG_HOME: join(tmpdir(), 'fjord-helm-config') },
  });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** `helm template` of the chart; throws with helm's stderr when it fails. */
export function renderChart(
  options: { release?: string; namespace?: string; valuesFiles?: string[]; set?: string[]; includeCrds?: boolean } = {},
): string {
  const args = ['template', options.release ?? 'fjord-operator', CHART(), '--namespace', options.namespace ?? 'fjord-system'];
  for (const f of options.valuesFiles ?? []) args.push('--values', f);
  for (const s of options.set ?? []) args.push('--set', s);
  if (options.includeCrds) args.push('--include-crds');
  const r = helm(args);
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`bad YAML: ${d.errors[0]!.message}`);
      return d.toJS() as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

export function find<T = Record<string, unknown>>(
  objects: KubeObject[],
  kind: string,
  name?: string,
  namespace?: string,
): Array<KubeObject & T> {
  return objects.filter(
    (o) =>
      o.kind === kind &&
      (name === undefined || o.metadata.name === name) &&
      (namespace === undefined || o.metadata.namespace === namespace),
  ) as Array<KubeObject & T>;
}

export function valuesFile(name: string): string {
  return join(repoRoot(), 'test', 'install', 'testdata', name);
}

export interface Container {
  args?: string[];
  command?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
}

/** Kubernetes' $(VAR) expansion of container args: $$ escapes, unknown references stay as they are. */
export function expandKubeVars(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string | undefined) => {
    if (whole === '$$') return '$';
    return name !== undefined && env[name] !== undefined ? env[name]! : whole;
  });
}

/** The runtime stage of the Dockerfile: what the image runs and which files it holds. */
export interface ImageSpec {
  entrypoint: string[];
  cmd: string[];
  workdir: string;
  user: string;
  expose: number[];
  /** COPY lines: from the build stage (/src/... = this repository after `tsc`) or the context. */
  copies: Array<{ fromBuild: boolean; src: string; dest: string }>;
  text: string;
}

export function dockerfileRuntime(): ImageSpec {
  const text = readFileSync(join(repoRoot(), 'Dockerfile'), 'utf8');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const json = (instruction: string) => JSON.parse(new RegExp(`^${instruction} (\\[.*\\])$`, 'm').exec(runtime)![1]!) as string[];
  const workdir = /^WORKDIR (\S+)$/m.exec(runtime)![1]!;
  const copies = [...runtime.matchAll(/^COPY (--from=build )?(\S+) (\S+)$/gm)].map((m) => ({
    fromBuild: m[1] !== undefined,
    src: m[2]!,
    dest: posix.resolve(workdir, m[3]!),
  }));
  return {
    entrypoint: json('ENTRYPOINT'),
    cmd: json('CMD'),
    workdir,
    user: /^USER (\S+)$/m.exec(runtime)![1]!,
    expose: /^EXPOSE (.+)$/m.exec(runtime)![1]!.trim().split(/\s+/).map(Number),
    copies,
    text,
  };
}

/** Where an image file comes from here: the build stage's /src is this repository (dist/ from `tsc`). */
function imageSource(copy: ImageSpec['copies'][number]): string {
  const rel = copy.fromBuild ? posix.relative('/src', copy.src) : copy.src;
  if (rel.startsWith('..')) throw new Error(`unexpected COPY source ${copy.src}`);
  const path = join(repoRoot(), rel);
  if (!existsSync(path)) throw new Error(`COPY ${copy.src}: ${path} is missing (run \`npx tsc -p tsconfig.json\` first)`);
  return path;
}

export interface PodProcess {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Where a path inside the pod's overlays is on the host (to read what the process wrote). */
  hostPath(podPath: string): string;
  exited: Promise<number | null>;
  /** SIGTERM and wait (SIGKILL after graceMs); returns the exit code. Removes the temp dirs. */
  stop(graceMs?: number): Promise<number | null>;
  /** Runs a command inside the process's network namespace (nsenter). */
  inNetwork(command: string[]): Run;
}

/**
 * Runs the image's ENTRYPOINT + ARGS as a container would, without a container engine: the files
 * the Dockerfile's runtime stage COPYs laid out at their image paths (from this repository and its
 * dist/), as uid:gid, with exactly `env` (plus PATH), cwd /, `files` visible at their absolute
 * paths and `dataDirs` (empty, owned by uid), through overlays on their top-level directories in
 * a private mount namespace (the host's directories do not change).
 * `ownNetwork`: a fresh network namespace with only loopback up.
 */
export function runLikeKubelet(options: {
  args: string[];
  env: Record<string, string>;
  uid: number;
  gid: number;
  files?: Record<string, string>;
  dataDirs?: string[];
  ownNetwork?: boolean;
}): PodProcess {
  const root = mkdtempSync(join(tmpdir(), 'fjord-pod-'));
  const roots = new Set<string>();
  const topOf = (p: string) => '/' + p.split('/')[1]!;
  const upper = (p: string) => join(root, 'up', p);
  // The image's files at the paths the Dockerfile puts them. node_modules is bind-mounted, not
  // copied; not symlinked either, because the checkout's parent directories may be closed to
  // the pod's uid (a 0700 temp dir), and a bind mount needs no traversal of them.
  const image = dockerfileRuntime();
  const binds: string[] = [];
  for (const copy of image.copies) {
    const source = imageSource(copy);
    roots.add(topOf(copy.dest));
    mkdirSync(dirname(upper(copy.dest)), { recursive: true });
    if (basename(source) === 'node_modules') {
      mkdirSync(upper(copy.dest));
      binds.push(`mount -o bind,ro ${source} ${copy.dest}`);
    } else cpSync(source, upper(copy.dest), { recursive: true });
  }
  for (const [path, content] of Object.entries(options.files ?? {})) {
    roots.add(topOf(path));
    mkdirSync(dirname(upper(path)), { recursive: true });
    writeFileSync(upper(path), content, { mode: 0o644 });
  }
  for (const dir of options.dataDirs ?? []) {
    roots.add(topOf(dir));
    mkdirSync(upper(dir), { recursive: true });
    chownSync(upper(dir), options.uid, options.gid);
  }
  const mounts = [...roots].map((r) => {
    mkdirSync(join(root, 'up', r), { recursive: true });
    mkdirSync(join(root, 'work', r), { recursive: true });
    return `mount -t overlay overlay -o lowerdir=${r},upperdir=${join(root, 'up', r)},workdir=${join(root, 'work', r)} ${r}`;
  });
  const script = [
    'set -e',
    ...mounts,
    ...binds,
    ...(options.ownNetwork ? ['ip link set lo up'] : []),
    'exec setpriv --reuid="$FJORD_UID" --regid="$FJORD_GID" --clear-groups -- env -u FJORD_UID -u FJORD_GID "$@"',
  ].join('\n');
  const entry = [...image.entrypoint, ...options.args];
  const child = spawn('unshare', ['--mount', ...(options.ownNetwork ? ['--net'] : []), '--', 'sh', '-c', script, 'pod', ...entry], {
    cwd: '/',
    // PATH: the image's node is on it; here, the node running the tests
    env: {
      PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`,
      ...options.env,
      FJORD_UID: String(options.uid),
      FJORD_GID: String(options.gid),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  let cleaned = false;
  const cleanup = () => {
    if (!cleaned) rmSync(root, { recursive: true, force: true });
    cleaned = true;
  };
  return {
    child,
    pid: child.pid!,
    output: () => output,
    hostPath: (podPath) => upper(podPath),
    exited,
    stop: async (graceMs = 15_000) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const code = await exited;
        clearTimeout(timer);
        cleanup();
        return code;
      }
      cleanup();
      return child.exitCode;
    },
    inNetwork: (command) => {
      const r = spawnSync('nsenter', [`--net=/proc/${child.pid}/ns/net`, '--', ...command], { encoding: 'utf8', timeout: 30_000 });
      return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
    },
  };
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
