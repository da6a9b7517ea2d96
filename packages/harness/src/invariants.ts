import {
  type ClusterConfiguration,
  type LogEntry,
  type NodeId,
  type PersistentMeta,
  type RaftMessage,
  type RaftOutput,
  type RaftStatus,
  type Role,
  entrySize,
} from '@raft/abstractions';
import type { InvariantId } from './errors.js';
import { entryHash, prefixHash } from './hash.js';
import type { SimulatedSnapshotStore } from './snapshots.js';
import type { SimulatedDisk } from './storage.js';

/** Reports a violation; never returns (the cluster throws an `InvariantViolationError`). */
export type ViolationReporter = (invariant: InvariantId, node: NodeId | undefined, detail: string) => never;

/** The limits INV-13 checks, from the nodes' options. */
export interface ResourceLimits {
  readonly maxInflightMessages: number;
  readonly maxUncommittedBytes: number;
}

/** What the checker needs to know about a node that has just been (re)built from its disk. */
export interface ProcessStart {
  readonly disk: SimulatedDisk;
  /** The node's snapshot store (the checker reads what is durable there). */
  readonly snapshots: SimulatedSnapshotStore;
  /** The core's compaction point at boot (its boot snapshot, or 0) and the term there. */
  readonly baseIndex: number;
  readonly baseTerm: number;
  /** The log entries the core holds at boot (after the compaction point). */
  readonly entries: readonly LogEntry[];
  /**
   * The bootstrap configuration the node was started with (the one in force when neither its
   * log nor a snapshot holds one: the initial voters for a founding member, empty for a node
   * that joins later). @default the status's configuration when `entries` hold none
   */
  readonly bootstrapConfiguration?: ClusterConfiguration;
  /** The state machine the node starts with: its applied index and state fingerprint. */
  readonly appliedIndex: number;
  readonly stateFingerprint: number;
  readonly status: RaftStatus;
}

/** Options of the checker beyond the resource limits. */
export interface CheckerOptions {
  /**
   * The configuration the cluster was bootstrapped with: in force at every index below the
   * first configuration entry. Without it the configuration of such a prefix is unknown and
   * the checks that need it are skipped there.
   */
  readonly initialConfiguration?: ClusterConfiguration;
}

/** The live node as the checker can inspect it for the on-demand full check. */
export interface InspectableNode {
  status(): RaftStatus;
  entries(): LogEntry[];
  checkInvariants(): void;
}

/**
 * The checker's mirror of one node's in-memory log, maintained from the node's own
 * `truncateLog`/`appendLog` effects: entry terms and prefix fingerprints above a base.
 */
class LogMirror {
  base: number;
  baseTerm: number;
  /** Fingerprint of the prefix up to `base`; `undefined` when not known (snapshot of unknown content). */
  baseHash: number | undefined;
  terms: number[] = [];
  hashes: (number | undefined)[] = [];
  /** The configuration entries held above `base`, in index order. */
  configs: { readonly index: number; readonly configuration: ClusterConfiguration }[] = [];
  /** The configuration in force at `base`; `undefined` when not known. */
  baseConfiguration: ClusterConfiguration | undefined;

  constructor(base: number, baseTerm: number, baseHash: number | undefined, baseConfiguration: ClusterConfiguration | undefined) {
    this.base = base;
    this.baseTerm = baseTerm;
    this.baseHash = baseHash;
    this.baseConfiguration = baseConfiguration;
  }

  /** The latest configuration in the log (dissertation §4.1: in force once appended), if known. */
  latestConfiguration(): ClusterConfiguration | undefined {
    return this.configs[this.configs.length - 1]?.configuration ?? this.baseConfiguration;
  }

  /** The configuration in force at `index` (≥ base), if known. */
  configurationAt(index: number): ClusterConfiguration | undefined {
    for (let i = this.configs.length - 1; i >= 0; i--) {
      const c = this.configs[i] as { index: number; configuration: ClusterConfiguration };
      if (c.index <= index) return c.configuration;
    }
    return this.baseConfiguration;
  }

  lastIndex(): number {
    return this.base + this.terms.length;
  }

  termAt(index: number): number | undefined {
    if (index === this.base) return this.baseTerm;
    if (index < this.base) return undefined;
    return this.terms[index - this.base - 1];
  }

  hashAt(index: number): number | undefined {
    if (index === this.base) return this.baseHash;
    if (index < this.base) return undefined;
    return this.hashes[index - this.base - 1];
  }
}

/** Per-process view of a node (reset on restart). */
class Tracker {
  readonly id: NodeId;
  disk: SimulatedDisk;
  snapshots: SimulatedSnapshotStore;
  role: Role;
  term: number;
  commitIndex: number;
  snapshotIndex: number;
  lastApplied: number;
  mirror: LogMirror;

  constructor(id: NodeId, disk: SimulatedDisk, snapshots: SimulatedSnapshotStore, status: RaftStatus, mirror: LogMirror, lastApplied: number) {
    this.id = id;
    this.disk = disk;
    this.snapshots = snapshots;
    this.role = status.role;
    this.term = status.term;
    this.commitIndex = status.commitIndex;
    this.snapshotIndex = status.snapshotIndex;
    this.lastApplied = lastApplied;
    this.mirror = mirror;
  }
}

