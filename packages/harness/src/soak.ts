import { ConfigurationError } from '@raft/abstractions';
import { type ClusterRaftOptions, SimulationCluster, type SnapshotOptions } from './cluster.js';
import { SimulationRandom, deriveSeed } from './prng.js';

/** Options of {@link runSoak}. */
export interface SoakOptions {
  /** Cluster size. @default 5 */
  readonly nodes?: number;
  /** Run seed. @default 1 */
  readonly seed?: number;
  /** Inputs to deliver (the soak stops at the first round boundary past it). @default 100000 */
  readonly steps?: number;
  /** Rounds between full heals followed by a liveness check (INV-8). @default 25 */
  readonly healEveryRounds?: number;
  /** Ticks between full on-demand checks (`invariants.checkAll()`, including each core's own). @default 500 */
  readonly checkAllEveryTicks?: number;
  /** Run the global invariant checker after every input (turn off only to measure its cost). @default true */
  readonly checkInvariants?: boolean;
  /** Core options. */
  readonly raft?: ClusterRaftOptions;
  /** Snapshotting and log compaction (see `SimulationOptions.snapshot`). @default off */
  readonly snapshot?: SnapshotOptions;
  /** Called after every round with the cluster (progress output). */
  readonly onRound?: (cluster: SimulationCluster) => void;
}

/** What a soak did. */
export interface SoakReport {
  readonly nodes: number;
  readonly seed: number;
  readonly steps: number;
  readonly ticks: number;
  readonly rounds: number;
  readonly elections: number;
  readonly highestCommitted: number;
  readonly acknowledged: number;
  readonly faults: Readonly<Record<string, number>>;
  readonly faultsTotal: number;
  readonly invariantChecks: number;
  readonly fullChecks: number;
  readonly livenessChecks: number;
  readonly messagesSent: number;
  /** Snapshots made durable (saves and installs). */
  readonly snapshotsSaved: number;
  readonly snapshotsInstalled: number;
  readonly wallSeconds: number;
  readonly ticksPerSecond: number;
  readonly inputsPerSecond: number;
  readonly traceHash: string;
}

/**
 * A long randomized run (reliability notes N1/N2): rounds of time, client load and one
 * random fault (crash, restart, isolation, random halves, one-way links, loss/duplication/
 * reordering/delay, heal), with a full heal and liveness check every few rounds. Every input
 * is checked; the run throws `InvariantViolationError` (seed and trace included) on the first
 * violation. Deterministic for a seed, except for the wall-clock figures.
 * @throws ConfigurationError for a bad option
 */
export function runSoak(options: SoakOptions = {}): SoakReport {
  const nodes = options.nodes ?? 5;
  const seed = options.seed ?? 1;
  const steps = options.steps ?? 100_000;
  if (!Number.isSafeInteger(steps) || steps < 1) throw new ConfigurationError('steps', `must be a positive integer, got ${steps}`);
  const healEvery = options.healEveryRounds ?? 25;
  const checkEvery = options.checkAllEveryTicks ?? 500;
  const cluster = SimulationCluster.create({
    nodeCount: nodes,
    seed,
    storage: { minDelay: 0, maxDelay: 3 },
    nodeChecks: 'onDemand',
    checkInvariants: options.checkInvariants ?? true,
    ...(options.raft === undefined ? {} : { raft: options.raft }),
    ...(options.snapshot === undefined ? {} : { snapshot: options.snapshot }),
  });
  // The nemesis draws from its own stream derived from the seed, so the scenario is fixed by it.
  const nemesis = new SimulationRandom(deriveSeed(seed, 0x6e656d));
  const ids = cluster.nodeIds;
  const started = performance.now();
  let rounds = 0;
  let livenessChecks = 0;
  let nextCheck = checkEvery;
  while (cluster.stats().inputsDelivered < steps) {
    rounds++;
    for (let i = nemesis.int(0, 3); i > 0; i--) cluster.client.submit();
    cluster.tick(nemesis.int(5, 30));
    if (rounds % healEvery === 0) {
      cluster.checkLiveness({ maxTicks: 4000 });
      livenessChecks++;
    } else {
      injectFault(cluster, nemesis, ids);
    }
    if (cluster.now >= nextCheck && options.checkInvariants !== false) {
      cluster.invariants.checkAll();
      nextCheck = cluster.now + checkEvery;
    }
    options.onRound?.(cluster);
  }
  cluster.checkLiveness({ maxTicks: 4000 });
  livenessChecks++;
  const wallSeconds = (performance.now() - started) / 1000;
  const stats = cluster.stats();
  const faultsTotal = Object.entries(stats.faults).reduce((sum, [kind, n]) => (kind === 'heal' || kind === 'reconnect' ? sum : sum + n), 0);
  return {
    nodes,
    seed,
    steps: stats.inputsDelivered,
    ticks: stats.ticks,
    rounds,
    elections: stats.elections,
    highestCommitted: stats.highestCommitted,
    acknowledged: stats.acknowledged,
    faults: stats.faults,
    faultsTotal,
    invariantChecks: stats.invariantChecks,
    fullChecks: cluster.invariants.checker.fullChecks,
    livenessChecks,
    messagesSent: cluster.network.totals().sent,
    snapshotsSaved: stats.snapshots.savesCompleted,
    snapshotsInstalled: stats.snapshots.installsCompleted,
    wallSeconds,
    ticksPerSecond: stats.ticks / wallSeconds,
    inputsPerSecond: stats.inputsDelivered / wallSeconds,
    traceHash: cluster.traceHash(),
  };
}

function injectFault(cluster: SimulationCluster, nemesis: SimulationRandom, ids: readonly (typeof cluster.nodeIds)[number][]): void {
  const live = cluster.liveNodeIds();
  const crashed = ids.filter((id) => !live.includes(id));
  switch (nemesis.int(0, 9)) {
    case 0:
    case 1: {
      // Crash: prefer the leader half of the time (the interesting case).
      const leader = cluster.findLeader();
      const target = leader !== undefined && nemesis.chance(0.5) ? leader : live.length > 0 ? nemesis.pick(live) : undefined;
      if (target !== undefined) cluster.crash(target);
      return;
    }
    case 2:
    case 3:
      if (crashed.length > 0) cluster.restart(nemesis.pick(crashed));
      return;
    case 4:
      cluster.isolate(nemesis.pick(ids));
      return;
    case 5: {
      const shuffled = nemesis.shuffle(ids);
      const cut = nemesis.int(1, ids.length - 1);
      cluster.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
      return;
    }
    case 6: {
      const from = nemesis.pick(ids);
      const to = nemesis.pick(ids.filter((id) => id !== from));
      if (to !== undefined) cluster.blockLink(from, to);
      return;
    }
    case 7:
      cluster.setNetworkFaults({
        dropRate: nemesis.pick([0, 0.02, 0.1, 0.3]),
        duplicateRate: nemesis.pick([0, 0.05, 0.2]),
        reorderRate: nemesis.pick([0, 0.1, 0.3]),
        maxDelay: nemesis.int(0, 4),
      });
      return;
    default:
      cluster.healNetwork();
      return;
  }
}
