import {
  type AppendEntriesResponse,
  IllegalStateError,
  type RaftInput,
  type RaftMessage,
  type RequestVoteResponse,
} from '@raft/abstractions';
import { assertNever } from './assert-never.js';
import { maybeApply } from './commit.js';
import { campaign, handleRequestVote } from './election.js';
import { tickTransfer, transferLeadership } from './leadership-transfer.js';
import type { Raft } from './raft.js';
import { maybeLeaveJoint, proposeChange } from './membership.js';
import { checkPendingReads, failPendingReads, readOnLeader } from './read-only.js';
import { handleInstallSnapshot, onSnapshotInstalled, onSnapshotSaved } from './snapshot.js';
import { maybeCommit } from './replication.js';
import { stepCandidate } from './roles/candidate.js';
import { handleAppendEntries } from './roles/follower.js';
import { propose, stepLeader, tickLeader } from './roles/leader.js';
import { becomeFollower, setLeader } from './transitions.js';
import { knownMessageType, validateMessage } from './validate-message.js';

/**
 * One input, start to finish (etcd `Step`): role-independent handling first (ticks, storage
 * acknowledgements, the term rules of §5.1), then dispatch by role. Afterwards, anything newly
 * committed and durable goes out for applying.
 */
export function step(r: Raft, input: RaftInput): void {
  if (r.failed) {
    refuseAfterFailure(r, input);
    return;
  }
  switch (input.type) {
    case 'tick':
      tick(r);
      break;
    case 'message':
      stepMessage(r, input.message);
      break;
    case 'propose':
      if (r.role === 'leader') propose(r, input);
      else redirect(r, input.requestId, 'proposalResult');
      break;
    case 'read':
      if (r.role === 'leader') readOnLeader(r, input.requestId);
      else redirect(r, input.requestId, 'readResult');
      break;
    case 'changeConfiguration':
      if (r.role === 'leader') proposeChange(r, input.requestId, input.change);
      else redirect(r, input.requestId, 'configurationChangeResult');
      break;
    case 'transferLeadership':
      if (r.role === 'leader') transferLeadership(r, input.requestId, input.target);
      else redirect(r, input.requestId, 'transferLeadershipResult');
      break;
    case 'metaPersisted':
      if (r.durability.ackMeta(input.meta, input.write)) onDurable(r);
      break;
    case 'logPersisted':
      if (r.durability.ackLog(input.upTo, input.term, input.write)) onDurable(r);
      break;
    case 'applied':
      if (input.upTo > r.applyingIndex) {
        throw new IllegalStateError(`applied ${input.upTo} but only ${r.applyingIndex} was handed out for applying`);
      }
      if (input.upTo > r.appliedIndex) r.appliedIndex = input.upTo;
      break;
    case 'snapshotSaved':
      onSnapshotSaved(r, input.lastIncludedIndex, input.lastIncludedTerm);
      break;
    case 'snapshotInstalled':
      onSnapshotInstalled(r, input.lastIncludedIndex, input.lastIncludedTerm);
      break;
    case 'persistenceFailed':
      // Fatal (the PostgreSQL fsync lesson): stop making promises of any kind, and answer
      // every request still waiting.
      r.failed = true;
      r.emit({ type: 'persistenceFailed', operation: input.operation, reason: input.reason });
      failPendingReads(r, 'failed');
      if (r.transfer !== undefined) {
        r.respond({ type: 'transferLeadershipResult', requestId: r.transfer.requestId, result: { status: 'rejected', reason: 'failed' } });
        r.transfer = undefined;
      }
      return;
    default:
      assertNever(input, 'input');
  }
  maybeLeaveJoint(r);
  maybeStepDownRemoved(r);
  // A read may become confirmed without an answer from anyone (the configuration shrank).
  if (r.role === 'leader') checkPendingReads(r);
  maybeApply(r);
}

/**
 * A leader that is not a voter of the committed configuration in force steps down (§4.2.2:
 * it manages the cluster until C_new is committed, then steps down).
 */
function maybeStepDownRemoved(r: Raft): void {
  if (r.role !== 'leader' || r.isVoter(r.id) || r.configurationIndex > r.commitIndex) return;
  r.emit({ type: 'leaderLost', term: r.term, reason: 'removed' });
  becomeFollower(r, r.term, undefined);
}

/** A write completed: release held messages, let the leader count its own log, apply. */
function onDurable(r: Raft): void {
  r.releaseDurableMessages();
  if (r.role === 'leader') maybeCommit(r);
}

function tick(r: Raft): void {
  tickTransfer(r);
  if (r.role === 'leader') {
    tickLeader(r);
    return;
  }
  r.electionElapsed++;
  if (canCampaign(r) && r.electionElapsed >= r.randomizedElectionTimeout) {
    campaign(r, r.options.preVote ? 'preVote' : 'election');
  }
}

/**
 * A voter may campaign, except while the host installs a received snapshot: a leader's log
 * must never be replaced under it (Leader Append-Only, §5.3).
 */
function canCampaign(r: Raft): boolean {
  return r.promotable() && r.incoming?.complete !== true;
}

function redirect(
  r: Raft,
  requestId: number,
  type: 'proposalResult' | 'readResult' | 'configurationChangeResult' | 'transferLeadershipResult',
): void {
  const result =
    r.leaderId === undefined
      ? ({ status: 'rejected', reason: 'noLeader' } as const)
      : ({ status: 'redirected', leaderId: r.leaderId } as const);
  if (r.leaderId !== undefined) r.emit({ type: 'clientRedirected', leaderId: r.leaderId });
  else if (type === 'proposalResult') r.emit({ type: 'proposalRejected', reason: 'noLeader' });
  r.respond({ type, requestId, result });
}

