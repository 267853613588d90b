/**
 * Tiny per-partition checkpoint files (Kafka keeps these per data dir as
 * `log-start-offset-checkpoint` and `recovery-point-offset-checkpoint`). Text, two lines:
 *
 *     0            format version
 *     <offset>     decimal
 *
 * Written with temp file + fsync + rename (atomic-file.ts). Only a missing file reads as absent
 * (null): any other read error, or a file that is not in this format, fails the partition's open
 * with a StorageError naming the file. Treating those as absent would make recovery, retention
 * and the cleaner act on the wrong offsets (a log start of 0 resurrects deleted records; a
 * cleaner checkpoint of 0 makes recovery truncate a cleaned segment at its first offset gap).
 */
import { join } from 'node:path';
import type { Disk } from '../io/disk.js';
import { readFileIfExists, writeFileAtomically, type AtomicWriteOptions } from './atomic-file.js';
import { StorageError } from './storage-error.js';

export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
/** Present only between a clean close and the next open (Kafka's `.kafka_cleanshutdown`). */
export const CLEAN_SHUTDOWN_MARKER = '.clean-shutdown';

const CHECKPOINT_TEXT = /^0\n(\d{1,16})\n$/;
const SHOWN_CHARS_MAX = 40;

export async function readCheckpoint(disk: Disk, dir: string, name: string): Promise<number | null> {
  const path = join(dir, name);
  const text = await readFileIfExists(
    disk,
    path,
    'checkpoint',
    'Fix the file or its disk (permissions, I/O errors) and start again; the partition stays closed until then.',
    'utf8',
  );
  if (text === null) return null;
  const match = CHECKPOINT_TEXT.exec(text);
  const value = match === null ? Number.NaN : Number(match[1]);
  if (!Number.isSafeInteger(value)) {
    throw new StorageError(
      path,
      `damaged checkpoint: expected "0\\n<offset>\\n", found ${JSON.stringify(text.slice(0, SHOWN_CHARS_MAX))}`,
      'Restore the file from a backup or write the right offset into it (see "Damaged files" in docs/storage.md); the partition stays closed until then.',
    );
  }
  return value;
}

export async function writeCheckpoint(disk: Disk, dir: string, name: string, offset: number, options?: AtomicWriteOptions): Promise<void> {
  await writeFileAtomically(disk, join(dir, name), `0\n${offset}\n`, options);
}
