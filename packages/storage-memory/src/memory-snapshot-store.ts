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

/**
 * One committed snapshot held in memory, as the chunks it was written in (never joined into one
 * buffer: a 100 MB snapshot is not copied again on commit, and reads return views of the chunks).
 */
export interface MemorySnapshot {
  readonly meta: SnapshotMeta;
  readonly parts: readonly Uint8Array[];
  /** `starts[i]` is the byte offset of `parts[i]`. */
  readonly starts: readonly number[];
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
 * once, as they are written (the writer's caller may reuse its buffers); reads return views of
 * those copies, which callers must not modify. The checksum is CRC-32C, as in
 * `@raft/snapshots-file`.
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
          const starts: number[] = [];
          let at = 0;
          for (const chunk of chunks) {
            starts.push(at);
            at += chunk.byteLength;
          }
          const committed: SnapshotMeta = {
            lastIncludedIndex: meta.lastIncludedIndex,
            lastIncludedTerm: meta.lastIncludedTerm,
            configuration: meta.configuration,
            size,
            checksum: formatCrc32c(crc),
          };
          data.latest = { meta: committed, parts: chunks, starts };
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

/** Index of the part holding byte `offset` (binary search over the part starts). */
function partAt(snapshot: MemorySnapshot, offset: number): number {
  let lo = 0;
  let hi = snapshot.starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((snapshot.starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Bytes `[offset, offset + length)` clipped to the snapshot: a view when one part holds them, else a copy. */
function range(snapshot: MemorySnapshot, offset: number, length: number): Uint8Array {
  const end = Math.min(snapshot.meta.size, offset + length);
  if (offset >= end) return new Uint8Array(0);
  let i = partAt(snapshot, offset);
  const first = snapshot.parts[i] as Uint8Array;
  const start = snapshot.starts[i] as number;
  if (end <= start + first.byteLength) return first.subarray(offset - start, end - start);
  const out = new Uint8Array(end - offset);
  let at = offset;
  while (at < end) {
    const part = snapshot.parts[i] as Uint8Array;
    const partStart = snapshot.starts[i] as number;
    const piece = part.subarray(at - partStart, Math.min(part.byteLength, end - partStart));
    out.set(piece, at - offset);
    at += piece.byteLength;
    i++;
  }
  return out;
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
      return range(snapshot, offset, length);
    },
    async *chunks(chunkSize = DEFAULT_CHUNK_SIZE) {
      check();
      if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) {
        throw new InvalidArgumentError(`chunkSize must be a positive integer, got ${chunkSize}`);
      }
      for (let at = 0; at < snapshot.meta.size; at += chunkSize) {
        check();
        yield range(snapshot, at, chunkSize);
      }
    },
    async close() {
      closed = true;
    },
  };
}
