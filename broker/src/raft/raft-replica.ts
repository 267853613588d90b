/**
 * One voter of the KRaft metadata quorum (KafkaRaftClient + QuorumState + LeaderState, KIP-595,
 * KIP-996 pre-vote, KIP-630 snapshots) as a pure state machine: no sockets, files, timers or
 * clock inside. Every input carries `nowMs`; every input returns the outputs it caused, in order:
 *
 *   send               a request or response to another node (Envelope, correlation id inside)
 *   persist-quorum-state / append / truncate / truncate-prefix / install-snapshot
 *                      durable writes (QuorumStateData, the log, the snapshot)
 *   commit             the high watermark moved: apply these entries (offsets [from, hw))
 *   load-snapshot      the applier must reset its state to this snapshot
 *   timer              call `tick()` at `deadlineMs` (replaces the previous timer)
 *
 * Durability contract for the driver (the simulator models it, test/sim/raft-cluster.ts):
 *   outputs are released in order, and a `send`, `commit` or `load-snapshot` may only be released
 *   once every durable write emitted before it (by this call or an earlier one) is durable. The
 *   driver may keep feeding inputs while a flush is in progress (writes and effects queue behind
 *   it). A crash loses the writes that were not yet durable and the effects queued behind them;
 *   the node then restarts with `RaftReplica.start` from what is durable. This is what makes a
 *   Fetch's FetchOffset a durable ack, a granted vote durable before the candidate hears of it,
 *   and a leader's own entries durable before the high watermark counts them as replicated.
 *
 * States and transitions (QuorumState; Kafka trunk with KIP-996's Prospective state):
 *
 *   Unattached(epoch, votedId?) ──election timeout──▶ Prospective
 *   Unattached, Prospective, Candidate ──BeginQuorumEpoch, or a response naming a leader of
 *       the same epoch──▶ Follower                                     [durable]
 *   Unattached, Prospective ──grants a vote in its epoch──▶ Unattached(votedId)  [durable]
 *   Prospective ──pre-vote majority──▶ Candidate(epoch+1, voted self)    [durable]
 *   Prospective ──pre-vote lost / election timeout──▶ Follower (leader known) or Unattached
 *   Candidate ──vote majority──▶ Leader (appends a LeaderChangeMessage)  [durable]
 *   Candidate ──election timeout, or lost and backoff elapsed──▶ Prospective
 *   Follower ──fetch timeout (no successful fetch), or EndQuorumEpoch──▶ Prospective
 *   Leader ──check-quorum fails, or resign()──▶ Resigned (sends EndQuorumEpoch)
 *   Resigned ──election timeout──▶ Unattached(epoch+1)                   [durable]
 *   any ──higher epoch seen──▶ Follower (leader known) or Unattached(higher epoch)  [durable]
 *
 * Prospective and Resigned are memory-only transitions, as in Kafka; the rest persist the
 * quorum state before anything that depends on them is sent (the contract above).
 * A node restarts as Resigned if it was leader, Follower if it knew a leader, else Unattached
 * (keeping its vote); an epoch below the log's last epoch restarts Unattached at the log's epoch.
 */
import { assert } from '../io/assert.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type {
  DescribeQuorumResponsePartitionData,
  DescribeQuorumResponseReplicaState,
} from '../protocol/generated/describe-quorum-response.js';
import { encodeLeaderChangeMessage } from '../protocol/generated/leader-change-message.js';
import { ZERO_UUID } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { RaftLog, type RaftSnapshot, type SnapshotId } from './raft-log.js';
import type {
  BeginQuorumEpochRequest,
  EndQuorumEpochRequest,
  Envelope,
  FetchRequest,
  FetchResponse,
  FetchSnapshotRequest,
  FetchSnapshotResponse,
  OffsetAndEpoch,
  RaftEntry,
  RaftMessage,
  RaftResponse,
  VoteRequest,
  VoteResponse,
} from './raft-messages.js';

/** QuorumStateData's v1 fields (the driver stores it as JSON with data_version, like Kafka). */
export interface QuorumState {
  leaderEpoch: number;
  leaderId: number;
  votedId: number;
}

export interface RaftConfig {
  nodeId: number;
  /** controller.quorum.voters (static voters; KIP-853 dynamic voters are not modelled). */
  voterIds: readonly number[];
  /** controller.quorum.election.timeout.ms: the election timeout is random in [T, 2T). */
  electionTimeoutMs: number;
  /** controller.quorum.fetch.timeout.ms; check-quorum uses 1.5x, BeginQuorumEpoch resends at 0.5x. */
  fetchTimeoutMs: number;
  /** controller.quorum.election.backoff.max.ms. */
  electionBackoffMaxMs: number;
  /** Base of the binary exponential election backoff (Kafka's RETRY_BACKOFF_BASE_MS = 100). */
  electionBackoffBaseMs: number;
  /** controller.quorum.request.timeout.ms: resend a request with no response after this. */
  requestTimeoutMs: number;
  /** controller.quorum.retry.backoff.ms: wait after an error response before retrying. */
  retryBackoffMs: number;
  /** Fetch MaxWaitMs: how long the leader parks a fetch that has nothing to return. */
  fetchMaxWaitMs: number;
  /** Most entries in one Fetch response (Kafka bounds bytes: 8 MiB). */
  maxFetchEntries: number;
  /** Most snapshot bytes in one FetchSnapshot response. */
  maxSnapshotChunkBytes: number;
  /** Most appended-but-uncommitted entries the leader accepts before refusing appends. */
  maxUncommittedEntries: number;
  /** The random source for timeouts and backoffs, uniform in [0, 1) (the driver injects a PRNG). */
  random: () => number;
  /**
   * Deliberate protocol bugs, for the simulator's self-test only (test/sim/raft-bugs.test.ts):
   * production code never sets this. Each one removes one safety check.
   */
  testFaults?: RaftTestFaults;
}

export interface RaftTestFaults {
  /** Grant votes without checking that the candidate's log is at least as up to date. */
  grantVoteWithoutLogCheck?: boolean;
  /** The leader serves records without checking the fetcher's LastFetchedEpoch (no divergingEpoch). */
  skipDivergenceCheck?: boolean;
  /** Do not remember a granted vote, so a voter can vote twice in one epoch. */
  forgetVote?: boolean;
  /** A Prospective follows the leader it already knows again when another voter names it (a liveness bug). */
  refollowNamedLeader?: boolean;
}