/**
 * The global invariant checker (reliability notes §4). It sees every node's outputs and
 * status after each input, every node's durable disk, and the cluster-wide history, and
 * checks in O(1) per input (amortised) using log-prefix fingerprints:
 *
 * - a registry of `(index, term) → prefix fingerprint` over every log ever seen (INV-3);
 * - the fingerprint of every committed prefix, plus the term at which each commit was first
 *   observed, for Leader Completeness (INV-4) and commit agreement;
 * - the fingerprint of every applied entry, and of the state machine after every applied
 *   index — from the log or restored from a snapshot (INV-5, INV-10);
 * - leaders and AppendEntries/InstallSnapshot senders per term (INV-1), durable votes per term (INV-7);
 * - per node across restarts: the highest durable snapshot and compaction point (INV-6);
 * - the configuration entries of every log and of the committed log (INV-11): each node's
 *   configuration in force is computed from its own effects, never taken from the core, so
 *   a leader's elections and commits are checked against the quorum of the latest
 *   configuration in its log (both majorities while joint).
 *
 * With log compaction, a node's log mirror starts at its compaction point (whose prefix
 * fingerprint is the committed one there), so Log Matching compares only the entries a node
 * holds; a snapshot install or a restart from a snapshot restores the state machine, whose
 * fingerprint must equal the committed prefix at the snapshot's index.
 */
export class InvariantChecker {
  private readonly report: ViolationReporter;
  private readonly limits: ResourceLimits;
  private readonly trackers = new Map<NodeId, Tracker>();
  private readonly disks = new Map<NodeId, SimulatedDisk>();
  private readonly stores = new Map<NodeId, SimulatedSnapshotStore>();
  /** `registry[index]` = flat list of `[term, prefixHash, term, prefixHash, …]` seen at that index. */
  private readonly registry: number[][] = [];
  /** Fingerprint of the committed prefix ending at each index. */
  private readonly committed: number[] = [];
  /** Term of the committed entry at each index. */
  private readonly committedTerm: number[] = [];
  /** Highest committed index observed by a node whose current term was the key. */
  private readonly commitFrontier = new Map<number, number>();
  private maxCommitted = 0;
  /** Fingerprint of the entry applied at each index (by whichever node applied it first). */
  private readonly applied: number[] = [];
  /** Fingerprint of the state machine after each applied index (by whichever node reached it first). */
  private readonly stateAt: number[] = [];
  /** Leader of each term (from roles and from AppendEntries senders). */
  private readonly leaders = new Map<number, NodeId>();
  /** Vote granted (and durable) by each node in each term. */
  private readonly votes = new Map<NodeId, Map<number, NodeId>>();
  /** Highest durable term ever seen per node. */
  private readonly durableTerm = new Map<NodeId, number>();
  /** Highest durable snapshot index per node. */
  private readonly durableSnapshot = new Map<NodeId, number>();
  /** Highest compaction point (status `snapshotIndex`) per node, over all its processes. */
  private readonly compactionPoint = new Map<NodeId, number>();
  /** Configuration entries of the committed log, in index order. */
  private readonly committedConfigs: { readonly index: number; readonly configuration: ClusterConfiguration }[] = [];
  private readonly initialConfiguration: ClusterConfiguration | undefined;
  private largestEntry = 0;
  /** Inputs checked incrementally. */
  checks = 0;
  /** Full on-demand checks run. */
  fullChecks = 0;

  constructor(report: ViolationReporter, limits: ResourceLimits, options: CheckerOptions = {}) {
    this.report = report;
    this.limits = limits;
    this.initialConfiguration = options.initialConfiguration;
  }

  /**
   * The configuration in force at a committed `index`: the newest committed configuration
   * entry at or below it, else the initial configuration (`undefined` when not known).
   */
  committedConfigurationAt(index: number): ClusterConfiguration | undefined {
    for (let i = this.committedConfigs.length - 1; i >= 0; i--) {
      const c = this.committedConfigs[i] as { index: number; configuration: ClusterConfiguration };
      if (c.index <= index) return c.configuration;
    }
    return this.initialConfiguration;
  }

  /** The latest configuration in the log of `id`'s live process, as built from its effects (`undefined` if unknown or crashed). */
  configurationOf(id: NodeId): ClusterConfiguration | undefined {
    return this.trackers.get(id)?.mirror.latestConfiguration();
  }

  /** Terms that have had a leader, and who. */
  leadersByTerm(): ReadonlyMap<number, NodeId> {
    return this.leaders;
  }

  /** Highest index known committed anywhere. */
  highestCommitted(): number {
    return this.maxCommitted;
  }

  /** Term of the committed entry at `index`, if known. */
  committedTermAt(index: number): number | undefined {
    return this.committedTerm[index];
  }

