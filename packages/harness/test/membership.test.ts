/**
 * Membership scenarios (issue 8; reliability notes §6 groups F and G). Every delivered input
 * runs the global invariant checker — INV-1 Election Safety under joint configurations and
 * INV-11 configuration safety included — and each core's own invariants; each scenario ends
 * with the final convergence check (heal, re-elect, barrier, settled membership, INV-8 on
 * every member of the final configuration, INV-10). Nodes that are not founders boot with an
 * empty configuration and learn the membership from the leader.
 */
import {
  type ClusterConfiguration,
  type ConfigurationChange,
  type LogIndex,
  type NodeId,
  NodeId as nodeId,
  allMembers,
  isJointConfiguration,
} from '@raft/abstractions';
import { describe, expect, it } from 'vitest';
import { RaftNodeState } from '@raft/core';
import { InvariantViolationError, SimulationCluster, type SimulationOptions } from '../src/index.js';

const ET = 10; // electionTicks
const ET_MAX = 2 * ET;
const [n1, n2, n3, n4, n5] = ['n1', 'n2', 'n3', 'n4', 'n5'].map(nodeId) as [NodeId, NodeId, NodeId, NodeId, NodeId];

const sorted = (ids: readonly NodeId[]): NodeId[] => [...ids].sort();

function create(options: Partial<SimulationOptions> & { nodeCount: number; seed: number }): { cluster: SimulationCluster; leader: NodeId } {
  const cluster = SimulationCluster.create(options);
  const leader = cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
  // A change needs an entry of the leader's term committed first (dissertation §4.1 fix).
  commitThroughClient(cluster, 1);
  return { cluster, leader };
}

/** Submits `count` proposals through the client model and ticks until all are acknowledged. */
function commitThroughClient(cluster: SimulationCluster, count: number, maxTicks = 10 * ET_MAX): void {
  const before = cluster.client.acknowledged().length;
  for (let i = 0; i < count; i++) cluster.client.submit();
  for (let t = 0; t < maxTicks && cluster.client.pendingCount() > 0; t++) cluster.tick();
  expect(cluster.client.pendingCount()).toBe(0);
  expect(cluster.client.acknowledged().length).toBe(before + count);
}

/** Asks the leader for a change, expects it appended, returns its index. */
function change(cluster: SimulationCluster, c: ConfigurationChange): LogIndex {
  const result = cluster.changeMembership(c);
  if (result.status !== 'appended') throw new Error(`${c.type} was not appended: ${JSON.stringify(result)}`);
  return result.index;
}

/**
 * Ticks until a stable leader has committed `index` and its configuration is not joint (a
 * joint one is left by the leader on its own), and returns that configuration.
 */
function awaitSettled(cluster: SimulationCluster, index: number, maxTicks = 10 * ET_MAX): ClusterConfiguration {
  for (let t = 0; t <= maxTicks; t++) {
    const leader = cluster.stableLeader();
    if (leader !== undefined) {
      const s = cluster.node(leader).status();
      const latest = Math.max(0, ...cluster.node(leader).log().filter((e) => e.kind === 'configuration').map((e) => e.index));
      if (s.commitIndex >= index && s.commitIndex >= latest && !isJointConfiguration(s.configuration)) return s.configuration;
    }
    cluster.tick();
  }
  throw new Error(`configuration change at ${index} did not settle within ${maxTicks} ticks`);
}

/** Ticks until the leader's match index for `id` reaches its last index (a caught-up learner). */
function awaitCaughtUp(cluster: SimulationCluster, id: NodeId, maxTicks = 10 * ET_MAX): void {
  for (let t = 0; t <= maxTicks; t++) {
    const leader = cluster.findLeader();
    if (leader !== undefined) {
      const s = cluster.node(leader).status();
      const p = s.progress.find((x) => x.nodeId === id);
      if (p !== undefined && p.matchIndex >= s.lastIndex) return;
    }
    cluster.tick();
  }
  throw new Error(`${id} did not catch up within ${maxTicks} ticks`);
}

/** Adds `id` as a learner, waits until it caught up, promotes it (F1, F6). */
function addThroughLearner(cluster: SimulationCluster, id: NodeId): ClusterConfiguration {
  awaitSettled(cluster, change(cluster, { type: 'addLearner', nodeId: id }));
  awaitCaughtUp(cluster, id);
  return awaitSettled(cluster, change(cluster, { type: 'promoteLearner', nodeId: id }));
}

