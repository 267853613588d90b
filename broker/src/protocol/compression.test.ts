import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { compressSync as snappyRawCompress } from 'snappy';
import { compressFrameSync, compressSync as lz4BlockCompress } from 'lz4-napi';
import { compress as zstdCompress } from 'zstd-napi';
import {
  compress,
  CompressionCodec,
  CompressionError,
  decompress,
  DecompressionLimitError,
  MAX_DECOMPRESSED_BYTES,
} from './compression.js';

const CODECS = [
  CompressionCodec.NONE,
  CompressionCodec.GZIP,
  CompressionCodec.SNAPPY,
  CompressionCodec.LZ4,
  CompressionCodec.ZSTD,
] as const;

function xerialFrame(blocks: Buffer[]): Buffer {
  const header = Buffer.alloc(16);
  Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]).copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  const parts: Buffer[] = [header];
  for (const b of blocks) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(b.length);
    parts.push(len, b);
  }
  return Buffer.concat(parts);
}

test('every codec round-trips random data', () => {
  for (const codec of CODECS) {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100_000 }), (arr) => {
        const data = Buffer.from(arr);
        assert.deepEqual(decompress(codec, compress(codec, data)), data);
      }),
      { numRuns: 30 },
    );
  }
});

test('every codec round-trips compressible data across block boundaries', () => {
  const data = Buffer.from('{"id":1,"name":"fjord","tags":["a","b"]}\n'.repeat(20_000));
  for (const codec of CODECS) {
    const c = compress(codec, data);
    if (codec !== CompressionCodec.NONE) assert.ok(c.length < data.length / 5, `codec ${codec} compresses`);
    assert.ok(decompress(codec, c).equals(data));
  }
});

test('snappy compress writes xerial framing like the Java client', () => {
  const c = compress(CompressionCodec.SNAPPY, Buffer.alloc(100_000, 7));
  assert.deepEqual([...c.subarray(0, 8)], [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
  assert.equal(c.readInt32BE(8), 1);
  assert.equal(c.readInt32BE(12), 1);
});

test('snappy decompresses a raw block (librdkafka) and a hand-built xerial frame (Java)', () => {
  const a = Buffer.from('hello snappy '.repeat(1000));
  const b = Buffer.from('second block '.repeat(500));
  assert.ok(decompress(CompressionCodec.SNAPPY, snappyRawCompress(a)).equals(a));
  const framed = xerialFrame([snappyRawCompress(a), snappyRawCompress(b)]);
  assert.ok(decompress(CompressionCodec.SNAPPY, framed).equals(Buffer.concat([a, b])));
  // xerial frame with no blocks = empty payload
  assert.equal(decompress(CompressionCodec.SNAPPY, xerialFrame([])).length, 0);
});

test('snappy rejects a bad xerial block length and a raw block whose preamble lies', () => {
  const framed = xerialFrame([snappyRawCompress(Buffer.from('abc'))]);
  framed.writeInt32BE(1000, 16);
  assert.throws(() => decompress(CompressionCodec.SNAPPY, framed), CompressionError);
  // preamble claims 4 GiB: limit error before any allocation
  const liar = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
  assert.throws(() => decompress(CompressionCodec.SNAPPY, liar), DecompressionLimitError);
});

test('decompression stops at an explicit limit for every codec', () => {
  const data = Buffer.alloc(4 * 1024 * 1024, 0x61);
  for (const codec of CODECS) {
    const c = compress(codec, data);
    assert.throws(
      () => decompress(codec, c, 1024 * 1024),
      (err: unknown) => err instanceof DecompressionLimitError && err.limit === 1024 * 1024 && err.codec === codec,
      `codec ${codec}`,
    );
    assert.equal(decompress(codec, c, data.length).length, data.length, `exactly at the limit, codec ${codec}`);
  }
});

test('lz4: output may be below the limit even when the frame block bound is above it', () => {
  // lz4-napi frames use 4 MiB max blocks: a 1 MiB payload bounds at 4 MiB, so with a 2 MiB
  // limit this goes through the block-by-block path.
  const data = Buffer.from(Array.from({ length: 1024 * 1024 }, (_, i) => (i * 7919) % 251));
  const c = compressFrameSync(data);
  assert.ok(decompress(CompressionCodec.LZ4, c, 2 * 1024 * 1024).equals(data));
  const two = Buffer.concat([c, c]);
  assert.ok(decompress(CompressionCodec.LZ4, two, 2 * 1024 * 1024).equals(Buffer.concat([data, data])));
  assert.throws(() => decompress(CompressionCodec.LZ4, Buffer.concat([two, c]), 2 * 1024 * 1024), DecompressionLimitError);
});

test('lz4: hand-built frame with linked 64 KiB blocks and an uncompressed block (block-by-block path)', () => {
  const chunks = [Buffer.alloc(60_000, 1), Buffer.from('abc'.repeat(20_000)), Buffer.from('raw stored block')];
  const parts: Buffer[] = [Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x40, 0x40, 0x00])]; // FLG: v01, linked; BD: 64 KiB
  chunks.forEach((chunk, i) => {
    const stored = i === 2;
    const body = stored ? chunk : lz4BlockCompress(chunk).subarray(4); // strip lz4_flex size prefix
    const size = Buffer.alloc(4);
    size.writeUInt32LE((body.length | (stored ? 0x80000000 : 0)) >>> 0);
    parts.push(size, body);
  });
  parts.push(Buffer.alloc(4)); // end mark
  const frame = Buffer.concat(parts);
  const total = chunks.reduce((n, c) => n + c.length, 0);
  // bound = 2 * 64 KiB + 16 > limit, so the block path (with the dictionary window) is used
  assert.ok(decompress(CompressionCodec.LZ4, frame, total).equals(Buffer.concat(chunks)));
  assert.throws(() => decompress(CompressionCodec.LZ4, frame, total - 1), DecompressionLimitError);
});

