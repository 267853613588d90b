/**
 * The Raft replica's messages (raft-messages.ts) on Kafka's wire: each RaftRequest/RaftResponse
 * maps one to one onto the partition part of Kafka 4.4's VoteRequest (v0-2, pre-vote at v2),
 * BeginQuorumEpoch, EndQuorumEpoch, Fetch of `__cluster_metadata-0` and FetchSnapshot, and log
 * entries map onto record batches. Pure: the driver (quorum/raft-node.ts) sends what this builds
 * through the Transport port, and the controller listener's handlers (quorum/controller-apis.ts)
 * decode with it.
 *
 * Entries ↔ batches: one batch per run of consecutive entries with the same epoch and kind,
 * baseOffset = the first entry's offset, partitionLeaderEpoch = the epoch, one record per entry
 * (value = the payload, key null). Control entries (LeaderChangeMessage) travel as control
 * batches whose record key is ControlRecordType LEADER_CHANGE (version 0, type 2), as Kafka
 * writes them.
 *
 * Validation done here, before anything reaches the replica (Kafka's KafkaRaftClient does the
 * same checks first): another cluster id → INCONSISTENT_CLUSTER_ID; a request for another topic
 * or partition → UNKNOWN_TOPIC_OR_PARTITION; a Vote/BeginQuorumEpoch/EndQuorumEpoch from a node
 * that is not a voter → INCONSISTENT_VOTER_SET.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import { ZERO_UUID } from '../protocol/reader.js';
import { buildRecordBatch } from '../protocol/records.js';
import { decodeRecords } from '../protocol/records.js';
import { iterateBatches } from '../protocol/record-batch.js';
import { decodeVoteRequest, encodeVoteRequest, type VoteRequest as WireVoteRequest } from '../protocol/generated/vote-request.js';
import {
  decodeVoteResponse,
  encodeVoteResponse,
  type VoteResponse as WireVoteResponse,
  type VoteResponseInput,
} from '../protocol/generated/vote-response.js';
import {
  decodeBeginQuorumEpochRequest,
  encodeBeginQuorumEpochRequest,
  type BeginQuorumEpochRequest as WireBeginRequest,
} from '../protocol/generated/begin-quorum-epoch-request.js';
import {
  decodeBeginQuorumEpochResponse,
  encodeBeginQuorumEpochResponse,
  type BeginQuorumEpochResponse as WireBeginResponse,
  type BeginQuorumEpochResponseInput,
} from '../protocol/generated/begin-quorum-epoch-response.js';
import {
  decodeEndQuorumEpochRequest,
  encodeEndQuorumEpochRequest,
  type EndQuorumEpochRequest as WireEndRequest,
} from '../protocol/generated/end-quorum-epoch-request.js';
import {
  decodeEndQuorumEpochResponse,
  encodeEndQuorumEpochResponse,
  type EndQuorumEpochResponse as WireEndResponse,
  type EndQuorumEpochResponseInput,
} from '../protocol/generated/end-quorum-epoch-response.js';
import { decodeFetchRequest, encodeFetchRequest, type FetchRequest as WireFetchRequest } from '../protocol/generated/fetch-request.js';
import {
  decodeFetchResponse,
  encodeFetchResponse,
  type FetchResponse as WireFetchResponse,
  type FetchResponseInput,
} from '../protocol/generated/fetch-response.js';
import {
  decodeFetchSnapshotRequest,
  encodeFetchSnapshotRequest,
  type FetchSnapshotRequest as WireFetchSnapshotRequest,
} from '../protocol/generated/fetch-snapshot-request.js';
import {
  decodeFetchSnapshotResponse,
  encodeFetchSnapshotResponse,
  type FetchSnapshotResponse as WireFetchSnapshotResponse,
  type FetchSnapshotResponseInput,
} from '../protocol/generated/fetch-snapshot-response.js';
import type {
  BeginQuorumEpochRequest,
  BeginQuorumEpochResponse,
  EndQuorumEpochRequest,
  EndQuorumEpochResponse,
  FetchRequest,
  FetchResponse,
  FetchSnapshotRequest,
  FetchSnapshotResponse,
  RaftEntry,
  RaftRequest,
  RaftResponse,
  VoteRequest,
  VoteResponse,
} from './raft-messages.js';

export const METADATA_TOPIC = '__cluster_metadata';
export const METADATA_PARTITION = 0;
/** Kafka's fixed topic id of `__cluster_metadata` (Uuid.METADATA_TOPIC_ID = Uuid(0, 1), base64 AAAAAAAAAAAAAAAAAAAAAQ). */
export const METADATA_TOPIC_ID = '00000000000000000000000000000001';
/** Kafka's INCONSISTENT_VOTER_SET (not in protocol/error-codes.ts, which lists the broker's codes). */
export const INCONSISTENT_VOTER_SET = 61;

