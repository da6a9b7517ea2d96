import { IllegalStateError } from '@raft/abstractions';
import type { Raft } from './raft.js';

/**
 * Checks the node-local invariants that the step functions keep (each names the rule it
 * guards). Tests and the simulator call it after every step; it throws
 * {@link IllegalStateError} on the first broken one.
 */
export function checkInvariants(r: Raft): void {
  const fail = (what: string): never => {
    throw new IllegalStateError(`invariant broken on ${r.id}: ${what}`);
  };
  const last = r.log.lastIndex();
  const persisted = r.durability.persistedIndex();
  if (r.commitIndex > last) fail(`commitIndex ${r.commitIndex} > lastIndex ${last}`);
  if (r.log.snapshotIndex > r.commitIndex) fail(`snapshotIndex ${r.log.snapshotIndex} > commitIndex ${r.commitIndex}`);
  if (r.appliedIndex > r.applyingIndex || r.applyingIndex > r.commitIndex) {
    fail(`applied ${r.appliedIndex} <= applying ${r.applyingIndex} <= commit ${r.commitIndex} does not hold`);
  }
  if (r.applyingIndex > Math.max(persisted, r.log.snapshotIndex, r.appliedIndex)) fail(`applying ${r.applyingIndex} beyond durable ${persisted}`);
  if (persisted > last) fail(`persistedIndex ${persisted} > lastIndex ${last}`);
  let previousTerm = r.log.snapshotTerm as number;
  for (let i = r.log.firstIndex(); i <= last; i++) {
    const entry = r.log.entryAt(i);
    if (entry === undefined || entry.index !== i) fail(`log not contiguous at ${i}`);
    if ((entry?.term ?? 0) < previousTerm) fail(`log terms decrease at ${i} (§5.3)`);
    previousTerm = entry?.term ?? previousTerm;
  }
  if (r.log.lastTerm() > r.term) fail(`last log term ${r.log.lastTerm()} > current term ${r.term}`);
  if (r.role === 'leader') {
    if (r.leaderId !== r.id) fail('a leader must know itself as leader');
    if (r.votedFor !== r.id) fail('a leader voted for itself in its term (§5.2)');
    for (const pr of r.peers) {
      if (pr.matchIndex >= pr.nextIndex) fail(`progress of ${pr.nodeId}: match ${pr.matchIndex} >= next ${pr.nextIndex}`);
      if (pr.matchIndex > last) fail(`progress of ${pr.nodeId}: match ${pr.matchIndex} > lastIndex ${last}`);
      if (pr.nextIndex > last + 1) fail(`progress of ${pr.nodeId}: next ${pr.nextIndex} > lastIndex + 1`);
      if (pr.inflights.count() > r.options.maxInflightMessages) fail(`inflight window of ${pr.nodeId} exceeded`);
    }
  } else if (r.peers.length > 0) {
    fail('a non-leader keeps no progress');
  }
  if (r.role === 'candidate' && r.votedFor !== r.id) fail('a candidate votes for itself (§5.2)');
}
