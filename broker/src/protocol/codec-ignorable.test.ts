import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeApiVersionsResponse,
  encodeBeginQuorumEpochResponse,
  encodeMetadataResponse,
  MESSAGE_DESCRIPTORS,
  type FieldDescriptor,
  type MessageDescriptor,
} from './generated/index.js';
import { UnsupportedVersionError, Writer } from './writer.js';
import { codecOf, defaultValue, inRange, versionsOf, type Obj } from './fixtures/descriptor-arbitrary.js';

// Kafka's generated write() refuses a non-default value for a field the version lacks
// (UnsupportedVersionException "Attempted to write a non-default X at version N") unless the
// schema marks the field "ignorable"; so do ours.

function bytes(encode: (w: Writer) => void): string {
  const w = new Writer();
  encode(w);
  return w.toBuffer().toString('hex');
}

test('a non-ignorable field set at a version without it is refused, naming message, field and version', () => {
  // ClusterAuthorizedOperations: versions 8-10, not ignorable
  for (const v of [7, 11]) {
    assert.throws(
      () => bytes((w) => encodeMetadataResponse(w, v, { clusterAuthorizedOperations: 0x1f })),
      (e: unknown) =>
        e instanceof UnsupportedVersionError &&
        e.message ===
          `Attempted to write a non-default clusterAuthorizedOperations at version ${v} of MetadataResponse (the field is in versions 8-10)`,
    );
  }
  // in a nested struct
  assert.throws(
    () => bytes((w) => encodeMetadataResponse(w, 7, { topics: [{ name: 't', topicAuthorizedOperations: 8 }] })),
    /^UnsupportedVersionError: Attempted to write a non-default MetadataResponseTopic\.topicAuthorizedOperations at version 7 of MetadataResponse \(the field is in versions 8\+\)$/,
  );
  // the default value is no value: written nowhere, refused nowhere
  const plain = bytes((w) => encodeMetadataResponse(w, 7, {}));
  assert.equal(
    bytes((w) => encodeMetadataResponse(w, 7, { clusterAuthorizedOperations: -2147483648 })),
    plain,
  );
  assert.ok(bytes((w) => encodeMetadataResponse(w, 8, { clusterAuthorizedOperations: 0x1f })).length > plain.length);
});

test('an ignorable field set at a version without it is dropped silently', () => {
  // ThrottleTimeMs: versions 3+, ignorable
  assert.equal(
    bytes((w) => encodeMetadataResponse(w, 2, { throttleTimeMs: 100 })),
    bytes((w) => encodeMetadataResponse(w, 2, {})),
  );
  // FinalizedFeaturesEpoch: tagged 3+, ignorable
  assert.equal(
    bytes((w) => encodeApiVersionsResponse(w, 2, { finalizedFeaturesEpoch: 5n, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] })),
    bytes((w) => encodeApiVersionsResponse(w, 2, { apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] })),
  );
});

test('a non-ignorable tagged field outside its taggedVersions is refused', () => {
  // NodeEndpoints: tagged 1+, not ignorable
  const endpoints = [{ nodeId: 1, host: 'h', port: 9093 }];
  assert.throws(
    () => bytes((w) => encodeBeginQuorumEpochResponse(w, 0, { nodeEndpoints: endpoints })),
    /non-default nodeEndpoints at version 0 of BeginQuorumEpochResponse \(the field is in versions tagged 1\+\)/,
  );
  assert.doesNotThrow(() => bytes((w) => encodeBeginQuorumEpochResponse(w, 0, { nodeEndpoints: [] })));
  assert.ok(bytes((w) => encodeBeginQuorumEpochResponse(w, 1, { nodeEndpoints: endpoints })).includes('2385')); // port 9093
});

/** A value different from the field's default (what Kafka's non-default check sees as set). */
function nonDefaultValue(f: FieldDescriptor): unknown {
  const d = defaultValue(f);
  if (f.type.startsWith('[]')) {
    const e = f.type.slice(2);
    return [e === 'struct' ? {} : nonDefaultValue({ name: 'e', type: e, versions: f.versions })];
  }
  switch (f.type) {
    case 'int64':
      return d === 0n ? 1n : 0n;
    case 'bool':
      return d !== true;
    case 'string':
      return d === 'x' ? 'y' : 'x';
    case 'uuid':
      return '0123456789abcdef0123456789abcdef';
    case 'bytes':
    case 'records':
      return Buffer.from([1]);
    case 'struct': {
      const first = f.fields?.[0];
      return first === undefined ? null : { [first.name]: nonDefaultValue(first) };
    }
    default:
      return d === 0 ? 1 : 0;
  }
}

interface Case {
  message: MessageDescriptor;
  version: number;
  field: FieldDescriptor;
  /** The message with the field set, and without. */
  withField: Obj;
  without: Obj;
}

/** Every field absent at version v, at any depth reachable through fields present at v. */
function absentFieldCases(d: MessageDescriptor, v: number): Case[] {
  const out: Case[] = [];
  const visit = (fields: readonly FieldDescriptor[], wrap: (o: Obj) => Obj, depth: number): void => {
    for (const f of fields) {
      const present = inRange(f.versions, v) && (f.tag === undefined || inRange(f.taggedVersions, v));
      if (!present) {
        const value = nonDefaultValue(f);
        if (value !== null) out.push({ message: d, version: v, field: f, withField: wrap({ [f.name]: value }), without: wrap({}) });
      } else if (f.fields !== undefined && depth < 4) {
        const isArray = f.type.startsWith('[]');
        visit(f.fields, (o) => wrap({ [f.name]: isArray ? [o] : o }), depth + 1);
      }
    }
  };
  visit(d.fields, (o) => o, 0);
  return out;
}

test('every message at every version: absent ignorable fields are dropped, the others refused', () => {
  let refused = 0;
  let dropped = 0;
  for (const d of MESSAGE_DESCRIPTORS) {
    const c = codecOf(d);
    for (const v of versionsOf(d)) {
      for (const k of absentFieldCases(d, v)) {
        const what = `${d.name} v${v} ${k.field.name}`;
        const encode = (m: Obj) => bytes((w) => c.encode(w, v, m));
        if (k.field.ignorable === true) {
          assert.equal(encode(k.withField), encode(k.without), `${what} is ignorable: dropped`);
          dropped++;
        } else {
          assert.throws(
            () => encode(k.withField),
            (e: unknown) =>
              e instanceof UnsupportedVersionError &&
              e.message.includes(`non-default `) &&
              e.message.includes(`${k.field.name} at version ${v} of ${d.name} `),
            what,
          );
          refused++;
        }
      }
    }
  }
  assert.ok(refused > 300 && dropped > 300, `refused ${refused}, dropped ${dropped}`);
});