  /** A node process was built from its durable state (at creation or restart). */
  startProcess(id: NodeId, start: ProcessStart): void {
    this.disks.set(id, start.disk);
    this.stores.set(id, start.snapshots);
    const baseHash = start.baseIndex === 0 ? 0 : this.committed[start.baseIndex];
    if (start.baseIndex > 0 && this.committedTerm[start.baseIndex] !== undefined && this.committedTerm[start.baseIndex] !== start.baseTerm) {
      this.report('INV-4', id, `boot snapshot at ${start.baseIndex} has term ${start.baseTerm}, the committed entry there has term ${this.committedTerm[start.baseIndex]}`);
    }
    // The configuration at the compaction point: the committed one there (a snapshot's), or
    // the bootstrap configuration for a log from index 1.
    const baseConfiguration =
      start.baseIndex > 0
        ? this.committedConfigurationAt(start.baseIndex)
        : (start.bootstrapConfiguration ?? (start.entries.some((e) => e.kind === 'configuration') ? undefined : start.status.configuration));
    const mirror = new LogMirror(start.baseIndex, start.baseTerm, baseHash, baseConfiguration);
    this.appendToMirror(id, mirror, start.entries);
    const tracker = new Tracker(id, start.disk, start.snapshots, start.status, mirror, start.appliedIndex);
    // INV-6: the compaction point never moves back, across restarts too; the node restarts
    // from its newest durable snapshot, never from an older state.
    const point = this.compactionPoint.get(id) ?? 0;
    if (start.status.snapshotIndex < point) {
      this.report('INV-6', id, `restarted with its log compacted to ${start.status.snapshotIndex}, below the ${point} of an earlier process`);
    }
    this.compactionPoint.set(id, Math.max(point, start.status.snapshotIndex));
    const newest = start.snapshots.durableIndex();
    if (start.appliedIndex < newest || start.status.snapshotIndex < newest) {
      this.report('INV-6', id, `restarted at applied ${start.appliedIndex} (log from ${start.status.snapshotIndex}), older than its durable snapshot at ${newest}`);
    }
    if (start.status.appliedIndex !== start.appliedIndex) {
      this.report('HOST', id, `boots reporting applied index ${start.status.appliedIndex}, its state machine holds ${start.appliedIndex}`);
    }
    // INV-5: the restored state is the state every node had at that index.
    this.checkState(id, start.appliedIndex, start.stateFingerprint, 'restarted with');
    const durable = this.durableTerm.get(id) ?? 0;
    if (start.status.term < durable) {
      this.report('INV-6', id, `restarted at term ${start.status.term}, below its durable term ${durable}`);
    }
    if (start.status.commitIndex > mirror.lastIndex()) {
      this.report('INV-4', id, `boots with commit index ${start.status.commitIndex} beyond its log (${mirror.lastIndex()})`);
    }
    // INV-11: it boots acting on the latest configuration in its log (or its snapshot's, or its bootstrap one).
    const configuration = mirror.latestConfiguration();
    if (configuration !== undefined && !sameConfiguration(configuration, start.status.configuration)) {
      this.report('INV-11', id, `boots acting on configuration ${describeConfiguration(start.status.configuration)}, the latest one in its log is ${describeConfiguration(configuration)}`);
    }
    this.trackers.set(id, tracker);
  }

  /**
   * The node crashed: its process view is gone (its durable history stays). A term it led
   * without that term ever becoming durable left no trace — its leader sent nothing in it
   * (INV-12 checks that) and wrote nothing durable — so the restarted node may lead that term
   * again with other entries (a single voter does): the leadership claim and the entries of
   * that term its lost log registered are forgotten.
   */
  stopProcess(id: NodeId): void {
    const t = this.trackers.get(id);
    this.trackers.delete(id);
    if (t === undefined) return;
    const durableTerm = t.disk.durableMeta().currentTerm;
    const forgotten = new Set<number>();
    for (const [term, leader] of this.leaders) if (term > durableTerm && leader === id) forgotten.add(term);
    if (forgotten.size === 0) return;
    for (const term of forgotten) this.leaders.delete(term);
    const mirror = t.mirror;
    for (let index = mirror.base + 1; index <= mirror.lastIndex(); index++) {
      const term = mirror.termAt(index);
      const slot = this.registry[index];
      if (term === undefined || !forgotten.has(term) || slot === undefined) continue;
      for (let i = 0; i < slot.length; i += 2) {
        if (slot[i] === term) {
          slot.splice(i, 2);
          break;
        }
      }
    }
  }

  /** A meta write of `id` became durable. */
  metaDurable(id: NodeId, previous: PersistentMeta, next: PersistentMeta): void {
    // INV-6: the durable term never decreases. INV-7: a durable vote never changes within a term.
    if (next.currentTerm < previous.currentTerm) {
      this.report('INV-6', id, `durable term went from ${previous.currentTerm} to ${next.currentTerm}`);
    }
    if (next.currentTerm === previous.currentTerm && previous.votedFor !== undefined && next.votedFor !== previous.votedFor) {
      this.report('INV-7', id, `durable vote in term ${next.currentTerm} changed from ${previous.votedFor} to ${next.votedFor ?? 'none'}`);
    }
    if (next.votedFor !== undefined) this.recordVote(id, next.currentTerm, next.votedFor, 'durable vote');
    this.durableTerm.set(id, Math.max(this.durableTerm.get(id) ?? 0, next.currentTerm));
  }

  /** A snapshot of `id` became durable at `index`. */
  snapshotDurable(id: NodeId, index: number): void {
    const previous = this.durableSnapshot.get(id) ?? 0;
    if (index < previous) this.report('INV-6', id, `durable snapshot index went from ${previous} to ${index}`);
    this.durableSnapshot.set(id, index);
  }

  /** A proposal of `bytes` payload bytes was made (sizes the INV-13 allowance). */
  proposed(bytes: number): void {
    this.largestEntry = Math.max(this.largestEntry, bytes + 64);
  }

