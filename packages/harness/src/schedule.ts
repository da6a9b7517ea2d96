import { type ClusterConfiguration, type NodeId, allMembers, allVoters } from '@raft/abstractions';
import fc from 'fast-check';
import type { SimulationCluster } from './cluster.js';

/**
 * One step of a fault schedule. Nodes are named by index (taken modulo the cluster size), so
 * a schedule stays valid while fast-check shrinks it; a step that does not apply (crashing a
 * crashed node, restarting a live one) does nothing.
 */
export type FaultStep =
  | { readonly kind: 'tick'; readonly ticks: number }
  | { readonly kind: 'propose'; readonly count: number }
  | { readonly kind: 'crash'; readonly node: number }
  /**
   * Crashes a node that is inside a snapshot crash window — a save in flight, a partial
   * receive buffer, an install being committed, or a durable snapshot whose log compaction is
   * not yet durable — picking the `node`-th such node (modulo their number); nothing if none is.
   */
  | { readonly kind: 'crashSnapshotting'; readonly node: number }
  | { readonly kind: 'restart'; readonly node: number }
  | { readonly kind: 'isolate'; readonly node: number }
  /** Splits the cluster in two: nodes whose bit is set in `mask` on one side. */
  | { readonly kind: 'partition'; readonly mask: number }
  /** Blocks one direction of one link (asymmetric partition). */
  | { readonly kind: 'block'; readonly from: number; readonly to: number }
  | { readonly kind: 'heal' }
  | {
      readonly kind: 'network';
      readonly dropRate: number;
      readonly duplicateRate: number;
      readonly reorderRate: number;
      readonly maxDelay: number;
    }
  // Membership churn (dissertation ch. 4, §3.10), asked of the current leader (the live leader
  // with the highest term, possibly a deposed one that has not heard the news); nothing happens
  // without one. Nodes are picked among those the leader's configuration makes eligible.
  /** Adds as a learner the `node`-th node that is not a member. */
  | { readonly kind: 'addLearner'; readonly node: number }
  /** Promotes the `node`-th learner to voter. */
  | { readonly kind: 'promote'; readonly node: number }
  /** Adds as a voter, without the learner stage, the `node`-th node that is not a voter. */
  | { readonly kind: 'addVoter'; readonly node: number }
  /** Removes the `node`-th member other than the leader. */
  | { readonly kind: 'remove'; readonly node: number }
  /** Removes the leader itself (it steps down once the change commits, §4.2.2). */
  | { readonly kind: 'removeLeader' }
  /**
   * Replaces the membership (several changes at once: joint consensus, §4.3): the voters are
   * the nodes whose bit is set in `voters` (never none), the learners those set in `learners` only.
   */
  | { readonly kind: 'setMembers'; readonly voters: number; readonly learners: number }
  /** Transfers leadership (§3.10) to the `node`-th voter other than the leader; `undefined` lets the leader pick the most up-to-date one. */
  | { readonly kind: 'transfer'; readonly node: number | undefined };

