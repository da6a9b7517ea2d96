import type { NodeId, RaftEventRecord } from '@raft/abstractions';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, FAST, set, waitFor } from './cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
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
});