export type RaftRole = 'Unattached' | 'Prospective' | 'Candidate' | 'Leader' | 'Follower' | 'Resigned';

export type RaftOutput =
  | { type: 'send'; envelope: Envelope }
  | { type: 'persist-quorum-state'; state: QuorumState }
  | { type: 'append'; entries: RaftEntry[] }
  | { type: 'truncate'; endOffset: number }
  | { type: 'truncate-prefix'; logStartOffset: number }
  | { type: 'install-snapshot'; snapshot: RaftSnapshot }
  | { type: 'commit'; highWatermark: number; entries: RaftEntry[] }
  | { type: 'load-snapshot'; snapshot: RaftSnapshot }
  | { type: 'timer'; deadlineMs: number };

/** What the driver found on disk at start. */
export interface RaftDurableState {
  quorumState: QuorumState | null;
  snapshot: RaftSnapshot | null;
  entries: readonly RaftEntry[];
}

export type AppendResult = { offset: number } | { errorCode: number };

interface ReplicaProgress {
  /** Last valid FetchOffset (-1 before the first one in this epoch). */
  endOffset: number;
  lastFetchMs: number;
  lastCaughtUpMs: number;
}

interface ParkedFetch {
  envelope: Envelope;
  deadlineMs: number;
}

interface SnapshotDownload {
  id: SnapshotId;
  chunks: Buffer[];
  position: number;
}

type RoleState =
  | { role: 'Unattached'; votedId: number; electionDeadlineMs: number }
  | {
      role: 'Prospective';
      votedId: number;
      leaderId: number;
      electionDeadlineMs: number;
      granted: Set<number>;
      rejected: Set<number>;
      retries: number;
    }
  | {
      role: 'Candidate';
      electionDeadlineMs: number;
      backoffUntilMs: number | null;
      granted: Set<number>;
      rejected: Set<number>;
      retries: number;
    }
  | {
      role: 'Leader';
      epochStartOffset: number;
      replicas: Map<number, ReplicaProgress>;
      observers: Map<number, ReplicaProgress>;
      parked: Map<number, ParkedFetch>;
      electedAtMs: number;
      beginQuorumResendMs: number;
    }
  | {
      role: 'Follower';
      leaderId: number;
      fetchDeadlineMs: number;
      hasFetchedFromLeader: boolean;
      nextFetchMs: number | null;
      download: SnapshotDownload | null;
    }
  | { role: 'Resigned'; electionDeadlineMs: number; unacked: Set<number>; preferred: number[] };

interface PendingRequest {
  correlationId: number;
  sentMs: number;
}

const CHECK_QUORUM_TIMEOUT_FACTOR = 1.5;
/** Kafka's error codes for FetchSnapshot (not in protocol/error-codes.ts yet). */
const SNAPSHOT_NOT_FOUND = 98;
const POSITION_OUT_OF_RANGE = 99;
/** Most observers a leader tracks for DescribeQuorum. */
const MAX_TRACKED_OBSERVERS = 1024;

export class RaftReplica {
  private epochValue = 0;
  private roleState: RoleState;
  private hw: number;
  private readonly log: RaftLog;
  private readonly pending = new Map<number, PendingRequest>();
  private nextCorrelationId = 0;
  private out: RaftOutput[] = [];
  /** The current input's time, for the few helpers deep inside a call that need it. */
  private nowMsOfCall = 0;
  private readonly majority: number;

  private constructor(
    private readonly config: RaftConfig,
    log: RaftLog,
    nowMs: number,
  ) {
    assert(config.voterIds.includes(config.nodeId), `node ${config.nodeId} is not a voter (observers are not modelled)`);
    this.log = log;
    this.hw = log.startOffset;
    this.majority = Math.floor(config.voterIds.length / 2) + 1;
    this.roleState = { role: 'Unattached', votedId: -1, electionDeadlineMs: this.randomElectionDeadline(nowMs) };
  }

  /** Starts (or restarts) a replica from its durable state (QuorumState.initialize). */
  static start(config: RaftConfig, durable: RaftDurableState, nowMs: number): { replica: RaftReplica; outputs: RaftOutput[] } {
    const replica = new RaftReplica(config, RaftLog.restore(durable.snapshot, durable.entries), nowMs);
    if (durable.snapshot !== null) replica.out.push({ type: 'load-snapshot', snapshot: durable.snapshot });
    const stored = durable.quorumState ?? { leaderEpoch: 0, leaderId: -1, votedId: -1 };
    const logEpoch = replica.log.lastEpoch;
    if (stored.leaderEpoch < logEpoch) {
      replica.toUnattached(logEpoch, -1, nowMs);
    } else {
      replica.epochValue = stored.leaderEpoch;
      if (stored.leaderId === config.nodeId) {
        // A leader that restarts may have lost unflushed entries: it resigns in the same epoch
        // so (epoch, offset) stays unique, and never votes again in it.
        replica.roleState = {
          role: 'Resigned',
          electionDeadlineMs: replica.randomElectionDeadline(nowMs),
          unacked: new Set(),
          preferred: [],
        };
      } else if (stored.leaderId >= 0) {
        replica.becomeFollower(stored.leaderId, nowMs);
      } else {
        replica.roleState = { role: 'Unattached', votedId: stored.votedId, electionDeadlineMs: replica.randomElectionDeadline(nowMs) };
      }
    }
    return { replica, outputs: replica.finish() };
  }

  // ---- queries ----

  get nodeId(): number {
    return this.config.nodeId;
  }
  get role(): RaftRole {
    return this.roleState.role;
  }
  get epoch(): number {
    return this.epochValue;
  }
  get highWatermark(): number {
    return this.hw;
  }
  get leaderId(): number {
    const s = this.roleState;
    if (s.role === 'Leader') return this.config.nodeId;
    if (s.role === 'Follower') return s.leaderId;
    return -1;
  }
  get votedId(): number {
    const s = this.roleState;
    if (s.role === 'Unattached' || s.role === 'Prospective') return s.votedId;
    if (s.role === 'Candidate' || s.role === 'Leader') return this.config.nodeId;
    return -1;
  }
  get raftLog(): RaftLog {
    return this.log;
  }

