/**
 * Partition directories of a data directory (Kafka's LogManager naming): `<topic>-<partition>`
 * holds a live partition; `partition.metadata` in it names the topic id it belongs to, so a
 * directory left by another incarnation of the topic (deleted and re-created, or a metadata file
 * restored from an older backup) is never taken for the current one.
 *
 * A directory the topic metadata does not know is never deleted or reused: it is renamed to
 * `<topic>-<partition>.<32 hex>-stray` (Kafka 3.7+'s name for stray logs) and left for an operator
 * (docs/storage.md says how to recover one). Stray and `-delete` directories are ignored at start.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeDisk } from '../io/node-disk.js';
import { readFileIfExists, writeFileAtomically } from './atomic-file.js';
import { StorageError } from './storage-error.js';

export const PARTITION_METADATA_FILE = 'partition.metadata';
export const STRAY_SUFFIX = '-stray';
export const DELETE_SUFFIX = '-delete';

/** `<topic>-<partition>`: the topic name is everything before the last dash. */
const PARTITION_DIR = /^(.+)-(0|[1-9]\d{0,8})$/;

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export interface PartitionDirEntry {
  /** The folder's name in the data directory. */
  name: string;
  topic: string;
  partition: number;
}

/**
 * The folders of `logDir` named like a partition (`<topic>-<n>`). Stray (`…-stray`) and deleted
 * (`…-delete`) ones do not match: their names end in a suffix, not in a partition number.
 */
export async function listPartitionDirs(logDir: string): Promise<PartitionDirEntry[]> {
  const entries = await readdir(logDir, { withFileTypes: true });
  const dirs: PartitionDirEntry[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const match = PARTITION_DIR.exec(entry.name);
    if (match !== null) dirs.push({ name: entry.name, topic: match[1]!, partition: Number(match[2]) });
  }
  return dirs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Names of the stray folders in `logDir`. */
export async function listStrayDirs(logDir: string): Promise<string[]> {
  const entries = await readdir(logDir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory() && entry.name.endsWith(STRAY_SUFFIX))
    .map((entry) => entry.name)
    .sort();
}

/**
 * Renames `<logDir>/<name>` to `<name>.<random>-stray` (durably) and returns the new name.
 */
export async function moveAside(logDir: string, name: string): Promise<string> {
  const strayName = `${name}.${randomBytes(16).toString('hex')}${STRAY_SUFFIX}`;
  await rename(join(logDir, name), join(logDir, strayName));
  await nodeDisk.syncDirectory(logDir);
  return strayName;
}

/** Kafka's Uuid.toString(): 22 base64url characters for 16 bytes. */
function topicIdText(topicIdHex: string): string {
  return Buffer.from(topicIdHex, 'hex').toString('base64url');
}

/**
 * The topic id (32 hex digits) recorded in a partition directory, or null when it has no
 * `partition.metadata` (directories written before Fjord recorded it). A file that cannot be
 * read or parsed fails loudly: guessing could hand one topic's data to another.
 */
export async function readPartitionMetadata(dir: string): Promise<string | null> {
  const path = join(dir, PARTITION_METADATA_FILE);
  const text = await readFileIfExists(nodeDisk, path, 'partition metadata', 'Fix the file or its disk and start again.', 'utf8');
  if (text === null) return null;
  const match = /^version: 0\ntopic_id: ([A-Za-z0-9_-]{22})\n?$/.exec(text);
  const bytes = match === null ? null : Buffer.from(match[1]!, 'base64url');
  if (bytes === null || bytes.length !== 16) {
    throw new StorageError(
      path,
      `damaged partition metadata: expected "version: 0\\ntopic_id: <22 characters>", found ${JSON.stringify(text.slice(0, 80))}`,
      `Delete the file if this directory belongs to the topic its name says: the broker then adopts it and writes the file again.`,
    );
  }
  return bytes.toString('hex');
}

export async function writePartitionMetadata(dir: string, topicIdHex: string): Promise<void> {
  await writeFileAtomically(nodeDisk, join(dir, PARTITION_METADATA_FILE), `version: 0\ntopic_id: ${topicIdText(topicIdHex)}\n`);
}
