import type { PeerCertificate, SecureContextOptions } from 'node:tls';
import type { NodeId, PeerDirectory } from '@raft/abstractions';

/** Where a node listens: a host (name or IP address) and a TCP port. */
export interface PeerAddress {
  /** Host name or IP address, for example `"10.0.0.2"` or `"::1"`. */
  readonly host: string;
  /** TCP port, 1–65535 (or 0 for `listen`: any free port). */
  readonly port: number;
}

/**
 * The cluster's other members and their addresses: either a plain record `{ n2: { host, port } }`
 * or a {@link PeerDirectory} whose `endpointOf(nodeId)` answers `"host:port"` (`"[::1]:7001"`
 * for IPv6). Either one is read on every connection attempt, so an address book that changes
 * (a member added, a port learned after `start`) takes effect for the next connection.
 *
 * It is also the membership check for inbound connections: a peer whose handshake names a
 * node with no address here is refused (`unknownNode`).
 */
export type PeerAddresses = Readonly<Record<string, PeerAddress>> | PeerDirectory;

/**
 * Mutual TLS on the peer port (reliability §8.2.1). Both sides present a certificate signed by
 * the cluster CA (`ca`, which replaces the system trust store), both verify the other's chain,
 * and each checks that the other's certificate names the node id it claims in the handshake
 * (`identitiesOf`). TLS comes first; the handshake then runs over the encrypted stream.
 */
export interface TcpTlsOptions {
  /** This node's private key, PEM. */
  readonly key: NonNullable<SecureContextOptions['key']>;
  /** This node's certificate chain, PEM. It should name this node (see `identitiesOf`). */
  readonly cert: NonNullable<SecureContextOptions['cert']>;
  /** The cluster CA certificate(s), PEM: the only roots trusted for peers. */
  readonly ca: NonNullable<SecureContextOptions['ca']>;
  /**
   * Passphrase of `key`, if it is encrypted.
   * @default undefined
   */
  readonly passphrase?: string;
  /**
   * Certificate revocation list(s), PEM.
   * @default undefined
   */
  readonly crl?: SecureContextOptions['crl'];
  /**
   * Lowest TLS version accepted. TLS 1.2 only when explicitly asked for.
   * @default 'TLSv1.3'
   */
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /**
   * OpenSSL cipher list, for TLS 1.2 suites.
   * @default Node's default
   */
  readonly ciphers?: string;
  /**
   * The node ids a verified peer certificate vouches for. The handshake's node id must be one
   * of them, or the connection is refused with `identityMismatch` (reliability §8.2.2, S4).
   * @default the subject CN, every DNS SAN, and the node id of every URI SAN of the form
   * `raft://<clusterId>/node/<nodeId>` with this cluster's id
   */
  readonly identitiesOf?: (certificate: PeerCertificate) => readonly string[];
}

/** Capped exponential backoff between connection attempts to one peer. */
export interface ReconnectOptions {
  /**
   * Delay before the first retry, in milliseconds; each further failure doubles it.
   * @default 100
   */
  readonly initialMs?: number;
  /**
   * Largest delay between attempts, in milliseconds.
   * @default 5000
   */
  readonly maxMs?: number;
  /**
   * Fraction of each delay that is random: the delay is `d · (1 − jitter · r)` for a uniform
   * `r` in [0, 1), so peers that lost a node at the same moment do not retry in lockstep.
   * @default 0.5
   */
  readonly jitter?: number;
}

/** Structured fields attached to a log line. */
export type LogContext = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * Where the transport reports what it does. `warn` is for what an operator should see (a
 * refused handshake, a peer that stopped reading, garbage on the port); `info` for connections
 * made and lost; `debug` for the routine (connection refused while a peer is down, a dropped
 * message). Methods must not throw.
 */
export interface TransportLogger {
  debug?(message: string, context?: LogContext): void;
  info?(message: string, context?: LogContext): void;
  warn(message: string, context?: LogContext): void;
}

