/**
 * Cluster metadata records as Kafka writes them into `__cluster_metadata`: one record value is
 * [frame version: uvarint = 1][record type: uvarint][record version: uvarint][record body], the
 * body in the schema of `../shared/kafka-protocol/kafka-4.4/metadata/` (generated codecs). The
 * controller emits `MetadataRecord`s, the Raft log carries their bytes, and every node's metadata
 * image applies them in log order. Types Fjord does not use yet (ACLs, SCRAM, quotas, delegation
 * tokens, transactions) decode to an error the caller reports; they are added here when needed.
 */
import { ProtocolDecodeError, Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import {
  decodeRegisterBrokerRecord,
  encodeRegisterBrokerRecord,
  type RegisterBrokerRecord,
} from '../protocol/generated/register-broker-record.js';
import {
  decodeUnregisterBrokerRecord,
  encodeUnregisterBrokerRecord,
  type UnregisterBrokerRecord,
} from '../protocol/generated/unregister-broker-record.js';
import { decodeTopicRecord, encodeTopicRecord, type TopicRecord } from '../protocol/generated/topic-record.js';
import { decodePartitionRecord, encodePartitionRecord, type PartitionRecord } from '../protocol/generated/partition-record.js';
import { decodeConfigRecord, encodeConfigRecord, type ConfigRecord } from '../protocol/generated/config-record.js';
import {
  decodePartitionChangeRecord,
  encodePartitionChangeRecord,
  type PartitionChangeRecord,
} from '../protocol/generated/partition-change-record.js';
import { decodeFenceBrokerRecord, encodeFenceBrokerRecord, type FenceBrokerRecord } from '../protocol/generated/fence-broker-record.js';
import {
  decodeUnfenceBrokerRecord,
  encodeUnfenceBrokerRecord,
  type UnfenceBrokerRecord,
} from '../protocol/generated/unfence-broker-record.js';
import { decodeRemoveTopicRecord, encodeRemoveTopicRecord, type RemoveTopicRecord } from '../protocol/generated/remove-topic-record.js';
import { decodeFeatureLevelRecord, encodeFeatureLevelRecord, type FeatureLevelRecord } from '../protocol/generated/feature-level-record.js';
import { decodeProducerIdsRecord, encodeProducerIdsRecord, type ProducerIdsRecord } from '../protocol/generated/producer-ids-record.js';
import {
  decodeBrokerRegistrationChangeRecord,
  encodeBrokerRegistrationChangeRecord,
  type BrokerRegistrationChangeRecord,
} from '../protocol/generated/broker-registration-change-record.js';
import { decodeNoOpRecord, encodeNoOpRecord, type NoOpRecord } from '../protocol/generated/no-op-record.js';
import {
  decodeRegisterControllerRecord,
  encodeRegisterControllerRecord,
  type RegisterControllerRecord,
} from '../protocol/generated/register-controller-record.js';
import { decodeClearElrRecord, encodeClearElrRecord, type ClearElrRecord } from '../protocol/generated/clear-elr-record.js';

/** Kafka's `ApiMessageAndVersion` for the record types Fjord knows. */
export type MetadataRecord =
  | { type: 'RegisterBrokerRecord'; version: number; data: RegisterBrokerRecord }
  | { type: 'UnregisterBrokerRecord'; version: number; data: UnregisterBrokerRecord }
  | { type: 'TopicRecord'; version: number; data: TopicRecord }
  | { type: 'PartitionRecord'; version: number; data: PartitionRecord }
  | { type: 'ConfigRecord'; version: number; data: ConfigRecord }
  | { type: 'PartitionChangeRecord'; version: number; data: PartitionChangeRecord }
  | { type: 'FenceBrokerRecord'; version: number; data: FenceBrokerRecord }
  | { type: 'UnfenceBrokerRecord'; version: number; data: UnfenceBrokerRecord }
  | { type: 'RemoveTopicRecord'; version: number; data: RemoveTopicRecord }
  | { type: 'FeatureLevelRecord'; version: number; data: FeatureLevelRecord }
  | { type: 'ProducerIdsRecord'; version: number; data: ProducerIdsRecord }
  | { type: 'BrokerRegistrationChangeRecord'; version: number; data: BrokerRegistrationChangeRecord }
  | { type: 'NoOpRecord'; version: number; data: NoOpRecord }
  | { type: 'RegisterControllerRecord'; version: number; data: RegisterControllerRecord }
  | { type: 'ClearElrRecord'; version: number; data: ClearElrRecord };

export type MetadataRecordType = MetadataRecord['type'];

/** Kafka's record type ids (the `apiKey` of each metadata schema). */
export const METADATA_RECORD_TYPE_IDS: Readonly<Record<MetadataRecordType, number>> = {
  RegisterBrokerRecord: 0,
  UnregisterBrokerRecord: 1,
  TopicRecord: 2,
  PartitionRecord: 3,
  ConfigRecord: 4,
  PartitionChangeRecord: 5,
  FenceBrokerRecord: 7,
  UnfenceBrokerRecord: 8,
  RemoveTopicRecord: 9,
  FeatureLevelRecord: 12,
  ProducerIdsRecord: 15,
  BrokerRegistrationChangeRecord: 17,
  NoOpRecord: 20,
  RegisterControllerRecord: 27,
  ClearElrRecord: 28,
};

/** The only frame version Kafka defines for metadata record values. */
const FRAME_VERSION = 1;

export function encodeMetadataRecord(record: MetadataRecord): Buffer {
  const w = new Writer(64);
  w.writeUnsignedVarint(FRAME_VERSION);
  w.writeUnsignedVarint(METADATA_RECORD_TYPE_IDS[record.type]);
  w.writeUnsignedVarint(record.version);
  switch (record.type) {
    case 'RegisterBrokerRecord':
      encodeRegisterBrokerRecord(w, record.version, record.data);
      break;
    case 'UnregisterBrokerRecord':
      encodeUnregisterBrokerRecord(w, record.version, record.data);
      break;
    case 'TopicRecord':
      encodeTopicRecord(w, record.version, record.data);
      break;
    case 'PartitionRecord':
      encodePartitionRecord(w, record.version, record.data);
      break;
    case 'ConfigRecord':
      encodeConfigRecord(w, record.version, record.data);
      break;
    case 'PartitionChangeRecord':
      encodePartitionChangeRecord(w, record.version, record.data);
      break;
    case 'FenceBrokerRecord':
      encodeFenceBrokerRecord(w, record.version, record.data);
      break;
    case 'UnfenceBrokerRecord':
      encodeUnfenceBrokerRecord(w, record.version, record.data);
      break;
    case 'RemoveTopicRecord':
      encodeRemoveTopicRecord(w, record.version, record.data);
      break;
    case 'FeatureLevelRecord':
      encodeFeatureLevelRecord(w, record.version, record.data);
      break;
    case 'ProducerIdsRecord':
      encodeProducerIdsRecord(w, record.version, record.data);
      break;
    case 'BrokerRegistrationChangeRecord':
      encodeBrokerRegistrationChangeRecord(w, record.version, record.data);
      break;
    case 'NoOpRecord':
      encodeNoOpRecord(w, record.version, record.data);
      break;
    case 'RegisterControllerRecord':
      encodeRegisterControllerRecord(w, record.version, record.data);
      break;
    case 'ClearElrRecord':
      encodeClearElrRecord(w, record.version, record.data);
      break;
  }
  return w.toBuffer();
}

/** Decodes one record value; throws ProtocolDecodeError on a frame, type or body it cannot read. */
export function decodeMetadataRecord(value: Buffer): MetadataRecord {
  const r = new Reader(value);
  const frameVersion = r.readUnsignedVarint();
  if (frameVersion !== FRAME_VERSION)
    throw new ProtocolDecodeError(`metadata record frame version ${frameVersion} (expected ${FRAME_VERSION})`);
  const typeId = r.readUnsignedVarint();
  const version = r.readUnsignedVarint();
  switch (typeId) {
    case 0:
      return { type: 'RegisterBrokerRecord', version, data: decodeRegisterBrokerRecord(r, version) };
    case 1:
      return { type: 'UnregisterBrokerRecord', version, data: decodeUnregisterBrokerRecord(r, version) };
    case 2:
      return { type: 'TopicRecord', version, data: decodeTopicRecord(r, version) };
    case 3:
      return { type: 'PartitionRecord', version, data: decodePartitionRecord(r, version) };
    case 4:
      return { type: 'ConfigRecord', version, data: decodeConfigRecord(r, version) };
    case 5:
      return { type: 'PartitionChangeRecord', version, data: decodePartitionChangeRecord(r, version) };
    case 7:
      return { type: 'FenceBrokerRecord', version, data: decodeFenceBrokerRecord(r, version) };
    case 8:
      return { type: 'UnfenceBrokerRecord', version, data: decodeUnfenceBrokerRecord(r, version) };
    case 9:
      return { type: 'RemoveTopicRecord', version, data: decodeRemoveTopicRecord(r, version) };
    case 12:
      return { type: 'FeatureLevelRecord', version, data: decodeFeatureLevelRecord(r, version) };
    case 15:
      return { type: 'ProducerIdsRecord', version, data: decodeProducerIdsRecord(r, version) };
    case 17:
      return { type: 'BrokerRegistrationChangeRecord', version, data: decodeBrokerRegistrationChangeRecord(r, version) };
    case 20:
      return { type: 'NoOpRecord', version, data: decodeNoOpRecord(r, version) };
    case 27:
      return { type: 'RegisterControllerRecord', version, data: decodeRegisterControllerRecord(r, version) };
    case 28:
      return { type: 'ClearElrRecord', version, data: decodeClearElrRecord(r, version) };
    default:
      throw new ProtocolDecodeError(`metadata record type ${typeId} is not one Fjord reads`);
  }
}
