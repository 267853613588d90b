/**
 * raft-wire round trips: every Raft request through Kafka's request codec and back (what the
 * receiving controller decodes is what the sender's replica said), every response likewise, the
 * entries ↔ record batches mapping, and the checks done before the replica sees a request.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { readBatchHeader } from '../protocol/record-batch.js';
import { decodeVoteRequest } from '../protocol/generated/vote-request.js';
import { decodeBeginQuorumEpochRequest } from '../protocol/generated/begin-quorum-epoch-request.js';
import { decodeEndQuorumEpochRequest } from '../protocol/generated/end-quorum-epoch-request.js';
import { decodeFetchRequest, encodeFetchRequest } from '../protocol/generated/fetch-request.js';
import { decodeFetchSnapshotRequest } from '../protocol/generated/fetch-snapshot-request.js';
import { encodeVoteResponse } from '../protocol/generated/vote-response.js';
import { encodeBeginQuorumEpochResponse } from '../protocol/generated/begin-quorum-epoch-response.js';
import { encodeFetchResponse } from '../protocol/generated/fetch-response.js';
import { encodeFetchSnapshotResponse } from '../protocol/generated/fetch-snapshot-response.js';
import {
  INCONSISTENT_VOTER_SET,
  METADATA_TOPIC,
  METADATA_TOPIC_ID,
  batchesToEntries,
  beginQuorumEpochFromWire,
  endQuorumEpochFromWire,
  entriesToBatches,
  fetchFromWire,
  fetchResponseToWire,
  fetchSnapshotFromWire,
  fetchSnapshotResponseToWire,
  leaderResponseToWire,
  requestSpecFor,
  validInbound,
  voteFromWire,
  voteResponseToWire,
} from './raft-wire.js';
import type { FetchResponse, RaftEntry, RaftRequest } from './raft-messages.js';

const CLUSTER = 'q1xIbrdZS0ugMdMcLFtRXw';
const check = { clusterId: CLUSTER, voterIds: [1, 2, 3] };
const ctx = { clusterId: CLUSTER, destinationId: 2, nowMs: 1_700_000_000_000 };

/** Encodes the request the driver would send, at the version it sends. */
function wireBytes(message: RaftRequest): { bytes: Buffer; version: number } {
  const spec = requestSpecFor(message, ctx);
  const w = new Writer();
  spec.encode(w, spec.apiVersion);
  return { bytes: w.toBuffer(), version: spec.apiVersion };
}

function decodeResponse(message: RaftRequest, encode: (w: Writer, v: number) => void) {
  const spec = requestSpecFor(message, ctx);
  const w = new Writer();
  encode(w, spec.apiVersion);
  return spec.decode(new Reader(w.toBuffer()), spec.apiVersion);
}

test('Vote (pre-vote and real) round-trips; the response keeps the preVote flag', () => {
  for (const preVote of [true, false]) {
    const vote: RaftRequest = { kind: 'Vote', replicaEpoch: 7, replicaId: 1, lastOffsetEpoch: 6, lastOffset: 42, preVote };
    const { bytes, version } = wireBytes(vote);
    assert.equal(version, 2);
    const inbound = voteFromWire(decodeVoteRequest(new Reader(bytes), version), check);
    assert.deepEqual(inbound, { ok: true, from: 1, message: vote });
    const response = { kind: 'VoteResponse' as const, errorCode: 0, leaderId: -1, leaderEpoch: 7, voteGranted: true, preVote };
    assert.deepEqual(
      decodeResponse(vote, (w, v) => encodeVoteResponse(w, v, voteResponseToWire(response))),
      response,
    );
  }
});

test('BeginQuorumEpoch and EndQuorumEpoch round-trip', () => {
  const begin: RaftRequest = { kind: 'BeginQuorumEpoch', leaderId: 3, leaderEpoch: 9 };
  const b = wireBytes(begin);
  assert.deepEqual(beginQuorumEpochFromWire(decodeBeginQuorumEpochRequest(new Reader(b.bytes), b.version), check), {
    ok: true,
    from: 3,
    message: begin,
  });
  const beginResponse = { kind: 'BeginQuorumEpochResponse' as const, errorCode: 0, leaderId: 3, leaderEpoch: 9 };
  assert.deepEqual(
    decodeResponse(begin, (w, v) => encodeBeginQuorumEpochResponse(w, v, leaderResponseToWire(beginResponse))),
    beginResponse,
  );
  const end: RaftRequest = { kind: 'EndQuorumEpoch', leaderId: 3, leaderEpoch: 9, preferredCandidates: [2, 1] };
  const e = wireBytes(end);
  assert.deepEqual(endQuorumEpochFromWire(decodeEndQuorumEpochRequest(new Reader(e.bytes), e.version), check, e.version), {
    ok: true,
    from: 3,
    message: end,
  });
});

