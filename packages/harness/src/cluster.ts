import {
  type ClusterConfiguration,
  type ConfigurationChange,
  type ConfigurationChangeResult,
  ConfigurationError,
  IllegalStateError,
  type InstallSnapshot,
  InvalidArgumentError,
  type LogEntry,
  LogIndex,
  NodeId,
  type PersistentMeta,
  type ProposalResult,
  type RaftInput,
  type RaftMessage,
  type RaftMessageType,
  type RaftOutput,
  type RaftStatus,
  type Role,
  type Term,
  type TransferLeadershipResult,
  allMembers,
  isJointConfiguration,
} from '@raft/abstractions';
import { DEFAULT_RAFT_OPTIONS, type RaftBootState, RaftNodeState, type RaftNodeOptions } from '@raft/core';
import { type AcknowledgedProposal, ClientModel, type ClientOptions } from './client.js';
import { type InvariantId, InvariantViolationError } from './errors.js';
import { InvariantChecker, describeConfiguration } from './invariants.js';
import { type MessageCounter, type NetworkFaults, RELIABLE_NETWORK, SimulatedNetwork } from './network.js';
import { SimulationRandom, deriveSeed } from './prng.js';
import { type DurableSnapshot, SimulatedSnapshotStore, type SnapshotActivity, type SnapshotStoreCounters, emptySnapshotCounters } from './snapshots.js';
import { JournalStateMachine } from './state-machine.js';
import { DEFAULT_STORAGE_LATENCY, SimulatedDisk, type StorageLatency, type WriteRequest, validateLatency } from './storage.js';
import { TraceRecorder } from './trace.js';

/** The part of `RaftNodeState` the simulator drives; a wrapper (or a deliberately broken core) can stand in. */
export interface SimulatedCore {
  process(input: RaftInput): RaftOutput;
  status(): RaftStatus;
  entries(): LogEntry[];
  checkInvariants(): void;
}

/** Builds a core instance for a node (re)started from `boot`. Defaults to `new RaftNodeState(options, boot)`. */
export type CoreFactory = (options: RaftNodeOptions, boot: RaftBootState) => SimulatedCore;

/** Core options the cluster passes to every node (the id and seed are set per node). */
export type ClusterRaftOptions = Omit<RaftNodeOptions, 'id' | 'seed'>;

/** How often the cluster calls each node's own `checkInvariants()`. */
export type NodeCheckMode = 'everyInput' | 'onDemand';

/**
 * Snapshotting and log compaction (§7). The host (the simulator) saves a snapshot of a node's
 * state machine every `everyEntries` applied entries; the save becomes durable after a seeded
 * delay, then the core compacts its log. Received snapshots are written chunk by chunk into a
 * volatile buffer and committed atomically after a seeded delay.
 */
export interface SnapshotOptions {
  /** Save a snapshot once this many entries were applied since the node's last one (0: never save; installs still work). */
  readonly everyEntries: number;
  /** Log entries the core keeps below a saved snapshot (core `trailingLogEntries`). @default 2 */
  readonly trailingLogEntries?: number;
  /** Bytes per InstallSnapshot chunk (core `snapshotChunkBytes`). @default 64 */
  readonly chunkBytes?: number;
  /** Ticks a local snapshot save takes to become durable. @default the `storage` latency */
  readonly saveLatency?: Partial<StorageLatency>;
  /** Ticks a fully received snapshot takes to be committed durably. @default the `storage` latency */
  readonly installLatency?: Partial<StorageLatency>;
}

/** Snapshot activity over the whole run, summed over the nodes. */
export interface SnapshotStats extends SnapshotStoreCounters {
  /** InstallSnapshot chunks read from a durable snapshot and sent. */
  readonly chunksSent: number;
  /** `sendSnapshot` effects for a snapshot that was no longer the newest (nothing sent). */
  readonly chunksSkipped: number;
  /** `compactLog` effects, and compactions still pending on the disk when their node crashed. */
  readonly compactionsIssued: number;
  readonly compactionsLost: number;
  /** Crashes while the durable snapshot was ahead of the durable log's compaction point. */
  readonly crashesBeforeCompaction: number;
}

/** Membership activity over the whole run (dissertation ch. 4, §3.10). */
export interface MembershipStats {
  /** `changeMembership` calls, and how the leader answered them. */
  readonly changesRequested: number;
  readonly changesAppended: number;
  /** Refusals by reason (`configurationChangeInProgress`, `leaderNotReady`, `invalidChange`, `noLeader`, …). */
  readonly changesRejected: Readonly<Record<string, number>>;
  /** Distinct configuration entries committed, and how many of them were joint (C_old,new). */
  readonly configurationsCommitted: number;
  readonly jointConfigurationsCommitted: number;
  /** Leaders that stepped down because their removal committed (§4.2.2). */
  readonly leadersRemoved: number;
  /** `transferLeadership` calls; transfers that ended with the target leading, with another leader, or timed out. */
  readonly transfersRequested: number;
  readonly transfersSucceeded: number;
  readonly transfersOtherLeader: number;
  readonly transfersTimedOut: number;
}

/** Options of {@link SimulationCluster.changeMembership} and {@link SimulationCluster.transferLeadership}. */
export interface MembershipRequestOptions {
  /** Hand the request to this node instead of the current leader (for example a deposed leader that does not know it yet). */
  readonly via?: NodeId | string;
}

/** A leadership transfer handed to a leader. */
export interface TransferRequest {
  readonly requestId: number;
  /** The node it was handed to (`undefined` when no leader was known). */
  readonly leader: NodeId | undefined;
  /** The answer given at once (a refusal, or `completed` for a transfer to the leader itself); `undefined` while in progress. */
  readonly result: TransferLeadershipResult | undefined;
}

/** Options of {@link SimulationCluster.create}. */
export interface SimulationOptions {
  /** Number of nodes, named `n1`…`nN`. Between 1 and 64. */
  readonly nodeCount: number;
  /**
   * The voters the cluster is bootstrapped with: a count (the first k nodes, `n1`…`nk`) or a
   * list of ids. The other nodes boot with an empty configuration, as nodes that will join a
   * running cluster do: they take no part until a membership change adds them and they learn
   * the membership from the leader (its log or a snapshot).
   * @default every node
   */
  readonly initialVoters?: number | readonly (NodeId | string)[];
  /** Seed of the run: network faults, persistence delays and every core's PRNG derive from it. */
  readonly seed: number;
  /** Core options for every node. @default the core's defaults */
  readonly raft?: ClusterRaftOptions;
  /** Initial probabilistic network faults. @default {@link RELIABLE_NETWORK} */
  readonly network?: Partial<NetworkFaults>;
  /** Persistence latency of every disk. @default {@link DEFAULT_STORAGE_LATENCY} */
  readonly storage?: Partial<StorageLatency>;
  /** Client model tuning. */
  readonly client?: Partial<ClientOptions>;
  /** Recent trace lines kept for violation reports. @default 200 */
  readonly traceSize?: number;
  /** Run the global invariant checks after every delivered input. @default true */
  readonly checkInvariants?: boolean;
  /** When to call each core's own `checkInvariants()`. @default 'everyInput' */
  readonly nodeChecks?: NodeCheckMode;
  /** Builds the core of a node. @default `new RaftNodeState(options, boot)` */
  readonly createCore?: CoreFactory;
  /** Called for every entry a node applies from its log (entries restored from a snapshot are not replayed). */
  readonly onApply?: (node: NodeId, entry: LogEntry) => void;
  /** Snapshotting and log compaction. @default off (the core never compacts) */
  readonly snapshot?: SnapshotOptions;
  /**
   * Most events (deliveries, completions, inputs) one tick may run before the run fails with
   * `INV-13` (a message storm: something multiplies messages instead of bounding them).
   * @default 100000
   */
  readonly maxEventsPerTick?: number;
}

