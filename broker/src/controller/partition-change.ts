/**
 * One partition's registration and how it changes: Kafka's PartitionRegistration (the state and
 * `merge` of a PartitionChangeRecord) and PartitionChangeBuilder (the one place that elects
 * leaders and writes new ISRs). Pure functions; the controller calls `buildPartitionChange` to
 * generate a record and `mergePartitionChange` when it replays one.
 *
 * Election (PartitionChangeBuilder.electAnyLeader, without ELR):
 *   keep the current leader if it is in the target ISR and acceptable; else the first replica in
 *   assignment order that is; else, for an UNCLEAN election only, the first acceptable replica
 *   (ISR := {it}, LeaderRecoveryState := RECOVERING); else no leader (-1).
 * Without ELR the ISR never becomes empty: a target ISR of [] is not written, so the last ISR
 * member of a fenced partition stays in the ISR with leader -1 and is elected again when it
 * comes back (REPLICATION.md §3.6, "last replica standing").
 */
import type { PartitionChangeRecord } from '../protocol/generated/partition-change-record.js';
import type { PartitionRecord } from '../protocol/generated/partition-record.js';

export const NO_LEADER = -1;
/** PartitionChangeRecord.Leader when the leader does not change. */
export const NO_LEADER_CHANGE = -2;
/** LeaderRecoveryState values (LeaderRecoveryState.java); -1 in a change record = unchanged. */
export const RECOVERED = 0;
export const RECOVERING = 1;
const NO_RECOVERY_STATE_CHANGE = -1;

/** The fields of Kafka's PartitionRecord that leader election and ISR changes work on. */
export type PartitionState = Pick<
  PartitionRecord,
  'replicas' | 'isr' | 'removingReplicas' | 'addingReplicas' | 'leader' | 'leaderRecoveryState' | 'leaderEpoch' | 'partitionEpoch'
>;

export type Election = 'ONLINE' | 'UNCLEAN';

export interface PartitionChangeInput {
  topicId: string;
  partitionId: number;
  partition: PartitionState;
  /** The ISR wanted; null keeps the current one. */
  targetIsr: number[] | null;
  /** Whether a broker may lead (Kafka's LeaderAcceptor: active, or the broker being unfenced). */
  isAcceptableLeader: (brokerId: number) => boolean;
  election: Election;
  /** Metadata versions before 3.6-IV0 bump the leader epoch when the ISR shrinks. */
  bumpLeaderEpochOnIsrShrink: boolean;
}

export function partitionFromRecord(record: PartitionRecord): PartitionState {
  return {
    replicas: [...record.replicas],
    isr: [...record.isr],
    removingReplicas: [...record.removingReplicas],
    addingReplicas: [...record.addingReplicas],
    leader: record.leader,
    leaderRecoveryState: record.leaderRecoveryState,
    leaderEpoch: record.leaderEpoch,
    partitionEpoch: record.partitionEpoch,
  };
}

function emptyChange(topicId: string, partitionId: number): PartitionChangeRecord {
  return {
    partitionId,
    topicId,
    isr: null,
    leader: NO_LEADER_CHANGE,
    replicas: null,
    removingReplicas: null,
    addingReplicas: null,
    leaderRecoveryState: NO_RECOVERY_STATE_CHANGE,
    directories: null,
    eligibleLeaderReplicas: null,
    lastKnownElr: null,
  };
}

const sameList = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** PartitionChangeBuilder.build without reassignment or ELR: the record, or null when nothing changes. */
export function buildPartitionChange(input: PartitionChangeInput): PartitionChangeRecord | null {
  const { partition } = input;
  const targetIsr = input.targetIsr ?? partition.isr;
  const record = emptyChange(input.topicId, input.partitionId);

  const isValidNewLeader = (replica: number) => targetIsr.includes(replica) && input.isAcceptableLeader(replica);
  let leader = NO_LEADER;
  let unclean = false;
  if (partition.leader !== NO_LEADER && isValidNewLeader(partition.leader)) leader = partition.leader;
  else {
    const online = partition.replicas.find(isValidNewLeader);
    if (online !== undefined) leader = online;
    else if (input.election === 'UNCLEAN') {
      const any = partition.replicas.find((replica) => input.isAcceptableLeader(replica));
      if (any !== undefined) {
        leader = any;
        unclean = true;
      }
    }
  }
  if (leader !== partition.leader) {
    record.leader = leader;
    if (unclean) {
      record.isr = [leader];
      if (partition.leaderRecoveryState !== RECOVERING) record.leaderRecoveryState = RECOVERING;
    }
  }
  if (record.isr === null && targetIsr.length > 0 && !sameList(targetIsr, partition.isr)) record.isr = [...targetIsr];
  // triggerLeaderEpochBumpForIsrShrinkIfNeeded
  if (
    input.bumpLeaderEpochOnIsrShrink &&
    record.leader === NO_LEADER_CHANGE &&
    record.isr !== null &&
    !partition.isr.every((replica) => record.isr!.includes(replica))
  ) {
    record.leader = partition.leader;
  }
  const noOp = record.isr === null && record.leader === NO_LEADER_CHANGE && record.leaderRecoveryState === NO_RECOVERY_STATE_CHANGE;
  return noOp ? null : record;
}

/** PartitionRegistration.merge: null fields keep their value; partitionEpoch always +1; leaderEpoch +1 iff Leader != -2. */
export function mergePartitionChange(partition: PartitionState, record: PartitionChangeRecord): PartitionState {
  const leaderChanged = record.leader !== NO_LEADER_CHANGE;
  return {
    replicas: record.replicas ?? partition.replicas,
    isr: record.isr ?? partition.isr,
    removingReplicas: record.removingReplicas ?? partition.removingReplicas,
    addingReplicas: record.addingReplicas ?? partition.addingReplicas,
    leader: leaderChanged ? record.leader : partition.leader,
    leaderRecoveryState:
      record.leaderRecoveryState === NO_RECOVERY_STATE_CHANGE ? partition.leaderRecoveryState : record.leaderRecoveryState,
    leaderEpoch: leaderChanged ? partition.leaderEpoch + 1 : partition.leaderEpoch,
    partitionEpoch: partition.partitionEpoch + 1,
  };
}