test('Fetch round-trips with records, diverging epoch and snapshot id', () => {
  const fetch: RaftRequest = { kind: 'Fetch', replicaId: 2, currentLeaderEpoch: 4, fetchOffset: 10, lastFetchedEpoch: 3, maxWaitMs: 500 };
  const f = wireBytes(fetch);
  assert.deepEqual(fetchFromWire(decodeFetchRequest(new Reader(f.bytes), f.version), check, f.version), {
    ok: true,
    from: 2,
    message: fetch,
  });
  const records: RaftEntry[] = [
    { offset: 10, epoch: 3, payload: Buffer.from('a') },
    { offset: 11, epoch: 4, payload: Buffer.from('lcm'), control: true },
    { offset: 12, epoch: 4, payload: Buffer.from('b') },
  ];
  const responses: FetchResponse[] = [
    {
      kind: 'FetchResponse',
      errorCode: 0,
      highWatermark: 12,
      logStartOffset: 0,
      divergingEpoch: null,
      snapshotId: null,
      currentLeader: { leaderId: 1, leaderEpoch: 4 },
      records,
    },
    {
      kind: 'FetchResponse',
      errorCode: 0,
      highWatermark: 5,
      logStartOffset: 0,
      divergingEpoch: { epoch: 2, endOffset: 8 },
      snapshotId: null,
      currentLeader: { leaderId: 1, leaderEpoch: 4 },
      records: [],
    },
    {
      kind: 'FetchResponse',
      errorCode: 0,
      highWatermark: 50,
      logStartOffset: 40,
      divergingEpoch: null,
      snapshotId: { endOffset: 40, epoch: 3 },
      currentLeader: { leaderId: 1, leaderEpoch: 4 },
      records: [],
    },
    {
      kind: 'FetchResponse',
      errorCode: ErrorCode.FENCED_LEADER_EPOCH,
      highWatermark: -1,
      logStartOffset: 0,
      divergingEpoch: null,
      snapshotId: null,
      currentLeader: { leaderId: 2, leaderEpoch: 5 },
      records: [],
    },
  ];
  for (const response of responses) {
    assert.deepEqual(
      decodeResponse(fetch, (w, v) => encodeFetchResponse(w, v, fetchResponseToWire(response, ctx.nowMs))),
      response,
    );
  }
});

