/**
 * Bounds-checked big-endian reader for the Kafka wire protocol.
 *
 * Every read checks the remaining bytes first; any malformed input throws ProtocolDecodeError (and
 * nothing else) before anything is allocated. Bytes and records are zero-copy `subarray` views of
 * the input buffer, so they stay valid only as long as the caller keeps that buffer unchanged.
 */

export class ProtocolDecodeError extends Error {
  override name = 'ProtocolDecodeError';
}

/** The all-zero uuid ("no id"), the default of uuid fields. */
export const ZERO_UUID = '00000000000000000000000000000000';

/** Shared empty buffer, the default of non-nullable bytes fields. */
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

export class Reader {
  readonly buf: Buffer;
  /** Absolute offset of the next byte to read. */
  pos: number;
  /** Absolute offset one past the last readable byte. */
  readonly end: number;

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    if (offset < 0 || end > buf.length || offset > end) throw new RangeError('Reader: bad bounds');
    this.buf = buf;
    this.pos = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws unless n more bytes are available. */
  need(n: number): void {
    if (n > this.end - this.pos) {
      throw new ProtocolDecodeError(`need ${n} bytes at offset ${this.pos}, only ${this.end - this.pos} left`);
    }
  }

  skip(n: number): void {
    if (n < 0) throw new ProtocolDecodeError(`negative skip ${n}`);
    this.need(n);
    this.pos += n;
  }

  /** A zero-copy view of the next n bytes. */
  readRaw(n: number): Buffer {
    if (n < 0) throw new ProtocolDecodeError(`negative length ${n}`);
    this.need(n);
    const p = this.pos;
    this.pos = p + n;
    return this.buf.subarray(p, p + n);
  }

  readInt8(): number {
    this.need(1);
    return (this.buf[this.pos++]! << 24) >> 24;
  }

  readUint8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  readBool(): boolean {
    this.need(1);
    return this.buf[this.pos++] !== 0;
  }

  readInt16(): number {
    this.need(2);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return ((b[p]! << 24) | (b[p + 1]! << 16)) >> 16;
  }

  readUint16(): number {
    this.need(2);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  readInt32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  }

  readUint32(): number {
    return this.readInt32() >>> 0;
  }

  readInt64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  readFloat64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  /** 16 raw bytes as 32 lowercase hex characters. */
  readUuid(): string {
    this.need(16);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 16;
    let s = '';
    for (let i = p; i < p + 16; i++) s += HEX[b[i]!];
    return s;
  }

