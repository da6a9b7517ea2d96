import { NodeId, type StorageProvider, isRaftError } from '@raft/abstractions';
import { memoryStorage } from '@raft/storage-memory';
import { CapturingEventSink, CapturingMetricSink } from '@raft/telemetry-noop';
import { InMemoryNetwork } from '@raft/transport-inmemory';
import { afterEach, describe, expect, it } from 'vitest';
import { type NodeOptions, type RaftNode, RaftNodeBuilder } from '../src/index.js';
import { Cluster, FAST, KeyValueStore, set, waitFor } from './cluster.js';

const n1 = NodeId('n1');
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

function single(options: NodeOptions = FAST, storage: StorageProvider = memoryStorage()): RaftNode<string | undefined> {
  const node = new RaftNodeBuilder().withNodeId(n1).withPeers([]).withStorage(storage).withStateMachine(new KeyValueStore()).withOptions(options).build();
  cleanup.push(() => node.stop({ timeoutMs: 0 }));
  return node;
}

async function leaderOfOne(options: NodeOptions = FAST): Promise<RaftNode<string | undefined>> {
  const node = single(options);
  await node.start();
  await waitFor(() => node.role === 'leader', 5000, 'the single node to lead');
  return node;
}

describe('a single-node cluster', () => {
  it('elects itself and commits, returning the state machine result', async () => {
    const node = await leaderOfOne();
    expect(await node.submit(set('a', '1'))).toMatchObject({ status: 'committed', result: undefined });
    expect(await node.submit(set('a', '2'))).toMatchObject({ status: 'committed', result: '1' });
  });
});

