import { type Socket, connect as netConnect } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { type NodeId, TransportError } from '@raft/abstractions';
import { FrameDecoder, decodeHandshake } from '@raft/codecs';
import type { PeerAddress } from '../options.js';
import { backoffDelay } from './backoff.js';
import { type TransportContext, describeError } from './context.js';
import { MIN_PROTOCOL_VERSION, negotiatedVersion } from './handshake-policy.js';
import { formatEndpoint } from './peer-book.js';
import type { PeerLinkState, PeerLinkStats } from '../stats.js';

/** Batches up to this size are copied into one buffer; larger ones go as one vectored write. */
const CONCAT_LIMIT_BYTES = 256 * 1024;

/**
 * The one outbound connection to one peer. Messages to the peer travel only on it; messages
 * from the peer arrive on the peer's own outbound connection (an inbound one here), so after
 * the handshake this side only writes.
 *
 * Invariants:
 * - At most one socket at a time (`#socket`); state `open` iff its handshake completed.
 * - `#queuedBytes ≤ maxQueueBytes`: a frame that does not fit is dropped and reported, never
 *   buffered (INV-13: a slow peer never makes memory grow without bound). The socket itself holds
 *   at most `maxSocketBufferBytes` plus one flush, because nothing is written while `#blocked`.
 * - No protocol message is written before the peer's handshake was checked (cluster id, node id,
 *   version and, with TLS, the certificate's identity).
 * - Every timer and immediate is cleared when the socket closes or the transport stops.
 */
export class PeerLink {
  readonly #to: NodeId;
  readonly #ctx: TransportContext;
  #state: PeerLinkState = 'idle';
  #socket: Socket | undefined;
  #decoder: FrameDecoder | undefined;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #blocked = false;
  #flushImmediate: NodeJS.Immediate | undefined;
  #handshakeTimer: NodeJS.Timeout | undefined;
  #stallTimer: NodeJS.Timeout | undefined;
  #backoffTimer: NodeJS.Timeout | undefined;
  /** A send arrived during backoff: reconnect when it ends. */
  #wanted = false;
  #failures = 0;
  /** Why the current connection attempt or connection failed, for the close handler. */
  #failure: { reason: string; level: 'debug' | 'info' | 'warn' } | undefined;
  #messagesSent = 0;
  #messagesDropped = 0;
  #writes = 0;
  #connects = 0;

  constructor(to: NodeId, ctx: TransportContext) {
    this.#to = to;
    this.#ctx = ctx;
  }

  get state(): PeerLinkState {
    return this.#state;
  }

  stats(): PeerLinkStats {
    return {
      state: this.#state,
      queuedBytes: this.#queuedBytes,
      socketBufferedBytes: this.#socket?.writableLength ?? 0,
      messagesSent: this.#messagesSent,
      messagesDropped: this.#messagesDropped,
      writes: this.#writes,
      connects: this.#connects,
      consecutiveFailures: this.#failures,
    };
  }

