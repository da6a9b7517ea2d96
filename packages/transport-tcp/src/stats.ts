import type { NodeId } from '@raft/abstractions';
import type { PeerAddress } from './options.js';

/** Where an outbound link is in its life cycle. */
export type PeerLinkState = 'idle' | 'connecting' | 'open' | 'backoff';

/** Counters and gauges of one outbound link (see `TcpTransport.stats`). */
export interface PeerLinkStats {
  /** `idle` (no connection, none wanted yet), `connecting` (TCP, TLS or handshake under way), `open`, `backoff` (waiting to retry). */
  readonly state: PeerLinkState;
  /** Bytes queued in the transport, not yet handed to the socket. Never above `maxQueueBytes`. */
  readonly queuedBytes: number;
  /** Bytes handed to the socket and not yet taken by the kernel. */
  readonly socketBufferedBytes: number;
  /** Messages handed to a socket. */
  readonly messagesSent: number;
  /** Messages dropped (queue full, too large, peer unreachable, connection lost). */
  readonly messagesDropped: number;
  /** Socket writes made: one per event-loop turn with something to send. */
  readonly writes: number;
  /** Handshakes completed on this link. */
  readonly connects: number;
  /** Connection attempts that failed since the last successful handshake. */
  readonly consecutiveFailures: number;
}

/** What {@link TcpTransport.stats} reports: gauges and counters since `start`. */
export interface TcpTransportStats {
  /** The bound listening address, once started. */
  readonly listening: PeerAddress | undefined;
  /** Inbound connections that have not completed TLS and the handshake. Never above `maxUnauthenticatedConnections`. */
  readonly unauthenticatedConnections: number;
  /** Peers with an authenticated inbound connection (at most one each). */
  readonly inboundPeers: readonly NodeId[];
  /** Inbound handshakes refused with a typed rejection. */
  readonly handshakesRefused: number;
  /** Unauthenticated connections closed to make room under the cap. */
  readonly connectionsEvicted: number;
  /** Messages delivered to the receiver. */
  readonly messagesReceived: number;
  /** Messages from authenticated peers dropped for a wrong `from` or `to`. */
  readonly messagesDropped: number;
  /** The outbound link to each peer this node has sent to. */
  readonly peers: Readonly<Record<string, PeerLinkStats>>;
}