export const API_FETCH = 1;
export const API_VOTE = 52;
export const API_BEGIN_QUORUM_EPOCH = 53;
export const API_END_QUORUM_EPOCH = 54;
export const API_DESCRIBE_QUORUM = 55;
export const API_FETCH_SNAPSHOT = 59;

/** The versions a Fjord voter sends (what Kafka 4.4's voters send too, Fetch aside: 17 vs 18). */
export const OUTBOUND_VERSIONS = { Vote: 2, BeginQuorumEpoch: 1, EndQuorumEpoch: 1, Fetch: 17, FetchSnapshot: 1 } as const;

/** ControlRecordType.LEADER_CHANGE's key: version 0, type 2. */
const LEADER_CHANGE_KEY = Buffer.from([0, 0, 0, 2]);

/** Structurally a client/kafka-connection.ts RequestSpec (this module stays free of sockets). */
export interface WireRequestSpec<Response> {
  apiKey: number;
  apiVersion: number;
  encode(writer: Writer, version: number): void;
  decode(reader: Reader, version: number): Response;
}

/** What the sender knows about the request: the cluster id, and who it goes to. */
export interface WireContext {
  clusterId: string;
  /** The destination's node id (VoterId, Kafka's check that the request reached the right voter). */
  destinationId: number;
  /** Timestamp put into the batches of a Fetch response (Kafka: the append time). */
  nowMs: number;
}

// ---------------------------------------------------------------------------------------------
// entries ↔ record batches

/** The entries as record batches (one per run of same-epoch, same-kind entries). */
export function entriesToBatches(entries: readonly RaftEntry[], timestampMs: number): Buffer[] {
  const batches: Buffer[] = [];
  let run: RaftEntry[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const control = run[0]!.control === true;
    batches.push(
      buildRecordBatch({
        records: run.map((e) => ({ key: control ? LEADER_CHANGE_KEY : null, value: e.payload })),
        baseOffset: run[0]!.offset,
        partitionLeaderEpoch: run[0]!.epoch,
        isControl: control,
        timestamp: timestampMs,
      }),
    );
    run = [];
  };
  for (const entry of entries) {
    const head = run[0];
    if (head !== undefined && (head.epoch !== entry.epoch || (head.control === true) !== (entry.control === true))) flush();
    run.push(entry);
  }
  flush();
  return batches;
}

export interface DecodedBatches {
  entries: RaftEntry[];
  /** Bytes of `buffer` taken by the complete, CRC-valid batches decoded. */
  validBytes: number;
}

/**
 * The entries of the complete, CRC-valid batches at the start of `buffer`; stops at the first
 * incomplete, invalid or corrupt batch (a torn tail on disk, a partial batch in a fetch).
 */
export function batchesToEntries(buffer: Buffer): DecodedBatches {
  const entries: RaftEntry[] = [];
  let validBytes = 0;
  for (const result of iterateBatches(buffer, { verifyCrc: true })) {
    if (result.kind !== 'batch' || result.crcValid !== true) break;
    const { header } = result;
    let records;
    try {
      records = decodeRecords(buffer.subarray(header.position, header.position + header.sizeBytes));
    } catch {
      break;
    }
    for (const record of records) {
      const entry: RaftEntry = {
        offset: record.offset,
        epoch: header.partitionLeaderEpoch,
        payload: Buffer.from(record.value ?? Buffer.alloc(0)),
      };
      if (header.isControl) entry.control = true;
      entries.push(entry);
    }
    validBytes = header.position + header.sizeBytes;
  }
  return { entries, validBytes };
}

