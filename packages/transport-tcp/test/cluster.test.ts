/**
 * Hosted Raft clusters of 3, 5 and 7 nodes over real TCP on 127.0.0.1, each node with its own
 * write-ahead log (`@raft/storage-wal`) in a temporary directory: election, replication, a stopped
 * leader replaced, a stopped minority, and restarted nodes catching up from their WAL (issue 6).
 * Conditions are polled with a deadline; nothing asserts on timing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CommittedCommand, NodeId, type StateMachine } from '@raft/abstractions';
import { type NodeOptions, type RaftNode, RaftNodeBuilder } from '@raft/hosting';
import { walStorage } from '@raft/storage-wal';
import { afterEach, describe, expect, it } from 'vitest';
import { type PeerAddress, type TcpTransport, tcpTransport } from '../src/index.js';
import { captureLogger, waitFor } from './helpers.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `key=value` commands; the state is the map. */
class KeyValueStore implements StateMachine<string | undefined> {
  readonly data = new Map<string, string>();
  apply(command: CommittedCommand): string | undefined {
    const [key = '', value = ''] = decoder.decode(command.payload).split('=');
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
    this.data.clear();
    for (const [k, v] of JSON.parse(decoder.decode(Buffer.concat(parts))) as [string, string][]) this.data.set(k, v);
  }
}

/** Election timeout 10–20 ticks of 10 ms; heartbeats every tick. */
const OPTIONS: NodeOptions = { tickMs: 10, electionTicks: 10, heartbeatTicks: 1, stopTimeoutMs: 0 };
const CLUSTER = 'tcp-cluster-test';

interface Member {
  readonly id: NodeId;
  readonly dir: string;
  port: number;
  node: RaftNode<string | undefined>;
  transport: TcpTransport;
  sm: KeyValueStore;
  running: boolean;
}

class TcpCluster {
  readonly ids: NodeId[];
  readonly peers: Record<string, PeerAddress> = {};
  readonly members = new Map<NodeId, Member>();
  readonly root = mkdtempSync(join(tmpdir(), 'raft-tcp-cluster-'));
  readonly logger = captureLogger();

  constructor(size: number) {
    this.ids = Array.from({ length: size }, (_, i) => NodeId(`n${i + 1}`));
  }

  #build(id: NodeId, dir: string, port: number): Pick<Member, 'node' | 'transport' | 'sm'> {
    const transport = tcpTransport({
      nodeId: id,
      clusterId: CLUSTER,
      listen: { host: '127.0.0.1', port },
      peers: this.peers,
      reconnect: { initialMs: 20, maxMs: 200 },
      logger: this.logger,
    });
    const sm = new KeyValueStore();
    const node = new RaftNodeBuilder()
      .withNodeId(id)
      .withPeers(this.ids)
      .withStorage(walStorage({ dir }))
      .withTransport(transport)
      .withPeerDirectory(transport)
      .withStateMachine(sm)
      .withOptions(OPTIONS)
      .build();
    return { node, transport, sm };
  }

  async start(): Promise<void> {
    for (const id of this.ids) {
      const dir = join(this.root, id);
      const member: Member = { id, dir, port: 0, ...this.#build(id, dir, 0), running: false };
      this.members.set(id, member);
    }
    await Promise.all(this.ids.map((id) => this.#startMember(id)));
  }

  async #startMember(id: NodeId): Promise<void> {
    const m = this.member(id);
    await m.node.start();
    m.port = (m.transport.address() as PeerAddress).port;
    this.peers[id] = { host: '127.0.0.1', port: m.port };
    m.running = true;
  }

  member(id: NodeId): Member {
    return this.members.get(id) as Member;
  }

  async stopMember(id: NodeId): Promise<void> {
    const m = this.member(id);
    m.running = false;
    await m.node.stop({ timeoutMs: 0 });
  }

  /** A new node process, as far as the cluster can tell: new transport on the same port, same WAL directory. */
  async restartMember(id: NodeId): Promise<void> {
    const m = this.member(id);
    Object.assign(m, this.#build(id, m.dir, m.port));
    await this.#startMember(id);
  }

  running(): Member[] {
    return [...this.members.values()].filter((m) => m.running);
  }

  async waitForLeader(): Promise<Member> {
    let leader: Member | undefined;
    await waitFor(
      () => {
        const leaders = this.running().filter((m) => m.node.role === 'leader');
        if (leaders.length !== 1) return false;
        const candidate = leaders[0] as Member;
        if (!this.running().every((m) => m.node.leaderId === candidate.id)) return false;
        leader = candidate;
        return true;
      },
      'one leader that every running node follows',
      20_000,
    );
    return leader as Member;
  }

  /** Submits `key=value` commands to the leader, retrying redirects and timeouts until all commit. */
  async write(prefix: string, count: number): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const leader = await this.waitForLeader();
      const results = await Promise.all(
        Array.from({ length: count }, (_, i) => leader.node.submit(encoder.encode(`${prefix}${i}=${prefix}-value-${i}`), { timeoutMs: 5000 })),
      );
      if (results.every((r) => r.status === 'committed')) return;
    }
    throw new Error(`could not commit ${prefix}*`);
  }

  /** Waits until every running node's state machine holds all `count` keys of `prefix`. */
  async expectReplicated(prefix: string, count: number, on: readonly Member[] = this.running()): Promise<void> {
    await waitFor(
      () => on.every((m) => Array.from({ length: count }, (_, i) => m.sm.data.get(`${prefix}${i}`) === `${prefix}-value-${i}`).every(Boolean)),
      `${prefix}0..${count - 1} applied on ${on.map((m) => m.id).join(', ')}`,
      20_000,
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.running().map((m) => this.stopMember(m.id)));
    rmSync(this.root, { recursive: true, force: true });
  }
}