/** Every live node's latest configuration, by id. */
function configurations(cluster: SimulationCluster): Record<string, ClusterConfiguration> {
  return Object.fromEntries(cluster.allNodes().filter((v) => v.alive).map((v) => [v.id, v.status().configuration]));
}

describe('F1/F2 grow and shrink through learners', () => {
  it('F1 grow 3→5 through learners while clients write, then F2 shrink back to 3: every member agrees, no acknowledged write lost', () => {
    const { cluster, leader } = create({ nodeCount: 5, initialVoters: 3, seed: 801, storage: { minDelay: 0, maxDelay: 2 } });
    // The joining nodes start with an empty configuration and take no part.
    expect(cluster.node(n4).status().configuration).toEqual({ voters: [], learners: [] });
    for (const id of [n4, n5]) {
      for (let i = 0; i < 5; i++) cluster.client.submit();
      addThroughLearner(cluster, id);
    }
    commitThroughClient(cluster, 5);
    const five = awaitSettled(cluster, 0);
    expect(sorted(five.voters)).toEqual([n1, n2, n3, n4, n5]);
    cluster.tick(ET_MAX);
    for (const c of Object.values(configurations(cluster))) expect(sorted(c.voters)).toEqual([n1, n2, n3, n4, n5]);
    // F2: shrink back, leaving the leader in place.
    const removed = [n1, n2, n3, n4, n5].filter((id) => id !== leader).slice(0, 2);
    for (const id of removed) {
      for (let i = 0; i < 3; i++) cluster.client.submit();
      awaitSettled(cluster, change(cluster, { type: 'removeNode', nodeId: id }));
    }
    commitThroughClient(cluster, 3);
    const three = awaitSettled(cluster, 0);
    expect(three.voters).toHaveLength(3);
    expect(three.voters).not.toContain(removed[0]);
    expect(cluster.findLeader()).toBe(leader);
    // Removed nodes stop receiving entries: their logs stay where the removal left them.
    const lastOfRemoved = removed.map((id) => cluster.node(id).lastIndex);
    commitThroughClient(cluster, 5);
    expect(removed.map((id) => cluster.node(id).lastIndex)).toEqual(lastOfRemoved);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
    expect(cluster.stats().membership.leadersRemoved).toBe(0);
  });

  it('F6 a learner never counts toward the quorum; a promoted voter does, once its promotion is in the log', () => {
    const { cluster, leader } = create({ nodeCount: 4, initialVoters: 3, seed: 802 });
    awaitSettled(cluster, change(cluster, { type: 'addLearner', nodeId: n4 }));
    awaitCaughtUp(cluster, n4);
    // With two of the three voters down, the leader and the learner are not a quorum.
    const [a, b] = [n1, n2, n3].filter((id) => id !== leader) as [NodeId, NodeId];
    cluster.crash(a);
    cluster.crash(b);
    const commit = cluster.node(leader).commitIndex;
    expect(cluster.propose(leader, new TextEncoder().encode('no quorum'))?.status).toBe('appended');
    cluster.tick(ET);
    expect(cluster.node(leader).commitIndex).toBe(commit);
    expect(cluster.node(n4).status().configuration.learners).toEqual([n4]);
    cluster.restart(a);
    cluster.restart(b);
    const leader2 = cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    commitThroughClient(cluster, 1);
    awaitSettled(cluster, change(cluster, { type: 'promoteLearner', nodeId: n4 }));
    // Now 4 voters: the leader plus n4 plus one more is a quorum of 3; two others down do not block it.
    const down = [n1, n2, n3].filter((id) => id !== leader2).slice(0, 1);
    for (const id of down) cluster.crash(id);
    commitThroughClient(cluster, 3);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
  });
});

