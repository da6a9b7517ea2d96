import { CodecError, ConfigurationError, type RaftMessageType, crc32c } from '@raft/abstractions';

/** The two bytes every frame starts with: ASCII `"RF"`. */
export const FRAME_MAGIC: readonly [number, number] = [0x52, 0x46];

/** The wire-format version this build writes and reads (see `docs/wire-format.md`). */
export const WIRE_VERSION = 1;

/** Bytes of the frame header: magic (2), version (1), type (1), flags (1), length (4). */
export const FRAME_HEADER_BYTES = 9;

/** Default cap on a whole frame (header included): 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES: number = 16 * 1024 * 1024;

/** Largest frame the 32-bit length field can describe. */
const LARGEST_FRAME_BYTES = FRAME_HEADER_BYTES + 0xffff_ffff;

/** Flag bit: the frame ends with a CRC-32C of everything before it (header and body). */
export const FLAG_CHECKSUM = 0x01;

/** Bytes of the checksum trailer. */
export const CHECKSUM_BYTES = 4;

/**
 * The frame type byte of each protocol message. Stable across versions: a number is never
 * reused for another meaning. Mirrors the order of `RAFT_MESSAGE_TYPES`.
 */
export const MESSAGE_TYPE_CODES: Readonly<Record<RaftMessageType, number>> = {
  RequestVote: 1,
  RequestVoteResponse: 2,
  AppendEntries: 3,
  AppendEntriesResponse: 4,
  InstallSnapshot: 5,
  InstallSnapshotResponse: 6,
  TimeoutNow: 7,
};

/** The frame type byte of the two connection-handshake frames. */
export const HANDSHAKE_TYPE_CODES: { readonly handshake: 0x40; readonly handshakeRejected: 0x41 } = {
  handshake: 0x40,
  handshakeRejected: 0x41,
};

/** What kind of frame a type byte announces. */
export type FrameType = RaftMessageType | 'handshake' | 'handshakeRejected';

const FRAME_TYPE_BY_CODE: ReadonlyMap<number, FrameType> = new Map<number, FrameType>([
  ...(Object.entries(MESSAGE_TYPE_CODES) as [RaftMessageType, number][]).map(([type, code]): [number, FrameType] => [code, type]),
  [HANDSHAKE_TYPE_CODES.handshake, 'handshake'],
  [HANDSHAKE_TYPE_CODES.handshakeRejected, 'handshakeRejected'],
]);

/** The decoded fixed header of a frame. */
export interface FrameHeader {
  /** Wire-format version the frame was written in. */
  readonly version: number;
  /** The type byte, as sent. */
  readonly typeCode: number;
  /** What the type byte announces, or `undefined` for a code this build does not know. */
  readonly type: FrameType | undefined;
  /** `true` when the frame carries a CRC-32C trailer. */
  readonly checksummed: boolean;
  /** Size of the whole frame in bytes, header included. */
  readonly frameBytes: number;
}

/** Options of every decoding entry point. */
export interface DecodeOptions {
  /**
   * Largest frame accepted, header included, in bytes. A frame declaring more is refused with
   * `CODEC_FRAME_TOO_LARGE` before anything is allocated for it.
   * @default 16 MiB ({@link DEFAULT_MAX_FRAME_BYTES})
   */
  readonly maxFrameBytes?: number;
  /**
   * Refuse frames without a CRC-32C trailer (`CODEC_MALFORMED`). Use it on plaintext links
   * where TCP's checksum is the only other protection. Checksums present are always verified.
   * @default false
   */
  readonly requireChecksum?: boolean;
}

/** Options of every encoding entry point. */
export interface EncodeOptions {
  /**
   * Append a CRC-32C of the frame (4 bytes), verified by the decoder. Worth it on plaintext
   * links; TLS already authenticates every record.
   * @default false
   */
  readonly checksum?: boolean;
}

/** Validates a `maxFrameBytes` option up front, naming it. */
export function resolveMaxFrameBytes(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_FRAME_BYTES;
  if (!Number.isSafeInteger(value) || value < FRAME_HEADER_BYTES || value > LARGEST_FRAME_BYTES) {
    throw new ConfigurationError('maxFrameBytes', `must be an integer from ${FRAME_HEADER_BYTES} to ${LARGEST_FRAME_BYTES}, got ${value}`);
  }
  return value;
}

/**
 * Reads the fixed header at `bytes[offset]` (at least {@link FRAME_HEADER_BYTES} must be there)
 * and returns the whole frame's size. Checks only what every version shares: the magic and the
 * size cap. The magic is checked first, so a stream of garbage fails on its first bytes instead
 * of being read as a huge length.
 */
