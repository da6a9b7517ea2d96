/**
 * Abuse on the peer port (reliability §8.3, §6 K): each attack has its own test, runs against real
 * sockets on 127.0.0.1, and ends by checking that the node still exchanges messages with a
 * legitimate peer (nothing crashed, nothing blocked).
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { NodeId } from '@raft/abstractions';
import { encodeHandshake, encodeMessage } from '@raft/codecs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TcpTransport } from '../src/index.js';
import { CLUSTER, Fixture, appendEntries, concat, hello, requestVote, sleep, waitFor } from './helpers.js';

const n = NodeId;
let fx: Fixture;
beforeEach(() => {
  fx = new Fixture();
});
afterEach(async () => {
  await fx.cleanup();
});

const frameOf = (m: Parameters<typeof encodeMessage>[0]) => encodeMessage(m, { checksum: true });

/** A legitimate peer `from` (started if needed) can still reach node `to`. */
async function expectHealthy(to: string, from = 'ok'): Promise<void> {
  const sender = fx.transports.get(from) ?? (await fx.node(from));
  const before = fx.received(to).length;
  const term = 1000 + before;
  sender.send(n(to), [requestVote(from, to, term)]);
  await waitFor(() => fx.received(to).some((m) => m.term === term), `${to} still receives from a legitimate peer`);
  expect(fx.received(to).length).toBe(before + 1);
}

describe('half-open connections', () => {
  it('closes its side when a peer half-closes after the handshake, leaving no half-open socket', async () => {
    const b = await fx.node('n2');
    fx.member('n1', { host: '127.0.0.1', port: 1 });
    const peer = await fx.raw('n2');
    peer.write(hello('n1'));
    await waitFor(() => b.stats().inboundPeers.includes(n('n1')), 'authenticated');
    peer.socket.end(); // FIN: the peer will send nothing more
    await waitFor(() => peer.ended, 'the transport ends its side too');
    await peer.waitClosed();
    await waitFor(() => b.stats().inboundPeers.length === 0, 'the connection is forgotten');
    await expectHealthy('n2');
  });

  it('replaces a stale connection (a peer that vanished silently) when the same node reconnects', async () => {
    const b = await fx.node('n2');
    fx.member('n1', { host: '127.0.0.1', port: 1 });
    const stale = await fx.raw('n2');
    stale.write(hello('n1'));
    await waitFor(() => b.stats().inboundPeers.includes(n('n1')), 'first connection authenticated');
    // The old connection is never closed by its peer (as after a crash or a cable pull).
    const fresh = await fx.raw('n2');
    fresh.write(concat(hello('n1'), frameOf(requestVote('n1', 'n2', 4))));
    await stale.waitClosed('the stale connection is closed');
    await waitFor(() => fx.received('n2').length === 1, 'the new connection delivers');
    expect(fresh.closed).toBe(false);
    expect(b.stats().inboundPeers).toEqual(['n1']);
    await expectHealthy('n2');
  });

  it('gives up on a peer that accepts TCP but never answers the handshake, and keeps retrying with backoff', async () => {
    const silent: Socket[] = [];
    const { address } = await fx.server((socket) => silent.push(socket)); // reads, never answers
    fx.member('n2', address);
    const a = await fx.node('n1', { handshakeTimeoutMs: 150, reconnect: { initialMs: 10, maxMs: 40 } });
    await fx.node('n3');
    for (let i = 0; i < 200 && silent.length < 3; i++) {
      a.send(n('n2'), [requestVote('n1', 'n2', i)]);
      a.send(n('n3'), [requestVote('n1', 'n3', i)]);
      await sleep(10);
    }
    expect(silent.length).toBeGreaterThanOrEqual(3);
    expect(a.stats().peers['n2']?.connects).toBe(0);
    expect(fx.failures('n1').filter((f) => f.to === 'n2').length).toBeGreaterThan(0);
    // The black hole never held up the other peer.
    expect(fx.received('n3').length).toBeGreaterThan(0);
    expect(fx.failures('n1').filter((f) => f.to === 'n3')).toEqual([]);
  });
});

