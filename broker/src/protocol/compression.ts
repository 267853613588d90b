/**
 * Record batch compression codecs (attributes bits 0-2), PROTOCOL.md 3.5.
 *
 * - gzip: a plain gzip stream (node:zlib).
 * - snappy: Java writes the xerial framing (`\x82SNAPPY\0`, int32 version, int32 compat, then
 *   repeated [int32 length, raw snappy block]); librdkafka writes one raw block. Decompression
 *   accepts both; compression writes xerial framing like Java (librdkafka accepts both too).
 * - lz4: the LZ4 *frame* format.
 * - zstd: a zstd frame.
 *
 * All functions are synchronous. Decompression is bounded by a byte limit so a decompression bomb
 * ends in a `DecompressionLimitError` instead of an out-of-memory crash: every codec knows (or
 * learns chunk by chunk) how much it is about to produce before producing it.
 *
 * Not used on the produce hot path (batches are stored verbatim, PERFORMANCE.md C2.2).
 */
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import type * as SnappyModule from 'snappy';
import type * as Lz4Module from 'lz4-napi';
import type * as ZstdModule from 'zstd-napi';
import type ZstdBindingModule from 'zstd-napi/binding.js';

// The native codecs are loaded on first use: together they add ~20 MiB of resident memory, which
// a broker whose clients never compress should not pay. They are CommonJS, hence require.
const require = createRequire(import.meta.url);
let snappyModule: typeof SnappyModule | null = null;
let lz4Module: typeof Lz4Module | null = null;
let zstdModule: typeof ZstdModule | null = null;
let zstdBindingModule: typeof ZstdBindingModule | null = null;
const snappy = (): typeof SnappyModule => (snappyModule ??= require('snappy') as typeof SnappyModule);
const lz4 = (): typeof Lz4Module => (lz4Module ??= require('lz4-napi') as typeof Lz4Module);
const zstd = (): typeof ZstdModule => (zstdModule ??= require('zstd-napi') as typeof ZstdModule);
const zstdBinding = (): typeof ZstdBindingModule => (zstdBindingModule ??= require('zstd-napi/binding.js') as typeof ZstdBindingModule);

export const CompressionCodec = {
  NONE: 0,
  GZIP: 1,
  SNAPPY: 2,
  LZ4: 3,
  ZSTD: 4,
} as const;
export type CompressionCodec = (typeof CompressionCodec)[keyof typeof CompressionCodec];

/** Mask of the compression codec in the batch attributes. */
export const COMPRESSION_CODEC_MASK = 0x07;

/**
 * Default ceiling on the size of one decompressed batch payload (128 MiB). Far above any real
 * batch (max.message.bytes defaults to ~1 MiB; realistic ratios are below 20:1) and far below
 * what would hurt the process.
 */
export const MAX_DECOMPRESSED_BYTES = 128 * 1024 * 1024;

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

export function isCompressionCodec(value: number): value is CompressionCodec {
  return Number.isInteger(value) && value >= 0 && value <= 4;
}

export function codecName(codec: number): string {
  return isCompressionCodec(codec) ? CODEC_NAMES[codec] : `unknown(${codec})`;
}

