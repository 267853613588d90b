import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MESSAGE_DESCRIPTORS, type MessageDescriptor } from './generated/schema-descriptors.js';
import { decodeRequestHeader } from './generated/index.js';
import { ProtocolDecodeError, Reader } from './reader.js';
import { Writer } from './writer.js';
import { codecOf, structArb, versionsOf, type Codec } from './fixtures/descriptor-arbitrary.js';

// Decoding hostile bytes may only succeed or throw ProtocolDecodeError. A decoder that loops or
// allocates on a hostile count hits the tests' deadlines (no per-decode time limit: a loaded
// machine would trip it; decoding speed is for bench/).
const RUNS = Number(process.env['CODEC_FUZZ_RUNS'] ?? 40);

function decodeSafely(c: Codec, v: number, bytes: Buffer): void {
  try {
    c.decode(new Reader(bytes), v);
  } catch (e) {
    if (!(e instanceof ProtocolDecodeError)) {
      assert.fail(
        `decoder threw ${(e as Error)?.name ?? typeof e}: ${(e as Error)?.message ?? String(e)} on ${bytes.toString('hex').slice(0, 400)}`,
      );
    }
  }
}

type Mutation = (b: Buffer) => Buffer;

/** Mutations that tend to produce bogus lengths, counts, varints and truncations. */
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((i) => (b: Buffer) => b.subarray(0, b.length === 0 ? 0 : i % b.length)),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([i, x]) => (b: Buffer) => {
    const c = Buffer.from(b);
    if (c.length > 0) c[i % c.length] = x;
    return c;
  }),
  fc
    .tuple(fc.nat(), fc.constantFrom('ffffffff', '7fffffff', '80000000', '7fff', 'ffff', 'ffffffff0f', '8080808080', '00000000'))
    .map(([i, h]) => (b: Buffer) => {
      const c = Buffer.from(b);
      if (c.length > 0) Buffer.from(h, 'hex').copy(c, i % c.length);
      return c;
    }),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([i, ins]) => (b: Buffer) => {
    const at = b.length === 0 ? 0 : i % (b.length + 1);
    return Buffer.concat([b.subarray(0, at), Buffer.from(ins), b.subarray(at)]);
  }),
  fc.tuple(fc.nat(), fc.nat({ max: 8 })).map(([i, n]) => (b: Buffer) => {
    const at = b.length === 0 ? 0 : i % b.length;
    return Buffer.concat([b.subarray(0, at), b.subarray(at + n)]);
  }),
);

function fuzzMessage(d: MessageDescriptor, runs: number): void {
  const c = codecOf(d);
  for (const v of versionsOf(d)) {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (u) => decodeSafely(c, v, Buffer.from(u))),
      { numRuns: runs },
    );
    fc.assert(
      fc.property(structArb(d.fields, v), fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (m, muts) => {
        const w = new Writer();
        c.encode(w, v, m);
        let bytes = w.toBuffer();
        for (const mut of muts) bytes = mut(bytes);
        decodeSafely(c, v, bytes);
      }),
      { numRuns: runs },
    );
  }
}

const requests = MESSAGE_DESCRIPTORS.filter((d) => d.kind === 'request');

test('there are request schemas to fuzz', () => {
  assert.ok(requests.length >= 80, `${requests.length} requests`);
});

for (const d of requests) {
  test(`fuzz ${d.name}`, { timeout: 120_000 }, () => fuzzMessage(d, RUNS));
}

test('fuzz every response, header and data message (fewer runs)', { timeout: 300_000 }, () => {
  for (const d of MESSAGE_DESCRIPTORS) if (d.kind !== 'request') fuzzMessage(d, Math.max(4, RUNS >> 3));
});

test('fuzz the request header at every header version', () => {
  // v0 (no client id) left with ControlledShutdown v0: Kafka 4.x has header versions 1-2
  for (const hv of [1, 2]) {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (u) => {
        try {
          decodeRequestHeader(new Reader(Buffer.from(u)), hv);
        } catch (e) {
          assert.ok(e instanceof ProtocolDecodeError, String(e));
        }
      }),
      { numRuns: 500 },
    );
  }
});

test('the fuzz harness does notice a foreign exception', () => {
  const bad: Codec = {
    decode: () => {
      throw new RangeError('boom');
    },
    encode: () => {},
  };
  assert.throws(() => decodeSafely(bad, 0, Buffer.alloc(1)), assert.AssertionError);
});
