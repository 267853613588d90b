/**
 * The one way small files (checkpoints, index files, snapshots, metadata) are read and replaced.
 * Reads: a missing file is "absent" (null); any other error fails loudly, naming the file, since
 * a wrong "absent" makes recovery act on the wrong state. Writes: a temp
 * file beside the target, fsync, rename over the target, fsync of the folder. A reader sees the
 * old file or the complete new one; after the folder's fsync the rename survives a power loss.
 * Leftover `*.tmp` files of a crash are removed when the folder is next opened.
 */
import { dirname } from 'node:path';
import { removeIfExists, writeFully, type Disk } from '../io/disk.js';
import { errorCode, StorageError } from './storage-error.js';

let tempFileCounter = 0;

export interface AtomicWriteOptions {
  /**
   * fsync the file before the rename (default true). Only for files whose reader checks them and
   * falls back when they are torn or empty (index files, CRC-checked producer snapshots).
   */
  syncFile?: boolean;
  /**
   * fsync the folder after the rename (default true). A caller that replaces several files in
   * one folder may pass false and call `syncDirectory` once after the last one.
   */
  syncDirectory?: boolean;
}

export async function writeFileAtomically(
  disk: Disk,
  path: string,
  data: Buffer | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const temp = `${path}.${process.pid}-${tempFileCounter++}.tmp`;
  try {
    const handle = await disk.open(temp, 'create');
    try {
      await writeFully(handle, [typeof data === 'string' ? Buffer.from(data) : data], 0);
      if (options.syncFile ?? true) await handle.sync();
    } finally {
      await handle.close();
    }
    await disk.rename(temp, path);
  } catch (error) {
    // A full disk must not also leak the temp file.
    await removeIfExists(disk, temp).catch(() => undefined);
    throw error;
  }
  if (options.syncDirectory ?? true) await disk.syncDirectory(dirname(path));
}

/** Creates an empty file (a marker: only its existence counts) and makes its name durable. */
export async function createMarkerFile(disk: Disk, path: string): Promise<void> {
  const handle = await disk.open(path, 'create');
  await handle.close();
  await disk.syncDirectory(dirname(path));
}

/**
 * The file's bytes (or text, with `encoding`), or null when it does not exist. Any other error
 * throws a StorageError naming the file, `what` it is, and the operator's `remedy`.
 */
export async function readFileIfExists(disk: Disk, path: string, what: string, remedy: string): Promise<Buffer | null>;
export async function readFileIfExists(disk: Disk, path: string, what: string, remedy: string, encoding: 'utf8'): Promise<string | null>;
export async function readFileIfExists(
  disk: Disk,
  path: string,
  what: string,
  remedy: string,
  encoding?: 'utf8',
): Promise<Buffer | string | null> {
  try {
    const bytes = await disk.readFile(path);
    return encoding === undefined ? bytes : bytes.toString(encoding);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw new StorageError(path, `cannot read ${what} (${(error as Error).message})`, remedy, { cause: error });
  }
}
