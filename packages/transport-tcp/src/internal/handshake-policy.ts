import { WIRE_VERSION, type Handshake, type HandshakeRejection } from '@raft/codecs';

/** Lowest wire-format version this build can speak. */
export const MIN_PROTOCOL_VERSION = 1;

/** What the accepting side knows when it judges a peer's handshake. */
export interface HandshakeContext {
  readonly clusterId: string;
  readonly self: string;
  readonly isPeer: (nodeId: string) => boolean;
  /** With mutual TLS: the node ids the peer's verified certificate vouches for. */
  readonly certificateIdentities: readonly string[] | undefined;
}

/**
 * Judges a peer's handshake (reliability §8.2.2–3). Returns the rejection to send, or
 * `undefined` to accept. Checked in the order: cluster, version, membership, certificate
 * identity, so a node of another cluster learns only that (not who is a member here).
 */
export function judgeHandshake(hello: Handshake, context: HandshakeContext): HandshakeRejection | undefined {
  if (hello.clusterId !== context.clusterId) {
    return reject('clusterMismatch', `this node belongs to cluster ${JSON.stringify(context.clusterId)}, not ${JSON.stringify(hello.clusterId)}`);
  }
  // The peer names the highest version it speaks; both then speak the lower of the two, which
  // must be one this build still reads.
  if (negotiatedVersion(hello.protocolVersion) < MIN_PROTOCOL_VERSION) {
    return reject('unsupportedVersion', `protocol version ${hello.protocolVersion} is not supported (this node speaks ${MIN_PROTOCOL_VERSION} to ${WIRE_VERSION})`);
  }
  if (hello.nodeId === context.self || !context.isPeer(hello.nodeId)) {
    return reject('unknownNode', `${JSON.stringify(hello.nodeId)} is not a member of this cluster`);
  }
  if (context.certificateIdentities !== undefined && !context.certificateIdentities.includes(hello.nodeId)) {
    return reject('identityMismatch', `the TLS certificate does not name node ${JSON.stringify(hello.nodeId)}`);
  }
  return undefined;
}

/** The version both sides speak after a handshake naming `peerVersion`. */
export function negotiatedVersion(peerVersion: number): number {
  return Math.min(peerVersion, WIRE_VERSION);
}

function reject(reason: HandshakeRejection['reason'], detail: string): HandshakeRejection {
  return { type: 'handshakeRejected', reason, detail: detail.slice(0, 1024) };
}
