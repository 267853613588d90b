/**
 * The storage port: everything the log (`broker/src/log/`) does to files goes through a `Disk`,
 * so a simulation can run the log on a disk that loses unsynced writes at a crash
 * (test/sim/disk.ts). `nodeDisk` (./node-disk.ts) is the one adapter onto `node:fs`.
 *
 * Just what the log needs. Errors are Node's: they carry an errno `code` (ENOENT, ENOSPC, EDQUOT,
 * EIO, ...), so `errorCode()` / `isOutOfSpace()` (log/storage-error.ts) work on every adapter.
 *
 * Durability contract (what callers may assume, and what the simulated disk enforces):
 * - bytes written to a file survive a crash only once `DiskFile.sync()` returned after them;
 * - a name created, renamed or removed in a folder survives a crash only once
 *   `Disk.syncDirectory(folder)` returned after it (the file's contents still need their own sync);
 * - an unsynced write may survive torn (any prefix of it), and writes to one file are not
 *   reordered against each other.
 *
 * Zero-copy: `writev` takes the caller's buffers as they are and `read` fills the caller's
 * buffer; adapters must not copy on the way (the produce path writes batches as received).
 */

/**
 * - `read`: existing file, read only;
 * - `readWrite`: existing file, read and positional write;
 * - `create`: read and write, created if missing and truncated if not (`w+`).
 */
export type DiskOpenMode = 'read' | 'readWrite' | 'create';

export interface DiskFile {
  /** Reads up to `length` bytes at file `position` into `buffer[offset..]`; 0 at end of file. */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Writes `buffers` back to back at `position`; may write fewer bytes (returns how many). */
  writev(buffers: readonly Buffer[], position: number): Promise<number>;
  /** fsync: the file's bytes written so far survive a crash. */
  sync(): Promise<void>;
  truncate(lengthBytes: number): Promise<void>;
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}

export interface DiskStat {
  sizeBytes: number;
  modifiedMs: number;
}

export interface Disk {
  open(path: string, mode: DiskOpenMode): Promise<DiskFile>;
  /** A whole (small) file's bytes. ENOENT when it does not exist. */
  readFile(path: string): Promise<Buffer>;
  stat(path: string): Promise<DiskStat>;
  /** Replaces `to` if it exists (POSIX rename). */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; ENOENT when it does not exist. */
  unlink(path: string): Promise<void>;
  /** Removes a folder and everything in it; no error when it does not exist. */
  removeTree(dir: string): Promise<void>;
  /** Names (not paths) in a folder, in no particular order. */
  list(dir: string): Promise<string[]>;
  /** Creates the folder and any missing parents; no error when it exists. */
  mkdir(dir: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** fsync of a folder: the names created, renamed or removed in it survive a crash. */
  syncDirectory(dir: string): Promise<void>;
}

/** `unlink` that treats a missing file as done (what `rm --force` does). */
export async function removeIfExists(disk: Disk, path: string): Promise<void> {
  try {
    await disk.unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException | null)?.code !== 'ENOENT') throw error;
  }
}

/** iovecs per writev call (Linux IOV_MAX is 1024). */
export const WRITEV_BUFFERS_MAX = 1024;

/**
 * Writes all of `buffers` at `position` with as few writev calls as possible (at most
 * `WRITEV_BUFFERS_MAX` buffers each, looping over short writes); returns the end position.
 */
export async function writeFully(file: DiskFile, buffers: readonly Buffer[], position: number): Promise<number> {
  for (let start = 0; start < buffers.length; start += WRITEV_BUFFERS_MAX) {
    let chunk = buffers.length <= WRITEV_BUFFERS_MAX ? buffers : buffers.slice(start, start + WRITEV_BUFFERS_MAX);
    let remaining = 0;
    for (const buf of chunk) remaining += buf.length;
    while (remaining > 0) {
      const written = await file.writev(chunk, position);
      position += written;
      remaining -= written;
      if (remaining > 0) chunk = dropWritten(chunk, written);
    }
  }
  return position;
}

function dropWritten(buffers: readonly Buffer[], bytes: number): Buffer[] {
  let skip = bytes;
  const rest: Buffer[] = [];
  for (const buf of buffers) {
    if (skip >= buf.length) {
      skip -= buf.length;
      continue;
    }
    rest.push(skip > 0 ? buf.subarray(skip) : buf);
    skip = 0;
  }
  return rest;
}
