import {
  IllegalStateError,
  InvalidArgumentError,
  type SnapshotMeta,
  type SnapshotReader,
  type SnapshotStore,
  type SnapshotWriter,
  crc32c,
  formatCrc32c,
} from '@raft/abstractions';
import { checkIndex, closedError } from './internal/errors.js';

/** One committed snapshot held in memory. */
export interface MemorySnapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

/** What a memory snapshot store keeps between opens: the newest committed snapshot. */
export interface MemorySnapshotData {
  latest: MemorySnapshot | undefined;
}

/** A fresh {@link MemorySnapshotData} with no snapshot. */
export function emptyMemorySnapshotData(): MemorySnapshotData {
  return { latest: undefined };
}

const DEFAULT_CHUNK_SIZE = 64 * 1024;

/**
 * A volatile {@link SnapshotStore} keeping only the newest committed snapshot. Chunks are copied
 * as they are written; the checksum is CRC-32C, as in `@raft/snapshots-file`.
 */
export function memorySnapshotStore(data: MemorySnapshotData = emptyMemorySnapshotData()): SnapshotStore {
  let closed = false;
  const check = (): void => {
    if (closed) throw closedError('memory snapshot store');
  };

  return {
    async begin(meta) {
      check();
      checkIndex('lastIncludedIndex', meta.lastIncludedIndex);
      checkIndex('lastIncludedTerm', meta.lastIncludedTerm);
      const chunks: Uint8Array[] = [];
      let size = 0;
      let crc = 0;
      let state: 'open' | 'committed' | 'aborted' = 'open';
      const ensureOpen = (): void => {
        check();
        if (state !== 'open') throw new IllegalStateError(`snapshot writer is already ${state}`);
      };
      const writer: SnapshotWriter = {
        async write(chunk) {
          ensureOpen();
          const copy = chunk.slice();
          chunks.push(copy);
          size += copy.byteLength;
          crc = crc32c(copy, crc);
        },
        async commit() {
          ensureOpen();
          state = 'committed';
          const bytes = new Uint8Array(size);
          let at = 0;
          for (const chunk of chunks) {
            bytes.set(chunk, at);
            at += chunk.byteLength;
          }
          const committed: SnapshotMeta = {
            lastIncludedIndex: meta.lastIncludedIndex,
            lastIncludedTerm: meta.lastIncludedTerm,
            configuration: meta.configuration,
            size,
            checksum: formatCrc32c(crc),
          };
          data.latest = { meta: committed, data: bytes };
          return committed;
        },
        async abort() {
          if (state === 'committed') throw new IllegalStateError('snapshot writer is already committed');
          state = 'aborted';
        },
      };
      return writer;
    },

    async latest() {
      check();
      const snapshot = data.latest;
      return snapshot === undefined ? undefined : memorySnapshotReader(snapshot);
    },

    async close() {
      closed = true;
    },
  };
}

function memorySnapshotReader(snapshot: MemorySnapshot): SnapshotReader {
  let closed = false;
  const check = (): void => {
    if (closed) throw closedError('snapshot reader');
  };
  return {
    meta: snapshot.meta,
    async read(offset, length) {
      check();
      checkIndex('offset', offset);
      checkIndex('length', length);
      return snapshot.data.slice(offset, offset + length);
    },
    async *chunks(chunkSize = DEFAULT_CHUNK_SIZE) {
      check();
      if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) {
        throw new InvalidArgumentError(`chunkSize must be a positive integer, got ${chunkSize}`);
      }
      for (let at = 0; at < snapshot.data.byteLength; at += chunkSize) {
        check();
        yield snapshot.data.slice(at, at + chunkSize);
      }
    },
    async close() {
      closed = true;
    },
  };
}
