import { ErrorCode } from '../protocol/error-codes.js';
import { Reader } from '../protocol/reader.js';
import { decodeConsumerProtocolSubscription } from '../protocol/generated/consumer-protocol-subscription.js';
import { type DescribeGroupsResponseDescribedGroupInput } from '../protocol/generated/describe-groups-response.js';
import { type GroupMetadataValueInput } from '../protocol/generated/group-metadata-value.js';
import { type JoinGroupResponseInput } from '../protocol/generated/join-group-response.js';
import { type ListGroupsResponseListedGroupInput } from '../protocol/generated/list-groups-response.js';
import { type OffsetCommitResponseInput } from '../protocol/generated/offset-commit-response.js';
import { type OffsetDeleteResponseInput } from '../protocol/generated/offset-delete-response.js';
import { type SyncGroupResponseInput } from '../protocol/generated/sync-group-response.js';
import { type LeaveGroupResponseInput } from '../protocol/generated/leave-group-response.js';
import { type HeartbeatResponseInput } from '../protocol/generated/heartbeat-response.js';
import { type DeleteGroupsResponseInput } from '../protocol/generated/delete-groups-response.js';
import { assert } from '../io/assert.js';
import type { CommittedOffset, OffsetsRecord } from './offsets-records.js';
import { DeadlineQueue, type Deadline } from './deadline-queue.js';

/**
 * The classic group coordinator (Kafka 4.0 GroupMetadataManager / OffsetMetadataManager for
 * classic groups) as a pure state machine: no sockets, timers, files or clock inside. Every
 * input carries `now` (epoch ms); every mutating input returns an `Output`:
 *
 *   replies   responses to send now, each to a pending request id the shell allocated;
 *   records   `__consumer_offsets` records to append (one group = one partition);
 *   deferred  responses to send only once `records` are durably appended (commits, SyncGroup).
 *
 * Parked requests (JoinGroup waiting for the join phase, follower SyncGroup waiting for the
 * leader) are kept as request ids on the member and answered by a later Output.
 *
 * Timers (Kafka's timer keys: join, sync, heartbeat per member, pending member, offsets
 * retention) are deadlines in one DeadlineQueue; they fire at the start and end of every input
 * and on `tick(now)`, in deadline order, and an input costs the timers that are due, not a scan
 * of every group. `nextDeadlineMs()` tells the shell when to tick next.
 *
 * Group states and transitions (ClassicGroupState):
 *
 *   Empty ──first join──▶ PreparingRebalance ──join phase done──▶ CompletingRebalance
 *     ▲                       ▲   │ (all left)                         │ leader SyncGroup
 *     │                       │   ▼                                    ▼
 *     └──── all members gone ─┴── (join/leave/expiry) ◀────────────  Stable
 *   Empty ──offsets expired / DeleteGroups──▶ Dead (removed)
 *
 * Invariants: the leader (if any) is a member; `staticMembers` maps each static member's
 * instance id to its current member id; a member has at most one parked JoinGroup and one
 * parked SyncGroup; generationId only grows.
 */

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface CoordinatorConfig {
  /** group.min.session.timeout.ms / group.max.session.timeout.ms */
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms */
  initialRebalanceDelayMs: number;
  /** group.max.size */
  maxGroupSize: number;
  /** Kafka's classicGroupNewMemberJoinTimeoutMs: a new member's parked JoinGroup expires after this. */
  newMemberJoinTimeoutMs: number;
  /** offsets.retention.minutes in ms. */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number;
}

export const DEFAULT_COORDINATOR_CONFIG: Readonly<CoordinatorConfig> = {
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 3000,
  maxGroupSize: 2147483647,
  newMemberJoinTimeoutMs: 300_000,
  offsetsRetentionMs: 10080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
};

export type RequestId = number;

export type ReplyBody =
  | { api: 'JoinGroup'; body: JoinGroupResponseInput }
  | { api: 'SyncGroup'; body: SyncGroupResponseInput }
  | { api: 'Heartbeat'; body: HeartbeatResponseInput }
  | { api: 'LeaveGroup'; body: LeaveGroupResponseInput }
  | { api: 'OffsetCommit'; body: OffsetCommitResponseInput }
  | { api: 'OffsetDelete'; body: OffsetDeleteResponseInput }
  | { api: 'DeleteGroups'; body: DeleteGroupsResponseInput };

export type Reply = { requestId: RequestId } & ReplyBody;

export interface Output {
  replies: Reply[];
  records: OffsetsRecord[];
  deferred: Reply[];
}

/** Who sent a request (from the request header and the connection). */
export interface ClientInfo {
  clientId: string;
  clientHost: string;
  apiVersion: number;
}

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinInput {
  groupId: string;
  sessionTimeoutMs: number;
  /** JoinGroup v0 has none: the handler passes the session timeout (JoinGroupRequest). */
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: Protocol[];
}

export interface SyncInput {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface HeartbeatInput {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveInput {
  groupId: string;
  members: { memberId: string; groupInstanceId: string | null }[];
}

export interface CommitInput {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** -1 = broker retention (the only value v5+ can carry). */
  retentionTimeMs: number;
  topics: {
    name: string;
    partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }[];
  }[];
}

export interface FetchedPartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  /** In the member's order of preference. */
  protocols: Protocol[];
  /** The bytes the leader sent for this member (empty until the first SyncGroup). */
  assignment: Buffer;
  /** Parked JoinGroup, answered when the join phase completes. */
  awaitingJoin: RequestId | null;
  /** Parked SyncGroup, answered when the leader's assignment arrives. */
  awaitingSync: RequestId | null;
  /** Joined but not yet through a join phase: may expire while its JoinGroup is parked. */
  isNew: boolean;
  /** Session expiry; not scheduled = no heartbeat expected right now. */
  heartbeat: Deadline<Timer>;
}

/** What the join deadline does when due: end the initial delay, or the join phase. */
type JoinTimer = { kind: 'initial'; delayMs: number; remainingMs: number } | { kind: 'rebalance' };

/**
 * What a deadline does when due. Deadlines name their group and member by id: whatever removes a
 * group or member cancels its deadlines, so a due deadline always finds them.
 */
type Timer =
  | { kind: 'retention' }
  | { kind: 'join'; groupId: string }
  | { kind: 'sync'; groupId: string }
  | { kind: 'pending-member'; groupId: string; memberId: string }
  | { kind: 'heartbeat'; groupId: string; memberId: string };

