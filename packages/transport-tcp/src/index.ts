/**
 * `@raft/transport-tcp`: a production `Transport` for `@raft/*` nodes over TCP, with
 * optional mutual TLS.
 *
 * One outbound connection per peer, opened on the first send and re-opened with capped
 * exponential backoff and jitter; a handshake (cluster id, node id, protocol version, and with
 * TLS the certificate's identity) before any message is accepted; `@raft/codecs` frames with a
 * size cap checked before allocation; one socket write per peer per event-loop turn; bounded
 * per-peer queues that drop (Raft retransmits) and report through `receiver.sendFailed`; caps
 * and deadlines against floods, slowloris connections, garbage and peers that stop reading.
 *
 * @example
 * ```ts
 * import { NodeId } from '@raft/abstractions';
 * import { tcpTransport } from '@raft/transport-tcp';
 * import { readFileSync } from 'node:fs';
 *
 * const transport = tcpTransport({
 *   nodeId: NodeId('n1'),
 *   clusterId: 'orders',
 *   listen: { host: '0.0.0.0', port: 7001 },
 *   peers: { n2: { host: '10.0.0.2', port: 7001 }, n3: { host: '10.0.0.3', port: 7001 } },
 *   tls: { key: readFileSync('n1.key'), cert: readFileSync('n1.crt'), ca: readFileSync('cluster-ca.crt') },
 * });
 * await transport.start({ deliver: (message) => node.receive(message) });
 * transport.send(NodeId('n2'), [message]);   // never throws for network faults
 * await transport.stop();
 * ```
 *
 * @packageDocumentation
 */
// The transport
export { tcpTransport } from './tcp-transport.js';
export type { TcpTransport } from './tcp-transport.js';
export type { TcpTransportStats, PeerLinkState, PeerLinkStats } from './stats.js';

// Options
export type {
  TcpTransportOptions,
  TcpTlsOptions,
  ReconnectOptions,
  PeerAddress,
  PeerAddresses,
  TransportLogger,
  LogContext,
} from './options.js';

// TLS identity
export { defaultIdentitiesOf } from './tls-identity.js';
export type { IdentitiesOf } from './tls-identity.js';
