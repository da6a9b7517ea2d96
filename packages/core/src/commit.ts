import { type LogIndex, entrySize } from '@raft/abstractions';
import type { Raft } from './raft.js';
import { onCommitConfigurations } from './membership.js';
import { onLeaderCommit } from './read-only.js';

/**
 * Moves the commit index forward to `index` (never back). Committed entries are handed to
 * the host for applying by {@link maybeApply} once they are also durable locally.
 */
export function advanceCommit(r: Raft, index: LogIndex): void {
  if (index <= r.commitIndex) return;
  const from = r.commitIndex;
  if (r.role === 'leader' && r.uncommittedBytes > 0) {
    for (let i = from + 1; i <= index; i++) {
      const entry = r.log.entryAt(i);
      if (entry !== undefined && entry.term === r.term && entry.kind === 'command') r.uncommittedBytes -= entrySize(entry);
    }
    if (r.uncommittedBytes < 0) r.uncommittedBytes = 0;
  }
  r.commitIndex = index;
  r.emit({ type: 'commitAdvanced', from, to: index });
  // Only when the latest configuration entry is above the old commit index can a
  // configuration entry have just committed.
  if (r.configurationIndex > from) onCommitConfigurations(r, from, r.log.slice(from + 1, index));
  if (r.role === 'leader') onLeaderCommit(r);
}

/**
 * Emits an apply effect for entries that are committed and durable locally and were not
 * handed out yet (each committed entry appears in exactly one apply effect, in order).
 * Applying only locally durable entries keeps the state machine from ever getting ahead of
 * the node's own durable log.
 */
export function maybeApply(r: Raft): void {
  // While a received snapshot is being installed, the state machine is being replaced.
  if (r.incoming?.complete === true) return;
  const upTo = Math.min(r.commitIndex, r.durability.persistedIndex());
  if (upTo <= r.applyingIndex) return;
  const entries = r.log.slice(r.applyingIndex + 1, upTo);
  if (entries.length === 0) return;
  r.applyingIndex = (entries[entries.length - 1] as (typeof entries)[number]).index;
  r.effect({ type: 'apply', entries });
}