describe('F3 removing the leader', () => {
  it('F3 the removed leader does not count itself toward C_new, steps down once C_new commits, a new leader follows within 3·ET_max and it never campaigns again', () => {
    const { cluster, leader } = create({ nodeCount: 3, seed: 803 });
    const [a, b] = [n1, n2, n3].filter((id) => id !== leader) as [NodeId, NodeId];
    commitThroughClient(cluster, 2);
    // With one of the remaining voters down, C_new = {a, b} cannot commit: the leader does not count itself.
    cluster.crash(b);
    const removal = change(cluster, { type: 'removeNode', nodeId: leader });
    expect(cluster.node(leader).status().configuration.voters).toEqual(sorted([a, b]));
    expect(cluster.propose(leader, new TextEncoder().encode('foo'))?.status).toBe('appended');
    cluster.tick(ET);
    expect(cluster.node(leader).commitIndex).toBeLessThan(removal);
    expect(cluster.node(leader).role).toBe('leader');
    cluster.restart(b);
    const start = cluster.now;
    let steppedDownAt: number | undefined;
    for (let t = 0; t < 3 * ET_MAX && steppedDownAt === undefined; t++) {
      cluster.tick();
      if (cluster.node(leader).role !== 'leader') steppedDownAt = cluster.now;
    }
    expect(steppedDownAt).toBeDefined();
    expect(cluster.node(leader).commitIndex).toBeGreaterThanOrEqual(removal);
    const next = cluster.advanceUntilLeaderElected({ maxTicks: 3 * ET_MAX });
    expect([a, b]).toContain(next);
    expect(cluster.now - start).toBeLessThanOrEqual(3 * ET_MAX + ET_MAX);
    expect(cluster.stats().membership.leadersRemoved).toBe(1);
    // The removed node never campaigns again, not even while C_new has no leader: its term
    // stays, and it never becomes a (pre-)candidate afterwards either.
    const termOfRemoved = cluster.node(leader).term;
    cluster.crash(next);
    const roles = new Set<string>();
    for (let t = 0; t < 10 * ET_MAX; t++) {
      cluster.tick();
      roles.add(cluster.node(leader).role);
    }
    expect(cluster.findLeader()).toBeUndefined();
    expect(cluster.node(leader).term).toBe(termOfRemoved);
    cluster.restart(next);
    cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    commitThroughClient(cluster, 3);
    for (let t = 0; t < 10 * ET_MAX; t++) {
      cluster.tick();
      roles.add(cluster.node(leader).role);
    }
    expect([...roles]).toEqual(['follower']);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
    expect(cluster.liveMemberIds()).toEqual(sorted([a, b]));
  });
});

describe('replacing nodes', () => {
  it('replace a follower: add the new machine as a learner, promote it, remove the old one', () => {
    const { cluster, leader } = create({ nodeCount: 4, initialVoters: 3, seed: 804 });
    const old = [n1, n2, n3].find((id) => id !== leader) as NodeId;
    for (let i = 0; i < 5; i++) cluster.client.submit();
    addThroughLearner(cluster, n4);
    const after = awaitSettled(cluster, change(cluster, { type: 'removeNode', nodeId: old }));
    expect(sorted(after.voters)).toEqual(sorted([n1, n2, n3, n4].filter((id) => id !== old)));
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
    expect(cluster.client.acknowledged().length).toBe(7); // with the barrier
  });

  it("replace the leader's machine: add the new one, transfer leadership to it, remove the old leader — zero lost acknowledged writes", () => {
    const { cluster, leader } = create({ nodeCount: 4, initialVoters: 3, seed: 805, storage: { minDelay: 0, maxDelay: 2 } });
    for (let i = 0; i < 5; i++) cluster.client.submit();
    addThroughLearner(cluster, n4);
    const transfer = cluster.transferLeadership(n4);
    expect(transfer.result).toBeUndefined();
    for (let t = 0; t < ET_MAX && cluster.requestResult(transfer.requestId) === undefined; t++) cluster.tick();
    expect(cluster.requestResult(transfer.requestId)).toEqual({ status: 'completed', leaderId: n4 });
    expect(cluster.advanceUntilLeaderElected({ maxTicks: ET_MAX })).toBe(n4);
    commitThroughClient(cluster, 1);
    for (let i = 0; i < 5; i++) cluster.client.submit();
    const after = awaitSettled(cluster, change(cluster, { type: 'removeNode', nodeId: leader }));
    expect(after.voters).not.toContain(leader);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
    expect(cluster.client.acknowledged().length).toBe(13); // with the barrier
    expect(cluster.findLeader()).toBe(n4);
  });
});