  /** DescribeQuorum's partition data (leader only; others answer NOT_LEADER_OR_FOLLOWER). */
  describeQuorum(nowMs: number): DescribeQuorumResponsePartitionData {
    const s = this.roleState;
    if (s.role !== 'Leader') {
      return {
        partitionIndex: 0,
        errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER,
        errorMessage: null,
        leaderId: this.leaderId,
        leaderEpoch: this.epochValue,
        highWatermark: -1n,
        currentVoters: [],
        observers: [],
      };
    }
    const describe = (replicaId: number, p: ReplicaProgress): DescribeQuorumResponseReplicaState => ({
      replicaId,
      replicaDirectoryId: ZERO_UUID,
      logEndOffset: BigInt(p.endOffset),
      lastFetchTimestamp: BigInt(Number.isFinite(p.lastFetchMs) ? p.lastFetchMs : -1),
      lastCaughtUpTimestamp: BigInt(Number.isFinite(p.lastCaughtUpMs) ? p.lastCaughtUpMs : -1),
    });
    const voters = this.config.voterIds.map((id) =>
      id === this.config.nodeId
        ? describe(id, { endOffset: this.log.endOffset, lastFetchMs: nowMs, lastCaughtUpMs: nowMs })
        : describe(id, s.replicas.get(id)!),
    );
    return {
      partitionIndex: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      leaderId: this.config.nodeId,
      leaderEpoch: this.epochValue,
      highWatermark: BigInt(this.hw),
      currentVoters: voters,
      observers: [...s.observers].map(([id, p]) => describe(id, p)),
    };
  }

  // ---- inputs ----

  /** A message from another node. */
  handle(envelope: Envelope, nowMs: number): RaftOutput[] {
    this.nowMsOfCall = nowMs;
    assert(envelope.to === this.config.nodeId, `message for ${envelope.to} delivered to ${this.config.nodeId}`);
    const m = envelope.message;
    switch (m.kind) {
      case 'Vote':
        this.onVote(envelope, m, nowMs);
        break;
      case 'BeginQuorumEpoch':
        this.onBeginQuorumEpoch(envelope, m, nowMs);
        break;
      case 'EndQuorumEpoch':
        this.onEndQuorumEpoch(envelope, m, nowMs);
        break;
      case 'Fetch':
        this.onFetch(envelope, m, nowMs);
        break;
      case 'FetchSnapshot':
        this.onFetchSnapshot(envelope, m, nowMs);
        break;
      default:
        if (this.expectResponse(envelope)) this.onResponse(envelope.from, m, nowMs);
    }
    return this.finish(nowMs);
  }

  /** A timer fired (or any time: expired deadlines are handled, others ignored). */
  tick(nowMs: number): RaftOutput[] {
    this.nowMsOfCall = nowMs;
    this.pollTimers(nowMs);
    return this.finish(nowMs);
  }

  /** The controller appends a batch of opaque records (leader only). */
  append(payloads: readonly Buffer[], nowMs: number): { result: AppendResult; outputs: RaftOutput[] } {
    this.nowMsOfCall = nowMs;
    if (this.roleState.role !== 'Leader') return { result: { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }, outputs: this.finish(nowMs) };
    if (this.log.endOffset - this.hw + payloads.length > this.config.maxUncommittedEntries) {
      return { result: { errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED }, outputs: this.finish(nowMs) };
    }
    const offset = this.log.endOffset;
    this.leaderAppend(payloads.map((payload) => ({ payload })));
    return { result: { offset }, outputs: this.finish(nowMs) };
  }

  /** Graceful resignation (controlled shutdown): EndQuorumEpoch to the others. */
  resign(nowMs: number): RaftOutput[] {
    this.nowMsOfCall = nowMs;
    if (this.roleState.role === 'Leader') this.becomeResigned(nowMs);
    return this.finish(nowMs);
  }

  /** The applier wrote a snapshot of the committed prefix up to `snapshot.endOffset`. */
  snapshotCreated(snapshot: RaftSnapshot, nowMs: number): RaftOutput[] {
    this.nowMsOfCall = nowMs;
    assert(snapshot.endOffset <= this.hw, `snapshot at ${snapshot.endOffset} above the high watermark ${this.hw}`);
    if (snapshot.endOffset > this.log.startOffset) {
      this.log.addSnapshot(snapshot);
      this.out.push({ type: 'truncate-prefix', logStartOffset: snapshot.endOffset });
    }
    return this.finish(nowMs);
  }

  // ---- timers ----

  private pollTimers(nowMs: number): void {
    const s = this.roleState;
    switch (s.role) {
      case 'Unattached':
        if (nowMs >= s.electionDeadlineMs) this.becomeProspective(-1, 0, nowMs);
        break;
      case 'Prospective':
        if (nowMs >= s.electionDeadlineMs) this.prospectiveLost(nowMs);
        else this.resendVotes(true, nowMs);
        break;
      case 'Candidate':
        if (nowMs >= s.electionDeadlineMs || (s.backoffUntilMs !== null && nowMs >= s.backoffUntilMs)) {
          this.becomeProspective(-1, s.retries + 1, nowMs);
        } else if (s.backoffUntilMs === null) {
          this.resendVotes(false, nowMs);
        }
        break;
      case 'Leader':
        this.pollLeader(s, nowMs);
        break;
      case 'Follower':
        if (nowMs >= s.fetchDeadlineMs) {
          this.becomeProspective(s.leaderId, 0, nowMs);
        } else {
          const inFlight = this.pending.get(s.leaderId);
          const timedOut = inFlight !== undefined && nowMs >= inFlight.sentMs + this.config.requestTimeoutMs;
          const backoffDone = s.nextFetchMs !== null && nowMs >= s.nextFetchMs;
          if (timedOut || backoffDone) this.sendFetch(nowMs);
        }
        break;
      case 'Resigned':
        if (nowMs >= s.electionDeadlineMs) {
          // Kafka trunk: a new epoch, so answers to this node's old requests cannot interfere.
          this.toUnattached(this.epochValue + 1, -1, nowMs);
        } else {
          for (const id of s.unacked) {
            const p = this.pending.get(id);
            if (p === undefined || nowMs >= p.sentMs + this.config.requestTimeoutMs) this.sendEndQuorumEpoch(id, s.preferred, nowMs);
          }
        }
        break;
    }
  }

