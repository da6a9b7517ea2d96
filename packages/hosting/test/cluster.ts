/**
 * Test support: a small key-value state machine and a hosted cluster on an in-memory network
 * with real timers. Conditions are polled with a deadline; nothing asserts on timing.
 */
import { type CommittedCommand, NodeId, type StateMachine, type StorageProvider } from '@raft/abstractions';
import { memoryStorage } from '@raft/storage-memory';
import { InMemoryNetwork } from '@raft/transport-inmemory';
import { type NodeOptions, type RaftNode, RaftNodeBuilder } from '../src/index.js';

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
}

/** A cluster of hosted nodes on one in-memory network. */
export class Cluster {
  readonly network: InMemoryNetwork;
  readonly ids: NodeId[];
  readonly members = new Map<NodeId, Member>();
  readonly options: NodeOptions;

  constructor(size: number, options: NodeOptions = FAST, storage: (id: NodeId) => StorageProvider = () => memoryStorage()) {
    this.network = new InMemoryNetwork({ seed: size });
    this.ids = Array.from({ length: size }, (_, i) => NodeId(`n${i + 1}`));
    this.options = options;
    for (const id of this.ids) {
      const sm = new KeyValueStore();
      const provider = storage(id);
      this.members.set(id, { id, sm, storage: provider, node: this.#build(id, sm, provider), running: false });
    }
  }

  #build(id: NodeId, sm: KeyValueStore, storage: StorageProvider): RaftNode<string | undefined> {
    return new RaftNodeBuilder()
      .withNodeId(id)
      .withPeers(this.ids)
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
    m.node = this.#build(id, m.sm, m.storage);
    await this.startMember(id);
  }

  running(): Member[] {
    return [...this.members.values()].filter((m) => m.running);
  }

  /** The running leaders of the highest term, as seen by themselves. */
  leaders(among: readonly NodeId[] = this.ids): Member[] {
    return this.running().filter((m) => among.includes(m.id) && m.node.role === 'leader');
  }

  /** Waits until exactly one node among `among` is leader and every running node in `among` follows it. */
  async waitForLeader(among: readonly NodeId[] = this.ids, timeoutMs = 10_000): Promise<Member> {
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
