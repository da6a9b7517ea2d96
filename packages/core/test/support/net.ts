/**
 * A tiny synchronous test network for core unit tests (etcd `raft_test.go` `network` style):
 * nodes, a message queue under the test's control, and storage that acknowledges writes
 * either at once (`autoPersist`) or when the test says so. The full simulator with faults is
 * `@raft/harness`.
 */
import {
  type ClusterConfiguration,
  type LogEntry,
  type LogIndex,
  NodeId,
  type PersistentMeta,
  type RaftEffect,
  type RaftEvent,
  type RaftInput,
  type RaftMessage,
  type Term,
} from '@raft/abstractions';
import { type RaftNodeOptions, RaftNodeState } from '../../src/index.js';
import { validateMessage } from '../../src/validate-message.js';

export const ids = (n: number): NodeId[] => Array.from({ length: n }, (_, i) => NodeId(`n${i + 1}`));

/** A durable snapshot: the applied entries it covers, encoded as JSON. */
export interface StoredSnapshot {
  index: LogIndex;
  term: Term;
  configuration: ClusterConfiguration;
  data: Uint8Array;
}

/** What one node has made durable, and the writes still in flight. */
export interface NodeStorage {
  meta: PersistentMeta;
  log: LogEntry[];
  pending: RaftEffect[];
  snapshot?: StoredSnapshot;
  /** Every snapshot saved, by index: a transfer in progress keeps reading the one it started. */
  older?: Map<number, StoredSnapshot>;
  /** Chunks of a snapshot being received (volatile). */
  incoming?: Uint8Array[];
}

function encodeApplied(entries: readonly LogEntry[]): Uint8Array {
  const plain = entries.map((e) => (e.kind === 'command' ? { ...e, payload: new TextDecoder().decode(e.payload) } : e));
  return new TextEncoder().encode(JSON.stringify(plain));
}

function decodeApplied(data: Uint8Array): LogEntry[] {
  const plain = JSON.parse(new TextDecoder().decode(data)) as (LogEntry | (Omit<LogEntry, 'payload'> & { kind: 'command'; payload: string }))[];
  return plain.map((e) => (e.kind === 'command' ? { ...e, payload: new TextEncoder().encode(e.payload as string) } : e) as LogEntry);
}

export class Net {
  readonly nodes: Map<NodeId, RaftNodeState> = new Map();
  readonly storage: Map<NodeId, NodeStorage> = new Map();
  readonly applied: Map<NodeId, LogEntry[]> = new Map();
  readonly events: Map<NodeId, RaftEvent[]> = new Map();
  readonly results: Map<NodeId, RaftEffect[]> = new Map();
  queue: RaftMessage[] = [];
  /** Links that drop messages, as `from->to`. */
  readonly cut: Set<string> = new Set();
  autoPersist = true;
  /** Report `snapshotInstalled` as soon as the last chunk is written. */
  autoInstall = true;
  /** Keep earlier snapshots readable (a host that keeps a transfer's snapshot open). */
  keepOlderSnapshots = true;
  /** Echo write numbers in completions (as hosts should). */
  echoWrites = true;
  /** Snapshot installs completed by the host, in order. */
  readonly installed: { id: NodeId; index: LogIndex }[] = [];
  readonly configuration: ClusterConfiguration;
  private readonly options: Partial<RaftNodeOptions>;

  /**
   * @param logs optional durable logs to boot nodes with: the term of each entry, and the
   * node's current term is the highest of them.
   */
  /**
   * Bootstrap configuration per node, when it differs from {@link configuration} (a node that
   * joins later boots with an empty one).
   */
  readonly bootConfiguration: Map<NodeId, ClusterConfiguration> = new Map();

