/**
 * Tiny per-partition checkpoint files (Kafka keeps these per data dir as
 * `log-start-offset-checkpoint` and `recovery-point-offset-checkpoint`). Text, two lines:
 *
 *     0            format version
 *     <offset>     decimal
 *
 * Written with temp file + fsync + rename; a missing or malformed file reads as null.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from './segment.js';

export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
/** Present only between a clean close and the next open (Kafka's `.kafka_cleanshutdown`). */
export const CLEAN_SHUTDOWN_MARKER = '.clean-shutdown';

export async function readCheckpoint(dir: string, name: string): Promise<number | null> {
  const text = await readFile(join(dir, name), 'utf8').catch(() => null);
  if (text === null) return null;
  const match = /^0\n(\d{1,16})\n$/.exec(text);
  if (match === null) return null;
  const value = Number(match[1]);
  return Number.isSafeInteger(value) ? value : null;
}

export async function writeCheckpoint(dir: string, name: string, offset: number): Promise<void> {
  await writeFileAtomically(join(dir, name), `0\n${offset}\n`);
}
