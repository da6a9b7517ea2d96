import { open } from 'node:fs/promises';
import { StorageError } from '@raft/abstractions';

/**
 * fsyncs a directory so that creations, renames and deletions in it are durable (a renamed
 * file is not durable until its directory is). Linux and macOS support it; Windows cannot
 * open a directory for syncing, so there it is skipped (documented in the README).
 */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Wraps a failed file-system call in a `STORAGE_IO_FAILED` error naming what failed. */
export function ioError(what: string, cause: unknown): StorageError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StorageError('STORAGE_IO_FAILED', `${what}: ${detail}`, { cause });
}
