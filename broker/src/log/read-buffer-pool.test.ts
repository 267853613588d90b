import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReadBufferPool } from './read-buffer-pool.js';

test('a released buffer is handed out again; a lease is a view of exactly the length asked for', () => {
  const pool = new ReadBufferPool(1024, 2);
  const first = pool.acquire(100);
  assert.equal(first.buffer.length, 100);
  assert.equal(pool.outstanding, 1);
  first.buffer.fill(7);
  first.release();
  assert.equal(pool.outstanding, 0);
  assert.equal(pool.idleBuffers, 1);
  const second = pool.acquire(1024);
  assert.equal(second.buffer.buffer, first.buffer.buffer, 'same memory reused');
  assert.equal(second.buffer.length, 1024);
  assert.equal(pool.idleBuffers, 0);
});

test('leases held at once never share memory', () => {
  const pool = new ReadBufferPool(64, 4);
  const leases = Array.from({ length: 6 }, () => pool.acquire(64));
  const memories = new Set(leases.map((lease) => lease.buffer.buffer));
  assert.equal(memories.size, 6);
  for (const lease of leases) lease.release();
  assert.equal(pool.idleBuffers, 4, 'at most idleBuffersMax are kept');
});

test('releasing twice returns the buffer once (two holders of one buffer would corrupt reads)', () => {
  const pool = new ReadBufferPool(64, 4);
  const lease = pool.acquire(10);
  lease.release();
  lease.release();
  assert.equal(pool.idleBuffers, 1);
  assert.equal(pool.outstanding, 0);
  const a = pool.acquire(10);
  const b = pool.acquire(10);
  assert.notEqual(a.buffer.buffer, b.buffer.buffer);
});

test('reads longer than the pooled size, or a pool of size 0, get buffers of their own', () => {
  const pool = new ReadBufferPool(64, 4);
  const big = pool.acquire(65);
  assert.equal(big.buffer.length, 65);
  assert.equal(pool.outstanding, 0);
  big.release();
  assert.equal(pool.idleBuffers, 0);
  const none = new ReadBufferPool(64, 0);
  none.acquire(10).release();
  assert.equal(none.idleBuffers, 0);
});

test('trim drops idle buffers only after idleMs without an acquire', () => {
  const pool = new ReadBufferPool(64, 4);
  pool.acquire(10, 1000).release();
  pool.trim(1500, 1000);
  assert.equal(pool.idleBuffers, 1);
  pool.trim(2000, 1000);
  assert.equal(pool.idleBuffers, 0);
});

test('bad construction is a programmer error', () => {
  assert.throws(() => new ReadBufferPool(0, 1));
  assert.throws(() => new ReadBufferPool(10, -1));
});
