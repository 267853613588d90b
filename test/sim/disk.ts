/**
 * A simulated disk: implements the Disk port (broker/src/io/disk.ts) in memory, with what a real
 * disk may do at a power loss, so the log's crash safety can be tested over many seeded runs
 * (log-crash.test.ts).
 *
 * Model:
 * - Every operation completes after a seeded latency of 0..`latencyMaxMs` simulated ms on the
 *   SimScheduler, and takes effect when it completes (so concurrent operations interleave
 *   differently per seed). Errors carry Node's `code` (ENOENT, EEXIST, EBADF, ENOSPC, EIO, ...).
 * - A file (inode) has its current bytes and its durable bytes. `sync()` makes the current bytes
 *   durable. Writes and truncations since the last sync are kept, in order, as pending changes.
 * - A folder has its current entries and its durable entries: a create, rename or unlink is
 *   durable only after `syncDirectory(folder)`. Folders themselves (mkdir) are durable at once,
 *   and so is `removeTree` (the log uses it only to delete a whole partition).
 * - `crash()` returns the disk as it comes back after a power loss: each folder has its durable
 *   entries; each surviving file has its durable bytes plus a seeded prefix of its pending
 *   changes (none, some or all of them, in order; the last one kept, if a write, may be torn: a
 *   seeded prefix of it). Nothing is reordered within one file. The crashed disk stops: every
 *   operation in flight or issued later never completes (the process is gone).
 * - Faults: `failNext(op, code, options)` makes the next matching operations fail without effect.
 *
 * Variants for showing the simulation catches bugs (`SimDiskOptions.flaw`): 'ignore-directory-sync'
 * (syncDirectory does nothing: renames and creations are lost at a crash) and 'ignore-file-sync'.
 */
import type { Disk, DiskFile, DiskOpenMode, DiskStat } from '../../broker/src/io/disk.js';
import type { SeededRandom } from './random.js';
import type { SimScheduler } from './sim-scheduler.js';

export type SimDiskOp =
  | 'open'
  | 'read'
  | 'writev'
  | 'sync'
  | 'truncate'
  | 'size'
  | 'close'
  | 'readFile'
  | 'stat'
  | 'rename'
  | 'unlink'
  | 'removeTree'
  | 'list'
  | 'mkdir'
  | 'exists'
  | 'syncDirectory';

export type SimDiskFlaw = 'ignore-directory-sync' | 'ignore-file-sync';

export interface SimDiskOptions {
  /** Upper bound of the seeded latency of each operation (0 = every operation next turn). */
  latencyMaxMs?: number;
  flaw?: SimDiskFlaw;
}

type Change = { kind: 'write'; position: number; bytes: Buffer } | { kind: 'truncate'; lengthBytes: number };

class Inode {
  bytes: Buffer;
  durable: Buffer;
  pending: Change[] = [];
  modifiedMs: number;

  constructor(bytes: Buffer, nowMs: number) {
    this.bytes = bytes;
    this.durable = Buffer.from(bytes);
    this.modifiedMs = nowMs;
  }

  write(position: number, bytes: Buffer): void {
    const end = position + bytes.length;
    if (end > this.bytes.length) {
      const grown = Buffer.alloc(end);
      this.bytes.copy(grown);
      this.bytes = grown;
    }
    bytes.copy(this.bytes, position);
    this.pending.push({ kind: 'write', position, bytes });
  }

  truncate(lengthBytes: number): void {
    if (lengthBytes <= this.bytes.length) this.bytes = Buffer.from(this.bytes.subarray(0, lengthBytes));
    else {
      const grown = Buffer.alloc(lengthBytes);
      this.bytes.copy(grown);
      this.bytes = grown;
    }
    this.pending.push({ kind: 'truncate', lengthBytes });
  }

  sync(): void {
    this.durable = Buffer.from(this.bytes);
    this.pending = [];
  }

