/** Linearizable reads by read index (dissertation §6.4; reliability.md lesson 4). */
import type { NodeId, RaftEffect } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { Net, ids } from '../support/net.js';

const [n1, n2, n3] = ids(3) as [NodeId, NodeId, NodeId];
const reads = (net: Net, id: NodeId): RaftEffect[] => (net.results.get(id) ?? []).filter((e) => e.type === 'readResult');

describe('read index (dissertation §6.4)', () => {
  it('a read is ready only after a quorum confirms leadership, at the commit index', () => {
    // "The leader needs to make sure it hasn't been superseded by a newer leader ... it
    // issues a new round of heartbeats and waits for their acknowledgments from a majority." Reference: §6.4
    const net = new Net(3);
    net.elect(n1);
    net.deliverAll();
    net.queue = [];
    net.step(n1, { type: 'read', requestId: 1 });
    expect(reads(net, n1)).toEqual([]);
    expect(net.queue.filter((m) => m.type === 'AppendEntries').map((m) => m.to)).toEqual([n2, n3]);
    net.deliverAll();
    expect(reads(net, n1)).toEqual([{ type: 'readResult', requestId: 1, result: { status: 'ready', readIndex: net.node(n1).status().commitIndex } }]);
  });

  it('a new leader serves no read before an entry of its term commits (etcd #7331)', () => {
    // "the leader must have committed an entry from its current term before serving reads". Reference: §6.4
    const net = new Net(3);
    net.autoPersist = true;
    net.tick(n1, 30);
    // Deliver the votes only: n1 is leader but its no-op has not replicated.
    net.queue = net.queue.filter((m) => m.type === 'RequestVote' || m.type === 'RequestVoteResponse');
    while (net.queue.length > 0) {
      net.deliverAll(1);
      net.queue = net.queue.filter((m) => m.type === 'RequestVote' || m.type === 'RequestVoteResponse');
    }
    expect(net.node(n1).status().role).toBe('leader');
    net.step(n1, { type: 'read', requestId: 1 });
    net.deliverAll();
    expect(reads(net, n1)).toEqual([]);
    // The next heartbeat carries the no-op; once it commits, the read is confirmed.
    net.tick(n1, 2);
    net.deliverAll();
    net.deliverAll();
    const ready = reads(net, n1);
    expect(ready).toHaveLength(1);
    // The read index covers the new leader's first entry of its term.
    expect(ready[0]).toMatchObject({ result: { status: 'ready', readIndex: net.node(n1).status().commitIndex } });
    const first = net.node(n1).entries().find((e) => e.index === (ready[0] as { result: { readIndex: number } }).result.readIndex);
    expect(first?.term).toBe(net.node(n1).status().term);
  });

  it('a leader cut off from the quorum never confirms a read, and fails it when it steps down', () => {
    const net = new Net(3);
    net.elect(n1);
    net.deliverAll();
    net.isolate(n1);
    net.step(n1, { type: 'read', requestId: 1 });
    net.tick(n1, 30);
    expect(net.node(n1).status().role).toBe('follower');
    expect(reads(net, n1)).toEqual([{ type: 'readResult', requestId: 1, result: { status: 'rejected', reason: 'noLeader' } }]);
  });

  it('a follower redirects reads to the leader', () => {
    const net = new Net(3);
    net.elect(n1);
    net.deliverAll();
    net.step(n2, { type: 'read', requestId: 4 });
    expect(reads(net, n2)).toEqual([{ type: 'readResult', requestId: 4, result: { status: 'redirected', leaderId: n1 } }]);
  });

  it('a single-node leader serves reads without a round trip', () => {
    const net = new Net(1);
    const [solo] = ids(1) as [NodeId];
    net.elect(solo);
    net.step(solo, { type: 'read', requestId: 1 });
    expect(reads(net, solo)).toHaveLength(1);
  });
});
