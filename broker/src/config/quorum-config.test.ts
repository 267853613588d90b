import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadBrokerConfig } from './broker-config.js';
import { ConfigError } from './config-types.js';

const load = (entries: Record<string, string>) => loadBrokerConfig(null, new Map(Object.entries(entries)));
const refused = (entries: Record<string, string>, property: string, pattern: RegExp) =>
  assert.throws(
    () => load(entries),
    (err: unknown) => err instanceof ConfigError && err.property === property && pattern.test(err.message),
  );

const THREE_VOTERS = '1@localhost:19093,2@localhost:29093,3@localhost:39093';
const COMBINED = {
  'node.id': '2',
  'process.roles': 'broker,controller',
  listeners: 'PLAINTEXT://:29092,CONTROLLER://:29093',
  'controller.listener.names': 'CONTROLLER',
  'controller.quorum.voters': THREE_VOTERS,
};

describe('quorum configuration (KRaft property names and checks)', () => {
  it('a node with no quorum settings is a one-node quorum of itself, with both roles', () => {
    const { quorum } = load({ 'log.dirs': '/data' });
    assert.deepEqual([...quorum.processRoles].sort(), ['broker', 'controller']);
    assert.equal(quorum.standalone, true);
    assert.deepEqual(quorum.voters, []);
    assert.equal(quorum.controllerListener, null);
    assert.equal(quorum.metadataLogDir, '/data');
    assert.equal(quorum.interBrokerListenerName, 'PLAINTEXT');
    assert.equal(quorum.electionTimeoutMs, 1000);
    assert.equal(quorum.fetchTimeoutMs, 2000);
    assert.equal(quorum.brokerSessionTimeoutMs, 9000);
    assert.equal(quorum.brokerHeartbeatIntervalMs, 2000);
  });

  it('reads a combined node of a three-voter quorum as Kafka writes it', () => {
    const { quorum } = load({ ...COMBINED, 'metadata.log.dir': '/meta', 'broker.rack': 'zone-b' });
    assert.equal(quorum.standalone, false);
    assert.deepEqual(
      quorum.voters.map((v) => `${v.nodeId}@${v.host}:${v.port}`),
      THREE_VOTERS.split(','),
    );
    assert.deepEqual(quorum.controllerListener, { name: 'CONTROLLER', host: '', port: 29093 });
    assert.equal(quorum.interBrokerListenerName, 'PLAINTEXT');
    assert.equal(quorum.metadataLogDir, '/meta');
    assert.equal(quorum.brokerRack, 'zone-b');
  });

  it('reads a broker-only node that finds the controllers through bootstrap servers', () => {
    const { quorum } = load({
      'node.id': '4',
      'process.roles': 'broker',
      listeners: 'PLAINTEXT://:49092',
      'controller.listener.names': 'CONTROLLER',
      'controller.quorum.bootstrap.servers': 'localhost:19093,[::1]:29093',
    });
    assert.deepEqual(quorum.bootstrapServers, [
      { host: 'localhost', port: 19093 },
      { host: '::1', port: 29093 },
    ]);
    assert.equal(quorum.controllerListener, null);
  });

  it('refuses what Kafka refuses, naming the property', () => {
    refused({ 'process.roles': 'broker,zookeeper' }, 'process.roles', /'zookeeper' is not a role/);
    refused({ 'process.roles': '' }, 'process.roles', /must name/);
    refused({ 'process.roles': 'broker' }, 'controller.quorum.voters', /needs controller.quorum.voters/);
    refused({ ...COMBINED, 'node.id': '5' }, 'controller.quorum.voters', /not one of the voters/);
    refused(
      { ...COMBINED, 'process.roles': 'broker', listeners: 'PLAINTEXT://:29092' },
      'controller.quorum.voters',
      /only the broker role but is listed/,
    );
    refused({ ...COMBINED, 'controller.quorum.voters': '1@localhost:19093,1@localhost:29093' }, 'controller.quorum.voters', /listed twice/);
    refused({ ...COMBINED, 'controller.quorum.voters': 'localhost:19093' }, 'controller.quorum.voters', /\{id\}@\{host\}:\{port\}/);
    refused({ ...COMBINED, 'controller.quorum.voters': '2@localhost:99999' }, 'controller.quorum.voters', /out of range/);
    refused({ ...COMBINED, 'controller.listener.names': '' }, 'controller.listener.names', /at least one listener/);
    refused({ ...COMBINED, listeners: 'PLAINTEXT://:29092' }, 'controller.listener.names', /must be one of the listeners/);
    refused(
      {
        'node.id': '4',
        'process.roles': 'broker',
        listeners: 'PLAINTEXT://:1,CONTROLLER://:2',
        'controller.listener.names': 'CONTROLLER',
        'controller.quorum.voters': THREE_VOTERS,
      },
      'controller.listener.names',
      /must not be one of the listeners/,
    );
    refused({ ...COMBINED, 'inter.broker.listener.name': 'INTERNAL' }, 'inter.broker.listener.name', /not one of the listeners/);
    refused({ 'listener.security.protocol.map': 'PLAINTEXT:SSL' }, 'listener.security.protocol.map', /PLAINTEXT only/);
    refused({ 'listener.security.protocol.map': 'PLAINTEXT' }, 'listener.security.protocol.map', /NAME:PROTOCOL/);
    refused({ 'broker.heartbeat.interval.ms': '9000' }, 'broker.heartbeat.interval.ms', /below broker.session.timeout.ms/);
  });

  it('no longer warns that the KRaft properties are unknown', () => {
    assert.deepEqual(load({ ...COMBINED, 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT' }).warnings, []);
  });
});
