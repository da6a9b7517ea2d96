import type { SnapshotStore } from '@raft/abstractions';
import { describeSnapshotStoreCompliance } from '@raft/harness/compliance';
import { fileSnapshotStore } from '../src/index.js';
import { removeDir, tempDir } from './helpers.js';

const dirs = new WeakMap<SnapshotStore, string>();
const openAt = (dir: string, retain?: number): SnapshotStore => {
  const store = fileSnapshotStore(retain === undefined ? { dir } : { dir, retain });
  dirs.set(store, dir);
  return store;
};

for (const retain of [undefined, 1]) {
  describeSnapshotStoreCompliance(`fileSnapshotStore({ retain: ${retain ?? 'default'} })`, {
    create: async () => openAt(await tempDir(), retain),
    reopen: async (closed) => openAt(dirs.get(closed)!, retain),
    destroy: async (store) => removeDir(dirs.get(store)!),
  });
}