test('a voter Fetch is accepted by topic id (v13+) and by name (v12), nothing else', () => {
  const encode = (version: number, topic: { topic?: string; topicId?: string }, partition = 0) => {
    const w = new Writer();
    encodeFetchRequest(w, version, {
      clusterId: CLUSTER,
      replicaId: version < 15 ? 2 : -1,
      replicaState: version >= 15 ? { replicaId: 2, replicaEpoch: -1n } : undefined,
      maxWaitMs: 500,
      topics: [{ ...topic, partitions: [{ partition, currentLeaderEpoch: 1, fetchOffset: 0n, lastFetchedEpoch: 0 }] }],
    });
    return fetchFromWire(decodeFetchRequest(new Reader(w.toBuffer()), version), check, version);
  };
  assert.equal(encode(17, { topicId: METADATA_TOPIC_ID }).ok, true);
  assert.equal(encode(18, { topicId: METADATA_TOPIC_ID }).ok, true);
  assert.equal(encode(12, { topic: METADATA_TOPIC }).ok, true);
  assert.deepEqual(encode(12, { topic: 'orders' }), { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  assert.deepEqual(encode(17, { topicId: '0123456789abcdef0123456789abcdef' }), {
    ok: false,
    errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  });
  assert.deepEqual(encode(17, { topicId: METADATA_TOPIC_ID }, 1), { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
});

test('FetchSnapshot round-trips', () => {
  const request: RaftRequest = {
    kind: 'FetchSnapshot',
    replicaId: 3,
    currentLeaderEpoch: 4,
    snapshotId: { endOffset: 40, epoch: 3 },
    position: 1024,
    maxBytes: 4096,
  };
  const s = wireBytes(request);
  assert.deepEqual(fetchSnapshotFromWire(decodeFetchSnapshotRequest(new Reader(s.bytes), s.version), check), {
    ok: true,
    from: 3,
    message: request,
  });
  const response = {
    kind: 'FetchSnapshotResponse' as const,
    errorCode: 0,
    snapshotId: { endOffset: 40, epoch: 3 },
    currentLeader: { leaderId: 1, leaderEpoch: 4 },
    size: 5000,
    position: 1024,
    unalignedRecords: Buffer.from('chunk'),
  };
  assert.deepEqual(
    decodeResponse(request, (w, v) => encodeFetchSnapshotResponse(w, v, fetchSnapshotResponseToWire(response))),
    response,
  );
});

test('another cluster id is INCONSISTENT_CLUSTER_ID, a non-voter INCONSISTENT_VOTER_SET (61); a null cluster id passes', () => {
  const vote: RaftRequest = { kind: 'Vote', replicaEpoch: 1, replicaId: 1, lastOffsetEpoch: 0, lastOffset: 0, preVote: false };
  const { bytes, version } = wireBytes(vote);
  const wire = decodeVoteRequest(new Reader(bytes), version);
  assert.deepEqual(voteFromWire({ ...wire, clusterId: 'other' }, check), { ok: false, errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID });
  assert.deepEqual(voteFromWire(wire, { clusterId: CLUSTER, voterIds: [2, 3, 4] }), { ok: false, errorCode: INCONSISTENT_VOTER_SET });
  assert.equal(voteFromWire({ ...wire, clusterId: null }, check).ok, true);
  assert.equal(INCONSISTENT_VOTER_SET, 61);
  // A top-level error in a response is not the replica's business: the driver drops it.
  assert.equal(
    decodeResponse(vote, (w, v) => encodeVoteResponse(w, v, voteResponseToWire({ errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID }))),
    null,
  );
});

test('entries become one batch per run of same-epoch, same-kind entries, and come back', () => {
  const entries: RaftEntry[] = [
    { offset: 0, epoch: 1, payload: Buffer.from('lcm'), control: true },
    { offset: 1, epoch: 1, payload: Buffer.from('x') },
    { offset: 2, epoch: 1, payload: Buffer.from('y') },
    { offset: 3, epoch: 2, payload: Buffer.from('lcm2'), control: true },
    { offset: 4, epoch: 2, payload: Buffer.alloc(0) },
  ];
  const batches = entriesToBatches(entries, 0);
  assert.equal(batches.length, 4);
  const headers = batches.map((b) => {
    const r = readBatchHeader(b, 0, true);
    assert.ok(r.kind === 'batch' && r.crcValid === true);
    return r.header;
  });
  assert.deepEqual(
    headers.map((h) => [h.baseOffset, h.lastOffset, h.partitionLeaderEpoch, h.isControl]),
    [
      [0, 0, 1, true],
      [1, 2, 1, false],
      [3, 3, 2, true],
      [4, 4, 2, false],
    ],
  );
  const all = Buffer.concat(batches);
  assert.deepEqual(batchesToEntries(all), { entries, validBytes: all.length });
  // A partial last batch (a fetch cut short, a torn write) ends the decoding before it.
  const cut = all.subarray(0, all.length - 3);
  assert.deepEqual(batchesToEntries(cut).entries, entries.slice(0, 4));
});

test('requests outside the ranges the replica assumes are refused before it (INVALID_REQUEST upstream)', () => {
  const vote = { kind: 'Vote' as const, replicaEpoch: 1, replicaId: 2, lastOffsetEpoch: 0, lastOffset: 0, preVote: false };
  assert.equal(validInbound(vote, 1), true);
  assert.equal(validInbound({ ...vote, replicaId: 1 }, 1), false, 'a vote from ourselves');
  assert.equal(validInbound({ ...vote, lastOffset: -5 }, 1), false);
  const fetch = { kind: 'Fetch' as const, replicaId: 2, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: 0, maxWaitMs: 0 };
  assert.equal(validInbound(fetch, 1), true, 'CurrentLeaderEpoch -1 means unknown');
  assert.equal(validInbound({ ...fetch, fetchOffset: -1 }, 1), false);
  assert.equal(validInbound({ kind: 'BeginQuorumEpoch', leaderId: 2, leaderEpoch: -3 }, 1), false);
});
