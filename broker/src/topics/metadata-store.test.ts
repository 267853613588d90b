import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetadataImage, NO_PARTITION_CHANGE } from '../metadata/metadata-image.js';
import type { MetadataRecord } from '../metadata/metadata-record.js';
import {
  formatStoredMetadata,
  METADATA_FILE_FORMAT,
  parseStoredMetadata,
  parseTopicMetadata,
  RecordEncodingCache,
  recordsOfLegacyTopics,
} from './metadata-store.js';

const ok = {
  name: 't',
  topicId: '0123456789abcdef0123456789abcdef',
  partitionCount: 2,
  leaderEpochs: [0, 0],
  configs: { 'retention.ms': '1' },
};

test('the topic metadata file parses back to its records', () => {
  assert.deepEqual(parseTopicMetadata(JSON.stringify([ok]), '/d/fjord-topics.json'), [ok]);
});

test('a damaged topic metadata file names the file, what is wrong, and what to do', () => {
  const cases: [string, RegExp][] = [
    ['[{"name":"t"', /not JSON/],
    ['{}', /expected a JSON array of topics/],
    [JSON.stringify([{ ...ok, topicId: 'xyz' }]), /topic 't' has no valid topicId/],
    [JSON.stringify([{ ...ok, partitionCount: 0 }]), /topic 't' has no valid partitionCount/],
    [JSON.stringify([{ ...ok, configs: { a: 1 } }]), /topic 't' has no valid configs/],
    [JSON.stringify([ok, { ...ok, topicId: 'f'.repeat(32) }]), /topic 't' appears twice/],
  ];
  for (const [text, problem] of cases) {
    assert.throws(
      () => parseTopicMetadata(text, '/d/fjord-topics.json'),
      (error: Error) => {
        assert.match(error.message, /^\/d\/fjord-topics\.json: damaged topic metadata: /);
        assert.match(error.message, problem);
        assert.match(error.message, /Restore it from a backup, or move it away/);
        return true;
      },
      text,
    );
  }
});

test('a legacy file (an array of topics) reads as the records that make its topics on this node', () => {
  const legacy = [{ ...ok, leaderEpochs: [3, 5] }];
  const { image, legacy: wasLegacy } = parseStoredMetadata(JSON.stringify(legacy), '/d/fjord-topics.json', 7);
  assert.equal(wasLegacy, true);
  assert.equal(image.offset, 3, 'TopicRecord, two PartitionRecords, one ConfigRecord: offsets 0..3');
  const topic = image.topic('t');
  assert.equal(topic?.id, ok.topicId);
  assert.deepEqual(
    [...topic!.partitions].map(([index, partition]) => [index, partition.replicas, partition.isr, partition.leader, partition.leaderEpoch]),
    [
      [0, [7], [7], 7, 3],
      [1, [7], [7], 7, 5],
    ],
  );
  assert.deepEqual(image.topicConfigs('t'), { 'retention.ms': '1' });
  assert.deepEqual(recordsOfLegacyTopics([ok], 7).length, 4);
});

test('the records format reads back to the image it was written from', () => {
  const { image } = parseStoredMetadata(JSON.stringify([ok, { ...ok, name: 'u', topicId: 'f'.repeat(32), configs: {} }]), '/d/f', 1);
  const text = formatStoredMetadata(image);
  assert.match(text, new RegExp(`^\\{"format":"${METADATA_FILE_FORMAT}","version":1,"offset":6,"records":\\[\\n`));
  const reread = parseStoredMetadata(text, '/d/f', 1);
  assert.equal(reread.legacy, false);
  assert.deepEqual(reread.image, image);
  assert.deepEqual(parseStoredMetadata(formatStoredMetadata(MetadataImage.EMPTY), '/d/f', 1).image, MetadataImage.EMPTY);
});

test('a damaged records file names the file, the record and what is wrong', () => {
  const { image } = parseStoredMetadata(JSON.stringify([ok]), '/d/f', 1);
  const file = JSON.parse(formatStoredMetadata(image)) as { records: string[]; offset: number };
  const partitionOfUnknownTopic = JSON.stringify({ ...file, records: file.records.slice(1) });
  const cases: [string, RegExp][] = [
    [JSON.stringify({ ...file, format: 'other' }), /expected "format": "fjord-metadata-records"/],
    [JSON.stringify({ ...file, version: 2 }), /version 2 is not one this Fjord reads/],
    [JSON.stringify({ ...file, offset: 'x' }), /no valid offset/],
    [JSON.stringify({ ...file, records: [...file.records, 7] }), /record #4 is not a string/],
    [
      JSON.stringify({ ...file, records: [Buffer.from([1, 99, 0]).toString('base64')] }),
      /record #0 does not decode \(metadata record type 99/,
    ],
    [partitionOfUnknownTopic, /PartitionRecord 0: no topic with id/],
    ['"text"', /expected a JSON object of metadata records/],
  ];
  for (const [text, problem] of cases) {
    assert.throws(
      () => parseStoredMetadata(text, '/d/fjord-topics.json', 1),
      (error: Error) => {
        assert.match(error.message, /^\/d\/fjord-topics\.json: damaged topic metadata: /);
        assert.match(error.message, problem);
        assert.match(error.message, /Restore it from a backup, or move it away/);
        return true;
      },
      text,
    );
  }
});

test('reused encodings give the text a fresh encoding gives, change after change', () => {
  const cache = new RecordEncodingCache();
  let { image } = parseStoredMetadata(JSON.stringify([ok]), '/d/f', 1);
  const changes: MetadataRecord[][] = [
    [{ type: 'ConfigRecord', version: 0, data: { resourceType: 2, resourceName: 't', name: 'retention.ms', value: '2' } }],
    [{ type: 'PartitionChangeRecord', version: 2, data: { ...NO_PARTITION_CHANGE, topicId: ok.topicId, partitionId: 1, leader: 1 } }],
    [{ type: 'RemoveTopicRecord', version: 0, data: { topicId: ok.topicId } }],
  ];
  for (const records of changes) {
    formatStoredMetadata(image, cache);
    image = image.apply(records, image.offset + records.length);
    assert.equal(formatStoredMetadata(image, cache), formatStoredMetadata(image));
  }
});