  private pollLeader(s: Extract<RoleState, { role: 'Leader' }>, nowMs: number): void {
    if (nowMs >= this.checkQuorumDeadline(s)) {
      this.becomeResigned(nowMs);
      return;
    }
    if (nowMs >= s.beginQuorumResendMs) {
      for (const id of this.otherVoters()) this.sendBeginQuorumEpoch(id, nowMs);
      s.beginQuorumResendMs = nowMs + this.config.fetchTimeoutMs / 2;
    }
    for (const [id, parked] of s.parked) {
      if (nowMs >= parked.deadlineMs) {
        s.parked.delete(id);
        this.answerFetch(parked.envelope, parked.envelope.message as FetchRequest, nowMs);
      }
    }
  }

  /** When the leader must resign unless more voters fetch: the time at which fewer than a
   * majority (itself included) will have fetched within 1.5 x the fetch timeout. */
  private checkQuorumDeadline(s: Extract<RoleState, { role: 'Leader' }>): number {
    const timeout = this.config.fetchTimeoutMs * CHECK_QUORUM_TIMEOUT_FACTOR;
    const needed = this.majority - 1;
    if (needed === 0) return Infinity;
    const fetchTimes = [...s.replicas.values()].map((p) => Math.max(p.lastFetchMs, s.electedAtMs)).sort((a, b) => b - a);
    return fetchTimes[needed - 1]! + timeout;
  }

  private nextDeadline(): number {
    const s = this.roleState;
    const requestDeadlines = (ids: Iterable<number>): number => {
      let min = Infinity;
      for (const id of ids) {
        const p = this.pending.get(id);
        min = Math.min(min, p === undefined ? -Infinity : p.sentMs + this.config.requestTimeoutMs);
      }
      return min;
    };
    switch (s.role) {
      case 'Unattached':
        return s.electionDeadlineMs;
      case 'Prospective': {
        const waiting = this.otherVoters().filter((id) => !s.granted.has(id) && !s.rejected.has(id));
        return Math.min(s.electionDeadlineMs, requestDeadlines(waiting));
      }
      case 'Candidate': {
        if (s.backoffUntilMs !== null) return Math.min(s.electionDeadlineMs, s.backoffUntilMs);
        const waiting = this.otherVoters().filter((id) => !s.granted.has(id) && !s.rejected.has(id));
        return Math.min(s.electionDeadlineMs, requestDeadlines(waiting));
      }
      case 'Leader': {
        let min = Math.min(this.checkQuorumDeadline(s), s.beginQuorumResendMs);
        for (const parked of s.parked.values()) min = Math.min(min, parked.deadlineMs);
        return min;
      }
      case 'Follower': {
        let min = s.fetchDeadlineMs;
        if (s.nextFetchMs !== null) min = Math.min(min, s.nextFetchMs);
        const inFlight = this.pending.get(s.leaderId);
        if (inFlight !== undefined) min = Math.min(min, inFlight.sentMs + this.config.requestTimeoutMs);
        return min;
      }
      case 'Resigned':
        return Math.min(s.electionDeadlineMs, requestDeadlines(s.unacked));
    }
  }

  private finish(nowMs?: number): RaftOutput[] {
    const deadline = this.nextDeadline();
    if (Number.isFinite(deadline)) this.out.push({ type: 'timer', deadlineMs: nowMs === undefined ? deadline : Math.max(deadline, nowMs) });
    const out = this.out;
    this.out = [];
    return out;
  }

  // ---- transitions ----

  private persist(leaderId: number, votedId: number): void {
    this.out.push({ type: 'persist-quorum-state', state: { leaderEpoch: this.epochValue, leaderId, votedId } });
  }

  private resetRequests(): void {
    this.pending.clear();
  }

  private toUnattached(epoch: number, votedId: number, nowMs: number): void {
    assert(epoch >= this.epochValue, `epoch ${epoch} below ${this.epochValue}`);
    this.epochValue = epoch;
    this.resetRequests();
    this.roleState = { role: 'Unattached', votedId, electionDeadlineMs: this.randomElectionDeadline(nowMs) };
    this.persist(-1, votedId);
  }

  private toFollower(epoch: number, leaderId: number, nowMs: number): void {
    assert(epoch >= this.epochValue, `epoch ${epoch} below ${this.epochValue}`);
    assert(leaderId !== this.config.nodeId, 'follower of itself');
    if (epoch === this.epochValue) {
      const role = this.roleState.role;
      assert(role !== 'Leader' && role !== 'Resigned', `node ${this.config.nodeId} led epoch ${epoch}, yet ${leaderId} claims it`);
    }
    this.epochValue = epoch;
    this.persist(leaderId, -1);
    this.becomeFollower(leaderId, nowMs);
  }

  private becomeFollower(leaderId: number, nowMs: number): void {
    this.resetRequests();
    this.roleState = {
      role: 'Follower',
      leaderId,
      fetchDeadlineMs: nowMs + this.config.fetchTimeoutMs,
      hasFetchedFromLeader: false,
      nextFetchMs: null,
      download: null,
    };
    this.sendFetch(nowMs);
  }

  /** Learn a leader or a higher epoch from a message (maybeHandleCommonResponse / request epochs). */
  private observeEpoch(epoch: number, leaderId: number, nowMs: number): void {
    if (epoch > this.epochValue) {
      if (leaderId >= 0 && leaderId !== this.config.nodeId) this.toFollower(epoch, leaderId, nowMs);
      else this.toUnattached(epoch, -1, nowMs);
    } else if (epoch === this.epochValue && leaderId >= 0 && leaderId !== this.config.nodeId) {
      // Only news of a leader moves a node to follow it (Kafka's maybeTransition: "!hasLeader()").
      // A Prospective that already knows this leader — the one whose fetch timed out — hears no
      // news when another voter names it too; following it again would send two followers of a
      // dead leader back and forth in lockstep, never electing (seen with three real processes).
      const s = this.roleState;
      const knowsLeader = s.role === 'Prospective' && s.leaderId === leaderId && this.config.testFaults?.refollowNamedLeader !== true;
      if ((s.role === 'Unattached' || s.role === 'Prospective' || s.role === 'Candidate') && !knowsLeader)
        this.toFollower(epoch, leaderId, nowMs);
    }
  }

