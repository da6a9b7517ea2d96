import {
  type ClusterConfiguration,
  ConfigurationError,
  IllegalStateError,
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
} from '@raft/abstractions';
import { DEFAULT_RAFT_OPTIONS, type RaftBootState, RaftNodeState, type RaftNodeOptions } from '@raft/core';
import { type AcknowledgedProposal, ClientModel, type ClientOptions } from './client.js';
import { type InvariantId, InvariantViolationError } from './errors.js';
import { InvariantChecker } from './invariants.js';
import { type MessageCounter, type NetworkFaults, RELIABLE_NETWORK, SimulatedNetwork } from './network.js';
import { SimulationRandom, deriveSeed } from './prng.js';
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

/** Options of {@link SimulationCluster.create}. */
export interface SimulationOptions {
  /** Number of voters, named `n1`…`nN`. Between 1 and 64. */
  readonly nodeCount: number;
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
  /** Called for every entry a node applies (for a user state machine). */
  readonly onApply?: (node: NodeId, entry: LogEntry) => void;
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
  /** Entries applied to this process's state machine, in order (rebuilt from scratch after a restart). */
  applied(): readonly LogEntry[];
  /** The entry applied at `index` by this process, if any. */
  appliedAt(index: number): LogEntry | undefined;
  /** Durable term and vote. */
  durableMeta(): PersistentMeta;
  /** Durable log entries. */
  durableLog(): LogEntry[];
  /** Writes issued and not yet durable. */
  pendingWrites(): number;
}

type ScheduledEvent =
  | { readonly kind: 'deliver'; readonly message: RaftMessage }
  | { readonly kind: 'storage'; readonly node: SimNode; readonly incarnation: number }
  | { readonly kind: 'input'; readonly node: SimNode; readonly incarnation: number; readonly input: RaftInput }
  | { readonly kind: 'tick'; readonly node: SimNode; readonly incarnation: number };

