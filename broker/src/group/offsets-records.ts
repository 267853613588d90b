import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { decodeGroupMetadataKey, encodeGroupMetadataKey } from '../protocol/generated/group-metadata-key.js';
import {
  decodeGroupMetadataValue,
  encodeGroupMetadataValue,
  type GroupMetadataValue,
  type GroupMetadataValueInput,
} from '../protocol/generated/group-metadata-value.js';
import { decodeOffsetCommitKey, encodeOffsetCommitKey } from '../protocol/generated/offset-commit-key.js';
import { decodeOffsetCommitValue, encodeOffsetCommitValue } from '../protocol/generated/offset-commit-value.js';

/**
 * Records of the internal topic `__consumer_offsets`, in Kafka's format
 * (GroupCoordinatorRecordHelpers / CoordinatorRecordSerde), so Kafka tooling could read them:
 *
 *   key   = int16 record type + key struct     (0/1 OffsetCommitKey {group, topic, partition},
 *                                                2 GroupMetadataKey {group}; 3+ are KIP-848/share
 *                                                records, which Fjord never writes and skips)
 *   value = int16 value version + value struct (OffsetCommitValue v3, or v1 when the commit carries
 *                                                an explicit expire timestamp; GroupMetadataValue v3)
 *   null value = tombstone (offset deleted / group deleted).
 *
 * The group's partition is abs(Java String.hashCode(groupId)) % offsets.topic.num.partitions.
 */

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

/** Record type 1: what Kafka writes for offset commits (0 is the legacy key, read the same). */
const OFFSET_COMMIT_KEY_TYPE = 1;
const GROUP_METADATA_KEY_TYPE = 2;
const OFFSET_COMMIT_VALUE_VERSION = 3;
const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY = 1;
const GROUP_METADATA_VALUE_VERSION = 3;

/** A committed offset as the coordinator keeps it (times in epoch ms). */
export interface CommittedOffset {
  offset: bigint;
  /** -1 = unknown. */
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  /** Only from OffsetCommit v2-4 RetentionTimeMs (or old records); null = broker retention. */
  expireTimestampMs: number | null;
}

export type OffsetsRecord =
  | { kind: 'offset'; groupId: string; topic: string; partition: number; value: CommittedOffset | null }
  | { kind: 'group'; groupId: string; value: GroupMetadataValueInput | null };

/** Java's `Utils.abs(groupId.hashCode()) % partitionCount` (String.hashCode over UTF-16 units). */
export function partitionForGroup(groupId: string, partitionCount: number): number {
  let hash = 0;
  for (let i = 0; i < groupId.length; i++) hash = (Math.imul(31, hash) + groupId.charCodeAt(i)) | 0;
  const abs = hash === -2147483648 ? 0 : Math.abs(hash);
  return abs % partitionCount;
}

export function encodeOffsetsRecord(record: OffsetsRecord): { key: Buffer; value: Buffer | null } {
  const key = new Writer(64);
  if (record.kind === 'offset') {
    key.writeInt16(OFFSET_COMMIT_KEY_TYPE);
    encodeOffsetCommitKey(key, OFFSET_COMMIT_KEY_TYPE, { group: record.groupId, topic: record.topic, partition: record.partition });
    if (record.value === null) return { key: key.toBuffer(), value: null };
    const v = record.value;
    const version = v.expireTimestampMs === null ? OFFSET_COMMIT_VALUE_VERSION : OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY;
    const value = new Writer(64);
    value.writeInt16(version);
    encodeOffsetCommitValue(value, version, {
      offset: v.offset,
      leaderEpoch: v.leaderEpoch,
      metadata: v.metadata,
      commitTimestamp: BigInt(v.commitTimestampMs),
      expireTimestamp: BigInt(v.expireTimestampMs ?? -1),
    });
    return { key: key.toBuffer(), value: value.toBuffer() };
  }
  key.writeInt16(GROUP_METADATA_KEY_TYPE);
  encodeGroupMetadataKey(key, GROUP_METADATA_KEY_TYPE, { group: record.groupId });
  if (record.value === null) return { key: key.toBuffer(), value: null };
  const value = new Writer(256);
  value.writeInt16(GROUP_METADATA_VALUE_VERSION);
  encodeGroupMetadataValue(value, GROUP_METADATA_VALUE_VERSION, record.value);
  return { key: key.toBuffer(), value: value.toBuffer() };
}

/**
 * Decodes one stored record; null for record types Fjord does not use (KIP-848, share groups).
 * Throws ProtocolDecodeError on malformed data.
 */
export function decodeOffsetsRecord(key: Buffer, value: Buffer | null): OffsetsRecord | null {
  const keyReader = new Reader(key);
  const type = keyReader.readInt16();
  if (type === 0 || type === 1) {
    const k = decodeOffsetCommitKey(keyReader, type);
    if (value === null) return { kind: 'offset', groupId: k.group, topic: k.topic, partition: k.partition, value: null };
    const valueReader = new Reader(value);
    const version = valueReader.readInt16();
    const v = decodeOffsetCommitValue(valueReader, Math.min(version, 4));
    return {
      kind: 'offset',
      groupId: k.group,
      topic: k.topic,
      partition: k.partition,
      value: {
        offset: v.offset,
        leaderEpoch: v.leaderEpoch,
        metadata: v.metadata,
        commitTimestampMs: Number(v.commitTimestamp),
        expireTimestampMs: v.expireTimestamp >= 0n ? Number(v.expireTimestamp) : null,
      },
    };
  }
  if (type === GROUP_METADATA_KEY_TYPE) {
    const k = decodeGroupMetadataKey(keyReader, type);
    if (value === null) return { kind: 'group', groupId: k.group, value: null };
    const valueReader = new Reader(value);
    const version = valueReader.readInt16();
    const v: GroupMetadataValue = decodeGroupMetadataValue(valueReader, Math.min(version, 4));
    return { kind: 'group', groupId: k.group, value: v };
  }
  return null;
}
