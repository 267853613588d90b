import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../protocol/error-codes.js';
import { RaftReplica, type RaftConfig, type RaftDurableState, type RaftOutput } from './raft-replica.js';
import type { Envelope, FetchResponse, RaftEntry, RaftMessage, VoteRequest } from './raft-messages.js';

// Golden scripts: drive one replica with explicit inputs and check the outputs it returns.

const T0 = 1_000_000;

function config(nodeId: number, voterIds: number[], overrides: Partial<RaftConfig> = {}): RaftConfig {
  return {
    nodeId,
    voterIds,
    electionTimeoutMs: 1000,
    fetchTimeoutMs: 2000,
    electionBackoffMaxMs: 1000,
    electionBackoffBaseMs: 100,
    requestTimeoutMs: 2000,
    retryBackoffMs: 20,
    fetchMaxWaitMs: 500,
    maxFetchEntries: 100,
    maxSnapshotChunkBytes: 4,
    maxUncommittedEntries: 1000,
    random: () => 0, // election timeouts are exactly T, backoffs 0
    ...overrides,
  };
}

const EMPTY: RaftDurableState = { quorumState: null, snapshot: null, entries: [] };

function entries(...epochs: number[]): RaftEntry[] {
  return epochs.map((epoch, offset) => ({ offset, epoch, payload: Buffer.from(`e${offset}`) }));
}

function sends(outputs: RaftOutput[]): Envelope[] {
  return outputs.flatMap((o) => (o.type === 'send' ? [o.envelope] : []));
}

function only<K extends RaftMessage['kind']>(
  outputs: RaftOutput[],
  kind: K,
): (Envelope & { message: Extract<RaftMessage, { kind: K }> })[] {
  return sends(outputs).filter((e) => e.message.kind === kind) as (Envelope & { message: Extract<RaftMessage, { kind: K }> })[];
}

function types(outputs: RaftOutput[]): string[] {
  return outputs.map((o) => (o.type === 'send' ? `send:${o.envelope.message.kind}>${o.envelope.to}` : o.type));
}

function reply(request: Envelope, message: RaftMessage): Envelope {
  return { from: request.to, to: request.from, correlationId: request.correlationId, message };
}

function voteGranted(request: Envelope, epoch: number, granted = true): Envelope {
  const preVote = (request.message as VoteRequest).preVote;
  return reply(request, { kind: 'VoteResponse', errorCode: 0, leaderId: -1, leaderEpoch: epoch, voteGranted: granted, preVote });
}

/** Node 1 of {1,2,3} elected leader of epoch 1 over an empty log. */
function electedLeader(overrides: Partial<RaftConfig> = {}, durable = EMPTY): { leader: RaftReplica; now: number } {
  const { replica } = RaftReplica.start(config(1, [1, 2, 3], overrides), durable, T0);
  let now = T0 + 1000;
  const pre = only(replica.tick(now), 'Vote');
  const votes = only(replica.handle(voteGranted(pre[0]!, replica.epoch), now), 'Vote');
  replica.handle(voteGranted(votes[0]!, replica.epoch), now);
  assert.equal(replica.role, 'Leader');
  now += 1;
  return { leader: replica, now };
}

function fetch(from: number, to: number, epoch: number, fetchOffset: number, lastFetchedEpoch: number, correlationId = 100): Envelope {
  return {
    from,
    to,
    correlationId,
    message: { kind: 'Fetch', replicaId: from, currentLeaderEpoch: epoch, fetchOffset, lastFetchedEpoch, maxWaitMs: 0 },
  };
}

test('a single voter elects itself at once and commits its LeaderChangeMessage', () => {
  const { replica, outputs } = RaftReplica.start(config(1, [1]), EMPTY, T0);
  assert.equal(replica.role, 'Unattached');
  assert.deepEqual(types(outputs), ['timer']);
  const out = replica.tick(T0 + 1000);
  assert.equal(replica.role, 'Leader');
  assert.equal(replica.epoch, 1);
  assert.deepEqual(types(out), ['persist-quorum-state', 'persist-quorum-state', 'append', 'commit', 'timer']);
  assert.equal(replica.highWatermark, 1);
  const append = out.find((o) => o.type === 'append');
  assert.ok(append?.type === 'append' && append.entries[0]!.control === true);
});