interface Group {
  groupId: string;
  state: GroupState;
  previousState: GroupState;
  /** When the group entered `state` (GroupMetadataValue.currentStateTimestamp); null if unknown. */
  stateTimestampMs: number | null;
  /** null for a "simple" group that only has offsets (created by a commit with generation -1). */
  protocolType: string | null;
  protocolName: string | null;
  generationId: number;
  leaderId: string | null;
  /** Insertion order matters: a new leader is the first remaining member (Kafka's LinkedHashMap). */
  members: Map<string, Member>;
  staticMembers: Map<string, string>;
  /** Member ids handed out with MEMBER_ID_REQUIRED, with the deadline for their rejoin. */
  pendingJoinMembers: Map<string, Deadline<Timer>>;
  /** Members that got a JoinGroup response of this generation and have not sent SyncGroup yet. */
  pendingSyncMembers: Set<string>;
  /** A new member joined during the initial delay: extend it (group.initial.rebalance.delay.ms). */
  newMemberAdded: boolean;
  /** Set while `joinDeadline` is scheduled. */
  joinTimer: JoinTimer | null;
  joinDeadline: Deadline<Timer>;
  /** Members must send SyncGroup within the rebalance timeout after the join phase. */
  syncDeadline: Deadline<Timer>;
  /** Topics the members subscribe to (consumer protocol), null if unknown. */
  subscribedTopics: Set<string> | null;
  /** topic -> partition -> committed offset */
  offsets: Map<string, Map<number, CommittedOffset>>;
}