  /** Checks one processed input: the node's effects in order, then its new status. */
  afterInput(id: NodeId, output: RaftOutput, status: RaftStatus): void {
    const t = this.trackers.get(id);
    if (t === undefined) return;
    this.checks++;
    const wasLeaderThisTerm = t.role === 'leader' && status.role === 'leader' && status.term === t.term;
    const mirror = t.mirror;
    const configurationBefore = mirror.latestConfiguration();

    // INV-6: a node's term never decreases within a process.
    if (status.term < t.term) this.report('INV-6', id, `term went from ${t.term} to ${status.term}`);

    for (const effect of output.effects) {
      switch (effect.type) {
        case 'truncateLog': {
          // INV-2: a leader never deletes entries of its log while it leads that term.
          if (wasLeaderThisTerm && effect.after < mirror.lastIndex()) {
            this.report('INV-2', id, `leader of term ${status.term} truncated its log after ${effect.after} (last ${mirror.lastIndex()})`);
          }
          if (effect.after < t.commitIndex) {
            this.report('INV-4', id, `truncated after ${effect.after}, below its commit index ${t.commitIndex}`);
          }
          this.truncateMirror(id, mirror, effect.after);
          break;
        }
        case 'appendLog':
          this.appendToMirror(id, mirror, effect.entries);
          break;
        case 'compactLog':
          this.compactMirror(t, effect.upTo, effect.term);
          break;
        case 'send':
          this.checkSend(t, effect.message);
          break;
        case 'sendSnapshot': {
          // INV-1: only the leader of a term sends snapshots in it; INV-4: a snapshot covers a committed prefix.
          const m = effect.message;
          this.claimLeadership(id, m.term, 'sent InstallSnapshot');
          this.checkLeaderTermDurable(t, m.term, 'InstallSnapshot');
          const committedTerm = this.committedTerm[m.lastIncludedIndex];
          if (m.lastIncludedIndex > this.maxCommitted || (committedTerm !== undefined && committedTerm !== m.lastIncludedTerm)) {
            this.report('INV-4', id, `sends snapshot ${m.lastIncludedIndex}/${m.lastIncludedTerm}, not a committed prefix (committed there: ${committedTerm === undefined ? 'nothing' : `term ${committedTerm}`})`);
          }
          // INV-11 (E6): a snapshot carries the configuration in force at its last index.
          const inForce = this.committedConfigurationAt(m.lastIncludedIndex);
          if (inForce !== undefined && !sameConfiguration(inForce, m.configuration)) {
            this.report('INV-11', id, `sends snapshot ${m.lastIncludedIndex}/${m.lastIncludedTerm} carrying configuration ${describeConfiguration(m.configuration)}, the configuration in force there is ${describeConfiguration(inForce)}`);
          }
          break;
        }
        case 'installSnapshotChunk':
          break;
        case 'apply':
          for (const entry of effect.entries) this.checkApply(t, entry, status);
          break;
        case 'persistMeta':
        case 'proposalResult':
        case 'readResult':
        case 'configurationChangeResult':
        case 'transferLeadershipResult':
          break;
      }
    }

    // INV-1: one leader per term; INV-4: a new leader holds everything committed before its term.
    // INV-11: it won with a majority of each half of the latest configuration in its log.
    if (status.role === 'leader') {
      this.claimLeadership(id, status.term, 'is leader');
      if (!wasLeaderThisTerm) {
        this.checkLeaderCompleteness(t, status.term);
        this.checkElectionQuorum(t, status.term, configurationBefore ?? t.mirror.latestConfiguration());
      }
    }

    // INV-6: the commit index never decreases within a process; it never passes the log.
    if (status.commitIndex < t.commitIndex) {
      this.report('INV-6', id, `commit index went from ${t.commitIndex} to ${status.commitIndex}`);
    }
    if (status.commitIndex > t.commitIndex) this.commitAdvanced(t, status);
    if (status.snapshotIndex < t.snapshotIndex) {
      this.report('INV-6', id, `snapshot index went from ${t.snapshotIndex} to ${status.snapshotIndex}`);
    }
    if (status.snapshotIndex > t.snapshotIndex && status.snapshotIndex > (this.compactionPoint.get(id) ?? 0)) {
      this.compactionPoint.set(id, status.snapshotIndex);
    }
    // INV-5: applied never exceeds commit.
    if (status.appliedIndex > status.commitIndex) {
      this.report('INV-5', id, `applied index ${status.appliedIndex} exceeds commit index ${status.commitIndex}`);
    }
    const configuration = t.mirror.latestConfiguration();
    if (status.role === 'leader') {
      // INV-11: at most one configuration entry that is not committed in a leader's log (a
      // change starts only once the previous one committed, dissertation §4.1).
      const configs = t.mirror.configs;
      const previous = configs[configs.length - 2];
      if (previous !== undefined && previous.index > this.maxCommitted) {
        const last = configs[configs.length - 1] as { index: number };
        this.report('INV-11', id, `leader of term ${status.term} holds uncommitted configuration entries at ${previous.index} and ${last.index} (highest committed index ${this.maxCommitted})`);
      }
    }
    // INV-11: the configuration the core acts on is the latest one in its log.
    if (configuration !== undefined && (configuration !== configurationBefore || (status.role === 'leader' && (!wasLeaderThisTerm || status.commitIndex > t.commitIndex)))) {
      if (!sameConfiguration(configuration, status.configuration)) {
        this.report('INV-11', id, `acts on configuration ${describeConfiguration(status.configuration)}, the latest one in its log is ${describeConfiguration(configuration)}`);
      }
    }
    t.role = status.role;
    t.term = status.term;
    t.commitIndex = status.commitIndex;
    t.snapshotIndex = status.snapshotIndex;
  }

