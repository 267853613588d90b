import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupSegmentsForCleaning, planCleaning, type CleanerSegmentSummary, type CleaningInput } from './cleaner-plan.js';

function segment(baseOffset: number, nextOffset: number, sizeBytes: number, timestampMs: number): CleanerSegmentSummary {
  return {
    baseOffset,
    nextOffset,
    sizeBytes,
    largestTimestampMs: timestampMs,
    firstBatchTimestampMs: timestampMs - 10,
    offsetIndexEntries: 1,
    timeIndexEntries: 1,
  };
}

const base: CleaningInput = {
  segments: [segment(0, 10, 100, 1000), segment(10, 20, 100, 2000), segment(20, 30, 100, 3000)],
  logStartOffset: 0,
  logEndOffset: 35,
  cleanerCheckpoint: 0,
  nowMs: 10_000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  earliestDeleteHorizonMs: -1,
};

test('a never cleaned log is all dirty and cleaned up to the end of the finished segments', () => {
  const plan = planCleaning(base);
  assert.equal(plan.firstDirtyOffset, 0);
  assert.equal(plan.firstUncleanableOffset, 30);
  assert.equal(plan.cleanableCount, 3);
  assert.equal(plan.dirtyRatio, 1);
  assert.equal(plan.reason, 'dirty-ratio');
});

test('the dirty ratio must exceed min.cleanable.dirty.ratio (strictly, as Kafka)', () => {
  const half = planCleaning({ ...base, segments: [...base.segments, segment(30, 40, 300, 4000)], cleanerCheckpoint: 30, logEndOffset: 45 });
  assert.equal(half.dirtyRatio, 0.5);
  assert.equal(half.reason, null);
  assert.equal(planCleaning({ ...base, cleanerCheckpoint: 20, minCleanableDirtyRatio: 0.3 }).reason, 'dirty-ratio');
});

test('a checkpoint outside [logStart, logEnd] falls back to logStart', () => {
  assert.equal(planCleaning({ ...base, cleanerCheckpoint: 99 }).firstDirtyOffset, 0);
  assert.equal(planCleaning({ ...base, cleanerCheckpoint: 5, logStartOffset: 10 }).firstDirtyOffset, 10);
});

test('min.compaction.lag.ms stops at the first dirty segment that is too young', () => {
  const plan = planCleaning({ ...base, minCompactionLagMs: 8500 });
  assert.equal(plan.cleanableCount, 1);
  assert.equal(plan.firstUncleanableOffset, 10);
  // Clean segments stay cleanable whatever their age.
  assert.equal(planCleaning({ ...base, cleanerCheckpoint: 20, minCompactionLagMs: 8000 }).cleanableCount, 2);
});

test('max.compaction.lag.ms and expired delete horizons force a round below the ratio', () => {
  const clean = { ...base, cleanerCheckpoint: 20, minCleanableDirtyRatio: 0.9 };
  assert.equal(planCleaning(clean).reason, null);
  assert.equal(planCleaning({ ...clean, maxCompactionLagMs: 5000 }).reason, 'max-compaction-lag');
  assert.equal(planCleaning({ ...clean, earliestDeleteHorizonMs: 10_000 }).reason, 'delete-horizon');
  assert.equal(planCleaning({ ...clean, earliestDeleteHorizonMs: 10_001 }).reason, null);
});

test('groups merge consecutive segments while size, index entries and the offset range fit', () => {
  const segments = [
    segment(0, 10, 100, 0),
    segment(10, 20, 100, 0),
    segment(20, 30, 100, 0),
    segment(30, 40, 250, 0),
    segment(40, 50, 10, 0),
  ];
  assert.deepEqual(groupSegmentsForCleaning(segments, { segmentBytes: 300, offsetIndexEntriesMax: 100, timeIndexEntriesMax: 100 }), [
    [0, 3],
    [3, 5],
  ]);
  assert.deepEqual(groupSegmentsForCleaning(segments, { segmentBytes: 1000, offsetIndexEntriesMax: 2, timeIndexEntriesMax: 100 }), [
    [0, 2],
    [2, 4],
    [4, 5],
  ]);
  const wide = [segment(0, 10, 1, 0), segment(0x7fffffff, 0x7fffffff + 5, 1, 0)];
  assert.deepEqual(groupSegmentsForCleaning(wide, { segmentBytes: 1000, offsetIndexEntriesMax: 100, timeIndexEntriesMax: 100 }), [
    [0, 1],
    [1, 2],
  ]);
});
