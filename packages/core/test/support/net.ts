/**
 * A tiny synchronous test network for core unit tests (etcd `raft_test.go` `network` style):
 * nodes, a message queue under the test's control, and storage that acknowledges writes
 * either at once (`autoPersist`) or when the test says so. The full simulator with faults is
 * `@raft/harness`.
 */
import {
  type ClusterConfiguration,
  type LogEntry,
  NodeId,
  type PersistentMeta,
  type RaftEffect,
  type RaftEvent,
  type RaftInput,
  type RaftMessage,
  type Term,
} from '@raft/abstractions';
import { type RaftNodeOptions, RaftNodeState } from '../../src/index.js';

export const ids = (n: number): NodeId[] => Array.from({ length: n }, (_, i) => NodeId(`n${i + 1}`));

/** What one node has made durable, and the writes still in flight. */
export interface NodeStorage {
  meta: PersistentMeta;
  log: LogEntry[];
  pending: RaftEffect[];
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
  readonly configuration: ClusterConfiguration;
  private readonly options: Partial<RaftNodeOptions>;

  /**
   * @param logs optional durable logs to boot nodes with: the term of each entry, and the
   * node's current term is the highest of them.
   */
  constructor(n: number, options: Partial<RaftNodeOptions> = {}, logs: Partial<Record<string, number[]>> = {}) {
    this.options = options;
    this.configuration = { voters: ids(n), learners: [] };
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
    const seed = Number(id.slice(1)) * 7919;
    const node = new RaftNodeState(
      { id, seed, ...this.options },
      { meta: s.meta, entries: [...s.log], configuration: this.configuration },
    );
    this.nodes.set(id, node);
    this.applied.set(id, []);
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
        case 'compactLog':
          break;
        case 'send':
          if (!this.cut.has(`${effect.message.from}->${effect.message.to}`)) this.queue.push(effect.message);
          break;
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
        this.step(id, { type: 'metaPersisted', meta: effect.meta });
      } else if (effect.type === 'truncateLog') {
        s.log = s.log.filter((e) => e.index <= effect.after);
      } else if (effect.type === 'appendLog') {
        s.log.push(...effect.entries);
        const last = effect.entries[effect.entries.length - 1] as LogEntry;
        this.step(id, { type: 'logPersisted', upTo: last.index, term: last.term });
      }
    }
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
