import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import {
  API_KEYS,
  decodeApiVersionsRequest,
  decodeApiVersionsResponse,
  decodeCreateTopicsRequest,
  decodeDescribeTopicPartitionsRequest,
  decodeMetadataRequest,
  decodeMetadataResponse,
  decodeRequestHeader,
  decodeResponseHeader,
  encodeApiVersionsRequest,
  encodeApiVersionsResponse,
  encodeCreateTopicsRequest,
  encodeDescribeTopicPartitionsRequest,
  encodeMetadataRequest,
  encodeMetadataResponse,
  encodeRequestHeader,
  encodeResponseHeader,
  requestHeaderVersion,
  responseHeaderVersion,
  type MetadataResponseInput,
  type RequestHeader,
} from './generated/index.js';
import { ProtocolDecodeError, Reader } from './reader.js';
import { Writer } from './writer.js';

/** The repository root: the first ancestor holding the codec sources (not the compiled copy). */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'broker/src/protocol/generated/index.ts'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
}

const FIXTURES = path.join(repoRoot(), 'broker/src/protocol/fixtures');

function fixture(name: string): Buffer {
  const text = fs.readFileSync(path.join(FIXTURES, name), 'utf8');
  const hex = text
    .split('\n')
    .map((l) => l.replace(/#.*/, ''))
    .join('')
    .replace(/\s+/g, '');
  assert.match(hex, /^([0-9a-f]{2})+$/i, `${name} is hex pairs`);
  return Buffer.from(hex, 'hex');
}

interface Frame {
  header: RequestHeader;
  headerVersion: number;
  body: Reader;
  /** The frame without its size prefix. */
  payload: Buffer;
}

/** Splits a request frame: checks the size prefix, decodes the header as a server does. */
function readRequestFrame(frame: Buffer): Frame {
  const r = new Reader(frame);
  const size = r.readInt32();
  assert.equal(size, r.remaining, 'frame size prefix');
  const payload = frame.subarray(4);
  const apiKey = payload.readInt16BE(0);
  const version = payload.readInt16BE(2);
  const headerVersion = requestHeaderVersion(apiKey, version);
  const header = decodeRequestHeader(r, headerVersion);
  return { header, headerVersion, body: r, payload };
}

/** Re-encodes header + body and checks the bytes are exactly the fixture's. */
function assertReencodes(f: Frame, encodeBody: (w: Writer) => void): void {
  const w = new Writer();
  encodeRequestHeader(w, f.headerVersion, f.header);
  encodeBody(w);
  assert.equal(w.toBuffer().toString('hex'), f.payload.toString('hex'));
}

test('ApiVersions v3 request as librdkafka sends it', () => {
  const f = readRequestFrame(fixture('api-versions-v3-request.hex'));
  assert.equal(f.headerVersion, 2);
  assert.deepEqual(f.header, { requestApiKey: 18, requestApiVersion: 3, correlationId: 1, clientId: 'rdkafka' });
  const body = decodeApiVersionsRequest(f.body, 3);
  assert.equal(body.clientSoftwareName, 'librdkafka');
  assert.equal(body.clientSoftwareVersion, '2.3.0');
  assert.equal(f.body.remaining, 0);
  assertReencodes(f, (w) => encodeApiVersionsRequest(w, 3, body));
});

test('Metadata v1 request with topics, and with a null topic list and null client id', () => {
  const f = readRequestFrame(fixture('metadata-v1-request.hex'));
  assert.equal(f.headerVersion, 1);
  assert.deepEqual(f.header, { requestApiKey: 3, requestApiVersion: 1, correlationId: 42, clientId: 'kcat' });
  const body = decodeMetadataRequest(f.body, 1);
  assert.equal(f.body.remaining, 0);
  assert.deepEqual(
    body.topics?.map((t) => t.name),
    ['orders', 'payments'],
  );
  assert.equal(body.topics?.[0]?.topicId, '00000000000000000000000000000000');
  assert.equal(body.allowAutoTopicCreation, true, 'v4+ field gets its schema default');
  assertReencodes(f, (w) => encodeMetadataRequest(w, 1, body));

  const all = readRequestFrame(fixture('metadata-v1-request-all-topics.hex'));
  assert.equal(all.header.clientId, null);
  assert.equal(all.header.correlationId, 7);
  const allBody = decodeMetadataRequest(all.body, 1);
  assert.equal(allBody.topics, null);
  assertReencodes(all, (w) => encodeMetadataRequest(w, 1, allBody));
  // v0 has no null topic list: -1 there is malformed
  assert.throws(() => decodeMetadataRequest(new Reader(Buffer.from('ffffffff', 'hex')), 0), ProtocolDecodeError);
});

test('CreateTopics v5 request (flexible: compact strings/arrays, tagged sections)', () => {
  const f = readRequestFrame(fixture('create-topics-v5-request.hex'));
  assert.equal(f.headerVersion, 2);
  assert.deepEqual(f.header, { requestApiKey: 19, requestApiVersion: 5, correlationId: 7, clientId: 'admin' });
  const body = decodeCreateTopicsRequest(f.body, 5);
  assert.equal(f.body.remaining, 0);
  assert.equal(body.topics.length, 1);
  const t = body.topics[0]!;
  assert.equal(t.name, 'events');
  assert.equal(t.numPartitions, 3);
  assert.equal(t.replicationFactor, 1);
  assert.deepEqual(t.assignments, []);
  assert.deepEqual(t.configs, [{ name: 'cleanup.policy', value: 'compact' }]);
  assert.equal(body.timeoutMs, 30000);
  assert.equal(body.validateOnly, false);
  assertReencodes(f, (w) => encodeCreateTopicsRequest(w, 5, body));
});

test('DescribeTopicPartitions v0 request: nullable struct with an int8 marker', () => {
  const frame = fixture('describe-topic-partitions-v0-request.hex');
  const f = readRequestFrame(frame);
  assert.equal(f.header.clientId, 'cli');
  const body = decodeDescribeTopicPartitionsRequest(f.body, 0);
  assert.equal(f.body.remaining, 0);
  assert.deepEqual(body.topics, [{ name: 't' }]);
  assert.equal(body.responsePartitionLimit, 2000);
  assert.deepEqual(body.cursor, { topicName: 't', partitionIndex: 5 });
  assertReencodes(f, (w) => encodeDescribeTopicPartitionsRequest(w, 0, body));
  // the same request without a cursor ends with marker ff + body tags
  const w = new Writer();
  encodeDescribeTopicPartitionsRequest(w, 0, { ...body, cursor: null });
  assert.equal(w.toBuffer().toString('hex'), '020274' + '00' + '000007d0' + 'ff' + '00');
});

test('ApiVersions v3 response: header v0 and a tagged field, byte for byte', () => {
  const expected = fixture('api-versions-v3-response.hex');
  assert.equal(responseHeaderVersion(18, 3), 0);
  const w = new Writer();
  encodeResponseHeader(w, responseHeaderVersion(18, 3), 1);
  encodeApiVersionsResponse(w, 3, {
    apiKeys: [
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
      { apiKey: 3, minVersion: 0, maxVersion: 12 },
    ],
    finalizedFeaturesEpoch: 5n,
  });
  assert.equal(w.toBuffer().toString('hex'), expected.toString('hex'));
  const r = new Reader(expected);
  assert.equal(decodeResponseHeader(r, 0).correlationId, 1);
  const body = decodeApiVersionsResponse(r, 3);
  assert.equal(r.remaining, 0);
  assert.equal(body.errorCode, 0);
  assert.equal(body.throttleTimeMs, 0);
  assert.deepEqual(body.apiKeys[1], { apiKey: 3, minVersion: 0, maxVersion: 12 });
  assert.equal(body.finalizedFeaturesEpoch, 5n);
  assert.deepEqual(body.supportedFeatures, []);
  assert.equal(body.zkMigrationReady, false);
  // Unknown tags are skipped: append a tag 9 with 2 bytes to the section (count 1 -> 2).
  const withUnknown = Buffer.concat([
    expected.subarray(0, expected.length - 11),
    Buffer.from('02', 'hex'),
    expected.subarray(expected.length - 10),
    Buffer.from('09020102', 'hex'),
  ]);
  const r2 = new Reader(withUnknown, 4);
  assert.equal(decodeApiVersionsResponse(r2, 3).finalizedFeaturesEpoch, 5n);
  assert.equal(r2.remaining, 0);
  // Without the tagged field, the default (-1) is decoded and nothing is written.
  const w2 = new Writer();
  encodeApiVersionsResponse(w2, 3, { ...body, finalizedFeaturesEpoch: -1n });
  assert.equal(w2.toBuffer().subarray(-1).toString('hex'), '00');
});

test('Metadata v1 response, byte for byte', () => {
  const expected = fixture('metadata-v1-response.hex');
  const m: MetadataResponseInput = {
    brokers: [{ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null }],
    controllerId: 1,
    topics: [
      {
        errorCode: 0,
        name: 'orders',
        isInternal: false,
        partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1] }],
      },
    ],
  };
  const w = new Writer();
  encodeResponseHeader(w, responseHeaderVersion(3, 1), { correlationId: 42 });
  encodeMetadataResponse(w, 1, m);
  assert.equal(w.toBuffer().toString('hex'), expected.toString('hex'));
  const r = new Reader(expected, 4);
  const d = decodeMetadataResponse(r, 1);
  assert.equal(r.remaining, 0);
  assert.equal(d.brokers[0]?.host, '127.0.0.1');
  assert.equal(d.topics[0]?.partitions[0]?.leaderEpoch, -1, 'v7+ field gets its schema default');
});

