import { NodeId, type PeerDirectory, isRaftError } from '@raft/abstractions';
import { encodeMessage } from '@raft/codecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tcpTransport } from '../src/index.js';
import { backoffDelay } from '../src/internal/backoff.js';
import { parseEndpoint } from '../src/internal/peer-book.js';
import { CLUSTER, Fixture, appendEntries, collector, concat, hello, requestVote, sleep, waitFor } from './helpers.js';

const n = NodeId;
let fx: Fixture;
beforeEach(() => {
  fx = new Fixture();
});
afterEach(async () => {
  await fx.cleanup();
});

describe('delivery between nodes', () => {
  it('delivers messages in both directions over real sockets, in order', async () => {
    const a = await fx.node('n1');
    const b = await fx.node('n2');
    a.send(n('n2'), [requestVote('n1', 'n2', 5), appendEntries('n1', 'n2', 1)]);
    a.send(n('n2'), [appendEntries('n1', 'n2', 2, 3)]);
    b.send(n('n1'), [requestVote('n2', 'n1', 6)]);
    await waitFor(() => fx.received('n2').length === 3 && fx.received('n1').length === 1, 'both sides receive');
    expect(fx.received('n2').map((m) => m.type)).toEqual(['RequestVote', 'AppendEntries', 'AppendEntries']);
    expect(fx.received('n2')[2]).toEqual(appendEntries('n1', 'n2', 2, 3));
    expect(fx.received('n1')[0]).toEqual(requestVote('n2', 'n1', 6));
    expect(fx.failures('n1')).toEqual([]);
    expect(a.stats().peers['n2']?.state).toBe('open');
    expect(b.stats().inboundPeers).toEqual(['n1']);
  });

  it('opens the connection to a peer lazily, on the first send', async () => {
    const a = await fx.node('n1');
    const b = await fx.node('n2');
    await sleep(50);
    expect(a.stats().peers).toEqual({});
    expect(b.stats().inboundPeers).toEqual([]);
    expect(b.stats().unauthenticatedConnections).toBe(0);
    a.send(n('n2'), [requestVote('n1', 'n2')]);
    await waitFor(() => fx.received('n2').length === 1, 'first message arrives');
    expect(b.stats().inboundPeers).toEqual(['n1']);
  });

  it('coalesces every send of one event-loop turn into a single socket write', async () => {
    const a = await fx.node('n1');
    await fx.node('n2');
    a.send(n('n2'), [requestVote('n1', 'n2')]);
    await waitFor(() => fx.received('n2').length === 1, 'connection is up');
    const before = a.stats().peers['n2']?.writes ?? 0;
    for (let i = 0; i < 100; i++) a.send(n('n2'), [appendEntries('n1', 'n2', i)]);
    await waitFor(() => fx.received('n2').length === 101, '100 messages arrive');
    expect((a.stats().peers['n2']?.writes ?? 0) - before).toBe(1);
    expect(fx.received('n2').slice(1).map((m) => (m.type === 'AppendEntries' ? m.seq : -1))).toEqual([...Array(100).keys()]);
  });

  it('reconnects after the peer restarts, reporting what it dropped meanwhile', async () => {
    const a = await fx.node('n1');
    const b = await fx.node('n2');
    const port = b.address()?.port as number;
    a.send(n('n2'), [requestVote('n1', 'n2', 1)]);
    await waitFor(() => fx.received('n2').length === 1, 'first message');
    await b.stop();
    fx.transports.delete('n2');
    await waitFor(() => a.stats().peers['n2']?.state !== 'open', 'sender notices the loss');
    // While the peer is down, sends are dropped and reported (Raft retransmits).
    for (let i = 0; i < 20 && fx.failures('n1').length === 0; i++) {
      a.send(n('n2'), [requestVote('n1', 'n2', 2)]);
      await sleep(20);
    }
    expect(fx.failures('n1').length).toBeGreaterThan(0);
    expect(fx.failures('n1')[0]?.to).toBe('n2');
    // The peer comes back on the same port; the sender reconnects with backoff.
    const again = tcpTransport({ nodeId: n('n2'), clusterId: CLUSTER, listen: { host: '127.0.0.1', port }, peers: fx.peers, logger: fx.logger('n2') });
    const receiver = collector();
    await again.start(receiver);
    fx.transports.set('n2b', again);
    await waitFor(() => {
      a.send(n('n2'), [requestVote('n1', 'n2', 3)]);
      return receiver.delivered.length > 0;
    }, 'the restarted peer receives again');
    expect(receiver.delivered[0]).toEqual(requestVote('n1', 'n2', 3));
    expect(a.stats().peers['n2']?.connects).toBe(2);
  });

  it('accepts a PeerDirectory ("host:port" endpoints) as the address book', async () => {
    const b = await fx.node('n2');
    const endpoints = new Map([['n2', `127.0.0.1:${b.address()?.port}`]]);
    const directory: PeerDirectory = { endpointOf: (id) => endpoints.get(id) };
    const a = await fx.node('n1', { peers: directory });
    a.send(n('n2'), [requestVote('n1', 'n2')]);
    await waitFor(() => fx.received('n2').length === 1, 'delivered via the directory');
    expect(a.endpointOf(n('n2'))).toBe(`127.0.0.1:${b.address()?.port}`);
    expect(a.endpointOf(n('n1'))).toBe(`127.0.0.1:${a.address()?.port}`);
    expect(a.endpointOf(n('n9'))).toBeUndefined();
  });

  it('does not send a message larger than maxFrameBytes, reports it, and keeps the connection', async () => {
    const a = await fx.node('n1', { maxFrameBytes: 4096 });
    await fx.node('n2', { maxFrameBytes: 4096 });
    a.send(n('n2'), [requestVote('n1', 'n2')]);
    await waitFor(() => fx.received('n2').length === 1, 'connection up');
    a.send(n('n2'), [appendEntries('n1', 'n2', 1, 1, 8000), requestVote('n1', 'n2', 2)]);
    await waitFor(() => fx.received('n2').length === 2, 'the small message still arrives');
    expect(fx.received('n2')[1]).toEqual(requestVote('n1', 'n2', 2));
    expect(fx.failures('n1')).toEqual([{ to: 'n2', reason: expect.stringContaining('maxFrameBytes') }]);
    expect(a.stats().peers['n2']?.connects).toBe(1);
  });

  it('reports sends to unknown peers, to itself, and after stop through sendFailed, never throwing', async () => {
    const a = await fx.node('n1');
    a.send(n('n9'), [requestVote('n1', 'n9')]);
    a.send(n('n1'), [requestVote('n1', 'n1')]);
    await a.stop();
    a.send(n('n2'), [requestVote('n1', 'n2')]);
    expect(fx.failures('n1').map((f) => [f.to, f.reason])).toEqual([
      ['n9', '1 message(s) dropped: no address known for this peer'],
      ['n1', '1 message(s) dropped: a node does not send to itself'],
      ['n2', '1 message(s) dropped: transport stopped'],
    ]);
  });

  it('throws InvalidArgumentError for a message not addressed to the peer it is sent to (a caller bug)', async () => {
    const a = await fx.node('n1');
    expect(() => a.send(n('n2'), [requestVote('n1', 'n3')])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('the identity of an authenticated peer', () => {
  it('drops messages whose from differs from the handshake identity, or whose to is another node', async () => {
    const b = await fx.node('n2');
    fx.member('n1', { host: '127.0.0.1', port: 1 });
    fx.member('n3', { host: '127.0.0.1', port: 1 });
    const peer = await fx.raw('n2');
    peer.write(hello('n1'));
    await waitFor(() => peer.frames.length === 1, 'handshake answer');
    expect(peer.handshakes()[0]).toEqual({ type: 'handshake', clusterId: CLUSTER, nodeId: 'n2', protocolVersion: 1 });
    const frame = (m: Parameters<typeof encodeMessage>[0]) => encodeMessage(m, { checksum: true });
    peer.write(concat(frame(requestVote('n3', 'n2', 99)), frame(requestVote('n1', 'n3', 98)), frame(requestVote('n1', 'n2', 7))));
    await waitFor(() => fx.received('n2').length === 1, 'the genuine message arrives');
    expect(fx.received('n2')).toEqual([requestVote('n1', 'n2', 7)]);
    expect(b.stats().messagesDropped).toBe(2);
  });
});

describe('stop', () => {
  it('leaves no socket, server or timer behind', async () => {
    const kinds = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'Immediate'];
    const count = () => process.getActiveResourcesInfo().filter((r) => kinds.includes(r)).length;
    const baseline = count();
    const a = await fx.node('n1');
    const b = await fx.node('n2');
    fx.member('n3', { host: '127.0.0.1', port: 1 }); // unreachable: leaves a backoff timer
    a.send(n('n2'), [requestVote('n1', 'n2')]);
    b.send(n('n1'), [requestVote('n2', 'n1')]);
    a.send(n('n3'), [requestVote('n1', 'n3')]);
    const idle = await fx.raw('n1'); // an unauthenticated connection with its handshake timer
    await waitFor(() => fx.received('n2').length === 1 && fx.received('n1').length === 1, 'traffic flows');
    expect(count()).toBeGreaterThan(baseline);
    await Promise.all([a.stop(), b.stop()]);
    await idle.waitClosed();
    idle.socket.destroy();
    await sleep(10);
    expect(count()).toBeLessThanOrEqual(baseline);
    expect(a.stats().peers['n2']?.state).toBe('idle');
    expect(a.stats().listening).toBeUndefined();
  });

  it('is idempotent, and a transport cannot be started twice', async () => {
    const a = await fx.node('n1');
    await expect(a.start(collector())).rejects.toMatchObject({ code: 'ILLEGAL_STATE' });
    await Promise.all([a.stop(), a.stop()]);
    await a.stop();
  });

  it('rejects start with a typed error when the port is taken', async () => {
    const a = await fx.node('n1');
    const b = tcpTransport({ nodeId: n('n2'), clusterId: CLUSTER, listen: { port: a.address()?.port as number }, peers: {}, logger: fx.logger('n1') });
    const error = await b.start(collector()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRaftError(error, 'TRANSPORT_LISTEN_FAILED')).toBe(true);
    await b.stop();
  });
});

describe('options', () => {
  const base = { nodeId: n('n1'), clusterId: CLUSTER, listen: { port: 0 }, peers: {} };
  it.each([
    ['clusterId', { clusterId: '' }],
    ['listen.port', { listen: { port: 70_000 } }],
    ['maxFrameBytes', { maxFrameBytes: 1.5 }],
    ['maxQueueBytes', { maxFrameBytes: 1 << 20, maxQueueBytes: 1000 }],
    ['maxSocketBufferBytes', { maxSocketBufferBytes: 10 }],
    ['handshakeTimeoutMs', { handshakeTimeoutMs: 0 }],
    ['reconnect.maxMs', { reconnect: { initialMs: 500, maxMs: 100 } }],
    ['reconnect.jitter', { reconnect: { jitter: 2 } }],
    ['maxUnauthenticatedConnections', { maxUnauthenticatedConnections: 0 }],
    ['tls.ca', { tls: { key: 'k', cert: 'c' } }],
    ['tls', { tls: { key: 'not a key', cert: 'not a cert', ca: 'not a ca' } }],
  ])('refuses an invalid %s with a ConfigurationError naming it', (option, override) => {
    let error: unknown;
    try {
      tcpTransport({ ...base, ...(override as object) } as Parameters<typeof tcpTransport>[0]);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'INVALID_CONFIGURATION', option });
  });
});

describe('backoff', () => {
  it('doubles from initialMs up to maxMs', () => {
    const noJitter = (failures: number) => backoffDelay(failures, 100, 2000, 0);
    expect([1, 2, 3, 4, 5, 6, 50].map(noJitter)).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
  });

  it('takes a random share of at most jitter off each delay', () => {
    expect(backoffDelay(3, 100, 2000, 0.5, () => 0)).toBe(400);
    expect(backoffDelay(3, 100, 2000, 0.5, () => 0.999_999)).toBe(200);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(4, 100, 2000, 0.5);
      expect(d).toBeGreaterThanOrEqual(400);
      expect(d).toBeLessThanOrEqual(800);
    }
  });
});

describe('endpoints', () => {
  it('parses host:port and [v6]:port and refuses anything else', () => {
    expect(parseEndpoint('10.0.0.2:7001')).toEqual({ host: '10.0.0.2', port: 7001 });
    expect(parseEndpoint('[::1]:7001')).toEqual({ host: '::1', port: 7001 });
    expect(parseEndpoint('db.local:80')).toEqual({ host: 'db.local', port: 80 });
    for (const bad of ['10.0.0.2', ':7001', 'h:0', 'h:70000', 'h:x1', '']) expect(parseEndpoint(bad)).toBeUndefined();
  });
});
