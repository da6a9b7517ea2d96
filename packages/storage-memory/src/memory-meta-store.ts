import { InvalidArgumentError, type MetaStore, type PersistentMeta, Term } from '@raft/abstractions';
import { closedError } from './internal/errors.js';

/** What a memory meta store keeps between opens. */
export interface MemoryMetaData {
  meta: PersistentMeta;
}

/** A fresh {@link MemoryMetaData}: term 0, no vote. */
export function emptyMemoryMetaData(): MemoryMetaData {
  return { meta: { currentTerm: Term(0), votedFor: undefined } };
}

/** A volatile {@link MetaStore}; the meta lives in `data`, so reopening over it finds it again. */
export function memoryMetaStore(data: MemoryMetaData = emptyMemoryMetaData()): MetaStore {
  let closed = false;
  return {
    async load() {
      if (closed) throw closedError('memory meta store');
      return data.meta;
    },
    async save(meta) {
      if (closed) throw closedError('memory meta store');
      if (!Number.isSafeInteger(meta.currentTerm) || meta.currentTerm < 0) {
        throw new InvalidArgumentError(`currentTerm must be a non-negative safe integer, got ${meta.currentTerm}`);
      }
      // Copy so a caller that reuses its object cannot change what was "persisted".
      data.meta = { currentTerm: meta.currentTerm, votedFor: meta.votedFor };
    },
    async close() {
      closed = true;
    },
  };
}