describe('F8 one change at a time', () => {
  it('F8 a second change while one is pending is refused with configurationChangeInProgress, also while joint; accepted once the first completes', () => {
    const { cluster, leader } = create({ nodeCount: 5, initialVoters: 3, seed: 806, network: { minDelay: 1, maxDelay: 1 } });
    const first = change(cluster, { type: 'addLearner', nodeId: n4 });
    expect(cluster.changeMembership({ type: 'addLearner', nodeId: n5 })).toEqual({ status: 'rejected', reason: 'configurationChangeInProgress' });
    awaitSettled(cluster, first);
    expect(cluster.changeMembership({ type: 'addLearner', nodeId: n4 })).toEqual({ status: 'rejected', reason: 'invalidChange' });
    // A change of several voters goes through C_old,new; nothing else is accepted until C_new is in place.
    const others = [n1, n2, n3].filter((id) => id !== leader) as [NodeId, NodeId];
    const joint = change(cluster, { type: 'setMembers', voters: [leader, n4, n5], learners: [] });
    const inForce = cluster.node(leader).status().configuration;
    expect(sorted(inForce.oldVoters ?? [])).toEqual([n1, n2, n3]);
    expect(sorted(inForce.voters)).toEqual(sorted([leader, n4, n5]));
    expect(cluster.changeMembership({ type: 'addLearner', nodeId: others[0] })).toEqual({ status: 'rejected', reason: 'configurationChangeInProgress' });
    let refused = 0;
    for (let t = 0; t < 10 * ET_MAX; t++) {
      const s = cluster.node(leader).status();
      if (s.commitIndex >= joint && !isJointConfiguration(s.configuration)) break;
      expect(cluster.changeMembership({ type: 'removeNode', nodeId: n5 })).toEqual({ status: 'rejected', reason: 'configurationChangeInProgress' });
      refused++;
      cluster.tick();
    }
    expect(refused).toBeGreaterThan(1);
    const settled = awaitSettled(cluster, joint);
    expect(sorted(settled.voters)).toEqual(sorted([leader, n4, n5]));
    expect(settled.oldVoters).toBeUndefined();
    expect(cluster.stats().membership.jointConfigurationsCommitted).toBe(1);
    expect(cluster.changeMembership({ type: 'addLearner', nodeId: others[0] }).status).toBe('appended');
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
  });

  it('F8 a new leader elected with an uncommitted configuration entry in its log refuses another change until it has committed in its term', () => {
    const { cluster, leader } = create({ nodeCount: 5, initialVoters: 3, seed: 807, network: { minDelay: 1, maxDelay: 1 } });
    const pending = change(cluster, { type: 'addLearner', nodeId: n4 });
    // The entry reaches the followers, then the leader is cut off and crashes before it commits.
    cluster.tick(1);
    cluster.isolate(leader);
    cluster.crash(leader);
    let next: NodeId | undefined;
    const refusals = new Set<string>();
    for (let t = 0; t < 10 * ET_MAX; t++) {
      cluster.tick();
      next = cluster.findLeader();
      if (next === undefined) continue;
      const s = cluster.node(next).status();
      if (s.commitIndex >= pending) break;
      const r = cluster.changeMembership({ type: 'addLearner', nodeId: n5 });
      expect(r.status).toBe('rejected');
      if (r.status === 'rejected') refusals.add(r.reason);
    }
    expect(next).toBeDefined();
    expect(cluster.node(next as NodeId).status().configuration.learners).toEqual([n4]);
    expect(refusals.size).toBeGreaterThan(0);
    expect([...refusals].every((r) => r === 'leaderNotReady' || r === 'configurationChangeInProgress')).toBe(true);
    cluster.reconnect(leader);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
  });
});