const EMPTY = Buffer.alloc(0);
const NO_AUTHORIZED_OPERATIONS = -2147483648;
const CONSUMER_PROTOCOL_TYPE = 'consumer';

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private nowMs = 0;
  private out: Output = emptyOutput();
  private readonly timers = new DeadlineQueue<Timer>();
  private readonly retentionCheck = this.timers.create({ kind: 'retention' });

  constructor(
    private readonly config: CoordinatorConfig,
    /** Random port: a fresh UUID string per call (member ids). */
    private readonly newUuid: () => string,
  ) {}

  // ------------------------------------------------------------------------------------------
  // JoinGroup

  joinGroup(requestId: RequestId, request: JoinInput, client: ClientInfo, nowMs: number): Output {
    this.begin(nowMs);
    const { groupId, memberId } = request;
    const fail = (errorCode: number, id = memberId) => this.reply(requestId, 'JoinGroup', joinError(id, errorCode));
    if (groupId === '') {
      fail(ErrorCode.INVALID_GROUP_ID);
    } else if (request.sessionTimeoutMs < this.config.minSessionTimeoutMs || request.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    } else {
      const isUnknownMember = memberId === '';
      let group = this.groups.get(groupId);
      if (group === undefined && !isUnknownMember) {
        fail(ErrorCode.UNKNOWN_MEMBER_ID);
      } else {
        group ??= this.createGroup(groupId);
        if (!this.acceptJoiningMember(group, memberId)) {
          this.removeMemberRaw(group, memberId);
          fail(ErrorCode.GROUP_MAX_SIZE_REACHED, '');
        } else if (isUnknownMember) {
          this.joinNewMember(group, requestId, request, client);
        } else {
          this.joinExistingMember(group, requestId, request, client);
        }
        // Complete the join phase if that was the last member (never during the initial delay).
        this.maybeCompleteJoinPhase(group);
      }
    }
    return this.end();
  }

  private joinNewMember(group: Group, requestId: RequestId, request: JoinInput, client: ClientInfo): void {
    if (group.state === 'Dead') {
      this.reply(requestId, 'JoinGroup', joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    if (!this.supportsProtocols(group, request.protocolType, request.protocols)) {
      this.reply(requestId, 'JoinGroup', joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    const newMemberId = `${request.groupInstanceId ?? client.clientId}-${this.newUuid()}`;
    if (request.groupInstanceId !== null) {
      if (group.staticMembers.has(request.groupInstanceId)) {
        this.updateStaticMemberThenRebalanceOrCompleteJoin(group, requestId, request, newMemberId);
      } else {
        this.addMemberThenRebalanceOrCompleteJoin(group, requestId, request, client, newMemberId);
      }
    } else if (client.apiVersion >= 4) {
      // KIP-394: dynamic members of v4+ must come back with the id we hand out.
      const rejoinDeadline = this.timers.create({ kind: 'pending-member', groupId: group.groupId, memberId: newMemberId });
      this.timers.schedule(rejoinDeadline, this.nowMs + request.sessionTimeoutMs);
      group.pendingJoinMembers.set(newMemberId, rejoinDeadline);
      this.reply(requestId, 'JoinGroup', joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    } else {
      this.addMemberThenRebalanceOrCompleteJoin(group, requestId, request, client, newMemberId);
    }
  }

  private joinExistingMember(group: Group, requestId: RequestId, request: JoinInput, client: ClientInfo): void {
    const { memberId } = request;
    if (group.state === 'Dead') {
      this.reply(requestId, 'JoinGroup', joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    if (!this.supportsProtocols(group, request.protocolType, request.protocols)) {
      this.reply(requestId, 'JoinGroup', joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
      return;
    }
    if (group.pendingJoinMembers.has(memberId)) {
      // The second JoinGroup of the member-id handshake (a pending member is never static).
      this.addMemberThenRebalanceOrCompleteJoin(group, requestId, request, client, memberId);
      return;
    }
    const error = validateMember(group, memberId, request.groupInstanceId);
    if (error !== ErrorCode.NONE) {
      this.reply(requestId, 'JoinGroup', joinError(memberId, error));
      return;
    }
    const member = group.members.get(memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        this.updateMemberThenRebalanceOrCompleteJoin(group, member, requestId, request);
        return;
      case 'CompletingRebalance':
        if (protocolsMatch(member.protocols, request.protocols)) {
          // Same metadata (it probably missed the JoinGroup response): answer with this generation.
          this.reply(requestId, 'JoinGroup', this.joinResponse(group, memberId, group.leaderId === memberId, false));
        } else {
          this.updateMemberThenRebalanceOrCompleteJoin(group, member, requestId, request);
        }
        return;
      case 'Stable':
        if (group.leaderId === memberId || !protocolsMatch(member.protocols, request.protocols)) {
          // The leader rejoins to trigger a rebalance (e.g. topic metadata changed); a follower with new metadata too.
          this.updateMemberThenRebalanceOrCompleteJoin(group, member, requestId, request);
        } else {
          this.reply(requestId, 'JoinGroup', this.joinResponse(group, memberId, false, false));
        }
        return;
      default:
        // Empty with a known member id cannot happen; let the member reset and rejoin.
        this.reply(requestId, 'JoinGroup', joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private addMemberThenRebalanceOrCompleteJoin(
    group: Group,
    requestId: RequestId,
    request: JoinInput,
    client: ClientInfo,
    memberId: string,
  ): void {
    const member: Member = {
      memberId,
      groupInstanceId: request.groupInstanceId,
      clientId: client.clientId,
      clientHost: client.clientHost,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      sessionTimeoutMs: request.sessionTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols,
      assignment: EMPTY,
      awaitingJoin: null,
      awaitingSync: null,
      isNew: true,
      heartbeat: this.timers.create({ kind: 'heartbeat', groupId: group.groupId, memberId }),
    };
    if (group.state === 'PreparingRebalance' && group.previousState === 'Empty') group.newMemberAdded = true;
    this.addMember(group, member, requestId);
    // A new member cannot heartbeat while its JoinGroup is parked: time the JoinGroup out instead.
    this.timers.schedule(member.heartbeat, this.nowMs + this.config.newMemberJoinTimeoutMs);
    this.maybePrepareRebalanceOrCompleteJoin(group);
  }

  private updateMemberThenRebalanceOrCompleteJoin(group: Group, member: Member, requestId: RequestId, request: JoinInput): void {
    this.updateMember(member, request, requestId);
    this.maybePrepareRebalanceOrCompleteJoin(group);
  }

  private updateMember(member: Member, request: JoinInput, requestId: RequestId | null): void {
    member.protocols = request.protocols;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    if (member.awaitingJoin !== null && requestId !== null && member.awaitingJoin !== requestId) {
      // A retried JoinGroup replaces the parked one; answer the old one so nothing hangs.
      this.reply(member.awaitingJoin, 'JoinGroup', joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    }
    member.awaitingJoin = requestId;
  }

  private updateStaticMemberThenRebalanceOrCompleteJoin(group: Group, requestId: RequestId, request: JoinInput, newMemberId: string): void {
    const instanceId = request.groupInstanceId!;
    const oldMemberId = group.staticMembers.get(instanceId)!;
    const newMember = this.replaceStaticMember(group, instanceId, oldMemberId, newMemberId);
    this.timers.schedule(newMember.heartbeat, this.nowMs + newMember.sessionTimeoutMs);
    this.updateMember(newMember, request, requestId);
    switch (group.state) {
      case 'Stable': {
        const selected = selectProtocol(group);
        if (group.protocolName === selected) {
          // KIP-345: a restarted static member gets the current assignment back without a
          // rebalance; the leader is told to skip the assignment (JoinGroup v9 SkipAssignment).
          newMember.awaitingJoin = null;
          this.persistGroup(group);
          const isLeader = group.leaderId === newMemberId;
          this.deferReply(requestId, 'JoinGroup', this.joinResponse(group, newMemberId, isLeader, isLeader));
        } else {
          this.maybePrepareRebalanceOrCompleteJoin(group);
        }
        return;
      }
      case 'CompletingRebalance':
        // The old member id may already be in the leader's hands: rebalance so ids match.
        this.prepareRebalance(group);
        return;
      default:
        this.maybeCompleteJoinPhase(group);
    }
  }

  private replaceStaticMember(group: Group, instanceId: string, oldMemberId: string, newMemberId: string): Member {
    const old = group.members.get(oldMemberId)!;
    // Fence whoever still waits with the old id.
    if (old.awaitingJoin !== null) {
      this.reply(old.awaitingJoin, 'JoinGroup', joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
      old.awaitingJoin = null;
    }
    if (old.awaitingSync !== null) {
      this.reply(old.awaitingSync, 'SyncGroup', syncError(ErrorCode.FENCED_INSTANCE_ID));
      old.awaitingSync = null;
    }
    const replacement: Member = {
      ...old,
      memberId: newMemberId,
      awaitingJoin: null,
      awaitingSync: null,
      heartbeat: this.timers.create({ kind: 'heartbeat', groupId: group.groupId, memberId: newMemberId }),
    };
    if (old.heartbeat.scheduled) this.timers.schedule(replacement.heartbeat, old.heartbeat.atMs);
    this.timers.cancel(old.heartbeat);
    // Keep the member's position (leader election order) by rebuilding the map.
    const entries = [...group.members.entries()].map(([id, m]) =>
      id === oldMemberId ? ([newMemberId, replacement] as const) : ([id, m] as const),
    );
    group.members = new Map(entries);
    if (group.leaderId === oldMemberId) group.leaderId = newMemberId;
    group.staticMembers.set(instanceId, newMemberId);
    if (group.pendingSyncMembers.delete(oldMemberId)) group.pendingSyncMembers.add(newMemberId);
    return replacement;
  }

  private addMember(group: Group, member: Member, requestId: RequestId | null): void {
    if (group.members.size === 0) group.protocolType = member.protocolType;
    group.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) group.staticMembers.set(member.groupInstanceId, member.memberId);
    member.awaitingJoin = requestId;
    group.leaderId ??= member.memberId;
    this.dropPendingJoinMember(group, member.memberId);
  }

  private acceptJoiningMember(group: Group, memberId: string): boolean {
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance': {
        const member = group.members.get(memberId);
        return (member !== undefined && member.awaitingJoin !== null) || awaitingJoinCount(group) < this.config.maxGroupSize;
      }
      case 'CompletingRebalance':
      case 'Stable':
        return group.members.has(memberId) || group.members.size < this.config.maxGroupSize;
    }
  }

  private supportsProtocols(group: Group, protocolType: string, protocols: Protocol[]): boolean {
    if (group.state === 'Empty') return protocolType !== '' && protocols.length > 0;
    if (group.protocolType !== protocolType) return false;
    const candidates = candidateProtocols(group);
    return protocols.some((p) => candidates.has(p.name));
  }

  private maybePrepareRebalanceOrCompleteJoin(group: Group): void {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance' || group.state === 'Empty') this.prepareRebalance(group);
    else this.maybeCompleteJoinPhase(group);
  }

  private maybeCompleteJoinPhase(group: Group): void {
    if (group.state === 'PreparingRebalance' && hasAllMembersJoined(group) && group.previousState !== 'Empty') this.completeJoin(group);
  }

  private prepareRebalance(group: Group): void {
    if (group.state === 'CompletingRebalance') this.resetAndPropagateAssignmentWithError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.timers.cancel(group.syncDeadline);
    const isInitialRebalance = group.state === 'Empty';
    if (isInitialRebalance) {
      const delayMs = this.config.initialRebalanceDelayMs;
      const remainingMs = Math.max(rebalanceTimeoutMs(group) - delayMs, 0);
      this.setJoinTimer(group, delayMs, { kind: 'initial', delayMs, remainingMs });
    }
    this.transition(group, 'PreparingRebalance');
    if (!isInitialRebalance) this.maybeCompleteJoinElseSchedule(group);
  }

  private maybeCompleteJoinElseSchedule(group: Group): void {
    if (group.state === 'PreparingRebalance' && hasAllMembersJoined(group)) this.completeJoin(group);
    else this.setJoinTimer(group, rebalanceTimeoutMs(group), { kind: 'rebalance' });
  }

  private tryCompleteInitialRebalanceElseSchedule(group: Group, delayMs: number, remainingMs: number): void {
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const newDelayMs = Math.min(this.config.initialRebalanceDelayMs, remainingMs);
      const newRemainingMs = Math.max(remainingMs - delayMs, 0);
      this.setJoinTimer(group, newDelayMs, { kind: 'initial', delayMs: newDelayMs, remainingMs: newRemainingMs });
    } else {
      this.completeJoin(group);
    }
  }

  private setJoinTimer(group: Group, delayMs: number, timer: JoinTimer): void {
    group.joinTimer = timer;
    this.timers.schedule(group.joinDeadline, this.nowMs + delayMs);
  }

  private clearJoinTimer(group: Group): void {
    group.joinTimer = null;
    this.timers.cancel(group.joinDeadline);
  }

  private completeJoin(group: Group): void {
    this.clearJoinTimer(group);
    for (const member of [...group.members.values()]) {
      // Dynamic members that did not rejoin in time are dropped; static ones keep their place.
      if (member.awaitingJoin === null && member.groupInstanceId === null) this.removeMemberRaw(group, member.memberId);
    }
    if (group.state === 'Dead') return;
    if (!maybeElectNewJoinedLeader(group) && group.members.size > 0) {
      // Nobody rejoined (only static members remain): wait another rebalance timeout.
      this.setJoinTimer(group, rebalanceTimeoutMs(group), { kind: 'rebalance' });
      return;
    }
    this.initNextGeneration(group);
    if (group.state === 'Empty') {
      this.persistGroup(group);
      return;
    }
    for (const member of group.members.values()) {
      if (member.awaitingJoin !== null) {
        this.reply(member.awaitingJoin, 'JoinGroup', this.joinResponse(group, member.memberId, group.leaderId === member.memberId, false));
        member.awaitingJoin = null;
      }
      this.timers.schedule(member.heartbeat, this.nowMs + member.sessionTimeoutMs);
      member.isNew = false;
      group.pendingSyncMembers.add(member.memberId);
    }
    this.timers.schedule(group.syncDeadline, this.nowMs + rebalanceTimeoutMs(group));
  }

  private initNextGeneration(group: Group): void {
    group.generationId++;
    if (group.members.size > 0) {
      group.protocolName = selectProtocol(group);
      group.subscribedTopics = computeSubscribedTopics(group);
      this.transition(group, 'CompletingRebalance');
    } else {
      group.protocolName = null;
      group.subscribedTopics = computeSubscribedTopics(group);
      this.transition(group, 'Empty');
    }
    group.pendingSyncMembers.clear();
  }

  private joinResponse(group: Group, memberId: string, withMembers: boolean, skipAssignment: boolean): JoinGroupResponseInput {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment,
      memberId,
      members: withMembers
        ? [...group.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: memberMetadata(m, group.protocolName),
          }))
        : [],
    };
  }

  // ------------------------------------------------------------------------------------------
  // SyncGroup

  syncGroup(requestId: RequestId, request: SyncInput, nowMs: number): Output {
    this.begin(nowMs);
    const fail = (errorCode: number) => this.reply(requestId, 'SyncGroup', syncError(errorCode));
    const group = this.groups.get(request.groupId);
    if (request.groupId === '') fail(ErrorCode.INVALID_GROUP_ID);
    else if (group === undefined) fail(ErrorCode.UNKNOWN_MEMBER_ID);
    else {
      const error = validateSync(group, request);
      if (error !== ErrorCode.NONE) fail(error);
      else if (group.state === 'Empty') fail(ErrorCode.UNKNOWN_MEMBER_ID);
      else if (group.state === 'PreparingRebalance') fail(ErrorCode.REBALANCE_IN_PROGRESS);
      else if (group.state === 'CompletingRebalance') this.syncInCompletingRebalance(group, requestId, request);
      else if (group.state === 'Stable') {
        group.pendingSyncMembers.delete(request.memberId);
        const member = group.members.get(request.memberId)!;
        this.reply(requestId, 'SyncGroup', {
          errorCode: ErrorCode.NONE,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          assignment: member.assignment,
        });
      }
    }
    return this.end();
  }

  private syncInCompletingRebalance(group: Group, requestId: RequestId, request: SyncInput): void {
    const member = group.members.get(request.memberId)!;
    if (member.awaitingSync !== null && member.awaitingSync !== requestId) {
      this.reply(member.awaitingSync, 'SyncGroup', syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    }
    member.awaitingSync = requestId;
    group.pendingSyncMembers.delete(member.memberId);
    if (group.leaderId !== member.memberId) return; // parked until the leader's SyncGroup
    const assignment = new Map<string, Buffer>();
    for (const entry of request.assignments) assignment.set(entry.memberId, entry.assignment);
    for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY;
    this.persistGroup(group);
    this.transition(group, 'Stable');
    this.propagateAssignment(group, ErrorCode.NONE, true);
  }

  private resetAndPropagateAssignmentWithError(group: Group, errorCode: number): void {
    for (const member of group.members.values()) member.assignment = EMPTY;
    this.propagateAssignment(group, errorCode, false);
  }

  private propagateAssignment(group: Group, errorCode: number, deferred: boolean): void {
    for (const member of group.members.values()) {
      if (member.awaitingSync === null) continue;
      const body: SyncGroupResponseInput = {
        errorCode,
        protocolType: errorCode === ErrorCode.NONE ? group.protocolType : null,
        protocolName: errorCode === ErrorCode.NONE ? group.protocolName : null,
        assignment: member.assignment,
      };
      if (deferred) this.deferReply(member.awaitingSync, 'SyncGroup', body);
      else this.reply(member.awaitingSync, 'SyncGroup', body);
      member.awaitingSync = null;
      this.timers.schedule(member.heartbeat, this.nowMs + member.sessionTimeoutMs);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Heartbeat and LeaveGroup

  heartbeat(requestId: RequestId, request: HeartbeatInput, nowMs: number): Output {
    this.begin(nowMs);
    const errorCode = this.heartbeatError(request);
    this.reply(requestId, 'Heartbeat', { errorCode });
    return this.end();
  }

  private heartbeatError(request: HeartbeatInput): number {
    if (request.groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(request.groupId);
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const error = validateMember(group, request.memberId, request.groupInstanceId);
    if (error !== ErrorCode.NONE) return error;
    if (request.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const member = group.members.get(request.memberId)!;
    switch (group.state) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'PreparingRebalance':
        this.timers.schedule(member.heartbeat, this.nowMs + member.sessionTimeoutMs);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        this.timers.schedule(member.heartbeat, this.nowMs + member.sessionTimeoutMs);
        return ErrorCode.NONE;
    }
  }

  /** LeaveGroup; v0-2 carry one member id (the handler passes it as a one-entry list). */
  leaveGroup(requestId: RequestId, request: LeaveInput, nowMs: number): Output {
    this.begin(nowMs);
    const group = this.groups.get(request.groupId);
    if (request.groupId === '') {
      this.reply(requestId, 'LeaveGroup', { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] });
    } else if (group === undefined) {
      this.reply(requestId, 'LeaveGroup', { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] });
    } else if (group.state === 'Dead') {
      this.reply(requestId, 'LeaveGroup', { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] });
    } else {
      const members: { memberId: string; groupInstanceId: string | null; errorCode: number }[] = [];
      let removed = 0;
      for (const identity of request.members) {
        let errorCode: number = ErrorCode.NONE;
        if (identity.memberId === '') {
          // Administrative removal by instance id (kafka-consumer-groups / Admin.removeMembersFromConsumerGroup).
          const staticId = identity.groupInstanceId === null ? undefined : group.staticMembers.get(identity.groupInstanceId);
          if (staticId === undefined) errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
          else this.removeCurrentMember(group, staticId);
        } else if (group.pendingJoinMembers.has(identity.memberId)) {
          this.removeMemberRaw(group, identity.memberId);
        } else {
          errorCode = validateMember(group, identity.memberId, identity.groupInstanceId);
          if (errorCode === ErrorCode.NONE) this.removeCurrentMember(group, identity.memberId);
        }
        if (errorCode === ErrorCode.NONE) removed++;
        members.push({ memberId: identity.memberId, groupInstanceId: identity.groupInstanceId, errorCode });
      }
      this.reply(requestId, 'LeaveGroup', { errorCode: ErrorCode.NONE, members });
      if (removed > 0) {
        if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.maybePrepareRebalanceOrCompleteJoin(group);
        else if (group.state === 'PreparingRebalance') this.maybeCompleteJoinPhase(group);
      }
    }
    return this.end();
  }

  /** Removes a member, answering its parked requests with UNKNOWN_MEMBER_ID so it rejoins. */
  private removeCurrentMember(group: Group, memberId: string): void {
    const member = group.members.get(memberId);
    if (member === undefined) return;
    if (member.awaitingJoin !== null) {
      this.reply(member.awaitingJoin, 'JoinGroup', joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
      member.awaitingJoin = null;
    }
    if (member.awaitingSync !== null) {
      this.reply(member.awaitingSync, 'SyncGroup', syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      member.awaitingSync = null;
    }
    this.removeMemberRaw(group, memberId);
  }

  private removeMemberRaw(group: Group, memberId: string): void {
    const member = group.members.get(memberId);
    if (member !== undefined) {
      this.timers.cancel(member.heartbeat);
      group.members.delete(memberId);
      if (member.groupInstanceId !== null) group.staticMembers.delete(member.groupInstanceId);
    }
    if (group.leaderId === memberId) group.leaderId = group.members.keys().next().value ?? null;
    this.dropPendingJoinMember(group, memberId);
    group.pendingSyncMembers.delete(memberId);
  }

  private dropPendingJoinMember(group: Group, memberId: string): void {
    const rejoinDeadline = group.pendingJoinMembers.get(memberId);
    if (rejoinDeadline === undefined) return;
    this.timers.cancel(rejoinDeadline);
    group.pendingJoinMembers.delete(memberId);
  }

  // ------------------------------------------------------------------------------------------
  // Offsets

  /**
   * OffsetCommit for partitions of existing topics (the handler answers unknown topics). Group
   * rules (ClassicGroup.validateOffsetCommit): generation -1 with no member id is the admin /
   * simple-consumer path, allowed on Empty (and new) groups; otherwise the member and
   * generation must be current, and CompletingRebalance answers REBALANCE_IN_PROGRESS.
   */
  commitOffsets(requestId: RequestId, request: CommitInput, apiVersion: number, nowMs: number): Output {
    this.begin(nowMs);
    const respond = (code: (metadata: string | null) => number, deferred: boolean) => {
      const body: OffsetCommitResponseInput = {
        topics: request.topics.map((topic) => ({
          name: topic.name,
          partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(p.committedMetadata) })),
        })),
      };
      if (deferred) this.deferReply(requestId, 'OffsetCommit', body);
      else this.reply(requestId, 'OffsetCommit', body);
    };
    let group = this.groups.get(request.groupId);
    let error: number = ErrorCode.NONE;
    if (request.groupId === '') error = ErrorCode.INVALID_GROUP_ID;
    else if (group === undefined) {
      if (request.generationId < 0) group = this.createGroup(request.groupId);
      else error = apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION;
    } else {
      error = validateOffsetCommit(group, request);
    }
    if (error !== ErrorCode.NONE || group === undefined) {
      respond(() => error, false);
      return this.end();
    }
    const expireTimestampMs = request.retentionTimeMs >= 0 ? this.nowMs + request.retentionTimeMs : null;
    const tooLarge = (metadata: string | null) =>
      metadata !== null && Buffer.byteLength(metadata, 'utf8') > this.config.offsetMetadataMaxBytes;
    for (const topic of request.topics) {
      for (const p of topic.partitions) {
        if (tooLarge(p.committedMetadata)) continue;
        const value: CommittedOffset = {
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata: p.committedMetadata ?? '',
          commitTimestampMs: this.nowMs,
          expireTimestampMs,
        };
        setOffset(group, topic.name, p.partitionIndex, value);
        this.out.records.push({ kind: 'offset', groupId: group.groupId, topic: topic.name, partition: p.partitionIndex, value });
      }
    }
    respond((metadata) => (tooLarge(metadata) ? ErrorCode.OFFSET_METADATA_TOO_LARGE : ErrorCode.NONE), true);
    return this.end();
  }

  /**
   * OffsetFetch for one group: `topics` null = every committed offset. Unknown group / partition:
   * offset -1, leader epoch -1, metadata "" (never null: Sarama cannot decode a null there).
   */
  fetchOffsets(
    groupId: string,
    topics: { name: string; partitionIndexes: number[] }[] | null,
  ): { name: string; partitions: FetchedPartition[] }[] {
    const group = this.groups.get(groupId);
    const offsets = group === undefined || group.state === 'Dead' ? undefined : group.offsets;
    const fetched = (topic: string, partitionIndex: number): FetchedPartition => {
      const committed = offsets?.get(topic)?.get(partitionIndex);
      if (committed === undefined)
        return { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
      return {
        partitionIndex,
        committedOffset: committed.offset,
        committedLeaderEpoch: committed.leaderEpoch,
        metadata: committed.metadata,
        errorCode: ErrorCode.NONE,
      };
    };
    if (topics === null) {
      return [...(offsets ?? new Map<string, Map<number, CommittedOffset>>()).entries()].map(([name, partitions]) => ({
        name,
        partitions: [...partitions.keys()].sort((a, b) => a - b).map((index) => fetched(name, index)),
      }));
    }
    return topics.map((topic) => ({ name: topic.name, partitions: topic.partitionIndexes.map((index) => fetched(topic.name, index)) }));
  }

  /** OffsetDelete (47): only for topics the group does not subscribe to (the handler answers unknown topics). */
  deleteOffsets(requestId: RequestId, groupId: string, topics: { name: string; partitions: number[] }[], nowMs: number): Output {
    this.begin(nowMs);
    const group = this.groups.get(groupId);
    let errorCode: number = ErrorCode.NONE;
    if (groupId === '') errorCode = ErrorCode.INVALID_GROUP_ID;
    else if (group === undefined || group.state === 'Dead') errorCode = ErrorCode.GROUP_ID_NOT_FOUND;
    else if (group.state !== 'Empty' && group.protocolType !== CONSUMER_PROTOCOL_TYPE) errorCode = ErrorCode.NON_EMPTY_GROUP;
    if (errorCode !== ErrorCode.NONE || group === undefined) {
      this.reply(requestId, 'OffsetDelete', { errorCode, topics: [] });
      return this.end();
    }
    const result = topics.map((topic) => {
      const subscribed = isSubscribedToTopic(group, topic.name);
      return {
        name: topic.name,
        partitions: topic.partitions.map((partitionIndex) => {
          if (subscribed) return { partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
          if (deleteOffset(group, topic.name, partitionIndex)) {
            this.out.records.push({ kind: 'offset', groupId, topic: topic.name, partition: partitionIndex, value: null });
          }
          return { partitionIndex, errorCode: ErrorCode.NONE };
        }),
      };
    });
    this.deferReply(requestId, 'OffsetDelete', { errorCode: ErrorCode.NONE, topics: result });
    return this.end();
  }

  /** The offsets of a topic that was deleted go with it (Kafka: onPartitionsDeleted). */
  topicDeleted(topic: string, nowMs: number): Output {
    this.begin(nowMs);
    for (const group of this.groups.values()) {
      const partitions = group.offsets.get(topic);
      if (partitions === undefined) continue;
      for (const partition of [...partitions.keys()]) {
        deleteOffset(group, topic, partition);
        this.out.records.push({ kind: 'offset', groupId: group.groupId, topic, partition, value: null });
      }
    }
    return this.end();
  }

  // ------------------------------------------------------------------------------------------
  // Admin: DeleteGroups, ListGroups, DescribeGroups

  deleteGroups(requestId: RequestId, groupIds: string[], nowMs: number): Output {
    this.begin(nowMs);
    const results = groupIds.map((groupId) => {
      const group = this.groups.get(groupId);
      if (groupId === '') return { groupId, errorCode: ErrorCode.INVALID_GROUP_ID };
      if (group === undefined || group.state === 'Dead') return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
      if (group.state !== 'Empty') return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
      this.deleteGroup(group);
      return { groupId, errorCode: ErrorCode.NONE };
    });
    this.deferReply(requestId, 'DeleteGroups', { results });
    return this.end();
  }

  private deleteGroup(group: Group): void {
    for (const [topic, partitions] of group.offsets) {
      for (const partition of partitions.keys())
        this.out.records.push({ kind: 'offset', groupId: group.groupId, topic, partition, value: null });
    }
    group.offsets.clear();
    this.out.records.push({ kind: 'group', groupId: group.groupId, value: null });
    // Members handed an id with MEMBER_ID_REQUIRED find the group gone and start over.
    this.transition(group, 'Dead');
    this.forgetGroup(group);
  }

  /** Removes the group with its deadlines. */
  private forgetGroup(group: Group): void {
    this.clearJoinTimer(group);
    this.timers.cancel(group.syncDeadline);
    for (const rejoinDeadline of group.pendingJoinMembers.values()) this.timers.cancel(rejoinDeadline);
    group.pendingJoinMembers.clear();
    this.cancelHeartbeats(group);
    this.groups.delete(group.groupId);
  }

  private cancelHeartbeats(group: Group): void {
    for (const member of group.members.values()) this.timers.cancel(member.heartbeat);
  }

  listGroups(statesFilter: string[], typesFilter: string[]): ListGroupsResponseListedGroupInput[] {
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((t) => t.toLowerCase()));
    const listed: ListGroupsResponseListedGroupInput[] = [];
    for (const group of this.groups.values()) {
      if (group.state === 'Dead') continue;
      if (states.size > 0 && !states.has(group.state.toLowerCase())) continue;
      if (types.size > 0 && !types.has('classic')) continue;
      listed.push({ groupId: group.groupId, protocolType: group.protocolType ?? '', groupState: group.state, groupType: 'classic' });
    }
    return listed;
  }

  describeGroup(groupId: string, apiVersion: number): DescribeGroupsResponseDescribedGroupInput {
    const group = this.groups.get(groupId);
    if (groupId === '' && group === undefined) {
      return {
        groupId,
        errorCode: ErrorCode.INVALID_GROUP_ID,
        errorMessage: null,
        groupState: '',
        protocolType: '',
        protocolData: '',
        members: [],
        authorizedOperations: NO_AUTHORIZED_OPERATIONS,
      };
    }
    if (group === undefined || group.state === 'Dead') {
      return {
        groupId,
        errorCode: apiVersion >= 6 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.NONE,
        errorMessage: apiVersion >= 6 ? `Group ${groupId} not found.` : null,
        groupState: 'Dead',
        protocolType: '',
        protocolData: '',
        members: [],
        authorizedOperations: NO_AUTHORIZED_OPERATIONS,
      };
    }
    const stable = group.state === 'Stable';
    return {
      groupId,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? memberMetadata(m, group.protocolName) : EMPTY,
        memberAssignment: stable ? m.assignment : EMPTY,
      })),
      authorizedOperations: NO_AUTHORIZED_OPERATIONS,
    };
  }

  /** Group state for tests and logs. */
  groupSummary(
    groupId: string,
  ): { state: GroupState; generationId: number; leaderId: string | null; members: string[]; protocolName: string | null } | null {
    const group = this.groups.get(groupId);
    if (group === undefined) return null;
    return {
      state: group.state,
      generationId: group.generationId,
      leaderId: group.leaderId,
      members: [...group.members.keys()],
      protocolName: group.protocolName,
    };
  }

  // ------------------------------------------------------------------------------------------
  // Time

  /** Fires every timer due at `nowMs`. */
  tick(nowMs: number): Output {
    this.begin(nowMs);
    return this.end();
  }

  /** When the next timer is due (epoch ms), null if none: the shell ticks then. */
  nextDeadlineMs(): number | null {
    return this.timers.nextMs();
  }

  /** How many timers are scheduled (one per member, pending member and group phase, plus retention). */
  scheduledTimers(): number {
    return this.timers.size;
  }

  /**
   * Checks that every scheduled timer belongs to a live group or member (none leaked by a
   * removal) and that the join timer's state matches its deadline. O(groups + members): for tests.
   */
  checkTimers(): void {
    let reachable = this.retentionCheck.scheduled ? 1 : 0;
    for (const group of this.groups.values()) {
      assert((group.joinTimer !== null) === group.joinDeadline.scheduled, `${group.groupId}: join timer and deadline disagree`);
      if (group.joinDeadline.scheduled) reachable++;
      if (group.syncDeadline.scheduled) reachable++;
      for (const rejoinDeadline of group.pendingJoinMembers.values()) if (rejoinDeadline.scheduled) reachable++;
      for (const member of group.members.values()) if (member.heartbeat.scheduled) reachable++;
    }
    assert(reachable === this.timers.size, `${this.timers.size} timers scheduled, ${reachable} reachable from the groups`);
  }

  private runTimers(): void {
    // Fire due timers one at a time in deadline order; a fired timer may set or clear others.
    for (let due = this.timers.popDue(this.nowMs); due !== null; due = this.timers.popDue(this.nowMs)) this.fire(due.value);
  }

  private fire(timer: Timer): void {
    if (timer.kind === 'retention') {
      this.runRetention();
      return;
    }
    const group = this.groups.get(timer.groupId);
    assert(group !== undefined, `${timer.kind} timer of a removed group ${timer.groupId}`);
    switch (timer.kind) {
      case 'join': {
        const joinTimer = group.joinTimer;
        group.joinTimer = null;
        if (joinTimer === null || group.state !== 'PreparingRebalance') return;
        if (joinTimer.kind === 'initial') this.tryCompleteInitialRebalanceElseSchedule(group, joinTimer.delayMs, joinTimer.remainingMs);
        else this.completeJoin(group);
        return;
      }
      case 'sync':
        this.expirePendingSync(group);
        return;
      case 'pending-member':
        // A handed-out member id that never came back.
        this.removeMemberRaw(group, timer.memberId);
        if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.maybePrepareRebalanceOrCompleteJoin(group);
        else if (group.state === 'PreparingRebalance' && hasAllMembersJoined(group)) this.completeJoin(group);
        return;
      case 'heartbeat': {
        const member = group.members.get(timer.memberId);
        assert(member !== undefined, `heartbeat timer of a removed member ${timer.memberId}`);
        this.expireHeartbeat(group, member);
        return;
      }
    }
  }

  private expireHeartbeat(group: Group, member: Member): void {
    // Members waiting in a rebalance satisfy their heartbeats, except new members (parked JoinGroup timeout).
    const satisfied = !member.isNew && (member.awaitingJoin !== null || member.awaitingSync !== null);
    if (satisfied) return;
    this.removeCurrentMember(group, member.memberId);
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group);
    else if (group.state === 'PreparingRebalance' && hasAllMembersJoined(group)) this.completeJoin(group);
  }

  private expirePendingSync(group: Group): void {
    if ((group.state !== 'CompletingRebalance' && group.state !== 'Stable') || group.pendingSyncMembers.size === 0) return;
    for (const memberId of [...group.pendingSyncMembers]) this.removeCurrentMember(group, memberId);
    this.prepareRebalance(group);
  }

  /**
   * Offsets retention (OffsetMetadataManager.cleanupExpiredOffsets): Empty groups lose their
   * offsets `offsets.retention.minutes` after they became Empty (or after the commit when that is
   * unknown); simple groups (no protocol type) per offset after its commit; Stable consumer groups
   * lose offsets of topics they no longer subscribe to. A group left with no offsets is deleted.
   */
  private runRetention(): void {
    this.timers.schedule(this.retentionCheck, this.nowMs + this.config.offsetsRetentionCheckIntervalMs);
    for (const group of [...this.groups.values()]) {
      let base: ((offset: CommittedOffset) => number) | null = null;
      if (group.protocolType === null) base = (o) => o.commitTimestampMs;
      else if (group.state === 'Empty') base = (o) => group.stateTimestampMs ?? o.commitTimestampMs;
      else if (group.protocolType === CONSUMER_PROTOCOL_TYPE && group.subscribedTopics !== null && group.state === 'Stable')
        base = (o) => o.commitTimestampMs;
      if (base === null) continue;
      let allExpired = true;
      for (const [topic, partitions] of [...group.offsets]) {
        if (isSubscribedToTopic(group, topic)) {
          allExpired = false;
          continue;
        }
        for (const [partition, offset] of [...partitions]) {
          const expired =
            offset.expireTimestampMs !== null
              ? this.nowMs >= offset.expireTimestampMs
              : this.nowMs - base(offset) >= this.config.offsetsRetentionMs;
          if (!expired) {
            allExpired = false;
            continue;
          }
          deleteOffset(group, topic, partition);
          this.out.records.push({ kind: 'offset', groupId: group.groupId, topic, partition, value: null });
        }
      }
      if (allExpired && group.state === 'Empty' && group.pendingJoinMembers.size === 0) this.deleteGroup(group);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Loading from __consumer_offsets

  /** Applies one stored record (in log order) while loading. */
  replay(record: OffsetsRecord): void {
    if (record.kind === 'offset') {
      let group = this.groups.get(record.groupId);
      if (record.value === null) {
        if (group !== undefined) deleteOffset(group, record.topic, record.partition);
        return;
      }
      group ??= this.createGroup(record.groupId);
      setOffset(group, record.topic, record.partition, record.value);
      return;
    }
    const existing = this.groups.get(record.groupId);
    if (record.value === null) {
      if (existing === undefined) return;
      if (existing.offsets.size === 0) this.forgetGroup(existing);
      else {
        this.cancelHeartbeats(existing);
        resetToSimpleGroup(existing);
      }
      return;
    }
    const value = record.value;
    const group = existing ?? this.createGroup(record.groupId);
    group.protocolType = value.protocolType === '' || value.protocolType === undefined ? null : value.protocolType;
    group.generationId = value.generation ?? 0;
    group.protocolName = value.protocol ?? null;
    group.leaderId = value.leader ?? null;
    const stateTimestamp = value.currentStateTimestamp ?? -1n;
    group.stateTimestampMs = stateTimestamp >= 0n ? Number(stateTimestamp) : null;
    this.cancelHeartbeats(group);
    group.members = new Map();
    group.staticMembers = new Map();
    for (const m of value.members ?? []) {
      const member: Member = {
        memberId: m.memberId ?? '',
        groupInstanceId: m.groupInstanceId ?? null,
        clientId: m.clientId ?? '',
        clientHost: m.clientHost ?? '',
        rebalanceTimeoutMs: m.rebalanceTimeout ?? -1,
        sessionTimeoutMs: m.sessionTimeout ?? 0,
        protocolType: group.protocolType ?? '',
        protocols: group.protocolName === null ? [] : [{ name: group.protocolName, metadata: m.subscription ?? EMPTY }],
        assignment: m.assignment ?? EMPTY,
        awaitingJoin: null,
        awaitingSync: null,
        isNew: false,
        heartbeat: this.timers.create({ kind: 'heartbeat', groupId: group.groupId, memberId: m.memberId ?? '' }),
      };
      if (member.rebalanceTimeoutMs < 0) member.rebalanceTimeoutMs = member.sessionTimeoutMs;
      group.members.set(member.memberId, member);
      if (member.groupInstanceId !== null) group.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    group.state = group.members.size > 0 ? 'Stable' : 'Empty';
    group.previousState = group.state;
    group.subscribedTopics = computeSubscribedTopics(group);
  }

  /** After replay: members of restored groups must heartbeat within their session timeout. */
  loaded(nowMs: number): void {
    this.nowMs = nowMs;
    for (const group of this.groups.values()) {
      for (const member of group.members.values()) this.timers.schedule(member.heartbeat, nowMs + member.sessionTimeoutMs);
    }
    this.timers.schedule(this.retentionCheck, nowMs + this.config.offsetsRetentionCheckIntervalMs);
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  // ------------------------------------------------------------------------------------------
  // helpers

  private createGroup(groupId: string): Group {
    const group: Group = {
      groupId,
      state: 'Empty',
      previousState: 'Empty',
      stateTimestampMs: this.nowMs,
      protocolType: null,
      protocolName: null,
      generationId: 0,
      leaderId: null,
      members: new Map(),
      staticMembers: new Map(),
      pendingJoinMembers: new Map(),
      pendingSyncMembers: new Set(),
      newMemberAdded: false,
      joinTimer: null,
      joinDeadline: this.timers.create({ kind: 'join', groupId }),
      syncDeadline: this.timers.create({ kind: 'sync', groupId }),
      subscribedTopics: null,
      offsets: new Map(),
    };
    this.groups.set(groupId, group);
    return group;
  }

  private transition(group: Group, state: GroupState): void {
    group.previousState = group.state;
    group.state = state;
    group.stateTimestampMs = this.nowMs;
  }

  /** GroupMetadataValue v3 as Kafka writes it (GroupCoordinatorRecordHelpers.newGroupMetadataRecord). */
  private persistGroup(group: Group): void {
    const value: GroupMetadataValueInput = {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderId,
      currentStateTimestamp: BigInt(group.stateTimestampMs ?? -1),
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: memberMetadata(m, group.protocolName),
        assignment: m.assignment,
      })),
    };
    this.out.records.push({ kind: 'group', groupId: group.groupId, value });
  }

  private begin(nowMs: number): void {
    this.nowMs = Math.max(this.nowMs, nowMs);
    this.out = emptyOutput();
    // The first input starts the retention checks (`loaded` does on a restart).
    if (!this.retentionCheck.scheduled) this.timers.schedule(this.retentionCheck, this.nowMs + this.config.offsetsRetentionCheckIntervalMs);
    this.runTimers();
  }

  private end(): Output {
    this.runTimers();
    const out = this.out;
    this.out = emptyOutput();
    return out;
  }

  private reply<A extends ReplyBody['api']>(requestId: RequestId, api: A, body: Extract<ReplyBody, { api: A }>['body']): void {
    this.out.replies.push({ requestId, api, body } as Reply);
  }

  private deferReply<A extends ReplyBody['api']>(requestId: RequestId, api: A, body: Extract<ReplyBody, { api: A }>['body']): void {
    this.out.deferred.push({ requestId, api, body } as Reply);
  }
}

// --------------------------------------------------------------------------------------------
// pure helpers

function emptyOutput(): Output {
  return { replies: [], records: [], deferred: [] };
}

function joinError(memberId: string, errorCode: number): JoinGroupResponseInput {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

function syncError(errorCode: number): SyncGroupResponseInput {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

/** ClassicGroup.validateMember: instance ids are authoritative for static members. */
function validateMember(group: Group, memberId: string, groupInstanceId: string | null): number {
  if (groupInstanceId !== null) {
    const existing = group.staticMembers.get(groupInstanceId);
    if (existing === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (existing !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    return ErrorCode.NONE;
  }
  return group.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
}

function validateSync(group: Group, request: SyncInput): number {
  if (group.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  const error = validateMember(group, request.memberId, request.groupInstanceId);
  if (error !== ErrorCode.NONE) return error;
  if (request.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  const inconsistent = (a: string | null, b: string | null) => a !== null && b !== null && a !== b;
  if (inconsistent(request.protocolType, group.protocolType) || inconsistent(request.protocolName, group.protocolName)) {
    return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
  }
  return ErrorCode.NONE;
}

function validateOffsetCommit(group: Group, request: CommitInput): number {
  if (group.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (request.generationId < 0 && group.state === 'Empty') return ErrorCode.NONE;
  if (request.generationId >= 0 || request.memberId !== '' || request.groupInstanceId !== null) {
    const error = validateMember(group, request.memberId, request.groupInstanceId);
    if (error !== ErrorCode.NONE) return error;
    if (request.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  } else if (group.state !== 'Empty') {
    return ErrorCode.UNKNOWN_MEMBER_ID;
  }
  if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
  return ErrorCode.NONE;
}

function awaitingJoinCount(group: Group): number {
  let count = 0;
  for (const member of group.members.values()) if (member.awaitingJoin !== null) count++;
  return count;
}

function hasAllMembersJoined(group: Group): boolean {
  return group.members.size === awaitingJoinCount(group) && group.pendingJoinMembers.size === 0;
}

/** The largest rebalance timeout of the members (the join phase waits this long). */
function rebalanceTimeoutMs(group: Group): number {
  let max = 0;
  for (const member of group.members.values()) max = Math.max(max, member.rebalanceTimeoutMs);
  return max;
}

function maybeElectNewJoinedLeader(group: Group): boolean {
  if (group.leaderId === null) return false;
  const leader = group.members.get(group.leaderId);
  if (leader !== undefined && leader.awaitingJoin !== null) return true;
  for (const member of group.members.values()) {
    if (member.awaitingJoin !== null) {
      group.leaderId = member.memberId;
      return true;
    }
  }
  return false;
}

function candidateProtocols(group: Group): Set<string> {
  let candidates: Set<string> | null = null;
  for (const member of group.members.values()) {
    const names = new Set(member.protocols.map((p) => p.name));
    candidates = candidates === null ? names : new Set([...candidates].filter((name: string) => names.has(name)));
  }
  return candidates ?? new Set();
}

/** Every member votes for its most preferred protocol that all members support; most votes wins. */
function selectProtocol(group: Group): string {
  const candidates = candidateProtocols(group);
  const votes = new Map<string, number>();
  for (const member of group.members.values()) {
    const vote = member.protocols.find((p) => candidates.has(p.name));
    if (vote !== undefined) votes.set(vote.name, (votes.get(vote.name) ?? 0) + 1);
  }
  let best: string | null = null;
  for (const [name, count] of votes) if (best === null || count > votes.get(best)!) best = name;
  return best ?? '';
}

function protocolsMatch(a: Protocol[], b: Protocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata.equals(b[i]!.metadata));
}

function memberMetadata(member: Member, protocolName: string | null): Buffer {
  if (protocolName === null) return EMPTY;
  return member.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY;
}

/** Topics in the members' ConsumerProtocolSubscription (protocol type "consumer"), else null. */
function computeSubscribedTopics(group: Group): Set<string> | null {
  if (group.protocolType === null) return null;
  if (group.members.size === 0) return new Set();
  if (group.protocolType !== CONSUMER_PROTOCOL_TYPE || group.protocolName === null) return null;
  const topics = new Set<string>();
  try {
    for (const member of group.members.values()) {
      const metadata = memberMetadata(member, group.protocolName);
      const reader = new Reader(metadata);
      const version = Math.min(reader.readInt16(), 3);
      for (const topic of decodeConsumerProtocolSubscription(reader, version).topics) topics.add(topic);
    }
  } catch {
    return null;
  }
  return topics;
}

function isSubscribedToTopic(group: Group, topic: string): boolean {
  return group.subscribedTopics?.has(topic) ?? false;
}

function setOffset(group: Group, topic: string, partition: number, value: CommittedOffset): void {
  let partitions = group.offsets.get(topic);
  if (partitions === undefined) {
    partitions = new Map();
    group.offsets.set(topic, partitions);
  }
  partitions.set(partition, value);
}

function deleteOffset(group: Group, topic: string, partition: number): boolean {
  const partitions = group.offsets.get(topic);
  if (partitions === undefined || !partitions.delete(partition)) return false;
  if (partitions.size === 0) group.offsets.delete(topic);
  return true;
}

function resetToSimpleGroup(group: Group): void {
  group.protocolType = null;
  group.protocolName = null;
  group.generationId = 0;
  group.leaderId = null;
  group.members = new Map();
  group.staticMembers = new Map();
  group.state = 'Empty';
  group.previousState = 'Empty';
}
