import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../broker.js';
import { loadBrokerConfig } from '../config/broker-config.js';
import { createLogger } from '../io/logger.js';
import { ErrorCode } from '../protocol/error-codes.js';
import * as codec from '../protocol/generated/index.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { handlerFor, type RequestInfo } from './registry.js';

/**
 * The generated encoders refuse a non-default value for a field the version lacks unless the
 * schema marks it ignorable (as Kafka's do), so a handler sets such fields only in versions that
 * have them. These are the handler responses that once relied on the fields being dropped.
 */

let broker: Broker;
let dataDir: string;
const TOPIC = 'gated';

async function call<I, O>(
  apiKey: number,
  version: number,
  encode: (w: Writer, v: number, m: I) => void,
  input: I,
  decode: (r: Reader, v: number) => O,
): Promise<O> {
  const handler = handlerFor(apiKey);
  assert.ok(handler, `no handler for API key ${apiKey}`);
  const request = new Writer();
  encode(request, version, input);
  const decoded = handler.decodeRequest(new Reader(request.toBuffer()), version);
  const info: RequestInfo = { apiKey, apiVersion: version, correlationId: 1, clientId: 'test', connectionId: 1, clientHost: '127.0.0.1' };
  const response = await handler.handle(decoded, info, broker.context);
  const out = new Writer();
  handler.encodeResponse(out, version, response);
  return decode(new Reader(out.toBuffer()), version);
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'fjord-gated-'));
  const config = loadBrokerConfig(
    null,
    new Map([
      ['listeners', 'PLAINTEXT://127.0.0.1:0'],
      ['log.dirs', dataDir],
      ['group.initial.rebalance.delay.ms', '0'],
    ]),
  );
  broker = new Broker(config, createLogger('warn'));
  await broker.start();
  const created = await call(
    19,
    7,
    codec.encodeCreateTopicsRequest,
    { topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000 },
    codec.decodeCreateTopicsResponse,
  );
  assert.equal(created.topics[0]?.errorCode, ErrorCode.NONE);
});

after(async () => {
  await broker?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('ListOffsets LeaderEpoch (v4+, not ignorable)', () => {
  for (const version of [1, 2, 3, 4, 10]) {
    it(`v${version}: ${version >= 4 ? 'carries' : 'leaves out'} the leader epoch`, async () => {
      const response = await call(
        2,
        version,
        codec.encodeListOffsetsRequest,
        { replicaId: -1, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] },
        codec.decodeListOffsetsResponse,
      );
      const partition = response.topics[0]?.partitions[0];
      assert.equal(partition?.errorCode, ErrorCode.NONE);
      assert.equal(partition?.offset, 0n);
      assert.equal(partition?.leaderEpoch, version >= 4 ? 0 : -1);
    });
  }
});

describe('Fetch CurrentLeader (tagged v12+, not ignorable)', () => {
  // CurrentLeaderEpoch (v9+) ahead of the partition's epoch 0: UNKNOWN_LEADER_EPOCH
  for (const version of [9, 11, 12]) {
    it(`v${version}: a leader-epoch error ${version >= 12 ? 'names' : 'cannot name'} the current leader`, async () => {
      const response = await call(
        1,
        version,
        codec.encodeFetchRequest,
        {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 1 << 20,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: 1, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
        },
        codec.decodeFetchResponse,
      );
      const partition = response.responses[0]?.partitions[0];
      assert.equal(partition?.errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);
      assert.deepEqual(
        partition?.currentLeader,
        version >= 12 ? { leaderId: broker.context.nodeId, leaderEpoch: 0 } : { leaderId: -1, leaderEpoch: -1 },
      );
    });
  }
});

describe('JoinGroup SkipAssignment (v9+, not ignorable)', () => {
  const protocols = [{ name: 'range', metadata: Buffer.from('subscription') }];
  const join = (version: number, group: string) =>
    call(
      11,
      version,
      codec.encodeJoinGroupRequest,
      {
        groupId: group,
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        memberId: '',
        groupInstanceId: 'static-1',
        protocolType: 'consumer',
        protocols,
      },
      codec.decodeJoinGroupResponse,
    );

  // KIP-345/814: a static leader that rejoins a stable group keeps its assignment; v9 tells it to
  // skip assigning, older versions cannot say so.
  for (const version of [5, 8, 9]) {
    it(`v${version}: a static leader rejoining ${version >= 9 ? 'is told to skip' : 'gets the members to assign again'}`, async () => {
      const group = `static-v${version}`;
      const first = await join(version, group);
      assert.equal(first.errorCode, ErrorCode.NONE);
      assert.equal(first.leader, first.memberId);
      const synced = await call(
        14,
        5,
        codec.encodeSyncGroupRequest,
        {
          groupId: group,
          generationId: first.generationId,
          memberId: first.memberId,
          groupInstanceId: 'static-1',
          protocolType: 'consumer',
          protocolName: 'range',
          assignments: [{ memberId: first.memberId, assignment: Buffer.from('assignment') }],
        },
        codec.decodeSyncGroupResponse,
      );
      assert.equal(synced.errorCode, ErrorCode.NONE);
      const again = await join(version, group);
      assert.equal(again.errorCode, ErrorCode.NONE);
      assert.equal(again.leader, again.memberId);
      assert.equal(again.generationId, first.generationId, 'no rebalance');
      assert.equal(again.skipAssignment, version >= 9);
      assert.deepEqual(
        again.members.map((m) => m.groupInstanceId),
        ['static-1'],
      );
    });
  }
});
