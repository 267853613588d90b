// Starts a real broker process for integration tests: Fjord (node bin/fjord.js broker) or, to
// validate the tests themselves, Apache Kafka in KRaft combined mode (jars installed by
// test/tools/install.sh). Every process started here is killed when the test process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { ensureTools, fjordCommand, kafkaBin, run } from './tools.js';

const { Kafka, logLevel } = kafkajs;

export type Target = 'fjord' | 'kafka';

export interface StartOptions {
  /** Defaults to process.env.FJORD_TEST_TARGET, else 'fjord'. */
  target?: Target;
  /** Broker properties (Kafka names), passed as --override k=v (Fjord) or server.properties (Kafka). */
  config?: Record<string, string>;
  /** Use this data directory (not removed on stop). Default: a new temp dir, removed on stop. */
  dataDir?: string;
  /** How long to wait for readiness. Default FJORD_TEST_START_TIMEOUT_MS or 90 s. */
  startTimeoutMs?: number;
  /** For a node of a cluster (test/harness/cluster.ts): its ports, node id and cluster id, and
   * the quorum properties that replace the single-node ones. Default: a one-node cluster. */
  node?: ClusterNodeOptions;
}

export interface ClusterNodeOptions {
  nodeId: number;
  port: number;
  controllerPort: number;
  /** Kafka's base64url cluster id, the same on every node (kafka-storage.sh format -t). */
  clusterId: string;
  /** controller.quorum.voters, e.g. 1@127.0.0.1:19093,2@... */
  voters: string;
}

export interface BrokerHandle {
  target: Target;
  host: '127.0.0.1';
  port: number;
  bootstrap: string;
  dataDir: string;
  /** Pid of the current broker process (changes on restart). */
  pid: number;
  /** SIGTERM, wait for exit (SIGKILL after a grace period), then remove temp dirs. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit; data stays, so restart() can follow. */
  kill9(): Promise<void>;
  /** Stop gracefully if running, then start again on the same port and data dir; waits for readiness. */
  restart(): Promise<void>;
  /** Everything the broker process(es) printed so far, stdout and stderr interleaved. */
  logs(): string;
}

export function defaultTarget(): Target {
  const t = process.env['FJORD_TEST_TARGET'];
  if (t === undefined || t === '') return 'fjord';
  if (t !== 'fjord' && t !== 'kafka') throw new Error(`FJORD_TEST_TARGET must be fjord or kafka, not ${t}`);
  return t;
}

// ---- cleanup of everything we started -------------------------------------------------------

const liveChildren = new Set<ChildProcess>();
const ownedDirs = new Set<string>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => {
    for (const c of liveChildren) {
      try {
        c.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const d of ownedDirs) rmSync(d, { recursive: true, force: true });
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      // 'exit' handlers above do the cleanup
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

// ---- small helpers ---------------------------------------------------------------------------

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('no port'));
        return;
      }
      const port = addr.port;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * One ApiVersions v0 round trip on a fresh connection. Resolves true when the broker answers
 * with the right correlation id and error code 0 (or 35, UNSUPPORTED_VERSION, which still proves
 * a working Kafka protocol server).
 */
export function apiVersionsProbe(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const clientId = Buffer.from('fjord-test-probe');
    const correlationId = 0x5eed;
    const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
    let o = 0;
    o = body.writeInt16BE(18, o); // ApiVersions
    o = body.writeInt16BE(0, o); // version 0
    o = body.writeInt32BE(correlationId, o);
    o = body.writeInt16BE(clientId.length, o);
    clientId.copy(body, o);
    const frame = Buffer.alloc(4 + body.length);
    frame.writeInt32BE(body.length, 0);
    body.copy(frame, 4);

    let settled = false;
    let acc = Buffer.alloc(0);
    const sock = createConnection({ host, port });
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('connect', () => sock.write(frame));
    sock.on('error', () => done(false));
    sock.on('close', () => done(false));
    sock.on('data', (chunk: Buffer) => {
      acc = Buffer.concat([acc, chunk]);
      if (acc.length < 4) return;
      const size = acc.readInt32BE(0);
      if (acc.length < 4 + size) return;
      if (size < 6) return done(false);
      const corr = acc.readInt32BE(4);
      const err = acc.readInt16BE(8);
      done(corr === correlationId && (err === 0 || err === 35));
    });
  });
}