  /**
   * The state machine of `id` reached `index` by applying an entry (`fingerprint` is its
   * state there). INV-5: every node has the same state after the same index.
   */
  stateApplied(id: NodeId, index: number, fingerprint: number): void {
    this.checkState(id, index, fingerprint, 'applied up to');
  }

  /**
   * The host replaced the state machine of `id` with a snapshot received from the leader,
   * at `index`/`term`, with state `fingerprint` (decoded from the snapshot bytes). The state
   * must be the committed prefix there (INV-4/INV-5), and it never moves back (INV-6).
   */
  stateRestored(id: NodeId, index: number, term: number, fingerprint: number): void {
    const t = this.trackers.get(id);
    if (t === undefined) return;
    if (index < t.lastApplied) this.report('INV-6', id, `installed a snapshot at ${index} after applying up to ${t.lastApplied}`);
    const knownTerm = this.committedTerm[index];
    if (knownTerm !== undefined && knownTerm !== term) {
      this.report('INV-4', id, `installed snapshot at ${index} with term ${term}, the committed entry there has term ${knownTerm}`);
    }
    const committed = this.committed[index];
    if (committed !== undefined && committed !== fingerprint) {
      this.report('INV-5', id, `installed snapshot ${index}/${term} whose state is not the committed log prefix up to ${index}`);
    }
    this.checkState(id, index, fingerprint, 'installed a snapshot with');
    t.lastApplied = index;
  }

  /**
   * INV-10 convergence (after heal and quiesce): every node at the same applied index has the
   * same state-machine state, equal to the committed prefix there, and the log it holds at
   * that index carries the same prefix fingerprint.
   */
  checkConvergence(states: ReadonlyMap<NodeId, { readonly appliedIndex: number; readonly fingerprint: number }>): void {
    const byIndex = new Map<number, { id: NodeId; fingerprint: number }>();
    for (const [id, state] of states) {
      const first = byIndex.get(state.appliedIndex);
      if (first === undefined) byIndex.set(state.appliedIndex, { id, fingerprint: state.fingerprint });
      else if (first.fingerprint !== state.fingerprint) {
        this.report('INV-10', id, `state machine at applied index ${state.appliedIndex} differs from ${first.id}'s`);
      }
      const committed = state.appliedIndex === 0 ? 0 : this.committed[state.appliedIndex];
      if (committed !== undefined && committed !== state.fingerprint) {
        this.report('INV-10', id, `state machine at applied index ${state.appliedIndex} is not the committed log prefix`);
      }
      const mirror = this.trackers.get(id)?.mirror;
      const held = mirror === undefined || state.appliedIndex < mirror.base ? undefined : mirror.hashAt(state.appliedIndex);
      if (held !== undefined && held !== state.fingerprint) {
        this.report('INV-10', id, `its log up to ${state.appliedIndex} does not match its state machine there`);
      }
    }
  }

  /** The full on-demand check (`invariants.checkAll()`): everything the incremental checks rely on. */
  checkAll(nodes: ReadonlyMap<NodeId, InspectableNode>): void {
    this.fullChecks++;
    const leadersNow = new Map<number, NodeId>();
    for (const [id, node] of nodes) {
      try {
        node.checkInvariants();
      } catch (error) {
        this.report('HOST', id, `checkInvariants() failed: ${(error as Error).message}`);
      }
      const status = node.status();
      const t = this.trackers.get(id);
      if (t === undefined) continue;
      if (status.role === 'leader') {
        const other = leadersNow.get(status.term);
        if (other !== undefined) this.report('INV-1', id, `${other} and ${id} are both leaders of term ${status.term}`);
        leadersNow.set(status.term, id);
      }
      // The mirror built from effects must be the log the node holds.
      const held = node.entries();
      for (const entry of held) {
        const mirroredTerm = t.mirror.termAt(entry.index);
        if (mirroredTerm !== entry.term) {
          this.report('HOST', id, `in-memory log has term ${entry.term} at ${entry.index}, its effects said ${mirroredTerm ?? 'nothing'}`);
        }
      }
      if (status.lastIndex !== t.mirror.lastIndex()) {
        this.report('HOST', id, `status lastIndex ${status.lastIndex}, its effects built a log ending at ${t.mirror.lastIndex()}`);
      }
      if (status.commitIndex !== t.commitIndex) {
        this.report('HOST', id, `status commit index ${status.commitIndex}, last observed ${t.commitIndex}`);
      }
      // INV-11: the configuration in force is the latest one in the log.
      const configuration = t.mirror.latestConfiguration();
      if (configuration !== undefined && !sameConfiguration(configuration, status.configuration)) {
        this.report('INV-11', id, `acts on configuration ${describeConfiguration(status.configuration)}, the latest one in its log is ${describeConfiguration(configuration)}`);
      }
      // INV-3 on the durable log as well: every durable entry agrees with the registry.
      let previous: number | undefined = t.disk.durableBaseIndex() === 0 ? 0 : this.committed[t.disk.durableBaseIndex()];
      for (const entry of t.disk.durableEntries()) {
        if (previous === undefined) break;
        previous = prefixHash(previous, entryHash(entry));
        this.register(id, entry.index, entry.term, previous);
      }
      // INV-13: bounded in-flight appends and uncommitted bytes.
      for (const p of status.progress) {
        if (p.inflightMessages > this.limits.maxInflightMessages) {
          this.report('INV-13', id, `${p.inflightMessages} appends in flight to ${p.nodeId}, limit ${this.limits.maxInflightMessages}`);
        }
      }
      if (this.limits.maxUncommittedBytes > 0 && status.uncommittedBytes > this.limits.maxUncommittedBytes + this.largestEntry) {
        this.report('INV-13', id, `${status.uncommittedBytes} uncommitted bytes, limit ${this.limits.maxUncommittedBytes}`);
      }
    }
  }

