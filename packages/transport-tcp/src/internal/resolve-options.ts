import { type SecureContext, type SecureContextOptions, createSecureContext } from 'node:tls';
import { ConfigurationError, NodeId, isRaftError } from '@raft/abstractions';
import { DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES } from '@raft/codecs';
import type { PeerAddresses, TcpTransportOptions, TransportLogger } from '../options.js';
import { defaultIdentitiesOf, type IdentitiesOf } from '../tls-identity.js';

/** Every option with its default applied, validated. */
export interface ResolvedOptions {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  readonly listenHost: string;
  readonly listenPort: number;
  readonly peers: PeerAddresses;
  readonly tls: ResolvedTls | undefined;
  readonly checksum: boolean;
  readonly maxFrameBytes: number;
  readonly maxQueueBytes: number;
  readonly maxSocketBufferBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly stallTimeoutMs: number;
  readonly maxUnauthenticatedConnections: number;
  readonly keepAliveMs: number;
  readonly reconnectInitialMs: number;
  readonly reconnectMaxMs: number;
  readonly reconnectJitter: number;
  readonly logger: TransportLogger;
}

export interface ResolvedTls {
  /** This node's key and certificate and the pinned cluster CA, for the listening server. */
  readonly secureOptions: SecureContextOptions;
  /** The same as a context, shared by every outbound connection. */
  readonly context: SecureContext;
  readonly identitiesOf: IdentitiesOf;
}

/** Smallest socket-buffer threshold: Node's default writable high-water mark, 16 KiB. */
const MIN_SOCKET_BUFFER_BYTES = 16 * 1024;
const LARGEST_FRAME_BYTES = FRAME_HEADER_BYTES + 0xffff_ffff;

const consoleLogger: TransportLogger = {
  warn(message, context) {
    console.warn(`[@raft/transport-tcp] ${message}`, context ?? '');
  },
};

function integer(option: string, value: number | undefined, fallback: number, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigurationError(option, `must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function nonEmptyString(option: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new ConfigurationError(option, `must be a string of 1 to ${maxLength} characters, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Applies the documented defaults and validates every option up front, naming the offending
 * option in a {@link ConfigurationError}.
 */
export function resolveOptions(options: TcpTransportOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new ConfigurationError('options', 'must be an object');
  let nodeId: NodeId;
  try {
    nodeId = NodeId(options.nodeId);
  } catch (error) {
    throw new ConfigurationError('nodeId', isRaftError(error) ? error.message : String(error), { cause: error });
  }
  const clusterId = nonEmptyString('clusterId', options.clusterId, 255);
  if (typeof options.listen !== 'object' || options.listen === null) throw new ConfigurationError('listen', 'must be { host?, port }');
  const listenHost = options.listen.host === undefined ? '127.0.0.1' : nonEmptyString('listen.host', options.listen.host, 255);
  const listenPort = integer('listen.port', options.listen.port, Number.NaN, 0, 65_535);
  if (Number.isNaN(listenPort)) throw new ConfigurationError('listen.port', 'is required (0 picks a free port)');
  const peers = options.peers;
  if (typeof peers !== 'object' || peers === null) {
    throw new ConfigurationError('peers', 'must be a record of { host, port } by node id, or a PeerDirectory');
  }
  const maxFrameBytes = integer('maxFrameBytes', options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, 64, LARGEST_FRAME_BYTES);
  const maxQueueBytes = integer('maxQueueBytes', options.maxQueueBytes, 2 * maxFrameBytes, maxFrameBytes);
  const maxSocketBufferBytes = integer('maxSocketBufferBytes', options.maxSocketBufferBytes, 1024 * 1024, MIN_SOCKET_BUFFER_BYTES);
  const handshakeTimeoutMs = integer('handshakeTimeoutMs', options.handshakeTimeoutMs, 5000, 1, 2_147_483_647);
  const stallTimeoutMs = integer('stallTimeoutMs', options.stallTimeoutMs, 10_000, 1, 2_147_483_647);
  const maxUnauthenticatedConnections = integer('maxUnauthenticatedConnections', options.maxUnauthenticatedConnections, 32, 1);
  const keepAliveMs = integer('keepAliveMs', options.keepAliveMs, 5000, 0, 2_147_483_647);
  const reconnect = options.reconnect ?? {};
  const reconnectInitialMs = integer('reconnect.initialMs', reconnect.initialMs, 100, 1, 2_147_483_647);
  const reconnectMaxMs = integer('reconnect.maxMs', reconnect.maxMs, Math.max(5000, reconnectInitialMs), reconnectInitialMs, 2_147_483_647);
  const reconnectJitter = reconnect.jitter ?? 0.5;
  if (typeof reconnectJitter !== 'number' || !(reconnectJitter >= 0 && reconnectJitter <= 1)) {
    throw new ConfigurationError('reconnect.jitter', `must be a number from 0 to 1, got ${String(reconnectJitter)}`);
  }
  if (options.checksum !== undefined && typeof options.checksum !== 'boolean') throw new ConfigurationError('checksum', 'must be a boolean');
  const logger = options.logger ?? consoleLogger;
  if (typeof logger.warn !== 'function') throw new ConfigurationError('logger', 'must have a warn(message, context) method');
  return {
    nodeId,
    clusterId,
    listenHost,
    listenPort,
    peers,
    tls: options.tls === undefined ? undefined : resolveTls(options, clusterId),
    checksum: options.checksum ?? options.tls === undefined,
    maxFrameBytes,
    maxQueueBytes,
    maxSocketBufferBytes,
    handshakeTimeoutMs,
    stallTimeoutMs,
    maxUnauthenticatedConnections,
    keepAliveMs,
    reconnectInitialMs,
    reconnectMaxMs,
    reconnectJitter,
    logger,
  };
}

function resolveTls(options: TcpTransportOptions, clusterId: string): ResolvedTls {
  const tls = options.tls;
  if (tls === undefined) throw new ConfigurationError('tls', 'is undefined');
  for (const field of ['key', 'cert', 'ca'] as const) {
    if (tls[field] === undefined || tls[field] === null) throw new ConfigurationError(`tls.${field}`, 'is required for mutual TLS');
  }
  const minVersion = tls.minVersion ?? 'TLSv1.3';
  if (minVersion !== 'TLSv1.2' && minVersion !== 'TLSv1.3') {
    throw new ConfigurationError('tls.minVersion', `must be 'TLSv1.2' or 'TLSv1.3', got ${JSON.stringify(minVersion)}`);
  }
  if (tls.identitiesOf !== undefined && typeof tls.identitiesOf !== 'function') throw new ConfigurationError('tls.identitiesOf', 'must be a function');
  const secureOptions: SecureContextOptions = {
    key: tls.key,
    cert: tls.cert,
    ca: tls.ca,
    minVersion,
    ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
    ...(tls.crl === undefined ? {} : { crl: tls.crl }),
    ...(tls.ciphers === undefined ? {} : { ciphers: tls.ciphers }),
  };
  let context: SecureContext;
  try {
    context = createSecureContext(secureOptions);
  } catch (error) {
    throw new ConfigurationError('tls', `cannot load the key, certificate or CA: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { secureOptions, context, identitiesOf: tls.identitiesOf ?? defaultIdentitiesOf(clusterId) };
}
