/**
 * Kafka's `meta.properties` in each data directory: which cluster and node the directory
 * belongs to, so a broker never opens another cluster's or another node's data. Written by
 * `fjord format` (Kafka's `kafka-storage.sh format`) or, for a directory with no broker data in
 * it yet, on the first start. A directory that holds broker data but no meta.properties is
 * refused: it cannot be checked, and guessing could mix two clusters' data.
 *
 *     version=1
 *     cluster.id=<22 characters>
 *     node.id=<int>
 *     directory.id=<22 characters>     (KIP-858; Fjord writes it, does not need it)
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeDisk } from '../io/node-disk.js';
import { readFileIfExists, writeFileAtomically } from './atomic-file.js';
import { PARTITION_METADATA_FILE, STRAY_SUFFIX } from './partition-dir.js';
import { StorageError } from './storage-error.js';

export const META_PROPERTIES_FILE = 'meta.properties';
/** Files of a data directory that only a broker writes (beside the partition directories). */
const BROKER_FILES = ['fjord-topics.json', 'fjord-producer-ids.json'];

export interface MetaProperties {
  clusterId: string;
  nodeId: number;
  directoryId: string | null;
}

/** A new id as Kafka prints one (Uuid.randomUuid().toString(): 22 base64url characters). */
export function randomKafkaUuid(): string {
  return randomBytes(16).toString('base64url');
}

export function formatMetaProperties(properties: MetaProperties): string {
  const lines = ['#', '#Written by Fjord', 'version=1', `cluster.id=${properties.clusterId}`, `node.id=${properties.nodeId}`];
  if (properties.directoryId !== null) lines.push(`directory.id=${properties.directoryId}`);
  return `${lines.join('\n')}\n`;
}

/** Java properties as Kafka writes them (key=value lines, # comments); a problem names `path`. */
export function parseMetaProperties(text: string, path: string): MetaProperties {
  const values = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const eq = line.search(/[=:]/);
    if (eq <= 0) continue;
    values.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const remedy = 'Restore the file (or run `fjord format` for this directory; see "meta.properties" in docs/storage.md).';
  const version = values.get('version');
  if (version !== '1') {
    throw new StorageError(
      path,
      `unsupported meta.properties version ${JSON.stringify(version ?? null)} (Fjord reads version=1, KRaft's)`,
      remedy,
    );
  }
  const clusterId = values.get('cluster.id') ?? '';
  if (clusterId === '') throw new StorageError(path, 'meta.properties has no cluster.id', remedy);
  const nodeIdText = values.get('node.id') ?? '';
  const nodeId = Number(nodeIdText);
  if (!/^-?\d+$/.test(nodeIdText) || !Number.isSafeInteger(nodeId)) {
    throw new StorageError(path, `meta.properties has no valid node.id (${JSON.stringify(nodeIdText)})`, remedy);
  }
  return { clusterId, nodeId, directoryId: values.get('directory.id') ?? null };
}

export async function readMetaProperties(dir: string): Promise<MetaProperties | null> {
  const path = join(dir, META_PROPERTIES_FILE);
  const text = await readFileIfExists(nodeDisk, path, 'meta.properties', 'Fix the file or its disk and start again.', 'utf8');
  if (text === null) return null;
  return parseMetaProperties(text, path);
}

export async function writeMetaProperties(dir: string, properties: MetaProperties): Promise<void> {
  await writeFileAtomically(nodeDisk, join(dir, META_PROPERTIES_FILE), formatMetaProperties(properties));
}

/** The first thing in `dir` only a broker writes (topic metadata, a partition directory), or null. */
export async function findBrokerData(dir: string): Promise<string | null> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.isFile() && BROKER_FILES.includes(entry.name)) return entry.name;
  }
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    if (entry.name.endsWith(STRAY_SUFFIX)) return `${entry.name}/`;
    const inner = await readdir(join(dir, entry.name)).catch(() => [] as string[]);
    if (inner.includes(PARTITION_METADATA_FILE) || inner.some((name) => /^\d{20}\.log$/.test(name))) return `${entry.name}/`;
  }
  return null;
}

/**
 * Checks `dir` belongs to this node (and cluster, when `cluster.id` is configured), writing
 * meta.properties for a directory with no broker data yet. Returns the directory's properties.
 */
export async function ensureMetaProperties(dir: string, expected: { nodeId: number; clusterId: string | null }): Promise<MetaProperties> {
  const path = join(dir, META_PROPERTIES_FILE);
  const stored = await readMetaProperties(dir);
  if (stored !== null) {
    if (stored.nodeId !== expected.nodeId) {
      throw new StorageError(
        path,
        `the data directory belongs to node.id ${stored.nodeId}, but this broker has node.id ${expected.nodeId}`,
        `Give this broker its own log.dirs, or set node.id=${stored.nodeId} if this is that node's data.`,
      );
    }
    if (expected.clusterId !== null && expected.clusterId !== stored.clusterId) {
      throw new StorageError(
        path,
        `the data directory belongs to cluster ${stored.clusterId}, but this broker has cluster.id ${expected.clusterId}`,
        `Point log.dirs at this cluster's directory, or set cluster.id=${stored.clusterId} if the data belongs to this cluster.`,
      );
    }
    return stored;
  }
  const data = await findBrokerData(dir);
  if (data !== null) {
    throw new StorageError(
      path,
      `missing, but the data directory holds broker data (${data}), so it cannot be checked against this cluster and node`,
      "If it is this broker's data, write the file with `fjord format --config <server.properties> --cluster-id <id>` " +
        '(the id of the cluster it belongs to); otherwise point log.dirs at an empty directory (docs/storage.md, "meta.properties").',
    );
  }
  const created: MetaProperties = {
    clusterId: expected.clusterId ?? randomKafkaUuid(),
    nodeId: expected.nodeId,
    directoryId: randomKafkaUuid(),
  };
  await writeMetaProperties(dir, created);
  return created;
}
