/**
 * Test support: a small key-value state machine and a hosted cluster on an in-memory network
 * with real timers. Conditions are polled with a deadline; nothing asserts on timing.
 */
import { type CommittedCommand, NodeId, type StateMachine, type StorageProvider } from '@raft/abstractions';
import { memoryStorage } from '@raft/storage-memory';
import { InMemoryNetwork } from '@raft/transport-inmemory';
import { type MembershipResult, type NodeOptions, type RaftNode, RaftNodeBuilder } from '../src/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `set key value` commands; apply returns the previous value. Records the applied order. */
export class KeyValueStore implements StateMachine<string | undefined> {
  readonly data = new Map<string, string>();
  readonly applied: { index: number; term: number; command: string }[] = [];

  apply(command: CommittedCommand): string | undefined {
    const text = decoder.decode(command.payload);
    this.applied.push({ index: command.index, term: command.term, command: text });
    const [key = '', value = ''] = text.split('=');
    const previous = this.data.get(key);
    this.data.set(key, value);
    return previous;
  }

  async *exportSnapshot(): AsyncIterable<Uint8Array> {
    yield encoder.encode(JSON.stringify([...this.data]));
  }

  async importSnapshot(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    const text = decoder.decode(Buffer.concat(parts));
    this.data.clear();
    for (const [k, v] of JSON.parse(text) as [string, string][]) this.data.set(k, v);
  }
}

export function set(key: string, value: string): Uint8Array {
  return encoder.encode(`${key}=${value}`);
}

/** Short ticks keep tests quick; election timeout 10–20 ticks = 50–100 ms. */
export const FAST: NodeOptions = { tickMs: 5, electionTicks: 10, heartbeatTicks: 1, stopTimeoutMs: 0 };

export interface Member {
  readonly id: NodeId;
  node: RaftNode<string | undefined>;
  sm: KeyValueStore;
  readonly storage: StorageProvider;
  running: boolean;
  /** Built with `joining()` (added to the running cluster later) rather than `withPeers`. */
  readonly joined: boolean;
}

/** A cluster of hosted nodes on one in-memory network. */
export class Cluster {
  readonly network: InMemoryNetwork;
  readonly ids: NodeId[];
  readonly members = new Map<NodeId, Member>();
  readonly options: NodeOptions;
  readonly #storage: (id: NodeId) => StorageProvider;

