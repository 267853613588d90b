import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planTopic, type ObservedTopic } from './topic.js';

const observed = (partitions: number, configs: Record<string, string>, replicationFactor = 1): ObservedTopic => ({
  topicId: 'id',
  partitions,
  replicationFactor,
  configs: new Map(Object.entries(configs)),
});

describe('topic planner', () => {
  it('creates a missing topic with the spec (unset fields left to the broker)', () => {
    assert.deepEqual(planTopic('t', { cluster: { name: 'c' }, config: { 'retention.ms': 1000 } }, null).create, {
      name: 't',
      partitions: undefined,
      replicationFactor: undefined,
      configs: { 'retention.ms': '1000' },
    });
  });
  it('grows partitions and refuses to shrink them', () => {
    assert.equal(planTopic('t', { cluster: { name: 'c' }, partitions: 5 }, observed(3, {})).growPartitionsTo, 5);
    const shrink = planTopic('t', { cluster: { name: 'c' }, partitions: 2 }, observed(3, {}));
    assert.equal(shrink.growPartitionsTo, null);
    assert.equal(shrink.problems[0]?.reason, 'PartitionDecreaseRefused');
  });
  it('alters only the configs the spec sets that differ', () => {
    const plan = planTopic(
      't',
      { cluster: { name: 'c' }, config: { 'retention.ms': '1000', 'cleanup.policy': 'delete' } },
      observed(1, { 'retention.ms': '5', 'cleanup.policy': 'delete', 'segment.bytes': '99' }),
    );
    assert.deepEqual(plan.alterConfigs, { 'retention.ms': '1000' });
  });
  it('leaves unset fields unmanaged', () => {
    const plan = planTopic('t', { cluster: { name: 'c' } }, observed(7, { 'retention.ms': '5' }, 3));
    assert.deepEqual(plan, { create: null, growPartitionsTo: null, alterConfigs: {}, problems: [] });
  });
});