/** Counters over the whole run. */
export interface SimulationStats {
  /** Simulated ticks. */
  readonly ticks: number;
  /** Inputs handed to cores (ticks, messages, completions, proposals). */
  readonly inputsDelivered: number;
  /** Terms that had a leader. */
  readonly elections: number;
  /** Highest index committed anywhere. */
  readonly highestCommitted: number;
  /** Proposals the client model saw acknowledged. */
  readonly acknowledged: number;
  /** Faults injected, by kind (crash, restart, isolate, partition, …). */
  readonly faults: Readonly<Record<string, number>>;
  /** Inputs checked by the global invariant checker. */
  readonly invariantChecks: number;
  /** Writes the disks made durable, and writes lost to crashes. */
  readonly writesCompleted: number;
  readonly writesLost: number;
  /** Per message type traffic. */
  readonly messages: Readonly<Record<RaftMessageType, MessageCounter>>;
  /** Snapshot saves, transfers, installs and crash windows hit. */
  readonly snapshots: SnapshotStats;
  /** Membership changes and leadership transfers. */
  readonly membership: MembershipStats;
}

/** A read-only view of one simulated node. */
export interface SimulatedNodeView {
  readonly id: NodeId;
  /** `false` while crashed. */
  readonly alive: boolean;
  /** Restarts so far (0 for the first process). */
  readonly incarnation: number;
  /** Role, term and indices of the live process. @throws IllegalStateError while crashed */
  readonly role: Role;
  readonly term: Term;
  readonly commitIndex: LogIndex;
  readonly appliedIndex: LogIndex;
  readonly snapshotIndex: LogIndex;
  readonly lastIndex: LogIndex;
  /** The core's status copy. @throws IllegalStateError while crashed */
  status(): RaftStatus;
  /** The core's in-memory log. @throws IllegalStateError while crashed */
  log(): LogEntry[];
  /**
   * Entries in this process's state machine, in order from index 1 (the journal state
   * machine: restored from the newest durable snapshot after a restart or an install, then
   * applied from the log).
   */
  applied(): readonly LogEntry[];
  /** The entry in this process's state machine at `index`, if any. */
  appliedAt(index: number): LogEntry | undefined;
  /** Fingerprint of the state machine (the chained hash of its entries; equal states, equal fingerprints). */
  stateFingerprint(): number;
  /** Durable term and vote. */
  durableMeta(): PersistentMeta;
  /** Durable log entries. */
  durableLog(): LogEntry[];
  /** The durable log's compaction point (0 when never compacted). */
  durableLogBase(): number;
  /** Writes issued and not yet durable. */
  pendingWrites(): number;
  /** `true` while a `compactLog` write is issued and not yet durable. */
  compactionPending(): boolean;
  /** The newest durable snapshot, if any. */
  durableSnapshot(): DurableSnapshot | undefined;
  /** The snapshot save, receive buffer and install commit in flight. */
  snapshotActivity(): SnapshotActivity;
  /** This node's snapshot store counters over all its incarnations (saves, chunks, installs, losses). */
  snapshotCounters(): Readonly<SnapshotStoreCounters>;
}

type ScheduledEvent =
  | { readonly kind: 'deliver'; readonly message: RaftMessage }
  | { readonly kind: 'storage'; readonly node: SimNode; readonly incarnation: number }
  | { readonly kind: 'snapshotSave'; readonly node: SimNode; readonly incarnation: number }
  | { readonly kind: 'snapshotCommit'; readonly node: SimNode; readonly incarnation: number }
  | { readonly kind: 'input'; readonly node: SimNode; readonly incarnation: number; readonly input: RaftInput }
  | { readonly kind: 'tick'; readonly node: SimNode; readonly incarnation: number };

interface SimNode {
  readonly id: NodeId;
  readonly index: number;
  readonly disk: SimulatedDisk;
  readonly snapshots: SimulatedSnapshotStore;
  core: SimulatedCore | undefined;
  incarnation: number;
  /** This process's state machine. */
  machine: JournalStateMachine;
  /** Index of the newest snapshot durable or being saved (what the save policy counts from). */
  lastSnapshotIndex: number;
}

interface ResolvedSnapshotOptions {
  readonly everyEntries: number;
  readonly saveLatency: StorageLatency;
  readonly installLatency: StorageLatency;
}

const TICK_INPUT: RaftInput = { type: 'tick' };

const EFFECT_CODE: Record<RaftOutput['effects'][number]['type'], number> = {
  persistMeta: 1,
  truncateLog: 2,
  appendLog: 3,
  compactLog: 4,
  send: 5,
  apply: 6,
  proposalResult: 7,
  readResult: 8,
  configurationChangeResult: 9,
  transferLeadershipResult: 10,
  sendSnapshot: 11,
  installSnapshotChunk: 12,
};

/**
 * A whole Raft cluster in one thread and virtual time: N cores, a seeded network and seeded
 * disks, an always-on invariant checker and a client model. Every run is a pure function of
 * the seed and the calls made on the cluster, so any failure replays from its seed.
 *
 * The simulator is the cores' host: it executes their effects in order, reports durable
 * writes back as completions, delivers messages through the network model, applies
 * committed entries and acknowledges them.
 *
 * @example
 * ```ts
 * const cluster = SimulationCluster.create({ nodeCount: 3, seed: 42 });
 * const leader = cluster.advanceUntilLeaderElected({ maxTicks: 200 });
 * cluster.propose(leader, new TextEncoder().encode('x'));
 * cluster.tick(10);
 * cluster.invariants.checkAll();
 * ```
 */
export class SimulationCluster {
  /** The run's seed. */
  readonly seed: number;
  /** Node ids, `n1`…`nN`. */
  readonly nodeIds: readonly NodeId[];
  /** The network model (read its state; change it through the cluster's fault methods so faults are traced). */
  readonly network: SimulatedNetwork;
  /** The client model (proposals retried against the current leader). */
  readonly client: ClientModel;
  /** On-demand invariant checks. */
  readonly invariants: { readonly checkAll: () => void; readonly checker: InvariantChecker };
  /** The run's trace (hash and recent lines). */
  readonly trace: TraceRecorder;

  private readonly random: SimulationRandom;
  private readonly nodes: SimNode[];
  private readonly byId: Map<NodeId, SimNode>;
  /** The bootstrap configuration: the initial voters (in force below the first configuration entry). */
  private readonly configuration: ClusterConfiguration;
  /** The nodes bootstrapped as voters; the others boot with an empty configuration. */
  private readonly founders: ReadonlySet<NodeId>;
  private readonly raftOptions: ClusterRaftOptions;
  private readonly latency: StorageLatency;
  private readonly createCore: CoreFactory;
  private readonly checker: InvariantChecker;
  private readonly checkGlobal: boolean;
  private readonly nodeChecks: NodeCheckMode;
  private readonly onApply: ((node: NodeId, entry: LogEntry) => void) | undefined;
  private readonly maxEventsPerTick: number;
  private readonly snapshotPolicy: ResolvedSnapshotOptions | undefined;
  private readonly snapshotCounters = { chunksSent: 0, chunksSkipped: 0, compactionsIssued: 0, compactionsLost: 0, crashesBeforeCompaction: 0 };
  private readonly buckets = new Map<number, ScheduledEvent[]>();
  private pendingEvents = 0;
  /** `true` while the events of the current tick run (zero-delay events then join the same tick). */
  private draining = false;
  private currentTick = 0;
  private inputs = 0;
  private nextRequestId = 1;
  private readonly results = new Map<number, ProposalResult>();
  /** Answers to membership changes and transfers, by request id (kept: they are few). */
  private readonly answers = new Map<number, ConfigurationChangeResult | TransferLeadershipResult>();
  private readonly transferTargets = new Map<number, NodeId | undefined>();
  private readonly membershipCounts = {
    changesRequested: 0,
    changesAppended: 0,
    changesRejected: {} as Record<string, number>,
    leadersRemoved: 0,
    transfersRequested: 0,
    transfersSucceeded: 0,
    transfersOtherLeader: 0,
    transfersTimedOut: 0,
  };
  private readonly committedConfigurations = new Map<number, boolean>();
  private readonly faultCounts: Record<string, number> = {};

