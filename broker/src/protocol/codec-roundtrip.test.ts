import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MESSAGE_DESCRIPTORS } from './generated/schema-descriptors.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';
import { codecOf, encodedEmptyStruct, structArb, versionsOf, type Codec, type Obj } from './fixtures/descriptor-arbitrary.js';

const RUNS = Number(process.env['CODEC_ROUNDTRIP_RUNS'] ?? 25);

function roundTrip(c: Codec, v: number, m: Obj, initialWriterSize: number): Buffer {
  const w = new Writer(initialWriterSize);
  c.encode(w, v, m);
  const chunks = w.toChunks();
  const bytes = w.toBuffer();
  assert.equal(bytes.length, w.length);
  assert.equal(
    chunks.reduce((n, b) => n + b.length, 0),
    bytes.length,
  );
  const r = new Reader(bytes);
  const decoded = c.decode(r, v);
  assert.equal(r.remaining, 0, 'decoder consumed every byte');
  assert.deepStrictEqual(decoded, m);
  const w2 = new Writer();
  c.encode(w2, v, decoded);
  assert.deepStrictEqual(w2.toBuffer(), bytes, 're-encoding the decoded message gives identical bytes');
  return bytes;
}

test('descriptor table covers every generated message', () => {
  assert.ok(MESSAGE_DESCRIPTORS.length >= 200, `only ${MESSAGE_DESCRIPTORS.length} messages`);
  const names = new Set(MESSAGE_DESCRIPTORS.map((d) => d.name));
  for (const n of [
    'ProduceRequest',
    'FetchResponse',
    'ApiVersionsRequest',
    'RequestHeader',
    'ResponseHeader',
    'OffsetCommitValue',
    'GroupMetadataValue',
    'ConsumerProtocolSubscription',
  ]) {
    assert.ok(names.has(n), n);
  }
  for (const d of MESSAGE_DESCRIPTORS) codecOf(d);
});

let totalVersions = 0;
for (const d of MESSAGE_DESCRIPTORS) {
  test(`round trip ${d.name} v${d.validVersions[0]}-${d.validVersions[1]}`, () => {
    const c = codecOf(d);
    for (const v of versionsOf(d)) {
      totalVersions++;
      // Every field left out: encodes the defaults, decodes to them.
      const w = new Writer();
      c.encode(w, v, {});
      const r = new Reader(w.toBuffer());
      const empty = c.decode(r, v);
      assert.equal(r.remaining, 0, `${d.name} v${v} empty`);
      assert.deepStrictEqual(empty, encodedEmptyStruct(d.fields, v), `${d.name} v${v} empty`);
      roundTrip(c, v, empty, 256);
      // Random instances.
      fc.assert(
        fc.property(structArb(d.fields, v), fc.integer({ min: 1, max: 300 }), (m, size) => {
          roundTrip(c, v, m, size);
        }),
        { numRuns: RUNS },
      );
    }
  });
}

test('round trips covered every version of every message', () => {
  const expected = MESSAGE_DESCRIPTORS.reduce((n, d) => n + versionsOf(d).length, 0);
  assert.equal(totalVersions, expected);
});
