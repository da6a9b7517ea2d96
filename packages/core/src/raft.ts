import {
  type ClusterConfiguration,
  type LogEntry,
  type LogIndex,
  type NodeId,
  type PersistentMeta,
  type RaftEffect,
  type RaftEvent,
  type RaftMessage,
  type RaftOutput,
  type RequestResultEffect,
  type Role,
  type Term,
  allMembers,
  allVoters,
} from '@raft/abstractions';
import type { RaftBootState } from './boot-state.js';
import { Durability } from './durability.js';
import { RaftLog } from './log/raft-log.js';
import type { ResolvedRaftOptions } from './options.js';
import { Prng } from './prng.js';
import type { Progress } from './tracker/progress.js';

/** A read waiting for a quorum to confirm leadership (read index, dissertation §6.4). */
export interface PendingRead {
  readonly requestId: number;
  readonly readIndex: LogIndex;
  /** Confirmed once a quorum answered an AppendEntries with `seq >= this`. */
  readonly seq: number;
}

/** A snapshot this node holds durably: what it covers and the configuration at its index (§7). */
export interface SnapshotPoint {
  readonly index: LogIndex;
  readonly term: Term;
  readonly configuration: ClusterConfiguration;
}

/** Follower only: a snapshot being received from the leader, chunk by chunk (§7). */
export interface IncomingSnapshot {
  /** The term of the leader sending it: a new leader's transfer starts over. */
  readonly leaderTerm: Term;
  readonly index: LogIndex;
  readonly term: Term;
  readonly configuration: ClusterConfiguration;
  /** The next byte offset expected. */
  nextOffset: number;
  /** `true` once the last chunk went to the host; waiting for `snapshotInstalled`. */
  complete: boolean;
}

/** A leadership transfer in progress (dissertation §3.10). */
export interface PendingTransfer {
  readonly requestId: number;
  readonly target: NodeId;
  /** Ticks since the transfer started; it times out after an election timeout. */
  elapsed: number;
  /** `true` once this node stepped down for it and waits to learn the new leader. */
  steppedDown: boolean;
}

/**
 * The boot entries that continue the snapshot: those after it, contiguous from
 * `snapshotIndex + 1`, with terms never below the snapshot's. Entries at or below a snapshot are
 * covered by it (the store may keep some after compaction). A log that holds the snapshot's
 * index with another term, or whose entries after it do not chain on, is a divergent,
 * uncommitted tail left by a crash between a snapshot install and its log reset: all of it
 * after the snapshot is dropped (a committed entry always chains, §5.3 Log Matching).
 */
function bootEntries(entries: readonly LogEntry[], snapshotIndex: LogIndex, snapshotTerm: Term): LogEntry[] {
  const kept: LogEntry[] = [];
  let previousTerm = snapshotTerm as number;
  for (const entry of entries) {
    if (entry.index === snapshotIndex && snapshotIndex > 0 && entry.term !== snapshotTerm) return [];
    if (entry.index <= snapshotIndex) continue;
    if (entry.index !== snapshotIndex + 1 + kept.length || entry.term < previousTerm) break;
    kept.push(entry);
    previousTerm = entry.term;
  }
  return kept;
}

/**
 * The whole mutable state of one node plus the output being built by the current step. Only
 * the step functions of this package touch it; {@link RaftNodeState} is the public face.
 */
export class Raft {
  readonly options: ResolvedRaftOptions;
  readonly id: NodeId;
  readonly prng: Prng;

  // Persistent state (Figure 2), mirrored to the meta store through persistMeta effects.
  /** Invariant: never decreases (§5.1). */
  term: Term;
  /** Invariant: at most one vote per term (§5.2); only reset when the term grows. */
  votedFor: NodeId | undefined;

  readonly log: RaftLog;
  readonly durability: Durability;
  /** The latest configuration in the log (in force as soon as appended, dissertation §4.1). */
  configuration: ClusterConfiguration;
  /** The configuration in force at the log's compaction point (`log.snapshotIndex`). */
  baseConfiguration: ClusterConfiguration;
  /** The newest snapshot this node holds durably, if any. Invariant: `log.snapshotIndex <= snapshot.index`. */
  snapshot: SnapshotPoint | undefined;
  /** Follower only: the snapshot being received. */
  incoming: IncomingSnapshot | undefined = undefined;
  /** Index of the entry that holds {@link configuration} (the snapshot index when it came from there). */
  configurationIndex: LogIndex;