  private constructor(options: SimulationOptions) {
    const count = options.nodeCount;
    if (!Number.isSafeInteger(count) || count < 1 || count > 64) {
      throw new ConfigurationError('nodeCount', `must be an integer between 1 and 64, got ${count}`);
    }
    if (!Number.isSafeInteger(options.seed)) throw new ConfigurationError('seed', `must be a safe integer, got ${options.seed}`);
    this.seed = options.seed;
    this.random = new SimulationRandom(options.seed);
    this.nodeIds = Array.from({ length: count }, (_, i) => NodeId(`n${i + 1}`));
    const founders = resolveInitialVoters(options.initialVoters, this.nodeIds);
    this.founders = new Set(founders);
    this.configuration = { voters: founders, learners: [] };
    this.latency = validateLatency({ ...DEFAULT_STORAGE_LATENCY, ...options.storage });
    const snapshot = options.snapshot;
    if (snapshot === undefined) {
      this.raftOptions = options.raft ?? {};
      this.snapshotPolicy = undefined;
    } else {
      if (!Number.isSafeInteger(snapshot.everyEntries) || snapshot.everyEntries < 0) {
        throw new ConfigurationError('snapshot.everyEntries', `must be a non-negative integer, got ${snapshot.everyEntries}`);
      }
      this.raftOptions = {
        ...options.raft,
        trailingLogEntries: snapshot.trailingLogEntries ?? 2,
        snapshotChunkBytes: snapshot.chunkBytes ?? 64,
      };
      this.snapshotPolicy = {
        everyEntries: snapshot.everyEntries,
        saveLatency: validateLatency({ ...this.latency, ...snapshot.saveLatency }),
        installLatency: validateLatency({ ...this.latency, ...snapshot.installLatency }),
      };
    }
    this.createCore = options.createCore ?? ((o, b) => new RaftNodeState(o, b));
    this.checkGlobal = options.checkInvariants ?? true;
    this.nodeChecks = options.nodeChecks ?? 'everyInput';
    this.onApply = options.onApply;
    this.maxEventsPerTick = options.maxEventsPerTick ?? 100_000;
    if (!Number.isSafeInteger(this.maxEventsPerTick) || this.maxEventsPerTick < 1) {
      throw new ConfigurationError('maxEventsPerTick', `must be a positive integer, got ${this.maxEventsPerTick}`);
    }
    this.trace = new TraceRecorder(options.traceSize ?? 200);
    this.network = new SimulatedNetwork(this.nodeIds, this.random, { ...RELIABLE_NETWORK, ...options.network });
    this.checker = new InvariantChecker(
      (invariant, node, detail) => this.fail(invariant, node, detail),
      {
        maxInflightMessages: this.raftOptions.maxInflightMessages ?? DEFAULT_RAFT_OPTIONS.maxInflightMessages,
        maxUncommittedBytes: this.raftOptions.maxUncommittedBytes ?? DEFAULT_RAFT_OPTIONS.maxUncommittedBytes,
      },
      { initialConfiguration: this.configuration },
    );
    this.invariants = { checkAll: () => this.checkAll(), checker: this.checker };
    this.nodes = this.nodeIds.map((id, index) => ({
      id,
      index,
      disk: new SimulatedDisk(),
      snapshots: new SimulatedSnapshotStore(),
      core: undefined,
      incarnation: 0,
      machine: new JournalStateMachine(),
      lastSnapshotIndex: 0,
    }));
    this.byId = new Map(this.nodes.map((n) => [n.id, n]));
    const cluster = this;
    this.client = new ClientModel(
      {
        get now() {
          return cluster.currentTick;
        },
        findLeader: () => this.findLeader(),
        incarnationOf: (id) => this.nodeOf(id).incarnation,
        proposeOn: (id, payload) => this.propose(id, payload),
        note: (node, kind, detail) => this.trace.event(this.currentTick, node, kind, detail),
      },
      options.client,
    );
    for (const node of this.nodes) this.boot(node);
  }

  /**
   * Builds a cluster of fresh nodes (bootstrap configuration: the `initialVoters`, by default
   * all of them; the others boot with an empty configuration).
   * @throws ConfigurationError for a bad `nodeCount`, `seed` or `initialVoters`.
   */
  static create(options: SimulationOptions): SimulationCluster {
    return new SimulationCluster(options);
  }

  /** The current simulated tick. */
  get now(): number {
    return this.currentTick;
  }

  /** A view of one node. @throws InvalidArgumentError for an unknown id */
  node(id: NodeId | string): SimulatedNodeView {
    return this.viewOf(this.nodeOf(id as NodeId));
  }

  /** Views of every node, in id order. */
  allNodes(): SimulatedNodeView[] {
    return this.nodes.map((n) => this.viewOf(n));
  }

  /** Ids of the nodes that are not crashed. */
  liveNodeIds(): NodeId[] {
    return this.nodes.filter((n) => n.core !== undefined).map((n) => n.id);
  }

  /**
   * Advances virtual time by `ticks`: each tick delivers what is due (messages, completed
   * writes, apply acknowledgements), gives every live node a `tick` input, lets the client
   * model retry, and runs everything that becomes due within the same tick.
   */
  tick(ticks = 1): void {
    for (let i = 0; i < ticks; i++) {
      this.currentTick++;
      const now = this.currentTick;
      for (const node of this.nodes) {
        if (node.core !== undefined) this.schedule(now, { kind: 'tick', node, incarnation: node.incarnation });
      }
      this.drain(now);
      // The client retries within the tick, so its proposals' zero-delay effects run now too.
      this.draining = true;
      try {
        this.client.step();
      } finally {
        this.draining = false;
      }
      this.drain(now);
    }
  }

  /**
   * Delivers every message in flight and completes every pending write and apply, repeatedly,
   * without advancing time (so no timer fires), until nothing is left or `maxEvents` ran.
   * Partitions and random faults still apply.
   * @returns the number of events processed
   */
  deliverAllMessages(maxEvents = 1_000_000): number {
    let processed = 0;
    while (this.pendingEvents > 0 && processed < maxEvents) {
      const due = [...this.buckets.keys()].sort((a, b) => a - b)[0] as number;
      const bucket = this.buckets.get(due) as ScheduledEvent[];
      this.buckets.delete(due);
      // Anything these events schedule lands at `now + delay` and is picked up next round.
      for (const event of bucket) {
        this.pendingEvents--;
        processed++;
        this.run(event);
      }
    }
    return processed;
  }

  /** The live leader with the highest term, if any. */
  findLeader(): NodeId | undefined {
    let best: SimNode | undefined;
    let bestTerm = -1;
    for (const node of this.nodes) {
      if (node.core === undefined) continue;
      const s = node.core.status();
      if (s.role === 'leader' && s.term > bestTerm) {
        best = node;
        bestTerm = s.term;
      }
    }
    return best?.id;
  }

