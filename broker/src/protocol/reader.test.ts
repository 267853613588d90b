import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProtocolDecodeError, Reader, ZERO_UUID } from './reader.js';
import { Writer } from './writer.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const rd = (s: string): Reader => new Reader(hex(s));
const throwsDecode = (f: () => unknown): void => assert.throws(f, ProtocolDecodeError);

test("fixed-width integers are big-endian two's complement", () => {
  const r = rd('ff 80 7f  ff fe  80 00  ff ff  80 00 00 00  ff ff ff ff  7f ff ff ff ff ff ff ff  80 00 00 00 00 00 00 00');
  assert.equal(r.readInt8(), -1);
  assert.equal(r.readInt8(), -128);
  assert.equal(r.readInt8(), 127);
  assert.equal(r.readInt16(), -2);
  assert.equal(r.readInt16(), -32768);
  assert.equal(r.readUint16(), 65535);
  assert.equal(r.readInt32(), -2147483648);
  assert.equal(r.readUint32(), 4294967295);
  assert.equal(r.readInt64(), 9223372036854775807n);
  assert.equal(r.readInt64(), -9223372036854775808n);
  assert.equal(r.remaining, 0);
  throwsDecode(() => r.readInt8());
});

test('bool, float64 and uuid', () => {
  const r = rd('00 01 02  3ff8000000000000  000102030405060708090a0b0c0d0e0f  00000000000000000000000000000000');
  assert.equal(r.readBool(), false);
  assert.equal(r.readBool(), true);
  assert.equal(r.readBool(), true);
  assert.equal(r.readFloat64(), 1.5);
  assert.equal(r.readUuid(), '000102030405060708090a0b0c0d0e0f');
  assert.equal(r.readUuid(), ZERO_UUID);
});

test('every fixed-width read past the end throws ProtocolDecodeError', () => {
  const reads: ((r: Reader) => unknown)[] = [
    (r) => r.readInt16(),
    (r) => r.readUint16(),
    (r) => r.readInt32(),
    (r) => r.readUint32(),
    (r) => r.readInt64(),
    (r) => r.readFloat64(),
    (r) => r.readUuid(),
  ];
  for (const read of reads) {
    throwsDecode(() => read(rd('')));
    throwsDecode(() => read(rd('01')));
  }
  throwsDecode(() => rd('').readBool());
  throwsDecode(() => rd('0102').readRaw(3));
  throwsDecode(() => rd('0102').skip(3));
});

test('unsigned varints: 1..5 bytes, limits and malformed input', () => {
  const cases: [string, number][] = [
    ['00', 0],
    ['01', 1],
    ['7f', 127],
    ['8001', 128],
    ['ff7f', 16383],
    ['808001', 16384],
    ['ffffff7f', 2 ** 28 - 1],
    ['8080808001', 2 ** 28],
    ['ffffffff07', 2 ** 31 - 1],
    ['ffffffff0f', 2 ** 32 - 1],
  ];
  for (const [h, v] of cases) {
    const r = rd(h);
    assert.equal(r.readUnsignedVarint(), v, h);
    assert.equal(r.remaining, 0, h);
  }
  throwsDecode(() => rd('80').readUnsignedVarint()); // truncated
  throwsDecode(() => rd('ffffffff').readUnsignedVarint());
  throwsDecode(() => rd('ffffffff10').readUnsignedVarint()); // > 32 bits
  throwsDecode(() => rd('8080808080').readUnsignedVarint()); // 6th byte would follow
});

test('zig-zag varints (int32)', () => {
  const cases: [string, number][] = [
    ['00', 0],
    ['01', -1],
    ['02', 1],
    ['03', -2],
    ['7f', -64],
    ['8001', 64],
    ['feffffff0f', 2147483647],
    ['ffffffff0f', -2147483648],
  ];
  for (const [h, v] of cases) {
    assert.equal(rd(h).readVarint(), v, h);
    const w = new Writer();
    w.writeVarint(v);
    assert.equal(w.toBuffer().toString('hex'), h);
  }
});

test('zig-zag varlongs (int64), including 10-byte Long.MIN/MAX', () => {
  const cases: [string, bigint][] = [
    ['00', 0n],
    ['01', -1n],
    ['02', 1n],
    ['feffffff0f', 2147483647n],
    ['ffffffff0f', -2147483648n],
    ['80808080808080808001', 2n ** 62n], // zig-zag 2^63 needs the 10th byte
    ['feffffffffffffffff01', 9223372036854775807n],
    ['ffffffffffffffffff01', -9223372036854775808n],
    ['feffffffffffff0f', 2n ** 52n - 1n], // fast-path boundary: zig-zag 2^53 - 2
    ['8080808080808010', 2n ** 52n],
    ['ffffffffffffff0f', -(2n ** 52n)],
  ];
  for (const [h, v] of cases) {
    const r = rd(h);
    assert.equal(r.readVarlong(), v, h);
    assert.equal(r.remaining, 0, h);
    const w = new Writer();
    w.writeVarlong(v);
    assert.equal(w.toBuffer().toString('hex'), h, String(v));
  }
  throwsDecode(() => rd('ffffffffffffffffff02').readVarlong()); // > 64 bits
  throwsDecode(() => rd('ffffffffffffffffffff01').readVarlong()); // 11 bytes
  throwsDecode(() => rd('ffffffffffffff').readVarlong()); // truncated in the fast path
  throwsDecode(() => rd('ffffffffffffffffff').readVarlong()); // truncated in the slow path
});