test('election: pre-vote without persisting, then a durable vote for itself before the Vote requests', () => {
  const { replica } = RaftReplica.start(config(1, [1, 2, 3]), EMPTY, T0);
  assert.deepEqual(
    replica.tick(T0 + 999).filter((o) => o.type !== 'timer'),
    [],
    'nothing before the election timeout',
  );
  const pre = replica.tick(T0 + 1000);
  assert.equal(replica.role, 'Prospective');
  assert.equal(replica.epoch, 0);
  assert.deepEqual(types(pre), ['send:Vote>2', 'send:Vote>3', 'timer']);
  assert.equal(only(pre, 'Vote')[0]!.message.preVote, true);

  const cand = replica.handle(voteGranted(only(pre, 'Vote')[0]!, 0), T0 + 1001);
  assert.equal(replica.role, 'Candidate');
  assert.equal(replica.epoch, 1);
  assert.deepEqual(types(cand), ['persist-quorum-state', 'send:Vote>2', 'send:Vote>3', 'timer']);
  assert.deepEqual(cand[0], { type: 'persist-quorum-state', state: { leaderEpoch: 1, leaderId: -1, votedId: 1 } });
  const vote = only(cand, 'Vote')[1]!;
  assert.equal(vote.message.preVote, false);

  const lead = replica.handle(voteGranted(vote, 1), T0 + 1002);
  assert.equal(replica.role, 'Leader');
  assert.deepEqual(types(lead), ['persist-quorum-state', 'send:BeginQuorumEpoch>2', 'send:BeginQuorumEpoch>3', 'append', 'timer']);
  assert.equal(replica.highWatermark, 0, 'the LeaderChangeMessage is not committed until a follower has it');
});

test('a vote is granted only to an up-to-date log, once per epoch, and persisted before the reply', () => {
  const durable: RaftDurableState = { quorumState: { leaderEpoch: 2, leaderId: -1, votedId: -1 }, snapshot: null, entries: entries(1, 2) };
  const { replica } = RaftReplica.start(config(2, [1, 2, 3]), durable, T0);
  const ask = (candidate: number, epoch: number, lastOffset: number, lastOffsetEpoch: number): [boolean, string[]] => {
    const out = replica.handle(
      {
        from: candidate,
        to: 2,
        correlationId: 7,
        message: { kind: 'Vote', replicaEpoch: epoch, replicaId: candidate, lastOffsetEpoch, lastOffset, preVote: false },
      },
      T0,
    );
    return [only(out, 'VoteResponse')[0]!.message.voteGranted, types(out)];
  };
  assert.equal(ask(1, 3, 1, 2)[0], false, 'shorter log in the same last epoch');
  assert.equal(ask(1, 3, 5, 1)[0], false, 'older last epoch, however long');
  assert.equal(replica.epoch, 3, 'the higher epoch was adopted anyway');
  const [granted, out] = ask(3, 3, 2, 2);
  assert.equal(granted, true);
  assert.deepEqual(out, ['persist-quorum-state', 'send:VoteResponse>3', 'timer']);
  assert.equal(replica.votedId, 3);
  assert.equal(ask(1, 3, 9, 2)[0], false, 'already voted for 3 in epoch 3');
  assert.equal(ask(3, 3, 2, 2)[0], true, 'the same candidate again (a retry)');
});

test('a follower that has fetched from its leader refuses pre-votes; one that has not grants them', () => {
  const durable: RaftDurableState = { quorumState: { leaderEpoch: 1, leaderId: 1, votedId: -1 }, snapshot: null, entries: [] };
  const { replica, outputs } = RaftReplica.start(config(2, [1, 2, 3]), durable, T0);
  assert.equal(replica.role, 'Follower');
  const preVote: Envelope = {
    from: 3,
    to: 2,
    correlationId: 1,
    message: { kind: 'Vote', replicaEpoch: 1, replicaId: 3, lastOffsetEpoch: 0, lastOffset: 0, preVote: true },
  };
  assert.equal(only(replica.handle(preVote, T0), 'VoteResponse')[0]!.message.voteGranted, true);
  const fetchReq = only(outputs, 'Fetch')[0]!;
  const ok: FetchResponse = {
    kind: 'FetchResponse',
    errorCode: 0,
    highWatermark: 0,
    logStartOffset: 0,
    divergingEpoch: null,
    snapshotId: null,
    currentLeader: { leaderId: 1, leaderEpoch: 1 },
    records: [],
  };
  replica.handle(reply(fetchReq, ok), T0 + 1);
  assert.equal(only(replica.handle(preVote, T0 + 2), 'VoteResponse')[0]!.message.voteGranted, false);
  assert.equal(replica.epoch, 1, 'a pre-vote never bumps the epoch');
});