  constructor(
    n: number,
    options: Partial<RaftNodeOptions> = {},
    logs: Partial<Record<string, number[]>> = {},
    /** Voters of the initial configuration (default all n); the others boot empty, as joiners. */
    initialVoters?: number,
  ) {
    this.options = options;
    this.configuration = { voters: ids(initialVoters ?? n), learners: [] };
    for (const id of ids(n).slice(initialVoters ?? n)) this.bootConfiguration.set(id, { voters: [], learners: [] });
    for (const id of ids(n)) {
      const terms = logs[id] ?? [];
      const log: LogEntry[] = terms.map((term, i) => ({ kind: 'command', index: (i + 1) as never, term: term as Term, payload: new TextEncoder().encode(`${id}:${i + 1}`) }));
      const currentTerm = Math.max(0, ...terms) as Term;
      this.storage.set(id, { meta: { currentTerm, votedFor: undefined }, log, pending: [] });
      this.start(id);
    }
  }

  /** (Re)creates a node from its durable storage only. */
  start(id: NodeId): RaftNodeState {
    const s = this.storage.get(id) as NodeStorage;
    s.pending = [];
    s.incoming = undefined;
    const seed = Number(id.slice(1)) * 7919;
    const snapshot = s.snapshot;
    const node = new RaftNodeState(
      { id, seed, ...this.options },
      {
        meta: s.meta,
        entries: [...s.log],
        configuration: this.bootConfiguration.get(id) ?? this.configuration,
        ...(snapshot === undefined
          ? {}
          : { snapshot: { lastIncludedIndex: snapshot.index, lastIncludedTerm: snapshot.term, configuration: snapshot.configuration } }),
      },
    );
    this.nodes.set(id, node);
    this.applied.set(id, snapshot === undefined ? [] : decodeApplied(snapshot.data));
    this.events.set(id, this.events.get(id) ?? []);
    this.results.set(id, []);
    return node;
  }

  node(id: NodeId): RaftNodeState {
    return this.nodes.get(id) as RaftNodeState;
  }

  /** Feeds one input and carries out its effects. */
  step(id: NodeId, input: RaftInput): void {
    const node = this.node(id);
    const output = node.process(input);
    node.checkInvariants();
    this.events.get(id)?.push(...output.events);
    const s = this.storage.get(id) as NodeStorage;
    for (const effect of output.effects) {
      switch (effect.type) {
        case 'persistMeta':
        case 'appendLog':
        case 'truncateLog':
          s.pending.push(effect);
          break;
        case 'compactLog': {
          const at = s.log.find((e) => e.index === effect.upTo);
          s.log = at !== undefined && at.term === effect.term ? s.log.filter((e) => e.index > effect.upTo) : [];
          break;
        }
        case 'sendSnapshot': {
          const snap = s.snapshot?.index === effect.message.lastIncludedIndex ? s.snapshot : s.older?.get(effect.message.lastIncludedIndex);
          if (snap === undefined) break;
          const data = snap.data.subarray(effect.message.offset, effect.message.offset + effect.maxBytes);
          const message: RaftMessage = { ...effect.message, data, size: snap.data.byteLength, done: effect.message.offset + data.byteLength >= snap.data.byteLength };
          if (!this.cut.has(`${message.from}->${message.to}`)) this.queue.push(message);
          break;
        }
        case 'installSnapshotChunk': {
          const chunk = effect.chunk;
          if (chunk.offset === 0) s.incoming = [];
          s.incoming?.push(chunk.data);
          if (chunk.done) {
            const parts = s.incoming ?? [];
            const data = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
            let at = 0;
            for (const p of parts) {
              data.set(p, at);
              at += p.byteLength;
            }
            s.snapshot = { index: chunk.lastIncludedIndex, term: chunk.lastIncludedTerm, configuration: chunk.configuration, data };
            s.incoming = undefined;
            this.applied.set(id, decodeApplied(data));
            this.installed.push({ id, index: chunk.lastIncludedIndex });
            if (this.autoInstall) this.step(id, { type: 'snapshotInstalled', lastIncludedIndex: chunk.lastIncludedIndex, lastIncludedTerm: chunk.lastIncludedTerm });
          }
          break;
        }
        case 'send': {
          // Every message the core emits must pass the receiver's validation.
          const malformed = validateMessage(effect.message);
          if (malformed !== undefined) throw new Error(`${id} emitted a malformed ${effect.message.type}: ${malformed}`);
          if (!this.cut.has(`${effect.message.from}->${effect.message.to}`)) this.queue.push(effect.message);
          break;
        }
        case 'apply':
          this.applied.get(id)?.push(...effect.entries);
          this.step(id, { type: 'applied', upTo: effect.entries[effect.entries.length - 1]?.index as never });
          break;
        default:
          this.results.get(id)?.push(effect);
      }
    }
    if (this.autoPersist) this.persist(id);
  }

