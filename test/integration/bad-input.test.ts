// Malformed and hostile input on the wire, sent with raw sockets and with our own client
// (broker/src/client/kafka-connection.ts): garbage frames, truncated and oversized frames,
// negative sizes, unknown API keys and versions, huge array counts, a batch with a bad CRC and
// batches over max.message.bytes. Connection-level garbage must close that connection with no
// response; request-level problems get their Kafka error code. After every case the broker
// process is the same one and a fresh connection gets ApiVersions answered; at the end the
// records produced (with kafkajs) before any of this are all readable byte for byte, also after a
// restart. Every case holds for Apache Kafka too.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import kafkajs, { type Admin, type Kafka as KafkaT } from 'kafkajs';
import { KafkaConnection } from '../../broker/src/client/kafka-connection.js';
import { crc32c } from '../../broker/src/protocol/crc32c.js';
import {
  decodeApiVersionsResponse,
  decodeFetchResponse,
  decodeListOffsetsResponse,
  decodeProduceResponse,
  decodeResponseHeader,
  encodeApiVersionsRequest,
  encodeFetchRequest,
  encodeListOffsetsRequest,
  encodeProduceRequest,
  encodeRequestHeader,
  type ProduceResponsePartitionProduceResponse,
} from '../../broker/src/protocol/generated/index.js';
import { Reader } from '../../broker/src/protocol/reader.js';
import { ATTRIBUTES_OFFSET, CRC_OFFSET, RECORDS_OFFSET } from '../../broker/src/protocol/record-batch.js';
import { buildRecordBatch } from '../../broker/src/protocol/records.js';
import { Writer } from '../../broker/src/protocol/writer.js';
import { apiVersionsProbe, defaultTarget, startBroker, type BrokerHandle } from '../harness/broker.js';
import { rawCluster } from '../harness/kafkajs-raw.js';
import { WAIT_MS_DEFAULT } from '../harness/wait.js';

const { Kafka, logLevel } = kafkajs;
process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

const SOCKET_REQUEST_MAX_BYTES = 2_000_000; // message.max.bytes stays at its default 1048588
const DATA_TOPIC = 'bad-input-data';
const CRC_TOPIC = 'bad-input-crc';
const SMALL_TOPIC = 'bad-input-small';
const BATCH_TOPIC = 'bad-input-batches';
const SMALL_MAX_MESSAGE_BYTES = 10_000;

const CORRUPT_MESSAGE = 2;
const INVALID_RECORD = 87;
const MESSAGE_TOO_LARGE = 10;
const UNSUPPORTED_VERSION = 35;

let broker: BrokerHandle;
let kafka: KafkaT;
let admin: Admin;
let brokerPid: number;

// ---- deterministic "random" bytes --------------------------------------------------------------

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

