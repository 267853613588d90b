import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { Broker } from '../broker.js';
import { loadBrokerConfig } from '../config/broker-config.js';
import { createLogger } from '../io/logger.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { ErrorCode } from '../protocol/error-codes.js';
import * as codec from '../protocol/generated/index.js';
import { handlerFor, type RequestInfo } from '../handlers/registry.js';
import { CONSUMER_OFFSETS_TOPIC } from './offsets-records.js';
import { waitFor } from '../../../test/harness/wait.js';

/**
 * Consumer groups end to end in one process: an in-process broker and kafkajs 2.2.4 consumers
 * (JoinGroup v5 with the member-id handshake, SyncGroup v3, Heartbeat v3, OffsetCommit v5,
 * OffsetFetch v4, LeaveGroup v3, FindCoordinator v2), plus the admin APIs kafkajs sends, plus
 * codec round trips for versions kafkajs does not send (flexible versions, batched
 * FindCoordinator, multi-group OffsetFetch). Committed offsets survive a broker stop/start.
 */

const TOPIC = 'group-topic';
const GROUP = 'group-a';

let dataDir: string;
let broker: Broker;

function config() {
  return loadBrokerConfig(
    null,
    new Map([
      ['listeners', 'PLAINTEXT://127.0.0.1:0'],
      ['log.dirs', dataDir],
      ['group.initial.rebalance.delay.ms', '0'],
      ['offsets.topic.num.partitions', '5'],
    ]),
  );
}

async function startBroker(): Promise<Broker> {
  const b = new Broker(config(), createLogger('warn'));
  await b.start();
  return b;
}

