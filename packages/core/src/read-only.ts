import type { LogIndex } from '@raft/abstractions';
import { quorumValue } from './quorum/joint.js';
import type { Raft } from './raft.js';
import { bcastHeartbeat } from './replication.js';

/*
 * Linearizable reads by read index (dissertation §6.4): the leader (1) has committed an entry
 * of its own term, (2) records its commit index as the read index, (3) confirms it is still
 * leader by a round of heartbeats answered by a quorum, (4) the host serves the read once it
 * has applied the read index.
 */

/** Handles a read on the leader. */
export function readOnLeader(r: Raft, requestId: number): void {
  if (r.log.termAt(r.commitIndex) !== r.term) {
    // Step 1 (etcd #7331): until the no-op of this term commits, the commit index may lag.
    r.readsAwaitingCommit.push(requestId);
    return;
  }
  startRead(r, requestId);
}

function startRead(r: Raft, requestId: number): void {
  const readIndex = r.commitIndex;
  if (r.peers.every((pr) => !r.isVoter(pr.nodeId))) {
    // The leader alone is a quorum: nothing to confirm.
    readReady(r, requestId, readIndex);
    return;
  }
  r.pendingReads.push({ requestId, readIndex, seq: r.seq + 1 });
  bcastHeartbeat(r);
}

function readReady(r: Raft, requestId: number, readIndex: LogIndex): void {
  r.emit({ type: 'readVerified', readIndex });
  r.respond({ type: 'readResult', requestId, result: { status: 'ready', readIndex } });
}

/** Resolves reads a quorum has now confirmed (called on every append response). */
export function checkPendingReads(r: Raft): void {
  if (r.pendingReads.length === 0) return;
  const confirmed = quorumValue(r.configuration, (id) =>
    id === r.id ? Number.POSITIVE_INFINITY : (r.progress.get(id)?.ackedSeq ?? 0),
  );
  let done = 0;
  for (const read of r.pendingReads) {
    if (read.seq > confirmed) break;
    readReady(r, read.requestId, read.readIndex);
    done++;
  }
  if (done > 0) r.pendingReads.splice(0, done);
}

/** The leader's commit index moved: reads waiting for the first commit of the term may start. */
export function onLeaderCommit(r: Raft): void {
  if (r.readsAwaitingCommit.length === 0 || r.log.termAt(r.commitIndex) !== r.term) return;
  const waiting = r.readsAwaitingCommit;
  r.readsAwaitingCommit = [];
  for (const requestId of waiting) startRead(r, requestId);
}

/**
 * A leader stepping down fails its pending reads: leadership can no longer be confirmed
 * (`noLeader`; `failed` after a fatal persistence failure).
 */
export function failPendingReads(r: Raft, reason: 'noLeader' | 'failed' = 'noLeader'): void {
  for (const requestId of [...r.readsAwaitingCommit, ...r.pendingReads.map((read) => read.requestId)]) {
    r.respond({ type: 'readResult', requestId, result: { status: 'rejected', reason } });
  }
  r.readsAwaitingCommit = [];
  r.pendingReads = [];
}