test('API_KEYS and header versions', () => {
  // Apache Kafka 4.4.0's schemas
  assert.deepEqual(API_KEYS.get(18), { name: 'ApiVersions', validVersions: [0, 5], firstFlexibleVersion: 3, latestVersionUnstable: false });
  assert.deepEqual(API_KEYS.get(22), {
    name: 'InitProducerId',
    validVersions: [0, 6],
    firstFlexibleVersion: 2,
    latestVersionUnstable: true,
  });
  assert.deepEqual(API_KEYS.get(11)?.validVersions, [0, 9], 'JoinGroup v0-1, restored in Kafka 4.0.1');
  for (const removed of [4, 5, 6, 7]) assert.equal(API_KEYS.has(removed), false, `api key ${removed} was removed in Kafka 4.0`);
  for (const raft of [52, 53, 54, 55, 59, 80, 81, 82]) assert.ok(API_KEYS.has(raft), `Raft api key ${raft}`);
  assert.equal(API_KEYS.get(0)?.name, 'Produce');
  assert.equal(API_KEYS.get(0)?.firstFlexibleVersion, 9);
  assert.equal(API_KEYS.get(3)?.firstFlexibleVersion, 9);
  assert.equal(API_KEYS.get(74)?.name, 'ListConfigResources');
  assert.ok(API_KEYS.size >= 80);
  assert.equal(requestHeaderVersion(0, 8), 1);
  assert.equal(requestHeaderVersion(0, 9), 2);
  assert.equal(responseHeaderVersion(0, 8), 0);
  assert.equal(responseHeaderVersion(0, 9), 1);
  assert.equal(requestHeaderVersion(18, 3), 2);
  assert.equal(responseHeaderVersion(18, 3), 0, 'ApiVersions responses always use header v0');
  assert.equal(requestHeaderVersion(9999, 0), 1);
  // header v2 keeps client_id a classic string: a v0-knowledge parser reads it too
  const w = new Writer();
  encodeRequestHeader(w, 2, { requestApiKey: 18, requestApiVersion: 99, correlationId: 5, clientId: 'x' });
  assert.equal(w.toBuffer().toString('hex'), '0012' + '0063' + '00000005' + '000178' + '00');
  assert.deepEqual(decodeRequestHeader(new Reader(w.toBuffer()), 1), {
    requestApiKey: 18,
    requestApiVersion: 99,
    correlationId: 5,
    clientId: 'x',
  });
});

