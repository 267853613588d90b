/**
 * The data directory's exclusive lock (Kafka's `<log.dir>/.lock`): a second broker on the same
 * `log.dirs` refuses to start instead of overwriting the first one's data.
 *
 * Node.js has no flock(), so the lock is a file created atomically (a complete temp file
 * hard-linked to `.lock`: the link fails if the name exists) that records its owner. A `.lock`
 * left by a broker that died (kill -9, OOM, power loss) must not block the next start, so an
 * existing lock is judged by whether its owner still runs:
 *
 *  - another boot id (Linux `/proc/sys/kernel/random/boot_id`): the machine restarted, the owner
 *    is gone;
 *  - the same pid namespace (or, without /proc, the same host name): the owner runs when its pid
 *    is alive and (Linux) the process started at the recorded time, so a reused pid is no owner;
 *  - another pid namespace on the same boot (another container on this machine, or this
 *    container restarted): pids say nothing there, so the owner is asked directly: it listens on
 *    a unix socket in the data directory (named in the lock) while it holds the lock; a socket
 *    nobody answers belongs to a dead process. Without such a socket the lock counts as held.
 *
 * A lock judged stale is renamed away (checking it is still the very file that was judged) and
 * the acquisition starts over, so two brokers starting at once after a crash cannot both win.
 * Not covered: two machines sharing one network file system (the unix socket and the pids are
 * per machine); give each broker its own volume.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, readlink, rename, rm, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { nodeDisk } from '../io/node-disk.js';
import { errorCode, StorageError } from './storage-error.js';

export const LOCK_FILE = '.lock';
/** Rounds of "create, or judge and remove a stale lock" before giving up. */
const ACQUIRE_ATTEMPTS_MAX = 5;
/** Longest unix socket path Linux and macOS accept (sun_path less the terminating NUL), with margin. */
const SOCKET_PATH_BYTES_MAX = 100;
/** How long a live owner's socket gets to accept a probe connection. */
const SOCKET_PROBE_TIMEOUT_MS = 2_000;

/** Who holds (or held) a lock, as recorded in the file. */
export interface LockOwner {
  pid: number;
  hostname: string;
  token: string;
  started: string;
  bootId: string | null;
  pidNamespace: string | null;
  /** Start time of the process in clock ticks since boot (Linux /proc/<pid>/stat field 22). */
  startTicks: string | null;
  /** Name of the owner's unix socket in the data directory, if it has one. */
  socket: string | null;
}

export function formatLockOwner(owner: LockOwner): string {
  const lines = [
    '# Fjord data directory lock: the broker below uses this directory (docs/storage.md, "The lock").',
    `pid=${owner.pid}`,
    `hostname=${owner.hostname}`,
    `token=${owner.token}`,
    `started=${owner.started}`,
  ];
  if (owner.bootId !== null) lines.push(`boot.id=${owner.bootId}`);
  if (owner.pidNamespace !== null) lines.push(`pid.namespace=${owner.pidNamespace}`);
  if (owner.startTicks !== null) lines.push(`start.ticks=${owner.startTicks}`);
  if (owner.socket !== null) lines.push(`socket=${owner.socket}`);
  return `${lines.join('\n')}\n`;
}

/** The owner recorded in a lock file's text, or null when the text is not a lock Fjord wrote. */
export function parseLockOwner(text: string): LockOwner | null {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (line.startsWith('#') || eq <= 0) continue;
    values.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const pid = Number(values.get('pid'));
  const token = values.get('token');
  if (!Number.isSafeInteger(pid) || pid <= 0 || token === undefined) return null;
  return {
    pid,
    hostname: values.get('hostname') ?? '',
    token,
    started: values.get('started') ?? '',
    bootId: values.get('boot.id') ?? null,
    pidNamespace: values.get('pid.namespace') ?? null,
    startTicks: values.get('start.ticks') ?? null,
    socket: values.get('socket') ?? null,
  };
}