  /**
   * A leader that a majority of the voters of its configuration (itself included where it is
   * one) follow in its term — a majority of each half while joint: a leader the cluster
   * actually has, not a deposed one that has not heard the news.
   */
  stableLeader(): NodeId | undefined {
    const leader = this.findLeader();
    if (leader === undefined) return undefined;
    const status = (this.nodeOf(leader).core as SimulatedCore).status();
    const follows = (id: NodeId): boolean => {
      const s = this.byId.get(id)?.core?.status();
      return s !== undefined && s.term === status.term && s.leaderId === leader;
    };
    const c = status.configuration;
    for (const voters of c.oldVoters === undefined ? [c.voters] : [c.voters, c.oldVoters]) {
      if (voters.filter(follows).length < Math.floor(voters.length / 2) + 1) return undefined;
    }
    return leader;
  }

  /**
   * The configuration in force on the current leader (the latest one in its log, dissertation
   * §4.1), or `undefined` when no leader is known.
   */
  currentConfiguration(): ClusterConfiguration | undefined {
    const leader = this.findLeader();
    return leader === undefined ? undefined : this.nodeOf(leader).core?.status().configuration;
  }

  /** The bootstrap configuration (the initial voters). */
  initialConfiguration(): ClusterConfiguration {
    return { voters: [...this.configuration.voters], learners: [] };
  }

  /**
   * Asks the current leader (or `options.via`) for a membership change and returns its
   * answer: `appended` at (index, term) — the configuration is in force on the leader from
   * now on (§4.1) — or why it was refused or redirected. With no live leader (or a crashed
   * `via`) the answer is `rejected` with reason `noLeader`.
   */
  changeMembership(change: ConfigurationChange, options: MembershipRequestOptions = {}): ConfigurationChangeResult {
    const node = this.requestTarget(options);
    this.membershipCounts.changesRequested++;
    let result: ConfigurationChangeResult = { status: 'rejected', reason: 'noLeader' };
    if (node !== undefined) {
      const requestId = this.nextRequestId++;
      this.deliver(node, { type: 'changeConfiguration', requestId, change });
      result = (this.answers.get(requestId) as ConfigurationChangeResult | undefined) ?? result;
    }
    const counts = this.membershipCounts;
    if (result.status === 'appended') counts.changesAppended++;
    else {
      const reason = result.status === 'rejected' ? result.reason : 'redirected';
      counts.changesRejected[reason] = (counts.changesRejected[reason] ?? 0) + 1;
    }
    this.trace.event(this.currentTick, node?.id, 'membership', `${describeChange(change)} -> ${result.status === 'appended' ? `appended ${result.index}/${result.term}` : result.status === 'rejected' ? `rejected ${result.reason}` : `redirected to ${result.leaderId}`}`);
    return result;
  }

  /**
   * Asks the current leader (or `options.via`) to hand leadership to `target`, or to the most
   * up-to-date voter (§3.10). The transfer's outcome arrives later: read it with
   * {@link requestResult}.
   */
  transferLeadership(target?: NodeId | string, options: MembershipRequestOptions = {}): TransferRequest {
    const node = this.requestTarget(options);
    const requestId = this.nextRequestId++;
    this.membershipCounts.transfersRequested++;
    this.transferTargets.set(requestId, target as NodeId | undefined);
    if (node === undefined) {
      const result: TransferLeadershipResult = { status: 'rejected', reason: 'noLeader' };
      this.answers.set(requestId, result);
      return { requestId, leader: undefined, result };
    }
    this.trace.event(this.currentTick, node.id, 'membership', `transfer leadership to ${target ?? 'the most up-to-date voter'}`);
    this.deliver(node, { type: 'transferLeadership', requestId, ...(target === undefined ? {} : { target: target as NodeId }) });
    return { requestId, leader: node.id, result: this.answers.get(requestId) as TransferLeadershipResult | undefined };
  }

  /** The answer to a membership change or transfer request so far (`undefined` while none). */
  requestResult(requestId: number): ConfigurationChangeResult | TransferLeadershipResult | undefined {
    return this.answers.get(requestId);
  }

  /**
   * Ticks until {@link stableLeader} finds a leader and returns it.
   * @throws InvariantViolationError (`LIVENESS`) when none emerges within `maxTicks`.
   */
  advanceUntilLeaderElected(options: { readonly maxTicks: number } = { maxTicks: 500 }): NodeId {
    for (let i = 0; i <= options.maxTicks; i++) {
      const leader = this.stableLeader();
      if (leader !== undefined) return leader;
      if (i < options.maxTicks) this.tick();
    }
    return this.fail('LIVENESS', undefined, `no leader elected within ${options.maxTicks} ticks`);
  }

  /**
   * Hands a proposal straight to `nodeId` and returns the core's answer (for a leader
   * `appended` with index and term; otherwise redirected or rejected).
   * @throws IllegalStateError when the node is crashed
   */
  propose(nodeId: NodeId | string, payload: Uint8Array): ProposalResult | undefined {
    const node = this.liveNode(nodeId as NodeId);
    const requestId = this.nextRequestId++;
    this.checker.proposed(payload.byteLength);
    this.deliver(node, { type: 'propose', requestId, payload });
    const result = this.results.get(requestId);
    this.results.delete(requestId);
    return result;
  }

  /**
   * Power-loss crash: the process and every write not yet durable are gone; messages it
   * already sent stay in flight; messages to it are lost while it is down.
   * @throws IllegalStateError when the node is already crashed
   */
  crash(nodeId: NodeId | string): void {
    const node = this.liveNode(nodeId as NodeId);
    node.core = undefined;
    node.incarnation++;
    const compactions = node.disk.pendingList().filter((w) => w.kind === 'compact').length;
    this.snapshotCounters.compactionsLost += compactions;
    // The crash window between "snapshot durable" and "log compacted" (reliability notes E3, C10).
    if (node.snapshots.durableIndex() > node.disk.durableBaseIndex() && compactions > 0) this.snapshotCounters.crashesBeforeCompaction++;
    const lost = node.disk.crash();
    const snapshotLost = node.snapshots.crash();
    this.checker.stopProcess(node.id);
    this.client.onCrash(node.id);
    this.countFault('crash');
    const lostSnapshot = [
      snapshotLost.saveLost ? 'a snapshot save' : '',
      snapshotLost.partialLost ? 'a partial snapshot' : '',
      snapshotLost.installLost ? 'a snapshot install' : '',
    ].filter((x) => x !== '');
    this.trace.event(this.currentTick, node.id, 'crash', `lost ${lost} pending writes${lostSnapshot.length > 0 ? `, ${lostSnapshot.join(', ')}` : ''}`);
  }

  /**
   * Restarts a crashed node from its durable meta, log and newest durable snapshot: its state
   * machine is restored from the snapshot (empty without one) and rebuilt from there as
   * entries are committed and applied again.
   * @throws IllegalStateError when the node is running
   */
  restart(nodeId: NodeId | string): void {
    const node = this.nodeOf(nodeId as NodeId);
    if (node.core !== undefined) throw new IllegalStateError(`node ${node.id} is running; crash it first`);
    this.boot(node);
    this.countFault('restart');
    this.trace.event(this.currentTick, node.id, 'restart', `term ${node.disk.durableMeta().currentTerm} log ${node.disk.durableLastIndex()}`);
  }

  /** Cuts every link of a node, both directions. */
  isolate(nodeId: NodeId | string): void {
    this.network.isolate(this.nodeOf(nodeId as NodeId).id);
    this.fault('isolate', nodeId as NodeId, 'isolated');
  }

  /** Restores every link of a node. */
  reconnect(nodeId: NodeId | string): void {
    this.network.reconnect(this.nodeOf(nodeId as NodeId).id);
    this.fault('reconnect', nodeId as NodeId, 'reconnected');
  }

