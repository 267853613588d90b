import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planRoll, podOrdinal, type ObservedPod } from './roll.js';

const pod = (ordinal: number, hash: string, ready = true, terminating = false): ObservedPod => ({
  name: `c-${ordinal}`,
  ordinal,
  ready,
  terminating,
  configHash: hash,
});

describe('rolling restart planner', () => {
  it('does nothing when every pod runs the desired hash', () => {
    assert.deepEqual(planRoll('new', 3, [pod(0, 'new'), pod(1, 'new'), pod(2, 'new')]), { action: 'none' });
  });
  it('deletes the highest outdated ordinal first, one at a time', () => {
    const step = planRoll('new', 3, [pod(0, 'old'), pod(1, 'old'), pod(2, 'old')]);
    assert.equal(step.action, 'delete');
    assert.equal(step.action === 'delete' && step.pod, 'c-2');
    const next = planRoll('new', 3, [pod(0, 'old'), pod(1, 'old'), pod(2, 'new')]);
    assert.equal(next.action === 'delete' && next.pod, 'c-1');
  });
  it('waits while any broker pod is missing, terminating or not ready', () => {
    assert.equal(planRoll('new', 3, [pod(0, 'old'), pod(1, 'old')]).action, 'wait');
    assert.equal(planRoll('new', 3, [pod(0, 'old'), pod(1, 'old'), pod(2, 'new', false)]).action, 'wait');
    assert.equal(planRoll('new', 3, [pod(0, 'old'), pod(1, 'old', true, true), pod(2, 'new')]).action, 'wait');
  });
  it('ignores pods beyond the replica count', () => {
    assert.deepEqual(planRoll('new', 2, [pod(0, 'new'), pod(1, 'new'), pod(2, 'old', false)]), { action: 'none' });
  });
  it('parses ordinals strictly', () => {
    assert.equal(podOrdinal('c', 'c-12'), 12);
    assert.equal(podOrdinal('c', 'c-01'), null);
    assert.equal(podOrdinal('c', 'cc-1'), null);
    assert.equal(podOrdinal('c', 'c-x'), null);
  });
});
