import { type CommandEntry, ENTRY_OVERHEAD_BYTES, type LogIndex, type ProposeInput, type RaftMessage } from '@raft/abstractions';
import { quorumActive } from '../quorum/joint.js';
import type { Raft } from '../raft.js';
import { bcastAppend, bcastHeartbeat, handleAppendResponse } from '../replication.js';
import { handleInstallSnapshotResponse, tickSnapshotTransfers } from '../snapshot.js';
import { becomeFollower } from '../transitions.js';

/** Appends a client command to the leader's log and replicates it (§5.3). */
export function propose(r: Raft, input: ProposeInput): void {
  if (r.transfer !== undefined) {
    rejectProposal(r, input.requestId, 'transferInProgress');
    return;
  }
  const size = ENTRY_OVERHEAD_BYTES + input.payload.byteLength;
  const limit = r.options.maxUncommittedBytes;
  // Always admit a proposal when nothing is uncommitted, so one large command cannot wedge
  // the leader (etcd `increaseUncommittedSize`).
  if (limit > 0 && r.uncommittedBytes > 0 && r.uncommittedBytes + size > limit) {
    rejectProposal(r, input.requestId, 'uncommittedLimit');
    return;
  }
  const index = (r.log.lastIndex() + 1) as LogIndex;
  const entry: CommandEntry = {
    kind: 'command',
    index,
    term: r.term,
    payload: input.payload,
    ...(input.correlationId === undefined ? {} : { correlationId: input.correlationId }),
    ...(input.client === undefined ? {} : { client: input.client }),
  };
  r.appendEntries([entry]);
  r.uncommittedBytes += size;
  r.respond({ type: 'proposalResult', requestId: input.requestId, result: { status: 'appended', index, term: r.term } });
  bcastAppend(r);
}

function rejectProposal(r: Raft, requestId: number, reason: 'transferInProgress' | 'uncommittedLimit'): void {
  r.emit({ type: 'proposalRejected', reason });
  r.respond({ type: 'proposalResult', requestId, result: { status: 'rejected', reason } });
}

/** A message at the leader's own term. */
export function stepLeader(r: Raft, m: RaftMessage): void {
  switch (m.type) {
    case 'AppendEntriesResponse':
      handleAppendResponse(r, m);
      return;
    case 'RequestVoteResponse':
      // Late answers to the election this node already won.
      return;
    case 'AppendEntries':
    case 'InstallSnapshot':
      // Election Safety (§5.2) means no other leader exists in this term.
      r.emit({ type: 'messageDropped', from: m.from, messageType: m.type, reason: 'unexpected' });
      return;
    case 'InstallSnapshotResponse':
      handleInstallSnapshotResponse(r, m);
      return;
    case 'TimeoutNow':
    case 'RequestVote':
      return;
  }
}

/**
 * Leader tick: heartbeats every `heartbeatTicks`; every `electionTicks`, check-quorum
 * (dissertation §6.2): a leader that has not heard from a quorum in the last election timeout
 * steps down, so a partitioned leader stops serving (reliability.md A3).
 */
export function tickLeader(r: Raft): void {
  r.heartbeatElapsed++;
  r.electionElapsed++;
  if (r.electionElapsed >= r.options.electionTicks) {
    r.electionElapsed = 0;
    if (r.options.checkQuorum) {
      const active = quorumActive(r.configuration, (id) => id === r.id || (r.progress.get(id)?.recentlyActive ?? false));
      if (!active) {
        r.emit({ type: 'leaderLost', term: r.term, reason: 'checkQuorum' });
        becomeFollower(r, r.term, undefined);
        return;
      }
      for (const pr of r.peers) pr.recentlyActive = false;
    }
  }
  tickSnapshotTransfers(r);
  if (r.heartbeatElapsed >= r.options.heartbeatTicks) {
    r.heartbeatElapsed = 0;
    bcastHeartbeat(r);
  }
}

