import type { RequestVote, RequestVoteResponse, Term } from '@raft/abstractions';
import { quorumVoteResult } from './quorum/joint.js';
import type { Raft } from './raft.js';
import { becomeCandidate, becomeFollower, becomeLeader, becomePreCandidate } from './transitions.js';

/** Why a campaign starts. */
export type CampaignKind = 'preVote' | 'election' | 'transfer';

/**
 * Starts a pre-vote round or an election (§5.2, dissertation §9.6). A pre-candidate asks
 * "would you vote for me in term + 1?" without changing any state; only when a quorum says
 * yes does it start the real election. A transfer skips pre-vote (§3.10).
 */
export function campaign(r: Raft, kind: CampaignKind): void {
  if (!r.promotable()) return;
  const preVote = kind === 'preVote';
  if (preVote) becomePreCandidate(r);
  else becomeCandidate(r);
  const term = (preVote ? r.term + 1 : r.term) as Term;
  r.emit({ type: 'electionStarted', term, preVote });
  r.votes.set(r.id, true);
  if (quorumVoteResult(r.configuration, r.votes) === 'won') {
    // A single-voter cluster wins at once. The leader's first write (its no-op) follows the
    // persistMeta of this term, so nothing it commits can precede its durable vote.
    winElection(r, preVote);
    return;
  }
  for (const id of r.voters()) {
    if (id === r.id) continue;
    const request: RequestVote = {
      type: 'RequestVote',
      from: r.id,
      to: id,
      term,
      lastLogIndex: r.log.lastIndex(),
      lastLogTerm: r.log.lastTerm(),
      preVote,
      leadershipTransfer: kind === 'transfer',
    };
    // A real request carries the candidate's own durable vote: it may only leave once the
    // term and vote are persisted, or a crash could let this node vote twice in the term.
    if (preVote) r.send(request);
    else r.sendDurable(request);
  }
}

function winElection(r: Raft, preVote: boolean): void {
  const votes = [...r.votes.values()].filter(Boolean).length;
  if (preVote) {
    campaign(r, 'election');
  } else {
    r.emit({ type: 'electionWon', term: r.term, votes });
    becomeLeader(r);
  }
}

/**
 * Answers a RequestVote (§5.2, §5.4.1). The caller has already applied the term rules: for a
 * real vote `m.term === r.term`; a pre-vote may carry a higher term that we do not adopt.
 *
 * Invariant (§5.2, INV-7): at most one vote per term — we grant only if we have not voted
 * in this term or voted for this candidate, and the vote is persisted before the reply leaves.
 */
export function handleRequestVote(r: Raft, m: RequestVote): void {
  const canVote =
    r.votedFor === m.from ||
    (r.votedFor === undefined && r.leaderId === undefined) ||
    (m.preVote && m.term > r.term);
  const upToDate = r.log.isUpToDate(m.lastLogIndex, m.lastLogTerm);
  if (canVote && upToDate) {
    r.emit({ type: 'voteGranted', candidate: m.from, term: m.term, preVote: m.preVote });
    if (!m.preVote) {
      r.electionElapsed = 0;
      if (r.votedFor !== m.from) {
        r.votedFor = m.from;
        r.persistMeta();
      }
    }
    // A granted pre-vote echoes the request's term so the pre-candidate can count it.
    reply(r, m, m.preVote ? m.term : r.term, true);
    return;
  }
  r.emit({
    type: 'voteRejected',
    candidate: m.from,
    term: m.term,
    preVote: m.preVote,
    reason: !upToDate ? 'logNotUpToDate' : 'alreadyVoted',
  });
  reply(r, m, r.term, false);
}

/** Replies to a (pre-)vote request; the reply goes through the durability barrier. */
export function reply(r: Raft, m: RequestVote, term: Term, granted: boolean): void {
  const response: RequestVoteResponse = { type: 'RequestVoteResponse', from: r.id, to: m.from, term, granted, preVote: m.preVote };
  r.sendDurable(response);
}

/**
 * Counts a vote for the current (pre-)election and acts on the result (etcd `poll`). Only
 * answers for this round count: a pre-vote grant carries term + 1, a real one our term.
 */
export function poll(r: Raft, m: RequestVoteResponse): void {
  const preCandidate = r.role === 'preCandidate';
  if (m.preVote !== preCandidate) return;
  if (preCandidate && m.granted && m.term !== r.term + 1) return;
  if ((!preCandidate || !m.granted) && m.term !== r.term) return;
  if (!r.isVoter(m.from)) {
    r.emit({ type: 'messageDropped', from: m.from, messageType: m.type, reason: 'unknownSender' });
    return;
  }
  if (r.votes.has(m.from)) return;
  r.votes.set(m.from, m.granted);
  switch (quorumVoteResult(r.configuration, r.votes)) {
    case 'won':
      winElection(r, preCandidate);
      return;
    case 'lost':
      r.emit({ type: 'electionLost', term: preCandidate ? ((r.term + 1) as Term) : r.term, preVote: preCandidate, reason: 'rejected' });
      becomeFollower(r, r.term, undefined);
      return;
    case 'pending':
      return;
  }
}
