import type { LogIndex, NodeId } from '@raft/abstractions';
import type { Raft } from './raft.js';
import { maybeSendAppend } from './replication.js';
import type { Progress } from './tracker/progress.js';

/*
 * Leadership transfer (dissertation §3.10): the leader stops accepting proposals, brings the
 * target up to date, then sends it TimeoutNow so it campaigns at once. The transfer ends when
 * a leader is known again, or times out after an election timeout.
 */

/** Starts a transfer on the leader. */
export function transferLeadership(r: Raft, requestId: number, requested: NodeId | undefined): void {
  if (r.transfer !== undefined) {
    r.respond({ type: 'transferLeadershipResult', requestId, result: { status: 'rejected', reason: 'transferInProgress' } });
    return;
  }
  const target = requested ?? mostUpToDateVoter(r);
  if (target === r.id) {
    r.respond({ type: 'transferLeadershipResult', requestId, result: { status: 'completed', leaderId: r.id } });
    return;
  }
  const pr = target === undefined ? undefined : r.progress.get(target);
  if (target === undefined || pr === undefined || !r.isVoter(target)) {
    r.respond({ type: 'transferLeadershipResult', requestId, result: { status: 'rejected', reason: 'invalidChange' } });
    return;
  }
  r.transfer = { requestId, target, elapsed: 0, steppedDown: false };
  r.emit({ type: 'leadershipTransferStarted', target, term: r.term });
  if (!maybeSendTimeoutNow(r, pr)) maybeSendAppend(r, pr, true);
}

/** The voter (other than the leader) with the highest match index; ties go to the lowest id. */
function mostUpToDateVoter(r: Raft): NodeId | undefined {
  let best: Progress | undefined;
  for (const pr of r.peers) {
    if (!r.isVoter(pr.nodeId)) continue;
    if (best === undefined || pr.matchIndex > best.matchIndex) best = pr;
  }
  return best?.nodeId;
}

/** Sends TimeoutNow once the transfer target's log matches the leader's. */
export function maybeSendTimeoutNow(r: Raft, pr: Progress): boolean {
  if (r.transfer === undefined || r.transfer.steppedDown || r.transfer.target !== pr.nodeId) return false;
  if (pr.matchIndex !== (r.log.lastIndex() as LogIndex)) return false;
  r.send({ type: 'TimeoutNow', from: r.id, to: pr.nodeId, term: r.term });
  return true;
}

/** Called on every tick: a transfer that has not finished within an election timeout fails. */
export function tickTransfer(r: Raft): void {
  const transfer = r.transfer;
  if (transfer === undefined) return;
  transfer.elapsed++;
  if (transfer.elapsed < r.options.electionTicks) return;
  r.transfer = undefined;
  r.emit({ type: 'leadershipTransferFinished', target: transfer.target, succeeded: false });
  r.respond({ type: 'transferLeadershipResult', requestId: transfer.requestId, result: { status: 'timedOut' } });
}

/** A leader became known: a transfer this node stepped down for is finished. */
export function noteLeader(r: Raft, leaderId: NodeId): void {
  const transfer = r.transfer;
  if (transfer === undefined || !transfer.steppedDown) return;
  r.transfer = undefined;
  r.emit({ type: 'leadershipTransferFinished', target: transfer.target, succeeded: leaderId === transfer.target });
  r.respond({ type: 'transferLeadershipResult', requestId: transfer.requestId, result: { status: 'completed', leaderId } });
}
