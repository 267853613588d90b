// Bad input to the group coordinator, sent with Fjord's own protocol client (KafkaConnection and
// the generated codec) at the highest version both sides support: SyncGroup from an unknown
// member, Heartbeat with a stale generation, JoinGroup with a session timeout out of range,
// OffsetCommit for a topic that does not exist. The expected error codes are Apache Kafka 4.1's
// (validated with FJORD_TEST_TARGET=kafka). After all of it the broker keeps serving, on the same
// connection and on new ones.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KafkaConnection, type RequestSpec } from '../../broker/src/client/kafka-connection.js';
import * as g from '../../broker/src/protocol/generated/index.js';
import { Reader } from '../../broker/src/protocol/reader.js';
import { Writer } from '../../broker/src/protocol/writer.js';
import { startBroker, type BrokerHandle } from '../harness/broker.js';
import { waitFor } from '../harness/wait.js';

// Kafka error codes
const NONE = 0;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const COORDINATOR_LOAD_IN_PROGRESS = 14;
const COORDINATOR_NOT_AVAILABLE = 15;
const NOT_COORDINATOR = 16;
const ILLEGAL_GENERATION = 22;
const UNKNOWN_MEMBER_ID = 25;
const INVALID_SESSION_TIMEOUT = 26;
const REBALANCE_IN_PROGRESS = 27;
const MEMBER_ID_REQUIRED = 79;

const API = {
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  ApiVersions: 18,
} as const;

let broker: BrokerHandle;
let conn: KafkaConnection;
/** Negotiated version per api key: min(broker max, codec max), capped where noted. */
const versions = new Map<number, number>();

const TOPIC = 'bad-input-topic';

function spec<In, Out>(
  apiKey: number,
  encode: (w: Writer, v: number, m: In) => void,
  decode: (r: Reader, v: number) => Out,
  body: In,
  version = versions.get(apiKey),
): RequestSpec<Out> {
  assert.ok(version !== undefined, `no version negotiated for api ${apiKey}`);
  return { apiKey, apiVersion: version, encode: (w, v) => encode(w, v, body), decode };
}

/**
 * FindCoordinator for one group, retried (as clients do) while the coordinator is not ready yet:
 * Kafka answers COORDINATOR_NOT_AVAILABLE until __consumer_offsets exists and NOT_COORDINATOR or
 * COORDINATOR_LOAD_IN_PROGRESS while the group's partition loads.
 */
async function findCoordinator(c: KafkaConnection, group: string): Promise<g.FindCoordinatorResponse> {
  return whenReady(
    () =>
      c.send(
        // v4+ (asserted in before()): the batched CoordinatorKeys; Key is v0-3 only
        spec(API.FindCoordinator, g.encodeFindCoordinatorRequest, g.decodeFindCoordinatorResponse, {
          keyType: 0,
          coordinatorKeys: [group],
        }),
      ),
    (r) => r.coordinators[0]?.errorCode,
    `the coordinator of ${group}`,
  );
}

/**
 * Sends a group request again (as clients do) while the coordinator answers that it is not ready
 * (Kafka does so for a while after FindCoordinator already answered, while __consumer_offsets
 * partitions load). Any other answer is returned.
 */
async function whenReady<T>(send: () => Promise<T>, errorOf: (r: T) => number | undefined, what = 'the group coordinator'): Promise<T> {
  let lastCode: number | undefined;
  return waitFor(
    `${what} to be ready (no COORDINATOR_LOAD_IN_PROGRESS / COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR)`,
    async () => {
      const r = await send();
      lastCode = errorOf(r);
      return lastCode !== undefined && [COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR].includes(lastCode)
        ? undefined
        : { r };
    },
    { intervalMs: 200, diagnostics: () => `last error code ${String(lastCode)}` },
  ).then(({ r }) => r);
}

function subscription(topics: string[]): Buffer {
  const w = new Writer();
  w.writeInt16(1); // ConsumerProtocolSubscription version
  g.encodeConsumerProtocolSubscription(w, 1, { topics, userData: null, ownedPartitions: [] });
  return w.toBuffer();
}

