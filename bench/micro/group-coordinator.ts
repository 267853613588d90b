// Micro-benchmarks of the group coordinator's timers (issue 10, item 4): the cost of one
// Heartbeat and of one tick with nothing due, with 10 to 10,000 Stable groups of one member each.
// The coordinator is the pure state machine, driven directly: no sockets, no records appended.
import { ErrorCode } from '../../broker/src/protocol/error-codes.js';
import { DEFAULT_COORDINATOR_CONFIG, GroupCoordinator, type Output } from '../../broker/src/group/group-coordinator.js';
import type { Case } from './case.js';

export const GROUP_COORDINATOR_GROUP = 'group coordinator';
export const GROUP_COUNTS = [10, 100, 1_000, 10_000] as const;
const START_MS = 1_000_000;

/** Kafka 4's client defaults (session.timeout.ms, heartbeat.interval.ms). */
const SESSION_TIMEOUT_MS = 45_000;
const HEARTBEAT_INTERVAL_MS = 3_000;

interface GroupsFixture {
  coordinator: GroupCoordinator;
  members: { groupId: string; memberId: string }[];
  /** The coordinator's time; only moves forward. */
  nowMs: number;
  nextRequestId: number;
}

function replyOf(output: Output, requestId: number) {
  const reply = [...output.replies, ...output.deferred].find((r) => r.requestId === requestId);
  if (reply === undefined) throw new Error(`no reply to request ${requestId}`);
  return reply;
}

/** `groups` Stable groups, one member each (JoinGroup v3, so no member-id handshake). */
function stableGroups(groups: number): GroupsFixture {
  let uuid = 0;
  const coordinator = new GroupCoordinator({ ...DEFAULT_COORDINATOR_CONFIG, initialRebalanceDelayMs: 0 }, () => `u${++uuid}`);
  const fixture: GroupsFixture = { coordinator, members: [], nowMs: START_MS, nextRequestId: 1 };
  const client = { clientId: 'bench', clientHost: '/127.0.0.1', apiVersion: 3 };
  const protocols = [{ name: 'range', metadata: Buffer.from('sub') }];
  for (let i = 0; i < groups; i++) {
    const groupId = `group-${i}`;
    const joinId = fixture.nextRequestId++;
    const joined = replyOf(
      coordinator.joinGroup(
        joinId,
        {
          groupId,
          memberId: '',
          sessionTimeoutMs: SESSION_TIMEOUT_MS,
          rebalanceTimeoutMs: SESSION_TIMEOUT_MS,
          groupInstanceId: null,
          protocolType: 'consumer',
          protocols,
        },
        client,
        fixture.nowMs,
      ),
      joinId,
    );
    if (joined.api !== 'JoinGroup' || joined.body.errorCode !== ErrorCode.NONE) throw new Error(`join ${groupId} failed`);
    const memberId = joined.body.memberId!;
    const syncId = fixture.nextRequestId++;
    const synced = replyOf(
      coordinator.syncGroup(
        syncId,
        {
          groupId,
          generationId: 1,
          memberId,
          groupInstanceId: null,
          protocolType: 'consumer',
          protocolName: 'range',
          assignments: [{ memberId, assignment: Buffer.from('a') }],
        },
        fixture.nowMs,
      ),
      syncId,
    );
    if (synced.api !== 'SyncGroup' || synced.body.errorCode !== ErrorCode.NONE) throw new Error(`sync ${groupId} failed`);
    fixture.members.push({ groupId, memberId });
  }
  return fixture;
}

export function groupCoordinatorCases(): Case[] {
  const cases: Case[] = [];
  for (const groups of GROUP_COUNTS) {
    const fixture = stableGroups(groups);
    const { coordinator, members } = fixture;
    let beats = 0;
    cases.push({
      group: GROUP_COORDINATOR_GROUP,
      name: `Heartbeat, ${groups.toLocaleString('en-US')} Stable groups x 1 member (each every 3 s, session 45 s)`,
      bytesPerOp: 0,
      fn: () => {
        // Members heartbeat in turn, each moving its own session deadline later; simulated time
        // runs so that each member heartbeats every HEARTBEAT_INTERVAL_MS, as clients do.
        const member = members[beats % members.length]!;
        beats++;
        fixture.nowMs = Math.max(fixture.nowMs, START_MS + Math.floor((beats * HEARTBEAT_INTERVAL_MS) / groups));
        const requestId = fixture.nextRequestId++;
        const out = coordinator.heartbeat(
          requestId,
          { groupId: member.groupId, generationId: 1, memberId: member.memberId, groupInstanceId: null },
          fixture.nowMs,
        );
        const reply = out.replies[0];
        if (reply?.api !== 'Heartbeat' || reply.body.errorCode !== ErrorCode.NONE)
          throw new Error(`heartbeat of ${member.memberId} failed`);
      },
    });
    if (groups === GROUP_COUNTS[GROUP_COUNTS.length - 1]) {
      // The control: one member only, so the group and member stay in the CPU caches. What the
      // round-robin case costs above this is cache misses on 10,000 groups, not the timers.
      const member = members[0]!;
      cases.push({
        group: GROUP_COORDINATOR_GROUP,
        name: `Heartbeat, ${groups.toLocaleString('en-US')} Stable groups x 1 member, always the same member (hot caches)`,
        bytesPerOp: 0,
        fn: () => {
          // Time stands still: moving it would expire the 9,999 members that do not heartbeat.
          const out = coordinator.heartbeat(
            fixture.nextRequestId++,
            { groupId: member.groupId, generationId: 1, memberId: member.memberId, groupInstanceId: null },
            fixture.nowMs,
          );
          if (out.replies[0]?.api !== 'Heartbeat' || out.replies[0].body.errorCode !== ErrorCode.NONE) throw new Error('heartbeat failed');
        },
      });
    }
    cases.push({
      group: GROUP_COORDINATOR_GROUP,
      name: `tick with nothing due, ${groups.toLocaleString('en-US')} Stable groups x 1 member`,
      bytesPerOp: 0,
      fn: () => {
        const out = coordinator.tick(fixture.nowMs);
        if (out.replies.length + out.records.length > 0) throw new Error('a timer was due');
      },
    });
  }
  return cases;
}
