import {
  ConfigurationError,
  IllegalStateError,
  InvalidArgumentError,
  type NodeId,
  type PeerDirectory,
  type RaftMessage,
  type Transport,
  type TransportReceiver,
} from '@raft/abstractions';

/** A delay range in milliseconds; each delivery waits a uniform random time in `[min, max]`. */
export interface DelayRange {
  readonly min: number;
  readonly max: number;
}

/** Options of {@link InMemoryNetwork}. */
export interface InMemoryNetworkOptions {
  /**
   * Seed of the network's PRNG (drop, duplicate and delay decisions), so a test with faults
   * makes the same choices on every run for the same sequence of sends.
   * @default 1
   */
  readonly seed?: number;
}

/** Counters of what the network did, since it was created. */
export interface InMemoryNetworkStats {
  /** Messages handed to `send`. */
  readonly sent: number;
  /** Messages handed to a receiver's `deliver` (duplicates count twice). */
  readonly delivered: number;
  /** Messages lost: by a partition, an isolation, the drop rate, or an absent recipient. */
  readonly dropped: number;
  /** Extra copies delivered by the duplicate rate. */
  readonly duplicated: number;
}

/** Fault settings that apply to every link unless a link has its own. */
interface LinkFaults {
  dropRate: number;
  duplicateRate: number;
  delay: DelayRange;
}

/** Deliveries to one node that are due at the same moment, handed over in one go. */
interface Batch {
  readonly to: NodeId;
  readonly messages: RaftMessage[];
}

const NO_DELAY: DelayRange = { min: 0, max: 0 };

/**
 * An in-process network between `RaftNode`s (for tests and demos). Each node gets its own
 * {@link Transport} from {@link InMemoryNetwork.transport}; messages are passed by reference
 * (zero-copy: protocol messages are immutable by contract) and always delivered
 * asynchronously — in a later microtask, or after a timer when a delay is set — never inside
 * the sender's `send` call, so a receiver is never re-entered.
 *
 * Faults: {@link partition}, {@link isolate}, one-way {@link block}, {@link heal}, and per-link
 * or network-wide drop rate, duplicate rate and delay. Decisions come from a seeded PRNG.
 *
 * @example
 * ```ts
 * const network = new InMemoryNetwork();
 * const t1 = network.transport(NodeId('n1'));
 * network.partition([NodeId('n1')], [NodeId('n2'), NodeId('n3')]);
 * network.heal();
 * network.setDropRate(0.1);
 * ```
 */
export class InMemoryNetwork {
  readonly #receivers = new Map<NodeId, TransportReceiver>();
  readonly #transports = new Map<NodeId, InMemoryTransport>();
  /** Node → the group it is in; nodes in different groups cannot talk. Empty = no partition. */
  #group = new Map<NodeId, number>();
  /** Nodes cut off from everyone by {@link isolate}. */
  readonly #isolated = new Set<NodeId>();
  /** One-way blocked links as `from→to`. */
  readonly #blocked = new Set<string>();
  readonly #defaults: LinkFaults = { dropRate: 0, duplicateRate: 0, delay: NO_DELAY };
  readonly #links = new Map<string, Partial<LinkFaults>>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #random: () => number;
  #closed = false;
  #sent = 0;
  #delivered = 0;
  #dropped = 0;
  #duplicated = 0;

  constructor(options: InMemoryNetworkOptions = {}) {
    const seed = options.seed ?? 1;
    if (!Number.isSafeInteger(seed)) throw new ConfigurationError('seed', `must be a safe integer, got ${seed}`);
    this.#random = mulberry32(seed);
  }

  /**
   * The transport of `nodeId`. Asking again for the same id gives the same transport, so a
   * node restarted in the same process (a new `RaftNode` on the same storage) reuses it.
   */
  transport(nodeId: NodeId): Transport {
    this.#assertOpen();
    let transport = this.#transports.get(nodeId);
    if (transport === undefined) {
      transport = new InMemoryTransport(this, nodeId);
      this.#transports.set(nodeId, transport);
    }
    return transport;
  }

  /** A {@link PeerDirectory} that names every node `memory://<id>`. */
  directory(): PeerDirectory {
    return { endpointOf: (nodeId) => `memory://${nodeId}` };
  }