let cluster: TcpCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

describe.each([3, 5, 7])('a %i-node cluster over TCP with WAL storage', (size) => {
  it('elects one leader and replicates commands to every node', { timeout: 60_000 }, async () => {
    cluster = new TcpCluster(size);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    await cluster.write('a', 50);
    await cluster.expectReplicated('a', 50);
    expect(cluster.running().every((m) => m.node.leaderId === leader.id)).toBe(true);
    // The leader hears every follower, and every follower the leader, over authenticated connections.
    const followers = cluster.running().filter((m) => m.id !== leader.id);
    expect(leader.transport.stats().inboundPeers).toEqual(followers.map((m) => m.id).sort());
    for (const m of followers) expect(m.transport.stats().inboundPeers).toContain(leader.id);
    expect(cluster.logger.warnings()).toEqual([]);
  });

  it('replaces a stopped leader and keeps committing', { timeout: 60_000 }, async () => {
    cluster = new TcpCluster(size);
    await cluster.start();
    await cluster.write('before', 20);
    const old = await cluster.waitForLeader();
    await cluster.stopMember(old.id);
    const next = await cluster.waitForLeader();
    expect(next.id).not.toBe(old.id);
    await cluster.write('after', 20);
    await cluster.expectReplicated('before', 20);
    await cluster.expectReplicated('after', 20);
  });

  it('keeps committing with a minority stopped; the stopped nodes restart from their WAL and catch up', { timeout: 90_000 }, async () => {
    cluster = new TcpCluster(size);
    await cluster.start();
    await cluster.write('early', 20);
    await cluster.expectReplicated('early', 20);
    const leader = await cluster.waitForLeader();
    const minority = cluster.ids.filter((id) => id !== leader.id).slice(0, Math.floor((size - 1) / 2));
    await Promise.all(minority.map((id) => cluster?.stopMember(id)));
    await cluster.write('during', 30);
    await cluster.expectReplicated('during', 30);
    for (const id of minority) await cluster.restartMember(id);
    const restarted = minority.map((id) => cluster?.member(id) as Member);
    // Their WAL gives back what they had; the leader sends the rest over the new connections.
    await cluster.expectReplicated('early', 20, restarted);
    await cluster.expectReplicated('during', 30, restarted);
    await cluster.write('late', 10);
    await cluster.expectReplicated('late', 10);
  });

  it('restarts as a whole from the WAL alone with every committed value', { timeout: 60_000 }, async () => {
    cluster = new TcpCluster(size);
    await cluster.start();
    await cluster.write('durable', 25);
    await cluster.expectReplicated('durable', 25);
    await Promise.all(cluster.ids.map((id) => cluster?.stopMember(id)));
    // No node keeps anything in memory: what comes back comes from disk.
    await Promise.all(cluster.ids.map((id) => cluster?.restartMember(id)));
    await cluster.expectReplicated('durable', 25);
    await cluster.write('fresh', 5);
    await cluster.expectReplicated('fresh', 5);
  });
});