function refuseAfterFailure(r: Raft, input: RaftInput): void {
  const rejected = { status: 'rejected', reason: 'failed' } as const;
  switch (input.type) {
    case 'propose':
      r.respond({ type: 'proposalResult', requestId: input.requestId, result: rejected });
      return;
    case 'read':
      r.respond({ type: 'readResult', requestId: input.requestId, result: rejected });
      return;
    case 'changeConfiguration':
      r.respond({ type: 'configurationChangeResult', requestId: input.requestId, result: rejected });
      return;
    case 'transferLeadership':
      r.respond({ type: 'transferLeadershipResult', requestId: input.requestId, result: rejected });
      return;
    default:
      return;
  }
}

/**
 * A message from a peer. Untrusted: a malformed message, one for someone else or from a
 * non-member is dropped and reported, never thrown (DESIGN.md).
 */
function stepMessage(r: Raft, message: RaftMessage): void {
  const malformed = validateMessage(message);
  if (malformed !== undefined) {
    const from = (message as { from?: unknown } | null)?.from;
    r.emit({
      type: 'messageDropped',
      from: typeof from === 'string' ? (from as RaftMessage['from']) : undefined,
      messageType: knownMessageType(message),
      reason: 'malformed',
    });
    return;
  }
  const m = message;
  if (m.to !== r.id) {
    r.emit({ type: 'messageDropped', from: m.from, messageType: m.type, reason: 'wrongRecipient' });
    return;
  }
  // Requests are processed whatever our configuration says: a leader or candidate may belong
  // to a configuration this node has not seen yet (dissertation §4.1). Which nodes may talk to
  // us at all is the transport's handshake; answers from nodes we asked nothing of are dropped
  // where they are handled.
  if (m.from === r.id) {
    r.emit({ type: 'messageDropped', from: m.from, messageType: m.type, reason: 'unexpected' });
    return;
  }
  if (!stepTerm(r, m)) return;
  if (m.type === 'RequestVote') {
    handleRequestVote(r, m);
    return;
  }
  switch (r.role) {
    case 'leader':
      stepLeader(r, m);
      return;
    case 'candidate':
    case 'preCandidate':
      stepCandidate(r, m);
      return;
    case 'follower':
      stepFollower(r, m);
      return;
    default:
      assertNever(r.role, 'role');
  }
}

/**
 * The term rules (§5.1, Figure 2 "All servers"), with pre-vote and check-quorum
 * (dissertation §9.6, §4.2.3). Returns whether the message should be processed further.
 */
function stepTerm(r: Raft, m: RaftMessage): boolean {
  if (m.term > r.term) {
    if (m.type === 'RequestVote' && !m.leadershipTransfer && r.inLease()) {
      // We heard from a live leader within the minimum election timeout: ignore the request,
      // without adopting its term, so a partitioned node cannot depose a healthy leader.
      r.emit({ type: 'voteRejected', candidate: m.from, term: m.term, preVote: m.preVote, reason: 'leaderActive' });
      return false;
    }
    // A pre-vote request never changes our term; neither does a granted pre-vote, which
    // carries the term the pre-candidate would campaign in.
    if (m.type === 'RequestVote' && m.preVote) return true;
    if (m.type === 'RequestVoteResponse' && m.preVote && m.granted) return true;
    if (r.role === 'leader') r.emit({ type: 'leaderLost', term: r.term, reason: 'higherTerm' });
    else if (r.role !== 'follower') {
      r.emit({ type: 'electionLost', term: r.term, preVote: r.role === 'preCandidate', reason: 'higherTerm' });
    }
    const leader = m.type === 'AppendEntries' || m.type === 'InstallSnapshot' ? m.from : undefined;
    becomeFollower(r, m.term, leader);
    return true;
  }
  if (m.term < r.term) {
    if (m.type === 'AppendEntries' && (r.options.checkQuorum || r.options.preVote)) {
      // A stale leader (for example one cut off while we moved on) learns our term from this
      // rejection and steps down; with pre-vote it would otherwise never hear of it (etcd).
      const response: AppendEntriesResponse = {
        type: 'AppendEntriesResponse',
        from: r.id,
        to: m.from,
        term: r.term,
        success: false,
        matchIndex: m.prevLogIndex,
        lastLogIndex: r.log.lastIndex(),
        seq: m.seq,
      };
      r.sendDurable(response);
    } else if (m.type === 'RequestVote' && m.preVote) {
      // Tell a stale pre-candidate about our term so it can catch up.
      const response: RequestVoteResponse = { type: 'RequestVoteResponse', from: r.id, to: m.from, term: r.term, granted: false, preVote: true };
      r.sendDurable(response);
    } else {
      r.emit({ type: 'messageDropped', from: m.from, messageType: m.type, reason: 'staleTerm' });
    }
    return false;
  }
  return true;
}

function stepFollower(r: Raft, m: RaftMessage): void {
  switch (m.type) {
    case 'AppendEntries':
      setLeader(r, m.from);
      handleAppendEntries(r, m);
      return;
    case 'TimeoutNow':
      // Leadership transfer (§3.10): campaign at once, skipping pre-vote — when the leader
      // we follow says so.
      if (m.from !== r.leaderId) {
        r.emit({ type: 'messageDropped', from: m.from, messageType: m.type, reason: 'unexpected' });
      } else if (canCampaign(r)) {
        campaign(r, 'transfer');
      }
      return;
    case 'InstallSnapshot':
      setLeader(r, m.from);
      handleInstallSnapshot(r, m);
      return;
    case 'RequestVoteResponse':
    case 'AppendEntriesResponse':
    case 'InstallSnapshotResponse':
    case 'RequestVote':
      return;
  }
}
