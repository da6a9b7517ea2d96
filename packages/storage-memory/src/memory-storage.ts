import { type RaftStorage, StorageError, type StorageProvider } from '@raft/abstractions';
import { emptyMemoryLogData, memoryLogStore } from './memory-log-store.js';
import { emptyMemoryMetaData, memoryMetaStore } from './memory-meta-store.js';
import { emptyMemorySnapshotData, memorySnapshotStore } from './memory-snapshot-store.js';

/**
 * A {@link StorageProvider} whose "disk" is this object: opening it again after `close()`
 * gives back everything written, so it stands in for a durable store in tests. Like a real
 * directory, it can be open only once at a time.
 */
export interface MemoryStorageProvider extends StorageProvider {
  /** `true` while a {@link RaftStorage} opened from this provider is not yet closed. */
  readonly isOpen: boolean;
}

/**
 * Volatile storage for tests, simulation and the `@raft/hosting` default. Nothing survives the
 * process; everything survives `close()` and `open()` on the same provider.
 *
 * @example
 * ```ts
 * const provider = memoryStorage();
 * const storage = await provider.open();
 * await storage.meta.save({ currentTerm: Term(1), votedFor: NodeId('n1') });
 * await storage.close();
 * (await (await provider.open()).meta.load()).currentTerm; // 1
 * ```
 */
export function memoryStorage(): MemoryStorageProvider {
  const log = emptyMemoryLogData();
  const meta = emptyMemoryMetaData();
  const snapshots = emptyMemorySnapshotData();
  let open = false;
  return {
    get isOpen() {
      return open;
    },
    async open() {
      // Mirrors the lock of a durable store: two live handles on one "disk" is a bug.
      if (open) throw new StorageError('STORAGE_LOCKED', 'this memory storage is already open; close it first');
      open = true;
      const storage: RaftStorage = {
        log: memoryLogStore(log),
        meta: memoryMetaStore(meta),
        snapshots: memorySnapshotStore(snapshots),
        async close() {
          await Promise.all([storage.log.close(), storage.meta.close(), storage.snapshots.close()]);
          open = false;
        },
      };
      return storage;
    },
  };
}