  private becomeProspective(leaderId: number, retries: number, nowMs: number): void {
    const prev = this.roleState;
    const votedId =
      prev.role === 'Unattached' || prev.role === 'Prospective' ? prev.votedId : prev.role === 'Candidate' ? this.config.nodeId : -1;
    this.resetRequests();
    this.roleState = {
      role: 'Prospective',
      votedId,
      leaderId,
      electionDeadlineMs: this.randomElectionDeadline(nowMs),
      granted: new Set([this.config.nodeId]),
      rejected: new Set(),
      retries,
    };
    if (this.majority === 1) {
      this.becomeCandidate(retries, nowMs);
      return;
    }
    this.resendVotes(true, nowMs);
  }

  private prospectiveLost(nowMs: number): void {
    const s = this.roleState;
    assert(s.role === 'Prospective');
    this.resetRequests();
    if (s.leaderId >= 0) {
      this.becomeFollower(s.leaderId, nowMs);
    } else {
      const backoff = this.binaryExponentialBackoffMs(s.retries + 1);
      this.roleState = { role: 'Unattached', votedId: s.votedId, electionDeadlineMs: this.randomElectionDeadline(nowMs) + backoff };
    }
  }

  private becomeCandidate(retries: number, nowMs: number): void {
    this.epochValue += 1;
    this.resetRequests();
    this.roleState = {
      role: 'Candidate',
      electionDeadlineMs: this.randomElectionDeadline(nowMs),
      backoffUntilMs: null,
      granted: new Set([this.config.nodeId]),
      rejected: new Set(),
      retries,
    };
    this.persist(-1, this.config.nodeId);
    if (this.majority === 1) {
      this.becomeLeader(nowMs);
      return;
    }
    this.resendVotes(false, nowMs);
  }

  private becomeLeader(nowMs: number): void {
    this.resetRequests();
    const replicas = new Map<number, ReplicaProgress>();
    for (const id of this.otherVoters()) replicas.set(id, { endOffset: -1, lastFetchMs: -Infinity, lastCaughtUpMs: -Infinity });
    this.roleState = {
      role: 'Leader',
      epochStartOffset: this.log.endOffset,
      replicas,
      observers: new Map(),
      parked: new Map(),
      electedAtMs: nowMs,
      beginQuorumResendMs: nowMs + this.config.fetchTimeoutMs / 2,
    };
    this.persist(this.config.nodeId, this.config.nodeId);
    for (const id of this.otherVoters()) this.sendBeginQuorumEpoch(id, nowMs);
    // The start-of-epoch control record lets the HW advance at once (Raft commits only entries
    // of the leader's own epoch).
    this.leaderAppend([{ payload: this.leaderChangeMessage(), control: true }]);
  }

  private becomeResigned(nowMs: number): void {
    const s = this.roleState;
    assert(s.role === 'Leader');
    const preferred = this.otherVoters().sort((a, b) => s.replicas.get(b)!.endOffset - s.replicas.get(a)!.endOffset);
    this.resetRequests();
    this.roleState = { role: 'Resigned', electionDeadlineMs: this.randomElectionDeadline(nowMs), unacked: new Set(preferred), preferred };
    for (const id of preferred) this.sendEndQuorumEpoch(id, preferred, nowMs);
  }

  // ---- requests ----

  private onVote(env: Envelope, m: VoteRequest, nowMs: number): void {
    if (!this.config.voterIds.includes(m.replicaId) || m.lastOffset < 0 || m.lastOffsetEpoch < 0 || m.lastOffsetEpoch > m.replicaEpoch) {
      this.reply(env, {
        kind: 'VoteResponse',
        errorCode: ErrorCode.INVALID_REQUEST,
        leaderId: this.leaderId,
        leaderEpoch: this.epochValue,
        voteGranted: false,
        preVote: m.preVote,
      });
      return;
    }
    if (m.replicaEpoch < this.epochValue) {
      this.reply(env, {
        kind: 'VoteResponse',
        errorCode: ErrorCode.FENCED_LEADER_EPOCH,
        leaderId: this.leaderId,
        leaderEpoch: this.epochValue,
        voteGranted: false,
        preVote: m.preVote,
      });
      return;
    }
    if (!m.preVote && m.replicaEpoch > this.epochValue) this.toUnattached(m.replicaEpoch, -1, nowMs);
    const logOk =
      this.config.testFaults?.grantVoteWithoutLogCheck === true ||
      compareOffsetAndEpoch({ offset: m.lastOffset, epoch: m.lastOffsetEpoch }, this.log.lastOffsetAndEpoch) >= 0;
    const s = this.roleState;
    let granted = false;
    if (m.preVote) {
      // A pre-vote records nothing. A follower that has heard from its leader, and a leader, refuse.
      granted = logOk && s.role !== 'Leader' && !(s.role === 'Follower' && s.hasFetchedFromLeader);
    } else if ((s.role === 'Unattached' || s.role === 'Prospective') && logOk && (s.votedId === -1 || s.votedId === m.replicaId)) {
      granted = true;
      if (s.votedId === -1 && this.config.testFaults?.forgetVote !== true) {
        this.resetRequests();
        this.roleState = { role: 'Unattached', votedId: m.replicaId, electionDeadlineMs: this.randomElectionDeadline(nowMs) };
        this.persist(-1, m.replicaId);
      } else if (s.role === 'Unattached') {
        s.electionDeadlineMs = this.randomElectionDeadline(nowMs);
      }
    }
    this.reply(env, {
      kind: 'VoteResponse',
      errorCode: ErrorCode.NONE,
      leaderId: this.leaderId,
      leaderEpoch: this.epochValue,
      voteGranted: granted,
      preVote: m.preVote,
    });
  }

  private onBeginQuorumEpoch(env: Envelope, m: BeginQuorumEpochRequest, nowMs: number): void {
    if (m.leaderEpoch < this.epochValue) {
      this.reply(env, {
        kind: 'BeginQuorumEpochResponse',
        errorCode: ErrorCode.FENCED_LEADER_EPOCH,
        leaderId: this.leaderId,
        leaderEpoch: this.epochValue,
      });
      return;
    }
    const s = this.roleState;
    if (!(m.leaderEpoch === this.epochValue && s.role === 'Follower' && s.leaderId === m.leaderId))
      this.toFollower(m.leaderEpoch, m.leaderId, nowMs);
    this.reply(env, { kind: 'BeginQuorumEpochResponse', errorCode: ErrorCode.NONE, leaderId: this.leaderId, leaderEpoch: this.epochValue });
  }

