import {
  type ClusterConfiguration,
  ConfigurationError,
  InvalidArgumentError,
  NodeId,
  type RaftEventRecord,
  type SnapshotMeta,
  type StorageProvider,
} from '@raft/abstractions';
import { memoryStorage } from '@raft/storage-memory';
import { InMemoryNetwork } from '@raft/transport-inmemory';
import { afterEach, describe, expect, it } from 'vitest';
import { type MembershipChangeEvent, type MembershipUpdate, RaftNodeBuilder } from '../src/index.js';
import { Cluster, FAST, KeyValueStore, Writers, expectEveryAckApplied, onLeader, set, sleep, waitFor } from './cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const [n1, n2, n3, n4, n5] = ['n1', 'n2', 'n3', 'n4', 'n5'].map(NodeId) as [NodeId, NodeId, NodeId, NodeId, NodeId];
const sorted = (ids: readonly NodeId[]): NodeId[] => [...ids].sort();

/**
 * Snapshots every 50 entries, few trailing entries: new members catch up through snapshots
 * too. 10 ms ticks (100–200 ms election timeouts) so a loaded machine does not elect spuriously.
 */
const CHURN = { ...FAST, tickMs: 10, snapshotThreshold: 50, trailingLogEntries: 10, snapshotChunkBytes: 256 };

/** Records the metadata of every snapshot any node begins writing (taken or received). */
function recordingSnapshots(begun: { node: NodeId; meta: Omit<SnapshotMeta, 'size' | 'checksum'> }[]): (id: NodeId) => StorageProvider {
  return (id) => {
    const inner = memoryStorage();
    return {
      async open() {
        const storage = await inner.open();
        const snapshots = storage.snapshots;
        return {
          log: storage.log,
          meta: storage.meta,
          close: () => storage.close(),
          snapshots: {
            begin: (meta) => {
              begun.push({ node: id, meta });
              return snapshots.begin(meta);
            },
            latest: () => snapshots.latest(),
            close: () => snapshots.close(),
          },
        };
      },
    };
  };
}

/** The committed configuration at `index` according to a history of applied configuration entries. */
function configurationAt(initial: ClusterConfiguration, history: readonly MembershipUpdate[], index: number): ClusterConfiguration {
  let current = initial;
  for (const update of history) if (update.index <= index) current = update.configuration;
  return current;
}

describe('building a node that joins a running cluster', () => {
  const network = new InMemoryNetwork();
  const base = () => new RaftNodeBuilder().withNodeId('n9').withStateMachine(new KeyValueStore()).withTransport(network.transport(NodeId('n9')));

  it('joining() cannot be combined with withPeers: a joining node must not invent voters', () => {
    expect(() => base().joining().withPeers(['n1', 'n2']).build()).toThrowError(ConfigurationError);
    try {
      base().joining().withPeers([]).build();
    } catch (error) {
      expect((error as ConfigurationError).option).toBe('peers');
    }
  });

  it('joining() needs a transport', () => {
    const builder = new RaftNodeBuilder().withNodeId('n9').withStateMachine(new KeyValueStore()).joining();
    expect(() => builder.build()).toThrowError(expect.objectContaining({ code: 'INVALID_CONFIGURATION', option: 'transport' }));
  });

  it('without withPeers or joining() the builder names the peers option', () => {
    expect(() => base().build()).toThrowError(expect.objectContaining({ option: 'peers', message: expect.stringContaining('joining()') }));
  });

  it('a joining node starts with an empty configuration and never campaigns on its own', async () => {
    const node = base().joining().withOptions(FAST).build();
    await node.start();
    const elections: RaftEventRecord[] = [];
    node.on('event', (r) => {
      if (r.event.type === 'electionStarted') elections.push(r);
    });
    await sleep(300); // several election timeouts (50–100 ms)
    expect(node.status().configuration).toEqual({ voters: [], learners: [] });
    expect(node.status().committedConfiguration).toEqual({ voters: [], learners: [] });
    expect(node.role).toBe('follower');
    expect(elections).toEqual([]);
    expect((await node.addLearner('n8')).status).toBe('rejected'); // no leader known
    await node.stop();
  });
});

