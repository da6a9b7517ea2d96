import { crc32c } from '@raft/abstractions';

/**
 * Record framing shared by segment files and the meta file (format 1, docs/storage-format.md):
 *
 * ```
 * offset 0  u32 LE  payload length
 *        4  u8      record type
 *        5  u8[3]   reserved, zero
 *        8  u32 LE  CRC-32C of bytes 0..8 and the payload
 *       12  payload
 *           zero padding up to a multiple of 8 (checked to be zero on read)
 * ```
 */
export const FRAME_HEADER_BYTES = 12;

/** Record types. One byte on disk; unknown types are damage, never skipped. */
export const RecordType = {
  segmentHeader: 1,
  batch: 2,
  entry: 3,
  truncate: 4,
  compact: 5,
  meta: 16,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

/** The largest payload accepted, so a damaged length never makes us allocate gigabytes. */
export const MAX_PAYLOAD_BYTES: number = 256 * 1024 * 1024;

export function paddedSize(payloadBytes: number): number {
  return (FRAME_HEADER_BYTES + payloadBytes + 7) & ~7;
}

/** A whole frame (header, payload, padding) around `payload`. */
export function encodeFrame(type: RecordType, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(paddedSize(payload.byteLength));
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.byteLength, true);
  out[4] = type;
  out.set(payload, FRAME_HEADER_BYTES);
  view.setUint32(8, crc32c(payload, crc32c(out, 0, 0, 8)), true);
  return out;
}

/** A frame read back: where its payload is and where the next frame starts. */
export interface DecodedFrame {
  readonly type: number;
  readonly payloadStart: number;
  readonly payloadLength: number;
  readonly end: number;
}

/**
 * Decodes the frame at `offset` of `bytes`, or returns why it is not a valid frame. Checks the
 * length against what is left (before allocating or hashing), the reserved bytes, the CRC and
 * the zero padding. `'incomplete'` means the frame runs past the end of `bytes`.
 */
export function decodeFrame(bytes: Uint8Array, offset: number, limit: number = bytes.byteLength): DecodedFrame | string {
  if (limit - offset < FRAME_HEADER_BYTES) return 'incomplete';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const payloadLength = view.getUint32(offset, true);
  if (payloadLength > MAX_PAYLOAD_BYTES) return `implausible record length ${payloadLength}`;
  const end = offset + paddedSize(payloadLength);
  if (end > limit) return 'incomplete';
  if (bytes[offset + 5] !== 0 || bytes[offset + 6] !== 0 || bytes[offset + 7] !== 0) return 'non-zero reserved bytes';
  const payloadStart = offset + FRAME_HEADER_BYTES;
  const expected = crc32c(bytes, crc32c(bytes, 0, offset, offset + 8), payloadStart, payloadStart + payloadLength);
  if (view.getUint32(offset + 8, true) !== expected) return 'checksum mismatch';
  for (let k = payloadStart + payloadLength; k < end; k++) if (bytes[k] !== 0) return 'non-zero padding';
  return { type: bytes[offset + 4] as number, payloadStart, payloadLength, end };
}

/** Writes a non-negative safe integer as a little-endian u64. */
export function setU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value % 0x1_0000_0000, true);
  view.setUint32(at + 4, Math.floor(value / 0x1_0000_0000), true);
}

/** Reads a little-endian u64 written by {@link setU64}; `NaN` above `Number.MAX_SAFE_INTEGER`. */
export function getU64(view: DataView, at: number): number {
  const value = view.getUint32(at + 4, true) * 0x1_0000_0000 + view.getUint32(at, true);
  return Number.isSafeInteger(value) ? value : Number.NaN;
}