// ---------------------------------------------------------------------------------------------
// outbound: a RaftRequest as a Kafka request, its response back as a RaftResponse

/**
 * The Kafka request for `message`. `decode` gives the matching RaftResponse, or null when the
 * response carries a top-level or partition-level error that is not the replica's business
 * (another cluster id, wrong topic): the driver drops it and the replica resends after its
 * request timeout.
 */
export function requestSpecFor(message: RaftRequest, ctx: WireContext): WireRequestSpec<RaftResponse | null> {
  switch (message.kind) {
    case 'Vote':
      return {
        apiKey: API_VOTE,
        apiVersion: OUTBOUND_VERSIONS.Vote,
        encode: (w, v) =>
          encodeVoteRequest(w, v, {
            clusterId: ctx.clusterId,
            voterId: ctx.destinationId,
            topics: [
              {
                topicName: METADATA_TOPIC,
                partitions: [
                  {
                    partitionIndex: 0,
                    replicaEpoch: message.replicaEpoch,
                    replicaId: message.replicaId,
                    replicaDirectoryId: ZERO_UUID,
                    voterDirectoryId: ZERO_UUID,
                    lastOffsetEpoch: message.lastOffsetEpoch,
                    lastOffset: BigInt(message.lastOffset),
                    preVote: message.preVote,
                  },
                ],
              },
            ],
          }),
        decode: (r, v) => voteResponseFromWire(decodeVoteResponse(r, v), message.preVote),
      };
    case 'BeginQuorumEpoch':
      return {
        apiKey: API_BEGIN_QUORUM_EPOCH,
        apiVersion: OUTBOUND_VERSIONS.BeginQuorumEpoch,
        encode: (w, v) =>
          encodeBeginQuorumEpochRequest(w, v, {
            clusterId: ctx.clusterId,
            voterId: ctx.destinationId,
            topics: [
              {
                topicName: METADATA_TOPIC,
                partitions: [
                  { partitionIndex: 0, voterDirectoryId: ZERO_UUID, leaderId: message.leaderId, leaderEpoch: message.leaderEpoch },
                ],
              },
            ],
          }),
        decode: (r, v) => leaderResponseFromWire('BeginQuorumEpochResponse', decodeBeginQuorumEpochResponse(r, v)),
      };
    case 'EndQuorumEpoch':
      return {
        apiKey: API_END_QUORUM_EPOCH,
        apiVersion: OUTBOUND_VERSIONS.EndQuorumEpoch,
        encode: (w, v) =>
          encodeEndQuorumEpochRequest(w, v, {
            clusterId: ctx.clusterId,
            topics: [
              {
                topicName: METADATA_TOPIC,
                partitions: [
                  {
                    partitionIndex: 0,
                    leaderId: message.leaderId,
                    leaderEpoch: message.leaderEpoch,
                    preferredSuccessors: v === 0 ? message.preferredCandidates : [],
                    preferredCandidates: message.preferredCandidates.map((candidateId) => ({
                      candidateId,
                      candidateDirectoryId: ZERO_UUID,
                    })),
                  },
                ],
              },
            ],
          }),
        decode: (r, v) => leaderResponseFromWire('EndQuorumEpochResponse', decodeEndQuorumEpochResponse(r, v)),
      };
    case 'Fetch':
      return {
        apiKey: API_FETCH,
        apiVersion: OUTBOUND_VERSIONS.Fetch,
        encode: (w, v) =>
          encodeFetchRequest(w, v, {
            clusterId: ctx.clusterId,
            replicaState: { replicaId: message.replicaId, replicaEpoch: -1n },
            maxWaitMs: message.maxWaitMs,
            minBytes: 0,
            maxBytes: FETCH_MAX_BYTES,
            isolationLevel: 0,
            sessionId: 0,
            sessionEpoch: -1,
            topics: [
              {
                topic: METADATA_TOPIC,
                topicId: METADATA_TOPIC_ID,
                partitions: [
                  {
                    partition: 0,
                    currentLeaderEpoch: message.currentLeaderEpoch,
                    fetchOffset: BigInt(message.fetchOffset),
                    lastFetchedEpoch: message.lastFetchedEpoch,
                    logStartOffset: -1n,
                    partitionMaxBytes: FETCH_MAX_BYTES,
                    replicaDirectoryId: ZERO_UUID,
                  },
                ],
              },
            ],
            forgottenTopicsData: [],
            rackId: '',
          }),
        decode: (r, v) => fetchResponseFromWire(decodeFetchResponse(r, v)),
      };
    case 'FetchSnapshot':
      return {
        apiKey: API_FETCH_SNAPSHOT,
        apiVersion: OUTBOUND_VERSIONS.FetchSnapshot,
        encode: (w, v) =>
          encodeFetchSnapshotRequest(w, v, {
            clusterId: ctx.clusterId,
            replicaId: message.replicaId,
            maxBytes: message.maxBytes,
            topics: [
              {
                name: METADATA_TOPIC,
                partitions: [
                  {
                    partition: 0,
                    currentLeaderEpoch: message.currentLeaderEpoch,
                    snapshotId: { endOffset: BigInt(message.snapshotId.endOffset), epoch: message.snapshotId.epoch },
                    position: BigInt(message.position),
                    replicaDirectoryId: ZERO_UUID,
                  },
                ],
              },
            ],
          }),
        decode: (r, v) => fetchSnapshotResponseFromWire(decodeFetchSnapshotResponse(r, v)),
      };
  }
}

