// What a producer learns when the broker refuses a batch: the error code, and from Produce v8 the
// error message and the record errors (record_errors), as Kafka's LogValidator failures carry
// them. A decompression bomb (Fjord's limit on a batch's decompressed size; Kafka has none) must
// reach the producer as a non-retriable error naming the limit, not be retried until a timeout.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KafkaConnection } from '../../broker/src/client/kafka-connection.js';
import { decodeProduceResponse, encodeProduceRequest } from '../../broker/src/protocol/generated/index.js';
import { buildRecordBatch } from '../../broker/src/protocol/records.js';
import { startBroker, type BrokerHandle } from '../harness/broker.js';
import { ok, runJava, runTool } from '../harness/tools.js';

/** Fjord's limit on one batch's decompressed records (handlers/00-produce.ts). */
const DECOMPRESSED_BATCH_BYTES_MAX = 256 * 1024 * 1024;
const INVALID_RECORD = 87;

let broker: BrokerHandle;

before(async () => {
  broker = await startBroker();
});

after(async () => {
  await broker?.stop();
});

async function createTopic(topic: string, extra: readonly string[] = []): Promise<void> {
  const args = [
    '--bootstrap-server',
    broker.bootstrap,
    '--create',
    '--topic',
    topic,
    '--partitions',
    '1',
    '--replication-factor',
    '1',
    ...extra,
  ];
  ok(await runTool('kafka-topics.sh', args, { timeoutMs: 60_000 }), `create ${topic}`);
}

test('a record that decompresses past the broker limit fails the Java producer at once, with the limit in the message', async () => {
  const topic = 'decompression-limit';
  await createTopic(topic);
  // A gzip batch of ~260 KB (under max.message.bytes) whose one record is 257 MiB of zeros.
  const valueBytes = DECOMPRESSED_BATCH_BYTES_MAX + (1 << 20);
  const result = ok(
    await runJava('LargeRecordProducer', [broker.bootstrap, topic, String(valueBytes), 'gzip'], { timeoutMs: 300_000 }),
    'LargeRecordProducer',
  );
  const outcome = result.stdout.trim().split('\n').at(-1) ?? '';
  if (broker.target === 'kafka') {
    // Kafka has no limit on decompressed size (docs/compatibility.md).
    assert.equal(outcome, 'SENT 0:0');
    return;
  }
  // Before the fix: CORRUPT_MESSAGE, which the producer retries until delivery.timeout.ms and then
  // reports as a TimeoutException ("Expiring 1 record(s) ...") without the broker's message.
  assert.match(
    outcome,
    /^FAILED org\.apache\.kafka\.common\.InvalidRecordException: The gzip records of this batch decompress to more than 268435456 bytes, the broker's limit for one batch/,
  );
});

test('a record refused by validation is named in record_errors (Produce v8+), with a summary in error_message', async () => {
  const topic = 'compacted-keys';
  await createTopic(topic, ['--config', 'cleanup.policy=compact']);
  const batch = buildRecordBatch({
    records: [
      { key: 'k', value: 'kept' },
      { key: null, value: 'no key' },
    ],
  });
  const conn = await KafkaConnection.open(broker.host, broker.port, 'produce-errors-test');
  try {
    for (const version of [8, 9]) {
      const response = await conn.send({
        apiKey: 0,
        apiVersion: version,
        encode: (w, v) =>
          encodeProduceRequest(w, v, {
            acks: -1,
            timeoutMs: 30_000,
            topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
          }),
        decode: decodeProduceResponse,
      });
      const partition = response.responses[0]!.partitionResponses[0]!;
      assert.equal(partition.errorCode, INVALID_RECORD, `Produce v${version}`);
      assert.deepEqual(
        partition.recordErrors.map((e) => e.batchIndex),
        [1],
        `Produce v${version}: the keyless record`,
      );
      assert.match(partition.recordErrors[0]!.batchIndexErrorMessage ?? '', /^Compacted topic cannot accept message without key/);
      assert.match(partition.errorMessage ?? '', /^One or more records have been rejected due to 1 record errors in total/);
    }
  } finally {
    conn.close();
  }
});
