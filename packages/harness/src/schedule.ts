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
    };

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
}

/**
 * A fast-check arbitrary of fault schedules for a cluster of `nodeCount` nodes: partitions
 * (random halves, isolation, one-way links), crashes and restarts, loss, duplication,
 * reordering and delay, interleaved with proposals and time. Shrinks towards short schedules
 * of plain ticks.
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
      }
      return '';
    })
    .join('; ');
}
