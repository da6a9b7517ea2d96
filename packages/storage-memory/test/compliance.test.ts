import type { RaftStorage } from '@raft/abstractions';
import { describeLogStoreCompliance, describeMetaStoreCompliance, describeSnapshotStoreCompliance } from '@raft/harness/compliance';
import { type MemoryStorageProvider, memoryLogStore, memoryMetaStore, memorySnapshotStore, memoryStorage } from '../src/index.js';

/** Runs each suite over stores opened from a `memoryStorage()` provider, reopened from the same provider. */
function viaProvider<S extends object>(pick: (storage: RaftStorage) => S) {
  const owners = new WeakMap<S, { provider: MemoryStorageProvider; storage: RaftStorage }>();
  const open = async (provider: MemoryStorageProvider): Promise<S> => {
    const storage = await provider.open();
    const store = pick(storage);
    owners.set(store, { provider, storage });
    return store;
  };
  return {
    create: () => open(memoryStorage()),
    reopen: async (closed: S) => {
      const owner = owners.get(closed)!;
      await owner.storage.close();
      return open(owner.provider);
    },
    destroy: async (store: S) => {
      await owners.get(store)?.storage.close();
    },
  };
}

describeLogStoreCompliance('memoryStorage().log', viaProvider((s) => s.log));
describeMetaStoreCompliance('memoryStorage().meta', viaProvider((s) => s.meta));
describeSnapshotStoreCompliance('memoryStorage().snapshots', viaProvider((s) => s.snapshots));

describeLogStoreCompliance('memoryLogStore()', { create: async () => memoryLogStore() });
describeMetaStoreCompliance('memoryMetaStore()', { create: async () => memoryMetaStore() });
describeSnapshotStoreCompliance('memorySnapshotStore()', { create: async () => memorySnapshotStore() });