  /** The bytes after a power loss: durable, plus a seeded in-order prefix of the pending changes. */
  survivingBytes(random: SeededRandom): Buffer {
    const kept = random.int(this.pending.length + 1);
    const file = new Inode(this.durable, this.modifiedMs);
    for (let i = 0; i < kept; i++) {
      const change = this.pending[i]!;
      if (change.kind === 'truncate') file.truncate(change.lengthBytes);
      else if (i === kept - 1 && random.chance(0.5))
        file.write(change.position, change.bytes.subarray(0, random.int(change.bytes.length + 1)));
      else file.write(change.position, change.bytes);
    }
    return file.bytes;
  }
}

class SimFile implements DiskFile {
  private closed = false;

  constructor(
    private readonly disk: SimDisk,
    private readonly path: string,
    private readonly inode: Inode,
    private readonly writable: boolean,
  ) {}

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.disk.run('read', this.path, () => {
      this.checkOpen();
      const available = Math.max(0, Math.min(length, this.inode.bytes.length - position));
      this.inode.bytes.copy(buffer, offset, position, position + available);
      return available;
    });
  }

  writev(buffers: readonly Buffer[], position: number): Promise<number> {
    // Copied at the call: the caller may reuse its buffers once the promise settles.
    const bytes = Buffer.concat(buffers);
    return this.disk.run('writev', this.path, () => {
      this.checkOpen();
      if (!this.writable) throw errnoError('EBADF', 'write', this.path);
      this.inode.write(position, bytes);
      this.inode.modifiedMs = this.disk.scheduler.nowMs();
      return bytes.length;
    });
  }

  sync(): Promise<void> {
    return this.disk.run('sync', this.path, () => {
      this.checkOpen();
      if (this.disk.flaw !== 'ignore-file-sync') this.inode.sync();
    });
  }

  truncate(lengthBytes: number): Promise<void> {
    return this.disk.run('truncate', this.path, () => {
      this.checkOpen();
      if (!this.writable) throw errnoError('EINVAL', 'ftruncate', this.path);
      this.inode.truncate(lengthBytes);
    });
  }

  sizeBytes(): Promise<number> {
    return this.disk.run('size', this.path, () => {
      this.checkOpen();
      return this.inode.bytes.length;
    });
  }

  close(): Promise<void> {
    return this.disk.run('close', this.path, () => {
      this.checkOpen();
      this.closed = true;
    });
  }

  private checkOpen(): void {
    if (this.closed) throw errnoError('EBADF', 'file handle', this.path);
  }
}

interface FaultRule {
  op: SimDiskOp;
  code: string;
  path: RegExp | undefined;
  remaining: number;
}

export class SimDisk implements Disk {
  readonly flaw: SimDiskFlaw | undefined;
  private readonly latencyMaxMs: number;
  /** folder -> name -> inode (null: a sub-folder). */
  private readonly folders = new Map<string, Map<string, Inode | null>>();
  private readonly durableFolders = new Map<string, Map<string, Inode | null>>();
  private readonly faults: FaultRule[] = [];
  private crashed = false;
  /** Operations completed, by kind (for tests that want to see the disk was exercised). */
  readonly completed = new Map<SimDiskOp, number>();

  constructor(
    readonly scheduler: SimScheduler,
    private readonly random: SeededRandom,
    private readonly options: SimDiskOptions = {},
  ) {
    this.latencyMaxMs = options.latencyMaxMs ?? 2;
    this.flaw = options.flaw;
    this.folders.set('/', new Map());
    this.durableFolders.set('/', new Map());
  }

  /** The next `count` operations of kind `op` (on a path matching `path`) fail with `code`. */
  failNext(op: SimDiskOp, code: string, options: { path?: RegExp; count?: number } = {}): void {
    this.faults.push({ op, code, path: options.path, remaining: options.count ?? 1 });
  }