  /** Completes every write in flight on `id`, acknowledging each in order. */
  persist(id: NodeId): void {
    const s = this.storage.get(id) as NodeStorage;
    while (s.pending.length > 0) {
      const effect = s.pending.shift() as RaftEffect;
      if (effect.type === 'persistMeta') {
        s.meta = effect.meta;
        this.step(id, { type: 'metaPersisted', meta: effect.meta, ...(this.echoWrites ? { write: effect.write } : {}) });
      } else if (effect.type === 'truncateLog') {
        s.log = s.log.filter((e) => e.index <= effect.after);
      } else if (effect.type === 'appendLog') {
        s.log.push(...effect.entries);
        const last = effect.entries[effect.entries.length - 1] as LogEntry;
        this.step(id, { type: 'logPersisted', upTo: last.index, term: last.term, ...(this.echoWrites ? { write: effect.write } : {}) });
      }
    }
  }

  /** Saves a snapshot of what `id` applied (its whole applied history, as JSON) and reports it. */
  takeSnapshot(id: NodeId): StoredSnapshot {
    const s = this.storage.get(id) as NodeStorage;
    const applied = this.applied.get(id) ?? [];
    const last = applied[applied.length - 1];
    if (last === undefined) throw new Error(`${id} has applied nothing`);
    // The configuration at the snapshot's index: the last one applied (the applied history
    // starts with any earlier snapshot's entries), else the bootstrap one (dissertation §5.4).
    const appliedConfiguration = [...applied].reverse().find((e) => e.kind === 'configuration');
    const configuration =
      appliedConfiguration?.kind === 'configuration' ? appliedConfiguration.configuration : (this.bootConfiguration.get(id) ?? this.configuration);
    const snapshot: StoredSnapshot = { index: last.index, term: last.term, configuration, data: encodeApplied(applied) };
    if (s.snapshot !== undefined && this.keepOlderSnapshots) {
      s.older = s.older ?? new Map();
      s.older.set(s.snapshot.index, s.snapshot);
    }
    s.snapshot = snapshot;
    this.step(id, { type: 'snapshotSaved', lastIncludedIndex: last.index, lastIncludedTerm: last.term });
    return snapshot;
  }

  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) this.step(id, { type: 'tick' });
  }

  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) for (const id of this.nodes.keys()) this.step(id, { type: 'tick' });
  }

  /** Delivers queued messages until none is left (or `max` deliveries). */
  deliverAll(max = 100_000): number {
    let delivered = 0;
    while (this.queue.length > 0 && delivered < max) {
      const message = this.queue.shift() as RaftMessage;
      if (this.cut.has(`${message.from}->${message.to}`) || !this.nodes.has(message.to)) continue;
      this.step(message.to, { type: 'message', message });
      delivered++;
    }
    return delivered;
  }

  /** Makes `id` campaign now by ticking it past its election timeout, then delivers everything. */
  elect(id: NodeId): void {
    for (let i = 0; i < 100 && this.node(id).status().role !== 'leader'; i++) {
      this.tick(id);
      this.deliverAll();
    }
    if (this.node(id).status().role !== 'leader') throw new Error(`${id} did not become leader`);
  }

  propose(id: NodeId, text: string): void {
    this.step(id, { type: 'propose', requestId: 1, payload: new TextEncoder().encode(text) });
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}->${other}`);
      this.cut.add(`${other}->${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  crash(id: NodeId): void {
    this.nodes.delete(id);
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id);
  }

  eventsOf(id: NodeId, type?: RaftEvent['type']): RaftEvent[] {
    const all = this.events.get(id) ?? [];
    return type === undefined ? all : all.filter((e) => e.type === type);
  }

  texts(id: NodeId): string[] {
    return (this.applied.get(id) ?? []).flatMap((e) => (e.kind === 'command' ? [new TextDecoder().decode(e.payload)] : []));
  }
}
