/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven, slicing by 16: the one
 * checksum of every `@raft/*` format (WAL record frames, the meta file, snapshot files and
 * footers, the snapshot `checksum` string, checksummed wire frames). It lives here, next to the
 * contracts, so the adapter packages share one implementation instead of keeping copies.
 */
import { InvalidArgumentError } from './errors.js';

const POLYNOMIAL = 0x82f63b78;

/** `TABLES[k][b]`: CRC of byte `b` followed by `k` zero bytes. */
const TABLES: readonly Uint32Array[] = buildTables();
const [T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15] = TABLES as [
  Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array,
  Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array,
];

/** The word loop reads 4 bytes as one little-endian u32; on a big-endian host it is skipped. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * From this many bytes on, the aligned word loop (a `Uint32Array` view over the data) is used;
 * below it the view would cost more than it saves and 16-byte steps read single bytes.
 */
const WORD_LOOP_MIN_BYTES = 128;

function buildTables(): Uint32Array[] {
  const tables = Array.from({ length: 16 }, () => new Uint32Array(256));
  const first = tables[0] as Uint32Array;
  for (let b = 0; b < 256; b++) {
    let crc = b;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1;
    first[b] = crc >>> 0;
  }
  for (let b = 0; b < 256; b++) {
    let crc = first[b] as number;
    for (let k = 1; k < 16; k++) {
      crc = (first[crc & 0xff] as number) ^ (crc >>> 8);
      (tables[k] as Uint32Array)[b] = crc >>> 0;
    }
  }
  return tables;
}

const isUint32 = (value: number): boolean => value >>> 0 === value;

/**
 * CRC-32C (Castagnoli) of `bytes[start, end)`, extending the running checksum `crc`. Start with
 * `crc = 0`; the result is the finished CRC of everything fed so far, so
 * `crc32c(b, crc32c(a))` equals `crc32c(a ++ b)` and a stream can be checksummed chunk by chunk.
 * The standard check value: `crc32c(new TextEncoder().encode('123456789'))` is `0xe3069283`.
 *
 * Only the bytes of the view in `[start, end)` are read, never the rest of its buffer.
 *
 * @param bytes - the data; any `Uint8Array` view (any `byteOffset`, any alignment)
 * @param crc - the CRC of the data before `bytes[start]` (an unsigned 32-bit integer); `0` for none
 * @param start - first index of `bytes` to hash
 * @param end - index after the last one to hash
 * @returns the CRC-32C as an unsigned 32-bit integer
 * @throws {@link InvalidArgumentError} (`INVALID_ARGUMENT`) when `crc` is not an unsigned 32-bit
 * integer or `[start, end)` is not an integer range inside `bytes`
 *
 * @example
 * ```ts
 * crc32c(new TextEncoder().encode('123456789')); // 0xe3069283
 * const whole = crc32c(data);
 * const inPieces = crc32c(data, crc32c(data, 0, 0, 100), 100, data.length); // === whole
 * ```
 */
export function crc32c(bytes: Uint8Array, crc = 0, start = 0, end: number = bytes.length): number {
  // Invariant: the word loop below reads `bytes.buffer` directly, so the range must lie inside the
  // view, or it would silently hash bytes that are not part of it.
  if (!isUint32(crc)) throw new InvalidArgumentError(`crc32c: crc must be an unsigned 32-bit integer, got ${crc}`);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > bytes.length) {
    throw new InvalidArgumentError(`crc32c: range [${start}, ${end}) is not inside the ${bytes.length} bytes given`);
  }
  let c = ~crc >>> 0;
  let i = start;
  if (LITTLE_ENDIAN && end - i >= WORD_LOOP_MIN_BYTES) {
    // Byte by byte up to a 4-byte boundary, then 16 bytes (four aligned words) per step.
    while (((bytes.byteOffset + i) & 3) !== 0) c = T0[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, (end - i) >>> 2);
    const steps = words.length & ~3;
    let w = 0;
    while (w < steps) {
      const a = (words[w]! ^ c) >>> 0;
      const b = words[w + 1]!;
      const d = words[w + 2]!;
      const e = words[w + 3]!;
      c =
        T15[a & 0xff]! ^ T14[(a >>> 8) & 0xff]! ^ T13[(a >>> 16) & 0xff]! ^ T12[a >>> 24]! ^
        T11[b & 0xff]! ^ T10[(b >>> 8) & 0xff]! ^ T9[(b >>> 16) & 0xff]! ^ T8[b >>> 24]! ^
        T7[d & 0xff]! ^ T6[(d >>> 8) & 0xff]! ^ T5[(d >>> 16) & 0xff]! ^ T4[d >>> 24]! ^
        T3[e & 0xff]! ^ T2[(e >>> 8) & 0xff]! ^ T1[(e >>> 16) & 0xff]! ^ T0[e >>> 24]!;
      w += 4;
    }
    i += w * 4;
  }
  // 16 bytes per step, read one by one (any alignment, any byte order): short inputs and tails.
  for (; i + 16 <= end; i += 16) {
    const a = (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    c =
      T15[a & 0xff]! ^ T14[(a >>> 8) & 0xff]! ^ T13[(a >>> 16) & 0xff]! ^ T12[a >>> 24]! ^
      T11[bytes[i + 4]!]! ^ T10[bytes[i + 5]!]! ^ T9[bytes[i + 6]!]! ^ T8[bytes[i + 7]!]! ^
      T7[bytes[i + 8]!]! ^ T6[bytes[i + 9]!]! ^ T5[bytes[i + 10]!]! ^ T4[bytes[i + 11]!]! ^
      T3[bytes[i + 12]!]! ^ T2[bytes[i + 13]!]! ^ T1[bytes[i + 14]!]! ^ T0[bytes[i + 15]!]!;
  }
  // At most one 8-byte step, then at most 7 single bytes.
  if (i + 8 <= end) {
    const a = (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    c =
      T7[a & 0xff]! ^ T6[(a >>> 8) & 0xff]! ^ T5[(a >>> 16) & 0xff]! ^ T4[a >>> 24]! ^
      T3[bytes[i + 4]!]! ^ T2[bytes[i + 5]!]! ^ T1[bytes[i + 6]!]! ^ T0[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = T0[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * The checksum string of a CRC-32C as stored in snapshot metadata (`SnapshotMeta.checksum`):
 * `"crc32c:"` and eight lowercase hex digits. The standard check value formats as
 * `formatCrc32c(0xe3069283)` = `"crc32c:e3069283"` (the CRC-32C of `"123456789"`).
 *
 * @param crc - a CRC-32C as returned by {@link crc32c} (an unsigned 32-bit integer)
 * @returns `"crc32c:<8 lowercase hex digits>"`
 * @throws {@link InvalidArgumentError} (`INVALID_ARGUMENT`) when `crc` is not an unsigned 32-bit integer
 *
 * @example
 * ```ts
 * formatCrc32c(crc32c(new TextEncoder().encode('123456789'))); // "crc32c:e3069283"
 * ```
 */
export function formatCrc32c(crc: number): string {
  if (!isUint32(crc)) throw new InvalidArgumentError(`formatCrc32c: crc must be an unsigned 32-bit integer, got ${crc}`);
  return `crc32c:${crc.toString(16).padStart(8, '0')}`;
}