  /**
   * Power loss: this disk stops (nothing in flight completes) and the disk as it comes back is
   * returned, driven by `scheduler` (a fresh one for the next life, or the same).
   */
  crash(random: SeededRandom, scheduler: SimScheduler = this.scheduler): SimDisk {
    this.crashed = true;
    const next = new SimDisk(scheduler, random, this.options);
    next.folders.clear();
    next.durableFolders.clear();
    const survivors = new Map<Inode, Inode>();
    for (const folder of [...this.durableFolders.keys()].sort()) {
      const entries = this.durableFolders.get(folder)!;
      const copy = new Map<string, Inode | null>();
      for (const name of [...entries.keys()].sort()) {
        const inode = entries.get(name)!;
        if (inode === null) {
          copy.set(name, null);
          continue;
        }
        let survivor = survivors.get(inode);
        if (survivor === undefined) {
          survivor = new Inode(inode.survivingBytes(random), inode.modifiedMs);
          survivors.set(inode, survivor);
        }
        copy.set(name, survivor);
      }
      next.folders.set(folder, copy);
      next.durableFolders.set(folder, new Map(copy));
    }
    return next;
  }

  /** Names in a folder: current and durable (test inspection; no latency). */
  entries(dir: string): { current: string[]; durable: string[] } {
    return {
      current: [...(this.folders.get(dir)?.keys() ?? [])].sort(),
      durable: [...(this.durableFolders.get(dir)?.keys() ?? [])].sort(),
    };
  }

  /** A file's current bytes (test inspection; no latency). */
  peek(path: string): Buffer | undefined {
    const { folder, name } = split(path);
    const inode = this.folders.get(folder)?.get(name);
    return inode === null || inode === undefined ? undefined : Buffer.from(inode.bytes);
  }

  /** Overwrites bytes of an existing file, durably (test-only corruption; no latency). */
  corrupt(path: string, position: number, bytes: Buffer): void {
    const { folder, name } = split(path);
    const inode = this.folders.get(folder)?.get(name);
    if (inode === null || inode === undefined) throw errnoError('ENOENT', 'corrupt', path);
    inode.write(position, bytes);
    inode.sync();
  }

  open(path: string, mode: DiskOpenMode): Promise<DiskFile> {
    return this.run('open', path, () => {
      const { folder, name } = split(path);
      const entries = this.folderOf(folder, 'open', path);
      let inode = entries.get(name);
      if (inode === null) throw errnoError('EISDIR', 'open', path);
      if (mode === 'create') {
        if (inode === undefined) {
          inode = new Inode(Buffer.alloc(0), this.scheduler.nowMs());
          entries.set(name, inode);
        } else inode.truncate(0);
      } else if (inode === undefined) throw errnoError('ENOENT', 'open', path);
      return new SimFile(this, path, inode, mode !== 'read');
    });
  }

  readFile(path: string): Promise<Buffer> {
    return this.run('readFile', path, () => Buffer.from(this.inodeAt(path, 'open').bytes));
  }

  stat(path: string): Promise<DiskStat> {
    return this.run('stat', path, () => {
      const { folder, name } = split(path);
      if (this.folders.has(path)) return { sizeBytes: 0, modifiedMs: 0 };
      const inode = this.folderOf(folder, 'stat', path).get(name);
      if (inode === undefined || inode === null) throw errnoError('ENOENT', 'stat', path);
      return { sizeBytes: inode.bytes.length, modifiedMs: inode.modifiedMs };
    });
  }

  rename(from: string, to: string): Promise<void> {
    return this.run('rename', from, () => {
      const source = split(from);
      const target = split(to);
      const sourceEntries = this.folderOf(source.folder, 'rename', from);
      const inode = sourceEntries.get(source.name);
      if (inode === undefined) throw errnoError('ENOENT', 'rename', from);
      if (inode === null) throw errnoError('EISDIR', 'rename', from);
      const targetEntries = this.folderOf(target.folder, 'rename', to);
      if (targetEntries.get(target.name) === null) throw errnoError('EISDIR', 'rename', to);
      sourceEntries.delete(source.name);
      targetEntries.set(target.name, inode);
    });
  }