  /** Queues encoded frames (one message each) for the peer, connecting if need be. */
  enqueue(frames: readonly Uint8Array[]): void {
    if (this.#state === 'backoff') {
      this.#wanted = true;
      this.#drop(frames.length, 'peer unreachable, waiting to reconnect');
      return;
    }
    if (this.#state === 'idle' && !this.#connect()) {
      this.#drop(frames.length, 'no address known for this peer');
      return;
    }
    const { maxFrameBytes, maxQueueBytes } = this.#ctx.options;
    let tooLarge = 0;
    let overflow = 0;
    for (const frame of frames) {
      if (frame.length > maxFrameBytes) tooLarge++;
      else if (this.#queuedBytes + frame.length > maxQueueBytes) overflow++;
      else {
        this.#queue.push(frame);
        this.#queuedBytes += frame.length;
      }
    }
    if (tooLarge > 0) this.#drop(tooLarge, `message larger than maxFrameBytes (${maxFrameBytes})`);
    if (overflow > 0) this.#drop(overflow, `send queue full (maxQueueBytes ${maxQueueBytes})`);
    if (this.#state === 'open' && !this.#blocked && this.#queue.length > 0) this.#scheduleFlush();
  }

  /** Closes everything for `stop()`: no reconnect, no report. */
  shutdown(): void {
    this.#clearTimers();
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#socket?.destroy();
    this.#state = 'idle';
  }

  #drop(count: number, reason: string): void {
    this.#messagesDropped += count;
    this.#ctx.log('debug', `dropped ${count} message(s) to ${this.#to}: ${reason}`, { peer: this.#to });
    this.#ctx.sendFailed(this.#to, count, reason);
  }

  /** Starts a connection attempt; `false` when the peer has no address. */
  #connect(): boolean {
    const address = this.#ctx.peers.addressOf(this.#to);
    if (address === undefined) return false;
    this.#state = 'connecting';
    this.#failure = undefined;
    this.#decoder = new FrameDecoder({ maxFrameBytes: this.#ctx.options.maxFrameBytes });
    const socket = this.#open(address);
    this.#socket = socket;
    this.#ctx.track(socket);
    const { keepAliveMs, handshakeTimeoutMs } = this.#ctx.options;
    socket.setNoDelay(true);
    if (keepAliveMs > 0) socket.setKeepAlive(true, keepAliveMs);
    // The whole of TCP connect, TLS and the handshake must fit in one deadline.
    this.#handshakeTimer = setTimeout(() => this.#fail(`no handshake within ${handshakeTimeoutMs} ms`, 'info'), handshakeTimeoutMs);
    socket.on(this.#ctx.options.tls === undefined ? 'connect' : 'secureConnect', () => this.#onConnected(socket));
    socket.on('data', (chunk: Buffer) => this.#onData(socket, chunk));
    socket.on('error', (error) => {
      if (this.#socket === socket && this.#failure === undefined) this.#failure = { reason: describeError(error), level: levelOf(error) };
    });
    socket.on('close', () => this.#onClose(socket));
    this.#ctx.log('debug', `connecting to ${this.#to} at ${formatEndpoint(address)}`, { peer: this.#to });
    return true;
  }

  #open(address: PeerAddress): Socket {
    const tls = this.#ctx.options.tls;
    if (tls === undefined) return netConnect({ host: address.host, port: address.port });
    return tlsConnect({
      host: address.host,
      port: address.port,
      secureContext: tls.context,
      // The chain is verified against the pinned cluster CA (rejectUnauthorized); the identity
      // is checked against the node id below instead of against the host name.
      rejectUnauthorized: true,
      checkServerIdentity: () => undefined,
    });
  }

  #onConnected(socket: Socket): void {
    if (this.#socket !== socket || this.#state !== 'connecting') return;
    const tls = this.#ctx.options.tls;
    if (tls !== undefined) {
      const tlsSocket = socket as TLSSocket;
      if (!tlsSocket.authorized) {
        this.#fail(`TLS: peer certificate not trusted (${String(tlsSocket.authorizationError)})`, 'warn');
        return;
      }
      const identities = tls.identitiesOf(tlsSocket.getPeerCertificate());
      if (!identities.includes(this.#to)) {
        this.#fail(`TLS: the peer's certificate names ${JSON.stringify(identities)}, not ${JSON.stringify(this.#to)}`, 'warn');
        return;
      }
    }
    socket.write(this.#ctx.helloFrame);
  }

  #onData(socket: Socket, chunk: Buffer): void {
    if (this.#socket !== socket || this.#failure !== undefined) return;
    let frames: Uint8Array[];
    try {
      frames = (this.#decoder as FrameDecoder).push(chunk);
    } catch (error) {
      this.#fail(`unreadable bytes from the peer: ${describeError(error)}`, 'warn');
      return;
    }
    for (const frame of frames) {
      if (this.#state !== 'connecting') {
        // After the handshake the peer sends nothing on this connection.
        this.#fail('unexpected frame after the handshake on an outbound connection', 'warn');
        return;
      }
      if (!this.#onHandshakeFrame(frame)) return;
    }
  }

  /** Handles the peer's answer to our handshake; `false` when the connection is being closed. */
  #onHandshakeFrame(frame: Uint8Array): boolean {
    const { clusterId, maxFrameBytes, checksum } = this.#ctx.options;
    let answer: ReturnType<typeof decodeHandshake>;
    try {
      answer = decodeHandshake(frame, { maxFrameBytes, requireChecksum: checksum });
    } catch (error) {
      this.#fail(`bad handshake from the peer: ${describeError(error)}`, 'warn');
      return false;
    }
    if (answer.type === 'handshakeRejected') {
      this.#fail(`the peer refused the handshake: ${answer.reason}: ${answer.detail}`, 'warn');
      return false;
    }
    if (answer.clusterId !== clusterId) {
      this.#fail(`the peer belongs to cluster ${JSON.stringify(answer.clusterId)}, not ${JSON.stringify(clusterId)}`, 'warn');
      return false;
    }
    if (answer.nodeId !== this.#to) {
      this.#fail(`the peer at this address is ${JSON.stringify(answer.nodeId)}, not ${JSON.stringify(this.#to)}`, 'warn');
      return false;
    }
    if (negotiatedVersion(answer.protocolVersion) < MIN_PROTOCOL_VERSION) {
      this.#fail(`the peer speaks protocol version ${answer.protocolVersion}, which this node does not`, 'warn');
      return false;
    }
    this.#state = 'open';
    clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    this.#failures = 0;
    this.#connects++;
    this.#ctx.log('info', `connected to ${this.#to}`, { peer: this.#to });
    this.#flush();
    return true;
  }

  #scheduleFlush(): void {
    // Coalesce every send of this event-loop turn into one socket write.
    this.#flushImmediate ??= setImmediate(() => {
      this.#flushImmediate = undefined;
      this.#flush();
    });
  }

  #flush(): void {
    const socket = this.#socket;
    if (socket === undefined || this.#state !== 'open' || this.#blocked || this.#queue.length === 0) return;
    const queue = this.#queue;
    const bytes = this.#queuedBytes;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#messagesSent += queue.length;
    this.#writes++;
    let accepted: boolean;
    if (queue.length === 1) accepted = socket.write(queue[0] as Uint8Array);
    else if (bytes <= CONCAT_LIMIT_BYTES) accepted = socket.write(Buffer.concat(queue, bytes));
    else {
      // One vectored write (writev) without copying large frames.
      socket.cork();
      accepted = true;
      for (const frame of queue) accepted = socket.write(frame) && accepted;
      socket.uncork();
    }
    // Backpressure: over the threshold, stop writing until the socket drains. `accepted` is
    // false whenever the buffer is at or above the stream's high-water mark (≤ the threshold),
    // so a 'drain' event is due.
    if (!accepted && socket.writableLength >= this.#ctx.options.maxSocketBufferBytes) {
      this.#blocked = true;
      socket.once('drain', () => this.#onDrain(socket));
      const { stallTimeoutMs } = this.#ctx.options;
      this.#stallTimer = setTimeout(
        () => this.#fail(`the peer has not read for ${stallTimeoutMs} ms (${socket.writableLength} bytes waiting); resetting the connection`, 'warn'),
        stallTimeoutMs,
      );
    }
  }

  #onDrain(socket: Socket): void {
    if (this.#socket !== socket) return;
    this.#blocked = false;
    clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
    this.#flush();
  }

  /** Closes the current connection for `reason`; the close handler drops and backs off. */
  #fail(reason: string, level: 'debug' | 'info' | 'warn'): void {
    const socket = this.#socket;
    if (socket === undefined) return;
    this.#failure ??= { reason, level };
    socket.destroy(new TransportError(level === 'warn' ? 'TRANSPORT_HANDSHAKE_FAILED' : 'TRANSPORT_CLOSED', reason));
  }

  #onClose(socket: Socket): void {
    if (this.#socket !== socket) return;
    const wasOpen = this.#state === 'open';
    this.#socket = undefined;
    this.#decoder = undefined;
    this.#blocked = false;
    this.#clearTimers();
    if (this.#ctx.stopping) {
      this.#state = 'idle';
      return;
    }
    const failure = this.#failure ?? { reason: wasOpen ? 'connection closed by the peer' : 'connection closed during the handshake', level: 'info' };
    this.#failure = undefined;
    if (this.#queue.length > 0) {
      const count = this.#queue.length;
      this.#queue = [];
      this.#queuedBytes = 0;
      this.#drop(count, `connection lost: ${failure.reason}`);
    }
    this.#failures++;
    const { reconnectInitialMs, reconnectMaxMs, reconnectJitter } = this.#ctx.options;
    const delay = backoffDelay(this.#failures, reconnectInitialMs, reconnectMaxMs, reconnectJitter);
    // A lost working connection is news; repeated refusals while a peer is down are routine.
    const level = wasOpen && failure.level === 'debug' ? 'info' : failure.level;
    this.#ctx.log(level, `${wasOpen ? 'connection to' : 'could not connect to'} ${this.#to}: ${failure.reason}; retrying in ${delay} ms`, {
      peer: this.#to,
      failures: this.#failures,
    });
    this.#state = 'backoff';
    this.#wanted = wasOpen;
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = undefined;
      this.#state = 'idle';
      // Demand-driven: reconnect only if something wanted to reach the peer meanwhile (or a
      // working connection was lost); otherwise the next send connects.
      if (this.#wanted && !this.#ctx.stopping) {
        this.#wanted = false;
        this.#connect();
      }
    }, delay);
  }

  #clearTimers(): void {
    clearTimeout(this.#handshakeTimer);
    clearTimeout(this.#stallTimer);
    clearTimeout(this.#backoffTimer);
    if (this.#flushImmediate !== undefined) clearImmediate(this.#flushImmediate);
    this.#handshakeTimer = undefined;
    this.#stallTimer = undefined;
    this.#backoffTimer = undefined;
    this.#flushImmediate = undefined;
  }
}

/** Errors that only say the peer is down or unreachable, routine while a node restarts. */
const NETWORK_ERRORS: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

/** Log level of a socket error: routine network failures at debug, anything else (TLS trust failures above all) at warn. */
function levelOf(error: unknown): 'debug' | 'warn' {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && NETWORK_ERRORS.has(code) ? 'debug' : 'warn';
}
