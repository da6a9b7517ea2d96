/**
 * The invariant checker itself (harness self-test): each check fires on a hand-made history
 * that breaks it, and stays quiet on a legal one. Statuses and outputs are synthetic.
 */
import {
  type LogEntry,
  LogIndex,
  NodeId,
  type RaftEffect,
  type RaftMessage,
  type RaftStatus,
  Term,
} from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import type { InvariantId } from '../src/errors.js';
import { entryHash, prefixHash } from '../src/hash.js';
import { InvariantChecker } from '../src/invariants.js';
import { SimulationRandom } from '../src/prng.js';
import { SimulatedSnapshotStore } from '../src/snapshots.js';
import { SimulatedDisk } from '../src/storage.js';

const [n1, n2, n3] = ['n1', 'n2', 'n3'].map(NodeId) as [NodeId, NodeId, NodeId];
const voters = [n1, n2, n3];

class Violation extends Error {
  constructor(readonly invariant: InvariantId) {
    super(invariant);
  }
}

function status(id: NodeId, over: Partial<RaftStatus> = {}): RaftStatus {
  return {
    id,
    role: 'follower',
    term: Term(0),
    votedFor: undefined,
    leaderId: undefined,
    commitIndex: LogIndex(0),
    appliedIndex: LogIndex(0),
    persistedIndex: LogIndex(0),
    firstIndex: LogIndex(1),
    lastIndex: LogIndex(0),
    lastTerm: Term(0),
    snapshotIndex: LogIndex(0),
    configuration: { voters, learners: [] },
    progress: [],
    uncommittedBytes: 0,
    transferTarget: undefined,
    failed: false,
    ...over,
  };
}

const cmd = (index: number, term: number, text: string): LogEntry => ({
  kind: 'command',
  index: LogIndex(index),
  term: Term(term),
  payload: new TextEncoder().encode(text),
});

function setup() {
  const disks = new Map(voters.map((id) => [id, new SimulatedDisk()]));
  const stores = new Map(voters.map((id) => [id, new SimulatedSnapshotStore()]));
  const checker = new InvariantChecker(
    (invariant) => {
      throw new Violation(invariant);
    },
    { maxInflightMessages: 4, maxUncommittedBytes: 0 },
  );
  for (const id of voters) {
    checker.startProcess(id, {
      disk: disks.get(id) as SimulatedDisk,
      snapshots: stores.get(id) as SimulatedSnapshotStore,
      baseIndex: 0,
      baseTerm: 0,
      entries: [],
      appliedIndex: 0,
      stateFingerprint: 0,
      status: status(id),
    });
  }
  const step = (id: NodeId, effects: RaftEffect[], over: Partial<RaftStatus>) => checker.afterInput(id, { effects, events: [] }, status(id, over));
  /** Makes `entries` durable on `id`'s disk. */
  const persist = (id: NodeId, entries: LogEntry[]) => {
    const disk = disks.get(id) as SimulatedDisk;
    disk.issue({ kind: 'log', truncateAfter: undefined, entries }, 0, new SimulationRandom(1), { minDelay: 0, maxDelay: 0 });
    disk.completeNext();
  };
  /** The other voters' durable votes for `id` in `term` (INV-11: a leader needs a quorum of votes). */
  const elect = (id: NodeId, term: number) => {
    for (const v of voters) if (v !== id) checker.metaDurable(v, { currentTerm: Term(0), votedFor: undefined }, { currentTerm: Term(term), votedFor: id });
    // Its own term and vote are durable (INV-12: a leader speaks only once its term is).
    const disk = disks.get(id) as SimulatedDisk;
    disk.issue({ kind: 'meta', meta: { currentTerm: Term(term), votedFor: id } }, 0, new SimulationRandom(1), { minDelay: 0, maxDelay: 0 });
    disk.completeNext();
  };
  return { checker, disks, stores, step, persist, elect };
}

function caught(fn: () => void): InvariantId | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (error instanceof Violation) return error.invariant;
    throw error;
  }
}

const send = (message: RaftMessage): RaftEffect => ({ type: 'send', message });

