/**
 * Snapshot scenarios (issue 7; reliability notes §6 group E): snapshotting with small
 * thresholds, log compaction, chunked InstallSnapshot transfer and the crash windows around
 * them. Every delivered input runs the global invariant checker (with compaction and
 * installs: Log Matching over held entries, the state machine compared at equal applied
 * indices, INV-6 across restarts); every scenario ends with the final convergence check
 * (heal, barrier write, INV-8, quiesce, INV-10).
 */
import type { NodeId } from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { type SimulatedNodeView, SimulationCluster, type SnapshotOptions } from '../src/index.js';

const ET_MAX = 20; // 2 × electionTicks (10)
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Ticks until `condition` holds; fails the test after `maxTicks`. */
function until(cluster: SimulationCluster, condition: () => boolean, what: string, maxTicks = 20 * ET_MAX): void {
  for (let t = 0; t < maxTicks; t++) {
    if (condition()) return;
    cluster.tick();
  }
  if (!condition()) throw new Error(`${what}: not reached within ${maxTicks} ticks (seed ${cluster.seed})`);
}

/** Submits `count` proposals through the client model, `batch` at a time, until all are acknowledged. */
function commit(cluster: SimulationCluster, count: number, batch = count, afterBatch?: () => void): void {
  const before = cluster.client.acknowledged().length;
  for (let done = 0; done < count; done += batch) {
    for (let i = 0; i < Math.min(batch, count - done); i++) cluster.client.submit();
    until(cluster, () => cluster.client.pendingCount() === 0, 'proposals acknowledged');
    afterBatch?.();
  }
  expect(cluster.client.acknowledged().length).toBe(before + count);
}

function follower(cluster: SimulationCluster, leader: NodeId): NodeId {
  return cluster.nodeIds.find((id) => id !== leader) as NodeId;
}

/** The node `id` has a snapshot transfer under way with at least `bytes` received (and not all of it). */
function receiving(view: SimulatedNodeView, bytes: number): boolean {
  const r = view.alive ? view.snapshotActivity().receiving : undefined;
  return r !== undefined && r.bytes >= bytes;
}

/** Crashes `victim`, commits `count` entries through the rest until they compacted past its log, restarts it. */
function lagBehindCompaction(cluster: SimulationCluster, victim: NodeId, count: number): number {
  const last = cluster.node(victim).lastIndex;
  cluster.crash(victim);
  commit(cluster, count, 3);
  until(
    cluster,
    () => cluster.allNodes().every((v) => !v.alive || v.durableLogBase() > last),
    'the live nodes compacted past the victim',
  );
  return last;
}

describe.each([3, 5, 7])('E1 %i nodes: a node down while the others compact', (n) => {
  it('rejoins through a snapshot, the logs stay bounded, and every state machine converges', () => {
    const policy: SnapshotOptions = { everyEntries: 5, trailingLogEntries: 2, chunkBytes: 48 };
    const cluster = SimulationCluster.create({ nodeCount: n, seed: 1000 + n, snapshot: policy });
    const leader = cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    commit(cluster, 3);
    const victim = follower(cluster, leader);
    const victimLast = cluster.node(victim).lastIndex;
    cluster.crash(victim);
    // 40 entries in batches of 3: without compaction every durable log would hold 40+ entries.
    let longest = 0;
    commit(cluster, 40, 3, () => {
      for (const v of cluster.allNodes()) if (v.alive) longest = Math.max(longest, v.durableLog().length);
    });
    expect(longest).toBeLessThanOrEqual(policy.everyEntries + (policy.trailingLogEntries ?? 0) + 3 + 4);
    until(cluster, () => cluster.allNodes().every((v) => !v.alive || v.durableLogBase() > victimLast), 'compaction past the victim');
    cluster.restart(victim);
    until(cluster, () => cluster.node(victim).snapshotCounters().installsCompleted > 0, 'the victim installs a snapshot');
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
    const v = cluster.node(victim);
    const l = cluster.node(cluster.findLeader() as NodeId);
    expect(v.snapshotCounters().transfersStarted).toBeGreaterThanOrEqual(1);
    expect(v.durableSnapshot()?.lastIncludedIndex).toBeGreaterThan(victimLast);
    expect(v.appliedIndex).toBe(l.appliedIndex);
    expect(v.stateFingerprint()).toBe(l.stateFingerprint());
    expect(v.applied().map((e) => e.index)).toEqual(l.applied().map((e) => e.index));
  });
});