interface SimNode {
  readonly id: NodeId;
  readonly index: number;
  readonly disk: SimulatedDisk;
  core: SimulatedCore | undefined;
  incarnation: number;
  applied: LogEntry[];
  /** Applied entries are `applied[i]` at index `appliedBase + 1 + i`. */
  appliedBase: number;
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
  private readonly configuration: ClusterConfiguration;
  private readonly raftOptions: ClusterRaftOptions;
  private readonly latency: StorageLatency;
  private readonly createCore: CoreFactory;
  private readonly checker: InvariantChecker;
  private readonly checkGlobal: boolean;
  private readonly nodeChecks: NodeCheckMode;
  private readonly onApply: ((node: NodeId, entry: LogEntry) => void) | undefined;
  private readonly buckets = new Map<number, ScheduledEvent[]>();
  private pendingEvents = 0;
  /** `true` while the events of the current tick run (zero-delay events then join the same tick). */
  private draining = false;
  private currentTick = 0;
  private inputs = 0;
  private nextRequestId = 1;
  private readonly results = new Map<number, ProposalResult>();
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
    this.configuration = { voters: [...this.nodeIds], learners: [] };
    this.raftOptions = options.raft ?? {};
    this.latency = validateLatency({ ...DEFAULT_STORAGE_LATENCY, ...options.storage });
    this.createCore = options.createCore ?? ((o, b) => new RaftNodeState(o, b));
    this.checkGlobal = options.checkInvariants ?? true;
    this.nodeChecks = options.nodeChecks ?? 'everyInput';
    this.onApply = options.onApply;
    this.trace = new TraceRecorder(options.traceSize ?? 200);
    this.network = new SimulatedNetwork(this.nodeIds, this.random, { ...RELIABLE_NETWORK, ...options.network });
    this.checker = new InvariantChecker((invariant, node, detail) => this.fail(invariant, node, detail), {
      maxInflightMessages: this.raftOptions.maxInflightMessages ?? DEFAULT_RAFT_OPTIONS.maxInflightMessages,
      maxUncommittedBytes: this.raftOptions.maxUncommittedBytes ?? DEFAULT_RAFT_OPTIONS.maxUncommittedBytes,
    });
    this.invariants = { checkAll: () => this.checkAll(), checker: this.checker };
    this.nodes = this.nodeIds.map((id, index) => ({
      id,
      index,
      disk: new SimulatedDisk(),
      core: undefined,
      incarnation: 0,
      applied: [],
      appliedBase: 0,
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
   * Builds a cluster of fresh nodes (bootstrap configuration: all of them voters).
   * @throws ConfigurationError for a bad `nodeCount` or `seed`.
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
   * A leader that a majority of the voters (itself included) follow in its term: a leader
   * the cluster actually has, not a deposed one that has not heard the news.
   */
  stableLeader(): NodeId | undefined {
    const leader = this.findLeader();
    if (leader === undefined) return undefined;
    const term = this.nodeOf(leader).core?.status().term;
    let followers = 0;
    for (const node of this.nodes) {
      const s = node.core?.status();
      if (s !== undefined && s.term === term && s.leaderId === leader) followers++;
    }
    return followers >= Math.floor(this.nodes.length / 2) + 1 ? leader : undefined;
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
    const lost = node.disk.crash();
    this.checker.stopProcess(node.id);
    this.client.onCrash(node.id);
    this.countFault('crash');
    this.trace.event(this.currentTick, node.id, 'crash', `lost ${lost} pending writes`);
  }

  /**
   * Restarts a crashed node from its durable meta and log only; its state machine starts
   * empty and is rebuilt as entries are committed and applied again.
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
   * request is acknowledged and every node applied the barrier, then asserts that every
   * acknowledged proposal is applied at its index and term on every node (INV-8).
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
    const acks = this.client.acknowledged();
    const target = Math.max(...acks.map((a) => a.index));
    while (this.nodes.some((n) => n.appliedBase + n.applied.length < target)) {
      if (this.currentTick >= deadline) {
        const behind = this.nodes.filter((n) => n.appliedBase + n.applied.length < target).map((n) => `${n.id}@${n.appliedBase + n.applied.length}`);
        this.fail('LIVENESS', undefined, `nodes ${behind.join(', ')} did not apply up to ${target} within ${options.maxTicks} ticks after heal`);
      }
      this.tick();
    }
    this.assertAcknowledgedApplied(acks);
    this.checkAll();
  }

  /** Asserts INV-8 for the given acknowledgements on every live node. */
  assertAcknowledgedApplied(acks: readonly AcknowledgedProposal[] = this.client.acknowledged()): void {
    for (const node of this.nodes) {
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

  private boot(node: SimNode): void {
    const meta = node.disk.durableMeta();
    const entries = node.disk.durableEntries();
    const boot: RaftBootState = { meta, entries, configuration: this.configuration };
    const core = this.createCore(
      { ...this.raftOptions, id: node.id, seed: deriveSeed(this.seed, node.index, node.incarnation) },
      boot,
    );
    node.core = core;
    node.applied = [];
    node.appliedBase = node.disk.durableBaseIndex();
    this.checker.startProcess(node.id, {
      disk: node.disk,
      baseIndex: node.disk.durableBaseIndex(),
      baseTerm: node.disk.durableTermAt(node.disk.durableBaseIndex()) ?? 0,
      entries,
      appliedIndex: node.appliedBase,
      status: core.status(),
    });
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
        if (event.node.incarnation === event.incarnation && event.node.core !== undefined) this.deliver(event.node, event.input);
        return;
      case 'storage':
        if (event.node.incarnation === event.incarnation && event.node.core !== undefined) this.completeWrite(event.node);
        return;
    }
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
        this.deliver(node, { type: 'metaPersisted', meta: write.meta });
        return;
      case 'log': {
        const last = write.entries[write.entries.length - 1];
        // The host may merge writes and acknowledge only the last (the contract allows it).
        if (!merged && last !== undefined) this.deliver(node, { type: 'logPersisted', upTo: last.index, term: last.term });
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

  private execute(node: SimNode, output: RaftOutput): void {
    let truncateAfter: LogIndex | undefined;
    const now = this.currentTick;
    for (const effect of output.effects) {
      switch (effect.type) {
        case 'persistMeta':
          this.issue(node, { kind: 'meta', meta: effect.meta }, now);
          break;
        case 'truncateLog':
          truncateAfter = effect.after;
          break;
        case 'appendLog':
          this.issue(node, { kind: 'log', truncateAfter, entries: effect.entries }, now);
          truncateAfter = undefined;
          break;
        case 'compactLog':
          this.issue(node, { kind: 'compact', upTo: effect.upTo, term: effect.term }, now);
          break;
        case 'send':
          for (const delay of this.network.route(effect.message)) this.schedule(now + delay, { kind: 'deliver', message: effect.message });
          break;
        case 'apply': {
          const entries = effect.entries;
          if (entries.length === 0) break;
          for (const entry of entries) {
            node.applied.push(entry);
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
        case 'readResult':
        case 'configurationChangeResult':
        case 'transferLeadershipResult':
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
    return node.applied[index - node.appliedBase - 1];
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
        return LogIndex(node.appliedBase + node.applied.length);
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
      applied: () => [...node.applied],
      appliedAt: (index) => this.appliedAt(node, index),
      durableMeta: () => node.disk.durableMeta(),
      durableLog: () => node.disk.durableEntries(),
      pendingWrites: () => node.disk.pendingWrites(),
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

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
