import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reader } from './reader.js';
import { LARGE_CHUNK, Writer, unsignedVarintSize, varintSize, varlongSize } from './writer.js';

const hexOf = (w: Writer): string => w.toBuffer().toString('hex');

test('fixed-width integers, bool, float64, uuid', () => {
  const w = new Writer(1); // forces growth on nearly every write
  w.writeInt8(-1);
  w.writeInt16(-2);
  w.writeUint16(65535);
  w.writeInt32(-2147483648);
  w.writeUint32(4294967295);
  w.writeInt64(-1n);
  w.writeInt64(9223372036854775807n);
  w.writeBool(true);
  w.writeFloat64(1.5);
  w.writeUuid('000102030405060708090A0B0C0D0E0F');
  assert.equal(
    hexOf(w),
    'ff' +
      'fffe' +
      'ffff' +
      '80000000' +
      'ffffffff' +
      'ffffffffffffffff' +
      '7fffffffffffffff' +
      '01' +
      '3ff8000000000000' +
      '000102030405060708090a0b0c0d0e0f',
  );
  assert.equal(w.length, 1 + 2 + 2 + 4 + 4 + 8 + 8 + 1 + 8 + 16);
  assert.throws(() => w.writeUuid('abc'), TypeError);
});

test('unsigned varints and sizes', () => {
  const cases: [number, string][] = [
    [0, '00'],
    [127, '7f'],
    [128, '8001'],
    [16384, '808001'],
    [2 ** 28, '8080808001'],
    [2 ** 32 - 1, 'ffffffff0f'],
  ];
  for (const [v, h] of cases) {
    const w = new Writer();
    w.writeUnsignedVarint(v);
    assert.equal(hexOf(w), h);
    assert.equal(unsignedVarintSize(v), h.length / 2);
  }
  assert.equal(varintSize(-1), 1);
  assert.equal(varintSize(-2147483648), 5);
  assert.equal(varlongSize(-9223372036854775808n), 10);
  assert.equal(varlongSize(63n), 1);
  assert.equal(varlongSize(64n), 2);
});

test('strings: classic, compact, nullable, UTF-8 lengths in bytes', () => {
  const w = new Writer();
  w.writeString('abc');
  w.writeNullableString(null);
  w.writeString('é', true);
  w.writeNullableString(null, true);
  w.writeNullableString('', true);
  assert.equal(hexOf(w), '0003616263' + 'ffff' + '03c3a9' + '00' + '01');
  assert.throws(() => new Writer().writeString('x'.repeat(40000)), RangeError);
});

test('small bytes are copied, large payloads stay separate chunks (no copy)', () => {
  const small = Buffer.from([1, 2, 3]);
  const big = Buffer.alloc(LARGE_CHUNK, 7);
  const w = new Writer();
  w.writeBytes(small);
  w.writeRecords(big, true);
  w.writeInt8(9);
  w.writeNullableBytes(null);
  w.writeRecords(null, true);
  const chunks = w.toChunks();
  assert.equal(chunks.length, 3);
  assert.equal(chunks[1], big, 'the large payload is the very same Buffer');
  assert.equal(chunks[0]!.toString('hex'), '00000003010203' + '8108'); // uvarint(1025)
  assert.equal(chunks[2]!.toString('hex'), '09' + 'ffffffff' + '00');
  assert.equal(w.length, 7 + 2 + LARGE_CHUNK + 1 + 4 + 1);
  small[0] = 99;
  assert.equal(w.toBuffer()[4], 1, 'small payloads were copied');
});

test('records given as a list of buffers: one length prefix, chunks referenced', () => {
  const a = Buffer.alloc(2000, 1);
  const b = Buffer.alloc(10, 2);
  const c = Buffer.alloc(3000, 3);
  const w = new Writer();
  w.writeRecords([a, b, c]);
  const chunks = w.toChunks();
  assert.ok(chunks.includes(a) && chunks.includes(c));
  const r = new Reader(w.toBuffer());
  const rec = r.readRecords();
  assert.ok(rec !== null);
  assert.deepEqual(rec, Buffer.concat([a, b, c]));
  assert.equal(r.remaining, 0);
  const e = new Writer();
  e.writeRecords([], true);
  assert.equal(hexOf(e), '01');
});

test('arrays and tagged fields', () => {
  const w = new Writer();
  w.writeArray([1, 2], false, (x) => w.writeInt16(x));
  w.writeArray([3], true, (x) => w.writeInt8(x));
  w.writeNullableArray(null, true, (x: number) => w.writeInt8(x));
  w.writeNullableArray(null, false, (x: number) => w.writeInt8(x));
  w.writeUnsignedVarint(1);
  w.writeTaggedField(3, (t) => t.writeInt32(5));
  w.writeEmptyTaggedFields();
  assert.equal(hexOf(w), '00000002 0001 0002  02 03  00  ffffffff  01 03 04 00000005  00'.replace(/ /g, ''));
});

test('toChunks/toBuffer agree with any mix of writes (property)', () => {
  const op = fc.oneof(
    fc.integer({ min: -128, max: 127 }).map((v) => (w: Writer) => w.writeInt8(v)),
    fc.integer().map((v) => (w: Writer) => w.writeInt32(v)),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => (w: Writer) => w.writeVarlong(v)),
    fc.string({ maxLength: 20 }).map((s) => (w: Writer) => w.writeString(s, true)),
    fc.integer({ min: 0, max: 5000 }).map((n) => (w: Writer) => w.writeBytes(Buffer.alloc(n, n & 0xff))),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 30 }), fc.integer({ min: 1, max: 512 }), (ops, initial) => {
      const a = new Writer(initial);
      const b = new Writer(100000);
      for (const f of ops) {
        f(a);
        f(b);
      }
      const chunks = a.toChunks();
      assert.equal(
        chunks.reduce((n, c) => n + c.length, 0),
        a.length,
      );
      assert.deepEqual(Buffer.concat(chunks), b.toBuffer());
      assert.deepEqual(a.toBuffer(), b.toBuffer());
    }),
  );
});

test('writes after toChunks do not disturb returned chunks', () => {
  const w = new Writer(8);
  w.writeInt32(1);
  const first = w.toChunks();
  w.writeInt32(2);
  w.writeInt32(3);
  assert.equal(Buffer.concat(first).toString('hex'), '00000001');
  assert.equal(hexOf(w), '000000010000000200000003');
});
