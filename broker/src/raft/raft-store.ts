/**
 * The Raft replica's durable state on the Disk port, in `<metadata.log.dir>/__cluster_metadata-0/`:
 *
 *   quorum-state                          QuorumStateData v1 as JSON with `data_version` (what
 *                                         Kafka's FileQuorumStateStore writes), replaced atomically
 *   <20-digit base offset>.log            the log: append-only segments of v2 record batches (one
 *                                         batch per run of same-epoch entries, raft-wire.ts), named
 *                                         like Kafka's segments; no index files (the log is read
 *                                         whole at start, it is small)
 *   <20-digit end offset>-<10-digit epoch>.checkpoint
 *                                         the latest snapshot's opaque bytes (Kafka's checkpoint is
 *                                         a record-batch file with header/footer control records)
 *
 * Every method returns once its change is durable: file fsynced, and the folder fsynced after a
 * name was created, renamed or removed (io/disk.ts's contract). That is what the replica's
 * durability contract asks of the driver (raft-replica.ts). `load()` cuts a torn tail: the log
 * ends at the first incomplete or CRC-invalid batch (or the first gap in offsets), and what
 * follows is truncated away, durably, before the replica starts.
 */
import { join } from 'node:path';
import { removeIfExists, writeFully, type Disk, type DiskFile } from '../io/disk.js';
import { assert } from '../io/assert.js';
import { readFileIfExists, writeFileAtomically } from '../log/atomic-file.js';
import { batchesToEntries, entriesToBatches } from './raft-wire.js';
import type { RaftEntry } from './raft-messages.js';
import type { RaftSnapshot } from './raft-log.js';
import type { QuorumState, RaftDurableState } from './raft-replica.js';

export const METADATA_LOG_DIR_NAME = '__cluster_metadata-0';
export const QUORUM_STATE_FILE = 'quorum-state';
const SEGMENT_SUFFIX = '.log';
const CHECKPOINT_SUFFIX = '.checkpoint';
/** Kafka's empty directory id (Uuid.ZERO_UUID in base64), written as votedDirectoryId. */
const ZERO_DIRECTORY_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

