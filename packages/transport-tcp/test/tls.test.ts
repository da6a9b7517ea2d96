/**
 * Mutual TLS (reliability §8.2.1–2, scenarios S1, S2, S4, S8, S14), with certificates made at
 * test time (see certificates.ts).
 */
import { connect as tlsConnect } from 'node:tls';
import { NodeId } from '@raft/abstractions';
import { encodeMessage } from '@raft/codecs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type TcpTlsOptions, defaultIdentitiesOf } from '../src/index.js';
import { type NodeCertificate, type TestPki, makeTestPki } from './certificates.js';
import { CLUSTER, Fixture, RawPeer, concat, hello, requestVote, waitFor } from './helpers.js';

const n = NodeId;
let pki: TestPki;
let fx: Fixture;

beforeAll(() => {
  pki = makeTestPki(CLUSTER, ['n1', 'n2', 'n3', 'ok']);
});
afterAll(() => pki.dispose());
beforeEach(() => {
  fx = new Fixture();
});
afterEach(async () => {
  await fx.cleanup();
});

function tlsFor(id: string, overrides: Partial<TcpTlsOptions> = {}): TcpTlsOptions {
  const own = pki.nodes[id] as NodeCertificate;
  return { key: own.key, cert: own.cert, ca: pki.ca, ...overrides };
}

const plainHello = (id: string) => hello(id, CLUSTER, 1, false);
const plainFrame = (m: Parameters<typeof encodeMessage>[0]) => encodeMessage(m);

/** A raw TLS client to node `id`, presenting `certificate` (or none). */
async function rawTls(id: string, certificate: NodeCertificate | undefined): Promise<RawPeer> {
  const address = fx.peers[id] as { host: string; port: number };
  const socket = tlsConnect({
    host: address.host,
    port: address.port,
    ca: pki.ca,
    ...(certificate === undefined ? {} : { key: certificate.key, cert: certificate.cert }),
    checkServerIdentity: () => undefined,
  });
  fx.adopt(socket);
  const peer = new RawPeer(socket);
  await new Promise<void>((resolve) => {
    socket.once('secureConnect', () => resolve());
    socket.once('close', () => resolve());
  });
  return peer;
}

async function expectHealthy(to: string): Promise<void> {
  const sender = fx.transports.get('ok') ?? (await fx.node('ok', { tls: tlsFor('ok') }));
  const term = 5000 + fx.received(to).length;
  sender.send(n(to), [requestVote('ok', to, term)]);
  await waitFor(() => fx.received(to).some((m) => m.term === term), `${to} still receives over TLS`);
}

describe('mutual TLS', () => {
  it('two nodes with certificates from the cluster CA exchange messages over TLS 1.3', async () => {
    const a = await fx.node('n1', { tls: tlsFor('n1') });
    const b = await fx.node('n2', { tls: tlsFor('n2') });
    a.send(n('n2'), [requestVote('n1', 'n2', 3)]);
    b.send(n('n1'), [requestVote('n2', 'n1', 4)]);
    await waitFor(() => fx.received('n2').length === 1 && fx.received('n1').length === 1, 'both directions over TLS');
    expect(fx.received('n2')).toEqual([requestVote('n1', 'n2', 3)]);
    expect(fx.received('n1')).toEqual([requestVote('n2', 'n1', 4)]);
    expect(b.stats().inboundPeers).toEqual(['n1']);
  });

  it('refuses a client without a certificate: nothing it sends is decoded (S1)', async () => {
    await fx.node('n2', { tls: tlsFor('n2') });
    fx.member('n1', { host: '127.0.0.1', port: 1 });
    const peer = await rawTls('n2', undefined);
    if (!peer.closed) peer.write(concat(plainHello('n1'), plainFrame(requestVote('n1', 'n2', 99))));
    await peer.waitClosed();
    expect(peer.frames).toEqual([]);
    expect(fx.received('n2')).toEqual([]);
    await expectHealthy('n2');
  });

  it('refuses a certificate signed by another CA (S2)', async () => {
    await fx.node('n2', { tls: tlsFor('n2') });
    fx.member('n1', { host: '127.0.0.1', port: 1 });
    const peer = await rawTls('n2', pki.rogue);
    if (!peer.closed) peer.write(concat(plainHello('n1'), plainFrame(requestVote('n1', 'n2', 99))));
    await peer.waitClosed();
    expect(peer.frames).toEqual([]);
    expect(fx.received('n2')).toEqual([]);
    await expectHealthy('n2');
  });

  it('refuses a valid certificate whose node differs from the handshake with identityMismatch (S4)', async () => {
    const b = await fx.node('n2', { tls: tlsFor('n2') });
    fx.member('n1', { host: '127.0.0.1', port: 1 });
    fx.member('n3', { host: '127.0.0.1', port: 1 });
    // n1's genuine certificate, claiming to be n3 (vote impersonation).
    const peer = await rawTls('n2', pki.nodes['n1']);
    peer.write(concat(plainHello('n3'), plainFrame(requestVote('n3', 'n2', 99))));
    await peer.waitClosed();
    expect(peer.handshakes()).toEqual([{ type: 'handshakeRejected', reason: 'identityMismatch', detail: expect.stringContaining('n3') }]);
    expect(fx.received('n2')).toEqual([]);
    expect(b.stats().handshakesRefused).toBe(1);
    await expectHealthy('n2');
  });

  it('an outbound link refuses a server whose certificate does not name the peer it dialled', async () => {
    // Listens as "n2" but holds n3's certificate.
    await fx.node('n2', { tls: tlsFor('n3') });
    const a = await fx.node('n1', { tls: tlsFor('n1') });
    const named = () => fx.logger('n1').warnings().some((w) => w.includes('certificate names') && w.includes('"n2"'));
    for (let i = 0; i < 100 && !named(); i++) {
      a.send(n('n2'), [requestVote('n1', 'n2')]);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(named()).toBe(true);
    expect(a.stats().peers['n2']?.connects).toBe(0);
    expect(fx.received('n2')).toEqual([]);
  });

  it('closes plaintext sent to the TLS port without decoding it (S14)', async () => {
    await fx.node('n2', { tls: tlsFor('n2') });
    fx.member('n1', { host: '127.0.0.1', port: 1 });
    const peer = await fx.raw('n2');
    peer.write(concat(plainHello('n1'), plainFrame(requestVote('n1', 'n2', 99))));
    await peer.waitClosed();
    expect(fx.received('n2')).toEqual([]);
    await expectHealthy('n2');
  });

  it('closes a TCP connection that never starts TLS once handshakeTimeoutMs passes (S8)', async () => {
    const b = await fx.node('n2', { tls: tlsFor('n2'), handshakeTimeoutMs: 200 });
    const peer = await fx.raw('n2');
    await peer.waitClosed();
    expect(b.stats().unauthenticatedConnections).toBe(0);
    await expectHealthy('n2');
  });
});

describe('default certificate identity', () => {
  it('names the CN, DNS SANs and URI SANs of this cluster only', () => {
    const identities = defaultIdentitiesOf('c1');
    const certificate = {
      subject: { CN: 'n1' },
      subjectaltname: 'DNS:n1.internal, URI:raft://c1/node/n7, URI:raft://other/node/n8, DNS:"a,b", IP Address:127.0.0.1',
    } as unknown as Parameters<typeof identities>[0];
    expect(identities(certificate)).toEqual(['n1', 'n1.internal', 'n7', 'a,b']);
  });
});
