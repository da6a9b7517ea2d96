import type { NodeId, RaftEvent, RaftEventRecord, RaftEventType, Role, Term } from '@raft/abstractions';

export const n1 = 'n1' as NodeId;
export const n2 = 'n2' as NodeId;
export const n3 = 'n3' as NodeId;
export const t = (term: number): Term => term as Term;
const i = <T>(index: number): T => index as T;

const configuration = { voters: [n1, n2, n3], learners: [] };

/** One example of every event type, with every field set. */
export const SAMPLE_EVENTS: Record<RaftEventType, RaftEvent> = {
  roleChanged: { type: 'roleChanged', from: 'follower', to: 'candidate', term: t(2) },
  termChanged: { type: 'termChanged', from: t(1), to: t(2) },
  electionStarted: { type: 'electionStarted', term: t(2), preVote: false },
  electionWon: { type: 'electionWon', term: t(2), votes: 2 },
  electionLost: { type: 'electionLost', term: t(2), preVote: false, reason: 'rejected' },
  voteGranted: { type: 'voteGranted', candidate: n2, term: t(2), preVote: true },
  voteRejected: { type: 'voteRejected', candidate: n2, term: t(2), preVote: false, reason: 'logNotUpToDate' },
  leaderElected: { type: 'leaderElected', leaderId: n1, term: t(2) },
  leaderLost: { type: 'leaderLost', term: t(2), reason: 'checkQuorum' },
  appendRejected: { type: 'appendRejected', leaderId: n1, prevLogIndex: i(7), prevLogTerm: t(1), conflictIndex: i(5) },
  commitAdvanced: { type: 'commitAdvanced', from: i(3), to: i(5) },
  snapshotTriggered: { type: 'snapshotTriggered', index: i(100) },
  snapshotSaved: { type: 'snapshotSaved', index: i(100), term: t(1), size: 4096 },
  snapshotSent: { type: 'snapshotSent', to: n3, index: i(100), size: 4096 },
  snapshotInstalled: { type: 'snapshotInstalled', index: i(100), term: t(1) },
  snapshotFailed: { type: 'snapshotFailed', index: i(100), reason: 'ENOSPC' },
  followerNeedsSnapshot: { type: 'followerNeedsSnapshot', follower: n3, nextIndex: i(4) },
  configurationChangeStarted: { type: 'configurationChangeStarted', index: i(9), configuration },
  configurationChangeCommitted: { type: 'configurationChangeCommitted', index: i(9), configuration },
  configurationChangeFinished: { type: 'configurationChangeFinished', index: i(10), configuration },
  leadershipTransferStarted: { type: 'leadershipTransferStarted', target: n2, term: t(2) },
  leadershipTransferFinished: { type: 'leadershipTransferFinished', target: n2, succeeded: true },
  clientRedirected: { type: 'clientRedirected', leaderId: n1 },
  proposalRejected: { type: 'proposalRejected', reason: 'uncommittedLimit' },
  readVerified: { type: 'readVerified', readIndex: i(12) },
  sendFailed: { type: 'sendFailed', to: n2, reason: 'ECONNREFUSED' },
  messageDropped: { type: 'messageDropped', from: n2, messageType: 'AppendEntries', reason: 'staleTerm' },
  persistenceFailed: { type: 'persistenceFailed', operation: 'log', reason: 'EIO' },
};

/** A record as a node publishes it. */
export function record(event: RaftEvent, options: { node?: NodeId; term?: number; role?: Role } = {}): RaftEventRecord {
  return { nodeId: options.node ?? n1, term: t(options.term ?? 2), role: options.role ?? 'follower', event };
}