async function metadataProbe(bootstrap: string): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'fjord-test-ready',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

const MAX_LOG_CHARS = 4_000_000;

// ---- the broker ------------------------------------------------------------------------------

/**
 * server.properties of the Apache Kafka the tests and benchmarks start: one KRaft node as broker
 * and controller, replication factors of internal topics 1, no initial rebalance delay.
 */
export function kafkaSingleNodeProps(host: string, port: number, controllerPort: number, dataDir: string): Record<string, string> {
  return {
    'process.roles': 'broker,controller',
    'node.id': '1',
    listeners: `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${host}:${port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.quorum.voters': `1@${host}:${controllerPort}`,
    'log.dirs': dataDir,
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
  };
}

export async function startBroker(opts: StartOptions = {}): Promise<BrokerHandle> {
  installExitHooks();
  const target = opts.target ?? defaultTarget();
  const config = { ...(opts.config ?? {}) };
  const host = '127.0.0.1' as const;
  const port = opts.node?.port ?? (await freePort());
  const controllerPort = opts.node?.controllerPort ?? (target === 'kafka' ? await freePort() : 0);
  const nodeId = opts.node?.nodeId ?? 1;
  const ownDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `fjord-test-${target}-data-`));
  if (ownDataDir) ownedDirs.add(dataDir);
  const bootstrap = `${host}:${port}`;
  const startTimeoutMs = opts.startTimeoutMs ?? Number(process.env['FJORD_TEST_START_TIMEOUT_MS'] ?? 90_000);

  let logText = '';
  const appendLog = (s: string) => {
    logText += s;
    if (logText.length > MAX_LOG_CHARS) logText = logText.slice(logText.length - MAX_LOG_CHARS);
  };

  let cmd: string;
  let args: string[];
  let confDir: string | undefined;
  if (target === 'kafka') {
    ensureTools();
    confDir = mkdtempSync(join(tmpdir(), 'fjord-test-kafka-conf-'));
    ownedDirs.add(confDir);
    const props: Record<string, string> = {
      ...kafkaSingleNodeProps(host, port, controllerPort, dataDir),
      ...nodeProps(opts.node, host),
      ...config,
    };
    const propsFile = join(confDir, 'server.properties');
    writeFileSync(
      propsFile,
      Object.entries(props)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
    );
    if (!existsSync(join(dataDir, 'meta.properties'))) {
      const clusterId = opts.node?.clusterId ?? randomBytes(16).toString('base64url');
      const fmt = await run(kafkaBin('kafka-storage.sh'), ['format', `--cluster-id=${clusterId}`, '-c', propsFile, '--ignore-formatted'], {
        timeoutMs: 120_000,
      });
      appendLog(`$ kafka-storage.sh format -t ${clusterId}\n${fmt.stdout}${fmt.stderr}`);
      if (fmt.code !== 0) {
        throw new Error(`kafka-storage.sh format failed (code ${String(fmt.code)}):\n${fmt.stdout}\n${fmt.stderr}`);
      }
    }
    cmd = kafkaBin('kafka-server-start.sh');
    args = [propsFile];
  } else {
    const fjordArgs = [
      'broker',
      '--override',
      `listeners=PLAINTEXT://${host}:${port}`,
      '--override',
      `log.dirs=${dataDir}`,
      '--override',
      `node.id=${nodeId}`,
    ];
    if (opts.node !== undefined) {
      for (const [k, v] of Object.entries(nodeProps(opts.node, host))) fjordArgs.push('--override', `${k}=${v}`);
      // Kafka's nodes get the cluster id from kafka-storage.sh format; Fjord's from cluster.id
      // (meta.properties is written with it on first start and must agree later).
      fjordArgs.push('--override', `cluster.id=${opts.node.clusterId}`);
    }
    for (const [k, v] of Object.entries(config)) fjordArgs.push('--override', `${k}=${v}`);
    [cmd, args] = fjordCommand(fjordArgs);
  }

  let child: ChildProcess | undefined;
  /** Resolves when the current process's stdout and stderr are closed: everything it printed is in the log. */
  let outputClosed: Promise<void> = Promise.resolve();
  let stopped = false;

  const launch = async (): Promise<void> => {
    appendLog(`\n===== starting ${target} broker on ${bootstrap} =====\n`);
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    child = c;
    outputClosed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    liveChildren.add(c);
    c.stdout?.on('data', (b: Buffer) => appendLog(b.toString('utf8')));
    c.stderr?.on('data', (b: Buffer) => appendLog(b.toString('utf8')));
    let spawnError: Error | undefined;
    c.on('error', (e) => {
      spawnError = e;
    });
    c.on('exit', (code, signal) => {
      liveChildren.delete(c);
      appendLog(`\n===== broker process ${String(c.pid)} exited: code=${String(code)} signal=${String(signal)} =====\n`);
    });

    const deadline = Date.now() + startTimeoutMs;
    let stage = 'tcp+ApiVersions';
    for (;;) {
      if (spawnError !== undefined || c.exitCode !== null || c.signalCode !== null) {
        throw new Error(
          `${target} broker exited before it was ready (${spawnError?.message ?? `code ${String(c.exitCode)}`})\n--- broker logs ---\n${tail(logText)}`,
        );
      }
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(
          `${target} broker not ready after ${startTimeoutMs} ms (waiting for ${stage})\n--- broker logs ---\n${tail(logText)}`,
        );
      }
      if (await apiVersionsProbe(host, port, 2000)) {
        if (target !== 'kafka') return;
        stage = 'Metadata';
        if (await metadataProbe(bootstrap)) return;
      }
      await sleep(200);
    }
  };

  const terminate = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    const c = child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    c.kill(signal);
    if (!(await waitForExit(c, graceMs))) {
      appendLog(`\n===== broker did not exit ${graceMs} ms after ${signal}; sending SIGKILL =====\n`);
      c.kill('SIGKILL');
      await waitForExit(c, 10_000);
    }
    // 'exit' can come before the last of its output: wait for the pipes to close (bounded, in
    // case a grandchild holds them), so logs() read after stop() or kill9() has everything.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([outputClosed, new Promise<void>((resolve) => (timer = setTimeout(resolve, 10_000)))]);
    clearTimeout(timer);
  };

  const cleanupDirs = () => {
    if (confDir !== undefined) {
      rmSync(confDir, { recursive: true, force: true });
      ownedDirs.delete(confDir);
    }
    if (ownDataDir) {
      rmSync(dataDir, { recursive: true, force: true });
      ownedDirs.delete(dataDir);
    }
  };

  try {
    await launch();
  } catch (e) {
    await terminate('SIGKILL', 5000);
    cleanupDirs();
    throw e;
  }

  const handle: BrokerHandle = {
    target,
    host,
    port,
    bootstrap,
    dataDir,
    get pid(): number {
      return child?.pid ?? -1;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await terminate('SIGTERM', 30_000);
      cleanupDirs();
    },
    async kill9() {
      await terminate('SIGKILL', 10_000);
    },
    async restart() {
      if (stopped) throw new Error('restart() after stop()');
      await terminate('SIGTERM', 30_000);
      await launch();
    },
    logs() {
      return logText;
    },
  };
  return handle;
}

/** The quorum part of a cluster node's properties (Kafka's names; Fjord reads the same). */
function nodeProps(node: ClusterNodeOptions | undefined, host: string): Record<string, string> {
  if (node === undefined) return {};
  return {
    'node.id': String(node.nodeId),
    listeners: `PLAINTEXT://${host}:${node.port},CONTROLLER://${host}:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${host}:${node.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.quorum.voters': node.voters,
    'offsets.topic.replication.factor': '3',
    'transaction.state.log.replication.factor': '3',
    'transaction.state.log.min.isr': '2',
    'share.coordinator.state.topic.replication.factor': '3',
    'share.coordinator.state.topic.min.isr': '2',
  };
}

function tail(s: string, max = 20_000): string {
  return s.length <= max ? s : `...(${s.length - max} chars cut)...\n${s.slice(s.length - max)}`;
}
