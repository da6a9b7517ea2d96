import { type Server, type Socket, connect, createServer } from 'node:net';
import {
  type AppendEntries,
  type LogEntry,
  LogIndex,
  NodeId,
  type RaftMessage,
  type RequestVote,
  Term,
  type TransportReceiver,
} from '@raft/abstractions';
import { FrameDecoder, type HandshakeFrame, WIRE_VERSION, decodeHandshake, encodeHandshake } from '@raft/codecs';
import { type LogContext, type PeerAddress, type TcpTransport, type TcpTransportOptions, type TransportLogger, tcpTransport } from '../src/index.js';

export const CLUSTER = 'test-cluster';

/** Waits until `condition()` holds, polling; fails with `what` after `timeoutMs` (a hang guard, not a timing assertion). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function requestVote(from: string, to: string, term = 1): RequestVote {
  return {
    type: 'RequestVote',
    from: NodeId(from),
    to: NodeId(to),
    term: Term(term),
    lastLogIndex: LogIndex(0),
    lastLogTerm: Term(0),
    preVote: false,
    leadershipTransfer: false,
  };
}

/** An AppendEntries with `entries` command entries of `payloadBytes` each. */
export function appendEntries(from: string, to: string, seq: number, entries = 1, payloadBytes = 100): AppendEntries {
  const list: LogEntry[] = [];
  for (let i = 0; i < entries; i++) {
    const payload = new Uint8Array(payloadBytes);
    payload.fill((seq + i) & 0xff);
    list.push({ kind: 'command', index: LogIndex(1001 + i), term: Term(3), payload });
  }
  return {
    type: 'AppendEntries',
    from: NodeId(from),
    to: NodeId(to),
    term: Term(3),
    prevLogIndex: LogIndex(1000),
    prevLogTerm: Term(3),
    entries: list,
    leaderCommit: LogIndex(999),
    seq,
  };
}

/** A receiver that records what it gets. */
export interface Collector extends TransportReceiver {
  readonly delivered: RaftMessage[];
  readonly failures: { to: NodeId; reason: string }[];
}

export function collector(): Collector {
  const delivered: RaftMessage[] = [];
  const failures: { to: NodeId; reason: string }[] = [];
  return {
    delivered,
    failures,
    deliver: (message) => delivered.push(message),
    sendFailed: (to, reason) => failures.push({ to, reason }),
  };
}

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn';
  readonly message: string;
  readonly context: LogContext | undefined;
}

export function captureLogger(): TransportLogger & { lines: LogLine[]; warnings(): string[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    warnings: () => lines.filter((l) => l.level === 'warn').map((l) => l.message),
    debug: (message, context) => lines.push({ level: 'debug', message, context }),
    info: (message, context) => lines.push({ level: 'info', message, context }),
    warn: (message, context) => lines.push({ level: 'warn', message, context }),
  };
}

/**
 * Owns everything a test opens (transports, raw sockets, servers) and closes it all in
 * `cleanup()`, so that a failing test leaves nothing behind for the next one.
 */
export class Fixture {
  readonly peers: Record<string, PeerAddress> = {};
  readonly transports = new Map<string, TcpTransport>();
  readonly receivers = new Map<string, Collector>();
  readonly loggers = new Map<string, ReturnType<typeof captureLogger>>();
  readonly #sockets = new Set<Socket>();
  readonly #servers = new Set<Server>();

  /** Starts a node listening on 127.0.0.1:0 and records its port in the shared `peers` record. */
  async node(id: string, options: Partial<TcpTransportOptions> = {}): Promise<TcpTransport> {
    const logger = captureLogger();
    const transport = tcpTransport({
      nodeId: NodeId(id),
      clusterId: CLUSTER,
      listen: { host: '127.0.0.1', port: 0 },
      peers: this.peers,
      logger,
      reconnect: { initialMs: 20, maxMs: 200 },
      ...options,
    });
    const receiver = collector();
    await transport.start(receiver);
    this.peers[id] = transport.address() as PeerAddress;
    this.transports.set(id, transport);
    this.receivers.set(id, receiver);
    this.loggers.set(id, logger);
    return transport;
  }

  /** Reserves a node id (a member the transports know) at an address. */
  member(id: string, address: PeerAddress): void {
    this.peers[id] = address;
  }

  received(id: string): RaftMessage[] {
    return (this.receivers.get(id) as Collector).delivered;
  }

  failures(id: string): { to: NodeId; reason: string }[] {
    return (this.receivers.get(id) as Collector).failures;
  }

  logger(id: string): ReturnType<typeof captureLogger> {
    return this.loggers.get(id) as ReturnType<typeof captureLogger>;
  }

  /** A raw TCP client to node `id`, with a frame reader. */
  async raw(id: string): Promise<RawPeer> {
    const address = this.peers[id] as PeerAddress;
    const socket = connect({ host: address.host, port: address.port });
    this.#sockets.add(socket);
    const peer = new RawPeer(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return peer;
  }

  adopt(socket: Socket): Socket {
    this.#sockets.add(socket);
    return socket;
  }

  /** A plain TCP server on 127.0.0.1:0 whose connections `onConnection` handles. */
  async server(onConnection: (socket: Socket) => void): Promise<{ server: Server; address: PeerAddress }> {
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('error', () => undefined);
      onConnection(socket);
    });
    this.#servers.add(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const info = server.address() as { address: string; port: number };
    return { server, address: { host: info.address, port: info.port } };
  }

  async cleanup(): Promise<void> {
    await Promise.all([...this.transports.values()].map((t) => t.stop()));
    for (const socket of this.#sockets) socket.destroy();
    await Promise.all([...this.#servers].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.#sockets.clear();
    this.#servers.clear();
    this.transports.clear();
  }
}

/** A hand-driven TCP peer: writes raw bytes, reads frames, observes the close. */
export class RawPeer {
  readonly socket: Socket;
  readonly frames: Uint8Array[] = [];
  readonly decoder: FrameDecoder = new FrameDecoder();
  closed = false;
  ended = false;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      try {
        this.frames.push(...this.decoder.push(chunk));
      } catch {
        // not frames: ignore
      }
    });
    socket.on('end', () => {
      this.ended = true;
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => undefined);
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  handshakes(): HandshakeFrame[] {
    return this.frames.map((frame) => decodeHandshake(frame));
  }

  async waitClosed(what = 'the transport closes the connection'): Promise<void> {
    await waitFor(() => this.closed, what);
  }
}

/** A handshake frame as a peer would send it (checksummed, as plaintext nodes require). */
export function hello(nodeId: string, clusterId = CLUSTER, protocolVersion = WIRE_VERSION, checksum = true): Uint8Array {
  return encodeHandshake({ type: 'handshake', clusterId, nodeId: NodeId(nodeId), protocolVersion }, { checksum });
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}
