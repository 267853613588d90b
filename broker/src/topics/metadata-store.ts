/**
 * The single node's metadata store, `<logDir>/fjord-topics.json` (until the Raft metadata log
 * replaces it). It holds the metadata image written as metadata records (MetadataImage.toRecords,
 * each record in Kafka's framing, base64) and the metadata offset they end at: the same records a
 * Raft snapshot will hold, applied by the same image code. Files written before that (a JSON array
 * of topics: name, id, partition count, leader epochs, configs) are still read, as the records
 * that make those topics on this node; the next change rewrites the file in the records format.
 *
 * The file is replaced atomically on every change; writes run one at a time, in order, and each
 * settles on its own (a failed write fails only the change that made it). Reading checks the
 * whole file and names it, with what is wrong and what to do, when it is not what Fjord writes.
 */
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomically } from '../log/atomic-file.js';
import { StorageError } from '../log/storage-error.js';
import { ConfigResourceType, MetadataImage, MetadataImageError } from '../metadata/metadata-image.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from '../metadata/metadata-record.js';
import { nodeDisk } from '../io/node-disk.js';

export const METADATA_FILE = 'fjord-topics.json';
/** The `format` of a records file (a legacy file is a bare array). */
export const METADATA_FILE_FORMAT = 'fjord-metadata-records';
const METADATA_FILE_VERSION = 1;

/** One topic of a legacy (topics array) metadata file. */
export interface TopicMetadataRecord {
  name: string;
  topicId: string;
  partitionCount: number;
  /** Leader epoch per partition; bumped when leadership changes (always 0 on one node for now). */
  leaderEpochs: number[];
  configs: Record<string, string>;
}

export interface StoredMetadata {
  image: MetadataImage;
  /** The file was in the legacy topics format (rewritten as records at the next change). */
  legacy: boolean;
}

/** What to do about a metadata file that cannot be used. */
const METADATA_REMEDY =
  `Restore it from a backup, or move it away: the broker then starts without topics and keeps every partition ` +
  `directory aside as <topic>-<partition>.<id>-stray, from where it can be recovered (docs/storage.md, "Stray partition directories").`;

export class TopicMetadataStore {
  private writes: Promise<unknown> = Promise.resolve();
  /** Every change rewrites the whole image: entries it did not change reuse their encoding. */
  private readonly encodings = new RecordEncodingCache();

  constructor(
    readonly logDir: string,
    /** This broker: a legacy file's partitions are hosted and led by it. */
    private readonly nodeId: number,
  ) {}

  get path(): string {
    return join(this.logDir, METADATA_FILE);
  }

  /** The stored image, or null when there is no metadata file. */
  async load(): Promise<StoredMetadata | null> {
    const text = await readFileIfExists(nodeDisk, this.path, 'the topic metadata', 'Fix the file or its disk and start again.', 'utf8');
    if (text === null) return null;
    return parseStoredMetadata(text, this.path, this.nodeId);
  }

  /** Replaces the file with `image`; waits for earlier writes, but not for their success. */
  write(image: MetadataImage): Promise<void> {
    const text = formatStoredMetadata(image, this.encodings);
    const write = this.writes.then(() => writeFileAtomically(nodeDisk, this.path, text));
    this.writes = write.catch(() => undefined);
    return write;
  }

  /** Resolves once every write started so far has settled. */
  async settled(): Promise<void> {
    await this.writes;
  }
}

/**
 * Each record as the file holds it (Kafka's framing, base64, a JSON string), remembered per image
 * entry: with 10,000 partitions, encoding them all took ~100-200 ms, too long for every change.
 */
export class RecordEncodingCache {
  private readonly bySource = new WeakMap<object, string[]>();

  encode(image: MetadataImage): string[] {
    const lines: string[] = [];
    image.writeRecords((source, make) => {
      let encoded = source === null ? undefined : this.bySource.get(source);
      if (encoded === undefined) {
        encoded = make().map((record) => JSON.stringify(encodeMetadataRecord(record).toString('base64')));
        if (source !== null) this.bySource.set(source, encoded);
      }
      lines.push(...encoded);
    });
    return lines;
  }
}

/** The file's text for `image`: one record per line, so a diff of two files reads. */
export function formatStoredMetadata(image: MetadataImage, encodings = new RecordEncodingCache()): string {
  const records = encodings.encode(image);
  return (
    `{"format":"${METADATA_FILE_FORMAT}","version":${METADATA_FILE_VERSION},"offset":${image.offset},"records":[` +
    (records.length === 0 ? '' : `\n${records.join(',\n')}\n`) +
    ']}\n'
  );
}

