import {
  type ClusterConfiguration,
  type InstallSnapshot,
  type LogEntry,
  type NodeId,
  type RaftEffect,
  type RaftMessage,
  Term,
} from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { RaftNodeState } from '../../src/index.js';
import { Net, ids } from '../support/net.js';

const [n1, n2, n3] = ids(3) as [NodeId, NodeId, NodeId];
const configuration: ClusterConfiguration = { voters: ids(3), learners: [] };

function stabilize(net: Net, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    net.tickAll();
    net.deliverAll();
  }
}

function follower(terms: number[], currentTerm: number, extra: Partial<ConstructorParameters<typeof RaftNodeState>[0]> = {}): RaftNodeState {
  const entries: LogEntry[] = terms.map((t, i) => ({ kind: 'noop', index: (i + 1) as never, term: Term(t) }));
  return new RaftNodeState({ id: n2, seed: 2, ...extra }, { meta: { currentTerm: Term(currentTerm), votedFor: undefined }, entries, configuration });
}

function chunk(index: number, term: number, offset: number, bytes: number, size: number, leaderTerm = term): InstallSnapshot {
  return {
    type: 'InstallSnapshot',
    from: n1,
    to: n2,
    term: Term(leaderTerm),
    lastIncludedIndex: index as never,
    lastIncludedTerm: Term(term),
    configuration,
    offset,
    data: new Uint8Array(bytes).fill(7),
    done: offset + bytes === size,
    size,
  };
}

const sent = (effects: readonly RaftEffect[]): RaftMessage[] => effects.flatMap((e) => (e.type === 'send' ? [e.message] : []));

