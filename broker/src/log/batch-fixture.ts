/**
 * Test-only helper: builds valid record batch v2 buffers (header + opaque payload + correct
 * CRC-32C) without the protocol module. Records are opaque bytes: the log never parses them.
 */
import { crc32c } from '@node-rs/crc32';
import { ATTRIBUTES_AT, BATCH_HEADER_BYTES, CRC_AT, writeInt64 } from './batch-header.js';

export interface BatchSpec {
  records?: number;
  payloadBytes?: number;
  baseOffset?: number;
  maxTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  logAppendTime?: boolean;
  fill?: number;
}

export function makeBatch(spec: BatchSpec = {}): Buffer {
  const records = spec.records ?? 1;
  const payloadBytes = spec.payloadBytes ?? 16;
  const buf = Buffer.alloc(BATCH_HEADER_BYTES + payloadBytes, spec.fill ?? 0x61);
  writeInt64(buf, 0, spec.baseOffset ?? 0);
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt32BE(-1, 12);
  buf.writeInt8(2, 16);
  buf.writeInt16BE(spec.logAppendTime === true ? 0x08 : 0, ATTRIBUTES_AT);
  buf.writeInt32BE(records - 1, 23);
  const maxTimestamp = spec.maxTimestamp ?? Date.now();
  writeInt64(buf, 27, maxTimestamp);
  writeInt64(buf, 35, maxTimestamp);
  writeInt64(buf, 43, spec.producerId ?? -1);
  buf.writeInt16BE(spec.producerEpoch ?? -1, 51);
  buf.writeInt32BE(spec.baseSequence ?? -1, 53);
  buf.writeInt32BE(records, 57);
  buf.writeUInt32BE(crc32c(buf.subarray(ATTRIBUTES_AT)) >>> 0, CRC_AT);
  return buf;
}

/** Concatenates batches as a segment file would hold them, assigning dense offsets from `baseOffset`. */
export function makeSegmentBytes(specs: BatchSpec[], baseOffset: number): { bytes: Buffer; starts: number[]; offsets: number[] } {
  const parts: Buffer[] = [];
  const starts: number[] = [];
  const offsets: number[] = [];
  let position = 0;
  let offset = baseOffset;
  for (const spec of specs) {
    const batch = makeBatch({ ...spec, baseOffset: offset });
    parts.push(batch);
    starts.push(position);
    offsets.push(offset);
    position += batch.length;
    offset += spec.records ?? 1;
  }
  return { bytes: Buffer.concat(parts), starts, offsets };
}
