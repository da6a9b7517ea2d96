import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClusterConfiguration, NodeId, type RaftEventRecord } from '@raft/abstractions';
import { walStorage } from '@raft/storage-wal';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, FAST, onLeader, set, waitFor } from './cluster.js';

let cluster: Cluster | undefined;
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
  for (const step of cleanup.splice(0)) await step();
});

const SNAPSHOTTING = { ...FAST, snapshotThreshold: 20, trailingLogEntries: 5, snapshotChunkBytes: 64 };

describe('snapshots (§7)', () => {
  it('every node snapshots its state machine every snapshotThreshold entries and compacts its log', async () => {
    cluster = new Cluster(3, SNAPSHOTTING);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => leader.node.submit(set(`k${i}`, `${i}`))));
    expect(results.every((r) => r.status === 'committed')).toBe(true);
    await waitFor(() => cluster?.running().every((m) => m.node.status().snapshotIndex >= 80) ?? false, 10_000, 'snapshots on every node');
    for (const m of cluster.running()) {
      const s = m.node.status();
      expect(s.firstIndex).toBeGreaterThan(1);
      expect(s.firstIndex).toBeLessThanOrEqual(s.snapshotIndex + 1);
    }
  });

  it('a follower that missed compacted entries catches up by InstallSnapshot, in chunks, and serves the same state', async () => {
    cluster = new Cluster(3, SNAPSHOTTING);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    const lagging = cluster.ids.find((id) => id !== leader.id) as NodeId;
    expect((await leader.node.submit(set('early', 'yes'))).status).toBe('committed');
    await cluster.stopMember(lagging);
    const sent: RaftEventRecord[] = [];
    leader.node.on('event', (record) => {
      if (record.event.type === 'snapshotSent') sent.push(record);
    });
    const results = await Promise.all(Array.from({ length: 120 }, (_, i) => leader.node.submit(set(`k${i}`, `${i}`))));
    expect(results.every((r) => r.status === 'committed')).toBe(true);
    await waitFor(() => leader.node.status().firstIndex > 10, 5000, 'the leader to compact past what the follower has');
    await cluster.restartMember(lagging);
    const follower = cluster.member(lagging);
    const installed: number[] = [];
    follower.node.on('event', (record) => {
      if (record.event.type === 'snapshotInstalled') installed.push(record.event.index);
    });
    expect((await leader.node.submit(set('late', 'yes'))).status).toBe('committed');
    await waitFor(() => follower.sm.data.get('late') === 'yes', 10_000, 'the lagging follower to catch up');
    expect(installed.length).toBeGreaterThan(0);
    expect(sent.length).toBeGreaterThan(0);
    expect(follower.sm.data.get('early')).toBe('yes');
    expect(follower.sm.data.get('k119')).toBe('119');
    expect(Object.fromEntries(follower.sm.data)).toEqual(Object.fromEntries(leader.sm.data));
    // It can lead afterwards with everything (Leader Completeness).
    const result = await leader.node.transferLeadership(lagging);
    expect(result).toEqual({ status: 'completed', leaderId: lagging });
    expect((await follower.node.submit(set('led', 'by-former-laggard'))).status).toBe('committed');
  });

  it('a node restarted on its own storage boots from its newest snapshot and replays only the log after it', async () => {
    cluster = new Cluster(3, SNAPSHOTTING);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => leader.node.submit(set(`k${i}`, `${i}`))));
    expect(results.every((r) => r.status === 'committed')).toBe(true);
    const follower = cluster.ids.find((id) => id !== leader.id) as NodeId;
    await waitFor(() => cluster?.member(follower).node.status().snapshotIndex !== 0, 5000, 'a follower snapshot');
    const snapshotIndex = cluster.member(follower).node.status().snapshotIndex;
    await cluster.stopMember(follower);
    await cluster.restartMember(follower);
    const restarted = cluster.member(follower);
    expect(restarted.node.status().snapshotIndex).toBeGreaterThanOrEqual(snapshotIndex);
    // The snapshot was imported before the first tick: nothing at or below it is re-applied.
    expect(restarted.sm.data.size).toBeGreaterThan(0);
    expect(restarted.sm.applied.every((a) => a.index > snapshotIndex)).toBe(true);
    expect((await leader.node.submit(set('after', 'restart'))).status).toBe('committed');
    await waitFor(() => restarted.sm.data.get('after') === 'restart', 10_000, 'the restarted node to catch up');
    expect(Object.fromEntries(restarted.sm.data)).toEqual(Object.fromEntries(leader.sm.data));
  });

  it('a new, empty node added as a learner catches up through a snapshot (it never sees the compacted entries) and converges', async () => {
    cluster = new Cluster(3, SNAPSHOTTING);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => leader.node.submit(set(`k${i}`, `${i}`))));
    expect(results.every((r) => r.status === 'committed')).toBe(true);
    await waitFor(() => leader.node.status().firstIndex > 10, 5000, 'the leader to compact its log');
    const n4 = NodeId('n4');
    const fresh = await cluster.join(n4);
    const installed: number[] = [];
    const elections: RaftEventRecord[] = [];
    fresh.node.on('event', (record) => {
      if (record.event.type === 'snapshotInstalled') installed.push(record.event.index);
      if (record.event.type === 'electionStarted') elections.push(record);
    });
    const added = await onLeader(cluster, cluster.ids, (n) => n.addLearner(n4));
    expect(added).toMatchObject({ status: 'committed', configuration: { voters: cluster.ids, learners: [n4] } });
    expect((await leader.node.submit(set('late', 'yes'))).status).toBe('committed');
    await waitFor(() => fresh.sm.data.get('late') === 'yes', 10_000, 'the new learner to catch up');
    expect(installed.length).toBeGreaterThan(0);
    const firstInstall = installed[0] as number;
    expect(firstInstall).toBeGreaterThanOrEqual(leader.node.status().firstIndex - 1);
    expect(fresh.sm.applied.every((a) => a.index > firstInstall)).toBe(true);
    await waitFor(() => fresh.node.appliedIndex === leader.node.appliedIndex, 5000, 'the learner to apply as far as the leader');
    expect(Object.fromEntries(fresh.sm.data)).toEqual(Object.fromEntries(leader.sm.data));
    // It learned its membership from the leader (by the snapshot and the log after it).
    expect(fresh.node.status().committedConfiguration).toEqual({ voters: cluster.ids, learners: [n4] });
    expect(fresh.node.role).toBe('follower');
    expect(elections).toEqual([]);
  });

  it('a whole cluster restarted from snapshot + log tail (walStorage) reproduces the state exactly, membership included', async () => {
    const root = await mkdtemp(join(tmpdir(), 'raft-hosting-snap-'));
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    cluster = new Cluster(3, SNAPSHOTTING, (id) => walStorage({ dir: join(root, id) }));
    await cluster.start();
    await cluster.waitForLeader();
    const n4 = NodeId('n4');
    await cluster.join(n4);
    const added = await onLeader(cluster, cluster.ids, (n) => n.addVoter(n4));
    expect(added.status).toBe('committed');
    const configurationIndex = added.status === 'committed' ? added.index : 0;
    const all = [...cluster.ids, n4];
    const leader = await cluster.waitForLeader(all);
    const saved = new Map<NodeId, number>();
    for (const id of all) {
      cluster.node(id).on('event', (r) => {
        if (r.event.type === 'snapshotSaved') saved.set(id, r.event.index);
      });
    }
    const results = await Promise.all(Array.from({ length: 75 }, (_, i) => leader.node.submit(set(`k${i % 30}`, `${i}`))));
    expect(results.every((r) => r.status === 'committed')).toBe(true);
    // A log tail after every node's snapshot, and the configuration entries compacted away.
    const tailEverywhere = () => all.every((id) => (saved.get(id) ?? 0) > 0 && (cluster?.node(id).appliedIndex ?? 0) > (saved.get(id) ?? 0));
    const allApplied = () => waitFor(() => all.every((id) => cluster?.node(id).appliedIndex === leader.node.status().lastIndex), 10_000, 'every node to apply everything');
    await allApplied();
    for (let i = 0; i < 30 && !tailEverywhere(); i++) {
      expect((await leader.node.submit(set('tail', `${i}`))).status).toBe('committed');
      await allApplied();
    }
    expect(tailEverywhere()).toBe(true);
    const expectedConfiguration: ClusterConfiguration = { voters: all, learners: [] };
    await cluster.stop();
    const before = new Map(
      all.map((id) => {
        const m = cluster?.member(id);
        const s = m?.node.status();
        // Every node applied every command from its log (none installed a snapshot: all were up).
        return [id, { data: JSON.stringify([...(m?.sm.data ?? [])]), applied: m?.node.appliedIndex ?? 0, firstIndex: s?.firstIndex ?? 0, log: m?.sm.applied ?? [] }];
      }),
    );
    for (const [id, b] of before) {
      expect(b.firstIndex, id).toBeGreaterThan(configurationIndex + 1); // membership only in the snapshot
      expect(b.log.at(-1)?.index, id).toBe(b.applied);
    }
    cluster = new Cluster(3, SNAPSHOTTING, (id) => walStorage({ dir: join(root, id) }));
    await cluster.join(n4, { start: false });
    const booted = new Map<NodeId, number>();
    for (const id of all) {
      await cluster.startMember(id);
      const s = cluster.node(id).status();
      // Recovered before the first tick: the snapshot's state and membership, and a tail to replay.
      booted.set(id, s.snapshotIndex);
      expect(s.snapshotIndex, id).toBeGreaterThan(configurationIndex);
      expect(s.snapshotIndex, id).toBeLessThan(before.get(id)?.applied ?? 0);
      expect(s.configuration).toEqual(expectedConfiguration);
      expect(s.committedConfiguration).toEqual(expectedConfiguration);
      expect(cluster.member(id).sm.data.size, id).toBeGreaterThan(0);
    }
    const applied = Math.max(...[...before.values()].map((b) => b.applied));
    await waitFor(() => all.every((id) => (cluster?.node(id).appliedIndex ?? 0) >= applied), 10_000, 'the log tails to be replayed');
    for (const id of all) {
      const b = before.get(id);
      const m = cluster.member(id);
      const snapshotIndex = booted.get(id) ?? 0;
      // Exactly the same state, and the tail replayed entry by entry as before (nothing at or below the snapshot).
      expect(JSON.stringify([...m.sm.data]), id).toBe(b?.data);
      const tail = b?.log.filter((a) => a.index > snapshotIndex) ?? [];
      expect(tail.length, id).toBeGreaterThan(0);
      expect(m.sm.applied.filter((a) => a.index <= (b?.applied ?? 0)), id).toEqual(tail);
    }
  }, 20_000);
});