  private onEndQuorumEpoch(env: Envelope, m: EndQuorumEpochRequest, nowMs: number): void {
    if (m.leaderEpoch < this.epochValue) {
      this.reply(env, {
        kind: 'EndQuorumEpochResponse',
        errorCode: ErrorCode.FENCED_LEADER_EPOCH,
        leaderId: this.leaderId,
        leaderEpoch: this.epochValue,
      });
      return;
    }
    if (m.leaderEpoch > this.epochValue) this.toUnattached(m.leaderEpoch, -1, nowMs);
    const s = this.roleState;
    if (s.role === 'Follower' && s.leaderId === m.leaderId) {
      // The most caught-up successor times out at once, the others after a strict exponential backoff.
      const position = m.preferredCandidates.indexOf(this.config.nodeId);
      const delay = position <= 0 ? 0 : this.strictExponentialBackoffMs(position, m.preferredCandidates.length);
      s.fetchDeadlineMs = Math.min(s.fetchDeadlineMs, nowMs + delay);
      s.hasFetchedFromLeader = false;
    }
    this.reply(env, { kind: 'EndQuorumEpochResponse', errorCode: ErrorCode.NONE, leaderId: this.leaderId, leaderEpoch: this.epochValue });
  }

  /** Fetch and FetchSnapshot are leader-only: epoch and role checks common to both. */
  private leaderRequestError(currentLeaderEpoch: number): number {
    if (currentLeaderEpoch < this.epochValue) return ErrorCode.FENCED_LEADER_EPOCH;
    if (currentLeaderEpoch > this.epochValue) return ErrorCode.UNKNOWN_LEADER_EPOCH;
    if (this.roleState.role !== 'Leader') return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return ErrorCode.NONE;
  }

  private onFetch(env: Envelope, m: FetchRequest, nowMs: number): void {
    const error = this.leaderRequestError(m.currentLeaderEpoch);
    const s = this.roleState;
    if (error !== ErrorCode.NONE || s.role !== 'Leader') {
      this.reply(env, this.fetchResponse(error, [], null, null));
      return;
    }
    if (m.fetchOffset < 0 || m.lastFetchedEpoch < 0 || m.lastFetchedEpoch > m.currentLeaderEpoch) {
      this.reply(env, this.fetchResponse(ErrorCode.INVALID_REQUEST, [], null, null));
      return;
    }
    const progress = this.progressOf(s, m.replicaId);
    if (progress !== undefined) progress.lastFetchMs = nowMs;
    s.parked.delete(m.replicaId);
    this.answerFetch(env, m, nowMs, true);
  }

  /** Answers a fetch now, or parks it when it has nothing to return (`mayPark`). */
  private answerFetch(env: Envelope, m: FetchRequest, nowMs: number, mayPark = false): void {
    const s = this.roleState;
    assert(s.role === 'Leader');
    const snapshot = this.log.snapshot;
    if (
      snapshot !== null &&
      (m.fetchOffset < this.log.startOffset ||
        (m.fetchOffset === this.log.startOffset && m.lastFetchedEpoch !== snapshot.epoch) ||
        m.lastFetchedEpoch < snapshot.epoch)
    ) {
      this.reply(env, this.fetchResponse(ErrorCode.NONE, [], null, { endOffset: snapshot.endOffset, epoch: snapshot.epoch }));
      return;
    }
    const end = this.log.endOffsetForEpoch(m.lastFetchedEpoch);
    if ((end.epoch !== m.lastFetchedEpoch || end.offset < m.fetchOffset) && this.config.testFaults?.skipDivergenceCheck !== true) {
      this.reply(env, this.fetchResponse(ErrorCode.NONE, [], { epoch: end.epoch, endOffset: end.offset }, null));
      return;
    }
    const progress = this.progressOf(s, m.replicaId);
    if (progress !== undefined) {
      progress.endOffset = m.fetchOffset;
      if (m.fetchOffset >= this.log.endOffset) progress.lastCaughtUpMs = nowMs;
    }
    const hwMoved = this.config.voterIds.includes(m.replicaId) && this.maybeAdvanceHighWatermark();
    const records = this.log.read(m.fetchOffset, this.config.maxFetchEntries);
    if (mayPark && progress !== undefined && records.length === 0 && !hwMoved && m.maxWaitMs > 0) {
      s.parked.set(m.replicaId, { envelope: env, deadlineMs: nowMs + Math.min(m.maxWaitMs, this.config.fetchMaxWaitMs) });
      return;
    }
    this.reply(env, this.fetchResponse(ErrorCode.NONE, records, null, null));
  }

  private onFetchSnapshot(env: Envelope, m: FetchSnapshotRequest, nowMs: number): void {
    const error = this.leaderRequestError(m.currentLeaderEpoch);
    const s = this.roleState;
    const snapshot = this.log.snapshot;
    const respond = (errorCode: number, size: number, position: number, bytes: Buffer): void =>
      this.reply(env, {
        kind: 'FetchSnapshotResponse',
        errorCode,
        snapshotId: m.snapshotId,
        currentLeader: { leaderId: this.leaderId, leaderEpoch: this.epochValue },
        size,
        position,
        unalignedRecords: bytes,
      });
    if (error !== ErrorCode.NONE || s.role !== 'Leader') return respond(error, -1, -1, Buffer.alloc(0));
    const progress = this.progressOf(s, m.replicaId);
    if (progress !== undefined) progress.lastFetchMs = nowMs;
    if (snapshot === null || snapshot.endOffset !== m.snapshotId.endOffset || snapshot.epoch !== m.snapshotId.epoch) {
      return respond(SNAPSHOT_NOT_FOUND, -1, -1, Buffer.alloc(0));
    }
    if (m.position < 0 || m.position > snapshot.data.length) return respond(POSITION_OUT_OF_RANGE, -1, -1, Buffer.alloc(0));
    const chunk = snapshot.data.subarray(m.position, m.position + Math.min(m.maxBytes, this.config.maxSnapshotChunkBytes));
    respond(ErrorCode.NONE, snapshot.data.length, m.position, chunk);
  }

  private progressOf(s: Extract<RoleState, { role: 'Leader' }>, replicaId: number): ReplicaProgress | undefined {
    const voter = s.replicas.get(replicaId);
    if (voter !== undefined) return voter;
    if (replicaId < 0 || replicaId === this.config.nodeId) return undefined;
    let observer = s.observers.get(replicaId);
    if (observer === undefined && s.observers.size < MAX_TRACKED_OBSERVERS) {
      observer = { endOffset: -1, lastFetchMs: -Infinity, lastCaughtUpMs: -Infinity };
      s.observers.set(replicaId, observer);
    }
    return observer;
  }

