import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBrokerConfig } from '../config/broker-config.js';
import { createLogger } from '../io/logger.js';
import type { Scheduler } from '../io/scheduler.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { TopicRegistry } from '../topics/topic-registry.js';
import { GroupService } from './group-service.js';

/**
 * The shell's timer: one Scheduler timer armed for the coordinator's next deadline (no poll).
 * A simulated scheduler stands in for the clock; the topic registry and `__consumer_offsets`
 * are real, in a temporary directory.
 */

class SimulatedScheduler implements Scheduler {
  private timeMs = 1_000_000;
  private readonly timers = new Map<number, { atMs: number; callback: () => void }>();
  private nextId = 0;
  /** Timers armed so far. */
  armed = 0;

  nowMs(): number {
    return this.timeMs;
  }

  after(delayMs: number, callback: () => void): () => void {
    const id = this.nextId++;
    this.armed++;
    this.timers.set(id, { atMs: this.timeMs + delayMs, callback });
    return () => this.timers.delete(id);
  }

  defer(callback: () => void): void {
    setImmediate(callback);
  }

  /** When the pending timers fire. */
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.atMs).sort((a, b) => a - b);
  }

  /** Moves time to `atMs`, running the timers due on the way in order. */
  advanceTo(atMs: number): void {
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.atMs <= atMs).sort(([, a], [, b]) => a.atMs - b.atMs)[0];
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.timeMs = Math.max(this.timeMs, due[1].atMs);
      due[1].callback();
    }
    this.timeMs = atMs;
  }
}

const SESSION_MS = 6000;
/** Longer than the session, so the SyncGroup deadline is never the next one here. */
const REBALANCE_MS = 20_000;

describe('group service timers', () => {
  let dir: string;
  let topics: TopicRegistry;
  let service: GroupService;
  const scheduler = new SimulatedScheduler();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fjord-group-service-'));
    const config = loadBrokerConfig(
      null,
      new Map([
        ['log.dirs', dir],
        ['group.initial.rebalance.delay.ms', '0'],
        ['offsets.topic.num.partitions', '1'],
      ]),
    );
    topics = await TopicRegistry.open(dir, config, createLogger('warn'));
    service = await GroupService.open(topics, config, createLogger('warn'), () => scheduler.nowMs());
    service.startTimers(scheduler);
  });

  after(async () => {
    await service.close();
    assert.deepEqual(scheduler.pending(), [], 'close cancels the timer');
    await topics.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('arms one timer for the next deadline and expires a session exactly then', async () => {
    const startMs = scheduler.nowMs();
    // Nothing but the offsets retention check is due (10 minutes): the timer looks again after 10 s at most.
    assert.deepEqual(scheduler.pending(), [startMs + 10_000]);
    const client = { clientId: 'c', clientHost: '/127.0.0.1', apiVersion: 3 };
    const protocols = [{ name: 'range', metadata: Buffer.from('sub') }];
    const joined = await service.join(
      {
        groupId: 'g',
        memberId: '',
        sessionTimeoutMs: SESSION_MS,
        rebalanceTimeoutMs: REBALANCE_MS,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols,
      },
      client,
    );
    assert.equal(joined.errorCode, ErrorCode.NONE);
    const memberId = joined.memberId!;
    const synced = await service.sync({
      groupId: 'g',
      generationId: 1,
      memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [{ memberId, assignment: Buffer.from('a') }],
    });
    assert.equal(synced.errorCode, ErrorCode.NONE);
    // The session is now the next deadline: re-armed for it.
    assert.deepEqual(scheduler.pending(), [startMs + SESSION_MS]);

    // Heartbeats move the deadline later without touching the timer.
    const armed = scheduler.armed;
    for (let i = 1; i <= 100; i++) {
      scheduler.advanceTo(startMs + i);
      const beat = await service.heartbeat({ groupId: 'g', generationId: 1, memberId, groupInstanceId: null });
      assert.equal(beat.errorCode, ErrorCode.NONE);
    }
    assert.equal(scheduler.armed, armed, 'no timer armed by a heartbeat');
    const lastHeartbeatMs = startMs + 100;

    // The early timer finds nothing due and re-arms for the session of the last heartbeat.
    scheduler.advanceTo(startMs + SESSION_MS);
    assert.equal(service.coordinator.groupSummary('g')?.state, 'Stable');
    assert.deepEqual(scheduler.pending(), [lastHeartbeatMs + SESSION_MS]);
    scheduler.advanceTo(lastHeartbeatMs + SESSION_MS - 1);
    assert.equal(service.coordinator.groupSummary('g')?.state, 'Stable', 'not expired a millisecond early');
    scheduler.advanceTo(lastHeartbeatMs + SESSION_MS);
    assert.equal(service.coordinator.groupSummary('g')?.state, 'Empty', 'expired at the session timeout');
    assert.deepEqual(service.coordinator.groupSummary('g')?.members, []);
  });
});
