import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planRetention, type RetentionInput } from './retention.js';

const segments = [
  { baseOffset: 0, sizeBytes: 100, largestTimestampMs: 1000 },
  { baseOffset: 10, sizeBytes: 100, largestTimestampMs: 2000 },
  { baseOffset: 20, sizeBytes: 100, largestTimestampMs: 3000 },
  { baseOffset: 30, sizeBytes: 50, largestTimestampMs: 4000 },
];
const base: RetentionInput = {
  segments,
  logEndOffset: 35,
  highWatermark: 35,
  logStartOffset: 0,
  retentionMs: -1,
  retentionBytes: -1,
  nowMs: 10_000,
};

test('unlimited retention deletes nothing', () => {
  assert.equal(planRetention(base).deleteCount, 0);
});

test('time retention deletes the old prefix', () => {
  const plan = planRetention({ ...base, retentionMs: 7_500 });
  assert.equal(plan.deleteCount, 2);
  assert.equal(plan.rollFirst, false);
});

test('time retention may delete everything: roll first', () => {
  const plan = planRetention({ ...base, retentionMs: 1 });
  assert.equal(plan.deleteCount, 4);
  assert.equal(plan.rollFirst, true);
});

test('size retention keeps at least retention.bytes', () => {
  assert.equal(planRetention({ ...base, retentionBytes: 200 }).deleteCount, 1); // 350 -> 250 (150 would be too little)
  assert.equal(planRetention({ ...base, retentionBytes: 250 }).deleteCount, 1); // 350 -> 250
  assert.equal(planRetention({ ...base, retentionBytes: 150 }).deleteCount, 2); // 350 -> 150
  assert.equal(planRetention({ ...base, retentionBytes: 0 }).deleteCount, 4);
});

test('nothing at or above the high watermark is deleted', () => {
  assert.equal(planRetention({ ...base, retentionMs: 1, highWatermark: 25 }).deleteCount, 2);
});

test('the last segment is never deleted while empty', () => {
  const withEmpty = [...segments, { baseOffset: 35, sizeBytes: 0, largestTimestampMs: 0 }];
  const plan = planRetention({ ...base, segments: withEmpty, retentionMs: 1 });
  assert.equal(plan.deleteCount, 4);
  assert.equal(plan.rollFirst, false);
});

test('segments wholly below the log start offset are deleted', () => {
  assert.equal(planRetention({ ...base, logStartOffset: 20 }).deleteCount, 2);
  assert.equal(planRetention({ ...base, logStartOffset: 19 }).deleteCount, 1);
  const plan = planRetention({ ...base, logStartOffset: 22, retentionMs: 8_500 });
  assert.deepEqual(plan.reasons, { retentionMs: 1, retentionBytes: 0, logStartOffset: 1 });
});
