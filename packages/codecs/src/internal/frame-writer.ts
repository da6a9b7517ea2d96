import { InvalidArgumentError, crc32c } from '@raft/abstractions';
import { CHECKSUM_BYTES, FLAG_CHECKSUM, FRAME_HEADER_BYTES, FRAME_MAGIC, WIRE_VERSION } from '../frame.js';
import type { Writer } from './writer.js';

/** Extra bytes a frame needs besides its body. */
export function frameOverhead(checksum: boolean): number {
  return FRAME_HEADER_BYTES + (checksum ? CHECKSUM_BYTES : 0);
}

/** Writes the fixed header with a placeholder length; returns where the frame starts. */
export function beginFrame(w: Writer, typeCode: number, checksum: boolean): number {
  const start = w.position;
  w.u8(FRAME_MAGIC[0]);
  w.u8(FRAME_MAGIC[1]);
  w.u8(WIRE_VERSION);
  w.u8(typeCode);
  w.u8(checksum ? FLAG_CHECKSUM : 0);
  w.position += 4; // length, patched by endFrame
  return start;
}

/** Patches the length (and appends the checksum) of the frame begun at `start`. */
export function endFrame(w: Writer, start: number, checksum: boolean): void {
  const length = w.position - start - FRAME_HEADER_BYTES + (checksum ? CHECKSUM_BYTES : 0);
  if (length > 0xffff_ffff) throw new InvalidArgumentError(`frame body of ${length} bytes exceeds the 4 GiB the length field can describe`);
  w.u32At(start + 5, length);
  if (checksum) {
    const crc = crc32c(w.buffer, 0, start, w.position);
    w.u32At(w.position, crc);
    w.position += CHECKSUM_BYTES;
  }
}
