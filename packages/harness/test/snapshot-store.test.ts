import { type InstallSnapshot, type LogEntry, LogIndex, NodeId, Term } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { type DurableSnapshot, JournalStateMachine, SimulatedSnapshotStore } from '../src/index.js';

const voters = [NodeId('n1'), NodeId('n2')];
const snapshot = (index: number, bytes: number[] = [1, 2, 3, 4, 5]): DurableSnapshot => ({
  lastIncludedIndex: LogIndex(index),
  lastIncludedTerm: Term(1),
  configuration: { voters, learners: [] },
  data: new Uint8Array(bytes),
});
const chunk = (index: number, offset: number, data: number[], size: number): InstallSnapshot => ({
  type: 'InstallSnapshot',
  from: NodeId('n1'),
  to: NodeId('n2'),
  term: Term(1),
  lastIncludedIndex: LogIndex(index),
  lastIncludedTerm: Term(1),
  configuration: { voters, learners: [] },
  offset,
  data: new Uint8Array(data),
  done: offset + data.length >= size,
  size,
});

describe('SimulatedSnapshotStore (durable vs in flight)', () => {
  it('a save is durable only once completed, and a crash before loses it', () => {
    const store = new SimulatedSnapshotStore();
    store.beginSave(snapshot(3), 5);
    expect(store.durableSnapshot()).toBeUndefined();
    expect(store.crash()).toEqual({ saveLost: true, partialLost: false, installLost: false });
    expect(store.isSaving()).toBe(false);
    store.beginSave(snapshot(3), 5);
    expect(store.completeSave()?.lastIncludedIndex).toBe(3);
    expect(store.durableIndex()).toBe(3);
    expect(store.counters).toMatchObject({ savesStarted: 2, savesCompleted: 1, savesLost: 1 });
  });

  it('a save overtaken by a newer durable install is dropped (the durable index never decreases)', () => {
    const store = new SimulatedSnapshotStore();
    store.beginSave(snapshot(3), 5);
    const whole = store.writeChunk(chunk(9, 0, [7, 7], 2));
    expect(whole?.lastIncludedIndex).toBe(9);
    store.beginCommit(whole as DurableSnapshot, 1);
    store.completeCommit();
    expect(store.completeSave()).toBeUndefined();
    expect(store.durableIndex()).toBe(9);
    expect(store.counters.savesSuperseded).toBe(1);
  });

  it('received chunks are volatile until the commit completes; a crash mid-install keeps the previous snapshot', () => {
    const store = new SimulatedSnapshotStore();
    store.beginSave(snapshot(2), 0);
    store.completeSave();
    expect(store.writeChunk(chunk(8, 0, [1, 2, 3], 6))).toBeUndefined();
    expect(store.activity().receiving).toEqual({ lastIncludedIndex: 8, bytes: 3 });
    expect(store.crash().partialLost).toBe(true);
    expect(store.durableIndex()).toBe(2);
    store.writeChunk(chunk(8, 0, [1, 2, 3], 6));
    const whole = store.writeChunk(chunk(8, 3, [4, 5, 6], 6)) as DurableSnapshot;
    expect([...whole.data]).toEqual([1, 2, 3, 4, 5, 6]);
    store.beginCommit(whole, 3);
    expect(store.crash().installLost).toBe(true);
    expect(store.durableIndex()).toBe(2);
  });

  it('offset 0 restarts a partial transfer; a chunk that does not continue the buffer is a contract violation', () => {
    const store = new SimulatedSnapshotStore();
    store.writeChunk(chunk(8, 0, [1, 2], 6));
    store.writeChunk(chunk(9, 0, [1, 2], 6));
    expect(store.counters.transfersRestarted).toBe(1);
    expect(() => store.writeChunk(chunk(9, 4, [5, 6], 6))).toThrow(/offset 4/);
    expect(() => new SimulatedSnapshotStore().writeChunk(chunk(9, 2, [3], 6))).toThrow(/without a transfer/);
  });

  it('reads chunks of the newest durable snapshot only', () => {
    const store = new SimulatedSnapshotStore();
    expect(store.read(3, 0, 2)).toBeUndefined();
    store.beginSave(snapshot(3), 0);
    store.completeSave();
    expect(store.read(3, 0, 2)).toMatchObject({ size: 5, done: false });
    const last = store.read(3, 4, 2);
    expect([...(last?.data ?? [])]).toEqual([5]);
    expect(last?.done).toBe(true);
    expect(store.read(2, 0, 2)).toBeUndefined();
  });
});

describe('JournalStateMachine (the simulator state machine)', () => {
  const entries: LogEntry[] = [
    { kind: 'noop', index: LogIndex(1), term: Term(1) },
    { kind: 'command', index: LogIndex(2), term: Term(1), payload: new TextEncoder().encode('set x') },
    { kind: 'configuration', index: LogIndex(3), term: Term(2), configuration: { voters, oldVoters: [NodeId('n1')], learners: [NodeId('n3')] } },
    { kind: 'command', index: LogIndex(4), term: Term(2), payload: new Uint8Array([0, 255]), client: { clientId: 'c-1', sequence: 7 } },
  ];

  it('a snapshot restores the same state (same entries, same fingerprint at every index)', () => {
    const machine = new JournalStateMachine();
    for (const e of entries) machine.apply(e);
    for (const at of [0, 1, 2, 3, 4]) {
      const restored = JournalStateMachine.restore(machine.snapshotData(at));
      expect(restored.index).toBe(at);
      expect(restored.fingerprint()).toBe(machine.fingerprintAt(at));
      expect(restored.journal()).toEqual(entries.slice(0, at));
    }
    expect(machine.configurationAt(2, { voters: [], learners: [] })).toEqual({ voters: [], learners: [] });
    expect(machine.configurationAt(4, { voters: [], learners: [] })).toEqual({ voters, oldVoters: [NodeId('n1')], learners: [NodeId('n3')] });
  });

  it('a snapshot taken earlier stays valid while the machine keeps applying', () => {
    const machine = new JournalStateMachine();
    machine.apply(entries[0] as LogEntry);
    const early = machine.snapshotData(1);
    const copy = early.slice();
    for (let i = 2; i <= 400; i++) machine.apply({ kind: 'command', index: LogIndex(i), term: Term(3), payload: new Uint8Array(40).fill(i) });
    machine.snapshotData(400);
    expect([...early]).toEqual([...copy]);
  });

  it('different states have different fingerprints; malformed data and gaps are refused', () => {
    const a = new JournalStateMachine();
    const b = new JournalStateMachine();
    a.apply({ kind: 'command', index: LogIndex(1), term: Term(1), payload: new TextEncoder().encode('set x') });
    b.apply(entries[0] as LogEntry);
    expect(a.fingerprint()).not.toBe(b.fingerprint());
    expect(() => b.apply(entries[2] as LogEntry)).toThrow(/asked to apply index 3/);
    const data = a.snapshotData(1);
    expect(() => JournalStateMachine.restore(data.subarray(0, data.byteLength - 1))).toThrow(/truncated/);
  });
});
