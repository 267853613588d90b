import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTopicMetadata } from './metadata-store.js';

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
