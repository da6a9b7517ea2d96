import {
  InvalidArgumentError,
  LogIndex,
  type LogEntry,
  type LogStore,
  type Term,
  entrySize,
} from '@raft/abstractions';
import { checkIndex, closedError } from './internal/errors.js';

/**
 * What a memory log keeps between opens: the stand-in for a disk. Owned by a
 * {@link memoryStorage} provider (or a single {@link memoryLogStore}).
 */
export interface MemoryLogData {
  /**
   * Entries `compactIndex + 1 .. compactIndex + entries.length - head`, from `entries[head]` on.
   * Invariant: `entries[head + k].index === compactIndex + 1 + k` (contiguous, §5.3).
   */
  entries: LogEntry[];
  /** Entries before `head` are compacted and waiting to be dropped in bulk (amortised O(1)). */
  head: number;
  /** Index of the last compacted entry (0 for a never-compacted log). */
  compactIndex: number;
  /** Term of the entry at `compactIndex` (0 for a never-compacted log). */
  compactTerm: number;
  /** Sum of `entrySize` over the held entries. */
  bytes: number;
}

/** A fresh, empty {@link MemoryLogData}. */
export function emptyMemoryLogData(): MemoryLogData {
  return { entries: [], head: 0, compactIndex: 0, compactTerm: 0, bytes: 0 };
}

/**
 * A volatile {@link LogStore}: an array of entries. Every write "is durable" as soon as it
 * returns (there is no disk), and the data lives in `data`, so a store opened again over the
 * same `data` finds everything written before.
 *
 * Entries are stored by reference, not copied: callers must not mutate an entry (or its
 * payload bytes) after appending it, as with any `readonly` value.
 */
export function memoryLogStore(data: MemoryLogData = emptyMemoryLogData()): LogStore {
  let closed = false;

  const held = (): number => data.entries.length - data.head;
  const lastIndex = (): number => data.compactIndex + held();
  const check = (): void => {
    if (closed) throw closedError('memory log store');
  };
  /** Drops compacted entries physically once they are at least half the array. */
  const reclaim = (): void => {
    if (data.head > 1024 && data.head * 2 > data.entries.length) {
      data.entries = data.entries.slice(data.head);
      data.head = 0;
    }
  };
  const discardAll = (index: number, term: number): void => {
    data.entries = [];
    data.head = 0;
    data.bytes = 0;
    data.compactIndex = index;
    data.compactTerm = term;
  };

  const store: LogStore = {
    async append(entries) {
      check();
      let expected = lastIndex() + 1;
      for (const entry of entries) {
        if (entry.index !== expected) {
          throw new InvalidArgumentError(`append must be contiguous: expected index ${expected}, got ${entry.index}`);
        }
        expected++;
      }
      for (const entry of entries) {
        data.entries.push(entry);
        data.bytes += entrySize(entry);
      }
    },

    async truncateAfter(index) {
      check();
      checkIndex('index', index);
      if (index >= lastIndex()) return;
      if (index < data.compactIndex) {
        throw new InvalidArgumentError(`cannot truncate after ${index}: entries up to ${data.compactIndex} are compacted`);
      }
      const keep = data.head + (index - data.compactIndex);
      for (let i = keep; i < data.entries.length; i++) data.bytes -= entrySize(data.entries[i] as LogEntry);
      data.entries.length = keep;
    },

    async compactUpTo(index, term) {
      check();
      checkIndex('index', index);
      checkIndex('term', term);
      if (index <= data.compactIndex) return;
      // §7: keep the entries after `index` only if the entry at `index` matches `term`;
      // otherwise the log after it belongs to another history and is discarded whole.
      if (index > lastIndex() || store.termAt(index) !== term) {
        discardAll(index, term);
        return;
      }
      const drop = index - data.compactIndex;
      for (let i = data.head; i < data.head + drop; i++) data.bytes -= entrySize(data.entries[i] as LogEntry);
      data.head += drop;
      data.compactIndex = index;
      data.compactTerm = term;
      reclaim();
    },

    async read(from, to) {
      check();
      checkIndex('from', from);
      checkIndex('to', to);
      const first = Math.max(from, data.compactIndex + 1);
      const last = Math.min(to, lastIndex());
      if (first > last) return [];
      const start = data.head + (first - data.compactIndex - 1);
      return data.entries.slice(start, start + (last - first + 1));
    },

    firstIndex() {
      check();
      return LogIndex(data.compactIndex + 1);
    },

    lastIndex() {
      check();
      return LogIndex(lastIndex());
    },

    termAt(index) {
      check();
      if (index === data.compactIndex) return data.compactTerm as Term;
      if (index < data.compactIndex || index > lastIndex()) return undefined;
      return (data.entries[data.head + (index - data.compactIndex - 1)] as LogEntry).term;
    },

    totalBytes() {
      check();
      return data.bytes;
    },

    async close() {
      closed = true;
    },
  };
  return store;
}