/** Carries out one step on the cluster. */
export function applyStep(cluster: SimulationCluster, step: FaultStep): void {
  const ids = cluster.nodeIds;
  const id = (i: number) => ids[((i % ids.length) + ids.length) % ids.length] as (typeof ids)[number];
  switch (step.kind) {
    case 'tick':
      cluster.tick(step.ticks);
      return;
    case 'propose':
      for (let i = 0; i < step.count; i++) cluster.client.submit();
      return;
    case 'crash':
      if (cluster.node(id(step.node)).alive) cluster.crash(id(step.node));
      return;
    case 'crashSnapshotting': {
      const inWindow = cluster.allNodes().filter((v) => {
        if (!v.alive) return false;
        const a = v.snapshotActivity();
        return a.saving !== undefined || a.receiving !== undefined || a.committing !== undefined || v.compactionPending();
      });
      const victim = inWindow[step.node % Math.max(1, inWindow.length)];
      if (victim !== undefined) cluster.crash(victim.id);
      return;
    }
    case 'restart':
      if (!cluster.node(id(step.node)).alive) cluster.restart(id(step.node));
      return;
    case 'isolate':
      cluster.isolate(id(step.node));
      return;
    case 'partition': {
      const a = ids.filter((_, i) => (step.mask >> i) & 1);
      const b = ids.filter((_, i) => !((step.mask >> i) & 1));
      cluster.partition([a, b]);
      return;
    }
    case 'block':
      if (id(step.from) !== id(step.to)) cluster.blockLink(id(step.from), id(step.to));
      return;
    case 'heal':
      cluster.healNetwork();
      return;
    case 'network':
      cluster.setNetworkFaults({
        dropRate: step.dropRate,
        duplicateRate: step.duplicateRate,
        reorderRate: step.reorderRate,
        maxDelay: step.maxDelay,
      });
      return;
    case 'addLearner':
    case 'promote':
    case 'addVoter':
    case 'remove':
    case 'removeLeader':
    case 'setMembers':
    case 'transfer':
      applyMembershipStep(cluster, step);
      return;
  }
}

type MembershipStep = Extract<FaultStep, { readonly kind: 'addLearner' | 'promote' | 'addVoter' | 'remove' | 'removeLeader' | 'setMembers' | 'transfer' }>;

function applyMembershipStep(cluster: SimulationCluster, step: MembershipStep): void {
  const leader = cluster.findLeader();
  if (leader === undefined) return;
  const configuration: ClusterConfiguration = cluster.node(leader).status().configuration;
  const ids = cluster.nodeIds;
  const members = new Set(allMembers(configuration));
  const voters = new Set(allVoters(configuration));
  const pick = (candidates: readonly NodeId[], i: number): NodeId | undefined => candidates[i % Math.max(1, candidates.length)];
  switch (step.kind) {
    case 'addLearner': {
      const nodeId = pick(ids.filter((id) => !members.has(id)), step.node);
      if (nodeId !== undefined) cluster.changeMembership({ type: 'addLearner', nodeId });
      return;
    }
    case 'promote': {
      const nodeId = pick(configuration.learners, step.node);
      if (nodeId !== undefined) cluster.changeMembership({ type: 'promoteLearner', nodeId });
      return;
    }
    case 'addVoter': {
      const nodeId = pick(ids.filter((id) => !voters.has(id)), step.node);
      if (nodeId !== undefined) cluster.changeMembership({ type: 'addVoter', nodeId });
      return;
    }
    case 'remove': {
      const nodeId = pick([...members].filter((id) => id !== leader), step.node);
      if (nodeId !== undefined) cluster.changeMembership({ type: 'removeNode', nodeId });
      return;
    }
    case 'removeLeader':
      cluster.changeMembership({ type: 'removeNode', nodeId: leader });
      return;
    case 'setMembers': {
      const bit = (mask: number, i: number): boolean => ((mask >> (i % 31)) & 1) === 1;
      let nextVoters = ids.filter((_, i) => bit(step.voters, i));
      if (nextVoters.length === 0) nextVoters = [leader];
      const learners = ids.filter((id, i) => bit(step.learners, i) && !nextVoters.includes(id));
      cluster.changeMembership({ type: 'setMembers', voters: nextVoters, learners });
      return;
    }
    case 'transfer': {
      if (step.node === undefined) {
        cluster.transferLeadership();
        return;
      }
      const target = pick([...voters].filter((id) => id !== leader), step.node);
      if (target !== undefined) cluster.transferLeadership(target);
      return;
    }
  }
}

/** Runs a whole schedule. */
export function runSchedule(cluster: SimulationCluster, steps: readonly FaultStep[]): void {
  for (const step of steps) applyStep(cluster, step);
}

