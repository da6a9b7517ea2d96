import { type AppendEntries, type RaftMessage, Term } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { Net, ids } from '../support/net.js';

const [n1, n2, n3] = ids(3) as [never, never, never];

describe('§5.1 Raft basics: terms', () => {
  it('a leader that sees a higher term in a response steps down and adopts it', () => {
    // "If a candidate or leader discovers that its term is out of date, it immediately
    // reverts to follower state." Reference: §5.1
    const net = new Net(3);
    net.elect(n1);
    const term = net.node(n1).status().term;
    net.step(n1, {
      type: 'message',
      message: { type: 'AppendEntriesResponse', from: n2, to: n1, term: Term(term + 3), success: false, matchIndex: 0 as never, lastLogIndex: 0 as never, seq: 0 },
    });
    const s = net.node(n1).status();
    expect(s.role).toBe('follower');
    expect(s.term).toBe(term + 3);
    expect(s.votedFor).toBeUndefined();
    expect(net.storage.get(n1)?.meta.currentTerm).toBe(term + 3);
  });

  it('a request with a stale term is rejected and changes nothing', () => {
    // "If a server receives a request with a stale term number, it rejects the request." Reference: §5.1
    const net = new Net(3);
    net.elect(n1);
    net.deliverAll();
    const before = net.node(n2).status();
    const stale: AppendEntries = {
      type: 'AppendEntries',
      from: n3,
      to: n2,
      term: Term(before.term - 1),
      prevLogIndex: before.lastIndex,
      prevLogTerm: before.lastTerm,
      entries: [],
      leaderCommit: 0 as never,
      seq: 1,
    };
    net.queue = [];
    net.step(n2, { type: 'message', message: stale });
    const after = net.node(n2).status();
    expect(before.term).toBe(1);
    expect(after.lastIndex).toBe(before.lastIndex);
    expect(after.term).toBe(before.term);
    expect(after.leaderId).toBe(n1);
    // With pre-vote/check-quorum the stale sender is told the current term so it steps down.
    const reply = net.queue.find((m): m is RaftMessage & { type: 'AppendEntriesResponse' } => m.type === 'AppendEntriesResponse');
    expect(reply?.success).toBe(false);
    expect(reply?.term).toBe(before.term);
  });

  it('terms never decrease and a vote is cleared only when the term grows', () => {
    // "Current terms are exchanged whenever servers communicate; if one server's current term
    // is smaller than the other's, then it updates its current term to the larger value." Reference: §5.1
    const net = new Net(3);
    net.elect(n1);
    net.deliverAll();
    const voter = net.node(n2).status();
    expect(voter.votedFor).toBe(n1);
    // An equal-term heartbeat keeps the vote.
    net.tickAll(2);
    net.deliverAll();
    expect(net.node(n2).status().votedFor).toBe(n1);
    expect(net.node(n2).status().term).toBe(voter.term);
  });
});