  /** Partitions the cluster into groups (nodes in no group are isolated alone). */
  partition(groups: readonly (readonly (NodeId | string)[])[]): void {
    this.network.partition(groups as readonly (readonly NodeId[])[]);
    this.fault('partition', undefined, `partition ${groups.map((g) => `{${g.join(',')}}`).join(' | ')}`);
  }

  /** Cuts both directions of one link. */
  cutLink(a: NodeId | string, b: NodeId | string): void {
    this.network.cut(a as NodeId, b as NodeId);
    this.fault('cut', undefined, `cut ${a}<->${b}`);
  }

  /** Blocks one direction of one link (an asymmetric partition). */
  blockLink(from: NodeId | string, to: NodeId | string): void {
    this.network.blockLink(from as NodeId, to as NodeId);
    this.fault('block', undefined, `block ${from}->${to}`);
  }

  /** Restores every link. */
  healNetwork(): void {
    this.network.healAll();
    this.fault('heal', undefined, 'network healed');
  }

  /** Changes the probabilistic network faults (drop, duplicate, reorder, delay). */
  setNetworkFaults(faults: Partial<NetworkFaults>): void {
    this.network.setFaults(faults);
    const f = this.network.faults;
    this.fault('networkFaults', undefined, `drop=${f.dropRate} dup=${f.duplicateRate} reorder=${f.reorderRate} delay=${f.minDelay}..${f.maxDelay}`);
  }

  /** Removes every fault: links healed, reliable network, crashed nodes restarted. */
  healAll(): void {
    this.network.healAll();
    this.network.setFaults(RELIABLE_NETWORK);
    this.trace.event(this.currentTick, undefined, 'fault', 'heal everything');
    for (const node of this.nodes) if (node.core === undefined) this.restart(node.id);
  }

  /**
   * The final convergence check (reliability notes §4): heals everything, waits for a leader,
   * commits a barrier write through the client model, waits until every outstanding client
   * request is acknowledged and the membership settled (the leader's latest configuration is
   * committed and not joint: a joint one is left by the leader on its own, a removed leader
   * steps down and another is elected), then until every member of that final configuration
   * applied the barrier, and asserts that every acknowledged proposal is applied at its index
   * and term on every member (INV-8). Then every member applies everything committed, and
   * INV-10 is checked on every live node (a node no longer a member, or never one, is not
   * waited for, but the state it has must still be a committed prefix).
   * @throws InvariantViolationError (`LIVENESS` or `INV-8`) with the seed and trace
   */
  checkLiveness(options: { readonly maxTicks: number } = { maxTicks: 1000 }): void {
    this.healAll();
    const start = this.currentTick;
    const deadline = start + options.maxTicks;
    this.advanceUntilLeaderElected({ maxTicks: options.maxTicks });
    const barrier = this.client.submit(new TextEncoder().encode('barrier'));
    while (this.client.pendingCount() > 0) {
      if (this.currentTick >= deadline) {
        this.fail('LIVENESS', undefined, `${this.client.pendingCount()} client requests (barrier ${barrier}) not acknowledged ${options.maxTicks} ticks after heal`);
      }
      this.tick();
    }
    const members = this.awaitSettledMembership(deadline, options.maxTicks);
    const acks = this.client.acknowledged();
    const target = Math.max(...acks.map((a) => a.index));
    const behindTarget = (): SimNode[] => members.filter((n) => n.machine.index < target);
    while (behindTarget().length > 0) {
      if (this.currentTick >= deadline) {
        const behind = behindTarget().map((n) => `${n.id}@${n.machine.index}`);
        this.fail('LIVENESS', undefined, `nodes ${behind.join(', ')} did not apply up to ${target} within ${options.maxTicks} ticks after heal`);
      }
      this.tick();
    }
    this.assertAcknowledgedApplied(acks, members.map((n) => n.id));
    // Quiesce: every member applies everything committed anywhere, then INV-10.
    for (;;) {
      const committed = Math.max(...this.nodes.map((n) => n.core?.status().commitIndex ?? 0));
      const behind = members.filter((n) => n.machine.index < committed);
      if (behind.length === 0) break;
      if (this.currentTick >= deadline) {
        this.fail('LIVENESS', undefined, `nodes ${behind.map((n) => `${n.id}@${n.machine.index}`).join(', ')} did not apply up to the commit index ${committed} within ${options.maxTicks} ticks after heal`);
      }
      this.tick();
    }
    this.checkConvergence();
    this.checkAll();
  }

    /**
   * INV-10 (reliability notes §4): every live node at the same applied index has the same
   * state-machine state, equal to the committed log prefix there, and the log it holds agrees
   * with it. {@link checkLiveness} runs it after heal and quiesce.
   * @throws InvariantViolationError (`INV-10`)
   */
  checkConvergence(): void {
    const states = new Map<NodeId, { appliedIndex: number; fingerprint: number }>();
    for (const n of this.nodes) {
      if (n.core !== undefined) states.set(n.id, { appliedIndex: n.machine.index, fingerprint: n.machine.fingerprint() });
    }
    this.checker.checkConvergence(states);
  }

  /**
   * Ids of the live nodes that are members (voters of either half, or learners) of the
   * current leader's configuration; every live node when no leader is known.
   */
  liveMemberIds(): NodeId[] {
    const configuration = this.currentConfiguration();
    const members = configuration === undefined ? undefined : new Set(allMembers(configuration));
    return this.nodes.filter((n) => n.core !== undefined && (members === undefined || members.has(n.id))).map((n) => n.id);
  }

  /**
   * Asserts INV-8 for the given acknowledgements on the given nodes (by default the live
   * members of the current configuration, see {@link liveMemberIds}).
   */
  assertAcknowledgedApplied(acks: readonly AcknowledgedProposal[] = this.client.acknowledged(), nodeIds: readonly NodeId[] = this.liveMemberIds()): void {
    for (const id of nodeIds) {
      const node = this.nodeOf(id);
      if (node.core === undefined) continue;
      for (const ack of acks) {
        const entry = this.appliedAt(node, ack.index);
        if (entry === undefined || entry.term !== ack.term || entry.kind !== 'command' || !sameBytes(entry.payload, ack.payload)) {
          this.fail(
            'INV-8',
            node.id,
            `acknowledged request ${ack.requestId} at ${ack.index}/${ack.term} is not applied there (found ${entry === undefined ? 'nothing' : `${entry.kind} term ${entry.term}`})`,
          );
        }
      }
    }
  }

  /** Run-wide counters. */
  stats(): SimulationStats {
    let writesCompleted = 0;
    let writesLost = 0;
    for (const n of this.nodes) {
      writesCompleted += n.disk.writesCompleted;
      writesLost += n.disk.writesLost;
    }
    const store: SnapshotStoreCounters = emptySnapshotCounters();
    for (const n of this.nodes) {
      for (const key of Object.keys(store) as (keyof SnapshotStoreCounters)[]) store[key] += n.snapshots.counters[key];
    }
    return {
      ticks: this.currentTick,
      inputsDelivered: this.inputs,
      elections: this.checker.leadersByTerm().size,
      highestCommitted: this.checker.highestCommitted(),
      acknowledged: this.client.acknowledged().length,
      faults: { ...this.faultCounts },
      invariantChecks: this.checker.checks,
      writesCompleted,
      writesLost,
      messages: this.network.messageCounters(),
      snapshots: { ...store, ...this.snapshotCounters },
      membership: {
        ...this.membershipCounts,
        changesRejected: { ...this.membershipCounts.changesRejected },
        configurationsCommitted: this.committedConfigurations.size,
        jointConfigurationsCommitted: [...this.committedConfigurations.values()].filter(Boolean).length,
      },
    };
  }

  /** Per message type traffic counters (messages and bytes sent, delivered, dropped, duplicated). */
  messageCounters(): Record<RaftMessageType, MessageCounter> {
    return this.network.messageCounters();
  }

