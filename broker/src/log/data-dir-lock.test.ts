import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { DataDirLock, LOCK_FILE, formatLockOwner, judgeOwner, parseLockOwner, type LockOwner, type ProcessProbe } from './data-dir-lock.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-lock-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

/** The owner a lock of this process records, with `change` applied. */
async function ownerLike(dir: string, change: Partial<LockOwner>): Promise<LockOwner> {
  const lock = await DataDirLock.acquire(dir);
  const owner = parseLockOwner(readFileSync(join(dir, LOCK_FILE), 'utf8'))!;
  await lock.release();
  return { ...owner, socket: null, ...change };
}

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('a second lock on the same directory is refused, naming .lock and the owner; release lets it go', async () => {
  const dir = tempDir();
  const lock = await DataDirLock.acquire(dir);
  await assert.rejects(
    DataDirLock.acquire(dir),
    new RegExp(
      `${join(dir, LOCK_FILE)}: the data directory is in use by another broker \\(pid ${process.pid} .*process ${process.pid} is running`,
    ),
  );
  await lock.release();
  assert.deepEqual(readdirSync(dir), [], 'release left files behind');
  const again = await DataDirLock.acquire(dir);
  await again.release();
});

test('a lock left by a dead process, a reused pid or an earlier boot is taken over', async () => {
  const dir = tempDir();
  for (const change of [{ pid: deadPid() }, { startTicks: '1' }, { bootId: 'another-boot' }]) {
    const stale = await ownerLike(dir, change);
    writeFileSync(join(dir, LOCK_FILE), formatLockOwner(stale));
    const lock = await DataDirLock.acquire(dir);
    assert.notEqual(parseLockOwner(readFileSync(join(dir, LOCK_FILE), 'utf8'))!.token, stale.token, JSON.stringify(change));
    await lock.release();
  }
});

test('an owner in another pid namespace is asked on its socket', async () => {
  const dir = tempDir();
  const socket = '.lock.4242-feed.sock';
  const server = createServer((connection) => connection.destroy());
  await new Promise<void>((resolve) => server.listen(join(dir, socket), resolve));
  try {
    const other = await ownerLike(dir, { pid: 4242, pidNamespace: 'pid:[1]', socket });
    writeFileSync(join(dir, LOCK_FILE), formatLockOwner(other));
    await assert.rejects(DataDirLock.acquire(dir), /in use by another broker \(pid 4242 .*answers on \.lock\.4242-feed\.sock/);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  // Its process is gone: nothing answers, the lock is taken over and the dead socket removed.
  writeFileSync(join(dir, socket), '');
  const lock = await DataDirLock.acquire(dir);
  assert.ok(!existsSync(join(dir, socket)));
  await lock.release();
});

test('a lock file Fjord cannot read as a lock is refused with what to do', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, LOCK_FILE), 'not a lock');
  await assert.rejects(DataDirLock.acquire(dir), /\.lock: the data directory's lock file holds no owner .*delete the file/);
});

test('judgeOwner: without a socket, an owner that cannot be checked counts as live', async () => {
  const probe: ProcessProbe = {
    bootId: 'b',
    pidNamespace: 'pid:[2]',
    hostname: 'here',
    isAlive: () => false,
    startTicksOf: () => Promise.resolve(null),
    socketAnswers: () => Promise.resolve(false),
  };
  const owner: LockOwner = {
    pid: 7,
    hostname: 'there',
    token: 't',
    started: '',
    bootId: 'b',
    pidNamespace: 'pid:[1]',
    startTicks: null,
    socket: null,
  };
  assert.equal((await judgeOwner(owner, probe)).alive, true);
  assert.equal((await judgeOwner({ ...owner, pidNamespace: 'pid:[2]' }, probe)).alive, false);
  assert.equal((await judgeOwner({ ...owner, bootId: 'a' }, probe)).alive, false);
  // Without /proc: the host name decides whether the pid can be checked.
  const noProc = { ...probe, bootId: null, pidNamespace: null };
  assert.equal((await judgeOwner({ ...owner, bootId: null, pidNamespace: null, hostname: 'here' }, noProc)).alive, false);
  assert.equal((await judgeOwner({ ...owner, bootId: null, pidNamespace: null }, noProc)).alive, true);
});
