import type { SnapshotStore } from '@raft/abstractions';

/** A do-nothing snapshot store to check that `walStorage` uses the one it is given. */
export function memorySnapshotStoreForTest(): SnapshotStore {
  return {
    begin: () => Promise.reject(new Error('not used')),
    latest: async () => undefined,
    close: async () => undefined,
  };
}