/** Kafka's controller.quorum fetch max bytes (KafkaRaftClient.MAX_FETCH_SIZE_BYTES = 8 MiB). */
const FETCH_MAX_BYTES = 8 * 1024 * 1024;

function onlyPartition<P extends { partitionIndex?: number; index?: number }>(
  topics: readonly { topicName?: string; name?: string; topic?: string; topicId?: string; partitions: readonly P[] }[],
): P | null {
  if (topics.length !== 1) return null;
  const topic = topics[0]!;
  const name = topic.topicName ?? topic.name ?? topic.topic ?? '';
  if (name !== METADATA_TOPIC && topic.topicId !== METADATA_TOPIC_ID) return null;
  if (topic.partitions.length !== 1) return null;
  const partition = topic.partitions[0]!;
  if ((partition.partitionIndex ?? partition.index ?? 0) !== 0) return null;
  return partition;
}

function voteResponseFromWire(wire: WireVoteResponse, preVote: boolean): VoteResponse | null {
  if (wire.errorCode !== ErrorCode.NONE) return null;
  const p = onlyPartition(wire.topics);
  if (p === null) return null;
  return {
    kind: 'VoteResponse',
    errorCode: p.errorCode,
    leaderId: p.leaderId,
    leaderEpoch: p.leaderEpoch,
    voteGranted: p.voteGranted,
    preVote,
  };
}

function leaderResponseFromWire<K extends 'BeginQuorumEpochResponse' | 'EndQuorumEpochResponse'>(
  kind: K,
  wire: WireBeginResponse | WireEndResponse,
): (K extends 'BeginQuorumEpochResponse' ? BeginQuorumEpochResponse : EndQuorumEpochResponse) | null {
  if (wire.errorCode !== ErrorCode.NONE) return null;
  const p = onlyPartition(wire.topics);
  if (p === null) return null;
  return { kind, errorCode: p.errorCode, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch } as K extends 'BeginQuorumEpochResponse'
    ? BeginQuorumEpochResponse
    : EndQuorumEpochResponse;
}

