import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolDecodeError } from '../protocol/reader.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from './metadata-record.js';

describe('metadata records', () => {
  it('round-trips records through Kafka framing', () => {
    const records: MetadataRecord[] = [
      { type: 'TopicRecord', version: 0, data: { name: 'orders', topicId: '0000000000000000000000000000abcd' } },
      { type: 'FenceBrokerRecord', version: 0, data: { id: 2, epoch: 7n } },
      { type: 'FeatureLevelRecord', version: 0, data: { name: 'metadata.version', featureLevel: 27 } },
    ];
    for (const record of records) {
      const decoded = decodeMetadataRecord(encodeMetadataRecord(record));
      assert.equal(decoded.type, record.type);
      assert.deepEqual(decoded.data, record.data);
    }
  });

  it('frames as Kafka does: frame version 1, type id, version', () => {
    const bytes = encodeMetadataRecord({
      type: 'TopicRecord',
      version: 0,
      data: { name: 'a', topicId: '0000000000000000000000000000abcd' },
    });
    assert.deepEqual([...bytes.subarray(0, 3)], [1, 2, 0]);
  });

  it('refuses an unknown frame version or record type with a decode error', () => {
    assert.throws(() => decodeMetadataRecord(Buffer.from([2, 2, 0])), ProtocolDecodeError);
    assert.throws(() => decodeMetadataRecord(Buffer.from([1, 99, 0])), ProtocolDecodeError);
  });
});
