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

/** The word loop reads 4 bytes as one little-endian u32; on a big-endian host only the byte loop runs. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

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
  const t = TABLES;
  const t0 = t[0] as Uint32Array;
  let c = ~crc >>> 0;
  let i = start;
  if (LITTLE_ENDIAN && end - i >= 32) {
    // Byte by byte up to a 4-byte boundary, then 16 bytes (four aligned words) per step.
    while (((bytes.byteOffset + i) & 3) !== 0) c = t0[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, (end - i) >>> 2);
    const [t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, t15] = t.slice(1) as [
      Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array,
      Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array,
    ];
    const steps = words.length & ~3;
    let w = 0;
    while (w < steps) {
      const a = (words[w]! ^ c) >>> 0;
      const b = words[w + 1]!;
      const d = words[w + 2]!;
      const e = words[w + 3]!;
      c =
        t15[a & 0xff]! ^ t14[(a >>> 8) & 0xff]! ^ t13[(a >>> 16) & 0xff]! ^ t12[a >>> 24]! ^
        t11[b & 0xff]! ^ t10[(b >>> 8) & 0xff]! ^ t9[(b >>> 16) & 0xff]! ^ t8[b >>> 24]! ^
        t7[d & 0xff]! ^ t6[(d >>> 8) & 0xff]! ^ t5[(d >>> 16) & 0xff]! ^ t4[d >>> 24]! ^
        t3[e & 0xff]! ^ t2[(e >>> 8) & 0xff]! ^ t1[(e >>> 16) & 0xff]! ^ t0[e >>> 24]!;
      w += 4;
    }
    i += w * 4;
  }
  while (i < end) c = t0[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
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
