import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../broker.js';
import { KafkaConnection } from '../client/kafka-connection.js';
import { loadBrokerConfig } from '../config/broker-config.js';
import { createLogger } from '../io/logger.js';
import type { BufferLease } from '../log/read-buffer-pool.js';
import { decodeFetchResponse, encodeFetchRequest, type FetchResponse } from '../protocol/generated/index.js';
import { decodeProduceResponse, encodeProduceRequest } from '../protocol/generated/index.js';
import { iterateBatches } from '../protocol/record-batch.js';
import { buildRecordBatch } from '../protocol/records.js';

/**
 * Fetch applies its byte budget while it reads, not after: a consumer asking for 1,000 partitions
 * must not make the broker read (and pin a pooled buffer for) every one of them when the response
 * can hold a few hundred. And the answer stays Kafka's (ReplicaManager.readFromLog): in request
 * order each partition gets at most min(PartitionMaxBytes, what is left of MaxBytes), the first
 * partition with data at least one batch (KIP-74), the rest nothing.
 *
 * Every read here is a disk read (no tail cache). What the reads hold is counted at the pool: a
 * lease pins a whole pooled buffer, or its own buffer when longer.
 */
let broker: Broker;
let dataDir: string;
let conn: KafkaConnection;

const WIDE = 'wide';
const WIDE_PARTITIONS = 1000;
const WIDE_BATCH_VALUE_BYTES = 16 * 1024;
const MIXED = 'mixed';
const MIXED_PARTITIONS = 12;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'fjord-fetch-budget-'));
  const config = loadBrokerConfig(
    null,
    new Map([
      ['listeners', 'PLAINTEXT://127.0.0.1:0'],
      ['log.dirs', dataDir],
      ['fjord.log.tail.cache.bytes', '0'],
    ]),
  );
  broker = new Broker(config, createLogger('warn'));
  await broker.start();
  await broker.context.topics.create(WIDE, WIDE_PARTITIONS, {});
  await broker.context.topics.create(MIXED, MIXED_PARTITIONS, {});
  conn = await KafkaConnection.open('127.0.0.1', broker.boundPorts[0]!, 'fetch-budget-test');
  // One batch per partition of the wide topic, all in one request.
  const value = Buffer.alloc(WIDE_BATCH_VALUE_BYTES, 7);
  await produce(
    WIDE,
    Array.from({ length: WIDE_PARTITIONS }, (_, index) => ({
      index,
      batches: [buildRecordBatch({ records: [{ key: `k${index}`, value }] })],
    })),
  );
  // The mixed topic: 1 to 5 batches per partition of 1 KiB to 300 KiB (deterministic).
  let seed = 4242;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  const mixed = Array.from({ length: MIXED_PARTITIONS }, (_, index) => ({
    index,
    batches: Array.from({ length: 1 + Math.floor(random() * 5) }, () =>
      buildRecordBatch({ records: [{ value: Buffer.alloc(1024 + Math.floor(random() * 300 * 1024), 1) }] }),
    ),
  }));
  for (let round = 0; round < 5; round++) {
    const now = mixed.filter((p) => p.batches.length > round).map((p) => ({ index: p.index, batches: [p.batches[round]!] }));
    await produce(MIXED, now);
  }
});

after(async () => {
  conn?.close();
  await broker?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Appends `batches` to each partition, one Produce per round so each batch is stored as sent. */
async function produce(topic: string, partitions: Array<{ index: number; batches: Buffer[] }>): Promise<void> {
  const rounds = Math.max(...partitions.map((p) => p.batches.length));
  for (let round = 0; round < rounds; round++) {
    const partitionData = partitions.filter((p) => p.batches.length > round).map((p) => ({ index: p.index, records: p.batches[round]! }));
    const response = await conn.send({
      apiKey: 0,
      apiVersion: 9,
      encode: (w, v) => encodeProduceRequest(w, v, { acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData }] }),
      decode: decodeProduceResponse,
    });
    for (const p of response.responses[0]!.partitionResponses) assert.equal(p.errorCode, 0, `produce to ${topic}-${p.index}`);
  }
}

function fetch(topic: string, partitions: number[], maxBytes: number, partitionMaxBytes: number): Promise<FetchResponse> {
  return conn.send({
    apiKey: 1,
    apiVersion: 12,
    encode: (w, v) =>
      encodeFetchRequest(w, v, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          { topic, partitions: partitions.map((partition) => ({ partition, fetchOffset: 0n, partitionMaxBytes, logStartOffset: -1n })) },
        ],
      }),
    decode: decodeFetchResponse,
  });
}