describe('garbage bytes', () => {
  it('closes a connection that starts with random bytes, decoding nothing', async () => {
    await fx.node('n2');
    const peer = await fx.raw('n2');
    const garbage = randomBytes(4096);
    garbage[0] = 0x00; // not the "RF" magic
    peer.write(garbage);
    await peer.waitClosed();
    expect(fx.received('n2')).toEqual([]);
    expect(fx.logger('n2').warnings().some((w) => w.includes('unreadable bytes'))).toBe(true);
    await expectHealthy('n2');
  });

  it('closes an authenticated connection on a corrupted frame (checksum mismatch) and accepts nothing after it', async () => {
    await fx.node('n2');
    fx.member('n1', { host: '127.0.0.1', port: 1 });
    const peer = await fx.raw('n2');
    const corrupted = new Uint8Array(frameOf(appendEntries('n1', 'n2', 2)));
    corrupted[40] = (corrupted[40] as number) ^ 0x10; // one bit flipped inside a payload
    peer.write(concat(hello('n1'), frameOf(requestVote('n1', 'n2', 1)), corrupted, frameOf(requestVote('n1', 'n2', 3))));
    await peer.waitClosed();
    expect(fx.received('n2')).toEqual([requestVote('n1', 'n2', 1)]);
    expect(fx.logger('n2').warnings().some((w) => w.includes('checksum mismatch'))).toBe(true);
    await expectHealthy('n2');
  });

  it.each([
    ['0xFFFFFFFF', 0xffff_ffff],
    ['just above maxFrameBytes', 64 * 1024 - 9 + 1],
  ])('closes the connection on a length prefix of %s as soon as the header is in, before any body', async (_, length) => {
    await fx.node('n2', { maxFrameBytes: 64 * 1024 });
    fx.member('n1', { host: '127.0.0.1', port: 1 });
    const peer = await fx.raw('n2');
    const header = new Uint8Array([0x52, 0x46, 1, 3, 1, 0, 0, 0, 0]);
    new DataView(header.buffer).setUint32(5, length);
    peer.write(concat(hello('n1'), header)); // the body never comes
    await peer.waitClosed();
    expect(fx.logger('n2').warnings().some((w) => w.includes('CODEC_FRAME_TOO_LARGE'))).toBe(true);
    await expectHealthy('n2');
  });
});

describe('a peer that stops reading', () => {
  /** A fake n2 that completes the handshake and then never reads again. */
  async function stuckPeer(): Promise<{ connections: Socket[] }> {
    const connections: Socket[] = [];
    const { address } = await fx.server((socket) => {
      connections.push(socket);
      socket.once('data', () => {
        socket.write(hello('n2'));
        socket.pause();
      });
    });
    fx.member('n2', address);
    return { connections };
  }

  it('keeps memory bounded: the queue stays under its cap, excess is dropped and reported, other peers unaffected', async () => {
    await stuckPeer();
    const limits = { maxFrameBytes: 64 * 1024, maxQueueBytes: 256 * 1024, maxSocketBufferBytes: 64 * 1024, stallTimeoutMs: 60_000 };
    const a = await fx.node('n1', limits);
    await fx.node('n3');
    const batch = appendEntries('n1', 'n2', 0, 64); // ~7 KB
    let maxQueued = 0;
    let maxSocket = 0;
    let toN3 = 0;
    // ~30 MB offered: far more than the kernel's socket buffers on loopback absorb.
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 40; i++) a.send(n('n2'), [batch]);
      a.send(n('n3'), [requestVote('n1', 'n3', ++toN3)]);
      await new Promise((resolve) => setImmediate(resolve));
      const s = a.stats().peers['n2'];
      maxQueued = Math.max(maxQueued, s?.queuedBytes ?? 0);
      maxSocket = Math.max(maxSocket, s?.socketBufferedBytes ?? 0);
    }
    const stats = a.stats().peers['n2'];
    expect(stats?.state).toBe('open');
    expect(maxQueued).toBeLessThanOrEqual(limits.maxQueueBytes);
    expect(maxSocket).toBeLessThanOrEqual(limits.maxSocketBufferBytes + limits.maxQueueBytes);
    expect(stats?.messagesDropped).toBeGreaterThan(0);
    expect(fx.failures('n1').some((f) => f.to === 'n2' && f.reason.includes('send queue full'))).toBe(true);
    await waitFor(() => fx.received('n3').length === toN3, 'n3 receives everything meanwhile');
    expect(fx.failures('n1').filter((f) => f.to === 'n3')).toEqual([]);
  });

  it('resets the connection after stallTimeoutMs and reconnects', async () => {
    const { connections } = await stuckPeer();
    const a = await fx.node('n1', { maxFrameBytes: 64 * 1024, maxQueueBytes: 128 * 1024, maxSocketBufferBytes: 32 * 1024, stallTimeoutMs: 200 });
    const batch = appendEntries('n1', 'n2', 0, 64);
    for (let i = 0; i < 400 && connections.length < 2; i++) {
      for (let k = 0; k < 20; k++) a.send(n('n2'), [batch]);
      await sleep(5);
    }
    expect(connections.length).toBeGreaterThanOrEqual(2);
    expect(fx.logger('n1').warnings().some((w) => w.includes('has not read for 200 ms'))).toBe(true);
    expect(fx.failures('n1').some((f) => f.reason.includes('connection lost'))).toBe(true);
    await expectHealthy('n1', 'n3');
  });
});

