import {
  type ClusterConfiguration,
  type ConfigurationChange,
  CommandTooLargeError,
  type CommittedCommand,
  type EventSink,
  IllegalStateError,
  InvalidArgumentError,
  LifecycleError,
  type LogEntry,
  type LogIndex,
  MailboxFullError,
  type MetricAttributes,
  type MetricSink,
  NodeId,
  type PeerDirectory,
  type RaftEffect,
  type RaftError,
  type RaftEvent,
  type RaftEventRecord,
  type RaftInput,
  type RaftMessage,
  type RaftOutput,
  type RaftStatus,
  type RaftStorage,
  type RejectionReason,
  type InstallSnapshot,
  type SendSnapshotEffect,
  type SnapshotReader,
  type SnapshotWriter,
  type Role,
  type StateMachine,
  StorageError,
  type StorageProvider,
  type Term,
  type Transport,
  allMembers,
  isJointConfiguration,
} from '@raft/abstractions';
import { noopEventSink } from '@raft/telemetry-noop';
import { type BootSnapshot, type RaftBootState, RaftNodeState, type ResolvedRaftOptions } from '@raft/core';
import { type HasDeadline, Deadlines } from './internal/deadlines.js';
import { Deque } from './internal/deque.js';
import { EventHub, type StreamOptions } from './internal/event-hub.js';
import { type BatchDone, PersistenceQueue } from './internal/persistence-queue.js';
import type { ResolvedHostingOptions } from './options.js';
import type {
  CommandOutcome,
  CommandRejectionReason,
  CommandResult,
  MembershipOptions,
  MembershipRejectionReason,
  MembershipResult,
  MembershipSource,
  MembershipUpdate,
  NodeEventMap,
  PromoteOptions,
  ReadResult,
  RequestFailure,
  RequestOptions,
  RequestRejectionReason,
  SubmitOptions,
  TransferResult,
} from './results.js';

/** Where a node is in its life. */
export type Lifecycle = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

/** {@link RaftStatus} plus what only the host knows. */
export interface NodeStatus extends RaftStatus {
  readonly lifecycle: Lifecycle;
  /** Endpoint of {@link RaftStatus.leaderId} from the peer directory, when known. */
  readonly leaderEndpoint: string | undefined;
  /** Inputs waiting in the mailbox. */
  readonly mailboxDepth: number;
  /** Commands, reads and transfers waiting for their answer. */
  readonly pendingRequests: number;
  /** The error that made the node fail (persistence or state machine), if any. */
  readonly failure: RaftError | undefined;
  /**
   * The committed membership as of the applied index (what a snapshot taken now records);
   * {@link RaftStatus.configuration} is the configuration in force (the latest in the log,
   * in force as soon as appended, dissertation §4.1).
   */
  readonly committedConfiguration: ClusterConfiguration;
  /** Index of the entry (or snapshot) {@link committedConfiguration} comes from; 0 for the bootstrap one. */
  readonly committedConfigurationIndex: LogIndex;
}

/** Metadata of one log entry (no payload). */
export interface EntryInfo {
  readonly index: LogIndex;
  readonly term: Term;
  readonly kind: LogEntry['kind'];
  /** Payload bytes of a command (0 for other entries). */
  readonly bytes: number;
}

/** A summary of the node's log. */
export interface LogInfo {
  readonly firstIndex: LogIndex;
  readonly lastIndex: LogIndex;
  readonly commitIndex: LogIndex;
  readonly appliedIndex: LogIndex;
  readonly snapshotIndex: LogIndex;
  /** The newest entries held in memory, oldest first. */
  readonly recent: readonly EntryInfo[];
}

/** Everything the builder hands to a node. */
export interface RaftNodeParts<Result> {
  readonly id: NodeId;
  /** Voters of the bootstrap configuration; empty for a node that joins a running cluster. */
  readonly voters: readonly NodeId[];
  readonly storage: StorageProvider;
  readonly transport: Transport;
  readonly stateMachine: StateMachine<Result>;
  readonly directory: PeerDirectory;
  readonly eventSink: EventSink;
  readonly metricSink: MetricSink;
  readonly hosting: ResolvedHostingOptions;
  readonly core: ResolvedRaftOptions;
}

/** A client request waiting for its answer. */
interface Waiter<R> extends HasDeadline {
  readonly requestId: number;
  readonly kind: 'command' | 'read' | 'transfer' | 'membership';
  /**
   * `queued` in the mailbox, `appended` to the log (commands, membership changes), `reading`
   * (read index known), `catchingUp` (a promotion waiting for its learner, not yet sent to
   * the core), `joint` (a joint change whose C_old,new committed, waiting for C_new).
   */
  state: 'queued' | 'appended' | 'reading' | 'catchingUp' | 'joint';
  settled: boolean;
  readonly resolve: (result: R) => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  readonly startedAt: number;
  /** Commands once appended, reads once ready: the index they wait for. */
  index: number;
  term: number;
  /** Another command waiting at the same index (from an earlier term). */
  next: Waiter<R> | undefined;
  /** Membership changes: the change to hand to the core. */
  change: ConfigurationChange | undefined;
  /** Promotions: the learner's allowed lag behind the leader's last index. */
  maxLag: number;
}

type CommandWaiter = Waiter<CommandResult<unknown>>;
type ReadWaiter = Waiter<ReadResult>;
type TransferWaiter = Waiter<TransferResult>;
type MembershipWaiter = Waiter<MembershipResult>;
type AnyWaiter = CommandWaiter | ReadWaiter | TransferWaiter | MembershipWaiter;

/** A mailbox slot: the input and whether it counts against the capacity. */
interface Slot {
  readonly input: RaftInput;
  readonly external: boolean;
}

const NO_WAITER = undefined;

/** A snapshot received from the leader, committed, waiting to replace the state machine. */
interface InstallJob {
  readonly kind: 'install';
  readonly index: LogIndex;
  readonly term: Term;
  readonly configuration: ClusterConfiguration;
}

/** What the apply step works through, in order. */
type ApplyItem = LogEntry | InstallJob;

function assertNever(value: never): never {
  throw new IllegalStateError(`unexpected effect ${JSON.stringify(value)}`);
}

/**
 * One Raft replica: the core (`@raft/core`) driven by one event loop, with real storage,
 * transport, timers and state machine (etcd's `node.go`). Build it with `RaftNodeBuilder`.
 *
 * The loop, in four steps per turn:
 * 1. take inputs from the bounded mailbox (ticks, received messages, client requests, and
 *    completions of the node's own writes and applies) and hand each to `core.process`;
 * 2. start the effects in the order the core emitted them: persistence effects go to one
 *    serial queue with group commit; sends are collected per peer;
 * 3. at the end of the turn, send each peer its messages in one `transport.send` and kick the
 *    persistence queue;
 * 4. apply committed entries to the state machine in order, answer the waiting clients, and
 *    report `applied` back through the mailbox.
 *
 * Nothing but this loop calls `core.process`, so the core is never re-entered.
 */
export class RaftNode<Result = unknown> implements AsyncDisposable {
  readonly #parts: RaftNodeParts<Result>;
  readonly #hub = new EventHub<NodeEventMap>();
  readonly #mailbox = new Deque<Slot>();
  #externalInMailbox = 0;
  #tickQueued = false;
  #turnScheduled = false;

  #lifecycle: Lifecycle = 'created';
  #startPromise: Promise<void> | undefined;
  #stopPromise: Promise<void> | undefined;
  #halted = false;
  #failure: RaftError | undefined;

  #core: RaftNodeState | undefined;
  #storage: RaftStorage | undefined;
  #persistence: PersistenceQueue | undefined;
  #ticker: ReturnType<typeof setInterval> | undefined;

  #nextRequestId = 1;
  readonly #requests = new Map<number, AnyWaiter>();
  /** Appended commands by log index (Invariant: each has `state === 'appended'`). */
  readonly #byIndex = new Map<number, CommandWaiter>();
  /** Reads with a read index, waiting for the state machine to apply it, by ascending index. */
  #readsWaitingApply: ReadWaiter[] = [];
  readonly #deadlines = new Deadlines<AnyWaiter>();
  /** Membership changes whose (first) configuration entry is in the log, by its index. */
  readonly #changesByIndex = new Map<number, MembershipWaiter[]>();
  /** Joint changes whose C_old,new committed: answered when the next configuration entry (C_new) applies. */
  #changesLeavingJoint: MembershipWaiter[] = [];
  /** Promotions waiting for their learner to catch up (checked every tick). */
  #promotionsCatchingUp: MembershipWaiter[] = [];
  #drainWaiters: (() => void)[] = [];

