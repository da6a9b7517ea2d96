/**
 * Regressions for the findings of the core review against the paper (one test per finding),
 * so each stays fixed.
 */
import { type LogEntry, type LogIndex, type NodeId, type RaftEffect, type RaftMessage, Term } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { RaftNodeState } from '../src/index.js';
import { Net, ids } from './support/net.js';

const [n1, n2, n3] = ids(3) as [NodeId, NodeId, NodeId];

function stabilize(net: Net, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    net.tickAll();
    net.deliverAll();
  }
}

describe('review regressions', () => {
  it('a single-voter leader sends nothing until its term is durable (§5.2, INV-12)', () => {
    // n1 is the only voter, n2 a learner. Without the gate, entries of the new term reached the
    // learner before the leader's vote for itself was on disk; a crash then let it lead the
    // same term again with a different log.
    const node = new RaftNodeState({ id: n1, seed: 1, preVote: false }, { configuration: { voters: [n1], learners: [n2] } });
    const effects: RaftEffect[] = [];
    for (let i = 0; i < 30 && node.status().role !== 'leader'; i++) effects.push(...node.process({ type: 'tick' }).effects);
    expect(node.status().role).toBe('leader');
    effects.push(...node.process({ type: 'propose', requestId: 1, payload: new Uint8Array(1) }).effects);
    expect(effects.filter((e) => e.type === 'send')).toEqual([]);
    const meta = effects.find((e) => e.type === 'persistMeta');
    if (meta?.type !== 'persistMeta') throw new Error('no meta write');
    const released = node.process({ type: 'metaPersisted', meta: meta.meta, write: meta.write }).effects.filter((e) => e.type === 'send');
    // The meta is durable, the no-op and the command not yet: still held (they went after it).
    expect(released).toEqual([]);
    const appends = effects.filter((e) => e.type === 'appendLog');
    const last = appends.at(-1);
    if (last?.type !== 'appendLog') throw new Error('no append');
    const after = node.process({ type: 'logPersisted', upTo: last.entries.at(-1)?.index as LogIndex, term: node.status().term, write: last.write });
    expect(after.effects.some((e) => e.type === 'send' && e.message.to === n2)).toBe(true);
  });

  it('a leader elected after C_old,new committed still leaves the joint configuration (§4.3)', () => {
    const joint = { voters: [n1, n2, ids(4)[3] as NodeId], oldVoters: [n1, n2, n3], learners: [] };
    const entries: LogEntry[] = [
      { kind: 'noop', index: 1 as LogIndex, term: Term(1) },
      { kind: 'configuration', index: 2 as LogIndex, term: Term(1), configuration: joint },
    ];
    // Restarted from a snapshot at the joint entry: its commit index is already past it.
    const node = new RaftNodeState(
      { id: n1, seed: 1, preVote: false },
      { meta: { currentTerm: Term(1), votedFor: undefined }, entries, snapshot: { lastIncludedIndex: 2 as LogIndex, lastIncludedTerm: Term(1), configuration: joint } },
    );
    for (let i = 0; i < 30 && node.status().role !== 'candidate'; i++) node.process({ type: 'tick' });
    const term = node.status().term;
    node.process({ type: 'metaPersisted', meta: { currentTerm: term, votedFor: n1 } });
    const appended: RaftEffect[] = [];
    for (const from of [n2, ids(4)[3] as NodeId]) {
      appended.push(...node.process({ type: 'message', message: { type: 'RequestVoteResponse', from, to: n1, term, granted: true, preVote: false } }).effects);
    }
    expect(node.status().role).toBe('leader');
    const configurations = appended.flatMap((e) => (e.type === 'appendLog' ? e.entries.filter((x) => x.kind === 'configuration') : []));
    expect(configurations).toEqual([expect.objectContaining({ configuration: { voters: joint.voters, learners: [] } })]);
  });

  it('duplicated snapshot answers never multiply the transfer (one chunk in flight, INV-13)', () => {
    const net = new Net(3, { trailingLogEntries: 0, snapshotChunkBytes: 16 });
    net.elect(n1);
    stabilize(net, 2);
    net.isolate(n3);
    for (let i = 0; i < 20; i++) net.propose(n1, `entry-${i}`);
    stabilize(net, 2);
    const snapshot = net.takeSnapshot(n1);
    net.heal();
    let chunks = 0;
    net.tick(n1);
    for (let i = 0; i < 5000 && net.queue.length > 0; i++) {
      const m = net.queue[0] as RaftMessage;
      if (m.type === 'InstallSnapshot') chunks++;
      // Duplicate every message once.
      if (i % 2 === 0) net.queue.push(m);
      net.deliverAll(1);
    }
    expect(net.installed.filter((x) => x.id === n3)).toHaveLength(1);
    const needed = Math.ceil(snapshot.data.byteLength / 16);
    // Each chunk goes out about twice (the duplicate of its request), not geometrically more.
    expect(chunks).toBeLessThanOrEqual(3 * needed);
  });

  it('a transfer goes on with its snapshot when the leader saves newer ones meanwhile', () => {
    const net = new Net(3, { trailingLogEntries: 0, snapshotChunkBytes: 64 });
    net.elect(n1);
    stabilize(net, 2);
    net.isolate(n3);
    for (let i = 0; i < 30; i++) net.propose(n1, `entry-${i}`);
    stabilize(net, 2);
    net.takeSnapshot(n1);
    net.heal();
    for (let round = 0; round < 60; round++) {
      net.propose(n1, `more-${round}`);
      net.tickAll();
      // Two hops per round, and a new snapshot every few rounds: faster than the transfer.
      net.deliverAll(2);
      if (round % 3 === 0) net.takeSnapshot(n1);
    }
    stabilize(net, 40);
    expect(net.installed.filter((x) => x.id === n3).length).toBeGreaterThanOrEqual(1);
    expect(net.texts(n3)).toEqual(net.texts(n1));
  });

  it('a group commit acknowledged by write number completes the right write (logPersisted write)', () => {
    const f = new RaftNodeState({ id: n3 }, { configuration: { voters: [n1, n2, n3], learners: [] } });
    const cmd = (index: number, term: number, text: string): LogEntry => ({ kind: 'command', index: index as LogIndex, term: Term(term), payload: new TextEncoder().encode(text) });
    const writes: RaftEffect[] = [];
    const sends: RaftMessage[] = [];
    const feed = (from: NodeId, term: number, prev: number, prevTerm: number, entries: LogEntry[], seq: number): void => {
      const message: RaftMessage = { type: 'AppendEntries', from, to: n3, term: Term(term), prevLogIndex: prev as LogIndex, prevLogTerm: Term(prevTerm), entries, leaderCommit: 0 as LogIndex, seq };
      for (const e of f.process({ type: 'message', message }).effects) (e.type === 'send' ? sends.push(e.message) : writes.push(e));
    };
    feed(n1, 2, 0, 0, [cmd(1, 2, 'a'), cmd(2, 2, 'b'), cmd(3, 2, 'c')], 1);
    feed(n2, 3, 1, 2, [cmd(2, 3, 'x')], 1);
    feed(n1, 4, 1, 2, [cmd(2, 2, 'b'), cmd(3, 2, 'c')], 7);
    // Two pending writes end at (3, 2); the host group-commits and reports only the newest.
    const newest = writes.filter((e) => e.type === 'appendLog').at(-1);
    if (newest?.type !== 'appendLog') throw new Error('no append');
    for (const e of f.process({ type: 'logPersisted', upTo: 3 as LogIndex, term: Term(2), write: newest.write }).effects) if (e.type === 'send') sends.push(e.message);
    expect(f.status().persistedIndex).toBe(3);
    expect(sends.filter((m) => m.to === n1 && m.term === 4 && m.type === 'AppendEntriesResponse' && m.success)).not.toEqual([]);
  });

  it('a read pending when the configuration shrinks to the leader alone is answered', () => {
    const net = new Net(2);
    const [a, b] = ids(2) as [NodeId, NodeId];
    net.elect(a);
    stabilize(net, 2);
    net.crash(b);
    net.step(a, { type: 'read', requestId: 77 });
    net.step(a, { type: 'changeConfiguration', requestId: 5, change: { type: 'removeNode', nodeId: b } });
    // Without b nothing can commit the removal... unless b comes back once.
    net.start(b);
    stabilize(net, 5);
    const reads = (net.results.get(a) ?? []).filter((e) => e.type === 'readResult');
    expect(reads).toEqual([expect.objectContaining({ requestId: 77, result: expect.objectContaining({ status: 'ready' }) })]);
  });

  it('after a fatal persistence failure, pending reads and a pending transfer are answered', () => {
    const net = new Net(3);
    net.elect(n1);
    stabilize(net, 2);
    net.isolate(n1);
    net.step(n1, { type: 'read', requestId: 1 });
    net.step(n1, { type: 'transferLeadership', requestId: 2, target: n2 });
    net.step(n1, { type: 'persistenceFailed', operation: 'log', reason: 'EIO' });
    const answers = (net.results.get(n1) ?? []).filter((e) => e.type === 'readResult' || e.type === 'transferLeadershipResult');
    expect(answers).toEqual([
      { type: 'readResult', requestId: 1, result: { status: 'rejected', reason: 'failed' } },
      { type: 'transferLeadershipResult', requestId: 2, result: { status: 'rejected', reason: 'failed' } },
    ]);
  });

  it('boot drops the tail of a log that holds the snapshot index with another term', () => {
    const entries: LogEntry[] = [
      { kind: 'noop', index: 1 as LogIndex, term: Term(1) },
      { kind: 'noop', index: 2 as LogIndex, term: Term(3) },
      { kind: 'noop', index: 3 as LogIndex, term: Term(3) },
    ];
    const node = new RaftNodeState(
      { id: n2 },
      { entries, snapshot: { lastIncludedIndex: 2 as LogIndex, lastIncludedTerm: Term(2), configuration: { voters: ids(3), learners: [] } } },
    );
    expect(node.entries()).toEqual([]);
    expect(node.status()).toMatchObject({ lastIndex: 2, lastTerm: 2 });
  });
});