test('decompression bombs hit the default limit with DecompressionLimitError', () => {
  // Many concatenated members/frames/blocks of 1 MiB of zeros: small input, > 128 MiB output.
  const mib = Buffer.alloc(1024 * 1024);
  const copies = MAX_DECOMPRESSED_BYTES / mib.length + 8;
  const bombs: [CompressionCodec, Buffer][] = [
    [CompressionCodec.GZIP, Buffer.concat(Array(copies).fill(zlib.gzipSync(mib, { level: 9 })))],
    [CompressionCodec.ZSTD, Buffer.concat(Array(copies).fill(zstdCompress(mib)))],
    [CompressionCodec.LZ4, Buffer.concat(Array(copies).fill(compressFrameSync(mib)))],
    [CompressionCodec.SNAPPY, xerialFrame(Array(copies).fill(snappyRawCompress(mib)))],
  ];
  for (const [codec, bomb] of bombs) {
    assert.ok(bomb.length < 8 * 1024 * 1024, `bomb for ${codec} is small (${bomb.length})`);
    assert.throws(() => decompress(codec, bomb), DecompressionLimitError, `codec ${codec}`);
  }
});

test('corrupt input throws CompressionError, never anything else', () => {
  for (const codec of CODECS.filter((c) => c !== CompressionCodec.NONE)) {
    const good = compress(codec, Buffer.from('some payload '.repeat(200)));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
          fc.nat({ max: good.length - 1 }).map((n) => good.subarray(0, n)),
          fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
            const b = Buffer.from(good);
            b[i] = b[i]! ^ x;
            return b;
          }),
        ),
        (input) => {
          try {
            decompress(codec, input, 1024 * 1024);
          } catch (err) {
            assert.ok(err instanceof CompressionError, `codec ${codec}: ${String(err)}`);
          }
        },
      ),
      { numRuns: 200 },
    );
  }
});

test('unknown codec is a CompressionError', () => {
  assert.throws(() => decompress(5 as CompressionCodec, Buffer.alloc(1)), CompressionError);
  assert.throws(() => compress(7 as CompressionCodec, Buffer.alloc(1)), CompressionError);
});
