import type { RaftStorage } from '@raft/abstractions';
import { describeLogStoreCompliance, describeMetaStoreCompliance, describeSnapshotStoreCompliance } from '@raft/harness/compliance';
import { openWal, removeDir, tempDir } from './helpers.js';

/** Runs a suite over one store of `walStorage`, reopening the same directory. */
function viaWal<S extends object>(pick: (storage: RaftStorage) => S, segmentBytes: number) {
  const owners = new WeakMap<S, { dir: string; storage: RaftStorage }>();
  const open = async (dir: string): Promise<S> => {
    const storage = await openWal(dir, { segmentBytes });
    const store = pick(storage);
    owners.set(store, { dir, storage });
    return store;
  };
  return {
    create: async () => open(await tempDir()),
    reopen: async (closed: S) => {
      const owner = owners.get(closed)!;
      await owner.storage.close();
      return open(owner.dir);
    },
    destroy: async (store: S) => {
      const owner = owners.get(store)!;
      await owner.storage.close();
      await removeDir(owner.dir);
    },
  };
}

// Small segments make the suites rotate and delete segments; the default size is checked too.
describeLogStoreCompliance('walStorage({ segmentBytes: 4096 }).log', viaWal((s) => s.log, 4096));
describeLogStoreCompliance('walStorage().log', viaWal((s) => s.log, 64 * 1024 * 1024));
describeMetaStoreCompliance('walStorage().meta', viaWal((s) => s.meta, 4096));
describeSnapshotStoreCompliance('walStorage().snapshots (built-in file store)', viaWal((s) => s.snapshots, 4096));