function assignment(topic: string, partitions: number[]): Buffer {
  const w = new Writer();
  w.writeInt16(1);
  g.encodeConsumerProtocolAssignment(w, 1, { assignedPartitions: [{ topic, partitions }], userData: null });
  return w.toBuffer();
}

const join = (c: KafkaConnection, group: string, memberId: string, sessionTimeoutMs = 30_000) =>
  whenReady(
    () =>
      c.send(
        spec(API.JoinGroup, g.encodeJoinGroupRequest, g.decodeJoinGroupResponse, {
          groupId: group,
          sessionTimeoutMs,
          rebalanceTimeoutMs: 30_000,
          memberId,
          groupInstanceId: null,
          protocolType: 'consumer',
          protocols: [{ name: 'range', metadata: subscription([TOPIC]) }],
          reason: null,
        }),
      ),
    (r) => r.errorCode,
  );

const sync = (
  c: KafkaConnection,
  group: string,
  generationId: number,
  memberId: string,
  assignments: Array<{ memberId: string; assignment: Buffer }>,
) =>
  whenReady(
    () =>
      c.send(
        spec(API.SyncGroup, g.encodeSyncGroupRequest, g.decodeSyncGroupResponse, {
          groupId: group,
          generationId,
          memberId,
          groupInstanceId: null,
          protocolType: 'consumer',
          protocolName: 'range',
          assignments,
        }),
      ),
    (r) => r.errorCode,
  );

const heartbeat = (c: KafkaConnection, group: string, generationId: number, memberId: string) =>
  whenReady(
    () =>
      c.send(
        spec(API.Heartbeat, g.encodeHeartbeatRequest, g.decodeHeartbeatResponse, {
          groupId: group,
          generationId,
          memberId,
          groupInstanceId: null,
        }),
      ),
    (r) => r.errorCode,
  );

const commit = (
  c: KafkaConnection,
  group: string,
  generationId: number,
  memberId: string,
  topic: string,
  partitions: Array<[number, bigint]>,
) =>
  whenReady(
    () =>
      c.send(
        spec(API.OffsetCommit, g.encodeOffsetCommitRequest, g.decodeOffsetCommitResponse, {
          groupId: group,
          generationIdOrMemberEpoch: generationId,
          memberId,
          groupInstanceId: null,
          topics: [
            {
              name: topic,
              partitions: partitions.map(([partitionIndex, committedOffset]) => ({
                partitionIndex,
                committedOffset,
                committedLeaderEpoch: -1,
                committedMetadata: null,
              })),
            },
          ],
        }),
      ),
    (r) => r.topics[0]?.partitions[0]?.errorCode,
  );

/** A member that joined (through the member-id handshake) and synced: generation `gen`. */
async function stableMember(c: KafkaConnection, group: string): Promise<{ memberId: string; gen: number }> {
  const first = await join(c, group, '');
  assert.equal(first.errorCode, MEMBER_ID_REQUIRED, 'JoinGroup v4+ with an empty member id');
  assert.ok(first.memberId.length > 0, 'MEMBER_ID_REQUIRED carries the member id');
  const joined = await join(c, group, first.memberId);
  assert.equal(joined.errorCode, NONE);
  assert.equal(joined.leader, first.memberId);
  assert.equal(joined.memberId, first.memberId);
  assert.equal(joined.protocolName, 'range');
  assert.deepEqual(
    joined.members.map((m) => [m.memberId, m.groupInstanceId]),
    [[first.memberId, null]],
  );
  assert.deepEqual(joined.members[0]?.metadata, subscription([TOPIC]), 'the leader gets the member metadata back verbatim');
  const synced = await sync(c, group, joined.generationId, first.memberId, [
    { memberId: first.memberId, assignment: assignment(TOPIC, [0, 1]) },
  ]);
  assert.equal(synced.errorCode, NONE);
  assert.deepEqual(synced.assignment, assignment(TOPIC, [0, 1]));
  return { memberId: first.memberId, gen: joined.generationId };
}

