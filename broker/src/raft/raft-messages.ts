/**
 * The KRaft RPCs the Raft replica sends and receives, as thin typed wrappers over the partition
 * parts of Kafka 4.4's schemas (VoteRequest/Response, BeginQuorumEpoch*, EndQuorumEpoch*, the
 * metadata-partition parts of Fetch*, FetchSnapshot*). Field names are the schemas' names so the
 * network driver maps them one to one onto the generated codecs in protocol/generated/; offsets
 * are `number` here (the metadata log stays far below 2^53) and the driver converts to bigint.
 *
 * Every message travels in an `Envelope` with a correlation id: a response echoes its request's
 * id, and the replica drops responses it no longer expects (Kafka's RequestManager does the same),
 * so a duplicated or late response can never be applied against the wrong request.
 */

export interface OffsetAndEpoch {
  offset: number;
  epoch: number;
}

/** VoteRequest partition data (pre-vote when `preVote`, KIP-996). */
export interface VoteRequest {
  kind: 'Vote';
  replicaEpoch: number;
  replicaId: number;
  lastOffsetEpoch: number;
  lastOffset: number;
  preVote: boolean;
}

export interface VoteResponse {
  kind: 'VoteResponse';
  errorCode: number;
  leaderId: number;
  leaderEpoch: number;
  voteGranted: boolean;
  /** Echo of the request's flag (Kafka's client remembers it with the in-flight request). */
  preVote: boolean;
}

export interface BeginQuorumEpochRequest {
  kind: 'BeginQuorumEpoch';
  leaderId: number;
  leaderEpoch: number;
}

export interface BeginQuorumEpochResponse {
  kind: 'BeginQuorumEpochResponse';
  errorCode: number;
  leaderId: number;
  leaderEpoch: number;
}

export interface EndQuorumEpochRequest {
  kind: 'EndQuorumEpoch';
  leaderId: number;
  leaderEpoch: number;
  /** The other voters by descending fetch offset (v1 PreferredCandidates). */
  preferredCandidates: number[];
}

export interface EndQuorumEpochResponse {
  kind: 'EndQuorumEpochResponse';
  errorCode: number;
  leaderId: number;
  leaderEpoch: number;
}

/** FetchRequest for `__cluster_metadata-0`: ReplicaState.ReplicaId, FetchOffset, LastFetchedEpoch, CurrentLeaderEpoch. */
export interface FetchRequest {
  kind: 'Fetch';
  replicaId: number;
  currentLeaderEpoch: number;
  fetchOffset: number;
  lastFetchedEpoch: number;
  maxWaitMs: number;
}

export interface RaftEntry {
  offset: number;
  epoch: number;
  payload: Buffer;
  /** A control record (LeaderChangeMessage); the applier sees it but does not apply it. */
  control?: boolean;
}

export interface FetchResponse {
  kind: 'FetchResponse';
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  /** Set when the fetcher's log diverges: truncate to this (epoch, endOffset) and fetch again. */
  divergingEpoch: { epoch: number; endOffset: number } | null;
  /** Set when the fetch offset is below the log start: FetchSnapshot this snapshot. */
  snapshotId: { endOffset: number; epoch: number } | null;
  currentLeader: { leaderId: number; leaderEpoch: number };
  /** The records (Kafka: a record batch; here the entries, base offset = entries[0].offset). */
  records: RaftEntry[];
}

export interface FetchSnapshotRequest {
  kind: 'FetchSnapshot';
  replicaId: number;
  currentLeaderEpoch: number;
  snapshotId: { endOffset: number; epoch: number };
  position: number;
  maxBytes: number;
}

export interface FetchSnapshotResponse {
  kind: 'FetchSnapshotResponse';
  errorCode: number;
  snapshotId: { endOffset: number; epoch: number };
  currentLeader: { leaderId: number; leaderEpoch: number };
  size: number;
  position: number;
  unalignedRecords: Buffer;
}

export type RaftRequest = VoteRequest | BeginQuorumEpochRequest | EndQuorumEpochRequest | FetchRequest | FetchSnapshotRequest;
export type RaftResponse = VoteResponse | BeginQuorumEpochResponse | EndQuorumEpochResponse | FetchResponse | FetchSnapshotResponse;
export type RaftMessage = RaftRequest | RaftResponse;

export interface Envelope {
  from: number;
  to: number;
  correlationId: number;
  message: RaftMessage;
}

export function isRequest(message: RaftMessage): message is RaftRequest {
  return !message.kind.endsWith('Response');
}