describe('F5/F13 joint consensus', () => {
  /** C_old = {n1,n2,n3} with the leader in it; C_new = {leader, n4, n5}; n4, n5 caught-up learners first. */
  function prepare(seed: number) {
    const { cluster, leader } = create({ nodeCount: 5, initialVoters: 3, seed, network: { minDelay: 1, maxDelay: 1 } });
    awaitSettled(cluster, change(cluster, { type: 'setMembers', voters: [n1, n2, n3], learners: [n4, n5] }));
    awaitCaughtUp(cluster, n4);
    awaitCaughtUp(cluster, n5);
    const [x, y] = [n1, n2, n3].filter((id) => id !== leader) as [NodeId, NodeId];
    return { cluster, leader, x, y };
  }

  it('F5 while joint, a commit needs a majority of C_old and of C_new', () => {
    const { cluster, leader, x, y } = prepare(808);
    // C_new's other members are cut off: C_old alone cannot commit the joint entry or anything after it.
    cluster.partition([[leader, x, y], [n4, n5]]);
    const joint = change(cluster, { type: 'setMembers', voters: [leader, n4, n5], learners: [] });
    expect(isJointConfiguration(cluster.node(leader).status().configuration)).toBe(true);
    cluster.propose(leader, new TextEncoder().encode('needs both'));
    cluster.tick(ET);
    expect(cluster.node(leader).commitIndex).toBeLessThan(joint);
    // 2 of 3 in each half: leader + x of C_old, leader + n4 of C_new.
    cluster.partition([[leader, x, n4], [y, n5]]);
    const settled = awaitSettled(cluster, joint);
    expect(sorted(settled.voters)).toEqual(sorted([leader, n4, n5]));
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
  });

  it('F5 while joint, an election needs a majority of C_old and of C_new', () => {
    const { cluster, leader, x, y } = prepare(809);
    cluster.partition([[leader, x, y], [n4, n5]]);
    change(cluster, { type: 'setMembers', voters: [leader, n4, n5], learners: [] });
    cluster.tick(2);
    for (const id of [x, y]) expect(isJointConfiguration(cluster.node(id).status().configuration)).toBe(true);
    // n4 and n5 never got the joint entry; x and y hold it. With the leader gone and the
    // halves apart, x and y (2 of C_old, 0 of C_new besides the leader) cannot elect anyone.
    cluster.crash(leader);
    cluster.tick(10 * ET_MAX);
    for (const id of [x, y]) expect(cluster.node(id).role).not.toBe('leader');
    expect(cluster.findLeader()).toBeUndefined();
    cluster.checkLiveness({ maxTicks: 30 * ET_MAX });
  });

  it('F13 the leader crashes after C_old,new commits and before C_new does: the next leader (elected by both majorities) rolls the change forward', () => {
    const { cluster, leader, x } = prepare(810);
    const joint = change(cluster, { type: 'setMembers', voters: [x, n4, n5], learners: [] });
    // Run until the leader sees the joint entry committed (it appends C_new in that same step),
    // then cut it off at once so C_new never leaves it, and crash it.
    for (let t = 0; t < 10 * ET_MAX && cluster.node(leader).commitIndex < joint; t++) cluster.tick();
    expect(cluster.node(leader).commitIndex).toBeGreaterThanOrEqual(joint);
    cluster.isolate(leader);
    cluster.crash(leader);
    const next = cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    expect(next).not.toBe(leader);
    const settled = awaitSettled(cluster, joint);
    expect(sorted(settled.voters)).toEqual(sorted([x, n4, n5]));
    cluster.reconnect(leader);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
    expect(cluster.stats().membership.jointConfigurationsCommitted).toBeGreaterThanOrEqual(1);
    expect(cluster.liveMemberIds()).toEqual(sorted([x, n4, n5]));
  });
});

