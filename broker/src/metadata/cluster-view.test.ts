import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Broker } from '../broker.js';
import { KafkaConnection } from '../client/kafka-connection.js';
import { loadBrokerConfig } from '../config/broker-config.js';
import { createLogger } from '../io/logger.js';
import {
  decodeDescribeClusterResponse,
  decodeMetadataResponse,
  encodeDescribeClusterRequest,
  encodeMetadataRequest,
} from '../protocol/generated/index.js';
import { imageClusterView } from './cluster-view.js';
import { MetadataImage } from './metadata-image.js';
import type { MetadataRecord } from './metadata-record.js';

function register(brokerId: number, rack: string | null, listeners: string[]): MetadataRecord {
  return {
    type: 'RegisterBrokerRecord',
    version: 4,
    data: {
      brokerId,
      isMigratingZkBroker: false,
      incarnationId: `${brokerId}`.padStart(32, '0'),
      brokerEpoch: BigInt(brokerId * 10),
      endPoints: listeners.map((name, i) => ({ name, host: `broker-${brokerId}`, port: 9092 + i, securityProtocol: 0 })),
      features: [],
      rack,
      fenced: true,
      inControlledShutdown: false,
      logDirs: [],
      cordonedLogDirs: null,
    },
  };
}

describe('cluster view', () => {
  it('from the image: registered brokers with their endpoint on the listener, rack, fencing, the controller', () => {
    const image = MetadataImage.EMPTY.apply(
      [
        register(3, 'zone-c', ['PLAINTEXT', 'INTERNAL']),
        register(1, 'zone-a', ['INTERNAL', 'PLAINTEXT']),
        register(2, null, ['INTERNAL']),
        { type: 'UnfenceBrokerRecord', version: 0, data: { id: 1, epoch: 10n } },
      ],
      4,
    ).withController(3);
    const view = imageClusterView(() => image, 'PLAINTEXT');
    assert.deepEqual(view.brokers(), [
      { nodeId: 1, host: 'broker-1', port: 9093, rack: 'zone-a', fenced: false },
      { nodeId: 3, host: 'broker-3', port: 9092, rack: 'zone-c', fenced: true },
    ]);
    assert.equal(view.broker(2), undefined, 'a broker without an endpoint on this listener is not named');
    assert.equal(view.controllerId(), 3);
  });

  it('a standalone node names itself with its advertised address and broker.rack in Metadata and DescribeCluster', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'fjord-cluster-view-'));
    const config = loadBrokerConfig(
      null,
      new Map([
        ['listeners', 'PLAINTEXT://127.0.0.1:0'],
        ['log.dirs', dataDir],
        ['node.id', '7'],
        ['broker.rack', 'zone-b'],
      ]),
    );
    const broker = new Broker(config, createLogger('warn'));
    await broker.start();
    const port = broker.boundPorts[0]!;
    const conn = await KafkaConnection.open('127.0.0.1', port, 'cluster-view-test');
    try {
      const metadata = await conn.send({
        apiKey: 3,
        apiVersion: 12,
        encode: (w, v) => encodeMetadataRequest(w, v, { topics: [], allowAutoTopicCreation: false }),
        decode: decodeMetadataResponse,
      });
      assert.deepEqual(metadata.brokers, [{ nodeId: 7, host: '127.0.0.1', port, rack: 'zone-b' }]);
      assert.equal(metadata.controllerId, 7);
      const cluster = await conn.send({
        apiKey: 60,
        apiVersion: 1,
        encode: (w, v) => encodeDescribeClusterRequest(w, v, { includeClusterAuthorizedOperations: false, endpointType: 1 }),
        decode: decodeDescribeClusterResponse,
      });
      assert.deepEqual(
        cluster.brokers.map((b) => [b.brokerId, b.host, b.port, b.rack, b.isFenced]),
        [[7, '127.0.0.1', port, 'zone-b', false]],
      );
      assert.equal(cluster.controllerId, 7);
    } finally {
      conn.close();
      await broker.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
