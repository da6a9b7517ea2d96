import type { NodeId } from '@raft/abstractions';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandResult } from '../src/index.js';
import { Cluster, type Member, set, waitFor } from './cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** Every running node has applied the same commands, in the same order, up to `count` of them. */
async function waitForConvergence(c: Cluster, count: number, members: Member[] = c.running()): Promise<void> {
  await waitFor(() => members.every((m) => m.sm.applied.length >= count), 15_000, `${count} commands applied on ${members.map((m) => m.id).join(', ')}`);
  const reference = (members[0] as Member).sm.applied.slice(0, count);
  for (const m of members) expect(m.sm.applied.slice(0, count)).toEqual(reference);
}

function committed(results: readonly CommandResult<unknown>[]): number {
  return results.filter((r) => r.status === 'committed').length;
}

describe.each([3, 5, 7, 9])('a hosted %i-node cluster', (size) => {
  it('elects exactly one leader that every node follows', async () => {
    cluster = new Cluster(size);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    expect(cluster.leaders()).toEqual([leader]);
    const status = leader.node.status();
    expect(status.term).toBeGreaterThanOrEqual(1);
    expect(status.leaderEndpoint).toBe(`memory://${leader.id}`);
  });

  it('replicates many concurrent commands to every node in one order', async () => {
    cluster = new Cluster(size);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    const count = 200;
    const results = await Promise.all(Array.from({ length: count }, (_, i) => leader.node.submit(set(`k${i}`, `v${i}`))));
    expect(results.map((r) => r.status)).toEqual(Array(count).fill('committed'));
    const indices = results.map((r) => (r.status === 'committed' ? r.index : 0));
    expect(new Set(indices).size).toBe(count);
    await waitForConvergence(cluster, count);
    for (const m of cluster.running()) expect(m.sm.data.get('k199')).toBe('v199');
  });

  it('survives a leader crash: a new leader is elected and keeps every committed command', async () => {
    cluster = new Cluster(size);
    await cluster.start();
    const first = await cluster.waitForLeader();
    const before = await Promise.all(Array.from({ length: 20 }, (_, i) => first.node.submit(set(`a${i}`, 'x'))));
    expect(committed(before)).toBe(20);
    await cluster.stopMember(first.id);
    const rest = cluster.ids.filter((id) => id !== first.id);
    const second = await cluster.waitForLeader(rest);
    expect(second.id).not.toBe(first.id);
    expect(second.node.status().term).toBeGreaterThan(first.node.status().term);
    const after = await second.node.submit(set('after', 'crash'));
    expect(after.status).toBe('committed');
    await waitForConvergence(cluster, 21);
    for (const m of cluster.running()) expect(m.sm.data.get('a19')).toBe('x');
  });
});