  /** The trace hash so far: equal seeds and scenarios give equal hashes. */
  traceHash(): string {
    return this.trace.digest();
  }

  // ---------------------------------------------------------------------------------------

  /** The node a membership request goes to: `via`, or the current leader. */
  private requestTarget(options: MembershipRequestOptions): SimNode | undefined {
    const id = options.via === undefined ? this.findLeader() : this.nodeOf(options.via as NodeId).id;
    const node = id === undefined ? undefined : this.nodeOf(id);
    return node?.core === undefined ? undefined : node;
  }

  /**
   * Ticks until a stable leader's latest configuration is committed and not joint, and
   * returns the live members of that configuration (the nodes the final checks wait for).
   */
  private awaitSettledMembership(deadline: number, maxTicks: number): SimNode[] {
    for (;;) {
      const leader = this.stableLeader();
      if (leader !== undefined) {
        const core = this.nodeOf(leader).core as SimulatedCore;
        const status = core.status();
        if (!isJointConfiguration(status.configuration) && configurationIndexOf(core, status) <= status.commitIndex) {
          const members = new Set(allMembers(status.configuration));
          return this.nodes.filter((n) => members.has(n.id) && n.core !== undefined);
        }
      }
      if (this.currentTick >= deadline) {
        const configuration = this.currentConfiguration();
        this.fail('LIVENESS', leader, `the membership did not settle (a committed, non-joint configuration on a stable leader) within ${maxTicks} ticks after heal; leader ${leader ?? 'none'}, configuration ${configuration === undefined ? 'unknown' : describeConfiguration(configuration)}`);
      }
      this.tick();
    }
  }

  private checkAll(): void {
    const live = new Map<NodeId, SimulatedCore>();
    for (const n of this.nodes) if (n.core !== undefined) live.set(n.id, n.core);
    if (this.checkGlobal) {
      this.checker.checkAll(live);
      return;
    }
    // Without the incremental checker there are no mirrors to compare: only the cores' own checks.
    for (const [id, core] of live) {
      try {
        core.checkInvariants();
      } catch (error) {
        this.fail('HOST', id, `checkInvariants() failed: ${(error as Error).message}`, error);
      }
    }
  }

  /**
   * Builds a node's process from what is durable: meta, log and the newest durable snapshot
   * (the core drops log entries at or below it), and restores the state machine from that
   * snapshot (`appliedIndex` then defaults to the snapshot index).
   */
  private boot(node: SimNode): void {
    const meta = node.disk.durableMeta();
    const entries = node.disk.durableEntries();
    const snapshot = node.snapshots.durableSnapshot();
    // A founding member boots with the initial voters; a node that joins later with an empty
    // configuration, and learns the membership from the leader.
    const bootstrap: ClusterConfiguration = this.founders.has(node.id) ? this.configuration : { voters: [], learners: [] };
    const boot: RaftBootState = {
      meta,
      entries,
      configuration: bootstrap,
      ...(snapshot === undefined
        ? {}
        : { snapshot: { lastIncludedIndex: snapshot.lastIncludedIndex, lastIncludedTerm: snapshot.lastIncludedTerm, configuration: snapshot.configuration } }),
    };
    node.machine = snapshot === undefined ? new JournalStateMachine() : this.restoreMachine(node, snapshot);
    node.lastSnapshotIndex = snapshot?.lastIncludedIndex ?? 0;
    const core = this.createCore(
      { ...this.raftOptions, id: node.id, seed: deriveSeed(this.seed, node.index, node.incarnation) },
      boot,
    );
    node.core = core;
    const status = core.status();
    const held = core.entries();
    for (const entry of held) {
      if (node.disk.durableTermAt(entry.index) !== entry.term) {
        this.fail('HOST', node.id, `booted holding entry ${entry.index}/${entry.term}, which its durable log does not have`);
      }
    }
    const baseTerm = snapshot !== undefined && status.snapshotIndex === snapshot.lastIncludedIndex ? snapshot.lastIncludedTerm : (node.disk.durableTermAt(status.snapshotIndex) ?? 0);
    // Recovery: the durable log becomes the log the core booted with (a crash may have come
    // between a snapshot and its compaction, or left a tail that does not chain onto it).
    try {
      node.disk.recover(status.snapshotIndex, baseTerm, status.lastIndex);
    } catch (error) {
      this.fail('HOST', node.id, (error as Error).message, error);
    }
    this.checker.startProcess(node.id, {
      disk: node.disk,
      snapshots: node.snapshots,
      baseIndex: status.snapshotIndex,
      baseTerm,
      entries: held,
      bootstrapConfiguration: bootstrap,
      appliedIndex: node.machine.index,
      stateFingerprint: node.machine.fingerprint(),
      status,
    });
  }

  /**
   * Decodes a snapshot into a state machine and checks that it is what the snapshot claims:
   * its last entry is (`lastIncludedIndex`, `lastIncludedTerm`) and its configuration there is
   * the one the snapshot carries.
   */
  private restoreMachine(node: SimNode, snapshot: DurableSnapshot): JournalStateMachine {
    let machine: JournalStateMachine;
    try {
      machine = JournalStateMachine.restore(snapshot.data);
    } catch (error) {
      this.fail('HOST', node.id, `snapshot ${snapshot.lastIncludedIndex} does not decode: ${(error as Error).message}`, error);
    }
    const last = machine.entryAt(snapshot.lastIncludedIndex);
    if (machine.index !== snapshot.lastIncludedIndex || last?.term !== snapshot.lastIncludedTerm) {
      this.fail('INV-5', node.id, `snapshot ${snapshot.lastIncludedIndex}/${snapshot.lastIncludedTerm} holds a state machine at ${machine.index}/${last?.term ?? '-'}`);
    }
    const configuration = machine.configurationAt(snapshot.lastIncludedIndex, this.configuration);
    if (JSON.stringify(configuration) !== JSON.stringify(snapshot.configuration)) {
      this.fail('HOST', node.id, `snapshot ${snapshot.lastIncludedIndex} carries configuration ${JSON.stringify(snapshot.configuration)}, the configuration in force there is ${JSON.stringify(configuration)}`);
    }
    return machine;
  }

