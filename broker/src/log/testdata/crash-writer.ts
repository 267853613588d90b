/**
 * Child process for the kill -9 test: opens the log in argv[2], appends idempotent batches as
 * fast as it can and prints each acknowledged high watermark on stdout, until killed.
 */
import { makeBatch } from '../batch-fixture.js';
import { DEFAULT_LOG_CONFIG, PartitionLog } from '../partition-log.js';

const dir = process.argv[2]!;
const producerId = Number(process.argv[3] ?? 7);
const log = await PartitionLog.open(dir, { ...DEFAULT_LOG_CONFIG, segmentBytes: 64 * 1024, indexIntervalBytes: 512 });
let sequence = 0;
// continue the producer's sequence where the log left off
for (let offset = log.logStartOffset; offset < log.highWatermark;) {
  const read = await log.read(offset, 1 << 20);
  for (const batch of read.records) sequence = batch.readInt32BE(53) + batch.readInt32BE(23) + 1;
  const last = read.records[read.records.length - 1]!;
  offset = last.readInt32BE(4) + last.readInt32BE(23) + 1;
}
process.stdout.write(`ready ${log.highWatermark}\n`);
for (;;) {
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < 20; i++) {
    const records = 1 + ((sequence + i) % 5);
    pending.push(
      log.append(
        makeBatch({ records, payloadBytes: 50 + ((sequence * 31) % 900), producerId, producerEpoch: 0, baseSequence: sequence }),
        1,
      ),
    );
    sequence += records;
  }
  await Promise.all(pending);
  process.stdout.write(`acked ${log.highWatermark}\n`);
}
