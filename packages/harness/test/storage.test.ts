import { type LogEntry, LogIndex, NodeId, Term } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { SimulationRandom } from '../src/prng.js';
import { SimulatedDisk } from '../src/storage.js';

const noop = (index: number, term: number): LogEntry => ({ kind: 'noop', index: LogIndex(index), term: Term(term) });
const random = new SimulationRandom(5);
const fixed = (d: number) => ({ minDelay: d, maxDelay: d });

describe('SimulatedDisk (durable vs in-flight)', () => {
  it('writes become durable in issue order, never before an earlier one', () => {
    const disk = new SimulatedDisk();
    const a = disk.issue({ kind: 'meta', meta: { currentTerm: Term(1), votedFor: NodeId('n1') } }, 0, random, fixed(5));
    const b = disk.issue({ kind: 'log', truncateAfter: undefined, entries: [noop(1, 1)] }, 1, random, fixed(0));
    expect(b).toBeGreaterThanOrEqual(a);
    expect(disk.durableMeta().currentTerm).toBe(0);
    expect(disk.completeNext().write.kind).toBe('meta');
    expect(disk.durableMeta()).toEqual({ currentTerm: 1, votedFor: 'n1' });
    expect(disk.durableLastIndex()).toBe(0);
    disk.completeNext();
    expect(disk.durableLastIndex()).toBe(1);
  });

  it('a crash loses every write not yet durable and keeps the durable ones', () => {
    const disk = new SimulatedDisk();
    disk.issue({ kind: 'log', truncateAfter: undefined, entries: [noop(1, 1), noop(2, 1)] }, 0, random, fixed(1));
    disk.completeNext();
    disk.issue({ kind: 'log', truncateAfter: undefined, entries: [noop(3, 1)] }, 0, random, fixed(1));
    disk.issue({ kind: 'meta', meta: { currentTerm: Term(2), votedFor: undefined } }, 0, random, fixed(1));
    expect(disk.crash()).toBe(2);
    expect(disk.durableLastIndex()).toBe(2);
    expect(disk.durableMeta().currentTerm).toBe(0);
    expect(disk.pendingWrites()).toBe(0);
    expect(disk.writesLost).toBe(2);
  });

  it('truncate then append replaces the durable suffix', () => {
    const disk = new SimulatedDisk();
    disk.issue({ kind: 'log', truncateAfter: undefined, entries: [noop(1, 1), noop(2, 1), noop(3, 1)] }, 0, random, fixed(0));
    disk.issue({ kind: 'log', truncateAfter: LogIndex(1), entries: [noop(2, 2)] }, 0, random, fixed(0));
    disk.completeNext();
    disk.completeNext();
    expect(disk.durableEntries().map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(disk.durableTermAt(2)).toBe(2);
    expect(disk.durableTermAt(3)).toBeUndefined();
  });

  it('flags consecutive log writes completing together as merged (only the last is acknowledged)', () => {
    const disk = new SimulatedDisk();
    disk.issue({ kind: 'log', truncateAfter: undefined, entries: [noop(1, 1)] }, 0, random, fixed(2));
    disk.issue({ kind: 'log', truncateAfter: undefined, entries: [noop(2, 1)] }, 0, random, fixed(2));
    expect(disk.completeNext().merged).toBe(true);
    expect(disk.completeNext().merged).toBe(false);
  });

  it('refuses an append that leaves a gap in the durable log', () => {
    const disk = new SimulatedDisk();
    disk.issue({ kind: 'log', truncateAfter: undefined, entries: [noop(2, 1)] }, 0, random, fixed(0));
    expect(() => disk.completeNext()).toThrow(/does not follow/);
  });

  it('compaction drops the durable prefix and keeps the term of the compaction point', () => {
    const disk = new SimulatedDisk();
    disk.issue({ kind: 'log', truncateAfter: undefined, entries: [noop(1, 1), noop(2, 1), noop(3, 2)] }, 0, random, fixed(0));
    disk.issue({ kind: 'compact', upTo: LogIndex(2), term: Term(1) }, 0, random, fixed(0));
    disk.completeNext();
    disk.completeNext();
    expect(disk.durableBaseIndex()).toBe(2);
    expect(disk.durableTermAt(2)).toBe(1);
    expect(disk.durableEntries().map((e) => e.index)).toEqual([3]);
  });

  it('compaction of a log that does not hold (upTo, term) discards the whole log (compactLog contract)', () => {
    const disk = new SimulatedDisk();
    disk.issue({ kind: 'log', truncateAfter: undefined, entries: [noop(1, 1), noop(2, 1), noop(3, 1)] }, 0, random, fixed(0));
    disk.issue({ kind: 'compact', upTo: LogIndex(2), term: Term(3) }, 0, random, fixed(0));
    disk.completeNext();
    disk.completeNext();
    expect(disk.durableEntries()).toEqual([]);
    expect(disk.durableBaseIndex()).toBe(2);
    expect(disk.durableTermAt(2)).toBe(3);
    const shorter = new SimulatedDisk();
    shorter.issue({ kind: 'compact', upTo: LogIndex(7), term: Term(2) }, 0, random, fixed(0));
    shorter.completeNext();
    expect(shorter.durableLastIndex()).toBe(7);
  });

  it('boot recovery drops entries at or below the boot snapshot and a tail the core did not keep', () => {
    const disk = new SimulatedDisk();
    disk.issue({ kind: 'log', truncateAfter: undefined, entries: [noop(1, 1), noop(2, 1), noop(3, 1), noop(4, 1)] }, 0, random, fixed(0));
    disk.completeNext();
    disk.recover(2, 1, 3);
    expect(disk.durableBaseIndex()).toBe(2);
    expect(disk.durableEntries().map((e) => e.index)).toEqual([3]);
    // A snapshot whose last entry the log holds with another term: nothing of the log chains.
    const divergent = new SimulatedDisk();
    divergent.issue({ kind: 'log', truncateAfter: undefined, entries: [noop(1, 1), noop(2, 1)] }, 0, random, fixed(0));
    divergent.completeNext();
    divergent.recover(2, 2, 2);
    expect(divergent.durableEntries()).toEqual([]);
    expect(() => divergent.recover(1, 1, 1)).toThrow(/below the durable compaction point/);
  });
});