  private schedule(time: number, event: ScheduledEvent): void {
    // Outside a drain the current tick's bucket is already done: what the user's call (a
    // proposal, a restart) starts between ticks runs at the start of the next tick.
    if (!this.draining && time <= this.currentTick) time = this.currentTick + 1;
    let bucket = this.buckets.get(time);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(time, bucket);
    }
    bucket.push(event);
    this.pendingEvents++;
  }

  /** Runs every event due at `time`, including those scheduled while running (zero delays). */
  private drain(time: number): void {
    const bucket = this.buckets.get(time);
    if (bucket === undefined) return;
    this.draining = true;
    try {
      for (let i = 0; i < bucket.length; i++) {
        // INV-13: zero-delay chains are fine, an unbounded multiplication of events is not.
        if (i >= this.maxEventsPerTick) {
          const kinds = new Map<string, number>();
          for (let j = i; j < bucket.length; j++) {
            const e = bucket[j] as ScheduledEvent;
            const k = e.kind === 'deliver' ? e.message.type : e.kind;
            kinds.set(k, (kinds.get(k) ?? 0) + 1);
          }
          this.fail('INV-13', undefined, `message storm: more than ${this.maxEventsPerTick} events in tick ${time} (${bucket.length - i} still queued: ${[...kinds].map(([k, n]) => `${k}=${n}`).join(' ')})`);
        }
        this.pendingEvents--;
        this.run(bucket[i] as ScheduledEvent);
      }
    } finally {
      this.draining = false;
    }
    this.buckets.delete(time);
  }

  private run(event: ScheduledEvent): void {
    switch (event.kind) {
      case 'deliver': {
        const node = this.byId.get(event.message.to);
        const alive = node?.core !== undefined;
        if (this.network.arrive(event.message, alive) && node !== undefined) {
          this.deliver(node, { type: 'message', message: event.message });
        }
        return;
      }
      case 'tick':
        if (event.node.incarnation === event.incarnation && event.node.core !== undefined) this.deliver(event.node, TICK_INPUT);
        return;
      case 'input':
        if (event.node.incarnation === event.incarnation && event.node.core !== undefined) {
          this.deliver(event.node, event.input);
          if (event.input.type === 'applied') this.maybeSaveSnapshot(event.node, event.input.upTo);
        }
        return;
      case 'storage':
        if (event.node.incarnation === event.incarnation && event.node.core !== undefined) this.completeWrite(event.node);
        return;
      case 'snapshotSave':
        if (event.node.incarnation === event.incarnation && event.node.core !== undefined) this.completeSnapshotSave(event.node);
        return;
      case 'snapshotCommit':
        if (event.node.incarnation === event.incarnation && event.node.core !== undefined) this.completeSnapshotInstall(event.node);
        return;
    }
  }

  /**
   * The save policy: once the core knows entries up to `upTo` are applied and `everyEntries`
   * were applied since the last snapshot, save the state machine as of `upTo` (one save in
   * flight per node). The snapshot records the term there and the configuration in force.
   */
  private maybeSaveSnapshot(node: SimNode, upTo: number): void {
    const policy = this.snapshotPolicy;
    if (policy === undefined || policy.everyEntries === 0 || node.snapshots.isSaving()) return;
    if (upTo - node.lastSnapshotIndex < policy.everyEntries || upTo > node.machine.index) return;
    const entry = node.machine.entryAt(upTo) as LogEntry;
    const snapshot: DurableSnapshot = {
      lastIncludedIndex: entry.index,
      lastIncludedTerm: entry.term,
      configuration: node.machine.configurationAt(upTo, this.configuration),
      data: node.machine.snapshotData(upTo),
    };
    const at = this.currentTick + this.random.int(policy.saveLatency.minDelay, policy.saveLatency.maxDelay);
    node.snapshots.beginSave(snapshot, at);
    node.lastSnapshotIndex = upTo;
    this.trace.event(this.currentTick, node.id, 'snapshot', `save ${upTo}/${entry.term} started (${snapshot.data.byteLength} B)`);
    this.schedule(at, { kind: 'snapshotSave', node, incarnation: node.incarnation });
  }

  /** A local save became durable: report `snapshotSaved` (unless an install overtook it). */
  private completeSnapshotSave(node: SimNode): void {
    const saved = node.snapshots.completeSave();
    if (saved === undefined) {
      this.trace.event(this.currentTick, node.id, 'snapshot', 'save superseded by a newer durable snapshot');
      return;
    }
    this.checker.snapshotDurable(node.id, saved.lastIncludedIndex);
    this.trace.event(this.currentTick, node.id, 'snapshot', `saved ${saved.lastIncludedIndex}/${saved.lastIncludedTerm}`);
    this.deliver(node, { type: 'snapshotSaved', lastIncludedIndex: saved.lastIncludedIndex, lastIncludedTerm: saved.lastIncludedTerm });
  }

  /**
   * A received snapshot became durable: replace the state machine with it (decoded from the
   * bytes received) and report `snapshotInstalled`.
   */
  private completeSnapshotInstall(node: SimNode): void {
    let installed: DurableSnapshot;
    try {
      installed = node.snapshots.completeCommit();
    } catch (error) {
      this.fail('HOST', node.id, (error as Error).message, error);
    }
    this.checker.snapshotDurable(node.id, installed.lastIncludedIndex);
    const machine = this.restoreMachine(node, installed);
    node.machine = machine;
    if (installed.lastIncludedIndex > node.lastSnapshotIndex) node.lastSnapshotIndex = installed.lastIncludedIndex;
    if (this.checkGlobal) this.checker.stateRestored(node.id, installed.lastIncludedIndex, installed.lastIncludedTerm, machine.fingerprint());
    this.trace.event(this.currentTick, node.id, 'snapshot', `installed ${installed.lastIncludedIndex}/${installed.lastIncludedTerm} (${installed.data.byteLength} B)`);
    this.deliver(node, { type: 'snapshotInstalled', lastIncludedIndex: installed.lastIncludedIndex, lastIncludedTerm: installed.lastIncludedTerm });
  }

  private completeWrite(node: SimNode): void {
    const before = node.disk.durableMeta();
    let done: ReturnType<SimulatedDisk['completeNext']>;
    try {
      done = node.disk.completeNext();
    } catch (error) {
      this.fail('HOST', node.id, (error as Error).message);
    }
    const { write, merged } = done;
    switch (write.kind) {
      case 'meta':
        this.checker.metaDurable(node.id, before, write.meta);
        this.deliver(node, { type: 'metaPersisted', meta: write.meta, ...(write.write === undefined ? {} : { write: write.write }) });
        return;
      case 'log': {
        const last = write.entries[write.entries.length - 1];
        // The host may merge writes and acknowledge only the last (the contract allows it).
        if (!merged && last !== undefined) {
          this.deliver(node, { type: 'logPersisted', upTo: last.index, term: last.term, ...(write.write === undefined ? {} : { write: write.write }) });
        }
        return;
      }
      case 'compact':
        return;
    }
  }

  /** Hands one input to a live node, checks, then carries out its effects in order. */
  private deliver(node: SimNode, input: RaftInput): void {
    const core = node.core as SimulatedCore;
    let output: RaftOutput;
    try {
      output = core.process(input);
    } catch (error) {
      this.fail('HOST', node.id, `process(${input.type}) threw: ${(error as Error).message}`, error);
    }
    this.inputs++;
    let code = 0;
    for (const effect of output.effects) code = (code * 31 + EFFECT_CODE[effect.type]) | 0;
    this.trace.input(this.currentTick, node.id, node.index, input, output.effects.length, code);
    if (output.events.length > 0) this.noteEvents(output);
    if (this.checkGlobal) this.checker.afterInput(node.id, output, core.status());
    if (this.nodeChecks === 'everyInput') {
      try {
        core.checkInvariants();
      } catch (error) {
        this.fail('HOST', node.id, `checkInvariants() after ${input.type}: ${(error as Error).message}`, error);
      }
    }
    this.execute(node, output);
  }

  /** Membership counters from the core's events. */
  private noteEvents(output: RaftOutput): void {
    for (const event of output.events) {
      switch (event.type) {
        case 'configurationChangeCommitted':
          this.committedConfigurations.set(event.index, isJointConfiguration(event.configuration));
          break;
        case 'leaderLost':
          if (event.reason === 'removed') this.membershipCounts.leadersRemoved++;
          break;
        default:
          break;
      }
    }
  }

  private execute(node: SimNode, output: RaftOutput): void {
    let truncateAfter: LogIndex | undefined;
    const now = this.currentTick;
    for (const effect of output.effects) {
      switch (effect.type) {
        case 'persistMeta':
          this.issue(node, { kind: 'meta', meta: effect.meta, write: effect.write }, now);
          break;
        case 'truncateLog':
          truncateAfter = effect.after;
          break;
        case 'appendLog':
          this.issue(node, { kind: 'log', truncateAfter, entries: effect.entries, write: effect.write }, now);
          truncateAfter = undefined;
          break;
        case 'compactLog':
          this.snapshotCounters.compactionsIssued++;
          this.issue(node, { kind: 'compact', upTo: effect.upTo, term: effect.term }, now);
          break;
        case 'sendSnapshot': {
          // Read the chunk from that durable snapshot (the newest or the one before it, which a
          // transfer in progress keeps reading); nothing goes if it is gone.
          const m = effect.message;
          const chunk = node.snapshots.read(m.lastIncludedIndex, m.offset, effect.maxBytes, now);
          if (chunk === undefined) {
            this.snapshotCounters.chunksSkipped++;
            break;
          }
          const message: InstallSnapshot = { ...m, data: chunk.data, size: chunk.size, done: chunk.done };
          this.snapshotCounters.chunksSent++;
          for (const delay of this.network.route(message)) this.schedule(now + delay, { kind: 'deliver', message });
          break;
        }
        case 'installSnapshotChunk': {
          let whole: DurableSnapshot | undefined;
          try {
            whole = node.snapshots.writeChunk(effect.chunk);
          } catch (error) {
            this.fail('HOST', node.id, `installSnapshotChunk: ${(error as Error).message}`, error);
          }
          if (whole !== undefined) {
            const latency = this.snapshotPolicy?.installLatency ?? this.latency;
            const at = now + this.random.int(latency.minDelay, latency.maxDelay);
            node.snapshots.beginCommit(whole, at);
            this.schedule(at, { kind: 'snapshotCommit', node, incarnation: node.incarnation });
          }
          break;
        }
        case 'send':
          for (const delay of this.network.route(effect.message)) this.schedule(now + delay, { kind: 'deliver', message: effect.message });
          break;
        case 'apply': {
          const entries = effect.entries;
          if (entries.length === 0) break;
          for (const entry of entries) {
            try {
              node.machine.apply(entry);
            } catch (error) {
              this.fail('INV-5', node.id, (error as Error).message, error);
            }
            if (this.checkGlobal) this.checker.stateApplied(node.id, entry.index, node.machine.fingerprint());
            this.onApply?.(node.id, entry);
            this.client.onApplied(node.id, entry);
          }
          const last = entries[entries.length - 1] as LogEntry;
          this.schedule(now, { kind: 'input', node, incarnation: node.incarnation, input: { type: 'applied', upTo: last.index } });
          break;
        }
        case 'proposalResult':
          this.results.set(effect.requestId, effect.result);
          break;
        case 'configurationChangeResult':
          this.answers.set(effect.requestId, effect.result);
          break;
        case 'transferLeadershipResult': {
          this.answers.set(effect.requestId, effect.result);
          const r = effect.result;
          const counts = this.membershipCounts;
          if (r.status === 'timedOut') counts.transfersTimedOut++;
          else if (r.status === 'completed') {
            const wanted = this.transferTargets.get(effect.requestId);
            if (wanted === undefined || wanted === r.leaderId) counts.transfersSucceeded++;
            else counts.transfersOtherLeader++;
          }
          this.trace.event(now, node.id, 'membership', `transfer #${effect.requestId}: ${r.status === 'completed' ? `completed, leader ${r.leaderId}` : r.status === 'rejected' ? `rejected ${r.reason}` : r.status}`);
          break;
        }
        case 'readResult':
          break;
      }
    }
    if (truncateAfter !== undefined) this.fail('HOST', node.id, `truncateLog after ${truncateAfter} was not followed by an appendLog`);
  }

  private issue(node: SimNode, write: WriteRequest, now: number): void {
    const at = node.disk.issue(write, now, this.random, this.latency);
    this.schedule(at, { kind: 'storage', node, incarnation: node.incarnation });
  }

  private appliedAt(node: SimNode, index: number): LogEntry | undefined {
    return node.machine.entryAt(index);
  }

  private viewOf(node: SimNode): SimulatedNodeView {
    const status = (): RaftStatus => {
      if (node.core === undefined) throw new IllegalStateError(`node ${node.id} is crashed`);
      return node.core.status();
    };
    return {
      id: node.id,
      get alive() {
        return node.core !== undefined;
      },
      get incarnation() {
        return node.incarnation;
      },
      get role() {
        return status().role;
      },
      get term() {
        return status().term;
      },
      get commitIndex() {
        return status().commitIndex;
      },
      get appliedIndex() {
        return LogIndex(node.machine.index);
      },
      get snapshotIndex() {
        return status().snapshotIndex;
      },
      get lastIndex() {
        return status().lastIndex;
      },
      status,
      log: () => {
        if (node.core === undefined) throw new IllegalStateError(`node ${node.id} is crashed`);
        return node.core.entries();
      },
      applied: () => node.machine.journal(),
      appliedAt: (index) => this.appliedAt(node, index),
      stateFingerprint: () => node.machine.fingerprint(),
      durableMeta: () => node.disk.durableMeta(),
      durableLog: () => node.disk.durableEntries(),
      durableLogBase: () => node.disk.durableBaseIndex(),
      pendingWrites: () => node.disk.pendingWrites(),
      compactionPending: () => node.disk.pendingList().some((w) => w.kind === 'compact'),
      durableSnapshot: () => node.snapshots.durableSnapshot(),
      snapshotActivity: () => node.snapshots.activity(),
      snapshotCounters: () => ({ ...node.snapshots.counters }),
    };
  }

  private nodeOf(id: NodeId): SimNode {
    const node = this.byId.get(id);
    if (node === undefined) throw new InvalidArgumentError(`unknown node ${JSON.stringify(id)}; the cluster has ${this.nodeIds.join(', ')}`);
    return node;
  }

  private liveNode(id: NodeId): SimNode {
    const node = this.nodeOf(id);
    if (node.core === undefined) throw new IllegalStateError(`node ${node.id} is crashed`);
    return node;
  }

  private countFault(kind: string): void {
    this.faultCounts[kind] = (this.faultCounts[kind] ?? 0) + 1;
  }

  private fault(kind: string, node: NodeId | undefined, detail: string): void {
    this.countFault(kind);
    this.trace.event(this.currentTick, node, 'fault', detail);
  }

  private fail(invariant: InvariantId, node: NodeId | undefined, detail: string, cause?: unknown): never {
    throw new InvariantViolationError(
      invariant,
      detail,
      { seed: this.seed, tick: this.currentTick, node, trace: this.trace.recent() },
      cause === undefined ? {} : { cause },
    );
  }
}