describe('F10/F11 removed and deposed nodes', () => {
  it('F10 a node removed while isolated, healed, does not disrupt: the leader and the term stay, commits go on', () => {
    const { cluster, leader } = create({ nodeCount: 5, seed: 811 });
    const victim = [n1, n2, n3, n4, n5].find((id) => id !== leader) as NodeId;
    cluster.isolate(victim);
    awaitSettled(cluster, change(cluster, { type: 'removeNode', nodeId: victim }));
    cluster.tick(10 * ET_MAX);
    cluster.healNetwork();
    const term = cluster.node(leader).term;
    for (let round = 0; round < 5; round++) {
      commitThroughClient(cluster, 2);
      cluster.tick(2 * ET_MAX);
      expect(cluster.findLeader()).toBe(leader);
      expect(cluster.node(leader).term).toBe(term);
    }
    expect(cluster.node(victim).role).not.toBe('leader');
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
    expect(cluster.node(leader).term).toBe(term);
    expect(cluster.liveMemberIds()).not.toContain(victim);
  });

  it('F11 a change handed to a deposed, isolated leader never commits; it steps down within 2·ET and nothing acknowledged is lost', () => {
    const { cluster, leader } = create({ nodeCount: 5, seed: 812 });
    commitThroughClient(cluster, 3);
    cluster.isolate(leader);
    const target = [n1, n2, n3, n4, n5].find((id) => id !== leader) as NodeId;
    const result = cluster.changeMembership({ type: 'removeNode', nodeId: target }, { via: leader });
    expect(result.status).toBe('appended');
    let steppedDown = false;
    for (let t = 0; t < 2 * ET_MAX && !steppedDown; t++) {
      cluster.tick();
      steppedDown = cluster.node(leader).role !== 'leader';
    }
    expect(steppedDown).toBe(true);
    const next = cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    expect(next).not.toBe(leader);
    commitThroughClient(cluster, 3);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
    // The change appended on the isolated leader was overwritten: the target is still a voter.
    expect(cluster.currentConfiguration()?.voters).toContain(target);
    expect(cluster.liveMemberIds()).toEqual([n1, n2, n3, n4, n5]);
  });

  it('F9 (single-server change with leader change): the change that reached only the new server cannot commit alongside a rival change', () => {
    // S1..S4 voters, S5 joins. S1 appends add(S5) reaching only S5, then crashes; S2 is
    // elected by S2..S4 and removes S4. S1 returns with its {S1..S5} configuration.
    const cluster = SimulationCluster.create({ nodeCount: 5, initialVoters: 4, seed: 813 });
    const s1 = cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    commitThroughClient(cluster, 1);
    const rest = [n1, n2, n3, n4].filter((id) => id !== s1) as [NodeId, NodeId, NodeId];
    cluster.partition([[s1, n5], rest]);
    change(cluster, { type: 'addVoter', nodeId: n5 });
    cluster.tick(3);
    cluster.crash(s1);
    const s2 = cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    expect(rest).toContain(s2);
    commitThroughClient(cluster, 1);
    const s4 = rest.find((id) => id !== s2) as NodeId;
    awaitSettled(cluster, change(cluster, { type: 'removeNode', nodeId: s4 }));
    commitThroughClient(cluster, 2);
    cluster.restart(s1);
    cluster.healNetwork();
    cluster.tick(5 * ET_MAX);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
    // Whoever leads now, the removal of S4 committed and S5's addition (never committed) is gone.
    const final = cluster.currentConfiguration() as ClusterConfiguration;
    expect(allMembers(final)).not.toContain(s4);
    expect(final.voters).not.toContain(n5);
  });
});