function randomBytes(seed: number, n: number): Buffer {
  const next = prng(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = next() & 0xff;
  return b;
}

// ---- records produced before any bad input -----------------------------------------------------

interface Rec {
  key: Buffer | null;
  value: Buffer | null;
  header: Buffer;
}

const BASELINE: Rec[][] = [0, 1].map((p) =>
  Array.from({ length: 150 }, (_, i) => {
    const seed = 1000 * (p + 1) + i;
    const len = prng(seed)() % 3000;
    return {
      key: i % 10 === 3 ? null : randomBytes(seed + 7, 1 + (i % 40)),
      // every byte value, empty values and nulls
      value: i % 25 === 7 ? null : i % 25 === 8 ? Buffer.alloc(0) : randomBytes(seed, len),
      header: randomBytes(seed + 13, i % 17),
    };
  }),
);

async function readPartition(topic: string, partition: number): Promise<Array<Rec & { offset: string }>> {
  const cluster = rawCluster(kafka);
  await cluster.connect();
  try {
    await cluster.addTargetTopic(topic);
    const meta = cluster.findTopicPartitionMetadata(topic).find((p) => p.partitionId === partition);
    assert.ok(meta !== undefined, `no metadata for ${topic}/${partition}`);
    const leader = await cluster.findBroker({ nodeId: meta.leader });
    const out: Array<Rec & { offset: string }> = [];
    let next = 0n;
    for (let round = 0; round < 1000; round++) {
      const res = await leader.fetch({
        replicaId: -1,
        isolationLevel: 1,
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: 1 << 20,
        topics: [{ topic, partitions: [{ partition, fetchOffset: next.toString(), maxBytes: 256 * 1024 }] }],
      });
      const p = res.responses.find((r) => r.topicName === topic)?.partitions.find((x) => x.partition === partition);
      assert.ok(p !== undefined, 'partition missing from fetch response');
      assert.equal(p.errorCode, 0);
      for (const m of p.messages) {
        if (m.isControlRecord === true || BigInt(m.offset) < next) continue;
        const h = m.headers?.['h'];
        out.push({ offset: m.offset, key: m.key, value: m.value, header: Buffer.isBuffer(h) ? h : Buffer.from('missing header') });
        next = BigInt(m.offset) + 1n;
      }
      if (next >= BigInt(p.highWatermark)) break;
      assert.ok(p.messages.length > 0, `fetch at ${next} below high watermark ${p.highWatermark} returned nothing`);
    }
    return out;
  } finally {
    await cluster.disconnect();
  }
}

async function assertBaselineIntact(what: string): Promise<void> {
  for (const p of [0, 1]) {
    const got = await readPartition(DATA_TOPIC, p);
    const want = BASELINE[p]!;
    assert.equal(got.length, want.length, `${what}: ${DATA_TOPIC}/${p} record count`);
    got.forEach((g, i) => {
      const w = want[i]!;
      const where = `${what}: ${DATA_TOPIC}/${p} offset ${i}`;
      assert.equal(g.offset, String(i), where);
      assert.ok(g.key === null ? w.key === null : w.key !== null && g.key.equals(w.key), `${where}: key`);
      assert.ok(g.value === null ? w.value === null : w.value !== null && g.value.equals(w.value), `${where}: value`);
      assert.ok(g.header.equals(w.header), `${where}: header`);
    });
  }
}

// ---- setup -------------------------------------------------------------------------------------

before(async () => {
  broker = await startBroker({ config: { 'socket.request.max.bytes': String(SOCKET_REQUEST_MAX_BYTES) } });
  brokerPid = broker.pid;
  kafka = new Kafka({ clientId: 'bad-input-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  const created = await admin.createTopics({
    topics: [
      { topic: DATA_TOPIC, numPartitions: 2, replicationFactor: 1 },
      { topic: CRC_TOPIC, numPartitions: 2, replicationFactor: 1 },
      { topic: BATCH_TOPIC, numPartitions: 1, replicationFactor: 1 },
      {
        topic: SMALL_TOPIC,
        numPartitions: 1,
        replicationFactor: 1,
        configEntries: [{ name: 'max.message.bytes', value: String(SMALL_MAX_MESSAGE_BYTES) }],
      },
    ],
    waitForLeaders: true,
  });
  assert.equal(created, true);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (const p of [0, 1]) {
      const recs = BASELINE[p]!;
      for (let i = 0; i < recs.length; i += 30) {
        await producer.send({
          topic: DATA_TOPIC,
          acks: -1,
          messages: recs.slice(i, i + 30).map((r) => ({ partition: p, key: r.key, value: r.value, headers: { h: r.header } })),
        });
      }
    }
  } finally {
    await producer.disconnect();
  }
});

after(async () => {
  await admin?.disconnect().catch(() => undefined);
  await broker?.stop();
});

// ---- helpers -----------------------------------------------------------------------------------

interface RawResult {
  /** Everything the broker sent. */
  received: Buffer;
  /** The broker closed (or reset) the connection within the wait. */
  closedByBroker: boolean;
  elapsedMs: number;
}

/**
 * Connects, writes `chunks`, then waits up to `waitMs` (a deadline against a hang, not a
 * measurement) for the broker to close the connection, or, with `until`, for the bytes received
 * to satisfy it (closedByBroker=false). With `closeAfterWrite`, the client ends its side right
 * after writing and waits for the connection to close (closedByBroker=false): whatever the broker
 * sent before is in `received`.
 */
