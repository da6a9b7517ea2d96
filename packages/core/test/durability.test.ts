/**
 * The durability barrier (DESIGN.md "The core contract"; reliability.md lesson 1, INV-12): no
 * vote, append acknowledgement or snapshot reply leaves before the completion input for the
 * state it promises; the leader counts its own log only once persisted and may send to
 * followers while its own write is in flight (dissertation §10.2.1).
 */
import { type NodeId, type RaftMessage, Term } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { Net, ids } from './support/net.js';

const [n1, n2, n3] = ids(3) as [NodeId, NodeId, NodeId];

describe('durability barrier', () => {
  it('a granted vote leaves only after the vote is durable', () => {
    const net = new Net(3, { preVote: false });
    net.autoPersist = false;
    net.step(n2, {
      type: 'message',
      message: { type: 'RequestVote', from: n1, to: n2, term: Term(1), lastLogIndex: 0 as never, lastLogTerm: Term(0), preVote: false, leadershipTransfer: false },
    });
    expect(net.queue).toEqual([]);
    expect(net.storage.get(n2)?.pending.map((e) => e.type)).toEqual(['persistMeta']);
    net.persist(n2);
    expect(net.queue).toMatchObject([{ type: 'RequestVoteResponse', to: n1, granted: true, term: 1 }]);
    expect(net.storage.get(n2)?.meta).toEqual({ currentTerm: 1, votedFor: n1 });
  });

  it('an append acknowledgement leaves only after the entries are durable', () => {
    const net = new Net(3);
    net.elect(n1);
    net.deliverAll();
    net.autoPersist = false;
    net.propose(n1, 'x');
    net.deliverAll();
    // n2 and n3 hold the entry in memory but have not acknowledged it.
    expect(net.queue.filter((m) => m.type === 'AppendEntriesResponse')).toEqual([]);
    expect(net.node(n1).status().commitIndex).toBe(1);
    net.persist(n2);
    net.deliverAll();
    // n2's acknowledgement arrives, but the leader's own write is still in flight: with n2
    // that is a majority only if the leader counts itself, which it must not do yet... except
    // that n2 + n1 is needed. So nothing commits until n1's own write is durable.
    expect(net.node(n1).status().commitIndex).toBe(1);
    net.persist(n1);
    expect(net.node(n1).status().commitIndex).toBe(2);
  });

  it('the leader sends entries to followers while its own write is in flight', () => {
    const net = new Net(3);
    net.elect(n1);
    net.deliverAll();
    net.autoPersist = false;
    net.queue = [];
    net.propose(n1, 'x');
    expect(net.storage.get(n1)?.pending.map((e) => e.type)).toEqual(['appendLog']);
    expect(net.queue.filter((m) => m.type === 'AppendEntries').map((m) => m.to)).toEqual([n2, n3]);
  });

  it('followers alone can form a quorum while the leader writes (5 nodes)', () => {
    const net = new Net(5);
    const [a, b, c] = ids(5) as [NodeId, NodeId, NodeId];
    net.elect(a);
    net.deliverAll();
    net.autoPersist = false;
    net.propose(a, 'x');
    net.deliverAll();
    const commit = net.node(a).status().commitIndex;
    net.persist(b);
    net.persist(c);
    net.deliverAll();
    expect(net.node(a).status().commitIndex).toBe(commit);
    for (const id of ids(5).slice(3)) net.persist(id);
    net.deliverAll();
    // Three followers hold it durably: committed, though the leader's own write is pending.
    expect(net.node(a).status().commitIndex).toBe(commit + 1);
    // ... but the leader applies only what is durable locally.
    expect(net.texts(a)).toEqual([]);
    net.persist(a);
    expect(net.texts(a)).toEqual(['x']);
  });

  it('an acknowledgement whose entries were truncated before becoming durable is never sent', () => {
    const net = new Net(3, { checkQuorum: false });
    net.elect(n1);
    net.deliverAll();
    net.autoPersist = false;
    const term = net.node(n2).status().term;
    const last = net.node(n2).status().lastIndex;
    const msg = (t: number, entryTerm: number, seq: number): RaftMessage => ({
      type: 'AppendEntries',
      from: n1,
      to: n2,
      term: Term(t),
      prevLogIndex: last,
      prevLogTerm: Term(term),
      entries: [{ kind: 'noop', index: (last + 1) as never, term: Term(entryTerm) }],
      leaderCommit: 0 as never,
      seq,
    });
    net.queue = [];
    net.step(n2, { type: 'message', message: msg(term, term, 1) });
    // A new leader (n3, higher term) overwrites the entry before the first write completes.
    net.step(n2, { type: 'message', message: { ...msg(term + 1, term + 1, 1), from: n3 } });
    net.persist(n2);
    const acks = net.queue.filter((m) => m.type === 'AppendEntriesResponse');
    expect(acks).toHaveLength(1);
    expect(acks[0]).toMatchObject({ to: n3, success: true, term: term + 1 });
  });

  it('a completion for a write that was overwritten meanwhile is not taken as durability of the new one', () => {
    const net = new Net(3, { checkQuorum: false });
    net.elect(n1);
    net.deliverAll();
    net.autoPersist = false;
    const s = net.node(n2).status();
    const node = net.node(n2);
    const base = { type: 'AppendEntries', to: n2, prevLogIndex: s.lastIndex, prevLogTerm: Term(s.term), leaderCommit: 0 as never, seq: 1 } as const;
    node.process({ type: 'message', message: { ...base, from: n1, term: Term(s.term), entries: [{ kind: 'noop', index: (s.lastIndex + 1) as never, term: Term(s.term) }] } });
    node.process({ type: 'message', message: { ...base, from: n3, term: Term(s.term + 1), entries: [{ kind: 'noop', index: (s.lastIndex + 1) as never, term: Term(s.term + 1) }] } });
    // The first write's completion arrives: the index is the same, the term is not.
    const out = node.process({ type: 'logPersisted', upTo: (s.lastIndex + 1) as never, term: Term(s.term) });
    expect(node.status().persistedIndex).toBe(s.lastIndex);
    expect(out.effects.filter((e) => e.type === 'send')).toEqual([]);
  });
});