describe('E1 disconnect variant (3 nodes)', () => {
  it('an isolated follower that fell behind the compaction point catches up through InstallSnapshot', () => {
    const cluster = SimulationCluster.create({ nodeCount: 3, seed: 77, snapshot: { everyEntries: 4, trailingLogEntries: 1, chunkBytes: 32 } });
    const leader = cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    const victim = follower(cluster, leader);
    const last = cluster.node(victim).lastIndex;
    cluster.isolate(victim);
    commit(cluster, 24, 4);
    until(cluster, () => cluster.allNodes().every((v) => v.id === victim || v.durableLogBase() > last), 'compaction past the victim');
    cluster.reconnect(victim);
    cluster.checkLiveness({ maxTicks: 30 * ET_MAX });
    expect(cluster.node(victim).snapshotCounters().installsCompleted).toBeGreaterThanOrEqual(1);
    expect(cluster.node(victim).stateFingerprint()).toBe(cluster.node(leader).stateFingerprint());
  });
});

describe('snapshot transfer under faults (3 and 5 nodes)', () => {
  it('a lost chunk is retransmitted and the transfer resumes at the same offset', () => {
    const cluster = SimulationCluster.create({
      nodeCount: 3,
      seed: 31,
      network: { minDelay: 1, maxDelay: 1 },
      snapshot: { everyEntries: 4, trailingLogEntries: 0, chunkBytes: 16 },
    });
    const leader = cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    const victim = follower(cluster, leader);
    lagBehindCompaction(cluster, victim, 20);
    const size = cluster.node(leader).durableSnapshot()?.data.byteLength ?? 0;
    const chunks = Math.ceil(size / 16);
    expect(chunks).toBeGreaterThan(4);
    const sentBefore = cluster.stats().snapshots.chunksSent;
    const before = cluster.node(victim).snapshotCounters();
    cluster.restart(victim);
    until(cluster, () => receiving(cluster.node(victim), 32), 'the transfer is under way');
    const lostBefore = cluster.messageCounters().InstallSnapshot.dropped + cluster.messageCounters().InstallSnapshotResponse.dropped;
    // Cut the leader's link to the victim for two ticks: the chunk (or its answer) in flight is lost.
    cluster.blockLink(leader, victim);
    cluster.blockLink(victim, leader);
    cluster.tick(2);
    cluster.healNetwork();
    const lost = cluster.messageCounters().InstallSnapshot.dropped + cluster.messageCounters().InstallSnapshotResponse.dropped - lostBefore;
    expect(lost).toBeGreaterThan(0);
    until(cluster, () => cluster.node(victim).snapshotCounters().installsCompleted > before.installsCompleted, 'the install completes');
    const after = cluster.node(victim).snapshotCounters();
    expect(cluster.findLeader()).toBe(leader);
    // One transfer, resumed: every chunk written exactly once, and more chunks sent than needed.
    expect(after.transfersStarted - before.transfersStarted).toBe(1);
    expect(after.transfersRestarted - before.transfersRestarted).toBe(0);
    expect(after.chunksWritten - before.chunksWritten).toBe(chunks);
    expect(cluster.stats().snapshots.chunksSent - sentBefore).toBeGreaterThan(chunks);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
    expect(cluster.node(victim).stateFingerprint()).toBe(cluster.node(leader).stateFingerprint());
  });

  it('a leader change mid-transfer restarts the transfer from offset 0 under the new leader', () => {
    const cluster = SimulationCluster.create({ nodeCount: 5, seed: 41, snapshot: { everyEntries: 4, trailingLogEntries: 0, chunkBytes: 16 } });
    const leader = cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    const victim = follower(cluster, leader);
    lagBehindCompaction(cluster, victim, 20);
    const before = cluster.node(victim).snapshotCounters();
    cluster.restart(victim);
    until(cluster, () => receiving(cluster.node(victim), 32), 'the transfer is under way');
    const size = cluster.node(leader).durableSnapshot()?.data.byteLength ?? 0;
    expect(cluster.node(victim).snapshotActivity().receiving?.bytes).toBeLessThan(size);
    cluster.crash(leader);
    const next = cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    expect(next).not.toBe(leader);
    expect(next).not.toBe(victim);
    until(cluster, () => cluster.node(victim).snapshotCounters().installsCompleted > before.installsCompleted, 'the install completes');
    const after = cluster.node(victim).snapshotCounters();
    expect(after.transfersRestarted - before.transfersRestarted).toBeGreaterThanOrEqual(1);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
    expect(cluster.node(victim).stateFingerprint()).toBe(cluster.node(next).stateFingerprint());
  });
});