/** Corrupt or unsupported compressed data. */
export class CompressionError extends Error {
  override name = 'CompressionError';
  constructor(
    readonly codec: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${codecName(codec)}: ${message}`, options);
  }
}

/** The decompressed output would exceed the allowed size. */
export class DecompressionLimitError extends CompressionError {
  override name = 'DecompressionLimitError';
  constructor(
    codec: number,
    readonly limit: number,
  ) {
    super(codec, `decompressed size exceeds the limit of ${limit} bytes`);
  }
}

// ---------------------------------------------------------------------------------------------
// compress

/** Java's SnappyOutputStream block size. */
const XERIAL_BLOCK_SIZE = 32 * 1024;
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
/** Kafka's default zstd level (ZstdCompression.DEFAULT_LEVEL). */
const ZSTD_LEVEL = 3;

export function compress(codec: CompressionCodec, data: Buffer): Buffer {
  switch (codec) {
    case CompressionCodec.NONE:
      return data;
    case CompressionCodec.GZIP:
      return zlib.gzipSync(data);
    case CompressionCodec.SNAPPY:
      return snappyXerialCompress(data);
    case CompressionCodec.LZ4:
      return lz4().compressFrameSync(data);
    case CompressionCodec.ZSTD:
      return zstd().compress(data, { compressionLevel: ZSTD_LEVEL });
    default:
      throw new CompressionError(codec, 'unknown compression codec');
  }
}

function snappyXerialCompress(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8); // version
  header.writeInt32BE(1, 12); // minimum compatible version
  parts.push(header);
  for (let pos = 0; pos < data.length; pos += XERIAL_BLOCK_SIZE) {
    const block = snappy().compressSync(data.subarray(pos, Math.min(data.length, pos + XERIAL_BLOCK_SIZE)));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// decompress

/**
 * Decompress `data` compressed with `codec`. Throws `DecompressionLimitError` if the output
 * would exceed `maxBytes`, `CompressionError` if the input is corrupt; never anything else.
 */
export function decompress(codec: CompressionCodec, data: Buffer, maxBytes: number = MAX_DECOMPRESSED_BYTES): Buffer {
  switch (codec) {
    case CompressionCodec.NONE:
      if (data.length > maxBytes) throw new DecompressionLimitError(codec, maxBytes);
      return data;
    case CompressionCodec.GZIP:
      return gunzip(data, maxBytes);
    case CompressionCodec.SNAPPY:
      return snappyDecompress(data, maxBytes);
    case CompressionCodec.LZ4:
      return lz4Decompress(data, maxBytes);
    case CompressionCodec.ZSTD:
      return zstdDecompress(data, maxBytes);
    default:
      throw new CompressionError(codec, 'unknown compression codec');
  }
}

function gunzip(data: Buffer, maxBytes: number): Buffer {
  try {
    return zlib.gunzipSync(data, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DecompressionLimitError(CompressionCodec.GZIP, maxBytes);
    }
    throw new CompressionError(CompressionCodec.GZIP, (err as Error).message, { cause: err });
  }
}

// --- snappy

function snappyDecompress(data: Buffer, maxBytes: number): Buffer {
  if (data.length >= XERIAL_HEADER_SIZE && data.subarray(0, 8).equals(XERIAL_MAGIC)) {
    return snappyXerialDecompress(data, maxBytes);
  }
  return snappyBlock(data, maxBytes, maxBytes);
}

function snappyXerialDecompress(data: Buffer, maxBytes: number): Buffer {
  const out: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (data.length - pos < 4) throw new CompressionError(CompressionCodec.SNAPPY, 'truncated xerial block length');
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || len > data.length - pos) {
      throw new CompressionError(CompressionCodec.SNAPPY, `xerial block length ${len} exceeds the input`);
    }
    const block = snappyBlock(data.subarray(pos, pos + len), maxBytes - total, maxBytes);
    pos += len;
    total += block.length;
    out.push(block);
  }
  return out.length === 1 ? out[0]! : Buffer.concat(out, total);
}

/**
 * One raw snappy block; its preamble (a varint) gives the exact uncompressed length, checked
 * against `budget` before decompressing. `limit` is the overall limit (for the error).
 */
function snappyBlock(block: Buffer, budget: number, limit: number): Buffer {
  let length = 0;
  let shift = 0;
  let i = 0;
  for (;;) {
    if (i >= block.length || i >= 5) throw new CompressionError(CompressionCodec.SNAPPY, 'bad block length preamble');
    const b = block[i++]!;
    length += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) break;
  }
  if (length > budget) throw new DecompressionLimitError(CompressionCodec.SNAPPY, limit);
  let out: string | Buffer;
  try {
    out = snappy().uncompressSync(block, { asBuffer: true });
  } catch (err) {
    throw new CompressionError(CompressionCodec.SNAPPY, (err as Error).message, { cause: err });
  }
  if (typeof out === 'string' || out.length !== length) {
    throw new CompressionError(CompressionCodec.SNAPPY, 'decompressed length differs from the block preamble');
  }
  return out;
}

// --- lz4 frame

const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const LZ4_SKIPPABLE_MAGIC = 0x184d2a50;
/** Block max sizes by BD block-size id (4..7). */
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024] as const;
const LZ4_DICT_WINDOW = 64 * 1024;

interface Lz4Block {
  readonly data: Buffer;
  readonly uncompressed: boolean;
  readonly blockMax: number;
  /** The block may reference up to 64 KiB of the previous output of the same frame. */
  readonly linked: boolean;
  readonly firstInFrame: boolean;
}

/** Parses the frame structure (no decompression); gives the blocks and an output size bound. */
function lz4ParseFrames(data: Buffer, maxBytes: number): { blocks: Lz4Block[]; bound: number } {
  const fail = (msg: string): never => {
    throw new CompressionError(CompressionCodec.LZ4, msg);
  };
  const blocks: Lz4Block[] = [];
  let bound = 0;
  let pos = 0;
  if (data.length === 0) fail('empty input');
  while (pos < data.length) {
    if (data.length - pos < 4) fail('truncated frame magic');
    const magic = data.readUInt32LE(pos);
    pos += 4;
    if ((magic & LZ4_SKIPPABLE_MAGIC_MASK) >>> 0 === LZ4_SKIPPABLE_MAGIC) {
      if (data.length - pos < 4) fail('truncated skippable frame');
      const size = data.readUInt32LE(pos);
      pos += 4;
      if (size > data.length - pos) fail('truncated skippable frame');
      pos += size;
      continue;
    }
    if (magic !== LZ4_FRAME_MAGIC) fail(`bad frame magic 0x${magic.toString(16)}`);
    if (data.length - pos < 3) fail('truncated frame descriptor');
    const flg = data[pos]!;
    const bd = data[pos + 1]!;
    pos += 2;
    if (flg >> 6 !== 1) fail('unsupported frame version');
    const linked = (flg & 0x20) === 0;
    const blockChecksum = (flg & 0x10) !== 0;
    const hasContentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const hasDictId = (flg & 0x01) !== 0;
    const blockMax = LZ4_BLOCK_MAX[(bd >> 4) & 0x07] ?? 0;
    if (blockMax === 0) fail('bad block maximum size');
    if (hasContentSize) {
      if (data.length - pos < 8) fail('truncated frame descriptor');
      const hi = data.readUInt32LE(pos + 4);
      const lo = data.readUInt32LE(pos);
      if (hi !== 0 || lo > maxBytes) throw new DecompressionLimitError(CompressionCodec.LZ4, maxBytes);
      pos += 8;
    }
    if (hasDictId) fail('dictionaries are not supported');
    pos += 1; // header checksum (verified by the native decoder on the fast path)
    let first = true;
    for (;;) {
      if (data.length - pos < 4) fail('truncated block size');
      const word = data.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break; // end mark
      const uncompressed = (word & 0x80000000) !== 0;
      const size = word & 0x7fffffff;
      if (size > data.length - pos) fail('truncated block');
      if (size > blockMax) fail('block larger than the frame block maximum');
      blocks.push({ data: data.subarray(pos, pos + size), uncompressed, blockMax, linked, firstInFrame: first });
      first = false;
      bound += uncompressed ? size : blockMax;
      pos += size + (blockChecksum ? 4 : 0);
    }
    pos += contentChecksum ? 4 : 0;
    if (pos > data.length) fail('truncated frame checksum');
  }
  return { blocks, bound };
}

function lz4Decompress(data: Buffer, maxBytes: number): Buffer {
  const { blocks, bound } = lz4ParseFrames(data, maxBytes);
  if (bound <= maxBytes) {
    // Common case: the whole output is known to fit; one native call (also checks checksums).
    try {
      return lz4().decompressFrameSync(data);
    } catch (err) {
      throw new CompressionError(CompressionCodec.LZ4, String((err as Error).message ?? err), { cause: err });
    }
  }
  // The output might exceed the limit: decode block by block, never past the limit.
  const out: Buffer[] = [];
  let total = 0;
  let prev: Buffer | null = null; // previous output block of the current frame (dictionary for linked blocks)
  for (const block of blocks) {
    if (block.firstInFrame) prev = null;
    const remaining = maxBytes - total;
    let decoded: Buffer;
    if (block.uncompressed) {
      if (block.data.length > remaining) throw new DecompressionLimitError(CompressionCodec.LZ4, maxBytes);
      decoded = block.data;
    } else {
      const capacity = Math.min(block.blockMax, remaining);
      const input = Buffer.allocUnsafe(4 + block.data.length);
      input.writeUInt32LE(capacity, 0);
      block.data.copy(input, 4);
      const dict = block.linked && prev !== null ? lz4DictWindow(out, prev) : undefined;
      try {
        decoded = dict === undefined ? lz4().uncompressSync(input) : lz4().uncompressSync(input, dict);
      } catch (err) {
        if (capacity < block.blockMax) throw new DecompressionLimitError(CompressionCodec.LZ4, maxBytes);
        throw new CompressionError(CompressionCodec.LZ4, String((err as Error).message ?? err), { cause: err });
      }
    }
    total += decoded.length;
    out.push(decoded);
    prev = decoded;
  }
  return Buffer.concat(out, total);
}

/** The last 64 KiB of output produced so far (the window a linked block may reference). */
function lz4DictWindow(out: readonly Buffer[], prev: Buffer): Buffer {
  if (prev.length >= LZ4_DICT_WINDOW || out.length === 1) return prev.subarray(Math.max(0, prev.length - LZ4_DICT_WINDOW));
  const parts: Buffer[] = [];
  let have = 0;
  for (let i = out.length - 1; i >= 0 && have < LZ4_DICT_WINDOW; i--) {
    parts.unshift(out[i]!);
    have += out[i]!.length;
  }
  const joined = Buffer.concat(parts, have);
  return joined.subarray(Math.max(0, joined.length - LZ4_DICT_WINDOW));
}

// --- zstd

const ZSTD_OUT_CHUNK = 256 * 1024;
let zstdDctx: InstanceType<typeof ZstdBindingModule.DCtx> | null = null;

function zstdDecompress(data: Buffer, maxBytes: number): Buffer {
  const binding = zstdBinding();
  zstdDctx ??= new binding.DCtx();
  const dctx = zstdDctx;
  const out: Buffer[] = [];
  let total = 0;
  let src = data;
  try {
    dctx.reset(binding.ResetDirective.sessionOnly);
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(ZSTD_OUT_CHUNK, maxBytes - total + 1));
      const [ret, produced, consumed] = dctx.decompressStream(chunk, src);
      src = src.subarray(consumed);
      if (produced > 0) {
        total += produced;
        if (total > maxBytes) throw new DecompressionLimitError(CompressionCodec.ZSTD, maxBytes);
        out.push(chunk.subarray(0, produced));
      }
      if (src.length === 0 && ret === 0) break; // all frames complete and flushed
      if (produced === 0 && consumed === 0) throw new CompressionError(CompressionCodec.ZSTD, 'truncated frame');
    }
  } catch (err) {
    dctx.reset(binding.ResetDirective.sessionOnly);
    if (err instanceof CompressionError) throw err;
    throw new CompressionError(CompressionCodec.ZSTD, String((err as Error).message ?? err), { cause: err });
  }
  return out.length === 1 ? out[0]! : Buffer.concat(out, total);
}
