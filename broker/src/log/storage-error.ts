/**
 * A problem with a file or folder of the data directory that stops a partition or the broker
 * from opening: the message names the path, what is wrong, and what the operator can do.
 */
export class StorageError extends Error {
  override name = 'StorageError';
  constructor(
    readonly path: string,
    problem: string,
    readonly remedy: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${problem}. ${remedy}`, options);
  }
}

/** The errno code of a Node.js system error (ENOENT, ENOSPC, ...), or null. */
export function errorCode(error: unknown): string | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : null;
}

/** Out of space or quota: writes may succeed again once space is freed. */
export function isOutOfSpace(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOSPC' || code === 'EDQUOT';
}
