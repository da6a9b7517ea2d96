import type { RaftMessage } from '@raft/abstractions';
import { poll } from '../election.js';
import type { Raft } from '../raft.js';
import { becomeFollower } from '../transitions.js';
import { handleInstallSnapshot } from '../snapshot.js';
import { handleAppendEntries } from './follower.js';

/** A message at the (pre-)candidate's own term (§5.2). */
export function stepCandidate(r: Raft, m: RaftMessage): void {
  switch (m.type) {
    case 'AppendEntries':
      // "If AppendEntries RPC received from new leader: convert to follower" (§5.2).
      r.emit({ type: 'electionLost', term: r.term, preVote: r.role === 'preCandidate', reason: 'leaderDiscovered' });
      becomeFollower(r, r.term, m.from);
      handleAppendEntries(r, m);
      return;
    case 'RequestVoteResponse':
      poll(r, m);
      return;
    case 'InstallSnapshot':
      r.emit({ type: 'electionLost', term: r.term, preVote: r.role === 'preCandidate', reason: 'leaderDiscovered' });
      becomeFollower(r, r.term, m.from);
      handleInstallSnapshot(r, m);
      return;
    case 'AppendEntriesResponse':
    case 'InstallSnapshotResponse':
    case 'TimeoutNow':
    case 'RequestVote':
      return;
  }
}
