/** Leadership transfer (dissertation §3.10). */
import type { NodeId, RaftEffect } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { Net, ids } from '../support/net.js';

const [n1, n2, n3] = ids(3) as [NodeId, NodeId, NodeId];
const transfers = (net: Net, id: NodeId): RaftEffect[] => (net.results.get(id) ?? []).filter((e) => e.type === 'transferLeadershipResult');

function stabilize(net: Net, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    net.tickAll();
    net.deliverAll();
  }
}

describe('leadership transfer (dissertation §3.10)', () => {
  it('hands leadership to an up-to-date target through TimeoutNow', () => {
    // "The prior leader sends a TimeoutNow request to the target server ... the target server
    // starts a new election." Reference: §3.10
    const net = new Net(3);
    net.elect(n1);
    stabilize(net, 3);
    net.step(n1, { type: 'transferLeadership', requestId: 1, target: n2 });
    net.deliverAll();
    stabilize(net, 2);
    expect(net.node(n2).status().role).toBe('leader');
    expect(net.node(n1).status().role).toBe('follower');
    expect(transfers(net, n1)).toEqual([{ type: 'transferLeadershipResult', requestId: 1, result: { status: 'completed', leaderId: n2 } }]);
    expect(net.eventsOf(n1, 'leadershipTransferFinished')).toEqual([{ type: 'leadershipTransferFinished', target: n2, succeeded: true }]);
  });

  it('brings a lagging target up to date first, refusing proposals meanwhile', () => {
    // "The prior leader stops accepting new client requests ... [and] brings the target
    // server's log up to date." Reference: §3.10
    const net = new Net(3);
    net.elect(n1);
    stabilize(net, 2);
    net.cut.add(`${n1}->${n3}`);
    for (let i = 0; i < 5; i++) net.propose(n1, `x${i}`);
    net.deliverAll();
    net.heal();
    net.step(n1, { type: 'transferLeadership', requestId: 2, target: n3 });
    const refused = net.node(n1).process({ type: 'propose', requestId: 3, payload: new Uint8Array(1) });
    expect(refused.effects.find((e) => e.type === 'proposalResult')).toMatchObject({ result: { status: 'rejected', reason: 'transferInProgress' } });
    stabilize(net, 5);
    expect(net.node(n3).status().role).toBe('leader');
    expect(net.texts(n3)).toEqual(['x0', 'x1', 'x2', 'x3', 'x4']);
  });

  it('times out after an election timeout when the target cannot be reached, and resumes', () => {
    // "If the transfer does not complete within about an election timeout, the prior leader
    // aborts the transfer and resumes accepting client requests." Reference: §3.10
    const net = new Net(3, { electionTicks: 10 });
    net.elect(n1);
    stabilize(net, 2);
    net.isolate(n3);
    net.step(n1, { type: 'transferLeadership', requestId: 4, target: n3 });
    for (let i = 0; i < 10; i++) {
      net.tick(n1);
      net.tick(n2);
      net.deliverAll();
    }
    expect(transfers(net, n1)).toEqual([{ type: 'transferLeadershipResult', requestId: 4, result: { status: 'timedOut' } }]);
    expect(net.node(n1).status().role).toBe('leader');
    const out = net.node(n1).process({ type: 'propose', requestId: 5, payload: new Uint8Array(1) });
    expect(out.effects.find((e) => e.type === 'proposalResult')).toMatchObject({ result: { status: 'appended' } });
  });

  it('without a target, picks the most up-to-date voter', () => {
    const net = new Net(3);
    net.elect(n1);
    stabilize(net, 2);
    net.cut.add(`${n1}->${n2}`);
    net.propose(n1, 'only-n3');
    net.deliverAll();
    net.heal();
    net.step(n1, { type: 'transferLeadership', requestId: 6 });
    expect(net.eventsOf(n1, 'leadershipTransferStarted').at(-1)).toMatchObject({ target: n3 });
  });

  it('refuses a target that is not a voter, and a second transfer while one is pending', () => {
    const net = new Net(3);
    net.elect(n1);
    net.step(n1, { type: 'transferLeadership', requestId: 7, target: 'n9' as NodeId });
    expect(transfers(net, n1).at(-1)).toMatchObject({ result: { status: 'rejected', reason: 'invalidChange' } });
    net.isolate(n2);
    net.step(n1, { type: 'transferLeadership', requestId: 8, target: n2 });
    net.step(n1, { type: 'transferLeadership', requestId: 9, target: n3 });
    expect(transfers(net, n1).at(-1)).toMatchObject({ requestId: 9, result: { status: 'rejected', reason: 'transferInProgress' } });
    net.step(n1, { type: 'transferLeadership', requestId: 10, target: n1 });
    expect(transfers(net, n1).at(-1)).toMatchObject({ requestId: 10, result: { status: 'rejected', reason: 'transferInProgress' } });
  });
});
