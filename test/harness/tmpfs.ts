// A small tmpfs for real "disk full" tests: `mount -t tmpfs -o size=...` on a fresh folder.
// Mounting needs root (or CAP_SYS_ADMIN). Without it the test FAILS with a message saying so:
// a disk-full test that silently skips would hide a regression.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  /** Unmounts and removes the folder (idempotent). */
  unmount(): void;
}

const mounted = new Set<string>();
let exitHookInstalled = false;

export function mountTmpfs(sizeBytes: number): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'fjord-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    const uid = process.getuid?.() ?? -1;
    throw new Error(
      `this test needs a real full disk: \`mount -t tmpfs -o size=${sizeBytes} tmpfs ${dir}\` failed ` +
        `(${(r.stderr || r.error?.message || `exit ${String(r.status)}`).trim()}). Run it as root (uid now ${uid}) or with CAP_SYS_ADMIN.`,
    );
  }
  mounted.add(dir);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const d of mounted) spawnSync('umount', ['-l', d]);
    });
  }
  return {
    dir,
    unmount() {
      if (!mounted.delete(dir)) return;
      spawnSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes a file of zeros until the file system is full; returns the bytes written. */
export function fillUp(path: string): number {
  const chunk = Buffer.alloc(64 * 1024);
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    for (;;) {
      try {
        written += writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw error;
      }
    }
    // The last partial page: fill byte by byte in smaller writes.
    for (const size of [4096, 512, 1]) {
      for (;;) {
        try {
          written += writeSync(fd, chunk.subarray(0, size));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}
