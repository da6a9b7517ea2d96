import type { LogIndex, Term } from './ids.js';
import type { LogEntry } from './log-entry.js';
import type { PersistentMeta } from './meta.js';
import type { SnapshotMeta } from './snapshot.js';

/**
 * The durable Raft log of one node.
 *
 * Indices: after compaction up to `c` (with term `t`), `firstIndex()` is `c + 1` and
 * `termAt(c)` is `t`; an empty, never-compacted log has `firstIndex() = 1`, `lastIndex() = 0`
 * and `termAt(0) = 0`. Every promise-returning write resolves only once durable, and a store
 * whose write failed refuses every later write (a retried fsync may falsely succeed).
 */
export interface LogStore {
  /**
   * Append entries contiguous with `lastIndex()`; resolves when durable.
   * @throws StorageError `INVALID_ARGUMENT` if not contiguous, `STORAGE_IO_FAILED` on I/O failure.
   */
  append(entries: readonly LogEntry[]): Promise<void>;
  /** Delete every entry after `index`; resolves when durable. No-op when `index >= lastIndex()`. */
  truncateAfter(index: LogIndex): Promise<void>;
  /**
   * Discard entries up to and including `index`, remembering `term` as its term. May keep
   * some entries physically (for example until a segment is whole) but never returns them.
   * If `index > lastIndex()` the log becomes empty at `index`.
   */
  compactUpTo(index: LogIndex, term: Term): Promise<void>;
  /** Entries with `from <= index <= to`, clipped to what the store holds. */
  read(from: LogIndex, to: LogIndex): Promise<LogEntry[]>;
  /** Index of the first entry held (`lastIndex() + 1` when empty). */
  firstIndex(): LogIndex;
  /** Index of the last entry held, or the compaction point when empty. */
  lastIndex(): LogIndex;
  /** Term of the entry at `index` for `firstIndex() - 1 <= index <= lastIndex()`, else `undefined`. */
  termAt(index: LogIndex): Term | undefined;
  /** Bytes the held entries occupy (an implementation-defined measure of storage use). */
  totalBytes(): number;
  /** Release files and handles. Later calls reject with `STORAGE_CLOSED`. */
  close(): Promise<void>;
}

/** The durable term and vote of one node (Figure 2). */
export interface MetaStore {
  /** The last saved meta, or term 0 and no vote for a fresh store. */
  load(): Promise<PersistentMeta>;
  /** Replace the meta atomically; resolves when durable. */
  save(meta: PersistentMeta): Promise<void>;
  close(): Promise<void>;
}

/** Streams one snapshot into a {@link SnapshotStore}; nothing is visible until `commit`. */
export interface SnapshotWriter {
  /** Append a chunk of snapshot data. */
  write(chunk: Uint8Array): Promise<void>;
  /** Make the snapshot durable and the newest one atomically; returns its final metadata. */
  commit(): Promise<SnapshotMeta>;
  /** Discard everything written; the previous snapshot stays the newest. */
  abort(): Promise<void>;
}

/** Reads one committed snapshot. */
export interface SnapshotReader {
  readonly meta: SnapshotMeta;
  /** Up to `length` bytes from `offset` (fewer at the end). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** The whole snapshot as a stream of chunks. */
  chunks(chunkSize?: number): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

/** Where snapshots live. A half-written snapshot is never returned. */
export interface SnapshotStore {
  /** Start writing a snapshot described by `meta` (size and checksum are computed on commit). */
  begin(meta: Omit<SnapshotMeta, 'size' | 'checksum'>): Promise<SnapshotWriter>;
  /** The newest valid snapshot, or `undefined` when there is none. */
  latest(): Promise<SnapshotReader | undefined>;
  close(): Promise<void>;
}

/** The three stores of one node, opened together. */
export interface RaftStorage {
  readonly log: LogStore;
  readonly meta: MetaStore;
  readonly snapshots: SnapshotStore;
  /** Close all three stores and release any lock. */
  close(): Promise<void>;
}

/**
 * Opens a node's {@link RaftStorage}; what the builder's `withStorage` takes
 * (for example `walStorage({ dir })` or `memoryStorage()`). Opening again after `close()`
 * gives back what was durable.
 */
export interface StorageProvider {
  open(): Promise<RaftStorage>;
}