before(async () => {
  broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': '0' } });
  conn = await KafkaConnection.open(broker.host, broker.port, 'groups-bad-input');
  const av = await conn.send({
    apiKey: API.ApiVersions,
    apiVersion: 3,
    encode: (w, v) => g.encodeApiVersionsRequest(w, v, { clientSoftwareName: 'fjord-test', clientSoftwareVersion: '1' }),
    decode: g.decodeApiVersionsResponse,
  });
  assert.equal(av.errorCode, NONE);
  const caps: Record<number, number> = { [API.OffsetCommit]: 9, [API.OffsetFetch]: 9 }; // v10 names topics by id
  for (const key of Object.values(API)) {
    const b = av.apiKeys.find((k) => k.apiKey === key);
    const ours = g.API_KEYS.get(key)?.validVersions[1];
    assert.ok(b !== undefined && ours !== undefined, `broker does not advertise api ${key}`);
    versions.set(key, Math.min(b.maxVersion, ours, caps[key] ?? Infinity));
  }
  // the member-id handshake (MEMBER_ID_REQUIRED) needs JoinGroup v4+; batched FindCoordinator v4+
  assert.ok((versions.get(API.JoinGroup) ?? 0) >= 4, `JoinGroup version ${versions.get(API.JoinGroup)}`);
  assert.ok((versions.get(API.FindCoordinator) ?? 0) >= 4, `FindCoordinator version ${versions.get(API.FindCoordinator)}`);

  // the topic the well-formed commits use (CreateTopics v5+ through the same codec)
  const created = await conn.send(
    spec(
      19,
      g.encodeCreateTopicsRequest,
      g.decodeCreateTopicsResponse,
      {
        topics: [{ name: TOPIC, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 30_000,
        validateOnly: false,
      },
      Math.min(g.API_KEYS.get(19)?.validVersions[1] ?? 5, av.apiKeys.find((k) => k.apiKey === 19)?.maxVersion ?? 5),
    ),
  );
  assert.deepEqual(
    created.topics.map((t) => [t.name, t.errorCode]),
    [[TOPIC, NONE]],
  );
});

after(async () => {
  conn?.close();
  await broker?.stop();
});

test('FindCoordinator names this broker for a group (single node)', async () => {
  const r = await findCoordinator(conn, 'bad-input-g0');
  assert.deepEqual(
    r.coordinators.map((c) => [c.key, c.nodeId, c.host, c.port, c.errorCode]),
    [['bad-input-g0', 1, broker.host, broker.port, NONE]],
  );
});

test('SyncGroup from an unknown member -> UNKNOWN_MEMBER_ID (25) (needs group coordinator)', async () => {
  const group = 'bad-input-g1';
  await findCoordinator(conn, group);
  const { memberId, gen } = await stableMember(conn, group);

  const stranger = await sync(conn, group, gen, 'no-such-member', []);
  assert.equal(stranger.errorCode, UNKNOWN_MEMBER_ID);
  assert.deepEqual(stranger.assignment, Buffer.alloc(0));
  // a group nobody ever joined
  const noGroup = await sync(conn, 'bad-input-never-joined', 1, 'no-such-member', []);
  assert.equal(noGroup.errorCode, UNKNOWN_MEMBER_ID);
  // the real member is unaffected
  assert.equal((await heartbeat(conn, group, gen, memberId)).errorCode, NONE);
});

test('Heartbeat with a stale generation -> ILLEGAL_GENERATION (22), unknown member -> UNKNOWN_MEMBER_ID (25) (needs group coordinator)', async () => {
  const group = 'bad-input-g2';
  await findCoordinator(conn, group);
  const { memberId, gen } = await stableMember(conn, group);
  assert.equal((await heartbeat(conn, group, gen, memberId)).errorCode, NONE);

  // the member rejoins: a new generation
  const rejoined = await join(conn, group, memberId);
  assert.equal(rejoined.errorCode, NONE);
  assert.equal(rejoined.generationId, gen + 1);
  // waiting for its SyncGroup (CompletingRebalance), heartbeats of the new generation are fine
  assert.equal((await heartbeat(conn, group, gen + 1, memberId)).errorCode, NONE);
  const synced = await sync(conn, group, gen + 1, memberId, [{ memberId, assignment: assignment(TOPIC, [0]) }]);
  assert.equal(synced.errorCode, NONE);

  assert.equal((await heartbeat(conn, group, gen, memberId)).errorCode, ILLEGAL_GENERATION, 'stale generation');
  assert.equal((await heartbeat(conn, group, gen + 5, memberId)).errorCode, ILLEGAL_GENERATION, 'future generation');
  assert.equal((await heartbeat(conn, group, gen + 1, 'no-such-member')).errorCode, UNKNOWN_MEMBER_ID);
  assert.equal((await heartbeat(conn, group, gen + 1, memberId)).errorCode, NONE);
  // SyncGroup with the stale generation is refused the same way
  assert.equal((await sync(conn, group, gen, memberId, [])).errorCode, ILLEGAL_GENERATION);
});

test("a second member joins: the first one is told REBALANCE_IN_PROGRESS (27), both get the new generation and the leader's assignment (needs group coordinator)", async () => {
  const group = 'bad-input-g6';
  await findCoordinator(conn, group);
  const a = await stableMember(conn, group);
  // b on its own connection: its JoinGroup is parked until a rejoins
  const other = await KafkaConnection.open(broker.host, broker.port, 'groups-bad-input-b');
  try {
    const b0 = await join(other, group, '');
    assert.equal(b0.errorCode, MEMBER_ID_REQUIRED);
    const bJoin = join(other, group, b0.memberId);
    const hb = await waitFor(
      "a's heartbeat to stop answering NONE once b's JoinGroup arrived",
      async () => {
        const r = await heartbeat(conn, group, a.gen, a.memberId);
        return r.errorCode === NONE ? undefined : r;
      },
      { intervalMs: 100 },
    );
    assert.equal(hb.errorCode, REBALANCE_IN_PROGRESS);
    const aJoin = await join(conn, group, a.memberId);
    const bJoined = await bJoin;
    assert.equal(aJoin.errorCode, NONE);
    assert.equal(bJoined.errorCode, NONE);
    assert.equal(aJoin.generationId, a.gen + 1);
    assert.equal(bJoined.generationId, a.gen + 1);
    assert.equal(aJoin.leader, a.memberId, 'the leader stays the leader');
    assert.equal(bJoined.leader, a.memberId);
    assert.deepEqual(aJoin.members.map((m) => m.memberId).sort(), [a.memberId, b0.memberId].sort());
    assert.deepEqual(bJoined.members, [], 'only the leader gets the member list');
    // b's SyncGroup waits for the leader's
    const bSync = sync(other, group, a.gen + 1, b0.memberId, []);
    const aSync = await sync(conn, group, a.gen + 1, a.memberId, [
      { memberId: a.memberId, assignment: assignment(TOPIC, [0]) },
      { memberId: b0.memberId, assignment: assignment(TOPIC, [1]) },
    ]);
    assert.equal(aSync.errorCode, NONE);
    assert.deepEqual(aSync.assignment, assignment(TOPIC, [0]));
    const bSynced = await bSync;
    assert.equal(bSynced.errorCode, NONE);
    assert.deepEqual(bSynced.assignment, assignment(TOPIC, [1]));
    assert.equal((await heartbeat(conn, group, a.gen + 1, a.memberId)).errorCode, NONE);
    assert.equal((await heartbeat(other, group, a.gen + 1, b0.memberId)).errorCode, NONE);
  } finally {
    other.close();
  }
});

test('JoinGroup with a session timeout out of range -> INVALID_SESSION_TIMEOUT (26) (needs group coordinator)', async () => {
  const group = 'bad-input-g3';
  await findCoordinator(conn, group);
  // group.min.session.timeout.ms = 6000, group.max.session.timeout.ms = 1800000 (defaults)
  for (const timeout of [1000, 5999, 1_800_001]) {
    const r = await join(conn, group, '', timeout);
    assert.equal(r.errorCode, INVALID_SESSION_TIMEOUT, `session timeout ${timeout} ms`);
    assert.equal(r.generationId, -1);
  }
  // the bounds themselves are accepted (the handshake answers MEMBER_ID_REQUIRED, i.e. it passed validation)
  for (const timeout of [6000, 1_800_000]) {
    assert.equal((await join(conn, group, '', timeout)).errorCode, MEMBER_ID_REQUIRED, `session timeout ${timeout} ms`);
  }
});

test('OffsetCommit for a topic that does not exist -> UNKNOWN_TOPIC_OR_PARTITION (3); nothing is stored (needs group coordinator)', async () => {
  const group = 'bad-input-g4';
  await findCoordinator(conn, group);
  // a standalone commit (generation -1, no member), as admin tools do
  const r = await commit(conn, group, -1, '', 'no-such-topic', [
    [0, 5n],
    [1, 6n],
  ]);
  assert.deepEqual(
    r.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]),
    [
      [
        'no-such-topic',
        [
          [0, UNKNOWN_TOPIC_OR_PARTITION],
          [1, UNKNOWN_TOPIC_OR_PARTITION],
        ],
      ],
    ],
  );
  // a commit for an existing topic in the same group works, and only that one is stored
  const good = await commit(conn, group, -1, '', TOPIC, [[1, 42n]]);
  assert.deepEqual(
    good.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]),
    [[TOPIC, [[1, NONE]]]],
  );
  const wanted = [
    { name: TOPIC, partitionIndexes: [0, 1] },
    { name: 'no-such-topic', partitionIndexes: [0] },
  ];
  // v8+ asks per group (Groups), v1-7 for one (GroupId, Topics): the encoder refuses the other form
  const fetched = await conn.send(
    spec(
      API.OffsetFetch,
      g.encodeOffsetFetchRequest,
      g.decodeOffsetFetchResponse,
      (versions.get(API.OffsetFetch) ?? 0) >= 8
        ? { groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: wanted }], requireStable: false }
        : { groupId: group, topics: wanted, requireStable: false },
    ),
  );
  const topics = fetched.groups.length > 0 ? (fetched.groups[0]?.topics ?? []) : fetched.topics;
  assert.deepEqual(
    topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, Number(p.committedOffset), p.errorCode])]),
    [
      [
        TOPIC,
        [
          [0, -1, NONE],
          [1, 42, NONE],
        ],
      ],
      ['no-such-topic', [[0, -1, NONE]]],
    ],
  );
});

test('the broker keeps serving after the bad input: same connection, a new connection, a full join (needs group coordinator)', async () => {
  assert.equal(conn.closed, false, 'the broker must not close the connection over bad group requests');
  const av = await conn.send({
    apiKey: API.ApiVersions,
    apiVersion: 3,
    encode: (w, v) => g.encodeApiVersionsRequest(w, v, { clientSoftwareName: 'fjord-test', clientSoftwareVersion: '1' }),
    decode: g.decodeApiVersionsResponse,
  });
  assert.equal(av.errorCode, NONE);
  const fresh = await KafkaConnection.open(broker.host, broker.port, 'groups-bad-input-2');
  try {
    const group = 'bad-input-g5';
    const fc = await findCoordinator(fresh, group);
    assert.equal(fc.coordinators[0]?.errorCode, NONE);
    const { memberId, gen } = await stableMember(fresh, group);
    const c = await commit(fresh, group, gen, memberId, TOPIC, [[0, 7n]]);
    assert.equal(c.topics[0]?.partitions[0]?.errorCode, NONE);
    assert.equal((await heartbeat(fresh, group, gen, memberId)).errorCode, NONE);
  } finally {
    fresh.close();
  }
});