  /** Unsigned varint (protobuf style) of at most 32 bits / 5 bytes, as a number in [0, 2^32). */
  readUnsignedVarint(): number {
    const b = this.buf;
    const end = this.end;
    let p = this.pos;
    if (p < end) {
      const x = b[p]!;
      if (x < 0x80) {
        this.pos = p + 1;
        return x;
      }
    }
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (p >= end) throw new ProtocolDecodeError(`truncated varint at offset ${this.pos}`);
      const x = b[p++]!;
      if (shift === 28 && x > 0x0f) throw new ProtocolDecodeError(`varint too long at offset ${this.pos}`);
      value += (x & 0x7f) * 2 ** shift;
      if (x < 0x80) {
        this.pos = p;
        return value;
      }
    }
    throw new ProtocolDecodeError(`varint too long at offset ${this.pos}`);
  }

  /** Zig-zag varint (int32). */
  readVarint(): number {
    const u = this.readUnsignedVarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zig-zag varlong (int64), at most 10 bytes. */
  readVarlong(): bigint {
    const b = this.buf;
    const end = this.end;
    let p = this.pos;
    let value = 0;
    let shift = 0;
    // Fast path: up to 7 bytes (49 bits) fit exactly in a double.
    for (; shift < 49; shift += 7) {
      if (p >= end) throw new ProtocolDecodeError(`truncated varlong at offset ${this.pos}`);
      const x = b[p++]!;
      value += (x & 0x7f) * 2 ** shift;
      if (x < 0x80) {
        this.pos = p;
        // zig-zag decode: even -> value/2, odd -> -(value+1)/2
        return BigInt(value % 2 === 0 ? value / 2 : -(value + 1) / 2);
      }
    }
    let big = BigInt(value);
    for (; shift < 70; shift += 7) {
      if (p >= end) throw new ProtocolDecodeError(`truncated varlong at offset ${this.pos}`);
      const x = b[p++]!;
      if (shift === 63 && x > 0x01) throw new ProtocolDecodeError(`varlong too long at offset ${this.pos}`);
      big |= BigInt(x & 0x7f) << BigInt(shift);
      if (x < 0x80) {
        this.pos = p;
        return (big >> 1n) ^ -(big & 1n);
      }
    }
    throw new ProtocolDecodeError(`varlong too long at offset ${this.pos}`);
  }

  /** Length prefix: classic int16/int32 or compact uvarint(length+1). Returns -1 for null. */
  private len(compact: boolean, wide: boolean): number {
    let n: number;
    if (compact) n = this.readUnsignedVarint() - 1;
    else n = wide ? this.readInt32() : this.readInt16();
    if (n < -1) throw new ProtocolDecodeError(`negative length ${n} at offset ${this.pos}`);
    if (n > this.end - this.pos) {
      throw new ProtocolDecodeError(`length ${n} exceeds the ${this.end - this.pos} remaining bytes at offset ${this.pos}`);
    }
    return n;
  }

  private str(n: number): string {
    const p = this.pos;
    this.pos = p + n;
    return this.buf.toString('utf8', p, p + n);
  }

  readString(compact = false): string {
    const n = this.len(compact, false);
    if (n < 0) throw new ProtocolDecodeError(`null in a non-nullable string at offset ${this.pos}`);
    return this.str(n);
  }

  readNullableString(compact = false): string | null {
    const n = this.len(compact, false);
    return n < 0 ? null : this.str(n);
  }

  readBytes(compact = false): Buffer {
    const n = this.len(compact, true);
    if (n < 0) throw new ProtocolDecodeError(`null in non-nullable bytes at offset ${this.pos}`);
    return this.readRaw(n);
  }

  readNullableBytes(compact = false): Buffer | null {
    const n = this.len(compact, true);
    return n < 0 ? null : this.readRaw(n);
  }

  /** Records are nullable bytes (a zero-copy view of the record batches). */
  readRecords(compact = false): Buffer | null {
    return this.readNullableBytes(compact);
  }

  /**
   * Array element count (-1 = null). The count is checked against the remaining bytes (each
   * element takes at least one byte), so a bogus count cannot make the caller allocate.
   */
  readArrayLength(compact = false): number {
    return this.len(compact, true);
  }

  readArray<T>(compact: boolean, read: () => T): T[] {
    const n = this.len(compact, true);
    if (n < 0) throw new ProtocolDecodeError(`null in a non-nullable array at offset ${this.pos}`);
    const a: T[] = [];
    for (let i = 0; i < n; i++) a.push(read());
    return a;
  }

  readNullableArray<T>(compact: boolean, read: () => T): T[] | null {
    const n = this.len(compact, true);
    if (n < 0) return null;
    const a: T[] = [];
    for (let i = 0; i < n; i++) a.push(read());
    return a;
  }

  /** Nullable struct marker (int8: -1 = null, otherwise present). */
  readStructPresent(): boolean {
    return this.readInt8() >= 0;
  }

  /** Skips a whole tagged-field section (all tags unknown). */
  skipTaggedFields(): void {
    for (let n = this.readUnsignedVarint(); n > 0; n--) {
      this.readUnsignedVarint();
      this.skip(this.readUnsignedVarint());
    }
  }

  /**
   * Reads the size of one tagged field (after its tag) and returns the absolute offset where the
   * field ends. Pass that offset to endTaggedField after reading (or not reading) the value.
   */
  readTaggedFieldEnd(): number {
    const size = this.readUnsignedVarint();
    this.need(size);
    return this.pos + size;
  }

  /** Moves to the end of a tagged field; throws if its value overran the declared size. */
  endTaggedField(end: number): void {
    if (this.pos > end) throw new ProtocolDecodeError(`tagged field overran its size at offset ${end}`);
    this.pos = end;
  }
}
