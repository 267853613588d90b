/**
 * The `Disk` port (./disk.ts) onto `node:fs/promises`: a thin pass-through (no copies, no
 * buffering), so errors keep Node's errno codes and the hot path keeps its one writev per batch
 * group.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import type { Disk, DiskFile, DiskOpenMode } from './disk.js';

const FLAGS: Record<DiskOpenMode, string> = { read: 'r', readWrite: 'r+', create: 'w+' };

class NodeFile implements DiskFile {
  constructor(private readonly handle: FileHandle) {}

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return (await this.handle.read(buffer, offset, length, position)).bytesRead;
  }

  async writev(buffers: readonly Buffer[], position: number): Promise<number> {
    return (await this.handle.writev(buffers as Buffer[], position)).bytesWritten;
  }

  sync(): Promise<void> {
    return this.handle.sync();
  }

  truncate(lengthBytes: number): Promise<void> {
    return this.handle.truncate(lengthBytes);
  }

  async sizeBytes(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export const nodeDisk: Disk = {
  async open(path, mode) {
    return new NodeFile(await open(path, FLAGS[mode]));
  },
  readFile: (path) => readFile(path),
  async stat(path) {
    const info = await stat(path);
    return { sizeBytes: info.size, modifiedMs: info.mtimeMs };
  },
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  removeTree: (dir) => rm(dir, { recursive: true, force: true }),
  list: (dir) => readdir(dir),
  async mkdir(dir) {
    await mkdir(dir, { recursive: true });
  },
  async exists(path) {
    try {
      await stat(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  },
  async syncDirectory(dir) {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};
