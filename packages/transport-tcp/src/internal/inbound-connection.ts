import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { type NodeId, type RaftMessage, isRaftError } from '@raft/abstractions';
import { FrameDecoder, type Handshake, type HandshakeRejection, decodeHandshake, decodeMessage, encodeHandshake } from '@raft/codecs';
import { type TransportContext, describeError } from './context.js';
import { judgeHandshake } from './handshake-policy.js';

/** What an inbound connection tells the transport that accepted it. */
export interface InboundHost extends TransportContext {
  /** The peer's handshake was accepted: it is now `nodeId`'s connection. */
  authenticated(connection: InboundConnection, nodeId: NodeId): void;
  /** A handshake was refused (for the counters). */
  refused(connection: InboundConnection, rejection: HandshakeRejection): void;
  /** A message from an authenticated peer was dropped (wrong `from` or `to`). */
  dropped(connection: InboundConnection, message: RaftMessage, why: string): void;
  /** The connection closed; forget it. */
  closed(connection: InboundConnection): void;
}

/** `tls`: TLS handshake under way; `hello`: waiting for the peer's handshake; `open`: authenticated. */
export type InboundState = 'tls' | 'hello' | 'open' | 'closing';

/**
 * One connection accepted on the listening port. It must complete TLS (if configured) and the
 * handshake within `handshakeTimeoutMs`; until then it counts against
 * `maxUnauthenticatedConnections`.
 *
 * Invariants:
 * - No frame is decoded as a protocol message before the peer's handshake was judged and
 *   accepted; a refused or failed peer's later frames are discarded unread, so a foreign node's
 *   high term can never reach Raft (reliability §8.2.3, S5).
 * - Every message delivered has `from` equal to the authenticated node id and `to` equal to this
 *   node; anything else is dropped (§8.2.2).
 * - Any decoding failure closes the connection: a byte stream cannot resynchronise.
 */
export class InboundConnection {
  /** The TCP socket (also the frame socket without TLS). */
  readonly raw: Socket;
  /** `remoteAddress:remotePort`, for logs and for matching the TLS socket to `raw`. */
  readonly remote: string;
  readonly #host: InboundHost;
  #socket: Socket | undefined;
  #state: InboundState;
  #identity: NodeId | undefined;
  #certificateIdentities: readonly string[] | undefined;
  #decoder: FrameDecoder;
  #handshakeTimer: NodeJS.Timeout | undefined;