  /** Sends of the current turn, by recipient. */
  readonly #outbox = new Map<NodeId, RaftMessage[]>();
  /** Committed entries handed out by the core and not yet applied, and snapshot installs, in order. */
  readonly #toApply = new Deque<ApplyItem>();
  #applying = false;
  #applyIdle: (() => void)[] = [];
  /** Highest index whose entry the state machine has applied (the host's applied index). */
  #applied = 0;
  /** Term of the newest applied entry (0 before any). */
  #appliedTerm = 0;
  /**
   * The configuration in force at the applied index (what a snapshot taken now records) —
   * from applied configuration entries and installed snapshots, never from the latest (maybe
   * uncommitted) configuration of the log (§5.4: a snapshot holds the configuration as of its index).
   */
  #appliedConfiguration: ClusterConfiguration = { voters: [], learners: [] };
  #appliedConfigurationIndex = 0;
  #appliedConfigurationSource: MembershipSource = 'boot';
  /** Index of the newest snapshot saved or installed (0 = none). */
  #snapshotIndex = 0;
  /** Chunks of a snapshot received from the leader are written one after another. */
  #receiving: Promise<void> = Promise.resolve();
  #incoming: SnapshotWriter | undefined;
  /** Reader of the newest snapshot, for sending chunks to followers; reopened after a new one. */
  /**
   * Leader: open readers of the snapshots being sent, by snapshot index. A transfer keeps
   * reading the snapshot it started with even after newer ones are saved (docs/effects.md,
   * sendSnapshot); the two newest are kept open.
   */
  readonly #sendReaders: Map<number, Promise<SnapshotReader | undefined>> = new Map();
  /** When each of {@link #sendReaders} was last read (ms, monotonic). */
  readonly #sendReaderUse: Map<number, number> = new Map();

  // Observability state, kept from events so status() is not called on every input.
  #role: Role = 'follower';
  #term = 0;
  #leaderId: NodeId | undefined;
  #commitIndex = 0;
  #commitReported = 0;
  #ticks = 0;
  readonly #attrs: MetricAttributes;

  /** @internal Use `RaftNodeBuilder`. */
  constructor(parts: RaftNodeParts<Result>) {
    this.#parts = parts;
    this.#attrs = Object.freeze({ node: parts.id });
  }

  /** This node's id. */
  get id(): NodeId {
    return this.#parts.id;
  }

  /** Where the node is in its life. */
  get lifecycle(): Lifecycle {
    return this.#lifecycle;
  }

  // ---- lifecycle ------------------------------------------------------------------------

  /**
   * Opens the storage, recovers meta, log and newest snapshot (importing it into the state
   * machine), starts the transport and the tick timer. Calling it again returns the same
   * promise.
   * @throws LifecycleError `NODE_STOPPED` after `stop()`; a `StorageError` when recovery fails
   * (the node is then stopped).
   */
  start(): Promise<void> {
    if (this.#lifecycle === 'stopping' || this.#lifecycle === 'stopped') {
      return Promise.reject(new LifecycleError('NODE_STOPPED', `node ${this.id} was stopped; build a new node to start again`));
    }
    this.#startPromise ??= this.#start();
    return this.#startPromise;
  }

  async #start(): Promise<void> {
    this.#lifecycle = 'starting';
    const p = this.#parts;
    try {
      const storage = await p.storage.open();
      this.#storage = storage;
      const boot = await this.#recover(storage);
      const core = new RaftNodeState(p.core, boot);
      this.#core = core;
      const status = core.status();
      await this.#alignLogStore(storage, status.lastIndex, boot);
      this.#applied = status.appliedIndex;
      this.#appliedTerm = boot.snapshot?.lastIncludedTerm ?? 0;
      this.#snapshotIndex = boot.snapshot?.lastIncludedIndex ?? 0;
      this.#appliedConfiguration = boot.snapshot?.configuration ?? (boot.configuration as ClusterConfiguration);
      this.#appliedConfigurationIndex = boot.snapshot?.lastIncludedIndex ?? 0;
      this.#commitIndex = status.commitIndex;
      this.#commitReported = status.commitIndex;
      this.#term = status.term;
      this.#role = status.role;
      this.#persistence = new PersistenceQueue(
        storage,
        (done) => this.#onBatchDone(done),
        (operation, error) => this.#onPersistenceFailed(operation, error),
      );
      await p.transport.start({
        deliver: (message) => this.#deliver(message),
        sendFailed: (to, reason) => this.#onSendFailed(to, reason),
      });
      if (this.#lifecycle !== 'starting') return; // stopped while starting
      this.#ticker = setInterval(() => this.#onTimer(), p.hosting.tickMs);
      this.#lifecycle = 'running';
      p.metricSink.gauge('raft.term', this.#term, this.#attrs);
      p.metricSink.gauge('raft.commit.index', this.#commitIndex, this.#attrs);
      p.metricSink.gauge('raft.applied.index', this.#applied, this.#attrs);
    } catch (error) {
      this.#lifecycle = 'stopped';
      this.#halted = true;
      await this.#storage?.close().catch(() => undefined);
      this.#hub.close();
      throw error;
    }
  }

  /** Reads what the stores hold into the core's boot state (before the first tick). */
  async #recover(storage: RaftStorage): Promise<RaftBootState> {
    const meta = await storage.meta.load();
    let snapshot: BootSnapshot | undefined;
    const reader = await storage.snapshots.latest();
    if (reader !== undefined) {
      try {
        await this.#parts.stateMachine.importSnapshot(reader.chunks());
        snapshot = {
          lastIncludedIndex: reader.meta.lastIncludedIndex,
          lastIncludedTerm: reader.meta.lastIncludedTerm,
          configuration: reader.meta.configuration,
        };
      } finally {
        await reader.close();
      }
    }
    const snapshotIndex = snapshot?.lastIncludedIndex ?? 0;
    const log = storage.log;
    if (log.firstIndex() > snapshotIndex + 1) {
      throw new StorageError(
        'STORAGE_CORRUPTED',
        `log starts at ${log.firstIndex()} but the newest snapshot ends at ${snapshotIndex}: entries are missing`,
      );
    }
    // Entries at or below the snapshot are covered by it; a log that does not hold the
    // snapshot's last entry with its term (left by a crash between a snapshot install and its
    // log reset) does not chain onto it and is dropped (#alignLogStore makes the store agree).
    const chains = snapshot === undefined || log.termAt(snapshot.lastIncludedIndex) === snapshot.lastIncludedTerm;
    const from = snapshotIndex + 1;
    const entries = chains && from <= log.lastIndex() ? await log.read(from as LogIndex, log.lastIndex()) : [];
    // Invariant: the log the core starts from is contiguous from the snapshot (no gap, §7).
    let expected = snapshotIndex + 1;
    if (entries.length > 0 && (entries[0] as LogEntry).index !== expected) {
      throw new StorageError(
        'STORAGE_CORRUPTED',
        `log starts at ${(entries[0] as LogEntry).index} but the newest snapshot ends at ${snapshotIndex}: entries are missing`,
      );
    }
    for (const entry of entries) {
      if (entry.index !== expected) throw new StorageError('STORAGE_CORRUPTED', `log has a gap: expected index ${expected}, found ${entry.index}`);
      expected++;
    }
    const configuration: ClusterConfiguration = { voters: [...this.#parts.voters], learners: [] };
    return {
      meta,
      entries,
      configuration,
      ...(snapshot === undefined ? {} : { snapshot }),
    };
  }

  /**
   * The core drops log entries that do not chain onto the snapshot (left by a crash between a
   * snapshot install and its log reset); make the store agree before the first append.
   */
  async #alignLogStore(storage: RaftStorage, coreLastIndex: LogIndex, boot: RaftBootState): Promise<void> {
    const log = storage.log;
    const snapshot = boot.snapshot;
    if (snapshot !== undefined && log.termAt(snapshot.lastIncludedIndex) !== snapshot.lastIncludedTerm) {
      if (log.lastIndex() >= log.firstIndex()) await log.truncateAfter((log.firstIndex() - 1) as LogIndex);
      await log.compactUpTo(snapshot.lastIncludedIndex, snapshot.lastIncludedTerm);
      return;
    }
    if (log.lastIndex() > coreLastIndex) await log.truncateAfter(coreLastIndex);
  }

  /**
   * Graceful stop: new requests are refused at once (`stopping`); the node keeps running for
   * up to `stopTimeoutMs` (or `options.timeoutMs`) so in-flight commands can finish; then the
   * timer stops, remaining waiters are answered `cancelled` (outcome `unknown` for commands
   * already in the log, `notCommitted` for those still queued), queued writes are flushed, the
   * transport is stopped and the storage closed. Leaves no timer or handle behind. Idempotent.
   */
  stop(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs >= 0)) {
      return Promise.reject(new InvalidArgumentError(`timeoutMs must be a non-negative number, got ${options.timeoutMs}`));
    }
    this.#stopPromise ??= this.#stop(options.timeoutMs ?? this.#parts.hosting.stopTimeoutMs);
    return this.#stopPromise;
  }

