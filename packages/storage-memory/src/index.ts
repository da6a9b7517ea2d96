/**
 * `@raft/storage-memory`: volatile log, meta and snapshot stores for tests, simulation and the
 * default storage of `@raft/hosting`.
 *
 * A {@link memoryStorage} provider keeps its data in itself, so `close()` followed by `open()`
 * finds everything written before, the way a disk would; nothing survives the process.
 *
 * @example
 * ```ts
 * import { memoryStorage } from '@raft/storage-memory';
 *
 * const provider = memoryStorage();
 * const { log } = await provider.open();
 * await log.append([{ index: LogIndex(1), term: Term(1), kind: 'noop' }]);
 * log.lastIndex(); // 1
 * ```
 *
 * @packageDocumentation
 */

// Provider
export { memoryStorage } from './memory-storage.js';
export type { MemoryStorageProvider } from './memory-storage.js';

// Single stores (over data that outlives them)
export { memoryLogStore, emptyMemoryLogData } from './memory-log-store.js';
export type { MemoryLogData } from './memory-log-store.js';
export { memoryMetaStore, emptyMemoryMetaData } from './memory-meta-store.js';
export type { MemoryMetaData } from './memory-meta-store.js';
export { memorySnapshotStore, emptyMemorySnapshotData } from './memory-snapshot-store.js';
export type { MemorySnapshot, MemorySnapshotData } from './memory-snapshot-store.js';
