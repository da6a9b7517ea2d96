import { type NodeId, RAFT_MESSAGE_TYPES, type RaftMessage, type RaftMessageType, entrySize } from '@raft/abstractions';
import { InvalidArgumentError } from '@raft/abstractions';
import type { SimulationRandom } from './prng.js';

/**
 * Probabilistic faults applied to every message that a partition does not block. All draws
 * come from the cluster's seeded PRNG, in send order.
 */
export interface NetworkFaults {
  /** Probability that a message is lost. @default 0 */
  readonly dropRate: number;
  /** Probability that a message is delivered twice (each copy with its own delay). @default 0 */
  readonly duplicateRate: number;
  /** Probability that a message gets an extra delay of up to `reorderDelay` ticks, so later messages overtake it. @default 0 */
  readonly reorderRate: number;
  /** Smallest delay in ticks (0 delivers within the tick it was sent). @default 0 */
  readonly minDelay: number;
  /** Largest delay in ticks. @default 1 */
  readonly maxDelay: number;
  /** Largest extra delay in ticks of a reordered message. @default 5 */
  readonly reorderDelay: number;
}

/** The faults of a reliable network: nothing lost, duplicated or reordered, delay 0–1 tick. */
export const RELIABLE_NETWORK: NetworkFaults = {
  dropRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  minDelay: 0,
  maxDelay: 1,
  reorderDelay: 5,
};

/** Traffic counters of one message type. */
export interface MessageCounter {
  /** Messages the cores emitted. */
  sent: number;
  /** Bytes of the emitted messages (see {@link messageBytes}). */
  bytesSent: number;
  /** Copies handed to a live recipient. */
  delivered: number;
  /** Bytes of the delivered copies. */
  bytesDelivered: number;
  /** Messages lost to a partition, a random drop or a crashed recipient. */
  dropped: number;
  /** Extra copies created by duplication. */
  duplicated: number;
}

/** Fixed per-message overhead counted by {@link messageBytes}. */
export const MESSAGE_HEADER_BYTES = 32;

/**
 * An accounting size for a message: a fixed header plus entry sizes ({@link entrySize}) and
 * snapshot data. Used for the byte counters; not the encoded wire size.
 */
export function messageBytes(message: RaftMessage): number {
  switch (message.type) {
    case 'AppendEntries': {
      let bytes = MESSAGE_HEADER_BYTES + 24;
      for (const entry of message.entries) bytes += entrySize(entry);
      return bytes;
    }
    case 'InstallSnapshot':
      return MESSAGE_HEADER_BYTES + 32 + message.data.byteLength;
    case 'RequestVote':
    case 'RequestVoteResponse':
    case 'AppendEntriesResponse':
    case 'InstallSnapshotResponse':
    case 'TimeoutNow':
      return MESSAGE_HEADER_BYTES + 16;
  }
}

function emptyCounter(): MessageCounter {
  return { sent: 0, bytesSent: 0, delivered: 0, bytesDelivered: 0, dropped: 0, duplicated: 0 };
}

/**
 * The simulated network: per-link reachability (one-way blocks, so symmetric and asymmetric
 * partitions are both expressible) and seeded loss, duplication, delay and reordering.
 * It decides each message's fate; the cluster's scheduler carries the copies.
 *
 * Invariant: a link's state is checked both when a message is sent and when it would be
 * delivered, so a partition installed while a message is in flight also loses it.
 */
export class SimulatedNetwork {
  private readonly ids: readonly NodeId[];
  private readonly index: ReadonlyMap<NodeId, number>;
  /** `blocked[from * n + to]`: messages from `from` to `to` are lost. */
  private readonly blocked: Uint8Array;
  private readonly random: SimulationRandom;
  private currentFaults: NetworkFaults;
  private readonly counters: Record<RaftMessageType, MessageCounter>;

  constructor(ids: readonly NodeId[], random: SimulationRandom, faults: NetworkFaults = RELIABLE_NETWORK) {
    this.ids = ids;
    this.index = new Map(ids.map((id, i) => [id, i]));
    this.blocked = new Uint8Array(ids.length * ids.length);
    this.random = random;
    this.currentFaults = validateFaults(faults);
    this.counters = Object.fromEntries(RAFT_MESSAGE_TYPES.map((type) => [type, emptyCounter()])) as Record<
      RaftMessageType,
      MessageCounter
    >;
  }

  /** The probabilistic faults in force. */
  get faults(): NetworkFaults {
    return this.currentFaults;
  }

  /** Replaces some of the probabilistic faults (the rest keep their values). */
  setFaults(faults: Partial<NetworkFaults>): void {
    this.currentFaults = validateFaults({ ...this.currentFaults, ...faults });
  }

  /** Blocks messages from `from` to `to` only (a one-way partition). */
  blockLink(from: NodeId, to: NodeId): void {
    this.setLink(from, to, true);
  }

  /** Unblocks messages from `from` to `to`. */
  unblockLink(from: NodeId, to: NodeId): void {
    this.setLink(from, to, false);
  }

  /** Blocks both directions between `a` and `b` (a symmetric partition of one link). */
  cut(a: NodeId, b: NodeId): void {
    this.setLink(a, b, true);
    this.setLink(b, a, true);
  }

  /** Restores both directions between `a` and `b`. */
  mend(a: NodeId, b: NodeId): void {
    this.setLink(a, b, false);
    this.setLink(b, a, false);
  }

  /** Cuts every link of `id`, both directions. */
  isolate(id: NodeId): void {
    for (const other of this.ids) if (other !== id) this.cut(id, other);
  }