describe('every rejection path', () => {
  it('before start: rejected notStarted with NODE_NOT_STARTED; status() throws NODE_NOT_STARTED', async () => {
    const node = single();
    const result = await node.submit(set('a', '1'));
    expect(result).toMatchObject({ status: 'rejected', reason: 'notStarted', retryable: false });
    expect(result.status === 'rejected' && result.error?.code).toBe('NODE_NOT_STARTED');
    expect(await node.read()).toMatchObject({ status: 'rejected', reason: 'notStarted' });
    expect(() => node.status()).toThrow(expect.objectContaining({ code: 'NODE_NOT_STARTED' }));
  });

  it('after stop: rejected stopping with NODE_STOPPED; start() again rejects with NODE_STOPPED', async () => {
    const node = await leaderOfOne();
    await node.stop();
    const result = await node.submit(set('a', '1'));
    expect(result).toMatchObject({ status: 'rejected', reason: 'stopping' });
    expect(result.status === 'rejected' && result.error?.code).toBe('NODE_STOPPED');
    expect(await node.transferLeadership()).toMatchObject({ status: 'rejected', reason: 'stopping' });
    await expect(node.start()).rejects.toSatisfy((e) => isRaftError(e, 'NODE_STOPPED'));
    expect(node.lifecycle).toBe('stopped');
  });

  it('a command above maxCommandBytes: rejected tooLarge with COMMAND_TOO_LARGE', async () => {
    const node = await leaderOfOne({ ...FAST, maxCommandBytes: 16 });
    const result = await node.submit(new Uint8Array(17));
    expect(result).toMatchObject({ status: 'rejected', reason: 'tooLarge', retryable: false });
    expect(result.status === 'rejected' && result.error?.code).toBe('COMMAND_TOO_LARGE');
    expect((await node.submit(new Uint8Array(16))).status).toBe('committed');
  });

  it('a full mailbox: rejected overloaded with MAILBOX_FULL (retryable), and nothing is lost', async () => {
    const node = await leaderOfOne({ ...FAST, mailboxCapacity: 2 });
    const results = await Promise.all([1, 2, 3, 4].map((i) => node.submit(set(`k${i}`, 'v'))));
    expect(results.map((r) => r.status)).toEqual(['committed', 'committed', 'rejected', 'rejected']);
    const rejected = results[2];
    expect(rejected).toMatchObject({ reason: 'overloaded', retryable: true });
    expect(rejected?.status === 'rejected' && rejected.error?.code).toBe('MAILBOX_FULL');
  });

  it('no leader known: rejected noLeader (retryable)', async () => {
    const network = new InMemoryNetwork();
    const ids = [NodeId('n1'), NodeId('n2'), NodeId('n3')];
    const node = new RaftNodeBuilder().withNodeId(ids[0] as NodeId).withPeers(ids).withTransport(network.transport(ids[0] as NodeId)).withStateMachine(new KeyValueStore()).withOptions(FAST).build();
    cleanup.push(async () => {
      await node.stop({ timeoutMs: 0 });
      network.close();
    });
    await node.start();
    expect(await node.submit(set('a', '1'))).toMatchObject({ status: 'rejected', reason: 'noLeader', retryable: true });
    expect(await node.read()).toMatchObject({ status: 'rejected', reason: 'noLeader' });
  });

  it('the uncommitted limit of a cut-off leader: rejected overloaded, definitely not committed', async () => {
    const cluster = new Cluster(3, { ...FAST, maxUncommittedBytes: 200 });
    cleanup.push(() => cluster.stop());
    await cluster.start();
    const leader = await cluster.waitForLeader();
    cluster.network.isolate(leader.id);
    const results = await Promise.all(Array.from({ length: 10 }, () => leader.node.submit(new Uint8Array(100), { timeoutMs: 300 })));
    const statuses = results.map((r) => (r.status === 'rejected' ? r.reason : r.status));
    expect(statuses).toContain('overloaded');
    expect(statuses).not.toContain('committed');
  });

  it('an already aborted signal: cancelled, not committed; aborting while queued: cancelled notCommitted', async () => {
    const node = await leaderOfOne();
    expect(await node.submit(set('a', '1'), { signal: AbortSignal.abort() })).toEqual({ status: 'cancelled', reason: 'aborted', outcome: 'notCommitted' });
    const controller = new AbortController();
    const pending = node.submit(set('b', '1'), { signal: controller.signal });
    controller.abort(); // before the loop's next turn: still in the mailbox
    expect(await pending).toEqual({ status: 'cancelled', reason: 'aborted', outcome: 'notCommitted' });
    await node.read();
    expect(node.logInfo(5).recent.filter((e) => e.kind === 'command')).toHaveLength(0);
  });

  it('aborting after the command reached the log of a cut-off leader: cancelled with outcome unknown', async () => {
    const cluster = new Cluster(3);
    cleanup.push(() => cluster.stop());
    await cluster.start();
    const leader = await cluster.waitForLeader();
    cluster.network.isolate(leader.id);
    const controller = new AbortController();
    const pending = leader.node.submit(set('x', '1'), { signal: controller.signal });
    await waitFor(() => leader.node.logInfo(1).recent[0]?.kind === 'command', 2000, 'the command in the leader log');
    controller.abort();
    expect(await pending).toEqual({ status: 'cancelled', reason: 'aborted', outcome: 'unknown' });
  });

  it('stop() answers commands in a cut-off leader log cancelled/stopped with outcome unknown', async () => {
    const cluster = new Cluster(3);
    cleanup.push(() => cluster.stop());
    await cluster.start();
    const leader = await cluster.waitForLeader();
    cluster.network.isolate(leader.id);
    const pending = leader.node.submit(set('x', '1'));
    await waitFor(() => leader.node.status().pendingRequests === 1 && leader.node.logInfo(1).recent[0]?.kind === 'command', 2000, 'the command in the log');
    await cluster.stopMember(leader.id);
    expect(await pending).toEqual({ status: 'cancelled', reason: 'stopped', outcome: 'unknown' });
  });

  it('a leadership transfer in progress: rejected transferInProgress', async () => {
    const cluster = new Cluster(3);
    cleanup.push(() => cluster.stop());
    await cluster.start();
    const leader = await cluster.waitForLeader();
    const target = cluster.ids.find((id) => id !== leader.id) as NodeId;
    cluster.network.isolate(target); // the target cannot catch up: the transfer stays in progress
    const transfer = leader.node.transferLeadership(target);
    const second = await leader.node.transferLeadership(target);
    expect(second).toMatchObject({ status: 'rejected', reason: 'transferInProgress' });
    const during = await leader.node.submit(set('during', 'transfer'));
    expect(during).toMatchObject({ status: 'rejected', reason: 'transferInProgress', retryable: true });
    expect(await transfer).toEqual({ status: 'timedOut' });
  });

  it('a transfer to a node that is not a voter: rejected invalidTarget', async () => {
    const node = await leaderOfOne();
    expect(await node.transferLeadership(NodeId('nobody'))).toMatchObject({ status: 'rejected', reason: 'invalidTarget' });
  });

  it('bad arguments reject with INVALID_ARGUMENT', async () => {
    const node = await leaderOfOne();
    await expect(node.submit('text' as unknown as Uint8Array)).rejects.toSatisfy((e) => isRaftError(e, 'INVALID_ARGUMENT'));
    await expect(node.submit(set('a', '1'), { timeoutMs: -1 })).rejects.toSatisfy((e) => isRaftError(e, 'INVALID_ARGUMENT'));
    await expect(node.read({ timeoutMs: Number.NaN })).rejects.toSatisfy((e) => isRaftError(e, 'INVALID_ARGUMENT'));
    await expect(node.stop({ timeoutMs: -5 })).rejects.toSatisfy((e) => isRaftError(e, 'INVALID_ARGUMENT'));
    expect(() => node.logInfo(-1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('the builder validates configuration and names the option', () => {
  const sm = new KeyValueStore();
  const base = (): RaftNodeBuilder<string | undefined> => new RaftNodeBuilder().withNodeId('n1').withPeers([]).withStateMachine(sm);
  const cases: [string, () => unknown][] = [
    ['nodeId', () => new RaftNodeBuilder().withPeers([]).withStateMachine(sm).build()],
    ['nodeId', () => base().withNodeId('').build()],
    ['peers', () => new RaftNodeBuilder().withNodeId('n1').withStateMachine(sm).build()],
    ['peers', () => base().withPeers(['n2', 'n2']).build()],
    ['peers', () => base().withPeers([{ id: 'n2', endpoint: '' }]).build()],
    ['transport', () => base().withPeers(['n2']).build()],
    ['stateMachine', () => new RaftNodeBuilder().withNodeId('n1').withPeers([]).build()],
    ['stateMachine', () => base().withStateMachine({ apply: () => 1 } as never).build()],
    ['metricSink', () => base().withMetricSink({} as never).build()],
    ['eventSink', () => base().withEventSink({} as never).build()],
    ['tickMs', () => base().withOptions({ tickMs: 0 }).build()],
    ['tickMs', () => base().withOptions({ tickMs: 0.5 }).build()],
    ['mailboxCapacity', () => base().withOptions({ mailboxCapacity: 1.5 }).build()],
    ['maxCommandBytes', () => base().withOptions({ maxCommandBytes: -1 }).build()],
    ['requestTimeoutMs', () => base().withOptions({ requestTimeoutMs: Number.POSITIVE_INFINITY }).build()],
    ['stopTimeoutMs', () => base().withOptions({ stopTimeoutMs: -1 }).build()],
    ['maxInputsPerTurn', () => base().withOptions({ maxInputsPerTurn: 0 }).build()],
    ['heartbeatTicks', () => base().withOptions({ electionTicks: 5, heartbeatTicks: 5 }).build()],
    ['electionTicks', () => base().withOptions({ electionTicks: 0 }).build()],
    ['preVote', () => base().withOptions({ preVote: 'yes' as never }).build()],
    ['tickMS', () => base().withOptions({ tickMS: 5 } as never).build()],
    ['options', () => base().withOptions(null as never)],
  ];
  it.each(cases)('%s', (option, build) => {
    expect(build).toThrow(expect.objectContaining({ code: 'INVALID_CONFIGURATION', option }));
  });

  it('defaults: memory storage and no-op telemetry need no configuration', async () => {
    const node = base().build();
    cleanup.push(() => node.stop());
    await node.start();
    await waitFor(() => node.role === 'leader', 5000, 'leader');
  });
});

describe('observability', () => {
  it('reports role, leader and commit progress as listeners and async iterables, and standard metrics', async () => {
    const metrics = new CapturingMetricSink();
    const events = new CapturingEventSink();
    const node = new RaftNodeBuilder().withNodeId(n1).withPeers([{ id: n1, endpoint: 'host-1:7001' }]).withStateMachine(new KeyValueStore()).withOptions(FAST).withMetricSink(metrics).withEventSink(events).build();
    cleanup.push(() => node.stop());
    const roles: string[] = [];
    const leaders: (string | undefined)[] = [];
    node.on('roleChanged', (e) => roles.push(e.to));
    node.on('leaderChanged', (e) => leaders.push(e.endpoint));
    const commits = node.stream('commitAdvanced');
    await node.start();
    await waitFor(() => node.role === 'leader', 5000, 'leader');
    await node.submit(set('a', '1'));
    const first = await commits.next();
    expect(first.done).toBe(false);
    expect(roles).toEqual(['preCandidate', 'candidate', 'leader']);
    expect(leaders).toEqual(['host-1:7001']);
    expect(node.status()).toMatchObject({ role: 'leader', leaderId: n1, leaderEndpoint: 'host-1:7001', lifecycle: 'running' });
    const info = node.logInfo();
    // The first leader's first entry records the bootstrap configuration (it serves as its no-op).
    expect(info.recent.map((e) => e.kind)).toEqual(['configuration', 'command']);
    expect(info.commitIndex).toBe(2);
    expect(events.ofType('leaderElected')).toHaveLength(1);
    expect(metrics.counter('raft.leader.changes')).toBe(1);
    expect(metrics.histogram('raft.commit.latency')).toHaveLength(1);
    expect(metrics.histogram('raft.log.append.entries').length).toBeGreaterThan(0);
    expect(metrics.lastGauge('raft.applied.index')).toBe(2);
    expect(metrics.violations).toEqual([]);
    await node.stop();
    // The stream ends when the node stops.
    for (;;) if ((await commits.next()).done) break;
  });

  it('a stream ends on abort, and a throwing listener does not break the node', async () => {
    const node = await leaderOfOne();
    node.on('applied', () => {
      throw new Error('listener bug');
    });
    const controller = new AbortController();
    const applied = node.stream('applied', { signal: controller.signal });
    expect((await node.submit(set('a', '1'))).status).toBe('committed');
    controller.abort();
    const seen: number[] = [];
    for await (const e of applied) seen.push(e.appliedIndex);
    expect(seen.length).toBeLessThanOrEqual(1);
    expect((await node.submit(set('b', '1'))).status).toBe('committed');
  });
});

describe('misbehaving adapters', () => {
  it('an event sink that throws and a transport whose send throws do not break the loop', async () => {
    const network = new InMemoryNetwork();
    const ids = [NodeId('n1'), NodeId('n2'), NodeId('n3')];
    const nodes = ids.map((id) => {
      const inner = network.transport(id);
      const transport = {
        start: inner.start.bind(inner),
        stop: inner.stop.bind(inner),
        // Sends to n3 throw; n1 and n2 still form a quorum.
        send: (to: NodeId, messages: Parameters<typeof inner.send>[1]) => {
          if (to === ids[2]) throw new Error('broken transport');
          inner.send(to, messages);
        },
      };
      return new RaftNodeBuilder()
        .withNodeId(id)
        .withPeers(ids)
        .withTransport(transport)
        .withStateMachine(new KeyValueStore())
        .withEventSink({
          publish() {
            throw new Error('broken sink');
          },
        })
        .withOptions(FAST)
        .build();
    });
    cleanup.push(async () => {
      await Promise.all(nodes.map((n) => n.stop({ timeoutMs: 0 })));
      network.close();
    });
    await Promise.all(nodes.map((n) => n.start()));
    await waitFor(() => nodes.some((n) => n.role === 'leader' && n.id !== ids[2]), 10_000, 'a leader among n1, n2');
    const leader = nodes.find((n) => n.role === 'leader') as RaftNode<string | undefined>;
    expect((await leader.submit(set('still', 'works'))).status).toBe('committed');
  });
});

describe('clean shutdown', () => {
  function timers(): number {
    return process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length;
  }

  it('leaves no timer behind and releases the storage', async () => {
    await new Promise((resolve) => setTimeout(resolve, 10));
    const before = timers();
    const storages = [memoryStorage(), memoryStorage(), memoryStorage()];
    const cluster = new Cluster(3, FAST, (id) => storages[Number(id.slice(1)) - 1] as StorageProvider);
    await cluster.start();
    const leader = await cluster.waitForLeader();
    await Promise.all(Array.from({ length: 50 }, (_, i) => leader.node.submit(set(`k${i}`, 'v'))));
    expect(timers()).toBeGreaterThan(before);
    await cluster.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(timers()).toBeLessThanOrEqual(before);
    for (const s of storages) expect(s.isOpen).toBe(false);
  });

  it('await using stops the node at the end of the scope', async () => {
    const storage = memoryStorage();
    {
      await using node = single(FAST, storage);
      await node.start();
      expect(storage.isOpen).toBe(true);
    }
    expect(storage.isOpen).toBe(false);
  });

  it('stop() waits up to stopTimeoutMs for in-flight commands to finish', async () => {
    const node = await leaderOfOne({ ...FAST, stopTimeoutMs: 2000 });
    const pending = Array.from({ length: 20 }, (_, i) => node.submit(set(`k${i}`, 'v')));
    await node.stop();
    const results = await Promise.all(pending);
    expect(results.map((r) => r.status)).toEqual(Array(20).fill('committed'));
  });
});