  role: Role = 'follower';
  leaderId: NodeId | undefined = undefined;
  /** Invariant: never decreases; `commitIndex <= lastIndex` (§5.3). */
  commitIndex: LogIndex;
  /** Highest index the host reported applied. */
  appliedIndex: LogIndex;
  /** Highest index handed to the host in an apply effect. Invariant: applied <= applying <= commit. */
  applyingIndex: LogIndex;

  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  /** Votes received in the current (pre-)election. */
  readonly votes: Map<NodeId, boolean> = new Map();
  /** Leader only: progress of every other member, by id. */
  readonly progress: Map<NodeId, Progress> = new Map();
  /** Leader only: {@link progress} values sorted by node id (deterministic iteration). */
  peers: Progress[] = [];
  /** Leader only: last AppendEntries sequence number used in this term. */
  seq = 0;
  /** Leader only: entry bytes appended in this term and not yet committed. */
  uncommittedBytes = 0;
  /** Leader only: reads waiting for the first commit of this term (§6.4 step 1). */
  readsAwaitingCommit: number[] = [];
  /** Leader only: reads waiting for quorum confirmation, in `seq` order. */
  pendingReads: PendingRead[] = [];
  transfer: PendingTransfer | undefined = undefined;
  /** Set after a fatal persistence failure; the node then only reports events. */
  failed = false;

  private effects: RaftEffect[] = [];
  private events: RaftEvent[] = [];
  /** Position in {@link effects} of this step's persistMeta, while it is the newest write. */
  private metaEffectAt = -1;

  constructor(options: ResolvedRaftOptions, boot: RaftBootState) {
    this.options = options;
    this.id = options.id;
    this.prng = new Prng(options.seed);
    const meta = boot.meta ?? { currentTerm: 0 as Term, votedFor: undefined };
    this.term = meta.currentTerm;
    this.votedFor = meta.votedFor;
    const snapshotIndex = boot.snapshot?.lastIncludedIndex ?? (0 as LogIndex);
    const snapshotTerm = boot.snapshot?.lastIncludedTerm ?? (0 as Term);
    this.log = new RaftLog(snapshotIndex, snapshotTerm, bootEntries(boot.entries ?? [], snapshotIndex, snapshotTerm));
    this.durability = new Durability(this.log.lastIndex(), meta.currentTerm);
    if (this.log.lastTerm() > this.term) {
      // A snapshot (or log) of a newer term became durable while the meta write of that term
      // was lost: the node did accept that term, so it is at least that term. It never voted in
      // it — a vote is sent only once its meta write, ordered after this one, is durable.
      this.term = this.log.lastTerm();
      this.votedFor = undefined;
    }
    this.baseConfiguration = boot.snapshot?.configuration ?? boot.configuration ?? { voters: [], learners: [] };
    this.snapshot =
      boot.snapshot === undefined
        ? undefined
        : { index: snapshotIndex, term: snapshotTerm, configuration: boot.snapshot.configuration };
    this.configuration = this.baseConfiguration;
    this.configurationIndex = snapshotIndex;
    this.recomputeConfiguration();
    const applied = Math.max(snapshotIndex, boot.appliedIndex ?? 0) as LogIndex;
    this.commitIndex = applied;
    this.appliedIndex = applied;
    this.applyingIndex = applied;
    this.resetRandomizedElectionTimeout();
  }

  // ---- output -------------------------------------------------------------------------

  effect(effect: RaftEffect): void {
    this.effects.push(effect);
  }

  emit(event: RaftEvent): void {
    this.events.push(event);
  }

  respond(result: RequestResultEffect): void {
    this.effects.push(result);
  }

  /**
   * Sends a message that promises nothing durable (leader replication, pre-votes). A leader
   * speaks only once its term is durable: a single voter wins without waiting for anyone, and
   * a crash before its vote for itself is on disk would let it lead the same term again with a
   * different log (so its messages wait for that write like any durable promise).
   */
  send(message: RaftMessage): void {
    if (this.role === 'leader' && this.durability.durableTerm() < this.term) {
      this.sendDurable(message);
      return;
    }
    this.effects.push({ type: 'send', message });
  }

  /** `true` once the leader's term is durable (its snapshot chunks may go). */
  termDurable(): boolean {
    return this.durability.durableTerm() >= this.term;
  }

  /**
   * Sends a message that promises durable state (a vote, an append acknowledgement): it
   * leaves only once every write issued before it is durable (DESIGN.md; INV-12).
   */
  sendDurable(message: RaftMessage): void {
    const now = this.durability.gate(message);
    if (now !== undefined) this.effects.push({ type: 'send', message: now });
  }

  /** Sends every held message whose writes became durable. */
  releaseDurableMessages(): void {
    for (const message of this.durability.releasable()) this.effects.push({ type: 'send', message });
  }

  takeOutput(): RaftOutput {
    const output = { effects: this.effects, events: this.events };
    this.effects = [];
    this.events = [];
    this.metaEffectAt = -1;
    return output;
  }

  // ---- persistent state -----------------------------------------------------------------

  /**
   * Issues a persistMeta effect for the current term and vote. A second change in the same
   * step (a new term, then a vote in it) replaces the first write instead of adding one:
   * the meta is written whole, so one write of the newest value covers both.
   */
  persistMeta(): void {
    const meta: PersistentMeta = { currentTerm: this.term, votedFor: this.votedFor };
    const previous = this.metaEffectAt >= 0 ? this.effects[this.metaEffectAt] : undefined;
    if (previous?.type === 'persistMeta' && this.durability.replaceNewestMeta(meta)) {
      this.effects[this.metaEffectAt] = { type: 'persistMeta', meta, write: previous.write };
      return;
    }
    const write = this.durability.issueMeta(meta);
    this.metaEffectAt = this.effects.length;
    this.effects.push({ type: 'persistMeta', meta, write });
  }