describe('G leadership transfer', () => {
  it('G1 transfer to an up-to-date follower: it leads within ET_max, the term grows by exactly one, nothing committed is lost', () => {
    const { cluster, leader } = create({ nodeCount: 3, seed: 814 });
    commitThroughClient(cluster, 3);
    const target = [n1, n2, n3].find((id) => id !== leader) as NodeId;
    const term = cluster.node(leader).term;
    const request = cluster.transferLeadership(target);
    let t = 0;
    for (; t < ET_MAX && cluster.findLeader() !== target; t++) cluster.tick();
    expect(cluster.findLeader()).toBe(target);
    expect(t).toBeLessThan(ET_MAX);
    expect(cluster.node(target).term).toBe(term + 1);
    cluster.tick(2);
    expect(cluster.node(leader).role).toBe('follower');
    expect(cluster.requestResult(request.requestId)).toEqual({ status: 'completed', leaderId: target });
    expect(cluster.stats().membership.transfersSucceeded).toBe(1);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
  });

  it('G2 transfer to an unreachable follower: proposals are refused while it runs, it times out after an election timeout and the leader resumes', () => {
    const { cluster, leader } = create({ nodeCount: 3, seed: 815 });
    const target = [n1, n2, n3].find((id) => id !== leader) as NodeId;
    cluster.isolate(target);
    const request = cluster.transferLeadership(target);
    expect(cluster.propose(leader, new TextEncoder().encode('during'))).toEqual({ status: 'rejected', reason: 'transferInProgress' });
    expect(cluster.transferLeadership().result).toEqual({ status: 'rejected', reason: 'transferInProgress' });
    for (let t = 0; t < 2 * ET && cluster.requestResult(request.requestId) === undefined; t++) cluster.tick();
    expect(cluster.requestResult(request.requestId)).toEqual({ status: 'timedOut' });
    expect(cluster.findLeader()).toBe(leader);
    expect(cluster.propose(leader, new TextEncoder().encode('after'))?.status).toBe('appended');
    cluster.reconnect(target);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
    expect(cluster.stats().membership.transfersTimedOut).toBe(1);
  });

  it('G3 invalid targets: a non-member and a learner are refused, the leader itself is a no-op; no term change', () => {
    const { cluster, leader } = create({ nodeCount: 5, initialVoters: 3, seed: 816 });
    awaitSettled(cluster, change(cluster, { type: 'addLearner', nodeId: n4 }));
    const term = cluster.node(leader).term;
    expect(cluster.transferLeadership(n5).result).toEqual({ status: 'rejected', reason: 'invalidChange' });
    expect(cluster.transferLeadership(n4).result).toEqual({ status: 'rejected', reason: 'invalidChange' });
    expect(cluster.transferLeadership(leader).result).toEqual({ status: 'completed', leaderId: leader });
    cluster.tick(ET_MAX);
    expect(cluster.findLeader()).toBe(leader);
    expect(cluster.node(leader).term).toBe(term);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
  });

  it('G4 the target crashes mid-transfer: at most one leader per term, and a leader again within 3·ET_max', () => {
    const { cluster, leader } = create({ nodeCount: 3, seed: 817, network: { minDelay: 1, maxDelay: 1 } });
    const target = [n1, n2, n3].find((id) => id !== leader) as NodeId;
    cluster.transferLeadership(target);
    cluster.crash(target);
    expect(cluster.advanceUntilLeaderElected({ maxTicks: 3 * ET_MAX })).not.toBe(target);
    cluster.restart(target);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
  });

  it('F4 replace the leader via joint consensus with a transfer inside the joint configuration', () => {
    const { cluster, leader } = create({ nodeCount: 4, initialVoters: 3, seed: 818, network: { minDelay: 1, maxDelay: 1 } });
    awaitSettled(cluster, change(cluster, { type: 'addLearner', nodeId: n4 }));
    awaitCaughtUp(cluster, n4);
    const keep = [n1, n2, n3].filter((id) => id !== leader);
    // {n1,n2,n3} → {the two others, n4}: two servers change, so through C_old,new.
    change(cluster, { type: 'setMembers', voters: [...keep, n4], learners: [] });
    expect(isJointConfiguration(cluster.node(leader).status().configuration)).toBe(true);
    const settled = awaitSettled(cluster, 0, 10 * ET_MAX);
    expect(sorted(settled.voters)).toEqual(sorted([...keep, n4]));
    // The old leader led the change to its end and stepped down; the transfer picks a voter of C_new.
    const now = cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    expect(now).not.toBe(leader);
    commitThroughClient(cluster, 1);
    cluster.transferLeadership(n4);
    cluster.tick(ET_MAX);
    expect(cluster.advanceUntilLeaderElected({ maxTicks: ET_MAX })).toBe(n4);
    cluster.tick(10 * ET_MAX);
    expect(cluster.node(leader).role).toBe('follower');
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
  });
});

describe('E6 joining through a snapshot', () => {
  it('a node that joins after the others compacted learns the membership (learner, then voter) from a snapshot carrying the configuration at its index', () => {
    const { cluster } = create({ nodeCount: 4, initialVoters: 3, seed: 819, snapshot: { everyEntries: 4, trailingLogEntries: 0, chunkBytes: 48 } });
    commitThroughClient(cluster, 12);
    cluster.tick(ET);
    awaitSettled(cluster, change(cluster, { type: 'addLearner', nodeId: n4 }));
    awaitCaughtUp(cluster, n4);
    expect(cluster.node(n4).snapshotCounters().installsCompleted).toBeGreaterThan(0);
    expect(cluster.node(n4).status().configuration.learners).toEqual([n4]);
    awaitSettled(cluster, change(cluster, { type: 'promoteLearner', nodeId: n4 }));
    // Restarted from its snapshot, it still knows it is a voter.
    cluster.crash(n4);
    cluster.restart(n4);
    cluster.tick(ET_MAX);
    expect(sorted(cluster.node(n4).status().configuration.voters)).toEqual([n1, n2, n3, n4]);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
  });
});

