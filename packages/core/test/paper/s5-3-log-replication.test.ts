import { type AppendEntries, type AppendEntriesResponse, type LogEntry, type NodeId, type RaftMessage, Term } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { RaftNodeState } from '../../src/index.js';
import { Net, ids } from '../support/net.js';

const [n1, n2, n3] = ids(3) as [NodeId, NodeId, NodeId];
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function entry(index: number, term: number, text = `e${index}`): LogEntry {
  return { kind: 'command', index: index as never, term: Term(term), payload: bytes(text) };
}

/** A follower n2 booted with `terms[i]` as the term of entry i+1, at `currentTerm`. */
function follower(terms: number[], currentTerm: number): RaftNodeState {
  return new RaftNodeState(
    { id: n2, seed: 2 },
    {
      meta: { currentTerm: Term(currentTerm), votedFor: undefined },
      entries: terms.map((t, i) => entry(i + 1, t)),
      configuration: { voters: [n1, n2, n3], learners: [] },
    },
  );
}

function append(prevLogIndex: number, prevLogTerm: number, entries: LogEntry[], term: number, leaderCommit = 0): RaftMessage {
  return {
    type: 'AppendEntries',
    from: n1,
    to: n2,
    term: Term(term),
    prevLogIndex: prevLogIndex as never,
    prevLogTerm: Term(prevLogTerm),
    entries,
    leaderCommit: leaderCommit as never,
    seq: 1,
  } satisfies AppendEntries;
}

function responseOf(node: RaftNodeState, message: RaftMessage): { response: AppendEntriesResponse | undefined; effects: string[] } {
  const { effects } = node.process({ type: 'message', message });
  let response = effects.flatMap((e) => (e.type === 'send' && e.message.type === 'AppendEntriesResponse' ? [e.message] : []))[0];
  const writes = effects.filter((e) => e.type === 'appendLog');
  if (response === undefined && writes.length > 0) {
    // Acknowledgements wait for durability: complete the write and the reply appears.
    const last = (writes.at(-1) as { entries: LogEntry[] }).entries.at(-1) as LogEntry;
    const after = node.process({ type: 'logPersisted', upTo: last.index, term: last.term });
    response = after.effects.flatMap((e) => (e.type === 'send' && e.message.type === 'AppendEntriesResponse' ? [e.message] : []))[0];
  }
  return { response, effects: effects.map((e) => e.type) };
}