  async #stop(timeoutMs: number): Promise<void> {
    if (this.#lifecycle === 'created') {
      this.#lifecycle = 'stopped';
      this.#hub.close();
      return;
    }
    if (this.#lifecycle === 'starting') await this.#startPromise?.catch(() => undefined);
    if (this.#lifecycle === 'stopped') {
      this.#hub.close();
      return;
    }
    this.#lifecycle = 'stopping';
    if (timeoutMs > 0 && !this.#halted) await this.#drained(timeoutMs);
    this.#halt('stopped');
    await this.#persistence?.idle();
    await this.#applyDone();
    await this.#receiving;
    await this.#incoming?.abort().catch(() => undefined);
    await this.#closeSendReaders();
    await this.#parts.transport.stop().catch(() => undefined);
    await this.#storage?.close().catch(() => undefined);
    this.#lifecycle = 'stopped';
    this.#hub.close();
  }

  /** `await using node = …` stops the node at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Stops the loop and the timer and answers every waiter. The node processes nothing afterwards. */
  #halt(reason: 'stopped' | 'failed'): void {
    if (this.#halted) return;
    this.#halted = true;
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    this.#ticker = undefined;
    this.#mailbox.clear();
    this.#externalInMailbox = 0;
    for (const waiter of [...this.#requests.values()]) this.#cancel(waiter, reason);
    this.#deadlines.clear();
    this.#wakeDrained();
  }

  /** Resolves when no request is waiting, or after `timeoutMs`. */
  #drained(timeoutMs: number): Promise<void> {
    if (this.#requests.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#drainWaiters.push(done);
    });
  }

  #wakeDrained(): void {
    if (this.#requests.size > 0 && !this.#halted) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const wake of waiters) wake();
  }

  // ---- client API -------------------------------------------------------------------------

  /**
   * Proposes a command. Resolves — exactly once, never rejects for protocol outcomes — with
   * `committed` (index, term and the state machine's result), `redirected` (to the leader),
   * `rejected` (definitely not committed; typed reason), `timedOut` or `cancelled` (with
   * `outcome` saying whether it may still commit).
   * @throws InvalidArgumentError (as a rejected promise) when `payload` is not a `Uint8Array` or an option is invalid.
   */
  submit(payload: Uint8Array, options: SubmitOptions = {}): Promise<CommandResult<Result>> {
    if (!(payload instanceof Uint8Array)) return Promise.reject(new InvalidArgumentError('command payload must be a Uint8Array'));
    const timeoutMs = this.#timeout(options.timeoutMs);
    if (typeof timeoutMs !== 'number') return Promise.reject(timeoutMs);
    const refused = this.#refusal();
    if (refused !== undefined) return Promise.resolve(commandRejected(refused.reason, refused.error));
    const limit = this.#parts.hosting.maxCommandBytes;
    if (payload.byteLength > limit) {
      return Promise.resolve(commandRejected('tooLarge', new CommandTooLargeError(payload.byteLength, limit)));
    }
    if (options.signal?.aborted) return Promise.resolve({ status: 'cancelled', reason: 'aborted', outcome: 'notCommitted' });
    if (this.#externalInMailbox >= this.#parts.hosting.mailboxCapacity) {
      this.#parts.metricSink.increment('raft.proposals.rejected', 1, { node: this.id, reason: 'mailboxFull' });
      return Promise.resolve(commandRejected('overloaded', new MailboxFullError(this.#parts.hosting.mailboxCapacity)));
    }
    return new Promise<CommandResult<Result>>((resolve) => {
      const waiter = this.#register('command', timeoutMs, options.signal, resolve as (r: CommandResult<unknown>) => void);
      const input: RaftInput = {
        type: 'propose',
        requestId: waiter.requestId,
        payload,
        ...(options.correlationId === undefined ? {} : { correlationId: options.correlationId }),
        ...(options.client === undefined ? {} : { client: options.client }),
      };
      this.#enqueue(input, true);
    });
  }

  /**
   * A linearizable read by read index (dissertation §6.4): resolves `ready` once the leader
   * confirmed with a quorum that it is still leader and this node's state machine has
   * applied the read index — read the state machine right after. Only the leader serves
   * reads; other nodes answer `redirected`.
   */
  read(options: RequestOptions = {}): Promise<ReadResult> {
    return this.#request('read', options, (requestId) => ({ type: 'read', requestId }));
  }

  /**
   * Hands leadership to `target`, or to the most up-to-date voter (dissertation §3.10).
   * Resolves `completed` with the leader now known, or with a failure.
   */
  transferLeadership(target?: NodeId, options: RequestOptions = {}): Promise<TransferResult> {
    if (target !== undefined && (typeof target !== 'string' || target.length === 0)) {
      return Promise.reject(new InvalidArgumentError(`transfer target must be a node id, got ${String(target)}`));
    }
    return this.#request('transfer', options, (requestId) => ({
      type: 'transferLeadership',
      requestId,
      ...(target === undefined ? {} : { target }),
    }));
  }

  // ---- membership (dissertation ch. 4) -------------------------------------------------------

  /**
   * Adds `nodeId` as a learner: it receives the log (or a snapshot) but never votes or counts
   * toward a quorum. Start the new node with `RaftNodeBuilder.joining()` and make sure the
   * transport can reach it. Resolves `committed` once the configuration entry is committed.
   * Only the leader changes the membership; other nodes answer `redirected`.
   * @throws InvalidArgumentError (as a rejected promise) for a malformed id or option.
   */
  addLearner(nodeId: NodeId | string, options: MembershipOptions = {}): Promise<MembershipResult> {
    return this.#nodeChange('addLearner', nodeId, options);
  }

  /**
   * Promotes the learner `nodeId` to voter (a single-server change, §4.1) once its match
   * index is within `maxLagEntries` of the leader's last index — so the new voter does not
   * stall commits while it catches up (§4.2.1). Until then nothing is proposed: a timeout
   * while waiting answers `timedOut` with outcome `notCommitted`.
   * @throws InvalidArgumentError (as a rejected promise) for a malformed id or option.
   */
  promoteLearner(nodeId: NodeId | string, options: PromoteOptions = {}): Promise<MembershipResult> {
    const lag = maxLagOf(options);
    if (typeof lag !== 'number') return Promise.reject(lag);
    return this.#nodeChange('promoteLearner', nodeId, options, lag);
  }

  /**
   * Adds `nodeId` as a voter the safe way: as a learner first, then — once it caught up to
   * within `maxLagEntries` — promoted (dissertation §4.2.1: a new server without the log would
   * otherwise count toward the quorum before it can help). One `timeoutMs` covers both steps.
   * A node that is already a learner is only promoted, so calling it again after a failure in
   * the second step resumes it. If the first step committed and the second did not, the node
   * stays a learner (see `status().committedConfiguration`).
   * @throws InvalidArgumentError (as a rejected promise) for a malformed id or option.
   */
  async addVoter(nodeId: NodeId | string, options: PromoteOptions = {}): Promise<MembershipResult> {
    const id = toNodeIdArgument(nodeId);
    const lag = maxLagOf(options);
    const timeoutMs = this.#timeout(options.timeoutMs);
    if (typeof id !== 'string') throw id;
    if (typeof lag !== 'number') throw lag;
    if (typeof timeoutMs !== 'number') throw timeoutMs;
    const deadline = performance.now() + timeoutMs;
    const inForce = this.#role === 'leader' ? this.#core?.status().configuration : undefined;
    if (inForce?.voters.includes(id) === true && inForce.oldVoters === undefined) return membershipRejected('invalidChange');
    if (inForce?.learners.includes(id) !== true) {
      const added = await this.addLearner(id, options);
      if (added.status !== 'committed') return added;
    }
    const remaining = deadline - performance.now();
    // The learner step used up the time: the promotion was never proposed.
    if (remaining <= 0) return { status: 'timedOut', outcome: 'notCommitted' };
    return this.promoteLearner(id, { ...options, timeoutMs: remaining });
  }

  /**
   * Removes the voter or learner `nodeId` (a single-server change). Removing the leader
   * itself works: it keeps leading until the new configuration is committed, then steps down
   * (§4.2.2) and the others elect a leader among themselves. A removed node no longer
   * campaigns once it learns its removal committed; stop it when `membershipChanged` reports
   * `member: false`.
   * @throws InvalidArgumentError (as a rejected promise) for a malformed id or option.
   */
  removeNode(nodeId: NodeId | string, options: MembershipOptions = {}): Promise<MembershipResult> {
    return this.#nodeChange('removeNode', nodeId, options);
  }

  /**
   * Replaces the whole membership. A change whose voter sets differ by at most one server
   * goes straight to C_new; anything else through joint consensus C_old,new (§4.3), and the
   * promise resolves only once C_new is committed. New voters join without catching up first
   * — prefer `addVoter` for adding servers one at a time.
   * @throws InvalidArgumentError (as a rejected promise) when `voters`/`learners` are not arrays of node ids.
   */
  changeMembership(members: { readonly voters: readonly (NodeId | string)[]; readonly learners?: readonly (NodeId | string)[] }, options: MembershipOptions = {}): Promise<MembershipResult> {
    if (typeof members !== 'object' || members === null || !Array.isArray(members.voters) || (members.learners !== undefined && !Array.isArray(members.learners))) {
      return Promise.reject(new InvalidArgumentError('changeMembership takes { voters: NodeId[], learners?: NodeId[] }'));
    }
    const voters: NodeId[] = [];
    const learners: NodeId[] = [];
    for (const [list, out] of [[members.voters, voters], [members.learners ?? [], learners]] as const) {
      for (const value of list) {
        const id = toNodeIdArgument(value);
        if (typeof id !== 'string') return Promise.reject(id);
        out.push(id);
      }
    }
    return this.#membership({ type: 'setMembers', voters, learners }, options, undefined);
  }

  #nodeChange(type: 'addLearner' | 'promoteLearner' | 'removeNode', nodeId: NodeId | string, options: MembershipOptions, maxLag?: number): Promise<MembershipResult> {
    const id = toNodeIdArgument(nodeId);
    if (typeof id !== 'string') return Promise.reject(id);
    return this.#membership({ type, nodeId: id }, options, maxLag);
  }