export function frameBytesAt(bytes: Uint8Array, offset: number, maxFrameBytes: number): number {
  if (bytes[offset] !== FRAME_MAGIC[0] || bytes[offset + 1] !== FRAME_MAGIC[1]) {
    throw new CodecError('CODEC_MALFORMED', `not a frame: bad magic 0x${hex(bytes[offset])}${hex(bytes[offset + 1])} (expected 0x5246 "RF")`);
  }
  // Invariant: the length is read and checked before a single byte of the body is buffered
  // or allocated (reliability §8.2.4: reject a huge length prefix before allocation).
  const length =
    (((bytes[offset + 5] as number) << 24) >>> 0) +
    ((bytes[offset + 6] as number) << 16) +
    ((bytes[offset + 7] as number) << 8) +
    (bytes[offset + 8] as number);
  const frameBytes = FRAME_HEADER_BYTES + length;
  if (frameBytes > maxFrameBytes) {
    throw new CodecError('CODEC_FRAME_TOO_LARGE', `frame declares ${frameBytes} bytes, above the maximum of ${maxFrameBytes}`);
  }
  return frameBytes;
}

function hex(byte: number | undefined): string {
  return (byte ?? 0).toString(16).padStart(2, '0');
}

/**
 * Reads the fixed header of a frame, checking the magic, the size cap and that `frame` holds
 * exactly one whole frame. The version, type and flags are reported, not judged.
 * @throws {@link CodecError} `CODEC_MALFORMED` or `CODEC_FRAME_TOO_LARGE`.
 */
export function readFrameHeader(frame: Uint8Array, options: DecodeOptions = {}): FrameHeader {
  const maxFrameBytes = resolveMaxFrameBytes(options.maxFrameBytes);
  if (!(frame instanceof Uint8Array)) throw new CodecError('CODEC_MALFORMED', 'a frame must be a Uint8Array');
  if (frame.length < FRAME_HEADER_BYTES) {
    throw new CodecError('CODEC_MALFORMED', `truncated frame: ${frame.length} bytes, the header alone is ${FRAME_HEADER_BYTES}`);
  }
  const frameBytes = frameBytesAt(frame, 0, maxFrameBytes);
  if (frameBytes !== frame.length) {
    throw new CodecError('CODEC_MALFORMED', `frame declares ${frameBytes} bytes but ${frame.length} were given`);
  }
  const typeCode = frame[3] as number;
  return {
    version: frame[2] as number,
    typeCode,
    type: FRAME_TYPE_BY_CODE.get(typeCode),
    checksummed: ((frame[4] as number) & FLAG_CHECKSUM) !== 0,
    frameBytes,
  };
}

/**
 * Checks everything about a frame but its body: header, version, expected type, flags and
 * checksum. Returns the end of the body (exclusive).
 */
export function openFrame(frame: Uint8Array, options: DecodeOptions, accept: (type: FrameType | undefined) => boolean, expected: string): number {
  const header = readFrameHeader(frame, options);
  if (header.version !== WIRE_VERSION) {
    throw new CodecError('CODEC_UNSUPPORTED_VERSION', `wire-format version ${header.version} is not supported (this build speaks ${WIRE_VERSION})`);
  }
  if (!accept(header.type)) {
    throw new CodecError('CODEC_MALFORMED', `expected ${expected}, got frame type 0x${header.typeCode.toString(16)}${header.type === undefined ? ' (unknown)' : ` (${header.type})`}`);
  }
  const flags = frame[4] as number;
  if ((flags & ~FLAG_CHECKSUM) !== 0) throw new CodecError('CODEC_MALFORMED', `unknown flag bits 0x${flags.toString(16)}`);
  if (!header.checksummed) {
    if (options.requireChecksum === true) throw new CodecError('CODEC_MALFORMED', 'frame has no checksum, and one is required');
    return frame.length;
  }
  const bodyEnd = frame.length - CHECKSUM_BYTES;
  if (bodyEnd < FRAME_HEADER_BYTES) throw new CodecError('CODEC_MALFORMED', 'frame too short for its checksum');
  const stored = new DataView(frame.buffer, frame.byteOffset + bodyEnd, CHECKSUM_BYTES).getUint32(0);
  const actual = crc32c(frame, 0, 0, bodyEnd);
  if (stored !== actual) {
    throw new CodecError('CODEC_MALFORMED', `checksum mismatch: frame says 0x${stored.toString(16)}, content hashes to 0x${actual.toString(16)}`);
  }
  return bodyEnd;
}
