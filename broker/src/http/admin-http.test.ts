import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Broker } from '../broker.js';
import { loadBrokerConfig } from '../config/broker-config.js';
import { createLogger } from '../io/logger.js';
import { KafkaConnection } from '../client/kafka-connection.js';
import { decodeMetadataResponse, encodeMetadataRequest } from '../protocol/generated/index.js';
import { renderPrometheus } from './admin-http.js';

test('the HTTP port serves /healthz, /readyz and /metrics for a running broker, and is off by default', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'fjord-http-'));
  const overrides = new Map([
    ['listeners', 'PLAINTEXT://127.0.0.1:0'],
    ['log.dirs', dataDir],
    ['fjord.http.port', '0'],
    ['fjord.http.host', '127.0.0.1'],
  ]);
  const broker = new Broker(loadBrokerConfig(null, overrides), createLogger('warn'));
  await broker.start();
  try {
    const base = `http://127.0.0.1:${broker.httpPort}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(await ready.text(), 'ready\n');
    assert.equal((await fetch(`${base}/nope`)).status, 404);

    // One Metadata request that auto-creates a topic shows up in the metrics.
    const connection = await KafkaConnection.open('127.0.0.1', broker.boundPorts[0]!);
    const metadata = await connection.send({
      apiKey: 3,
      apiVersion: 12,
      encode: (writer, version) =>
        encodeMetadataRequest(writer, version, { topics: [{ name: 'metrics-topic' }], allowAutoTopicCreation: true }),
      decode: decodeMetadataResponse,
    });
    assert.equal(metadata.topics[0]?.errorCode, 0);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^fjord_up 1$/m);
    assert.match(metrics, /^fjord_connections 1$/m);
    assert.match(metrics, /^fjord_requests_total\{api="Metadata"\} 1$/m);
    assert.match(metrics, /^fjord_topics [1-9]\d*$/m);
    connection.close();
  } finally {
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  assert.equal(loadBrokerConfig(null, new Map()).httpPort, -1);
});

test('Prometheus text format escapes label values', () => {
  const text = renderPrometheus([{ name: 'x_total', help: 'X.', type: 'counter', values: [{ labels: { api: 'a"b\\c' }, value: 3 }] }]);
  assert.equal(text, '# HELP x_total X.\n# TYPE x_total counter\nx_total{api="a\\"b\\\\c"} 3\n');
});