/** What the machine says about a process, for `judgeOwner`. */
export interface ProcessProbe {
  bootId: string | null;
  pidNamespace: string | null;
  hostname: string;
  /** Whether `pid` exists (in our pid namespace). */
  isAlive(pid: number): boolean;
  /** `pid`'s start time in clock ticks since boot, or null if unknown (not Linux, or no such process). */
  startTicksOf(pid: number): Promise<string | null>;
  /** Whether something accepts a connection on the unix socket `name` in the data directory. */
  socketAnswers(name: string): Promise<boolean>;
}

/** Whether the recorded owner still runs, and why we think so (for the messages). */
export async function judgeOwner(owner: LockOwner, probe: ProcessProbe): Promise<{ alive: boolean; why: string }> {
  if (owner.bootId !== null && probe.bootId !== null && owner.bootId !== probe.bootId) {
    return { alive: false, why: 'the machine restarted since it was taken' };
  }
  const sameNamespace =
    owner.pidNamespace !== null && probe.pidNamespace !== null
      ? owner.pidNamespace === probe.pidNamespace
      : owner.hostname === probe.hostname;
  if (sameNamespace) {
    if (!probe.isAlive(owner.pid)) return { alive: false, why: `process ${owner.pid} is not running` };
    if (owner.startTicks !== null) {
      const ticks = await probe.startTicksOf(owner.pid);
      if (ticks !== null && ticks !== owner.startTicks) return { alive: false, why: `pid ${owner.pid} now belongs to another process` };
    }
    return { alive: true, why: `process ${owner.pid} is running` };
  }
  if (owner.socket !== null) {
    return (await probe.socketAnswers(owner.socket))
      ? { alive: true, why: `its broker (pid ${owner.pid} in another container or pid namespace) answers on ${owner.socket}` }
      : { alive: false, why: `nothing answers on its socket ${owner.socket}` };
  }
  return { alive: true, why: `it belongs to pid ${owner.pid} on ${owner.hostname || 'another host'}, which cannot be checked from here` };
}

export class DataDirLock {
  private released = false;

  private constructor(
    readonly dir: string,
    private readonly owner: LockOwner,
    private readonly server: Server | null,
  ) {}

  get path(): string {
    return join(this.dir, LOCK_FILE);
  }

  /** Takes the lock of `dir` or throws a StorageError naming `.lock` and its owner. */
  static async acquire(dir: string): Promise<DataDirLock> {
    const lockPath = join(dir, LOCK_FILE);
    const probe = await systemProbe(dir);
    const token = randomBytes(8).toString('hex');
    const socketName = `${LOCK_FILE}.${process.pid}-${token}.sock`;
    const server = await listenOnSocket(join(dir, socketName));
    const owner: LockOwner = {
      pid: process.pid,
      hostname: probe.hostname,
      token,
      started: new Date().toISOString(),
      bootId: probe.bootId,
      pidNamespace: probe.pidNamespace,
      startTicks: await probe.startTicksOf(process.pid),
      socket: server === null ? null : socketName,
    };
    try {
      for (let attempt = 0; attempt < ACQUIRE_ATTEMPTS_MAX; attempt++) {
        if (await createExclusively(lockPath, formatLockOwner(owner))) return new DataDirLock(dir, owner, server);
        const existing = await readLock(lockPath);
        if (existing === null) continue; // removed meanwhile
        const recorded = parseLockOwner(existing.text);
        if (recorded === null) {
          throw new StorageError(
            lockPath,
            `the data directory's lock file holds no owner Fjord can check (${JSON.stringify(existing.text.slice(0, 80))})`,
            'If no broker uses this directory, delete the file and start again.',
          );
        }
        const verdict = await judgeOwner(recorded, probe);
        if (verdict.alive) {
          throw new StorageError(
            lockPath,
            `the data directory is in use by another broker (pid ${recorded.pid} on ${recorded.hostname || 'unknown host'}, since ${recorded.started}: ${verdict.why})`,
            'Stop that broker first, or give this one another log.dirs. If no broker uses the directory, delete the .lock file.',
          );
        }
        await removeStaleLock(dir, lockPath, existing.ino, recorded);
      }
      throw new StorageError(
        lockPath,
        `could not take the data directory's lock after ${ACQUIRE_ATTEMPTS_MAX} attempts (other brokers starting on it at the same time?)`,
        'Make sure only one broker uses this directory, then start again.',
      );
    } catch (error) {
      await closeServer(server);
      throw error;
    }
  }

