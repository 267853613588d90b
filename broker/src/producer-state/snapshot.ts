/**
 * Producer state snapshot file, `<20-digit offset>.snapshot` in the partition directory: the
 * state of every producer after all batches below `offset` (Kafka's ProducerSnapshot.json, but
 * keeping the whole retained batch window instead of only the last batch).
 *
 *     int16  version (1)
 *     uint32 crc      CRC-32C of every byte after this field
 *     int32  producerCount
 *     producerCount x {
 *       int64 producerId, int16 producerEpoch, int32 coordinatorEpoch,
 *       int64 currentTxnFirstOffset, int64 lastTimestampMs,
 *       int8  batchCount (<= 5)
 *       batchCount x { int32 firstSeq, int32 lastSeq, int64 lastOffset, int32 offsetDelta, int64 timestampMs }
 *     }
 *
 * All big-endian. A file with a bad version, checksum or length decodes to null (ignored).
 */
import { crc32c } from '@node-rs/crc32';
import { BATCHES_RETAINED_MAX, type ProducerEntry } from './producer-state.js';

export const PRODUCER_SNAPSHOT_VERSION = 1;
const HEADER_BYTES = 2 + 4;
const PRODUCER_FIXED_BYTES = 8 + 2 + 4 + 8 + 8 + 1;
const BATCH_BYTES = 4 + 4 + 8 + 4 + 8;
const TWO_POW_32 = 4294967296;

function writeInt64(buf: Buffer, at: number, value: number): void {
  const high = Math.floor(value / TWO_POW_32);
  buf.writeInt32BE(high, at);
  buf.writeUInt32BE(value - high * TWO_POW_32, at + 4);
}

function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * TWO_POW_32 + buf.readUInt32BE(at + 4);
}

export function encodeProducerSnapshot(entries: Iterable<Readonly<ProducerEntry>>): Buffer {
  const list = [...entries];
  let size = HEADER_BYTES + 4;
  for (const entry of list) size += PRODUCER_FIXED_BYTES + entry.batches.length * BATCH_BYTES;
  const buf = Buffer.alloc(size);
  let at = 0;
  buf.writeInt16BE(PRODUCER_SNAPSHOT_VERSION, at);
  at = HEADER_BYTES;
  buf.writeInt32BE(list.length, at);
  at += 4;
  for (const entry of list) {
    writeInt64(buf, at, entry.producerId);
    buf.writeInt16BE(entry.producerEpoch, at + 8);
    buf.writeInt32BE(entry.coordinatorEpoch, at + 10);
    writeInt64(buf, at + 14, entry.currentTxnFirstOffset);
    writeInt64(buf, at + 22, entry.lastTimestampMs);
    buf.writeInt8(entry.batches.length, at + 30);
    at += PRODUCER_FIXED_BYTES;
    for (const batch of entry.batches) {
      buf.writeInt32BE(batch.firstSeq, at);
      buf.writeInt32BE(batch.lastSeq, at + 4);
      writeInt64(buf, at + 8, batch.lastOffset);
      buf.writeInt32BE(batch.offsetDelta, at + 16);
      writeInt64(buf, at + 20, batch.timestampMs);
      at += BATCH_BYTES;
    }
  }
  buf.writeUInt32BE(crc32c(buf.subarray(HEADER_BYTES)) >>> 0, 2);
  return buf;
}

export function decodeProducerSnapshot(buf: Buffer): ProducerEntry[] | null {
  if (buf.length < HEADER_BYTES + 4) return null;
  if (buf.readInt16BE(0) !== PRODUCER_SNAPSHOT_VERSION) return null;
  if (crc32c(buf.subarray(HEADER_BYTES)) >>> 0 !== buf.readUInt32BE(2)) return null;
  const count = buf.readInt32BE(HEADER_BYTES);
  let at = HEADER_BYTES + 4;
  if (count < 0 || count > (buf.length - at) / PRODUCER_FIXED_BYTES) return null;
  const entries: ProducerEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + PRODUCER_FIXED_BYTES > buf.length) return null;
    const batchCount = buf.readInt8(at + 30);
    if (batchCount < 0 || batchCount > BATCHES_RETAINED_MAX) return null;
    const entry: ProducerEntry = {
      producerId: readInt64(buf, at),
      producerEpoch: buf.readInt16BE(at + 8),
      coordinatorEpoch: buf.readInt32BE(at + 10),
      currentTxnFirstOffset: readInt64(buf, at + 14),
      lastTimestampMs: readInt64(buf, at + 22),
      batches: [],
    };
    at += PRODUCER_FIXED_BYTES;
    if (at + batchCount * BATCH_BYTES > buf.length) return null;
    for (let b = 0; b < batchCount; b++) {
      entry.batches.push({
        firstSeq: buf.readInt32BE(at),
        lastSeq: buf.readInt32BE(at + 4),
        lastOffset: readInt64(buf, at + 8),
        offsetDelta: buf.readInt32BE(at + 16),
        timestampMs: readInt64(buf, at + 20),
      });
      at += BATCH_BYTES;
    }
    entries.push(entry);
  }
  if (at !== buf.length) return null;
  return entries;
}