describe('§7 Log compaction', () => {
  it('a saved snapshot compacts the log prefix, keeping the configured trailing entries', () => {
    // "Each server takes snapshots independently, covering just the committed entries in its
    // log." Reference: §7
    const net = new Net(3, { trailingLogEntries: 3 });
    net.elect(n1);
    for (let i = 0; i < 10; i++) net.propose(n1, `x${i}`);
    net.deliverAll();
    const snapshot = net.takeSnapshot(n1);
    const s = net.node(n1).status();
    expect(s.snapshotIndex).toBe(snapshot.index);
    expect(s.firstIndex).toBe(snapshot.index - 2);
    expect(net.storage.get(n1)?.log[0]?.index).toBe(snapshot.index - 2);
  });

  it('a snapshot beyond the applied index is a contract violation', () => {
    const net = new Net(3);
    net.elect(n1);
    expect(() => net.step(n1, { type: 'snapshotSaved', lastIncludedIndex: 99 as never, lastIncludedTerm: Term(1) })).toThrowError(
      expect.objectContaining({ code: 'ILLEGAL_STATE' }),
    );
  });

  it('the leader sends a snapshot, in chunks, to a follower whose entries are compacted, and it catches up', () => {
    // "the leader must occasionally send snapshots to followers that lag behind." Reference: §7
    const net = new Net(3, { trailingLogEntries: 0, snapshotChunkBytes: 64 });
    net.elect(n1);
    stabilize(net, 2);
    net.isolate(n3);
    for (let i = 0; i < 20; i++) net.propose(n1, `entry-${i}`);
    stabilize(net, 2);
    net.takeSnapshot(n1);
    net.heal();
    let maxChunksInFlight = 0;
    for (let i = 0; i < 60; i++) {
      net.tickAll();
      while (net.queue.length > 0) {
        maxChunksInFlight = Math.max(maxChunksInFlight, net.queue.filter((m) => m.type === 'InstallSnapshot' && m.to === n3).length);
        net.deliverAll(1);
      }
    }
    expect(net.eventsOf(n1, 'followerNeedsSnapshot').length).toBe(1);
    expect(net.installed.filter((x) => x.id === n3)).toHaveLength(1);
    expect(maxChunksInFlight).toBe(1);
    expect(net.texts(n3)).toEqual(net.texts(n1));
    expect(net.node(n3).status()).toMatchObject({ commitIndex: net.node(n1).status().commitIndex, snapshotIndex: net.installed[0]?.index });
    // Replication continues from the log afterwards.
    net.propose(n1, 'after');
    stabilize(net, 2);
    expect(net.texts(n3).at(-1)).toBe('after');
  });

  it('a lost chunk is sent again after an election timeout', () => {
    const net = new Net(3, { trailingLogEntries: 0, snapshotChunkBytes: 64, electionTicks: 10 });
    net.elect(n1);
    stabilize(net, 2);
    net.isolate(n3);
    for (let i = 0; i < 10; i++) net.propose(n1, `e${i}`);
    stabilize(net, 2);
    net.takeSnapshot(n1);
    net.heal();
    // Drop the first chunk.
    net.tick(n1);
    net.queue = net.queue.filter((m) => m.type !== 'InstallSnapshot');
    for (let i = 0; i < 40; i++) {
      net.tickAll();
      net.deliverAll();
    }
    expect(net.texts(n3)).toEqual(net.texts(n1));
  });

  it('a crash in the middle of a transfer leaves the previous state, and the transfer starts over', () => {
    // The follower replaces its state only when the whole snapshot is saved. Reference: §7
    const net = new Net(3, { trailingLogEntries: 0, snapshotChunkBytes: 32 });
    net.elect(n1);
    stabilize(net, 2);
    net.isolate(n3);
    for (let i = 0; i < 10; i++) net.propose(n1, `e${i}`);
    stabilize(net, 2);
    net.takeSnapshot(n1);
    net.heal();
    const before = net.texts(n3);
    net.tick(n1);
    for (let i = 0; i < 100 && (net.storage.get(n3)?.incoming?.length ?? 0) < 2; i++) net.deliverAll(1);
    expect(net.storage.get(n3)?.incoming?.length ?? 0).toBe(2);
    net.crash(n3);
    net.start(n3);
    expect(net.texts(n3)).toEqual(before);
    expect(net.storage.get(n3)?.snapshot).toBeUndefined();
    stabilize(net, 60);
    expect(net.texts(n3)).toEqual(net.texts(n1));
  });

  it('chunks are accepted in order only: a duplicate or out-of-order chunk is answered with the expected offset', () => {
    const node = follower([1], 1);
    const first = node.process({ type: 'message', message: chunk(5, 1, 0, 10, 30) });
    expect(first.effects.map((e) => e.type)).toEqual(['installSnapshotChunk', 'send']);
    expect(sent(first.effects)[0]).toMatchObject({ type: 'InstallSnapshotResponse', nextOffset: 10, installed: false });
    const gap = node.process({ type: 'message', message: chunk(5, 1, 20, 10, 30) });
    expect(gap.effects.map((e) => e.type)).toEqual(['send']);
    expect(sent(gap.effects)[0]).toMatchObject({ nextOffset: 10 });
    // A duplicate of the first chunk from the same leader is not a restart: we say where we are.
    const duplicate = node.process({ type: 'message', message: chunk(5, 1, 0, 10, 30) });
    expect(duplicate.effects.map((e) => e.type)).toEqual(['send']);
    expect(sent(duplicate.effects)[0]).toMatchObject({ nextOffset: 10 });
    // Offset 0 from a leader of a newer term starts the transfer over.
    const restart = node.process({ type: 'message', message: chunk(5, 1, 0, 10, 30, 2) });
    expect(restart.effects.map((e) => e.type)).toEqual(['persistMeta', 'installSnapshotChunk', 'send']);
    const unknown = follower([1], 1).process({ type: 'message', message: chunk(5, 1, 10, 10, 30) });
    expect(sent(unknown.effects)[0]).toMatchObject({ nextOffset: 0, installed: false });
  });

  it('an InstallSnapshot with a stale term is rejected', () => {
    // "Reply immediately if term < currentTerm." Reference: §7, Figure 13
    const node = follower([1, 2], 3);
    const out = node.process({ type: 'message', message: chunk(5, 2, 0, 10, 10, 2) });
    expect(out.effects).toEqual([]);
    expect(out.events).toContainEqual(expect.objectContaining({ type: 'messageDropped', reason: 'staleTerm' }));
  });

  it('a snapshot older than the follower commit index is ignored', () => {
    const node = follower([1, 1, 1, 1], 1);
    node.process({
      type: 'message',
      message: { type: 'AppendEntries', from: n1, to: n2, term: Term(1), prevLogIndex: 4 as never, prevLogTerm: Term(1), entries: [], leaderCommit: 4 as never, seq: 1 },
    });
    expect(node.status().commitIndex).toBe(4);
    const out = node.process({ type: 'message', message: chunk(3, 1, 0, 10, 10) });
    expect(out.effects.map((e) => e.type)).toEqual(['send']);
    expect(sent(out.effects)[0]).toMatchObject({ type: 'InstallSnapshotResponse', installed: true, lastIncludedIndex: 3 });
    expect(node.status().lastIndex).toBe(4);
  });

  it('a follower whose log holds the snapshot last entry with the same term keeps the entries after it', () => {
    // "If existing log entry has same index and term as snapshot's last included entry,
    // retain log entries following it and reply." Reference: §7, Figure 13
    const node = follower([1, 1, 1, 1, 1], 1);
    node.process({ type: 'message', message: chunk(3, 1, 0, 10, 10) });
    const out = node.process({ type: 'snapshotInstalled', lastIncludedIndex: 3 as never, lastIncludedTerm: Term(1) });
    expect(out.effects.map((e) => e.type)).toEqual(['compactLog', 'send']);
    expect(node.entries().map((e) => e.index)).toEqual([4, 5]);
    expect(node.status()).toMatchObject({ snapshotIndex: 3, commitIndex: 3, appliedIndex: 3, lastIndex: 5 });
    expect(sent(out.effects)[0]).toMatchObject({ installed: true, lastIncludedIndex: 3 });
  });

  it('otherwise the follower discards its whole log', () => {
    // "Discard the entire log." Reference: §7, Figure 13
    const node = follower([1, 1, 1, 1, 1], 2);
    node.process({ type: 'message', message: chunk(4, 2, 0, 10, 10) });
    const out = node.process({ type: 'snapshotInstalled', lastIncludedIndex: 4 as never, lastIncludedTerm: Term(2) });
    expect(out.effects).toContainEqual({ type: 'compactLog', upTo: 4, term: 2 });
    expect(node.entries()).toEqual([]);
    expect(node.status()).toMatchObject({ snapshotIndex: 4, lastIndex: 4, lastTerm: 2, persistedIndex: 4 });
  });

  it('nothing is applied while the host installs a snapshot, and the node does not campaign', () => {
    const node = follower([1], 1, { electionTicks: 5 });
    node.process({ type: 'message', message: chunk(5, 1, 0, 10, 10) });
    // Entries arrive from the leader meanwhile, with a commit index beyond the snapshot.
    const append = node.process({
      type: 'message',
      message: { type: 'AppendEntries', from: n1, to: n2, term: Term(1), prevLogIndex: 1 as never, prevLogTerm: Term(1), entries: [], leaderCommit: 1 as never, seq: 2 },
    });
    expect(append.effects.filter((e) => e.type === 'apply')).toEqual([]);
    for (let i = 0; i < 50; i++) expect(node.process({ type: 'tick' }).events.filter((e) => e.type === 'electionStarted')).toEqual([]);
    expect(() => node.process({ type: 'snapshotInstalled', lastIncludedIndex: 6 as never, lastIncludedTerm: Term(1) })).toThrowError(
      expect.objectContaining({ code: 'ILLEGAL_STATE' }),
    );
  });

  it('a node restarted from a snapshot and its log resumes where it stopped', () => {
    const net = new Net(3, { trailingLogEntries: 0 });
    net.elect(n1);
    for (let i = 0; i < 5; i++) net.propose(n1, `a${i}`);
    stabilize(net, 2);
    net.takeSnapshot(n2);
    for (let i = 0; i < 3; i++) net.propose(n1, `b${i}`);
    stabilize(net, 2);
    const texts = net.texts(n2);
    net.crash(n2);
    net.start(n2);
    expect(net.node(n2).status().snapshotIndex).toBeGreaterThan(0);
    stabilize(net, 5);
    expect(net.texts(n2)).toEqual(texts);
    expect(net.texts(n2)).toEqual(net.texts(n1));
  });

  it('boot raises the term to the snapshot term when the snapshot outlived a lost meta write', () => {
    // A received snapshot can become durable before the meta write of its term (they go to
    // different stores); the node did accept that term and never voted in it.
    const node = new RaftNodeState(
      { id: n2 },
      { meta: { currentTerm: Term(1), votedFor: n1 }, snapshot: { lastIncludedIndex: 4 as never, lastIncludedTerm: Term(3), configuration } },
    );
    expect(node.status()).toMatchObject({ term: 3, votedFor: undefined });
    node.checkInvariants();
  });

  it('boot drops log entries at or below the snapshot and a tail that does not chain onto it', () => {
    const entries: LogEntry[] = [1, 1, 1, 1, 1].map((t, i) => ({ kind: 'noop', index: (i + 1) as never, term: Term(t) }));
    const kept = new RaftNodeState({ id: n2 }, { entries, snapshot: { lastIncludedIndex: 3 as never, lastIncludedTerm: Term(1), configuration } });
    expect(kept.entries().map((e) => e.index)).toEqual([4, 5]);
    const divergent = new RaftNodeState({ id: n2 }, { entries, snapshot: { lastIncludedIndex: 3 as never, lastIncludedTerm: Term(2), configuration } });
    expect(divergent.entries()).toEqual([]);
    expect(divergent.status()).toMatchObject({ lastIndex: 3, lastTerm: 2, commitIndex: 3 });
  });
});
