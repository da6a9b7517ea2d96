import { type AppendEntries, type AppendEntriesResponse, type LogIndex, type NodeId, type Term, entrySize } from '@raft/abstractions';
import { maybeSendTimeoutNow } from './leadership-transfer.js';
import { quorumValue } from './quorum/joint.js';
import type { Raft } from './raft.js';
import { advanceCommit } from './commit.js';
import { checkPendingReads } from './read-only.js';
import { startSnapshotTransfer } from './snapshot.js';
import type { Progress } from './tracker/progress.js';

/*
 * Leader-side log replication (§5.3): what to send each follower, and what its answers mean.
 */

function appendMessage(r: Raft, to: NodeId, prevLogIndex: LogIndex, prevLogTerm: Term, entries: AppendEntries['entries']): AppendEntries {
  return {
    type: 'AppendEntries',
    from: r.id,
    to,
    term: r.term,
    prevLogIndex,
    prevLogTerm,
    entries,
    leaderCommit: r.commitIndex,
    seq: ++r.seq,
  };
}

/**
 * Sends the follower the entries it needs next, if its progress allows (etcd
 * `maybeSendAppend`). With `sendIfEmpty`, also sends when there is nothing new (a probe or a
 * heartbeat that carries the commit index). Returns whether a message was sent.
 */
export function maybeSendAppend(r: Raft, pr: Progress, sendIfEmpty: boolean): boolean {
  if (pr.isPaused()) return false;
  const prevLogIndex = (pr.nextIndex - 1) as LogIndex;
  const prevLogTerm = r.log.termAt(prevLogIndex);
  if (prevLogTerm === undefined) {
    // The entries the follower needs are compacted: it must receive a snapshot (§7).
    startSnapshotTransfer(r, pr);
    return false;
  }
  const entries = r.log.slice(pr.nextIndex, r.log.lastIndex(), r.options.maxMessageBytes, entrySize);
  if (entries.length === 0 && !sendIfEmpty) return false;
  r.send(appendMessage(r, pr.nodeId, prevLogIndex, prevLogTerm, entries));
  if (entries.length > 0) {
    let bytes = 0;
    for (const entry of entries) bytes += entrySize(entry);
    pr.sentEntries((entries[entries.length - 1] as AppendEntries['entries'][number]).index, bytes);
  }
  return true;
}

/** Sends new entries to every follower whose progress allows it (etcd `bcastAppend`). */
export function bcastAppend(r: Raft): void {
  for (const pr of r.peers) maybeSendAppend(r, pr, true);
}

/**
 * Heartbeat to every follower (§5.2: leaders send periodic heartbeats to maintain their
 * authority). A heartbeat is an AppendEntries at the follower's send position: it carries the
 * commit index, and a follower that lost entries in flight rejects it, which sends the leader
 * back to probing (so lost messages are always repaired). A probing follower gets its probe
 * again (etcd: a heartbeat unpauses the probe).
 */
export function bcastHeartbeat(r: Raft): void {
  for (const pr of r.peers) sendHeartbeat(r, pr);
}

/** One heartbeat to one follower (see {@link bcastHeartbeat}). */
export function sendHeartbeat(r: Raft, pr: Progress): void {
  if (pr.state === 'probe') {
    pr.probeSent = false;
    maybeSendAppend(r, pr, true);
    return;
  }
  if (pr.state === 'snapshot') {
    // Keep the follower from campaigning while it waits for its snapshot; it rejects this
    // (it lacks the entry), and the rejection is ignored in the snapshot state.
    r.send(appendMessage(r, pr.nodeId, r.log.snapshotIndex, r.log.snapshotTerm, []));
    return;
  }
  const prevLogIndex = (pr.nextIndex - 1) as LogIndex;
  const prevLogTerm = r.log.termAt(prevLogIndex);
  if (prevLogTerm === undefined) {
    // Compacted since we last sent: only a snapshot can bring the follower up to date (§7).
    startSnapshotTransfer(r, pr);
    return;
  }
  r.send(appendMessage(r, pr.nodeId, prevLogIndex, prevLogTerm, []));
}

/**
 * Handles a follower's answer (etcd `handleAppendEntriesResponse`). A success moves its match
 * index forward (never back: stale and reordered answers are ignored, reliability.md B7), may
 * commit, and keeps the pipeline full. A rejection moves `nextIndex` back using the conflict
 * hints, skipping a whole conflicting term per round trip (§5.3 "optimization").
 */
export function handleAppendResponse(r: Raft, m: AppendEntriesResponse): void {
  const pr = r.progress.get(m.from);
  if (pr === undefined) {
    r.emit({ type: 'messageDropped', from: m.from, messageType: m.type, reason: 'unknownSender' });
    return;
  }
  pr.recentlyActive = true;
  if (m.seq > pr.ackedSeq) pr.ackedSeq = m.seq;
  checkPendingReads(r);

  if (m.success) {
    if (pr.maybeUpdate(m.matchIndex)) {
      if (pr.state === 'probe') pr.becomeReplicate();
      else if (pr.state === 'snapshot' && pr.matchIndex >= pr.pendingSnapshot) pr.becomeProbe();
      else pr.inflights.freeLE(m.matchIndex);
      maybeCommit(r);
      maybeSendTimeoutNow(r, pr);
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.matchIndex);
    }
    while (maybeSendAppend(r, pr, false)) {
      // keep the pipeline full (etcd sends until paused or caught up)
    }
    return;
  }

  const hint = rejectionHint(r, m);
  if (pr.maybeDecreaseTo(m.matchIndex, hint)) maybeSendAppend(r, pr, true);
}

/** Where the leader should probe next after a rejection, from the follower's hints. */
function rejectionHint(r: Raft, m: AppendEntriesResponse): LogIndex {
  let hint = m.conflictIndex ?? m.matchIndex;
  if (m.conflictTerm !== undefined) {
    // If the leader has entries of conflictTerm, the logs may agree up to its last one;
    // otherwise skip the follower's whole conflicting term.
    const last = r.log.lastIndexWithTermAtMost(m.matchIndex, m.conflictTerm);
    if (last > r.log.snapshotIndex && r.log.termAt(last) === m.conflictTerm) hint = (last + 1) as LogIndex;
  }
  return Math.min(hint, m.lastLogIndex + 1) as LogIndex;
}

/**
 * Advances the commit index to the highest index stored on a quorum, but only if that
 * entry is of the current term (§5.4.2, Figure 8: entries of earlier terms commit only
 * indirectly). The leader counts its own log only as far as it is durable (§10.2.1).
 * Returns whether the commit index moved.
 */
export function maybeCommit(r: Raft): boolean {
  const persisted = r.durability.persistedIndex();
  const index = quorumValue(r.configuration, (id) => (id === r.id ? persisted : (r.progress.get(id)?.matchIndex ?? 0)));
  if (!Number.isFinite(index) || index <= r.commitIndex) return false;
  if (r.log.termAt(index) !== r.term) return false;
  advanceCommit(r, index as LogIndex);
  return true;
}
