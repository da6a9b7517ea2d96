import { type AddressInfo, type Server, type Socket, createServer as createNetServer } from 'node:net';
import { type TLSSocket, createServer as createTlsServer } from 'node:tls';
import {
  ConfigurationError,
  IllegalStateError,
  InvalidArgumentError,
  type NodeId,
  type PeerDirectory,
  type RaftMessage,
  type Transport,
  TransportError,
  type TransportReceiver,
} from '@raft/abstractions';
import { WIRE_VERSION, encodeHandshake, encodeMessage } from '@raft/codecs';
import { type LogLevel, describeError } from './internal/context.js';
import { type InboundHost, InboundConnection, remoteOf } from './internal/inbound-connection.js';
import { PeerBook, formatEndpoint } from './internal/peer-book.js';
import { PeerLink } from './internal/peer-link.js';
import { type ResolvedOptions, resolveOptions } from './internal/resolve-options.js';
import type { LogContext, PeerAddress, TcpTransportOptions } from './options.js';
import type { PeerLinkStats, TcpTransportStats } from './stats.js';

/**
 * A {@link Transport} over TCP (optionally mutual TLS). It is also the cluster's
 * {@link PeerDirectory}: `endpointOf` answers every member's `"host:port"`, for redirecting
 * clients to the leader.
 */
export interface TcpTransport extends Transport, PeerDirectory {
  /** The bound listening address (the real port when `listen.port` was 0); `undefined` before `start`. */
  address(): PeerAddress | undefined;
  /** Connection and queue figures, for monitoring and tests. */
  stats(): TcpTransportStats;
}

/**
 * Creates a TCP transport for one node.
 *
 * - **Connections.** One outbound connection per peer, opened on the first send and re-opened
 *   after a failure with capped exponential backoff and jitter; messages from a peer arrive on
 *   the peer's own outbound connection. Every connection starts (after TLS, if configured) with a
 *   handshake of cluster id, node id and protocol version; a peer with another cluster id, an
 *   unknown node id, an unsupported version or (with TLS) a certificate that does not name it is
 *   refused with a typed rejection and a logged reason, and nothing it sends is read.
 * - **Frames.** Messages travel as `@raft/codecs` frames; a length prefix above `maxFrameBytes`
 *   closes the connection before anything is allocated. With plaintext each frame carries a
 *   CRC-32C.
 * - **Writes.** All sends to one peer within an event-loop turn become one socket write. Above
 *   `maxSocketBufferBytes` in the socket the transport queues; above `maxQueueBytes` queued it
 *   drops (Raft retransmits) and reports through `receiver.sendFailed`; a peer that does not read
 *   for `stallTimeoutMs` has its connection reset.
 * - **Abuse.** Unauthenticated connections are capped and must finish TLS and the handshake
 *   within `handshakeTimeoutMs`; garbage closes the connection; a second connection from the
 *   same node replaces the first. None of this throws or blocks other peers.
 *
 * `send` never throws for network faults: a message that cannot be sent is dropped and
 * reported through `receiver.sendFailed` (possibly synchronously, from within `send`). It throws
 * {@link InvalidArgumentError} only for a message that is not a valid `RaftMessage` or is not
 * addressed to `to`: a bug in the caller.
 *
 * @throws {@link ConfigurationError} for an invalid option, naming it.
 */
export function tcpTransport(options: TcpTransportOptions): TcpTransport {
  return new TcpTransportImpl(resolveOptions(options));
}

type TransportState = 'new' | 'starting' | 'started' | 'stopping';

