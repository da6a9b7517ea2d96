import { IllegalStateError, type LogIndex, type NodeId, type Role, type Term } from '@raft/abstractions';
import type { Raft } from './raft.js';
import { failPendingReads } from './read-only.js';
import { syncProgress } from './membership.js';
import { bcastAppend } from './replication.js';
import { noteLeader } from './leadership-transfer.js';

/*
 * Role changes happen only here (etcd `become*`). Each one resets the per-role state and
 * reports the change as events.
 */

function setRole(r: Raft, to: Role): void {
  if (r.role !== to) {
    r.emit({ type: 'roleChanged', from: r.role, to, term: r.term });
    r.role = to;
  }
}

/** Moves to `term` (> current), clearing the vote (§5.1), and persists it. */
function advanceTerm(r: Raft, term: Term): void {
  if (term <= r.term) return;
  r.emit({ type: 'termChanged', from: r.term, to: term });
  r.term = term;
  r.votedFor = undefined;
  r.persistMeta();
}

/** Sets the known leader, reporting a new one. */
export function setLeader(r: Raft, leaderId: NodeId | undefined): void {
  if (leaderId === r.leaderId) return;
  r.leaderId = leaderId;
  if (leaderId !== undefined) {
    r.emit({ type: 'leaderElected', leaderId, term: r.term });
    noteLeader(r, leaderId);
  }
}

function resetRoleState(r: Raft): void {
  r.electionElapsed = 0;
  r.heartbeatElapsed = 0;
  r.resetRandomizedElectionTimeout();
  r.votes.clear();
  if (r.role === 'leader') failPendingReads(r);
  r.progress.clear();
  r.peers = [];
  r.uncommittedBytes = 0;
}

/**
 * Becomes a follower in `term` (>= the current one) following `leaderId` if known. Any
 * server that learns of a higher term does this (§5.1); a candidate does it when it
 * discovers the leader of its term (§5.2).
 */
export function becomeFollower(r: Raft, term: Term, leaderId: NodeId | undefined): void {
  if (term < r.term) throw new IllegalStateError(`becomeFollower to a lower term ${term} < ${r.term}`);
  const wasLeader = r.role === 'leader';
  if (wasLeader && r.transfer !== undefined) r.transfer.steppedDown = true;
  resetRoleState(r);
  advanceTerm(r, term);
  setRole(r, 'follower');
  r.leaderId = undefined;
  setLeader(r, leaderId);
}

/** Becomes a pre-candidate (dissertation §9.6): changes neither the term nor the vote. */
export function becomePreCandidate(r: Raft): void {
  if (r.role === 'leader') throw new IllegalStateError('a leader cannot become a pre-candidate');
  resetRoleState(r);
  setRole(r, 'preCandidate');
  r.leaderId = undefined;
}

/** Becomes a candidate: a new term, a vote for itself, persisted before any request leaves (§5.2). */
export function becomeCandidate(r: Raft): void {
  if (r.role === 'leader') throw new IllegalStateError('a leader cannot become a candidate');
  resetRoleState(r);
  r.emit({ type: 'termChanged', from: r.term, to: (r.term + 1) as Term });
  r.term = (r.term + 1) as Term;
  r.votedFor = r.id;
  r.persistMeta();
  setRole(r, 'candidate');
  r.leaderId = undefined;
}

/**
 * Becomes leader of the current term: fresh progress for every member, then a no-op entry
 * of its own term so that entries of earlier terms can commit (§5.4.2, §8). The very first
 * leader of a cluster appends the bootstrap configuration instead (it also serves as that
 * entry): from then on the membership is in the log, and a node that joins later and receives
 * the log from index 1 learns it like every other configuration (etcd writes its bootstrap
 * configuration into the log the same way).
 */
export function becomeLeader(r: Raft): void {
  if (r.role !== 'candidate') throw new IllegalStateError(`only a candidate can become leader, not a ${r.role}`);
  resetRoleState(r);
  setRole(r, 'leader');
  r.seq = 0;
  const next = (r.log.lastIndex() + 1) as LogIndex;
  syncProgress(r);
  setLeader(r, r.id);
  const bootstrap = next === 1 && r.snapshot === undefined && r.configurationIndex === 0;
  r.appendEntries([
    bootstrap
      ? { kind: 'configuration', index: next, term: r.term, configuration: r.configuration }
      : { kind: 'noop', index: next, term: r.term },
  ]);
  bcastAppend(r);
}
