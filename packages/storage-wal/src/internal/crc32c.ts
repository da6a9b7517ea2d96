/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven, slicing by 8.
 *
 * The same small implementation is copied into `@raft/storage-memory`, `@raft/storage-wal`
 * and `@raft/snapshots-file`: adapter packages import only `@raft/abstractions`, so they cannot
 * share it. Keep the copies identical (each package's tests check the standard check value).
 */

const POLYNOMIAL = 0x82f63b78;

/** `TABLES[k][b]`: CRC of byte `b` followed by `k` zero bytes. */
const TABLES: readonly Uint32Array[] = buildTables();

function buildTables(): Uint32Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const first = tables[0] as Uint32Array;
  for (let b = 0; b < 256; b++) {
    let crc = b;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1;
    first[b] = crc >>> 0;
  }
  for (let b = 0; b < 256; b++) {
    let crc = first[b] as number;
    for (let k = 1; k < 8; k++) {
      crc = (first[crc & 0xff] as number) ^ (crc >>> 8);
      (tables[k] as Uint32Array)[b] = crc >>> 0;
    }
  }
  return tables;
}

/**
 * Extends a running CRC-32C with `bytes[start, end)`. Start with `crc = 0`; the result is the
 * finished CRC of everything fed so far (so `crc32c(b, crc32c(a))` equals `crc32c(a ++ b)`).
 */
export function crc32c(bytes: Uint8Array, crc = 0, start = 0, end: number = bytes.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let c = ~crc >>> 0;
  let i = start;
  // Slicing by 8: fold eight bytes per step through eight tables.
  while (end - i >= 8) {
    const lo = (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    c =
      t7[lo & 0xff]! ^
      t6[(lo >>> 8) & 0xff]! ^
      t5[(lo >>> 16) & 0xff]! ^
      t4[lo >>> 24]! ^
      t3[bytes[i + 4]!]! ^
      t2[bytes[i + 5]!]! ^
      t1[bytes[i + 6]!]! ^
      t0[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = t0[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** The checksum string stored in snapshot metadata: `"crc32c:"` and eight lowercase hex digits. */
export function formatCrc32c(crc: number): string {
  return `crc32c:${crc.toString(16).padStart(8, '0')}`;
}
