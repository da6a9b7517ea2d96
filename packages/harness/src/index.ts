/**
 * `@raft/harness`: deterministic simulation of whole Raft clusters. N instances of
 * `@raft/core` run single-threaded in virtual time behind a seeded network (partitions,
 * one-way links, drops, duplication, reordering, delay) and seeded disks (persistence
 * latency, crashes that lose every write not yet durable), optional snapshotting and log
 * compaction (a simulated snapshot store with its own crash windows and chunked InstallSnapshot
 * transfer), membership changes and leadership transfer driven through the leader (nodes that
 * join boot with an empty configuration), with the global safety invariants checked after every delivered input and a client
 * model for liveness checks. Every run is a function of its seed: a failure throws an error
 * carrying the seed and the recent trace.
 *
 * @example
 * ```ts
 * import { SimulationCluster } from '@raft/harness';
 *
 * const cluster = SimulationCluster.create({ nodeCount: 5, seed: 7 });
 * const leader = cluster.advanceUntilLeaderElected({ maxTicks: 200 });
 * cluster.client.submit(new TextEncoder().encode('set x 1'));
 * cluster.partition([[leader, 'n2'], ['n3', 'n4', 'n5']]);
 * cluster.tick(100);
 * cluster.checkLiveness({ maxTicks: 1000 }); // heal, re-elect, every acknowledged entry applied everywhere
 * console.log(cluster.stats(), cluster.traceHash());
 * ```
 *
 * @packageDocumentation
 */

// The cluster
export { SimulationCluster } from './cluster.js';
export type {
  SimulationOptions,
  SimulationStats,
  SimulatedNodeView,
  SimulatedCore,
  CoreFactory,
  ClusterRaftOptions,
  NodeCheckMode,
  SnapshotOptions,
  SnapshotStats,
  MembershipStats,
  MembershipRequestOptions,
  TransferRequest,
} from './cluster.js';

// Fault models
export { SimulatedNetwork, RELIABLE_NETWORK, MESSAGE_HEADER_BYTES, messageBytes } from './network.js';
export type { NetworkFaults, MessageCounter } from './network.js';
export { SimulatedDisk, DEFAULT_STORAGE_LATENCY } from './storage.js';
export type { StorageLatency, WriteRequest, PendingWrite } from './storage.js';
export { SimulatedSnapshotStore } from './snapshots.js';
export type { DurableSnapshot, SnapshotWrite, SnapshotActivity, SnapshotStoreCounters } from './snapshots.js';
export { JournalStateMachine } from './state-machine.js';

// Invariants, client model, trace
export { InvariantChecker, sameConfiguration, describeConfiguration } from './invariants.js';
export type { ViolationReporter, ResourceLimits, CheckerOptions, ProcessStart, InspectableNode } from './invariants.js';
export { InvariantViolationError } from './errors.js';
export type { InvariantId, ViolationContext } from './errors.js';
export { ClientModel } from './client.js';
export type { AcknowledgedProposal, ClientOptions, ClientHost } from './client.js';
export { TraceRecorder, describeInput } from './trace.js';
export type { TraceKind } from './trace.js';
export { SimulationRandom, deriveSeed } from './prng.js';
export { RunningHash, entryHash, prefixHash } from './hash.js';

// Fault schedules (property tests, soak)
export { applyStep, runSchedule, faultScheduleArbitrary, describeSchedule } from './schedule.js';
export type { FaultStep, ScheduleShape } from './schedule.js';

// Soak
export { runSoak } from './soak.js';
export type { SoakOptions, SoakReport } from './soak.js';
// Linearizability checking of client histories (INV-9)
export { normalizeHistory, registerModel, kvModel, checkLinearizability, minimizeHistory } from './linearizability/index.js';
export type {
  Time,
  OperationStatus,
  Operation,
  NormalizationStats,
  NormalizedHistory,
  Model,
  RegisterInput,
  RegisterOutput,
  KvInput,
  KvOutput,
  CheckOptions,
  CheckResult,
  Witness,
  Candidate,
} from './linearizability/index.js';