function client(b: Broker, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: [`127.0.0.1:${b.boundPorts[0]}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 100 },
  });
}

const PARTITIONS = 4;
/**
 * One record `value` on every partition, after the data: once a consumer has read all of them,
 * anything it would read twice has come before (records of a partition arrive in order).
 */
const markers = (value: string) => Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, value }));

async function call<I, O>(
  apiKey: number,
  version: number,
  encode: (w: Writer, v: number, m: I) => void,
  input: I,
  decode: (r: Reader, v: number) => O,
): Promise<O> {
  const handler = handlerFor(apiKey)!;
  const request = new Writer();
  encode(request, version, input);
  const decoded = handler.decodeRequest(new Reader(request.toBuffer()), version);
  const info: RequestInfo = { apiKey, apiVersion: version, correlationId: 1, clientId: 'raw', connectionId: 1, clientHost: '127.0.0.1' };
  const response = await handler.handle(decoded, info, broker.context);
  const out = new Writer();
  handler.encodeResponse(out, version, response);
  return decode(new Reader(out.toBuffer()), version);
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'fjord-group-'));
  broker = await startBroker();
});

after(async () => {
  await broker.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('consumer groups with kafkajs', () => {
  let admin: Admin;
  let producer: Producer;
  const consumers: Consumer[] = [];

  after(async () => {
    for (const consumer of consumers) await consumer.disconnect().catch(() => {});
    await producer?.disconnect().catch(() => {});
    await admin?.disconnect().catch(() => {});
  });

  it('creates __consumer_offsets as an internal, compacted topic', async () => {
    const topic = broker.context.topics.get(CONSUMER_OFFSETS_TOPIC);
    assert.ok(topic);
    assert.equal(topic.isInternal, true);
    assert.equal(topic.partitions.length, 5);
    assert.equal(topic.configs['cleanup.policy'], 'compact');
  });

  it('two consumers share a 4-partition topic; every message is consumed once', async () => {
    const kafka = client(broker, 'group-test');
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
    producer = kafka.producer();
    await producer.connect();

    const seen = new Map<string, string[]>();
    const byConsumer = new Map<string, Set<number>>();
    const ended = new Set<number>();
    for (const name of ['c1', 'c2']) {
      const consumer = client(broker, name).consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500 });
      consumers.push(consumer);
      byConsumer.set(name, new Set());
      await consumer.connect();
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          const key = `${partition}:${message.offset}`;
          seen.set(key, [...(seen.get(key) ?? []), name]);
          byConsumer.get(name)!.add(partition);
          if (message.value?.toString() === 'end') ended.add(partition);
        },
      });
    }
    // Both members in one Stable generation before producing, so no message is read twice.
    await waitFor('a stable group of two', async () => {
      const { groups } = await admin.describeGroups([GROUP]);
      return groups[0]!.state === 'Stable' && groups[0]!.members.length === 2;
    });
    const messages = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
    await producer.send({ topic: TOPIC, messages });
    await producer.send({ topic: TOPIC, messages: markers('end') });
    await waitFor('the end marker of every partition consumed', () => ended.size === PARTITIONS, {
      diagnostics: () => `${seen.size} records consumed, end markers of partitions ${[...ended].join(',')}`,
    });
    assert.equal(seen.size, 200 + PARTITIONS);
    for (const [key, names] of seen) assert.equal(names.length, 1, `${key} consumed by ${names.join(',')}`);
    const [p1, p2] = [byConsumer.get('c1')!, byConsumer.get('c2')!];
    assert.equal(p1.size + p2.size, PARTITIONS, 'every partition has exactly one owner');
    for (const partition of p1) assert.ok(!p2.has(partition));

    const { groups } = await admin.describeGroups([GROUP]);
    assert.equal(groups[0]!.protocolType, 'consumer');
    assert.equal(groups[0]!.protocol, 'RoundRobinAssigner');
    assert.ok(groups[0]!.members.every((m) => m.memberAssignment.length > 0 && m.memberMetadata.length > 0));
    const listed = await admin.listGroups();
    assert.deepEqual(
      listed.groups.filter((g) => g.groupId === GROUP),
      [{ groupId: GROUP, protocolType: 'consumer' }],
    );
  });

  it('commits every consumed offset, and a running group cannot be deleted', async () => {
    await waitFor('offsets committed', async () => {
      const [topic] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
      const total = topic!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
      return total === 200 + PARTITIONS;
    });
    await assert.rejects(admin.deleteGroups([GROUP]), (error: Error & { groups?: { error?: { type?: string } }[] }) => {
      return error.groups?.[0]?.error?.type === 'NON_EMPTY_GROUP';
    });
  });

  it('the group empties when its consumers leave', async () => {
    for (const consumer of consumers.splice(0)) await consumer.disconnect();
    const { groups } = await admin.describeGroups([GROUP]);
    assert.equal(groups[0]!.state, 'Empty');
    assert.equal(groups[0]!.members.length, 0);
  });
});

describe('committed offsets survive a restart', () => {
  it('offsets and the group come back after stop/start with the same log dir', async () => {
    await broker.stop();
    broker = await startBroker();
    const kafka = client(broker, 'restart-test');
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [topic] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
      assert.equal(
        topic!.partitions.reduce((sum, p) => sum + Number(p.offset), 0),
        200 + PARTITIONS,
      );
      const { groups } = await admin.describeGroups([GROUP]);
      assert.equal(groups[0]!.state, 'Empty');
      assert.ok((await admin.listGroups()).groups.some((g) => g.groupId === GROUP));

      // A new consumer in the group resumes after the committed offsets.
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: TOPIC, messages: Array.from({ length: 10 }, (_, i) => ({ key: `after${i}`, value: `after${i}` })) });
      await producer.send({ topic: TOPIC, messages: markers('end-2') });
      await producer.disconnect();
      const values: string[] = [];
      const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500 });
      await consumer.connect();
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
      await waitFor('the end-2 marker of every partition', () => values.filter((v) => v === 'end-2').length === PARTITIONS, {
        diagnostics: () => values.join(','),
      });
      await consumer.disconnect();
      assert.deepEqual(values.filter((v) => v !== 'end-2').sort(), Array.from({ length: 10 }, (_, i) => `after${i}`).sort());

      // kafkajs admin: set offsets (OffsetCommit from a member of a fresh generation), delete the group.
      await admin.setOffsets({ groupId: GROUP, topic: TOPIC, partitions: [0, 1, 2, 3].map((partition) => ({ partition, offset: '0' })) });
      const [reset] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
      assert.ok(
        reset!.partitions.every((p) => p.offset === '0'),
        JSON.stringify(reset),
      );
      await admin.deleteGroups([GROUP]);
      const [gone] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
      assert.ok(gone!.partitions.every((p) => p.offset === '-1'));
    } finally {
      await admin.disconnect();
    }
  });
});

describe('group APIs at versions kafkajs does not send', () => {
  it('FindCoordinator v4+ answers a batch of keys; transactional keys are not available', async () => {
    const response = await call(
      10,
      6,
      codec.encodeFindCoordinatorRequest,
      { keyType: 0, coordinatorKeys: ['a', 'b'] },
      codec.decodeFindCoordinatorResponse,
    );
    assert.deepEqual(
      response.coordinators.map((c) => [c.key, c.nodeId, c.errorCode]),
      [
        ['a', 1, 0],
        ['b', 1, 0],
      ],
    );
    const single = await call(10, 3, codec.encodeFindCoordinatorRequest, { key: 'a', keyType: 0 }, codec.decodeFindCoordinatorResponse);
    assert.equal(single.nodeId, 1);
    assert.equal(single.port, broker.context.advertisedPort);
    const txn = await call(10, 3, codec.encodeFindCoordinatorRequest, { key: 'tx', keyType: 1 }, codec.decodeFindCoordinatorResponse);
    // Not retriable (COORDINATOR_NOT_AVAILABLE would make initTransactions() retry for max.block.ms).
    assert.equal(txn.errorCode, ErrorCode.INVALID_REQUEST);
    assert.match(txn.errorMessage ?? '', /Transactions are not supported/);
  });

  it('OffsetCommit v9 (admin path) and OffsetFetch v9 for several groups round-trip epoch and metadata', async () => {
    const commit = await call(
      8,
      9,
      codec.encodeOffsetCommitRequest,
      {
        groupId: 'flex',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        topics: [
          { name: TOPIC, partitions: [{ partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: 3, committedMetadata: 'hello' }] },
          { name: 'no-such-topic', partitions: [{ partitionIndex: 0, committedOffset: 1n }] },
        ],
      },
      codec.decodeOffsetCommitResponse,
    );
    assert.deepEqual(
      commit.topics.map((t) => [t.name, t.partitions.map((p) => p.errorCode)]),
      [
        [TOPIC, [0]],
        ['no-such-topic', [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
      ],
    );
    const empty = await call(
      8,
      9,
      codec.encodeOffsetCommitRequest,
      { groupId: 'flex', generationIdOrMemberEpoch: -1, topics: [] },
      codec.decodeOffsetCommitResponse,
    );
    assert.deepEqual(empty.topics, []);
    const fetched = await call(
      9,
      9,
      codec.encodeOffsetFetchRequest,
      {
        groups: [
          { groupId: 'flex', topics: null },
          { groupId: 'unknown', topics: [{ name: TOPIC, partitionIndexes: [0] }] },
        ],
      },
      codec.decodeOffsetFetchResponse,
    );
    assert.equal(fetched.groups.length, 2);
    const flex = fetched.groups[0]!.topics[0]!.partitions[0]!;
    assert.deepEqual([flex.partitionIndex, flex.committedOffset, flex.committedLeaderEpoch, flex.metadata], [1, 7n, 3, 'hello']);
    const unknown = fetched.groups[1]!.topics[0]!.partitions[0]!;
    assert.deepEqual([unknown.committedOffset, unknown.committedLeaderEpoch, unknown.metadata], [-1n, -1, '']);
  });

  it('ListGroups v4 filters by state; DescribeGroups v6 reports unknown groups; OffsetDelete v0', async () => {
    const listed = await call(16, 4, codec.encodeListGroupsRequest, { statesFilter: ['empty'] }, codec.decodeListGroupsResponse);
    assert.ok(listed.groups.some((g) => g.groupId === 'flex' && g.groupState === 'Empty'));
    const described = await call(15, 6, codec.encodeDescribeGroupsRequest, { groups: ['nope'] }, codec.decodeDescribeGroupsResponse);
    assert.equal(described.groups[0]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    const deleted = await call(
      47,
      0,
      codec.encodeOffsetDeleteRequest,
      { groupId: 'flex', topics: [{ name: TOPIC, partitions: [{ partitionIndex: 1 }] }] },
      codec.decodeOffsetDeleteResponse,
    );
    assert.equal(deleted.errorCode, 0);
    assert.equal(deleted.topics[0]!.partitions[0]!.errorCode, 0);
    const after = await call(9, 7, codec.encodeOffsetFetchRequest, { groupId: 'flex', topics: null }, codec.decodeOffsetFetchResponse);
    assert.deepEqual(after.topics, []);
  });

  it('JoinGroup v0 (no handshake) and v6 flexible, SyncGroup v5, Heartbeat v4, LeaveGroup v5', async () => {
    const protocols = [{ name: 'range', metadata: Buffer.from('meta') }];
    const join = await call(
      11,
      0,
      codec.encodeJoinGroupRequest,
      { groupId: 'old', sessionTimeoutMs: 10000, memberId: '', protocolType: 'consumer', protocols },
      codec.decodeJoinGroupResponse,
    );
    assert.equal(join.errorCode, 0);
    assert.equal(join.leader, join.memberId);
    const handshake = await call(
      11,
      6,
      codec.encodeJoinGroupRequest,
      { groupId: 'flexjoin', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', protocolType: 'consumer', protocols },
      codec.decodeJoinGroupResponse,
    );
    assert.equal(handshake.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.match(handshake.memberId, /^raw-[0-9a-f-]{36}$/);
    const joined = await call(
      11,
      6,
      codec.encodeJoinGroupRequest,
      {
        groupId: 'flexjoin',
        sessionTimeoutMs: 10000,
        rebalanceTimeoutMs: 10000,
        memberId: handshake.memberId,
        protocolType: 'consumer',
        protocols,
      },
      codec.decodeJoinGroupResponse,
    );
    assert.equal(joined.errorCode, 0);
    assert.equal(joined.members.length, 1);
    const sync = await call(
      14,
      5,
      codec.encodeSyncGroupRequest,
      {
        groupId: 'flexjoin',
        generationId: joined.generationId,
        memberId: joined.memberId,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments: [{ memberId: joined.memberId, assignment: Buffer.from([1, 2, 3]) }],
      },
      codec.decodeSyncGroupResponse,
    );
    assert.deepEqual([sync.errorCode, sync.protocolName, [...sync.assignment]], [0, 'range', [1, 2, 3]]);
    const heartbeat = await call(
      12,
      4,
      codec.encodeHeartbeatRequest,
      { groupId: 'flexjoin', generationId: joined.generationId, memberId: joined.memberId },
      codec.decodeHeartbeatResponse,
    );
    assert.equal(heartbeat.errorCode, 0);
    const stale = await call(
      12,
      4,
      codec.encodeHeartbeatRequest,
      { groupId: 'flexjoin', generationId: joined.generationId - 1, memberId: joined.memberId },
      codec.decodeHeartbeatResponse,
    );
    assert.equal(stale.errorCode, ErrorCode.ILLEGAL_GENERATION);
    const bad = await call(
      11,
      5,
      codec.encodeJoinGroupRequest,
      { groupId: 'x', sessionTimeoutMs: 100, rebalanceTimeoutMs: 100, memberId: '', protocolType: 'consumer', protocols },
      codec.decodeJoinGroupResponse,
    );
    assert.equal(bad.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    const leave = await call(
      13,
      5,
      codec.encodeLeaveGroupRequest,
      { groupId: 'flexjoin', members: [{ memberId: joined.memberId }, { memberId: 'ghost' }] },
      codec.decodeLeaveGroupResponse,
    );
    assert.deepEqual(
      leave.members.map((m) => m.errorCode),
      [0, ErrorCode.UNKNOWN_MEMBER_ID],
    );
    const leaveV0 = await call(13, 0, codec.encodeLeaveGroupRequest, { groupId: 'old', memberId: 'ghost' }, codec.decodeLeaveGroupResponse);
    assert.equal(leaveV0.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });
});
