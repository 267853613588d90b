import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../broker.js';
import { fetchPartitionRequest } from '../client/fetch-request.js';
import { KafkaConnection } from '../client/kafka-connection.js';
import { loadBrokerConfig } from '../config/broker-config.js';
import { createLogger } from '../io/logger.js';
import { iterateBatches } from '../protocol/record-batch.js';
import { decodeRecords } from '../protocol/records.js';
import { letTimePass, waitFor } from '../../../test/harness/wait.js';

/**
 * Fetch reads segment data into pooled buffers that are reused once a response is written
 * (log/read-buffer-pool.ts). If a buffer went back to the pool too early, a later read would
 * overwrite bytes still waiting in a socket queue. Here every fetch is a disk read (no tail
 * cache), the pool keeps only two buffers, and many connections pipeline fetches at scattered
 * offsets, some closing with responses still unwritten: every batch must arrive with a valid
 * CRC-32C and exactly the records produced, and no lease may stay out.
 */
const TOPIC = 'pooled-reads';
const BATCHES = 120;
const RECORDS_PER_BATCH = 25;
const VALUE_BYTES = 1500;
const RECORDS = BATCHES * RECORDS_PER_BATCH;

let broker: Broker;
let dataDir: string;
let port: number;

function valueOf(offset: number): Buffer {
  const value = Buffer.alloc(VALUE_BYTES, 33 + (offset % 90));
  value.write(`offset-${offset};`, 0, 'latin1');
  return value;
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'fjord-pooled-'));
  const config = loadBrokerConfig(
    null,
    new Map([
      ['listeners', 'PLAINTEXT://127.0.0.1:0'],
      ['log.dirs', dataDir],
      ['fjord.log.tail.cache.bytes', '0'],
      ['fjord.fetch.read.buffers.max', '2'],
    ]),
  );
  broker = new Broker(config, createLogger('warn'));
  await broker.start();
  port = broker.boundPorts[0]!;
  const kafka = new Kafka({ clientId: 'pooled-reads-test', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  for (let b = 0; b < BATCHES; b++) {
    const messages = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ value: valueOf(b * RECORDS_PER_BATCH + i) }));
    await producer.send({ topic: TOPIC, acks: 1, messages });
  }
  await producer.disconnect();
});

after(async () => {
  await broker?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

function fetchAt(conn: KafkaConnection, offset: number, partitionMaxBytes: number) {
  return conn.send(fetchPartitionRequest(TOPIC, 0, offset, partitionMaxBytes));
}

/** Checks every batch of a partition response; returns how many records it held. */
function checkRecords(records: Buffer, fetchOffset: number): number {
  let count = 0;
  let first = true;
  for (const batch of iterateBatches(records, { verifyCrc: true })) {
    assert.equal(batch.kind, 'batch', `fetch at ${fetchOffset}: ${JSON.stringify(batch)}`);
    assert.equal(batch.kind === 'batch' && batch.crcValid, true, `CRC of a batch fetched at ${fetchOffset}`);
    if (batch.kind !== 'batch') break;
    const bytes = records.subarray(batch.header.position, batch.header.position + batch.header.sizeBytes);
    const decoded = decodeRecords(bytes);
    if (first)
      assert.ok(decoded[0]!.offset <= fetchOffset && decoded.at(-1)!.offset >= fetchOffset, `first batch holds offset ${fetchOffset}`);
    first = false;
    for (const record of decoded) {
      assert.ok(record.value !== null && record.value.equals(valueOf(record.offset)), `record ${record.offset} intact`);
      count++;
    }
  }
  return count;
}

test('pipelined disk fetches on many connections get intact batches while two buffers are reused', async () => {
  const connections = await Promise.all(Array.from({ length: 6 }, () => KafkaConnection.open('127.0.0.1', port, 'pooled-reads')));
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  let checked = 0;
  for (let round = 0; round < 10; round++) {
    const fetches = connections.flatMap((conn) =>
      Array.from({ length: 16 }, () => {
        const offset = Math.floor(random() * RECORDS);
        // Sizes below, at and above one pooled buffer (the latter are read into their own).
        const partitionMaxBytes = [16 * 1024, 300 * 1024, 1 << 20, 3 << 20][Math.floor(random() * 4)]!;
        return fetchAt(conn, offset, partitionMaxBytes).then((response) => ({ response, offset }));
      }),
    );
    for (const { response, offset } of await Promise.all(fetches)) {
      const partition = response.responses[0]!.partitions[0]!;
      assert.equal(partition.errorCode, 0);
      assert.ok(partition.records !== null && partition.records.length > 0, `records at ${offset}`);
      checked += checkRecords(partition.records, offset);
    }
  }
  assert.ok(checked > RECORDS, `checked ${checked} records`);
  for (const conn of connections) conn.close();
  assert.equal(broker.context.readBufferPool.outstanding, 0, 'every lease released');
});

test('connections closed with fetches in flight give their buffers back', async () => {
  for (let i = 0; i < 5; i++) {
    const conn = await KafkaConnection.open('127.0.0.1', port, 'pooled-reads-closing');
    const inflight = Array.from({ length: 20 }, (_, k) => fetchAt(conn, (k * 137) % RECORDS, 1 << 20).catch(() => null));
    await letTimePass(i, 'closes after a different part of the fetches each round');
    conn.close();
    await Promise.all(inflight);
  }
  await waitFor('every lease released', () => broker.context.readBufferPool.outstanding === 0, {
    diagnostics: () => `${broker.context.readBufferPool.outstanding} leases outstanding`,
  });
  assert.ok(broker.context.readBufferPool.idleBuffers <= 2);
});