function rawExchange(
  chunks: Buffer[],
  opts: { waitMs?: number; closeAfterWrite?: boolean; until?: (received: Buffer) => boolean } = {},
): Promise<RawResult> {
  const waitMs = opts.waitMs ?? WAIT_MS_DEFAULT;
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const received: Buffer[] = [];
    let settled = false;
    let endedByUs = false;
    const sock = connect({ host: broker.host, port: broker.port });
    const finish = (closedByBroker: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ received: Buffer.concat(received), closedByBroker, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    sock.on('data', (b: Buffer) => {
      received.push(b);
      if (opts.until?.(Buffer.concat(received)) === true) finish(false);
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (!sock.connecting && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) finish(!endedByUs);
      else if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(e);
      }
    });
    sock.on('close', () => finish(!endedByUs));
    sock.on('connect', () => {
      for (const c of chunks) sock.write(c);
      if (opts.closeAfterWrite === true) {
        // the bytes go out, then our FIN; the broker closes its side in turn
        endedByUs = true;
        sock.end();
      }
    });
  });
}

async function expectClosedWithoutResponse(chunks: Buffer[], what: string): Promise<void> {
  const r = await rawExchange(chunks);
  assert.equal(r.closedByBroker, true, `${what}: the broker must close the connection (still open after ${r.elapsedMs} ms)`);
  assert.equal(r.received.length, 0, `${what}: no response expected, got ${r.received.toString('hex').slice(0, 200)}`);
}

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