describe('failures', () => {
  it('keeps committing with a minority of followers down (5 nodes, 2 stopped)', async () => {
    cluster = new Cluster(5);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    const followers = cluster.ids.filter((id) => id !== leader.id);
    await cluster.stopMember(followers[0] as NodeId);
    await cluster.stopMember(followers[1] as NodeId);
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => leader.node.submit(set(`m${i}`, 'v'))));
    expect(committed(results)).toBe(30);
    expect(cluster.leaders()).toEqual([leader]);
    await waitForConvergence(cluster, 30);
  });

  it('a leader partitioned with a minority commits nothing; the majority elects a leader; after heal the stale entries are overwritten and answered leadershipLost, never committed', async () => {
    cluster = new Cluster(5);
    await cluster.start();
    const old = await cluster.waitForLeader();
    expect((await old.node.submit(set('base', '1'))).status).toBe('committed');
    const followers = cluster.ids.filter((id) => id !== old.id);
    const minority = [old.id, followers[0] as NodeId];
    const majority = followers.slice(1);
    cluster.network.partition(minority, majority);
    // Proposed to the cut-off leader; they can only be answered once the truth is known.
    const stale = Array.from({ length: 5 }, (_, i) => old.node.submit(set(`stale${i}`, 'lost'), { timeoutMs: 20_000 }));
    const fresh = await cluster.waitForLeader(majority);
    const written = await fresh.node.submit(set('fresh', 'yes'));
    expect(written.status).toBe('committed');
    // Check-quorum: the old leader steps down without a quorum.
    await waitFor(() => old.node.role !== 'leader', 10_000, 'the minority leader to step down');
    cluster.network.heal();
    const answers = await Promise.all(stale);
    for (const answer of answers) expect(answer).toMatchObject({ status: 'rejected', reason: 'leadershipLost', retryable: false });
    await waitFor(() => cluster?.running().every((m) => m.sm.data.get('fresh') === 'yes') ?? false, 10_000, 'the fresh write everywhere');
    for (const m of cluster.running()) expect(m.sm.applied.some((a) => a.command.startsWith('stale'))).toBe(false);
  });

  it('9 nodes split 4|5: only the 5-side commits', async () => {
    cluster = new Cluster(9);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    const others = cluster.ids.filter((id) => id !== leader.id);
    const four = [leader.id, ...others.slice(0, 3)];
    const five = others.slice(3);
    cluster.network.partition(four, five);
    const lost = leader.node.submit(set('four', 'side'), { timeoutMs: 400 });
    const fiveLeader = await cluster.waitForLeader(five);
    expect((await fiveLeader.node.submit(set('five', 'side'))).status).toBe('committed');
    const answer = await lost;
    expect(answer.status).not.toBe('committed');
    if (answer.status === 'timedOut') expect(answer.outcome).toBe('unknown');
    cluster.network.heal();
    await waitFor(() => cluster?.running().every((m) => m.sm.data.get('five') === 'side') ?? false, 10_000, 'the 5-side write everywhere');
    for (const m of cluster.running()) expect(m.sm.data.has('four')).toBe(false);
  });

  it('a command whose leader is cut off before commit times out as unknown, not as a failure', async () => {
    cluster = new Cluster(3);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    cluster.network.isolate(leader.id);
    const answer = await leader.node.submit(set('cut', 'off'), { timeoutMs: 200 });
    // It was appended to the leader's log: it may still commit if that leader comes back.
    expect(answer).toEqual({ status: 'timedOut', outcome: 'unknown' });
  });

  it('a restarted follower (same storage, fresh state machine) catches up', async () => {
    cluster = new Cluster(3);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    const follower = cluster.ids.find((id) => id !== leader.id) as NodeId;
    expect(committed(await Promise.all(Array.from({ length: 20 }, (_, i) => leader.node.submit(set(`r${i}`, 'a')))))).toBe(20);
    await cluster.stopMember(follower);
    expect(committed(await Promise.all(Array.from({ length: 20 }, (_, i) => leader.node.submit(set(`s${i}`, 'b')))))).toBe(20);
    await cluster.restartMember(follower);
    const restarted = cluster.member(follower);
    await waitForConvergence(cluster, 40);
    expect(restarted.sm.data.get('s19')).toBe('b');
    expect(restarted.node.status().term).toBe(leader.node.status().term);
  });

  it('a follower redirects commands and reads to the leader, with its endpoint', async () => {
    cluster = new Cluster(3);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    const follower = cluster.node(cluster.ids.find((id) => id !== leader.id) as NodeId);
    expect(await follower.submit(set('x', '1'))).toEqual({ status: 'redirected', leaderId: leader.id, endpoint: `memory://${leader.id}` });
    expect(await follower.read()).toEqual({ status: 'redirected', leaderId: leader.id, endpoint: `memory://${leader.id}` });
  });

  it('a linearizable read on the leader sees every command committed before it', async () => {
    cluster = new Cluster(3);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    const write = await leader.node.submit(set('read', 'me'));
    expect(write.status).toBe('committed');
    const read = await leader.node.read();
    expect(read.status).toBe('ready');
    if (read.status === 'ready' && write.status === 'committed') expect(read.readIndex).toBeGreaterThanOrEqual(write.index);
    expect(leader.sm.data.get('read')).toBe('me');
    expect(leader.node.appliedIndex).toBeGreaterThanOrEqual(write.status === 'committed' ? write.index : 0);
  });

  it('transfers leadership to a chosen follower', async () => {
    cluster = new Cluster(3);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    const target = cluster.ids.find((id) => id !== leader.id) as NodeId;
    const result = await leader.node.transferLeadership(target);
    expect(result).toEqual({ status: 'completed', leaderId: target });
    const now = await cluster.waitForLeader();
    expect(now.id).toBe(target);
    expect((await now.node.submit(set('t', '1'))).status).toBe('committed');
  });
});
