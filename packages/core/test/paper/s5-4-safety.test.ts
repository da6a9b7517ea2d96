import { type RaftMessage, Term } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { Net, ids } from '../support/net.js';

const [s1, s2, s3, s4, s5] = ids(5) as [never, never, never, never, never];

/** Makes `id` campaign (again, up to 5 times) delivering only what `keep` allows, until it leads. */
function campaignWith(net: Net, id: never, keep: (m: RaftMessage) => boolean): void {
  for (let round = 0; round < 5 && net.node(id).status().role !== 'leader'; round++) {
    const term = net.node(id).status().term;
    for (let i = 0; i < 100 && net.node(id).status().term === term; i++) net.tick(id);
    for (let i = 0; i < 20 && net.queue.length > 0; i++) {
      net.queue = net.queue.filter(keep);
      net.deliverAll(1);
    }
  }
}

describe('§5.4 Safety', () => {
  it('a voter denies its vote to a candidate whose log is less up-to-date', () => {
    // "The voter denies its vote if its own log is more up-to-date than that of the
    // candidate." Reference: §5.4.1
    const net = new Net(3, { preVote: false, checkQuorum: false });
    const [a, b, c] = ids(3) as [never, never, never];
    net.elect(a);
    net.propose(a, 'x');
    net.queue = net.queue.filter((m) => m.to !== c);
    net.deliverAll();
    // c lacks 'x'; b has it. c campaigns: b must refuse.
    net.queue = [];
    const term = net.node(c).status().term;
    for (let i = 0; i < 40 && net.node(c).status().term === term; i++) net.tick(c);
    net.queue = net.queue.filter((m) => m.to === b);
    net.deliverAll(1);
    const reply = net.queue.find((m) => m.type === 'RequestVoteResponse' && m.from === b);
    expect(reply).toMatchObject({ granted: false });
    expect(net.eventsOf(b, 'voteRejected').at(-1)).toMatchObject({ reason: 'logNotUpToDate' });
  });

  it('Figure 8: a leader never commits an entry of an earlier term by counting replicas', () => {
    // "Raft never commits log entries from previous terms by counting replicas. Only log
    // entries from the leader's current term are committed by counting replicas." Reference: §5.4.2
    const net = new Net(5, { preVote: false, checkQuorum: false, maxMessageBytes: 1 });
    // (a) s1 leads, everyone has its no-op; s1 appends e2 and replicates it only to s2.
    net.elect(s1);
    net.tickAll();
    net.deliverAll();
    net.propose(s1, 'e2');
    net.queue = net.queue.filter((m) => m.to === s2);
    net.deliverAll();
    const e2Index = net.node(s1).status().lastIndex;
    // (b) s1 crashes; s5 is elected by s3, s4 and appends its own entry at e2's index; it crashes.
    net.crash(s1);
    campaignWith(net, s5, (m) => m.type === 'RequestVote' || m.type === 'RequestVoteResponse');
    expect(net.node(s5).status().role).toBe('leader');
    expect(net.node(s5).status().lastIndex).toBe(e2Index);
    net.queue = [];
    net.crash(s5);
    // (c) s1 restarts and is elected (s2, s3, s4); it replicates e2 to s3 but not its new no-op,
    // and learns that s2 and s3 hold e2.
    net.start(s1);
    campaignWith(net, s1, (m) => m.type === 'RequestVote' || m.type === 'RequestVoteResponse');
    expect(net.node(s1).status().role).toBe('leader');
    const commitBefore = net.node(s1).status().commitIndex;
    const term = net.node(s1).status().term;
    for (let i = 0; i < 200; i++) {
      // Let s2 and s3 catch up, but strip every entry of the new term from what reaches them.
      net.queue = net.queue
        .filter((m) => [m.to, m.from].some((id) => id === s2 || id === s3))
        .map((m) => (m.type === 'AppendEntries' ? { ...m, entries: m.entries.filter((e) => e.term !== term) } : m));
      if (net.deliverAll(1) === 0) net.tick(s1);
    }
    expect(net.node(s3).entries().find((e) => e.index === e2Index)?.kind).toBe('command');
    // e2 is now on s1, s2, s3 — a majority — yet it must not be committed.
    expect(net.node(s1).status().commitIndex).toBe(commitBefore);
    expect(net.node(s1).status().commitIndex).toBeLessThan(e2Index);
    // (d) s1 crashes; s5 restarts and wins with s2, s3, s4 (its last term is higher): e2 is
    // overwritten everywhere and nobody ever applied it.
    net.crash(s1);
    net.queue = [];
    net.start(s5);
    campaignWith(net, s5, () => true);
    expect(net.node(s5).status().role).toBe('leader');
    for (let i = 0; i < 30; i++) {
      net.tickAll();
      net.deliverAll();
    }
    for (const id of [s2, s3, s4, s5]) {
      expect(net.texts(id)).not.toContain('e2');
      expect(net.node(id).entries().find((e) => e.index === e2Index)?.term).toBe(net.node(s5).entries().find((e) => e.index === e2Index)?.term);
    }
  });

  it('Figure 8: an earlier-term entry commits once an entry of the current term is committed above it', () => {
    // "Once an entry from the current term has been committed in this way, then all prior
    // entries are committed indirectly because of the Log Matching Property." Reference: §5.4.2
    const net = new Net(3, { preVote: false, checkQuorum: false });
    const [a, b, c] = ids(3) as [never, never, never];
    net.elect(a);
    net.propose(a, 'old');
    net.queue = net.queue.filter((m) => m.to === b);
    net.deliverAll(1);
    net.queue = [];
    net.crash(a);
    net.start(a);
    // a is re-elected at a higher term with b's vote; its no-op commits 'old' indirectly.
    net.elect(a);
    for (let i = 0; i < 5; i++) {
      net.tickAll();
      net.deliverAll();
    }
    for (const id of [a, b, c]) expect(net.texts(id)).toEqual(['old']);
    expect(net.node(a).status().term).toBeGreaterThan(1);
    expect(Term(net.node(a).entries().at(-1)?.term ?? 0)).toBe(net.node(a).status().term);
  });

  it('a leader never overwrites or deletes entries in its own log', () => {
    // Leader Append-Only: "a leader never overwrites or deletes entries in its log; it only
    // appends new entries." Reference: §5.3, Figure 3
    const net = new Net(3, { preVote: false, checkQuorum: false });
    const [a, b] = ids(3) as [never, never, never];
    net.elect(a);
    net.propose(a, 'x');
    net.deliverAll();
    const before = net.node(a).entries();
    // A conflicting AppendEntries at the leader's own term is dropped, not applied.
    net.step(a, {
      type: 'message',
      message: {
        type: 'AppendEntries',
        from: b,
        to: a,
        term: Term(net.node(a).status().term),
        prevLogIndex: 0 as never,
        prevLogTerm: Term(0),
        entries: [{ kind: 'noop', index: 1 as never, term: Term(net.node(a).status().term) }],
        leaderCommit: 0 as never,
        seq: 1,
      },
    });
    expect(net.node(a).entries()).toEqual(before);
    expect(net.eventsOf(a, 'messageDropped').at(-1)).toMatchObject({ reason: 'unexpected' });
  });
});
