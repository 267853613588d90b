/**
 * Big-endian writer for the Kafka wire protocol.
 *
 * Small fields go into a growable buffer; byte payloads of LARGE_CHUNK bytes or more (records,
 * large bytes fields) are kept as separate chunks without copying. The frame length of the
 * result is `writer.length` (the sum of the chunk lengths).
 */

/** Payloads at least this big are referenced as their own chunk instead of being copied. */
export const LARGE_CHUNK = 1024;

const MAX_SEGMENT = 64 * 1024;
const UUID_RE = /^[0-9a-fA-F]{32}$/;

/** Bytes taken by an unsigned varint (value in [0, 2^32)). */
export function unsignedVarintSize(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/** Bytes taken by a zig-zag varint (int32). */
export function varintSize(value: number): number {
  return unsignedVarintSize(((value << 1) ^ (value >> 31)) >>> 0);
}

/** Bytes taken by a zig-zag varlong (int64). */
export function varlongSize(value: bigint): number {
  let u = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  let n = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    n++;
  }
  return n;
}

/**
 * A value the requested version cannot carry: what Kafka's generated write() throws as
 * UnsupportedVersionException. A programmer error in whoever built the message.
 */
export class UnsupportedVersionError extends Error {
  override readonly name = 'UnsupportedVersionError';
}

/** For generated encoders: a non-ignorable field set to a non-default value at a version without it. */
export function nonDefaultFieldError(message: string, field: string, version: number, versions: string): UnsupportedVersionError {
  return new UnsupportedVersionError(
    `Attempted to write a non-default ${field} at version ${version} of ${message} (the field is in versions ${versions})`,
  );
}