/** Options of {@link faultScheduleArbitrary}. */
export interface ScheduleShape {
  /** Longest schedule. @default 24 */
  readonly maxSteps?: number;
  /** Most ticks in one `tick` step. @default 30 */
  readonly maxTicksPerStep?: number;
  /** Also draw `crashSnapshotting` steps (for clusters with snapshotting on). @default false */
  readonly snapshotCrashes?: boolean;
  /**
   * Also draw membership churn: add learner, promote, add voter, remove, remove the leader,
   * `setMembers` (several changes at once, through joint consensus) and leadership transfer.
   * @default false
   */
  readonly membership?: boolean;
}

/**
 * A fast-check arbitrary of fault schedules for a cluster of `nodeCount` nodes: partitions
 * (random halves, isolation, one-way links), crashes and restarts, loss, duplication,
 * reordering and delay, interleaved with proposals and time — and, with `membership`, churn
 * of the membership. Shrinks towards short schedules of plain ticks.
 */
export function faultScheduleArbitrary(nodeCount: number, shape: ScheduleShape = {}): fc.Arbitrary<FaultStep[]> {
  const node = fc.nat({ max: nodeCount - 1 });
  const steps: fc.WeightedArbitrary<FaultStep>[] = [
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('tick' as const), ticks: fc.integer({ min: 1, max: shape.maxTicksPerStep ?? 30 }) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('propose' as const), count: fc.integer({ min: 1, max: 4 }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('crash' as const), node }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('restart' as const), node }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('isolate' as const), node }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('partition' as const), mask: fc.nat({ max: 2 ** nodeCount - 1 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('block' as const), from: node, to: node }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'heal' } as const) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('network' as const),
        dropRate: fc.constantFrom(0, 0.05, 0.2, 0.5),
        duplicateRate: fc.constantFrom(0, 0.1, 0.25),
        reorderRate: fc.constantFrom(0, 0.1, 0.3),
        maxDelay: fc.integer({ min: 0, max: 4 }),
      }),
    },
  ];
  if (shape.snapshotCrashes === true) steps.push({ weight: 3, arbitrary: fc.record({ kind: fc.constant('crashSnapshotting' as const), node }) });
  if (shape.membership === true) {
    const mask = fc.integer({ min: 0, max: 2 ** Math.min(nodeCount, 30) - 1 });
    steps.push(
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('addLearner' as const), node }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('promote' as const), node }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('addVoter' as const), node }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('remove' as const), node }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'removeLeader' } as const) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('setMembers' as const), voters: mask, learners: mask }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('transfer' as const), node: fc.option(node, { nil: undefined }) }) },
    );
  }
  return fc.array(fc.oneof(...steps), { maxLength: shape.maxSteps ?? 24, size: 'max' });
}

/** A compact one-line rendering of a schedule, for failure reports. */
export function describeSchedule(steps: readonly FaultStep[]): string {
  return steps
    .map((s) => {
      switch (s.kind) {
        case 'tick':
          return `tick ${s.ticks}`;
        case 'propose':
          return `propose ${s.count}`;
        case 'crash':
        case 'crashSnapshotting':
        case 'restart':
        case 'isolate':
          return `${s.kind} #${s.node}`;
        case 'partition':
          return `partition mask ${s.mask.toString(2)}`;
        case 'block':
          return `block #${s.from}->#${s.to}`;
        case 'heal':
          return 'heal';
        case 'network':
          return `network drop=${s.dropRate} dup=${s.duplicateRate} reorder=${s.reorderRate} delay<=${s.maxDelay}`;
        case 'addLearner':
        case 'promote':
        case 'addVoter':
        case 'remove':
          return `${s.kind} #${s.node}`;
        case 'removeLeader':
          return 'removeLeader';
        case 'setMembers':
          return `setMembers voters ${s.voters.toString(2)} learners ${s.learners.toString(2)}`;
        case 'transfer':
          return s.node === undefined ? 'transfer' : `transfer #${s.node}`;
      }
      return '';
    })
    .join('; ');
}