/** Request header v1: apiKey, apiVersion, correlationId, clientId (int16 length + bytes). */
function headerV1(apiKey: number, apiVersion: number, correlationId: number, clientId = 'bad-input'): Buffer {
  const id = Buffer.from(clientId, 'utf8');
  const b = Buffer.alloc(10 + id.length);
  b.writeInt16BE(apiKey, 0);
  b.writeInt16BE(apiVersion, 2);
  b.writeInt32BE(correlationId, 4);
  b.writeInt16BE(id.length, 8);
  id.copy(b, 10);
  return b;
}

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m !== null, `no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** The same broker process is alive and a fresh connection gets ApiVersions (v0 and v3) answered. */
async function assertHealthy(what: string): Promise<void> {
  assert.equal(broker.pid, brokerPid, `${what}: broker process changed`);
  assert.doesNotThrow(() => process.kill(brokerPid, 0), `${what}: broker process gone`);
  assert.equal(await apiVersionsProbe(broker.host, broker.port, 5000), true, `${what}: ApiVersions v0 on a fresh connection`);
  const conn = await KafkaConnection.open(broker.host, broker.port, 'bad-input-health');
  try {
    const res = await conn.send({
      apiKey: 18,
      apiVersion: 3,
      encode: (w, v) => encodeApiVersionsRequest(w, v, { clientSoftwareName: 'fjord-test', clientSoftwareVersion: '1' }),
      decode: decodeApiVersionsResponse,
    });
    assert.equal(res.errorCode, 0, `${what}: ApiVersions v3 error`);
    const produce = res.apiKeys.find((k) => k.apiKey === 0);
    assert.ok(produce !== undefined && produce.maxVersion >= 9, `${what}: ApiVersions v3 lists Produce`);
  } finally {
    conn.close();
  }
}

async function produce(
  topic: string,
  partitions: Array<{ index: number; records: Buffer }>,
  version = 9,
): Promise<ProduceResponsePartitionProduceResponse[]> {
  return produceWith(topic, partitions, version);
}

async function produceWith(
  topic: string,
  partitions: Array<{ index: number; records: Buffer }>,
  version: number,
): Promise<ProduceResponsePartitionProduceResponse[]> {
  const conn = await KafkaConnection.open(broker.host, broker.port, 'bad-input-produce');
  try {
    const res = await conn.send({
      apiKey: 0,
      apiVersion: version,
      encode: (w, v) =>
        encodeProduceRequest(w, v, { acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: partitions }] }),
      decode: decodeProduceResponse,
    });
    assert.equal(res.responses.length, 1);
    assert.equal(res.responses[0]!.name, topic);
    return [...res.responses[0]!.partitionResponses].sort((a, b) => a.index - b.index);
  } finally {
    conn.close();
  }
}

async function endOffset(topic: string, partition: number): Promise<bigint> {
  const conn = await KafkaConnection.open(broker.host, broker.port, 'bad-input-offsets');
  try {
    const res = await conn.send({
      apiKey: 2,
      apiVersion: 7,
      encode: (w, v) =>
        encodeListOffsetsRequest(w, v, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp: -1n }] }],
        }),
      decode: decodeListOffsetsResponse,
    });
    const p = res.topics[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0);
    return p.offset;
  } finally {
    conn.close();
  }
}

/** A request frame built with the generated codec (size prefix included). */
function requestFrame(
  apiKey: number,
  apiVersion: number,
  headerVersion: number,
  correlationId: number,
  encode: (w: Writer, v: number) => void,
): Buffer {
  const w = new Writer();
  encodeRequestHeader(w, headerVersion, { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId: 'bad-input' });
  encode(w, apiVersion);
  return frame(w.toBuffer());
}

/** Splits received bytes into whole response frames; the rest is an incomplete tail. */
function responseFrames(bytes: Buffer): { frames: Buffer[]; tailBytes: number } {
  const frames: Buffer[] = [];
  let o = 0;
  while (o + 4 <= bytes.length) {
    const size = bytes.readInt32BE(o);
    if (o + 4 + size > bytes.length) break;
    frames.push(bytes.subarray(o + 4, o + 4 + size));
    o += 4 + size;
  }
  return { frames, tailBytes: bytes.length - o };
}

/** Recomputes the CRC-32C of a v2 batch after an edit behind the CRC field. */
function fixCrc(batch: Buffer): Buffer {
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return batch;
}

/** A batch of one record whose value is `valueBytes` long. */
function batchWithValue(valueBytes: number, fill = 0x5a): Buffer {
  return buildRecordBatch({ records: [{ key: 'k', value: Buffer.alloc(valueBytes, fill) }] });
}

/** A one-record batch of exactly `totalBytes` bytes (batch header included). */
function batchOfSize(totalBytes: number): Buffer {
  for (let v = Math.max(0, totalBytes - 200); v <= totalBytes; v++) {
    const b = batchWithValue(v);
    if (b.length === totalBytes) return b;
    if (b.length > totalBytes) break;
  }
  throw new Error(`no one-record batch of exactly ${totalBytes} bytes`);
}

// ---- cases -------------------------------------------------------------------------------------

test('sanity: the baseline records are there before any bad input', async () => {
  await assertBaselineIntact('before');
  await assertHealthy('before');
});

test('(a) random bytes as a frame, and an HTTP request, close the connection without a response', async () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const body = randomBytes(seed, 64 + seed * 37);
    // ApiVersions (18) is answered at any version, so it is no garbage: keep it out.
    assert.notEqual(body.readInt16BE(0), 18);
    await expectClosedWithoutResponse([frame(body)], `random frame seed ${seed}`);
  }
  // 'GET ' read as a frame size is 1195725856, far over socket.request.max.bytes
  await expectClosedWithoutResponse([Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')], 'HTTP request');
  await assertHealthy('after random bytes');
});

test('(b) a truncated frame (size 1000, 10 bytes sent, then the client closes) leaves the broker fine', async () => {
  const partial = Buffer.concat([Buffer.from([0, 0, 0x03, 0xe8]), headerV1(18, 0, 1).subarray(0, 10)]);
  assert.equal(partial.length, 14);
  const r = await rawExchange([partial], { closeAfterWrite: true });
  assert.equal(r.received.length, 0, 'no response to half a request');
  // the same, but the client keeps the connection open: other connections are served meanwhile
  const sock = connect({ host: broker.host, port: broker.port });
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  try {
    // written (handed to the kernel, on loopback: delivered) before other connections are served
    await new Promise<void>((resolve, reject) => sock.write(partial, (e) => (e ? reject(e) : resolve())));
    await assertHealthy('while a truncated frame is pending on another connection');
  } finally {
    sock.destroy();
  }
  await assertHealthy('after a truncated frame');
});

test('(c) a frame size over socket.request.max.bytes closes the connection without the body being sent', async () => {
  for (const size of [SOCKET_REQUEST_MAX_BYTES + 1, 0x7fffffff]) {
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(size, 0);
    // only the size and a request header follow: the broker must not wait for the rest
    const r = await rawExchange([prefix, headerV1(18, 0, 1)]);
    assert.equal(r.closedByBroker, true, `frame size ${size}: connection still open after ${r.elapsedMs} ms`);
    assert.equal(r.received.length, 0, `frame size ${size}: no response expected`);
  }
  await assertHealthy('after oversized frame sizes');
});

test('(c2) a request between message.max.bytes and socket.request.max.bytes is read and answered (MESSAGE_TOO_LARGE)', async () => {
  // 1.5 MB: over the topic's default max.message.bytes (1048588), under socket.request.max.bytes
  const big = batchWithValue(1_500_000);
  const [p] = await produce(DATA_TOPIC, [{ index: 0, records: big }]);
  assert.equal(p!.errorCode, MESSAGE_TOO_LARGE);
  assert.equal(p!.baseOffset, -1n);
  assert.equal(await endOffset(DATA_TOPIC, 0), BigInt(BASELINE[0]!.length), 'nothing appended');
  await assertHealthy('after a 1.5 MB request');
});

test('(d) an unknown API key (999) and an unsupported version of a known API close the connection', async () => {
  await expectClosedWithoutResponse([frame(headerV1(999, 0, 7))], 'api key 999');
  await expectClosedWithoutResponse([frame(headerV1(-1, 0, 7))], 'api key -1');
  // Metadata v99 (only ApiVersions is answered at unsupported versions)
  await expectClosedWithoutResponse([frame(Buffer.concat([headerV1(3, 99, 7), Buffer.from([0xff, 0xff, 0xff, 0xff])]))], 'Metadata v99');
  await assertHealthy('after unknown API keys');
});

/** ApiVersions' highest version: Kafka 4.4 serves v5; Fjord v4 until it implements v5. */
const API_VERSIONS_MAX = defaultTarget() === 'kafka' ? 5 : 4;

test('(e) ApiVersions v99 gets a v0 body: error 35 and the single entry [18, 0, max]; the connection stays usable', async () => {
  const conn = await KafkaConnection.open(broker.host, broker.port, 'bad-input-apiversions');
  try {
    const res = await conn.send({
      apiKey: 18,
      apiVersion: 99,
      encode: () => undefined, // header only: the broker cannot know a v99 body
      decode: (r) => {
        // ApiVersionsResponse v0 by hand: error_code int16, api_keys int32 count + [int16 x3]
        const errorCode = r.readInt16();
        const count = r.readInt32();
        const apiKeys: number[][] = [];
        for (let i = 0; i < count; i++) apiKeys.push([r.readInt16(), r.readInt16(), r.readInt16()]);
        return { errorCode, apiKeys, trailing: r.remaining };
      },
    });
    assert.deepEqual(res, { errorCode: UNSUPPORTED_VERSION, apiKeys: [[18, 0, API_VERSIONS_MAX]], trailing: 0 });
    // a v99 body the broker cannot parse is not looked at either
    const withBody = await conn.send({
      apiKey: 18,
      apiVersion: 99,
      encode: (w) => w.writeRaw(randomBytes(99, 300)),
      decode: (r) => {
        const errorCode = r.readInt16();
        const count = r.readInt32();
        const apiKeys: number[][] = [];
        for (let i = 0; i < count; i++) apiKeys.push([r.readInt16(), r.readInt16(), r.readInt16()]);
        return { errorCode, apiKeys, trailing: r.remaining };
      },
    });
    assert.deepEqual(withBody, { errorCode: UNSUPPORTED_VERSION, apiKeys: [[18, 0, API_VERSIONS_MAX]], trailing: 0 });
    // the client would now retry with a version it knows, on the same connection
    const v3 = await conn.send({
      apiKey: 18,
      apiVersion: 3,
      encode: (w, v) => encodeApiVersionsRequest(w, v, { clientSoftwareName: 'fjord-test', clientSoftwareVersion: '1' }),
      decode: decodeApiVersionsResponse,
    });
    assert.equal(v3.errorCode, 0);
    assert.deepEqual(
      v3.apiKeys.filter((k) => k.apiKey === 18).map((k) => [k.apiKey, k.minVersion, k.maxVersion]),
      [[18, 0, API_VERSIONS_MAX]],
    );
  } finally {
    conn.close();
  }
  await assertHealthy('after ApiVersions v99');
});

test('(f) a batch with a bad CRC gets CORRUPT_MESSAGE for its partition only; nothing of it is stored', async () => {
  const good = buildRecordBatch({ records: [{ key: 'k0', value: 'good record' }] });
  const records = Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `value ${i} ${'x'.repeat(i * 10)}` }));
  const flippedPayload = buildRecordBatch({ records });
  flippedPayload[flippedPayload.length - 1]! ^= 0x01; // last byte of the last record's headers count
  const flippedAttributesRegion = buildRecordBatch({ records });
  flippedAttributesRegion[40]! ^= 0x80; // inside maxTimestamp (CRC covers offset 21 on)
  const flippedCrc = buildRecordBatch({ records });
  flippedCrc[CRC_OFFSET + 2]! ^= 0xff;

  let expectedEnd0 = 0n;
  for (const [name, bad] of [
    ['payload byte', flippedPayload],
    ['header byte after the CRC', flippedAttributesRegion],
    ['CRC field', flippedCrc],
  ] as const) {
    const res = await produce(CRC_TOPIC, [
      { index: 0, records: good },
      { index: 1, records: bad },
    ]);
    assert.deepEqual(
      res.map((p) => ({ index: p.index, errorCode: p.errorCode, baseOffset: p.baseOffset })),
      [
        { index: 0, errorCode: 0, baseOffset: expectedEnd0 },
        { index: 1, errorCode: CORRUPT_MESSAGE, baseOffset: -1n },
      ],
      `bad CRC (${name})`,
    );
    expectedEnd0 += 1n;
  }
  assert.equal(await endOffset(CRC_TOPIC, 0), expectedEnd0);
  assert.equal(await endOffset(CRC_TOPIC, 1), 0n, 'no corrupt batch was appended');
  await assertHealthy('after bad CRCs');
});

test("(g) a batch over the topic's max.message.bytes gets MESSAGE_TOO_LARGE; exactly max.message.bytes is accepted", async () => {
  const atLimit = batchOfSize(SMALL_MAX_MESSAGE_BYTES);
  const overLimit = batchOfSize(SMALL_MAX_MESSAGE_BYTES + 1);
  const wayOver = batchWithValue(3 * SMALL_MAX_MESSAGE_BYTES);
  const results = [];
  for (const b of [overLimit, wayOver, atLimit]) {
    const [p] = await produce(SMALL_TOPIC, [{ index: 0, records: b }]);
    results.push({ bytes: b.length, errorCode: p!.errorCode, baseOffset: p!.baseOffset });
  }
  assert.deepEqual(results, [
    { bytes: SMALL_MAX_MESSAGE_BYTES + 1, errorCode: MESSAGE_TOO_LARGE, baseOffset: -1n },
    { bytes: wayOver.length, errorCode: MESSAGE_TOO_LARGE, baseOffset: -1n },
    { bytes: SMALL_MAX_MESSAGE_BYTES, errorCode: 0, baseOffset: 0n },
  ]);
  assert.equal(await endOffset(SMALL_TOPIC, 0), 1n);
  await assertHealthy('after oversized batches');
});

test('(h) a negative or zero frame size closes the connection', async () => {
  for (const prefix of [
    [0xff, 0xff, 0xff, 0xff],
    [0x80, 0, 0, 0],
    [0xff, 0xff, 0xff, 0xf0],
  ]) {
    await expectClosedWithoutResponse([Buffer.from(prefix), headerV1(18, 0, 1)], `frame size ${Buffer.from(prefix).readInt32BE(0)}`);
  }
  await expectClosedWithoutResponse([Buffer.from([0, 0, 0, 0])], 'frame size 0');
  await assertHealthy('after negative frame sizes');
});

test('(i) huge array counts and string lengths inside valid frames close the connection, no memory blow-up', async () => {
  const rssBefore = rssBytes(brokerPid);
  const count = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n, 0);
    return b;
  };
  const cases: Array<[string, Buffer]> = [
    // Metadata v1: topics array count 2^31-1, then nothing
    ['Metadata v1 topics count 2^31-1', Buffer.concat([headerV1(3, 1, 11), count(0x7fffffff)])],
    // Metadata v12 (flexible): header v2 (+ empty tagged fields), compact array length 2^31 (uvarint) = count 2^31-1
    [
      'Metadata v12 compact topics count 2^31-1',
      Buffer.concat([headerV1(3, 12, 12), Buffer.from([0x00]), Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08])]),
    ],
    // Produce v3: transactional id null (int16 -1), acks -1, timeout 10000, topic_data count 2^31-1
    [
      'Produce v3 topic count 2^31-1',
      Buffer.concat([headerV1(0, 3, 13), Buffer.from([0xff, 0xff, 0xff, 0xff]), count(10_000), count(0x7fffffff)]),
    ],
    // Metadata v1 with one topic whose name claims 32767 bytes
    ['Metadata v1 topic name length 32767', Buffer.concat([headerV1(3, 1, 14), count(1), Buffer.from([0x7f, 0xff, 0x61, 0x62])])],
    // header client id claims 32767 bytes, 3 follow
    ['client id length 32767', Buffer.concat([Buffer.from([0, 3, 0, 1, 0, 0, 0, 15, 0x7f, 0xff]), Buffer.from('abc')])],
  ];
  for (const [name, body] of cases) await expectClosedWithoutResponse([frame(body)], name);
  const growth = rssBytes(brokerPid) - rssBefore;
  assert.ok(growth < 128 * 1024 * 1024, `broker RSS grew by ${Math.round(growth / 1048576)} MiB`);
  await assertHealthy('after huge counts');
});

const THREE = [
  { key: 'a', value: 'one' },
  { key: 'b', value: 'two!' },
  { key: 'c', value: 'three' },
];

test('(f2) records inside a batch are validated: a corrupt record or an undecompressable payload (CRC valid) is rejected, nothing stored', async () => {
  const corruptRecordLength = buildRecordBatch({ records: THREE });
  corruptRecordLength[RECORDS_OFFSET] = 0x7e; // first record's length varint: 63 instead of its real size
  fixCrc(corruptRecordLength);
  const gzipNotGzip = buildRecordBatch({ records: THREE });
  gzipNotGzip.writeInt16BE(1, ATTRIBUTES_OFFSET); // says gzip, holds plain records
  fixCrc(gzipNotGzip);

  const before = await endOffset(BATCH_TOPIC, 0);
  const got: Record<string, number> = {};
  for (const [name, batch] of [
    ['corrupt record length', corruptRecordLength],
    ['gzip attribute on plain records', gzipNotGzip],
  ] as const) {
    const [p] = await produce(BATCH_TOPIC, [{ index: 0, records: batch }]);
    got[name] = p!.errorCode;
  }
  // Kafka: INVALID_RECORD for the record, UNKNOWN_SERVER_ERROR (-1) for the failed decompression;
  // what matters for the second is that it is refused.
  assert.deepEqual(
    {
      'corrupt record length': got['corrupt record length'],
      'gzip attribute on plain records': got['gzip attribute on plain records'] !== 0,
    },
    { 'corrupt record length': INVALID_RECORD, 'gzip attribute on plain records': true },
    `error codes: ${JSON.stringify(got)}`,
  );
  assert.equal(await endOffset(BATCH_TOPIC, 0), before, 'no malformed batch was appended');
  await assertHealthy('after batches with malformed records');
});

test("(f3) malformed batch framing gets Kafka's per-partition error codes, nothing stored", async () => {
  const edit = (f: (b: Buffer) => void, crc = true): Buffer => {
    const b = buildRecordBatch({ records: THREE });
    f(b);
    return crc ? fixCrc(b) : b;
  };
  const cases: Array<[string, Buffer, number]> = [
    ['batchLength 10 past the data', edit((b) => b.writeInt32BE(b.readInt32BE(8) + 10, 8), false), INVALID_RECORD],
    ['batchLength 3 short of the data', edit((b) => b.writeInt32BE(b.readInt32BE(8) - 3, 8), false), CORRUPT_MESSAGE],
    ['magic 1', edit((b) => b.writeInt8(1, 16), false), INVALID_RECORD],
    ['records count 4, offsets 0..2', edit((b) => b.writeInt32BE(4, 57)), INVALID_RECORD],
    ['lastOffsetDelta 5, 3 records', edit((b) => b.writeInt32BE(5, 23)), INVALID_RECORD],
    ['empty records', Buffer.alloc(0), INVALID_RECORD],
    [
      'two batches for one partition',
      Buffer.concat([buildRecordBatch({ records: THREE }), buildRecordBatch({ records: THREE })]),
      INVALID_RECORD,
    ],
    ['zero records', buildRecordBatch({ records: [] }), INVALID_RECORD],
    ['control bit set by a client', edit((b) => b.writeInt16BE(0x20, ATTRIBUTES_OFFSET)), INVALID_RECORD],
  ];
  const before = await endOffset(BATCH_TOPIC, 0);
  const got: Record<string, number> = {};
  for (const [name, batch] of cases) {
    const [p] = await produce(BATCH_TOPIC, [{ index: 0, records: batch }]);
    got[name] = p!.errorCode;
  }
  assert.deepEqual(got, Object.fromEntries(cases.map(([name, , code]) => [name, code])));
  assert.equal(await endOffset(BATCH_TOPIC, 0), before, 'no malformed batch was appended');
  await assertHealthy('after malformed batches');
});

test('(f4) an acks=0 Produce that fails (bad CRC, too large) closes the connection, as Kafka tells acks=0 producers', async () => {
  const badCrc = buildRecordBatch({ records: THREE });
  badCrc[badCrc.length - 1]! ^= 0x01;
  for (const [name, topic, batch] of [
    ['bad CRC', CRC_TOPIC, badCrc],
    ['over max.message.bytes', SMALL_TOPIC, batchWithValue(2 * SMALL_MAX_MESSAGE_BYTES)],
  ] as const) {
    const req = requestFrame(0, 9, 2, 21, (w, v) =>
      encodeProduceRequest(w, v, {
        acks: 0,
        timeoutMs: 10_000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
      }),
    );
    await expectClosedWithoutResponse([req], `acks=0 Produce, ${name}`);
  }
  // ... while a good acks=0 Produce keeps the connection open (and gets no response)
  const good = requestFrame(0, 9, 2, 22, (w, v) =>
    encodeProduceRequest(w, v, {
      acks: 0,
      timeoutMs: 10_000,
      topicData: [{ name: CRC_TOPIC, partitionData: [{ index: 0, records: buildRecordBatch({ records: THREE }) }] }],
    }),
  );
  // An ApiVersions behind it on the same connection: responses leave in request order, so its
  // answer proves the Produce was handled, without a response and without closing.
  const r = await rawExchange([good, frame(headerV1(18, 0, 23))], { until: (b) => responseFrames(b).frames.length > 0 });
  const { frames, tailBytes } = responseFrames(r.received);
  assert.deepEqual(
    { closedByBroker: r.closedByBroker, responses: frames.length, tailBytes, correlationId: frames[0]?.readInt32BE(0) },
    { closedByBroker: false, responses: 1, tailBytes: 0, correlationId: 23 },
    'only the ApiVersions behind the good acks=0 Produce is answered',
  );
  await assertHealthy('after acks=0 failures');
});

test('(j) requests pipelined before bad input are answered in full before the connection closes', async () => {
  // a Fetch of the baseline data (served asynchronously), then garbage in the same TCP write
  const fetch = requestFrame(1, 12, 2, 42, (w, v) =>
    encodeFetchRequest(w, v, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      sessionEpoch: -1,
      topics: [{ topic: DATA_TOPIC, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, logStartOffset: -1n }] }],
    }),
  );
  for (const [name, bad] of [
    ['unknown API key', frame(headerV1(999, 0, 43))],
    ['negative frame size', Buffer.from([0xff, 0xff, 0xff, 0xff])],
    ['oversized frame size', Buffer.from([0x7f, 0xff, 0xff, 0xff])],
  ] as const) {
    const r = await rawExchange([Buffer.concat([fetch, bad])]);
    assert.equal(r.closedByBroker, true, `${name}: connection closed`);
    const { frames, tailBytes } = responseFrames(r.received);
    assert.deepEqual(
      { responses: frames.length, tailBytes },
      { responses: 1, tailBytes: 0 },
      `${name}: one whole Fetch response before the close (got ${r.received.length} bytes)`,
    );
    const reader = new Reader(frames[0]!);
    assert.equal(decodeResponseHeader(reader, 1).correlationId, 42);
    const res = decodeFetchResponse(reader, 12);
    const p = res.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0, name);
    assert.equal(p.highWatermark, BigInt(BASELINE[0]!.length), name);
    assert.ok(p.records !== null && p.records.length > 0 && p.records.readBigInt64BE(0) === 0n, `${name}: records from offset 0`);
  }
  await assertHealthy('after pipelined requests with bad input');
});

test('the records produced before the bad input are intact, byte for byte, also after a restart', async () => {
  await assertBaselineIntact('after bad input');
  await broker.restart();
  brokerPid = broker.pid;
  await assertBaselineIntact('after restart');
  await assertHealthy('after restart');
});
