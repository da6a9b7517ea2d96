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
  return { checker, disks, stores, step, persist };
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
    const { step, persist } = setup();
    const e1 = cmd(1, 1, 'a');
    step(n1, [{ type: 'appendLog', entries: [e1] }], { role: 'leader', term: Term(1), lastIndex: LogIndex(1) });
    for (const id of voters) persist(id, [e1]);
    step(n2, [{ type: 'appendLog', entries: [e1] }], { term: Term(1), lastIndex: LogIndex(1) });
    step(n1, [{ type: 'apply', entries: [e1] }], { role: 'leader', term: Term(1), lastIndex: LogIndex(1), commitIndex: LogIndex(1) });
    step(n2, [{ type: 'apply', entries: [e1] }], { term: Term(1), lastIndex: LogIndex(1), commitIndex: LogIndex(1) });
  });

  it('INV-1: two leaders in one term', () => {
    const { step } = setup();
    step(n1, [], { role: 'leader', term: Term(2) });
    expect(caught(() => step(n2, [], { role: 'leader', term: Term(2) }))).toBe('INV-1');
  });

  it('INV-1: AppendEntries from a second sender in a term', () => {
    const { step } = setup();
    step(n1, [], { role: 'leader', term: Term(2) });
    const append: RaftMessage = {
      type: 'AppendEntries', from: n3, to: n2, term: Term(2), prevLogIndex: LogIndex(0), prevLogTerm: Term(0), entries: [], leaderCommit: LogIndex(0), seq: 1,
    };
    expect(caught(() => step(n3, [send(append)], { term: Term(2) }))).toBe('INV-1');
  });

  it('INV-2: a leader truncates its own log', () => {
    const { step } = setup();
    step(n1, [{ type: 'appendLog', entries: [cmd(1, 1, 'a'), cmd(2, 1, 'b')] }], { role: 'leader', term: Term(1) });
    expect(caught(() => step(n1, [{ type: 'truncateLog', after: LogIndex(1) }, { type: 'appendLog', entries: [cmd(2, 1, 'c')] }], { role: 'leader', term: Term(1) }))).toBe('INV-2');
  });

  it('INV-3: same index and term with different content on two nodes', () => {
    const { step } = setup();
    step(n1, [{ type: 'appendLog', entries: [cmd(1, 1, 'a')] }], { term: Term(1) });
    expect(caught(() => step(n2, [{ type: 'appendLog', entries: [cmd(1, 1, 'b')] }], { term: Term(1) }))).toBe('INV-3');
  });

  it('INV-4: a leader of a later term lacks an entry committed earlier', () => {
    const { step, persist } = setup();
    const e1 = cmd(1, 1, 'a');
    step(n1, [{ type: 'appendLog', entries: [e1] }], { role: 'leader', term: Term(1) });
    for (const id of voters) persist(id, [e1]);
    step(n1, [], { role: 'leader', term: Term(1), commitIndex: LogIndex(1) });
    expect(caught(() => step(n3, [], { role: 'leader', term: Term(2) }))).toBe('INV-4');
  });

  it('INV-4 (§5.4.2, Figure 8): a leader commits an entry of an earlier term by counting replicas', () => {
    const { step, persist } = setup();
    const old = cmd(1, 1, 'old');
    step(n1, [{ type: 'appendLog', entries: [old] }], { term: Term(1) });
    for (const id of voters) persist(id, [old]);
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
    const { step, persist } = setup();
    const e1 = cmd(1, 1, 'a');
    step(n1, [{ type: 'appendLog', entries: [e1] }], { role: 'leader', term: Term(1) });
    persist(n2, [e1]);
    expect(caught(() => step(n1, [], { role: 'leader', term: Term(1), commitIndex: LogIndex(1) }))).toBe('INV-12');
  });
});