  /** Restores every link of `id`, both directions. */
  reconnect(id: NodeId): void {
    for (const other of this.ids) if (other !== id) this.mend(id, other);
  }

  /**
   * Partitions the cluster into groups: links inside a group work, links between groups are
   * cut both ways. A node named in no group is isolated on its own.
   * @throws InvalidArgumentError when a node is unknown or appears in two groups.
   */
  partition(groups: readonly (readonly NodeId[])[]): void {
    const groupOf = new Map<NodeId, number>();
    groups.forEach((group, g) => {
      for (const id of group) {
        this.indexOf(id);
        if (groupOf.has(id)) throw new InvalidArgumentError(`node ${id} appears in two partition groups`);
        groupOf.set(id, g);
      }
    });
    let lone = groups.length;
    for (const id of this.ids) if (!groupOf.has(id)) groupOf.set(id, lone++);
    for (const from of this.ids) {
      for (const to of this.ids) {
        if (from !== to) this.setLink(from, to, groupOf.get(from) !== groupOf.get(to));
      }
    }
  }

  /** Restores every link (probabilistic faults stay as set). */
  healAll(): void {
    this.blocked.fill(0);
  }

  /** `true` when messages from `from` to `to` currently get through (before random faults). */
  isLinkUp(from: NodeId, to: NodeId): boolean {
    return this.blocked[this.indexOf(from) * this.ids.length + this.indexOf(to)] === 0;
  }

  /** `true` when some link is blocked. */
  hasPartition(): boolean {
    return this.blocked.some((b) => b !== 0);
  }

  /**
   * Decides the fate of one sent message and counts it: the delays in ticks of each copy to
   * deliver (empty when lost, two entries when duplicated).
   */
  route(message: RaftMessage): number[] {
    const counter = this.counters[message.type];
    const bytes = messageBytes(message);
    counter.sent++;
    counter.bytesSent += bytes;
    const faults = this.currentFaults;
    if (!this.isLinkUpFast(message.from, message.to) || this.random.chance(faults.dropRate)) {
      counter.dropped++;
      return [];
    }
    const delays = [this.drawDelay(faults)];
    if (this.random.chance(faults.duplicateRate)) {
      counter.duplicated++;
      delays.push(this.drawDelay(faults));
    }
    return delays;
  }

  /**
   * Called when a copy is due: `true` (and counted as delivered) when the link is still up
   * and the recipient is alive, otherwise counted as dropped.
   */
  arrive(message: RaftMessage, recipientAlive: boolean): boolean {
    const counter = this.counters[message.type];
    if (!recipientAlive || !this.isLinkUpFast(message.from, message.to)) {
      counter.dropped++;
      return false;
    }
    counter.delivered++;
    counter.bytesDelivered += messageBytes(message);
    return true;
  }

  /** A copy of the per-type traffic counters. */
  messageCounters(): Record<RaftMessageType, MessageCounter> {
    return Object.fromEntries(RAFT_MESSAGE_TYPES.map((type) => [type, { ...this.counters[type] }])) as Record<
      RaftMessageType,
      MessageCounter
    >;
  }

  /** Totals over every message type. */
  totals(): MessageCounter {
    const total = emptyCounter();
    for (const type of RAFT_MESSAGE_TYPES) {
      const c = this.counters[type];
      total.sent += c.sent;
      total.bytesSent += c.bytesSent;
      total.delivered += c.delivered;
      total.bytesDelivered += c.bytesDelivered;
      total.dropped += c.dropped;
      total.duplicated += c.duplicated;
    }
    return total;
  }

  private drawDelay(faults: NetworkFaults): number {
    let delay = this.random.int(faults.minDelay, faults.maxDelay);
    if (this.random.chance(faults.reorderRate)) delay += this.random.int(1, faults.reorderDelay);
    return delay;
  }

  private isLinkUpFast(from: NodeId, to: NodeId): boolean {
    const f = this.index.get(from);
    const t = this.index.get(to);
    // A message to or from a node outside the cluster has no link to travel on.
    if (f === undefined || t === undefined) return false;
    return this.blocked[f * this.ids.length + t] === 0;
  }

  private indexOf(id: NodeId): number {
    const i = this.index.get(id);
    if (i === undefined) throw new InvalidArgumentError(`unknown node ${JSON.stringify(id)}`);
    return i;
  }

  private setLink(from: NodeId, to: NodeId, blocked: boolean): void {
    const f = this.indexOf(from);
    const t = this.indexOf(to);
    if (f === t) return;
    this.blocked[f * this.ids.length + t] = blocked ? 1 : 0;
  }
}

function validateFaults(faults: NetworkFaults): NetworkFaults {
  for (const name of ['dropRate', 'duplicateRate', 'reorderRate'] as const) {
    const p = faults[name];
    if (!(p >= 0 && p <= 1)) throw new InvalidArgumentError(`network fault ${name} must be a probability in [0, 1], got ${p}`);
  }
  for (const name of ['minDelay', 'maxDelay', 'reorderDelay'] as const) {
    const d = faults[name];
    if (!Number.isSafeInteger(d) || d < 0) throw new InvalidArgumentError(`network fault ${name} must be a non-negative integer of ticks, got ${d}`);
  }
  if (faults.maxDelay < faults.minDelay) {
    throw new InvalidArgumentError(`network fault maxDelay (${faults.maxDelay}) is below minDelay (${faults.minDelay})`);
  }
  return { ...faults };
}