describe('membership API: arguments and refusals', () => {
  it('malformed ids and options are programming errors (InvalidArgumentError); a node not started refuses', async () => {
    const node = new RaftNodeBuilder().withNodeId('n1').withPeers([]).withStateMachine(new KeyValueStore()).build();
    await expect(node.addLearner('')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(node.removeNode(42 as unknown as string)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(node.promoteLearner('n2', { maxLagEntries: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(node.addVoter('n2', { maxLagEntries: 1.5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(node.addVoter('n2', { timeoutMs: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(node.changeMembership({ voters: 'n1' as unknown as string[] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(node.changeMembership({ voters: ['n1', ''] })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await node.addLearner('n2')).toMatchObject({ status: 'rejected', reason: 'notStarted', retryable: false });
    await node.stop();
    expect(await node.removeNode('n2')).toMatchObject({ status: 'rejected', reason: 'stopping' });
  });

  it('a follower answers redirected with the leader and its endpoint', async () => {
    cluster = new Cluster(3);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    const follower = cluster.running().find((m) => m.id !== leader.id);
    const result = await follower?.node.addLearner(n4);
    expect(result).toEqual({ status: 'redirected', leaderId: leader.id, endpoint: `memory://${leader.id}` });
  });

  it('invalid changes are refused with invalidChange: adding a member, promoting a voter, removing a stranger, no voters left', async () => {
    cluster = new Cluster(3);
    await cluster.start();
    const all = cluster.ids;
    expect(await onLeader(cluster, all, (n) => n.addLearner(n2))).toMatchObject({ status: 'rejected', reason: 'invalidChange', retryable: false });
    expect(await onLeader(cluster, all, (n) => n.promoteLearner(n2))).toMatchObject({ status: 'rejected', reason: 'invalidChange' });
    expect(await onLeader(cluster, all, (n) => n.addVoter(n2))).toMatchObject({ status: 'rejected', reason: 'invalidChange' });
    expect(await onLeader(cluster, all, (n) => n.removeNode(n5))).toMatchObject({ status: 'rejected', reason: 'invalidChange' });
    expect(await onLeader(cluster, all, (n) => n.changeMembership({ voters: [], learners: [n1] }))).toMatchObject({ status: 'rejected', reason: 'invalidChange' });
    expect(await onLeader(cluster, all, (n) => n.changeMembership({ voters: [n1, n2, n3] }))).toMatchObject({ status: 'rejected', reason: 'invalidChange' });
    expect(cluster.node(n1).status().configuration).toEqual({ voters: [n1, n2, n3], learners: [] });
  });

  it('a change submitted while another is pending is refused (configurationChangeInProgress, retryable); after it commits the next is accepted (§4.1)', async () => {
    cluster = new Cluster(3);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    expect((await leader.node.submit(set('ready', 'yes'))).status).toBe('committed'); // it committed in its term
    // Both reach the core in the same turn: the first is appended, the second sees it pending.
    const first = leader.node.addLearner(n4);
    const second = leader.node.addLearner(n5);
    const third = leader.node.removeNode(n3);
    expect(await second).toMatchObject({ status: 'rejected', reason: 'configurationChangeInProgress', retryable: true });
    expect(await third).toMatchObject({ status: 'rejected', reason: 'configurationChangeInProgress', retryable: true });
    expect(await first).toMatchObject({ status: 'committed', configuration: { voters: [n1, n2, n3], learners: [n4] } });
    expect(await leader.node.addLearner(n5)).toMatchObject({ status: 'committed', configuration: { voters: [n1, n2, n3], learners: [n4, n5] } });
  });

  it('a change that cannot commit (its new majority is down) keeps refusing others and times out with outcome unknown', async () => {
    cluster = new Cluster(3);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    expect((await leader.node.submit(set('ready', 'yes'))).status).toBe('committed');
    const follower = cluster.ids.find((id) => id !== leader.id) as NodeId;
    await cluster.stopMember(follower);
    // {n1,n2,n3,n4} needs 3 of 4; n4 does not exist and one follower is down.
    const pending = leader.node.changeMembership({ voters: [...cluster.ids, n4] }, { timeoutMs: 400 });
    await sleep(50);
    expect(leader.node.status().configuration.voters).toContain(n4); // in force once appended
    expect(await leader.node.removeNode(follower)).toMatchObject({ status: 'rejected', reason: 'configurationChangeInProgress' });
    expect(await pending).toEqual({ status: 'timedOut', outcome: 'unknown' });
    expect(leader.node.status().committedConfiguration.voters).not.toContain(n4);
  });
});

describe('membership changes in a running cluster (dissertation ch. 4)', () => {
  it('grows 3 → 5 through learners and shrinks back to 3 while clients keep writing: zero lost acknowledged commands', async () => {
    const begun: { node: NodeId; meta: Omit<SnapshotMeta, 'size' | 'checksum'> }[] = [];
    cluster = new Cluster(3, CHURN, recordingSnapshots(begun));
    await cluster.start();
    await cluster.waitForLeader();
    // Applied configuration entries of every node, and the leaders' change events, by index.
    const history = new Map<number, MembershipUpdate>();
    const started = new Map<number, MembershipChangeEvent>();
    const completed = new Map<number, MembershipChangeEvent>();
    const observe = (id: NodeId): void => {
      const node = cluster?.node(id);
      node?.on('membershipChanged', (u) => {
        if (u.source === 'log') history.set(u.index, u);
      });
      node?.on('membershipChangeStarted', (e) => started.set(e.index, e));
      node?.on('membershipChangeCompleted', (e) => completed.set(e.index, e));
    };
    for (const id of cluster.ids) observe(id);
    const writers = new Writers(cluster).start(3);
    await writers.waitForMore(100);

    // Grow: each new node is an empty joining node, added as a learner, caught up, promoted.
    const joined = await cluster.join(n4);
    observe(n4);
    const seen: MembershipUpdate[] = [];
    const watching = (async () => {
      for await (const update of joined.node.committedMembership()) seen.push(update);
    })();
    const all = () => cluster?.running().map((m) => m.id) ?? [];
    expect(await onLeader(cluster, all(), (n) => n.addVoter(n4, { maxLagEntries: 20 }))).toMatchObject({
      status: 'committed',
      configuration: { voters: [n1, n2, n3, n4], learners: [] },
    });
    await writers.waitForMore(50);
    await cluster.join(n5);
    observe(n5);
    expect(await onLeader(cluster, all(), (n) => n.addVoter(n5, { maxLagEntries: 20 }))).toMatchObject({
      status: 'committed',
      configuration: { voters: [n1, n2, n3, n4, n5], learners: [] },
    });
    await writers.waitForMore(50);
    const leader = await cluster.waitForLeader(all());
    await waitFor(() => all().every((id) => cluster?.node(id).status().committedConfiguration.voters.length === 5), 10_000, 'five voters everywhere');

    // Shrink: retire two of the original nodes (not the leader), one at a time, still under writes.
    const retired = cluster.ids.filter((id) => id !== leader.id).slice(0, 2);
    const finals = sorted([...cluster.ids.filter((id) => !retired.includes(id)), n4, n5]);
    for (const id of retired) {
      const result = await onLeader(cluster, all(), (n) => n.removeNode(id));
      expect(result.status).toBe('committed');
      await writers.waitForMore(30);
    }
    expect(leader.node.status().committedConfiguration).toEqual({ voters: finals, learners: [] });
    // The retired nodes learn they were removed, then are shut down.
    for (const id of retired) {
      await waitFor(() => cluster?.node(id).status().committedConfiguration.voters.includes(id) === false, 10_000, `${id} to learn its removal`);
    }
    for (const id of retired) await cluster.stopMember(id);
    await writers.waitForMore(50);
    await writers.stop();

    await expectEveryAckApplied(cluster, finals, writers.acked);
    expect(writers.acked.length).toBeGreaterThan(280);
    // The leader reported every change it made: learner, voter (twice), two removals.
    const byIndex = <T>(m: Map<number, T>): T[] => [...m.entries()].sort(([a], [b]) => a - b).map(([, v]) => v);
    expect(byIndex(completed).map((e) => e.configuration.voters.length)).toEqual([3, 4, 4, 5, 4, 3]);
    expect(byIndex(started).every((e) => !e.joint)).toBe(true); // single-server changes skip C_old,new
    expect(byIndex(history).map((u) => u.configuration)).toEqual(byIndex(completed).map((e) => e.configuration));
    // The joining node's stream: empty at boot, then learner, then voter, then each later change.
    await cluster.stop();
    cluster = undefined;
    await watching;
    expect(seen[0]).toMatchObject({ source: 'boot', member: false, configuration: { voters: [], learners: [] } });
    const voterAt = seen.findIndex((u) => u.configuration.voters.includes(n4));
    const learnerAt = seen.findIndex((u) => u.configuration.learners.includes(n4));
    expect(learnerAt).toBeGreaterThan(0);
    expect(voterAt).toBeGreaterThan(learnerAt);
    expect(seen.at(-1)?.configuration).toEqual({ voters: finals, learners: [] });
    // Every snapshot, on every node, recorded the configuration committed at its own index —
    // not a newer one that was only appended (§5.4; snapshots were taken while changes were pending).
    const initial = { voters: [n1, n2, n3], learners: [] };
    expect(begun.length).toBeGreaterThan(10);
    for (const { node, meta } of begun) {
      expect({ node, index: meta.lastIncludedIndex, configuration: meta.configuration }).toEqual({
        node,
        index: meta.lastIncludedIndex,
        configuration: configurationAt(initial, byIndex(history), meta.lastIncludedIndex),
      });
    }
  }, 30_000);

  it("replaces the leader's machine — add the new node, transfer leadership to it, remove the old — with zero lost acknowledged commands", async () => {
    cluster = new Cluster(3, CHURN);
    await cluster.start();
    await cluster.waitForLeader();
    const writers = new Writers(cluster).start(3);
    await writers.waitForMore(100);
    await cluster.join(n4);
    const members = () => cluster?.running().map((m) => m.id) ?? [];
    expect((await onLeader(cluster, members(), (n) => n.addVoter(n4, { maxLagEntries: 10 }))).status).toBe('committed');
    await writers.waitForMore(30);
    const old = await cluster.waitForLeader(members());
    const transfer = await old.node.transferLeadership(n4);
    expect(transfer).toEqual({ status: 'completed', leaderId: n4 });
    const fresh = await cluster.waitForLeader(members());
    expect(fresh.id).toBe(n4);
    await writers.waitForMore(30);
    const removed = await onLeader(cluster, members(), (n) => n.removeNode(old.id));
    expect(removed).toMatchObject({ status: 'committed', configuration: { voters: sorted(cluster.ids.filter((id) => id !== old.id).concat(n4)) } });
    await waitFor(() => cluster?.node(old.id).status().committedConfiguration.voters.includes(old.id) === false, 10_000, 'the old machine to learn its removal');
    await cluster.stopMember(old.id);
    await writers.waitForMore(50);
    await writers.stop();
    const finals = sorted(members());
    expect(finals).toEqual(sorted([...cluster.ids.filter((id) => id !== old.id), n4]));
    await expectEveryAckApplied(cluster, finals, writers.acked);
    expect(cluster.node(n4).role).toBe('leader');
  }, 30_000);

  it('removing the leader: it commits C_new without itself, steps down, a new leader is elected, and it never campaigns again (§4.2.2)', async () => {
    cluster = new Cluster(3, CHURN);
    await cluster.start();
    const old = await cluster.waitForLeader();
    const rest = cluster.ids.filter((id) => id !== old.id);
    const events: RaftEventRecord[] = [];
    old.node.on('event', (r) => events.push(r));
    const writers = new Writers(cluster).start(2);
    await writers.waitForMore(50);
    const result = await old.node.removeNode(old.id);
    expect(result).toMatchObject({ status: 'committed', configuration: { voters: rest, learners: [] } });
    const next = await cluster.waitForLeader(rest);
    expect(rest).toContain(next.id);
    expect(events.some((r) => r.event.type === 'leaderLost' && r.event.reason === 'removed')).toBe(true);
    const termOfNewLeader = next.node.status().term;
    const electionsBefore = events.filter((r) => r.event.type === 'electionStarted').length;
    await writers.waitForMore(100);
    await sleep(300); // several election timeouts with the removed node still running
    await writers.stop();
    expect(events.filter((r) => r.event.type === 'electionStarted').length).toBe(electionsBefore);
    expect(old.node.role).toBe('follower');
    expect(next.node.role).toBe('leader');
    expect(next.node.status().term).toBe(termOfNewLeader); // the removed node did not disrupt it
    expect(old.node.status().committedConfiguration.voters).not.toContain(old.id);
    await expectEveryAckApplied(cluster, rest, writers.acked);
  }, 30_000);

  it('an arbitrary change goes through joint consensus C_old,new and resolves only once C_new is committed (§4.3)', async () => {
    cluster = new Cluster(3);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    const started: MembershipChangeEvent[] = [];
    const committedEvents: MembershipChangeEvent[] = [];
    const completed: MembershipChangeEvent[] = [];
    leader.node.on('membershipChangeStarted', (e) => started.push(e));
    leader.node.on('membershipChangeCommitted', (e) => committedEvents.push(e));
    leader.node.on('membershipChangeCompleted', (e) => completed.push(e));
    await cluster.join(n4);
    await cluster.join(n5);
    const keep = cluster.ids.find((id) => id !== leader.id) as NodeId;
    const target = sorted([leader.id, n4, n5]);
    const gone = cluster.ids.filter((id) => id !== leader.id && id !== keep);
    // Replace two voters at once, keep one as a learner.
    const result = await onLeader(cluster, [...cluster.ids, n4, n5], (n) => n.changeMembership({ voters: target, learners: [keep] }));
    expect(result).toMatchObject({ status: 'committed', configuration: { voters: target, learners: [keep] } });
    expect(result.status === 'committed' && result.configuration.oldVoters).toBe(undefined);
    expect(started.map((e) => e.joint)).toEqual([true, false]);
    expect(started[0]?.configuration).toEqual({ voters: target, oldVoters: cluster.ids, learners: [keep] });
    expect(committedEvents.map((e) => e.joint)).toEqual([true, false]);
    expect(completed).toEqual([{ index: started[1]?.index, configuration: { voters: target, learners: [keep] }, joint: false }]);
    expect(result.status === 'committed' && result.index).toBe(started[1]?.index);
    for (const id of gone) await cluster.stopMember(id);
    expect((await leader.node.submit(set('after', 'joint'))).status).toBe('committed');
    await waitFor(() => [n4, n5, keep].every((id) => cluster?.member(id).sm.data.get('after') === 'joint'), 10_000, 'the new members and the learner to apply');
  });

  it('promoteLearner waits until the learner caught up (maxLagEntries); a learner that cannot catch up times out, definitely not promoted', async () => {
    cluster = new Cluster(3);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    const learner = await cluster.join(n4, { start: false });
    expect(await onLeader(cluster, cluster.ids, (n) => n.addLearner(n4))).toMatchObject({ status: 'committed' }); // learners are not in any quorum
    for (let i = 0; i < 20; i++) expect((await leader.node.submit(set(`k${i}`, 'v'))).status).toBe('committed');
    const early = await leader.node.promoteLearner(n4, { maxLagEntries: 5, timeoutMs: 300 });
    expect(early).toEqual({ status: 'timedOut', outcome: 'notCommitted' });
    expect(leader.node.status().configuration.learners).toEqual([n4]);
    await cluster.startMember(n4);
    const promoted = await leader.node.promoteLearner(n4, { maxLagEntries: 0 });
    expect(promoted).toMatchObject({ status: 'committed', configuration: { voters: [n1, n2, n3, n4], learners: [] } });
    // It had everything when promoted.
    expect(learner.sm.data.get('k19')).toBe('v');
    // A wait for a learner that is down, aborted: cancelled, outcome notCommitted, still a learner.
    await cluster.join(n5, { start: false });
    expect((await leader.node.addLearner(n5)).status).toBe('committed');
    const controller = new AbortController();
    const waiting = leader.node.promoteLearner(n5, { signal: controller.signal, maxLagEntries: 0 });
    await sleep(100);
    controller.abort();
    expect(await waiting).toEqual({ status: 'cancelled', reason: 'aborted', outcome: 'notCommitted' });
    expect(leader.node.status().configuration.learners).toEqual([n5]);
  });

  it('status() shows the configuration in force and the committed one; committedMembership() starts with the current membership', async () => {
    cluster = new Cluster(3);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    const updates: MembershipUpdate[] = [];
    const controller = new AbortController();
    const reading = (async () => {
      for await (const u of leader.node.committedMembership({ signal: controller.signal })) updates.push(u);
    })();
    expect((await onLeader(cluster, cluster.ids, (n) => n.addLearner(n4))).status).toBe('committed');
    await waitFor(() => updates.length >= 2, 5000, 'two membership updates');
    controller.abort();
    await reading;
    // The current membership: the bootstrap one (at boot, or as recorded at index 1 by the first leader).
    expect(updates[0]).toMatchObject({ member: true, joint: false, configuration: { voters: [n1, n2, n3], learners: [] } });
    expect(updates[0]?.index).toBeLessThanOrEqual(1);
    expect(updates[1]).toMatchObject({ source: 'log', member: true, configuration: { voters: [n1, n2, n3], learners: [n4] } });
    const s = leader.node.status();
    expect(s.configuration).toEqual({ voters: [n1, n2, n3], learners: [n4] });
    expect(s.committedConfiguration).toEqual(s.configuration);
    expect(s.committedConfigurationIndex).toBe(updates[1]?.index);
  });
});