  // ---- responses ----

  private expectResponse(env: Envelope): boolean {
    const p = this.pending.get(env.from);
    if (p === undefined || p.correlationId !== env.correlationId) return false;
    this.pending.delete(env.from);
    return true;
  }

  private onResponse(from: number, m: RaftResponse, nowMs: number): void {
    const epoch = m.kind === 'FetchResponse' || m.kind === 'FetchSnapshotResponse' ? m.currentLeader.leaderEpoch : m.leaderEpoch;
    const leaderId = m.kind === 'FetchResponse' || m.kind === 'FetchSnapshotResponse' ? m.currentLeader.leaderId : m.leaderId;
    const roleBefore = this.roleState;
    const epochBefore = this.epochValue;
    this.observeEpoch(epoch, leaderId, nowMs);
    if (this.roleState !== roleBefore || this.epochValue !== epochBefore) return;
    switch (m.kind) {
      case 'VoteResponse':
        this.onVoteResponse(from, m, nowMs);
        break;
      case 'FetchResponse':
        this.onFetchResponse(from, m, nowMs);
        break;
      case 'FetchSnapshotResponse':
        this.onFetchSnapshotResponse(from, m, nowMs);
        break;
      case 'BeginQuorumEpochResponse':
        break;
      case 'EndQuorumEpochResponse': {
        const s = this.roleState;
        if (s.role === 'Resigned' && m.errorCode === ErrorCode.NONE) s.unacked.delete(from);
        break;
      }
    }
  }

  private onVoteResponse(from: number, m: VoteResponse, nowMs: number): void {
    const s = this.roleState;
    if (m.errorCode !== ErrorCode.NONE || m.leaderEpoch !== this.epochValue) return;
    if (s.role === 'Prospective' && m.preVote) {
      (m.voteGranted ? s.granted : s.rejected).add(from);
      if (s.granted.size >= this.majority) this.becomeCandidate(s.retries, nowMs);
      else if (s.rejected.size > this.config.voterIds.length - this.majority) this.prospectiveLost(nowMs);
    } else if (s.role === 'Candidate' && !m.preVote) {
      (m.voteGranted ? s.granted : s.rejected).add(from);
      if (s.granted.size >= this.majority) this.becomeLeader(nowMs);
      else if (s.rejected.size > this.config.voterIds.length - this.majority && s.backoffUntilMs === null) {
        s.backoffUntilMs = nowMs + this.binaryExponentialBackoffMs(s.retries + 1);
      }
    }
  }

  private onFetchResponse(from: number, m: FetchResponse, nowMs: number): void {
    const s = this.roleState;
    if (s.role !== 'Follower' || from !== s.leaderId) return;
    if (m.errorCode !== ErrorCode.NONE) {
      s.nextFetchMs = nowMs + this.config.retryBackoffMs;
      return;
    }
    s.hasFetchedFromLeader = true;
    s.fetchDeadlineMs = nowMs + this.config.fetchTimeoutMs;
    if (m.divergingEpoch !== null) {
      const local = this.log.endOffsetForEpoch(m.divergingEpoch.epoch);
      const target = Math.min(m.divergingEpoch.endOffset, local.offset);
      assert(target >= this.hw, `node ${this.config.nodeId} asked to truncate to ${target}, below its high watermark ${this.hw}`);
      assert(target < this.log.endOffset, `diverging epoch does not shorten the log`);
      this.log.truncateTo(target);
      this.out.push({ type: 'truncate', endOffset: target });
      this.sendFetch(nowMs);
      return;
    }
    if (m.snapshotId !== null) {
      s.download = { id: m.snapshotId, chunks: [], position: 0 };
      this.sendFetchSnapshot(nowMs);
      return;
    }
    if (m.records.length > 0) {
      assert(m.records[0]!.offset === this.log.endOffset, `records at ${m.records[0]!.offset}, log end ${this.log.endOffset}`);
      for (const entry of m.records) this.log.append(entry);
      this.out.push({ type: 'append', entries: m.records });
    }
    this.advanceHighWatermark(Math.min(m.highWatermark, this.log.endOffset));
    this.sendFetch(nowMs);
  }

  private onFetchSnapshotResponse(from: number, m: FetchSnapshotResponse, nowMs: number): void {
    const s = this.roleState;
    if (s.role !== 'Follower' || from !== s.leaderId || s.download === null) return;
    const d = s.download;
    if (
      m.errorCode !== ErrorCode.NONE ||
      m.position !== d.position ||
      m.snapshotId.endOffset !== d.id.endOffset ||
      m.snapshotId.epoch !== d.id.epoch
    ) {
      s.download = null;
      s.nextFetchMs = nowMs + this.config.retryBackoffMs;
      return;
    }
    s.hasFetchedFromLeader = true;
    s.fetchDeadlineMs = nowMs + this.config.fetchTimeoutMs;
    d.chunks.push(m.unalignedRecords);
    d.position += m.unalignedRecords.length;
    if (d.position < m.size) {
      this.sendFetchSnapshot(nowMs);
      return;
    }
    s.download = null;
    const snapshot: RaftSnapshot = { endOffset: d.id.endOffset, epoch: d.id.epoch, data: Buffer.concat(d.chunks) };
    this.log.installSnapshot(snapshot);
    this.out.push({ type: 'install-snapshot', snapshot });
    if (snapshot.endOffset > this.hw) {
      this.hw = snapshot.endOffset;
      this.out.push({ type: 'load-snapshot', snapshot });
    }
    this.sendFetch(nowMs);
  }

  // ---- leader log and high watermark ----

  private leaderAppend(items: readonly { payload: Buffer; control?: boolean }[]): void {
    const entries: RaftEntry[] = items.map((item, i) => ({
      offset: this.log.endOffset + i,
      epoch: this.epochValue,
      payload: item.payload,
      ...(item.control === true ? { control: true } : {}),
    }));
    for (const entry of entries) this.log.append(entry);
    this.out.push({ type: 'append', entries });
    this.maybeAdvanceHighWatermark();
    this.completeParkedFetches();
  }

