import type { AppendEntries, AppendEntriesResponse, LogEntry, LogIndex, Term } from '@raft/abstractions';
import { advanceCommit } from '../commit.js';
import type { Raft } from '../raft.js';

/**
 * AppendEntries receiver (Figure 2, "Receiver implementation"); the caller has checked the
 * term (rule 1) and recorded the leader.
 */
export function handleAppendEntries(r: Raft, m: AppendEntries): void {
  r.electionElapsed = 0;
  if (m.prevLogIndex < r.commitIndex) {
    // Everything up to our commit index is committed and so matches the leader's log
    // (Log Matching, §5.3): tell the leader where we are instead (etcd).
    respond(r, m, true, r.commitIndex);
    return;
  }
  if (!r.log.matchTerm(m.prevLogIndex, m.prevLogTerm)) {
    // Rule 2: reply false if the log has no entry at prevLogIndex with prevLogTerm.
    reject(r, m);
    return;
  }
  // Rules 3 and 4: find the first entry that is new or conflicts; delete the conflicting
  // entry and all that follow it, then append the new ones. Entries already present are kept
  // (a duplicate or delayed AppendEntries never truncates matching entries, reliability.md B8).
  const entries = m.entries;
  let first = 0;
  while (first < entries.length) {
    const entry = entries[first] as LogEntry;
    if (r.log.termAt(entry.index) !== entry.term) break;
    first++;
  }
  if (first < entries.length) {
    const conflict = (entries[first] as LogEntry).index;
    if (conflict <= r.commitIndex) {
      // A committed entry can never conflict (Leader Completeness, §5.4); only a faulty peer
      // sends this. Drop the message rather than lose committed data.
      r.emit({ type: 'messageDropped', from: m.from, messageType: m.type, reason: 'unexpected' });
      return;
    }
    const truncateAfter = conflict <= r.log.lastIndex() ? ((conflict - 1) as LogIndex) : undefined;
    r.appendEntries(first === 0 ? entries : entries.slice(first), truncateAfter);
  }
  const lastNew = (m.prevLogIndex + entries.length) as LogIndex;
  // Rule 5: commitIndex = min(leaderCommit, index of last new entry).
  const commit = Math.min(m.leaderCommit, lastNew) as LogIndex;
  if (commit > r.commitIndex) advanceCommit(r, commit);
  respond(r, m, true, lastNew);
}

function reject(r: Raft, m: AppendEntries): void {
  let conflictIndex: LogIndex;
  let conflictTerm: Term | undefined;
  if (m.prevLogIndex > r.log.lastIndex()) {
    conflictIndex = (r.log.lastIndex() + 1) as LogIndex;
  } else {
    // prevLogIndex >= commitIndex >= snapshotIndex, so the term is known.
    conflictTerm = r.log.termAt(m.prevLogIndex) as Term;
    conflictIndex = Math.max(r.log.firstIndexOfTerm(m.prevLogIndex, conflictTerm), r.commitIndex + 1) as LogIndex;
  }
  r.emit({ type: 'appendRejected', leaderId: m.from, prevLogIndex: m.prevLogIndex, prevLogTerm: m.prevLogTerm, conflictIndex });
  respond(r, m, false, m.prevLogIndex, conflictIndex, conflictTerm);
}

function respond(
  r: Raft,
  m: AppendEntries,
  success: boolean,
  matchIndex: LogIndex,
  conflictIndex?: LogIndex,
  conflictTerm?: Term,
): void {
  const response: AppendEntriesResponse = {
    type: 'AppendEntriesResponse',
    from: r.id,
    to: m.from,
    term: r.term,
    success,
    matchIndex,
    lastLogIndex: r.log.lastIndex(),
    seq: m.seq,
    ...(conflictIndex === undefined ? {} : { conflictIndex }),
    ...(conflictTerm === undefined ? {} : { conflictTerm }),
  };
  // An acknowledgement promises the entries are durable: it waits for the write (INV-12).
  r.sendDurable(response);
}