/** Sizes of the whole batches in a partition's records. */
function batchSizes(records: Buffer | null): number[] {
  if (records === null) return [];
  const sizes: number[] = [];
  for (const batch of iterateBatches(records)) if (batch.kind === 'batch') sizes.push(batch.header.sizeBytes);
  return sizes;
}

/**
 * Counts what the reads pin while `body` runs: every lease of the broker's read buffer pool,
 * a whole pooled buffer for a pooled lease, its own length otherwise.
 */
async function peakPinnedBytes(body: () => Promise<void>): Promise<number> {
  const pool = broker.context.readBufferPool;
  const acquire = pool.acquire.bind(pool);
  let pinned = 0;
  let peak = 0;
  pool.acquire = (length: number, nowMs?: number): BufferLease => {
    const lease = acquire(length, nowMs);
    const bytes = length > pool.bufferBytes || pool.idleBuffersMax === 0 ? length : pool.bufferBytes;
    pinned += bytes;
    peak = Math.max(peak, pinned);
    let released = false;
    return {
      buffer: lease.buffer,
      release: () => {
        if (!released) pinned -= bytes;
        released = true;
        lease.release();
      },
    };
  };
  try {
    await body();
  } finally {
    pool.acquire = acquire;
  }
  return peak;
}

describe('Fetch byte budget', () => {
  it('reading 1,000 partitions pins about the response size, not a buffer per partition', async () => {
    const maxBytes = 4 * 1024 * 1024;
    const all = Array.from({ length: WIDE_PARTITIONS }, (_, i) => i);
    let response: FetchResponse | undefined;
    const peak = await peakPinnedBytes(async () => {
      response = await fetch(WIDE, all, maxBytes, 1 << 20);
    });
    const partitions = response!.responses[0]!.partitions;
    const sizes = partitions.map((p) => batchSizes(p.records));
    const batchBytes = sizes[0]![0]!;
    const fitting = Math.floor(maxBytes / batchBytes);
    // Kafka's answer: the first partitions in request order, one batch each, while they fit.
    assert.deepEqual(
      sizes.map((s) => s.length),
      all.map((i) => (i < fitting ? 1 : 0)),
    );
    for (const p of partitions) {
      assert.equal(p.errorCode, 0);
      assert.equal(p.highWatermark, 1n, `high watermark of partition ${p.partitionIndex}, read or not`);
    }
    const pool = broker.context.readBufferPool;
    assert.ok(
      peak <= maxBytes + pool.bufferBytes,
      `the reads pinned ${peak} bytes at their peak for a response of at most ${maxBytes} (one pooled buffer is ${pool.bufferBytes})`,
    );
    assert.equal(pool.outstanding, 0, 'every lease released');
  });

  it('answers exactly what a sequential read with Kafka budget rules answers', async () => {
    const all = Array.from({ length: MIXED_PARTITIONS }, (_, i) => i);
    // What each partition holds, batch by batch (one fetch each, large enough for everything).
    const stored: number[][] = [];
    for (const partition of all)
      stored.push(batchSizes((await fetch(MIXED, [partition], 64 << 20, 64 << 20)).responses[0]!.partitions[0]!.records));
    let seed = 99;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    for (let round = 0; round < 40; round++) {
      const maxBytes = 1 + Math.floor(random() * 2 * 1024 * 1024);
      const partitionMaxBytes = 1 + Math.floor(random() * 600 * 1024);
      const order = [...all].sort(() => random() - 0.5);
      const response = await fetch(MIXED, order, maxBytes, partitionMaxBytes);
      const got = response.responses[0]!.partitions.map((p) => batchSizes(p.records));
      assert.deepEqual(
        got,
        kafkaReadFromLog(
          order.map((p) => stored[p]!),
          maxBytes,
          partitionMaxBytes,
        ),
        `maxBytes ${maxBytes}, partitionMaxBytes ${partitionMaxBytes}, order ${order.join(',')}`,
      );
    }
    assert.equal(broker.context.readBufferPool.outstanding, 0, 'every lease released');
  });
});

/**
 * Kafka's ReplicaManager.readFromLog for fetches from offset 0, as whole batches: partitions in
 * order, each limited to min(partitionMaxBytes, bytes left); until one returns data, at least
 * its first batch (minOneMessage).
 */
function kafkaReadFromLog(partitions: number[][], maxBytes: number, partitionMaxBytes: number): number[][] {
  let left = maxBytes;
  let minOneMessage = true;
  return partitions.map((batches) => {
    const limit = Math.min(partitionMaxBytes, left);
    const taken: number[] = [];
    let size = 0;
    for (const batch of batches) {
      if (size + batch > limit && !(minOneMessage && taken.length === 0)) break;
      taken.push(batch);
      size += batch;
    }
    if (size > 0) minOneMessage = false;
    left = Math.max(0, left - size);
    return taken;
  });
}