test('the leader commits when a majority holds an offset of its own epoch, and followers learn it by fetching', () => {
  const { leader, now } = electedLeader();
  const { result } = leader.append([Buffer.from('a'), Buffer.from('b')], now);
  assert.deepEqual(result, { offset: 1 });
  const answer = only(leader.handle(fetch(2, 1, 1, 0, 0), now), 'FetchResponse')[0]!.message;
  assert.deepEqual(
    answer.records.map((e) => e.offset),
    [0, 1, 2],
  );
  assert.equal(leader.highWatermark, 0, 'a fetch at offset 0 acknowledges nothing');
  const out = leader.handle(fetch(2, 1, 1, 3, 1, 101), now + 1);
  assert.equal(leader.highWatermark, 3);
  const commit = out.find((o) => o.type === 'commit');
  assert.ok(commit?.type === 'commit');
  assert.deepEqual(
    commit.entries.map((e) => e.offset),
    [0, 1, 2],
  );
  assert.equal(only(out, 'FetchResponse')[0]!.message.highWatermark, 3);
});

test('a new leader does not commit entries of earlier epochs by counting replicas', () => {
  // Node 1 has (epoch 1) entries 0..1 and wins epoch 2: offsets 0..1 are old, 2 is its LeaderChangeMessage.
  const durable: RaftDurableState = { quorumState: { leaderEpoch: 1, leaderId: -1, votedId: -1 }, snapshot: null, entries: entries(1, 1) };
  const { leader, now } = electedLeader({}, durable);
  assert.equal(leader.epoch, 2);
  leader.handle(fetch(2, 1, 2, 2, 1), now);
  assert.equal(leader.highWatermark, 0, 'offsets 0..1 are held by a majority but are not of epoch 2');
  leader.handle(fetch(2, 1, 2, 3, 2, 101), now);
  assert.equal(leader.highWatermark, 3);
});

test('a diverging follower is told where its log forks, and truncates there', () => {
  const durable: RaftDurableState = {
    quorumState: { leaderEpoch: 2, leaderId: -1, votedId: -1 },
    snapshot: null,
    entries: entries(1, 2, 2),
  };
  const { leader, now } = electedLeader({}, durable);
  // The follower has [1, 1, 1, 1] (fetch offset 4, last epoch 1); the leader's epoch 1 ends at 1.
  const answer = only(leader.handle(fetch(2, 1, 3, 4, 1), now), 'FetchResponse')[0]!.message;
  assert.deepEqual(answer.divergingEpoch, { epoch: 1, endOffset: 1 });
  assert.deepEqual(answer.records, []);

  const { replica: follower, outputs } = RaftReplica.start(
    config(2, [1, 2, 3]),
    { quorumState: { leaderEpoch: 3, leaderId: 1, votedId: -1 }, snapshot: null, entries: entries(1, 1, 1, 1) },
    T0,
  );
  const req = only(outputs, 'Fetch')[0]!;
  assert.deepEqual([req.message.fetchOffset, req.message.lastFetchedEpoch], [4, 1]);
  const out = follower.handle(reply(req, answer), now);
  assert.deepEqual(types(out), ['truncate', 'send:Fetch>1', 'timer']);
  assert.equal(follower.raftLog.endOffset, 1);
  assert.deepEqual([only(out, 'Fetch')[0]!.message.fetchOffset, only(out, 'Fetch')[0]!.message.lastFetchedEpoch], [1, 1]);
});

