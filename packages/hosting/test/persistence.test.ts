import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CommittedCommand, type LogEntry, LogIndex, NodeId, type RaftStorage, type StateMachine, type StorageProvider, Term } from '@raft/abstractions';
import { memoryStorage } from '@raft/storage-memory';
import { walStorage } from '@raft/storage-wal';
import { afterEach, describe, expect, it } from 'vitest';
import { type RaftNode, RaftNodeBuilder } from '../src/index.js';
import { acknowledgement, merge } from '../src/internal/persistence-queue.js';
import { Cluster, FAST, KeyValueStore, set, waitFor } from './cluster.js';

const n1 = NodeId('n1');
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

function lone(storage: StorageProvider, sm: StateMachine<unknown>): RaftNode<unknown> {
  const node = new RaftNodeBuilder().withNodeId(n1).withPeers([]).withStorage(storage).withStateMachine(sm).withOptions(FAST).build();
  cleanup.push(() => node.stop({ timeoutMs: 0 }));
  return node;
}

async function lead(node: RaftNode<unknown>): Promise<void> {
  await node.start();
  await waitFor(() => node.role === 'leader', 5000, 'leader');
}

/** Wraps a provider to count log appends and to fail them on demand. */
function instrumented(inner: StorageProvider): StorageProvider & { appends: number; entries: number; failAppends: boolean } {
  const wrapper = {
    appends: 0,
    entries: 0,
    failAppends: false,
    async open(): Promise<RaftStorage> {
      const storage = await inner.open();
      const log = storage.log;
      return {
        ...storage,
        log: Object.assign(Object.create(log) as typeof log, {
          append: async (entries: readonly LogEntry[]) => {
            if (wrapper.failAppends) throw new Error('injected EIO');
            wrapper.appends++;
            wrapper.entries += entries.length;
            await log.append(entries);
          },
        }),
        close: () => storage.close(),
      };
    },
  };
  return wrapper;
}

const entry = (index: number, term = 1): LogEntry => ({ kind: 'noop', index: LogIndex(index), term: Term(term) });

describe('the persistence queue merges a batch in order (group commit)', () => {
  it('merges consecutive appends into one, and truncations into the pending entries', () => {
    const steps = merge([
      { kind: 'append', entries: [entry(1), entry(2)], write: 1 },
      { kind: 'append', entries: [entry(3)], write: 2 },
      { kind: 'truncate', after: LogIndex(2) },
      { kind: 'append', entries: [entry(3, 2)], write: 3 },
    ]);
    expect(steps).toEqual([{ kind: 'log', truncateAfter: undefined, entries: [entry(1), entry(2), entry(3, 2)] }]);
  });

  it('a truncation below the batch truncates the store, then appends', () => {
    const steps = merge([
      { kind: 'append', entries: [entry(6)], write: 1 },
      { kind: 'truncate', after: LogIndex(3) },
      { kind: 'append', entries: [entry(4, 2)], write: 2 },
    ]);
    expect(steps).toEqual([{ kind: 'log', truncateAfter: 3, entries: [entry(4, 2)] }]);
  });

  it('keeps meta and log writes in order, writing only the newest of consecutive metas', () => {
    const m1 = { currentTerm: Term(1), votedFor: undefined };
    const m2 = { currentTerm: Term(2), votedFor: n1 };
    const batch = [
      { kind: 'meta', meta: m1, write: 1 },
      { kind: 'meta', meta: m2, write: 2 },
      { kind: 'append', entries: [entry(1, 2)], write: 3 },
      { kind: 'compact', upTo: LogIndex(1), term: Term(2) },
    ] as const;
    expect(merge(batch).map((s) => s.kind)).toEqual(['meta', 'log', 'compact']);
    expect(merge(batch)[0]).toEqual({ kind: 'meta', meta: m2 });
    // Only the newest write is acknowledged, by its write number: it covers every earlier one.
    expect(acknowledgement(batch)).toEqual({ type: 'logPersisted', upTo: 1, term: 2, write: 3 });
    expect(acknowledgement([...batch, { kind: 'meta', meta: m1, write: 4 }])).toEqual({ type: 'metaPersisted', meta: m1, write: 4 });
  });
});