describe('InvariantChecker', () => {
  it('accepts a legal history: leader appends, replicates durably, commits its own term, applies', () => {
    const { step, persist, elect } = setup();
    const e1 = cmd(1, 1, 'a');
    elect(n1, 1);
    step(n1, [{ type: 'appendLog', entries: [e1] }], { role: 'leader', term: Term(1), lastIndex: LogIndex(1) });
    for (const id of voters) persist(id, [e1]);
    step(n2, [{ type: 'appendLog', entries: [e1] }], { term: Term(1), lastIndex: LogIndex(1) });
    step(n1, [{ type: 'apply', entries: [e1] }], { role: 'leader', term: Term(1), lastIndex: LogIndex(1), commitIndex: LogIndex(1) });
    step(n2, [{ type: 'apply', entries: [e1] }], { term: Term(1), lastIndex: LogIndex(1), commitIndex: LogIndex(1) });
  });

  it('INV-1: two leaders in one term', () => {
    const { step, elect } = setup();
    elect(n1, 2);
    step(n1, [], { role: 'leader', term: Term(2) });
    expect(caught(() => step(n2, [], { role: 'leader', term: Term(2) }))).toBe('INV-1');
  });

  it('INV-1: AppendEntries from a second sender in a term', () => {
    const { step, elect } = setup();
    elect(n1, 2);
    step(n1, [], { role: 'leader', term: Term(2) });
    const append: RaftMessage = {
      type: 'AppendEntries', from: n3, to: n2, term: Term(2), prevLogIndex: LogIndex(0), prevLogTerm: Term(0), entries: [], leaderCommit: LogIndex(0), seq: 1,
    };
    expect(caught(() => step(n3, [send(append)], { term: Term(2) }))).toBe('INV-1');
  });

  it('INV-2: a leader truncates its own log', () => {
    const { step, elect } = setup();
    elect(n1, 1);
    step(n1, [{ type: 'appendLog', entries: [cmd(1, 1, 'a'), cmd(2, 1, 'b')] }], { role: 'leader', term: Term(1) });
    expect(caught(() => step(n1, [{ type: 'truncateLog', after: LogIndex(1) }, { type: 'appendLog', entries: [cmd(2, 1, 'c')] }], { role: 'leader', term: Term(1) }))).toBe('INV-2');
  });

  it('INV-3: same index and term with different content on two nodes', () => {
    const { step } = setup();
    step(n1, [{ type: 'appendLog', entries: [cmd(1, 1, 'a')] }], { term: Term(1) });
    expect(caught(() => step(n2, [{ type: 'appendLog', entries: [cmd(1, 1, 'b')] }], { term: Term(1) }))).toBe('INV-3');
  });

  it('INV-4: a leader of a later term lacks an entry committed earlier', () => {
    const { step, persist, elect } = setup();
    const e1 = cmd(1, 1, 'a');
    elect(n1, 1);
    step(n1, [{ type: 'appendLog', entries: [e1] }], { role: 'leader', term: Term(1) });
    for (const id of voters) persist(id, [e1]);
    step(n1, [], { role: 'leader', term: Term(1), commitIndex: LogIndex(1) });
    expect(caught(() => step(n3, [], { role: 'leader', term: Term(2) }))).toBe('INV-4');
  });

  it('INV-4 (§5.4.2, Figure 8): a leader commits an entry of an earlier term by counting replicas', () => {
    const { step, persist, elect } = setup();
    const old = cmd(1, 1, 'old');
    step(n1, [{ type: 'appendLog', entries: [old] }], { term: Term(1) });
    for (const id of voters) persist(id, [old]);
    elect(n1, 3);
    step(n1, [], { role: 'leader', term: Term(3) });
    expect(caught(() => step(n1, [], { role: 'leader', term: Term(3), commitIndex: LogIndex(1) }))).toBe('INV-4');
  });

  it('INV-5: applying beyond the commit index, out of order, or a different entry than another node', () => {
    const a = setup();
    expect(caught(() => a.step(n1, [{ type: 'apply', entries: [cmd(1, 1, 'a')] }], { term: Term(1) }))).toBe('INV-5');
    const b = setup();
    b.step(n1, [{ type: 'appendLog', entries: [cmd(1, 1, 'a'), cmd(2, 1, 'b')] }], { term: Term(1), commitIndex: LogIndex(2) });
    expect(caught(() => b.step(n1, [{ type: 'apply', entries: [cmd(2, 1, 'b')] }], { term: Term(1), commitIndex: LogIndex(2) }))).toBe('INV-5');
    const c = setup();
    c.step(n1, [{ type: 'appendLog', entries: [cmd(1, 1, 'a')] }], { term: Term(1), commitIndex: LogIndex(1) });
    c.step(n1, [{ type: 'apply', entries: [cmd(1, 1, 'a')] }], { term: Term(1), commitIndex: LogIndex(1) });
    expect(caught(() => c.step(n2, [{ type: 'apply', entries: [cmd(1, 2, 'z')] }], { term: Term(2), commitIndex: LogIndex(1) }))).toBeDefined();
  });

  it('INV-6: term or commit index going backwards', () => {
    const a = setup();
    a.step(n1, [], { term: Term(3) });
    expect(caught(() => a.step(n1, [], { term: Term(2) }))).toBe('INV-6');
    const b = setup();
    b.step(n1, [{ type: 'appendLog', entries: [cmd(1, 1, 'a')] }], { term: Term(1), commitIndex: LogIndex(1) });
    expect(caught(() => b.step(n1, [], { term: Term(1), commitIndex: LogIndex(0) }))).toBe('INV-6');
  });

  it('INV-7: a durable vote changing within a term, and two grants in one term', () => {
    const { checker, step, disks } = setup();
    expect(caught(() => checker.metaDurable(n1, { currentTerm: Term(2), votedFor: n2 }, { currentTerm: Term(2), votedFor: n3 }))).toBe('INV-7');
    const disk = disks.get(n2) as SimulatedDisk;
    const random = new SimulationRandom(1);
    disk.issue({ kind: 'meta', meta: { currentTerm: Term(4), votedFor: n1 } }, 0, random, { minDelay: 0, maxDelay: 0 });
    disk.completeNext();
    const grant = (to: NodeId): RaftMessage => ({ type: 'RequestVoteResponse', from: n2, to, term: Term(4), granted: true, preVote: false });
    step(n2, [send(grant(n1))], { term: Term(4) });
    expect(caught(() => step(n2, [send(grant(n3))], { term: Term(4) }))).toBeDefined();
  });

  it('INV-12: a vote granted or an append acknowledged before it is durable', () => {
    const a = setup();
    const grant: RaftMessage = { type: 'RequestVoteResponse', from: n2, to: n1, term: Term(1), granted: true, preVote: false };
    expect(caught(() => a.step(n2, [{ type: 'persistMeta', meta: { currentTerm: Term(1), votedFor: n1 } }, send(grant)], { term: Term(1) }))).toBe('INV-12');
    const b = setup();
    const ack: RaftMessage = {
      type: 'AppendEntriesResponse', from: n2, to: n1, term: Term(1), success: true, matchIndex: LogIndex(1), lastLogIndex: LogIndex(1), seq: 1,
    };
    expect(caught(() => b.step(n2, [{ type: 'appendLog', entries: [cmd(1, 1, 'a')] }, send(ack)], { term: Term(1) }))).toBe('INV-12');
  });

  it('INV-12: a leader commits an entry durable on a minority only (it counted itself before its write completed)', () => {
    const { step, persist, elect } = setup();
    const e1 = cmd(1, 1, 'a');
    elect(n1, 1);
    step(n1, [{ type: 'appendLog', entries: [e1] }], { role: 'leader', term: Term(1) });
    persist(n2, [e1]);
    expect(caught(() => step(n1, [], { role: 'leader', term: Term(1), commitIndex: LogIndex(1) }))).toBe('INV-12');
  });

  describe('with snapshots and compaction', () => {
    const e1 = cmd(1, 1, 'a');
    const e2 = cmd(2, 1, 'b');
    const state1 = prefixHash(0, entryHash(e1));
    const state2 = prefixHash(state1, entryHash(e2));
    /** n1 leads term 1, e1 and e2 are durable everywhere, committed and applied on n1. */
    function committedTwo() {
      const t = setup();
      t.elect(n1, 1);
      t.step(n1, [{ type: 'appendLog', entries: [e1, e2] }], { role: 'leader', term: Term(1), lastIndex: LogIndex(2) });
      for (const id of voters) t.persist(id, [e1, e2]);
      const leader = { role: 'leader' as const, term: Term(1), lastIndex: LogIndex(2), commitIndex: LogIndex(2) };
      t.step(n1, [{ type: 'apply', entries: [e1, e2] }], leader);
      t.checker.stateApplied(n1, 1, state1);
      t.checker.stateApplied(n1, 2, state2);
      return { ...t, leader };
    }
    const saveSnapshot = (store: SimulatedSnapshotStore, index: number, term: number) => {
      store.beginSave({ lastIncludedIndex: LogIndex(index), lastIncludedTerm: Term(term), configuration: { voters, learners: [] }, data: new Uint8Array(0) }, 0);
      store.completeSave();
    };

    it('accepts a legal history: compaction of a committed prefix, a follower installing the committed state', () => {
      const { checker, step, leader, stores } = committedTwo();
      step(n1, [{ type: 'compactLog', upTo: LogIndex(1), term: Term(1) }], { ...leader, snapshotIndex: LogIndex(1) });
      step(n1, [{ type: 'appendLog', entries: [cmd(3, 1, 'c')] }], { ...leader, lastIndex: LogIndex(3), snapshotIndex: LogIndex(1) });
      saveSnapshot(stores.get(n3) as SimulatedSnapshotStore, 2, 1);
      checker.stateRestored(n3, 2, 1, state2);
      step(n3, [{ type: 'compactLog', upTo: LogIndex(2), term: Term(1) }], { term: Term(1), commitIndex: LogIndex(2), lastIndex: LogIndex(2), snapshotIndex: LogIndex(2) });
      const installed: RaftMessage = { type: 'InstallSnapshotResponse', from: n3, to: n1, term: Term(1), lastIncludedIndex: LogIndex(2), nextOffset: 0, installed: true };
      step(n3, [send(installed)], { term: Term(1), commitIndex: LogIndex(2), lastIndex: LogIndex(2), snapshotIndex: LogIndex(2) });
      checker.checkConvergence(new Map([[n1, { appliedIndex: 2, fingerprint: state2 }], [n3, { appliedIndex: 2, fingerprint: state2 }]]));
    });

    it('INV-4: compacting the log beyond what is committed', () => {
      const { step } = setup();
      step(n1, [{ type: 'appendLog', entries: [e1] }], { term: Term(1), lastIndex: LogIndex(1) });
      expect(caught(() => step(n1, [{ type: 'compactLog', upTo: LogIndex(1), term: Term(1) }], { term: Term(1), lastIndex: LogIndex(1) }))).toBe('INV-4');
    });

    it('INV-4: sending a snapshot of an uncommitted prefix', () => {
      const { step, elect } = setup();
      elect(n1, 1);
      const snapshot = { type: 'InstallSnapshot' as const, from: n1, to: n2, term: Term(1), lastIncludedIndex: LogIndex(1), lastIncludedTerm: Term(1), configuration: { voters, learners: [] }, offset: 0 };
      expect(caught(() => step(n1, [{ type: 'sendSnapshot', message: snapshot, maxBytes: 64 }], { role: 'leader', term: Term(1) }))).toBe('INV-4');
    });

    it('INV-1: InstallSnapshot from a second sender in a term', () => {
      const { step, leader } = committedTwo();
      const snapshot = { type: 'InstallSnapshot' as const, from: n2, to: n3, term: Term(1), lastIncludedIndex: LogIndex(2), lastIncludedTerm: Term(1), configuration: { voters, learners: [] }, offset: 0 };
      expect(leader.role).toBe('leader');
      expect(caught(() => step(n2, [{ type: 'sendSnapshot', message: snapshot, maxBytes: 64 }], { term: Term(1) }))).toBe('INV-1');
    });

    it('INV-5: two state machines differ after the same index', () => {
      const { checker } = committedTwo();
      expect(caught(() => checker.stateApplied(n2, 2, state2 + 1))).toBe('INV-5');
    });

    it('INV-5 / INV-4: an installed snapshot that is not the committed prefix, or has another term', () => {
      const a = committedTwo();
      expect(caught(() => a.checker.stateRestored(n3, 2, 1, state1))).toBe('INV-5');
      const b = committedTwo();
      expect(caught(() => b.checker.stateRestored(n3, 2, 2, state2))).toBe('INV-4');
    });

    it('INV-6: an install that moves the state machine back', () => {
      const { checker } = committedTwo();
      expect(caught(() => checker.stateRestored(n1, 1, 1, state1))).toBe('INV-6');
    });

    it('INV-6: a restart from a state older than the newest durable snapshot, or with the compaction point moved back', () => {
      const a = committedTwo();
      const store = a.stores.get(n2) as SimulatedSnapshotStore;
      saveSnapshot(store, 2, 1);
      a.checker.stopProcess(n2);
      const restart = (snapshotIndex: number, appliedIndex: number, fingerprint: number) =>
        a.checker.startProcess(n2, {
          disk: a.disks.get(n2) as SimulatedDisk,
          snapshots: store,
          baseIndex: snapshotIndex,
          baseTerm: 1,
          entries: [],
          appliedIndex,
          stateFingerprint: fingerprint,
          status: status(n2, { term: Term(1), snapshotIndex: LogIndex(snapshotIndex), appliedIndex: LogIndex(appliedIndex), commitIndex: LogIndex(appliedIndex), lastIndex: LogIndex(snapshotIndex) }),
        });
      expect(caught(() => restart(1, 1, state1))).toBe('INV-6');
      restart(2, 2, state2);
      a.checker.stopProcess(n2);
      expect(caught(() => restart(1, 2, state2))).toBe('INV-6');
    });

    it('INV-10: two nodes at the same applied index with different states after quiesce', () => {
      const { checker } = committedTwo();
      expect(caught(() => checker.checkConvergence(new Map([[n1, { appliedIndex: 2, fingerprint: state2 }], [n2, { appliedIndex: 2, fingerprint: 99 }]])))).toBe('INV-10');
    });

    it('INV-12: "installed" acknowledged before the snapshot is durable', () => {
      const { step } = committedTwo();
      const installed: RaftMessage = { type: 'InstallSnapshotResponse', from: n3, to: n1, term: Term(1), lastIncludedIndex: LogIndex(5), nextOffset: 0, installed: true };
      expect(caught(() => step(n3, [send(installed)], { term: Term(1) }))).toBe('INV-12');
    });
  });
});