test('kafkajs 2.2.4: the first frame (ApiVersions v2) decodes; our responses satisfy listTopics', { timeout: 30_000 }, async () => {
  const requests: { header: RequestHeader; body: unknown }[] = [];
  let firstFrame: Buffer | null = null;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let pending = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = pending.subarray(0, 4 + pending.readInt32BE(0));
        pending = pending.subarray(frame.length);
        firstFrame ??= Buffer.from(frame);
        sock.write(handle(frame));
      }
    });
  });
  const handle = (frame: Buffer): Buffer => {
    const f = readRequestFrame(frame);
    const { requestApiKey: key, requestApiVersion: version, correlationId } = f.header;
    const w = new Writer();
    encodeResponseHeader(w, responseHeaderVersion(key, version), correlationId);
    if (key === 18) {
      requests.push({ header: f.header, body: decodeApiVersionsRequest(f.body, version) });
      encodeApiVersionsResponse(w, version, {
        apiKeys: [
          { apiKey: 18, minVersion: 0, maxVersion: 2 },
          { apiKey: 3, minVersion: 0, maxVersion: 6 },
        ],
      });
    } else if (key === 3) {
      requests.push({ header: f.header, body: decodeMetadataRequest(f.body, version) });
      encodeMetadataResponse(w, version, {
        brokers: [{ nodeId: 1, host: '127.0.0.1', port, rack: null }],
        clusterId: 'fjord-codec',
        controllerId: 1,
        topics: [{ name: 'codec-topic', partitions: [{ partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1] }] }],
      });
    } else {
      throw new Error(`unexpected api key ${key}`);
    }
    assert.equal(f.body.remaining, 0, 'request body fully consumed');
    const body = w.toBuffer();
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    return Buffer.concat([size, body]);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const kafka = new kafkajs.Kafka({
    clientId: 'fjord-codec-test',
    brokers: [`127.0.0.1:${port}`],
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 5000,
    requestTimeout: 5000,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    assert.deepEqual(topics, ['codec-topic']);
  } finally {
    await admin.disconnect();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  assert.ok(firstFrame !== null);
  const first = readRequestFrame(firstFrame);
  assert.equal(first.headerVersion, 1);
  assert.equal(first.header.requestApiKey, 18);
  assert.equal(first.header.requestApiVersion, 2);
  assert.equal(first.header.clientId, 'fjord-codec-test');
  assert.ok(first.header.correlationId >= 0);
  assert.deepEqual(decodeApiVersionsRequest(first.body, 2), {
    clientSoftwareName: '',
    clientSoftwareVersion: '',
    clusterId: null,
    nodeId: -1,
  });
  assert.equal(first.body.remaining, 0);
  const metadata = requests.find((q) => q.header.requestApiKey === 3);
  assert.ok(metadata, 'kafkajs sent a Metadata request');
  assert.equal(metadata.header.clientId, 'fjord-codec-test');
});