  private claimLeadership(id: NodeId, term: number, how: string): void {
    const existing = this.leaders.get(term);
    if (existing === undefined) this.leaders.set(term, id);
    else if (existing !== id) this.report('INV-1', id, `${id} ${how} in term ${term}, which ${existing} already leads`);
  }

  private recordVote(id: NodeId, term: number, candidate: NodeId, how: string): void {
    let byTerm = this.votes.get(id);
    if (byTerm === undefined) {
      byTerm = new Map();
      this.votes.set(id, byTerm);
    }
    const existing = byTerm.get(term);
    if (existing === undefined) byTerm.set(term, candidate);
    else if (existing !== candidate) this.report('INV-7', id, `${how} for ${candidate} in term ${term}, but it voted for ${existing} in that term`);
  }

  /** INV-12: a leader speaks in its term only once that term is durable (or a crash could let it lead the term again). */
  private checkLeaderTermDurable(t: Tracker, term: number, what: string): void {
    const durable = t.disk.durableMeta().currentTerm;
    if (durable < term) this.report('INV-12', t.id, `sent ${what} in term ${term} while its durable term is ${durable}`);
  }

  private checkSend(t: Tracker, message: RaftMessage): void {
    const disk = t.disk;
    switch (message.type) {
      case 'AppendEntries':
        // INV-1 (hashicorp's verifier): one AppendEntries sender per term.
        this.claimLeadership(t.id, message.term, 'sent AppendEntries');
        this.checkLeaderTermDurable(t, message.term, 'AppendEntries');
        break;
      case 'RequestVoteResponse': {
        if (!message.granted || message.preVote) break;
        // INV-12: a granted vote is durable before it leaves.
        const meta = disk.durableMeta();
        if (meta.currentTerm !== message.term || meta.votedFor !== message.to) {
          this.report(
            'INV-12',
            t.id,
            `granted its term-${message.term} vote to ${message.to} while durable meta is term ${meta.currentTerm} vote ${meta.votedFor ?? 'none'}`,
          );
        }
        this.recordVote(t.id, message.term, message.to, 'granted a vote');
        break;
      }
      case 'AppendEntriesResponse': {
        if (!message.success) break;
        // INV-12: an append acknowledgement covers only durable entries.
        const m = message.matchIndex;
        const durableTerm = disk.durableTermAt(m);
        const coveredBySnapshot = t.snapshots.durableIndex() >= m;
        if (!coveredBySnapshot && (durableTerm === undefined || durableTerm !== t.mirror.termAt(m))) {
          this.report(
            'INV-12',
            t.id,
            `acknowledged match index ${m} to ${message.to} but its durable log ${durableTerm === undefined ? `ends at ${disk.durableLastIndex()}` : `has term ${durableTerm} there`} (in memory: term ${t.mirror.termAt(m) ?? 'none'})`,
          );
        }
        break;
      }
      case 'InstallSnapshotResponse': {
        if (!message.installed) break;
        // INV-12: "installed" promises the snapshot's prefix is durable here: the snapshot
        // (or a newer one) is durable, or the durable log holds its last entry (a snapshot
        // the node did not need because it had committed past it).
        const at = message.lastIncludedIndex;
        const durableTerm = disk.durableTermAt(at);
        const committedTerm = this.committedTerm[at];
        const inLog = durableTerm !== undefined && (committedTerm === undefined || committedTerm === durableTerm);
        if (t.snapshots.durableIndex() < at && !inLog) {
          this.report('INV-12', t.id, `acknowledged snapshot ${at} as installed while neither its snapshot store (at ${t.snapshots.durableIndex()}) nor its durable log holds it`);
        }
        break;
      }
      case 'InstallSnapshot':
        this.claimLeadership(t.id, message.term, 'sent InstallSnapshot');
        this.checkLeaderTermDurable(t, message.term, 'InstallSnapshot');
        break;
      case 'TimeoutNow':
        this.checkLeaderTermDurable(t, message.term, 'TimeoutNow');
        break;
      case 'RequestVote':
        break;
    }
  }

  private checkApply(t: Tracker, entry: LogEntry, status: RaftStatus): void {
    // INV-5: in order, without gaps, only committed entries, the same entry everywhere.
    if (entry.index !== t.lastApplied + 1) {
      this.report('INV-5', t.id, `applied index ${entry.index} after ${t.lastApplied}`);
    }
    if (entry.index > status.commitIndex) {
      this.report('INV-5', t.id, `applied index ${entry.index} beyond its commit index ${status.commitIndex}`);
    }
    const h = entryHash(entry);
    const seen = this.applied[entry.index];
    if (seen === undefined) this.applied[entry.index] = h;
    else if (seen !== h) this.report('INV-5', t.id, `applied a different entry at index ${entry.index} (term ${entry.term}) than another node`);
    const committedTerm = this.committedTerm[entry.index];
    if (committedTerm !== undefined && committedTerm !== entry.term) {
      this.report('INV-5', t.id, `applied term ${entry.term} at ${entry.index}, the committed entry has term ${committedTerm}`);
    }
    t.lastApplied = entry.index;
  }