describe('slowloris', () => {
  it('closes a connection that dribbles its handshake one byte at a time once handshakeTimeoutMs passes', async () => {
    const b = await fx.node('n2', { handshakeTimeoutMs: 300 });
    fx.member('n1', { host: '127.0.0.1', port: 1 });
    const peer = await fx.raw('n2');
    const bytes = hello('n1');
    let sent = 0;
    while (!peer.closed && sent < bytes.length) {
      peer.write(bytes.subarray(sent, sent + 1));
      sent++;
      await sleep(40);
    }
    expect(peer.closed).toBe(true);
    expect(sent).toBeLessThan(bytes.length);
    expect(b.stats().inboundPeers).toEqual([]);
    expect(b.stats().unauthenticatedConnections).toBe(0);
    await expectHealthy('n2');
  });

  it('closes a connection that sends a partial frame after the TCP connect and then nothing', async () => {
    const b = await fx.node('n2', { handshakeTimeoutMs: 200 });
    const peer = await fx.raw('n2');
    peer.write(hello('n1').subarray(0, 5));
    await peer.waitClosed();
    expect(b.stats().unauthenticatedConnections).toBe(0);
    expect(fx.logger('n2').lines.some((l) => l.message.includes('no handshake within 200 ms'))).toBe(true);
    await expectHealthy('n2');
  });
});

describe('connection flood', () => {
  it('caps unauthenticated connections by closing the oldest, while peers keep talking', async () => {
    const cap = 8;
    const b = await fx.node('n2', { maxUnauthenticatedConnections: cap, handshakeTimeoutMs: 60_000 });
    const early = await fx.node('n1');
    early.send(n('n2'), [requestVote('n1', 'n2', 1)]);
    await waitFor(() => fx.received('n2').length === 1, 'an established peer');
    const flood = [];
    for (let i = 0; i < 80; i++) flood.push(await fx.raw('n2'));
    await waitFor(() => flood.filter((p) => p.closed).length >= flood.length - cap, 'all but the newest cap are closed');
    expect(b.stats().unauthenticatedConnections).toBeLessThanOrEqual(cap);
    expect(b.stats().connectionsEvicted).toBeGreaterThanOrEqual(flood.length - cap);
    // The oldest went first: the newest ones are the survivors.
    expect(flood.slice(-cap).every((p) => !p.closed)).toBe(true);
    // The established peer is unaffected, and a new one can still join mid-flood.
    early.send(n('n2'), [requestVote('n1', 'n2', 2)]);
    await waitFor(() => fx.received('n2').length === 2, 'the established peer still delivers');
    await expectHealthy('n2');
    expect(b.stats().inboundPeers).toEqual(['n1', 'ok']);
  });
});