  unlink(path: string): Promise<void> {
    return this.run('unlink', path, () => {
      const { folder, name } = split(path);
      const entries = this.folderOf(folder, 'unlink', path);
      const inode = entries.get(name);
      if (inode === undefined) throw errnoError('ENOENT', 'unlink', path);
      if (inode === null) throw errnoError('EISDIR', 'unlink', path);
      entries.delete(name);
    });
  }

  removeTree(dir: string): Promise<void> {
    return this.run('removeTree', dir, () => {
      for (const folders of [this.folders, this.durableFolders]) {
        for (const folder of [...folders.keys()]) if (folder === dir || folder.startsWith(dir + '/')) folders.delete(folder);
        const { folder, name } = split(dir);
        folders.get(folder)?.delete(name);
      }
    });
  }

  list(dir: string): Promise<string[]> {
    return this.run('list', dir, () => [...this.folderOf(dir, 'scandir', dir).keys()].sort());
  }

  mkdir(dir: string): Promise<void> {
    return this.run('mkdir', dir, () => {
      const parts = dir.split('/').filter((part) => part !== '');
      let path = '';
      for (const part of parts) {
        const parent = path === '' ? '/' : path;
        path = `${path}/${part}`;
        for (const folders of [this.folders, this.durableFolders]) {
          const entries = folders.get(parent)!;
          if (entries.get(part) !== undefined && entries.get(part) !== null) throw errnoError('EEXIST', 'mkdir', path);
          entries.set(part, null);
          if (!folders.has(path)) folders.set(path, new Map());
        }
      }
    });
  }

  exists(path: string): Promise<boolean> {
    return this.run('exists', path, () => {
      if (this.folders.has(path)) return true;
      const { folder, name } = split(path);
      return this.folders.get(folder)?.has(name) ?? false;
    });
  }

  syncDirectory(dir: string): Promise<void> {
    return this.run('syncDirectory', dir, () => {
      const entries = this.folderOf(dir, 'open', dir);
      if (this.flaw !== 'ignore-directory-sync') this.durableFolders.set(dir, new Map(entries));
    });
  }

  /** Runs `effect` when the operation completes (after its seeded latency), or fails it. */
  run<T>(op: SimDiskOp, path: string, effect: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.crashed) return;
      const latencyMs = this.latencyMaxMs === 0 ? 0 : this.random.int(this.latencyMaxMs + 1);
      this.scheduler.after(latencyMs, () => {
        if (this.crashed) return;
        this.completed.set(op, (this.completed.get(op) ?? 0) + 1);
        const fault = this.faults.find((rule) => rule.op === op && rule.remaining > 0 && (rule.path?.test(path) ?? true));
        if (fault !== undefined) {
          fault.remaining--;
          reject(errnoError(fault.code, op, path));
          return;
        }
        try {
          resolve(effect());
        } catch (error) {
          reject(error as Error);
        }
      });
    });
  }

  private folderOf(folder: string, syscall: string, path: string): Map<string, Inode | null> {
    const entries = this.folders.get(folder);
    if (entries === undefined) throw errnoError('ENOENT', syscall, path);
    return entries;
  }

  private inodeAt(path: string, syscall: string): Inode {
    const { folder, name } = split(path);
    const inode = this.folderOf(folder, syscall, path).get(name);
    if (inode === undefined) throw errnoError('ENOENT', syscall, path);
    if (inode === null) throw errnoError('EISDIR', syscall, path);
    return inode;
  }
}

function split(path: string): { folder: string; name: string } {
  const at = path.lastIndexOf('/');
  return { folder: at <= 0 ? '/' : path.slice(0, at), name: path.slice(at + 1) };
}

/** An Error shaped like Node's system errors (code, syscall, path), as the log's handling expects. */
export function errnoError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: simulated ${syscall} '${path}'`);
  error.code = code;
  error.syscall = syscall;
  error.path = path;
  return error;
}