  private commitAdvanced(t: Tracker, status: RaftStatus): void {
    const mirror = t.mirror;
    const to = status.commitIndex;
    if (to > mirror.lastIndex()) {
      this.report('INV-4', t.id, `commit index ${to} beyond its last index ${mirror.lastIndex()}`);
    }
    if (status.role === 'leader') {
      // §5.4.2 (Figure 8): a leader commits by counting replicas only entries of its own term.
      const termAt = mirror.termAt(to);
      if (termAt !== status.term) {
        this.report('INV-4', t.id, `leader of term ${status.term} advanced commit to ${to}, an entry of term ${termAt ?? 'unknown'}`);
      }
      // INV-12: the committed entry is durable on a quorum (the leader counts itself only once
      // its own write is durable). INV-11: the quorum is that of the latest configuration in
      // its log as built from its own effects — both majorities while joint.
      const configuration = mirror.latestConfiguration();
      if (configuration !== undefined) this.checkDurableQuorum(t, configuration, to, termAt ?? -1);
    }
    const start = Math.max(t.commitIndex + 1, mirror.base);
    let nextConfig = firstConfigAbove(mirror.configs, start - 1);
    for (let i = start; i <= to; i++) {
      const h = mirror.hashAt(i);
      const termAt = mirror.termAt(i);
      const config = mirror.configs[nextConfig];
      const isConfig = config !== undefined && config.index === i;
      if (isConfig) nextConfig++;
      if (h === undefined || termAt === undefined) continue;
      const known = this.committed[i];
      if (known === undefined) {
        this.committed[i] = h;
        this.committedTerm[i] = termAt;
        if (isConfig) this.recordCommittedConfiguration(i, config.configuration);
      } else if (known !== h) {
        this.report('INV-4', t.id, `committed a different entry at index ${i} (term ${termAt}) than was committed before (term ${this.committedTerm[i]})`);
      }
    }
    const frontier = this.commitFrontier.get(status.term) ?? 0;
    if (to > frontier) this.commitFrontier.set(status.term, to);
    if (to > this.maxCommitted) this.maxCommitted = to;
  }

  private recordCommittedConfiguration(index: number, configuration: ClusterConfiguration): void {
    const list = this.committedConfigs;
    let at = list.length;
    while (at > 0 && (list[at - 1] as { index: number }).index > index) at--;
    list.splice(at, 0, { index, configuration });
  }

  /**
   * INV-11 for an election: the new leader of `term` holds the vote of a majority of each
   * half of the latest configuration in its log when the step that made it leader began
   * (its own vote counts where it is a voter). Votes are those granted (sent) or made
   * durable in that term.
   */
  private checkElectionQuorum(t: Tracker, term: number, configuration: ClusterConfiguration | undefined): void {
    if (configuration === undefined) return;
    for (const voters of configuration.oldVoters === undefined ? [configuration.voters] : [configuration.voters, configuration.oldVoters]) {
      let granted = 0;
      for (const v of voters) if (v === t.id || this.votes.get(v)?.get(term) === t.id) granted++;
      if (granted < Math.floor(voters.length / 2) + 1) {
        this.report('INV-11', t.id, `became leader of term ${term} with votes of ${granted} of ${voters.length} voters [${voters.join(',')}] of its configuration ${describeConfiguration(configuration)}`);
      }
    }
  }

  private checkDurableQuorum(t: Tracker, configuration: ClusterConfiguration, index: number, term: number): void {
    const durableOn = (voters: readonly NodeId[]): number => {
      let n = 0;
      for (const v of voters) {
        const disk = this.disks.get(v);
        if (disk === undefined) continue;
        if (disk.durableTermAt(index) === term || (this.stores.get(v)?.durableIndex() ?? 0) >= index) n++;
      }
      return n;
    };
    // In memory: the entry is in the log the node's effects built (or below its compaction point).
    const heldBy = (voters: readonly NodeId[]): number => {
      let n = 0;
      for (const v of voters) {
        const m = this.trackers.get(v)?.mirror;
        if (m !== undefined && (m.base >= index || m.termAt(index) === term)) n++;
      }
      return n;
    };
    for (const voters of configuration.oldVoters === undefined ? [configuration.voters] : [configuration.voters, configuration.oldVoters]) {
      if (voters.length === 0) continue;
      const copies = durableOn(voters);
      const quorum = Math.floor(voters.length / 2) + 1;
      if (copies < quorum) {
        // Not even held by a quorum of these voters: the leader counted another configuration's
        // quorum (INV-11); held but not durable: it counted acknowledgements of writes in flight (INV-12).
        const held = heldBy(voters);
        this.report(
          held < quorum ? 'INV-11' : 'INV-12',
          t.id,
          `committed index ${index} (term ${term}) while it is durable on only ${copies} (held by ${held}) of ${voters.length} voters [${voters.join(',')}] of its configuration ${describeConfiguration(configuration)}`,
        );
      }
    }
  }

  private checkLeaderCompleteness(t: Tracker, term: number): void {
    let needed = 0;
    for (const [observedTerm, index] of this.commitFrontier) {
      if (observedTerm < term && index > needed) needed = index;
    }
    if (needed === 0) return;
    const mirror = t.mirror;
    if (mirror.lastIndex() < needed) {
      this.report('INV-4', t.id, `became leader of term ${term} with log ending at ${mirror.lastIndex()}, but index ${needed} was committed in an earlier term`);
    }
    if (needed < mirror.base) return;
    const h = mirror.hashAt(needed);
    if (h !== undefined && h !== this.committed[needed]) {
      this.report('INV-4', t.id, `became leader of term ${term} without the entry committed at ${needed} (it holds term ${mirror.termAt(needed)}, committed term ${this.committedTerm[needed]})`);
    }
  }

