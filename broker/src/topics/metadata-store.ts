/**
 * The topic metadata file, `<logDir>/fjord-topics.json` (until the Raft metadata log replaces
 * it): the topics, their ids, partition counts, leader epochs and config overrides. Replaced
 * atomically on every change; writes run one at a time, in order, and each settles on its own
 * (a failed write fails only the change that made it). Reading checks the whole file and names
 * it, with what is wrong and what to do, when it is not what Fjord writes.
 */
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomically } from '../log/atomic-file.js';
import { StorageError } from '../log/storage-error.js';
import { nodeDisk } from '../io/node-disk.js';

export const METADATA_FILE = 'fjord-topics.json';

export interface TopicMetadataRecord {
  name: string;
  topicId: string;
  partitionCount: number;
  /** Leader epoch per partition; bumped when leadership changes (always 0 on one node for now). */
  leaderEpochs: number[];
  configs: Record<string, string>;
}

/** What to do about a metadata file that cannot be used. */
const METADATA_REMEDY =
  `Restore it from a backup, or move it away: the broker then starts without topics and keeps every partition ` +
  `directory aside as <topic>-<partition>.<id>-stray, from where it can be recovered (docs/storage.md, "Stray partition directories").`;

export class TopicMetadataStore {
  private writes: Promise<unknown> = Promise.resolve();

  constructor(readonly logDir: string) {}

  get path(): string {
    return join(this.logDir, METADATA_FILE);
  }

  /** The stored topics, or null when there is no metadata file. */
  async load(): Promise<TopicMetadataRecord[] | null> {
    const text = await readFileIfExists(nodeDisk, this.path, 'the topic metadata', 'Fix the file or its disk and start again.', 'utf8');
    if (text === null) return null;
    return parseTopicMetadata(text, this.path);
  }

  /** Replaces the file with `records`; waits for earlier writes, but not for their success. */
  write(records: readonly TopicMetadataRecord[]): Promise<void> {
    const text = JSON.stringify(records, null, 1);
    const write = this.writes.then(() => writeFileAtomically(nodeDisk, this.path, text));
    this.writes = write.catch(() => undefined);
    return write;
  }

  /** Resolves once every write started so far has settled. */
  async settled(): Promise<void> {
    await this.writes;
  }
}

/** Parses and checks the file's text; a problem throws a StorageError naming `path`. */
export function parseTopicMetadata(text: string, path: string): TopicMetadataRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StorageError(path, `damaged topic metadata: not JSON (${(error as Error).message})`, METADATA_REMEDY);
  }
  const damaged = (what: string) => new StorageError(path, `damaged topic metadata: ${what}`, METADATA_REMEDY);
  if (!Array.isArray(parsed)) throw damaged('expected a JSON array of topics');
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