export function segmentFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}${SEGMENT_SUFFIX}`;
}

export function checkpointFileName(endOffset: number, epoch: number): string {
  return `${String(endOffset).padStart(20, '0')}-${String(epoch).padStart(10, '0')}${CHECKPOINT_SUFFIX}`;
}

/** QuorumStateData v1 in Kafka's JSON form. */
export function quorumStateToJson(state: QuorumState): string {
  return JSON.stringify({
    leaderId: state.leaderId,
    leaderEpoch: state.leaderEpoch,
    votedId: state.votedId,
    votedDirectoryId: ZERO_DIRECTORY_ID,
    data_version: 1,
  });
}

/** Reads v0 (Kafka 3.x: clusterId, appliedOffset, currentVoters) and v1 files alike. */
export function quorumStateFromJson(text: string, path: string): QuorumState {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const version = parsed['data_version'];
  const number = (name: string): number => {
    const value = parsed[name];
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new Error(`${path}: ${name} is not an integer`);
    return value;
  };
  if (version !== 0 && version !== 1) throw new Error(`${path}: unsupported data_version ${String(version)}`);
  return { leaderId: number('leaderId'), leaderEpoch: number('leaderEpoch'), votedId: number('votedId') };
}

interface Segment {
  baseOffset: number;
  path: string;
  /** Offset after the last entry in the segment. */
  endOffset: number;
  sizeBytes: number;
  /** Start position and offsets of each batch, to truncate inside the segment. */
  batches: { position: number; baseOffset: number; lastOffset: number }[];
}

export interface RaftStoreOptions {
  disk: Disk;
  /** metadata.log.dir (the folder that holds `__cluster_metadata-0`). */
  metadataLogDir: string;
  /** metadata.log.segment.bytes: roll to a new segment file past this size. */
  segmentBytes: number;
  /** Timestamp for written batches. */
  nowMs: () => number;
}

export class RaftStore {
  readonly dir: string;
  private segments: Segment[] = [];
  private active: DiskFile | null = null;
  private snapshotFile: string | null = null;

  constructor(private readonly options: RaftStoreOptions) {
    this.dir = join(options.metadataLogDir, METADATA_LOG_DIR_NAME);
  }

  /** Opens (creating) the folder and reads what is durable, cutting a torn log tail. */
  async load(): Promise<RaftDurableState> {
    const { disk } = this.options;
    await disk.mkdir(this.dir);
    await disk.syncDirectory(this.options.metadataLogDir);
    const names = await disk.list(this.dir);
    for (const name of names) if (name.endsWith('.tmp')) await removeIfExists(disk, join(this.dir, name));

    const statePath = join(this.dir, QUORUM_STATE_FILE);
    const stateText = await readFileIfExists(
      disk,
      statePath,
      'the Raft quorum state',
      'Restore it from a backup or remove the metadata log folder.',
      'utf8',
    );
    const quorumState = stateText === null ? null : quorumStateFromJson(stateText, statePath);

    let snapshot: RaftSnapshot | null = null;
    const checkpoints = names
      .filter((n) => n.endsWith(CHECKPOINT_SUFFIX))
      .map((n) => ({ name: n, match: /^(\d{20})-(\d{10})\.checkpoint$/.exec(n) }))
      .filter((c) => c.match !== null)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const latest = checkpoints[checkpoints.length - 1];
    if (latest !== undefined) {
      const data = await disk.readFile(join(this.dir, latest.name));
      snapshot = { endOffset: Number(latest.match![1]), epoch: Number(latest.match![2]), data };
      this.snapshotFile = latest.name;
    }

    const segmentNames = names.filter((n) => /^\d{20}\.log$/.test(n)).sort();
    const entries: RaftEntry[] = [];
    let expected: number | null = null;
    let cut = false;
    for (const name of segmentNames) {
      const path = join(this.dir, name);
      const baseOffset = Number(name.slice(0, 20));
      if (cut || (expected !== null && baseOffset !== expected)) {
        // After a torn tail or a gap nothing later can be trusted.
        cut = true;
        await disk.unlink(path);
        continue;
      }
      const bytes = await disk.readFile(path);
      const decoded = batchesToEntries(bytes);
      const segment: Segment = { baseOffset, path, endOffset: baseOffset, sizeBytes: 0, batches: [] };
      let position = 0;
      for (const batch of groupByBatch(decoded.entries, bytes)) {
        if (batch.baseOffset !== segment.endOffset) break;
        segment.batches.push({ position, baseOffset: batch.baseOffset, lastOffset: batch.lastOffset });
        entries.push(...batch.entries);
        position += batch.sizeBytes;
        segment.endOffset = batch.lastOffset + 1;
      }
      segment.sizeBytes = position;
      if (position < bytes.length) {
        cut = true;
        const file = await disk.open(path, 'readWrite');
        try {
          await file.truncate(position);
          await file.sync();
        } finally {
          await file.close();
        }
      }
      expected = segment.endOffset;
      this.segments.push(segment);
    }
    if (cut) await disk.syncDirectory(this.dir);
    return { quorumState, snapshot, entries };
  }

  async persistQuorumState(state: QuorumState): Promise<void> {
    await writeFileAtomically(this.options.disk, join(this.dir, QUORUM_STATE_FILE), quorumStateToJson(state));
  }

  async append(entries: readonly RaftEntry[]): Promise<void> {
    if (entries.length === 0) return;
    let segment = this.segments[this.segments.length - 1];
    if (segment !== undefined)
      assert(entries[0]!.offset === segment.endOffset, `append at ${entries[0]!.offset}, store ends at ${segment.endOffset}`);
    if (segment === undefined || segment.sizeBytes >= this.options.segmentBytes) segment = await this.roll(entries[0]!.offset);
    const file = await this.activeFile(segment);
    const batches = entriesToBatches(entries, this.options.nowMs());
    let position = segment.sizeBytes;
    let index = 0;
    for (const batch of batches) {
      const decoded = batchesToEntries(batch).entries;
      segment.batches.push({ position, baseOffset: decoded[0]!.offset, lastOffset: decoded[decoded.length - 1]!.offset });
      position += batch.length;
      index += decoded.length;
    }
    assert(index === entries.length);
    await writeFully(file, batches, segment.sizeBytes);
    await file.sync();
    segment.sizeBytes = position;
    segment.endOffset = entries[entries.length - 1]!.offset + 1;
  }

  /** Removes every entry at or above `endOffset`. */
  async truncate(endOffset: number): Promise<void> {
    const { disk } = this.options;
    let removedNames = false;
    while (this.segments.length > 0 && this.segments[this.segments.length - 1]!.baseOffset >= endOffset && this.segments.length > 1) {
      const segment = this.segments.pop()!;
      await this.closeActive();
      await disk.unlink(segment.path);
      removedNames = true;
    }
    const segment = this.segments[this.segments.length - 1];
    if (segment !== undefined && segment.endOffset > endOffset) {
      await this.closeActive();
      const index = segment.batches.findIndex((b) => b.lastOffset >= endOffset);
      const batch = segment.batches[index]!;
      const file = await disk.open(segment.path, 'readWrite');
      try {
        // A batch that straddles endOffset is rewritten with the entries below it.
        let kept: RaftEntry[] = [];
        if (batch.baseOffset < endOffset) {
          const bytes = Buffer.alloc(segment.sizeBytes - batch.position);
          await file.read(bytes, 0, bytes.length, batch.position);
          kept = batchesToEntries(bytes).entries.filter((e) => e.offset >= batch.baseOffset && e.offset < endOffset);
        }
        await file.truncate(batch.position);
        segment.batches.length = index;
        segment.sizeBytes = batch.position;
        segment.endOffset = batch.baseOffset;
        if (kept.length > 0) {
          const rewritten = entriesToBatches(kept, this.options.nowMs());
          await writeFully(file, rewritten, batch.position);
          segment.batches.push({ position: batch.position, baseOffset: kept[0]!.offset, lastOffset: kept[kept.length - 1]!.offset });
          segment.sizeBytes += rewritten.reduce((sum, b) => sum + b.length, 0);
          segment.endOffset = endOffset;
        }
        await file.sync();
      } finally {
        await file.close();
      }
    }
    if (removedNames) await disk.syncDirectory(this.dir);
  }

  /** Drops the segments wholly below `logStartOffset` (a snapshot covers them). */
  async truncatePrefix(logStartOffset: number): Promise<void> {
    let removed = false;
    while (this.segments.length > 1 && this.segments[1]!.baseOffset <= logStartOffset) {
      const segment = this.segments.shift()!;
      await this.options.disk.unlink(segment.path);
      removed = true;
    }
    if (removed) await this.options.disk.syncDirectory(this.dir);
  }

  /** Writes the snapshot (its own checkpoint file), then replaces the whole log by it. */
  async installSnapshot(snapshot: RaftSnapshot): Promise<void> {
    const { disk } = this.options;
    const name = checkpointFileName(snapshot.endOffset, snapshot.epoch);
    await writeFileAtomically(disk, join(this.dir, name), snapshot.data);
    await this.closeActive();
    for (const segment of this.segments) await disk.unlink(segment.path);
    this.segments = [];
    if (this.snapshotFile !== null && this.snapshotFile !== name) await removeIfExists(disk, join(this.dir, this.snapshotFile));
    this.snapshotFile = name;
    await this.roll(snapshot.endOffset);
  }

  async close(): Promise<void> {
    await this.closeActive();
  }

  private async roll(baseOffset: number): Promise<Segment> {
    await this.closeActive();
    const path = join(this.dir, segmentFileName(baseOffset));
    const file = await this.options.disk.open(path, 'create');
    await file.sync();
    await this.options.disk.syncDirectory(this.dir);
    this.active = file;
    const segment: Segment = { baseOffset, path, endOffset: baseOffset, sizeBytes: 0, batches: [] };
    this.segments.push(segment);
    return segment;
  }

  private async activeFile(segment: Segment): Promise<DiskFile> {
    if (this.active === null) this.active = await this.options.disk.open(segment.path, 'readWrite');
    return this.active;
  }

  private async closeActive(): Promise<void> {
    const file = this.active;
    this.active = null;
    if (file !== null) await file.close();
  }
}

/** The decoded entries grouped back into the batches they came from (sizes from the headers). */
function groupByBatch(
  entries: readonly RaftEntry[],
  bytes: Buffer,
): { baseOffset: number; lastOffset: number; sizeBytes: number; entries: RaftEntry[] }[] {
  const groups: { baseOffset: number; lastOffset: number; sizeBytes: number; entries: RaftEntry[] }[] = [];
  let position = 0;
  let i = 0;
  while (i < entries.length) {
    const baseOffset = bytes.readBigInt64BE(position);
    const sizeBytes = bytes.readInt32BE(position + 8) + 12;
    const lastOffset = Number(baseOffset) + bytes.readInt32BE(position + 23);
    const group = [];
    while (i < entries.length && entries[i]!.offset <= lastOffset) group.push(entries[i++]!);
    groups.push({ baseOffset: Number(baseOffset), lastOffset, sizeBytes, entries: group });
    position += sizeBytes;
  }
  return groups;
}
