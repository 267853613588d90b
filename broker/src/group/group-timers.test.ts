import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode } from '../protocol/error-codes.js';
import { DEFAULT_COORDINATOR_CONFIG, GroupCoordinator, type Output } from './group-coordinator.js';

/**
 * The coordinator's deadlines live in one queue (deadline-queue.ts). These tests check that the
 * queue holds exactly the live deadlines: heartbeats move deadlines without adding any, and
 * whatever removes a member or group takes its deadlines along (`checkTimers`).
 */

const CLIENT = { clientId: 'c', clientHost: '/127.0.0.1', apiVersion: 3 };
const PROTOCOLS = [{ name: 'range', metadata: Buffer.from('sub') }];

function replyTo(output: Output, requestId: number) {
  return [...output.replies, ...output.deferred].find((r) => r.requestId === requestId);
}

describe('group coordinator timers', () => {
  it('keep one deadline per member under heartbeat load', () => {
    const groups = 1000;
    let uuid = 0;
    const coordinator = new GroupCoordinator({ ...DEFAULT_COORDINATOR_CONFIG, initialRebalanceDelayMs: 0 }, () => `u${++uuid}`);
    const members: { groupId: string; memberId: string }[] = [];
    let nowMs = 0;
    let requestId = 0;
    for (let i = 0; i < groups; i++) {
      const groupId = `g${i}`;
      const joinId = ++requestId;
      const join = { groupId, memberId: '', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, groupInstanceId: null };
      const joined = replyTo(
        coordinator.joinGroup(joinId, { ...join, protocolType: 'consumer', protocols: PROTOCOLS }, CLIENT, nowMs),
        joinId,
      );
      assert.ok(joined?.api === 'JoinGroup' && joined.body.errorCode === ErrorCode.NONE);
      const memberId = joined.body.memberId!;
      const syncId = ++requestId;
      const sync = { groupId, generationId: 1, memberId, groupInstanceId: null, protocolType: null, protocolName: null };
      coordinator.syncGroup(syncId, { ...sync, assignments: [{ memberId, assignment: Buffer.from('a') }] }, nowMs);
      members.push({ groupId, memberId });
    }
    // Retention, one session per member, one sync deadline per group (30 s after its join phase).
    assert.equal(coordinator.scheduledTimers(), 1 + 2 * groups);
    for (let i = 0; i < 100_000; i++) {
      nowMs += 1;
      const member = members[i % groups]!;
      const out = coordinator.heartbeat(++requestId, { ...member, generationId: 1, groupInstanceId: null }, nowMs);
      assert.equal(out.replies[0]?.api === 'Heartbeat' && out.replies[0].body.errorCode, ErrorCode.NONE);
      assert.ok(coordinator.scheduledTimers() <= 1 + 2 * groups, `${coordinator.scheduledTimers()} timers after ${i + 1} heartbeats`);
    }
    // The sync deadlines have fired (nothing to do in Stable groups); the sessions remain.
    assert.equal(coordinator.scheduledTimers(), 1 + groups);
    coordinator.checkTimers();
    // Every session still ends on time: 30 s after each member's last heartbeat.
    const lastHeartbeatMs = nowMs;
    assert.equal(coordinator.nextDeadlineMs(), lastHeartbeatMs - groups + 1 + 30_000);
    const out = coordinator.tick(lastHeartbeatMs + 30_000);
    assert.equal(out.records.length, groups, 'every group emptied by its session timeout');
    assert.equal(coordinator.scheduledTimers(), 1, 'only the retention check is left');
    coordinator.checkTimers();
  });

  it('leave no deadline behind whatever removes members and groups (random inputs)', () => {
    type Step =
      | { kind: 'join'; group: number; member: number; v: number; instance: number; sessionMs: number; rebalanceMs: number }
      | { kind: 'sync'; group: number; member: number; assign: boolean }
      | { kind: 'heartbeat'; group: number; member: number }
      | { kind: 'leave'; group: number; member: number; byInstance: boolean }
      | { kind: 'commit'; group: number }
      | { kind: 'delete'; group: number }
      | { kind: 'advance'; ms: number };
    const group = fc.integer({ min: 0, max: 2 });
    const member = fc.integer({ min: -1, max: 7 }); // -1 = a new member
    const step: fc.Arbitrary<Step> = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('join' as const),
          group,
          member,
          v: fc.constantFrom(3, 5),
          instance: fc.integer({ min: -1, max: 2 }),
          sessionMs: fc.integer({ min: 6000, max: 20_000 }),
          rebalanceMs: fc.integer({ min: 1000, max: 20_000 }),
        }),
      },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('sync' as const), group, member, assign: fc.boolean() }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('heartbeat' as const), group, member }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), group, member, byInstance: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('commit' as const), group }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), group }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 25_000 }) }) },
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80, size: 'max' }), fc.integer({ min: 0, max: 3000 }), (steps, initialDelayMs) => {
        let uuid = 0;
        const config = {
          ...DEFAULT_COORDINATOR_CONFIG,
          initialRebalanceDelayMs: initialDelayMs,
          offsetsRetentionMs: 60_000,
          offsetsRetentionCheckIntervalMs: 10_000,
        };
        const coordinator = new GroupCoordinator(config, () => `u${++uuid}`);
        const memberIds: string[] = [];
        const pick = (index: number) => (index < 0 ? '' : (memberIds[index % Math.max(memberIds.length, 1)] ?? ''));
        const instanceOf = (index: number) => (index < 0 ? null : `i${index}`);
        let nowMs = 0;
        let requestId = 0;
        for (const s of steps) {
          const id = ++requestId;
          let out: Output;
          switch (s.kind) {
            case 'join': {
              const groupId = `g${s.group}`;
              const request = {
                groupId,
                memberId: pick(s.member),
                sessionTimeoutMs: s.sessionMs,
                rebalanceTimeoutMs: s.rebalanceMs,
                groupInstanceId: instanceOf(s.instance),
                protocolType: 'consumer',
                protocols: PROTOCOLS,
              };
              out = coordinator.joinGroup(id, request, { ...CLIENT, apiVersion: s.v }, nowMs);
              break;
            }
            case 'sync': {
              const groupId = `g${s.group}`;
              const memberId = pick(s.member);
              const summary = coordinator.groupSummary(groupId);
              const assignments = s.assign ? (summary?.members ?? []).map((m) => ({ memberId: m, assignment: Buffer.from('a') })) : [];
              const request = { groupId, generationId: summary?.generationId ?? 0, memberId, groupInstanceId: null, protocolType: null };
              out = coordinator.syncGroup(id, { ...request, protocolName: null, assignments }, nowMs);
              break;
            }
            case 'heartbeat': {
              const groupId = `g${s.group}`;
              const generationId = coordinator.groupSummary(groupId)?.generationId ?? 0;
              out = coordinator.heartbeat(id, { groupId, generationId, memberId: pick(s.member), groupInstanceId: null }, nowMs);
              break;
            }
            case 'leave': {
              const identity = s.byInstance ? { memberId: '', groupInstanceId: 'i0' } : { memberId: pick(s.member), groupInstanceId: null };
              out = coordinator.leaveGroup(id, { groupId: `g${s.group}`, members: [identity] }, nowMs);
              break;
            }
            case 'commit': {
              const partitions = [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }];
              const request = { groupId: `g${s.group}`, generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1 };
              out = coordinator.commitOffsets(id, { ...request, topics: [{ name: 't', partitions }] }, 8, nowMs);
              break;
            }
            case 'delete':
              out = coordinator.deleteGroups(id, [`g${s.group}`], nowMs);
              break;
            case 'advance':
              nowMs += s.ms;
              out = coordinator.tick(nowMs);
              break;
          }
          for (const reply of [...out.replies, ...out.deferred]) {
            if (reply.api === 'JoinGroup' && reply.body.memberId) memberIds.push(reply.body.memberId);
          }
          coordinator.checkTimers();
          const next = coordinator.nextDeadlineMs();
          assert.ok(next === null || next > nowMs, `a due timer (${next}) left unfired at ${nowMs}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