test('varint/varlong round trip (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.nat({ max: 2 ** 32 - 1 }),
      (i, l, u) => {
        const w = new Writer(4);
        w.writeVarint(i);
        w.writeVarlong(l);
        w.writeUnsignedVarint(u);
        const r = new Reader(w.toBuffer());
        assert.equal(r.readVarint(), i);
        assert.equal(r.readVarlong(), l);
        assert.equal(r.readUnsignedVarint(), u);
        assert.equal(r.remaining, 0);
      },
    ),
  );
});

test('classic and compact strings', () => {
  const r = rd('0003 616263  ffff  0000  04 78797a  00  01');
  assert.equal(r.readString(), 'abc');
  assert.equal(r.readNullableString(), null);
  assert.equal(r.readString(), '');
  assert.equal(r.readString(true), 'xyz');
  assert.equal(r.readNullableString(true), null);
  assert.equal(r.readNullableString(true), '');
  throwsDecode(() => rd('ffff').readString()); // null in a non-nullable string
  throwsDecode(() => rd('00').readString(true));
  throwsDecode(() => rd('fffe').readNullableString()); // -2
  throwsDecode(() => rd('0004616263').readString()); // longer than the rest
  throwsDecode(() => rd('05616263').readString(true));
  assert.equal(rd('0002c3a9').readString(), 'é');
});

test('bytes and records are zero-copy views; lengths are checked before allocating', () => {
  const buf = hex('00000002 abcd  03 0102  ffffffff  00  00000001 ee');
  const r = new Reader(buf);
  const b = r.readBytes();
  assert.deepEqual([...b], [0xab, 0xcd]);
  assert.equal(b.buffer, buf.buffer);
  buf[4] = 0x11;
  assert.equal(b[0], 0x11);
  assert.deepEqual([...r.readBytes(true)], [1, 2]);
  assert.equal(r.readNullableBytes(), null);
  assert.equal(r.readRecords(true), null);
  const rec = r.readRecords();
  assert.ok(rec !== null && rec.length === 1 && rec.buffer === buf.buffer);
  throwsDecode(() => rd('7fffffff').readBytes()); // 2 GiB claimed, 0 present
  throwsDecode(() => rd('ffffffff').readBytes());
  throwsDecode(() => rd('fffffffe').readNullableBytes());
  throwsDecode(() => rd('ffffffff0f').readBytes(true));
});

test('arrays: counts are checked against the remaining bytes, null only where nullable', () => {
  const r = rd('00000002 0001 0002  03 05 06  00  ffffffff');
  assert.deepEqual(
    r.readArray(false, () => r.readInt16()),
    [1, 2],
  );
  assert.deepEqual(
    r.readArray(true, () => r.readInt8()),
    [5, 6],
  );
  assert.equal(
    r.readNullableArray(true, () => r.readInt8()),
    null,
  );
  assert.equal(
    r.readNullableArray(false, () => r.readInt8()),
    null,
  );
  let calls = 0;
  throwsDecode(() => rd('7fffffff 00').readArray(false, () => calls++));
  throwsDecode(() => rd('ffffffff0f').readArray(true, () => calls++));
  throwsDecode(() => rd('00000003 0000').readArray(false, () => calls++)); // 3 claimed, 2 bytes left
  assert.equal(calls, 0, 'no element read for a bogus count');
  throwsDecode(() => rd('ffffffff').readArray(false, () => 0));
  throwsDecode(() => rd('00').readArray(true, () => 0));
  throwsDecode(() => rd('fffffffe').readNullableArray(false, () => 0));
  assert.equal(rd('0000000500000000000000').readArrayLength(), 5);
  assert.equal(rd('06 0000000000').readArrayLength(true), 5);
  throwsDecode(() => rd('00000005 00000000').readArrayLength());
});

test('tagged-field sections', () => {
  const r = rd('02  00 02 abcd  05 01 ff  07');
  r.skipTaggedFields();
  assert.equal(r.readInt8(), 7);
  throwsDecode(() => rd('01 00 05 abcd').skipTaggedFields()); // size beyond the buffer
  throwsDecode(() => rd('02 00 00').skipTaggedFields()); // count beyond the buffer
  const t = rd('00 02 0102 ff');
  t.readUnsignedVarint();
  const end = t.readTaggedFieldEnd();
  assert.equal(end, 4);
  t.readInt8();
  t.endTaggedField(end); // skips the unread byte
  assert.equal(t.readInt8(), -1);
  const o = rd('01 0102');
  const e2 = o.readTaggedFieldEnd();
  o.readInt16();
  throwsDecode(() => o.endTaggedField(e2)); // value overran its declared size
});

test('bounds are respected when the reader covers part of a buffer', () => {
  const buf = hex('0001 0002 0003');
  const r = new Reader(buf, 2, 4);
  assert.equal(r.readInt16(), 2);
  throwsDecode(() => r.readInt8());
  assert.throws(() => new Reader(buf, 4, 10), RangeError);
});
