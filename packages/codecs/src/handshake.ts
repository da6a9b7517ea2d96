import { InvalidArgumentError, type NodeId } from '@raft/abstractions';
import { type DecodeOptions, type EncodeOptions, FRAME_HEADER_BYTES, type FrameType, HANDSHAKE_TYPE_CODES, openFrame } from './frame.js';
import { beginFrame, endFrame, frameOverhead } from './internal/frame-writer.js';
import { Reader } from './internal/reader.js';
import { MAX_ID_BYTES, idProblem } from './internal/validate.js';
import { BOUND, Writer } from './internal/writer.js';
import { asCodecError, readId, writeId } from './message-codec.js';

/**
 * The first frame each side of a peer connection sends (after TLS, if any): who it is and
 * which protocol it speaks. The receiver checks the cluster id, that the node id is a member
 * (and, with mutual TLS, that it matches the certificate), and the protocol version, before it
 * accepts any protocol message on the connection (reliability §8.2.2).
 */
export interface Handshake {
  readonly type: 'handshake';
  /** Identifies the cluster; a peer of another cluster is refused. 1–255 characters. */
  readonly clusterId: string;
  /** The sender's node id. */
  readonly nodeId: NodeId;
  /** The highest wire-format version the sender speaks (this build: `WIRE_VERSION`, 1). */
  readonly protocolVersion: number;
}

/** Why a handshake was refused (reliability §8.2.3). */
export type HandshakeRejectionReason = 'clusterMismatch' | 'unknownNode' | 'unsupportedVersion' | 'identityMismatch' | 'removed';

/** Every {@link HandshakeRejectionReason}, in wire-code order (code = position + 1). */
export const HANDSHAKE_REJECTION_REASONS: readonly HandshakeRejectionReason[] = [
  'clusterMismatch',
  'unknownNode',
  'unsupportedVersion',
  'identityMismatch',
  'removed',
];

/** Longest {@link HandshakeRejection.detail}, in UTF-16 code units. */
export const MAX_REJECTION_DETAIL_LENGTH = 1024;

/**
 * Sent instead of a {@link Handshake} by a side that refuses the connection, just before it
 * closes it, so the refused peer can log why.
 */
export interface HandshakeRejection {
  readonly type: 'handshakeRejected';
  readonly reason: HandshakeRejectionReason;
  /** Human-readable explanation, at most {@link MAX_REJECTION_DETAIL_LENGTH} characters. */
  readonly detail: string;
}

/** A frame of the connection handshake. */
export type HandshakeFrame = Handshake | HandshakeRejection;

/**
 * Encodes a handshake or a handshake rejection as a frame.
 * @throws {@link InvalidArgumentError} for an invalid cluster id, node id, version, reason or detail.
 */
export function encodeHandshake(frame: HandshakeFrame, options: EncodeOptions = {}): Uint8Array {
  const checksum = options.checksum === true;
  if (frame.type === 'handshake') {
    const clusterProblem = idProblem(frame.clusterId);
    if (clusterProblem !== undefined) throw new InvalidArgumentError(`clusterId ${clusterProblem}`);
    if (!Number.isInteger(frame.protocolVersion) || frame.protocolVersion < 1 || frame.protocolVersion > 255) {
      throw new InvalidArgumentError(`protocolVersion must be an integer from 1 to 255, got ${frame.protocolVersion}`);
    }
    const w = new Writer(BOUND.arrayHeader + BOUND.string(frame.clusterId.length) + BOUND.string(frame.nodeId.length) + BOUND.uint + frameOverhead(checksum));
    const start = beginFrame(w, HANDSHAKE_TYPE_CODES.handshake, checksum);
    w.arrayHeader(3);
    w.string(frame.clusterId, 'clusterId');
    writeId(w, frame.nodeId, 'nodeId');
    w.uint(frame.protocolVersion, 'protocolVersion');
    endFrame(w, start, checksum);
    return w.written();
  }
  if (frame.type === 'handshakeRejected') {
    const code = HANDSHAKE_REJECTION_REASONS.indexOf(frame.reason) + 1;
    if (code === 0) throw new InvalidArgumentError(`unknown handshake rejection reason ${JSON.stringify(frame.reason)}`);
    if (typeof frame.detail !== 'string' || frame.detail.length > MAX_REJECTION_DETAIL_LENGTH) {
      throw new InvalidArgumentError(`detail must be a string of at most ${MAX_REJECTION_DETAIL_LENGTH} characters`);
    }
    const w = new Writer(BOUND.arrayHeader + BOUND.uint + BOUND.string(frame.detail.length) + frameOverhead(checksum));
    const start = beginFrame(w, HANDSHAKE_TYPE_CODES.handshakeRejected, checksum);
    w.arrayHeader(2);
    w.uint(code, 'reason');
    w.string(frame.detail, 'detail');
    endFrame(w, start, checksum);
    return w.written();
  }
  throw new InvalidArgumentError(`unknown handshake frame type ${JSON.stringify((frame as { type: unknown }).type)}`);
}

const isHandshakeType = (type: FrameType | undefined): boolean => type === 'handshake' || type === 'handshakeRejected';

/**
 * Decodes a handshake frame from untrusted bytes, with the guarantees of `decodeMessage`: it
 * throws only {@link CodecError} and returns only a valid {@link HandshakeFrame}. It does not
 * judge the values (cluster id, membership, version): that is the transport's decision.
 *
 * A protocol message where a handshake is expected is `CODEC_MALFORMED`.
 */
export function decodeHandshake(frame: Uint8Array, options: DecodeOptions = {}): HandshakeFrame {
  try {
    const bodyEnd = openFrame(frame, options, isHandshakeType, 'a handshake frame');
    if (frame[3] === HANDSHAKE_TYPE_CODES.handshake) {
      const r = new Reader(frame, FRAME_HEADER_BYTES, bodyEnd, 'Handshake');
      r.tuple('(body)', 3);
      const clusterId = r.string('clusterId', MAX_ID_BYTES);
      const clusterProblem = idProblem(clusterId);
      if (clusterProblem !== undefined) r.fail('clusterId', clusterProblem);
      const nodeId = readId(r, 'nodeId');
      const protocolVersion = r.uint('protocolVersion');
      if (protocolVersion < 1 || protocolVersion > 255) r.fail('protocolVersion', `must be from 1 to 255, got ${protocolVersion}`);
      r.done();
      return { type: 'handshake', clusterId, nodeId, protocolVersion };
    }
    const r = new Reader(frame, FRAME_HEADER_BYTES, bodyEnd, 'HandshakeRejection');
    r.tuple('(body)', 2);
    const code = r.uint('reason');
    const reason = HANDSHAKE_REJECTION_REASONS[code - 1] ?? r.fail('reason', `unknown reason code ${code}`);
    const detail = r.string('detail', 3 * MAX_REJECTION_DETAIL_LENGTH);
    if (detail.length > MAX_REJECTION_DETAIL_LENGTH) r.fail('detail', `longer than ${MAX_REJECTION_DETAIL_LENGTH} characters`);
    r.done();
    return { type: 'handshakeRejected', reason, detail };
  } catch (error) {
    throw asCodecError(error);
  }
}