  constructor(size: number, options: NodeOptions = FAST, storage: (id: NodeId) => StorageProvider = () => memoryStorage()) {
    this.network = new InMemoryNetwork({ seed: size });
    this.ids = Array.from({ length: size }, (_, i) => NodeId(`n${i + 1}`));
    this.options = options;
    this.#storage = storage;
    for (const id of this.ids) {
      const sm = new KeyValueStore();
      const provider = storage(id);
      this.members.set(id, { id, sm, storage: provider, node: this.#build(id, sm, provider, false), running: false, joined: false });
    }
  }

  /**
   * Builds a new, empty node that joins the running cluster (`joining()`: no bootstrap voters)
   * and starts it unless `start` is false. It is not a member until the leader adds it.
   */
  async join(id: NodeId, options: { readonly start?: boolean } = {}): Promise<Member> {
    if (this.members.has(id)) throw new Error(`member ${id} exists`);
    const sm = new KeyValueStore();
    const storage = this.#storage(id);
    const member: Member = { id, sm, storage, node: this.#build(id, sm, storage, true), running: false, joined: true };
    this.members.set(id, member);
    if (options.start !== false) await this.startMember(id);
    return member;
  }

  #build(id: NodeId, sm: KeyValueStore, storage: StorageProvider, joined: boolean): RaftNode<string | undefined> {
    const builder = new RaftNodeBuilder();
    if (joined) builder.joining();
    else builder.withPeers(this.ids);
    return builder
      .withNodeId(id)
      .withStorage(storage)
      .withTransport(this.network.transport(id))
      .withPeerDirectory(this.network.directory())
      .withStateMachine(sm)
      .withOptions(this.options)
      .build();
  }

  member(id: NodeId): Member {
    const m = this.members.get(id);
    if (m === undefined) throw new Error(`no member ${id}`);
    return m;
  }

  node(id: NodeId): RaftNode<string | undefined> {
    return this.member(id).node;
  }

  async start(): Promise<void> {
    await Promise.all([...this.members.values()].map((m) => this.startMember(m.id)));
  }

  async startMember(id: NodeId): Promise<void> {
    const m = this.member(id);
    await m.node.start();
    m.running = true;
  }

  /** Stops a node (a crash as far as the others can tell; the storage survives). */
  async stopMember(id: NodeId): Promise<void> {
    const m = this.member(id);
    m.running = false;
    await m.node.stop({ timeoutMs: 0 });
  }

  /** A new RaftNode with a fresh state machine on the same storage provider (a restart). */
  async restartMember(id: NodeId): Promise<void> {
    const m = this.member(id);
    m.sm = new KeyValueStore();
    m.node = this.#build(id, m.sm, m.storage, m.joined);
    await this.startMember(id);
  }

  running(): Member[] {
    return [...this.members.values()].filter((m) => m.running);
  }

  /** The running leaders, as seen by themselves (default: among every node ever built). */
  leaders(among: readonly NodeId[] = [...this.members.keys()]): Member[] {
    return this.running().filter((m) => among.includes(m.id) && m.node.role === 'leader');
  }

  /** Waits until exactly one node among `among` is leader and every running node in `among` follows it. */
  async waitForLeader(among: readonly NodeId[] = [...this.members.keys()], timeoutMs = 10_000): Promise<Member> {
    let found: Member | undefined;
    await waitFor(
      () => {
        const leaders = this.leaders(among);
        if (leaders.length !== 1) return false;
        const leader = leaders[0] as Member;
        const agree = this.running()
          .filter((m) => among.includes(m.id))
          .every((m) => m.node.leaderId === leader.id);
        if (agree) found = leader;
        return agree;
      },
      timeoutMs,
      `a single leader among ${among.join(', ')}`,
    );
    return found as Member;
  }

  async stop(): Promise<void> {
    await Promise.all(this.running().map((m) => this.stopMember(m.id)));
    this.network.close();
  }
}

/** Polls `condition` every few milliseconds until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A command a writer got `committed` for. Keys are unique, so the value identifies the command. */
export interface Acked {
  readonly key: string;
  readonly value: string;
  readonly index: number;
  readonly term: number;
}

/**
 * Clients that keep writing to whichever running node is leader while a test changes the
 * cluster, each command under a fresh key (nothing is retried under the same key, so an
 * `unknown` outcome never hides a loss). `acked` collects every `committed` answer.
 */
export class Writers {
  readonly acked: Acked[] = [];
  /** Answers other than `committed`, by status (redirects, refusals, timeouts while membership moves). */
  readonly other = new Map<string, number>();
  readonly #cluster: Cluster;
  #stopping = false;
  #loops: Promise<void>[] = [];

  constructor(cluster: Cluster) {
    this.#cluster = cluster;
  }

  start(clients = 3): this {
    for (let c = 0; c < clients; c++) this.#loops.push(this.#loop(c));
    return this;
  }

  async #loop(client: number): Promise<void> {
    let seq = 0;
    while (!this.#stopping) {
      const leader = this.#cluster.running().find((m) => m.node.role === 'leader' && m.node.lifecycle === 'running');
      if (leader === undefined) {
        await sleep(5);
        continue;
      }
      seq++;
      const key = `w${client}-${seq}`;
      const value = `${leader.id}:${seq}`;
      const result = await leader.node.submit(set(key, value), { timeoutMs: 1000 });
      if (result.status === 'committed') this.acked.push({ key, value, index: result.index, term: result.term });
      else this.other.set(result.status, (this.other.get(result.status) ?? 0) + 1);
      await sleep(1);
    }
  }

  /** Waits until `count` more commands are acknowledged than now. */
  async waitForMore(count: number, timeoutMs = 10_000): Promise<void> {
    const target = this.acked.length + count;
    await waitFor(() => this.acked.length >= target, timeoutMs, `${count} more acknowledged commands`);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#loops);
  }
}

/**
 * Zero lost acknowledged commands: every `committed` answer is applied on every node of
 * `finals`, and those nodes converge to the same state.
 */
export async function expectEveryAckApplied(cluster: Cluster, finals: readonly NodeId[], acked: readonly Acked[]): Promise<void> {
  const maxIndex = Math.max(0, ...acked.map((a) => a.index));
  await waitFor(() => finals.every((id) => cluster.node(id).appliedIndex >= maxIndex), 10_000, `every final member to apply index ${maxIndex}`);
  for (const id of finals) {
    const data = cluster.member(id).sm.data;
    const lost = acked.filter((a) => data.get(a.key) !== a.value);
    if (lost.length > 0) throw new Error(`${id} lost ${lost.length} acknowledged commands, e.g. ${JSON.stringify(lost.slice(0, 3))}`);
  }
  const reference = cluster.node(finals[0] as NodeId);
  await waitFor(
    () => finals.every((id) => cluster.node(id).appliedIndex === reference.appliedIndex && cluster.node(id).appliedIndex >= reference.status().commitIndex),
    10_000,
    'the final members to apply the same index',
  );
  const expected = JSON.stringify([...cluster.member(reference.id).sm.data].sort());
  for (const id of finals) {
    if (JSON.stringify([...cluster.member(id).sm.data].sort()) !== expected) throw new Error(`${id} has a different state than ${reference.id}`);
  }
}

/**
 * Runs a membership call on the current leader of `among`, again while it is redirected or
 * refused for a retryable reason (a just-elected leader answers `leaderNotReady`).
 */
export async function onLeader(
  cluster: Cluster,
  among: readonly NodeId[],
  call: (node: RaftNode<string | undefined>) => Promise<MembershipResult>,
  timeoutMs = 10_000,
): Promise<MembershipResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The newest leader among `among` (nodes not yet added do not know any leader).
    let leader: Member | undefined;
    await waitFor(
      () => {
        leader = cluster.leaders(among).sort((a, b) => b.node.status().term - a.node.status().term)[0];
        return leader !== undefined;
      },
      timeoutMs,
      `a leader among ${among.join(', ')}`,
    );
    const result = await call((leader as Member).node);
    const again = result.status === 'redirected' || (result.status === 'rejected' && result.retryable);
    if (!again || Date.now() > deadline) return result;
    await sleep(10);
  }
}