  #membership(change: ConfigurationChange, options: MembershipOptions, maxLag: number | undefined): Promise<MembershipResult> {
    const timeoutMs = this.#timeout(options.timeoutMs);
    if (typeof timeoutMs !== 'number') return Promise.reject(timeoutMs);
    const refused = this.#refusal();
    if (refused !== undefined) return Promise.resolve(membershipRejected(refused.reason, refused.error));
    if (options.signal?.aborted) return Promise.resolve({ status: 'cancelled', reason: 'aborted', outcome: 'notCommitted' });
    if (this.#externalInMailbox >= this.#parts.hosting.mailboxCapacity) {
      return Promise.resolve(membershipRejected('overloaded', new MailboxFullError(this.#parts.hosting.mailboxCapacity)));
    }
    return new Promise<MembershipResult>((resolve) => {
      const waiter = this.#register('membership', timeoutMs, options.signal, resolve);
      waiter.change = change;
      if (maxLag === undefined) {
        this.#proposeChange(waiter);
        return;
      }
      waiter.state = 'catchingUp';
      waiter.maxLag = maxLag;
      if (!this.#maybeProposePromotion(waiter)) this.#promotionsCatchingUp.push(waiter);
    });
  }

  #proposeChange(waiter: MembershipWaiter): void {
    waiter.state = 'queued';
    this.#enqueue({ type: 'changeConfiguration', requestId: waiter.requestId, change: waiter.change as ConfigurationChange }, true);
  }

  /**
   * Proposes a waiting promotion once its learner is within `maxLag` entries of the leader's
   * last index; returns whether it did. Anything the core decides better (this node is not the
   * leader, the node is not a learner) goes to the core at once.
   */
  #maybeProposePromotion(waiter: MembershipWaiter): boolean {
    const core = this.#core;
    const change = waiter.change;
    if (core === undefined || change?.type !== 'promoteLearner' || this.#role !== 'leader') {
      this.#proposeChange(waiter);
      return true;
    }
    const s = core.status();
    const progress = s.progress.find((p) => p.nodeId === change.nodeId);
    if (!s.configuration.learners.includes(change.nodeId) || progress === undefined || progress.matchIndex + waiter.maxLag >= s.lastIndex) {
      this.#proposeChange(waiter);
      return true;
    }
    return false;
  }

  /**
   * The committed membership as an async iterable: first the one this node knows now, then
   * every change (`membershipChanged`). It ends when the node stops or `signal` aborts; a
   * consumer more than `bufferSize` updates behind loses the oldest.
   */
  committedMembership(options: StreamOptions = {}): AsyncIterableIterator<MembershipUpdate> {
    const stream = this.#hub.stream('membershipChanged', options);
    let current: MembershipUpdate | undefined = options.signal?.aborted === true ? undefined : this.#membershipUpdate();
    const iterator: AsyncIterableIterator<MembershipUpdate> = {
      next: async (): Promise<IteratorResult<MembershipUpdate>> => {
        if (current !== undefined) {
          const value = current;
          current = undefined;
          return { value, done: false };
        }
        return stream.next();
      },
      return: async (): Promise<IteratorResult<MembershipUpdate>> => {
        current = undefined;
        return (await stream.return?.()) ?? { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  #membershipUpdate(): MembershipUpdate {
    const configuration = this.#appliedConfiguration;
    return {
      index: this.#appliedConfigurationIndex as LogIndex,
      configuration: copyConfiguration(configuration),
      joint: isJointConfiguration(configuration),
      member: allMembers(configuration).includes(this.id),
      source: this.#appliedConfigurationSource,
    };
  }

  /** The applied membership changed (a configuration entry applied, or a snapshot installed). */
  #setAppliedConfiguration(configuration: ClusterConfiguration, index: LogIndex, source: MembershipSource): void {
    const changed = !sameConfiguration(configuration, this.#appliedConfiguration);
    this.#appliedConfiguration = configuration;
    this.#appliedConfigurationIndex = index;
    this.#appliedConfigurationSource = source;
    // Only changes are news: the first leader's log entry that records the bootstrap
    // configuration (or an install that brings the same one) leaves the membership as it was.
    if (changed && this.#hub.wants('membershipChanged')) this.#hub.emit('membershipChanged', this.#membershipUpdate());
  }

  /**
   * A configuration entry is applied (so committed): answer the changes it decides. A change
   * is committed iff the entry applied at its index has its term (Log Matching, §5.3); a joint
   * change C_old,new then waits for C_new — the next configuration entry to commit, since no
   * leader accepts another change while the configuration is joint and every leader leaves a
   * committed joint configuration on its own (§4.3).
   */
  #onConfigurationApplied(entry: LogEntry & { kind: 'configuration' }): void {
    const joint = isJointConfiguration(entry.configuration);
    if (!joint && this.#changesLeavingJoint.length > 0) {
      const done = this.#changesLeavingJoint;
      this.#changesLeavingJoint = [];
      for (const waiter of done) this.#settle(waiter, changeCommitted(entry));
    }
    const waiting = this.#changesByIndex.get(entry.index);
    if (waiting === undefined) return;
    this.#changesByIndex.delete(entry.index);
    for (const waiter of waiting) {
      if (waiter.settled) continue;
      if (waiter.term !== entry.term) {
        // A different entry committed at its index: this change never will (§5.3).
        this.#settle(waiter, membershipRejected('leadershipLost'));
      } else if (joint) {
        waiter.state = 'joint';
        this.#changesLeavingJoint.push(waiter);
      } else {
        this.#settle(waiter, changeCommitted(entry));
      }
    }
  }

  #request<R extends ReadResult | TransferResult>(kind: 'read' | 'transfer', options: RequestOptions, input: (requestId: number) => RaftInput): Promise<R> {
    const timeoutMs = this.#timeout(options.timeoutMs);
    if (typeof timeoutMs !== 'number') return Promise.reject(timeoutMs);
    const refused = this.#refusal();
    if (refused !== undefined) return Promise.resolve(requestRejected(refused.reason, refused.error) as R);
    if (options.signal?.aborted) return Promise.resolve({ status: 'cancelled', reason: 'aborted' } as R);
    if (this.#externalInMailbox >= this.#parts.hosting.mailboxCapacity) {
      return Promise.resolve(requestRejected('overloaded', new MailboxFullError(this.#parts.hosting.mailboxCapacity)) as R);
    }
    return new Promise<R>((resolve) => {
      const waiter = this.#register(kind, timeoutMs, options.signal, resolve as (r: never) => void);
      this.#enqueue(input(waiter.requestId), true);
    });
  }

  #timeout(timeoutMs: number | undefined): number | InvalidArgumentError {
    if (timeoutMs === undefined) return this.#parts.hosting.requestTimeoutMs;
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) return new InvalidArgumentError(`timeoutMs must be a positive number, got ${timeoutMs}`);
    return timeoutMs;
  }

  /** Why the node refuses new requests right now, if it does. */
  #refusal(): { reason: 'notStarted' | 'stopping' | 'failed'; error: RaftError } | undefined {
    switch (this.#lifecycle) {
      case 'running':
        if (this.#failure !== undefined) return { reason: 'failed', error: this.#failure };
        return undefined;
      case 'created':
      case 'starting':
        return { reason: 'notStarted', error: new LifecycleError('NODE_NOT_STARTED', `node ${this.id} is not started`) };
      case 'stopping':
      case 'stopped':
        if (this.#failure !== undefined) return { reason: 'failed', error: this.#failure };
        return { reason: 'stopping', error: new LifecycleError('NODE_STOPPED', `node ${this.id} is stopping or stopped`) };
    }
  }

  #register<R>(kind: AnyWaiter['kind'], timeoutMs: number, signal: AbortSignal | undefined, resolve: (r: R) => void): Waiter<R> {
    const now = performance.now();
    const waiter: Waiter<R> = {
      requestId: this.#nextRequestId++,
      kind,
      state: 'queued',
      settled: false,
      resolve,
      signal,
      onAbort: undefined,
      startedAt: now,
      deadline: now + timeoutMs,
      index: 0,
      term: 0,
      next: NO_WAITER,
      change: undefined,
      maxLag: 0,
    };
    this.#requests.set(waiter.requestId, waiter as unknown as AnyWaiter);
    this.#deadlines.add(waiter as unknown as AnyWaiter);
    if (signal !== undefined) {
      waiter.onAbort = () => this.#cancel(waiter as unknown as AnyWaiter, 'aborted');
      signal.addEventListener('abort', waiter.onAbort, { once: true });
    }
    return waiter;
  }

  /**
   * Answers a waiter. Invariant: a request is answered exactly once — `settled` is set here
   * and nowhere else, and every path checks it first.
   */
  #settle<W extends AnyWaiter>(waiter: W, result: Parameters<W['resolve']>[0]): void {
    if (waiter.settled) return;
    waiter.settled = true;
    this.#requests.delete(waiter.requestId);
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    if (waiter.kind === 'command' && waiter.state === 'appended') this.#unlinkIndex(waiter as CommandWaiter);
    else if (waiter.kind === 'membership') this.#unlinkChange(waiter as MembershipWaiter);
    (waiter.resolve as (r: typeof result) => void)(result);
    if (this.#drainWaiters.length > 0) this.#wakeDrained();
  }

  /** Ends a wait without an answer from the cluster: abort, stop, node failure or timeout. */
  #cancel(waiter: AnyWaiter, reason: 'aborted' | 'stopped' | 'failed' | 'timedOut'): void {
    if (waiter.settled) return;
    if (waiter.kind === 'command' || waiter.kind === 'membership') {
      // Still queued: it will never reach the core (skipped at dequeue) — definitely not
      // committed; likewise a promotion still waiting for its learner. Appended: it may still
      // commit elsewhere — unknown (reliability.md lesson 5).
      const outcome: CommandOutcome = waiter.state === 'queued' || waiter.state === 'catchingUp' ? 'notCommitted' : 'unknown';
      const w = waiter as CommandWaiter;
      if (reason === 'timedOut') this.#settle(w, { status: 'timedOut', outcome });
      else this.#settle(w, { status: 'cancelled', reason, outcome });
      return;
    }
    const w = waiter as ReadWaiter | TransferWaiter;
    if (w.kind === 'read' && w.state === 'reading') this.#readsWaitingApply = this.#readsWaitingApply.filter((r) => r !== w);
    this.#settle(w, reason === 'timedOut' ? { status: 'timedOut' } : { status: 'cancelled', reason });
  }

  #unlinkChange(waiter: MembershipWaiter): void {
    if (waiter.state === 'appended') {
      const list = this.#changesByIndex.get(waiter.index);
      if (list === undefined) return;
      const rest = list.filter((w) => w !== waiter);
      if (rest.length === 0) this.#changesByIndex.delete(waiter.index);
      else this.#changesByIndex.set(waiter.index, rest);
    } else if (waiter.state === 'joint') {
      this.#changesLeavingJoint = this.#changesLeavingJoint.filter((w) => w !== waiter);
    }
    // catchingUp: dropped from #promotionsCatchingUp on the next tick (it is settled).
  }

  #unlinkIndex(waiter: CommandWaiter): void {
    let head = this.#byIndex.get(waiter.index);
    if (head === waiter) {
      if (waiter.next === undefined) this.#byIndex.delete(waiter.index);
      else this.#byIndex.set(waiter.index, waiter.next);
      return;
    }
    while (head !== undefined && head.next !== waiter) head = head.next;
    if (head !== undefined) head.next = waiter.next;
  }

  // ---- observability ----------------------------------------------------------------------

  /**
   * A copy of the node's state.
   * @throws LifecycleError `NODE_NOT_STARTED` before `start()` has completed.
   */
  status(): NodeStatus {
    const core = this.#core;
    if (core === undefined) throw new LifecycleError('NODE_NOT_STARTED', `node ${this.id} is not started`);
    const s = core.status();
    return {
      ...s,
      lifecycle: this.#lifecycle,
      leaderEndpoint: s.leaderId === undefined ? undefined : this.#parts.directory.endpointOf(s.leaderId),
      mailboxDepth: this.#mailbox.length,
      pendingRequests: this.#requests.size,
      failure: this.#failure,
      committedConfiguration: copyConfiguration(this.#appliedConfiguration),
      committedConfigurationIndex: this.#appliedConfigurationIndex as LogIndex,
    };
  }

  /**
   * The log's bounds and the metadata of its newest `recent` entries.
   * @throws LifecycleError `NODE_NOT_STARTED` before `start()` has completed.
   */
  logInfo(recent = 10): LogInfo {
    const core = this.#core;
    if (core === undefined) throw new LifecycleError('NODE_NOT_STARTED', `node ${this.id} is not started`);
    if (!Number.isSafeInteger(recent) || recent < 0) throw new InvalidArgumentError(`recent must be a non-negative integer, got ${recent}`);
    const s = core.status();
    const from = Math.max(s.firstIndex, s.lastIndex - recent + 1) as LogIndex;
    const entries = recent === 0 ? [] : core.entries(from, s.lastIndex);
    return {
      firstIndex: s.firstIndex,
      lastIndex: s.lastIndex,
      commitIndex: s.commitIndex,
      appliedIndex: s.appliedIndex,
      snapshotIndex: s.snapshotIndex,
      recent: entries.map((e) => ({ index: e.index, term: e.term, kind: e.kind, bytes: e.kind === 'command' ? e.payload.byteLength : 0 })),
    };
  }

  /** The role as of the last processed input (cheap; no copy). */
  get role(): Role {
    return this.#role;
  }

  /** The leader this node knows of, as of the last processed input. */
  get leaderId(): NodeId | undefined {
    return this.#leaderId;
  }

  /** The host's applied index: entries the state machine has applied. */
  get appliedIndex(): LogIndex {
    return this.#applied as LogIndex;
  }

  /** Calls `listener` for every event of `type`; returns a function that unsubscribes. */
  on<K extends keyof NodeEventMap>(type: K, listener: (event: NodeEventMap[K]) => void): () => void {
    return this.#hub.on(type, listener);
  }

  /**
   * The events of `type` as an async iterable; it ends when the node stops or `signal`
   * aborts. A consumer that falls more than `bufferSize` events behind loses the oldest.
   */
  stream<K extends keyof NodeEventMap>(type: K, options: StreamOptions = {}): AsyncIterableIterator<NodeEventMap[K]> {
    return this.#hub.stream(type, options);
  }

  // ---- the loop -----------------------------------------------------------------------------

  #enqueue(input: RaftInput, external: boolean): void {
    if (this.#halted) return;
    this.#mailbox.push({ input, external });
    if (external) this.#externalInMailbox++;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#turnScheduled || this.#halted) return;
    this.#turnScheduled = true;
    setImmediate(() => this.#turn());
  }

  #deliver(message: RaftMessage): void {
    if (this.#halted || this.#core === undefined) return;
    if (this.#externalInMailbox >= this.#parts.hosting.mailboxCapacity) {
      // Raft tolerates loss; a full mailbox must not make memory grow (DESIGN.md).
      this.#parts.metricSink.increment('raft.messages.dropped', 1, { node: this.id, reason: 'mailboxFull' });
      return;
    }
    this.#enqueue({ type: 'message', message }, true);
  }

  #onTimer(): void {
    if (this.#halted) return;
    // Deadlines are host bookkeeping: checked here, off the core.
    const now = performance.now();
    if (this.#deadlines.size > 0) {
      for (const waiter of this.#deadlines.expired(now)) this.#cancel(waiter, 'timedOut');
      if (this.#deadlines.size > 2 * this.#requests.size + 1024) this.#deadlines.compact();
    }
    if (this.#promotionsCatchingUp.length > 0) {
      this.#promotionsCatchingUp = this.#promotionsCatchingUp.filter((w) => !w.settled && !this.#maybeProposePromotion(w));
    }
    // At most one tick waits in the mailbox: a loop that lags sees fewer ticks (slower
    // timers, which is safe) rather than a burst of them.
    if (this.#tickQueued) return;
    this.#tickQueued = true;
    this.#enqueue({ type: 'tick' }, false);
  }

  /** One turn: process up to `maxInputsPerTurn` inputs, then flush sends, writes and applies. */
  #turn(): void {
    this.#turnScheduled = false;
    if (this.#halted) return;
    const core = this.#core as RaftNodeState;
    const max = this.#parts.hosting.maxInputsPerTurn;
    let processed = 0;
    try {
      while (processed < max && !this.#halted) {
        const slot = this.#mailbox.shift();
        if (slot === undefined) break;
        if (slot.external) this.#externalInMailbox--;
        const input = slot.input;
        if (input.type === 'tick') {
          this.#tickQueued = false;
          this.#ticks++;
        } else if (input.type === 'propose' || input.type === 'read' || input.type === 'transferLeadership' || input.type === 'changeConfiguration') {
          // Answered (timed out, aborted) while queued: never reaches the core.
          if (!this.#requests.has(input.requestId)) continue;
        }
        processed++;
        this.#handle(core.process(input));
      }
    } catch (error) {
      // The core throws only when the host broke its contract: a bug; fail-stop.
      this.#fail(error instanceof IllegalStateError ? error : new IllegalStateError('the core rejected an input', { cause: error }));
      return;
    }
    this.#endOfTurn();
    if (this.#mailbox.length > 0) this.#schedule();
  }

  #endOfTurn(): void {
    const p = this.#parts;
    for (const [to, messages] of this.#outbox) {
      try {
        p.transport.send(to, messages);
      } catch (error) {
        // A transport must not throw (Transport contract); if one does, the messages are lost,
        // which Raft tolerates — it must not take the loop down.
        this.#onSendFailed(to, error instanceof Error ? error.message : String(error));
      }
    }
    this.#outbox.clear();
    this.#persistence?.kick();
    if (this.#commitIndex > this.#commitReported) {
      this.#commitReported = this.#commitIndex;
      p.metricSink.gauge('raft.commit.index', this.#commitIndex, this.#attrs);
      if (this.#hub.wants('commitAdvanced')) this.#hub.emit('commitAdvanced', { commitIndex: this.#commitIndex as LogIndex });
    }
    if (this.#toApply.length > 0 && !this.#applying) void this.#applyEntries();
    if (this.#ticks % 10 === 0) {
      // Every node's mailbox matters (a follower drowning in messages); replication gauges are the leader's.
      this.#parts.metricSink.gauge('raft.mailbox.depth', this.#mailbox.length, this.#attrs);
      if (this.#role === 'leader') this.#sampleLeaderGauges();
    }
  }

  /** Starts the effects of one `process` call, in order (step 2 of the loop). */
  #handle(output: RaftOutput): void {
    if (output.events.length > 0) this.#publish(output.events);
    const effects = output.effects;
    for (let i = 0; i < effects.length; i++) this.#startEffect(effects[i] as RaftEffect);
  }

  #startEffect(effect: RaftEffect): void {
    const persistence = this.#persistence as PersistenceQueue;
    switch (effect.type) {
      case 'persistMeta':
        persistence.enqueue({ kind: 'meta', meta: effect.meta, write: effect.write });
        return;
      case 'truncateLog':
        persistence.enqueue({ kind: 'truncate', after: effect.after });
        return;
      case 'appendLog':
        persistence.enqueue({ kind: 'append', entries: effect.entries, write: effect.write });
        return;
      case 'compactLog':
        persistence.enqueue({ kind: 'compact', upTo: effect.upTo, term: effect.term });
        return;
      case 'send': {
        // Coalesced per peer; sent in one transport.send at the end of the turn.
        const to = effect.message.to;
        const queue = this.#outbox.get(to);
        if (queue === undefined) this.#outbox.set(to, [effect.message]);
        else queue.push(effect.message);
        return;
      }
      case 'apply':
        for (const entry of effect.entries) this.#toApply.push(entry);
        return;
      case 'sendSnapshot':
        void this.#sendSnapshotChunk(effect);
        return;
      case 'installSnapshotChunk': {
        const chunk = effect.chunk;
        this.#receiving = this.#receiving.then(() => this.#receiveSnapshotChunk(chunk));
        return;
      }
      case 'proposalResult': {
        const waiter = this.#requests.get(effect.requestId) as CommandWaiter | undefined;
        if (waiter === undefined) return;
        const result = effect.result;
        if (result.status === 'appended') {
          // Committed iff the entry applied at `index` has this term (Log Matching, §5.3).
          waiter.state = 'appended';
          waiter.index = result.index;
          waiter.term = result.term;
          waiter.next = this.#byIndex.get(result.index);
          this.#byIndex.set(result.index, waiter);
        } else if (result.status === 'redirected') {
          this.#settle(waiter, this.#redirect(result.leaderId));
        } else {
          this.#parts.metricSink.increment('raft.proposals.rejected', 1, { node: this.id, reason: result.reason });
          this.#settle(waiter, commandRejected(mapCommandRejection(result.reason)));
        }
        return;
      }
      case 'readResult': {
        const waiter = this.#requests.get(effect.requestId) as ReadWaiter | undefined;
        if (waiter === undefined) return;
        const result = effect.result;
        if (result.status === 'ready') {
          if (this.#applied >= result.readIndex) {
            this.#settle(waiter, { status: 'ready', readIndex: result.readIndex });
          } else {
            waiter.state = 'reading';
            waiter.index = result.readIndex;
            insertByIndex(this.#readsWaitingApply, waiter);
          }
        } else {
          this.#settle(waiter, this.#requestFailure(result));
        }
        return;
      }
      case 'transferLeadershipResult': {
        const waiter = this.#requests.get(effect.requestId) as TransferWaiter | undefined;
        if (waiter === undefined) return;
        const result = effect.result;
        if (result.status === 'completed') this.#settle(waiter, { status: 'completed', leaderId: result.leaderId });
        else if (result.status === 'timedOut') this.#settle(waiter, { status: 'timedOut' });
        else this.#settle(waiter, this.#requestFailure(result));
        return;
      }
      case 'configurationChangeResult': {
        const waiter = this.#requests.get(effect.requestId) as MembershipWaiter | undefined;
        if (waiter === undefined) return;
        const result = effect.result;
        if (result.status === 'appended') {
          // In force on the leader now (§4.1); committed iff the entry applied at `index` has this term.
          waiter.state = 'appended';
          waiter.index = result.index;
          waiter.term = result.term;
          const list = this.#changesByIndex.get(result.index);
          if (list === undefined) this.#changesByIndex.set(result.index, [waiter]);
          else list.push(waiter);
        } else if (result.status === 'redirected') {
          this.#settle(waiter, this.#redirect(result.leaderId));
        } else {
          this.#settle(waiter, membershipRejected(mapMembershipRejection(result.reason)));
        }
        return;
      }
      default:
        assertNever(effect);
    }
  }

  #requestFailure(result: { status: 'redirected'; leaderId: NodeId } | { status: 'rejected'; reason: RejectionReason }): RequestFailure {
    if (result.status === 'redirected') return this.#redirect(result.leaderId);
    return requestRejected(mapRequestRejection(result.reason));
  }

  /** A redirect to `leaderId`, with its endpoint from the peer directory. */
  #redirect(leaderId: NodeId): { status: 'redirected'; leaderId: NodeId; endpoint: string | undefined } {
    return { status: 'redirected', leaderId, endpoint: this.#parts.directory.endpointOf(leaderId) };
  }

  /** Publishes events to the sink and listeners, and keeps the cheap observability state. */
  #publish(events: readonly RaftEvent[]): void {
    const p = this.#parts;
    // Skip building records nobody reads.
    const wantsEvents = this.#hub.wants('event');
    const publish = p.eventSink !== noopEventSink || wantsEvents;
    let leaderMayBeGone = false;
    for (const event of events) {
      switch (event.type) {
        case 'commitAdvanced':
          this.#commitIndex = event.to;
          break;
        case 'roleChanged':
          this.#role = event.to;
          leaderMayBeGone = true;
          this.#hub.emit('roleChanged', { from: event.from, to: event.to, term: event.term });
          break;
        case 'termChanged':
          this.#term = event.to;
          leaderMayBeGone = true;
          p.metricSink.gauge('raft.term', event.to, this.#attrs);
          break;
        case 'leaderElected':
          this.#setLeader(event.leaderId, event.term);
          break;
        case 'leaderLost':
          leaderMayBeGone = true;
          break;
        case 'electionStarted':
          p.metricSink.increment('raft.elections.started', 1, { node: this.id, pre_vote: event.preVote });
          break;
        case 'messageDropped':
          p.metricSink.increment('raft.messages.dropped', 1, { node: this.id, reason: event.reason });
          break;
        case 'configurationChangeStarted':
          this.#emitMembershipEvent('membershipChangeStarted', event);
          break;
        case 'configurationChangeCommitted':
          this.#emitMembershipEvent('membershipChangeCommitted', event);
          break;
        case 'configurationChangeFinished':
          this.#emitMembershipEvent('membershipChangeCompleted', event);
          break;
        default:
          break;
      }
      if (publish) {
        const record = { nodeId: this.id, term: this.#term as Term, role: this.#role, event };
        publishSafely(p.eventSink, record);
        if (wantsEvents) this.#hub.emit('event', record);
      }
    }
    // A role or term change may forget the leader without an event saying so.
    if (leaderMayBeGone) this.#setLeader((this.#core as RaftNodeState).status().leaderId, this.#term as Term);
  }

  #emitMembershipEvent(
    type: 'membershipChangeStarted' | 'membershipChangeCommitted' | 'membershipChangeCompleted',
    event: { readonly index: LogIndex; readonly configuration: ClusterConfiguration },
  ): void {
    if (!this.#hub.wants(type)) return;
    this.#hub.emit(type, { index: event.index, configuration: copyConfiguration(event.configuration), joint: isJointConfiguration(event.configuration) });
  }

  #setLeader(leaderId: NodeId | undefined, term: Term): void {
    if (leaderId === this.#leaderId) return;
    this.#leaderId = leaderId;
    const p = this.#parts;
    if (leaderId !== undefined) p.metricSink.increment('raft.leader.changes', 1, this.#attrs);
    this.#hub.emit('leaderChanged', { leaderId, endpoint: leaderId === undefined ? undefined : p.directory.endpointOf(leaderId), term });
  }

  #sampleLeaderGauges(): void {
    const core = this.#core;
    if (core === undefined) return;
    const s = core.status();
    const m = this.#parts.metricSink;
    m.gauge('raft.uncommitted.bytes', s.uncommittedBytes, this.#attrs);
    for (const pr of s.progress) {
      const attrs = { node: this.id, follower: pr.nodeId };
      m.gauge('raft.replication.lag', Math.max(0, s.lastIndex - pr.matchIndex), attrs);
      m.gauge('raft.replication.inflight', pr.inflightMessages, attrs);
    }
  }

  // ---- persistence completions ------------------------------------------------------------

  #onBatchDone(done: BatchDone): void {
    const m = this.#parts.metricSink;
    if (done.entries > 0) {
      m.record('raft.log.append.duration', done.durationMs, this.#attrs);
      m.record('raft.log.append.entries', done.entries, this.#attrs);
    }
    if (done.ack !== undefined) this.#enqueue(done.ack, false);
  }

  #onPersistenceFailed(operation: 'meta' | 'log', error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.#failure ??= error instanceof StorageError ? error : new StorageError('STORAGE_IO_FAILED', `${operation} write failed: ${reason}`, { cause: error });
    // Fatal for the node (reliability.md lesson 7): the core stops promising anything.
    this.#enqueue({ type: 'persistenceFailed', operation, reason }, false);
    // Commands in the log may still commit on the other nodes: unknown. Queued ones: refused.
    for (const waiter of [...this.#requests.values()]) this.#cancel(waiter, 'failed');
  }

  #onSendFailed(to: NodeId, reason: string): void {
    if (this.#halted) return;
    this.#parts.metricSink.increment('raft.send.failures', 1, { node: this.id, peer: to });
    this.#publishHostEvent({ type: 'sendFailed', to, reason });
  }

  #publishHostEvent(event: RaftEvent): void {
    const record = { nodeId: this.id, term: this.#term as Term, role: this.#role, event };
    publishSafely(this.#parts.eventSink, record);
    this.#hub.emit('event', record);
  }

  /** Fail-stop after a state-machine exception or a broken contract: answer everyone, stop serving. */
  #fail(error: RaftError): void {
    this.#failure ??= error;
    this.#halt('failed');
    void this.stop({ timeoutMs: 0 });
  }

  // ---- applying -----------------------------------------------------------------------------

  /** Step 4: apply committed entries in order, answer clients, report `applied`. */
  async #applyEntries(): Promise<void> {
    this.#applying = true;
    const sm = this.#parts.stateMachine;
    const m = this.#parts.metricSink;
    const threshold = this.#parts.hosting.snapshotThreshold;
    try {
      while (this.#toApply.length > 0 && !this.#halted) {
        const item = this.#toApply.shift() as ApplyItem;
        if (item.kind === 'install') {
          await this.#installSnapshot(item);
          continue;
        }
        const entry = item;
        let result: unknown;
        if (entry.kind === 'command') {
          const command: CommittedCommand = {
            index: entry.index,
            term: entry.term,
            payload: entry.payload,
            ...(entry.correlationId === undefined ? {} : { correlationId: entry.correlationId }),
            ...(entry.client === undefined ? {} : { client: entry.client }),
          };
          result = sm.apply(command);
          if (isPromiseLike(result)) result = await result;
        } else if (entry.kind === 'configuration') {
          this.#setAppliedConfiguration(entry.configuration, entry.index, 'log');
          this.#onConfigurationApplied(entry);
        }
        this.#applied = entry.index;
        if (entry.term > this.#appliedTerm) this.#onAppliedTermAdvanced(entry.index, entry.term);
        const waiting = this.#byIndex.get(entry.index);
        if (waiting !== undefined) this.#answerAppliedAt(entry, result, waiting, m);
        if (threshold > 0 && entry.index - this.#snapshotIndex >= threshold) {
          // The state machine must not move while it streams its snapshot: applying waits.
          this.#afterApplyBatch();
          await this.#takeSnapshot(entry.index, entry.term);
        } else if (this.#toApply.length === 0) {
          this.#afterApplyBatch();
        }
      }
    } catch (error) {
      this.#applying = false;
      this.#fail(new IllegalStateError(`the state machine threw while applying an entry: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
      this.#wakeApplyIdle();
      return;
    }
    this.#applying = false;
    this.#wakeApplyIdle();
  }

  // ---- snapshots (§7) -------------------------------------------------------------------------

  /**
   * Saves a snapshot of the state machine as of `index` (applied and reported with `applied`
   * just before, so the core accepts it) and reports `snapshotSaved`. A failed save is not
   * fatal: nothing was promised, the previous snapshot stays the newest.
   */
  async #takeSnapshot(index: LogIndex, term: Term): Promise<void> {
    const storage = this.#storage as RaftStorage;
    const started = performance.now();
    this.#snapshotIndex = index; // also: do not retry before another threshold of entries
    let writer: SnapshotWriter | undefined;
    this.#publishHostEvent({ type: 'snapshotTriggered', index });
    try {
      writer = await storage.snapshots.begin({ lastIncludedIndex: index, lastIncludedTerm: term, configuration: this.#appliedConfiguration });
      for await (const chunk of this.#parts.stateMachine.exportSnapshot()) await writer.write(chunk);
      const meta = await writer.commit();
      writer = undefined;
      const attrs = { node: this.id, origin: 'local' };
      this.#parts.metricSink.record('raft.snapshot.size', meta.size, attrs);
      this.#parts.metricSink.record('raft.snapshot.duration', performance.now() - started, attrs);
      this.#publishHostEvent({ type: 'snapshotSaved', index, term, size: meta.size });
      this.#enqueue({ type: 'snapshotSaved', lastIncludedIndex: index, lastIncludedTerm: term }, false);
    } catch (error) {
      await writer?.abort().catch(() => undefined);
      this.#publishHostEvent({ type: 'snapshotFailed', index, reason: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Leader: reads one chunk of the requested snapshot and sends it (docs/effects.md, sendSnapshot). */
  async #sendSnapshotChunk(effect: SendSnapshotEffect): Promise<void> {
    const message = effect.message;
    try {
      const reader = await this.#readerFor(message.lastIncludedIndex);
      // That snapshot is gone (replaced while no transfer used it): send nothing, the core
      // restarts the transfer with the newest one after an election timeout.
      if (reader === undefined) return;
      const data = await reader.read(message.offset, effect.maxBytes);
      if (this.#halted) return;
      const size = reader.meta.size;
      const done = message.offset + data.byteLength >= size;
      const chunk: InstallSnapshot = { ...message, data, size, done };
      this.#parts.transport.send(message.to, [chunk]);
      if (done) this.#publishHostEvent({ type: 'snapshotSent', to: message.to, index: message.lastIncludedIndex, size });
    } catch (error) {
      // Lost like a dropped message: the core resends the chunk after an election timeout.
      this.#publishHostEvent({ type: 'snapshotFailed', index: message.lastIncludedIndex, reason: error instanceof Error ? error.message : String(error) });
      await this.#closeSendReaders();
    }
  }

  /**
   * The open reader of the snapshot at `index`, opening the newest one if that is it. A reader
   * stays open while transfers keep reading it; when a newer one opens, readers idle for
   * longer than the core's retry interval (an election timeout, twice over) are closed — no
   * transfer is using them any more.
   */
  async #readerFor(index: number): Promise<SnapshotReader | undefined> {
    const now = performance.now();
    const known = this.#sendReaders.get(index);
    if (known !== undefined) {
      this.#sendReaderUse.set(index, now);
      return known;
    }
    const opening = (this.#storage as RaftStorage).snapshots.latest();
    this.#sendReaders.set(index, opening);
    this.#sendReaderUse.set(index, now);
    const reader = await opening;
    if (reader === undefined || reader.meta.lastIncludedIndex !== index) {
      this.#sendReaders.delete(index);
      this.#sendReaderUse.delete(index);
      await reader?.close().catch(() => undefined);
      return undefined;
    }
    const idleMs = 4 * this.#parts.core.electionTicks * this.#parts.hosting.tickMs;
    for (const [old, lastUsed] of this.#sendReaderUse) {
      if (old === index || now - lastUsed < idleMs) continue;
      const evicted = this.#sendReaders.get(old);
      this.#sendReaders.delete(old);
      this.#sendReaderUse.delete(old);
      void evicted?.then((r) => r?.close()).catch(() => undefined);
    }
    return reader;
  }

  async #closeSendReaders(): Promise<void> {
    const readers = [...this.#sendReaders.values()];
    this.#sendReaders.clear();
    this.#sendReaderUse.clear();
    for (const reader of readers) await (await reader.catch(() => undefined))?.close().catch(() => undefined);
  }

  /**
   * Follower: writes a received chunk into the snapshot being received; after the last one
   * commits it durably and queues its install behind the entries already being applied.
   */
  async #receiveSnapshotChunk(chunk: InstallSnapshot): Promise<void> {
    if (this.#halted) return;
    try {
      if (chunk.offset === 0) {
        await this.#incoming?.abort().catch(() => undefined);
        this.#incoming = await (this.#storage as RaftStorage).snapshots.begin({
          lastIncludedIndex: chunk.lastIncludedIndex,
          lastIncludedTerm: chunk.lastIncludedTerm,
          configuration: chunk.configuration,
        });
      }
      const writer = this.#incoming;
      if (writer === undefined) throw new IllegalStateError(`snapshot chunk at offset ${chunk.offset} without a snapshot being received`);
      await writer.write(chunk.data);
      if (!chunk.done) return;
      this.#incoming = undefined;
      await writer.commit();
      await this.#closeSendReaders();
      this.#toApply.push({ kind: 'install', index: chunk.lastIncludedIndex, term: chunk.lastIncludedTerm, configuration: chunk.configuration });
      if (!this.#applying) void this.#applyEntries();
    } catch (error) {
      this.#incoming = undefined;
      const reason = error instanceof Error ? error.message : String(error);
      this.#failure ??= new StorageError('STORAGE_IO_FAILED', `snapshot write failed: ${reason}`, { cause: error });
      this.#enqueue({ type: 'persistenceFailed', operation: 'snapshot', reason }, false);
    }
  }

  /** Replaces the state machine with the received snapshot and reports `snapshotInstalled`. */
  async #installSnapshot(job: InstallJob): Promise<void> {
    const started = performance.now();
    const reader = await (this.#storage as RaftStorage).snapshots.latest();
    if (reader === undefined || reader.meta.lastIncludedIndex !== job.index || reader.meta.lastIncludedTerm !== job.term) {
      await reader?.close();
      throw new IllegalStateError(`the snapshot just committed at ${job.index} is not the newest one`);
    }
    try {
      await this.#parts.stateMachine.importSnapshot(reader.chunks());
    } finally {
      await reader.close();
    }
    const attrs = { node: this.id, origin: 'leader' };
    this.#parts.metricSink.record('raft.snapshot.size', reader.meta.size, attrs);
    this.#parts.metricSink.record('raft.snapshot.duration', performance.now() - started, attrs);
    this.#snapshotIndex = job.index;
    this.#setAppliedConfiguration(job.configuration, job.index, 'snapshot');
    this.#applied = job.index;
    if (job.term > this.#appliedTerm) this.#onAppliedTermAdvanced(job.index, job.term);
    this.#enqueue({ type: 'snapshotInstalled', lastIncludedIndex: job.index, lastIncludedTerm: job.term }, false);
    this.#serveReads(job.index);
    this.#parts.metricSink.gauge('raft.applied.index', job.index, this.#attrs);
    if (this.#hub.wants('applied')) this.#hub.emit('applied', { appliedIndex: job.index });
  }

  #answerAppliedAt(entry: LogEntry, result: unknown, head: CommandWaiter, m: MetricSink): void {
    this.#byIndex.delete(entry.index);
    let waiter: CommandWaiter | undefined = head;
    const now = performance.now();
    while (waiter !== undefined) {
      const next: CommandWaiter | undefined = waiter.next;
      // The index is already out of #byIndex, so #settle has nothing to unlink.
      waiter.next = undefined;
      if (waiter.term === entry.term) {
        m.record('raft.commit.latency', now - waiter.startedAt, this.#attrs);
        this.#settle(waiter, { status: 'committed', index: entry.index, term: entry.term, result });
      } else {
        // A different entry is committed at this index: ours never will be (§5.3, Log Matching).
        this.#settle(waiter, commandRejected('leadershipLost'));
      }
      waiter = next;
    }
  }

  /**
   * A committed entry (j, T') is applied. Every command still waiting at an index i > j with a
   * term t < T' is definitely not committed: a term-t leader's log holds only terms <= t, so a
   * log holding that command differs from the committed log at j, and committed entries are
   * unique per index (Log Matching and Leader Completeness, §5.3–5.4). Answering now, rather
   * than when index i is applied, matters when the new leader never writes that far. Commands
   * at i <= j are not decided by this (after a snapshot install their outcome stays unknown).
   */
  #onAppliedTermAdvanced(index: LogIndex, term: Term): void {
    this.#appliedTerm = term;
    if (this.#changesByIndex.size > 0) {
      // The same rule for membership changes whose entry is above the applied one.
      const lost: MembershipWaiter[] = [];
      for (const list of this.#changesByIndex.values()) for (const w of list) if (w.index > index && w.term < term) lost.push(w);
      for (const waiter of lost) this.#settle(waiter, membershipRejected('leadershipLost'));
    }
    if (this.#byIndex.size === 0) return;
    const superseded: CommandWaiter[] = [];
    for (const head of this.#byIndex.values()) {
      for (let w: CommandWaiter | undefined = head; w !== undefined; w = w.next) if (w.index > index && w.term < term) superseded.push(w);
    }
    for (const waiter of superseded) this.#settle(waiter, commandRejected('leadershipLost'));
  }

  #afterApplyBatch(): void {
    const applied = this.#applied as LogIndex;
    this.#enqueue({ type: 'applied', upTo: applied }, false);
    this.#parts.metricSink.gauge('raft.applied.index', applied, this.#attrs);
    this.#serveReads(applied);
    if (this.#hub.wants('applied')) this.#hub.emit('applied', { appliedIndex: applied });
  }

  #serveReads(applied: number): void {
    if (this.#readsWaitingApply.length === 0) return;
    let served = 0;
    for (const read of this.#readsWaitingApply) {
      if (read.index > applied) break;
      served++;
      this.#settle(read, { status: 'ready', readIndex: read.index as LogIndex });
    }
    if (served > 0) this.#readsWaitingApply = this.#readsWaitingApply.slice(served);
  }

  #applyDone(): Promise<void> {
    if (!this.#applying) return Promise.resolve();
    return new Promise((resolve) => this.#applyIdle.push(resolve));
  }

  #wakeApplyIdle(): void {
    const waiters = this.#applyIdle;
    this.#applyIdle = [];
    for (const wake of waiters) wake();
  }
}

/** Sinks must not throw (EventSink contract); one that does must not break the node's loop. */
function publishSafely(sink: EventSink, record: RaftEventRecord): void {
  try {
    sink.publish(record);
  } catch {
    // Dropped: telemetry is best effort.
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function insertByIndex(list: ReadWaiter[], waiter: ReadWaiter): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] as ReadWaiter).index > waiter.index) i--;
  list.splice(i, 0, waiter);
}

const RETRYABLE: ReadonlySet<string> = new Set(['overloaded', 'noLeader', 'transferInProgress', 'leaderNotReady']);

function commandRejected(reason: CommandRejectionReason, error?: RaftError): CommandResult<never> {
  return error === undefined
    ? { status: 'rejected', reason, retryable: RETRYABLE.has(reason) }
    : { status: 'rejected', reason, retryable: RETRYABLE.has(reason), error };
}

function requestRejected(reason: RequestRejectionReason, error?: RaftError): RequestFailure {
  return error === undefined
    ? { status: 'rejected', reason, retryable: RETRYABLE.has(reason) }
    : { status: 'rejected', reason, retryable: RETRYABLE.has(reason), error };
}

/** Retrying a membership change that was refused for one of these may succeed. */
const MEMBERSHIP_RETRYABLE: ReadonlySet<string> = new Set([
  'overloaded',
  'noLeader',
  'leaderNotReady',
  'configurationChangeInProgress',
  'transferInProgress',
  'leadershipLost',
]);

function membershipRejected(reason: MembershipRejectionReason, error?: RaftError): MembershipResult {
  return error === undefined
    ? { status: 'rejected', reason, retryable: MEMBERSHIP_RETRYABLE.has(reason) }
    : { status: 'rejected', reason, retryable: MEMBERSHIP_RETRYABLE.has(reason), error };
}

function changeCommitted(entry: LogEntry & { kind: 'configuration' }): MembershipResult {
  return { status: 'committed', index: entry.index, term: entry.term, configuration: copyConfiguration(entry.configuration) };
}

function mapMembershipRejection(reason: RejectionReason): MembershipRejectionReason {
  switch (reason) {
    case 'noLeader':
    case 'transferInProgress':
    case 'leaderNotReady':
    case 'configurationChangeInProgress':
    case 'invalidChange':
    case 'failed':
      return reason;
    case 'uncommittedLimit':
      return 'overloaded';
  }
}

function copyConfiguration(c: ClusterConfiguration): ClusterConfiguration {
  return c.oldVoters === undefined
    ? { voters: [...c.voters], learners: [...c.learners] }
    : { voters: [...c.voters], oldVoters: [...c.oldVoters], learners: [...c.learners] };
}

function sameConfiguration(a: ClusterConfiguration, b: ClusterConfiguration): boolean {
  const key = (c: ClusterConfiguration): string => JSON.stringify([[...c.voters].sort(), [...(c.oldVoters ?? [])].sort(), c.oldVoters === undefined, [...c.learners].sort()]);
  return key(a) === key(b);
}

/** A node id argument, or the error to reject with. */
function toNodeIdArgument(value: unknown): NodeId | InvalidArgumentError {
  try {
    return NodeId(value as string);
  } catch (error) {
    return error instanceof InvalidArgumentError ? error : new InvalidArgumentError(`not a node id: ${String(value)}`);
  }
}

function maxLagOf(options: PromoteOptions): number | InvalidArgumentError {
  const lag = options.maxLagEntries ?? DEFAULT_MAX_LAG_ENTRIES;
  if (!Number.isSafeInteger(lag) || lag < 0) return new InvalidArgumentError(`maxLagEntries must be a non-negative integer, got ${String(options.maxLagEntries)}`);
  return lag;
}

/** Default of `PromoteOptions.maxLagEntries`. */
const DEFAULT_MAX_LAG_ENTRIES = 100;

function mapCommandRejection(reason: RejectionReason): CommandRejectionReason {
  switch (reason) {
    case 'noLeader':
      return 'noLeader';
    case 'transferInProgress':
      return 'transferInProgress';
    case 'uncommittedLimit':
      return 'overloaded';
    case 'failed':
      return 'failed';
    case 'configurationChangeInProgress':
    case 'invalidChange':
    case 'leaderNotReady':
      // The core refuses proposals only for the reasons above; anything else is still a
      // refusal before the log, so definite — reported as overloaded (retryable).
      return 'overloaded';
  }
}

function mapRequestRejection(reason: RejectionReason): RequestRejectionReason {
  switch (reason) {
    case 'noLeader':
    case 'transferInProgress':
    case 'leaderNotReady':
    case 'failed':
      return reason;
    case 'uncommittedLimit':
    case 'configurationChangeInProgress':
      return 'overloaded';
    case 'invalidChange':
      return 'invalidTarget';
  }
}