/** The initial voters from the option: the first k nodes, or the listed ids (validated). */
function resolveInitialVoters(option: SimulationOptions['initialVoters'], ids: readonly NodeId[]): NodeId[] {
  if (option === undefined) return [...ids];
  if (typeof option === 'number') {
    if (!Number.isSafeInteger(option) || option < 1 || option > ids.length) {
      throw new ConfigurationError('initialVoters', `must be an integer between 1 and nodeCount (${ids.length}), got ${option}`);
    }
    return ids.slice(0, option);
  }
  if (option.length === 0) throw new ConfigurationError('initialVoters', 'must name at least one voter');
  const known = new Set<string>(ids);
  for (const id of option) {
    if (!known.has(id)) throw new ConfigurationError('initialVoters', `names ${JSON.stringify(id)}, which is not one of ${ids.join(', ')}`);
  }
  if (new Set(option).size !== option.length) throw new ConfigurationError('initialVoters', 'names a node twice');
  // Sorted like the core's own configurations (by id).
  return ids.filter((id) => option.includes(id));
}

/** Index of the latest configuration entry in a core's log (its compaction point when the log holds none). */
function configurationIndexOf(core: SimulatedCore, status: RaftStatus): number {
  const entries = core.entries();
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i] as LogEntry;
    if (entry.kind === 'configuration') return entry.index;
  }
  return status.snapshotIndex;
}

function describeChange(change: ConfigurationChange): string {
  return change.type === 'setMembers' ? `setMembers voters=[${change.voters.join(',')}] learners=[${change.learners.join(',')}]` : `${change.type} ${change.nodeId}`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
