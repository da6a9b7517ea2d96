/**
 * Pre-vote (dissertation §9.6), check-quorum (§6.2) and the minimum-election-timeout rule
 * (§4.2.3), including the partial-connectivity cases real deployments hit (reliability.md
 * group H, lesson 3).
 */
import type { NodeId } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { Net, ids } from '../support/net.js';

function stabilize(net: Net, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    net.tickAll();
    net.deliverAll();
  }
}

function leaders(net: Net): NodeId[] {
  return [...net.nodes.keys()].filter((id) => net.node(id).status().role === 'leader');
}

describe('pre-vote (dissertation §9.6)', () => {
  it('a pre-candidate does not raise its term until a quorum would vote for it', () => {
    // "a candidate would first ask other servers whether its log was up-to-date enough to get
    // their vote. Only if the candidate believed it could get votes from a majority of the
    // cluster would it increment its term and start a normal election." Reference: §9.6
    const net = new Net(3);
    const [a] = ids(3) as [NodeId];
    net.isolate(a);
    net.tick(a, 200);
    const s = net.node(a).status();
    expect(s.term).toBe(0);
    expect(s.role).toBe('preCandidate');
    expect(net.eventsOf(a, 'electionStarted').every((e) => e.type === 'electionStarted' && e.preVote)).toBe(true);
  });

  it('an isolated follower that rejoins does not disrupt the leader or raise the term (H3)', () => {
    // Reference: §9.6; reliability.md H3, A2
    const net = new Net(3);
    const [a, , c] = ids(3) as [NodeId, NodeId, NodeId];
    net.elect(a);
    stabilize(net, 5);
    const term = net.node(a).status().term;
    net.isolate(c);
    for (let i = 0; i < 100; i++) {
      net.tickAll();
      net.deliverAll();
    }
    net.propose(a, 'while-away');
    stabilize(net, 3);
    net.heal();
    stabilize(net, 50);
    expect(leaders(net)).toEqual([a]);
    expect(net.node(a).status().term).toBe(term);
    expect(net.node(c).status().term).toBe(term);
    expect(net.texts(c)).toEqual(['while-away']);
  });

  it('without pre-vote the same rejoin forces a new election (control run)', () => {
    // Shows the scenario above is meaningful. Reference: §9.6
    const net = new Net(3, { preVote: false, checkQuorum: false });
    const [a, , c] = ids(3) as [NodeId, NodeId, NodeId];
    net.elect(a);
    stabilize(net, 5);
    const term = net.node(a).status().term;
    net.isolate(c);
    stabilize(net, 100);
    net.heal();
    stabilize(net, 50);
    expect(net.node(a).status().term).toBeGreaterThan(term);
  });
});