function fetchResponseFromWire(wire: WireFetchResponse): FetchResponse | null {
  if (wire.errorCode !== ErrorCode.NONE) return null;
  const topics = wire.responses.map((t) => ({ topic: t.topic, topicId: t.topicId, partitions: t.partitions }));
  const p = onlyPartition(topics);
  if (p === null) return null;
  const diverging = p.divergingEpoch.epoch >= 0 ? { epoch: p.divergingEpoch.epoch, endOffset: Number(p.divergingEpoch.endOffset) } : null;
  const snapshot =
    p.snapshotId.epoch >= 0 && p.snapshotId.endOffset >= 0n
      ? { endOffset: Number(p.snapshotId.endOffset), epoch: p.snapshotId.epoch }
      : null;
  return {
    kind: 'FetchResponse',
    errorCode: p.errorCode,
    highWatermark: Number(p.highWatermark),
    logStartOffset: Number(p.logStartOffset),
    divergingEpoch: diverging,
    snapshotId: snapshot,
    currentLeader: { leaderId: p.currentLeader.leaderId, leaderEpoch: p.currentLeader.leaderEpoch },
    records: p.records === null ? [] : batchesToEntries(p.records).entries,
  };
}

function fetchSnapshotResponseFromWire(wire: WireFetchSnapshotResponse): FetchSnapshotResponse | null {
  if (wire.errorCode !== ErrorCode.NONE) return null;
  const p = onlyPartition(wire.topics);
  if (p === null) return null;
  return {
    kind: 'FetchSnapshotResponse',
    errorCode: p.errorCode,
    snapshotId: { endOffset: Number(p.snapshotId.endOffset), epoch: p.snapshotId.epoch },
    currentLeader: { leaderId: p.currentLeader.leaderId, leaderEpoch: p.currentLeader.leaderEpoch },
    size: Number(p.size),
    position: Number(p.position),
    unalignedRecords: p.unalignedRecords ?? Buffer.alloc(0),
  };
}

// ---------------------------------------------------------------------------------------------
// inbound: a Kafka request as a RaftRequest (or the error to answer without the replica)

export interface InboundCheck {
  clusterId: string;
  voterIds: readonly number[];
}

export type Inbound<M extends RaftRequest> = { ok: true; from: number; message: M } | { ok: false; errorCode: number };

/**
 * Field ranges the replica assumes (it asserts on what a correct peer never sends, and a failed
 * assertion stops the process): offsets, positions, epochs and sizes are never negative, except a
 * CurrentLeaderEpoch of -1 ("unknown"). A request outside them is INVALID_REQUEST.
 */
export function validInbound(message: RaftRequest, selfId: number): boolean {
  const nonNegative = (...values: number[]) => values.every((v) => Number.isSafeInteger(v) && v >= 0);
  switch (message.kind) {
    case 'Vote':
      return message.replicaId !== selfId && nonNegative(message.replicaEpoch, message.lastOffsetEpoch, message.lastOffset);
    case 'BeginQuorumEpoch':
    case 'EndQuorumEpoch':
      return message.leaderId !== selfId && nonNegative(message.leaderEpoch);
    case 'Fetch':
      return (
        message.replicaId !== selfId &&
        nonNegative(message.currentLeaderEpoch + 1, message.fetchOffset, message.lastFetchedEpoch, message.maxWaitMs)
      );
    case 'FetchSnapshot':
      return (
        message.replicaId !== selfId &&
        nonNegative(
          message.currentLeaderEpoch + 1,
          message.snapshotId.endOffset,
          message.snapshotId.epoch,
          message.position,
          message.maxBytes,
        )
      );
  }
}

function checkCluster(clusterId: string | null, check: InboundCheck): number {
  // Kafka accepts a null cluster id (old clients); a different one is refused.
  return clusterId !== null && clusterId !== check.clusterId ? ErrorCode.INCONSISTENT_CLUSTER_ID : ErrorCode.NONE;
}

export function voteFromWire(wire: WireVoteRequest, check: InboundCheck): Inbound<VoteRequest> {
  const cluster = checkCluster(wire.clusterId, check);
  if (cluster !== ErrorCode.NONE) return { ok: false, errorCode: cluster };
  const p = onlyPartition(wire.topics);
  if (p === null) return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  if (!check.voterIds.includes(p.replicaId)) return { ok: false, errorCode: INCONSISTENT_VOTER_SET };
  return {
    ok: true,
    from: p.replicaId,
    message: {
      kind: 'Vote',
      replicaEpoch: p.replicaEpoch,
      replicaId: p.replicaId,
      lastOffsetEpoch: p.lastOffsetEpoch,
      lastOffset: Number(p.lastOffset),
      preVote: p.preVote,
    },
  };
}