/** Parses and checks the file's text (either format); a problem throws a StorageError naming `path`. */
export function parseStoredMetadata(text: string, path: string, nodeId: number): StoredMetadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StorageError(path, `damaged topic metadata: not JSON (${(error as Error).message})`, METADATA_REMEDY);
  }
  const damaged = (what: string) => new StorageError(path, `damaged topic metadata: ${what}`, METADATA_REMEDY);
  if (Array.isArray(parsed)) {
    const records = recordsOfLegacyTopics(checkLegacyTopics(parsed, damaged), nodeId);
    return { image: replay(records, records.length - 1, damaged), legacy: true };
  }
  if (typeof parsed !== 'object' || parsed === null) throw damaged('expected a JSON object of metadata records');
  const file = parsed as Record<string, unknown>;
  if (file['format'] !== METADATA_FILE_FORMAT) throw damaged(`expected "format": "${METADATA_FILE_FORMAT}"`);
  if (file['version'] !== METADATA_FILE_VERSION) {
    throw damaged(`version ${JSON.stringify(file['version'])} is not one this Fjord reads (${METADATA_FILE_VERSION})`);
  }
  const offset = file['offset'];
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < -1) throw damaged('no valid offset');
  const encoded = file['records'];
  if (!Array.isArray(encoded)) throw damaged('no records array');
  const records = encoded.map((item: unknown, index): MetadataRecord => {
    if (typeof item !== 'string') throw damaged(`record #${index} is not a string`);
    try {
      return decodeMetadataRecord(Buffer.from(item, 'base64'));
    } catch (error) {
      throw damaged(`record #${index} does not decode (${(error as Error).message})`);
    }
  });
  return { image: replay(records, offset, damaged), legacy: false };
}

function replay(records: readonly MetadataRecord[], offset: number, damaged: (what: string) => StorageError): MetadataImage {
  try {
    return MetadataImage.EMPTY.apply(records, offset);
  } catch (error) {
    if (error instanceof MetadataImageError) throw damaged(error.message);
    throw error;
  }
}

/**
 * The records that make a legacy file's topics on this node: each partition hosted and led by
 * `nodeId` alone, at the leader epoch the file kept.
 */
export function recordsOfLegacyTopics(topics: readonly TopicMetadataRecord[], nodeId: number): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  for (const topic of topics) {
    records.push({ type: 'TopicRecord', version: 0, data: { name: topic.name, topicId: topic.topicId } });
    for (let partitionId = 0; partitionId < topic.partitionCount; partitionId++) {
      records.push(singleNodePartitionRecord(topic.topicId, partitionId, nodeId, topic.leaderEpochs[partitionId] ?? 0));
    }
    for (const [name, value] of Object.entries(topic.configs)) {
      records.push({
        type: 'ConfigRecord',
        version: 0,
        data: { resourceType: ConfigResourceType.TOPIC, resourceName: topic.name, name, value },
      });
    }
  }
  return records;
}

/** A partition on one node: `nodeId` its only replica, in the ISR, its leader. */
export function singleNodePartitionRecord(topicId: string, partitionId: number, nodeId: number, leaderEpoch = 0): MetadataRecord {
  return {
    type: 'PartitionRecord',
    version: 2,
    data: {
      partitionId,
      topicId,
      replicas: [nodeId],
      isr: [nodeId],
      removingReplicas: [],
      addingReplicas: [],
      leader: nodeId,
      leaderRecoveryState: 0,
      leaderEpoch,
      partitionEpoch: 0,
      directories: [],
      eligibleLeaderReplicas: null,
      lastKnownElr: null,
    },
  };
}

/** Parses a legacy file's text (a JSON array of topics); a problem throws a StorageError naming `path`. */
export function parseTopicMetadata(text: string, path: string): TopicMetadataRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StorageError(path, `damaged topic metadata: not JSON (${(error as Error).message})`, METADATA_REMEDY);
  }
  const damaged = (what: string) => new StorageError(path, `damaged topic metadata: ${what}`, METADATA_REMEDY);
  if (!Array.isArray(parsed)) throw damaged('expected a JSON array of topics');
  return checkLegacyTopics(parsed, damaged);
}

function checkLegacyTopics(parsed: unknown[], damaged: (what: string) => StorageError): TopicMetadataRecord[] {
  const names = new Set<string>();
  const ids = new Set<string>();
  return parsed.map((item: unknown, index): TopicMetadataRecord => {
    const at = `topic #${index}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw damaged(`${at} is not an object`);
    const record = item as Record<string, unknown>;
    const { name, topicId, partitionCount, leaderEpochs, configs } = record;
    if (typeof name !== 'string' || name.length === 0) throw damaged(`${at} has no name`);
    if (typeof topicId !== 'string' || !/^[0-9a-f]{32}$/.test(topicId))
      throw damaged(`topic '${name}' has no valid topicId (32 hex digits)`);
    if (typeof partitionCount !== 'number' || !Number.isSafeInteger(partitionCount) || partitionCount < 1) {
      throw damaged(`topic '${name}' has no valid partitionCount`);
    }
    if (!Array.isArray(leaderEpochs) || !leaderEpochs.every((epoch) => Number.isSafeInteger(epoch) && (epoch as number) >= 0)) {
      throw damaged(`topic '${name}' has no valid leaderEpochs`);
    }
    if (
      typeof configs !== 'object' ||
      configs === null ||
      Array.isArray(configs) ||
      !Object.values(configs).every((v) => typeof v === 'string')
    ) {
      throw damaged(`topic '${name}' has no valid configs (an object of strings)`);
    }
    if (names.has(name)) throw damaged(`topic '${name}' appears twice`);
    if (ids.has(topicId)) throw damaged(`topic id ${topicId} appears twice`);
    names.add(name);
    ids.add(topicId);
    return { name, topicId, partitionCount, leaderEpochs: leaderEpochs as number[], configs: configs as Record<string, string> };
  });
}