  /** LeaderState.maybeUpdateHighWatermark: the largest offset a majority of voters hold, once it
   * covers an entry of this epoch. */
  private maybeAdvanceHighWatermark(): boolean {
    const s = this.roleState;
    assert(s.role === 'Leader');
    const offsets = [this.log.endOffset, ...[...s.replicas.values()].map((p) => p.endOffset)].sort((a, b) => b - a);
    const majorityOffset = offsets[this.majority - 1]!;
    const ownEpoch = majorityOffset > s.epochStartOffset;
    if (!ownEpoch || majorityOffset <= this.hw) return false;
    this.advanceHighWatermark(majorityOffset);
    this.completeParkedFetches();
    return true;
  }

  private advanceHighWatermark(offset: number): void {
    if (offset <= this.hw) return;
    const from = Math.max(this.hw, this.log.startOffset);
    this.out.push({ type: 'commit', highWatermark: offset, entries: this.log.range(from, offset) });
    this.hw = offset;
  }

  private completeParkedFetches(): void {
    const s = this.roleState;
    if (s.role !== 'Leader' || s.parked.size === 0) return;
    const parked = [...s.parked.values()];
    s.parked.clear();
    for (const p of parked) this.answerFetch(p.envelope, p.envelope.message as FetchRequest, this.nowMsOfCall);
  }

  // ---- sending ----

  private otherVoters(): number[] {
    return this.config.voterIds.filter((id) => id !== this.config.nodeId);
  }

  private send(to: number, message: RaftMessage, nowMs: number): void {
    const correlationId = this.nextCorrelationId++;
    this.pending.set(to, { correlationId, sentMs: nowMs });
    this.out.push({ type: 'send', envelope: { from: this.config.nodeId, to, correlationId, message } });
  }

  private reply(request: Envelope, message: RaftResponse): void {
    this.out.push({
      type: 'send',
      envelope: { from: this.config.nodeId, to: request.from, correlationId: request.correlationId, message },
    });
  }

  private resendVotes(preVote: boolean, nowMs: number): void {
    const s = this.roleState;
    assert(s.role === 'Prospective' || s.role === 'Candidate');
    const last = this.log.lastOffsetAndEpoch;
    for (const id of this.otherVoters()) {
      if (s.granted.has(id) || s.rejected.has(id)) continue;
      const p = this.pending.get(id);
      if (p !== undefined && nowMs < p.sentMs + this.config.requestTimeoutMs) continue;
      this.send(
        id,
        {
          kind: 'Vote',
          replicaEpoch: this.epochValue,
          replicaId: this.config.nodeId,
          lastOffsetEpoch: last.epoch,
          lastOffset: last.offset,
          preVote,
        },
        nowMs,
      );
    }
  }

  private sendBeginQuorumEpoch(to: number, nowMs: number): void {
    this.send(to, { kind: 'BeginQuorumEpoch', leaderId: this.config.nodeId, leaderEpoch: this.epochValue }, nowMs);
  }

  private sendEndQuorumEpoch(to: number, preferred: number[], nowMs: number): void {
    this.send(
      to,
      { kind: 'EndQuorumEpoch', leaderId: this.config.nodeId, leaderEpoch: this.epochValue, preferredCandidates: preferred },
      nowMs,
    );
  }

  private sendFetch(nowMs: number): void {
    const s = this.roleState;
    assert(s.role === 'Follower');
    s.nextFetchMs = null;
    if (s.download !== null) {
      this.sendFetchSnapshot(nowMs);
      return;
    }
    this.send(
      s.leaderId,
      {
        kind: 'Fetch',
        replicaId: this.config.nodeId,
        currentLeaderEpoch: this.epochValue,
        fetchOffset: this.log.endOffset,
        lastFetchedEpoch: this.log.lastEpoch,
        maxWaitMs: this.config.fetchMaxWaitMs,
      },
      nowMs,
    );
  }

  private sendFetchSnapshot(nowMs: number): void {
    const s = this.roleState;
    assert(s.role === 'Follower' && s.download !== null);
    this.send(
      s.leaderId,
      {
        kind: 'FetchSnapshot',
        replicaId: this.config.nodeId,
        currentLeaderEpoch: this.epochValue,
        snapshotId: s.download.id,
        position: s.download.position,
        maxBytes: this.config.maxSnapshotChunkBytes,
      },
      nowMs,
    );
  }

  private fetchResponse(
    errorCode: number,
    records: RaftEntry[],
    divergingEpoch: FetchResponse['divergingEpoch'],
    snapshotId: FetchResponse['snapshotId'],
  ): FetchResponse {
    return {
      kind: 'FetchResponse',
      errorCode,
      highWatermark: this.roleState.role === 'Leader' ? this.hw : -1,
      logStartOffset: this.log.startOffset,
      divergingEpoch,
      snapshotId,
      currentLeader: { leaderId: this.leaderId, leaderEpoch: this.epochValue },
      records,
    };
  }

  // ---- helpers ----

  private leaderChangeMessage(): Buffer {
    const w = new Writer(64);
    const voters = this.config.voterIds.map((voterId) => ({ voterId }));
    encodeLeaderChangeMessage(w, 0, { version: 0, leaderId: this.config.nodeId, voters, grantingVoters: voters });
    return w.toBuffer();
  }

  private randomElectionDeadline(nowMs: number): number {
    const t = this.config.electionTimeoutMs;
    return nowMs + t + Math.floor(this.config.random() * t);
  }

  /** min(base x rand[0, 2^retries), max) — KafkaRaftClient.binaryExponentialElectionBackoffMs. */
  private binaryExponentialBackoffMs(retries: number): number {
    const bound = 2 ** Math.min(Math.max(retries, 1), 20);
    return Math.min(this.config.electionBackoffBaseMs * Math.floor(this.config.random() * bound), this.config.electionBackoffMaxMs);
  }

  /** Position p ≥ 1 of n waits min(max, (max >> (n-1)) << (p-1)) — strictExponentialElectionBackoffMs. */
  private strictExponentialBackoffMs(position: number, count: number): number {
    const max = this.config.electionBackoffMaxMs;
    return Math.min(max, Math.floor(max / 2 ** (count - 1)) * 2 ** (position - 1));
  }
}

export function compareOffsetAndEpoch(a: OffsetAndEpoch, b: OffsetAndEpoch): number {
  if (a.epoch !== b.epoch) return a.epoch - b.epoch;
  return a.offset - b.offset;
}