  /**
   * Appends entries to the log, first truncating after `truncateAfter` when given, and issues
   * the matching effects. Tracks configuration entries: a configuration is in force as soon
   * as it is in the log (dissertation §4.1), and a truncation may roll it back.
   */
  appendEntries(entries: readonly LogEntry[], truncateAfter?: LogIndex): void {
    if (truncateAfter !== undefined) {
      this.log.truncateAfter(truncateAfter);
      this.effects.push({ type: 'truncateLog', after: truncateAfter });
      if (this.configurationIndex > truncateAfter) this.recomputeConfiguration();
    }
    if (entries.length === 0) return;
    this.log.append(entries);
    for (const entry of entries) {
      if (entry.kind === 'configuration') {
        this.configuration = entry.configuration;
        this.configurationIndex = entry.index;
      }
    }
    const last = entries[entries.length - 1] as LogEntry;
    const write = this.durability.issueLog(last.index, last.term, truncateAfter);
    this.effects.push({ type: 'appendLog', entries, write });
  }

  /** Sets the configuration in force from the latest configuration entry in the log. */
  recomputeConfiguration(): void {
    const at = this.configurationEntryAtOrBefore(this.log.lastIndex());
    // Invariant: the configuration at the compaction point is committed, never truncated.
    this.configuration = at?.configuration ?? this.baseConfiguration;
    this.configurationIndex = at?.index ?? this.log.snapshotIndex;
  }

  /** The configuration in force at `index` (dissertation §5.4: the one a snapshot records). */
  configurationAt(index: number): ClusterConfiguration {
    return this.configurationEntryAtOrBefore(index)?.configuration ?? this.baseConfiguration;
  }

  private configurationEntryAtOrBefore(index: number): { index: LogIndex; configuration: ClusterConfiguration } | undefined {
    for (let i = Math.min(index, this.log.lastIndex()); i > this.log.snapshotIndex; i--) {
      const entry = this.log.entryAt(i);
      if (entry?.kind === 'configuration') return { index: entry.index, configuration: entry.configuration };
    }
    return undefined;
  }

  // ---- queries --------------------------------------------------------------------------

  /**
   * `true` when this node may campaign: it is a voter of the configuration in force, or —
   * while the latest configuration entry may still be uncommitted — of the configuration
   * before it. Otherwise a removal whose entry reached only this node could leave no node able
   * to win (the others lack the entry and need this node's vote). Leaders make one change at a
   * time, so the configuration before the latest entry is the committed one; after a restart
   * the commit index is not known, which is why it is not used here. Once the removal is known
   * committed the node never campaigns again (dissertation §4.2.2).
   */
  promotable(): boolean {
    if (this.isVoter(this.id)) return true;
    if (this.configurationIndex <= this.commitIndex) return false;
    const previous = this.previousConfiguration();
    return previous.voters.includes(this.id) || (previous.oldVoters?.includes(this.id) ?? false);
  }

  private previousCache: { at: number; base: number; configuration: ClusterConfiguration } | undefined;

  /** The configuration in force just before the latest configuration entry (cached). */
  previousConfiguration(): ClusterConfiguration {
    const cache = this.previousCache;
    if (cache !== undefined && cache.at === this.configurationIndex && cache.base === this.log.snapshotIndex) return cache.configuration;
    const configuration = this.configurationAt(this.configurationIndex - 1);
    this.previousCache = { at: this.configurationIndex, base: this.log.snapshotIndex, configuration };
    return configuration;
  }

  isVoter(id: NodeId): boolean {
    return this.configuration.voters.includes(id) || (this.configuration.oldVoters?.includes(id) ?? false);
  }

  isMember(id: NodeId): boolean {
    return this.isVoter(id) || this.configuration.learners.includes(id);
  }

  /** Voters of both halves of the configuration, sorted. */
  voters(): NodeId[] {
    return allVoters(this.configuration);
  }

  /** Every member, sorted. */
  members(): NodeId[] {
    return allMembers(this.configuration);
  }

  /**
   * §4.2.3 / §9.6: while it has heard from a leader within the minimum election timeout, a
   * server ignores (pre-)vote requests. With check-quorum on this is safe: a leader that lost
   * its quorum steps down within an election timeout.
   */
  inLease(): boolean {
    return this.options.checkQuorum && this.leaderId !== undefined && this.electionElapsed < this.options.electionTicks;
  }

  /** §5.2: a fresh random timeout in `[electionTicks, 2·electionTicks)`. */
  resetRandomizedElectionTimeout(): void {
    const base = this.options.electionTicks;
    this.randomizedElectionTimeout = this.prng.nextInt(base, 2 * base);
  }
}