/** Options of {@link tcpTransport}. */
export interface TcpTransportOptions {
  /** This node's id: sent in the handshake; messages addressed to anyone else are dropped. */
  readonly nodeId: NodeId;
  /**
   * Identifies the cluster (1–255 characters). A peer with another cluster id is refused
   * (`clusterMismatch`), so two clusters sharing hosts can never exchange a message
   * (reliability §8.2.2, S5).
   */
  readonly clusterId: string;
  /** Where to accept peer connections. Port 0 picks a free port (see `address()`). */
  readonly listen: {
    /**
     * Interface to bind. Use `"0.0.0.0"` or `"::"` to accept connections from other machines.
     * @default '127.0.0.1'
     */
    readonly host?: string;
    readonly port: number;
  };
  /** The other members and their addresses; see {@link PeerAddresses}. */
  readonly peers: PeerAddresses;
  /**
   * Mutual TLS. Without it the transport speaks plaintext TCP: use that only on a trusted
   * network or in tests (reliability §8.2.7).
   * @default undefined (plaintext)
   */
  readonly tls?: TcpTlsOptions;
  /**
   * Append a CRC-32C to every frame and refuse frames without one. TCP's 16-bit checksum misses
   * real corruption; TLS already authenticates every record (reliability K4). Every node of a
   * cluster must use the same setting.
   * @default true without `tls`, false with it
   */
  readonly checksum?: boolean;
  /**
   * Largest frame (one message, 9-byte header included) sent or accepted, in bytes. A length
   * prefix above it closes the connection before anything is allocated for the body; a message
   * above it is not sent (reported through `sendFailed`). Keep it above the largest
   * AppendEntries batch and InstallSnapshot chunk the node produces.
   * @default 16 MiB (16777216)
   */
  readonly maxFrameBytes?: number;
  /**
   * Cap on the bytes waiting to be written to one peer, beyond what the socket already holds.
   * A message that would exceed it is dropped and reported through `sendFailed` (Raft
   * retransmits), so a slow or stalled peer never makes memory grow without bound. Must be at
   * least `maxFrameBytes`.
   * @default 2 × maxFrameBytes (32 MiB)
   */
  readonly maxQueueBytes?: number;
  /**
   * Once this many bytes sit in a connection's socket buffer (written, not yet taken by the
   * kernel), the transport stops writing to it and queues until the socket drains. At least
   * 16 KiB.
   * @default 1 MiB (1048576)
   */
  readonly maxSocketBufferBytes?: number;
  /**
   * A connection must complete TLS and the handshake within this time, in milliseconds, or it
   * is closed: this is what defeats slowloris connections (reliability §8.2.6, S8). Node's own
   * TLS default is 120 s.
   * @default 5000
   */
  readonly handshakeTimeoutMs?: number;
  /**
   * A connection whose socket buffer has not drained for this long (the peer stopped reading,
   * or the path is dead while the connection looks open) is closed; queued messages are
   * dropped and the transport reconnects with backoff (reliability S15).
   * @default 10000
   */
  readonly stallTimeoutMs?: number;
  /**
   * Most inbound connections that have not completed the handshake at one time. Past it, the
   * oldest such connection is closed to make room, so a flood of idle connections cannot lock
   * legitimate peers out for a whole handshake timeout (reliability §8.2.6, S9).
   * @default 32
   */
  readonly maxUnauthenticatedConnections?: number;
  /**
   * TCP keep-alive initial delay, in milliseconds: lets the OS notice a dead peer on an idle
   * connection. 0 disables keep-alive.
   * @default 5000
   */
  readonly keepAliveMs?: number;
  /** Backoff between connection attempts; see {@link ReconnectOptions}. */
  readonly reconnect?: ReconnectOptions;
  /**
   * Where to log.
   * @default warnings to `console.warn`, nothing else
   */
  readonly logger?: TransportLogger;
}