class TcpTransportImpl implements TcpTransport {
  readonly #options: ResolvedOptions;
  readonly #peers: PeerBook;
  readonly #host: InboundHost;
  readonly #links = new Map<NodeId, PeerLink>();
  /** Inbound connections before their handshake was accepted, oldest first. */
  readonly #pending = new Set<InboundConnection>();
  /** Pending TLS connections by `remoteAddress:remotePort`, to find them from the TLS socket. */
  readonly #pendingByRemote = new Map<string, InboundConnection>();
  /** Invariant: at most one authenticated inbound connection per peer (the newest). */
  readonly #inbound = new Map<NodeId, InboundConnection>();
  /** Every live socket, with a promise of its `close`, so that `stop()` leaves none behind. */
  readonly #sockets = new Map<Socket, Promise<void>>();
  #server: Server | undefined;
  #receiver: TransportReceiver | undefined;
  #state: TransportState = 'new';
  #stopped: Promise<void> | undefined;
  /** The listen of `start`, so that a `stop` during it waits for it. */
  #listening: Promise<void> | undefined;
  #handshakesRefused = 0;
  #connectionsEvicted = 0;
  #messagesReceived = 0;
  #messagesDropped = 0;

  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.#peers = new PeerBook(options.nodeId, options.peers);
    let helloFrame: Uint8Array;
    try {
      helloFrame = encodeHandshake({ type: 'handshake', clusterId: options.clusterId, nodeId: options.nodeId, protocolVersion: WIRE_VERSION }, { checksum: options.checksum });
    } catch (error) {
      throw new ConfigurationError('clusterId', describeError(error), { cause: error });
    }
    const self = this;
    this.#host = {
      options,
      peers: this.#peers,
      helloFrame,
      get stopping() {
        return self.#state === 'stopping';
      },
      track: (socket) => this.#track(socket),
      sendFailed: (to, count, reason) => this.#sendFailed(to, count, reason),
      deliver: (message) => this.#deliver(message),
      log: (level, message, context) => this.#log(level, message, context),
      authenticated: (connection, nodeId) => this.#authenticated(connection, nodeId),
      refused: () => {
        this.#handshakesRefused++;
      },
      dropped: (connection, message, why) => {
        this.#messagesDropped++;
        this.#log('debug', `dropped a ${message.type} from ${connection.remote}: ${why}`, { peer: connection.identity });
      },
      closed: (connection) => this.#closed(connection),
    };
  }

  async start(receiver: TransportReceiver): Promise<void> {
    if (this.#state !== 'new') throw new IllegalStateError(`tcpTransport(${this.#options.nodeId}) was already started`);
    if (typeof receiver?.deliver !== 'function') throw new InvalidArgumentError('start(receiver) needs a receiver with a deliver(message) method');
    this.#state = 'starting' as TransportState;
    this.#receiver = receiver;
    const { tls, handshakeTimeoutMs, listenHost, listenPort } = this.#options;
    const server =
      tls === undefined
        ? createNetServer()
        : createTlsServer({ ...tls.secureOptions, requestCert: true, rejectUnauthorized: true, handshakeTimeout: handshakeTimeoutMs });
    this.#server = server;
    server.on('connection', (raw: Socket) => this.#accept(raw));
    if (tls !== undefined) {
      server.on('secureConnection', (socket: TLSSocket) => {
        const connection = this.#pendingByRemote.get(remoteOf(socket));
        if (connection === undefined) socket.destroy();
        else connection.secured(socket);
      });
      server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
        this.#log('info', `TLS handshake failed for ${remoteOf(socket)}: ${describeError(error)}`);
      });
    }
    this.#listening = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenPort, listenHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
    try {
      await this.#listening;
    } catch (error) {
      this.#state = 'stopping';
      this.#stopped = Promise.resolve();
      throw new TransportError('TRANSPORT_LISTEN_FAILED', `cannot listen on ${formatEndpoint({ host: listenHost, port: listenPort })}: ${describeError(error)}`, { cause: error });
    }
    server.on('error', (error) => this.#log('warn', `listener error: ${describeError(error)}`));
    if (this.#state !== 'starting') throw new TransportError('TRANSPORT_CLOSED', 'stopped before it finished starting');
    this.#state = 'started';
    this.#log('info', `listening on ${formatEndpoint(this.address() as PeerAddress)}`);
  }

  send(to: NodeId, messages: readonly RaftMessage[]): void {
    if (messages.length === 0) return;
    if (this.#state !== 'started') {
      this.#sendFailed(to, messages.length, this.#state === 'stopping' ? 'transport stopped' : 'transport not started');
      return;
    }
    const { checksum, nodeId } = this.#options;
    if (to === nodeId) {
      this.#sendFailed(to, messages.length, 'a node does not send to itself');
      return;
    }
    const frames: Uint8Array[] = [];
    for (const message of messages) {
      if (message.to !== to) throw new InvalidArgumentError(`send(${JSON.stringify(to)}) got a ${message.type} addressed to ${JSON.stringify(message.to)}`);
      frames.push(encodeMessage(message, { checksum }));
    }
    let link = this.#links.get(to);
    if (link === undefined) {
      link = new PeerLink(to, this.#host);
      this.#links.set(to, link);
    }
    link.enqueue(frames);
  }

  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    const wasStarting = this.#state === 'starting';
    this.#state = 'stopping';
    if (wasStarting) await this.#listening?.catch(() => undefined);
    for (const link of this.#links.values()) link.shutdown();
    for (const socket of this.#sockets.keys()) socket.destroy();
    const server = this.#server;
    const serverClosed =
      server === undefined || !server.listening ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all([...this.#sockets.values(), serverClosed]);
    this.#pending.clear();
    this.#pendingByRemote.clear();
    this.#inbound.clear();
  }

  endpointOf(nodeId: NodeId): string | undefined {
    if (nodeId === this.#options.nodeId) {
      const bound = this.address();
      return formatEndpoint(bound ?? { host: this.#options.listenHost, port: this.#options.listenPort });
    }
    const address = this.#peers.addressOf(nodeId);
    return address === undefined ? undefined : formatEndpoint(address);
  }

  address(): PeerAddress | undefined {
    const info = this.#server?.address();
    if (info === null || info === undefined || typeof info === 'string') return undefined;
    return { host: (info as AddressInfo).address, port: (info as AddressInfo).port };
  }

  stats(): TcpTransportStats {
    const peers: Record<string, PeerLinkStats> = {};
    for (const [id, link] of [...this.#links].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) peers[id] = link.stats();
    return {
      listening: this.address(),
      unauthenticatedConnections: this.#pending.size,
      inboundPeers: [...this.#inbound.keys()].sort(),
      handshakesRefused: this.#handshakesRefused,
      connectionsEvicted: this.#connectionsEvicted,
      messagesReceived: this.#messagesReceived,
      messagesDropped: this.#messagesDropped,
      peers,
    };
  }

  #accept(raw: Socket): void {
    if (this.#state !== 'started') {
      raw.destroy();
      return;
    }
    this.#track(raw);
    const cap = this.#options.maxUnauthenticatedConnections;
    if (this.#pending.size >= cap) {
      // Evict the oldest rather than refuse the newest: an idle flood then cannot hold every
      // slot for a whole handshake timeout, while a real peer's handshake takes a round trip.
      const oldest = this.#pending.values().next().value as InboundConnection;
      this.#forgetPending(oldest);
      this.#connectionsEvicted++;
      const level = this.#connectionsEvicted === 1 || this.#connectionsEvicted % 100 === 0 ? 'warn' : 'debug';
      oldest.close(`more than ${cap} unauthenticated connections (${this.#connectionsEvicted} evicted so far); closing the oldest`, level);
    }
    const connection = new InboundConnection(raw, this.#host);
    if (raw.destroyed) return;
    this.#pending.add(connection);
    if (this.#options.tls !== undefined) this.#pendingByRemote.set(connection.remote, connection);
  }

  #authenticated(connection: InboundConnection, nodeId: NodeId): void {
    this.#forgetPending(connection);
    const previous = this.#inbound.get(nodeId);
    this.#inbound.set(nodeId, connection);
    // A peer that reconnects has given up on its old connection (it may be half-open).
    if (previous !== undefined && previous !== connection) previous.close('replaced by a newer connection from the same node', 'info');
  }

  #closed(connection: InboundConnection): void {
    this.#forgetPending(connection);
    const id = connection.identity;
    if (id !== undefined && this.#inbound.get(id) === connection) this.#inbound.delete(id);
  }

  #forgetPending(connection: InboundConnection): void {
    this.#pending.delete(connection);
    if (this.#pendingByRemote.get(connection.remote) === connection) this.#pendingByRemote.delete(connection.remote);
  }

  #track(socket: Socket): void {
    if (this.#sockets.has(socket)) return;
    this.#sockets.set(
      socket,
      new Promise<void>((resolve) =>
        socket.once('close', () => {
          this.#sockets.delete(socket);
          resolve();
        }),
      ),
    );
  }

  #sendFailed(to: NodeId, count: number, reason: string): void {
    const receiver = this.#receiver;
    if (receiver?.sendFailed === undefined) return;
    try {
      receiver.sendFailed(to, `${count} message(s) dropped: ${reason}`);
    } catch (error) {
      this.#log('warn', `receiver.sendFailed threw: ${describeError(error)}`);
    }
  }

  #deliver(message: RaftMessage): void {
    this.#messagesReceived++;
    try {
      (this.#receiver as TransportReceiver).deliver(message);
    } catch (error) {
      this.#log('warn', `receiver.deliver threw: ${describeError(error)}`);
    }
  }

  #log(level: LogLevel, message: string, context?: LogContext): void {
    const logger = this.#options.logger;
    const fields: LogContext = { node: this.#options.nodeId, ...context };
    try {
      if (level === 'warn') logger.warn(message, fields);
      else if (level === 'info') logger.info?.(message, fields);
      else logger.debug?.(message, fields);
    } catch {
      // A logger must not throw; if it does, the transport carries on.
    }
  }
}