  private checkState(id: NodeId, index: number, fingerprint: number, how: string): void {
    if (index === 0) {
      if (fingerprint !== 0) this.report('INV-5', id, `${how} a non-empty state at index 0`);
      return;
    }
    const seen = this.stateAt[index];
    if (seen === undefined) this.stateAt[index] = fingerprint;
    else if (seen !== fingerprint) this.report('INV-5', id, `${how} a state machine at index ${index} that differs from another node's at that index`);
  }

  /**
   * A `compactLog` effect: the mirror drops its prefix up to `upTo` when it holds `upTo` with
   * `term`, otherwise it restarts empty after `upTo` (the effect's contract). The compaction
   * point must be committed, and never below the mirror's.
   */
  private compactMirror(t: Tracker, upTo: number, term: number): void {
    const mirror = t.mirror;
    if (upTo < mirror.base) this.report('HOST', t.id, `compactLog up to ${upTo}, below its compaction point ${mirror.base}`);
    const committedTerm = this.committedTerm[upTo];
    if (upTo > this.maxCommitted || (committedTerm !== undefined && committedTerm !== term)) {
      this.report('INV-4', t.id, `compacted its log up to ${upTo}/${term}, which is not committed (committed there: ${committedTerm === undefined ? 'nothing' : `term ${committedTerm}`})`);
    }
    // The configuration at the new compaction point is the committed one there (known to
    // the checker independently of what the core or a snapshot claims).
    if (mirror.termAt(upTo) === term) {
      const drop = upTo - mirror.base;
      const hash = mirror.hashAt(upTo);
      const held = mirror.configurationAt(upTo);
      mirror.terms.splice(0, drop);
      mirror.hashes.splice(0, drop);
      mirror.base = upTo;
      mirror.baseTerm = term;
      mirror.baseHash = hash;
      mirror.baseConfiguration = this.committedConfigurationAt(upTo) ?? held;
      mirror.configs = mirror.configs.filter((c) => c.index > upTo);
    } else {
      t.mirror = new LogMirror(upTo, term, this.committed[upTo], this.committedConfigurationAt(upTo));
    }
  }

  private truncateMirror(id: NodeId, mirror: LogMirror, after: number): void {
    if (after < mirror.base) this.report('HOST', id, `truncateLog after ${after} reaches below the snapshot at ${mirror.base}`);
    const keep = after - mirror.base;
    if (keep < mirror.terms.length) {
      mirror.terms.length = keep;
      mirror.hashes.length = keep;
    }
    while (mirror.configs.length > 0 && (mirror.configs[mirror.configs.length - 1] as { index: number }).index > after) mirror.configs.pop();
  }

  private appendToMirror(id: NodeId, mirror: LogMirror, entries: readonly LogEntry[]): void {
    for (const entry of entries) {
      if (entry.index !== mirror.lastIndex() + 1) {
        this.report('HOST', id, `appendLog entry ${entry.index} does not follow the log's last index ${mirror.lastIndex()}`);
      }
      const previousHash = mirror.hashAt(entry.index - 1);
      const h = previousHash === undefined ? undefined : prefixHash(previousHash, entryHash(entry));
      if (entry.kind === 'command') this.largestEntry = Math.max(this.largestEntry, entrySize(entry));
      else if (entry.kind === 'configuration') mirror.configs.push({ index: entry.index, configuration: entry.configuration });
      mirror.terms.push(entry.term);
      mirror.hashes.push(h);
      if (h !== undefined) this.register(id, entry.index, entry.term, h);
    }
  }

  private register(id: NodeId, index: number, term: number, hash: number): void {
    // INV-3 Log Matching: the same (index, term) anywhere means the same prefix.
    let slot = this.registry[index];
    if (slot === undefined) {
      slot = [];
      this.registry[index] = slot;
    }
    for (let i = 0; i < slot.length; i += 2) {
      if (slot[i] === term) {
        if (slot[i + 1] !== hash) this.report('INV-3', id, `holds a different log prefix ending at index ${index} term ${term} than another node`);
        return;
      }
    }
    slot.push(term, hash);
  }
}

/** Position in `configs` (sorted by index) of the first entry above `index`. */
function firstConfigAbove(configs: readonly { readonly index: number }[], index: number): number {
  let i = configs.length;
  while (i > 0 && (configs[i - 1] as { index: number }).index > index) i--;
  return i;
}

/** Same voters (both halves) and learners, in any order. */
export function sameConfiguration(a: ClusterConfiguration, b: ClusterConfiguration): boolean {
  return sameSet(a.voters, b.voters) && sameSet(a.learners, b.learners) && (a.oldVoters === undefined ? b.oldVoters === undefined : b.oldVoters !== undefined && sameSet(a.oldVoters, b.oldVoters));
}

function sameSet(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  if (a.length !== b.length) return false;
  for (const x of a) if (!b.includes(x)) return false;
  return true;
}

/** `{n1,n2 | old n1,n3 | learners n4}`, for messages. */
export function describeConfiguration(c: ClusterConfiguration): string {
  return `{${c.voters.join(',')}${c.oldVoters === undefined ? '' : ` | old ${c.oldVoters.join(',')}`}${c.learners.length === 0 ? '' : ` | learners ${c.learners.join(',')}`}}`;
}