describe('§5.3 Log replication', () => {
  it('a follower rejects AppendEntries whose previous entry it lacks, hinting its last index', () => {
    // "If a follower does not find an entry in its log with the same index and term, then it
    // refuses the new entries." Reference: §5.3
    const node = follower([1, 1], 2);
    const { response } = responseOf(node, append(5, 2, [], 2));
    expect(response).toMatchObject({ success: false, matchIndex: 5, conflictIndex: 3, lastLogIndex: 2 });
    expect(response?.conflictTerm).toBeUndefined();
  });

  it('a follower rejects a previous entry with another term, hinting the first index of its conflicting term', () => {
    // The §5.3 optimization: "the follower can include the term of the conflicting entry and
    // the first index it stores for that term." Reference: §5.3
    const node = follower([1, 2, 2, 2], 3);
    const { response } = responseOf(node, append(4, 3, [], 3));
    expect(response).toMatchObject({ success: false, conflictTerm: 2, conflictIndex: 2 });
  });

  it('conflicting entries are deleted with all that follow, and new ones appended', () => {
    // "If an existing entry conflicts with a new one (same index but different terms), delete
    // the existing entry and all that follow it." Reference: §5.3, Figure 2
    const node = follower([1, 1, 1, 1], 2);
    const { response, effects } = responseOf(node, append(2, 1, [entry(3, 2, 'new')], 2));
    expect(effects).toEqual(['truncateLog', 'appendLog']);
    expect(response).toMatchObject({ success: true, matchIndex: 3 });
    expect(node.entries().map((e) => e.term)).toEqual([1, 1, 2]);
  });

  it('a duplicate or delayed AppendEntries never truncates matching entries', () => {
    // Figure 2 rule 3 truncates only on a conflict (reliability.md B8). Reference: §5.3
    const node = follower([2, 2, 2, 2, 2], 2);
    const { response, effects } = responseOf(node, append(1, 2, [entry(2, 2), entry(3, 2)], 2));
    expect(effects).not.toContain('truncateLog');
    expect(node.entries()).toHaveLength(5);
    expect(response).toMatchObject({ success: true, matchIndex: 3 });
  });

  it('a follower advances its commit index to min(leaderCommit, last new entry) and applies in order', () => {
    // "If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new
    // entry)." Reference: §5.3, Figure 2
    const node = follower([1], 1);
    const first = node.process({ type: 'message', message: append(1, 1, [entry(2, 1)], 1, 10) });
    expect(node.status().commitIndex).toBe(2);
    // Entry 1 is durable and applies at once; entry 2 only once its write completes.
    const second = node.process({ type: 'logPersisted', upTo: 2 as never, term: Term(1) });
    const applied = [...first.effects, ...second.effects].flatMap((e) => (e.type === 'apply' ? e.entries.map((x) => x.index) : []));
    expect(applied).toEqual([1, 2]);
  });

  it('the leader finds the match point in one round trip per conflicting term', () => {
    // "one AppendEntries RPC will be required for each term with conflicting entries, rather
    // than one RPC per entry." Reference: §5.3 (reliability.md B5)
    const net = new Net(3, { preVote: false, checkQuorum: false }, {
      n1: [1, 1, 1, 4, 4, 4, 4],
      n2: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
      n3: [1, 1, 1, 4, 4, 4, 4],
    });
    net.elect(n1);
    for (let i = 0; i < 3; i++) {
      net.tickAll();
      net.deliverAll();
    }
    // Two conflicting terms on n2 (2 and 3): two rejections, not thirteen.
    expect(net.eventsOf(n2, 'appendRejected')).toHaveLength(2);
    expect(net.node(n2).entries().map((e) => e.term)).toEqual(net.node(n1).entries().map((e) => e.term));
    expect(net.node(n2).status().commitIndex).toBe(net.node(n1).status().commitIndex);
  });

  it('pipelined AppendEntries stay within the in-flight window and entries are batched by size', () => {
    // Flow control (etcd MaxInflightMsgs; reliability.md B10). Reference: §5.3, dissertation §10.2
    const net = new Net(3, { maxInflightMessages: 4, maxMessageBytes: 200 });
    net.elect(n1);
    net.deliverAll();
    net.queue = [];
    for (let i = 0; i < 40; i++) net.propose(n1, 'x'.repeat(50));
    const toN2 = net.queue.filter((m): m is AppendEntries => m.type === 'AppendEntries' && m.to === n2);
    expect(toN2.length).toBe(4);
    for (const m of toN2) expect(m.entries.length).toBeGreaterThanOrEqual(1);
    const progress = net.node(n1).status().progress.find((p) => p.nodeId === n2);
    expect(progress?.inflightMessages).toBe(4);
    net.deliverAll();
    for (let i = 0; i < 3; i++) {
      net.tickAll();
      net.deliverAll();
    }
    // Once acknowledged, later messages carry several entries up to the byte limit.
    expect(net.texts(n2)).toHaveLength(40);
    expect(net.node(n1).status().progress.every((p) => p.inflightMessages === 0)).toBe(true);
  });

  it('a stale rejection never moves the match index back', () => {
    // Reordered responses (reliability.md B7). Reference: §5.3
    const net = new Net(3);
    net.elect(n1);
    net.propose(n1, 'a');
    net.propose(n1, 'b');
    net.deliverAll();
    const before = net.node(n1).status().progress.find((p) => p.nodeId === n2);
    const term = net.node(n1).status().term;
    net.step(n1, {
      type: 'message',
      message: { type: 'AppendEntriesResponse', from: n2, to: n1, term: Term(term), success: false, matchIndex: 1 as never, conflictIndex: 1 as never, lastLogIndex: 0 as never, seq: 1 },
    });
    const after = net.node(n1).status().progress.find((p) => p.nodeId === n2);
    expect(after?.matchIndex).toBe(before?.matchIndex);
    expect(after?.state).toBe('replicate');
  });

  it('followers learn the commit index from heartbeats without new proposals', () => {
    // Reliability.md B11: the leader's commit index travels in every AppendEntries. Reference: §5.3
    const net = new Net(3);
    net.elect(n1);
    net.propose(n1, 'x');
    // Deliver the entry, drop the messages that would carry the new commit index.
    net.deliverAll();
    expect(net.texts(n1)).toEqual(['x']);
    net.tick(n1, 2);
    net.deliverAll();
    expect(net.texts(n2)).toEqual(['x']);
    expect(net.texts(n3)).toEqual(['x']);
  });
});