test('a follower below the log start gets the snapshot in chunks, installs it and resumes fetching after it', () => {
  const { leader, now } = electedLeader();
  leader.append([Buffer.from('x'), Buffer.from('y')], now);
  leader.handle(fetch(2, 1, 1, 3, 1), now);
  assert.equal(leader.highWatermark, 3);
  leader.snapshotCreated({ endOffset: 3, epoch: 1, data: Buffer.from('IMAGE-AT-3') }, now);
  assert.equal(leader.raftLog.startOffset, 3);

  const { replica: follower, outputs } = RaftReplica.start(
    config(3, [1, 2, 3]),
    { quorumState: { leaderEpoch: 1, leaderId: 1, votedId: -1 }, snapshot: null, entries: [] },
    T0,
  );
  let request = only(outputs, 'Fetch')[0]!;
  let answer = only(leader.handle(request, now), 'FetchResponse')[0]!.message;
  assert.deepEqual(answer.snapshotId, { endOffset: 3, epoch: 1 });
  let out = follower.handle(reply(request, answer), now);
  const loaded: RaftOutput[] = [];
  for (let i = 0; i < 10 && only(out, 'FetchSnapshot').length > 0; i++) {
    const req = only(out, 'FetchSnapshot')[0]!;
    out = follower.handle(reply(req, only(leader.handle(req, now), 'FetchSnapshotResponse')[0]!.message), now);
    loaded.push(...out);
  }
  assert.deepEqual(
    loaded.filter((o) => o.type === 'install-snapshot' || o.type === 'load-snapshot').map((o) => o.type),
    ['install-snapshot', 'load-snapshot'],
  );
  assert.equal(follower.highWatermark, 3);
  assert.equal(follower.raftLog.snapshot?.data.toString(), 'IMAGE-AT-3');
  request = only(out, 'Fetch')[0]!;
  assert.deepEqual([request.message.fetchOffset, request.message.lastFetchedEpoch], [3, 1]);
  assert.deepEqual(only(leader.handle(request, now), 'FetchResponse'), [], 'nothing new: the leader parks the fetch');
  answer = only(leader.tick(now + 500), 'FetchResponse')[0]!.message;
  assert.equal(answer.snapshotId, null);
  assert.equal(answer.divergingEpoch, null);
});

test('check-quorum: a leader that no majority fetches from resigns and hands off with EndQuorumEpoch', () => {
  const { leader, now } = electedLeader();
  leader.handle(fetch(3, 1, 1, 1, 1), now + 100);
  assert.equal(leader.tick(now + 2999).length > 0 && leader.role, 'Leader');
  const out = leader.tick(now + 100 + 3000);
  assert.equal(leader.role, 'Resigned');
  const ends = only(out, 'EndQuorumEpoch');
  assert.deepEqual(
    ends.map((e) => e.to),
    [3, 2],
  );
  assert.deepEqual(ends[0]!.message.preferredCandidates, [3, 2], 'most caught up first');

  // Node 3, first in line, starts an election at once.
  const { replica: follower } = RaftReplica.start(
    config(3, [1, 2, 3]),
    { quorumState: { leaderEpoch: 1, leaderId: 1, votedId: -1 }, snapshot: null, entries: [] },
    now,
  );
  follower.handle({ ...ends[0]!, correlationId: 9 }, now + 3100);
  follower.tick(now + 3100);
  assert.equal(follower.role, 'Prospective');
});

test('a leader that restarts resigns in the same epoch and never votes in it again', () => {
  const durable: RaftDurableState = { quorumState: { leaderEpoch: 4, leaderId: 1, votedId: 1 }, snapshot: null, entries: entries(4) };
  const { replica } = RaftReplica.start(config(1, [1, 2, 3]), durable, T0);
  assert.equal(replica.role, 'Resigned');
  assert.equal(replica.epoch, 4);
  const out = replica.handle(
    {
      from: 2,
      to: 1,
      correlationId: 1,
      message: { kind: 'Vote', replicaEpoch: 4, replicaId: 2, lastOffsetEpoch: 4, lastOffset: 1, preVote: false },
    },
    T0,
  );
  assert.equal(only(out, 'VoteResponse')[0]!.message.voteGranted, false);
});

test('an epoch on disk below the log epoch restarts Unattached at the log epoch', () => {
  const durable: RaftDurableState = { quorumState: { leaderEpoch: 1, leaderId: 2, votedId: -1 }, snapshot: null, entries: entries(1, 3) };
  const { replica, outputs } = RaftReplica.start(config(1, [1, 2, 3]), durable, T0);
  assert.equal(replica.role, 'Unattached');
  assert.equal(replica.epoch, 3);
  assert.deepEqual(types(outputs), ['persist-quorum-state', 'timer']);
});

test('responses that do not match the request in flight are ignored', () => {
  const { replica, outputs } = RaftReplica.start(
    config(2, [1, 2, 3]),
    { quorumState: { leaderEpoch: 1, leaderId: 1, votedId: -1 }, snapshot: null, entries: [] },
    T0,
  );
  const req = only(outputs, 'Fetch')[0]!;
  const records: FetchResponse = {
    kind: 'FetchResponse',
    errorCode: 0,
    highWatermark: 0,
    logStartOffset: 0,
    divergingEpoch: null,
    snapshotId: null,
    currentLeader: { leaderId: 1, leaderEpoch: 1 },
    records: entries(1),
  };
  assert.deepEqual(
    replica.handle({ ...reply(req, records), correlationId: req.correlationId + 1 }, T0).filter((o) => o.type !== 'timer'),
    [],
  );
  assert.equal(types(replica.handle(reply(req, records), T0))[0], 'append');
  assert.deepEqual(
    replica.handle(reply(req, records), T0).filter((o) => o.type !== 'timer'),
    [],
    'a duplicate is dropped',
  );
});