export function beginQuorumEpochFromWire(wire: WireBeginRequest, check: InboundCheck): Inbound<BeginQuorumEpochRequest> {
  const cluster = checkCluster(wire.clusterId, check);
  if (cluster !== ErrorCode.NONE) return { ok: false, errorCode: cluster };
  const p = onlyPartition(wire.topics);
  if (p === null) return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  if (!check.voterIds.includes(p.leaderId)) return { ok: false, errorCode: INCONSISTENT_VOTER_SET };
  return { ok: true, from: p.leaderId, message: { kind: 'BeginQuorumEpoch', leaderId: p.leaderId, leaderEpoch: p.leaderEpoch } };
}

export function endQuorumEpochFromWire(wire: WireEndRequest, check: InboundCheck, version: number): Inbound<EndQuorumEpochRequest> {
  const cluster = checkCluster(wire.clusterId, check);
  if (cluster !== ErrorCode.NONE) return { ok: false, errorCode: cluster };
  const p = onlyPartition(wire.topics);
  if (p === null) return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  if (!check.voterIds.includes(p.leaderId)) return { ok: false, errorCode: INCONSISTENT_VOTER_SET };
  const preferred = version === 0 ? p.preferredSuccessors : p.preferredCandidates.map((c) => c.candidateId);
  return {
    ok: true,
    from: p.leaderId,
    message: { kind: 'EndQuorumEpoch', leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, preferredCandidates: preferred },
  };
}

/** Fetch on the controller listener: only `__cluster_metadata-0`, by name or by Kafka's topic id. */
export function fetchFromWire(wire: WireFetchRequest, check: InboundCheck, version: number): Inbound<FetchRequest> {
  const cluster = checkCluster(wire.clusterId, check);
  if (cluster !== ErrorCode.NONE) return { ok: false, errorCode: cluster };
  const topics = wire.topics.map((t) => ({
    topic: version >= 13 ? '' : t.topic,
    topicId: version >= 13 ? t.topicId : '',
    partitions: t.partitions,
  }));
  if (topics.length !== 1 || topics[0]!.partitions.length !== 1 || topics[0]!.partitions[0]!.partition !== 0) {
    return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  }
  const t = topics[0]!;
  if (t.topic !== METADATA_TOPIC && t.topicId !== METADATA_TOPIC_ID) return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  const p = t.partitions[0]!;
  const replicaId = version >= 15 ? wire.replicaState.replicaId : wire.replicaId;
  // Observers (non-voter fetchers) are not modelled by the replica (KIP-853 is out of scope).
  if (!check.voterIds.includes(replicaId)) return { ok: false, errorCode: INCONSISTENT_VOTER_SET };
  return {
    ok: true,
    from: replicaId,
    message: {
      kind: 'Fetch',
      replicaId,
      currentLeaderEpoch: p.currentLeaderEpoch,
      fetchOffset: Number(p.fetchOffset),
      lastFetchedEpoch: p.lastFetchedEpoch,
      maxWaitMs: wire.maxWaitMs,
    },
  };
}

