import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RaftStorage } from '@raft/abstractions';
import { type WalInternals, type WalStorageOptions, walStorage } from '../src/wal-storage.js';

export function tempDir(prefix = 'raft-wal-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** Opens `walStorage` over `dir` with small segments so tests rotate and delete segments. */
export function openWal(dir: string, options: Partial<WalStorageOptions> = {}, internals: WalInternals = {}): Promise<RaftStorage> {
  return walStorage({ dir, segmentBytes: 4096, ...options }, internals).open();
}
