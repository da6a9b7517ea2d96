import { type NodeId, type RaftMessage, type RequestVote, Term } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { RaftNodeState } from '../../src/index.js';
import { Net, ids } from '../support/net.js';

const [n1, n2, n3] = ids(3) as [never, never, never];

function requestVote(from: string, to: string, term: number, lastLogIndex = 0, lastLogTerm = 0, preVote = false): RaftMessage {
  return {
    type: 'RequestVote',
    from: from as never,
    to: to as never,
    term: Term(term),
    lastLogIndex: lastLogIndex as never,
    lastLogTerm: Term(lastLogTerm),
    preVote,
    leadershipTransfer: false,
  } satisfies RequestVote;
}

describe('§5.2 Leader election', () => {
  it('a follower that hears nothing times out within [electionTicks, 2·electionTicks) and campaigns', () => {
    // "If a follower receives no communication over a period of time called the election
    // timeout, then it assumes there is no viable leader and begins an election." Reference: §5.2
    for (let seed = 1; seed <= 50; seed++) {
      const node = new RaftNodeState({ id: n1, seed, electionTicks: 10, preVote: false }, { configuration: { voters: ids(3), learners: [] } });
      let ticks = 0;
      let started = false;
      while (!started && ticks < 100) {
        ticks++;
        started = node.process({ type: 'tick' }).events.some((e) => e.type === 'electionStarted');
      }
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(ticks).toBeLessThan(20);
    }
  });

  it('a candidate increments its term, votes for itself, and persists both before asking for votes', () => {
    // "To begin an election, a follower increments its current term and transitions to
    // candidate state. It then votes for itself and issues RequestVote RPCs." Reference: §5.2
    const net = new Net(3, { preVote: false });
    net.autoPersist = false;
    net.tick(n1, 30);
    const s = net.node(n1).status();
    expect(s.role).toBe('candidate');
    expect(s.term).toBe(1);
    expect(s.votedFor).toBe(n1);
    expect(net.queue.filter((m) => m.type === 'RequestVote')).toHaveLength(0);
    net.persist(n1);
    expect(net.queue.filter((m) => m.type === 'RequestVote').map((m) => m.to)).toEqual([n2, n3]);
  });

  it('a candidate with votes from a majority becomes leader and appends an entry of its term (the no-op)', () => {
    // "A candidate wins an election if it receives votes from a majority of the servers in
    // the full cluster for the same term." Reference: §5.2, §8
    const net = new Net(3);
    net.elect(n1);
    const s = net.node(n1).status();
    expect(s.role).toBe('leader');
    // The very first leader writes the bootstrap configuration as that entry.
    const [first] = net.node(n1).entries();
    expect(first).toMatchObject({ kind: 'configuration', index: 1, term: s.term, configuration: { voters: ids(3), learners: [] } });
    // Every later leader appends a no-op of its term.
    net.tickAll();
    net.deliverAll();
    net.crash(n1);
    let next: NodeId | undefined;
    for (let i = 0; i < 100 && next === undefined; i++) {
      net.tickAll();
      net.deliverAll();
      next = [n2, n3].find((id) => net.node(id).status().role === 'leader');
    }
    const last = net.node(next as NodeId).entries().at(-1);
    expect(last?.kind).toBe('noop');
    expect(last?.term).toBe(net.node(next as NodeId).status().term);
  });

  it('each server votes for at most one candidate in a term', () => {
    // "Each server will vote for at most one candidate in a given term, on a
    // first-come-first-served basis." Reference: §5.2
    const net = new Net(3, { preVote: false, checkQuorum: false });
    net.step(n3, { type: 'message', message: requestVote(n1, n3, 1) });
    net.step(n3, { type: 'message', message: requestVote(n2, n3, 1) });
    const replies = net.queue.filter((m) => m.type === 'RequestVoteResponse');
    expect(replies.map((m) => [m.to, m.type === 'RequestVoteResponse' && m.granted])).toEqual([
      [n1, true],
      [n2, false],
    ]);
    // Asking again in the same term gets the same answer (the vote is durable).
    net.step(n3, { type: 'message', message: requestVote(n1, n3, 1) });
    expect(net.queue.at(-1)).toMatchObject({ type: 'RequestVoteResponse', to: n1, granted: true });
    expect(net.storage.get(n3)?.meta).toEqual({ currentTerm: 1, votedFor: n1 });
  });

  it('a candidate that receives AppendEntries from a leader of its term becomes follower', () => {
    // "If the leader's term is at least as large as the candidate's current term, then the
    // candidate recognizes the leader as legitimate and returns to follower state." Reference: §5.2
    const net = new Net(3, { preVote: false });
    net.tick(n2, 30);
    expect(net.node(n2).status().role).toBe('candidate');
    const term = net.node(n2).status().term;
    net.queue = [];
    net.step(n2, {
      type: 'message',
      message: { type: 'AppendEntries', from: n1, to: n2, term: Term(term), prevLogIndex: 0 as never, prevLogTerm: Term(0), entries: [], leaderCommit: 0 as never, seq: 1 },
    });
    expect(net.node(n2).status()).toMatchObject({ role: 'follower', leaderId: n1, term });
  });

  it('a split vote ends in a new election after another timeout', () => {
    // "If many followers become candidates at the same time, votes could be split so that no
    // candidate obtains a majority ... each candidate will time out and start a new election." Reference: §5.2
    const net = new Net(4, { preVote: false });
    const [a, b, c, d] = ids(4) as [never, never, never, never];
    net.tick(a, 30);
    net.tick(b, 30);
    // a gets c, b gets d: 2 of 4 each, neither wins.
    net.queue = net.queue.filter((m) => (m.from === a && m.to === c) || (m.from === b && m.to === d));
    net.deliverAll();
    net.deliverAll();
    expect(net.node(a).status().role).toBe('candidate');
    expect(net.node(b).status().role).toBe('candidate');
    const term = net.node(a).status().term;
    for (let i = 0; i < 40 && ![a, b, c, d].some((id) => net.node(id).status().role === 'leader'); i++) {
      net.tickAll();
      net.deliverAll();
    }
    const leaders = [a, b, c, d].filter((id) => net.node(id).status().role === 'leader');
    expect(leaders).toHaveLength(1);
    expect(net.node(leaders[0] as never).status().term).toBeGreaterThan(term);
  });

  it('a node that is not a voter never campaigns', () => {
    // Learners receive the log but never vote or campaign (dissertation §4.2.1). Reference: §5.2
    const node = new RaftNodeState({ id: n3, seed: 3 }, { configuration: { voters: [n1, n2], learners: [n3] } });
    for (let i = 0; i < 200; i++) {
      const { effects, events } = node.process({ type: 'tick' });
      expect(effects).toEqual([]);
      expect(events).toEqual([]);
    }
    expect(node.status().term).toBe(0);
  });

  it('a single-voter cluster elects itself and commits alone', () => {
    // A majority of one is one. Reference: §5.2
    const net = new Net(1);
    const [solo] = ids(1) as [never];
    net.elect(solo);
    net.propose(solo, 'only');
    expect(net.texts(solo)).toEqual(['only']);
  });
});