test('requests with a stale epoch are fenced; fetches to a non-leader are refused', () => {
  const { leader, now } = electedLeader();
  const stale = only(leader.handle(fetch(2, 1, 0, 0, 0), now), 'FetchResponse')[0]!.message;
  assert.equal(stale.errorCode, ErrorCode.FENCED_LEADER_EPOCH);
  assert.deepEqual(stale.currentLeader, { leaderId: 1, leaderEpoch: 1 });
  const { replica } = RaftReplica.start(config(2, [1, 2, 3]), EMPTY, T0);
  assert.equal(only(replica.handle(fetch(3, 2, 0, 0, 0), T0), 'FetchResponse')[0]!.message.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.deepEqual(replica.append([Buffer.from('x')], T0).result, { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
});

test('DescribeQuorum on the leader reports the voters with their fetch progress', () => {
  const { leader, now } = electedLeader();
  leader.handle(fetch(2, 1, 1, 1, 1), now + 5);
  const d = leader.describeQuorum(now + 10);
  assert.equal(d.errorCode, 0);
  assert.equal(d.leaderId, 1);
  assert.equal(d.leaderEpoch, 1);
  assert.equal(d.highWatermark, 1n);
  assert.deepEqual(
    d.currentVoters.map((v) => [v.replicaId, v.logEndOffset, v.lastFetchTimestamp, v.lastCaughtUpTimestamp]),
    [
      [1, 1n, BigInt(now + 10), BigInt(now + 10)],
      [2, 1n, BigInt(now + 5), BigInt(now + 5)],
      [3, -1n, -1n, -1n],
    ],
  );
  const { replica } = RaftReplica.start(config(2, [1, 2, 3]), EMPTY, T0);
  assert.equal(replica.describeQuorum(T0).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
});

test('a follower whose leader went quiet pre-votes; when the others still hear the leader, it follows again', () => {
  const { replica, outputs } = RaftReplica.start(
    config(2, [1, 2, 3]),
    { quorumState: { leaderEpoch: 1, leaderId: 1, votedId: -1 }, snapshot: null, entries: [] },
    T0,
  );
  assert.equal(only(outputs, 'Fetch').length, 1);
  const pre = only(replica.tick(T0 + 2000), 'Vote');
  assert.equal(replica.role, 'Prospective');
  assert.deepEqual(
    pre.map((e) => [e.to, e.message.preVote, e.message.replicaEpoch]),
    [
      [1, true, 1],
      [3, true, 1],
    ],
  );
  // Node 3 still follows 1 in epoch 1 and refuses, naming the leader node 2 already knows: no news,
  // node 2 stays Prospective (Kafka's maybeTransition needs a node without a leader).
  replica.handle(
    reply(pre[1]!, { kind: 'VoteResponse', errorCode: 0, leaderId: 1, leaderEpoch: 1, voteGranted: false, preVote: true }),
    T0 + 2001,
  );
  assert.equal(replica.role, 'Prospective');
  // The leader, alive after all, refuses too: the pre-vote is lost, and node 2 follows it again.
  const out = replica.handle(
    reply(pre[0]!, { kind: 'VoteResponse', errorCode: 0, leaderId: 1, leaderEpoch: 1, voteGranted: false, preVote: true }),
    T0 + 2001,
  );
  assert.equal(replica.role, 'Follower');
  assert.equal(replica.leaderId, 1);
  assert.equal(only(out, 'Fetch').length, 1);
});

test('a candidate that loses its election backs off, then pre-votes again without bumping the epoch', () => {
  const { replica } = RaftReplica.start(config(1, [1, 2, 3], { random: () => 0.5 }), EMPTY, T0);
  const pre = only(replica.tick(T0 + 1500), 'Vote');
  const votes = only(replica.handle(voteGranted(pre[0]!, 0), T0 + 1500), 'Vote');
  assert.equal(replica.role, 'Candidate');
  replica.handle(voteGranted(votes[0]!, 1, false), T0 + 1501);
  const lost = replica.handle(voteGranted(votes[1]!, 1, false), T0 + 1502);
  assert.equal(replica.role, 'Candidate');
  const timer = lost.find((o) => o.type === 'timer');
  // Backoff: min(base 100 x floor(0.5 x 2^1), max 1000) = 100 ms.
  assert.deepEqual(timer, { type: 'timer', deadlineMs: T0 + 1602 });
  replica.tick(T0 + 1602);
  assert.equal(replica.role, 'Prospective');
  assert.equal(replica.epoch, 1);
});

test('EndQuorumEpoch: the first preferred successor times out at once, the next after a strict exponential backoff', () => {
  const start = (id: number): RaftReplica =>
    RaftReplica.start(
      config(id, [1, 2, 3, 4]),
      { quorumState: { leaderEpoch: 5, leaderId: 1, votedId: -1 }, snapshot: null, entries: [] },
      T0,
    ).replica;
  const end = (to: number): Envelope => ({
    from: 1,
    to,
    correlationId: 3,
    message: { kind: 'EndQuorumEpoch', leaderId: 1, leaderEpoch: 5, preferredCandidates: [3, 2, 4] },
  });
  const second = start(2);
  const timer = second.handle(end(2), T0 + 10).find((o) => o.type === 'timer');
  // Position 1 of 3 with max 1000: (1000 >> 2) << 0 = 250 ms.
  assert.deepEqual(timer, { type: 'timer', deadlineMs: T0 + 260 });
  const third = start(4);
  assert.deepEqual(
    third.handle(end(4), T0 + 10).find((o) => o.type === 'timer'),
    { type: 'timer', deadlineMs: T0 + 510 },
  );
});

test('a stale BeginQuorumEpoch is fenced; a newer one makes the node follow its sender', () => {
  const { replica } = RaftReplica.start(
    config(2, [1, 2, 3]),
    { quorumState: { leaderEpoch: 3, leaderId: -1, votedId: -1 }, snapshot: null, entries: [] },
    T0,
  );
  const begin = (leaderEpoch: number): Envelope => ({
    from: 1,
    to: 2,
    correlationId: 1,
    message: { kind: 'BeginQuorumEpoch', leaderId: 1, leaderEpoch },
  });
  assert.equal(only(replica.handle(begin(2), T0), 'BeginQuorumEpochResponse')[0]!.message.errorCode, ErrorCode.FENCED_LEADER_EPOCH);
  assert.equal(replica.role, 'Unattached');
  const out = replica.handle(begin(4), T0);
  assert.deepEqual(types(out), ['persist-quorum-state', 'send:Fetch>1', 'send:BeginQuorumEpochResponse>1', 'timer']);
  assert.equal(replica.role, 'Follower');
  assert.equal(replica.epoch, 4);
});

test('the leader refuses appends beyond maxUncommittedEntries', () => {
  const { leader, now } = electedLeader({ maxUncommittedEntries: 3 });
  assert.deepEqual(leader.append([Buffer.from('a'), Buffer.from('b')], now).result, { offset: 1 });
  assert.deepEqual(leader.append([Buffer.from('c')], now).result, { errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED });
});

test('a Prospective that knows the old leader is not sent back to following it by a voter naming that same leader', () => {
  // Two followers of a dead leader time out together (real processes are that symmetric): each
  // answers the other's pre-vote naming leader 1, the leader both remember. That is no news of a
  // leader (Kafka's maybeTransition: only a node without a leader follows one it learns of in its
  // epoch); taking it as one sent both back to following the dead leader, forever.
  const { replica } = RaftReplica.start(
    config(2, [1, 2, 3]),
    { quorumState: { leaderEpoch: 1, leaderId: 1, votedId: -1 }, snapshot: null, entries: [] },
    T0,
  );
  assert.equal(replica.role, 'Follower');
  const now = T0 + 2000;
  const preVotes = only(replica.tick(now), 'Vote');
  assert.equal(replica.role, 'Prospective');
  const toNode3 = preVotes.find((e) => e.to === 3)!;
  assert.equal(toNode3.message.preVote, true);
  const answer = reply(toNode3, { kind: 'VoteResponse', errorCode: 0, leaderId: 1, leaderEpoch: 1, voteGranted: true, preVote: true });
  const outputs = replica.handle(answer, now);
  assert.equal(replica.role, 'Candidate', types(outputs).join(' '));
  assert.equal(replica.epoch, 2);
});
