import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadBrokerConfig } from './broker-config.js';
import { ConfigError, parseProperties } from './config-types.js';
import { validateTopicConfig } from './topic-config.js';
import { repoRoot } from '../../../test/harness/tools.js';

const overrides = (entries: Record<string, string>) => new Map(Object.entries(entries));

test('Kafka defaults when nothing is given', () => {
  const config = loadBrokerConfig(null, new Map());
  assert.equal(config.nodeId, 1);
  assert.deepEqual(config.listeners, [{ name: 'PLAINTEXT', host: '', port: 9092 }]);
  assert.deepEqual(config.advertisedListeners, [{ name: 'PLAINTEXT', host: 'localhost', port: 9092 }]);
  assert.deepEqual(config.logDirs, ['/tmp/kafka-logs']);
  assert.equal(config.numPartitions, 1);
  assert.equal(config.messageMaxBytes, 1048588);
  assert.equal(config.socketRequestMaxBytes, 104857600);
  assert.equal(config.autoCreateTopicsEnable, true);
  assert.equal(config.topicDefaults.get('retention.ms')?.value, '604800000');
  assert.equal(config.topicDefaults.get('segment.bytes')?.value, '1073741824');
  assert.equal(config.topicDefaults.get('flush.messages')?.value, '9223372036854775807');
});

test('a properties file with comments, continuations and overrides on top', () => {
  const text = [
    '# comment',
    '! another comment',
    'node.id = 7',
    'listeners=PLAINTEXT://127.0.0.1:19092,\\',
    '   OTHER://[::1]:19093',
    'log.dirs: /var/lib/fjord',
    'num.partitions 4',
  ].join('\n');
  assert.equal(parseProperties(text).get('num.partitions'), '4');
  const config = loadBrokerConfig(text, overrides({ 'num.partitions': '6' }));
  assert.equal(config.nodeId, 7);
  assert.deepEqual(config.listeners, [
    { name: 'PLAINTEXT', host: '127.0.0.1', port: 19092 },
    { name: 'OTHER', host: '::1', port: 19093 },
  ]);
  assert.deepEqual(config.logDirs, ['/var/lib/fjord']);
  assert.equal(config.numPartitions, 6);
});

test('broker synonyms set topic defaults: ms over minutes over hours, with units applied', () => {
  assert.equal(loadBrokerConfig(null, overrides({ 'log.retention.hours': '2' })).topicDefaults.get('retention.ms')?.value, '7200000');
  assert.equal(loadBrokerConfig(null, overrides({ 'log.retention.minutes': '3' })).topicDefaults.get('retention.ms')?.value, '180000');
  const both = loadBrokerConfig(null, overrides({ 'log.retention.hours': '2', 'log.retention.ms': '1234' }));
  assert.deepEqual(both.topicDefaults.get('retention.ms'), { value: '1234', source: 'static-broker', synonym: 'log.retention.ms' });
  assert.equal(loadBrokerConfig(null, overrides({ 'message.max.bytes': '2000' })).topicDefaults.get('max.message.bytes')?.value, '2000');
});

test('bad values name the property', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ 'num.partitions': '0' }, /num\.partitions: 0 is below the minimum 1/],
    [{ 'num.partitions': 'many' }, /num\.partitions: 'many' is not an integer/],
    [{ 'auto.create.topics.enable': 'yes' }, /auto\.create\.topics\.enable: 'yes' is not true or false/],
    [{ listeners: 'localhost:9092' }, /listeners: 'localhost:9092' is not of the form NAME:\/\/host:port/],
    [{ listeners: 'PLAINTEXT://:70000' }, /listeners: port 70000 is out of range/],
    [{ 'log.message.timestamp.type': 'Whenever' }, /log\.message\.timestamp\.type: 'Whenever' is not one of CreateTime, LogAppendTime/],
    [{ 'message.max.bytes': '200', 'socket.request.max.bytes': '100' }, /message\.max\.bytes: 200 exceeds socket\.request\.max\.bytes 100/],
    [{ 'node.id': '2147483648' }, /node\.id: '2147483648' is out of range for a int/],
  ];
  for (const [given, message] of cases) {
    assert.throws(
      () => loadBrokerConfig(null, overrides(given)),
      (error: unknown) => error instanceof ConfigError && message.test(error.message),
    );
  }
});

test('unknown properties are warnings, as in Kafka', () => {
  const config = loadBrokerConfig(null, overrides({ 'some.plugin.setting': 'x' }));
  assert.deepEqual(config.warnings, ["The configuration 'some.plugin.setting' was supplied but isn't a known config."]);
});

test('topic config validation', () => {
  assert.equal(validateTopicConfig('retention.ms', ' 1000 '), '1000');
  assert.equal(validateTopicConfig('cleanup.policy', 'compact,delete'), 'compact,delete');
  assert.throws(() => validateTopicConfig('retention.ms', 'abc'), /retention\.ms: 'abc' is not an integer/);
  assert.throws(() => validateTopicConfig('cleanup.policy', 'shred'), /'shred' is not one of delete, compact/);
  assert.throws(() => validateTopicConfig('segment.bytes', '1048575'), /below the minimum 1048576/);
  assert.throws(() => validateTopicConfig('no.such.config', '1'), /unknown topic config/);
});

test("make run's config/server.properties joins a new group at once; the broker default stays Kafka's 3000 ms", () => {
  const shipped = loadBrokerConfig(readFileSync(`${repoRoot()}/config/server.properties`, 'utf8'), new Map());
  assert.equal(shipped.groupInitialRebalanceDelayMs, 0);
  assert.equal(loadBrokerConfig(null, new Map()).groupInitialRebalanceDelayMs, 3000);
});
