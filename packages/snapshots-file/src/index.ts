/**
 * `@raft/snapshots-file`: a durable snapshot store on the file system. Snapshots stream into a
 * temporary file and become visible only on commit (fsync, atomic rename, directory fsync);
 * every file carries a CRC-32C that is verified on load, with fallback to the previous valid
 * snapshot; the newest `retain` snapshots are kept.
 *
 * @example
 * ```ts
 * import { fileSnapshotStore } from '@raft/snapshots-file';
 * import { walStorage } from '@raft/storage-wal';
 *
 * const storage = walStorage({
 *   dir: '/var/lib/app/raft',
 *   snapshots: () => fileSnapshotStore({ dir: '/var/lib/app/raft/snapshots', retain: 3 }),
 * });
 * ```
 *
 * @packageDocumentation
 */

export { fileSnapshotStore } from './file-snapshot-store.js';
export type { FileSnapshotStoreOptions } from './file-snapshot-store.js';
