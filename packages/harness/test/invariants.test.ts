/**
 * The invariant checker itself (harness self-test): each check fires on a hand-made history
 * that breaks it, and stays quiet on a legal one. Statuses and outputs are synthetic.
 */
import {
  type ClusterConfiguration,
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
    step(n2, [{ type: 'appendLog', entries: [e1] }], { term: Term(1), lastIndex: LogIndex(1) });
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

describe('InvariantChecker: configuration safety (INV-11) and leader term durability', () => {
  const [n4, n5] = ['n4', 'n5'].map(NodeId) as [NodeId, NodeId];
  const all = [n1, n2, n3, n4, n5];
  const cOld: ClusterConfiguration = { voters: [n1, n2, n3], learners: [] };
  const cNew: ClusterConfiguration = { voters: [n1, n4, n5], learners: [] };
  const joint: ClusterConfiguration = { voters: [n1, n4, n5], oldVoters: [n1, n2, n3], learners: [] };
  const conf = (index: number, term: number, configuration: ClusterConfiguration): LogEntry => ({ kind: 'configuration', index: LogIndex(index), term: Term(term), configuration });

  /** Five nodes: n1–n3 founders (bootstrap C_old), n4 and n5 joining with an empty configuration. */
  function setup5() {
    const disks = new Map(all.map((id) => [id, new SimulatedDisk()]));
    const stores = new Map(all.map((id) => [id, new SimulatedSnapshotStore()]));
    const checker = new InvariantChecker(
      (invariant) => {
        throw new Violation(invariant);
      },
      { maxInflightMessages: 4, maxUncommittedBytes: 0 },
      { initialConfiguration: cOld },
    );
    const bootstrap = (id: NodeId): ClusterConfiguration => (cOld.voters.includes(id) ? cOld : { voters: [], learners: [] });
    for (const id of all) {
      checker.startProcess(id, {
        disk: disks.get(id) as SimulatedDisk,
        snapshots: stores.get(id) as SimulatedSnapshotStore,
        baseIndex: 0,
        baseTerm: 0,
        entries: [],
        bootstrapConfiguration: bootstrap(id),
        appliedIndex: 0,
        stateFingerprint: 0,
        status: status(id, { configuration: bootstrap(id) }),
      });
    }
    const step = (id: NodeId, effects: RaftEffect[], over: Partial<RaftStatus>) => checker.afterInput(id, { effects, events: [] }, status(id, over));
    const persist = (id: NodeId, entries: LogEntry[]) => {
      const disk = disks.get(id) as SimulatedDisk;
      disk.issue({ kind: 'log', truncateAfter: undefined, entries }, 0, new SimulationRandom(1), { minDelay: 0, maxDelay: 0 });
      disk.completeNext();
    };
    const durableTerm = (id: NodeId, term: number, votedFor: NodeId) => {
      const disk = disks.get(id) as SimulatedDisk;
      disk.issue({ kind: 'meta', meta: { currentTerm: Term(term), votedFor } }, 0, new SimulationRandom(1), { minDelay: 0, maxDelay: 0 });
      disk.completeNext();
    };
    /** Durable votes for `id` in `term` from `from`, and its own durable term. */
    const votes = (id: NodeId, term: number, from: readonly NodeId[]) => {
      for (const v of from) checker.metaDurable(v, { currentTerm: Term(0), votedFor: undefined }, { currentTerm: Term(term), votedFor: id });
      durableTerm(id, term, id);
    };
    return { checker, disks, stores, step, persist, votes, durableTerm };
  }

  /** n1 leads term 1 of C_old and has appended C_old,new at index 1; `replicas` hold it durably. */
  function jointAppended(replicas: readonly NodeId[]) {
    const t = setup5();
    const e = conf(1, 1, joint);
    t.votes(n1, 1, [n2]);
    t.step(n1, [], { role: 'leader', term: Term(1), configuration: cOld });
    t.step(n1, [{ type: 'appendLog', entries: [e] }], { role: 'leader', term: Term(1), lastIndex: LogIndex(1), configuration: joint });
    t.persist(n1, [e]);
    for (const id of replicas) {
      t.step(id, [{ type: 'appendLog', entries: [e] }], { term: Term(1), lastIndex: LogIndex(1), configuration: joint });
      t.persist(id, [e]);
    }
    return t;
  }

  it('accepts a joint change committed by a majority of C_old and a majority of C_new', () => {
    const t = jointAppended([n2, n4]);
    t.step(n1, [], { role: 'leader', term: Term(1), lastIndex: LogIndex(1), commitIndex: LogIndex(1), configuration: joint });
    expect(t.checker.committedConfigurationAt(1)).toEqual(joint);
  });

  it('INV-11: a commit while joint backed by a majority of C_new only', () => {
    const t = jointAppended([n4, n5]);
    expect(caught(() => t.step(n1, [], { role: 'leader', term: Term(1), lastIndex: LogIndex(1), commitIndex: LogIndex(1), configuration: joint }))).toBe('INV-11');
  });

  it('INV-11: a commit while joint backed by a majority of C_old only', () => {
    const t = jointAppended([n2, n3]);
    expect(caught(() => t.step(n1, [], { role: 'leader', term: Term(1), lastIndex: LogIndex(1), commitIndex: LogIndex(1), configuration: joint }))).toBe('INV-11');
  });

  it('INV-11: an election while joint won with the votes of one half only', () => {
    const e = conf(1, 1, joint);
    const follower = { term: Term(1), lastIndex: LogIndex(1), configuration: joint };
    const legal = setup5();
    legal.step(n4, [{ type: 'appendLog', entries: [e] }], follower);
    legal.votes(n4, 2, [n5, n1, n2]);
    legal.step(n4, [], { ...follower, role: 'leader', term: Term(2) });
    const bad = setup5();
    bad.step(n4, [{ type: 'appendLog', entries: [e] }], follower);
    bad.votes(n4, 2, [n5, n1]);
    expect(caught(() => bad.step(n4, [], { ...follower, role: 'leader', term: Term(2) }))).toBe('INV-11');
  });

  it('INV-11: a leader with two configuration entries not committed', () => {
    const t = setup5();
    t.votes(n1, 1, [n2]);
    const grow: ClusterConfiguration = { voters: [n1, n2, n3, n4], learners: [] };
    t.step(n1, [{ type: 'appendLog', entries: [conf(1, 1, { voters: [n1, n2, n3], learners: [n4] })] }], { role: 'leader', term: Term(1), lastIndex: LogIndex(1), configuration: { voters: [n1, n2, n3], learners: [n4] } });
    expect(caught(() => t.step(n1, [{ type: 'appendLog', entries: [conf(2, 1, grow)] }], { role: 'leader', term: Term(1), lastIndex: LogIndex(2), configuration: grow }))).toBe('INV-11');
  });

  it('INV-11: a node acting on a configuration other than the latest one in its log', () => {
    const t = setup5();
    expect(caught(() => t.step(n2, [{ type: 'appendLog', entries: [conf(1, 1, cNew)] }], { term: Term(1), lastIndex: LogIndex(1), configuration: cOld }))).toBe('INV-11');
  });

  it('INV-11: a node booting with a configuration other than its bootstrap one (a joining node bootstrapped as a founder)', () => {
    const t = setup5();
    t.checker.stopProcess(n4);
    expect(
      caught(() =>
        t.checker.startProcess(n4, {
          disk: t.disks.get(n4) as SimulatedDisk,
          snapshots: t.stores.get(n4) as SimulatedSnapshotStore,
          baseIndex: 0,
          baseTerm: 0,
          entries: [],
          bootstrapConfiguration: { voters: [], learners: [] },
          appliedIndex: 0,
          stateFingerprint: 0,
          status: status(n4, { configuration: { voters: [n1, n2, n3, n4, n5], learners: [] } }),
        }),
      ),
    ).toBe('INV-11');
  });

  it('INV-11 (E6): a snapshot carrying another configuration than the one in force at its index', () => {
    const t = setup5();
    const e1 = cmd(1, 1, 'a');
    t.votes(n1, 1, [n2]);
    t.step(n1, [{ type: 'appendLog', entries: [e1] }], { role: 'leader', term: Term(1), lastIndex: LogIndex(1), configuration: cOld });
    for (const id of [n1, n2]) t.persist(id, [e1]);
    t.step(n2, [{ type: 'appendLog', entries: [e1] }], { term: Term(1), lastIndex: LogIndex(1), configuration: cOld });
    const leader = { role: 'leader' as const, term: Term(1), lastIndex: LogIndex(1), commitIndex: LogIndex(1), configuration: cOld };
    t.step(n1, [], leader);
    const snapshot = (configuration: ClusterConfiguration) => ({
      type: 'InstallSnapshot' as const, from: n1, to: n4, term: Term(1), lastIncludedIndex: LogIndex(1), lastIncludedTerm: Term(1), configuration, offset: 0,
    });
    t.step(n1, [{ type: 'sendSnapshot', message: snapshot(cOld), maxBytes: 64 }], leader);
    expect(caught(() => t.step(n1, [{ type: 'sendSnapshot', message: snapshot({ voters: [], learners: [] }), maxBytes: 64 }], leader))).toBe('INV-11');
  });

  it('INV-12: a leader sending AppendEntries before its term is durable', () => {
    const t = setup5();
    for (const v of [n2, n3]) t.checker.metaDurable(v, { currentTerm: Term(0), votedFor: undefined }, { currentTerm: Term(1), votedFor: n1 });
    t.step(n1, [], { role: 'leader', term: Term(1), configuration: cOld });
    const append: RaftMessage = {
      type: 'AppendEntries', from: n1, to: n2, term: Term(1), prevLogIndex: LogIndex(0), prevLogTerm: Term(0), entries: [], leaderCommit: LogIndex(0), seq: 1,
    };
    expect(caught(() => t.step(n1, [send(append)], { role: 'leader', term: Term(1), configuration: cOld }))).toBe('INV-12');
  });

  it('a term led without ever becoming durable is forgotten on crash: the restarted node may lead it again with other entries (INV-3 otherwise)', () => {
    const run = (durableBeforeCrash: boolean) => {
      const t = setup5();
      for (const v of [n2, n3]) t.checker.metaDurable(v, { currentTerm: Term(0), votedFor: undefined }, { currentTerm: Term(1), votedFor: n1 });
      if (durableBeforeCrash) t.durableTerm(n1, 1, n1);
      t.step(n1, [{ type: 'appendLog', entries: [cmd(1, 1, 'first')] }], { role: 'leader', term: Term(1), lastIndex: LogIndex(1), configuration: cOld });
      t.checker.stopProcess(n1);
      t.checker.startProcess(n1, {
        disk: t.disks.get(n1) as SimulatedDisk,
        snapshots: t.stores.get(n1) as SimulatedSnapshotStore,
        baseIndex: 0,
        baseTerm: 0,
        entries: [],
        bootstrapConfiguration: cOld,
        appliedIndex: 0,
        stateFingerprint: 0,
        status: status(n1, { term: Term(durableBeforeCrash ? 1 : 0), configuration: cOld }),
      });
      t.step(n1, [{ type: 'appendLog', entries: [cmd(1, 1, 'second')] }], { role: 'leader', term: Term(1), lastIndex: LogIndex(1), configuration: cOld });
    };
    expect(caught(() => run(false))).toBeUndefined();
    expect(caught(() => run(true))).toBe('INV-3');
  });
});