describe('E3 crash windows around snapshots (3 nodes)', () => {
  /** Lets the victim save snapshots of its own first, so it has a previous state to keep. */
  function withOldSnapshot(seed: number, snapshot: SnapshotOptions) {
    const cluster = SimulationCluster.create({ nodeCount: 3, seed, snapshot });
    const leader = cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    commit(cluster, 10, 2);
    const victim = follower(cluster, leader);
    until(cluster, () => (cluster.node(victim).durableSnapshot()?.lastIncludedIndex ?? 0) > 0, 'the victim saves a snapshot');
    until(cluster, () => !cluster.node(victim).snapshotActivity().saving, 'no save in flight');
    lagBehindCompaction(cluster, victim, 20);
    return { cluster, leader, victim };
  }

  it('crash mid-install: the partial chunks are lost and the previous snapshot and log stay intact', () => {
    const { cluster, leader, victim } = withOldSnapshot(51, { everyEntries: 4, trailingLogEntries: 0, chunkBytes: 16 });
    const old = cluster.node(victim).durableSnapshot();
    cluster.restart(victim);
    expect(cluster.node(victim).appliedIndex).toBe(old?.lastIncludedIndex);
    const oldLog = cluster.node(victim).durableLog();
    until(cluster, () => receiving(cluster.node(victim), 32), 'the transfer is under way');
    const partialsLost = cluster.node(victim).snapshotCounters().partialsLost;
    cluster.crash(victim);
    expect(cluster.node(victim).snapshotCounters().partialsLost).toBe(partialsLost + 1);
    expect(cluster.node(victim).durableSnapshot()).toBe(old);
    expect(cluster.node(victim).durableLog()).toEqual(oldLog);
    cluster.tick(ET_MAX);
    cluster.restart(victim);
    // Restarted from the old snapshot (the checker compares its state with everyone's there).
    expect(cluster.node(victim).appliedIndex).toBe(old?.lastIncludedIndex);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
    expect(cluster.node(victim).durableSnapshot()?.lastIncludedIndex).toBeGreaterThan(old?.lastIncludedIndex ?? 0);
    expect(cluster.node(victim).stateFingerprint()).toBe(cluster.node(leader).stateFingerprint());
  });

  it('crash after the last chunk, before the install is durable: the node comes back in its pre-install state', () => {
    const { cluster, leader, victim } = withOldSnapshot(52, {
      everyEntries: 4,
      trailingLogEntries: 0,
      chunkBytes: 64,
      installLatency: { minDelay: 4, maxDelay: 4 },
    });
    const old = cluster.node(victim).durableSnapshot();
    cluster.restart(victim);
    until(cluster, () => cluster.node(victim).snapshotActivity().committing !== undefined, 'the whole snapshot is received');
    cluster.crash(victim);
    expect(cluster.node(victim).snapshotCounters().installsLost).toBe(1);
    expect(cluster.node(victim).durableSnapshot()).toBe(old);
    cluster.restart(victim);
    expect(cluster.node(victim).appliedIndex).toBe(old?.lastIncludedIndex);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
    expect(cluster.node(victim).snapshotCounters().installsCompleted).toBeGreaterThanOrEqual(1);
    expect(cluster.node(victim).stateFingerprint()).toBe(cluster.node(leader).stateFingerprint());
  });

  it('crash between snapshot save and log compaction: the node restarts from the snapshot and recovers its log', () => {
    // Slow disk writes (the compaction) and instant snapshot saves widen the window.
    const cluster = SimulationCluster.create({
      nodeCount: 3,
      seed: 53,
      storage: { minDelay: 3, maxDelay: 3 },
      snapshot: { everyEntries: 4, trailingLogEntries: 0, saveLatency: { minDelay: 0, maxDelay: 0 } },
    });
    const leader = cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    const victim = follower(cluster, leader);
    for (let i = 0; i < 8; i++) cluster.client.submit();
    until(
      cluster,
      () => {
        const v = cluster.node(victim);
        return (v.durableSnapshot()?.lastIncludedIndex ?? 0) > v.durableLogBase() && v.compactionPending();
      },
      'a durable snapshot whose compaction is not yet durable',
    );
    const snapshot = cluster.node(victim).durableSnapshot()?.lastIncludedIndex ?? 0;
    cluster.crash(victim);
    expect(cluster.stats().snapshots.crashesBeforeCompaction).toBe(1);
    expect(cluster.node(victim).durableLogBase()).toBeLessThan(snapshot);
    expect(cluster.node(victim).durableLog().some((e) => e.index <= snapshot)).toBe(true);
    cluster.restart(victim);
    const v = cluster.node(victim);
    expect(v.snapshotIndex).toBe(snapshot);
    expect(v.appliedIndex).toBe(snapshot);
    expect(v.durableLogBase()).toBe(snapshot);
    expect(v.log().every((e) => e.index > snapshot)).toBe(true);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
    expect(cluster.node(victim).stateFingerprint()).toBe(cluster.node(leader).stateFingerprint());
  });

  it('crash while a snapshot save is in flight: the save is lost and the node restarts from its previous snapshot', () => {
    const cluster = SimulationCluster.create({
      nodeCount: 3,
      seed: 54,
      snapshot: { everyEntries: 3, trailingLogEntries: 1, saveLatency: { minDelay: 5, maxDelay: 5 } },
    });
    const leader = cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    const victim = follower(cluster, leader);
    commit(cluster, 4, 2);
    until(cluster, () => (cluster.node(victim).durableSnapshot()?.lastIncludedIndex ?? 0) > 0, 'a first durable snapshot');
    const old = cluster.node(victim).durableSnapshot();
    commit(cluster, 6, 2);
    until(
      cluster,
      () => (cluster.node(victim).snapshotActivity().saving?.snapshot.lastIncludedIndex ?? 0) > (old?.lastIncludedIndex ?? 0),
      'a newer save in flight',
    );
    expect(cluster.node(victim).durableSnapshot()).toBe(old);
    cluster.crash(victim);
    expect(cluster.node(victim).snapshotCounters().savesLost).toBe(1);
    cluster.restart(victim);
    expect(cluster.node(victim).appliedIndex).toBe(old?.lastIncludedIndex);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
    expect(cluster.node(victim).stateFingerprint()).toBe(cluster.node(leader).stateFingerprint());
  });
});