export function fetchSnapshotFromWire(wire: WireFetchSnapshotRequest, check: InboundCheck): Inbound<FetchSnapshotRequest> {
  const cluster = checkCluster(wire.clusterId, check);
  if (cluster !== ErrorCode.NONE) return { ok: false, errorCode: cluster };
  const topics = wire.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ ...p, partitionIndex: p.partition })) }));
  const p = onlyPartition(topics);
  if (p === null) return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  if (!check.voterIds.includes(wire.replicaId)) return { ok: false, errorCode: INCONSISTENT_VOTER_SET };
  return {
    ok: true,
    from: wire.replicaId,
    message: {
      kind: 'FetchSnapshot',
      replicaId: wire.replicaId,
      currentLeaderEpoch: p.currentLeaderEpoch,
      snapshotId: { endOffset: Number(p.snapshotId.endOffset), epoch: p.snapshotId.epoch },
      position: Number(p.position),
      maxBytes: wire.maxBytes,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// inbound responses: the replica's RaftResponse as Kafka's response body

export function voteResponseToWire(m: VoteResponse | { errorCode: number }): VoteResponseInput {
  if (!('kind' in m)) return { errorCode: m.errorCode, topics: [] };
  return {
    errorCode: ErrorCode.NONE,
    topics: [
      {
        topicName: METADATA_TOPIC,
        partitions: [
          { partitionIndex: 0, errorCode: m.errorCode, leaderId: m.leaderId, leaderEpoch: m.leaderEpoch, voteGranted: m.voteGranted },
        ],
      },
    ],
  };
}

export function leaderResponseToWire(
  m: BeginQuorumEpochResponse | EndQuorumEpochResponse | { errorCode: number },
): BeginQuorumEpochResponseInput & EndQuorumEpochResponseInput {
  if (!('kind' in m)) return { errorCode: m.errorCode, topics: [] };
  return {
    errorCode: ErrorCode.NONE,
    topics: [
      {
        topicName: METADATA_TOPIC,
        partitions: [{ partitionIndex: 0, errorCode: m.errorCode, leaderId: m.leaderId, leaderEpoch: m.leaderEpoch }],
      },
    ],
  };
}

export function fetchResponseToWire(m: FetchResponse | { errorCode: number }, timestampMs: number): FetchResponseInput {
  if (!('kind' in m)) return { errorCode: m.errorCode, responses: [] };
  const records = m.records.length === 0 ? null : Buffer.concat(entriesToBatches(m.records, timestampMs));
  return {
    errorCode: ErrorCode.NONE,
    responses: [
      {
        topic: METADATA_TOPIC,
        topicId: METADATA_TOPIC_ID,
        partitions: [
          {
            partitionIndex: 0,
            errorCode: m.errorCode,
            highWatermark: BigInt(m.highWatermark),
            lastStableOffset: BigInt(m.highWatermark),
            logStartOffset: BigInt(m.logStartOffset),
            divergingEpoch:
              m.divergingEpoch === null
                ? { epoch: -1, endOffset: -1n }
                : { epoch: m.divergingEpoch.epoch, endOffset: BigInt(m.divergingEpoch.endOffset) },
            currentLeader: { leaderId: m.currentLeader.leaderId, leaderEpoch: m.currentLeader.leaderEpoch },
            snapshotId:
              m.snapshotId === null
                ? { endOffset: -1n, epoch: -1 }
                : { endOffset: BigInt(m.snapshotId.endOffset), epoch: m.snapshotId.epoch },
            abortedTransactions: null,
            preferredReadReplica: -1,
            records,
          },
        ],
      },
    ],
  };
}

export function fetchSnapshotResponseToWire(m: FetchSnapshotResponse | { errorCode: number }): FetchSnapshotResponseInput {
  if (!('kind' in m)) return { errorCode: m.errorCode, topics: [] };
  return {
    errorCode: ErrorCode.NONE,
    topics: [
      {
        name: METADATA_TOPIC,
        partitions: [
          {
            index: 0,
            errorCode: m.errorCode,
            snapshotId: { endOffset: BigInt(m.snapshotId.endOffset), epoch: m.snapshotId.epoch },
            currentLeader: { leaderId: m.currentLeader.leaderId, leaderEpoch: m.currentLeader.leaderEpoch },
            size: BigInt(m.size),
            position: BigInt(m.position),
            unalignedRecords: m.unalignedRecords,
          },
        ],
      },
    ],
  };
}

/** The codecs, re-exported for the controller handlers. */
export const wireCodecs = {
  decodeVoteRequest,
  encodeVoteResponse,
  decodeBeginQuorumEpochRequest,
  encodeBeginQuorumEpochResponse,
  decodeEndQuorumEpochRequest,
  encodeEndQuorumEpochResponse,
  decodeFetchRequest,
  encodeFetchResponse,
  decodeFetchSnapshotRequest,
  encodeFetchSnapshotResponse,
};