describe('check-quorum (dissertation §6.2) and the minimum election timeout (§4.2.3)', () => {
  it('a leader that cannot hear from a quorum steps down within two election timeouts (A3)', () => {
    // Reference: §6.2; reliability.md A3
    const net = new Net(5, { electionTicks: 10 });
    const [a, b] = ids(5) as [NodeId, NodeId];
    net.elect(a);
    stabilize(net, 5);
    for (const x of ids(5)) {
      for (const y of ids(5)) {
        const sideA = x === a || x === b;
        const sideB = y === a || y === b;
        if (sideA !== sideB) net.cut.add(`${x}->${y}`);
      }
    }
    let ticks = 0;
    while (net.node(a).status().role === 'leader' && ticks < 100) {
      net.tickAll();
      net.deliverAll();
      ticks++;
    }
    expect(net.node(a).status().role).not.toBe('leader');
    expect(ticks).toBeLessThanOrEqual(20);
    expect(net.eventsOf(a, 'leaderLost').at(-1)).toMatchObject({ reason: 'checkQuorum' });
    // The majority side elects its own leader.
    stabilize(net, 60);
    expect(leaders(net).filter((id) => id !== a && id !== b)).toHaveLength(1);
  });

  it('a follower that heard from the leader within the election timeout ignores vote requests', () => {
    // "if a server receives a RequestVote request within the minimum election timeout of
    // hearing from a current leader, it does not update its term or grant its vote." Reference: §4.2.3
    const net = new Net(3);
    const [a, b, c] = ids(3) as [NodeId, NodeId, NodeId];
    net.elect(a);
    stabilize(net, 2);
    const term = net.node(b).status().term;
    net.step(b, {
      type: 'message',
      message: { type: 'RequestVote', from: c, to: b, term: (term + 5) as never, lastLogIndex: 99 as never, lastLogTerm: (term + 1) as never, preVote: false, leadershipTransfer: false },
    });
    expect(net.node(b).status().term).toBe(term);
    expect(net.node(b).status().leaderId).toBe(a);
    expect(net.eventsOf(b, 'voteRejected').at(-1)).toMatchObject({ reason: 'leaderActive' });
  });

  it('a dead leader is still replaced promptly (H7)', () => {
    // Followers stop honouring the lease once an election timeout passes without contact. Reference: §4.2.3
    const net = new Net(3, { electionTicks: 10 });
    const [a] = ids(3) as [NodeId];
    net.elect(a);
    stabilize(net, 5);
    net.crash(a);
    let ticks = 0;
    while (leaders(net).length === 0 && ticks < 200) {
      net.tickAll();
      net.deliverAll();
      ticks++;
    }
    expect(leaders(net)).toHaveLength(1);
    expect(ticks).toBeLessThanOrEqual(3 * 20);
  });
});

describe('partial partitions (reliability.md group H)', () => {
  it('a node cut off from the leader only does not disrupt it (H2, the Cloudflare case)', () => {
    // n1↔n3 broken both ways, n2 connected to both; n3 leads. Reference: §9.6, §4.2.3
    const net = new Net(3);
    const [n1, , n3] = ids(3) as [NodeId, NodeId, NodeId];
    net.elect(n3);
    stabilize(net, 5);
    const term = net.node(n3).status().term;
    net.cut.add(`${n1}->${n3}`).add(`${n3}->${n1}`);
    for (let i = 0; i < 300; i++) {
      if (i % 10 === 0) net.propose(n3, `w${i}`);
      net.tickAll();
      net.deliverAll();
    }
    expect(leaders(net)).toEqual([n3]);
    expect(net.node(n3).status().term).toBe(term);
    expect(net.node(n1).status().term).toBe(term);
    expect(net.texts(n3)).toHaveLength(30);
  });

  it('the 5-node partial-connectivity counterexample keeps a stable leader (H1)', () => {
    // {1,2,3} fully connected; 4↔2 only; 5↔3 only; leader 3. Reference: §9.6; reliability.md H1
    const net = new Net(5);
    const [n1, n2, n3, n4, n5] = ids(5) as [NodeId, NodeId, NodeId, NodeId, NodeId];
    net.elect(n3);
    stabilize(net, 5);
    const term = net.node(n3).status().term;
    const allowed = new Set([`${n1}${n2}`, `${n1}${n3}`, `${n2}${n3}`, `${n2}${n4}`, `${n3}${n5}`]);
    for (const x of ids(5)) {
      for (const y of ids(5)) {
        if (x !== y && !allowed.has(`${x}${y}`) && !allowed.has(`${y}${x}`)) net.cut.add(`${x}->${y}`);
      }
    }
    for (let i = 0; i < 500; i++) {
      if (i % 10 === 0) net.propose(n3, `w${i}`);
      net.tickAll();
      net.deliverAll();
    }
    expect(leaders(net)).toEqual([n3]);
    expect(net.node(n3).status().term).toBe(term);
    expect(net.texts(n3)).toHaveLength(50);
    expect(net.node(n4).status().term).toBe(term);
  });
});