describe('handshake refusals', () => {
  it('refuses a peer with the wrong cluster id with a typed rejection, and accepts none of its messages', async () => {
    const b = await fx.node('n2');
    fx.member('n1', { host: '127.0.0.1', port: 1 });
    const peer = await fx.raw('n2');
    // A foreign node's high term, sent right behind its handshake in the same write.
    peer.write(concat(hello('n1', 'another-cluster'), frameOf(requestVote('n1', 'n2', 1_000_000))));
    await peer.waitClosed();
    expect(peer.handshakes()).toEqual([{ type: 'handshakeRejected', reason: 'clusterMismatch', detail: expect.stringContaining('another-cluster') }]);
    expect(fx.received('n2')).toEqual([]);
    expect(b.stats().handshakesRefused).toBe(1);
    expect(fx.logger('n2').warnings().some((w) => w.includes('clusterMismatch'))).toBe(true);
    await expectHealthy('n2');
  });

  it('a transport of another cluster is refused, logs why, and reports its sends as failed', async () => {
    await fx.node('n2');
    const foreign = await fx.node('n1', { clusterId: 'another-cluster' });
    for (let i = 0; i < 100 && fx.failures('n1').length < 2; i++) {
      foreign.send(n('n2'), [requestVote('n1', 'n2', 1_000_000)]);
      await sleep(10);
    }
    expect(fx.received('n2')).toEqual([]);
    expect(fx.logger('n1').warnings().some((w) => w.includes('refused the handshake: clusterMismatch'))).toBe(true);
    expect(fx.logger('n2').warnings().some((w) => w.includes('clusterMismatch'))).toBe(true);
    expect(fx.failures('n1').length).toBeGreaterThan(0);
    await expectHealthy('n2');
  });

  it.each([
    ['a node id that is not a member', 'n7'],
    ['the receiving node’s own id', 'n2'],
  ])('refuses %s with unknownNode', async (_, claimed) => {
    const b = await fx.node('n2');
    const peer = await fx.raw('n2');
    peer.write(concat(hello(claimed), frameOf(requestVote(claimed, 'n2', 50))));
    await peer.waitClosed();
    expect(peer.handshakes()).toEqual([{ type: 'handshakeRejected', reason: 'unknownNode', detail: expect.any(String) }]);
    expect(fx.received('n2')).toEqual([]);
    expect(b.stats().handshakesRefused).toBe(1);
    await expectHealthy('n2');
  });

  it('refuses a handshake in an unsupported wire-format version with unsupportedVersion', async () => {
    await fx.node('n2');
    fx.member('n1', { host: '127.0.0.1', port: 1 });
    const peer = await fx.raw('n2');
    const future = new Uint8Array(encodeHandshake({ type: 'handshake', clusterId: CLUSTER, nodeId: n('n1'), protocolVersion: 2 }));
    future[2] = 2; // a version-2 frame
    peer.write(concat(future, frameOf(requestVote('n1', 'n2', 50))));
    await peer.waitClosed();
    expect(peer.handshakes()).toEqual([{ type: 'handshakeRejected', reason: 'unsupportedVersion', detail: expect.stringContaining('version 2') }]);
    expect(fx.received('n2')).toEqual([]);
    expect(fx.logger('n2').warnings().some((w) => w.includes('unsupportedVersion'))).toBe(true);
    await expectHealthy('n2');
  });

  it('an outbound link refuses a server that answers as another node', async () => {
    const impostor = await fx.node('n3');
    fx.member('n2', impostor.address() as { host: string; port: number }); // n2's address leads to n3
    const a: TcpTransport = await fx.node('n1');
    for (let i = 0; i < 100 && !fx.logger('n1').warnings().some((w) => w.includes('is "n3", not "n2"')); i++) {
      a.send(n('n2'), [requestVote('n1', 'n2')]);
      await sleep(10);
    }
    expect(fx.logger('n1').warnings().some((w) => w.includes('is "n3", not "n2"'))).toBe(true);
    expect(a.stats().peers['n2']?.connects).toBe(0);
    expect(fx.received('n3')).toEqual([]);
  });
});