describe('durable state', () => {
  it('group commit: many concurrent commands take far fewer log writes than commands', async () => {
    const storage = instrumented(memoryStorage());
    const node = lone(storage, new KeyValueStore());
    await lead(node);
    const before = storage.appends;
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => node.submit(set(`k${i}`, 'v'))));
    expect(results.every((r) => r.status === 'committed')).toBe(true);
    const writes = storage.appends - before;
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThan(50);
  });

  it('a failed log write is fatal: waiting commands are answered, later ones rejected failed', async () => {
    const storage = instrumented(memoryStorage());
    const node = lone(storage, new KeyValueStore());
    await lead(node);
    storage.failAppends = true;
    const answer = await node.submit(set('a', '1'));
    expect(answer).toEqual({ status: 'cancelled', reason: 'failed', outcome: 'unknown' });
    const later = await node.submit(set('b', '1'));
    expect(later).toMatchObject({ status: 'rejected', reason: 'failed' });
    expect(later.status === 'rejected' && later.error?.code).toBe('STORAGE_IO_FAILED');
    await waitFor(() => node.status().failed, 2000, 'the core to be failed');
  });

  it('a state machine that throws makes the node fail-stop and answers the command as unknown', async () => {
    const node = lone(memoryStorage(), {
      apply(): never {
        throw new Error('bug in apply');
      },
      async *exportSnapshot() {},
      async importSnapshot() {},
    });
    await lead(node);
    expect(await node.submit(set('a', '1'))).toEqual({ status: 'cancelled', reason: 'failed', outcome: 'unknown' });
    await waitFor(() => node.lifecycle === 'stopped', 2000, 'the node to stop');
    expect(node.status().failure?.code).toBe('ILLEGAL_STATE');
  });

  it('applies an async state machine in order and hands its result to the client', async () => {
    const order: number[] = [];
    const node = lone(memoryStorage(), {
      async apply(c: CommittedCommand): Promise<number> {
        await new Promise((resolve) => setTimeout(resolve, 1));
        order.push(c.index);
        return c.index * 10;
      },
      async *exportSnapshot() {},
      async importSnapshot() {},
    });
    await lead(node);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => node.submit(set(`k${i}`, 'v'))));
    for (const r of results) expect(r.status === 'committed' && r.result).toBe(r.status === 'committed' ? r.index * 10 : -1);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('boots from the newest snapshot: imports it into the state machine and continues the log after it', async () => {
    const storage = memoryStorage();
    const first = lone(storage, new KeyValueStore());
    await lead(first);
    for (let i = 0; i < 5; i++) expect((await first.submit(set(`k${i}`, `v${i}`))).status).toBe('committed');
    const { lastIndex, lastTerm } = first.status();
    await first.stop();
    // Take a snapshot of what was applied "by hand" and compact the log under it.
    const disk = await storage.open();
    const writer = await disk.snapshots.begin({ lastIncludedIndex: lastIndex, lastIncludedTerm: lastTerm, configuration: { voters: [n1], learners: [] } });
    await writer.write(new TextEncoder().encode(JSON.stringify([['k4', 'from-snapshot']])));
    await writer.commit();
    await disk.log.compactUpTo(lastIndex, lastTerm);
    await disk.close();
    const sm = new KeyValueStore();
    const second = lone(storage, sm);
    await lead(second);
    expect(sm.data.get('k4')).toBe('from-snapshot');
    expect(second.status().snapshotIndex).toBe(lastIndex);
    const next = await second.submit(set('after', 'snapshot'));
    expect(next.status === 'committed' && next.index).toBeGreaterThan(lastIndex);
    expect(sm.applied.map((a) => a.command)).toEqual(['after=snapshot']);
  });

  it('refuses to boot from a log with a gap after the snapshot (STORAGE_CORRUPTED)', async () => {
    const storage = memoryStorage();
    const disk = await storage.open();
    await disk.log.compactUpTo(LogIndex(5), Term(1));
    await disk.log.append([entry(6)]);
    const writer = await disk.snapshots.begin({ lastIncludedIndex: LogIndex(3), lastIncludedTerm: Term(1), configuration: { voters: [n1], learners: [] } });
    await writer.write(new TextEncoder().encode('[]'));
    await writer.commit();
    await disk.close();
    const node = lone(storage, new KeyValueStore());
    await expect(node.start()).rejects.toMatchObject({ code: 'STORAGE_CORRUPTED' });
    expect(node.lifecycle).toBe('stopped');
    expect(storage.isOpen).toBe(false);
  });

  it('with walStorage (and file snapshots), a whole cluster restarted from disk resumes: same log, later term, state rebuilt', async () => {
    const root = await mkdtemp(join(tmpdir(), 'raft-hosting-'));
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    const dirs = (id: NodeId) => walStorage({ dir: join(root, id) });
    const options = { ...FAST, snapshotThreshold: 8, trailingLogEntries: 2 };
    const first = new Cluster(3, options, dirs);
    cleanup.push(() => first.stop());
    await first.start();
    const leader = await first.waitForLeader();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => leader.node.submit(set(`w${i}`, `${i}`))));
    expect(results.every((r) => r.status === 'committed')).toBe(true);
    const term = leader.node.status().term;
    const commitIndex = leader.node.status().commitIndex;
    await first.stop();

    const second = new Cluster(3, options, dirs);
    cleanup.push(() => second.stop());
    await second.start();
    // Recovered from disk before the first tick: a majority holds every committed entry, and
    // the snapshots taken before the restart were loaded.
    expect(second.running().filter((m) => m.node.status().lastIndex >= commitIndex).length).toBeGreaterThanOrEqual(2);
    expect(second.running().some((m) => m.node.status().snapshotIndex > 0)).toBe(true);
    const again = await second.waitForLeader();
    expect(again.node.status().term).toBeGreaterThan(term);
    expect((await again.node.submit(set('after', 'restart'))).status).toBe('committed');
    await waitFor(() => second.running().every((m) => m.sm.data.get('after') === 'restart'), 10_000, 'the new write everywhere');
    for (const m of second.running()) {
      for (let i = 0; i < 30; i++) expect(m.sm.data.get(`w${i}`)).toBe(`${i}`);
    }
  });
});

describe('request deadlines', () => {
  it('expire in deadline order, skip answered requests, and compact answered ones away', async () => {
    const { Deadlines } = await import('../src/internal/deadlines.js');
    const heap = new Deadlines<{ deadline: number; settled: boolean; id: number }>();
    const items = Array.from({ length: 3000 }, (_, i) => ({ deadline: (i * 7919) % 3000, settled: i % 3 !== 0, id: i }));
    for (const item of items) heap.add(item);
    heap.compact();
    expect(heap.size).toBe(1000);
    const expired = heap.expired(1500);
    expect(expired.every((e) => !e.settled && e.deadline <= 1500)).toBe(true);
    expect(expired.map((e) => e.deadline)).toEqual([...expired.map((e) => e.deadline)].sort((a, b) => a - b));
    expect(expired.length + heap.expired(Number.POSITIVE_INFINITY).length).toBe(1000);
  });
});