describe('cluster sizes from 1', () => {
  it('a single voter grows to 3 and back to 1; C4 it keeps every acknowledged write across a crash', () => {
    const { cluster } = create({ nodeCount: 3, initialVoters: 1, seed: 820, storage: { minDelay: 0, maxDelay: 3 } });
    expect(cluster.findLeader()).toBe(n1);
    commitThroughClient(cluster, 3);
    cluster.crash(n1);
    cluster.restart(n1);
    cluster.advanceUntilLeaderElected({ maxTicks: 10 * ET_MAX });
    commitThroughClient(cluster, 1);
    addThroughLearner(cluster, n2);
    addThroughLearner(cluster, n3);
    commitThroughClient(cluster, 3);
    for (const id of [n2, n3]) awaitSettled(cluster, change(cluster, { type: 'removeNode', nodeId: id }));
    expect(cluster.currentConfiguration()).toEqual({ voters: [n1], learners: [] });
    commitThroughClient(cluster, 3);
    cluster.checkLiveness({ maxTicks: 20 * ET_MAX });
    expect(cluster.liveMemberIds()).toEqual([n1]);
  });

  it('rejects a bad initialVoters option', () => {
    expect(() => SimulationCluster.create({ nodeCount: 3, seed: 1, initialVoters: 0 })).toThrow(/initialVoters/);
    expect(() => SimulationCluster.create({ nodeCount: 3, seed: 1, initialVoters: 4 })).toThrow(/initialVoters/);
    expect(() => SimulationCluster.create({ nodeCount: 3, seed: 1, initialVoters: ['n9'] })).toThrow(/initialVoters/);
    expect(() => SimulationCluster.create({ nodeCount: 3, seed: 1, initialVoters: ['n1', 'n1'] })).toThrow(/initialVoters/);
    expect(SimulationCluster.create({ nodeCount: 3, seed: 1, initialVoters: ['n3', 'n1'] }).initialConfiguration()).toEqual({ voters: [n1, n3], learners: [] });
  });

  it('changeMembership without a leader answers noLeader', () => {
    const cluster = SimulationCluster.create({ nodeCount: 3, seed: 821 });
    expect(cluster.changeMembership({ type: 'addLearner', nodeId: n3 })).toEqual({ status: 'rejected', reason: 'noLeader' });
    expect(cluster.transferLeadership().result).toEqual({ status: 'rejected', reason: 'noLeader' });
  });
});

describe('membership mutants are caught', () => {
  it('INV-11: a host that boots the joining nodes as founders of a larger cluster (a second bootstrap) is caught at boot', () => {
    const everyone: ClusterConfiguration = { voters: [n1, n2, n3, n4, n5], learners: [] };
    let caught: unknown;
    try {
      SimulationCluster.create({
        nodeCount: 5,
        initialVoters: 3,
        seed: 822,
        createCore: (options, boot) => new RaftNodeState(options, { ...boot, configuration: (boot.configuration?.voters.length ?? 0) === 0 ? everyone : boot.configuration ?? everyone }),
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvariantViolationError);
    expect((caught as InvariantViolationError).invariant).toBe('INV-11');
  });

  it('INV-11: a core that reports the configuration of the committed prefix instead of the latest one in its log', () => {
    let caught: unknown;
    try {
      const { cluster } = create({
        nodeCount: 4,
        initialVoters: 3,
        seed: 823,
        createCore: (options, boot) => {
          const core = new RaftNodeState(options, boot);
          let reported = core.status().configuration;
          return {
            process: (input) => {
              const output = core.process(input);
              const s = core.status();
              const latest = Math.max(0, ...core.entries().filter((e) => e.kind === 'configuration').map((e) => e.index));
              if (latest <= s.commitIndex) reported = s.configuration;
              return output;
            },
            status: () => ({ ...core.status(), configuration: reported }),
            entries: () => core.entries(),
            checkInvariants: () => core.checkInvariants(),
          };
        },
      });
      change(cluster, { type: 'addLearner', nodeId: n4 });
      cluster.tick(ET);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvariantViolationError);
    expect((caught as InvariantViolationError).invariant).toBe('INV-11');
  });
});
