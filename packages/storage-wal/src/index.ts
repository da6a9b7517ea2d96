/**
 * `@raft/storage-wal`: durable storage for a Raft node in one directory. The log is an
 * append-only write-ahead log of segment files in which every record is framed with its length,
 * type and CRC-32C; appends that arrive while an fdatasync is in flight are written and synced
 * together (group commit). Recovery verifies every record, cuts off a torn tail and refuses
 * damage to acknowledged data with `STORAGE_CORRUPTED`. The term and vote live in a meta file
 * replaced atomically; snapshots default to `<dir>/snapshots`. The format is documented in
 * `docs/storage-format.md`.
 *
 * @example
 * ```ts
 * import { walStorage } from '@raft/storage-wal';
 *
 * const provider = walStorage({ dir: '/var/lib/app/raft', segmentBytes: 64 * 1024 * 1024 });
 * const storage = await provider.open(); // STORAGE_LOCKED if another process has it open
 * await storage.log.append([{ index: LogIndex(1), term: Term(1), kind: 'noop' }]); // durable when resolved
 * await storage.close();
 * ```
 *
 * @packageDocumentation
 */

export { walStorage } from './wal-storage.js';
export type { WalStorageOptions, WalRecoveryReport } from './wal-storage.js';