  /** Node ids whose transport is started (attached to a receiver). */
  attached(): NodeId[] {
    return [...this.#receivers.keys()].sort();
  }

  /**
   * Splits the network into groups: nodes in different groups cannot reach each other. A node
   * not named in any group is cut off from everyone. Replaces any earlier partition.
   * @throws InvalidArgumentError when a node is named in two groups.
   */
  partition(...groups: readonly (readonly NodeId[])[]): void {
    const group = new Map<NodeId, number>();
    groups.forEach((members, i) => {
      for (const id of members) {
        if (group.has(id)) throw new InvalidArgumentError(`node ${id} is in more than one partition group`);
        group.set(id, i);
      }
    });
    this.#group = group;
  }

  /** Cuts `nodeId` off from every other node (both directions); others keep talking. */
  isolate(nodeId: NodeId): void {
    this.#isolated.add(nodeId);
  }

  /** Blocks messages from `from` to `to` only (an asymmetric fault). */
  block(from: NodeId, to: NodeId): void {
    this.#blocked.add(linkKey(from, to));
  }

  /** Removes every partition, isolation and one-way block. Drop, duplicate and delay stay. */
  heal(): void {
    this.#group = new Map();
    this.#isolated.clear();
    this.#blocked.clear();
  }

  /** Loses each message with probability `rate`, on every link or only on `from → to`. */
  setDropRate(rate: number, link?: { readonly from: NodeId; readonly to: NodeId }): void {
    checkRate('dropRate', rate);
    this.#setFault(link, { dropRate: rate });
  }

  /** Delivers an extra copy of each message with probability `rate`. */
  setDuplicateRate(rate: number, link?: { readonly from: NodeId; readonly to: NodeId }): void {
    checkRate('duplicateRate', rate);
    this.#setFault(link, { duplicateRate: rate });
  }

  /**
   * Delays delivery by `delay` milliseconds (a number, or a uniform `{ min, max }` range);
   * with a range, messages on one link may be reordered.
   */
  setDelay(delay: number | DelayRange, link?: { readonly from: NodeId; readonly to: NodeId }): void {
    const range = typeof delay === 'number' ? { min: delay, max: delay } : delay;
    if (!(Number.isFinite(range.min) && Number.isFinite(range.max) && range.min >= 0 && range.max >= range.min)) {
      throw new ConfigurationError('delay', `must be a finite range with 0 <= min <= max, got ${JSON.stringify(delay)}`);
    }
    this.#setFault(link, { delay: range });
  }

  /** Clears every fault: partitions, blocks, drop, duplicate and delay settings. */
  reset(): void {
    this.heal();
    this.#links.clear();
    this.#defaults.dropRate = 0;
    this.#defaults.duplicateRate = 0;
    this.#defaults.delay = NO_DELAY;
  }

  /** What the network did so far. */
  stats(): InMemoryNetworkStats {
    return { sent: this.#sent, delivered: this.#delivered, dropped: this.#dropped, duplicated: this.#duplicated };
  }

  /** `true` when a message sent now from `from` would be allowed to reach `to` (ignoring random loss). */
  canReach(from: NodeId, to: NodeId): boolean {
    if (this.#blocked.has(linkKey(from, to)) || this.#isolated.has(from) || this.#isolated.has(to)) return false;
    if (this.#group.size === 0) return true;
    const a = this.#group.get(from);
    const b = this.#group.get(to);
    return a !== undefined && a === b;
  }

  /** Cancels delayed deliveries and detaches every receiver. The network cannot be used afterwards. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#receivers.clear();
  }

  // ---- used by InMemoryTransport -------------------------------------------------------

  /** @internal */
  attach(nodeId: NodeId, receiver: TransportReceiver): void {
    this.#assertOpen();
    if (this.#receivers.has(nodeId)) throw new IllegalStateError(`transport of ${nodeId} is already started`);
    this.#receivers.set(nodeId, receiver);
  }

  /** @internal */
  detach(nodeId: NodeId): void {
    this.#receivers.delete(nodeId);
  }

  /** @internal */
  send(from: NodeId, to: NodeId, messages: readonly RaftMessage[]): void {
    if (this.#closed || messages.length === 0) return;
    this.#sent += messages.length;
    const sender = this.#receivers.get(from);
    if (!this.#receivers.has(to)) {
      this.#dropped += messages.length;
      sender?.sendFailed?.(to, 'unreachable: no started transport for this node');
      return;
    }
    if (!this.canReach(from, to)) {
      // A partition loses messages silently, like a real network.
      this.#dropped += messages.length;
      return;
    }
    const faults = this.#faultsOf(from, to);
    if (faults.dropRate === 0 && faults.duplicateRate === 0 && faults.delay.max === 0) {
      // Fast path: one batch, one microtask, no copies.
      this.#schedule({ to, messages: messages as RaftMessage[] }, 0);
      return;
    }
    const now: RaftMessage[] = [];
    for (const message of messages) {
      if (faults.dropRate > 0 && this.#random() < faults.dropRate) {
        this.#dropped++;
        continue;
      }
      const copies = faults.duplicateRate > 0 && this.#random() < faults.duplicateRate ? 2 : 1;
      if (copies === 2) this.#duplicated++;
      for (let c = 0; c < copies; c++) {
        const delay = this.#pickDelay(faults.delay);
        if (delay === 0) now.push(message);
        else this.#schedule({ to, messages: [message] }, delay);
      }
    }
    if (now.length > 0) this.#schedule({ to, messages: now }, 0);
  }

  #schedule(batch: Batch, delayMs: number): void {
    if (delayMs === 0) {
      queueMicrotask(() => this.#deliver(batch));
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#deliver(batch);
    }, delayMs);
    this.#timers.add(timer);
  }

  #deliver(batch: Batch): void {
    // Looked up at delivery time: a node stopped meanwhile loses what was in flight to it.
    const receiver = this.#receivers.get(batch.to);
    if (receiver === undefined || this.#closed) {
      this.#dropped += batch.messages.length;
      return;
    }
    for (const message of batch.messages) {
      this.#delivered++;
      receiver.deliver(message);
    }
  }

  #pickDelay(range: DelayRange): number {
    if (range.max === 0) return 0;
    return range.min + (range.max - range.min) * this.#random();
  }

  #faultsOf(from: NodeId, to: NodeId): LinkFaults {
    const link = this.#links.get(linkKey(from, to));
    if (link === undefined) return this.#defaults;
    return {
      dropRate: link.dropRate ?? this.#defaults.dropRate,
      duplicateRate: link.duplicateRate ?? this.#defaults.duplicateRate,
      delay: link.delay ?? this.#defaults.delay,
    };
  }

  #setFault(link: { readonly from: NodeId; readonly to: NodeId } | undefined, fault: Partial<LinkFaults>): void {
    if (link === undefined) {
      Object.assign(this.#defaults, fault);
      return;
    }
    const key = linkKey(link.from, link.to);
    this.#links.set(key, { ...this.#links.get(key), ...fault });
  }

  #assertOpen(): void {
    if (this.#closed) throw new IllegalStateError('the in-memory network is closed');
  }
}

/** The {@link Transport} of one node on an {@link InMemoryNetwork}. */
class InMemoryTransport implements Transport {
  readonly #network: InMemoryNetwork;
  readonly #nodeId: NodeId;
  #started = false;

  constructor(network: InMemoryNetwork, nodeId: NodeId) {
    this.#network = network;
    this.#nodeId = nodeId;
  }

  async start(receiver: TransportReceiver): Promise<void> {
    this.#network.attach(this.#nodeId, receiver);
    this.#started = true;
  }

  send(to: NodeId, messages: readonly RaftMessage[]): void {
    // Sending on a stopped transport loses the messages (Raft tolerates loss); never throws.
    if (!this.#started) return;
    this.#network.send(this.#nodeId, to, messages);
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#network.detach(this.#nodeId);
  }
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}\u0000${to}`;
}

function checkRate(option: string, rate: number): void {
  if (!(Number.isFinite(rate) && rate >= 0 && rate <= 1)) throw new ConfigurationError(option, `must be in [0, 1], got ${rate}`);
}

/** A small, fast, seeded PRNG (mulberry32); enough for fault decisions. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