  constructor(raw: Socket, host: InboundHost) {
    this.raw = raw;
    this.remote = remoteOf(raw);
    this.#host = host;
    this.#decoder = new FrameDecoder({ maxFrameBytes: host.options.maxFrameBytes });
    const { handshakeTimeoutMs, keepAliveMs, tls } = host.options;
    raw.setNoDelay(true);
    if (keepAliveMs > 0) raw.setKeepAlive(true, keepAliveMs);
    // Slowloris guard: TLS and the handshake together must finish within the deadline.
    this.#handshakeTimer = setTimeout(() => this.close(`no handshake within ${handshakeTimeoutMs} ms`, 'info'), handshakeTimeoutMs);
    raw.on('error', (error) => host.log('debug', `inbound connection from ${this.remote}: ${describeError(error)}`));
    raw.on('close', () => {
      clearTimeout(this.#handshakeTimer);
      this.#handshakeTimer = undefined;
      this.#state = 'closing';
      host.closed(this);
    });
    if (tls === undefined) {
      this.#state = 'hello';
      this.#attach(raw);
    } else {
      this.#state = 'tls';
    }
  }

  get state(): InboundState {
    return this.#state;
  }

  /** The authenticated peer, once the handshake was accepted. */
  get identity(): NodeId | undefined {
    return this.#identity;
  }

  /** The TLS handshake finished and the peer's chain verified: read the handshake on `socket`. */
  secured(socket: TLSSocket): void {
    if (this.#state !== 'tls') {
      socket.destroy();
      return;
    }
    const tls = this.#host.options.tls;
    if (tls === undefined || !socket.authorized) {
      this.close(`TLS: client certificate not trusted (${String(socket.authorizationError)})`, 'warn');
      return;
    }
    this.#certificateIdentities = tls.identitiesOf(socket.getPeerCertificate());
    this.#state = 'hello';
    this.#attach(socket);
  }

  /** Closes the connection now; `reason` is logged. */
  close(reason: string, level: 'debug' | 'info' | 'warn'): void {
    if (this.raw.destroyed) return;
    this.#host.log(level, `closing inbound connection from ${this.remote}${this.#identity === undefined ? '' : ` (${this.#identity})`}: ${reason}`);
    this.#state = 'closing';
    (this.#socket ?? this.raw).destroy();
    this.raw.destroy();
  }

  #attach(socket: Socket): void {
    this.#socket = socket;
    if (socket !== this.raw) socket.on('error', (error) => this.#host.log('debug', `inbound TLS connection from ${this.remote}: ${describeError(error)}`));
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
  }

  #onData(chunk: Buffer): void {
    if (this.#state !== 'hello' && this.#state !== 'open') return;
    let frames: Uint8Array[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.close(`unreadable bytes: ${describeError(error)}`, 'warn');
      return;
    }
    for (const frame of frames) {
      if (this.#state === 'hello') this.#onHandshake(frame);
      else if (this.#state === 'open') this.#onMessage(frame);
      else return; // refused or closed: the rest is discarded unread
    }
  }

  #onHandshake(frame: Uint8Array): void {
    const { options } = this.#host;
    let hello: ReturnType<typeof decodeHandshake>;
    try {
      hello = decodeHandshake(frame, { maxFrameBytes: options.maxFrameBytes, requireChecksum: options.checksum });
    } catch (error) {
      if (isRaftError(error, 'CODEC_UNSUPPORTED_VERSION')) this.#refuse({ type: 'handshakeRejected', reason: 'unsupportedVersion', detail: error.message }, undefined);
      else this.close(`bad handshake: ${describeError(error)}`, 'warn');
      return;
    }
    if (hello.type !== 'handshake') {
      this.close('the peer sent a handshake rejection instead of a handshake', 'warn');
      return;
    }
    const rejection = judgeHandshake(hello, {
      clusterId: options.clusterId,
      self: options.nodeId,
      isPeer: (id) => this.#host.peers.isPeer(id),
      certificateIdentities: this.#certificateIdentities,
    });
    if (rejection !== undefined) {
      this.#refuse(rejection, hello);
      return;
    }
    clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    this.#state = 'open';
    this.#identity = hello.nodeId;
    this.#host.authenticated(this, hello.nodeId);
    (this.#socket as Socket).write(this.#host.helloFrame);
    this.#host.log('debug', `accepted connection from ${hello.nodeId} at ${this.remote}`, { peer: hello.nodeId });
  }

  /** Sends a typed rejection, then closes; nothing more is read (reliability §8.2.3). */
  #refuse(rejection: HandshakeRejection, hello: Handshake | undefined): void {
    this.#state = 'closing';
    this.#host.refused(this, rejection);
    const claimed = hello === undefined ? '' : ` claiming to be ${JSON.stringify(hello.nodeId)} of cluster ${JSON.stringify(hello.clusterId)}`;
    this.#host.log('warn', `refused connection from ${this.remote}${claimed}: ${rejection.reason}: ${rejection.detail}`, {
      reason: rejection.reason,
      ...(hello === undefined ? {} : { peer: hello.nodeId }),
    });
    const socket = this.#socket as Socket;
    socket.pause();
    // The handshake timer stays armed: it destroys the socket if the peer never reads this.
    socket.end(encodeHandshake(rejection, { checksum: this.#host.options.checksum }), () => socket.destroy());
  }

  #onMessage(frame: Uint8Array): void {
    const { options } = this.#host;
    let message: RaftMessage;
    try {
      message = decodeMessage(frame, { maxFrameBytes: options.maxFrameBytes, requireChecksum: options.checksum });
    } catch (error) {
      this.close(`undecodable frame: ${describeError(error)}`, 'warn');
      return;
    }
    if (message.from !== this.#identity) {
      this.#host.dropped(this, message, `from ${JSON.stringify(message.from)} on the connection of ${JSON.stringify(this.#identity)}`);
      return;
    }
    if (message.to !== options.nodeId) {
      this.#host.dropped(this, message, `addressed to ${JSON.stringify(message.to)}`);
      return;
    }
    this.#host.deliver(message);
  }
}

/** `address:port` of the remote end, IPv6 bracketed. */
export function remoteOf(socket: Socket): string {
  const address = socket.remoteAddress ?? 'unknown';
  return `${address.includes(':') ? `[${address}]` : address}:${socket.remotePort ?? 0}`;
}