export class Writer {
  private readonly chunks: Buffer[] = [];
  private flushed = 0;
  private buf: Buffer;
  private start = 0;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialSize));
  }

  /** Total bytes written so far. */
  get length(): number {
    return this.flushed + this.pos - this.start;
  }

  private flushSegment(): void {
    if (this.pos > this.start) {
      const seg = this.buf.subarray(this.start, this.pos);
      this.chunks.push(seg);
      this.flushed += seg.length;
      this.start = this.pos;
    }
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flushSegment();
    this.buf = Buffer.allocUnsafe(Math.max(n, Math.min(this.buf.length * 2, MAX_SEGMENT)));
    this.start = 0;
    this.pos = 0;
  }

  /** The written bytes as a list of buffers (views, not copies). */
  toChunks(): Buffer[] {
    const out = this.chunks.slice();
    if (this.pos > this.start) out.push(this.buf.subarray(this.start, this.pos));
    return out;
  }

  /** The written bytes as one buffer (copies unless there is a single chunk). */
  toBuffer(): Buffer {
    const c = this.toChunks();
    if (c.length === 1) return c[0]!;
    return Buffer.concat(c, this.length);
  }

  /** Appends bytes verbatim (large ones as their own chunk, small ones copied). */
  writeRaw(b: Buffer): void {
    if (b.length >= LARGE_CHUNK) {
      this.flushSegment();
      this.chunks.push(b);
      this.flushed += b.length;
    } else {
      this.ensure(b.length);
      b.copy(this.buf, this.pos);
      this.pos += b.length;
    }
  }

  /** Appends everything another writer holds (its chunks are referenced, not copied). */
  writeWriter(other: Writer): void {
    for (const c of other.toChunks()) this.writeRaw(c);
  }

  writeInt8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  writeBool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  writeInt16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = (v >> 8) & 0xff;
    b[p + 1] = v & 0xff;
    this.pos = p + 2;
  }

  writeUint16(v: number): void {
    this.writeInt16(v);
  }

  writeInt32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = (v >>> 24) & 0xff;
    b[p + 1] = (v >>> 16) & 0xff;
    b[p + 2] = (v >>> 8) & 0xff;
    b[p + 3] = v & 0xff;
    this.pos = p + 4;
  }

  writeUint32(v: number): void {
    this.writeInt32(v);
  }

  writeInt64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(BigInt.asIntN(64, v), this.pos);
    this.pos += 8;
  }

  writeFloat64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  /** A uuid given as 32 hex characters (all zeros = none). */
  writeUuid(v: string): void {
    if (!UUID_RE.test(v)) throw new TypeError(`uuid must be 32 hex characters, got ${JSON.stringify(v)}`);
    this.ensure(16);
    this.buf.write(v, this.pos, 16, 'hex');
    this.pos += 16;
  }

  /** Unsigned varint, value in [0, 2^32). */
  writeUnsignedVarint(v: number): void {
    this.ensure(5);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    b[p++] = v;
    this.pos = p;
  }

  /** Zig-zag varint (int32). */
  writeVarint(v: number): void {
    this.writeUnsignedVarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Zig-zag varlong (int64). */
  writeVarlong(v: bigint): void {
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    if (v >= -0x10000000000000n && v < 0x10000000000000n) {
      // |v| < 2^52: the zig-zag value is < 2^53, exact in a double.
      const n = Number(v);
      let u = n >= 0 ? n * 2 : -n * 2 - 1;
      while (u >= 0x80) {
        b[p++] = (u % 128) | 0x80;
        u = Math.floor(u / 128);
      }
      b[p++] = u;
    } else {
      let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
      while (u >= 0x80n) {
        b[p++] = Number(u & 0x7fn) | 0x80;
        u >>= 7n;
      }
      b[p++] = Number(u);
    }
    this.pos = p;
  }

  private writeUtf8(s: string, n: number): void {
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, n, 'utf8');
  }

  /** STRING (int16 length) or COMPACT_STRING (uvarint length+1). */
  writeString(s: string, compact = false): void {
    const n = Buffer.byteLength(s, 'utf8');
    if (compact) this.writeUnsignedVarint(n + 1);
    else {
      if (n > 0x7fff) throw new RangeError(`string of ${n} bytes is too long`);
      this.writeInt16(n);
    }
    this.writeUtf8(s, n);
  }

  writeNullableString(s: string | null, compact = false): void {
    if (s === null) {
      if (compact) this.writeUnsignedVarint(0);
      else this.writeInt16(-1);
    } else this.writeString(s, compact);
  }

  private writeBytesPayload(b: Buffer | readonly Buffer[], compact: boolean): void {
    if (Buffer.isBuffer(b)) {
      if (compact) this.writeUnsignedVarint(b.length + 1);
      else this.writeInt32(b.length);
      this.writeRaw(b);
    } else {
      let n = 0;
      for (const c of b) n += c.length;
      if (compact) this.writeUnsignedVarint(n + 1);
      else this.writeInt32(n);
      for (const c of b) this.writeRaw(c);
    }
  }

  /** BYTES (int32 length) or COMPACT_BYTES. */
  writeBytes(b: Buffer, compact = false): void {
    this.writeBytesPayload(b, compact);
  }

  writeNullableBytes(b: Buffer | null, compact = false): void {
    if (b === null) {
      if (compact) this.writeUnsignedVarint(0);
      else this.writeInt32(-1);
    } else this.writeBytesPayload(b, compact);
  }

  /** RECORDS (nullable bytes); a list of buffers is written as their concatenation, uncopied. */
  writeRecords(b: Buffer | readonly Buffer[] | null, compact = false): void {
    if (b === null) {
      if (compact) this.writeUnsignedVarint(0);
      else this.writeInt32(-1);
    } else this.writeBytesPayload(b, compact);
  }

  /** Array count (-1 = null): int32, or compact uvarint(count+1). */
  writeArrayLength(n: number, compact = false): void {
    if (compact) this.writeUnsignedVarint(n + 1);
    else this.writeInt32(n);
  }

  writeArray<T>(items: readonly T[], compact: boolean, write: (item: T) => void): void {
    this.writeArrayLength(items.length, compact);
    for (let i = 0; i < items.length; i++) write(items[i]!);
  }

  writeNullableArray<T>(items: readonly T[] | null, compact: boolean, write: (item: T) => void): void {
    if (items === null) this.writeArrayLength(-1, compact);
    else this.writeArray(items, compact, write);
  }

  /** One tagged field: uvarint tag, uvarint size, then what `write` writes into a scratch writer. */
  writeTaggedField(tag: number, write: (w: Writer) => void): void {
    const t = new Writer(64);
    write(t);
    this.writeUnsignedVarint(tag);
    this.writeUnsignedVarint(t.length);
    this.writeWriter(t);
  }

  /** An empty tagged-field section. */
  writeEmptyTaggedFields(): void {
    this.writeInt8(0);
  }
}