describe('§7 a follower with a divergent log receives a snapshot (5 nodes)', () => {
  it('discards its whole log, never applies the divergent entries, and converges', () => {
    const cluster = SimulationCluster.create({ nodeCount: 5, seed: 61, snapshot: { everyEntries: 4, trailingLogEntries: 0, chunkBytes: 32 } });
    const old = cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    commit(cluster, 3);
    const committed = cluster.node(old).commitIndex;
    // The old leader, alone, appends entries that never commit.
    cluster.isolate(old);
    for (let i = 0; i < 4; i++) expect(cluster.propose(old, text(`divergent-${i}`))?.status).toBe('appended');
    cluster.tick(2);
    const divergent = cluster.node(old).log().filter((e) => e.index > committed);
    expect(divergent.length).toBeGreaterThanOrEqual(4);
    expect(cluster.node(old).durableLog().some((e) => e.index > committed)).toBe(true);
    // The majority elects a new leader and compacts past the divergent tail.
    const rest = cluster.nodeIds.filter((id) => id !== old);
    until(cluster, () => rest.some((id) => cluster.node(id).role === 'leader'), 'a new leader among the majority');
    commit(cluster, 24, 4);
    const tail = (divergent[divergent.length - 1]?.index ?? 0) as number;
    until(cluster, () => rest.every((id) => cluster.node(id).durableLogBase() > tail), 'compaction past the divergent tail');
    cluster.reconnect(old);
    until(cluster, () => cluster.node(old).snapshotCounters().installsCompleted > 0, 'the old leader installs a snapshot');
    const snapshot = cluster.node(old).durableSnapshot()?.lastIncludedIndex ?? 0;
    expect(snapshot).toBeGreaterThan(tail);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
    const v = cluster.node(old);
    // Nothing of the divergent tail survives, in memory, on disk or in the state machine.
    const isDivergent = (e: { index: number; term: number }) => divergent.some((d) => d.index === e.index && d.term === e.term);
    expect(v.log().some(isDivergent)).toBe(false);
    expect(v.durableLog().some(isDivergent)).toBe(false);
    expect(v.applied().some(isDivergent)).toBe(false);
    expect(v.stateFingerprint()).toBe(cluster.node(cluster.findLeader() as NodeId).stateFingerprint());
  });
});

describe('E7 snapshots and whole-cluster crashes (3 nodes)', () => {
  it('after two crash-everyone cycles no index goes back and the second cycle loses nothing', () => {
    const cluster = SimulationCluster.create({ nodeCount: 3, seed: 71, snapshot: { everyEntries: 4, trailingLogEntries: 1 } });
    cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    commit(cluster, 12, 3);
    until(cluster, () => cluster.allNodes().every((v) => (v.durableSnapshot()?.lastIncludedIndex ?? 0) >= 8), 'every node saved a snapshot');
    const crashAll = (): void => {
      for (const id of cluster.nodeIds) cluster.crash(id);
      for (const id of cluster.nodeIds) cluster.restart(id);
    };
    crashAll();
    cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    commit(cluster, 1);
    const index1 = cluster.client.acknowledged().at(-1)?.index ?? 0;
    crashAll();
    for (const v of cluster.allNodes()) expect(v.snapshotIndex).toBeGreaterThanOrEqual(8);
    cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    commit(cluster, 1);
    const index2 = cluster.client.acknowledged().at(-1)?.index ?? 0;
    expect(index2).toBeGreaterThanOrEqual(index1 + 1);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
  });
});