  /** Gives the lock up (clean shutdown, or a start that failed after taking it). Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const current = await readLock(this.path).catch(() => null);
    if (current !== null && parseLockOwner(current.text)?.token === this.owner.token) await rm(this.path, { force: true });
    await closeServer(this.server);
  }
}

/** Link of a complete temp file: `.lock` appears whole or not at all. False if it exists. */
async function createExclusively(lockPath: string, text: string): Promise<boolean> {
  const temp = `${lockPath}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temp, lockPath);
    return true;
  } catch (error) {
    // EEXIST: held. ENOENT: the holder's start-up swept our temp file away; it holds the lock.
    if (errorCode(error) === 'EEXIST' || errorCode(error) === 'ENOENT') return false;
    throw new StorageError(
      lockPath,
      `cannot create the data directory's lock (${(error as Error).message})`,
      'Check that the directory is writable and has free space.',
      { cause: error },
    );
  } finally {
    await rm(temp, { force: true });
  }
}

async function readLock(lockPath: string): Promise<{ text: string; ino: number } | null> {
  let handle;
  try {
    handle = await open(lockPath, 'r');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw new StorageError(
      lockPath,
      `cannot read the data directory's lock (${(error as Error).message})`,
      'Check the file and its permissions.',
      {
        cause: error,
      },
    );
  }
  try {
    const info = await handle.stat();
    return { text: await handle.readFile('utf8'), ino: info.ino };
  } finally {
    await handle.close();
  }
}

/**
 * Renames the stale lock away, but only if `.lock` is still the file that was judged: a broker
 * that took the lock in between keeps it (the rename is undone and acquisition starts over).
 */
async function removeStaleLock(dir: string, lockPath: string, judgedIno: number, owner: LockOwner): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  const moved = await readLock(aside);
  if (moved !== null && moved.ino !== judgedIno) {
    await link(aside, lockPath).catch(() => undefined);
  } else if (owner.socket !== null && /^\.lock\.[\w-]+\.sock$/.test(owner.socket)) {
    await rm(join(dir, owner.socket), { force: true });
  }
  await unlink(aside);
  await nodeDisk.syncDirectory(dir);
}

async function listenOnSocket(path: string): Promise<Server | null> {
  if (Buffer.byteLength(path) > SOCKET_PATH_BYTES_MAX) return null;
  const server = createServer((connection) => connection.destroy());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch {
    // No socket (file system without them, say): owners in other pid namespaces then count as live.
    return null;
  }
  server.unref();
  return server;
}

async function closeServer(server: Server | null): Promise<void> {
  if (server === null) return;
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function systemProbe(dir: string): Promise<ProcessProbe> {
  const bootId = await readFile('/proc/sys/kernel/random/boot_id', 'utf8').then(
    (text) => text.trim(),
    () => null,
  );
  const pidNamespace = await readlink('/proc/self/ns/pid').catch(() => null);
  return {
    bootId,
    pidNamespace,
    hostname: hostname(),
    isAlive(pid) {
      try {
        process.kill(pid, 0);
        return true;
      } catch (error) {
        return errorCode(error) === 'EPERM';
      }
    },
    async startTicksOf(pid) {
      const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
      if (text === null) return null;
      // Fields after "pid (comm)": the command may hold spaces and parentheses.
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      return fields[19] ?? null;
    },
    socketAnswers(name) {
      return new Promise((resolve) => {
        const socket = createConnection(join(dir, name));
        const done = (answered: boolean) => {
          clearTimeout(timer);
          socket.destroy();
          resolve(answered);
        };
        const timer = setTimeout(() => done(false), SOCKET_PROBE_TIMEOUT_MS);
        socket.once('connect', () => done(true));
        socket.once('error', () => done(false));
      });
    },
  };
}
