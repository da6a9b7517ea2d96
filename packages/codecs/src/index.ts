/**
 * `@raft/codecs`: the versioned binary wire format of `@raft/*` protocol messages.
 *
 * Each message travels as a self-delimiting frame: a 9-byte header (magic `"RF"`, version,
 * type, flags, length) and a MessagePack body with the message's fields in a fixed order;
 * entry payloads and snapshot data are MessagePack `bin`, raw bytes. The layout is specified
 * field by field in `docs/wire-format.md`.
 *
 * Decoding is safe on untrusted bytes: it throws only `CodecError` (`CODEC_MALFORMED`,
 * `CODEC_FRAME_TOO_LARGE`, `CODEC_UNSUPPORTED_VERSION`), allocates only in proportion to the
 * bytes received, and returns only valid messages. {@link FrameDecoder} splits a TCP stream
 * into frames; {@link encodeHandshake} / {@link decodeHandshake} carry the connection handshake.
 *
 * @example
 * ```ts
 * import { FrameDecoder, decodeMessage, encodeMessages } from '@raft/codecs';
 * import { LogIndex, NodeId, Term, type RaftMessage } from '@raft/abstractions';
 *
 * const heartbeat: RaftMessage = {
 *   type: 'AppendEntries', from: NodeId('n1'), to: NodeId('n2'), term: Term(3),
 *   prevLogIndex: LogIndex(41), prevLogTerm: Term(3), entries: [], leaderCommit: LogIndex(40), seq: 7,
 * };
 * socket.write(encodeMessages([heartbeat]));             // one write per batch
 *
 * const frames = new FrameDecoder({ maxFrameBytes: 4 << 20 });
 * socket.on('data', (chunk) => {
 *   for (const frame of frames.push(chunk)) receiver.deliver(decodeMessage(frame));
 * });
 * ```
 *
 * @packageDocumentation
 */

// Messages
export { encodeMessage, encodeMessages, decodeMessage } from './message-codec.js';

// Frames and streams
export { FrameDecoder } from './frame-decoder.js';
export type { FrameDecoderOptions } from './frame-decoder.js';
export {
  FRAME_MAGIC,
  WIRE_VERSION,
  FRAME_HEADER_BYTES,
  DEFAULT_MAX_FRAME_BYTES,
  MESSAGE_TYPE_CODES,
  HANDSHAKE_TYPE_CODES,
  readFrameHeader,
} from './frame.js';
export type { FrameHeader, FrameType, EncodeOptions, DecodeOptions } from './frame.js';

// Connection handshake
export { encodeHandshake, decodeHandshake, HANDSHAKE_REJECTION_REASONS, MAX_REJECTION_DETAIL_LENGTH } from './handshake.js';
export type { Handshake, HandshakeRejection, HandshakeRejectionReason, HandshakeFrame } from './handshake.js';
