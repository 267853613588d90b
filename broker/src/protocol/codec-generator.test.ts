import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REFERENCE_DIR, generateFiles, selectSchemas, stripJsonComments } from '../../scripts/gen-protocol.js';
import { API_KEYS, MESSAGE_DESCRIPTORS } from './generated/index.js';
import { registeredHandlers } from '../handlers/registry.js';
import '../handlers/index.js';

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'broker/src/protocol/generated/index.ts'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
}

// The same folder as codec-drift.test.ts (which fails, with a message, when it is missing).
const schemas = path.resolve(process.env['FJORD_KAFKA_SCHEMAS'] ?? path.join(repoRoot(), '../shared/kafka-protocol'));
const clients44 = path.join(schemas, REFERENCE_DIR, 'clients');

interface RawSchema {
  name: string;
  type: string;
  apiKey?: number;
  validVersions: string;
}

function readRaw(file: string): RawSchema {
  return JSON.parse(stripJsonComments(fs.readFileSync(file, 'utf8'))) as RawSchema;
}

test('every API of Kafka 4.4.0 has its request and response generated, with 4.4 version ranges', () => {
  const live = fs
    .readdirSync(clients44)
    .filter((f) => f.endsWith('Request.json'))
    .map((f) => readRaw(path.join(clients44, f)))
    .filter((m) => m.validVersions !== 'none');
  assert.ok(live.length >= 85, `${live.length} requests`);
  const names = new Set(MESSAGE_DESCRIPTORS.map((d) => d.name));
  for (const m of live) {
    const info = API_KEYS.get(m.apiKey!);
    assert.ok(info, `api key ${m.apiKey} (${m.name})`);
    assert.equal(`${info.name}Request`, m.name);
    const [lo, hi] = m.validVersions.split('-').map(Number);
    assert.deepEqual(info.validVersions, [lo, hi ?? lo], m.name);
    assert.ok(names.has(m.name.replace(/Request$/, 'Response')), `${m.name}'s response`);
  }
  assert.equal(API_KEYS.size, live.length, 'no request from elsewhere');
});

test('the Raft, KIP-848, metadata-record and quorum-state messages are generated from kafka-4.4', () => {
  const sources = new Map(selectSchemas(schemas).map((s) => [s.raw.name, s.file]));
  for (const s of sources.values()) assert.match(s, new RegExp(`^${REFERENCE_DIR}/`));
  const expect: Record<string, string> = {
    VoteRequest: 'clients',
    BeginQuorumEpochResponse: 'clients',
    EndQuorumEpochRequest: 'clients',
    DescribeQuorumResponse: 'clients',
    FetchSnapshotRequest: 'clients',
    AddRaftVoterRequest: 'clients',
    RemoveRaftVoterResponse: 'clients',
    UpdateRaftVoterRequest: 'clients',
    ConsumerGroupHeartbeatRequest: 'clients',
    ConsumerGroupDescribeResponse: 'clients',
    LeaderChangeMessage: 'clients',
    VotersRecord: 'clients',
    SnapshotHeaderRecord: 'clients',
    TopicRecord: 'metadata',
    PartitionRecord: 'metadata',
    PartitionChangeRecord: 'metadata',
    RegisterBrokerRecord: 'metadata',
    FeatureLevelRecord: 'metadata',
    QuorumStateData: 'raft',
    OffsetCommitValue: 'group-coordinator',
    GroupMetadataValue: 'group-coordinator',
    TransactionLogValue: 'transaction-coordinator',
  };
  for (const [name, folder] of Object.entries(expect)) {
    assert.equal(sources.get(name), `${REFERENCE_DIR}/${folder}/${name}.json`, name);
  }
  const kinds = new Map(MESSAGE_DESCRIPTORS.map((d) => [d.name, d]));
  assert.equal(kinds.get('TopicRecord')?.kind, 'metadata');
  assert.equal(kinds.get('TopicRecord')?.apiKey, 2, 'record type');
  assert.equal(kinds.get('OffsetCommitKey')?.kind, 'coordinator-key');
  // TransactionLogValue's tagged fields have no "versions": they take their taggedVersions
  const txn = kinds.get('TransactionLogValue')?.fields.find((f) => f.name === 'previousProducerId');
  assert.deepEqual(txn?.versions, [1, 1]);
  // the APIs Kafka 4.0 removed (validVersions "none") generate nothing
  for (const gone of ['LeaderAndIsrRequest', 'StopReplicaRequest', 'UpdateMetadataRequest', 'ControlledShutdownRequest']) {
    assert.equal(sources.has(gone), false, gone);
  }
});

test('every version a handler registers has a generated request and response codec', () => {
  const byName = new Map(MESSAGE_DESCRIPTORS.map((d) => [d.name, d]));
  const handlers = registeredHandlers();
  assert.ok(handlers.length >= 20);
  for (const h of handlers) {
    const api = API_KEYS.get(h.apiKey);
    assert.ok(api, `${h.name}: api key ${h.apiKey}`);
    for (const kind of ['Request', 'Response']) {
      const d = byName.get(api.name + kind);
      assert.ok(d, api.name + kind);
      assert.ok(
        d.validVersions[0] <= h.minVersion && h.maxVersion <= d.validVersions[1],
        `${h.name} registers v${h.minVersion}-${h.maxVersion}, the codec has ${d.name} v${d.validVersions[0]}-${d.validVersions[1]} ` +
          '(widen it with OLDER_VERSIONS in broker/scripts/gen-protocol.ts)',
      );
    }
  }
});

test('OLDER_VERSIONS widens a message from an older schema file when its layout is unchanged', () => {
  // ProduceRequest v0-2: Kafka 4.x dropped them but kept the field versions that describe them
  const widened = selectSchemas(schemas, [{ message: 'ProduceRequest', folder: 'clients' }]).find((s) => s.raw.name === 'ProduceRequest');
  assert.equal(widened?.raw.validVersions, '0-13');
  assert.equal(widened?.widenedFrom, 'clients/ProduceRequest.json');
  const files = generateFiles(schemas, [{ message: 'ProduceRequest', folder: 'clients' }]);
  const code = files.get('produce-request.ts') ?? '';
  assert.match(
    code,
    /^\/\/ Source: kafka-4\.4\/clients\/ProduceRequest\.json \(request, api key 0\), versions 0-13 \(widened from clients\/ProduceRequest\.json\), flexible 9\+\.$/m,
  );
  assert.match(code, /if \(v >= 3\) \{ w\.writeNullableString\(m\.transactionalId/, 'TransactionalId only from v3');
  assert.match(files.get('api-keys.ts') ?? '', /\[0, \{ name: 'Produce', validVersions: \[0, 13\]/);
});

test('OLDER_VERSIONS refuses to widen when 4.4 no longer describes the older layout', () => {
  // ListOffsets v0 had MaxNumOffsets, which Kafka 4.x removed from the schema
  assert.throws(
    () => selectSchemas(schemas, [{ message: 'ListOffsetsRequest', folder: 'clients' }]),
    /cannot widen ListOffsetsRequest to v0: .*\n.*MaxNumOffsets/,
  );
  assert.throws(() => selectSchemas(schemas, [{ message: 'NoSuchRequest', folder: 'clients' }]), /no message NoSuchRequest/);
  assert.throws(() => selectSchemas(schemas, [{ message: 'FetchRequest', folder: 'kafka-4.3' }]), /has no version of FetchRequest below 4/);
});
